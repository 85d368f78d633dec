import Domain
import Foundation
import Logging
import PostgresNIO

/// A statement header as stored.
public struct StatementRecord: Sendable {
    public let id: UUID
    public let format: String
    public let statementRef: String
    public let account: String?
    public let currency: String
    public let opening: Int64?
    public let closing: Int64?
    public let credits: Int64
    public let debits: Int64
    public let computedClosing: Int64?
    public let verdict: String
    public let entryCount: Int
    public let importedAt: Date
}

/// One line ready to store: reference, signed amount (money in positive), value date.
public struct StatementLineRow: Sendable {
    public let lineNo: Int
    public let reference: String?
    public let amount: Money
    public let valueDate: BusinessDate
    public let source: String
    public let batchRef: String?

    public init(lineNo: Int, reference: String?, amount: Money, valueDate: BusinessDate, source: String, batchRef: String?) {
        self.lineNo = lineNo
        self.reference = reference
        self.amount = amount
        self.valueDate = valueDate
        self.source = source
        self.batchRef = batchRef
    }
}

/// A reconciliation exception row.
public struct ExceptionRecord: Sendable {
    public let id: UUID
    public let businessDate: BusinessDate
    public let kind: String
    public let reference: String?
    public let expectedAmount: Int64?
    public let actualAmount: Int64?
    public let currency: String?
    public let detail: String
    public let state: String
    public let acknowledgedBy: String?
    public let acknowledgedOn: BusinessDate?
    public let resolvedBy: String?
    public let resolvedOn: BusinessDate?
    public let resolutionNote: String?
}

/// Statements, their lines and reconciliation exceptions.
public enum ReconciliationStore {
    public static func insertStatement(
        id: UUID, format: String, fileHash: String, summary: StatementSummary?, statementRef: String, currency: String,
        credits: Int64, debits: Int64, entryCount: Int, importedBy: String, on c: PostgresConnection, logger: Logger
    ) async throws {
        var verdict = "not_checkable"
        var computed: Int64?
        if let check = summary?.balanceCheck {
            switch check {
            case .balanced(_, let closing): verdict = "balanced"; computed = closing.minorUnits
            case .unbalanced(_, let computedClosing, _): verdict = "unbalanced"; computed = computedClosing.minorUnits
            case .notCheckable: verdict = "not_checkable"
            }
        }
        try await c.query("""
            INSERT INTO statements (id, format, file_hash, statement_ref, account, currency, opening_balance, closing_balance,
                                    credits, debits, computed_closing, balance_verdict, entry_count, imported_by)
            VALUES (\(id), \(format), \(fileHash), \(statementRef), \(summary?.account?.identifier), \(currency),
                    \(summary?.openingBalance?.amount.minorUnits), \(summary?.closingBalance?.amount.minorUnits),
                    \(credits), \(debits), \(computed), \(verdict), \(entryCount), \(importedBy))
            """, logger: logger)
    }

    public static func statementExists(fileHash: String, on c: PostgresConnection, logger: Logger) async throws -> [UUID] {
        try await c.query("SELECT id FROM statements WHERE file_hash = \(fileHash) ORDER BY imported_at, id", logger: logger).all(UUID.self)
    }

    public static func insertLines(statementID: UUID, _ rows: [StatementLineRow], on c: PostgresConnection, logger: Logger) async throws {
        guard !rows.isEmpty else { return }
        try await c.query("""
            INSERT INTO statement_lines (statement_id, line_no, reference, amount, currency, value_date, source, batch_ref)
            SELECT \(statementID), n, NULLIF(r, ''), a, cur, d::date, s, NULLIF(b, '')
            FROM unnest(\(rows.map(\.lineNo))::int[], \(rows.map { $0.reference ?? "" })::text[], \(rows.map(\.amount.minorUnits))::bigint[],
                        \(rows.map(\.amount.currency.code))::text[], \(rows.map(\.valueDate.description))::text[],
                        \(rows.map(\.source))::text[], \(rows.map { $0.batchRef ?? "" })::text[]) AS t(n, r, a, cur, d, s, b)
            """, logger: logger)
    }

    public static func statements(ids: [UUID], on c: PostgresConnection, logger: Logger) async throws -> [StatementRecord] {
        let rows = try await c.query("""
            SELECT id, format, statement_ref, account, currency, opening_balance, closing_balance, credits, debits, computed_closing,
                   balance_verdict, entry_count, imported_at
            FROM statements WHERE id = ANY(\(ids)::uuid[]) ORDER BY imported_at, statement_ref
            """, logger: logger)
        var out: [StatementRecord] = []
        for try await (id, format, ref, account, currency, opening, closing, credits, debits, computed, verdict, count, at) in rows.decode(
            (UUID, String, String, String?, String, Int64?, Int64?, Int64, Int64, Int64?, String, Int, Date).self
        ) {
            out.append(StatementRecord(id: id, format: format, statementRef: ref, account: account, currency: currency, opening: opening,
                                       closing: closing, credits: credits, debits: debits, computedClosing: computed, verdict: verdict,
                                       entryCount: count, importedAt: at))
        }
        return out
    }

    /// Statement lines valued in [from, to] whose reference hashes into `partition` of `partitions`.
    public static func lines(
        from: BusinessDate, to: BusinessDate, partition: Int, partitions: Int, on c: PostgresConnection, logger: Logger
    ) async throws -> [ActualLine] {
        let rows = try await c.query("""
            SELECT statement_id::text || '/' || line_no, reference, amount, currency, value_date::text, source, batch_ref
            FROM statement_lines
            WHERE value_date BETWEEN \(from.description)::date AND \(to.description)::date
              AND mod(abs(hashtext(COALESCE(reference, ''))), \(partitions)) = \(partition)
            """, logger: logger)
        var out: [ActualLine] = []
        for try await (id, reference, amount, currency, date, source, batch) in rows.decode((String, String?, Int64, String, String, String, String?).self) {
            guard let ccy = Currency(code: currency), let date = BusinessDate(date) else { continue }
            out.append(ActualLine(id: id, reference: reference, amount: Money(minorUnits: amount, currency: ccy), date: date,
                                  source: source.hasPrefix("channel:") ? .channelSettlement(channel: String(source.dropFirst(8)))
                                      : .bankStatement(statementId: source), batchReference: batch))
        }
        return out
    }

    /// What the ledger expects to see at the bank: every cash movement of the date, one item per
    /// journal entry, referenced by the entry's business reference.
    public static func expectedCashItems(
        on date: BusinessDate, partition: Int, partitions: Int, on c: PostgresConnection, logger: Logger
    ) async throws -> [ExpectedItem] {
        let rows = try await c.query("""
            SELECT e.id::text, e.reference_id, sum(p.amount)::bigint, p.currency, e.kind
            FROM journal_entries e
            JOIN postings p ON p.entry_id = e.id
            JOIN ledger_accounts a ON a.id = p.account_id AND a.code LIKE 'platform.cash.%'
            WHERE e.business_date = \(date.description)::date
              AND mod(abs(hashtext(e.reference_id)), \(partitions)) = \(partition)
            GROUP BY e.id, e.reference_id, p.currency, e.kind
            HAVING sum(p.amount) <> 0
            """, logger: logger)
        var out: [ExpectedItem] = []
        for try await (id, reference, amount, currency, kind) in rows.decode((String, String, Int64, String, String).self) {
            guard let ccy = Currency(code: currency) else { continue }
            out.append(ExpectedItem(id: id, reference: reference, amount: Money(minorUnits: amount, currency: ccy), date: date, kind: kind))
        }
        return out
    }

    public static func countLines(from: BusinessDate, to: BusinessDate, on c: PostgresConnection, logger: Logger) async throws -> Int {
        Int(try await c.query("""
            SELECT count(*)::bigint FROM statement_lines WHERE value_date BETWEEN \(from.description)::date AND \(to.description)::date
            """, logger: logger).all(Int64.self).first ?? 0)
    }

    /// Raises exceptions once per dedupe key; returns how many were new.
    public static func insertExceptions(
        _ rows: [(date: BusinessDate, kind: String, reference: String?, expected: Int64?, actual: Int64?, currency: String?, detail: String, key: String)],
        on c: PostgresConnection, logger: Logger
    ) async throws -> Int {
        guard !rows.isEmpty else { return 0 }
        let ids = rows.map { _ in UUID() }
        return try await c.query("""
            INSERT INTO reconciliation_exceptions (id, business_date, kind, reference, expected_amount, actual_amount, currency, detail, state, dedupe_key)
            SELECT i, d::date, k, NULLIF(r, ''), NULLIF(e, \(Int64.min)), NULLIF(a, \(Int64.min)), NULLIF(cur, ''), det, 'open', key
            FROM unnest(\(ids)::uuid[], \(rows.map(\.date.description))::text[], \(rows.map(\.kind))::text[], \(rows.map { $0.reference ?? "" })::text[],
                        \(rows.map { $0.expected ?? Int64.min })::bigint[], \(rows.map { $0.actual ?? Int64.min })::bigint[], \(rows.map { $0.currency ?? "" })::text[],
                        \(rows.map(\.detail))::text[], \(rows.map(\.key))::text[]) AS t(i, d, k, r, e, a, cur, det, key)
            ON CONFLICT (dedupe_key) DO NOTHING
            RETURNING 1
            """, logger: logger).all(Int.self).count
    }

    static let exceptionColumns = """
        id, business_date::text, kind, reference, expected_amount, actual_amount, currency, detail, state, acknowledged_by,
        acknowledged_on::text, resolved_by, resolved_on::text, resolution_note
        """

    static func decodeExceptions(_ rows: PostgresRowSequence) async throws -> [ExceptionRecord] {
        var out: [ExceptionRecord] = []
        for try await (id, date, kind, ref, expected, actual, currency, detail, state, ackBy, ackOn, resBy, resOn, note) in rows.decode(
            (UUID, String, String, String?, Int64?, Int64?, String?, String, String, String?, String?, String?, String?, String?).self
        ) {
            guard let date = BusinessDate(date) else { continue }
            out.append(ExceptionRecord(id: id, businessDate: date, kind: kind, reference: ref, expectedAmount: expected, actualAmount: actual,
                                       currency: currency, detail: detail, state: state, acknowledgedBy: ackBy,
                                       acknowledgedOn: ackOn.flatMap(BusinessDate.init), resolvedBy: resBy,
                                       resolvedOn: resOn.flatMap(BusinessDate.init), resolutionNote: note))
        }
        return out
    }

    public static func exceptions(businessDate: BusinessDate, limit: Int, on c: PostgresConnection, logger: Logger) async throws -> [ExceptionRecord] {
        try await decodeExceptions(try await c.query("""
            SELECT \(unescaped: exceptionColumns) FROM reconciliation_exceptions
            WHERE business_date = \(businessDate.description)::date ORDER BY kind, reference, id LIMIT \(limit)
            """, logger: logger))
    }

    public static func exception(id: UUID, forUpdate: Bool, on c: PostgresConnection, logger: Logger) async throws -> ExceptionRecord? {
        var query: PostgresQuery = "SELECT \(unescaped: exceptionColumns) FROM reconciliation_exceptions WHERE id = \(id)"
        if forUpdate { query.sql += " FOR UPDATE" }
        return try await decodeExceptions(try await c.query(query, logger: logger)).first
    }

    public static func updateException(_ e: ReconciliationException, on c: PostgresConnection, logger: Logger) async throws {
        guard let id = UUID(uuidString: e.id) else { return }
        try await c.query("""
            UPDATE reconciliation_exceptions SET state = \(e.state.rawValue),
                acknowledged_by = \(e.acknowledgement?.by), acknowledged_on = \(e.acknowledgement?.on.description)::date,
                resolved_by = \(e.resolution?.by), resolved_on = \(e.resolution?.on.description)::date, resolution_note = \(e.resolution?.note)
            WHERE id = \(id)
            """, logger: logger)
    }

    public static func exceptionCounts(businessDate: BusinessDate, on c: PostgresConnection, logger: Logger) async throws -> [String: Int64] {
        var out: [String: Int64] = [:]
        for try await (kind, n) in try await c.query("""
            SELECT kind, count(*)::bigint FROM reconciliation_exceptions WHERE business_date = \(businessDate.description)::date GROUP BY kind
            """, logger: logger).decode((String, Int64).self) {
            out[kind] = n
        }
        return out
    }
}
