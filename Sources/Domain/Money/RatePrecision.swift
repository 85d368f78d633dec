import Foundation

/// Rates are stored with a fixed number of decimal places (NUMERIC(p, s)); a rate with more places
/// would be priced one way before it is stored and another way after it is read back, so it is refused.
public enum RatePrecision {
    /// Decimal places of consumer-credit rates (credit_products / credit_product_tenors: NUMERIC(12, 8)).
    public static let creditScale = 8
    /// Decimal places of supplier-financing rates (financing lines: NUMERIC(9, 6)).
    public static let financingScale = 6

    /// Whether `value` has at most `scale` significant decimal places (trailing zeros do not count).
    public static func fits(_ value: Decimal, scale: Int) -> Bool {
        var input = value
        var rounded = Decimal()
        NSDecimalRound(&rounded, &input, scale, .plain)
        return rounded == value
    }
}
