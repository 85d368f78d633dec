import Foundation

/// What the platform knows about a consumer when it scores a credit application.
public struct CreditFeatures: Sendable, Hashable {
    public var accountAgeMonths: Int
    /// Orders placed in the last 12 months.
    public var orders12m: Int
    /// Amount spent in the last 12 months.
    public var spend12m: Money
    /// Share of orders returned, 0...1.
    public var returnRate: Decimal
    public var distinctDeliveryAddresses: Int
    /// Share of past installments repaid on time, 0...1; nil when there is no repayment history.
    public var onTimeRepaymentRatio: Decimal?
    /// Installments that were ever overdue.
    public var priorOverdueCount: Int

    public init(
        accountAgeMonths: Int, orders12m: Int, spend12m: Money, returnRate: Decimal,
        distinctDeliveryAddresses: Int, onTimeRepaymentRatio: Decimal?, priorOverdueCount: Int
    ) {
        self.accountAgeMonths = accountAgeMonths
        self.orders12m = orders12m
        self.spend12m = spend12m
        self.returnRate = returnRate
        self.distinctDeliveryAddresses = distinctDeliveryAddresses
        self.onTimeRepaymentRatio = onTimeRepaymentRatio
        self.priorOverdueCount = priorOverdueCount
    }

    /// Refuses negative counts and ratios outside 0...1.
    public func validate() throws(CreditError) {
        guard accountAgeMonths >= 0 else { throw .invalidFeature("account_age_months") }
        guard orders12m >= 0 else { throw .invalidFeature("orders_12m") }
        guard !spend12m.isNegative else { throw .invalidFeature("spend_12m") }
        guard returnRate >= 0, returnRate <= 1 else { throw .invalidFeature("return_rate") }
        guard distinctDeliveryAddresses >= 0 else { throw .invalidFeature("distinct_delivery_addresses") }
        if let ratio = onTimeRepaymentRatio, ratio < 0 || ratio > 1 {
            throw .invalidFeature("on_time_repayment_ratio")
        }
        guard priorOverdueCount >= 0 else { throw .invalidFeature("prior_overdue_count") }
    }
}

/// A scored input of the credit scorecard; the raw value is its stable snake_case name.
public enum CreditFeature: String, Sendable, Hashable, Codable, CaseIterable {
    case accountAge = "account_age_months"
    case orders = "orders_12m"
    case spend = "spend_12m"
    case returnRate = "return_rate"
    case deliveryAddresses = "distinct_delivery_addresses"
    case onTimeRepayment = "on_time_repayment_ratio"
    case priorOverdue = "prior_overdue_count"
}

/// Points awarded to values from `atLeast` up to the next band's lower bound.
public struct ScoreBand: Sendable, Hashable {
    public let atLeast: Decimal
    public let points: Int

    public init(atLeast: Decimal, points: Int) {
        self.atLeast = atLeast
        self.points = points
    }
}

/// The bands of one feature and the reason code reported when the feature holds the score down.
public struct FeatureBands: Sendable, Hashable {
    /// Stable snake_case code, e.g. "short_account_history".
    public let reasonCode: String
    /// Strictly ascending by `atLeast`; a value scores the last band whose `atLeast` it reaches
    /// (a value below the first bound scores the first band).
    public let bands: [ScoreBand]

    public init(reasonCode: String, bands: [ScoreBand]) {
        self.reasonCode = reasonCode
        self.bands = bands
    }

    /// The best points this feature can award.
    public var maxPoints: Int { bands.map(\.points).max() ?? 0 }

    /// The points for `value`.
    public func points(for value: Decimal) -> Int {
        var awarded = bands.first?.points ?? 0
        for band in bands where value >= band.atLeast { awarded = band.points }
        return awarded
    }

    func validate(_ feature: CreditFeature) throws(CreditError) {
        guard !bands.isEmpty else { throw .invalidConfiguration("\(feature.rawValue) has no bands") }
        guard zip(bands, bands.dropFirst()).allSatisfy({ $0.atLeast < $1.atLeast }) else {
            throw .invalidConfiguration("\(feature.rawValue) bands must ascend strictly")
        }
        guard bands.allSatisfy({ $0.points >= 0 }) else {
            throw .invalidConfiguration("\(feature.rawValue) points must not be negative")
        }
        guard !reasonCode.isEmpty else { throw .invalidConfiguration("\(feature.rawValue) needs a reason code") }
    }
}
