/// Why an installment-credit rule refused its input. Each case reads as a validation message.
public enum CreditError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The product does not offer this number of installments.
    case tenorNotOffered(Int)
    /// The product offers the tenor but has no pricing for it.
    case noPricing(tenor: Int)
    /// A principal, payment or refund that must be positive was zero or negative.
    case nonPositiveAmount(field: String)
    /// An amount that must not be negative was negative.
    case negativeAmount(field: String)
    /// A rate or fraction was negative or out of its range.
    case invalidRate(field: String)
    /// A product, scorecard or limit-table setting is inconsistent.
    case invalidConfiguration(String)
    /// An input feature of the scorecard is out of its range.
    case invalidFeature(String)
    /// Amounts of different currencies were combined.
    case currencyMismatch(expected: String, found: String)
    /// Two open installments share a number.
    case duplicateInstallmentNumber(Int)
    /// A result does not fit in Int64 minor units.
    case overflow
    /// A limit decrease would go below what is outstanding and held (that amount, as a decimal string).
    case limitBelowUsed(String)
    /// A recovery would exceed what was written off and not yet recovered (that amount).
    case recoveryAboveWrittenOff(String)

    public var description: String {
        switch self {
        case .tenorNotOffered(let tenor): "\(tenor) installments are not offered by this product"
        case .noPricing(let tenor): "the product has no pricing for \(tenor) installments"
        case .nonPositiveAmount(let field): "\(field) must be positive"
        case .negativeAmount(let field): "\(field) must not be negative"
        case .invalidRate(let field): "\(field) is out of range"
        case .invalidConfiguration(let why): "invalid configuration: \(why)"
        case .invalidFeature(let field): "\(field) is out of range"
        case .currencyMismatch(let expected, let found): "expected \(expected), found \(found)"
        case .duplicateInstallmentNumber(let number): "installment \(number) appears twice"
        case .overflow: "amount is too large"
        case .limitBelowUsed(let used): "must not be below what is outstanding and held (\(used))"
        case .recoveryAboveWrittenOff(let left): "exceeds what was written off and not yet recovered (\(left))"
        }
    }
}
