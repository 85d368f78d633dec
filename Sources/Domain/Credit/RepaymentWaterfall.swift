/// What one repayment paid on one installment.
public struct InstallmentAllocation: Sendable, Hashable {
    public let number: Int
    public let dueDate: BusinessDate
    public let lateFee: Money
    public let fee: Money
    public let principal: Money

    public init(number: Int, dueDate: BusinessDate, lateFee: Money, fee: Money, principal: Money) {
        self.number = number
        self.dueDate = dueDate
        self.lateFee = lateFee
        self.fee = fee
        self.principal = principal
    }

    /// lateFee + fee + principal.
    public var total: Money {
        Money(minorUnits: lateFee.minorUnits + fee.minorUnits + principal.minorUnits, currency: principal.currency)
    }
}

/// The result of running a repayment through the waterfall.
public struct RepaymentAllocation: Sendable, Hashable {
    public let asOf: BusinessDate
    public let payment: Money
    /// One line per open installment, in due order (lines may be all zero).
    public let lines: [InstallmentAllocation]
    /// What is still owed after the payment, in due order.
    public let remaining: [OpenInstallment]
    /// Money the allocation could not apply: beyond everything due when prepaying is not allowed,
    /// or beyond the payoff amount when it is. The caller refuses it; it is never kept silently.
    public let unapplied: Money

    public var lateFeesPaid: Money { sum(\.lateFee) }
    public var feesPaid: Money { sum(\.fee) }
    public var principalPaid: Money { sum(\.principal) }
    /// Principal paid on installments not yet due on `asOf` (prepayment).
    public var principalPrepaid: Money {
        Money(
            minorUnits: lines.filter { $0.dueDate > asOf }.reduce(0) { $0 + $1.principal.minorUnits },
            currency: payment.currency
        )
    }

    // Every line is bounded by the payment, so these sums cannot overflow.
    private func sum(_ part: KeyPath<InstallmentAllocation, Money>) -> Money {
        Money(minorUnits: lines.reduce(0) { $0 + $1[keyPath: part].minorUnits }, currency: payment.currency)
    }
}

/// How a product splits a repayment over what is owed (named per product; see Docs/CREDIT-REPAYMENTS.md).
public enum AllocationStrategy: String, Sendable, Hashable, Codable, CaseIterable {
    /// Apache Fineract's "due-date order" (its `DUE_PENALTY_FEE_INTEREST_PRINCIPAL_IN_ADVANCE_PRINCIPAL_PENALTY_FEE_INTEREST`
    /// family): the earliest due installment is settled in full — late fees, fees/interest, then
    /// principal — before the next one is touched, so paying a bill's total on time always settles that bill.
    case dueDateOrder = "due_date_order"
}

/// What a product does with money beyond everything already due.
public enum OverpaymentPolicy: String, Sendable, Hashable, Codable, CaseIterable {
    /// The excess prepays the principal of the next bills, nearest first; fees and interest not yet
    /// due are never collected by it (paying every principal is the early payoff, future fees waived).
    case prepayNextBills = "prepay_next_bills"
    /// Anything beyond what is due is refused; the consumer may settle with the payoff quote.
    case refuse
}

/// Which installments a repayment may reach, and how.
public enum RepaymentMode: Sendable, Hashable {
    /// An ordinary repayment: the bills (every installment already due, then the next one to fall
    /// due) are settled in full; with `prepay`, money beyond them prepays the principal of the later
    /// installments, never their fees or interest.
    case bills(prepay: Bool)
    /// An early payoff: due installments in full, then the principal of every future installment;
    /// the future fees are left for the caller to waive (`EarlyPayoffQuote`).
    case payoff
}

/// Splits a repayment over a plan's open installments.
///
/// `AllocationStrategy.dueDateOrder` (the only strategy so far), installments oldest due date first,
/// ties by number:
/// 1. the bills in turn, each in full: late fee, fee/interest, principal. The bills are every
///    installment already due (dueDate ≤ asOf) and the next one to fall due, so paying the current
///    bill's total early or on time always settles it;
/// 2. with `.bills(prepay: true)`: the principal (and any late fee) of the later installments,
///    nearest first — fees and interest not yet billed are never collected. `.payoff` does the same
///    from the first future installment on (its fee is waived with the others).
///
/// Whatever is left is `unapplied`; the caller refuses it rather than keep it.
public enum RepaymentWaterfall {
    /// Allocates `payment` over `installments` as of `asOf`. Pure: the input is not changed;
    /// the result carries the remaining balances.
    public static func allocate(
        payment: Money, to installments: [OpenInstallment], asOf: BusinessDate,
        strategy: AllocationStrategy = .dueDateOrder, mode: RepaymentMode = .bills(prepay: true)
    ) throws(CreditError) -> RepaymentAllocation {
        guard !payment.isNegative else { throw .negativeAmount(field: "payment") }
        let book = try OpenInstallmentBook(installments, currency: payment.currency)
        let ordered = book.installments
        var lateFee = ordered.map(\.lateFee.minorUnits)
        var fee = ordered.map(\.fee.minorUnits)
        var principal = ordered.map(\.principal.minorUnits)
        var paidLateFee = Array(repeating: Int64(0), count: ordered.count)
        var paidFee = paidLateFee
        var paidPrincipal = paidLateFee
        var left = payment.minorUnits

        func take(_ owed: inout Int64, _ paid: inout Int64) {
            let amount = Swift.min(owed, left)
            owed -= amount
            paid += amount
            left -= amount
        }
        let all = Array(ordered.indices)
        let billCount: Int
        let prepay: Bool
        switch mode {
        case .bills(let allowed):
            billCount = billed(ordered, asOf: asOf)
            prepay = allowed
        case .payoff:
            billCount = ordered.prefix { $0.isDue(asOf: asOf) }.count
            prepay = true
        }
        switch strategy {
        case .dueDateOrder:
            for i in all.prefix(billCount) {
                take(&lateFee[i], &paidLateFee[i])
                take(&fee[i], &paidFee[i])
                take(&principal[i], &paidPrincipal[i])
            }
            if prepay {
                for i in all.dropFirst(billCount) {
                    take(&lateFee[i], &paidLateFee[i])
                    take(&principal[i], &paidPrincipal[i])
                }
            }
        }

        let currency = payment.currency
        let lines = all.map { i in
            InstallmentAllocation(
                number: ordered[i].number, dueDate: ordered[i].dueDate,
                lateFee: CreditMath.money(paidLateFee[i], currency),
                fee: CreditMath.money(paidFee[i], currency),
                principal: CreditMath.money(paidPrincipal[i], currency)
            )
        }
        let remaining = all.map { i in
            OpenInstallment(
                number: ordered[i].number, dueDate: ordered[i].dueDate,
                principal: CreditMath.money(principal[i], currency),
                fee: CreditMath.money(fee[i], currency),
                lateFee: CreditMath.money(lateFee[i], currency)
            )
        }
        return RepaymentAllocation(
            asOf: asOf, payment: payment, lines: lines, remaining: remaining,
            unapplied: CreditMath.money(left, currency)
        )
    }

    /// How many of the installments (in due order) are billed on `asOf`: all already due and the next one.
    static func billed(_ ordered: [OpenInstallment], asOf: BusinessDate) -> Int {
        Swift.min(ordered.count, ordered.prefix { $0.isDue(asOf: asOf) }.count + 1)
    }

    /// Everything billed on `asOf`: late fees, fees and principal of every installment already due and
    /// of the next one to fall due — the most an ordinary repayment takes when prepayments are refused.
    public static func billedTotal(_ installments: [OpenInstallment], asOf: BusinessDate,
                                   currency: Currency) throws(CreditError) -> Money {
        let book = try OpenInstallmentBook(installments, currency: currency)
        let total = book.installments.prefix(billed(book.installments, asOf: asOf))
            .reduce(Int64(0)) { $0 + $1.principal.minorUnits + $1.fee.minorUnits + $1.lateFee.minorUnits }
        return CreditMath.money(total, currency)
    }
}
