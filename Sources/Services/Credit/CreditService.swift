import Domain
import Foundation
import Logging
import Persistence

/// Consumer installment credit use cases (issue 4): products, accounts, checkout authorization,
/// capture, void and expiry, plans and conversions, repayments, refunds and the nightly ageing.
/// Every use case is one database transaction that locks the credit account first.
public struct CreditService: Sendable {
    let database: Database
    let clock: BusinessClock
    let personalData: CreditPersonalData
    let products = CreditProductCache()
    let scorecard: Scorecard

    /// The audit trail's name for the nightly run.
    public static let nightlyActor = "system:credit-nightly"

    public init(database: Database, clock: BusinessClock) {
        self.init(database: database, clock: clock, personalData: .fromEnvironment())
    }

    public init(database: Database, clock: BusinessClock, personalData: CreditPersonalData, scorecard: Scorecard = .standard) {
        self.database = database
        self.clock = clock
        self.personalData = personalData
        self.scorecard = scorecard
        if personalData.usesDevelopmentKey {
            database.logger.notice("QZ_PII_KEY is not set: personal data is hashed with the development key")
        }
    }

    var logger: Logger { database.logger }

    /// Production refuses digests made under the published development key: anyone could reverse
    /// them (a phone number falls out of its mask and digest in 10,000 guesses). Throws when the
    /// database holds any, naming how many; the embedded default only logs.
    public func checkPersonalDataKey(production: Bool) async throws {
        let logger = self.logger
        let devKeyed = try await database.withConnection {
            try await CreditStore.accountCount(piiKeyID: CreditPersonalData.developmentKeyID, on: $0, logger: logger)
        }
        guard devKeyed > 0, personalData.keyID != CreditPersonalData.developmentKeyID else { return }
        if production { throw PersonalDataKeyMismatch(accounts: devKeyed) }
        logger.warning("accounts hold personal-data digests made under the development key", metadata: ["accounts": "\(devKeyed)"])
    }

    // MARK: Products

    /// Creates a product (operator). Products are immutable: new terms are a new product.
    public func createProduct(_ draft: CreditProductDraft, actor: Actor) async throws -> CreditProductRecord {
        do {
            try draft.terms.validate()
        } catch {
            throw ServiceError.invalid("body", error.description)
        }
        let record = CreditProductRecord(id: UUID(), code: draft.code, name: draft.name, currency: .cny, terms: draft.terms,
                                         isDefault: false)
        let stored: CreditProductRecord
        do {
            // Read back in the same transaction: what is cached and echoed is exactly what is stored and priced.
            stored = try await database.transaction { c in
                try await CreditStore.insertProduct(record, on: c, logger: logger)
                try await AuditStore.record(actor: actor.principal.actor, action: "credit.product.created", objectType: "credit_product",
                                            objectID: record.id.uuidString.lowercased(), requestID: actor.requestID,
                                            on: c, logger: logger)
                return try await CreditStore.product(id: record.id, on: c, logger: logger).orNotFound("credit product", id: record.id)
            }
        } catch let error where DatabaseFailure.isUniqueViolation(error) {
            throw ServiceError.conflict(code: "duplicate_product_code", detail: "a credit product with code \(draft.code) exists")
        }
        products.put(stored)
        return stored
    }

    /// A product by id; nil means the default product.
    public func product(id: UUID?) async throws -> CreditProductRecord {
        try await read { c in try await product(id: id, on: c) }
    }

    func product(id: UUID?, on connection: DatabaseConnection) async throws -> CreditProductRecord {
        if let id, let cached = products.get(id) { return cached }
        guard let found = try await CreditStore.product(id: id, on: connection, logger: logger) else {
            throw ServiceError.notFound(resource: "credit product", id: id?.uuidString.lowercased() ?? "default")
        }
        products.put(found)
        return found
    }

    // MARK: Accounts

    /// Opens a credit account: scores the features, stores the national ID and phone only as keyed
    /// digests (plus last four / masked), and refuses a second account for the same national ID.
    /// A score below the first limit tier opens a `declined` account with a zero limit.
    public func openAccount(_ application: CreditApplication, actor: Actor) async throws -> OpenedCreditAccount {
        let result: ScoreResult
        do {
            result = try scorecard.score(application.features)
        } catch .invalidFeature(let field) {
            throw ServiceError.invalid("features.\(field)", "is out of range")
        } catch {
            throw ServiceError.invalid("features", error.description)
        }
        let id = UUID()
        let (_, today) = clock.read()
        let nationalDigest = personalData.digest(application.nationalID)
        let status: CreditAccountStatus = result.isDeclined ? .declined : .active
        let detail = try Self.json(result.features.map(ScoreDetailLine.init))
        let features = application.features
        let featuresJSON = try Self.json([
            "account_age_months": "\(features.accountAgeMonths)", "orders_12m": "\(features.orders12m)",
            "spend_12m": features.spend12m.decimalString, "return_rate": "\(features.returnRate)",
            "distinct_delivery_addresses": "\(features.distinctDeliveryAddresses)",
            "on_time_repayment_ratio": features.onTimeRepaymentRatio.map { "\($0)" } ?? "none",
            "prior_overdue_count": "\(features.priorOverdueCount)",
        ])
        do {
            let account = try await database.transaction { c in
                let product = try await product(id: application.productID, on: c)
                guard product.currency == result.limit.currency else {
                    throw ServiceError.invalid("product_id", "the product lends in \(product.currency.code), the scorecard in \(result.limit.currency.code)")
                }
                // Mid-rotation, accounts not yet rehashed quote the digest under an earlier part of the key chain.
                let earlier = personalData.previousDigests(application.nationalID).map(CreditStore.hex)
                if !earlier.isEmpty, try await CreditStore.nationalIDClaimed(anyOf: earlier, on: c, logger: logger) {
                    throw ServiceError.conflict(code: "duplicate_account", detail: "a credit account for this national ID already exists")
                }
                try await CreditStore.claim(.nationalID, ref: CreditStore.hex(nationalDigest), creditAccountID: id, objectID: id,
                                            on: c, logger: logger)
                var new = CreditStore.NewAccount(
                    id: id, productID: product.id, nationalIDDigest: nationalDigest,
                    nationalIDLast4: application.nationalID.lastFour, phoneDigest: personalData.digest(application.phone),
                    phoneMasked: application.phone.masked, limit: result.limit, status: status, score: result.score,
                    reasons: result.reasons, scoreDetailJSON: detail, featuresJSON: featuresJSON, openedOn: today)
                new.piiKeyID = personalData.keyID
                try await CreditStore.insertAccount(new, on: c, logger: logger)
                try await overrideBillingDays(of: application, accountID: id, on: c)
                try await AuditStore.record(
                    actor: actor.principal.actor, action: "credit.account.opened", objectType: "credit_account",
                    objectID: id.uuidString.lowercased(),
                    detail: ["status": status.rawValue, "score": "\(result.score)", "limit": result.limit.decimalString],
                    requestID: actor.requestID, on: c, logger: logger)
                return try await CreditStore.account(id: id, on: c, logger: logger).orNotFound("credit account", id: id)
            }
            logger.info("credit account opened", metadata: [
                "credit_account_id": "\(id.uuidString.lowercased())", "status": "\(status.rawValue)", "score": "\(result.score)",
            ])
            return OpenedCreditAccount(account: account, score: result)
        } catch let error where DatabaseFailure.isUniqueViolation(error) {
            throw ServiceError.conflict(code: "duplicate_account", detail: "a credit account for this national ID already exists")
        }
    }

    /// Credit accounts, newest first, optionally of one status (operator).
    public func accounts(status: CreditAccountStatus?, _ request: PageRequest) async throws -> Page<CreditAccountRecord> {
        let logger = self.logger
        return Page(fetched: try await read { try await CreditStore.accounts(status: status, request, on: $0, logger: logger) },
                    request: request)
    }

    /// How many live accounts sit in each delinquency bucket (every bucket present, zero included).
    /// Live accounts per bucket at the end of each of the latest `days` nightly runs, oldest first.
    public func bucketHistory(days: Int = 30) async throws -> [(date: BusinessDate, counts: [DelinquencyBucket: Int64])] {
        let logger = self.logger
        let rows = try await read { try await CreditStore.bucketHistory(days: days, on: $0, logger: logger) }
        var out: [(date: BusinessDate, counts: [DelinquencyBucket: Int64])] = []
        for row in rows {
            guard let date = BusinessDate(row.date), let bucket = DelinquencyBucket(rawValue: row.bucket) else { continue }
            if out.last?.date != date { out.append((date, [:])) }
            out[out.count - 1].counts[bucket] = row.accounts
        }
        return out
    }

    public func bucketCounts() async throws -> [(bucket: DelinquencyBucket, accounts: Int64)] {
        let logger = self.logger
        let counts = try await read { try await CreditStore.bucketCounts(on: $0, logger: logger) }
        return DelinquencyBucket.allCases.map { ($0, counts[$0.rawValue] ?? 0) }
    }

    public func account(id: UUID) async throws -> CreditAccountRecord {
        try await read { c in
            return try await CreditStore.account(id: id, on: c, logger: logger).orNotFound("credit account", id: id)
        }
    }

    /// The account locked for a use case, with whether anything is overdue today.
    func lockAccount(_ id: UUID, today: BusinessDate, on c: DatabaseConnection) async throws -> (CreditAccountRecord, Bool) {
        try await lockAccount(.id(id), resource: "credit account", today: today, on: c)
    }

    /// Locks the account identified directly or as the owner of a checkout or plan; 404 names `resource`.
    func lockAccount(
        _ key: CreditStore.AccountKey, resource: String, today: BusinessDate, on c: DatabaseConnection
    ) async throws -> (CreditAccountRecord, Bool) {
        guard var locked = try await CreditStore.lockAccount(key, on: c, logger: logger) else {
            throw ServiceError.notFound(resource: resource, id: key.id.uuidString.lowercased())
        }
        let product = try await product(id: locked.account.productID, on: c)
        let billing = product.terms.billing
        locked.account.billingCycle = BillingCycle(statementDay: locked.ownStatementDay ?? billing.statementDay,
                                                   repaymentDay: locked.ownRepaymentDay ?? billing.repaymentDay) ?? billing
        // Overdue even before the nightly run froze the account: an open installment past its due
        // date plus the product's grace days.
        let overdue = locked.oldestOpenDue.map { $0.adding(days: product.terms.graceDays) < today } ?? false
        return (locked.account, overdue)
    }

    // MARK: Checkouts

    /// Authorizes a checkout: holds the amount against the available limit atomically (the account
    /// row is locked, and a CHECK constraint backs the rule), or records a decline with its reasons.
    /// A limit shortfall first releases this account's holds that have already run out.
    public func authorize(_ request: CheckoutRequest, actor: Actor) async throws -> CheckoutOutcome {
        let (now, today) = clock.read()
        let checkoutID = UUID()
        do {
            var (outcome, terms, cycle) = try await database.transaction { c in
                var (account, overdue) = try await lockAccount(request.creditAccountID, today: today, on: c)
                let product = try await product(id: account.productID, on: c)
                var decision = CheckoutDecision.decide(amount: request.amount, plan: request.plan,
                                                       standing: account.standing(hasOverdue: overdue), product: product.terms)
                if decision.reasons.map(\.code) == ["limit_exceeded"], account.held.isPositive,
                   try await CreditStore.expireHolds(creditAccountIDs: [account.id], asOf: now, actor: Self.nightlyActor,
                                                     on: c, logger: logger) > 0 {
                    (account, overdue) = try await lockAccount(request.creditAccountID, today: today, on: c)
                    decision = CheckoutDecision.decide(amount: request.amount, plan: request.plan,
                                                       standing: account.standing(hasOverdue: overdue), product: product.terms)
                }
                let approved = decision.isApproved
                let checkout = CheckoutRecord(
                    id: checkoutID, creditAccountID: account.id, orderRef: request.orderRef, merchantID: request.merchantID,
                    amount: request.amount, plan: request.plan, status: approved ? .authorized : .declined,
                    reasons: decision.reasons, capturedAmount: nil, planID: nil, businessDate: today, authorizedAt: now,
                    expiresAt: approved ? product.terms.authorizationExpiry(authorizedAt: now) : now)
                let available: Money
                if approved {
                    try await CreditStore.insertAuthorization(checkout, actor: actor.principal.actor, requestID: actor.requestID,
                                                              on: c, logger: logger)
                    available = Self.available(account, heldDelta: request.amount.minorUnits)
                } else {
                    try await CreditStore.insertDecline(checkout, reasonsJSON: try Self.json(decision.reasons),
                                                        actor: actor.principal.actor, requestID: actor.requestID, on: c, logger: logger)
                    available = account.available
                }
                try await EventLog.record(approved ? .checkoutAuthorized : .checkoutDeclined, .checkout(checkout),
                                          objectID: checkoutID.uuidString.lowercased(), businessDate: today, on: c, logger: logger)
                return (CheckoutOutcome(checkout: checkout, available: available, plan: nil), product.terms, account.billingCycle)
            }
            // The price the consumer is agreeing to, annualised (Docs/ANNUAL-RATES.md): pure arithmetic after
            // the commit, so the account row is not held for it.
            if outcome.checkout.status == .authorized {
                outcome.annualRates = try? AnnualRateDisclosure.of(InstallmentSchedule.make(
                    principal: request.amount, purchaseDate: today, plan: request.plan, product: terms, billingCycle: cycle))
            }
            return outcome
        } catch let error where DatabaseFailure.isUniqueViolation(error, constraint: "credit_unique_refs_pkey") {
            throw ServiceError.conflict(code: "duplicate_order_ref",
                                        detail: "order reference \(request.orderRef) was already authorized")
        }
    }

    public func checkout(id: UUID) async throws -> CheckoutRecord {
        try await read { c in
            let owner = try await CreditStore.checkoutOwner(id: id, on: c, logger: logger).orNotFound("checkout", id: id)
            return try await CreditStore.checkout(creditAccountID: owner, id: id, forUpdate: false, on: c, logger: logger)
                .orNotFound("checkout", id: id)
        }
    }

    /// The account (locked) and the live authorization (locked) a capture or void acts on.
    func lockLiveCheckout(
        _ id: UUID, now: Date, today: BusinessDate, on c: DatabaseConnection
    ) async throws -> (CreditAccountRecord, CheckoutRecord) {
        let (account, _) = try await lockAccount(.checkout(id), resource: "checkout", today: today, on: c)
        // The account lock serialises every change to its checkouts; this read sees the latest state.
        guard let checkout = try await CreditStore.checkout(creditAccountID: account.id, id: id, forUpdate: true, on: c,
                                                            logger: logger) else {
            throw ServiceError.notFound(resource: "checkout", id: id.uuidString.lowercased())
        }
        guard checkout.status == .authorized else {
            throw ServiceError.conflict(code: "checkout_not_authorized", detail: "the checkout is \(checkout.status.rawValue)")
        }
        guard now < checkout.expiresAt else {
            throw ServiceError.conflict(code: "authorization_expired", detail: "the authorization expired; authorize again")
        }
        return (account, checkout)
    }

    /// Captures an authorization in full or in part: creates the plan and its schedule, books the
    /// receivable against the merchant payable, and releases the whole hold (an unused part is freed).
    public func capture(checkoutID: UUID, amount: Money?, actor: Actor) async throws -> CheckoutOutcome {
        let (now, today) = clock.read()
        return try await database.transaction { c in
            let (account, checkout) = try await lockLiveCheckout(checkoutID, now: now, today: today, on: c)
            let captured = amount ?? checkout.amount
            guard captured.currency == checkout.amount.currency else {
                throw ServiceError.invalid("amount.currency", "the checkout is in \(checkout.amount.currency.code)")
            }
            guard captured.isPositive, captured.minorUnits <= checkout.amount.minorUnits else {
                throw ServiceError.invalid("amount.amount", "must be positive and at most the authorized \(checkout.amount.decimalString)")
            }
            let product = try await product(id: account.productID, on: c)
            let schedule = try Self.domain { () throws(CreditError) in
                try InstallmentSchedule.make(principal: captured, purchaseDate: today, plan: checkout.plan, product: product.terms,
                                             billingCycle: account.billingCycle)
            }
            let plan = InstallmentPlanRecord(
                id: UUID(), creditAccountID: account.id, checkoutID: checkout.id, merchantID: checkout.merchantID,
                plan: checkout.plan, pricing: schedule.pricing, rounding: product.terms.rounding, currency: captured.currency,
                principal: captured, feeBase: captured, purchaseDate: today, status: .active, convertedFrom: nil,
                installments: schedule.installments.map(InstallmentRecord.init(scheduled:)))
            try await CreditPlanStore.insert(plan, closing: .init(released: checkout.amount, actor: actor.principal.actor,
                                                                 requestID: actor.requestID), on: c, logger: logger)
            let entry = try Self.ledger {
                try CreditLedger.capture(checkoutID: checkout.id.uuidString.lowercased(), creditAccountID: account.id.uuidString.lowercased(),
                                         merchantID: checkout.merchantID, principal: captured, businessDate: today)
            }
            // Plan, entry, order and event are written only; they wait for the request's last statement.
            let entryIDs = try await CreditLedgerBatch.hold([entry], on: c, logger: logger)
            try await PaymentOrders.payOut(.merchantPayable, sourceID: entry.referenceID, creditorRef: checkout.merchantID,
                                           amount: captured, entry: entry, entryID: entryIDs.first,
                                           remittance: "Order \(checkout.orderRef)", on: c, logger: logger)
            let after = checkout.closed(as: .captured, captured: captured, planID: plan.id)
            try await EventLog.record(.checkoutCaptured, .checkout(after), objectID: after.id.uuidString.lowercased(),
                                      businessDate: today, on: c, logger: logger)
            let available = Self.available(account, heldDelta: -checkout.amount.minorUnits, principalDelta: captured.minorUnits)
            return CheckoutOutcome(checkout: after, available: available, plan: plan)
        }
    }

    /// Voids a live authorization and releases its hold.
    public func void(checkoutID: UUID, actor: Actor) async throws -> CheckoutOutcome {
        let (now, today) = clock.read()
        return try await database.transaction { c in
            let (account, checkout) = try await lockLiveCheckout(checkoutID, now: now, today: today, on: c)
            try await CreditStore.closeCheckout(creditAccountID: account.id, id: checkout.id, status: .voided, capturedAmount: nil,
                                                planID: nil, on: c, logger: logger)
            try await CreditStore.adjustAccount(id: account.id, heldDelta: -checkout.amount.minorUnits, principalDelta: 0,
                                                on: c, logger: logger)
            try await AuditStore.record(actor: actor.principal.actor, action: "credit.checkout.voided", objectType: "checkout",
                                        objectID: checkout.id.uuidString.lowercased(), requestID: actor.requestID, on: c, logger: logger)
            let after = checkout.closed(as: .voided)
            try await EventLog.record(.checkoutVoided, .checkout(after), objectID: after.id.uuidString.lowercased(),
                                      businessDate: today, on: c, logger: logger)
            return CheckoutOutcome(
                checkout: after,
                available: Self.available(account, heldDelta: -checkout.amount.minorUnits),
                plan: nil)
        }
    }

    /// Nightly step for a business date: expires the holds that ran out by the end of that date in
    /// the platform's time zone (the close of business), so a replayed date expires the same holds.
    @discardableResult
    public func expireAuthorizations(businessDate: BusinessDate, batchSize: Int = 500) async throws -> Int {
        let midnight = TimeInterval(businessDate.adding(days: 1).daysSinceEpoch * 86_400)
        let offset = TimeInterval(clock.calendar.timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: midnight)))
        return try await expireAuthorizations(asOf: Date(timeIntervalSince1970: midnight - offset), batchSize: batchSize)
    }

    /// Nightly step: expires every authorization whose hold ran out by `asOf` and releases the holds.
    /// Batched by credit account (`batchSize` accounts per transaction, in id order); idempotent:
    /// a second call finds nothing left to expire. Returns how many authorizations expired.
    @discardableResult
    public func expireAuthorizations(asOf: Date, batchSize: Int = 500) async throws -> Int {
        var after: UUID?
        var expired = 0
        while true {
            let cursor = after
            let ids = try await read { c in
                try await CreditStore.accountsWithStaleHolds(asOf: asOf, after: cursor, limit: batchSize, on: c, logger: logger)
            }
            guard let last = ids.last else { break }
            after = last
            expired += try await database.transaction { c in
                let locked = try await CreditNightlyStore.lockAccounts(ids, on: c, logger: logger)
                return try await CreditStore.expireHolds(creditAccountIDs: Array(locked.keys), asOf: asOf, actor: Self.nightlyActor,
                                                         on: c, logger: logger)
            }
        }
        if expired > 0 { logger.info("credit authorizations expired", metadata: ["count": "\(expired)"]) }
        return expired
    }

    // MARK: Helpers

    /// The account's available amount after moving its hold and principal by the given deltas.
    static func available(_ account: CreditAccountRecord, heldDelta: Int64 = 0, principalDelta: Int64 = 0) -> Money {
        let after = CreditStanding(
            status: account.status, limit: account.limit,
            held: Money(minorUnits: account.held.minorUnits + heldDelta, currency: account.currency),
            principalOutstanding: Money(minorUnits: account.principalOutstanding.minorUnits + principalDelta, currency: account.currency),
            hasOverdue: false)
        return account.status == .active ? after.available : .zero(account.currency)
    }

    /// Runs read-only work on one pooled connection.
    func read<T: Sendable>(_ body: @Sendable (DatabaseConnection) async throws -> T) async throws -> T {
        try await database.withConnection { try await body($0) }
    }

    /// Runs a domain rule, turning its refusal into a 422.
    static func domain<T>(field: String = "body", _ body: () throws(CreditError) -> T) throws -> T {
        do {
            return try body()
        } catch .tenorNotOffered(let tenor) {
            throw ServiceError.invalid("tenor", "\(tenor) installments are not offered by this product")
        } catch {
            throw ServiceError.invalid(field, error.description)
        }
    }

    /// Builds a journal entry; the templates only fail on overflow, which is a 422 on the amount.
    static func ledger(_ body: () throws -> JournalEntry) throws -> JournalEntry {
        do {
            return try body()
        } catch let error as LedgerError {
            throw ServiceError.invalid("amount", "the amounts cannot be booked: \(error)")
        }
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

/// The database holds digests made under the published development key.
public struct PersonalDataKeyMismatch: Error, CustomStringConvertible {
    public let accounts: Int64
    public var description: String {
        "\(accounts) credit accounts hold personal-data digests made under the published development key; production refuses them. "
            + "Rotate them: keep QZ_PII_KEY, set QZ_PII_PREVIOUS_KEYS to the development key and run `qianzhuang pii rehash`"
    }
}
