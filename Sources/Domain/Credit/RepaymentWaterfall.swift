/// What one repayment paid on one installment.
public struct InstallmentAllocation: Sendable, Hashable {
    public let number: Int
    public let dueDate: BusinessDate
    public let lateFee: Money
    public let fee: Money
    public let principal: Money

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

/// Splits a repayment over a plan's open installments.
///
/// `AllocationStrategy.dueDateOrder` (the only strategy so far), installments oldest due date first,
/// ties by number:
/// 1. every installment already due (dueDate ≤ asOf) in turn, in full: late fee, fee, principal;
/// 2. only when `prepay` is true: the principal (and any late fee) of future installments, nearest
///    first. Future fees and interest are never collected: a repayment covering all principal is an
///    early payoff and its caller waives them (`EarlyPayoffQuote`).
///
/// Whatever is left is `unapplied`; the caller refuses it rather than keep it.
public enum RepaymentWaterfall {
    /// Allocates `payment` over `installments` as of `asOf`. Pure: the input is not changed;
    /// the result carries the remaining balances.
    public static func allocate(
        payment: Money, to installments: [OpenInstallment], asOf: BusinessDate,
        strategy: AllocationStrategy = .dueDateOrder, prepay: Bool = true
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
        switch strategy {
        case .dueDateOrder:
            for i in all where ordered[i].isDue(asOf: asOf) {
                take(&lateFee[i], &paidLateFee[i])
                take(&fee[i], &paidFee[i])
                take(&principal[i], &paidPrincipal[i])
            }
            if prepay {
                for i in all where !ordered[i].isDue(asOf: asOf) {
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

    /// Everything already due on `asOf` (late fees, fees and principal of installments with dueDate ≤ asOf).
    public static func due(_ installments: [OpenInstallment], asOf: BusinessDate, currency: Currency) throws(CreditError) -> Money {
        let book = try OpenInstallmentBook(installments, currency: currency)
        let total = book.installments.filter { $0.isDue(asOf: asOf) }
            .reduce(Int64(0)) { $0 + $1.principal.minorUnits + $1.fee.minorUnits + $1.lateFee.minorUnits }
        return CreditMath.money(total, currency)
    }
}
