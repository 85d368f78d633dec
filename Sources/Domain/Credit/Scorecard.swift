import Foundation

/// One step of the limit table: scores from `minScore` up get `limit`.
public struct LimitTier: Sendable, Hashable {
    public let minScore: Int
    public let limit: Money

    public init(minScore: Int, limit: Money) {
        self.minScore = minScore
        self.limit = limit
    }
}

/// Maps a score to a credit limit; a score below the first tier is declined (limit zero).
public struct CreditLimitTable: Sendable, Hashable {
    public let currency: Currency
    /// Strictly ascending by `minScore`.
    public let tiers: [LimitTier]

    public init(currency: Currency, tiers: [LimitTier]) {
        self.currency = currency
        self.tiers = tiers
    }

    /// The limit for `score`: the last tier whose `minScore` it reaches, else zero (decline).
    public func limit(forScore score: Int) -> Money {
        var limit = Money.zero(currency)
        for tier in tiers where score >= tier.minScore { limit = tier.limit }
        return limit
    }

    /// Below 550 declined; 550–599 1,000.00; 600–649 3,000.00; 650–699 8,000.00;
    /// 700–749 20,000.00; 750 and up 50,000.00 CNY.
    public static let standard = CreditLimitTable(currency: .cny, tiers: [
        LimitTier(minScore: 550, limit: Money(minorUnits: 1_000_00, currency: .cny)),
        LimitTier(minScore: 600, limit: Money(minorUnits: 3_000_00, currency: .cny)),
        LimitTier(minScore: 650, limit: Money(minorUnits: 8_000_00, currency: .cny)),
        LimitTier(minScore: 700, limit: Money(minorUnits: 20_000_00, currency: .cny)),
        LimitTier(minScore: 750, limit: Money(minorUnits: 50_000_00, currency: .cny)),
    ])

    func validate() throws(CreditError) {
        guard zip(tiers, tiers.dropFirst()).allSatisfy({ $0.minScore < $1.minScore }) else {
            throw .invalidConfiguration("limit tiers must ascend strictly by score")
        }
        for tier in tiers {
            try CreditMath.requireCurrency(tier.limit, currency)
            guard !tier.limit.isNegative else { throw .negativeAmount(field: "limit for score \(tier.minScore)") }
        }
    }
}

/// How one feature scored, for the explanation shown to reviewers and the consumer.
public struct FeatureScore: Sendable, Hashable {
    public let feature: CreditFeature
    /// The input value as scored (spend in major units; "none" for no repayment history).
    public let value: String
    public let points: Int
    public let maxPoints: Int
    /// The reason code this feature reports when it holds the score down.
    public let reasonCode: String

    /// Points the feature could have added but did not.
    public var shortfall: Int { maxPoints - points }
}

/// A scorecard's verdict: the score, the limit it earns, and why it is not higher.
public struct ScoreResult: Sendable, Hashable {
    public let score: Int
    public let basePoints: Int
    /// Zero when declined.
    public let limit: Money
    /// Up to three reason codes, the features with the largest shortfall first
    /// (ties in `CreditFeature` declaration order); features at their maximum are never reasons.
    public let reasons: [String]
    /// Every feature's points, in `CreditFeature` declaration order; base + these = score.
    public let features: [FeatureScore]

    public var isDeclined: Bool { limit.isZero }
}

/// A points-based application scorecard: base points plus points per feature band, mapped to a limit.
public struct Scorecard: Sendable, Hashable {
    public var basePoints: Int
    public var accountAge: FeatureBands
    public var orders: FeatureBands
    /// Bounds in major units of `limits.currency` (spend in another currency is refused).
    public var spend: FeatureBands
    /// Bounds are return-rate fractions; higher rates should score fewer points.
    public var returnRate: FeatureBands
    public var deliveryAddresses: FeatureBands
    /// Bounds are on-time ratios.
    public var onTimeRepayment: FeatureBands
    /// Points for a consumer with no repayment history (scored against `onTimeRepayment.maxPoints`).
    public var noRepaymentHistoryPoints: Int
    /// Reason code reported when missing history holds the score down.
    public var noRepaymentHistoryReason: String
    public var priorOverdue: FeatureBands
    public var limits: CreditLimitTable
    /// How many reason codes a result lists.
    public var reasonCount: Int

    public init(
        basePoints: Int, accountAge: FeatureBands, orders: FeatureBands, spend: FeatureBands,
        returnRate: FeatureBands, deliveryAddresses: FeatureBands, onTimeRepayment: FeatureBands,
        noRepaymentHistoryPoints: Int, noRepaymentHistoryReason: String, priorOverdue: FeatureBands,
        limits: CreditLimitTable, reasonCount: Int = 3
    ) {
        self.basePoints = basePoints
        self.accountAge = accountAge
        self.orders = orders
        self.spend = spend
        self.returnRate = returnRate
        self.deliveryAddresses = deliveryAddresses
        self.onTimeRepayment = onTimeRepayment
        self.noRepaymentHistoryPoints = noRepaymentHistoryPoints
        self.noRepaymentHistoryReason = noRepaymentHistoryReason
        self.priorOverdue = priorOverdue
        self.limits = limits
        self.reasonCount = reasonCount
    }

    /// Scores `features`: base + each feature's band points, the limit from `limits`, and the
    /// features that held the score down most as reasons.
    public func score(_ features: CreditFeatures) throws(CreditError) -> ScoreResult {
        try validate()
        try features.validate()
        try CreditMath.requireCurrency(features.spend12m, limits.currency)

        func scored(_ feature: CreditFeature, _ bands: FeatureBands, _ value: Decimal) -> FeatureScore {
            FeatureScore(
                feature: feature, value: "\(value)", points: bands.points(for: value),
                maxPoints: bands.maxPoints, reasonCode: bands.reasonCode
            )
        }
        let onTime: FeatureScore = if let ratio = features.onTimeRepaymentRatio {
            scored(.onTimeRepayment, onTimeRepayment, ratio)
        } else {
            FeatureScore(
                feature: .onTimeRepayment, value: "none", points: noRepaymentHistoryPoints,
                maxPoints: onTimeRepayment.maxPoints, reasonCode: noRepaymentHistoryReason
            )
        }
        let lines = [
            scored(.accountAge, accountAge, Decimal(features.accountAgeMonths)),
            scored(.orders, orders, Decimal(features.orders12m)),
            scored(.spend, spend, features.spend12m.decimalMajorUnits),
            scored(.returnRate, returnRate, features.returnRate),
            scored(.deliveryAddresses, deliveryAddresses, Decimal(features.distinctDeliveryAddresses)),
            onTime,
            scored(.priorOverdue, priorOverdue, Decimal(features.priorOverdueCount)),
        ]
        let score = lines.reduce(basePoints) { $0 + $1.points }
        let reasons = lines.enumerated()
            .filter { $0.element.shortfall > 0 }
            .sorted { $0.element.shortfall != $1.element.shortfall
                ? $0.element.shortfall > $1.element.shortfall : $0.offset < $1.offset }
            .prefix(reasonCount)
            .map(\.element.reasonCode)
        return ScoreResult(
            score: score, basePoints: basePoints, limit: limits.limit(forScore: score),
            reasons: Array(reasons), features: lines
        )
    }

    /// Checks bands ascend, points are non-negative and the limit table is consistent.
    public func validate() throws(CreditError) {
        try accountAge.validate(.accountAge)
        try orders.validate(.orders)
        try spend.validate(.spend)
        try returnRate.validate(.returnRate)
        try deliveryAddresses.validate(.deliveryAddresses)
        try onTimeRepayment.validate(.onTimeRepayment)
        try priorOverdue.validate(.priorOverdue)
        guard noRepaymentHistoryPoints >= 0, noRepaymentHistoryPoints <= onTimeRepayment.maxPoints else {
            throw .invalidConfiguration("no-history points must be within the on-time points")
        }
        guard reasonCount >= 0 else { throw .invalidConfiguration("reason count must not be negative") }
        try limits.validate()
    }
}

extension Scorecard {
    /// The platform default, 300 base + up to 550 feature points (300...850):
    ///
    /// | feature | bands → points | max | reason code |
    /// |---|---|---|---|
    /// | account age, months | 0→0, 3→20, 6→40, 12→60, 24→80, 48→100 | 100 | short_account_history |
    /// | orders, 12 months | 0→0, 1→20, 3→40, 6→60, 12→70, 24→80 | 80 | few_orders |
    /// | spend, 12 months, CNY | 0→0, 500→20, 2,000→40, 5,000→60, 10,000→70, 20,000→80 | 80 | low_spend |
    /// | return rate | 0→70, 0.05→50, 0.10→30, 0.20→10, 0.35→0 | 70 | high_return_rate |
    /// | delivery addresses | 0→50, 3→35, 5→15, 8→0 | 50 | many_delivery_addresses |
    /// | on-time ratio | 0→0, 0.80→30, 0.90→60, 0.95→90, 1→120; no history 40 | 120 | poor_repayment_history / no_repayment_history |
    /// | prior overdue count | 0→50, 1→25, 2→10, 3→0 | 50 | prior_overdue |
    ///
    /// Limits from `CreditLimitTable.standard` (below 550 declined … 750+ 50,000.00 CNY).
    public static let standard = Scorecard(
        basePoints: 300,
        accountAge: bands("short_account_history", [(0, 0), (3, 20), (6, 40), (12, 60), (24, 80), (48, 100)]),
        orders: bands("few_orders", [(0, 0), (1, 20), (3, 40), (6, 60), (12, 70), (24, 80)]),
        spend: bands("low_spend", [(0, 0), (500, 20), (2_000, 40), (5_000, 60), (10_000, 70), (20_000, 80)]),
        returnRate: FeatureBands(reasonCode: "high_return_rate", bands: [
            ScoreBand(atLeast: 0, points: 70),
            ScoreBand(atLeast: CreditMath.decimal(5, scale: 2), points: 50),
            ScoreBand(atLeast: CreditMath.decimal(10, scale: 2), points: 30),
            ScoreBand(atLeast: CreditMath.decimal(20, scale: 2), points: 10),
            ScoreBand(atLeast: CreditMath.decimal(35, scale: 2), points: 0),
        ]),
        deliveryAddresses: bands("many_delivery_addresses", [(0, 50), (3, 35), (5, 15), (8, 0)]),
        onTimeRepayment: FeatureBands(reasonCode: "poor_repayment_history", bands: [
            ScoreBand(atLeast: 0, points: 0),
            ScoreBand(atLeast: CreditMath.decimal(80, scale: 2), points: 30),
            ScoreBand(atLeast: CreditMath.decimal(90, scale: 2), points: 60),
            ScoreBand(atLeast: CreditMath.decimal(95, scale: 2), points: 90),
            ScoreBand(atLeast: 1, points: 120),
        ]),
        noRepaymentHistoryPoints: 40,
        noRepaymentHistoryReason: "no_repayment_history",
        priorOverdue: bands("prior_overdue", [(0, 50), (1, 25), (2, 10), (3, 0)]),
        limits: .standard
    )

    private static func bands(_ reason: String, _ steps: [(Int, Int)]) -> FeatureBands {
        FeatureBands(reasonCode: reason, bands: steps.map { ScoreBand(atLeast: Decimal($0.0), points: $0.1) })
    }
}
