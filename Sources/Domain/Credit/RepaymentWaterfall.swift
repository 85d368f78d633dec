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
    /// Money left after everything owed was paid; zero unless the plan is fully settled.
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

/// Splits a repayment over a plan's open installments in a fixed order of priority.
///
/// Order (each step oldest due date first, ties by installment number):
/// 1. late fees of every installment;
/// 2. fees of installments already due (dueDate ≤ asOf);
/// 3. principal of installments already due;
/// 4. principal of future installments — an overpayment prepays the nearest future installment
///    first, so the plan shortens from the front and the consumer's next bill shrinks first;
/// 5. fees of future installments — the waterfall never waives a fee: waiving future fees is the
///    early-payoff decision (`EarlyPayoffQuote`), whose total is exactly what steps 1–4 consume.
///
/// Whatever is left after step 5 is `unapplied` (owed back or held as a credit by the caller).
public enum RepaymentWaterfall {
    /// Allocates `payment` over `installments` as of `asOf`. Pure: the input is not changed;
    /// the result carries the remaining balances.
    public static func allocate(
        payment: Money, to installments: [OpenInstallment], asOf: BusinessDate
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
        let due = all.filter { ordered[$0].isDue(asOf: asOf) }
        let future = all.filter { !ordered[$0].isDue(asOf: asOf) }

        for i in all { take(&lateFee[i], &paidLateFee[i]) }
        for i in due { take(&fee[i], &paidFee[i]) }
        for i in due { take(&principal[i], &paidPrincipal[i]) }
        for i in future { take(&principal[i], &paidPrincipal[i]) }
        for i in future { take(&fee[i], &paidFee[i]) }

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
}
