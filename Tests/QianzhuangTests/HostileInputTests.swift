import Domain
import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Jobs
import Persistence
import QianzhuangClient
import Services
import Testing

/// Issue 12: huge amounts, text that looks like JSON, NUL, out-of-range integers, long strings,
/// duplicate keys, impossible timestamps and percent-encoded paths each get a 4xx naming the
/// field (or work), never a 500, a forged audit line or a broken night.
@Suite("Hostile and unlucky input")
struct HostileInputTests {
    /// 10^15 minor units in CNY: the documented per-amount maximum.
    static let maxCNY = "10000000000000.00"
    static let overMaxCNY = "10000000000000.01"
    static let yesterday = FinancingWorld.today.adding(days: -1)

    static func world<T: Sendable>(_ body: @Sendable (FinancingWorld, Database) async throws -> T) async throws -> T {
        try await withTestDatabase(maxConnections: 8) { db in
            let api = try await TestAPI.make(db)
            return try await api.withClient { client in try await body(FinancingWorld(api: api, client: client), db) }
        }
    }

    static func expectNo5xx(_ response: JSONResponse, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status.code < 500, "\(what): \(response.status) \(response.text)", sourceLocation: sourceLocation)
    }

    // MARK: 1. Huge amounts

    @Test("the maximum amount goes in everywhere a number goes in; the trial balance and the nightly run still work")
    func maximumEverywhere() async throws {
        try await Self.world { w, db in
            let api = w.api, c = w.client, max = Self.maxCNY
            let supplier = try await w.createSupplier(limit: max, ceiling: max, minDays: 1, maxDays: 365)
            let receivable = try await w.createReceivable(supplier: supplier, face: max, dueInDays: 30)
            // A second maximal receivable: the payable account now holds 2 × 10^15.
            let second = try await w.createReceivable(supplier: supplier, face: max, dueInDays: 30)
            let key = try await api.supplierKey(UUID(uuidString: supplier)!)
            Self.expectNo5xx(try await w.finance([second], key: key), "financing")
            Self.expectNo5xx(try await c.call(.post, "/v1/receivables/\(receivable)/adjustments", key: api.platformKey, json: """
                {"kind": "credit_note", "amount": {"amount": "\(max)", "currency": "CNY"}, "reference": "cn-max"}
                """), "adjustment")
            Self.expectNo5xx(try await c.call(.post, "/v1/receivables/\(second)/payments", key: api.platformKey, json: """
                {"amount": {"amount": "\(max)", "currency": "CNY"}}
                """), "payment")
            try await APIFoundationTests.openAccounts(db)
            let entry = APIFoundationTests.entry.replacingOccurrences(of: "1000.00", with: max)
                .replacingOccurrences(of: "2026-11-26", with: Self.yesterday.description)
            #expect(try await c.call(.post, "/v1/ledger/journal-entries", key: api.operatorKey, json: entry).status == .created)
            let features = CreditAPI.goodFeatures.replacingOccurrences(of: "25000.00", with: max)
                .replacingOccurrences(of: "\"account_age_months\": 60", with: "\"account_age_months\": 2147483647")
            let opened = try await c.call(.post, "/v1/credit-accounts", key: api.platformKey, json: """
                {"national_id": "\(CreditAPI.nationalIDs[1])", "phone": "\(CreditAPI.phone)", "features": \(features)}
                """)
            Self.expectNo5xx(opened, "credit account")
            let account = try await CreditAPI.openAccount(c, api)
            Self.expectNo5xx(try await c.call(.post, "/v1/checkouts", key: api.platformKey,
                                              json: CreditAPI.checkoutJSON(account: account, order: "ORD-MAX", amount: max)), "checkout")
            Self.expectNo5xx(try await c.call(.post, "/v1/shipping-policies", key: api.platformKey, json: """
                {"order_ref": "ORD-MAX", "seller_ref": "shop-1", "category": "apparel", "ship_from_region": "CN-33", "ship_to_region": "CN-31",
                 "coverage_cap": {"amount": "\(max)", "currency": "CNY"}, "coverage_start": "\(Self.yesterday)",
                 "coverage_end": "\(FinancingWorld.today.adding(days: 14))"}
                """), "policy")
            Self.expectNo5xx(try await c.call(.post, "/v1/orders/ORD-MAX/returns", key: api.platformKey,
                                              json: OrderTests.returnJSON("RET-MAX", amount: max, tracking: "SF-MAX")
                                                .replacingOccurrences(of: "\"10.00\"", with: "\"\(max)\"")), "order return")
            Self.expectNo5xx(try await c.call(.post, "/v1/repayments", key: api.platformKey, json: """
                {"plan_id": "\(UUID().uuidString.lowercased())", "external_ref": "rp-max", "amount": {"amount": "\(max)", "currency": "CNY"}}
                """), "repayment")
            Self.expectNo5xx(try await c.call(.post, "/v1/refunds", key: api.platformKey, json: """
                {"order_ref": "ORD-MAX", "external_ref": "rf-max", "amount": {"amount": "\(max)", "currency": "CNY"}}
                """), "refund")

            let trial = try await c.call(.get, "/v1/ledger/trial-balance", key: api.operatorKey)
            #expect(trial.status == .ok, "\(trial.text)")
            let totals = try trial.decode(Schemas.TrialBalance.self).totals
            #expect(totals.allSatisfy { $0.balanced }, "\(trial.text)")
            // The whole close of business, every step (prove_ledger and write_report among them), twice.
            for date in [Self.yesterday, FinancingWorld.today.adding(days: 40)] {
                // Only ended business dates can be closed: the runner's clock stands at noon the day after.
                let after = Date(timeIntervalSince1970: TimeInterval((date.daysSinceEpoch + 1) * 86_400 + 4 * 3_600))
                let deps = APIDependencies(database: db, migrator: try repositoryMigrator(), calendar: .shanghai,
                                           reportDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("qz-test-reports"),
                                           now: { after })
                let outcome = try await deps.nightly.run(date: date, triggeredBy: "test")
                guard case .completed(let run) = outcome else { throw TestFailure("nightly run for \(date): \(outcome)") }
                let steps = try await deps.nightly.steps(of: run.id)
                #expect(!steps.isEmpty && steps.allSatisfy { $0.status == "completed" }, "\(steps)")
            }
            let proof = try await ReconciliationService(database: db).proveLedger()
            #expect(proof.holds, "\(proof.violations) \(proof.controls)")
        }
    }

    @Test("an amount above the maximum is a 422 naming the field, also at Int64.max, and writes nothing")
    func aboveMaximum() async throws {
        try await Self.world { w, db in
            let supplier = try await w.createSupplier()
            for face in [Self.overMaxCNY, "92233720368547758.07"] {
                let response = try await w.client.call(.post, "/v1/receivables", key: w.api.platformKey, json: """
                    {"supplier_id": "\(supplier)", "external_reference": "big-\(face)", "face_amount": {"amount": "\(face)", "currency": "CNY"},
                     "issue_date": "\(FinancingWorld.today)", "due_date": "\(FinancingWorld.today.adding(days: 30))"}
                    """)
                #expect(response.status == .unprocessableContent, "\(response.text)")
                #expect(response.problemFields == ["face_amount.amount"], "\(response.text)")
            }
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM receivables") == 0)
            // The database refuses it too, whatever path a value takes.
            await #expect(throws: (any Error).self) {
                try await db.client.query("UPDATE suppliers SET line_limit = 1000000000000001", logger: db.logger)
            }
        }
    }

    @Test("account sums beyond Int64 (written around the API) do not break the trial balance, an account's balance or the ledger proof")
    func sumsBeyondInt64() async throws {
        try await Self.world { w, db in
            try await APIFoundationTests.openAccounts(db)
            try await db.transaction { c in
                for i in 1...2 {
                    let entry = UUID()
                    try await c.query("""
                        INSERT INTO journal_entries (id, business_date, kind, reference_type, reference_id)
                        VALUES (\(entry), '2026-11-20', 'manual', 'test', \("huge-\(i)"))
                        """, logger: db.logger)
                    try await c.query("""
                        INSERT INTO postings (entry_id, line, account_id, amount, currency)
                        SELECT \(entry), 1, id, 5000000000000000000, 'CNY' FROM ledger_accounts WHERE code = 'platform.cash.cny'
                        UNION ALL
                        SELECT \(entry), 2, id, -5000000000000000000, 'CNY' FROM ledger_accounts WHERE code = 'platform.equity.cny'
                        """, logger: db.logger)
                }
            }
            let trial = try await w.client.call(.get, "/v1/ledger/trial-balance", key: w.api.operatorKey)
            #expect(trial.status == .ok, "\(trial.text)")
            let totals = try trial.decode(Schemas.TrialBalance.self).totals
            #expect(totals.first?.debits == "100000000000000000.00", "\(trial.text)")
            #expect(totals.first?.balanced == true)
            let proof = try await ReconciliationService(database: db).proveLedger()
            #expect(proof.holds, "\(proof.violations)")
            // A platform account does not cache its balance; summed as numeric, it reads back exactly.
            let cash = try await w.client.call(.get, "/v1/ledger/accounts/platform.cash.cny", key: w.api.operatorKey)
            #expect(cash.status == .ok, "\(cash.text)")
            #expect(try cash.decode(Schemas.LedgerAccount.self).balance.amount == "100000000000000000.00", "\(cash.text)")
            let equity = try await w.client.call(.get, "/v1/ledger/accounts/platform.equity.cny", key: w.api.operatorKey)
            #expect(try equity.decode(Schemas.LedgerAccount.self).normalBalance.amount == "100000000000000000.00", "\(equity.text)")
        }
    }

    // MARK: 2. No JSON from text

    @Test("quotes, backslashes and CJK in a return reference are stored verbatim in the audit trail; nothing is forged")
    func auditNotForged() async throws {
        try await Self.world { w, db in
            let supplier = try await w.createSupplier(minDays: 1)
            let key = try await w.api.supplierKey(UUID(uuidString: supplier)!)
            _ = try await OrderTests.sell(w, supplier: supplier, supplierKey: key, account: nil, order: "ORD-A", amount: "100.00",
                                          finance: false, insure: false)
            let forged = #"R1", "actor": "someone-else", "x": ""#
            let tricky = #"退貨 \ "q" \u0041"#
            for ref in [forged, tricky] {
                let body: [String: Any] = ["return_ref": ref, "amount": ["amount": "10.00", "currency": "CNY"],
                                           "delivered_at": Date().formatted(.iso8601)]
                let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
                let response = try await w.client.call(.post, "/v1/orders/ORD-A/returns", key: w.api.platformKey, json: json)
                #expect(response.status == .created, "\(response.text)")
                #expect(try response.decode(Schemas.OrderReturn.self).returnRef == ref)
                let stored = try await db.scalar(String.self, """
                    SELECT detail->>'return_ref' FROM audit_events WHERE action = 'order.return_completed' AND detail->>'return_ref' = \(ref)
                    """)
                #expect(stored == ref)
            }
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM audit_events WHERE detail ? 'x' OR actor = 'someone-else'") == 0)
        }
    }

    @Test("quotes, backslashes and CJK round-trip through names and references")
    func textRoundTrips() async throws {
        try await Self.world { w, _ in
            let name = #"錢莊 "Fujian" \ 紡織 😀"#
            let body: [String: Any] = [
                "name": name, "unified_social_credit_code": FinancingWorld.codes[1],
                "financing_line": ["limit": ["amount": "1000.00", "currency": "CNY"], "advance_rate": "0.80", "annual_discount_rate": "0.0730",
                                   "min_days_to_maturity": 7, "max_days_to_maturity": 180,
                                   "auto_approval_ceiling": ["amount": "100.00", "currency": "CNY"]]]
            let created = try await w.client.call(.post, "/v1/suppliers", key: w.api.operatorKey,
                                                  json: String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self))
            #expect(created.status == .created, "\(created.text)")
            #expect(try created.decode(Schemas.Supplier.self).name == name)
            let id = try created.decode(Schemas.Supplier.self).id
            let reference = #"PO "1" \ 訂單"#
            let rcv = try await w.createReceivable(supplier: id, face: "10.00", dueInDays: 30,
                                                   reference: reference.replacingOccurrences(of: "\\", with: "\\\\")
                                                    .replacingOccurrences(of: "\"", with: "\\\""))
            #expect(try await w.receivable(rcv).externalReference == reference)
        }
    }

    @Test("NUL in a string is a 422 naming the field", arguments: [
        ("/v1/suppliers", "name"), ("/v1/receivables", "external_reference"), ("/v1/checkouts", "order_ref"),
    ])
    func nulRefused(_ path: String, _ field: String) async throws {
        try await Self.world { w, _ in
            let supplier = try await w.createSupplier()
            let account = try await CreditAPI.openAccount(w.client, w.api)
            let json: String
            switch path {
            case "/v1/suppliers":
                json = #"{"name": "A\u0000B", "unified_social_credit_code": "\#(FinancingWorld.codes[1])", "financing_line": {"limit": {"amount": "1.00", "currency": "CNY"}, "advance_rate": "0.8", "annual_discount_rate": "0.07", "min_days_to_maturity": 1, "max_days_to_maturity": 2, "auto_approval_ceiling": {"amount": "1.00", "currency": "CNY"}}}"#
            case "/v1/receivables":
                json = #"{"supplier_id": "\#(supplier)", "external_reference": "PO\u00001", "face_amount": {"amount": "1.00", "currency": "CNY"}, "issue_date": "\#(FinancingWorld.today)", "due_date": "\#(FinancingWorld.today.adding(days: 9))"}"#
            default:
                json = CreditAPI.checkoutJSON(account: account, order: #"ORD\u0000X"#, amount: "10.00")
            }
            let key = path == "/v1/suppliers" ? w.api.operatorKey : w.api.platformKey
            let response = try await w.client.call(.post, path, key: key, json: json)
            #expect(response.status == .unprocessableContent, "\(response.text)")
            #expect(response.problemFields == [field], "\(response.text)")
        }
    }

    // MARK: 3. Ranges and lengths

    @Test("out-of-range integers and over-long strings are 422s naming the field, not 500 or 409")
    func rangesAndLengths() async throws {
        try await Self.world { w, db in
            let supplier = try await w.createSupplier(minDays: 1)
            let key = try await w.api.supplierKey(UUID(uuidString: supplier)!)
            _ = try await OrderTests.sell(w, supplier: supplier, supplierKey: key, account: nil, order: "ORD-L", amount: "100.00",
                                          finance: false, insure: false)
            let patch = try await w.client.call(.patch, "/v1/suppliers/\(supplier)", key: w.api.operatorKey,
                                                json: #"{"financing_line": {"max_days_to_maturity": 3000000000}}"#)
            #expect(patch.status == .unprocessableContent, "\(patch.text)")
            #expect(patch.problemFields == ["financing_line.max_days_to_maturity"], "\(patch.text)")

            let account = try await CreditAPI.openAccount(w.client, w.api)
            let tenor = try await w.client.call(.post, "/v1/checkouts", key: w.api.platformKey,
                                                json: CreditAPI.checkoutJSON(account: account, order: "ORD-T", amount: "10.00")
                                                    .replacingOccurrences(of: "\"tenor\": 3", with: "\"tenor\": 9223372036854775808"))
            #expect(tenor.status == .unprocessableContent, "\(tenor.text)")
            #expect(tenor.problemFields == ["tenor"], "\(tenor.text)")

            for length in [194, 200] {
                let ref = String(repeating: "r", count: length)
                let response = try await w.client.call(.post, "/v1/orders/ORD-L/returns", key: w.api.platformKey,
                                                       json: OrderTests.returnJSON(ref, amount: "1.00", tracking: "SF1"))
                #expect(response.status == .unprocessableContent, "\(length): \(response.text)")
                #expect(response.problemFields == ["return_ref"], "\(response.text)")
            }
            // 200 characters but 400 code points (e + combining acute): PostgreSQL counts code points.
            let combining = String(repeating: "e\u{301}", count: 200)
            let body: [String: Any] = ["supplier_id": supplier, "external_reference": combining,
                                       "face_amount": ["amount": "1.00", "currency": "CNY"],
                                       "issue_date": FinancingWorld.today.description, "due_date": FinancingWorld.today.adding(days: 9).description]
            let long = try await w.client.call(.post, "/v1/receivables", key: w.api.platformKey,
                                               json: String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self))
            #expect(long.status == .unprocessableContent, "\(long.text)")
            #expect(long.problemFields == ["external_reference"], "\(long.text)")

            try await APIFoundationTests.openAccounts(db)
            let huge = APIFoundationTests.entry.replacingOccurrences(of: "opening capital", with: String(repeating: "x", count: 500_000))
            let described = try await w.client.call(.post, "/v1/ledger/journal-entries", key: w.api.operatorKey, json: huge)
            #expect(described.status == .unprocessableContent, "\(described.text)")
            #expect(described.problemFields == ["description"], "\(described.text)")
        }
    }

    // MARK: 4. Strict JSON

    @Test("a PATCH member sent as null is a 422 naming it, and changes nothing (the contract has no nullable member there)")
    func patchRefusesNull() async throws {
        try await Self.world { w, _ in
            let supplier = try await w.createSupplier()
            for (json, field) in [(#"{"financing_line": null}"#, "financing_line"), (#"{"name": null}"#, "name"),
                                  (#"{"financing_line": {"limit": null}}"#, "financing_line.limit")] {
                let response = try await w.client.call(.patch, "/v1/suppliers/\(supplier)", key: w.api.operatorKey, json: json)
                #expect(response.status == .unprocessableContent, "\(json): \(response.text)")
                #expect(response.problemFields == [field], "\(response.text)")
            }
            let rule = try await w.client.call(.patch, "/v1/matching-rules/*", key: w.api.operatorKey, json: #"{"date_window_days": null}"#)
            #expect(rule.status == .unprocessableContent, "\(rule.text)")
            let unchanged = try await w.client.call(.get, "/v1/suppliers/\(supplier)", key: w.api.operatorKey)
            #expect(try unchanged.decode(Schemas.Supplier.self).name == "Supplier 0Y43", "\(unchanged.text)")
            let named = try await w.client.call(.patch, "/v1/suppliers/\(supplier)", key: w.api.operatorKey, json: #"{"name": "Renamed"}"#)
            #expect(try named.status == .ok && named.decode(Schemas.Supplier.self).name == "Renamed", "\(named.text)")
        }
    }

    @Test("duplicate keys are 400; unknown and missing fields are reported together; impossible timestamps are 422")
    func strictJSON() async throws {
        try await Self.world { w, db in
            try await APIFoundationTests.openAccounts(db)
            let duplicated = APIFoundationTests.entry.replacingOccurrences(of: #""reference": "fund-1""#,
                                                                           with: #""reference": "fund-1", "reference": "fund-2""#)
            let dup = try await w.client.call(.post, "/v1/ledger/journal-entries", key: w.api.operatorKey, json: duplicated)
            #expect(dup.status == .badRequest, "\(dup.text)")
            let nested = APIFoundationTests.entry.replacingOccurrences(of: #"{"amount": "1000.00", "currency": "CNY"}}]}"#,
                                                                       with: #"{"amount": "1.00", "amount": "1000.00", "currency": "CNY"}}]}"#)
            #expect(try await w.client.call(.post, "/v1/ledger/journal-entries", key: w.api.operatorKey, json: nested).status == .badRequest)

            let mixed = APIFoundationTests.entry.replacingOccurrences(of: #""business_date": "2026-11-26","#, with: #""bussiness_date": "2026-11-26","#)
            let both = try await w.client.call(.post, "/v1/ledger/journal-entries", key: w.api.operatorKey, json: mixed)
            #expect(both.status == .unprocessableContent, "\(both.text)")
            #expect(Set(both.problemFields) == ["business_date", "bussiness_date"], "\(both.text)")

            let supplier = try await w.createSupplier(minDays: 1)
            let key = try await w.api.supplierKey(UUID(uuidString: supplier)!)
            _ = try await OrderTests.sell(w, supplier: supplier, supplierKey: key, account: nil, order: "ORD-D", amount: "100.00",
                                          finance: false, insure: false)
            for stamp in ["2026-02-30T10:00:00Z", "2026-11-26T24:00:00Z", "2026-11-26T10:61:00+08:00"] {
                let json = #"{"return_ref": "R-D", "amount": {"amount": "1.00", "currency": "CNY"}, "delivered_at": "\#(stamp)"}"#
                let response = try await w.client.call(.post, "/v1/orders/ORD-D/returns", key: w.api.platformKey, json: json)
                #expect(response.status == .unprocessableContent, "\(stamp): \(response.text)")
                #expect(response.problemFields == ["delivered_at"], "\(response.text)")
            }
        }
    }

    // MARK: 5. Path parameters

    @Test("path parameters are percent-decoded once: spaces, CJK and a slash reach their order")
    func percentDecodedPaths() async throws {
        try await Self.world { w, _ in
            let supplier = try await w.createSupplier(minDays: 1)
            let key = try await w.api.supplierKey(UUID(uuidString: supplier)!)
            for (order, path) in [("ORD X", "ORD%20X"), ("訂單/1", "%E8%A8%82%E5%96%AE%2F1"), ("100%", "100%25")] {
                _ = try await OrderTests.sell(w, supplier: supplier, supplierKey: key, account: nil, order: order, amount: "10.00",
                                              finance: false, insure: false)
                let response = try await w.client.call(.get, "/v1/orders/\(path)", key: w.api.operatorKey)
                #expect(response.status == .ok, "\(path): \(response.text)")
                #expect(try response.decode(Schemas.OrderStory.self).orderRef == order)
            }
            let bad = try await w.client.call(.get, "/v1/orders/%E8%A8", key: w.api.operatorKey)
            #expect(bad.status == .unprocessableContent || bad.status == .notFound, "\(bad.text)")
            #expect(bad.status.code < 500)
        }
    }
    // MARK: 7. Fail fast while the database is unreachable

    @Test("while PostgreSQL is unreachable, /readyz and /v1 requests answer 503 with Retry-After, never 500")
    func unreachableDatabase() async throws {
        let config = DatabaseConfiguration.unixSocket(path: "/tmp/qz-nowhere-\(UUID().uuidString.prefix(8))/.s.PGSQL.5432",
                                                      username: "postgres", database: "none", maxConnections: 2)
        try await Database.withDatabase(config, logger: TestCluster.logger) { db in
            let deps = APIDependencies(database: db, migrator: try repositoryMigrator(), calendar: .shanghai,
                                       reachability: DatabaseReachability(config))
            let app = Application(router: buildRouter(deps), logger: TestCluster.logger)
            try await app.test(.router) { client in
                let ready = try await client.call(.get, "/readyz", key: nil)
                #expect(ready.status == .serviceUnavailable, "\(ready.text)")
                for (method, path, json) in [(HTTPRequest.Method.get, "/v1/ledger/trial-balance", nil as String?),
                                             (.post, "/v1/receivables", #"{"supplier_id": "x"}"#)] {
                    let response = try await client.call(method, path, key: "qz_whatever", json: json)
                    #expect(response.status == .serviceUnavailable, "\(path): \(response.text)")
                    #expect(response.headers[.retryAfter] == "1")
                    #expect(response.contentType == "application/problem+json")
                    #expect(response.problemType == "https://qianzhuang.dev/problems/database-unavailable")
                }
            }
        }
    }
    // MARK: 6. Personal-data keys

    @Test("production needs a secret QZ_PII_KEY; the embedded default keeps a random key in its data directory, mode 0600")
    func personalDataKeys() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qz-pii-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: CreditPersonalData.KeyError.missingInProduction) {
            try CreditPersonalData.resolve(environment: [:], production: true, dataDirectory: dir)
        }
        #expect(throws: CreditPersonalData.KeyError.developmentKeyInProduction) {
            try CreditPersonalData.resolve(environment: ["QZ_PII_KEY": CreditPersonalData.developmentKey], production: true, dataDirectory: nil)
        }
        #expect(throws: CreditPersonalData.KeyError.tooShort) {
            try CreditPersonalData.resolve(environment: ["QZ_PII_KEY": "short"], production: true, dataDirectory: nil)
        }
        let first = try CreditPersonalData.resolve(environment: [:], production: false, dataDirectory: dir)
        #expect(!first.usesDevelopmentKey && first.keyID != CreditPersonalData.developmentKeyID)
        let file = dir.appendingPathComponent("pii.key").path
        let permissions = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? NSNumber
        #expect(permissions?.intValue == 0o600)
        let again = try CreditPersonalData.resolve(environment: [:], production: false, dataDirectory: dir)
        #expect(again.keyID == first.keyID)
        let other = try CreditPersonalData.resolve(environment: [:], production: false, dataDirectory: dir.appendingPathComponent("other"))
        #expect(other.keyID != first.keyID)
    }

    @Test("digests made under the published development key are refused in production mode")
    func developmentDigestsRefused() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)   // the development key, as tests and the old default used
            try await api.withClient { client in _ = try await CreditAPI.openAccount(client, api) }
            let production = CreditPersonalData(key: String(repeating: "s", count: 40))
            let service = CreditService(database: db, clock: .live(.shanghai), personalData: production)
            await #expect(throws: PersonalDataKeyMismatch.self) { try await service.checkPersonalDataKey(production: true) }
            try await service.checkPersonalDataKey(production: false)   // the embedded default only warns
            #expect(try await db.scalar(String.self, "SELECT pii_key_id FROM credit_accounts") == CreditPersonalData.developmentKeyID)
        }
        try await withTestDatabase { db in
            let production = CreditPersonalData(key: String(repeating: "s", count: 40))
            let deps = APIDependencies(database: db, migrator: try repositoryMigrator(), calendar: .shanghai, personalData: production)
            let key = try await deps.services.access.createKey(role: .platform, supplierID: nil, label: "pii")
            try await Application(router: buildRouter(deps), logger: TestCluster.logger).test(.router) { client in
                let opened = try await client.call(.post, "/v1/credit-accounts", key: key, json: """
                    {"national_id": "\(CreditAPI.nationalIDs[0])", "phone": "\(CreditAPI.phone)", "features": \(CreditAPI.goodFeatures)}
                    """)
                #expect(opened.status == .created, "\(opened.text)")
            }
            try await deps.services.credit.checkPersonalDataKey(production: true)
        }
    }
}
