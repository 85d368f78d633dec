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
    /// Verdicts found on import besides the balance check (sequence gap, discontinuity, foreign currency).
    public let findings: [String]
}

/// One line ready to store: reference, signed amount (money in positive), value date.
public struct StatementLineRow: Sendable {
    public let lineNo: Int
    public let reference: String?
    public let amount: Money
    public let valueDate: BusinessDate
    public let source: String
    public let batchRef: String?
    /// The items a batch line names without an amount each (`ActualLine.namedReferences`).
    public let namedRefs: [String]
    /// The bank's reason when the line returns one of our payments (`TransactionDetail.returnReason`).
    public let returnReason: String?

    public init(lineNo: Int, reference: String?, amount: Money, valueDate: BusinessDate, source: String, batchRef: String?,
                namedRefs: [String] = [], returnReason: String? = nil) {
        self.returnReason = returnReason
        self.lineNo = lineNo
        self.reference = reference
        self.amount = amount
        self.valueDate = valueDate
        self.source = source
        self.batchRef = batchRef
        self.namedRefs = namedRefs
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
    public let source: String?
    public let counterpartyRef: String?
    public let resolvedByRun: UUID?
}

/// Which exceptions a list shows (paged by `PageRequest`, keyset on business date, kind, id).
public struct ExceptionFilter: Sendable {
    public var dateFrom: BusinessDate?
    public var dateTo: BusinessDate?
    public var kind: String?
    public var state: String?
    public var source: String?

    public init() {}
}

/// Statements, their lines and reconciliation exceptions.
public enum ReconciliationStore {
    /// Who a statement is and what it says, beyond its file (see `StatementIdentity`).
    public struct StatementKey: Sendable {
        public let identity: String
        public let contentHash: String
        public let sequenceNo: Int64?
        public let period: BusinessDate?
        public let findings: [String]

        public init(identity: String, contentHash: String, sequenceNo: Int64?, period: BusinessDate?, findings: [String]) {
            self.identity = identity
            self.contentHash = contentHash
            self.sequenceNo = sequenceNo
            self.period = period
            self.findings = findings
        }
    }

    public static func insertStatement(
        id: UUID, format: String, fileHash: String, summary: StatementSummary?, statementRef: String, currency: String,
        credits: Int64, debits: Int64, entryCount: Int, importedBy: String, key: StatementKey? = nil, on c: PostgresConnection, logger: Logger
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
        if let key {
            try await c.query("""
                UPDATE statements SET identity = \(key.identity), content_hash = \(key.contentHash), sequence_no = \(key.sequenceNo),
                       period = \(key.period?.description)::date, findings = \(key.findings)::text[]
                WHERE id = \(id)
                """, logger: logger)
        }
    }

    /// The statement stored under `identity`, with its content hash.
    public static func statement(identity: String, on c: PostgresConnection, logger: Logger) async throws -> (id: UUID, contentHash: String?)? {
        for try await (id, hash) in try await c.query("""
            SELECT id, content_hash FROM statements WHERE identity = \(identity)
            """, logger: logger).decode((UUID, String?).self) {
            return (id, hash)
        }
        return nil
    }

    /// The statement of `account` just before this one: the highest lower sequence number when
    /// both have one, else the latest earlier period.
    public static func previousStatement(
        account: String, sequenceNo: Int64?, period: BusinessDate?, on c: PostgresConnection, logger: Logger
    ) async throws -> (sequenceNo: Int64?, closing: Int64?, currency: String)? {
        for try await (seq, closing, currency) in try await c.query("""
            SELECT sequence_no, closing_balance, currency FROM statements
            WHERE account = \(account) AND identity IS NOT NULL
              AND ((\(sequenceNo)::bigint IS NOT NULL AND sequence_no < \(sequenceNo)::bigint)
                   OR (\(sequenceNo)::bigint IS NULL AND period < \(period?.description)::date))
            ORDER BY sequence_no DESC NULLS LAST, period DESC NULLS LAST, imported_at DESC
            LIMIT 1
            """, logger: logger).decode((Int64?, Int64?, String).self) {
            return (seq, closing, currency)
        }
        return nil
    }

    /// A statement whose verdicts no nightly run has raised yet.
    public struct UnraisedStatement: Sendable {
        public let id: UUID
        public let statementRef: String
        public let source: String
        public let currency: String
        public let verdict: String
        public let closing: Int64?
        public let computedClosing: Int64?
        public let findings: [String]
    }

    public static func statementsWithUnraisedVerdicts(on c: PostgresConnection, logger: Logger) async throws -> [UnraisedStatement] {
        var out: [UnraisedStatement] = []
        for try await (id, ref, source, currency, verdict, closing, computed, findings) in try await c.query("""
            SELECT s.id, s.statement_ref, COALESCE(s.account, (SELECT l.source FROM statement_lines l WHERE l.statement_id = s.id LIMIT 1), s.format),
                   s.currency, s.balance_verdict, s.closing_balance, s.computed_closing, s.findings
            FROM statements s WHERE s.verdicts_raised_by IS NULL ORDER BY s.imported_at, s.id
            FOR UPDATE OF s
            """, logger: logger).decode((UUID, String, String, String, String, Int64?, Int64?, [String]).self) {
            out.append(UnraisedStatement(id: id, statementRef: ref, source: source, currency: currency, verdict: verdict, closing: closing,
                                         computedClosing: computed, findings: findings))
        }
        return out
    }

    public static func markVerdictsRaised(_ ids: [UUID], by runID: UUID, on c: PostgresConnection, logger: Logger) async throws {
        guard !ids.isEmpty else { return }
        try await c.query("UPDATE statements SET verdicts_raised_by = \(runID) WHERE id = ANY(\(ids)::uuid[])", logger: logger)
    }

    /// The statements whose verdicts the run raised (the statements of its night), for the report.
    public static func statements(raisedBy runID: UUID, on c: PostgresConnection, logger: Logger) async throws -> [StatementRecord] {
        let ids = try await c.query("SELECT id FROM statements WHERE verdicts_raised_by = \(runID)", logger: logger).all(UUID.self)
        return try await statements(ids: ids, on: c, logger: logger)
    }

    /// Removes the lines stored for a statement that turned out to be a re-sent copy.
    public static func deleteLines(statementID: UUID, on c: PostgresConnection, logger: Logger) async throws {
        try await c.query("DELETE FROM statement_lines WHERE statement_id = \(statementID)", logger: logger)
    }

    public static func statementExists(fileHash: String, on c: PostgresConnection, logger: Logger) async throws -> [UUID] {
        try await c.query("SELECT id FROM statements WHERE file_hash = \(fileHash) ORDER BY imported_at, id", logger: logger).all(UUID.self)
    }

    public static func insertLines(statementID: UUID, _ rows: [StatementLineRow], on c: PostgresConnection, logger: Logger) async throws {
        guard !rows.isEmpty else { return }
        try await c.query("""
            INSERT INTO statement_lines (statement_id, line_no, reference, amount, currency, value_date, source, batch_ref, named_refs,
                                         return_reason)
            SELECT \(statementID), n, NULLIF(r, ''), a, cur, d::date, s, NULLIF(b, ''), NULLIF(string_to_array(nr, chr(31)), '{}'), NULLIF(rr, '')
            FROM unnest(\(rows.map(\.lineNo))::int[], \(rows.map { $0.reference ?? "" })::text[], \(rows.map(\.amount.minorUnits))::bigint[],
                        \(rows.map(\.amount.currency.code))::text[], \(rows.map(\.valueDate.description))::text[],
                        \(rows.map(\.source))::text[], \(rows.map { $0.batchRef ?? "" })::text[],
                        \(rows.map { $0.namedRefs.joined(separator: "\u{1F}") })::text[],
                        \(rows.map { $0.returnReason ?? "" })::text[]) AS t(n, r, a, cur, d, s, b, nr, rr)
            """, logger: logger)
    }

    static let statementColumns = """
        id, format, statement_ref, account, currency, opening_balance, closing_balance, credits, debits, computed_closing,
        balance_verdict, entry_count, imported_at, findings
        """

    static func decodeStatement(_ r: PostgresRandomAccessRow) throws -> StatementRecord {
        StatementRecord(
            id: try r["id"].decode(UUID.self), format: try r["format"].decode(String.self), statementRef: try r["statement_ref"].decode(String.self),
            account: try r["account"].decode(String?.self), currency: try r["currency"].decode(String.self),
            opening: try r["opening_balance"].decode(Int64?.self), closing: try r["closing_balance"].decode(Int64?.self),
            credits: try r["credits"].decode(Int64.self), debits: try r["debits"].decode(Int64.self),
            computedClosing: try r["computed_closing"].decode(Int64?.self), verdict: try r["balance_verdict"].decode(String.self),
            entryCount: try r["entry_count"].decode(Int.self), importedAt: try r["imported_at"].decode(Date.self),
            findings: try r["findings"].decode([String].self))
    }

    public static func statements(ids: [UUID], on c: PostgresConnection, logger: Logger) async throws -> [StatementRecord] {
        let rows = try await c.query("""
            SELECT \(unescaped: statementColumns)
            FROM statements WHERE id = ANY(\(ids)::uuid[]) ORDER BY imported_at, statement_ref
            """, logger: logger)
        var out: [StatementRecord] = []
        for try await row in rows { out.append(try decodeStatement(row.makeRandomAccess())) }
        return out
    }

    /// A page of statements, the newest import first.
    public static func statements(_ page: PageRequest, on c: PostgresConnection, logger: Logger) async throws -> Page<StatementRecord> {
        let key = NewestFirst.key(page)
        let rows = try await c.query("""
            SELECT \(unescaped: statementColumns), \(unescaped: NewestFirst.keyColumn("imported_at")) FROM statements
            WHERE \(key)::timestamptz IS NULL OR (imported_at, id) < (\(key)::timestamptz, \(page.after?.id)::uuid)
            ORDER BY imported_at DESC, id DESC LIMIT \(page.fetchLimit)
            """, logger: logger)
        return Page(fetched: try await NewestFirst.decode(rows, id: \.id, decodeStatement), request: page)
    }

    /// How many buckets a run's working set is hashed into; a partition is a range of buckets.
    public static let runBuckets = 1024
    /// Items plus lines above which a run's working tables are analysed once they are filled.
    static let analyzeThreshold = 50_000

    /// Materialises one matching run's working set (0013_reconciliation_run_keys.sql), once, in
    /// set-based statements: the cash movements valued in [itemsFrom, itemsTo] that no night has
    /// matched, each with every reference a counterparty can quote for it (resolved once from
    /// `reconciliation_aliases`), and the unmatched statement lines valued in [linesFrom, linesTo].
    /// Both are bucketed by the key that ties them together: an item by the first of its
    /// references (ours, external, order) that a line of the window quotes as its reference or
    /// batch reference or names in a batch, a line by its reference when that is an item's key,
    /// else its batch reference when that is, else its own reference (or id); a line naming several
    /// items, and the items it names, by the first name. So a line lands with the item it quotes,
    /// and a split's lines or a batch's items land together. Rows are written in bucket order and
    /// the tables analysed, so a partition (a range of buckets) is one contiguous index range
    /// read, not a pass over the whole working set. Returns the counts.
    public static func prepareRun(
        runID: UUID, itemsFrom: BusinessDate, itemsTo: BusinessDate, linesFrom: BusinessDate, linesTo: BusinessDate,
        on c: PostgresConnection, logger: Logger
    ) async throws -> (items: Int, lines: Int) {
        try await discardRun(runID: runID, on: c, logger: logger)
        // The joins, sorts and hashes below cover every open item and line of the window at once;
        // enough memory for the transaction keeps them off disk (the run holds one such transaction).
        try await c.query("SET LOCAL work_mem = '256MB'", logger: logger)
        // The planner sees the window's cash CTE as a few dozen rows (postings per account are
        // estimated as an average) and would loop over hundreds of thousands of keys; every join
        // here is a bulk join, so it hashes.
        try await c.query("SET LOCAL enable_nestloop = off", logger: logger)
        // Nor merge joins: left to itself the planner sorted 1.35M item keys only to merge them with
        // the batch names (usually none) and sorted both sides of cash ⋈ aliases; hashed, the first
        // statement took 14.5 s instead of 15.2 s at 1M lines (three alternated runs each, session 13).
        try await c.query("SET LOCAL enable_mergejoin = off", logger: logger)
        // Benchmarks/nightly/explain_preparation.sql repeats the cash and aliased CTEs below, with these
        // settings, to EXPLAIN them on a copied database: change it with them.
        let items = try await c.query("""
            WITH cash AS (
                SELECT e.id AS entry_id, p.currency::text AS currency, e.reference_type, e.reference_id, sum(p.amount)::bigint AS amount,
                       e.kind, e.business_date
                FROM journal_entries e
                JOIN postings p ON p.entry_id = e.id
                JOIN ledger_accounts la ON la.id = p.account_id AND la.code LIKE 'platform.cash.%'
                WHERE e.business_date BETWEEN \(itemsFrom.description)::date AND \(itemsTo.description)::date
                  AND NOT EXISTS (SELECT 1 FROM reconciled_items r WHERE r.entry_id = e.id)
                GROUP BY e.id, p.currency
                HAVING sum(p.amount) <> 0
            ), aliased AS (
                SELECT c.entry_id, c.currency, array_agg(a.alias ORDER BY a.rank, a.alias) AS aliases
                FROM cash c JOIN reconciliation_aliases a ON a.reference_type = c.reference_type AND a.reference_id = c.reference_id
                WHERE a.alias IS NOT NULL AND a.alias <> '' AND a.alias <> c.reference_id
                GROUP BY c.entry_id, c.currency
            ), window_lines AS (
                SELECT reference, batch_ref, named_refs FROM statement_lines
                WHERE value_date BETWEEN \(linesFrom.description)::date AND \(linesTo.description)::date AND matched_by IS NULL
            ), quoted AS (
                SELECT reference AS key FROM window_lines WHERE reference IS NOT NULL
                UNION SELECT batch_ref FROM window_lines WHERE batch_ref IS NOT NULL
                UNION SELECT unnest(named_refs) FROM window_lines WHERE named_refs IS NOT NULL
            ), named AS (
                -- A key a batch line names is bucketed under the batch's first name, with the line.
                SELECT n.key, min(w.named_refs[1]) AS anchor
                FROM window_lines w, unnest(w.named_refs) AS n(key) WHERE w.named_refs IS NOT NULL GROUP BY n.key
            ), keyed AS (
                SELECT c.entry_id, c.currency, k.key, k.n
                FROM cash c LEFT JOIN aliased al USING (entry_id, currency),
                     unnest(ARRAY[c.reference_id] || COALESCE(al.aliases, '{}')) WITH ORDINALITY AS k(key, n)
            ), anchor AS (
                SELECT DISTINCT ON (k.entry_id, k.currency) k.entry_id, k.currency, COALESCE(nm.anchor, k.key) AS key
                FROM keyed k JOIN quoted q ON q.key = k.key LEFT JOIN named nm ON nm.key = k.key
                ORDER BY k.entry_id, k.currency, k.n
            )
            , stored AS (
                INSERT INTO reconciliation_run_items (run_id, entry_id, currency, reference_id, amount, kind, business_date, aliases, bucket,
                                                      batch_ref)
                SELECT \(runID), c.entry_id, c.currency, c.reference_id, c.amount, c.kind, c.business_date, COALESCE(al.aliases, '{}'),
                       hashtext(COALESCE(an.key, c.reference_id)) & \(runBuckets - 1) AS bucket, br.batch_ref
                FROM cash c LEFT JOIN aliased al USING (entry_id, currency) LEFT JOIN anchor an USING (entry_id, currency)
                LEFT JOIN reconciliation_batch_refs br ON br.reference_type = c.reference_type AND br.reference_id = c.reference_id
                ORDER BY bucket
                RETURNING 1
            )
            SELECT count(*)::bigint FROM stored
            """, logger: logger).all(Int64.self).first ?? 0
        let lines = try await c.query("""
            WITH keys AS (
                SELECT DISTINCT k FROM reconciliation_run_items i, unnest(ARRAY[i.reference_id] || i.aliases) AS k WHERE i.run_id = \(runID)
            ), stored AS (
            INSERT INTO reconciliation_run_lines (run_id, statement_id, line_no, reference, amount, currency, value_date, source, batch_ref,
                                                  named_refs, bucket)
            SELECT \(runID), l.statement_id, l.line_no, l.reference, l.amount, l.currency, l.value_date,
                   CASE WHEN l.source LIKE 'channel:%' THEN l.source ELSE COALESCE(s.account, l.source) END, l.batch_ref, l.named_refs,
                   hashtext(CASE WHEN l.named_refs IS NOT NULL THEN l.named_refs[1] WHEN kr.k IS NOT NULL THEN l.reference
                                 WHEN kb.k IS NOT NULL THEN l.batch_ref
                                 ELSE COALESCE(l.reference, l.statement_id::text || '/' || l.line_no) END) & \(runBuckets - 1) AS bucket
            FROM statement_lines l JOIN statements s ON s.id = l.statement_id
            LEFT JOIN keys kr ON kr.k = l.reference
            LEFT JOIN keys kb ON kb.k = l.batch_ref
            WHERE l.value_date BETWEEN \(linesFrom.description)::date AND \(linesTo.description)::date AND l.matched_by IS NULL
            ORDER BY bucket
            RETURNING 1
            )
            SELECT count(*)::bigint FROM stored
            """, logger: logger).all(Int64.self).first ?? 0
        try await c.query("SET LOCAL enable_nestloop TO DEFAULT", logger: logger)
        try await c.query("SET LOCAL enable_mergejoin TO DEFAULT", logger: logger)
        // Fresh statistics, so each partition's read is planned as the index range scan it is
        // (a small working set is one partition read once; it needs none).
        if items + lines > Int64(analyzeThreshold) {
            try await c.query("ANALYZE reconciliation_run_items", logger: logger)
            try await c.query("ANALYZE reconciliation_run_lines", logger: logger)
        }
        return (Int(items), Int(lines))
    }

    /// Drops a run's working set, and any a crashed run left behind more than a day ago.
    public static func discardRun(runID: UUID, on c: PostgresConnection, logger: Logger) async throws {
        for table in ["reconciliation_run_items", "reconciliation_run_lines"] {
            try await c.query("""
                DELETE FROM \(unescaped: table) WHERE run_id = \(runID) OR created_at < now() - interval '1 day'
                """, logger: logger)
        }
    }

    /// One partition of a prepared run: its items and lines in the bucket range `buckets`.
    public static func runPartition(
        runID: UUID, buckets: Range<Int>, on c: PostgresConnection, logger: Logger
    ) async throws -> (expected: [ExpectedItem], actual: [ActualLine]) {
        var expected: [ExpectedItem] = []
        for try await (id, reference, amount, currency, kind, date, aliases, batch) in try await c.query("""
            SELECT entry_id::text, reference_id, amount, currency, kind, business_date::text, aliases, batch_ref
            FROM reconciliation_run_items WHERE run_id = \(runID) AND bucket >= \(buckets.lowerBound) AND bucket < \(buckets.upperBound)
            """, logger: logger).decode((String, String, Int64, String, String, String, [String], String?).self) {
            guard let ccy = Currency(code: currency), let date = BusinessDate(date) else { continue }
            expected.append(ExpectedItem(id: id, reference: reference, amount: Money(minorUnits: amount, currency: ccy), date: date, kind: kind,
                                         batchReference: batch, alternateReferences: aliases))
        }
        var actual: [ActualLine] = []
        for try await (id, reference, amount, currency, date, source, batch, named) in try await c.query("""
            SELECT statement_id::text || '/' || line_no, reference, amount, currency, value_date::text, source, batch_ref, named_refs
            FROM reconciliation_run_lines WHERE run_id = \(runID) AND bucket >= \(buckets.lowerBound) AND bucket < \(buckets.upperBound)
            """, logger: logger).decode((String, String?, Int64, String, String, String, String?, [String]?).self) {
            guard let ccy = Currency(code: currency), let date = BusinessDate(date) else { continue }
            actual.append(ActualLine(id: id, reference: reference, amount: Money(minorUnits: amount, currency: ccy), date: date,
                                     source: source.hasPrefix("channel:") ? .channelSettlement(channel: String(source.dropFirst(8)))
                                         : .bankStatement(statementId: source), batchReference: batch, namedReferences: named ?? []))
        }
        return (expected, actual)
    }

    /// What the ledger expects to see at the bank: every cash movement valued in [from, to] that
    /// no night has matched yet, one item per journal entry, referenced by the entry's business
    /// reference with the counterparty's references as alternates (for small tools: the demo).
    public static func expectedCashItems(from: BusinessDate, to: BusinessDate, on c: PostgresConnection, logger: Logger) async throws -> [ExpectedItem] {
        let runID = UUID()
        _ = try await prepareRun(runID: runID, itemsFrom: from, itemsTo: to, linesFrom: to.adding(days: 1), linesTo: from, on: c, logger: logger)
        let items = try await runPartition(runID: runID, buckets: 0..<runBuckets, on: c, logger: logger).expected
        try await discardRun(runID: runID, on: c, logger: logger)
        return items
    }

    /// Records what a night matched: the lines (by `statement_id/line_no`) and the ledger entries.
    public static func recordMatched(lineIDs: [String], entryIDs: [String], date: BusinessDate, runID: UUID,
                                     on c: PostgresConnection, logger: Logger) async throws {
        let lines = lineIDs.compactMap { id -> (UUID, Int)? in
            let parts = id.split(separator: "/")
            guard parts.count == 2, let statement = UUID(uuidString: String(parts[0])), let n = Int(parts[1]) else { return nil }
            return (statement, n)
        }
        if !lines.isEmpty {
            // A partition's lines are a few thousand of millions: one primary-key probe each. Left to
            // itself the planner hashes the whole statement_lines table for every partition.
            try await c.query("SET LOCAL enable_hashjoin = off", logger: logger)
            try await c.query("SET LOCAL enable_mergejoin = off", logger: logger)
            try await c.query("""
                UPDATE statement_lines l SET matched_by = \(runID)
                FROM unnest(\(lines.map(\.0))::uuid[], \(lines.map(\.1))::int[]) AS t(s, n)
                WHERE l.statement_id = t.s AND l.line_no = t.n
                """, logger: logger)
            try await c.query("SET LOCAL enable_hashjoin TO DEFAULT", logger: logger)
            try await c.query("SET LOCAL enable_mergejoin TO DEFAULT", logger: logger)
        }
        let entries = entryIDs.compactMap(UUID.init(uuidString:))
        if !entries.isEmpty {
            try await c.query("""
                INSERT INTO reconciled_items (entry_id, business_date, run_id)
                SELECT e, \(date.description)::date, \(runID) FROM unnest(\(entries)::uuid[]) AS t(e)
                ON CONFLICT (entry_id) DO NOTHING
                """, logger: logger)
        }
    }

    /// An open exception a night closed (see `closeSettled`).
    public struct ClosedException: Sendable {
        public let kind: String
        public let lineRef: String?
        public let itemRef: String?
        public let reference: String?
        public let expected: Int64?
        public let actual: Int64?
        public let currency: String?
        public let source: String?
        public let counterpartyRef: String?
    }

    /// Closes, as resolved by `runID`, every open exception about a line or ledger item that this
    /// night matched (`matchedLines`, `matchedItems`) or gave a newer verdict (`verdictLines`,
    /// `verdictItems`), except the verdicts themselves (`keep`, their dedupe keys). Returns the
    /// closed exceptions, so a pairing closed on one side can give the other side its own verdict.
    public static func closeSettled(
        matchedLines: [String], matchedItems: [String], verdictLines: [String], verdictItems: [String], keep: [String],
        date: BusinessDate, runID: UUID, on c: PostgresConnection, logger: Logger
    ) async throws -> [ClosedException] {
        let lines = matchedLines + verdictLines, items = matchedItems + verdictItems
        guard !lines.isEmpty || !items.isEmpty else { return [] }
        let run = runID.uuidString.lowercased()
        let matchedNote = "matched by nightly run \(run) on \(date)"
        let supersededNote = "superseded by a later verdict of nightly run \(run) on \(date)"
        var out: [ClosedException] = []
        for try await (kind, line, item, reference, expected, actual, currency, source, counterparty) in try await c.query("""
            UPDATE reconciliation_exceptions
            SET state = 'resolved', acknowledged_by = COALESCE(acknowledged_by, 'nightly-run'),
                acknowledged_on = COALESCE(acknowledged_on, GREATEST(business_date, \(date.description)::date)),
                resolved_by = 'nightly-run', resolved_on = GREATEST(business_date, \(date.description)::date),
                resolution_note = CASE WHEN line_ref = ANY(\(matchedLines)::text[]) OR item_ref = ANY(\(matchedItems)::text[])
                                       THEN \(matchedNote) ELSE \(supersededNote) END,
                resolved_by_run = \(runID)
            WHERE state <> 'resolved' AND (line_ref = ANY(\(lines)::text[]) OR item_ref = ANY(\(items)::text[]))
              AND dedupe_key <> ALL(\(keep)::text[])
            RETURNING kind, line_ref, item_ref, reference, expected_amount, actual_amount, currency, source, counterparty_ref
            """, logger: logger).decode((String, String?, String?, String?, Int64?, Int64?, String?, String?, String?).self) {
            out.append(ClosedException(kind: kind, lineRef: line, itemRef: item, reference: reference, expected: expected, actual: actual,
                                       currency: currency, source: source, counterpartyRef: counterparty))
        }
        return out
    }

    /// Matching rules per source as stored (`*` is the default).
    public struct MatchingRuleRecord: Sendable {
        public let source: String
        public let amountToleranceMinor: Int64
        public let dateWindowDays: Int
        public let oneToMany: Bool
        public let manyToOne: Bool
        public let updatedBy: String
        public let updatedAt: Date

        public init(source: String, amountToleranceMinor: Int64, dateWindowDays: Int, oneToMany: Bool, manyToOne: Bool,
                    updatedBy: String, updatedAt: Date) {
            self.source = source
            self.amountToleranceMinor = amountToleranceMinor
            self.dateWindowDays = dateWindowDays
            self.oneToMany = oneToMany
            self.manyToOne = manyToOne
            self.updatedBy = updatedBy
            self.updatedAt = updatedAt
        }
    }

    public static func matchingRules(source: String? = nil, on c: PostgresConnection, logger: Logger) async throws -> [MatchingRuleRecord] {
        var out: [MatchingRuleRecord] = []
        for try await (src, tol, window, otm, mto, by, at) in try await c.query("""
            SELECT source, amount_tolerance_minor, date_window_days, one_to_many, many_to_one, updated_by, updated_at
            FROM matching_rules WHERE \(source)::text IS NULL OR source = \(source) ORDER BY source
            """, logger: logger).decode((String, Int64, Int, Bool, Bool, String, Date).self) {
            out.append(MatchingRuleRecord(source: src, amountToleranceMinor: tol, dateWindowDays: window, oneToMany: otm, manyToOne: mto,
                                          updatedBy: by, updatedAt: at))
        }
        return out
    }

    public static func upsertMatchingRule(_ r: MatchingRuleRecord, on c: PostgresConnection, logger: Logger) async throws {
        try await c.query("""
            INSERT INTO matching_rules (source, amount_tolerance_minor, date_window_days, one_to_many, many_to_one, updated_by, updated_at)
            VALUES (\(r.source), \(r.amountToleranceMinor), \(r.dateWindowDays), \(r.oneToMany), \(r.manyToOne), \(r.updatedBy), now())
            ON CONFLICT (source) DO UPDATE SET amount_tolerance_minor = EXCLUDED.amount_tolerance_minor,
                date_window_days = EXCLUDED.date_window_days, one_to_many = EXCLUDED.one_to_many, many_to_one = EXCLUDED.many_to_one,
                updated_by = EXCLUDED.updated_by, updated_at = now()
            """, logger: logger)
    }

    /// One exception to raise; `key` makes raising it again a no-op.
    public struct NewException: Sendable {
        public let date: BusinessDate
        public let kind: String
        public let reference: String?
        public let expected: Int64?
        public let actual: Int64?
        public let currency: String?
        public let detail: String
        public let key: String
        public let source: String?
        public let counterpartyRef: String?
        /// The statement line (`<statement id>/<line no>`) and the ledger item (entry id) it is about.
        public let lineRef: String?
        public let itemRef: String?

        public init(date: BusinessDate, kind: String, reference: String?, expected: Int64?, actual: Int64?, currency: String?,
                    detail: String, key: String, source: String? = nil, counterpartyRef: String? = nil,
                    lineRef: String? = nil, itemRef: String? = nil) {
            self.date = date
            self.kind = kind
            self.reference = reference
            self.expected = expected
            self.actual = actual
            self.currency = currency
            self.detail = detail
            self.key = key
            self.source = source
            self.counterpartyRef = counterpartyRef
            self.lineRef = lineRef
            self.itemRef = itemRef
        }
    }

    /// Raises exceptions once per dedupe key and returns those raised or opened again, as stored.
    /// A verdict that a night closed automatically (a later verdict superseded it) and that comes
    /// back is opened again; one a person resolved stays resolved.
    public static func raiseExceptions(_ rows: [NewException], on c: PostgresConnection, logger: Logger) async throws -> [ExceptionRecord] {
        guard !rows.isEmpty else { return [] }
        // Time-ordered: the primary key and the paging index take them at their right-hand edge.
        let ids = TimeOrderedID.batch(rows.count, at: BusinessClock.systemNow())
        return try await decodeExceptions(try await c.query("""
            INSERT INTO reconciliation_exceptions AS x (id, business_date, kind, reference, expected_amount, actual_amount, currency, detail, state,
                                                        dedupe_key, source, counterparty_ref, line_ref, item_ref)
            SELECT i, d::date, k, NULLIF(r, ''), NULLIF(e, \(Int64.min)), NULLIF(a, \(Int64.min)), NULLIF(cur, ''), det, 'open', key,
                   NULLIF(src, ''), NULLIF(cp, ''), NULLIF(lr, ''), NULLIF(ir, '')
            FROM unnest(\(ids)::uuid[], \(rows.map(\.date.description))::text[], \(rows.map(\.kind))::text[], \(rows.map { $0.reference ?? "" })::text[],
                        \(rows.map { $0.expected ?? Int64.min })::bigint[], \(rows.map { $0.actual ?? Int64.min })::bigint[], \(rows.map { $0.currency ?? "" })::text[],
                        \(rows.map(\.detail))::text[], \(rows.map(\.key))::text[], \(rows.map { $0.source ?? "" })::text[],
                        \(rows.map { $0.counterpartyRef ?? "" })::text[], \(rows.map { $0.lineRef ?? "" })::text[],
                        \(rows.map { $0.itemRef ?? "" })::text[]) AS t(i, d, k, r, e, a, cur, det, key, src, cp, lr, ir)
            ON CONFLICT (dedupe_key) DO UPDATE
            SET state = 'open', business_date = EXCLUDED.business_date, expected_amount = EXCLUDED.expected_amount,
                actual_amount = EXCLUDED.actual_amount, detail = EXCLUDED.detail, acknowledged_by = NULL, acknowledged_on = NULL,
                resolved_by = NULL, resolved_on = NULL, resolution_note = NULL, resolved_by_run = NULL
            WHERE x.state = 'resolved' AND x.resolved_by_run IS NOT NULL
            RETURNING \(unescaped: exceptionColumns)
            """, logger: logger))
    }

    static let exceptionColumns = """
        id, business_date::text, kind, reference, expected_amount, actual_amount, currency, detail, state, acknowledged_by,
        acknowledged_on::text, resolved_by, resolved_on::text, resolution_note, source, counterparty_ref, resolved_by_run
        """

    static func decodeExceptions(_ rows: PostgresRowSequence) async throws -> [ExceptionRecord] {
        var out: [ExceptionRecord] = []
        for try await (id, date, kind, ref, expected, actual, currency, detail, state, ackBy, ackOn, resBy, resOn, note, source, counterparty, byRun)
            in rows.decode((UUID, String, String, String?, Int64?, Int64?, String?, String, String, String?, String?, String?, String?, String?,
                            String?, String?, UUID?).self) {
            guard let date = BusinessDate(date) else { continue }
            out.append(ExceptionRecord(id: id, businessDate: date, kind: kind, reference: ref, expectedAmount: expected, actualAmount: actual,
                                       currency: currency, detail: detail, state: state, acknowledgedBy: ackBy,
                                       acknowledgedOn: ackOn.flatMap(BusinessDate.init), resolvedBy: resBy,
                                       resolvedOn: resOn.flatMap(BusinessDate.init), resolutionNote: note, source: source,
                                       counterpartyRef: counterparty, resolvedByRun: byRun))
        }
        return out
    }

    /// One page of exceptions in (business date, kind, id) order; absent filters match everything.
    /// The cursor's key is the date and the kind (`PageCursor(parts:id:)`).
    public static func exceptions(
        _ f: ExceptionFilter, _ page: PageRequest, on c: PostgresConnection, logger: Logger
    ) async throws -> Page<ExceptionRecord> {
        let after = page.after?.parts
        let afterDate = after?.first, afterKind = after?.last
        let rows = try await decodeExceptions(try await c.query("""
            SELECT \(unescaped: exceptionColumns) FROM reconciliation_exceptions
            WHERE (\(f.dateFrom?.description)::date IS NULL OR business_date >= \(f.dateFrom?.description)::date)
              AND (\(f.dateTo?.description)::date IS NULL OR business_date <= \(f.dateTo?.description)::date)
              AND (\(f.kind)::text IS NULL OR kind = \(f.kind))
              AND (\(f.state)::text IS NULL OR state = \(f.state))
              AND (\(f.source)::text IS NULL OR source = \(f.source))
              AND (\(afterDate)::date IS NULL
                   OR (business_date, kind, id) > (\(afterDate)::date, \(afterKind)::text, \(page.after?.id)::uuid))
            ORDER BY business_date, kind, id LIMIT \(page.fetchLimit)
            """, logger: logger))
        return Page(fetched: rows.map { ($0, PageCursor(parts: [$0.businessDate.description, $0.kind], id: $0.id)) }, request: page)
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
