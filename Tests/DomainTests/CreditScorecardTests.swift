import Foundation
import Testing
import Domain

private typealias F = CreditFixtures

@Suite("Credit scorecard")
struct CreditScorecardTests {
    static let strong = CreditFeatures(
        accountAgeMonths: 60, orders12m: 40, spend12m: F.cny(3_000_000), returnRate: 0,
        distinctDeliveryAddresses: 2, onTimeRepaymentRatio: 1, priorOverdueCount: 0
    )
    static let newcomer = CreditFeatures(
        accountAgeMonths: 1, orders12m: 0, spend12m: F.cny(0), returnRate: 0,
        distinctDeliveryAddresses: 1, onTimeRepaymentRatio: nil, priorOverdueCount: 0
    )

    @Test("a strong consumer scores the maximum, gets the top limit and no reasons")
    func strongConsumer() throws {
        let result = try Scorecard.standard.score(Self.strong)
        #expect(result.score == 850)
        #expect(result.limit == F.cny(5_000_000))
        #expect(result.reasons.isEmpty)
        #expect(!result.isDeclined)
    }

    @Test("a newcomer is declined and told which features held the score down")
    func newcomerDeclined() throws {
        let result = try Scorecard.standard.score(Self.newcomer)
        // 300 + 0 + 0 + 0 + 70 + 50 + 40 (no history) + 50.
        #expect(result.score == 510)
        #expect(result.isDeclined)
        #expect(result.limit == F.cny(0))
        // Shortfalls 100, 80, 80, 80 (no history): ties keep the feature order.
        #expect(result.reasons == ["short_account_history", "few_orders", "low_spend"])
    }

    @Test("reasons are the three largest shortfalls, largest first")
    func reasonsOrder() throws {
        var features = Self.strong
        features.returnRate = F.rate("0.4")           // 0 of 70
        features.distinctDeliveryAddresses = 9        // 0 of 50
        features.priorOverdueCount = 1                // 25 of 50
        features.onTimeRepaymentRatio = F.rate("0.97") // 90 of 120
        let result = try Scorecard.standard.score(features)
        #expect(result.score == 850 - 70 - 50 - 25 - 30)
        #expect(result.reasons == ["high_return_rate", "many_delivery_addresses", "poor_repayment_history"])
        #expect(result.limit == F.cny(800_000))
    }

    @Test("the result lists every feature's points, which add up to the score")
    func explainable() throws {
        let features = CreditFeatures(
            accountAgeMonths: 14, orders12m: 7, spend12m: F.cny(650_000), returnRate: F.rate("0.12"),
            distinctDeliveryAddresses: 4, onTimeRepaymentRatio: F.rate("0.9"), priorOverdueCount: 2
        )
        let result = try Scorecard.standard.score(features)
        #expect(result.features.map(\.feature) == CreditFeature.allCases)
        #expect(result.features.map(\.points) == [60, 60, 60, 30, 35, 60, 10])
        #expect(result.features.map(\.maxPoints) == [100, 80, 80, 70, 50, 120, 50])
        #expect(result.score == result.basePoints + result.features.reduce(0) { $0 + $1.points })
        #expect(result.score == 615)
        #expect(result.limit == F.cny(300_000))
        #expect(result.features[2].value == "6500")
        #expect(result.reasons == ["poor_repayment_history", "short_account_history", "high_return_rate"])
    }

    @Test("bands switch exactly at their lower bounds")
    func bandEdges() {
        let card = Scorecard.standard
        #expect(card.accountAge.points(for: 2) == 0)
        #expect(card.accountAge.points(for: 3) == 20)
        #expect(card.returnRate.points(for: F.rate("0.0499")) == 70)
        #expect(card.returnRate.points(for: F.rate("0.05")) == 50)
        #expect(card.spend.points(for: F.rate("499.99")) == 0)
        #expect(card.spend.points(for: 500) == 20)
        #expect(card.onTimeRepayment.points(for: F.rate("0.9999")) == 90)
        #expect(card.onTimeRepayment.points(for: 1) == 120)
    }

    @Test("a consumer without repayment history gets its own reason, one with a poor record another")
    func repaymentHistoryReasons() throws {
        var features = Self.strong
        features.onTimeRepaymentRatio = nil
        let none = try Scorecard.standard.score(features)
        #expect(none.reasons == ["no_repayment_history"])
        #expect(none.features[5].value == "none")
        #expect(none.score == 850 - 80)
        features.onTimeRepaymentRatio = F.rate("0.5")
        let poor = try Scorecard.standard.score(features)
        #expect(poor.reasons == ["poor_repayment_history"])
        #expect(poor.score == 850 - 120)
    }

    @Test("the standard limit table declines below 550 and steps up to 50,000.00 at 750", arguments: [
        (549, Int64(0)), (550, 1_000_00), (599, 1_000_00), (600, 3_000_00), (650, 8_000_00),
        (700, 20_000_00), (749, 20_000_00), (750, 50_000_00), (850, 50_000_00),
    ])
    func limits(score: Int, limit: Int64) {
        #expect(CreditLimitTable.standard.limit(forScore: score) == F.cny(limit))
    }

    @Test("a configured scorecard changes base points, reason count and limits")
    func configurable() throws {
        var card = Scorecard.standard
        card.basePoints = 400
        card.reasonCount = 1
        card.limits = CreditLimitTable(currency: .cny, tiers: [LimitTier(minScore: 600, limit: F.cny(200_000))])
        let result = try card.score(Self.newcomer)
        #expect(result.score == 610)
        #expect(result.limit == F.cny(200_000))
        #expect(result.reasons == ["short_account_history"])
    }

    @Test("out-of-range features, spend in another currency and a broken configuration are refused")
    func refusals() {
        var features = Self.strong
        features.returnRate = F.rate("1.5")
        #expect(throws: CreditError.invalidFeature("return_rate")) { try Scorecard.standard.score(features) }
        features = Self.strong
        features.orders12m = -1
        #expect(throws: CreditError.invalidFeature("orders_12m")) { try Scorecard.standard.score(features) }
        features = Self.strong
        features.onTimeRepaymentRatio = F.rate("1.01")
        #expect(throws: CreditError.invalidFeature("on_time_repayment_ratio")) { try Scorecard.standard.score(features) }
        features = Self.strong
        features.spend12m = Money(minorUnits: 100, currency: .usd)
        #expect(throws: CreditError.currencyMismatch(expected: "CNY", found: "USD")) {
            try Scorecard.standard.score(features)
        }
        var card = Scorecard.standard
        card.orders = FeatureBands(reasonCode: "few_orders", bands: [
            ScoreBand(atLeast: 5, points: 10), ScoreBand(atLeast: 1, points: 20),
        ])
        #expect(throws: CreditError.invalidConfiguration("orders_12m bands must ascend strictly")) {
            try card.score(Self.strong)
        }
    }
}
