import Domain
import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Persistence
import PostgresNIO
import Services
import Testing

private typealias C = CreditAPI

@Suite("Credit checkouts over HTTP on PostgreSQL")
struct CreditCheckoutTests {
    @Test("200 concurrent checkouts against one account never exceed its limit and the holds match")
    func concurrentCheckouts() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let account = try await C.openAccount(client, api, features: C.thinFeatures)
                let opened = try await client.call(.get, "/v1/credit-accounts/\(account)", key: api.platformKey)
                #expect(C.money(opened.json["limit"]) == "3000.00")
                let results = try await withThrowingTaskGroup(of: JSONResponse.self) { group in
                    for n in 0..<200 {
                        group.addTask {
                            try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                  json: C.checkoutJSON(account: account, order: "race-\(n)", amount: "70.00"))
                        }
                    }
                    var out: [JSONResponse] = []
                    for try await response in group { out.append(response) }
                    return out
                }
                #expect(results.allSatisfy { $0.status == .created })
                let authorized = results.filter { $0.json["status"] as? String == "authorized" }
                let declined = results.filter { $0.json["status"] as? String == "declined" }
                // floor(3000.00 / 70.00) = 42
                #expect(authorized.count == 42)
                #expect(declined.count == 158)
                #expect(declined.allSatisfy { (($0.json["reasons"] as? [[String: Any]])?.first?["code"] as? String) == "limit_exceeded" })
                let id = try #require(UUID(uuidString: account))
                let held = try await db.scalar(Int64.self, "SELECT held FROM credit_accounts WHERE id = \(id)")
                #expect(held == Int64(294_000))
                #expect((held ?? 0) <= 300_000)
                try await C.expectAccountConsistent(db, account)

                // Capture half of the holds: held + captured still within the limit, ledger = captured principal.
                for response in authorized.prefix(21) {
                    let checkout = try #require(response.json["id"] as? String)
                    let captured = try await client.call(.post, "/v1/checkouts/\(checkout)/capture", key: api.platformKey)
                    #expect(captured.status == .ok, "\(captured.text)")
                }
                let after = try await client.call(.get, "/v1/credit-accounts/\(account)", key: api.platformKey)
                #expect(C.money(after.json["held"]) == "1470.00")
                #expect(C.money(after.json["outstanding"]) == "1470.00")
                #expect(C.money(after.json["available"]) == "60.00")
                try await C.expectAccountConsistent(db, account)
                try await C.expectLedgerBalanced(db)
            }
        }
    }

    @Test("a partial capture releases the unused hold; a void releases the whole hold; neither can happen twice")
    func captureAndVoid() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let account = try await C.openAccount(client, api)
                let first = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                  json: C.checkoutJSON(account: account, order: "o-1", amount: "1000.00", tenor: 6))
                #expect(first.status == .created)
                #expect(C.money(first.json["available"]) == "49000.00")
                let id = try #require(first.json["id"] as? String)
                let partial = try await client.call(.post, "/v1/checkouts/\(id)/capture", key: api.platformKey,
                                                    json: #"{"amount": {"amount": "600.00", "currency": "CNY"}}"#)
                #expect(partial.status == .ok, "\(partial.text)")
                #expect(partial.json["status"] as? String == "captured")
                #expect(C.money(partial.json["captured_amount"]) == "600.00")
                #expect(C.money(partial.json["available"]) == "49400.00")
                let again = try await client.call(.post, "/v1/checkouts/\(id)/capture", key: api.platformKey)
                #expect(again.status == .conflict)

                let planID = try #require(partial.json["plan_id"] as? String)
                let plan = try await client.call(.get, "/v1/installment-plans/\(planID)", key: api.platformKey)
                let installments = try #require(plan.json["installments"] as? [[String: Any]])
                #expect(installments.count == 6)
                #expect(installments.compactMap { C.money($0["principal"]) } == ["100.00", "100.00", "100.00", "100.00", "100.00", "100.00"])
                #expect(installments.compactMap { C.money($0["fee"]) }.allSatisfy { $0 == "3.60" })

                let second = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                   json: C.checkoutJSON(account: account, order: "o-2", amount: "250.00"))
                let secondID = try #require(second.json["id"] as? String)
                let voided = try await client.call(.post, "/v1/checkouts/\(secondID)/void", key: api.platformKey)
                #expect(voided.status == .ok)
                #expect(voided.json["status"] as? String == "voided")
                #expect(C.money(voided.json["available"]) == "49400.00")
                #expect(try await client.call(.post, "/v1/checkouts/\(secondID)/void", key: api.platformKey).status == .conflict)
                #expect(try await client.call(.post, "/v1/checkouts/\(secondID)/capture", key: api.platformKey).status == .conflict)
                #expect(try await client.call(.post, "/v1/checkouts/\(UUID())/capture", key: api.platformKey).status == .notFound)
                let over = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                 json: C.checkoutJSON(account: account, order: "o-3", amount: "10.00"))
                let overID = try #require(over.json["id"] as? String)
                let tooMuch = try await client.call(.post, "/v1/checkouts/\(overID)/capture", key: api.platformKey,
                                                    json: #"{"amount": {"amount": "10.01", "currency": "CNY"}}"#)
                #expect(tooMuch.status == .unprocessableContent)
                try await C.expectAccountConsistent(db, account)
                try await C.expectLedgerBalanced(db)
                let payable = try await db.client.withConnection {
                    try await LedgerStore.balance(code: "credit.merchant.m-100.payable.cny", asOf: nil, on: $0, logger: db.logger)
                }
                #expect(payable == -60_000)
            }
        }
    }

    @Test("stale holds cannot be captured and expire in the nightly step, once")
    func expiry() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            let (account, checkout) = try await C.on("2026-03-02") {
                try await api.withClient { client in
                    let account = try await C.openAccount(client, api, features: C.thinFeatures)
                    let auth = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                     json: C.checkoutJSON(account: account, order: "stale", amount: "2000.00"))
                    return (account, try #require(auth.json["id"] as? String))
                }
            }
            // 72 hours later the hold is stale: capture is refused, but the hold still counts until it is released.
            try await C.on("2026-03-05") {
                try await api.withClient { client in
                    let capture = try await client.call(.post, "/v1/checkouts/\(checkout)/capture", key: api.platformKey)
                    #expect(capture.status == .conflict)
                    #expect(capture.json["type"] as? String == "https://qianzhuang.dev/problems/authorization_expired")
                }
            }
            let expired = try await api.deps.services.credit.expireAuthorizations(asOf: C.noon("2026-03-05"), batchSize: 1)
            #expect(expired == 1)
            #expect(try await api.deps.services.credit.expireAuthorizations(asOf: C.noon("2026-03-05")) == 0)
            try await C.on("2026-03-05") {
                try await api.withClient { client in
                    let read = try await client.call(.get, "/v1/checkouts/\(checkout)", key: api.platformKey)
                    #expect(read.json["status"] as? String == "expired")
                    let acct = try await client.call(.get, "/v1/credit-accounts/\(account)", key: api.platformKey)
                    #expect(C.money(acct.json["available"]) == "3000.00")
                }
            }
            try await C.expectAccountConsistent(db, account)
        }
    }

    @Test("the nightly expiry walks accounts in batches and releases every stale hold, not the fresh ones")
    func expiryBatches() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            let accounts = try await C.on("2026-03-02") {
                try await api.withClient { client in
                    var out: [String] = []
                    for n in 0..<3 {
                        let account = try await C.openAccount(client, api, nationalID: C.nationalIDs[n])
                        for k in 0..<2 {
                            _ = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                      json: C.checkoutJSON(account: account, order: "e-\(n)-\(k)", amount: "10.00"))
                        }
                        out.append(account)
                    }
                    return out
                }
            }
            let fresh = try await C.on("2026-03-04") {
                try await api.withClient { client in
                    let response = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                         json: C.checkoutJSON(account: accounts[0], order: "fresh", amount: "10.00"))
                    return try #require(response.json["id"] as? String)
                }
            }
            let credit = api.deps.services.credit
            #expect(try await credit.expireAuthorizations(asOf: C.noon("2026-03-05"), batchSize: 1) == 6)
            #expect(try await credit.expireAuthorizations(asOf: C.noon("2026-03-05"), batchSize: 1) == 0)
            let live = try await credit.checkout(id: try #require(UUID(uuidString: fresh)))
            #expect(live.status == .authorized)
            for account in accounts { try await C.expectAccountConsistent(db, account) }
        }
    }

    @Test("a checkout that only fits once stale holds are released sweeps them and is authorized")
    func staleHoldsSweptAtCheckout() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            let account = try await C.on("2026-03-02") {
                try await api.withClient { client in
                    let account = try await C.openAccount(client, api, features: C.thinFeatures)
                    _ = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                              json: C.checkoutJSON(account: account, order: "old", amount: "2500.00"))
                    return account
                }
            }
            try await C.on("2026-03-06") {
                try await api.withClient { client in
                    let fresh = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                      json: C.checkoutJSON(account: account, order: "new", amount: "2500.00"))
                    #expect(fresh.json["status"] as? String == "authorized", "\(fresh.text)")
                }
            }
            try await C.expectAccountConsistent(db, account)
        }
    }

    @Test("Idempotency-Key replays the same checkout, refuses another body, and the order reference is unique")
    func idempotentCheckout() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let account = try await C.openAccount(client, api)
                let other = try await C.openAccount(client, api, nationalID: C.nationalIDs[1])
                let body = C.checkoutJSON(account: account, order: "idem-1", amount: "300.00")
                let first = try await client.call(.post, "/v1/checkouts", key: api.platformKey, json: body,
                                                  headers: ["Idempotency-Key": "k1"])
                let replay = try await client.call(.post, "/v1/checkouts", key: api.platformKey, json: body,
                                                   headers: ["Idempotency-Key": "k1"])
                #expect(first.status == .created)
                #expect(replay.status == .created)
                #expect(replay.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
                #expect(replay.json["id"] as? String == first.json["id"] as? String)
                let mismatch = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                     json: C.checkoutJSON(account: account, order: "idem-1", amount: "301.00"),
                                                     headers: ["Idempotency-Key": "k1"])
                #expect(mismatch.status == .unprocessableContent)
                #expect(mismatch.problemFields == ["Idempotency-Key"])
                // Without the header the business key still stops a double hold, on any account.
                let sameOrder = try await client.call(.post, "/v1/checkouts", key: api.platformKey, json: body)
                #expect(sameOrder.status == .conflict)
                #expect(sameOrder.json["type"] as? String == "https://qianzhuang.dev/problems/duplicate_order_ref")
                let otherAccount = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                         json: C.checkoutJSON(account: other, order: "idem-1", amount: "300.00"))
                #expect(otherAccount.status == .conflict)
                let acct = try await client.call(.get, "/v1/credit-accounts/\(account)", key: api.platformKey)
                #expect(C.money(acct.json["held"]) == "300.00")

                // Capture replays too, booking once.
                let id = try #require(first.json["id"] as? String)
                let c1 = try await client.call(.post, "/v1/checkouts/\(id)/capture", key: api.platformKey, headers: ["Idempotency-Key": "cap"])
                let c2 = try await client.call(.post, "/v1/checkouts/\(id)/capture", key: api.platformKey, headers: ["Idempotency-Key": "cap"])
                #expect(c1.status == .ok)
                #expect(c2.status == .ok)
                #expect(c2.json["plan_id"] as? String == c1.json["plan_id"] as? String)
                #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM journal_entries WHERE kind = 'credit.capture'") == 1)
                try await C.expectLedgerBalanced(db)
            }
        }
    }

    @Test("declines carry machine-readable reasons: tenor not offered, limit exceeded, declined account")
    func declineReasons() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let account = try await C.openAccount(client, api, features: C.thinFeatures)
                let tenor = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                  json: C.checkoutJSON(account: account, order: "t5", amount: "5000.00", tenor: 5))
                #expect(tenor.status == .created)
                #expect(tenor.json["status"] as? String == "declined")
                let codes = (tenor.json["reasons"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
                #expect(codes == ["tenor_not_offered", "limit_exceeded"])
                // A declined attempt does not claim the order reference.
                let retry = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                  json: C.checkoutJSON(account: account, order: "t5", amount: "50.00", tenor: 6))
                #expect(retry.json["status"] as? String == "authorized")

                let poor = """
                    {"account_age_months": 1, "orders_last_year": 0, "spend_last_year": {"amount": "0.00", "currency": "CNY"},
                     "return_rate": "0.5", "distinct_delivery_addresses": 9, "on_time_repayment_ratio": "0.5", "prior_overdue_count": 4}
                    """
                let declinedAccount = try await C.openAccount(client, api, nationalID: C.nationalIDs[2], features: poor)
                let read = try await client.call(.get, "/v1/credit-accounts/\(declinedAccount)", key: api.platformKey)
                #expect(read.json["status"] as? String == "declined")
                #expect((read.json["reasons"] as? [[String: Any]])?.count == 3)
                let attempt = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                    json: C.checkoutJSON(account: declinedAccount, order: "d1", amount: "1.00"))
                #expect((attempt.json["reasons"] as? [[String: Any]])?.first?["code"] as? String == "account_declined")

                let missing = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                    json: C.checkoutJSON(account: UUID().uuidString, order: "x", amount: "1.00"))
                #expect(missing.status == .notFound)
                let badTenor = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                     json: C.checkoutJSON(account: account, order: "x", amount: "1.00", plan: "installments", tenor: nil))
                #expect(badTenor.problemFields == ["tenor"])
                let number = try await client.call(.post, "/v1/checkouts", key: api.platformKey, json: """
                    {"credit_account_id": "\(account)", "order_ref": "n", "merchant_id": "m", "amount": {"amount": 5, "currency": "CNY"},
                     "plan": "interest_free"}
                    """)
                #expect(number.problemFields == ["amount.amount"])
            }
        }
    }

    @Test("credit routes: platform key allowed, insurer key 403, no key 401")
    func roles() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let id = UUID().uuidString
                let routes: [(HTTPRequest.Method, String)] = [
                    (.post, "/v1/credit-products"), (.get, "/v1/credit-products/\(id)"), (.post, "/v1/credit-accounts"),
                    (.get, "/v1/credit-accounts/\(id)"), (.post, "/v1/checkouts"), (.get, "/v1/checkouts/\(id)"),
                    (.post, "/v1/checkouts/\(id)/capture"), (.post, "/v1/checkouts/\(id)/void"),
                    (.get, "/v1/installment-plans/\(id)"), (.get, "/v1/installment-plans/\(id)/payoff-quote"),
                    (.post, "/v1/installment-plans/\(id)/conversions"), (.post, "/v1/repayments"), (.post, "/v1/refunds"),
                ]
                for (method, path) in routes {
                    let json = method == .post ? "{}" : nil
                    #expect(try await client.call(method, path, key: nil, json: json).status == .unauthorized, "\(path)")
                    #expect(try await client.call(method, path, key: api.insurerKey, json: json).status == .forbidden, "\(path)")
                    let platform = try await client.call(method, path, key: api.platformKey, json: json).status
                    if path == "/v1/credit-products" {
                        #expect(platform == .forbidden)
                        #expect(try await client.call(method, path, key: api.operatorKey, json: json).status == .unprocessableContent)
                    } else {
                        #expect([.notFound, .unprocessableContent].contains(platform), "\(path) \(platform)")
                    }
                }
            }
        }
    }

    @Test("an operator creates a product; accounts on it get its terms; duplicate codes are refused")
    func products() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let body = """
                    {"code": "promo-12", "name": "Promotion", "tenors": [{"tenor": 12, "pricing": "declining_balance", "monthly_rate": "0.0125"}],
                     "grace_days": 5, "late_fee_cap": "0.1"}
                    """
                let created = try await client.call(.post, "/v1/credit-products", key: api.operatorKey, json: body)
                #expect(created.status == .created, "\(created.text)")
                #expect(created.json["grace_days"] as? Int == 5)
                #expect(created.json["interest_free_days"] as? Int == 30)
                let product = try #require(created.json["id"] as? String)
                #expect(try await client.call(.post, "/v1/credit-products", key: api.operatorKey, json: body).status == .conflict)
                let read = try await client.call(.get, "/v1/credit-products/\(product)", key: api.platformKey)
                #expect((read.json["tenors"] as? [[String: Any]])?.first?["monthly_rate"] as? String == "0.0125")
                let account = try await C.openAccount(client, api, productID: product)
                let three = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                  json: C.checkoutJSON(account: account, order: "p3", amount: "100.00", tenor: 3))
                #expect((three.json["reasons"] as? [[String: Any]])?.first?["code"] as? String == "tenor_not_offered")
                let defaults = try await client.call(.post, "/v1/credit-products", key: api.operatorKey, json: """
                    {"code": "defaults", "name": "Standard terms", "interest_free_days": 45}
                    """)
                #expect((defaults.json["tenors"] as? [[String: Any]])?.compactMap { $0["tenor"] as? Int } == [3, 6, 12, 24])
                #expect(defaults.json["interest_free_days"] as? Int == 45)
                let bad = try await client.call(.post, "/v1/credit-products", key: api.operatorKey, json: """
                    {"code": "Bad Code", "name": "x", "tenors": []}
                    """)
                #expect(bad.problemFields == ["code"])
            }
        }
    }

    @Test("every credit route is documented and every documented credit route is served; the document validates")
    func openAPI() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            let table = RouteTable()
            _ = buildRouter(api.deps, routeTable: table)
            let creditPrefixes = ["/v1/credit-", "/v1/checkouts", "/v1/installment-plans", "/v1/repayments", "/v1/refunds"]
            func isCredit(_ operation: String) -> Bool {
                creditPrefixes.contains { operation.split(separator: " ").last?.hasPrefix($0) == true }
            }
            let served = Set(table.routes.filter(isCredit))
            let text = try await api.withClient { client in try await client.call(.get, "/openapi.json", key: nil).text }
            let document = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            var documented = Set<String>()
            for (path, item) in document["paths"] as? [String: Any] ?? [:] {
                for method in ["get", "post", "patch", "put", "delete"] where (item as? [String: Any])?[method] != nil {
                    documented.insert("\(method.uppercased()) \(path)")
                }
            }
            #expect(served.count == 20)  // 13 + limit-changes, closure, recoveries, bills, a bill, billing days GET/PUT (issue 13)
            #expect(served == documented.filter(isCredit))

            let file = FileManager.default.temporaryDirectory.appendingPathComponent("qz-openapi-\(UUID().uuidString).json")
            try Data(text.utf8).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c",
                                 "import sys, json; from openapi_spec_validator import validate; validate(json.load(open(sys.argv[1])))",
                                 file.path]
            let err = Pipe()
            process.standardError = err
            try process.run()
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            if !stderr.contains("No module named 'openapi_spec_validator'") {
                #expect(process.terminationStatus == 0, "\(stderr)")
            }
        }
    }
}
