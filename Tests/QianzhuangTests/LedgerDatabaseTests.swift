import Domain
import Foundation
import Persistence
import Services
import PostgresNIO
import Testing

@Suite("Ledger invariants enforced by PostgreSQL")
struct LedgerDatabaseTests {
    static let cash = PlatformAccounts.cash(.cny)
    static let equity = PlatformAccounts.equity(.cny)

    static func entry(_ debit: Int64, _ credit: Int64, ref: String? = nil) throws -> JournalEntry {
        try JournalEntry(kind: "test", businessDate: BusinessDate("2026-11-26")!, referenceType: "test", referenceID: "t",
                         idempotencyRef: ref,
                         lines: [.debit(cash, Money(minorUnits: debit, currency: .cny)),
                                 .credit(equity, Money(minorUnits: credit, currency: .cny))])
    }

    @Test("an unbalanced entry inserted with raw SQL cannot be committed")
    func rawUnbalancedRefused() async throws {
        try await withTestDatabase { db in
            try await db.transaction { c in try await LedgerStore.ensureAccounts([Self.cash, Self.equity], on: c, logger: db.logger) }
            let error = await #expect(throws: PSQLError.self) {
                try await db.transaction { c in
                    let id = UUID()
                    try await c.query("INSERT INTO journal_entries (id, business_date, kind, reference_type, reference_id) VALUES (\(id), '2026-11-26', 'raw', 'raw', 'raw')", logger: db.logger)
                    try await c.query("""
                        INSERT INTO postings (entry_id, line, account_id, amount, currency)
                        SELECT \(id), 1, id, 10000, 'CNY' FROM ledger_accounts WHERE code = 'platform.cash.cny'
                        UNION ALL SELECT \(id), 2, id, -9999, 'CNY' FROM ledger_accounts WHERE code = 'platform.equity.cny'
                        """, logger: db.logger)
                }
            }
            #expect(error?.sqlState == "23514")
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM journal_entries") == 0)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM postings") == 0)
            #expect(try await db.scalar(Int64.self, "SELECT balance FROM ledger_accounts WHERE code = 'platform.cash.cny'") == 0)
        }
    }

    @Test("an entry with a single posting or no posting cannot be committed")
    func tooFewPostingsRefused() async throws {
        try await withTestDatabase { db in
            try await db.transaction { c in try await LedgerStore.ensureAccounts([Self.cash], on: c, logger: db.logger) }
            await #expect(throws: PSQLError.self) {
                try await db.transaction { c in
                    try await c.query("INSERT INTO journal_entries (id, business_date, kind, reference_type, reference_id) VALUES (\(UUID()), '2026-11-26', 'raw', 'raw', 'raw')", logger: db.logger)
                }
            }
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM journal_entries") == 0)
        }
    }

    @Test("posted entries and postings cannot be updated or deleted")
    func immutable() async throws {
        try await withTestDatabase { db in
            try await db.transaction { c in try await LedgerStore.post(try Self.entry(500, 500), on: c, logger: db.logger) }
            for sql: PostgresQuery in ["UPDATE postings SET amount = amount * 2", "DELETE FROM postings",
                                       "UPDATE journal_entries SET kind = 'x'", "DELETE FROM journal_entries",
                                       "TRUNCATE postings CASCADE", "UPDATE ledger_accounts SET balance = balance + 1"] {
                await #expect(throws: PSQLError.self) { try await db.execute(sql) }
            }
            #expect(try await db.scalar(Int64.self, "SELECT sum(amount)::bigint FROM postings WHERE amount > 0") == 500)
        }
    }

    @Test("posting keeps cached balances equal to the postings, and the ledger sums to zero")
    func cachedBalances() async throws {
        try await withTestDatabase { db in
            for amount in [100, 250, 1] as [Int64] {
                try await db.transaction { c in try await LedgerStore.post(try Self.entry(amount, amount), on: c, logger: db.logger) }
            }
            let cash = try await db.client.withConnection { try await LedgerStore.account(code: Self.cash.code, on: $0, logger: db.logger) }
            #expect(cash?.balanceMinorUnits == 351 && cash?.currency == .cny)
            #expect(try await db.scalar(Int64.self, "SELECT sum(amount)::bigint FROM postings") == 0)
            let violations = try await db.client.withConnection { try await LedgerStore.integrityViolations(on: $0, logger: db.logger) }
            #expect(violations.isEmpty)
        }
    }

    @Test("the ledger proof reports an unbalanced entry and a drifted cached balance written past the triggers")
    func proofFindsABrokenLedger() async throws {
        try await withTestDatabase { db in
            // An owned account keeps a cached balance (platform accounts are summed from their postings).
            let receivable = InsuranceLedger.premiumReceivable(SellerRef(rawValue: "seller-1")!, .cny)
            let entry = try JournalEntry(kind: "test", businessDate: BusinessDate("2026-11-26")!, referenceType: "test", referenceID: "t",
                                         idempotencyRef: nil, lines: [.debit(receivable, Money(minorUnits: 500, currency: .cny)),
                                                 .credit(Self.equity, Money(minorUnits: 500, currency: .cny))])
            try await db.transaction { c in
                try await LedgerStore.ensureAccounts([Self.cash], on: c, logger: db.logger)
                try await LedgerStore.post(entry, on: c, logger: db.logger)
            }
            let clean = try await ReconciliationService(database: db).proveLedger()
            #expect(clean.violations.isEmpty)
            // Only a superuser with the triggers switched off can do this; the proof must still see it.
            let id = UUID()
            try await db.transaction { c in
                try await c.query("SET LOCAL session_replication_role = replica", logger: db.logger)
                try await c.query("INSERT INTO journal_entries (id, business_date, kind, reference_type, reference_id) VALUES (\(id), '2026-11-26', 'raw', 'raw', 'raw')", logger: db.logger)
                try await c.query("""
                    INSERT INTO postings (entry_id, line, account_id, amount, currency)
                    SELECT \(id), 1, id, 10000, 'CNY' FROM ledger_accounts WHERE code = 'platform.cash.cny'
                    UNION ALL SELECT \(id), 2, id, -9999, 'CNY' FROM ledger_accounts WHERE code = 'platform.equity.cny'
                    """, logger: db.logger)
                try await c.query("UPDATE ledger_accounts SET balance = balance + 7 WHERE code = \(receivable.code)", logger: db.logger)
            }
            let proof = try await ReconciliationService(database: db).proveLedger()
            #expect(!proof.holds)
            #expect(proof.violations.sorted() == [
                "account \(receivable.code) cached balance 507 != postings 500",
                "entry \(id.uuidString.lowercased()) unbalanced in CNY by 1",
            ])
        }
    }

    @Test("the same idempotency reference is booked once")
    func idempotencyReference() async throws {
        try await withTestDatabase { db in
            let first = try await db.transaction { c in try await LedgerStore.post(try Self.entry(700, 700, ref: "once"), on: c, logger: db.logger) }
            let second = try await db.transaction { c in try await LedgerStore.post(try Self.entry(700, 700, ref: "once"), on: c, logger: db.logger) }
            #expect(second == .alreadyPosted(first.entryID))
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM journal_entries") == 1)
        }
    }

    @Test("a posting in another currency than its account is refused")
    func currencyOfAccount() async throws {
        try await withTestDatabase { db in
            try await db.transaction { c in try await LedgerStore.ensureAccounts([Self.cash, Self.equity], on: c, logger: db.logger) }
            await #expect(throws: PSQLError.self) {
                try await db.transaction { c in
                    let id = UUID()
                    try await c.query("INSERT INTO journal_entries (id, business_date, kind, reference_type, reference_id) VALUES (\(id), '2026-11-26', 'raw', 'raw', 'raw')", logger: db.logger)
                    try await c.query("""
                        INSERT INTO postings (entry_id, line, account_id, amount, currency)
                        SELECT \(id), 1, id, 100, 'USD' FROM ledger_accounts WHERE code = 'platform.cash.cny'
                        UNION ALL SELECT \(id), 2, id, -100, 'USD' FROM ledger_accounts WHERE code = 'platform.equity.cny'
                        """, logger: db.logger)
                }
            }
        }
    }

    @Test("the domain refuses to build an unbalanced entry")
    func domainRefusesUnbalanced() throws {
        #expect(throws: LedgerError.unbalanced(currency: "CNY", sum: 1)) { try Self.entry(101, 100) }
    }
}
