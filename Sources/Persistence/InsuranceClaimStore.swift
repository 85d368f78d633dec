import Domain
import Foundation
import Logging
import PostgresNIO

/// What a claim was adjudicated on: the return's facts and the risk signals as they were then.
public struct ClaimEvidence: Sendable, Hashable {
    /// The actual shipping cost the platform reported.
    public let shippingCost: Money
    public let carrier: String
    /// Upper-cased and trimmed.
    public let trackingNumber: String
    public let buyerRef: String
    /// The business date the buyer requested the return (checked against the coverage window).
    public let returnRequestedOn: BusinessDate
    /// The buyer's return requests in the 30 days up to this one, this one included.
    public let buyerReturnsLast30Days: Int
    /// What the route usually costs, when known.
    public let routeUsualCost: Money?

    public init(shippingCost: Money, carrier: String, trackingNumber: String, buyerRef: String,
                returnRequestedOn: BusinessDate, buyerReturnsLast30Days: Int, routeUsualCost: Money?) {
        self.shippingCost = shippingCost
        self.carrier = carrier
        self.trackingNumber = trackingNumber
        self.buyerRef = buyerRef
        self.returnRequestedOn = returnRequestedOn
        self.buyerReturnsLast30Days = buyerReturnsLast30Days
        self.routeUsualCost = routeUsualCost
    }
}

/// A stored claim.
public struct InsuranceClaimRecord: Sendable {
    public let id: UUID
    public let policyID: UUID
    /// Insertion order; the insurer's queue and paging follow it.
    public let sequence: Int64
    public let seller: SellerRef
    public let category: ProductCategory
    public let status: ClaimStatus
    /// min(shipping cost, coverage cap): what the claim pays if it is paid.
    public let amount: Money
    public let rejectionReasons: [String]
    public let flags: [String]
    public let evidence: ClaimEvidence
    public let raisedAt: Date
    public let businessDate: BusinessDate
    public let decidedBy: String?
    public let decidedAt: Date?
    public let decisionReason: String?
    public let paidOn: BusinessDate?
    public let paidAt: Date?
    public let payoutEntryID: UUID?
}

/// Claims and the risk signals read while adjudicating one. Every write runs on the caller's transaction.
public enum InsuranceClaimStore {
    static let columns = """
        id, policy_id, seq, seller_ref, category, status, currency, shipping_cost, amount, rejection_reasons, flags,
        carrier, tracking_number, buyer_ref, return_requested_on::text, buyer_returns_30d, route_usual_cost, raised_at,
        business_date::text, decided_by, decided_at, decision_reason, paid_on::text, paid_at, payout_entry_id
        """

    /// Inserts the policy's claim. A claim the rules paid is stored `approved` (by "system") for the
    /// caller to pay in the same transaction; a rejected one is decided by "system" too; a flagged one
    /// waits undecided. The payable amount is min(shipping cost, coverage cap). Returns false when the
    /// policy already has a claim (UNIQUE (policy_id)).
    public static func insert(
        id: UUID, policy: ShippingPolicyRecord, decision: ClaimDecision, evidence e: ClaimEvidence, businessDate: BusinessDate,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> Bool {
        let amount = Money.min(e.shippingCost, policy.terms.coverageCap)
        let status = ClaimStatus(raisedWith: decision)
        let (reasons, flags): ([String], [String]) = switch decision {
        case .pay: ([], [])
        case .review(_, let flags): ([], flags.map(\.code))
        case .reject(let reasons): (reasons.map(\.code), [])
        }
        let decidedBy: String? = status == .inReview ? nil : systemActor
        let inserted = try await connection.query("""
            INSERT INTO insurance_claims (
                policy_id, id, seller_ref, category, status, currency, shipping_cost, amount, rejection_reasons, flags,
                carrier, tracking_number, buyer_ref, return_requested_on, buyer_returns_30d, route_usual_cost,
                business_date, decided_by, decided_at)
            VALUES (
                \(policy.id), \(id), \(policy.terms.seller.rawValue), \(policy.terms.category.rawValue), \(status.rawValue),
                \(amount.currency.code), \(e.shippingCost.minorUnits), \(amount.minorUnits), \(reasons)::text[], \(flags)::text[],
                \(e.carrier), \(e.trackingNumber), \(e.buyerRef), \(e.returnRequestedOn.description)::date,
                \(e.buyerReturnsLast30Days), \(e.routeUsualCost?.minorUnits), \(businessDate.description)::date,
                \(decidedBy), CASE WHEN \(decidedBy)::text IS NULL THEN NULL ELSE now() END)
            ON CONFLICT (policy_id) DO NOTHING
            RETURNING id
            """, logger: logger).all(UUID.self)
        return !inserted.isEmpty
    }

    /// Who `decided_by` and the audit trail name for decisions the rules take on their own.
    public static let systemActor = "system"

    /// The claim with `id`; with `forUpdate` its row stays locked until the caller's transaction ends.
    public static func claim(
        id: UUID, forUpdate: Bool = false, on connection: PostgresConnection, logger: Logger
    ) async throws -> InsuranceClaimRecord? {
        try await decode(connection.prepared("""
            SELECT \(unescaped: columns) FROM insurance_claims WHERE id = \(id) \(unescaped: forUpdate ? "FOR UPDATE" : "")
            """, logger: logger)).first
    }

    /// The policy's claim, if one was raised.
    public static func claim(policyID: UUID, on connection: PostgresConnection, logger: Logger) async throws -> InsuranceClaimRecord? {
        try await decode(connection.prepared(
            "SELECT \(unescaped: columns) FROM insurance_claims WHERE policy_id = \(policyID)", logger: logger)).first
    }

    /// Up to `limit` claims after `afterSequence` in queue order, optionally of one status.
    /// A page of claims in queue order (by sequence); the cursor's key is the sequence.
    public static func list(
        status: ClaimStatus?, _ page: PageRequest, on connection: PostgresConnection, logger: Logger
    ) async throws -> Page<InsuranceClaimRecord> {
        let after = page.after.flatMap { Int64($0.key) } ?? 0
        let rows = try await decode(connection.query("""
            SELECT \(unescaped: columns) FROM insurance_claims
            WHERE (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue)) AND seq > \(after)
            ORDER BY seq LIMIT \(page.fetchLimit)
            """, logger: logger))
        return Page(fetched: rows.map { ($0, PageCursor(key: String($0.sequence), id: $0.id)) }, request: page)
    }

    /// Records a payment; the caller holds the claim row lock and posted the entry.
    public static func markPaid(
        policyID: UUID, claimID: UUID, entryID: UUID, paidOn: BusinessDate, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.prepared("""
            UPDATE insurance_claims SET status = 'paid', payout_entry_id = \(entryID), paid_on = \(paidOn.description)::date,
                   paid_at = now()
            WHERE policy_id = \(policyID) AND id = \(claimID)
            """, logger: logger)
    }

    /// Records the insurer's decision; the caller holds the claim row lock.
    public static func recordDecision(
        policyID: UUID, claimID: UUID, status: ClaimStatus, addingRejectionReason: String?, reason: String?,
        decidedBy: String, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.query("""
            UPDATE insurance_claims
            SET status = \(status.rawValue), decided_by = \(decidedBy), decided_at = now(), decision_reason = \(reason),
                rejection_reasons = CASE WHEN \(addingRejectionReason)::text IS NULL THEN rejection_reasons
                                         ELSE array_append(rejection_reasons, \(addingRejectionReason)::text) END
            WHERE policy_id = \(policyID) AND id = \(claimID)
            """, logger: logger)
    }

    /// Approved claims not yet paid, after `afterSequence`, oldest first.
    public static func approvedUnpaid(
        afterSequence: Int64, limit: Int, on connection: PostgresConnection, logger: Logger
    ) async throws -> [(id: UUID, sequence: Int64)] {
        var out: [(UUID, Int64)] = []
        let rows = try await connection.prepared("""
            SELECT id, seq FROM insurance_claims WHERE status = 'approved' AND seq > \(afterSequence) ORDER BY seq LIMIT \(limit)
            """, logger: logger)
        for try await (id, seq) in rows.decode((UUID, Int64).self) { out.append((id, seq)) }
        return out.map { (id: $0.0, sequence: $0.1) }
    }

    // MARK: Risk signals

    /// How many returns `buyerRef` requested in the `days` days up to and including `through`.
    public static func buyerReturns(
        buyerRef: String, days: Int, through: Date, on connection: PostgresConnection, logger: Logger
    ) async throws -> Int {
        let rows = try await connection.prepared("""
            SELECT count(*)::bigint FROM insurance_return_events
            WHERE event = 'requested' AND buyer_ref = \(buyerRef)
              AND occurred_at > \(through) - make_interval(days => \(days)::int) AND occurred_at <= \(through)
            """, logger: logger).all(Int64.self)
        return Int(rows.first ?? 0)
    }

    /// Whether `trackingNumber` is on a claim of another policy. Takes a transaction-scoped advisory
    /// lock on the tracking number first, so two policies' claims with the same number are adjudicated
    /// one after the other and the second one sees the first.
    public static func trackingNumberUsedElsewhere(
        _ trackingNumber: String, policyID: UUID, on connection: PostgresConnection, logger: Logger
    ) async throws -> Bool {
        try await connection.prepared(
            "SELECT pg_advisory_xact_lock(hashtextextended(\("insurance.tracking:" + trackingNumber), 0))",
            logger: logger)
        let rows = try await connection.prepared("""
            SELECT EXISTS (SELECT 1 FROM insurance_claims WHERE tracking_number = \(trackingNumber) AND policy_id <> \(policyID))
            """, logger: logger).all(Bool.self)
        return rows.first ?? false
    }

    /// What shipping on a route usually costs: the operator's norm when there is one, else the median
    /// shipped cost of other policies' returns on the route in the `days` days up to `through`, when
    /// there are at least `minimumSamples` of them; else unknown (nil). The median is
    /// `percentile_disc`, an actual observed amount, so no floating point touches the money.
    public static func routeUsualCost(
        from: String, to: String, currency: Currency, excludingPolicy policyID: UUID, days: Int, through: Date,
        minimumSamples: Int, on connection: PostgresConnection, logger: Logger
    ) async throws -> Money? {
        let norm = try await connection.prepared("""
            SELECT usual_cost FROM insurance_route_norms
            WHERE ship_from_region = \(from) AND ship_to_region = \(to) AND currency = \(currency.code)
            """, logger: logger).all(Int64.self)
        if let usual = norm.first { return Money(minorUnits: usual, currency: currency) }
        let rows = try await connection.prepared("""
            SELECT count(*)::bigint, percentile_disc(0.5) WITHIN GROUP (ORDER BY e.shipping_cost)
            FROM insurance_return_events e JOIN shipping_policies p ON p.id = e.policy_id
            WHERE e.event = 'shipped' AND e.currency = \(currency.code) AND e.policy_id <> \(policyID)
              AND p.ship_from_region = \(from) AND p.ship_to_region = \(to)
              AND e.occurred_at > \(through) - make_interval(days => \(days)::int) AND e.occurred_at <= \(through)
            """, logger: logger)
        for try await (count, median) in rows.decode((Int64, Int64?).self) {
            guard count >= minimumSamples, let median, median > 0 else { return nil }
            return Money(minorUnits: median, currency: currency)
        }
        return nil
    }

    // MARK: Decoding

    static func decode<Rows: AsyncSequence>(_ rows: Rows) async throws -> [InsuranceClaimRecord] where Rows.Element == PostgresRow {
        var out: [InsuranceClaimRecord] = []
        for try await row in rows {
            let (id, policyID, seq, seller, category, status, code, cost, amount, reasons, flags, carrier, tracking,
                 buyer, requestedOn, buyerReturns, routeCost, raisedAt, businessDate, decidedBy, decidedAt,
                 decisionReason, paidOn, paidAt, entryID) = try row.decode(
                (UUID, UUID, Int64, String, String, String, String, Int64, Int64, [String], [String], String, String,
                 String, String, Int, Int64?, Date, String, String?, Date?, String?, String?, Date?, UUID?).self)
            let corrupt = InsuranceStoreError.corruptRow("insurance_claims \(id)")
            guard let seller = SellerRef(rawValue: seller), let status = ClaimStatus(rawValue: status),
                  let currency = Currency(code: code), let requestedOn = BusinessDate(requestedOn),
                  let businessDate = BusinessDate(businessDate)
            else { throw corrupt }
            var paidDate: BusinessDate?
            if let paidOn {
                guard let date = BusinessDate(paidOn) else { throw corrupt }
                paidDate = date
            }
            out.append(InsuranceClaimRecord(
                id: id, policyID: policyID, sequence: seq, seller: seller, category: ProductCategory(category),
                status: status, amount: Money(minorUnits: amount, currency: currency), rejectionReasons: reasons, flags: flags,
                evidence: ClaimEvidence(
                    shippingCost: Money(minorUnits: cost, currency: currency), carrier: carrier, trackingNumber: tracking,
                    buyerRef: buyer, returnRequestedOn: requestedOn, buyerReturnsLast30Days: buyerReturns,
                    routeUsualCost: routeCost.map { Money(minorUnits: $0, currency: currency) }),
                raisedAt: raisedAt, businessDate: businessDate, decidedBy: decidedBy, decidedAt: decidedAt,
                decisionReason: decisionReason, paidOn: paidDate, paidAt: paidAt, payoutEntryID: entryID))
        }
        return out
    }
}
