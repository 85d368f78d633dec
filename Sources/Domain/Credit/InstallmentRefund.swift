import Foundation

/// A partial refund that left principal owed: the plan continues with re-spread installments.
public struct RefundReamortization: Sendable, Hashable {
    public let refund: Money
    /// Outstanding principal before and after the refund (after = before − refund).
    public let principalBefore: Money
    public let principalAfter: Money
    /// The flat-fee base after the refund (feeBase − refund); future flat fees are priced on it.
    public let feeBase: Money
    /// Every input installment, in due order, with its new principal and fee.
    public let installments: [OpenInstallment]
}

/// A refund that covered all outstanding principal: the plan is cancelled.
public struct PlanCancellation: Sendable, Hashable {
    public let refund: Money
    /// The outstanding principal the refund extinguished.
    public let principalCleared: Money
    /// Late fees and already-due fees paid out of the refund's excess over principal.
    public let chargesSettled: Money
    /// Fees of installments not yet due, forgiven with the plan.
    public let waivedFees: Money
    /// Late fees and due fees the excess did not cover; the consumer still owes them.
    public let stillOwed: Money
    /// The refund's excess over everything owed, to be returned to the consumer.
    public let amountToReturn: Money
    /// What remains owed per installment (principal and future fees zero), in due order.
    public let remaining: [OpenInstallment]
}

/// How a merchant refund changed an installment plan.
public enum InstallmentRefundOutcome: Sendable, Hashable {
    case reamortized(RefundReamortization)
    case cancelled(PlanCancellation)
}

/// Applies a merchant refund (a returned item) to an installment plan.
///
/// - A refund below the outstanding principal lowers it by the refund and the plan keeps its method
///   over the installments that still owe principal (due ones included):
///   - flat fee (and interest-free): the new principal is spread evenly, remainder minor units to the
///     last, and each future fee becomes rounded((feeBase − refund) × rate), i.e. priced as if the
///     purchase had been smaller by the refund;
///   - declining balance: the new principal is re-amortised as an annuity over those m installments
///     (`InstallmentSchedule`'s formula: payment = P'·i / (1 − (1 + i)^−m), interest = rounded
///     balance × i, the last takes the remainder); future installments take its interest.
/// - Fees of installments already due (dueDate ≤ asOf) are earned and never change.
/// - A refund ≥ the outstanding principal cancels the plan: the refund clears the principal, the
///   future fees are waived (as in an early payoff), the excess pays late fees then due fees
///   (oldest first), and what is still left is returned to the consumer.
///
/// Every fee is rounded once with `rounding` (half-even by default).
public enum InstallmentRefund {
    /// Applies `refund` to the plan's `installments` on `asOf`.
    /// `feeBase` is the financed principal less earlier refunds (it must cover the outstanding principal).
    public static func apply(
        refund: Money,
        to installments: [OpenInstallment],
        asOf: BusinessDate,
        pricing: InstallmentPricing?,
        feeBase: Money,
        rounding rule: RoundingRule = .halfEven
    ) throws(CreditError) -> InstallmentRefundOutcome {
        let currency = refund.currency
        guard refund.isPositive else { throw .nonPositiveAmount(field: "refund") }
        try CreditMath.requireCurrency(feeBase, currency)
        if let pricing, pricing.monthlyRate < 0 { throw .invalidRate(field: "monthly rate") }
        let book = try OpenInstallmentBook(installments, currency: currency)
        let ordered = book.installments
        let outstanding = ordered.reduce(Int64(0)) { $0 + $1.principal.minorUnits }
        guard feeBase.minorUnits >= outstanding else {
            throw .invalidConfiguration("fee base is below the outstanding principal")
        }

        if refund.minorUnits >= outstanding {
            return .cancelled(try cancel(refund: refund, ordered: ordered, outstanding: outstanding, asOf: asOf))
        }

        let after = outstanding - refund.minorUnits
        let owing = ordered.indices.filter { ordered[$0].principal.isPositive }
        var principal = ordered.map(\.principal.minorUnits)
        let newFeeBase = feeBase.minorUnits - refund.minorUnits
        var fee = ordered.map(\.fee.minorUnits)
        switch pricing {
        case nil:
            let shares = CreditMath.money(after, currency).splitEvenly(into: owing.count)
            for (share, index) in zip(shares, owing) { principal[index] = share.minorUnits }
        case .flatMonthlyFee(let rate)?:
            let shares = CreditMath.money(after, currency).splitEvenly(into: owing.count)
            for (share, index) in zip(shares, owing) { principal[index] = share.minorUnits }
            let perPeriod = try CreditMath.round(Decimal(newFeeBase) * rate, rule)
            for i in ordered.indices where !ordered[i].isDue(asOf: asOf) { fee[i] = perPeriod }
        case .decliningBalance(let rate)?:
            // The plan keeps its method: the lower balance is re-amortised as an annuity over the
            // installments still owing principal (the same formula as the original schedule).
            let rows = try InstallmentSchedule.annuityRows(principal: after, monthlyRate: rate, periods: owing.count, rule)
            for (row, index) in zip(rows, owing) {
                principal[index] = row.principal
                if !ordered[index].isDue(asOf: asOf) { fee[index] = row.fee }
            }
            // A future installment whose principal was already prepaid carries no period of the new annuity.
            for i in ordered.indices where !ordered[i].isDue(asOf: asOf) && !owing.contains(i) { fee[i] = 0 }
        }

        let result = ordered.indices.map { i in
            OpenInstallment(
                number: ordered[i].number, dueDate: ordered[i].dueDate,
                principal: CreditMath.money(principal[i], currency),
                fee: CreditMath.money(fee[i], currency),
                lateFee: ordered[i].lateFee
            )
        }
        return .reamortized(RefundReamortization(
            refund: refund,
            principalBefore: CreditMath.money(outstanding, currency),
            principalAfter: CreditMath.money(after, currency),
            feeBase: CreditMath.money(newFeeBase, currency),
            installments: result
        ))
    }

    private static func cancel(
        refund: Money, ordered: [OpenInstallment], outstanding: Int64, asOf: BusinessDate
    ) throws(CreditError) -> PlanCancellation {
        let currency = refund.currency
        let quote = try EarlyPayoffQuote.quote(for: ordered, asOf: asOf, currency: currency)
        // What is left to settle once principal is gone and future fees are waived.
        let charges = ordered.map {
            OpenInstallment(
                number: $0.number, dueDate: $0.dueDate, principal: .zero(currency),
                fee: $0.isDue(asOf: asOf) ? $0.fee : .zero(currency), lateFee: $0.lateFee
            )
        }
        let excess = CreditMath.money(refund.minorUnits - outstanding, currency)
        let settled = try RepaymentWaterfall.allocate(payment: excess, to: charges, asOf: asOf)
        let chargesOwed = quote.lateFees.minorUnits + quote.dueFees.minorUnits
        let chargesSettled = settled.lateFeesPaid.minorUnits + settled.feesPaid.minorUnits
        return PlanCancellation(
            refund: refund,
            principalCleared: CreditMath.money(outstanding, currency),
            chargesSettled: CreditMath.money(chargesSettled, currency),
            waivedFees: quote.waivedFees,
            stillOwed: CreditMath.money(chargesOwed - chargesSettled, currency),
            amountToReturn: settled.unapplied,
            remaining: settled.remaining
        )
    }
}
