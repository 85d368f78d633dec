import Domain
import Foundation
import Persistence
import PostgresNIO
import Testing

/// The hot-path plumbing: statements prepared once per connection, and the ledger's memory of
/// which accounts exist. Both are caches; these tests pin down that they never change an answer.
@Suite("Prepared statements and the known-accounts cache on PostgreSQL")
struct PreparedStatementTests {
    static let cash = PlatformAccounts.cash(.cny)

    static func entry(_ amount: Int64, to account: LedgerAccountSpec, ref: String? = nil) throws -> JournalEntry {
        try JournalEntry(kind: "test", businessDate: BusinessDate("2026-11-26")!, referenceType: "test", referenceID: "t",
                         idempotencyRef: ref,
                         lines: [.debit(cash, Money(minorUnits: amount, currency: .cny)),
                                 .credit(account, Money(minorUnits: amount, currency: .cny))])
    }

    @Test("a prepared statement answers for each call's own values, on the same connection, again and again")
    func repeatedCalls() async throws {
        try await withTestDatabase { db in
            let answers = try await db.transaction { c in
                var out: [String] = []
                // More than five runs, so PostgreSQL may switch to a generic plan part-way.
                for n in 0..<8 {
                    let rows = try await c.prepared("SELECT \(n)::int * 2, \("v\(n)")::text || '!'", logger: db.logger)
                    for try await (twice, text) in rows.decode((Int, String).self) { out.append("\(twice) \(text)") }
                }
                return out
            }
            #expect(answers == (0..<8).map { "\($0 * 2) v\($0)!" })
        }
    }

    @Test("an optional value travels as '' and NULLIF, so a statement first seen without a value still takes one afterwards")
    func absentThenValue() async throws {
        // PreparedSQL has no interpolation for an Optional (binding one does not compile): a NULL
        // has no type, and the first use of a prepared statement fixes its parameter types.
        try await withTestDatabase { db in
            let answers = try await db.transaction { c in
                var out: [String] = []
                for value in [nil, "2026-11-27", nil, "2026-12-31", "2027-01-01"] as [String?] {
                    let rows = try await c.prepared("SELECT COALESCE((NULLIF(\(value ?? ""), '')::date + 1)::text, 'none')",
                                                    logger: db.logger)
                    out.append(contentsOf: try await rows.all(String.self))
                }
                return out
            }
            #expect(answers == ["none", "2026-11-28", "none", "2027-01-01", "2027-01-02"])
        }
    }

    @Test("a prepared statement that fails rolls its transaction back and leaves the connection usable")
    func failureThenReuse() async throws {
        try await withTestDatabase { db in
            try await db.transaction { c in try await LedgerStore.ensureAccounts([Self.cash], on: c, logger: db.logger) }
            // Violates the code format CHECK, through the prepared path.
            await #expect(throws: PSQLError.self) {
                try await db.transaction { c in
                    try await c.prepared("""
                        INSERT INTO ledger_accounts (id, code, name, type, currency, owner_type, normal_side)
                        VALUES (\(UUID()), \("NOT A CODE"), 'x', 'asset', 'CNY', 'platform', 'debit')
                        """, logger: db.logger)
                }
            }
            // The pool's connections (one of them carries the failed statement) keep working.
            for _ in 0..<10 {
                let count = try await db.transaction { c in
                    try await c.prepared("SELECT count(*)::bigint FROM ledger_accounts WHERE code = \("platform.cash.cny")",
                                         logger: db.logger).all(Int64.self)
                }
                #expect(count == [1])
            }
        }
    }

    @Test("an account opened by a transaction that rolled back is not remembered: the next posting opens it again")
    func rolledBackAccountIsNotRemembered() async throws {
        try await withTestDatabase { db in
            let merchant = LedgerAccountSpec(code: "credit.merchant.m-cache.payable.cny", name: "Payable to merchant",
                                             type: .liability, currency: .cny, owner: .seller("m-cache"))
            struct Abandon: Error {}
            await #expect(throws: Abandon.self) {
                try await db.transaction { c in
                    try await LedgerStore.post(try Self.entry(100, to: merchant), on: c, logger: db.logger)
                    throw Abandon()
                }
            }
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM ledger_accounts WHERE code = 'credit.merchant.m-cache.payable.cny'") == 0)
            // Twice more: the first opens the account for real, the second finds it (and may skip the insert).
            for n in 1...3 {
                try await db.transaction { c in
                    try await LedgerStore.post(try Self.entry(100, to: merchant, ref: "cache-\(n)"), on: c, logger: db.logger)
                }
            }
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM postings") == 6)
            #expect(try await db.scalar(Int64.self, "SELECT balance FROM ledger_accounts WHERE code = 'credit.merchant.m-cache.payable.cny'") == -300)
            try await expectLedgerBalanced(db)
        }
    }

    @Test("every pooled session starts with JIT off, and a configuration's own value for a setting wins")
    func sessionSettings() async throws {
        try await withTestDatabase(maxConnections: 3) { db in
            // Three sessions at once, so more than one pooled connection answers.
            let seen = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<3 {
                    group.addTask { try await db.transaction { c in
                        try await c.query("SELECT pg_sleep(0.05)", logger: db.logger)
                        return try await c.query("SELECT current_setting('jit')", logger: db.logger).all(String.self).first ?? ""
                    } }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(seen == ["off", "off", "off"])
        }
        var postgres = DatabaseConfiguration.unixSocket(path: "/nowhere", username: "u", database: "d").postgres
        #expect(postgres.options.additionalStartupParameters.map { "\($0.0)=\($0.1)" } == ["jit=off"])
        postgres.options.additionalStartupParameters = [("jit", "on")]
        #expect(DatabaseConfiguration(postgres: postgres).postgres.options.additionalStartupParameters.map { "\($0.0)=\($0.1)" } == ["jit=on"])
    }

    @Test("sessions opening the same accounts at once, some existing and some new, all commit, and each account exists once")
    func concurrentOpeners() async throws {
        try await withTestDatabase(maxConnections: 8) { db in
            let spec = { @Sendable (n: Int) in
                LedgerAccountSpec(code: "credit.merchant.m-race-\(n).payable.cny", name: "Payable to merchant", type: .liability,
                                  currency: .cny, owner: .seller("m-race-\(n)"))
            }
            // Half of them exist before; the lookup skips those, ON CONFLICT settles the new ones between the sessions.
            try await db.transaction { c in try await LedgerStore.ensureAccounts((0..<20).map(spec), on: c, logger: db.logger) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for session in 0..<8 {
                    group.addTask {
                        try await db.transaction { c in
                            // Different orders per session; the store sorts by code, so no deadlock either way.
                            let specs = (0..<40).map(spec)
                            try await LedgerStore.ensureAccounts(session.isMultiple(of: 2) ? specs : specs.reversed(), on: c, logger: db.logger)
                            try await c.query("SELECT pg_sleep(0.05)", logger: db.logger)
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM ledger_accounts WHERE code LIKE 'credit.merchant.m-race-%'") == 40)
            #expect(try await db.scalar(Int64.self, """
                SELECT count(*) FROM (SELECT code FROM ledger_accounts GROUP BY code HAVING count(*) > 1) d
                """) == 0)
        }
    }
}
