import Domain
import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import Persistence
import QianzhuangClient
import Testing

@Suite("API foundation: auth, problems, idempotency, observability")
struct APIFoundationTests {
    static let entry = """
        {"business_date": "2026-11-26", "reference": "fund-1", "description": "opening capital",
         "postings": [
           {"account_code": "platform.cash.cny", "side": "debit", "amount": {"amount": "1000.00", "currency": "CNY"}},
           {"account_code": "platform.equity.cny", "side": "credit", "amount": {"amount": "1000.00", "currency": "CNY"}}]}
        """

    /// Opens the two platform accounts the manual entries post to.
    static func openAccounts(_ db: Database) async throws {
        try await db.transaction { c in
            try await LedgerStore.ensureAccounts([PlatformAccounts.cash(.cny), PlatformAccounts.equity(.cny)], on: c, logger: db.logger)
        }
    }

    static func entryCount(_ db: Database) async throws -> Int64 {
        try await db.scalar(Int64.self, "SELECT count(*) FROM journal_entries") ?? -1
    }

    @Test("health, readiness and metrics answer without a key; every response carries a request id")
    func systemRoutes() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let health = try await client.call(.get, "/healthz", key: nil)
                #expect(health.status == .ok)
                #expect(health.headers[.init("X-Request-Id")!]?.isEmpty == false)
                let ready = try await client.call(.get, "/readyz", key: nil)
                #expect(ready.status == .ok)
                let echoed = try await client.call(.get, "/healthz", key: nil, headers: ["X-Request-Id": "abc-123"])
                #expect(echoed.headers[.init("X-Request-Id")!] == "abc-123")
                let metrics = try await client.call(.get, "/metrics", key: nil)
                #expect(metrics.status == .ok)
                #expect(metrics.text.contains("qianzhuang_http_requests_total"))
                #expect(metrics.text.contains("route=\"/healthz\""))
                #expect(metrics.text.contains("qianzhuang_http_request_duration_seconds_bucket"))
                #expect(metrics.text.contains("# HELP qianzhuang_http_requests_total "))
                try Self.promtoolAccepts(metrics.text)
            }
        }
    }

    @Test("/metrics counts business outcomes and reads pool, runtime and open exceptions; promtool accepts it")
    func businessMetrics() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                // An endpoint that wants authorizations, and no worker: the delivery waits.
                let hook = try await client.call(.post, "/v1/webhook-endpoints", key: api.operatorKey,
                                                 json: #"{"url": "http://127.0.0.1:9/h", "event_types": ["checkout.authorized"]}"#)
                #expect(hook.status == .created, "\(hook.text)")
                let account = try await CreditAPI.openAccount(client, api, features: CreditAPI.thinFeatures)
                let authorized = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                       json: CreditAPI.checkoutJSON(account: account, order: "m-1", amount: "70.00"))
                let id = try authorized.decode(Schemas.Checkout.self).id
                _ = try await client.call(.post, "/v1/checkouts/\(id)/capture", key: api.platformKey)
                let declined = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                     json: CreditAPI.checkoutJSON(account: account, order: "m-2", amount: "9000.00"))
                #expect(try declined.decode(Schemas.Checkout.self).status == .declined, "\(declined.text)")
                try await db.execute("""
                    INSERT INTO reconciliation_exceptions (id, business_date, kind, state, dedupe_key)
                    VALUES (gen_random_uuid(), '2026-11-20', 'missing_from_statement', 'open', 'metrics-test')
                    """)
                let text = try await client.call(.get, "/metrics", key: nil).text
                for line in [#"qianzhuang_credit_checkouts_total{outcome="authorized"} 1"#,
                             #"qianzhuang_credit_checkouts_total{outcome="captured"} 1"#,
                             #"qianzhuang_credit_checkouts_total{outcome="declined"} 1"#,
                             #"qianzhuang_reconciliation_open_exceptions{kind="missing_from_statement"} 1"#,
                             "qianzhuang_database_up 1", "# HELP qianzhuang_database_pool_connections_in_use ",
                             "qianzhuang_webhooks_pending_deliveries 1", "# HELP qianzhuang_webhooks_oldest_pending_delivery_age_seconds ",
                             #"qianzhuang_webhooks_endpoints{state="enabled"} 1"#, #"qianzhuang_webhooks_endpoints{state="disabled"} 0"#,
                             "# TYPE process_cpu_seconds_total counter", "# HELP process_resident_memory_bytes ",
                             "# HELP process_open_fds "] {
                    #expect(text.contains(line), "missing \(line) in:\n\(text)")
                }
                try Self.promtoolAccepts(text)
            }
        }
    }

    @Test("readiness is 503 when a migration is missing")
    func notReadyWhenUnmigrated() async throws {
        try await withTestDatabase(migrated: false) { db in
            let deps = APIDependencies(database: db, migrator: try repositoryMigrator(), calendar: .shanghai)
            let app = Application(router: buildRouter(deps), logger: TestCluster.logger)
            try await app.test(.router) { client in
                let ready = try await client.call(.get, "/readyz", key: nil)
                #expect(ready.status == .serviceUnavailable)
            }
        }
    }

    @Test("no key is 401, an unknown key is 401, a wrong role is 403, all as problem+json")
    func authentication() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let none = try await client.call(.get, "/v1/ledger/trial-balance", key: nil)
                #expect(none.status == .unauthorized)
                #expect(none.contentType == "application/problem+json")
                #expect(none.headers[.wwwAuthenticate] == "Bearer")
                let unknown = try await client.call(.get, "/v1/ledger/trial-balance", key: "qz_" + String(repeating: "0", count: 64))
                #expect(unknown.status == .unauthorized)
                let malformedHeader = try await client.execute(uri: "/v1/ledger/trial-balance", method: .get,
                                                               headers: [.authorization: "Basic Zm9vOmJhcg=="]) { $0.status }
                #expect(malformedHeader == .unauthorized)
                for key in [api.platformKey, api.insurerKey] {
                    let forbidden = try await client.call(.get, "/v1/ledger/trial-balance", key: key)
                    #expect(forbidden.status == .forbidden)
                    #expect(forbidden.contentType == "application/problem+json")
                }
                let ok = try await client.call(.get, "/v1/ledger/trial-balance", key: api.operatorKey)
                #expect(ok.status == .ok)
            }
        }
    }

    @Test("a revoked key is refused")
    func revokedKey() async throws {
        try await withTestDatabase { db in
            let (id, key) = try await APIKeyStore.create(role: .operator, supplierID: nil, label: "soon revoked", database: db)
            #expect(try await APIKeyStore.revoke(id: id, database: db))
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let status = try await client.call(.get, "/v1/ledger/trial-balance", key: key).status
                #expect(status == .unauthorized)
            }
        }
    }

    @Test("only a hash of each key is stored")
    func keysStoredHashed() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            let dump = try await db.scalar(String.self, "SELECT string_agg(encode(key_hash, 'hex') || key_prefix || role, ',') FROM api_keys") ?? ""
            #expect(!dump.contains(api.operatorKey))
            #expect(!dump.contains(String(api.operatorKey.dropFirst(10))))
        }
    }

    @Test("an unknown route is a problem+json 404")
    func unknownRoute() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let response = try await client.call(.get, "/v1/nothing-here", key: api.operatorKey)
                #expect(response.status == .notFound)
                #expect(response.contentType == "application/problem+json")
            }
        }
    }

    @Test("a manual entry posts once and is readable on both accounts and in the trial balance")
    func manualEntry() async throws {
        try await withTestDatabase { db in
            try await Self.openAccounts(db)
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let posted = try await client.call(.post, "/v1/ledger/journal-entries", key: api.operatorKey, json: Self.entry)
                #expect(posted.status == .created)
                let ledger = client.typed(api.operatorKey)
                let cash = try await ledger.getLedgerAccountsByCode(path: .init(code: "platform.cash.cny")).ok.body.json
                #expect(cash.balance.amount == "1000.00")
                let equity = try await ledger.getLedgerAccountsByCode(path: .init(code: "platform.equity.cny")).ok.body.json
                #expect(equity.normalBalance.amount == "1000.00")
                let trial = try await ledger.getLedgerTrialBalance(query: .init(asOf: "2026-11-26")).ok.body.json
                let totals = trial.totals
                #expect(totals.count == 1)
                #expect(totals.first?.balanced == true)
                #expect(totals.first?.debits == "1000.00")
                let before = try await ledger.getLedgerTrialBalance(query: .init(asOf: "2026-11-25")).ok.body.json
                #expect(before.totals.first?.debits == "0.00")
                // The business reference is unique too: a retry without Idempotency-Key cannot double-book.
                let again = try await client.call(.post, "/v1/ledger/journal-entries", key: api.operatorKey, json: Self.entry)
                #expect(again.status == .conflict)
            }
            #expect(try await Self.entryCount(db) == 1)
        }
    }

    /// (description, content type, body, expected status, expected field or nil)
    static let badInputs: [(String, String, String, Int, String?)] = [
        ("malformed JSON", "application/json", "{\"business_date\": ", 400, nil),
        ("not an object", "application/json", "[1, 2]", 400, nil),
        ("wrong media type", "text/plain", entry, 415, nil),
        ("unknown field", "application/json", entry.replacingOccurrences(of: "\"reference\"", with: "\"referense\": \"x\", \"reference\""), 422, "referense"),
        ("missing field", "application/json", entry.replacingOccurrences(of: "\"business_date\": \"2026-11-26\",", with: ""), 422, "business_date"),
        ("money as a JSON number", "application/json", entry.replacingOccurrences(of: "\"amount\": \"1000.00\", \"currency\": \"CNY\"}},\n", with: "\"amount\": 1000.00, \"currency\": \"CNY\"}},\n"), 422, "postings[0].amount.amount"),
        ("too many fraction digits", "application/json", entry.replacingOccurrences(of: "\"1000.00\", \"currency\": \"CNY\"}},\n", with: "\"1000.001\", \"currency\": \"CNY\"}},\n"), 422, "postings[0].amount.amount"),
        ("negative amount", "application/json", entry.replacingOccurrences(of: "\"1000.00\", \"currency\": \"CNY\"}},\n", with: "\"-1000.00\", \"currency\": \"CNY\"}},\n"), 422, "postings[0].amount.amount"),
        ("overflowing amount", "application/json", entry.replacingOccurrences(of: "\"1000.00\", \"currency\": \"CNY\"}},\n", with: "\"99999999999999999999.00\", \"currency\": \"CNY\"}},\n"), 422, "postings[0].amount.amount"),
        ("unknown currency", "application/json", entry.replacingOccurrences(of: "\"currency\": \"CNY\"}},\n", with: "\"currency\": \"XXQ\"}},\n"), 422, "postings[0].amount.currency"),
        ("bad date", "application/json", entry.replacingOccurrences(of: "2026-11-26", with: "2026-02-30"), 422, "business_date"),
        ("unbalanced", "application/json", entry.replacingOccurrences(of: "\"1000.00\", \"currency\": \"CNY\"}}]}", with: "\"999.99\", \"currency\": \"CNY\"}}]}"), 422, "postings"),
        ("unknown account", "application/json", entry.replacingOccurrences(of: "platform.equity.cny", with: "platform.nothing.cny"), 422, "postings[1].account_code"),
        ("bad side", "application/json", entry.replacingOccurrences(of: "\"side\": \"credit\"", with: "\"side\": \"left\""), 422, "postings[1].side"),
    ]

    @Test("each class of bad input is a problem+json naming the field, and writes nothing", arguments: badInputs.indices)
    func badInput(_ index: Int) async throws {
        let (name, contentType, body, status, field) = Self.badInputs[index]
        try await withTestDatabase { db in
            try await Self.openAccounts(db)
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let response = try await client.call(.post, "/v1/ledger/journal-entries", key: api.operatorKey, json: body,
                                                     contentType: contentType)
                #expect(Int(response.status.code) == status, "\(name): \(response.text)")
                #expect(response.contentType == "application/problem+json", "\(name)")
                let problem = try response.decode(Schemas.Problem.self)
                #expect(problem.status == status)
                #expect(problem.instance == "/v1/ledger/journal-entries")
                if let field { #expect(response.problemFields.contains(field), "\(name): \(response.text)") }
            }
            #expect(try await Self.entryCount(db) == 0, "\(name)")
        }
    }

    @Test("an oversize body is 413 and writes nothing")
    func oversize() async throws {
        try await withTestDatabase { db in
            try await Self.openAccounts(db)
            let api = try await TestAPI.make(db)
            let huge = "{\"description\": \"" + String(repeating: "x", count: 1 << 21) + "\"}"
            try await api.withClient { client in
                let response = try await client.call(.post, "/v1/ledger/journal-entries", key: api.operatorKey, json: huge)
                #expect(response.status == .contentTooLarge)
                #expect(response.contentType == "application/problem+json")
            }
            #expect(try await Self.entryCount(db) == 0)
        }
    }

    @Test("a replay with the same Idempotency-Key and body returns the first answer and books nothing more")
    func idempotentReplay() async throws {
        try await withTestDatabase { db in
            try await Self.openAccounts(db)
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let first = try await client.call(.post, "/v1/ledger/journal-entries", key: api.operatorKey, json: Self.entry,
                                                  headers: ["Idempotency-Key": "fund-1-key"])
                #expect(first.status == .created)
                let replay = try await client.call(.post, "/v1/ledger/journal-entries", key: api.operatorKey, json: Self.entry,
                                                   headers: ["Idempotency-Key": "fund-1-key"])
                #expect(replay.status == .created)
                #expect(replay.text == first.text)
                #expect(replay.headers[.init("Idempotent-Replayed")!] == "true")
                #expect(first.headers[.init("Idempotent-Replayed")!] == nil)
            }
            #expect(try await Self.entryCount(db) == 1)
        }
    }

    @Test("the same Idempotency-Key with a different body is 422 and books nothing")
    func idempotencyMismatch() async throws {
        try await withTestDatabase { db in
            try await Self.openAccounts(db)
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                _ = try await client.call(.post, "/v1/ledger/journal-entries", key: api.operatorKey, json: Self.entry,
                                          headers: ["Idempotency-Key": "k"])
                let other = Self.entry.replacingOccurrences(of: "fund-1", with: "fund-2")
                let mismatch = try await client.call(.post, "/v1/ledger/journal-entries", key: api.operatorKey, json: other,
                                                     headers: ["Idempotency-Key": "k"])
                #expect(mismatch.status == .unprocessableContent)
                #expect(mismatch.problemFields == ["Idempotency-Key"])
            }
            #expect(try await Self.entryCount(db) == 1)
        }
    }

    @Test("two identical requests racing with one Idempotency-Key book once; the loser is replayed or told 409")
    func idempotencyRace() async throws {
        try await withTestDatabase { db in
            try await Self.openAccounts(db)
            let api = try await TestAPI.make(db)
            for round in 0..<5 {
                let body = Self.entry.replacingOccurrences(of: "fund-1", with: "race-\(round)")
                let statuses = try await api.withClient { client in
                    try await withThrowingTaskGroup(of: Int.self) { group in
                        for _ in 0..<2 {
                            group.addTask {
                                Int(try await client.call(.post, "/v1/ledger/journal-entries", key: api.operatorKey, json: body,
                                                          headers: ["Idempotency-Key": "race-\(round)"]).status.code)
                            }
                        }
                        var out: [Int] = []
                        for try await s in group { out.append(s) }
                        return out.sorted()
                    }
                }
                // The loser waits on the key for the winner's commit and replays its answer; only when the
                // winner holds the key longer than the claim wait (a loaded machine) is it told 409.
                #expect(statuses == [201, 201] || statuses == [201, 409], "round \(round): \(statuses)")
            }
            #expect(try await Self.entryCount(db) == 5)
        }
    }

    @Test("an Idempotency-Key that is too long or not visible ASCII is a 422")
    func idempotencyKeyFormat() async throws {
        try await withTestDatabase { db in
            try await Self.openAccounts(db)
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let long = try await client.call(.post, "/v1/ledger/journal-entries", key: api.operatorKey, json: Self.entry,
                                                 headers: ["Idempotency-Key": String(repeating: "k", count: 256)])
                #expect(long.status == .unprocessableContent)
                #expect(long.problemFields == ["Idempotency-Key"])
            }
            #expect(try await Self.entryCount(db) == 0)
        }
    }

    /// `promtool check metrics` (Prometheus' own linter: HELP text, names, units) on an exposition;
    /// skipped where promtool is not installed (`.ci/run` installs it).
    static func promtoolAccepts(_ exposition: String) throws {
        let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let promtool else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: promtool)
        process.arguments = ["check", "metrics"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(exposition.utf8))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "promtool check metrics: \(text)")
    }
}

import Crypto

func Crypto_SHA256(_ text: String) -> [UInt8] { Array(SHA256.hash(data: Data(text.utf8))) }
