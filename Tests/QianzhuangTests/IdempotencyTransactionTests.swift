import Domain
import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Persistence
import PostgresNIO
import QianzhuangClient
import Services
import Testing

/// Issue 15: the Idempotency-Key claim, the business change and the stored answer commit together,
/// once. A failure anywhere leaves nothing (a retry runs fresh) or everything (a retry replays).
@Suite("Idempotency inside the business transaction")
struct IdempotencyTransactionTests {
    typealias C = CreditAPI
    static let replayed = HTTPField.Name("Idempotent-Replayed")!

    static func count(_ db: Database, _ sql: PostgresQuery) async throws -> Int64 {
        try await db.client.withConnection { try await $0.query(sql, logger: db.logger).all(Int64.self).first ?? -1 }
    }

    static func checkoutCount(_ db: Database, order: String) async throws -> Int64 {
        try await count(db, "SELECT count(*)::bigint FROM credit_checkouts WHERE order_ref = \(order)")
    }

    static func keyCount(_ db: Database, key: String) async throws -> Int64 {
        try await count(db, "SELECT count(*)::bigint FROM idempotency_keys WHERE idempotency_key = \(key)")
    }

    @Test("a failure between the business statements and COMMIT leaves nothing; the retry runs fresh and books once")
    func failureBeforeCommit() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let account = try await C.openAccount(client, api)
                let body = C.checkoutJSON(account: account, order: "crash-before", amount: "300.00")
                db.faults.arm(.beforeCommit)
                let first = try await client.call(.post, "/v1/checkouts", key: api.platformKey, json: body,
                                                  headers: ["Idempotency-Key": "before-1"])
                #expect(first.status == .internalServerError)
                #expect(try await Self.checkoutCount(db, order: "crash-before") == 0)
                #expect(try await Self.keyCount(db, key: "before-1") == 0)

                let retry = try await client.call(.post, "/v1/checkouts", key: api.platformKey, json: body,
                                                  headers: ["Idempotency-Key": "before-1"])
                #expect(retry.status == .created, "\(retry.text)")
                #expect(retry.headers[Self.replayed] == nil)
                #expect(try retry.decode(Schemas.Checkout.self).status == .authorized)
                #expect(try await Self.checkoutCount(db, order: "crash-before") == 1)
                let acct = try await client.typed(api.platformKey).getCreditAccountsById(path: .init(id: account)).ok.body.json
                #expect(acct.held.amount == "300.00")
            }
        }
    }

    @Test("a connection lost right after COMMIT: the retry gets the original answer, never a business-key 409")
    func failureAfterCommit() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let account = try await C.openAccount(client, api)
                let body = C.checkoutJSON(account: account, order: "crash-after", amount: "300.00")
                db.faults.arm(.afterCommit)
                let lost = try await client.call(.post, "/v1/checkouts", key: api.platformKey, json: body,
                                                 headers: ["Idempotency-Key": "after-1"])
                // The caller never saw the answer, but the work and the answer committed together.
                #expect(lost.status == .internalServerError)
                #expect(try await Self.checkoutCount(db, order: "crash-after") == 1)

                let retry = try await client.call(.post, "/v1/checkouts", key: api.platformKey, json: body,
                                                  headers: ["Idempotency-Key": "after-1"])
                #expect(retry.status == .created, "\(retry.text)")
                #expect(retry.headers[Self.replayed] == "true")
                let stored = try await db.client.withConnection {
                    try await $0.query("SELECT id FROM credit_checkouts WHERE order_ref = 'crash-after'", logger: db.logger).all(UUID.self)
                }
                let checkoutID = try retry.decode(Schemas.Checkout.self).id
                #expect(stored.map { $0.uuidString.lowercased() } == [checkoutID])
                #expect(try await Self.checkoutCount(db, order: "crash-after") == 1)

                // Capture the same way: lost after commit, replayed, booked once.
                db.faults.arm(.afterCommit)
                let lostCapture = try await client.call(.post, "/v1/checkouts/\(checkoutID)/capture", key: api.platformKey,
                                                        headers: ["Idempotency-Key": "cap-1"])
                #expect(lostCapture.status == .internalServerError)
                let capture = try await client.call(.post, "/v1/checkouts/\(checkoutID)/capture", key: api.platformKey,
                                                    headers: ["Idempotency-Key": "cap-1"])
                #expect(capture.status == .ok, "\(capture.text)")
                #expect(capture.headers[Self.replayed] == "true")
                #expect(try capture.decode(Schemas.Checkout.self).status == .captured)
                #expect(try await Self.count(db, "SELECT count(*)::bigint FROM credit_plans") == 1)
                try await C.expectAccountConsistent(db, account)
            }
        }
    }

    @Test("a failing completion can no longer lose the answer: the answer is stored in the business transaction")
    func answerStoredWithBusiness() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let account = try await C.openAccount(client, api)
                let body = C.checkoutJSON(account: account, order: "stored-1", amount: "120.00")
                let first = try await client.call(.post, "/v1/checkouts", key: api.platformKey, json: body,
                                                  headers: ["Idempotency-Key": "stored-1"])
                #expect(first.status == .created)
                // The record is complete the moment the business change is visible: no in-flight state.
                let states = try await db.client.withConnection {
                    try await $0.query("SELECT state || ':' || coalesce(response_status::text, '-') FROM idempotency_keys WHERE idempotency_key = 'stored-1'",
                                       logger: db.logger).all(String.self)
                }
                #expect(states == ["completed:201"])
                let replay = try await client.call(.post, "/v1/checkouts", key: api.platformKey, json: body,
                                                   headers: ["Idempotency-Key": "stored-1"])
                #expect(replay.text == first.text)
            }
        }
    }

    @Test("the same request with other whitespace and key order is the same request (canonical JSON)")
    func canonicalComparison() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let account = try await C.openAccount(client, api)
                let compact = #"{"credit_account_id":"\#(account)","order_ref":"canon-1","merchant_id":"m-100","amount":{"amount":"50.00","currency":"CNY"},"plan":"installments","tenor":3}"#
                let spaced = """
                    {
                      "tenor": 3,  "plan": "installments",
                      "amount": { "currency": "CNY", "amount": "50.00" },
                      "merchant_id": "m-100", "order_ref": "canon-1", "credit_account_id": "\(account)"
                    }
                    """
                let first = try await client.call(.post, "/v1/checkouts", key: api.platformKey, json: compact,
                                                  headers: ["Idempotency-Key": "canon"])
                let second = try await client.call(.post, "/v1/checkouts", key: api.platformKey, json: spaced,
                                                   headers: ["Idempotency-Key": "canon"])
                #expect(first.status == .created)
                #expect(second.status == .created, "\(second.text)")
                #expect(second.headers[Self.replayed] == "true")
                #expect(second.text == first.text)
            }
        }
    }

    @Test("a duplicate arriving while the first is in flight waits on the key, then gets 409 after the claim wait")
    func inFlightDuplicateWaitsThen409() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            guard let principal = try await api.deps.services.access.principal(forKey: api.platformKey),
                  let caller = UUID(uuidString: principal.keyID) else { throw TestFailure("no principal") }
            let body = #"{"x": 1}"#
            // A first request holds the key in its open transaction (as a slow replica would).
            try await db.client.withConnection { holder in
                try await holder.query("BEGIN", logger: db.logger)
                let claim = try await IdempotencyStore.claim(
                    callerID: caller, key: "slow", method: "POST", route: "/v1/checkouts /v1/checkouts",
                    requestHash: Crypto_SHA256(body), on: holder, logger: db.logger)
                #expect(claim == .acquired)
                try await api.withClient { client in
                    let second = try await client.call(.post, "/v1/checkouts", key: api.platformKey, json: body,
                                                       headers: ["Idempotency-Key": "slow"])
                    #expect(second.status == .conflict)
                    #expect(second.problemType?.hasSuffix("idempotency-in-flight") == true)
                }
                try await holder.query("ROLLBACK", logger: db.logger)
            }
            #expect(try await Self.keyCount(db, key: "slow") == 0)
        }
    }

    @Test("racing duplicates with one key: one runs, the losers wait for its commit and replay its answer")
    func raceReplaysWinner() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let account = try await C.openAccount(client, api)
                for round in 0..<6 {
                    let body = C.checkoutJSON(account: account, order: "race-\(round)", amount: "10.00")
                    let answers = try await withThrowingTaskGroup(of: JSONResponse.self) { group in
                        for _ in 0..<3 {
                            group.addTask {
                                try await client.call(.post, "/v1/checkouts", key: api.platformKey, json: body,
                                                      headers: ["Idempotency-Key": "race-\(round)"])
                            }
                        }
                        var out: [JSONResponse] = []
                        for try await r in group { out.append(r) }
                        return out
                    }
                    // One runs; the others wait on the key and replay its answer (or, only if the first held
                    // the key past the claim wait on a loaded machine, are told 409 in flight).
                    let created = answers.filter { $0.status == .created }
                    let waitedOut = answers.filter { $0.status == .conflict }
                    #expect(created.count + waitedOut.count == 3, "round \(round): \(answers.map(\.status))")
                    #expect(Set(created.map(\.text)).count == 1, "round \(round): every caller gets the one answer")
                    #expect(created.filter { $0.headers[Self.replayed] == nil }.count == 1)
                    #expect(waitedOut.allSatisfy { $0.problemType?.hasSuffix("idempotency-in-flight") == true })
                    #expect(try await Self.checkoutCount(db, order: "race-\(round)") == 1)
                }
            }
        }
    }

    @Test("a 4xx refusal is recorded and replayed; its business change was rolled back")
    func refusalReplayed() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let missing = UUID().uuidString.lowercased()
                let body = C.checkoutJSON(account: missing, order: "nope-1", amount: "10.00")
                let first = try await client.call(.post, "/v1/checkouts", key: api.platformKey, json: body,
                                                  headers: ["Idempotency-Key": "refused"])
                #expect(first.status == .notFound)
                let again = try await client.call(.post, "/v1/checkouts", key: api.platformKey, json: body,
                                                  headers: ["Idempotency-Key": "refused"])
                #expect(again.status == .notFound)
                #expect(again.headers[Self.replayed] == "true")
                #expect(again.text == first.text)
            }
        }
    }

    @Test("the nightly run deletes idempotency records past their retention, and only those")
    func retentionSweep() async throws {
        try await withTestDatabase { db in
            try await db.execute("""
                INSERT INTO idempotency_keys (caller_id, idempotency_key, method, route, request_hash, state, response_status,
                                              response_body, created_at, completed_at)
                VALUES (gen_random_uuid(), 'old', 'POST', 'r', '\\x00', 'completed', 201, '\\x00', now() - interval '25 hours', now()),
                       (gen_random_uuid(), 'new', 'POST', 'r', '\\x00', 'completed', 201, '\\x00', now() - interval '23 hours', now())
                """)
            let cutoff = Date().addingTimeInterval(-TimeInterval(IdempotencyStore.retention.components.seconds))
            #expect(try await IdempotencyStore.sweep(olderThan: cutoff, batch: 1, database: db) == 1)
            #expect(try await Self.keyCount(db, key: "old") == 0)
            #expect(try await Self.keyCount(db, key: "new") == 1)
        }
    }
}
