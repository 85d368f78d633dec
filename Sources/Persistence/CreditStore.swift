import Domain
import Foundation
import Logging
import PostgresNIO

/// Kinds of business key that must be unique across every credit account (`credit_unique_refs`).
public enum CreditUniqueRefKind: String, Sendable {
    case order, repayment, refund
    case nationalID = "national_id"
}

/// SQL for credit products, accounts and checkouts. Every function runs on the caller's connection
/// (inside its transaction); functions named `lock…` take row locks (`FOR UPDATE`), always the
/// credit account first, then its checkouts or plans, so concurrent use cases cannot deadlock.
public enum CreditStore {
    // MARK: Products

    public static func insertProduct(_ product: CreditProductRecord, on connection: PostgresConnection, logger: Logger) async throws {
        let terms = product.terms
        try await connection.prepared("""
            INSERT INTO credit_products (id, code, name, currency, interest_free_days, grace_days, daily_late_fee_rate,
                                         late_fee_cap, authorization_expiry_hours, rounding, is_default, allocation_strategy,
                                         overpayment, statement_day, repayment_day)
            VALUES (\(product.id), \(product.code), \(product.name), \(product.currency.code), \(terms.interestFreeDays),
                    \(terms.graceDays), \("\(terms.dailyLateFeeRate)")::numeric, \("\(terms.lateFeeCap)")::numeric,
                    \(terms.authorizationExpiryHours), \(terms.rounding.rawValue), \(product.isDefault),
                    \(terms.allocation.rawValue), \(terms.overpayment.rawValue), \(terms.billing.statementDay),
                    \(terms.billing.repaymentDay))
            """, logger: logger)
        let tenors = terms.allowedTenors.sorted()
        let methods = tenors.map { terms.pricing[$0]?.methodName ?? "" }
        let rates = tenors.map { "\(terms.pricing[$0]?.monthlyRate ?? 0)" }
        try await connection.prepared("""
            INSERT INTO credit_product_tenors (product_id, tenor, pricing, monthly_rate)
            SELECT \(product.id), t.tenor, t.pricing, t.rate::numeric
            FROM unnest(\(tenors)::int[], \(methods)::text[], \(rates)::text[]) AS t(tenor, pricing, rate)
            """, logger: logger)
    }

    /// The product with `id`, or the default product when `id` is nil.
    public static func product(id: UUID?, on connection: PostgresConnection, logger: Logger) async throws -> CreditProductRecord? {
        let rows = try await connection.query("""
            SELECT p.id, p.code, p.name, p.currency, p.interest_free_days, p.grace_days,
                   p.daily_late_fee_rate::text AS daily_late_fee_rate, p.late_fee_cap::text AS late_fee_cap,
                   p.authorization_expiry_hours, p.rounding, p.is_default, p.allocation_strategy, p.overpayment,
                   p.statement_day, p.repayment_day,
                   ARRAY(SELECT t.tenor FROM credit_product_tenors t WHERE t.product_id = p.id ORDER BY t.tenor) AS tenors,
                   ARRAY(SELECT t.pricing FROM credit_product_tenors t WHERE t.product_id = p.id ORDER BY t.tenor) AS methods,
                   ARRAY(SELECT t.monthly_rate::text FROM credit_product_tenors t WHERE t.product_id = p.id ORDER BY t.tenor) AS rates
            FROM credit_products p
            WHERE (\(id)::uuid IS NULL AND p.is_default) OR p.id = \(id)::uuid
            """, logger: logger)
        for try await row in rows {
            let r = row.makeRandomAccess()
            let tenors = try r.creditColumn("tenors", as: [Int].self)
            let methods = try r.creditColumn("methods", as: [String].self)
            let rates = try r.creditColumn("rates", as: [String].self)
            var pricing: [Int: InstallmentPricing] = [:]
            for (tenor, (method, rateText)) in zip(tenors, zip(methods, rates)) {
                guard let rate = Decimal(string: rateText), let price = InstallmentPricing(methodName: method, rate: rate) else {
                    throw CreditStoreError.corruptRow("credit_product_tenors \(tenor)")
                }
                pricing[tenor] = price
            }
            guard let billing = BillingCycle(statementDay: try r.creditColumn("statement_day", as: Int.self),
                                             repaymentDay: try r.creditColumn("repayment_day", as: Int.self)) else {
                throw CreditStoreError.corruptRow("credit_products billing days")
            }
            let terms = CreditProduct(
                allowedTenors: tenors, pricing: pricing,
                interestFreeDays: try r.creditColumn("interest_free_days", as: Int.self),
                graceDays: try r.creditColumn("grace_days", as: Int.self),
                dailyLateFeeRate: try r.creditDecimal("daily_late_fee_rate"),
                lateFeeCap: try r.creditDecimal("late_fee_cap"),
                authorizationExpiryHours: try r.creditColumn("authorization_expiry_hours", as: Int.self),
                rounding: try r.creditEnum("rounding", as: RoundingRule.self),
                allocation: try r.creditEnum("allocation_strategy", as: AllocationStrategy.self),
                overpayment: try r.creditEnum("overpayment", as: OverpaymentPolicy.self), billing: billing)
            return CreditProductRecord(
                id: try r.creditColumn("id"), code: try r.creditColumn("code"), name: try r.creditColumn("name"),
                currency: try r.creditCurrency(), terms: terms, isDefault: try r.creditColumn("is_default"))
        }
        return nil
    }

    // MARK: Unique business keys

    /// Claims `ref` of `kind` for an object; a duplicate fails with SQLSTATE 23505 on
    /// `credit_unique_refs_pkey` and aborts the caller's transaction.
    public static func claim(
        _ kind: CreditUniqueRefKind, ref: String, creditAccountID: UUID, objectID: UUID,
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.prepared("""
            INSERT INTO credit_unique_refs (ref, kind, credit_account_id, object_id)
            VALUES (\(ref), \(kind.rawValue), \(creditAccountID), \(objectID))
            """, logger: logger)
    }

    /// Who holds `ref` of `kind`: the credit account and the object.
    public static func owner(
        of kind: CreditUniqueRefKind, ref: String, on connection: PostgresConnection, logger: Logger
    ) async throws -> (creditAccountID: UUID, objectID: UUID)? {
        let rows = try await connection.prepared("""
            SELECT credit_account_id, object_id FROM credit_unique_refs WHERE ref = \(ref) AND kind = \(kind.rawValue)
            """, logger: logger)
        for try await (account, object) in rows.decode((UUID, UUID).self) { return (account, object) }
        return nil
    }

    // MARK: Accounts

    /// What an account is opened with.
    public struct NewAccount: Sendable {
        public let id: UUID
        public let productID: UUID
        public let nationalIDDigest: [UInt8]
        public let nationalIDLast4: String
        public let phoneDigest: [UInt8]
        public let phoneMasked: String
        public let limit: Money
        public let status: CreditAccountStatus
        public let score: Int
        public let reasons: [String]
        public let scoreDetailJSON: String
        public let featuresJSON: String
        public let openedOn: BusinessDate
        /// `CreditPersonalData.keyID` of the key the digests were made with.
        public var piiKeyID = ""

        public init(
            id: UUID, productID: UUID, nationalIDDigest: [UInt8], nationalIDLast4: String, phoneDigest: [UInt8],
            phoneMasked: String, limit: Money, status: CreditAccountStatus, score: Int, reasons: [String],
            scoreDetailJSON: String, featuresJSON: String, openedOn: BusinessDate
        ) {
            self.id = id
            self.productID = productID
            self.nationalIDDigest = nationalIDDigest
            self.nationalIDLast4 = nationalIDLast4
            self.phoneDigest = phoneDigest
            self.phoneMasked = phoneMasked
            self.limit = limit
            self.status = status
            self.score = score
            self.reasons = reasons
            self.scoreDetailJSON = scoreDetailJSON
            self.featuresJSON = featuresJSON
            self.openedOn = openedOn
        }
    }

    public static func insertAccount(_ a: NewAccount, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.prepared("""
            INSERT INTO credit_accounts (id, product_id, national_id_hmac, national_id_last4, phone_hmac, phone_masked,
                                         currency, credit_limit, status, score, score_reasons, score_detail, features, opened_on,
                                         pii_key_id)
            VALUES (\(a.id), \(a.productID), \(ByteBuffer(bytes: a.nationalIDDigest)), \(a.nationalIDLast4),
                    \(ByteBuffer(bytes: a.phoneDigest)), \(a.phoneMasked),
                    \(a.limit.currency.code), \(a.limit.minorUnits), \(a.status.rawValue), \(a.score), \(a.reasons)::text[],
                    \(a.scoreDetailJSON)::jsonb, \(a.featuresJSON)::jsonb, \(a.openedOn.description)::date,
                    NULLIF(\(a.piiKeyID), ''))
            """, logger: logger)
    }

    /// How many accounts hold digests made under `keyID`.
    public static func accountCount(piiKeyID keyID: String, on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        try await connection.query("SELECT count(*) FROM credit_accounts WHERE pii_key_id = \(keyID)", logger: logger)
            .all(Int64.self).first ?? 0
    }

    /// The account's own columns; `accountColumns` adds the billing days resolved against its product.
    static let ownAccountColumns = """
        a.id, a.product_id, a.national_id_last4, a.phone_masked, a.currency, a.credit_limit, a.held,
        a.principal_outstanding, a.status, a.score, a.score_reasons, a.score_detail::text AS score_detail,
        a.days_past_due, a.bucket, a.opened_on::text AS opened_on, a.charged_off_on::text AS charged_off_on
        """
    static let accountColumns = """
        a.id, a.product_id, a.national_id_last4, a.phone_masked, a.currency, a.credit_limit, a.held,
        a.principal_outstanding, a.status, a.score, a.score_reasons, a.score_detail::text AS score_detail,
        a.days_past_due, a.bucket, a.opened_on::text AS opened_on, a.charged_off_on::text AS charged_off_on,
        COALESCE(a.statement_day, p.statement_day) AS billing_statement_day,
        COALESCE(a.repayment_day, p.repayment_day) AS billing_repayment_day
        """
    /// What `accountColumns` select from: the account and its product (for the billing days it falls back to).
    static let accountFrom = "credit_accounts a JOIN credit_products p ON p.id = a.product_id"

    /// With `billing`, the row carries `billing_statement_day`/`billing_repayment_day` (see `accountColumns`).
    static func decodeAccount(_ r: PostgresRandomAccessRow, billing: Bool = true) throws -> CreditAccountRecord {
        let currency = try r.creditCurrency()
        var account = CreditAccountRecord(
            id: try r.creditColumn("id"), productID: try r.creditColumn("product_id"),
            nationalIDLast4: try r.creditColumn("national_id_last4"), phoneMasked: try r.creditColumn("phone_masked"),
            currency: currency, limit: try r.creditMoney("credit_limit", currency), held: try r.creditMoney("held", currency),
            principalOutstanding: try r.creditMoney("principal_outstanding", currency),
            status: try r.creditEnum("status", as: CreditAccountStatus.self), score: try r.creditColumn("score"),
            reasons: try r.creditColumn("score_reasons"), scoreDetailJSON: try r.creditColumn("score_detail"),
            daysPastDue: try r.creditColumn("days_past_due"), bucket: try r.creditEnum("bucket", as: DelinquencyBucket.self),
            openedOn: try r.creditDate("opened_on"),
            chargedOffOn: try r.creditColumn("charged_off_on", as: String?.self).flatMap(BusinessDate.init))
        if billing, let cycle = BillingCycle(statementDay: try r.creditColumn("billing_statement_day"),
                                    repaymentDay: try r.creditColumn("billing_repayment_day")) {
            account.billingCycle = cycle
        }
        return account
    }

    /// Many accounts in one statement (order not kept; unknown ids skipped).
    public static func accounts(ids: [UUID], on connection: PostgresConnection, logger: Logger) async throws -> [CreditAccountRecord] {
        guard !ids.isEmpty else { return [] }
        return try await connection.query(
            "SELECT \(unescaped: accountColumns) FROM \(unescaped: accountFrom) WHERE a.id = ANY(\(ids)::uuid[])", logger: logger
        ).all { try decodeAccount($0) }
    }

    public static func account(id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> CreditAccountRecord? {
        let rows = try await connection.prepared(
            "SELECT \(unescaped: accountColumns) FROM \(unescaped: accountFrom) WHERE a.id = \(id)", logger: logger)
        for try await row in rows { return try decodeAccount(row.makeRandomAccess()) }
        return nil
    }

    /// Which account a use case locks: by its id, or as the owner of a checkout or a plan
    /// (resolved inside the locking statement, saving a round trip).
    public enum AccountKey: Sendable {
        case id(UUID)
        case checkout(UUID)
        case plan(UUID)

        /// The id the key names.
        public var id: UUID { sql.id }

        /// SQL around the bound id, from this fixed list only.
        var sql: (prefix: String, id: UUID, suffix: String) {
            switch self {
            case .id(let id): ("a.id = ", id, "")
            case .checkout(let id): ("a.id = (SELECT credit_account_id FROM credit_checkouts WHERE id = ", id, ")")
            case .plan(let id): ("a.id = (SELECT credit_account_id FROM credit_plans WHERE id = ", id, ")")
            }
        }
    }

    /// A locked account, with what the caller completes from the (cached) product: the account's own
    /// billing days, if it has any, and the due date of its oldest open installment.
    public struct LockedAccount: Sendable {
        public var account: CreditAccountRecord
        public let ownStatementDay: Int?
        public let ownRepaymentDay: Int?
        public let oldestOpenDue: BusinessDate?
    }

    /// Locks the account (one row, no join: the product's billing and grace days come from the
    /// service's product cache) and reads the due date of its oldest open installment.
    public static func lockAccount(
        _ key: AccountKey, on connection: PostgresConnection, logger: Logger
    ) async throws -> LockedAccount? {
        let (prefix, keyID, suffix) = key.sql
        let rows = try await connection.prepared("""
            SELECT \(unescaped: ownAccountColumns), a.statement_day AS own_statement_day, a.repayment_day AS own_repayment_day,
                   (SELECT min(i.due_date) FROM credit_installments i
                    WHERE i.credit_account_id = a.id AND i.status = 'open')::text AS oldest_open_due
            FROM credit_accounts a WHERE \(unescaped: prefix)\(keyID)\(unescaped: suffix) FOR UPDATE
            """, logger: logger)
        for try await row in rows {
            let r = row.makeRandomAccess()
            return LockedAccount(account: try decodeAccount(r, billing: false),
                                 ownStatementDay: try r.creditColumn("own_statement_day", as: Int?.self),
                                 ownRepaymentDay: try r.creditColumn("own_repayment_day", as: Int?.self),
                                 oldestOpenDue: try r.creditColumn("oldest_open_due", as: String?.self).flatMap(BusinessDate.init))
        }
        return nil
    }

    /// Sets the account's ageing fields and status.
    public static func updateDelinquency(
        accountID: UUID, daysPastDue: Int, bucket: DelinquencyBucket, status: CreditAccountStatus,
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.prepared("""
            UPDATE credit_accounts SET days_past_due = \(daysPastDue), bucket = \(bucket.rawValue), status = \(status.rawValue),
                   updated_at = now()
            WHERE id = \(accountID)
            """, logger: logger)
    }

    /// Sets the account's limit (the CHECK keeps it at or above what is held and outstanding).
    public static func setLimit(accountID: UUID, limit: Money, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            UPDATE credit_accounts SET credit_limit = \(limit.minorUnits), updated_at = now() WHERE id = \(accountID)
            """, logger: logger)
    }

    /// How many installments of the account are still open (something owed on them).
    public static func openInstallmentCount(accountID: UUID, on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        try await connection.query("""
            SELECT count(*) FROM credit_installments WHERE credit_account_id = \(accountID) AND status = 'open'
            """, logger: logger).all(Int64.self).first ?? 0
    }

    /// What a charged-off account had written off (principal and late fees owed on its charged-off
    /// installments) and what has been recovered since, in minor units.
    public static func recoveryStanding(
        accountID: UUID, on connection: PostgresConnection, logger: Logger
    ) async throws -> (writtenOff: Int64, recovered: Int64) {
        let rows = try await connection.query("""
            SELECT (SELECT COALESCE(sum(principal - principal_paid + late_fee - late_fee_paid), 0)::bigint FROM credit_installments
                    WHERE credit_account_id = \(accountID) AND status = 'charged_off'),
                   (SELECT COALESCE(sum(amount), 0)::bigint FROM credit_recoveries WHERE credit_account_id = \(accountID))
            """, logger: logger)
        for try await (writtenOff, recovered) in rows.decode((Int64, Int64).self) { return (writtenOff, recovered) }
        return (0, 0)
    }

    /// Records a recovery; a repeated external reference fails with 23505 (credit_recoveries_credit_account_id_external_ref_key).
    public static func insertRecovery(
        accountID: UUID, id: UUID, externalRef: String, amount: Money, businessDate: BusinessDate,
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.query("""
            INSERT INTO credit_recoveries (credit_account_id, id, external_ref, amount, currency, business_date)
            VALUES (\(accountID), \(id), \(externalRef), \(amount.minorUnits), \(amount.currency.code), \(businessDate.description)::date)
            """, logger: logger)
    }

    /// Moves the account's cached amounts by the given deltas (the CHECK keeps them within the limit).
    public static func adjustAccount(
        id: UUID, heldDelta: Int64, principalDelta: Int64, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.prepared("""
            UPDATE credit_accounts SET held = held + \(heldDelta), principal_outstanding = principal_outstanding + \(principalDelta),
                   updated_at = now()
            WHERE id = \(id)
            """, logger: logger)
    }

    // MARK: Checkouts

    /// The hot path of a checkout, in one statement: claims the order reference (a duplicate fails
    /// with 23505), records the authorization, raises the account's hold, writes the audit event.
    public static func insertAuthorization(
        _ c: CheckoutRecord, actor: String, requestID: String?, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.prepared("""
            WITH ref AS (
                INSERT INTO credit_unique_refs (ref, kind, credit_account_id, object_id)
                VALUES (\(c.orderRef), 'order', \(c.creditAccountID), \(c.id))
            ), checkout AS (
                INSERT INTO credit_checkouts (credit_account_id, id, order_ref, merchant_id, amount, currency, plan_type, tenor,
                                              status, business_date, authorized_at, expires_at)
                VALUES (\(c.creditAccountID), \(c.id), \(c.orderRef), \(c.merchantID), \(c.amount.minorUnits),
                        \(c.amount.currency.code), \(c.plan.typeName), NULLIF(\(c.plan.tenor ?? 0), 0), 'authorized',
                        \(c.businessDate.description)::date, \(c.authorizedAt), \(c.expiresAt))
            ), audit AS (
                INSERT INTO audit_events (actor, action, object_type, object_id, detail, request_id)
                VALUES (\(actor), 'credit.checkout.authorized', 'checkout', \(c.id.uuidString.lowercased()),
                        jsonb_build_object('amount', \(c.amount.decimalString)::text, 'currency', \(c.amount.currency.code)::text),
                        NULLIF(\(requestID ?? ""), ''))
            )
            UPDATE credit_accounts SET held = held + \(c.amount.minorUnits), updated_at = now() WHERE id = \(c.creditAccountID)
            """, logger: logger)
    }

    /// Records a declined attempt with its reasons (no hold, no order-reference claim).
    public static func insertDecline(
        _ c: CheckoutRecord, reasonsJSON: String, actor: String, requestID: String?, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.query("""
            WITH checkout AS (
                INSERT INTO credit_checkouts (credit_account_id, id, order_ref, merchant_id, amount, currency, plan_type, tenor,
                                              status, decline_reasons, business_date, authorized_at, expires_at, closed_at)
                VALUES (\(c.creditAccountID), \(c.id), \(c.orderRef), \(c.merchantID), \(c.amount.minorUnits),
                        \(c.amount.currency.code), \(c.plan.typeName), \(c.plan.tenor), 'declined', \(reasonsJSON)::jsonb,
                        \(c.businessDate.description)::date, \(c.authorizedAt), \(c.expiresAt), \(c.authorizedAt))
            )
            INSERT INTO audit_events (actor, action, object_type, object_id, detail, request_id)
            VALUES (\(actor), 'credit.checkout.declined', 'checkout', \(c.id.uuidString.lowercased()),
                    jsonb_build_object('reasons', \(reasonsJSON)::jsonb), \(requestID))
            """, logger: logger)
    }

    /// The credit account a checkout belongs to (no lock).
    public static func checkoutOwner(id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> UUID? {
        try await connection.prepared("SELECT credit_account_id FROM credit_checkouts WHERE id = \(id)", logger: logger)
            .all(UUID.self).first
    }

    static let checkoutColumns = """
        c.id, c.credit_account_id, c.order_ref, c.merchant_id, c.amount, c.currency, c.plan_type, c.tenor, c.status,
        c.decline_reasons::text AS decline_reasons, c.captured_amount, c.plan_id, c.business_date::text AS business_date,
        c.authorized_at, c.expires_at
        """

    static func decodeCheckout(_ r: PostgresRandomAccessRow) throws -> CheckoutRecord {
        let currency = try r.creditCurrency()
        let reasonsText = try r.creditColumn("decline_reasons", as: String.self)
        let reasons = try JSONDecoder().decode([DecisionReason].self, from: Data(reasonsText.utf8))
        return CheckoutRecord(
            id: try r.creditColumn("id"), creditAccountID: try r.creditColumn("credit_account_id"),
            orderRef: try r.creditColumn("order_ref"), merchantID: try r.creditColumn("merchant_id"),
            amount: try r.creditMoney("amount", currency),
            plan: try PurchasePlan(typeName: try r.creditColumn("plan_type"), tenor: try r.creditColumn("tenor", as: Int?.self)),
            status: try r.creditEnum("status", as: CheckoutStatus.self), reasons: reasons,
            capturedAmount: try r.creditColumn("captured_amount", as: Int64?.self).map { Money(minorUnits: $0, currency: currency) },
            planID: try r.creditColumn("plan_id", as: UUID?.self), businessDate: try r.creditDate("business_date"),
            authorizedAt: try r.creditColumn("authorized_at"), expiresAt: try r.creditColumn("expires_at"))
    }

    /// A checkout of `creditAccountID`, locked when `forUpdate`.
    public static func checkout(
        creditAccountID: UUID, id: UUID, forUpdate: Bool, on connection: PostgresConnection, logger: Logger
    ) async throws -> CheckoutRecord? {
        let lock = forUpdate ? "FOR UPDATE" : ""
        let rows = try await connection.prepared("""
            SELECT \(unescaped: checkoutColumns) FROM credit_checkouts c
            WHERE c.credit_account_id = \(creditAccountID) AND c.id = \(id) \(unescaped: lock)
            """, logger: logger)
        for try await row in rows { return try decodeCheckout(row.makeRandomAccess()) }
        return nil
    }

    /// Closes a live authorization as captured (with its plan), voided or expired.
    public static func closeCheckout(
        creditAccountID: UUID, id: UUID, status: CheckoutStatus, capturedAmount: Int64?, planID: UUID?,
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.query("""
            UPDATE credit_checkouts SET status = \(status.rawValue), captured_amount = \(capturedAmount), plan_id = \(planID),
                   closed_at = now()
            WHERE credit_account_id = \(creditAccountID) AND id = \(id) AND status = 'authorized'
            """, logger: logger)
    }

    /// Expires the account's authorizations whose hold ran out at `asOf` and releases their holds.
    /// Returns how many expired. The caller holds the account's lock.
    @discardableResult
    public static func expireHolds(
        creditAccountIDs: [UUID], asOf: Date, actor: String, on connection: PostgresConnection, logger: Logger
    ) async throws -> Int {
        let rows = try await connection.prepared("""
            WITH expired AS (
                UPDATE credit_checkouts SET status = 'expired', closed_at = now()
                WHERE credit_account_id = ANY(\(creditAccountIDs)::uuid[]) AND status = 'authorized' AND expires_at <= \(asOf)
                RETURNING credit_account_id, id, amount
            ), released AS (
                UPDATE credit_accounts a SET held = a.held - s.total, updated_at = now()
                FROM (SELECT credit_account_id, sum(amount)::bigint AS total FROM expired GROUP BY credit_account_id) s
                WHERE a.id = s.credit_account_id
            ), audit AS (
                INSERT INTO audit_events (actor, action, object_type, object_id, detail)
                SELECT \(actor), 'credit.checkout.expired', 'checkout', id::text, jsonb_build_object('released', amount)
                FROM expired
            )
            SELECT count(*)::bigint FROM expired
            """, logger: logger)
        return Int(try await rows.all(Int64.self).first ?? 0)
    }

    /// The next accounts, after `after` in id order, that hold authorizations stale at `asOf`.
    public static func accountsWithStaleHolds(
        asOf: Date, after: UUID?, limit: Int, on connection: PostgresConnection, logger: Logger
    ) async throws -> [UUID] {
        try await connection.query("""
            SELECT DISTINCT credit_account_id FROM credit_checkouts
            WHERE status = 'authorized' AND expires_at <= \(asOf)
              AND (\(after)::uuid IS NULL OR credit_account_id > \(after)::uuid)
            ORDER BY credit_account_id LIMIT \(limit)
            """, logger: logger).all(UUID.self)
    }

    /// Live (active or frozen) accounts per delinquency bucket.
    /// Records how many live accounts are in each bucket at the end of `businessDate` (every bucket,
    /// zero included; a re-run of the date overwrites).
    public static func recordBucketHistory(businessDate: BusinessDate, on c: PostgresConnection, logger: Logger) async throws {
        try await c.query("""
            INSERT INTO credit_bucket_history (business_date, bucket, accounts)
            SELECT \(businessDate.description)::date, b.bucket, count(a.id)
            FROM unnest(ARRAY['current', 'dpd_1_30', 'dpd_31_60', 'dpd_61_90', 'dpd_90_plus']) AS b(bucket)
            LEFT JOIN credit_accounts a ON a.bucket = b.bucket AND a.status IN ('active', 'frozen')
            GROUP BY b.bucket
            ON CONFLICT (business_date, bucket) DO UPDATE SET accounts = EXCLUDED.accounts
            """, logger: logger)
    }

    /// The recorded bucket counts of the latest `days` business dates, oldest first.
    public static func bucketHistory(days: Int, on c: PostgresConnection, logger: Logger) async throws -> [(date: String, bucket: String, accounts: Int64)] {
        var out: [(String, String, Int64)] = []
        for try await row in try await c.query("""
            SELECT business_date::text, bucket, accounts FROM credit_bucket_history
            WHERE business_date IN (SELECT DISTINCT business_date FROM credit_bucket_history ORDER BY business_date DESC LIMIT \(days))
            ORDER BY business_date, bucket
            """, logger: logger).decode((String, String, Int64).self) {
            out.append(row)
        }
        return out
    }

    public static func bucketCounts(on c: PostgresConnection, logger: Logger) async throws -> [String: Int64] {
        var out: [String: Int64] = [:]
        for try await (bucket, n) in try await c.query("""
            SELECT bucket, count(*)::bigint FROM credit_accounts WHERE status IN ('active', 'frozen') GROUP BY bucket
            """, logger: logger).decode((String, Int64).self) {
            out[bucket] = n
        }
        return out
    }
}
