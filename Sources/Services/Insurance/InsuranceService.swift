import Domain
import Foundation
import Logging
import Persistence

/// Return shipping insurance use cases (issue 5): quotes and policies, return events, claims raised
/// from them, the insurer's review queue, payouts and loss ratios.
///
/// Each public method is one transaction. The `on connection:` variants run inside a transaction the
/// caller already opened (e.g. order linkage recording a return as part of its own use case); they
/// take the same row locks, so mixing both kinds of callers stays safe.
public struct InsuranceService: Sendable {
    let database: Database
    let clock: BusinessClock
    let settings: InsuranceSettings

    public init(database: Database, clock: BusinessClock, settings: InsuranceSettings = InsuranceSettings()) {
        self.database = database
        self.clock = clock
        self.settings = settings
    }

    var logger: Logger { database.logger }

    /// Today in the platform's time zone: the business date premiums and payouts are booked on.
    var today: BusinessDate { clock.today }

    // MARK: Pricing and policies

    /// Prices a policy for the seller and category without buying it.
    public func quote(_ input: QuoteInput) async throws -> InsuranceQuote {
        let (seller, category) = try Self.validated(sellerRef: input.sellerRef, category: input.category)
        let asOf = today
        return try await database.withConnection { connection in
            try await priced(seller: seller, category: category, asOf: asOf, on: connection)
        }
    }

    /// Buys a policy for an order and books its premium, in one transaction.
    public func buyPolicy(_ terms: ShippingPolicyTerms, actor: Actor) async throws -> PolicyDetails {
        try await database.transaction { connection in
            try await buyPolicy(terms, actor: actor, on: connection)
        }
    }

    /// Buys a policy inside the caller's transaction: prices it from the seller's history, reserves the
    /// order (a second policy for it is a 409 `order_already_insured` naming the first), books the premium
    /// under `policy-premium:<policy id>` and stores the policy with its pricing.
    public func buyPolicy(_ terms: ShippingPolicyTerms, actor: Actor, on connection: DatabaseConnection) async throws -> PolicyDetails {
        var issues: [FieldIssue] = []
        let orderRef = Self.text(terms.orderRef, "order_ref", max: 200, into: &issues)
        let from = Self.text(terms.shipFromRegion, "ship_from_region", max: 64, into: &issues)
        let to = Self.text(terms.shipToRegion, "ship_to_region", max: 64, into: &issues)
        if !terms.coverageCap.isPositive {
            issues.append(FieldIssue(field: "coverage_cap.amount", message: "must be greater than zero"))
        }
        let asOf = today
        if terms.coverageEnd < terms.coverageStart {
            issues.append(FieldIssue(field: "coverage_end", message: "must not be before coverage_start"))
        } else if terms.coverageStart.days(until: terms.coverageEnd) >= settings.maxCoverageDays {
            issues.append(FieldIssue(field: "coverage_end", message: "coverage may last at most \(settings.maxCoverageDays) days"))
        } else if terms.coverageEnd < asOf {
            issues.append(FieldIssue(field: "coverage_end", message: "must not be in the past (today is \(asOf))"))
        }
        guard issues.isEmpty else { throw ServiceError.invalid(issues) }

        let quote = try await priced(seller: terms.seller, category: terms.category, asOf: asOf, on: connection).quote
        guard quote.premium.currency == terms.coverageCap.currency else {
            throw ServiceError.invalid("coverage_cap.currency", "category \(terms.category) is insured in \(quote.premium.currency.code)")
        }
        guard quote.premium.isPositive else {
            throw ServiceError.conflict(code: "premium_rounds_to_zero", detail: "the premium for \(terms.category) rounds to zero; raise the category's base premium")
        }
        let id = UUID()
        if let existing = try await InsurancePolicyStore.reserveOrder(orderRef, policyID: id, on: connection, logger: logger) {
            throw ServiceError.conflict(code: "order_already_insured",
                                        detail: "order \(orderRef) is already insured by policy \(existing.uuidString.lowercased())")
        }
        let idText = id.uuidString.lowercased()
        let entry = try InsuranceLedger.premiumPurchase(policyID: idText, seller: terms.seller, quote: quote, businessDate: asOf)
        let posted = try await LedgerStore.post(entry, on: connection, logger: logger)
        try await InsurancePolicyStore.insert(ShippingPolicyRecord(
            id: id,
            terms: ShippingPolicyTerms(
                orderRef: orderRef, seller: terms.seller, category: terms.category, shipFromRegion: from, shipToRegion: to,
                coverageCap: terms.coverageCap, coverageStart: terms.coverageStart, coverageEnd: terms.coverageEnd),
            premium: PolicyPremium(quote), status: .active, returnStage: .none, businessDate: asOf,
            premiumEntryID: posted.entryID, createdBy: actor.principal.actor, createdAt: clock.now()
        ), on: connection, logger: logger)
        try await audit(actor, "insurance.policy_bought", "shipping_policy", idText,
                        ["order_ref": orderRef, "premium": quote.premium.description], on: connection)
        let bought = try await details(policyID: id, on: connection)
        try await EventLog.record(.policyCreated, .policy(bought), objectID: idText, businessDate: asOf, on: connection, logger: logger)
        return bought
    }

    /// A policy with its return events and claim.
    public func policy(id: UUID) async throws -> PolicyDetails {
        try await database.withConnection { connection in
            try await details(policyID: id, on: connection)
        }
    }

    public func details(policyID: UUID, on connection: DatabaseConnection) async throws -> PolicyDetails {
        let policy = try await InsurancePolicyStore.policy(id: policyID, on: connection, logger: logger)
            .orNotFound("shipping policy", id: policyID)
        return PolicyDetails(
            policy: policy,
            events: try await InsurancePolicyStore.events(policyID: policyID, on: connection, logger: logger),
            claim: try await InsuranceClaimStore.claim(policyID: policyID, on: connection, logger: logger))
    }

    /// The quote for a seller in a category from the seller's earned history (all its categories, in the
    /// category's currency) as of `asOf`.
    func priced(seller: SellerRef, category: ProductCategory, asOf: BusinessDate, on connection: DatabaseConnection) async throws -> InsuranceQuote {
        let rates = try await InsurancePolicyStore.categoryRates(on: connection, logger: logger)
        guard let rate = rates[category] else {
            let known = rates.keys.map(\.rawValue).sorted().joined(separator: ", ")
            throw ServiceError.invalid("category", "no rate is configured for \"\(category)\" (known: \(known))")
        }
        let currency = rate.basePremium.currency
        let rows = try await InsurancePolicyStore.lossRatioRows(
            seller: seller, category: nil, currency: currency, asOf: asOf, on: connection, logger: logger)
        let total = try Self.total(rows, currency: currency)
        let experience = try SellerExperience(
            policiesEarned: total.policiesEarned, premiumsEarned: total.premiumsEarned, claimsPaid: total.claimsPaid)
        let table = try PremiumRatingTable(
            rates: rates, credibilityConstant: settings.credibilityConstant, factorBounds: settings.factorBounds,
            commissionRate: settings.commissionRate)
        return InsuranceQuote(seller: seller, asOf: asOf, quote: try table.quote(category: category, experience: experience))
    }

    // MARK: Loss ratios

    /// Claims paid / premiums earned, overall and per category; for one seller and/or one category when given.
    public func lossRatios(sellerRef: String?, category: String?) async throws -> LossRatioReport {
        var issues: [FieldIssue] = []
        let seller = sellerRef.flatMap { SellerRef(rawValue: $0) }
        if sellerRef != nil && seller == nil { issues.append(Self.sellerIssue) }
        let categoryValue = category.flatMap(Self.category)
        if category != nil && categoryValue == nil { issues.append(Self.categoryIssue) }
        guard issues.isEmpty else { throw ServiceError.invalid(issues) }
        let asOf = today
        let rows = try await database.withConnection { connection in
            try await InsurancePolicyStore.lossRatioRows(
                seller: seller, category: categoryValue, currency: nil, asOf: asOf, on: connection, logger: logger)
        }
        let byCategory = try rows.map { row in
            try Self.line(category: row.category, currency: row.currency, policies: row.policiesEarned,
                          premiums: row.premiumsEarned, claims: row.claimsPaid)
        }
        let currencies = Set(rows.map(\.currency)).sorted { $0.code < $1.code }
        let overall = try currencies.map { currency in
            let total = try Self.total(rows, currency: currency)
            return try Self.line(category: nil, currency: currency, policies: total.policiesEarned,
                                 premiums: total.premiumsEarned, claims: total.claimsPaid)
        }
        return LossRatioReport(asOf: asOf, seller: seller, category: categoryValue, overall: overall, byCategory: byCategory)
    }

    static func total(_ rows: [LossRatioRow], currency: Currency) throws -> (policiesEarned: Int, premiumsEarned: Money, claimsPaid: Money) {
        var policies = 0
        var premiums = Money.zero(currency)
        var claims = Money.zero(currency)
        for row in rows where row.currency == currency {
            policies += row.policiesEarned
            premiums = try premiums.adding(row.premiumsEarned)
            claims = try claims.adding(row.claimsPaid)
        }
        return (policies, premiums, claims)
    }

    static func line(category: ProductCategory?, currency: Currency, policies: Int, premiums: Money, claims: Money) throws -> LossRatioLine {
        LossRatioLine(category: category, currency: currency, policiesEarned: policies, premiumsEarned: premiums,
                      claimsPaid: claims, lossRatio: try LossRatio.of(claimsPaid: claims, premiumsEarned: premiums))
    }

    // MARK: Validation and audit helpers

    static let sellerIssue = FieldIssue(field: "seller_ref", message: SellerRef.rule)
    static let categoryIssue = FieldIssue(field: "category", message: "must be 1 to 64 of a-z, 0-9, _ - starting with a letter")

    static func validated(sellerRef: String, category: String) throws -> (SellerRef, ProductCategory) {
        let seller = SellerRef(rawValue: sellerRef)
        let categoryValue = Self.category(category)
        guard let seller, let categoryValue else {
            throw ServiceError.invalid((seller == nil ? [sellerIssue] : []) + (categoryValue == nil ? [categoryIssue] : []))
        }
        return (seller, categoryValue)
    }

    /// A category name as the rate table spells it (`^[a-z][a-z0-9_-]{0,63}$`), or nil.
    static func category(_ text: String) -> ProductCategory? {
        let value = text.trimmingCharacters(in: .whitespaces)
        guard let first = value.unicodeScalars.first, ("a"..."z").contains(first), value.unicodeScalars.count <= 64,
              value.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" })
        else { return nil }
        return ProductCategory(value)
    }

    /// `text` trimmed; records an issue when it is empty or longer than `max`.
    static func text(_ text: String, _ field: String, max: Int, into issues: inout [FieldIssue]) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty {
            issues.append(FieldIssue(field: field, message: "must not be empty"))
        } else if trimmed.unicodeScalars.count > max {
            issues.append(FieldIssue(field: field, message: "must be at most \(max) characters"))
        }
        return trimmed
    }

    func audit(
        _ actor: Actor, _ action: String, _ objectType: String, _ objectID: String, _ detail: [String: String],
        on connection: DatabaseConnection
    ) async throws {
        try await AuditStore.record(
            actor: actor.principal.actor, action: action, objectType: objectType, objectID: objectID,
            detail: detail, requestID: actor.requestID, on: connection, logger: logger)
    }

}
