import Domain
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// A ledger account as stored, with its cached balance.
public struct LedgerAccountRecord: Sendable {
    public let id: UUID
    public let code: String
    public let name: String
    public let type: AccountType
    public let currency: Currency
    public let ownerType: String
    public let ownerID: String?
    /// Debit-positive balance in minor units of `currency`. A `Decimal`, not `Money`: an account that
    /// does not cache its balance (a platform account) is summed as `numeric` and may pass Int64.
    public let balanceMinorUnits: Decimal
}

/// One row of a trial balance: an account and its balance as of a date.
public struct TrialBalanceRow: Sendable {
    public let code: String
    public let type: AccountType
    public let currency: Currency
    /// Debit-positive, summed as SQL `numeric`: a platform-wide account can exceed Int64.
    public let balanceMinorUnits: Decimal
}

/// Result of posting: the entry's id, or the id of the entry already booked under the same reference.
public enum PostingOutcome: Sendable, Equatable {
    case posted(UUID)
    case alreadyPosted(UUID)

    public var entryID: UUID {
        switch self {
        case .posted(let id), .alreadyPosted(let id): id
        }
    }
}

/// Writes and reads the double-entry ledger. Posting happens on the caller's transaction.
public enum LedgerStore {
    /// Opens any of the accounts that do not exist yet (idempotent). Inside `Database.transaction`
    /// codes already known to exist are skipped, so a steady-state posting costs no statement here.
    public static func ensureAccounts(_ specs: [LedgerAccountSpec], on connection: PostgresConnection, logger: Logger) async throws {
        var unique: [String: LedgerAccountSpec] = [:]
        let known = KnownLedgerAccounts.current
        for spec in specs where known?.contains(spec.code) != true { unique[spec.code] = spec }
        let sorted = unique.values.sorted { $0.code < $1.code }
        guard !sorted.isEmpty else { return }
        let ids = sorted.map { _ in UUID() }
        let codes = sorted.map(\.code)
        let names = sorted.map(\.name)
        let types = sorted.map(\.type.rawValue)
        let currencies = sorted.map(\.currency.code)
        let ownerTypes = sorted.map(\.owner.ownerType)
        let ownerIDs = sorted.map { $0.owner.ownerID ?? "" }
        let sides = sorted.map(\.type.normalSide.rawValue)
        // Owner accounts cache their balance; platform-wide accounts do not (see 0001_ledger.sql).
        let tracks = sorted.map { $0.owner.ownerID != nil }
        let created = try await connection.prepared("""
            INSERT INTO ledger_accounts (id, code, name, type, currency, owner_type, owner_id, normal_side, tracks_balance)
            SELECT id, code, name, type, currency, owner_type, NULLIF(owner_id, ''), normal_side, tracks
            FROM unnest(\(ids)::uuid[], \(codes)::text[], \(names)::text[], \(types)::text[], \(currencies)::text[],
                        \(ownerTypes)::text[], \(ownerIDs)::text[], \(sides)::text[], \(tracks)::boolean[])
                 AS t(id, code, name, type, currency, owner_type, owner_id, normal_side, tracks)
            WHERE NOT EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.code = t.code)
            ON CONFLICT (code) DO NOTHING
            RETURNING code
            """, logger: logger).all(String.self)
        // Codes that exist are skipped by the lookup, not by ON CONFLICT: for rows that all exist (a
        // night's late fees on 1,000 accounts at a time) the conflict path cost about 70 µs a row,
        // a lookup under 3 µs (138 ms against 5 ms for 2,000 codes, session 13); ON CONFLICT
        // still settles a race with a concurrent opener.
        // A code this statement did not insert conflicted with a committed row (ON CONFLICT waits
        // for a concurrent inserter to finish), and accounts are never deleted: safe to remember.
        // Codes inserted here are remembered only once a later posting finds them committed.
        known?.insert(Set(codes).subtracting(created))
    }

    /// Posts a balanced entry in the caller's transaction. When the entry carries an
    /// idempotency reference that is already booked, nothing is written and the first entry's id returns.
    @discardableResult
    public static func post(_ entry: JournalEntry, on connection: PostgresConnection, logger: Logger) async throws -> PostingOutcome {
        try await ensureAccounts(entry.lines.map(\.account), on: connection, logger: logger)
        let id = UUID()
        let lines = (1...entry.lines.count).map { Int16($0) }
        let codes = entry.lines.map(\.account.code)
        let amounts = entry.lines.map(\.amount.minorUnits)
        let currencies = entry.lines.map(\.amount.currency.code)
        // One round trip: the entry and its postings; nothing when the reference is already booked.
        let posted = try await connection.prepared("""
            WITH inserted AS (
                INSERT INTO journal_entries (id, business_date, kind, reference_type, reference_id, idempotency_ref, description)
                VALUES (\(id), \(entry.businessDate.description)::date, \(entry.kind), \(entry.referenceType),
                        \(entry.referenceID), NULLIF(\(entry.idempotencyRef ?? ""), ''), \(entry.description))
                ON CONFLICT (idempotency_ref) DO NOTHING
                RETURNING id
            )
            INSERT INTO postings (entry_id, line, account_id, amount, currency)
            SELECT inserted.id, t.line, a.id, t.amount, t.currency
            FROM inserted,
                 unnest(\(lines)::smallint[], \(codes)::text[], \(amounts)::bigint[], \(currencies)::text[])
                 AS t(line, code, amount, currency)
            JOIN ledger_accounts a ON a.code = t.code
            ORDER BY a.id
            RETURNING entry_id
            """, logger: logger).all(UUID.self)
        guard posted.isEmpty else { return .posted(id) }
        guard let ref = entry.idempotencyRef else { throw LedgerStoreError.entryVanished }
        let existing = try await connection.prepared(
            "SELECT id FROM journal_entries WHERE idempotency_ref = \(ref)", logger: logger
        ).all(UUID.self)
        guard let first = existing.first else { throw LedgerStoreError.entryVanished }
        return .alreadyPosted(first)
    }

    /// The account with `code`, or nil.
    public static func account(code: String, on connection: PostgresConnection, logger: Logger) async throws -> LedgerAccountRecord? {
        let rows = try await connection.prepared("""
            SELECT id, code, name, type, currency, owner_type, owner_id,
                   CASE WHEN tracks_balance THEN balance
                        ELSE (SELECT COALESCE(sum(p.amount), 0) FROM postings p WHERE p.account_id = ledger_accounts.id) END::text
            FROM ledger_accounts WHERE code = \(code)
            """, logger: logger)
        for try await (id, code, name, type, currency, ownerType, ownerID, balance) in rows.decode(
            (UUID, String, String, String, String, String, String?, String).self
        ) {
            guard let type = AccountType(rawValue: type), let currency = Currency(code: currency),
                  let balance = Decimal(string: balance, locale: Locale(identifier: "en_US_POSIX")) else {
                throw LedgerStoreError.corruptRow("ledger_accounts \(code)")
            }
            return LedgerAccountRecord(id: id, code: code, name: name, type: type, currency: currency,
                                       ownerType: ownerType, ownerID: ownerID, balanceMinorUnits: balance)
        }
        return nil
    }

    /// Balance of one account as of the end of a business date (nil = now), from postings.
    public static func balance(code: String, asOf: BusinessDate?, on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        let rows = try await connection.query("""
            SELECT COALESCE(sum(p.amount), 0)::bigint FROM postings p
            JOIN ledger_accounts a ON a.id = p.account_id
            JOIN journal_entries e ON e.id = p.entry_id
            WHERE a.code = \(code) AND (\(asOf?.description)::date IS NULL OR e.business_date <= \(asOf?.description)::date)
            """, logger: logger).all(Int64.self)
        return rows.first ?? 0
    }

    /// Every account's balance as of a business date (nil = everything posted), from postings.
    public static func trialBalance(asOf: BusinessDate?, on connection: PostgresConnection, logger: Logger) async throws -> [TrialBalanceRow] {
        let rows = try await connection.query("""
            SELECT a.code, a.type, a.currency, COALESCE(sum(p.amount) FILTER (
                       WHERE \(asOf?.description)::date IS NULL OR e.business_date <= \(asOf?.description)::date), 0)::text
            FROM ledger_accounts a
            LEFT JOIN postings p ON p.account_id = a.id
            LEFT JOIN journal_entries e ON e.id = p.entry_id
            GROUP BY a.code, a.type, a.currency
            ORDER BY a.code
            """, logger: logger)
        var out: [TrialBalanceRow] = []
        for try await (code, type, currency, balance) in rows.decode((String, String, String, String).self) {
            guard let type = AccountType(rawValue: type), let currency = Currency(code: currency),
                  let balance = Decimal(string: balance, locale: Locale(identifier: "en_US_POSIX")) else {
                throw LedgerStoreError.corruptRow("ledger_accounts \(code)")
            }
            out.append(TrialBalanceRow(code: code, type: type, currency: currency, balanceMinorUnits: balance))
        }
        return out
    }

    /// Integrity proof: unbalanced entries and accounts whose cached balance differs from their postings.
    public static func integrityViolations(on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        try await unbalancedEntries(on: connection, logger: logger) + driftedBalances(on: connection, logger: logger)
    }

    /// Entries whose postings do not sum to zero per currency (one scan of `postings`).
    public static func unbalancedEntries(on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        var problems: [String] = []
        for try await (id, currency, sum) in try await connection.prepared("""
            SELECT entry_id::text, currency, sum(amount)::text FROM postings
            GROUP BY entry_id, currency HAVING sum(amount) <> 0
            """, logger: logger).decode((String, String, String).self) {
            problems.append("entry \(id) unbalanced in \(currency) by \(sum)")
        }
        return problems
    }

    /// Accounts whose cached balance differs from the sum of their postings (another scan of `postings`).
    public static func driftedBalances(on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        var problems: [String] = []
        for try await (code, cached, actual) in try await connection.prepared("""
            SELECT a.code, a.balance, COALESCE(s.total, 0)::text FROM ledger_accounts a
            LEFT JOIN (SELECT account_id, sum(amount) AS total FROM postings GROUP BY account_id) s ON s.account_id = a.id
            WHERE a.tracks_balance AND a.balance <> COALESCE(s.total, 0)
            """, logger: logger).decode((String, Int64, String).self) {
            problems.append("account \(code) cached balance \(cached) != postings \(actual)")
        }
        return problems
    }
}

/// Ledger account codes known to exist, per database. `Database.transaction` makes its set
/// current for the body, so `ensureAccounts` needs no extra parameter.
final class KnownLedgerAccounts: Sendable {
    @TaskLocal static var current: KnownLedgerAccounts?
    /// A bound on memory; past it the set starts over (it is only a cache).
    static let capacity = 200_000
    private let codes = Mutex<Set<String>>([])

    func contains(_ code: String) -> Bool { codes.withLock { $0.contains(code) } }

    func insert(_ more: Set<String>) {
        guard !more.isEmpty else { return }
        codes.withLock { set in
            if set.count + more.count > Self.capacity { set.removeAll(keepingCapacity: true) }
            set.formUnion(more)
        }
    }
}

/// Something the ledger store did not expect to find.
public enum LedgerStoreError: Error {
    case entryVanished
    case corruptRow(String)
}
