import Domain
import Foundation
import Logging
import PostgresNIO

/// A supplier row with its financing line.
public struct SupplierRecord: Sendable {
    public let id: UUID
    public let name: String
    public let creditCode: String
    public let status: SupplierStatus
    public let line: FinancingLine
    /// Advances approved or awaiting review and not yet repaid.
    public let financingCommitted: Money
    public let recourseOwed: Money
}

/// A receivable row; `adjusted` is the sum of its dilution adjustments.
public struct ReceivableRecord: Sendable {
    public let supplierID: UUID
    public let id: UUID
    public let externalReference: String
    public let face: Money
    public let adjusted: Money
    public let issueDate: BusinessDate
    public let dueDate: BusinessDate
    public let status: ReceivableStatus
    public let statusBeforeDispute: ReceivableStatus?
    public let financingRequestID: UUID?
    public let orderRef: String?

    /// Outstanding after dilution (`Receivable.outstanding`).
    public var outstanding: Money { Receivable.outstanding(face: face, adjusted: adjusted) }
}

/// A dilution adjustment row.
public struct AdjustmentRecord: Sendable {
    public let id: UUID
    public let receivableID: UUID
    public let kind: ReceivableAdjustment.Kind
    public let amount: Money
    public let reference: String
    public let createdAt: Date
}

/// A financing request row with its decision document.
public struct FinancingRequestRecord: Sendable {
    public let supplierID: UUID
    public let id: UUID
    public let status: String
    public let advance: Money
    public let fee: Money
    public let netDisbursement: Money
    public let disbursementDate: BusinessDate
    public let decisionJSON: String
    public let createdAt: Date
}

/// One receivable of a financing request.
public struct FinancingItemRecord: Sendable {
    public let financingRequestID: UUID
    public let receivableID: UUID
    public let advance: Money
    public let fee: Money
    public let feeDays: Int
    public let status: String
}

/// Filters for listing receivables (paged by `PageRequest`, in due-date order).
public struct ReceivableFilter: Sendable {
    public var supplierID: UUID?
    public var status: ReceivableStatus?
    public var dueFrom: BusinessDate?
    public var dueTo: BusinessDate?

    public init(supplierID: UUID? = nil, status: ReceivableStatus? = nil, dueFrom: BusinessDate? = nil, dueTo: BusinessDate? = nil) {
        self.supplierID = supplierID
        self.status = status
        self.dueFrom = dueFrom
        self.dueTo = dueTo
    }
}

/// Every SQL statement of supplier financing. All run on the caller's transaction.
public enum FinancingStore {
    // MARK: Suppliers

    public static func insertSupplier(
        id: UUID, name: String, creditCode: String, line: FinancingLine, on c: PostgresConnection, logger: Logger
    ) async throws {
        try await c.prepared("""
            INSERT INTO suppliers (id, name, credit_code, status, currency, line_limit, advance_rate, annual_discount_rate,
                                   min_days_to_maturity, max_days_to_maturity, auto_approval_ceiling, day_count)
            VALUES (\(id), \(name), \(creditCode), 'pending', \(line.currency.code), \(line.limit.minorUnits),
                    \(line.advanceRate.description)::numeric, \(line.annualDiscountRate.description)::numeric,
                    \(line.minDaysToMaturity), \(line.maxDaysToMaturity), \(line.autoApprovalCeiling.minorUnits), \(line.dayCount.rawValue))
            """, logger: logger)
        try await c.prepared("INSERT INTO supplier_credit_codes (credit_code, supplier_id) VALUES (\(creditCode), \(id))", logger: logger)
    }

    /// The supplier owning a credit code, if any.
    public static func supplierID(creditCode: String, on c: PostgresConnection, logger: Logger) async throws -> UUID? {
        try await c.prepared("SELECT supplier_id FROM supplier_credit_codes WHERE credit_code = \(creditCode)", logger: logger).all(UUID.self).first
    }

    static let supplierColumns = """
        id, name, credit_code, status, currency, line_limit, advance_rate::text, annual_discount_rate::text,
        min_days_to_maturity, max_days_to_maturity, auto_approval_ceiling, day_count, financing_committed, recourse_owed
        """

    /// A supplier from the 14 `supplierColumns` starting at column `o`.
    static func decodeSupplier(_ r: PostgresRandomAccessRow, at o: Int) throws -> SupplierRecord {
        let id = try r[o].decode(UUID.self)
        guard let ccy = Currency(code: try r[o + 4].decode(String.self)),
              let rate = Decimal(string: try r[o + 6].decode(String.self)),
              let discount = Decimal(string: try r[o + 7].decode(String.self)),
              let dayCount = DayCount(rawValue: try r[o + 11].decode(String.self)),
              let status = SupplierStatus(rawValue: try r[o + 3].decode(String.self)) else {
            throw LedgerStoreError.corruptRow("suppliers \(id)")
        }
        let line = try FinancingLine(
            limit: Money(minorUnits: try r[o + 5].decode(Int64.self), currency: ccy), advanceRate: rate, annualDiscountRate: discount,
            minDaysToMaturity: try r[o + 8].decode(Int.self), maxDaysToMaturity: try r[o + 9].decode(Int.self),
            autoApprovalCeiling: Money(minorUnits: try r[o + 10].decode(Int64.self), currency: ccy), dayCount: dayCount)
        return SupplierRecord(id: id, name: try r[o + 1].decode(String.self), creditCode: try r[o + 2].decode(String.self),
                              status: status, line: line,
                              financingCommitted: Money(minorUnits: try r[o + 12].decode(Int64.self), currency: ccy),
                              recourseOwed: Money(minorUnits: try r[o + 13].decode(Int64.self), currency: ccy))
    }

    /// The supplier and the listed receivables of that supplier, both locked, in one round trip:
    /// the supplier row first, then the receivables in id order (the order every path locks them
    /// in). Locked rows come back at their latest committed version. Nil when the supplier does not
    /// exist; receivables of other suppliers or unknown ids are simply absent.
    public static func lockSupplierAndReceivables(
        supplierID: UUID, receivableIDs: [UUID], on c: PostgresConnection, logger: Logger
    ) async throws -> (supplier: SupplierRecord, receivables: [ReceivableRecord])? {
        let rows = try await c.prepared("""
            WITH s AS (
                SELECT \(unescaped: supplierColumns) FROM suppliers WHERE id = \(supplierID) FOR UPDATE
            ), r AS (
                SELECT \(unescaped: receivableColumns) FROM receivables
                WHERE supplier_id = (SELECT id FROM s) AND id = ANY(\(receivableIDs)::uuid[]) ORDER BY id FOR UPDATE
            )
            SELECT s.*, r.* FROM s LEFT JOIN r ON true ORDER BY r.id
            """, logger: logger)
        var supplier: SupplierRecord?
        var receivables: [ReceivableRecord] = []
        for try await row in rows {
            let r = row.makeRandomAccess()
            if supplier == nil { supplier = try decodeSupplier(r, at: 0) }
            if try r[14].decode(UUID?.self) != nil { receivables.append(try decodeReceivable(r, at: 14)) }
        }
        return supplier.map { ($0, receivables) }
    }

    public static func supplier(id: UUID, forUpdate: Bool = false, on c: PostgresConnection, logger: Logger) async throws -> SupplierRecord? {
        let lock = forUpdate ? " FOR UPDATE" : ""
        var query: PreparedSQL = "SELECT \(unescaped: supplierColumns) FROM suppliers WHERE id = \(id)"
        query.sql += lock
        for try await row in try await c.prepared(query, logger: logger) {
            return try decodeSupplier(row.makeRandomAccess(), at: 0)
        }
        return nil
    }

    public static func updateSupplier(
        id: UUID, name: String, status: SupplierStatus, line: FinancingLine, on c: PostgresConnection, logger: Logger
    ) async throws {
        try await c.prepared("""
            UPDATE suppliers SET name = \(name), status = \(status.rawValue), line_limit = \(line.limit.minorUnits),
                   advance_rate = \(line.advanceRate.description)::numeric, annual_discount_rate = \(line.annualDiscountRate.description)::numeric,
                   min_days_to_maturity = \(line.minDaysToMaturity), max_days_to_maturity = \(line.maxDaysToMaturity),
                   auto_approval_ceiling = \(line.autoApprovalCeiling.minorUnits), day_count = \(line.dayCount.rawValue), updated_at = now()
            WHERE id = \(id)
            """, logger: logger)
    }

    /// Moves the committed amount and the recourse owed by deltas (the row is locked by the caller).
    public static func adjustSupplierExposure(
        id: UUID, committedDelta: Int64, recourseDelta: Int64, on c: PostgresConnection, logger: Logger
    ) async throws {
        try await c.prepared("""
            UPDATE suppliers SET financing_committed = financing_committed + \(committedDelta),
                   recourse_owed = recourse_owed + \(recourseDelta), updated_at = now()
            WHERE id = \(id)
            """, logger: logger)
    }

    // MARK: Receivables

    static let receivableColumns = """
        supplier_id, id, external_reference, face_amount, adjusted_amount, currency, issue_date::text, due_date::text,
        status, status_before_dispute, financing_request_id, order_ref
        """

    static func decodeReceivables<Rows: AsyncSequence>(_ rows: Rows) async throws -> [ReceivableRecord] where Rows.Element == PostgresRow {
        try await rows.all { try decodeReceivable($0, at: 0) }
    }

    /// A receivable from the 12 `receivableColumns` starting at column `o`.
    static func decodeReceivable(_ r: PostgresRandomAccessRow, at o: Int) throws -> ReceivableRecord {
        let id = try r[o + 1].decode(UUID.self)
        guard let ccy = Currency(code: try r[o + 5].decode(String.self)),
              let issue = BusinessDate(try r[o + 6].decode(String.self)), let due = BusinessDate(try r[o + 7].decode(String.self)),
              let status = ReceivableStatus(rawValue: try r[o + 8].decode(String.self)) else {
            throw LedgerStoreError.corruptRow("receivables \(id)")
        }
        return ReceivableRecord(
            supplierID: try r[o].decode(UUID.self), id: id, externalReference: try r[o + 2].decode(String.self),
            face: Money(minorUnits: try r[o + 3].decode(Int64.self), currency: ccy),
            adjusted: Money(minorUnits: try r[o + 4].decode(Int64.self), currency: ccy), issueDate: issue, dueDate: due, status: status,
            statusBeforeDispute: try r[o + 9].decode(String?.self).flatMap(ReceivableStatus.init(rawValue:)),
            financingRequestID: try r[o + 10].decode(UUID?.self), orderRef: try r[o + 11].decode(String?.self))
    }

    public static func insertReceivable(
        supplierID: UUID, id: UUID, externalReference: String, face: Money, issueDate: BusinessDate, dueDate: BusinessDate,
        orderRef: String?, on c: PostgresConnection, logger: Logger
    ) async throws {
        try await c.query("""
            INSERT INTO receivables (supplier_id, id, external_reference, face_amount, currency, issue_date, due_date, status, order_ref)
            VALUES (\(supplierID), \(id), \(externalReference), \(face.minorUnits), \(face.currency.code),
                    \(issueDate.description)::date, \(dueDate.description)::date, 'open', \(orderRef))
            """, logger: logger)
    }

    public static func receivable(
        id: UUID, supplierID: UUID? = nil, forUpdate: Bool = false, on c: PostgresConnection, logger: Logger
    ) async throws -> ReceivableRecord? {
        var query: PostgresQuery = "SELECT \(unescaped: receivableColumns) FROM receivables WHERE id = \(id) AND (\(supplierID)::uuid IS NULL OR supplier_id = \(supplierID))"
        if forUpdate { query.sql += " FOR UPDATE" }
        return try await decodeReceivables(try await c.query(query, logger: logger)).first
    }

    public static func receivable(
        supplierID: UUID, externalReference: String, on c: PostgresConnection, logger: Logger
    ) async throws -> ReceivableRecord? {
        let query: PostgresQuery = "SELECT \(unescaped: receivableColumns) FROM receivables WHERE supplier_id = \(supplierID) AND external_reference = \(externalReference)"
        return try await decodeReceivables(try await c.query(query, logger: logger)).first
    }

    /// Several receivables of one supplier, locked in id order (a fixed order, so two requests never deadlock).
    public static func receivablesForUpdate(
        supplierID: UUID, ids: [UUID], on c: PostgresConnection, logger: Logger
    ) async throws -> [ReceivableRecord] {
        let query: PreparedSQL = """
            SELECT \(unescaped: receivableColumns) FROM receivables
            WHERE supplier_id = \(supplierID) AND id = ANY(\(ids)::uuid[]) ORDER BY id FOR UPDATE
            """
        return try await decodeReceivables(try await c.prepared(query, logger: logger))
    }

    /// A page of receivables in (due date, id) order; the cursor's key is the due date.
    public static func listReceivables(
        _ f: ReceivableFilter, _ page: PageRequest, on c: PostgresConnection, logger: Logger
    ) async throws -> Page<ReceivableRecord> {
        let afterDate = page.after?.key
        let query: PostgresQuery = """
            SELECT \(unescaped: receivableColumns) FROM receivables
            WHERE (\(f.supplierID)::uuid IS NULL OR supplier_id = \(f.supplierID))
              AND (\(f.status?.rawValue)::text IS NULL OR status = \(f.status?.rawValue))
              AND (\(f.dueFrom?.description)::date IS NULL OR due_date >= \(f.dueFrom?.description)::date)
              AND (\(f.dueTo?.description)::date IS NULL OR due_date <= \(f.dueTo?.description)::date)
              AND (\(afterDate)::date IS NULL OR (due_date, id) > (\(afterDate)::date, \(page.after?.id)::uuid))
            ORDER BY due_date, id
            LIMIT \(page.fetchLimit)
            """
        let rows = try await decodeReceivables(try await c.query(query, logger: logger))
        return Page(fetched: rows.map { ($0, PageCursor(key: $0.dueDate.description, id: $0.id)) }, request: page)
    }

    /// Receivables due on or before `date` that the platform has not paid yet, one page at a time.
    public static func unpaidDueReceivables(
        on date: BusinessDate, after: (UUID, UUID)?, limit: Int, on c: PostgresConnection, logger: Logger
    ) async throws -> [ReceivableRecord] {
        let query: PostgresQuery = """
            SELECT \(unescaped: receivableColumns) FROM receivables
            WHERE due_date <= \(date.description)::date AND status IN ('open', 'financed')
              AND (\(after?.0)::uuid IS NULL OR (supplier_id, id) > (\(after?.0)::uuid, \(after?.1)::uuid))
            ORDER BY supplier_id, id LIMIT \(limit)
            """
        return try await decodeReceivables(try await c.query(query, logger: logger))
    }

    public static func updateReceivable(
        supplierID: UUID, id: UUID, status: ReceivableStatus, statusBeforeDispute: ReceivableStatus?, financingRequestID: UUID?,
        adjustedDelta: Int64 = 0, on c: PostgresConnection, logger: Logger
    ) async throws {
        try await c.query("""
            UPDATE receivables SET status = \(status.rawValue), status_before_dispute = \(statusBeforeDispute?.rawValue),
                   financing_request_id = \(financingRequestID), adjusted_amount = adjusted_amount + \(adjustedDelta), updated_at = now()
            WHERE supplier_id = \(supplierID) AND id = \(id)
            """, logger: logger)
    }

    public static func insertAdjustment(
        supplierID: UUID, receivableID: UUID, id: UUID, kind: ReceivableAdjustment.Kind, amount: Money, reference: String,
        createdBy: String, on c: PostgresConnection, logger: Logger
    ) async throws {
        try await c.prepared("""
            INSERT INTO receivable_adjustments (supplier_id, receivable_id, id, kind, amount, currency, reference, created_by)
            VALUES (\(supplierID), \(receivableID), \(id), \(kind.rawValue), \(amount.minorUnits), \(amount.currency.code), \(reference), \(createdBy))
            """, logger: logger)
    }

    public static func adjustment(
        supplierID: UUID, receivableID: UUID, reference: String, on c: PostgresConnection, logger: Logger
    ) async throws -> AdjustmentRecord? {
        try await adjustments(supplierID: supplierID, receivableIDs: [receivableID], on: c, logger: logger).first { $0.reference == reference }
    }

    public static func adjustments(
        supplierID: UUID, receivableIDs: [UUID], on c: PostgresConnection, logger: Logger
    ) async throws -> [AdjustmentRecord] {
        let rows = try await c.prepared("""
            SELECT id, receivable_id, kind, amount, currency, reference, created_at FROM receivable_adjustments
            WHERE supplier_id = \(supplierID) AND receivable_id = ANY(\(receivableIDs)::uuid[]) ORDER BY created_at, id
            """, logger: logger)
        var out: [AdjustmentRecord] = []
        for try await (id, receivableID, kind, amount, currency, reference, at) in rows.decode((UUID, UUID, String, Int64, String, String, Date).self) {
            guard let kind = ReceivableAdjustment.Kind(rawValue: kind), let ccy = Currency(code: currency) else {
                throw LedgerStoreError.corruptRow("receivable_adjustments \(id)")
            }
            out.append(AdjustmentRecord(id: id, receivableID: receivableID, kind: kind, amount: Money(minorUnits: amount, currency: ccy),
                                        reference: reference, createdAt: at))
        }
        return out
    }

    // MARK: Financing requests

    /// Everything a decided financing request writes besides its ledger entry, in one statement
    /// (one round trip on the straight-through path): the request, its items, the receivables
    /// marked financed, the supplier's committed exposure and the audit event. A declined request
    /// passes no items and no exposure. Foreign keys are checked at the end of the statement, when
    /// the request row exists.
    public static func recordFinancingRequest(
        supplierID: UUID, id: UUID, status: String, totals: FinancingTotals, disbursementDate: BusinessDate, decisionJSON: String,
        requestedBy: String, decidedBy: String?, disbursedEntryID: UUID?,
        items: [(receivableID: UUID, amounts: FinancedAmounts)], itemStatus: String, committedDelta: Int64,
        audit: (action: String, requestID: String?), on c: PostgresConnection, logger: Logger
    ) async throws {
        try await c.prepared("""
            WITH request AS (
                INSERT INTO financing_requests (supplier_id, id, status, currency, advance, fee, net_disbursement, disbursement_date,
                                                decision, requested_by, decided_by, decided_at, disbursed_entry_id)
                VALUES (\(supplierID), \(id), \(status), \(totals.advance.currency.code), \(totals.advance.minorUnits), \(totals.fee.minorUnits),
                        \(totals.netDisbursement.minorUnits), \(disbursementDate.description)::date, \(decisionJSON)::jsonb, \(requestedBy),
                        NULLIF(\(decidedBy ?? ""), ''), CASE WHEN \(decidedBy ?? "") = '' THEN NULL ELSE now() END,
                        NULLIF(\(disbursedEntryID?.uuidString ?? ""), '')::uuid)
            ), items AS (
                INSERT INTO financing_items (supplier_id, financing_request_id, receivable_id, advance, fee, fee_days, status)
                SELECT \(supplierID), \(id), r, a, f, d, \(itemStatus)
                FROM unnest(\(items.map(\.receivableID))::uuid[], \(items.map(\.amounts.advance.minorUnits))::bigint[],
                            \(items.map(\.amounts.fee.minorUnits))::bigint[], \(items.map(\.amounts.feeDays))::int[]) AS t(r, a, f, d)
            ), financed AS (
                UPDATE receivables SET status = 'financed', status_before_dispute = NULL, financing_request_id = \(id), updated_at = now()
                WHERE supplier_id = \(supplierID) AND id = ANY(\(items.map(\.receivableID))::uuid[])
            ), exposure AS (
                UPDATE suppliers SET financing_committed = financing_committed + \(committedDelta), updated_at = now()
                WHERE id = \(supplierID) AND \(committedDelta)::bigint <> 0
            )
            INSERT INTO audit_events (actor, action, object_type, object_id, detail, request_id)
            VALUES (\(requestedBy), \(audit.action), 'financing_request', \(id.uuidString.lowercased()), '{}'::jsonb, NULLIF(\(audit.requestID ?? ""), ''))
            """, logger: logger)
    }

    static let financingRequestColumns =
        "supplier_id, id, status, currency, advance, fee, net_disbursement, disbursement_date::text, decision::text, created_at"

    public static func financingRequest(
        id: UUID, supplierID: UUID? = nil, forUpdate: Bool = false, on c: PostgresConnection, logger: Logger
    ) async throws -> FinancingRequestRecord? {
        var query: PostgresQuery = """
            SELECT \(unescaped: financingRequestColumns)
            FROM financing_requests WHERE id = \(id) AND (\(supplierID)::uuid IS NULL OR supplier_id = \(supplierID))
            """
        if forUpdate { query.sql += " FOR UPDATE" }
        return try await decodeFinancingRequests(try await c.query(query, logger: logger)).first
    }

    /// Requests in one status, oldest first (the operator's review queue).
    public static func financingRequests(status: String, limit: Int, on c: PostgresConnection, logger: Logger) async throws -> [FinancingRequestRecord] {
        try await decodeFinancingRequests(try await c.query("""
            SELECT \(unescaped: financingRequestColumns) FROM financing_requests
            WHERE status = \(status) ORDER BY created_at, id LIMIT \(limit)
            """, logger: logger))
    }

    /// One supplier's requests, newest first.
    public static func financingRequests(supplierID: UUID, limit: Int, on c: PostgresConnection, logger: Logger) async throws -> [FinancingRequestRecord] {
        try await decodeFinancingRequests(try await c.query("""
            SELECT \(unescaped: financingRequestColumns) FROM financing_requests
            WHERE supplier_id = \(supplierID) ORDER BY created_at DESC, id LIMIT \(limit)
            """, logger: logger))
    }

    static func decodeFinancingRequests(_ rows: PostgresRowSequence) async throws -> [FinancingRequestRecord] {
        var out: [FinancingRequestRecord] = []
        for try await (supplierID, id, status, currency, advance, fee, net, date, decision, at) in rows.decode(
            (UUID, UUID, String, String, Int64, Int64, Int64, String, String, Date).self
        ) {
            guard let ccy = Currency(code: currency), let date = BusinessDate(date) else { throw LedgerStoreError.corruptRow("financing_requests \(id)") }
            out.append(FinancingRequestRecord(
                supplierID: supplierID, id: id, status: status, advance: Money(minorUnits: advance, currency: ccy),
                fee: Money(minorUnits: fee, currency: ccy), netDisbursement: Money(minorUnits: net, currency: ccy),
                disbursementDate: date, decisionJSON: decision, createdAt: at))
        }
        return out
    }

    public static func financingItems(
        supplierID: UUID, requestID: UUID? = nil, receivableID: UUID? = nil, liveOnly: Bool = false, on c: PostgresConnection, logger: Logger
    ) async throws -> [FinancingItemRecord] {
        let rows = try await c.query("""
            SELECT i.financing_request_id, i.receivable_id, i.advance, i.fee, i.fee_days, i.status, r.currency
            FROM financing_items i JOIN financing_requests r ON r.supplier_id = i.supplier_id AND r.id = i.financing_request_id
            WHERE i.supplier_id = \(supplierID)
              AND (\(requestID)::uuid IS NULL OR i.financing_request_id = \(requestID))
              AND (\(receivableID)::uuid IS NULL OR i.receivable_id = \(receivableID))
              AND (NOT \(liveOnly) OR i.status IN ('pending', 'active'))
            ORDER BY i.receivable_id
            """, logger: logger)
        var out: [FinancingItemRecord] = []
        for try await (request, receivable, advance, fee, days, status, currency) in rows.decode((UUID, UUID, Int64, Int64, Int, String, String).self) {
            guard let ccy = Currency(code: currency) else { throw LedgerStoreError.corruptRow("financing_items \(request)") }
            out.append(FinancingItemRecord(financingRequestID: request, receivableID: receivable, advance: Money(minorUnits: advance, currency: ccy),
                                           fee: Money(minorUnits: fee, currency: ccy), feeDays: days, status: status))
        }
        return out
    }

    public static func setItemStatus(
        supplierID: UUID, requestID: UUID, receivableID: UUID?, status: String, on c: PostgresConnection, logger: Logger
    ) async throws {
        try await c.query("""
            UPDATE financing_items SET status = \(status)
            WHERE supplier_id = \(supplierID) AND financing_request_id = \(requestID)
              AND (\(receivableID)::uuid IS NULL OR receivable_id = \(receivableID))
            """, logger: logger)
    }

    /// Writes a late approval's re-priced fee: per item, then the request's totals, date and decision document.
    public static func reprice(
        supplierID: UUID, requestID: UUID, items: [(receivableID: UUID, fee: Int64, feeDays: Int)], fee: Money, net: Money,
        disbursementDate: BusinessDate, decisionJSON: String, on c: PostgresConnection, logger: Logger
    ) async throws {
        try await c.query("""
            UPDATE financing_items i SET fee = t.fee, fee_days = t.days
            FROM unnest(\(items.map(\.receivableID))::uuid[], \(items.map(\.fee))::bigint[], \(items.map(\.feeDays))::int[])
                 AS t(receivable, fee, days)
            WHERE i.supplier_id = \(supplierID) AND i.financing_request_id = \(requestID) AND i.receivable_id = t.receivable
            """, logger: logger)
        try await c.query("""
            UPDATE financing_requests SET fee = \(fee.minorUnits), net_disbursement = \(net.minorUnits),
                   disbursement_date = \(disbursementDate.description)::date, decision = \(decisionJSON)::jsonb
            WHERE supplier_id = \(supplierID) AND id = \(requestID)
            """, logger: logger)
    }

    public static func decideFinancingRequest(
        supplierID: UUID, id: UUID, status: String, decidedBy: String, entryID: UUID?, on c: PostgresConnection, logger: Logger
    ) async throws {
        try await c.query("""
            UPDATE financing_requests SET status = \(status), decided_by = \(decidedBy), decided_at = now(), disbursed_entry_id = \(entryID)
            WHERE supplier_id = \(supplierID) AND id = \(id)
            """, logger: logger)
    }
}
