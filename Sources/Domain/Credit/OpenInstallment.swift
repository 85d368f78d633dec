/// An installment with what is still owed on it: principal, fee (or interest) and accrued late fees.
public struct OpenInstallment: Sendable, Hashable {
    public let number: Int
    public let dueDate: BusinessDate
    /// Principal still owed.
    public let principal: Money
    /// Fee or interest still owed.
    public let fee: Money
    /// Late fees charged and not yet paid.
    public let lateFee: Money

    public init(number: Int, dueDate: BusinessDate, principal: Money, fee: Money, lateFee: Money) {
        self.number = number
        self.dueDate = dueDate
        self.principal = principal
        self.fee = fee
        self.lateFee = lateFee
    }

    /// Whether the installment has fallen due on `asOf` (dueDate ≤ asOf).
    public func isDue(asOf: BusinessDate) -> Bool { dueDate <= asOf }

    /// Whether nothing is owed on it any more.
    public var isSettled: Bool { principal.isZero && fee.isZero && lateFee.isZero }
}

/// Validated open installments in due order with their total, shared by the repayment rules.
struct OpenInstallmentBook {
    let currency: Currency
    /// Sorted by due date, then number.
    let installments: [OpenInstallment]
    /// Everything owed, proven to fit in Int64 so partial sums need no overflow checks.
    let totalOwed: Int64

    init(_ installments: [OpenInstallment], currency: Currency) throws(CreditError) {
        var numbers = Set<Int>()
        var amounts: [Int64] = []
        for installment in installments {
            guard numbers.insert(installment.number).inserted else {
                throw .duplicateInstallmentNumber(installment.number)
            }
            for (field, money) in [("principal", installment.principal), ("fee", installment.fee),
                                   ("late fee", installment.lateFee)] {
                try CreditMath.requireCurrency(money, currency)
                guard !money.isNegative else { throw .negativeAmount(field: "installment \(installment.number) \(field)") }
                amounts.append(money.minorUnits)
            }
        }
        self.currency = currency
        self.installments = installments.sorted {
            $0.dueDate != $1.dueDate ? $0.dueDate < $1.dueDate : $0.number < $1.number
        }
        self.totalOwed = try CreditMath.sum(amounts)
    }
}
