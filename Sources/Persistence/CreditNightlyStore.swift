import Domain
import Foundation
import Logging
import PostgresNIO

/// Set-based SQL for the nightly credit steps. Work is cut into batches of credit accounts taken in
/// id order (keyset pagination), so a run never holds more than one batch in memory and, on Citus,
/// each batch touches a range of the distribution key.
public enum CreditNightlyStore {
    /// One open installment past its due date, as the ageing step reads it.
    public struct PastDueRow: Sendable {
        public let creditAccountID: UUID
        public let productID: UUID
        public let planID: UUID
        public let number: Int
        public let dueDate: BusinessDate
        public let principalOwed: Money
        /// Late fees charged so far (paid or not): the cap applies to the total.
        public let lateFeeCharged: Money
        public let lateFeeDays: Int
        /// Already aged for this business date (a resumed run skips its late fee).
        public let alreadyAged: Bool
        /// The last business date it was aged for, if ever.
        public let agedThrough: BusinessDate?
    }

    /// The ageing outcome of one installment.
    public struct InstallmentAgeing: Sendable {
        public let creditAccountID: UUID
        public let planID: UUID
        public let number: Int
        public let lateFeeAdded: Int64
        public let lateFeeDays: Int
        public let daysPastDue: Int

        public init(creditAccountID: UUID, planID: UUID, number: Int, lateFeeAdded: Int64, lateFeeDays: Int, daysPastDue: Int) {
            self.creditAccountID = creditAccountID
            self.planID = planID
            self.number = number
            self.lateFeeAdded = lateFeeAdded
            self.lateFeeDays = lateFeeDays
            self.daysPastDue = daysPastDue
        }
    }

    /// The ageing outcome of one account.
    public struct AccountAgeing: Sendable {
        public let creditAccountID: UUID
        public let daysPastDue: Int
        public let bucket: DelinquencyBucket
        public let status: CreditAccountStatus

        public init(creditAccountID: UUID, daysPastDue: Int, bucket: DelinquencyBucket, status: CreditAccountStatus) {
            self.creditAccountID = creditAccountID
            self.daysPastDue = daysPastDue
            self.bucket = bucket
            self.status = status
        }
    }

    /// The next accounts after `after` with an open installment due before `businessDate` that has
    /// not been aged for that date yet.
    public static func accountsToAge(
        businessDate: BusinessDate, after: UUID?, limit: Int, on connection: PostgresConnection, logger: Logger
    ) async throws -> [UUID] {
        try await connection.query("""
            SELECT DISTINCT credit_account_id FROM credit_installments
            WHERE status = 'open' AND due_date < \(businessDate.description)::date
              AND (aged_through IS NULL OR aged_through < \(businessDate.description)::date)
              AND (\(after)::uuid IS NULL OR credit_account_id > \(after)::uuid)
            ORDER BY credit_account_id LIMIT \(limit)
            """, logger: logger).all(UUID.self)
    }

    /// Locks the accounts in id order (the one lock order every batch uses) and returns their statuses.
    public static func lockAccounts(
        _ ids: [UUID], on connection: PostgresConnection, logger: Logger
    ) async throws -> [UUID: CreditAccountStatus] {
        let rows = try await connection.prepared("""
            SELECT id, status FROM credit_accounts WHERE id = ANY(\(ids)::uuid[]) ORDER BY id FOR UPDATE
            """, logger: logger)
        var out: [UUID: CreditAccountStatus] = [:]
        for try await (id, status) in rows.decode((UUID, String).self) {
            guard let value = CreditAccountStatus(rawValue: status) else { throw CreditStoreError.corruptRow("status \(status)") }
            out[id] = value
        }
        return out
    }

    /// Locks and reads the open installments of `accountIDs` due before `businessDate`.
    /// The caller has locked the accounts first.
    public static func pastDue(
        accountIDs: [UUID], businessDate: BusinessDate, on connection: PostgresConnection, logger: Logger
    ) async throws -> [PastDueRow] {
        let rows = try await connection.prepared("""
            SELECT i.credit_account_id, a.product_id, i.plan_id, i.number, i.due_date::text AS due_date, i.currency,
                   i.principal - i.principal_paid AS principal_owed, i.late_fee, i.late_fee_days,
                   COALESCE(i.aged_through >= \(businessDate.description)::date, false) AS already_aged,
                   i.aged_through::text AS aged_through
            FROM credit_installments i JOIN credit_accounts a ON a.id = i.credit_account_id
            WHERE i.credit_account_id = ANY(\(accountIDs)::uuid[]) AND i.status = 'open'
              AND i.due_date < \(businessDate.description)::date
            ORDER BY i.credit_account_id, i.plan_id, i.number
            FOR UPDATE OF i
            """, logger: logger)
        var out: [PastDueRow] = []
        for try await row in rows {
            let r = row.makeRandomAccess()
            let currency = try r.creditCurrency()
            out.append(PastDueRow(
                creditAccountID: try r.creditColumn("credit_account_id"), productID: try r.creditColumn("product_id"),
                planID: try r.creditColumn("plan_id"), number: try r.creditColumn("number"), dueDate: try r.creditDate("due_date"),
                principalOwed: try r.creditMoney("principal_owed", currency), lateFeeCharged: try r.creditMoney("late_fee", currency),
                lateFeeDays: try r.creditColumn("late_fee_days"), alreadyAged: try r.creditColumn("already_aged"),
                agedThrough: try r["aged_through"].decode(String?.self).flatMap(BusinessDate.init)))
        }
        return out
    }

    /// Adds late fees and records the ageing of each installment for `businessDate`.
    public static func applyAgeing(
        _ rows: [InstallmentAgeing], businessDate: BusinessDate, on connection: PostgresConnection, logger: Logger
    ) async throws {
        guard !rows.isEmpty else { return }
        try await connection.prepared("""
            UPDATE credit_installments i SET late_fee = i.late_fee + t.added, late_fee_days = t.days, days_past_due = t.dpd,
                   aged_through = \(businessDate.description)::date
            FROM unnest(\(rows.map(\.creditAccountID))::uuid[], \(rows.map(\.planID))::uuid[], \(rows.map(\.number))::int[],
                        \(rows.map(\.lateFeeAdded))::bigint[], \(rows.map(\.lateFeeDays))::int[], \(rows.map(\.daysPastDue))::int[])
                 AS t(account, plan, number, added, days, dpd)
            WHERE i.credit_account_id = t.account AND i.plan_id = t.plan AND i.number = t.number
            """, logger: logger)
    }

    /// Writes each account's days past due, bucket and status; audits the status changes.
    public static func applyAccountAgeing(
        _ rows: [AccountAgeing], actor: String, on connection: PostgresConnection, logger: Logger
    ) async throws {
        guard !rows.isEmpty else { return }
        try await connection.prepared("""
            WITH t AS (
                SELECT * FROM unnest(\(rows.map(\.creditAccountID))::uuid[], \(rows.map(\.daysPastDue))::int[],
                                     \(rows.map(\.bucket.rawValue))::text[], \(rows.map(\.status.rawValue))::text[])
                       AS t(id, dpd, bucket, status)
            ), changed AS (
                SELECT t.id, a.status AS old_status, t.status FROM t JOIN credit_accounts a ON a.id = t.id
                WHERE a.status <> t.status
            ), audit AS (
                INSERT INTO audit_events (actor, action, object_type, object_id, detail)
                SELECT \(actor), 'credit.account.' || changed.status, 'credit_account', changed.id::text,
                       jsonb_build_object('from', changed.old_status, 'to', changed.status)
                FROM changed
            )
            UPDATE credit_accounts a SET days_past_due = t.dpd, bucket = t.bucket, status = t.status, updated_at = now()
            FROM t WHERE a.id = t.id
            """, logger: logger)
    }

    /// Charges off `accountIDs` on `businessDate`: their open installments, active plans and live
    /// holds close, the account is closed with nothing held or outstanding. Returns, per account,
    /// what it still owed (principal and late fees: its receivable) for the write-off entry.
    public static func chargeOff(
        accountIDs: [UUID], businessDate: BusinessDate, actor: String, on connection: PostgresConnection, logger: Logger
    ) async throws -> [(creditAccountID: UUID, owed: Money)] {
        guard !accountIDs.isEmpty else { return [] }
        let rows = try await connection.prepared("""
            WITH installments AS (
                UPDATE credit_installments SET status = 'charged_off'
                WHERE credit_account_id = ANY(\(accountIDs)::uuid[]) AND status = 'open'
                RETURNING credit_account_id, currency, principal - principal_paid + late_fee - late_fee_paid AS owed
            ), plans AS (
                UPDATE credit_plans SET status = 'charged_off', closed_at = now()
                WHERE credit_account_id = ANY(\(accountIDs)::uuid[]) AND status = 'active'
            ), holds AS (
                UPDATE credit_checkouts SET status = 'voided', closed_at = now()
                WHERE credit_account_id = ANY(\(accountIDs)::uuid[]) AND status = 'authorized'
            ), accounts AS (
                UPDATE credit_accounts SET status = 'charged_off', charged_off_on = \(businessDate.description)::date,
                       held = 0, principal_outstanding = 0, updated_at = now()
                WHERE id = ANY(\(accountIDs)::uuid[])
                RETURNING id, currency
            ), audit AS (
                INSERT INTO audit_events (actor, action, object_type, object_id, detail)
                SELECT \(actor), 'credit.account.charged_off', 'credit_account', id::text,
                       jsonb_build_object('business_date', \(businessDate.description)::text)
                FROM accounts
            )
            SELECT a.id, a.currency, COALESCE(sum(i.owed), 0)::bigint AS owed
            FROM accounts a LEFT JOIN installments i ON i.credit_account_id = a.id
            GROUP BY a.id, a.currency ORDER BY a.id
            """, logger: logger)
        var out: [(UUID, Money)] = []
        for try await (id, code, owed) in rows.decode((UUID, String, Int64).self) {
            guard let currency = Currency(code: code) else { throw CreditStoreError.corruptRow("currency \(code)") }
            out.append((id, Money(minorUnits: owed, currency: currency)))
        }
        return out
    }
}

/// Posts balanced entries in two statements on the caller's transaction (the accounts are opened
/// first, then entries and postings in one statement), where `LedgerStore.post` needs three per
/// entry: the nightly run's late fees and write-offs, and the hot capture path, use it. Same rules
/// as `LedgerStore.post`: an entry whose idempotency reference is already booked is skipped, and
/// the database's deferred trigger proves every entry balanced at commit.
public enum CreditLedgerBatch {
    /// Returns how many entries were newly posted.
    @discardableResult
    public static func post(_ entries: [JournalEntry], on connection: PostgresConnection, logger: Logger) async throws -> Int {
        guard !entries.isEmpty else { return 0 }
        try await LedgerStore.ensureAccounts(entries.flatMap { $0.lines.map(\.account) }, on: connection, logger: logger)
        let insert = Insert(ids: entries.map { _ in UUID() }, entries: entries)
        var s = PreparedSQL.StringInterpolation(literalCapacity: 1200, interpolationCount: 12)
        s.appendLiteral("WITH ")
        insert.appendCTE(named: "posted", to: &s)
        s.appendLiteral("\nSELECT entry_id FROM posted")
        let posted = try await connection.prepared(PreparedSQL(stringInterpolation: s), logger: logger).all(UUID.self)
        return Set(posted).count
    }

    /// Like `post`, but inside a request transaction the entries are held back for the request's
    /// last statement (`WaitingWrites`), one round trip fewer on the capture path; the ledger
    /// accounts are opened now. Returns the ids the entries will have. The caller must know no
    /// entry's idempotency reference is already booked (the capture holds its checkout's lock):
    /// a held-back entry that is skipped leaves nothing for the ids to name, and whatever names
    /// one (a payment order's foreign key) fails the transaction rather than pointing elsewhere.
    public static func hold(_ entries: [JournalEntry], on connection: PostgresConnection, logger: Logger) async throws -> [UUID] {
        guard !entries.isEmpty else { return [] }
        try await LedgerStore.ensureAccounts(entries.flatMap { $0.lines.map(\.account) }, on: connection, logger: logger)
        let insert = Insert(ids: entries.map { _ in UUID() }, entries: entries)
        try await WaitingWrites.write(insert, on: connection, logger: logger)
        return insert.ids
    }

    /// The entries and their postings as two data-modifying CTEs, `<name>_entries` and `<name>`
    /// (the postings, returning their entry ids).
    struct Insert: DeferredInsert {
        let ids: [UUID]
        let entries: [JournalEntry]

        func appendCTE(named name: String, to s: inout PreparedSQL.StringInterpolation) {
            var entryIDs: [UUID] = []
            var lines: [Int16] = []
            var codes: [String] = []
            var amounts: [Int64] = []
            var currencies: [String] = []
            for (id, entry) in zip(ids, entries) {
                for (index, line) in entry.lines.enumerated() {
                    entryIDs.append(id)
                    lines.append(Int16(index + 1))
                    codes.append(line.account.code)
                    amounts.append(line.amount.minorUnits)
                    currencies.append(line.amount.currency.code)
                }
            }
            let fragment: SQLFragment = """
                \(unescaped: name)_entries AS (
                    INSERT INTO journal_entries (id, business_date, kind, reference_type, reference_id, idempotency_ref, description)
                    SELECT t.id, t.business_date::date, t.kind, t.reference_type, t.reference_id, NULLIF(t.idempotency_ref, ''),
                           t.description
                    FROM unnest(\(ids)::uuid[], \(entries.map(\.businessDate.description))::text[], \(entries.map(\.kind))::text[],
                                \(entries.map(\.referenceType))::text[], \(entries.map(\.referenceID))::text[],
                                \(entries.map { $0.idempotencyRef ?? "" })::text[], \(entries.map(\.description))::text[])
                         AS t(id, business_date, kind, reference_type, reference_id, idempotency_ref, description)
                    ON CONFLICT (idempotency_ref) DO NOTHING
                    RETURNING id
                ), \(unescaped: name) AS (
                    INSERT INTO postings (entry_id, line, account_id, amount, currency)
                    SELECT t.entry_id, t.line, a.id, t.amount, t.currency
                    FROM unnest(\(entryIDs)::uuid[], \(lines)::smallint[], \(codes)::text[], \(amounts)::bigint[], \(currencies)::text[])
                         AS t(entry_id, line, code, amount, currency)
                    JOIN \(unescaped: name)_entries inserted ON inserted.id = t.entry_id
                    JOIN ledger_accounts a ON a.code = t.code
                    ORDER BY a.id
                    RETURNING entry_id
                )
                """
            s.appendInterpolation(fragment)
        }
    }
}
