/// What it costs to settle a plan in full on a date: all principal, all late fees, and the fees of
/// installments already due; the fees of installments not yet due are waived.
public struct EarlyPayoffQuote: Sendable, Hashable {
    public let asOf: BusinessDate
    /// All outstanding principal, due or not.
    public let principal: Money
    /// All unpaid late fees.
    public let lateFees: Money
    /// Unpaid fees of installments with dueDate ≤ asOf.
    public let dueFees: Money
    /// Unpaid fees of installments with dueDate > asOf, forgiven by paying off today.
    public let waivedFees: Money
    /// principal + lateFees + dueFees: the amount to collect.
    public let total: Money

    /// Quotes the payoff of `installments` on `asOf`. Paying `total` through `RepaymentWaterfall`
    /// on the same date clears everything except `waivedFees`, which the caller then writes off.
    public static func quote(
        for installments: [OpenInstallment], asOf: BusinessDate, currency: Currency
    ) throws(CreditError) -> EarlyPayoffQuote {
        // The book proves the grand total fits in Int64, so the partial sums below cannot overflow.
        let book = try OpenInstallmentBook(installments, currency: currency)
        var principal: Int64 = 0
        var lateFees: Int64 = 0
        var dueFees: Int64 = 0
        var waivedFees: Int64 = 0
        for installment in book.installments {
            principal += installment.principal.minorUnits
            lateFees += installment.lateFee.minorUnits
            if installment.isDue(asOf: asOf) {
                dueFees += installment.fee.minorUnits
            } else {
                waivedFees += installment.fee.minorUnits
            }
        }
        return EarlyPayoffQuote(
            asOf: asOf,
            principal: CreditMath.money(principal, currency),
            lateFees: CreditMath.money(lateFees, currency),
            dueFees: CreditMath.money(dueFees, currency),
            waivedFees: CreditMath.money(waivedFees, currency),
            total: CreditMath.money(principal + lateFees + dueFees, currency)
        )
    }
}
