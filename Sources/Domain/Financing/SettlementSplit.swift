/// How the platform's payment for a financed receivable is divided at maturity.
///
/// The discount fee was deducted upfront at disbursement, so at maturity the financier is owed only
/// the advance outstanding. The payment repays that first; the remainder goes to the supplier. When
/// dilution left the payment below the advance, the supplier owes the difference (recourse).
///
/// Invariants: `payment == toFinancing + toSupplier` and `toFinancing + recourse == advanceOutstanding`.
public struct SettlementSplit: Hashable, Sendable {
    /// What the platform pays (usually the receivable's outstanding amount after dilution).
    public let payment: Money
    /// The advance not yet repaid.
    public let advanceOutstanding: Money
    /// Repays the advance: min(payment, advance outstanding).
    public let toFinancing: Money
    /// What is left for the supplier: payment − toFinancing.
    public let toSupplier: Money
    /// Owed by the supplier: advance outstanding − toFinancing (zero unless the payment fell short).
    public let recourse: Money

    /// Splits `payment` against `advanceOutstanding` (same currency, neither negative).
    public init(payment: Money, advanceOutstanding: Money) throws(SettlementError) {
        guard payment.currency == advanceOutstanding.currency else {
            throw .currencyMismatch(payment: payment.currency.code, advance: advanceOutstanding.currency.code)
        }
        guard !payment.isNegative else { throw .negativePayment }
        guard !advanceOutstanding.isNegative else { throw .negativeAdvanceOutstanding }
        let toFinancing = Money.min(payment, advanceOutstanding)
        // Both operands are non-negative and toFinancing is the smaller, so neither difference overflows.
        self.payment = payment
        self.advanceOutstanding = advanceOutstanding
        self.toFinancing = toFinancing
        self.toSupplier = Money(minorUnits: payment.minorUnits - toFinancing.minorUnits, currency: payment.currency)
        self.recourse = Money(
            minorUnits: advanceOutstanding.minorUnits - toFinancing.minorUnits, currency: payment.currency
        )
    }
}

/// Why a maturity settlement could not be split.
public enum SettlementError: Error, Equatable, Sendable, CustomStringConvertible {
    case currencyMismatch(payment: String, advance: String)
    case negativePayment
    case negativeAdvanceOutstanding

    public var description: String {
        switch self {
        case .currencyMismatch(let payment, let advance):
            "payment currency \(payment) differs from the advance's \(advance)"
        case .negativePayment: "payment must not be negative"
        case .negativeAdvanceOutstanding: "advance outstanding must not be negative"
        }
    }
}
