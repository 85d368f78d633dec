import Domain
import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Persistence
import QianzhuangClient
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
                let platform = client.typed(api.platformKey)
                let opened = try await platform.getCreditAccountsById(path: .init(id: account)).ok.body.json
                #expect(opened.limit.amount == "3000.00")
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
                let checkouts = try results.map { try $0.decode(Schemas.Checkout.self) }
                let authorized = checkouts.filter { $0.status == .authorized }
                let declined = checkouts.filter { $0.status == .declined }
                // floor(3000.00 / 70.00) = 42
                #expect(authorized.count == 42)
                #expect(declined.count == 158)
                #expect(declined.allSatisfy { $0.reasons.first?.code == "limit_exceeded" })
                let id = try #require(UUID(uuidString: account))
                let held = try await db.scalar(Int64.self, "SELECT held FROM credit_accounts WHERE id = \(id)")
                #expect(held == Int64(294_000))
                #expect((held ?? 0) <= 300_000)
                try await C.expectAccountConsistent(db, account)

                // Capture half of the holds: held + captured still within the limit, ledger = captured principal.
                for checkout in authorized.prefix(21) {
                    let captured = try await client.call(.post, "/v1/checkouts/\(checkout.id)/capture", key: api.platformKey)
                    #expect(captured.status == .ok, "\(captured.text)")
                }
                let after = try await platform.getCreditAccountsById(path: .init(id: account)).ok.body.json
                #expect(after.held.amount == "1470.00")
                #expect(after.outstanding.amount == "1470.00")
                #expect(after.available.amount == "60.00")
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
                #expect(try first.decode(Schemas.Checkout.self).available?.amount == "49000.00")
                let id = try first.decode(Schemas.Checkout.self).id
                let partial = try await client.call(.post, "/v1/checkouts/\(id)/capture", key: api.platformKey,
                                                    json: #"{"amount": {"amount": "600.00", "currency": "CNY"}}"#)
                #expect(partial.status == .ok, "\(partial.text)")
                let captured = try partial.decode(Schemas.Checkout.self)
                #expect(captured.status == .captured)
                #expect(captured.capturedAmount?.amount == "600.00")
                #expect(captured.available?.amount == "49400.00")
                let again = try await client.call(.post, "/v1/checkouts/\(id)/capture", key: api.platformKey)
                #expect(again.status == .conflict)

                let planID = try #require(captured.planId)
                let plan = try await client.typed(api.platformKey).getInstallmentPlansById(path: .init(id: planID)).ok.body.json
                let installments = plan.installments
                #expect(installments.count == 6)
                #expect(installments.map(\.principal.amount) == ["100.00", "100.00", "100.00", "100.00", "100.00", "100.00"])
                #expect(installments.map(\.fee.amount).allSatisfy { $0 == "3.60" })

                let second = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                   json: C.checkoutJSON(account: account, order: "o-2", amount: "250.00"))
                let secondID = try second.decode(Schemas.Checkout.self).id
                let voided = try await client.call(.post, "/v1/checkouts/\(secondID)/void", key: api.platformKey)
                #expect(voided.status == .ok)
                #expect(try voided.decode(Schemas.Checkout.self).status == .voided)
                #expect(try voided.decode(Schemas.Checkout.self).available?.amount == "49400.00")
                #expect(try await client.call(.post, "/v1/checkouts/\(secondID)/void", key: api.platformKey).status == .conflict)
                #expect(try await client.call(.post, "/v1/checkouts/\(secondID)/capture", key: api.platformKey).status == .conflict)
                #expect(try await client.call(.post, "/v1/checkouts/\(UUID())/capture", key: api.platformKey).status == .notFound)
                let over = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                 json: C.checkoutJSON(account: account, order: "o-3", amount: "10.00"))
                let overID = try over.decode(Schemas.Checkout.self).id
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
                    return (account, try auth.decode(Schemas.Checkout.self).id)
                }
            }
            // 72 hours later the hold is stale: capture is refused, but the hold still counts until it is released.
            try await C.on("2026-03-05") {
                try await api.withClient { client in
                    let capture = try await client.call(.post, "/v1/checkouts/\(checkout)/capture", key: api.platformKey)
                    #expect(capture.status == .conflict)
                    #expect(capture.problemType == "https://qianzhuang.dev/problems/authorization_expired")
                }
            }
            let expired = try await api.deps.services.credit.expireAuthorizations(asOf: C.noon("2026-03-05"), batchSize: 1)
            #expect(expired == 1)
            #expect(try await api.deps.services.credit.expireAuthorizations(asOf: C.noon("2026-03-05")) == 0)
            try await C.on("2026-03-05") {
                try await api.withClient { client in
                    let platform = client.typed(api.platformKey)
                    let read = try await platform.getCheckoutsById(path: .init(id: checkout)).ok.body.json
                    #expect(read.status == .expired)
                    let acct = try await platform.getCreditAccountsById(path: .init(id: account)).ok.body.json
                    #expect(acct.available.amount == "3000.00")
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
                    return try response.decode(Schemas.Checkout.self).id
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
                    #expect(try fresh.decode(Schemas.Checkout.self).status == .authorized, "\(fresh.text)")
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
                #expect(try replay.decode(Schemas.Checkout.self).id == first.decode(Schemas.Checkout.self).id)
                let mismatch = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                     json: C.checkoutJSON(account: account, order: "idem-1", amount: "301.00"),
                                                     headers: ["Idempotency-Key": "k1"])
                #expect(mismatch.status == .unprocessableContent)
                #expect(mismatch.problemFields == ["Idempotency-Key"])
                // Without the header the business key still stops a double hold, on any account.
                let sameOrder = try await client.call(.post, "/v1/checkouts", key: api.platformKey, json: body)
                #expect(sameOrder.status == .conflict)
                #expect(sameOrder.problemType == "https://qianzhuang.dev/problems/duplicate_order_ref")
                let otherAccount = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                         json: C.checkoutJSON(account: other, order: "idem-1", amount: "300.00"))
                #expect(otherAccount.status == .conflict)
                let acct = try await client.typed(api.platformKey).getCreditAccountsById(path: .init(id: account)).ok.body.json
                #expect(acct.held.amount == "300.00")

                // Capture replays too, booking once.
                let id = try first.decode(Schemas.Checkout.self).id
                let c1 = try await client.call(.post, "/v1/checkouts/\(id)/capture", key: api.platformKey, headers: ["Idempotency-Key": "cap"])
                let c2 = try await client.call(.post, "/v1/checkouts/\(id)/capture", key: api.platformKey, headers: ["Idempotency-Key": "cap"])
                #expect(c1.status == .ok)
                #expect(c2.status == .ok)
                #expect(try c2.decode(Schemas.Checkout.self).planId == c1.decode(Schemas.Checkout.self).planId)
                #expect(try c1.decode(Schemas.Checkout.self).planId != nil)
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
                #expect(try tenor.decode(Schemas.Checkout.self).status == .declined)
                let codes = try tenor.decode(Schemas.Checkout.self).reasons.map(\.code)
                #expect(codes == ["tenor_not_offered", "limit_exceeded"])
                // A declined attempt does not claim the order reference.
                let retry = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                  json: C.checkoutJSON(account: account, order: "t5", amount: "50.00", tenor: 6))
                #expect(try retry.decode(Schemas.Checkout.self).status == .authorized)

                let poor = """
                    {"account_age_months": 1, "orders_last_year": 0, "spend_last_year": {"amount": "0.00", "currency": "CNY"},
                     "return_rate": "0.5", "distinct_delivery_addresses": 9, "on_time_repayment_ratio": "0.5", "prior_overdue_count": 4}
                    """
                let declinedAccount = try await C.openAccount(client, api, nationalID: C.nationalIDs[2], features: poor)
                let read = try await client.typed(api.platformKey).getCreditAccountsById(path: .init(id: declinedAccount)).ok.body.json
                #expect(read.status == .declined)
                #expect(read.reasons.count == 3)
                let attempt = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                    json: C.checkoutJSON(account: declinedAccount, order: "d1", amount: "1.00"))
                #expect(try attempt.decode(Schemas.Checkout.self).reasons.first?.code == "account_declined")

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
                #expect(try created.decode(Schemas.CreditProduct.self).graceDays == 5)
                #expect(try created.decode(Schemas.CreditProduct.self).interestFreeDays == 30)
                let product = try created.decode(Schemas.CreditProduct.self).id
                #expect(try await client.call(.post, "/v1/credit-products", key: api.operatorKey, json: body).status == .conflict)
                let read = try await client.typed(api.platformKey).getCreditProductsById(path: .init(id: product)).ok.body.json
                #expect(read.tenors.first?.monthlyRate == "0.0125")
                let account = try await C.openAccount(client, api, productID: product)
                let three = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                  json: C.checkoutJSON(account: account, order: "p3", amount: "100.00", tenor: 3))
                #expect(try three.decode(Schemas.Checkout.self).reasons.first?.code == "tenor_not_offered")
                let defaults = try await client.call(.post, "/v1/credit-products", key: api.operatorKey, json: """
                    {"code": "defaults", "name": "Standard terms", "interest_free_days": 45}
                    """)
                #expect(try defaults.decode(Schemas.CreditProduct.self).tenors.map(\.tenor) == [3, 6, 12, 24])
                #expect(try defaults.decode(Schemas.CreditProduct.self).interestFreeDays == 45)
                let bad = try await client.call(.post, "/v1/credit-products", key: api.operatorKey, json: """
                    {"code": "Bad Code", "name": "x", "tenors": []}
                    """)
                #expect(bad.problemFields == ["code"])
            }
        }
    }
}
