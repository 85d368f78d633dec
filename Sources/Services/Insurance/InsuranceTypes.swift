import Domain
import Foundation
import Persistence

/// The tunable parts of return shipping insurance: pricing constants and risk thresholds.
/// Category base rates live in the database (`insurance_category_rates`).
public struct InsuranceSettings: Sendable {
    /// k in the credibility weight Z = n / (n + k).
    public var credibilityConstant: Decimal = PremiumRatingTable.defaultCredibilityConstant
    public var factorBounds: ClosedRange<Decimal> = PremiumRatingTable.defaultFactorBounds
    /// The platform's share of each premium.
    public var commissionRate: Decimal = PremiumRatingTable.defaultCommissionRate
    /// `frequent_returner` when the buyer requested at least this many returns in `buyerLookbackDays`.
    public var frequentReturnerThreshold: Int = ClaimRiskSignals.defaultFrequentReturnerThreshold
    public var buyerLookbackDays: Int = 30
    /// `cost_above_route_norm` when the shipping cost is above the route's usual cost × this.
    public var routeCostMultiplier: Decimal = ClaimRiskSignals.defaultRouteCostMultiplier
    /// Without an operator's norm, the route's usual cost is the median of this many days of returns…
    public var routeHistoryDays: Int = 90
    /// …when there are at least this many of them.
    public var routeHistoryMinimumSamples: Int = 5
    /// The longest coverage window a policy may have.
    public var maxCoverageDays: Int = 366
    /// How far in the future an event's `occurred_at` may lie (clock skew between systems).
    public var clockSkewTolerance: TimeInterval = 300

    public init() {}
}

/// A quote request: the seller and what it sells.
public struct QuoteInput: Sendable {
    public let sellerRef: String
    public let category: String

    public init(sellerRef: String, category: String) {
        self.sellerRef = sellerRef
        self.category = category
    }
}

/// A priced quote and the date its seller history was read at.
public struct InsuranceQuote: Sendable {
    public let seller: SellerRef
    public let asOf: BusinessDate
    public let quote: PremiumQuote
}

/// A policy with its return events and claim.
public struct PolicyDetails: Sendable {
    public let policy: ShippingPolicyRecord
    public let events: [ReturnEventRecord]
    public let claim: InsuranceClaimRecord?
}

/// Which policy a return event is about.
public enum PolicyLocator: Sendable, Hashable {
    case policyID(UUID)
    case orderRef(String)
}

/// A return event as the platform reports it. `requested` carries the buyer; `shipped` the carrier,
/// tracking number and actual shipping cost; `delivered_to_seller` only its time.
public struct ReturnEventInput: Sendable {
    public let policy: PolicyLocator
    public let event: ReturnEvent
    public let occurredAt: Date
    public let buyerRef: String?
    public let carrier: String?
    public let trackingNumber: String?
    public let shippingCost: Money?

    public init(policy: PolicyLocator, event: ReturnEvent, occurredAt: Date, buyerRef: String? = nil,
                carrier: String? = nil, trackingNumber: String? = nil, shippingCost: Money? = nil) {
        self.policy = policy
        self.event = event
        self.occurredAt = occurredAt
        self.buyerRef = buyerRef
        self.carrier = carrier
        self.trackingNumber = trackingNumber
        self.shippingCost = shippingCost
    }
}

/// What recording a return event did.
public struct ReturnEventResult: Sendable {
    public let policyID: UUID
    public let event: ReturnEvent
    /// False when the event had been recorded before (a redelivery): nothing changed.
    public let recorded: Bool
    public let stage: ReturnStage
    /// The policy's claim: raised by this event when it brought the return to the seller.
    public let claim: InsuranceClaimRecord?
}

/// What a payout run paid.
public struct ClaimPayoutRun: Sendable, Equatable {
    public let businessDate: BusinessDate
    public let paidClaimIDs: [UUID]
    /// Total paid per currency, by currency code.
    public let totals: [Money]
}

/// Premiums earned, claims paid and their ratio for one slice (a category, or everything) in one currency.
public struct LossRatioLine: Sendable, Hashable {
    /// nil on an overall line.
    public let category: ProductCategory?
    public let currency: Currency
    public let policiesEarned: Int
    public let premiumsEarned: Money
    public let claimsPaid: Money
    /// claims paid / premiums earned; nil when no premium was earned.
    public let lossRatio: Decimal?
}

/// Loss ratios for everything, or one seller, or one category, or one seller's category.
public struct LossRatioReport: Sendable {
    public let asOf: BusinessDate
    public let seller: SellerRef?
    public let category: ProductCategory?
    /// Per currency, every category together.
    public let overall: [LossRatioLine]
    public let byCategory: [LossRatioLine]
}
