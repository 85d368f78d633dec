import Foundation

/// A return shipping policy's status.
public enum ShippingPolicyStatus: String, Sendable, Codable, CaseIterable {
    case active, cancelled, expired
}

/// The parts of a return shipping policy that decide a claim.
public struct ShippingPolicy: Hashable, Sendable {
    public let status: ShippingPolicyStatus
    /// First day a return may be requested under the policy (inclusive).
    public let coverageStart: BusinessDate
    /// Last day a return may be requested under the policy (inclusive).
    public let coverageEnd: BusinessDate
    /// The most a claim pays.
    public let coverageCap: Money

    public init(
        status: ShippingPolicyStatus, coverageStart: BusinessDate, coverageEnd: BusinessDate, coverageCap: Money
    ) throws(ClaimInputError) {
        guard coverageEnd >= coverageStart else { throw .coverageEndsBeforeStart }
        guard !coverageCap.isNegative else { throw .negativeAmount }
        self.status = status
        self.coverageStart = coverageStart
        self.coverageEnd = coverageEnd
        self.coverageCap = coverageCap
    }
}

/// Fraud and abuse signals for a claim. They send a claim to review; they never reject it.
public struct ClaimRiskSignals: Hashable, Sendable {
    /// The buyer's returns in the 30 days up to the return date, **this return included**.
    public let buyerReturnsLast30Days: Int
    /// `frequent_returner` when `buyerReturnsLast30Days` ≥ this (default 5).
    public let frequentReturnerThreshold: Int
    /// Whether the return's tracking number is already on another claim.
    public let trackingNumberUsedOnAnotherClaim: Bool
    /// What shipping on this route usually costs; nil when unknown (then no cost flag is raised).
    public let routeUsualCost: Money?
    /// `cost_above_route_norm` when actual cost > usual cost × this (default 3).
    public let routeCostMultiplier: Decimal

    public static let defaultFrequentReturnerThreshold = 5
    public static let defaultRouteCostMultiplier = Decimal(3)

    public init(
        buyerReturnsLast30Days: Int,
        frequentReturnerThreshold: Int = ClaimRiskSignals.defaultFrequentReturnerThreshold,
        trackingNumberUsedOnAnotherClaim: Bool,
        routeUsualCost: Money?,
        routeCostMultiplier: Decimal = ClaimRiskSignals.defaultRouteCostMultiplier
    ) throws(ClaimInputError) {
        guard buyerReturnsLast30Days >= 0 else { throw .negativeReturnCount }
        guard frequentReturnerThreshold >= 1 else { throw .invalidThreshold }
        guard routeCostMultiplier > 0 else { throw .invalidThreshold }
        if let routeUsualCost, routeUsualCost.isNegative { throw .negativeAmount }
        self.buyerReturnsLast30Days = buyerReturnsLast30Days
        self.frequentReturnerThreshold = frequentReturnerThreshold
        self.trackingNumberUsedOnAnotherClaim = trackingNumberUsedOnAnotherClaim
        self.routeUsualCost = routeUsualCost
        self.routeCostMultiplier = routeCostMultiplier
    }
}

/// A claim to decide: the policy, the return, what shipping cost, and the risk signals.
public struct ClaimRequest: Hashable, Sendable {
    public let policy: ShippingPolicy
    /// The business date the buyer requested the return (checked against the coverage window).
    public let returnRequestedOn: BusinessDate
    public let actualShippingCost: Money
    /// Whether another claim already exists for this policy.
    public let claimAlreadyExists: Bool
    public let risk: ClaimRiskSignals

    public init(
        policy: ShippingPolicy, returnRequestedOn: BusinessDate, actualShippingCost: Money,
        claimAlreadyExists: Bool, risk: ClaimRiskSignals
    ) throws(ClaimInputError) {
        guard !actualShippingCost.isNegative else { throw .negativeAmount }
        guard actualShippingCost.currency == policy.coverageCap.currency,
              risk.routeUsualCost.map({ $0.currency == policy.coverageCap.currency }) ?? true else {
            throw .currencyMismatch
        }
        self.policy = policy
        self.returnRequestedOn = returnRequestedOn
        self.actualShippingCost = actualShippingCost
        self.claimAlreadyExists = claimAlreadyExists
        self.risk = risk
    }
}

/// Why a claim is rejected. Raw values are the stable API codes.
public enum ClaimRejectionReason: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case policyNotActive = "policy_not_active"
    case outsideCoverageWindow = "outside_coverage_window"
    case duplicateClaim = "duplicate_claim"
    case zeroAmount = "zero_amount"

    public var code: String { rawValue }

    public var detail: String {
        switch self {
        case .policyNotActive: "the policy is not active"
        case .outsideCoverageWindow: "the return was requested outside the policy's coverage window"
        case .duplicateClaim: "a claim already exists for this policy"
        case .zeroAmount: "there is nothing to pay (no shipping cost or a zero coverage cap)"
        }
    }

    public var description: String { "\(code): \(detail)" }
}

/// Why a payable claim goes to review. Raw values are the stable API codes.
public enum ClaimFlag: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case frequentReturner = "frequent_returner"
    case trackingNumberReused = "tracking_number_reused"
    case costAboveRouteNorm = "cost_above_route_norm"

    public var code: String { rawValue }

    public var detail: String {
        switch self {
        case .frequentReturner: "the buyer returned often in the last 30 days"
        case .trackingNumberReused: "the tracking number is already on another claim"
        case .costAboveRouteNorm: "the shipping cost is far above what the route usually costs"
        }
    }

    public var description: String { "\(code): \(detail)" }
}

/// The outcome of adjudicating a claim.
public enum ClaimDecision: Hashable, Sendable {
    /// Pay this amount now.
    case pay(Money)
    /// Payable amount, held for a person because of these flags (in `ClaimFlag.allCases` order).
    case review(Money, flags: [ClaimFlag])
    /// Not payable, for these reasons (in `ClaimRejectionReason.allCases` order).
    case reject([ClaimRejectionReason])

    /// Decides a claim. Every rejection reason that applies is reported; any rejection wins over flags.
    /// The payable amount is min(actual shipping cost, coverage cap); the coverage window is inclusive.
    public static func adjudicate(_ claim: ClaimRequest) -> ClaimDecision {
        let policy = claim.policy
        var reasons: [ClaimRejectionReason] = []
        if policy.status != .active { reasons.append(.policyNotActive) }
        if claim.returnRequestedOn < policy.coverageStart || claim.returnRequestedOn > policy.coverageEnd {
            reasons.append(.outsideCoverageWindow)
        }
        if claim.claimAlreadyExists { reasons.append(.duplicateClaim) }
        let amount = Money.min(claim.actualShippingCost, policy.coverageCap)
        if amount.isZero { reasons.append(.zeroAmount) }
        guard reasons.isEmpty else { return .reject(reasons) }

        let risk = claim.risk
        var flags: [ClaimFlag] = []
        if risk.buyerReturnsLast30Days >= risk.frequentReturnerThreshold { flags.append(.frequentReturner) }
        if risk.trackingNumberUsedOnAnotherClaim { flags.append(.trackingNumberReused) }
        if let usual = risk.routeUsualCost,
           Decimal(claim.actualShippingCost.minorUnits) > Decimal(usual.minorUnits) * risk.routeCostMultiplier {
            flags.append(.costAboveRouteNorm)
        }
        return flags.isEmpty ? .pay(amount) : .review(amount, flags: flags)
    }
}

/// Why claim inputs were refused (malformed data, not a business rejection).
public enum ClaimInputError: Error, Equatable, Sendable, CustomStringConvertible {
    case coverageEndsBeforeStart
    case negativeAmount
    case negativeReturnCount
    case invalidThreshold
    case currencyMismatch

    public var description: String {
        switch self {
        case .coverageEndsBeforeStart: "coverage must not end before it starts"
        case .negativeAmount: "amounts must not be negative"
        case .negativeReturnCount: "the return count must not be negative"
        case .invalidThreshold: "the frequent-returner threshold must be at least 1 and the route cost multiplier positive"
        case .currencyMismatch: "shipping cost, route cost and coverage cap must share a currency"
        }
    }
}
