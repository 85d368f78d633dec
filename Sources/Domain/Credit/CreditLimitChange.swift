/// Why an operator changed a consumer's credit limit (recorded in the audit trail with the change).
public enum LimitChangeReason: String, Sendable, Hashable, CaseIterable {
    /// A periodic or event-driven re-score of the consumer's behaviour.
    case scoreReview = "score_review"
    /// The consumer asked for it.
    case consumerRequest = "consumer_request"
    /// Signs of rising risk (missed payments elsewhere, unusual spending).
    case riskReduction = "risk_reduction"
    /// Long inactivity.
    case inactivity
    /// A regulator's or the platform's policy required it.
    case policy
}

/// An operator's change of a credit limit, checked against what the consumer already uses.
public struct CreditLimitChange: Sendable, Hashable {
    public let from: Money
    public let to: Money
    public let reason: LimitChangeReason

    public var isIncrease: Bool { to > from }

    /// Refuses a negative limit, another currency, and a decrease below what is outstanding and held
    /// (a limit is never cut under money already lent or promised to a merchant).
    public init(from: Money, to: Money, reason: LimitChangeReason, outstanding: Money, held: Money) throws(CreditError) {
        try CreditMath.requireCurrency(to, from.currency)
        guard !to.isNegative else { throw .negativeAmount(field: "new limit") }
        let used = try CreditMath.add(outstanding.minorUnits, held.minorUnits)
        guard to.minorUnits >= used else {
            throw .limitBelowUsed(CreditMath.money(used, from.currency).decimalString)
        }
        self.from = from
        self.to = to
        self.reason = reason
    }
}

/// Money recovered on a charged-off account: never more than was written off, less earlier recoveries.
public enum ChargeOffRecovery {
    public static func check(amount: Money, writtenOff: Money, recoveredBefore: Money) throws(CreditError) {
        try CreditMath.requireCurrency(amount, writtenOff.currency)
        guard amount.isPositive else { throw .nonPositiveAmount(field: "amount") }
        let left = writtenOff.minorUnits - recoveredBefore.minorUnits
        guard amount.minorUnits <= left else {
            throw .recoveryAboveWrittenOff(CreditMath.money(Swift.max(0, left), writtenOff.currency).decimalString)
        }
    }
}
