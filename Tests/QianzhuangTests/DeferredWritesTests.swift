import Domain
import Foundation
import HTTPAPI
import Persistence
import PostgresNIO
import QianzhuangClient
import Services
import Testing

/// A request with an Idempotency-Key holds its events and payment orders back and writes them with
/// its last statement (`WaitingWrites`). They must still commit exactly with the request: all of
/// them with the answer, none of them on a rollback, never twice on a replay.
@Suite("Deferred writes ride on the request's last statement")
struct DeferredWritesTests {
    typealias C = CreditAPI

    static func counts(_ db: Database, order: String) async throws -> (orders: Int64, events: Int64, deliveries: Int64) {
        try await db.client.withConnection { c in
            let orders = try await c.query("""
                SELECT count(*)::bigint FROM payment_orders o JOIN credit_checkouts k ON k.id::text = o.source_id
                WHERE k.order_ref = \(order) AND o.created_by = 'system'
                """, logger: db.logger).all(Int64.self).first ?? -1
            let events = try await c.query("""
                SELECT count(*)::bigint FROM events WHERE object_id IN (SELECT id::text FROM credit_checkouts WHERE order_ref = \(order))
                """, logger: db.logger).all(Int64.self).first ?? -1
            let deliveries = try await c.query("""
                SELECT count(*)::bigint FROM webhook_deliveries d JOIN events e ON e.seq = d.event_seq
                WHERE e.object_id IN (SELECT id::text FROM credit_checkouts WHERE order_ref = \(order))
                """, logger: db.logger).all(Int64.self).first ?? -1
            return (orders, events, deliveries)
        }
    }

    @Test("a keyed capture writes its order, events and deliveries once; a fault before COMMIT writes none; the retry and a replay add nothing more")
    func keyedCheckoutWritesOnce() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let hook = try await client.call(.post, "/v1/webhook-endpoints", key: api.operatorKey,
                                                 json: #"{"url": "http://127.0.0.1:9/h", "event_types": ["*"]}"#)
                #expect(hook.status == .created, "\(hook.text)")
                let account = try await C.openAccount(client, api)
                let authorized = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                       json: C.checkoutJSON(account: account, order: "DW-1", amount: "120.00"),
                                                       headers: ["Idempotency-Key": "dw-auth"])
                #expect(authorized.status == .created, "\(authorized.text)")
                let id = try authorized.decode(Schemas.Checkout.self).id
                #expect(try await Self.counts(db, order: "DW-1") == (0, 1, 1))

                db.faults.arm(.beforeCommit)
                let failed = try await client.call(.post, "/v1/checkouts/\(id)/capture", key: api.platformKey, headers: ["Idempotency-Key": "dw-cap"])
                #expect(failed.status == .internalServerError)
                #expect(try await Self.counts(db, order: "DW-1") == (0, 1, 1))

                let captured = try await client.call(.post, "/v1/checkouts/\(id)/capture", key: api.platformKey, headers: ["Idempotency-Key": "dw-cap"])
                #expect(captured.status == .ok || captured.status == .created, "\(captured.text)")
                #expect(captured.headers[IdempotencyTransactionTests.replayed] == nil)
                #expect(try await Self.counts(db, order: "DW-1") == (1, 2, 2))

                let replay = try await client.call(.post, "/v1/checkouts/\(id)/capture", key: api.platformKey, headers: ["Idempotency-Key": "dw-cap"])
                #expect(replay.headers[IdempotencyTransactionTests.replayed] == "true")
                #expect(replay.text == captured.text)
                #expect(try await Self.counts(db, order: "DW-1") == (1, 2, 2))

                // The order's creation is its first audited step, read from the order row.
                let order = try #require(try await db.scalar(UUID.self, "SELECT id FROM payment_orders WHERE source_type = 'merchant_payable'"))
                let steps = try await db.client.withConnection { try await PaymentOrderStore.steps(orderID: order, on: $0, logger: db.logger) }
                #expect(steps.map(\.to) == ["pending"])
                #expect(steps.first?.actor == "system")
            }
        }
    }

    /// What a capture wrote: its plan and installments, its journal entry (with the sum of its
    /// postings), the order that names that entry, and the account's hold and principal.
    static func captureRows(_ db: Database, checkout: String) async throws -> String {
        try await db.client.withConnection { c in
            try await c.query("""
                SELECT concat_ws(' ',
                    'plans=' || (SELECT count(*) FROM credit_plans WHERE checkout_id::text = \(checkout)),
                    'installments=' || (SELECT count(*) FROM credit_installments i JOIN credit_plans p ON p.id = i.plan_id
                                        WHERE p.checkout_id::text = \(checkout)),
                    'entries=' || (SELECT count(*) FROM journal_entries WHERE idempotency_ref = 'capture:' || \(checkout)),
                    'postings=' || (SELECT count(*) || '/' || COALESCE(sum(amount), 0) FROM postings p
                                    JOIN journal_entries e ON e.id = p.entry_id WHERE e.idempotency_ref = 'capture:' || \(checkout)),
                    'order_names_entry=' || (SELECT count(*) FROM payment_orders o JOIN journal_entries e ON e.id = o.entry_id
                                             WHERE o.source_id = \(checkout) AND e.idempotency_ref = 'capture:' || \(checkout)),
                    'checkout=' || (SELECT status FROM credit_checkouts WHERE id::text = \(checkout)),
                    'held=' || (SELECT a.held FROM credit_accounts a JOIN credit_checkouts k ON k.credit_account_id = a.id
                                WHERE k.id::text = \(checkout)),
                    'principal=' || (SELECT a.principal_outstanding FROM credit_accounts a JOIN credit_checkouts k
                                     ON k.credit_account_id = a.id WHERE k.id::text = \(checkout)))
                """, logger: db.logger).all(String.self).first ?? ""
        }
    }

    @Test("a keyed capture holds back its plan, ledger entry and order for the last statement: all written with the answer, the order naming the entry; none after a fault before COMMIT")
    func keyedCaptureWritesPlanAndEntryWithTheAnswer() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let account = try await C.openAccount(client, api)
                let authorized = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                       json: C.checkoutJSON(account: account, order: "DW-2", amount: "120.00"),
                                                       headers: ["Idempotency-Key": "dw2-auth"])
                #expect(authorized.status == .created, "\(authorized.text)")
                let id = try authorized.decode(Schemas.Checkout.self).id
                let before = "plans=0 installments=0 entries=0 postings=0/0 order_names_entry=0 checkout=authorized held=12000 principal=0"
                #expect(try await Self.captureRows(db, checkout: id) == before)

                db.faults.arm(.beforeCommit)
                let failed = try await client.call(.post, "/v1/checkouts/\(id)/capture", key: api.platformKey, headers: ["Idempotency-Key": "dw2-cap"])
                #expect(failed.status == .internalServerError)
                #expect(try await Self.captureRows(db, checkout: id) == before)

                let captured = try await client.call(.post, "/v1/checkouts/\(id)/capture", key: api.platformKey, headers: ["Idempotency-Key": "dw2-cap"])
                #expect(captured.status == .ok || captured.status == .created, "\(captured.text)")
                let plan = try #require(try await db.scalar(Int64.self, """
                    SELECT count(*)::bigint FROM credit_installments i JOIN credit_plans p ON p.id = i.plan_id WHERE p.checkout_id::text = \(id)
                    """))
                #expect(plan >= 1)
                #expect(try await Self.captureRows(db, checkout: id)
                        == "plans=1 installments=\(plan) entries=1 postings=2/0 order_names_entry=1 checkout=captured held=0 principal=12000")
                #expect(try await db.scalar(Int64.self, "SELECT count(*)::bigint FROM audit_events WHERE action = 'credit.checkout.captured'") == 1)

                let replay = try await client.call(.post, "/v1/checkouts/\(id)/capture", key: api.platformKey, headers: ["Idempotency-Key": "dw2-cap"])
                #expect(replay.text == captured.text)
                #expect(try await Self.captureRows(db, checkout: id)
                        == "plans=1 installments=\(plan) entries=1 postings=2/0 order_names_entry=1 checkout=captured held=0 principal=12000")
            }
        }
    }

    @Test("inside a request transaction an event waits (unseen even by its own transaction) until the answer is stored; outside, it is written at once")
    func eventsWaitForTheLastStatement() async throws {
        try await withTestDatabase { db in
            @Sendable func event(_ id: String) -> NewEvent {
                NewEvent(id: UUID(), type: "checkout.authorized", objectType: "checkout", objectID: id,
                         businessDate: BusinessDate(year: 2026, month: 12, day: 1)!, createdAt: Date(), body: "{}")
            }
            @Sendable func visible(_ c: PostgresConnection) async throws -> Int64 {
                try await c.query("SELECT count(*)::bigint FROM events", logger: db.logger).all(Int64.self).first ?? -1
            }
            let caller = try #require(try await db.scalar(UUID.self, "SELECT gen_random_uuid()"))
            try await db.requestTransaction { c in
                _ = try await IdempotencyStore.claim(callerID: caller, key: "k1", method: "POST", route: "r", requestHash: [1],
                                                     on: c, logger: db.logger)
                try await EventStore.append([event("a")], on: c, logger: db.logger)
                #expect(try await visible(c) == 0)
                try await IdempotencyStore.complete(callerID: caller, key: "k1", status: 201, body: Array("{}".utf8), on: c, logger: db.logger)
                #expect(try await visible(c) == 1)
                // Recorded after the answer (no path does this today): still written, before COMMIT.
                try await EventStore.append([event("b")], on: c, logger: db.logger)
            }
            #expect(try await db.scalar(Int64.self, "SELECT count(*)::bigint FROM events") == 2)
            // A held-back ledger entry waits the same way, and commits balanced with the answer.
            let entry = try CreditLedger.capture(checkoutID: "dw-held", creditAccountID: UUID().uuidString.lowercased(), merchantID: "m-dw",
                                                 principal: Money(minorUnits: 500, currency: .cny),
                                                 businessDate: BusinessDate(year: 2026, month: 12, day: 1)!)
            @Sendable func entries(_ c: PostgresConnection) async throws -> Int64 {
                try await c.query("SELECT count(*)::bigint FROM journal_entries WHERE idempotency_ref = 'capture:dw-held'",
                                  logger: db.logger).all(Int64.self).first ?? -1
            }
            try await db.requestTransaction { c in
                _ = try await IdempotencyStore.claim(callerID: caller, key: "k2", method: "POST", route: "r", requestHash: [2],
                                                     on: c, logger: db.logger)
                let ids = try await CreditLedgerBatch.hold([entry], on: c, logger: db.logger)
                #expect(ids.count == 1)
                #expect(try await entries(c) == 0)
                try await IdempotencyStore.complete(callerID: caller, key: "k2", status: 201, body: Array("{}".utf8), on: c, logger: db.logger)
                #expect(try await entries(c) == 1)
                #expect(try await c.query("SELECT id FROM journal_entries WHERE idempotency_ref = 'capture:dw-held'",
                                          logger: db.logger).all(UUID.self) == ids)
            }
            #expect(try await db.scalar(Int64.self, """
                SELECT sum(p.amount)::bigint FROM postings p JOIN journal_entries e ON e.id = p.entry_id WHERE e.idempotency_ref = 'capture:dw-held'
                """) == 0)

            try await db.transaction { c in
                try await EventStore.append([event("c")], on: c, logger: db.logger)
                #expect(try await visible(c) == 3)
            }
        }
    }
}
