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

    /// An entry and its postings written with raw SQL, past the Swift code that would refuse them.
    @discardableResult
    static func insertRaw(_ postings: [(code: String, amount: Int64)], currency: String = "CNY",
                          on c: PostgresConnection, logger: Logger) async throws -> UUID {
        let id = UUID()
        try await c.query("INSERT INTO journal_entries (id, business_date, kind, reference_type, reference_id) VALUES (\(id), '2026-11-26', 'raw', 'raw', 'raw')", logger: logger)
        try await c.query("""
            INSERT INTO postings (entry_id, line, account_id, amount, currency)
            SELECT \(id), t.line, a.id, t.amount, \(currency)
            FROM unnest(\(postings.map(\.code))::text[], \(postings.map(\.amount))::bigint[]) WITH ORDINALITY AS t(code, amount, line)
            JOIN ledger_accounts a ON a.code = t.code
            """, logger: logger)
        return id
    }

    @Test("an unbalanced entry inserted with raw SQL cannot be committed")
    func rawUnbalancedRefused() async throws {
        try await withTestDatabase { db in
            try await db.transaction { c in try await LedgerStore.ensureAccounts([Self.cash, Self.equity], on: c, logger: db.logger) }
            let error = await #expect(throws: PSQLError.self) {
                try await db.transaction { c in
                    try await Self.insertRaw([("platform.cash.cny", 10000), ("platform.equity.cny", -9999)], on: c, logger: db.logger)
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

    /// An entry moving `amount` from the platform's equity to an owned account (negative: back).
    static func owned(_ seller: String, _ amount: Int64) throws -> JournalEntry {
        let account = InsuranceLedger.premiumReceivable(SellerRef(rawValue: seller)!, .cny)
        let money = Money(minorUnits: abs(amount), currency: .cny)
        return try JournalEntry(kind: "test", businessDate: BusinessDate("2026-11-26")!, referenceType: "test", referenceID: "t",
                                idempotencyRef: nil,
                                lines: amount >= 0 ? [.debit(account, money), .credit(equity, money)]
                                                   : [.credit(account, money), .debit(equity, money)])
    }

    static func cachedBalance(_ seller: String, _ db: Database) async throws -> Int64? {
        try await db.scalar(Int64.self, "SELECT balance FROM ledger_accounts WHERE code = \(InsuranceLedger.premiumReceivable(SellerRef(rawValue: seller)!, .cny).code)")
    }

    @Test("one statement of many entries moves each owned account's cached balance by their sum")
    func cachedBalancesPerStatement() async throws {
        try await withTestDatabase { db in
            // One INSERT of postings (CreditLedgerBatch) names seller-a three times and seller-b twice.
            let entries = try [Self.owned("seller-a", 100), Self.owned("seller-b", 250), Self.owned("seller-a", 7),
                               Self.owned("seller-a", -30), Self.owned("seller-b", 1)]
            let posted = try await db.transaction { c in try await CreditLedgerBatch.post(entries, on: c, logger: db.logger) }
            #expect(posted == 5)
            #expect(try await Self.cachedBalance("seller-a", db) == 77)
            #expect(try await Self.cachedBalance("seller-b", db) == 251)
            // The platform's equity caches nothing; its balance is summed from its postings.
            #expect(try await db.scalar(Int64.self, "SELECT balance FROM ledger_accounts WHERE code = \(Self.equity.code)") == 0)
            // A raw multi-row insert (no ORDER BY, one account twice) goes through the same trigger.
            let sellerA = InsuranceLedger.premiumReceivable(SellerRef(rawValue: "seller-a")!, .cny).code
            try await db.transaction { c in
                try await Self.insertRaw([(Self.equity.code, 40), (sellerA, -15), (sellerA, -25)], on: c, logger: db.logger)
            }
            #expect(try await Self.cachedBalance("seller-a", db) == 37)
            let violations = try await db.client.withConnection { try await LedgerStore.integrityViolations(on: $0, logger: db.logger) }
            #expect(violations.isEmpty)
        }
    }

    @Test("concurrent statements posting to the same owned accounts lose no change")
    func cachedBalancesUnderContention() async throws {
        try await withTestDatabase(maxConnections: 4) { db in
            let sellers = (0..<40).map { "seller-\($0)" }
            // Open the accounts first, so both writers only lock existing rows.
            try await db.transaction { c in try await CreditLedgerBatch.post(try sellers.map { try Self.owned($0, 1) }, on: c, logger: db.logger) }
            // Two writers, fifteen statements each, naming overlapping sets of accounts in opposite orders:
            // every change must land in the cached balances, and neither writer may fail.
            let everyOther = stride(from: 0, to: sellers.count, by: 2).map { sellers[$0] }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for order in [sellers, everyOther.reversed()] {
                    group.addTask {
                        for _ in 0..<15 {
                            let entries = try order.map { try Self.owned($0, 2) }
                            try await db.transaction { c in try await CreditLedgerBatch.post(entries, on: c, logger: db.logger) }
                        }
                    }
                }
                try await group.waitForAll()
            }
            for (index, seller) in sellers.enumerated() {
                #expect(try await Self.cachedBalance(seller, db) == 1 + 2 * 15 * (index % 2 == 0 ? 2 : 1))
            }
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
            let id = try await db.transaction { c in
                try await c.query("SET LOCAL session_replication_role = replica", logger: db.logger)
                let id = try await Self.insertRaw([("platform.cash.cny", 10000), ("platform.equity.cny", -9999)], on: c, logger: db.logger)
                try await c.query("UPDATE ledger_accounts SET balance = balance + 7 WHERE code = \(receivable.code)", logger: db.logger)
                return id
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
                    try await Self.insertRaw([("platform.cash.cny", 100), ("platform.equity.cny", -100)], currency: "USD", on: c, logger: db.logger)
                }
            }
        }
    }

    @Test("the domain refuses to build an unbalanced entry")
    func domainRefusesUnbalanced() throws {
        #expect(throws: LedgerError.unbalanced(currency: "CNY", sum: 1)) { try Self.entry(101, 100) }
    }
}
