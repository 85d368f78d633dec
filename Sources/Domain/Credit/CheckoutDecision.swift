/// Where a credit account stands: whether it may be used at all.
public enum CreditAccountStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// May authorize checkouts up to its available limit.
    case active
    /// Has an installment past its grace days; repaying it unfreezes the account.
    case frozen
    /// Written off at 180 days past due; closed for good.
    case chargedOff = "charged_off"
    /// The scorecard granted no limit.
    case declined
    /// Closed at the consumer's or the operator's request with nothing owed or held; takes no new purchases.
    case closed
}

/// A machine-readable reason a decision went the way it did.
public struct DecisionReason: Sendable, Hashable, Codable {
    /// Stable snake_case code, e.g. "limit_exceeded".
    public let code: String
    /// A sentence for people.
    public let detail: String

    public init(code: String, detail: String) {
        self.code = code
        self.detail = detail
    }
}

/// What a checkout authorization needs to know about the account at the moment it decides.
public struct CreditStanding: Sendable, Hashable {
    public let status: CreditAccountStatus
    public let limit: Money
    /// Sum of the amounts of live authorizations.
    public let held: Money
    /// Captured principal not yet repaid, refunded or written off.
    public let principalOutstanding: Money
    /// Any unpaid installment past its due date plus grace days, whether or not the nightly run
    /// has frozen the account yet.
    public let hasOverdue: Bool

    public init(status: CreditAccountStatus, limit: Money, held: Money, principalOutstanding: Money, hasOverdue: Bool) {
        self.status = status
        self.limit = limit
        self.held = held
        self.principalOutstanding = principalOutstanding
        self.hasOverdue = hasOverdue
    }

    /// limit − held − principal outstanding, never below zero.
    public var available: Money {
        Money(minorUnits: Swift.max(0, limit.minorUnits - held.minorUnits - principalOutstanding.minorUnits),
              currency: limit.currency)
    }
}

/// The verdict on a checkout authorization.
public enum CheckoutDecision: Sendable, Hashable {
    case approved
    /// Every reason that applies, in a fixed order (account state first, then the plan, then the limit).
    case declined([DecisionReason])

    /// Decides whether `amount` under `plan` may be held against `standing` under `product`.
    /// Declines carry every applicable reason code:
    /// `account_declined`, `account_charged_off`, `account_frozen`, `account_closed`, `account_overdue`,
    /// `currency_mismatch`, `tenor_not_offered`, `limit_exceeded`.
    public static func decide(
        amount: Money, plan: PurchasePlan, standing: CreditStanding, product: CreditProduct
    ) -> CheckoutDecision {
        var reasons: [DecisionReason] = []
        switch standing.status {
        case .declined:
            reasons.append(.init(code: "account_declined", detail: "the credit application was declined; the account has no limit"))
        case .chargedOff:
            reasons.append(.init(code: "account_charged_off", detail: "the account was charged off"))
        case .frozen:
            reasons.append(.init(code: "account_frozen", detail: "the account is frozen until its overdue installments are repaid"))
        case .closed:
            reasons.append(.init(code: "account_closed", detail: "the account was closed"))
        case .active:
            break
        }
        if standing.hasOverdue && standing.status != .frozen {
            reasons.append(.init(code: "account_overdue", detail: "the account has an overdue installment"))
        }
        if amount.currency != standing.limit.currency {
            reasons.append(.init(code: "currency_mismatch",
                                 detail: "the account lends in \(standing.limit.currency.code), not \(amount.currency.code)"))
        }
        if case .installments(let tenor) = plan {
            do {
                _ = try product.pricing(forTenor: tenor)
            } catch {
                let offered = product.allowedTenors.sorted().map(String.init).joined(separator: ", ")
                reasons.append(.init(code: "tenor_not_offered",
                                     detail: "\(tenor) installments are not offered; choose one of \(offered)"))
            }
        }
        if amount.currency == standing.limit.currency, standing.status != .declined,
           amount.minorUnits > standing.available.minorUnits {
            reasons.append(.init(code: "limit_exceeded",
                                 detail: "the amount exceeds the available limit of \(standing.available.decimalString) \(amount.currency.code)"))
        }
        return reasons.isEmpty ? .approved : .declined(reasons)
    }

    public var isApproved: Bool { self == .approved }

    public var reasons: [DecisionReason] {
        if case .declined(let reasons) = self { return reasons }
        return []
    }
}
