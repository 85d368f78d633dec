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
            try await db.transaction { c in
                try await EventStore.append([event("c")], on: c, logger: db.logger)
                #expect(try await visible(c) == 3)
            }
        }
    }
}
