import Domain
import Foundation
import Testing

// Oracle: Python's fractions.Fraction (exact) for the factor and premium, decimal ROUND_DOWN for the
// commission:
//   factor = (n·claims + k·premiums·ELR) / ((n + k)·premiums·ELR), clamped to [1/2, 3]
//   premium = half_even(base_fen · factor); commission = down(premium · 0.15); insurer = premium − commission
// Each test's comment shows the numbers in fen.

@Suite("Return shipping insurance premium")
struct InsurancePremiumTests {
    static let apparel = ProductCategory("apparel")
    static let electronics = ProductCategory("electronics")
    static let shoes = ProductCategory("shoes")
    static let bags = ProductCategory("bags")
    static let toys = ProductCategory("toys")

    static func cny(_ text: String) -> Money { FinancingFixtures.cny(text) }
    static func dec(_ text: String) -> Decimal { FinancingFixtures.dec(text) }

    static func table(
        k: String = "100", bounds: ClosedRange<Decimal>? = nil, commission: String = "0.15"
    ) throws -> PremiumRatingTable {
        let elr = dec("0.6")
        return try PremiumRatingTable(
            rates: [
                apparel: try CategoryRate(basePremium: cny("0.80"), expectedLossRatio: elr),
                electronics: try CategoryRate(basePremium: cny("10.00"), expectedLossRatio: elr),
                shoes: try CategoryRate(basePremium: cny("0.90"), expectedLossRatio: elr),
                bags: try CategoryRate(basePremium: cny("1.10"), expectedLossRatio: elr),
                toys: try CategoryRate(basePremium: cny("0.99"), expectedLossRatio: elr),
            ],
            credibilityConstant: dec(k),
            factorBounds: bounds ?? PremiumRatingTable.defaultFactorBounds,
            commissionRate: dec(commission)
        )
    }

    static func seller(_ n: Int, premiums: String, claims: String) throws -> SellerExperience {
        try SellerExperience(policiesEarned: n, premiumsEarned: cny(premiums), claimsPaid: cny(claims))
    }

    @Test("a quote shows base, credibility, loss ratio, factor, premium, commission and insurer share")
    func fullQuote() throws {
        // n 300, k 100 → Z = 0.75; LR = 21,600 / 24,000 = 0.9; 0.9 / 0.6 = 1.5
        // factor = 0.75 × 1.5 + 0.25 = 1.375; premium = 80 × 1.375 = 110
        // commission = down(110 × 0.15 = 16.5) = 16; insurer = 94
        let quote = try Self.table().quote(category: Self.apparel, experience: Self.seller(300, premiums: "240.00", claims: "216.00"))
        #expect(quote.category == Self.apparel)
        #expect(quote.basePremium == Self.cny("0.80"))
        #expect(quote.policiesEarned == 300)
        #expect(quote.credibility == Self.dec("0.75"))
        #expect(quote.sellerLossRatio == Self.dec("0.9"))
        #expect(quote.expectedLossRatio == Self.dec("0.6"))
        #expect(quote.unclampedFactor == Self.dec("1.375"))
        #expect(quote.experienceFactor == Self.dec("1.375"))
        #expect(!quote.isFactorClamped)
        #expect(quote.premium == Self.cny("1.10"))
        #expect(quote.commissionRate == Self.dec("0.15"))
        #expect(quote.commission == Self.cny("0.16"))
        #expect(quote.insurerShare == Self.cny("0.94"))
    }

    @Test("a seller with no policies earned pays exactly the base premium, whatever its loss ratio")
    func noCredibility() throws {
        // n = 0 → Z = 0 → factor = 1 exactly, even with LR = 1,000.00 / 10.00 = 100
        let quote = try Self.table().quote(category: Self.apparel, experience: Self.seller(0, premiums: "10.00", claims: "1000.00"))
        #expect(quote.credibility == 0)
        #expect(quote.sellerLossRatio == Self.dec("100"))
        #expect(quote.experienceFactor == 1)
        #expect(quote.unclampedFactor == 1)
        #expect(quote.premium == Self.cny("0.80"))
        #expect(quote.commission == Self.cny("0.12"))  // down(80 × 0.15 = 12)
        #expect(quote.insurerShare == Self.cny("0.68"))
        let newcomer = try Self.table().quote(category: Self.apparel, experience: .none(.cny))
        #expect(newcomer.experienceFactor == 1)
        #expect(newcomer.premium == Self.cny("0.80"))
    }

    @Test("with a huge record the factor approaches the seller's loss ratio over the expected one")
    func fullCredibility() throws {
        // n = 10⁹: factor = (10⁹ × 1.5 + 100) / (10⁹ + 100) = 1.49999995000000499… ; premium = 80 × that
        // = 119.999996… → 120
        let quote = try Self.table().quote(
            category: Self.apparel, experience: Self.seller(1_000_000_000, premiums: "240.00", claims: "216.00")
        )
        #expect(quote.credibility > Self.dec("0.9999998"))
        #expect(quote.credibility < 1)
        #expect(abs(quote.experienceFactor - Self.dec("1.5")) < Self.dec("0.0000001"))
        #expect(quote.experienceFactor < Self.dec("1.5"))
        #expect(quote.premium == Self.cny("1.20"))
    }

    @Test("the factor is clamped to [0.5, 3.0] and the quote says so", arguments: [
        // LR 18,000 / 6,000 = 3 → 3 / 0.6 = 5; 0.75 × 5 + 0.25 = 4.0 → 3.0; premium 240, commission 36
        ("180.00", "4", "3", "2.40", "0.36", "2.04"),
        // LR 0 → 0.75 × 0 + 0.25 = 0.25 → 0.5; premium 40, commission down(6.0) = 6
        ("0.00", "0.25", "0.5", "0.40", "0.06", "0.34"),
    ])
    func clamping(claims: String, unclamped: String, factor: String, premium: String, commission: String, insurer: String) throws {
        let quote = try Self.table().quote(category: Self.apparel, experience: Self.seller(300, premiums: "60.00", claims: claims))
        #expect(quote.unclampedFactor == Self.dec(unclamped))
        #expect(quote.experienceFactor == Self.dec(factor))
        #expect(quote.isFactorClamped)
        #expect(quote.premium == Self.cny(premium))
        #expect(quote.commission == Self.cny(commission))
        #expect(quote.insurerShare == Self.cny(insurer))
    }

    @Test("the premium is rounded half to even, once", arguments: [
        // n 100 → Z 0.5; LR 5,100 / 8,000 = 0.6375 → 1.0625; factor 1.03125; 80 × 1.03125 = 82.5 → 82
        ("apparel", 100, "80.00", "51.00", "0.82", "0.12"),
        // LR 5,220 / 8,000 = 0.6525 → 1.0875; factor 1.04375; 80 × 1.04375 = 83.5 → 84
        ("apparel", 100, "80.00", "52.20", "0.84", "0.12"),
        // n 50 → Z = 1/3 (not a finite decimal); LR 1.05 → 1.75; factor = 1.75/3 + 2/3 = 5/4 exactly;
        // 90 × 5/4 = 112.5 → 112 and 110 × 5/4 = 137.5 → 138: exact ties despite the thirds
        ("shoes", 50, "100.00", "105.00", "1.12", "0.16"),
        ("bags", 50, "100.00", "105.00", "1.38", "0.20"),
        // n 100 → Z 0.5; LR 8,000 / 10,000 = 0.8 → 4/3; factor = 7/6 (1.1666…, not a finite decimal);
        // 99 × 7/6 = 115.5 exactly → 116; commission down(17.4) = 17. Multiplying by the quotient
        // 1.1666…66 (Foundation truncates it to 38 digits) would give 115.4999… → 115.
        ("toys", 100, "100.00", "80.00", "1.16", "0.17"),
        // n 7 → Z = 7/107; LR 14,400 / 6,000 = 2.4 → 4; factor = 128/107; 1,000 × 128/107 = 1,196.26… → 1,196;
        // commission down(179.4) = 179
        ("electronics", 7, "60.00", "144.00", "11.96", "1.79"),
    ])
    func premiumRounding(category: String, n: Int, premiums: String, claims: String, premium: String, commission: String) throws {
        let quote = try Self.table().quote(category: ProductCategory(category), experience: Self.seller(n, premiums: premiums, claims: claims))
        #expect(quote.premium == Self.cny(premium))
        #expect(quote.commission == Self.cny(commission))
        #expect(try quote.commission.adding(quote.insurerShare) == quote.premium)
    }

    @Test("the credibility constant and commission rate are configurable")
    func configuration() throws {
        // k 50, n 50 → Z 0.5; factor 0.5 × 1.5 + 0.5 = 1.25; premium 100; commission down(100 × 0.2) = 20
        let quote = try Self.table(k: "50", commission: "0.2")
            .quote(category: Self.apparel, experience: Self.seller(50, premiums: "240.00", claims: "216.00"))
        #expect(quote.credibility == Self.dec("0.5"))
        #expect(quote.premium == Self.cny("1.00"))
        #expect(quote.commission == Self.cny("0.20"))
        #expect(quote.insurerShare == Self.cny("0.80"))
        // Custom bounds [0.9, 1.2]: the same seller's 1.25 is capped at 1.2 → 96
        let capped = try Self.table(k: "50", bounds: Self.dec("0.9")...Self.dec("1.2"))
            .quote(category: Self.apparel, experience: Self.seller(50, premiums: "240.00", claims: "216.00"))
        #expect(capped.premium == Self.cny("0.96"))
        #expect(capped.isFactorClamped)
    }

    @Test("a seller with policies but no earned premium has no loss ratio and factor 1")
    func noEarnedPremium() throws {
        let quote = try Self.table().quote(category: Self.apparel, experience: Self.seller(500, premiums: "0.00", claims: "30.00"))
        #expect(quote.sellerLossRatio == nil)
        #expect(quote.experienceFactor == 1)
        #expect(quote.premium == Self.cny("0.80"))
    }

    @Test("an unconfigured category cannot be quoted")
    func unknownCategory() throws {
        #expect(throws: PremiumRatingError.unknownCategory(ProductCategory("furniture"))) {
            try Self.table().quote(category: ProductCategory("furniture"), experience: .none(.cny))
        }
    }

    @Test("loss ratio is claims paid over premiums earned, undefined without premiums")
    func lossRatio() throws {
        #expect(try LossRatio.of(claimsPaid: Self.cny("216.00"), premiumsEarned: Self.cny("240.00")) == Self.dec("0.9"))
        #expect(try LossRatio.of(claimsPaid: Self.cny("0.00"), premiumsEarned: Self.cny("240.00")) == 0)
        #expect(try LossRatio.of(claimsPaid: Self.cny("480.00"), premiumsEarned: Self.cny("240.00")) == 2)
        #expect(try LossRatio.of(claimsPaid: Self.cny("5.00"), premiumsEarned: Self.cny("0.00")) == nil)
        #expect(throws: PremiumRatingError.currencyMismatch("USD", "CNY")) {
            try LossRatio.of(claimsPaid: FinancingFixtures.usd("1.00"), premiumsEarned: Self.cny("1.00"))
        }
        #expect(throws: PremiumRatingError.negativeExperience) {
            try LossRatio.of(claimsPaid: Self.cny("-1.00"), premiumsEarned: Self.cny("1.00"))
        }
        #expect(throws: PremiumRatingError.negativeExperience) {
            try SellerExperience(policiesEarned: -1, premiumsEarned: Self.cny("1.00"), claimsPaid: Self.cny("0.00"))
        }
    }

    @Test("the rating table refuses impossible configuration")
    func tableValidation() {
        #expect(throws: PremiumRatingError.nonPositiveCredibilityConstant(0)) { try Self.table(k: "0") }
        #expect(throws: PremiumRatingError.commissionRateOutOfRange(Self.dec("1.5"))) { try Self.table(commission: "1.5") }
        #expect(throws: PremiumRatingError.commissionRateOutOfRange(Self.dec("-0.1"))) { try Self.table(commission: "-0.1") }
        #expect(throws: PremiumRatingError.invalidFactorBounds(lower: Self.dec("1.1"), upper: 2)) {
            try Self.table(bounds: Self.dec("1.1")...2)
        }
        #expect(throws: PremiumRatingError.invalidFactorBounds(lower: 0, upper: 2)) { try Self.table(bounds: 0...2) }
        #expect(throws: PremiumRatingError.nonPositiveBasePremium) {
            try CategoryRate(basePremium: Self.cny("0.00"), expectedLossRatio: 1)
        }
        #expect(throws: PremiumRatingError.nonPositiveExpectedLossRatio(0)) {
            try CategoryRate(basePremium: Self.cny("0.80"), expectedLossRatio: 0)
        }
        #expect(PremiumRatingTable.defaultFactorBounds == Self.dec("0.5")...Self.dec("3.0"))
        #expect(PremiumRatingTable.defaultCommissionRate == Self.dec("0.15"))
        #expect(PremiumRatingTable.defaultCredibilityConstant == 100)
    }
}
