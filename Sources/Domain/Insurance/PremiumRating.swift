import Foundation

/// A product category that return shipping insurance is priced by ("apparel", "electronics", ...).
public struct ProductCategory: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
}

/// A category's base premium per policy and the loss ratio it is priced for.
public struct CategoryRate: Hashable, Sendable {
    /// Premium per policy before experience rating (e.g. CNY 0.80 for apparel).
    public let basePremium: Money
    /// Claims paid / premiums earned the base premium is priced to expect, > 0 (e.g. 0.65).
    public let expectedLossRatio: Decimal

    public init(basePremium: Money, expectedLossRatio: Decimal) throws(PremiumRatingError) {
        guard basePremium.isPositive else { throw .nonPositiveBasePremium }
        guard expectedLossRatio > 0 else { throw .nonPositiveExpectedLossRatio(expectedLossRatio) }
        self.basePremium = basePremium
        self.expectedLossRatio = expectedLossRatio
    }
}

/// Claims paid / premiums earned.
public enum LossRatio {
    /// The exact ratio, or nil when no premium has been earned (the ratio is undefined, not zero).
    public static func of(claimsPaid: Money, premiumsEarned: Money) throws(PremiumRatingError) -> Decimal? {
        guard claimsPaid.currency == premiumsEarned.currency else {
            throw .currencyMismatch(claimsPaid.currency.code, premiumsEarned.currency.code)
        }
        guard !claimsPaid.isNegative, !premiumsEarned.isNegative else { throw .negativeExperience }
        guard premiumsEarned.isPositive else { return nil }
        return Decimal(claimsPaid.minorUnits) / Decimal(premiumsEarned.minorUnits)
    }
}

/// A seller's own insurance history, the input to experience rating.
public struct SellerExperience: Hashable, Sendable {
    /// Policies earned (n in the credibility formula).
    public let policiesEarned: Int
    public let premiumsEarned: Money
    public let claimsPaid: Money
    /// claimsPaid / premiumsEarned, nil when no premium was earned.
    public let lossRatio: Decimal?

    public init(policiesEarned: Int, premiumsEarned: Money, claimsPaid: Money) throws(PremiumRatingError) {
        guard policiesEarned >= 0 else { throw .negativeExperience }
        self.lossRatio = try LossRatio.of(claimsPaid: claimsPaid, premiumsEarned: premiumsEarned)
        self.policiesEarned = policiesEarned
        self.premiumsEarned = premiumsEarned
        self.claimsPaid = claimsPaid
    }

    /// A seller with no history: factor 1.0, base premium.
    public static func none(_ currency: Currency) -> SellerExperience {
        SellerExperience(uncheckedPolicies: 0, premiums: .zero(currency), claims: .zero(currency))
    }

    private init(uncheckedPolicies: Int, premiums: Money, claims: Money) {
        self.policiesEarned = uncheckedPolicies
        self.premiumsEarned = premiums
        self.claimsPaid = claims
        self.lossRatio = nil
    }
}

/// The pricing configuration of return shipping insurance: base rates per category, credibility
/// constant, factor bounds and the platform's commission.
///
/// experience factor = Z × (seller loss ratio / category expected loss ratio) + (1 − Z) × 1.0,
/// Z = n / (n + k). The factor is clamped to `factorBounds` (default 0.5...3.0): the floor keeps a
/// premium that still covers the insurer's expenses however good a seller's record, the ceiling keeps
/// a bad seller's premium from growing without bound — such sellers belong in underwriting review,
/// not in an ever higher automatic price. A seller with no earned premium has an undefined loss ratio
/// and gets factor 1.0 (its relativity is taken as 1, whatever n is).
public struct PremiumRatingTable: Hashable, Sendable {
    public let rates: [ProductCategory: CategoryRate]
    /// k in Z = n / (n + k): the number of policies at which a seller's record gets half the weight.
    public let credibilityConstant: Decimal
    /// The experience factor is clamped into this range (must contain 1).
    public let factorBounds: ClosedRange<Decimal>
    /// The platform's share of each premium, rounded down; the insurer gets the rest.
    public let commissionRate: Decimal

    public static let defaultCredibilityConstant = Decimal(100)
    public static let defaultFactorBounds: ClosedRange<Decimal> =
        Decimal(sign: .plus, exponent: -1, significand: 5)...Decimal(3)
    public static let defaultCommissionRate = Decimal(sign: .plus, exponent: -2, significand: 15)

    public init(
        rates: [ProductCategory: CategoryRate],
        credibilityConstant: Decimal = PremiumRatingTable.defaultCredibilityConstant,
        factorBounds: ClosedRange<Decimal> = PremiumRatingTable.defaultFactorBounds,
        commissionRate: Decimal = PremiumRatingTable.defaultCommissionRate
    ) throws(PremiumRatingError) {
        guard credibilityConstant > 0 else { throw .nonPositiveCredibilityConstant(credibilityConstant) }
        guard factorBounds.lowerBound > 0, factorBounds.contains(1) else {
            throw .invalidFactorBounds(lower: factorBounds.lowerBound, upper: factorBounds.upperBound)
        }
        guard commissionRate >= 0, commissionRate <= 1 else { throw .commissionRateOutOfRange(commissionRate) }
        self.rates = rates
        self.credibilityConstant = credibilityConstant
        self.factorBounds = factorBounds
        self.commissionRate = commissionRate
    }

    /// Prices one policy in `category` for a seller with `experience`.
    /// premium = round_half_even(base × factor), once; commission = round_down(premium × commission rate);
    /// insurer share = premium − commission.
    public func quote(category: ProductCategory, experience: SellerExperience) throws(PremiumRatingError) -> PremiumQuote {
        guard let rate = rates[category] else { throw .unknownCategory(category) }
        let n = Decimal(experience.policiesEarned)
        let k = credibilityConstant
        let credibility = n / (n + k)
        // factor = Z × LR/ELR + (1 − Z) = (n × claims + k × premiums × ELR) / ((n + k) × premiums × ELR).
        // Kept as one exact fraction so the premium is divided once: separate divisions for Z and
        // LR/ELR would each round to 38 digits and could turn an exact half-fen tie into a near-tie.
        let fraction: (numerator: Decimal, denominator: Decimal)
        if experience.lossRatio != nil {
            let premiums = Decimal(experience.premiumsEarned.minorUnits) * rate.expectedLossRatio
            fraction = (n * Decimal(experience.claimsPaid.minorUnits) + k * premiums, (n + k) * premiums)
        } else {
            fraction = (1, 1)  // no earned premium: relativity 1, so the factor is 1 whatever Z is
        }
        let unclamped = fraction.numerator / fraction.denominator
        let lower = factorBounds.lowerBound
        let upper = factorBounds.upperBound
        // Clamp by exact comparison of the fraction (denominator > 0), not of its rounded quotient.
        let base = Decimal(rate.basePremium.minorUnits)
        let factor: Decimal
        let exactPremium: Decimal
        let isClamped: Bool
        if fraction.numerator < lower * fraction.denominator {
            (factor, exactPremium, isClamped) = (lower, base * lower, true)
        } else if fraction.numerator > upper * fraction.denominator {
            (factor, exactPremium, isClamped) = (upper, base * upper, true)
        } else {
            (factor, exactPremium, isClamped) = (unclamped, base * fraction.numerator / fraction.denominator, false)
        }
        do throws(MoneyError) {
            let premium = try Money.rounding(minorUnits: exactPremium, currency: rate.basePremium.currency, .halfEven)
            let commission = try premium.multiplied(by: commissionRate, .down)
            let insurerShare = try premium.subtracting(commission)
            return PremiumQuote(
                category: category, basePremium: rate.basePremium, policiesEarned: experience.policiesEarned,
                credibility: credibility, sellerLossRatio: experience.lossRatio,
                expectedLossRatio: rate.expectedLossRatio, unclampedFactor: unclamped, experienceFactor: factor,
                premium: premium, commissionRate: commissionRate, commission: commission, insurerShare: insurerShare,
                isFactorClamped: isClamped
            )
        } catch {
            throw .money(error)
        }
    }
}

/// A priced return shipping policy with every step of the calculation shown.
public struct PremiumQuote: Hashable, Sendable {
    public let category: ProductCategory
    public let basePremium: Money
    /// n, the seller's policies earned.
    public let policiesEarned: Int
    /// Z = n / (n + k), exact to Decimal precision (not rounded).
    public let credibility: Decimal
    /// The seller's claims paid / premiums earned; nil when no premium was earned.
    public let sellerLossRatio: Decimal?
    public let expectedLossRatio: Decimal
    /// The experience factor before clamping (exact to Decimal's 38 digits; display only).
    public let unclampedFactor: Decimal
    /// The experience factor applied, clamped into the table's bounds.
    public let experienceFactor: Decimal
    /// round_half_even(basePremium × experienceFactor), computed from the exact fraction.
    public let premium: Money
    public let commissionRate: Decimal
    /// round_down(premium × commissionRate): the platform's share.
    public let commission: Money
    /// premium − commission.
    public let insurerShare: Money

    /// Whether the factor hit a bound.
    public let isFactorClamped: Bool
}

/// Why a premium could not be quoted or a rating configuration was refused.
public enum PremiumRatingError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownCategory(ProductCategory)
    case nonPositiveBasePremium
    case nonPositiveExpectedLossRatio(Decimal)
    case nonPositiveCredibilityConstant(Decimal)
    case invalidFactorBounds(lower: Decimal, upper: Decimal)
    case commissionRateOutOfRange(Decimal)
    case currencyMismatch(String, String)
    case negativeExperience
    case money(MoneyError)

    public var description: String {
        switch self {
        case .unknownCategory(let category): "no base premium configured for category \"\(category)\""
        case .nonPositiveBasePremium: "base premium must be positive"
        case .nonPositiveExpectedLossRatio(let ratio): "expected loss ratio \(ratio) must be positive"
        case .nonPositiveCredibilityConstant(let k): "credibility constant \(k) must be positive"
        case .invalidFactorBounds(let lower, let upper):
            "factor bounds \(lower)...\(upper) must be positive and contain 1"
        case .commissionRateOutOfRange(let rate): "commission rate \(rate) must be between 0 and 1"
        case .currencyMismatch(let a, let b): "claims and premiums must share a currency, got \(a) and \(b)"
        case .negativeExperience: "policies, premiums and claims must not be negative"
        case .money(let error): "money arithmetic failed: \(error)"
        }
    }
}
