import Domain
import Foundation
import Logging
import PostgresNIO

/// One ledger entry with its postings, as an order's story shows it.
public struct LedgerEntryRecord: Sendable {
    public struct Line: Sendable {
        public let accountCode: String
        public let amount: Money
    }
    public let id: UUID
    public let createdAt: Date
    public let businessDate: BusinessDate
    public let kind: String
    public let referenceType: String
    public let referenceID: String
    public let lines: [Line]
}

/// Cross-product look-ups by the platform's order reference.
public enum OrderStore {
    /// Serialises everything done to one order (its return completion) across replicas.
    public static func lock(orderRef: String, on c: PostgresConnection, logger: Logger) async throws {
        _ = try await c.prepared("SELECT pg_advisory_xact_lock(hashtext('order:' || \(orderRef))::bigint)", logger: logger).all(String.self)
    }

    public static func receivables(orderRef: String, on c: PostgresConnection, logger: Logger) async throws -> [ReceivableRecord] {
        try await FinancingStore.decodeReceivables(try await c.prepared(
            "SELECT \(unescaped: FinancingStore.receivableColumns) FROM receivables WHERE order_ref = \(orderRef) ORDER BY created_at, id",
            logger: logger))
    }

    /// Ids of the credit objects born of the order's checkout (repayments and refunds of its plan).
    public static func creditObjectIDs(checkoutID: UUID, creditAccountID: UUID, on c: PostgresConnection, logger: Logger) async throws -> [UUID] {
        try await c.prepared("""
            SELECT id FROM credit_plans WHERE credit_account_id = \(creditAccountID) AND checkout_id = \(checkoutID)
            UNION ALL SELECT r.id FROM credit_repayments r JOIN credit_plans p ON p.credit_account_id = r.credit_account_id AND p.id = r.plan_id
                      WHERE p.credit_account_id = \(creditAccountID) AND p.checkout_id = \(checkoutID)
            UNION ALL SELECT r.id FROM credit_refunds r WHERE r.credit_account_id = \(creditAccountID) AND r.checkout_id = \(checkoutID)
            """, logger: logger).all(UUID.self)
    }

    /// Every journal entry whose business reference is one of `referenceIDs`, oldest first.
    public static func entries(referenceIDs: [String], on c: PostgresConnection, logger: Logger) async throws -> [LedgerEntryRecord] {
        guard !referenceIDs.isEmpty else { return [] }
        return try await decodeEntries(try await c.prepared("""
            SELECT \(unescaped: entryColumns)
            FROM journal_entries e JOIN postings p ON p.entry_id = e.id JOIN ledger_accounts a ON a.id = p.account_id
            WHERE e.reference_id = ANY(\(referenceIDs)::text[])
            ORDER BY e.created_at, e.id, p.line
            """, logger: logger))
    }

    /// The entries that post to one account, newest first, each with all its lines; at most `limit`,
    /// those before (`createdAt`, `id`) when paging on.
    public static func entries(accountCode: String, before: (createdAt: Date, id: UUID)?, limit: Int, on c: PostgresConnection,
                               logger: Logger) async throws -> [LedgerEntryRecord] {
        let (at, id) = before ?? (Date.distantFuture, UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255)))
        return try await decodeEntries(try await c.prepared("""
            SELECT \(unescaped: entryColumns)
            FROM journal_entries e JOIN postings p ON p.entry_id = e.id JOIN ledger_accounts a ON a.id = p.account_id
            WHERE e.id IN (
                SELECT e2.id FROM ledger_accounts a2 JOIN postings p2 ON p2.account_id = a2.id JOIN journal_entries e2 ON e2.id = p2.entry_id
                WHERE a2.code = \(accountCode) AND (e2.created_at, e2.id) < (\(at), \(id))
                ORDER BY e2.created_at DESC, e2.id DESC LIMIT \(limit))
            ORDER BY e.created_at DESC, e.id DESC, p.line
            """, logger: logger))
    }

    static let entryColumns = "e.id, e.created_at, e.business_date::text, e.kind, e.reference_type, e.reference_id, a.code, p.amount, p.currency"

    /// Rows of `entryColumns`, one per posting, grouped into entries in the order they come.
    static func decodeEntries(_ rows: PreparedRows) async throws -> [LedgerEntryRecord] {
        var out: [LedgerEntryRecord] = []
        var current: (UUID, Date, BusinessDate, String, String, String, [LedgerEntryRecord.Line])?
        for try await (id, at, date, kind, refType, refID, code, amount, currency) in rows.decode(
            (UUID, Date, String, String, String, String, String, Int64, String).self
        ) {
            guard let d = BusinessDate(date), let ccy = Currency(code: currency) else { continue }
            let line = LedgerEntryRecord.Line(accountCode: code, amount: Money(minorUnits: amount, currency: ccy))
            if current?.0 == id {
                current?.6.append(line)
            } else {
                if let c = current { out.append(LedgerEntryRecord(id: c.0, createdAt: c.1, businessDate: c.2, kind: c.3, referenceType: c.4, referenceID: c.5, lines: c.6)) }
                current = (id, at, d, kind, refType, refID, [line])
            }
        }
        if let c = current { out.append(LedgerEntryRecord(id: c.0, createdAt: c.1, businessDate: c.2, kind: c.3, referenceType: c.4, referenceID: c.5, lines: c.6)) }
        return out
    }
}
