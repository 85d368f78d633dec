import Domain
import Foundation
import Logging
import PostgresNIO

/// A policy's premium as priced at purchase, every part of the quote kept.
public struct PolicyPremium: Sendable, Hashable {
    public let basePremium: Money
    public let policiesEarned: Int
    public let credibility: Decimal
    public let sellerLossRatio: Decimal?
    public let expectedLossRatio: Decimal
    public let experienceFactor: Decimal
    public let premium: Money
    public let commissionRate: Decimal
    public let commission: Money
    public let insurerShare: Money
}

extension PolicyPremium {
    /// Declared here so the memberwise initializer (used when a stored policy is read) stays synthesized.
    public init(_ quote: PremiumQuote) {
        basePremium = quote.basePremium
        policiesEarned = quote.policiesEarned
        credibility = quote.credibility
        sellerLossRatio = quote.sellerLossRatio
        expectedLossRatio = quote.expectedLossRatio
        experienceFactor = quote.experienceFactor
        premium = quote.premium
        commissionRate = quote.commissionRate
        commission = quote.commission
        insurerShare = quote.insurerShare
    }
}

/// What a policy insures: the order, its seller, what was sold, the route it ships on, the cap and
/// the window in which a return may be requested.
public struct ShippingPolicyTerms: Sendable, Hashable {
    public let orderRef: String
    public let seller: SellerRef
    public let category: ProductCategory
    public let shipFromRegion: String
    public let shipToRegion: String
    public let coverageCap: Money
    /// First day a return may be requested (inclusive).
    public let coverageStart: BusinessDate
    /// Last day a return may be requested (inclusive).
    public let coverageEnd: BusinessDate

    public init(orderRef: String, seller: SellerRef, category: ProductCategory, shipFromRegion: String, shipToRegion: String,
                coverageCap: Money, coverageStart: BusinessDate, coverageEnd: BusinessDate) {
        self.orderRef = orderRef
        self.seller = seller
        self.category = category
        self.shipFromRegion = shipFromRegion
        self.shipToRegion = shipToRegion
        self.coverageCap = coverageCap
        self.coverageStart = coverageStart
        self.coverageEnd = coverageEnd
    }
}

/// A return shipping policy as stored, and how far its return has got.
public struct ShippingPolicyRecord: Sendable {
    public let id: UUID
    public let terms: ShippingPolicyTerms
    public let premium: PolicyPremium
    public let status: ShippingPolicyStatus
    public let returnStage: ReturnStage
    /// The business date the policy was bought and its premium booked.
    public let businessDate: BusinessDate
    public let premiumEntryID: UUID
    /// Who bought it (the audit name of the caller).
    public let createdBy: String
    public let createdAt: Date

    public init(id: UUID, terms: ShippingPolicyTerms, premium: PolicyPremium, status: ShippingPolicyStatus,
                returnStage: ReturnStage, businessDate: BusinessDate, premiumEntryID: UUID, createdBy: String, createdAt: Date) {
        self.id = id
        self.terms = terms
        self.premium = premium
        self.status = status
        self.returnStage = returnStage
        self.businessDate = businessDate
        self.premiumEntryID = premiumEntryID
        self.createdBy = createdBy
        self.createdAt = createdAt
    }

    /// The parts of the policy that decide a claim.
    public func claimTerms() throws(ClaimInputError) -> ShippingPolicy {
        try ShippingPolicy(status: status, coverageStart: terms.coverageStart, coverageEnd: terms.coverageEnd,
                           coverageCap: terms.coverageCap)
    }
}

/// One return event as recorded.
public struct ReturnEventRecord: Sendable {
    public let policyID: UUID
    public let event: ReturnEvent
    public let occurredAt: Date
    public let businessDate: BusinessDate
    public let buyerRef: String?
    public let carrier: String?
    public let trackingNumber: String?
    public let shippingCost: Money?
    public let recordedAt: Date

    public init(policyID: UUID, event: ReturnEvent, occurredAt: Date, businessDate: BusinessDate, buyerRef: String?,
                carrier: String?, trackingNumber: String?, shippingCost: Money?, recordedAt: Date) {
        self.policyID = policyID
        self.event = event
        self.occurredAt = occurredAt
        self.businessDate = businessDate
        self.buyerRef = buyerRef
        self.carrier = carrier
        self.trackingNumber = trackingNumber
        self.shippingCost = shippingCost
        self.recordedAt = recordedAt
    }
}

/// Premiums earned and claims paid for one category and currency (or one seller's slice of it).
public struct LossRatioRow: Sendable, Hashable {
    public let category: ProductCategory
    public let currency: Currency
    public let policiesEarned: Int
    public let premiumsEarned: Money
    public let claimsPaid: Money
}

/// Policies, their order lookup and their return events. Every write runs on the caller's transaction.
public enum InsurancePolicyStore {
    /// Every configured category rate (a small reference table).
    public static func categoryRates(on connection: PostgresConnection, logger: Logger) async throws -> [ProductCategory: CategoryRate] {
        var rates: [ProductCategory: CategoryRate] = [:]
        let rows = try await connection.prepared("""
            SELECT category, base_premium, currency, expected_loss_ratio::text FROM insurance_category_rates
            """, logger: logger)
        for try await (category, base, currencyCode, ratio) in rows.decode((String, Int64, String, String).self) {
            guard let currency = Currency(code: currencyCode), let ratio = Decimal(string: ratio) else {
                throw InsuranceStoreError.corruptRow("insurance_category_rates \(category)")
            }
            do {
                rates[ProductCategory(category)] = try CategoryRate(
                    basePremium: Money(minorUnits: base, currency: currency), expectedLossRatio: ratio)
            } catch {
                throw InsuranceStoreError.corruptRow("insurance_category_rates \(category): \(error)")
            }
        }
        return rates
    }

    /// Premiums earned and claims paid, by category and currency, optionally for one seller / category / currency.
    ///
    /// A policy's premium is earned once its risk has run off: its coverage window closed before
    /// `asOf`, or a claim was raised on it. Counting policies still in cover would set their whole
    /// premium against claims that have not arrived yet and understate the ratio. Cancelled policies
    /// earn nothing. Claims paid are claims in status `paid`.
    public static func lossRatioRows(
        seller: SellerRef?, category: ProductCategory?, currency: Currency?, asOf: BusinessDate,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> [LossRatioRow] {
        let rows = try await connection.query("""
            SELECT p.category, p.currency, count(*)::bigint, COALESCE(sum(p.premium), 0)::bigint,
                   COALESCE(sum(c.amount) FILTER (WHERE c.status = 'paid'), 0)::bigint
            FROM shipping_policies p
            LEFT JOIN insurance_claims c ON c.policy_id = p.id
            WHERE p.status <> 'cancelled'
              AND (p.coverage_end < \(asOf.description)::date OR c.id IS NOT NULL)
              AND (\(seller?.rawValue)::text IS NULL OR p.seller_ref = \(seller?.rawValue))
              AND (\(category?.rawValue)::text IS NULL OR p.category = \(category?.rawValue))
              AND (\(currency?.code)::text IS NULL OR p.currency = \(currency?.code))
            GROUP BY p.category, p.currency
            ORDER BY p.category, p.currency
            """, logger: logger)
        var out: [LossRatioRow] = []
        for try await (category, code, count, premiums, claims) in rows.decode((String, String, Int64, Int64, Int64).self) {
            guard let currency = Currency(code: code) else { throw InsuranceStoreError.corruptRow("shipping_policies currency \(code)") }
            out.append(LossRatioRow(category: ProductCategory(category), currency: currency, policiesEarned: Int(count),
                                    premiumsEarned: Money(minorUnits: premiums, currency: currency),
                                    claimsPaid: Money(minorUnits: claims, currency: currency)))
        }
        return out
    }

    /// Reserves `orderRef` for a new policy. Returns nil when reserved, else the policy that already holds it.
    /// A concurrent reservation of the same order waits on the primary key and then sees the winner.
    public static func reserveOrder(
        _ orderRef: String, policyID: UUID, on connection: PostgresConnection, logger: Logger
    ) async throws -> UUID? {
        let inserted = try await connection.prepared("""
            INSERT INTO shipping_policy_orders (order_ref, policy_id) VALUES (\(orderRef), \(policyID))
            ON CONFLICT (order_ref) DO NOTHING RETURNING policy_id
            """, logger: logger).all(UUID.self)
        guard inserted.isEmpty else { return nil }
        return try await Self.policyID(orderRef: orderRef, on: connection, logger: logger)
    }

    /// The policy insuring `orderRef`, if any.
    public static func policyID(orderRef: String, on connection: PostgresConnection, logger: Logger) async throws -> UUID? {
        try await connection.prepared(
            "SELECT policy_id FROM shipping_policy_orders WHERE order_ref = \(orderRef)", logger: logger
        ).all(UUID.self).first
    }

    /// Stores a new policy (its order already reserved with `reserveOrder`).
    public static func insert(_ p: ShippingPolicyRecord, on connection: PostgresConnection, logger: Logger) async throws {
        let t = p.terms
        let q = p.premium
        try await connection.query("""
            INSERT INTO shipping_policies (
                id, order_ref, seller_ref, category, ship_from_region, ship_to_region, currency, coverage_cap,
                coverage_start, coverage_end, base_premium, policies_earned, credibility, seller_loss_ratio,
                expected_loss_ratio, experience_factor, premium, commission_rate, commission, insurer_share,
                status, return_stage, business_date, premium_entry_id, created_by, created_at)
            VALUES (
                \(p.id), \(t.orderRef), \(t.seller.rawValue), \(t.category.rawValue), \(t.shipFromRegion), \(t.shipToRegion),
                \(t.coverageCap.currency.code), \(t.coverageCap.minorUnits),
                \(t.coverageStart.description)::date, \(t.coverageEnd.description)::date, \(q.basePremium.minorUnits),
                \(q.policiesEarned), \(q.credibility.description)::numeric, \(q.sellerLossRatio?.description)::numeric,
                \(q.expectedLossRatio.description)::numeric, \(q.experienceFactor.description)::numeric,
                \(q.premium.minorUnits), \(q.commissionRate.description)::numeric, \(q.commission.minorUnits),
                \(q.insurerShare.minorUnits), \(p.status.rawValue), \(p.returnStage.code), \(p.businessDate.description)::date,
                \(p.premiumEntryID), \(p.createdBy), \(p.createdAt))
            """, logger: logger)
    }

    /// The policy with `id`; with `forUpdate` its row stays locked until the caller's transaction ends,
    /// which is what serializes return events (and so claims) for one policy.
    public static func policy(
        id: UUID, forUpdate: Bool = false, on connection: PostgresConnection, logger: Logger
    ) async throws -> ShippingPolicyRecord? {
        let rows = try await connection.prepared("""
            SELECT id, order_ref, seller_ref, category, ship_from_region, ship_to_region, currency, coverage_cap,
                   coverage_start::text, coverage_end::text, base_premium, policies_earned, credibility::text,
                   seller_loss_ratio::text, expected_loss_ratio::text, experience_factor::text, premium,
                   commission_rate::text, commission, insurer_share, status, return_stage, business_date::text,
                   premium_entry_id, created_by, created_at
            FROM shipping_policies WHERE id = \(id)
            \(unescaped: forUpdate ? "FOR UPDATE" : "")
            """, logger: logger)
        for try await row in rows {
            let (id, orderRef, seller, category, from, to, code, cap, start, end, base, earned, credibility,
                 sellerLR, expectedLR, factor, premium, commissionRate, commission, insurerShare, status, stage,
                 businessDate, entryID, createdBy, createdAt) = try row.decode(
                (UUID, String, String, String, String, String, String, Int64, String, String, Int64, Int, String,
                 String?, String, String, Int64, String, Int64, Int64, String, String, String, UUID, String, Date).self)
            let corrupt = InsuranceStoreError.corruptRow("shipping_policies \(id)")
            guard let currency = Currency(code: code), let seller = SellerRef(rawValue: seller),
                  let start = BusinessDate(start), let end = BusinessDate(end), let businessDate = BusinessDate(businessDate),
                  let credibility = Decimal(string: credibility), let expectedLR = Decimal(string: expectedLR),
                  let factor = Decimal(string: factor), let commissionRate = Decimal(string: commissionRate),
                  let status = ShippingPolicyStatus(rawValue: status), let stage = ReturnStage(code: stage)
            else { throw corrupt }
            let sellerLossRatio: Decimal?
            if let sellerLR {
                guard let value = Decimal(string: sellerLR) else { throw corrupt }
                sellerLossRatio = value
            } else {
                sellerLossRatio = nil
            }
            func money(_ minor: Int64) -> Money { Money(minorUnits: minor, currency: currency) }
            return ShippingPolicyRecord(
                id: id,
                terms: ShippingPolicyTerms(
                    orderRef: orderRef, seller: seller, category: ProductCategory(category), shipFromRegion: from,
                    shipToRegion: to, coverageCap: money(cap), coverageStart: start, coverageEnd: end),
                premium: PolicyPremium(basePremium: money(base), policiesEarned: earned, credibility: credibility,
                                       sellerLossRatio: sellerLossRatio, expectedLossRatio: expectedLR,
                                       experienceFactor: factor, premium: money(premium), commissionRate: commissionRate,
                                       commission: money(commission), insurerShare: money(insurerShare)),
                status: status, returnStage: stage, businessDate: businessDate, premiumEntryID: entryID,
                createdBy: createdBy, createdAt: createdAt)
        }
        return nil
    }

    /// Moves the return to `stage`; the caller holds the policy row lock.
    public static func setReturnStage(
        _ stage: ReturnStage, policyID: UUID, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.prepared(
            "UPDATE shipping_policies SET return_stage = \(stage.code) WHERE id = \(policyID)", logger: logger)
    }

    public static func insertEvent(
        _ e: ReturnEventRecord, recordedBy: String, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.query("""
            INSERT INTO insurance_return_events (policy_id, event, occurred_at, business_date, buyer_ref, carrier,
                                                 tracking_number, shipping_cost, currency, recorded_by)
            VALUES (\(e.policyID), \(e.event.rawValue), \(e.occurredAt), \(e.businessDate.description)::date, \(e.buyerRef),
                    \(e.carrier), \(e.trackingNumber), \(e.shippingCost?.minorUnits), \(e.shippingCost?.currency.code),
                    \(recordedBy))
            """, logger: logger)
    }

    /// The policy's return events in stage order.
    public static func events(policyID: UUID, on connection: PostgresConnection, logger: Logger) async throws -> [ReturnEventRecord] {
        let rows = try await connection.prepared("""
            SELECT event, occurred_at, business_date::text, buyer_ref, carrier, tracking_number, shipping_cost,
                   currency, recorded_at
            FROM insurance_return_events WHERE policy_id = \(policyID)
            """, logger: logger)
        var out: [ReturnEventRecord] = []
        for try await (event, occurredAt, date, buyer, carrier, tracking, cost, code, recordedAt) in rows.decode(
            (String, Date, String, String?, String?, String?, Int64?, String?, Date).self
        ) {
            guard let event = ReturnEvent(rawValue: event), let date = BusinessDate(date) else {
                throw InsuranceStoreError.corruptRow("insurance_return_events \(policyID)")
            }
            var shippingCost: Money?
            if let cost, let code {
                guard let currency = Currency(code: code) else { throw InsuranceStoreError.corruptRow("insurance_return_events \(policyID)") }
                shippingCost = Money(minorUnits: cost, currency: currency)
            }
            out.append(ReturnEventRecord(policyID: policyID, event: event, occurredAt: occurredAt, businessDate: date,
                                         buyerRef: buyer, carrier: carrier, trackingNumber: tracking,
                                         shippingCost: shippingCost, recordedAt: recordedAt))
        }
        return out.sorted { $0.event.stage < $1.event.stage }
    }
}

/// A stored insurance row this code cannot read back (a bug or a manual edit, never user input).
public enum InsuranceStoreError: Error {
    case corruptRow(String)
}
