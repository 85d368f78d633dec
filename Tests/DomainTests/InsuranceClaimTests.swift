import Domain
import Foundation
import Testing

@Suite("Return shipping claim adjudication")
struct InsuranceClaimTests {
    typealias F = FinancingFixtures

    /// Active policy covering returns requested 2026-11-01 ... 2026-11-15, cap CNY 12.00.
    static func policy(status: ShippingPolicyStatus = .active, cap: String = "12.00") throws -> ShippingPolicy {
        try ShippingPolicy(status: status, coverageStart: F.date("2026-11-01"), coverageEnd: F.date("2026-11-15"), coverageCap: F.cny(cap))
    }

    static func risk(
        returns: Int = 1, threshold: Int = ClaimRiskSignals.defaultFrequentReturnerThreshold, reused: Bool = false,
        routeCost: String? = "8.00", multiplier: Decimal = ClaimRiskSignals.defaultRouteCostMultiplier
    ) throws -> ClaimRiskSignals {
        try ClaimRiskSignals(
            buyerReturnsLast30Days: returns, frequentReturnerThreshold: threshold, trackingNumberUsedOnAnotherClaim: reused,
            routeUsualCost: routeCost.map(F.cny), routeCostMultiplier: multiplier
        )
    }

    static func decide(
        policy: ShippingPolicy? = nil, requested: String = "2026-11-05", cost: String = "10.00",
        existing: Bool = false, risk: ClaimRiskSignals? = nil
    ) throws -> ClaimDecision {
        ClaimDecision.adjudicate(try ClaimRequest(
            policy: try policy ?? Self.policy(), returnRequestedOn: F.date(requested), actualShippingCost: F.cny(cost),
            claimAlreadyExists: existing, risk: try risk ?? Self.risk()
        ))
    }

    @Test("a clean claim within cover pays the actual cost")
    func pays() throws {
        #expect(try Self.decide(cost: "10.00") == .pay(F.cny("10.00")))
    }

    @Test("the payout is capped at the coverage cap", arguments: [
        ("12.00", "12.00"), ("12.01", "12.00"), ("23.50", "12.00"), ("11.99", "11.99"),
    ])
    func capped(cost: String, paid: String) throws {
        #expect(try Self.decide(cost: cost, risk: Self.risk(routeCost: nil)) == .pay(F.cny(paid)))
    }

    @Test("a policy that is not active is rejected", arguments: [ShippingPolicyStatus.cancelled, .expired])
    func policyNotActive(status: ShippingPolicyStatus) throws {
        #expect(try Self.decide(policy: Self.policy(status: status)) == .reject([.policyNotActive]))
    }

    @Test("the coverage window is inclusive at both ends", arguments: [
        ("2026-10-31", false), ("2026-11-01", true), ("2026-11-15", true), ("2026-11-16", false),
    ])
    func coverageWindow(requested: String, covered: Bool) throws {
        let decision = try Self.decide(requested: requested)
        #expect(decision == (covered ? .pay(F.cny("10.00")) : .reject([.outsideCoverageWindow])))
    }

    @Test("a second claim on the same policy is a duplicate")
    func duplicate() throws {
        #expect(try Self.decide(existing: true) == .reject([.duplicateClaim]))
    }

    @Test("nothing to pay is rejected as zero_amount", arguments: [("0.00", "12.00"), ("10.00", "0.00")])
    func zeroAmount(cost: String, cap: String) throws {
        #expect(try Self.decide(policy: Self.policy(cap: cap), cost: cost) == .reject([.zeroAmount]))
    }

    @Test("every rejection reason that applies is reported, and rejection wins over flags")
    func allReasons() throws {
        let decision = try Self.decide(
            policy: Self.policy(status: .expired), requested: "2026-12-01", cost: "0.00", existing: true,
            risk: Self.risk(returns: 9, reused: true)
        )
        #expect(decision == .reject([.policyNotActive, .outsideCoverageWindow, .duplicateClaim, .zeroAmount]))
    }

    @Test("a buyer with the threshold number of returns in 30 days sends the claim to review", arguments: [
        (4, 5, false), (5, 5, true), (12, 5, true), (2, 3, false), (3, 3, true),
    ])
    func frequentReturner(returns: Int, threshold: Int, flagged: Bool) throws {
        let decision = try Self.decide(risk: Self.risk(returns: returns, threshold: threshold))
        #expect(decision == (flagged ? .review(F.cny("10.00"), flags: [.frequentReturner]) : .pay(F.cny("10.00"))))
    }

    @Test("a tracking number already on another claim sends the claim to review")
    func trackingReused() throws {
        #expect(try Self.decide(risk: Self.risk(reused: true)) == .review(F.cny("10.00"), flags: [.trackingNumberReused]))
    }

    @Test("a cost above the route's usual cost × multiplier sends the claim to review", arguments: [
        // usual 4.00 × 3 = 12.00: 12.00 is not above, 12.01 is
        ("4.00", "3", "12.00", false), ("4.00", "3", "12.01", true),
        // multiplier 2.5: 4.00 × 2.5 = 10.00
        ("4.00", "2.5", "10.00", false), ("4.00", "2.5", "10.01", true),
    ])
    func costAboveRouteNorm(usual: String, multiplier: String, cost: String, flagged: Bool) throws {
        let decision = try Self.decide(cost: cost, risk: Self.risk(routeCost: usual, multiplier: F.dec(multiplier)))
        // The amount is capped at 12.00 either way; the flag compares the actual cost.
        let paid = Money.min(F.cny(cost), F.cny("12.00"))
        #expect(decision == (flagged ? .review(paid, flags: [.costAboveRouteNorm]) : .pay(paid)))
    }

    @Test("an unknown route cost raises no cost flag")
    func unknownRouteCost() throws {
        #expect(try Self.decide(cost: "11.00", risk: Self.risk(routeCost: nil)) == .pay(F.cny("11.00")))
    }

    @Test("all flags are listed together, with the capped amount")
    func allFlags() throws {
        let decision = try Self.decide(cost: "30.00", risk: Self.risk(returns: 6, reused: true, routeCost: "5.00"))
        #expect(decision == .review(F.cny("12.00"), flags: [.frequentReturner, .trackingNumberReused, .costAboveRouteNorm]))
    }

    @Test("reason and flag codes are stable snake_case")
    func codes() {
        #expect(ClaimRejectionReason.allCases.map(\.code) == ["policy_not_active", "outside_coverage_window", "duplicate_claim", "zero_amount"])
        #expect(ClaimFlag.allCases.map(\.code) == ["frequent_returner", "tracking_number_reused", "cost_above_route_norm"])
        #expect(ClaimRejectionReason.allCases.allSatisfy { !$0.detail.isEmpty })
        #expect(ClaimFlag.allCases.allSatisfy { !$0.detail.isEmpty })
    }

    @Test("malformed claim inputs are refused before adjudication")
    func inputValidation() throws {
        #expect(throws: ClaimInputError.coverageEndsBeforeStart) {
            try ShippingPolicy(status: .active, coverageStart: F.date("2026-11-02"), coverageEnd: F.date("2026-11-01"), coverageCap: F.cny("1.00"))
        }
        #expect(throws: ClaimInputError.negativeAmount) { try Self.policy(cap: "-1.00") }
        #expect(throws: ClaimInputError.negativeAmount) { try Self.decide(cost: "-0.01") }
        #expect(throws: ClaimInputError.negativeReturnCount) { try Self.risk(returns: -1) }
        #expect(throws: ClaimInputError.invalidThreshold) { try Self.risk(threshold: 0) }
        #expect(throws: ClaimInputError.invalidThreshold) { try Self.risk(multiplier: 0) }
        #expect(throws: ClaimInputError.negativeAmount) { try Self.risk(routeCost: "-1.00") }
        #expect(throws: ClaimInputError.currencyMismatch) {
            try ClaimRequest(policy: Self.policy(), returnRequestedOn: F.date("2026-11-05"), actualShippingCost: F.usd("1.00"),
                             claimAlreadyExists: false, risk: Self.risk())
        }
        #expect(throws: ClaimInputError.currencyMismatch) {
            try ClaimRequest(policy: Self.policy(), returnRequestedOn: F.date("2026-11-05"), actualShippingCost: F.cny("1.00"),
                             claimAlreadyExists: false,
                             risk: ClaimRiskSignals(buyerReturnsLast30Days: 0, trackingNumberUsedOnAnotherClaim: false, routeUsualCost: F.usd("1.00")))
        }
    }
}
