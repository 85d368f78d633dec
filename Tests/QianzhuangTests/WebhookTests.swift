import Crypto
import Domain
import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Jobs
import Logging
import NIOCore
import Persistence
import QianzhuangClient
import Services
import Synchronization
import Testing

/// A webhook receiver on loopback: records every request, answers 500 to the first `failFirst`.
final class WebhookReceiver: Sendable {
    struct Received: Sendable {
        let eventID: String
        let signature: String
        let body: String
        let status: Int
    }
    let failFirst: Int
    let received = Mutex<[Received]>([])

    init(failFirst: Int) { self.failFirst = failFirst }

    /// Runs the receiver on a free loopback port while `body` runs.
    func serve<T: Sendable>(_ body: @Sendable (Int) async throws -> T) async throws -> T {
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            let text = String(buffer: bytes)
            let id = request.headers[HTTPField.Name("Qianzhuang-Event-Id")!] ?? ""
            let signature = request.headers[HTTPField.Name("Qianzhuang-Signature")!] ?? ""
            let status = self.received.withLock { list -> Int in
                let status = list.count < self.failFirst ? 500 : 200
                list.append(Received(eventID: id, signature: signature, body: text, status: status))
                return status
            }
            return Response(status: .init(code: status))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: TestCluster.logger)
        let box = ResultBox<T>()
        try await app.test(.live) { client in
            guard let port = client.port else { throw TestFailure("the receiver has no port") }
            box.value = try await body(port)
        }
        guard let value = box.value else { throw TestFailure("receiver produced no value") }
        return value
    }

    /// The Stripe-style check a platform would run: HMAC-SHA256 over "t.body" with the secret.
    static func verify(signature: String, body: String, secret: String) -> Bool {
        let parts = Dictionary(signature.split(separator: ",").compactMap { part -> (String, String)? in
            let kv = part.split(separator: "=", maxSplits: 1)
            return kv.count == 2 ? (String(kv[0]), String(kv[1])) : nil
        }, uniquingKeysWith: { first, _ in first })
        guard let t = parts["t"], let v1 = parts["v1"], let stamp = Int(t), abs(Int(Date().timeIntervalSince1970) - stamp) < 300 else {
            return false
        }
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(t).\(body)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return mac.map { String(format: "%02x", $0) }.joined() == v1
    }
}

@Suite("Events and webhooks (issue 17)")
struct WebhookTests {
    typealias C = CreditAPI

    static let fast = WebhookPolicy(base: .milliseconds(200), cap: .seconds(1), window: .seconds(120), disableAfter: .seconds(3600),
                                    attemptTimeout: .seconds(5))

    static func worker(_ db: Database, policy: WebhookPolicy = fast) -> WebhookWorker {
        WebhookWorker(database: db, policy: policy, targets: WebhookTargetPolicy(allowPrivateNetworks: true), pollInterval: .milliseconds(50),
                      clock: .live(.shanghai), logger: db.logger)
    }

    /// Runs the worker in the background while `body` runs.
    static func withWorker<T: Sendable>(_ worker: WebhookWorker, _ body: @Sendable () async throws -> T) async throws -> T {
        let task = Task { try await worker.run() }
        defer { task.cancel() }
        return try await body()
    }

    static func createEndpoint(_ api: TestAPI, _ client: some TestClientProtocol, url: String, types: String = #"["*"]"#) async throws
        -> (id: String, secret: String) {
        let created = try await client.call(.post, "/v1/webhook-endpoints", key: api.operatorKey,
                                            json: #"{"url": "\#(url)", "event_types": \#(types), "description": "platform backend"}"#)
        guard created.status == .created else { throw TestFailure("endpoint: \(created.status) \(created.text)") }
        let endpoint = try created.decode(Schemas.WebhookEndpointCreated.self)
        return (endpoint.id, endpoint.secret)
    }

    /// Every event id at /v1/events, following the cursor.
    static func allEventIDs(_ api: TestAPI, _ client: some TestClientProtocol) async throws -> [String: String] {
        var out: [String: String] = [:]
        var cursor: String?
        repeat {
            let page = try await client.typed(api.platformKey).getEvents(query: .init(limit: 50, cursor: cursor)).ok.body.json
            for event in page.data { out[event.id] = event._type.rawValue }
            cursor = page.nextCursor
        } while cursor != nil
        return out
    }

    static func waitUntil(_ what: String, timeout: Duration = .seconds(120), _ check: @Sendable () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if try await check() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("timed out waiting for \(what)")
    }

    @Test("a full order story reaches a loopback receiver signed, every event exactly once after de-duplication; 500s are retried with the same event id")
    func orderStoryDelivered() async throws {
        let receiver = WebhookReceiver(failFirst: 3)
        try await receiver.serve { port in
            try await OrderTests.world { w, db, supplier, key, account in
                let endpoint = try await Self.createEndpoint(w.api, w.client, url: "http://127.0.0.1:\(port)/hook")
                try await Self.withWorker(Self.worker(db)) {
                    _ = try await OrderTests.sell(w, supplier: supplier, supplierKey: key, account: account, order: "ORD-W1", amount: "300.00",
                                                  finance: true, insure: true)
                    let done = try await w.client.call(.post, "/v1/orders/ORD-W1/returns", key: w.api.platformKey,
                                                       json: OrderTests.returnJSON("RW1", amount: "300.00", tracking: "SFW01"))
                    #expect(done.status == .created, "\(done.text)")
                    guard case .completed = try await w.api.deps.nightly.run(date: FinancingWorld.today.adding(days: -1), triggeredBy: "test") else {
                        throw TestFailure("the nightly run did not complete")
                    }
                    let events = try await Self.allEventIDs(w.api, w.client)
                    for type in ["checkout.authorized", "checkout.captured", "receivable.confirmed", "financing.disbursed",
                                 "shipping_policy.created", "receivable.diluted", "claim.raised", "claim.paid", "nightly_run.completed"] {
                        #expect(events.values.contains(type), "no \(type) event in \(events.values.sorted())")
                    }
                    try await Self.waitUntil("every event delivered") {
                        let ok = Set(receiver.received.withLock { $0.filter { $0.status == 200 }.map(\.eventID) })
                        return Set(events.keys).isSubset(of: ok)
                    }
                    let received = receiver.received.withLock { $0 }
                    // Signed, and the body is the event exactly as /v1/events serves it.
                    for r in received {
                        #expect(WebhookReceiver.verify(signature: r.signature, body: r.body, secret: endpoint.secret), "bad signature on \(r.eventID)")
                        let served = try await w.client.call(.get, "/v1/events/\(r.eventID)", key: w.api.platformKey)
                        #expect(served.text == r.body)
                    }
                    // After de-duplication by event id: each event exactly once, and nothing that is not an event.
                    let delivered = received.filter { $0.status == 200 }.map(\.eventID)
                    #expect(Set(delivered) == Set(events.keys))
                    // The three refused deliveries came again, with the same event id.
                    let refused = received.filter { $0.status == 500 }.map(\.eventID)
                    #expect(refused.count == 3)
                    #expect(Set(refused).isSubset(of: Set(delivered)))
                    // The endpoint is healthy again and the retried deliveries show their attempts.
                    // The endpoint as read is a WebhookEndpoint, whose strict decoder refuses a `secret` member.
                    let operatorClient = w.client.typed(w.api.operatorKey)
                    let shown = try await operatorClient.getWebhookEndpointsById(path: .init(id: endpoint.id)).ok.body.json
                    #expect(shown.health == .healthy)
                    let deliveries = try await operatorClient.getWebhookEndpointsByIdDeliveries(path: .init(id: endpoint.id), query: .init(limit: 500))
                        .ok.body.json
                    let rows = deliveries.data
                    #expect(rows.count == events.count)
                    #expect(rows.allSatisfy { $0.status == .succeeded })
                    if let retried = rows.first(where: { $0.attempts > 1 }) {
                        let detail = try await operatorClient.getWebhookDeliveriesById(path: .init(id: retried.id)).ok.body.json
                        let log = detail.attemptLog ?? []
                        #expect(log.first?.statusCode == 500)
                        #expect(log.last?.statusCode == 200)
                    } else {
                        Issue.record("no delivery shows a retry: \(rows)")
                    }
                }
            }
        }
    }

    @Test("two workers (replicas) racing over the same deliveries send each event once: SKIP LOCKED claims with a lease")
    func replicasShareTheWork() async throws {
        let receiver = WebhookReceiver(failFirst: 0)
        try await receiver.serve { port in
            try await withTestDatabase(maxConnections: 16) { db in
                let api = try await TestAPI.make(db)
                try await api.withClient { client in
                    _ = try await Self.createEndpoint(api, client, url: "http://127.0.0.1:\(port)/hook", types: #"["checkout.authorized"]"#)
                    let account = try await C.openAccount(client, api)
                    for i in 0..<40 {
                        let r = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                      json: C.checkoutJSON(account: account, order: "ORD-R\(i)", amount: "1.00",
                                                                           plan: "installments", tenor: 3))
                        #expect(r.status == .created, "\(r.text)")
                    }
                    let events = Set(try await Self.allEventIDs(api, client).filter { $0.value == "checkout.authorized" }.keys)
                    #expect(events.count == 40)
                    // Both replicas start on the same 40 due deliveries at once.
                    try await Self.withWorker(Self.worker(db)) {
                        try await Self.withWorker(Self.worker(db)) {
                            try await Self.waitUntil("every event delivered") {
                                Set(receiver.received.withLock { $0.map(\.eventID) }) == events
                            }
                            // Each attempt is recorded after its answer: wait for the records, not the requests.
                            try await Self.waitUntil("every delivery recorded as succeeded") {
                                try await db.scalar(Int64.self, "SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'") == 40
                            }
                            try await Task.sleep(for: .milliseconds(500))   // a duplicate would arrive now
                        }
                    }
                    let ids = receiver.received.withLock { $0.map(\.eventID) }
                    #expect(ids.count == 40, "\(ids.count) requests for 40 events")
                    #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM webhook_attempts") == 40)
                    #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded' AND attempts = 1") == 40)
                }
            }
        }
    }

    @Test("a receiver down for the whole window: the endpoint is marked failing, then disabled, and the events stay readable at /v1/events")
    func deadReceiver() async throws {
        try await withTestDatabase(maxConnections: 12) { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                // Port 9 (discard) on loopback: nothing listens there, every attempt is refused.
                let endpoint = try await Self.createEndpoint(api, client, url: "http://127.0.0.1:9/hook", types: #"["checkout.authorized"]"#)
                let policy = WebhookPolicy(base: .milliseconds(100), cap: .milliseconds(300), window: .seconds(2), disableAfter: .seconds(1),
                                           attemptTimeout: .seconds(2))
                try await Self.withWorker(Self.worker(db, policy: policy)) {
                    let account = try await C.openAccount(client, api)
                    let checkout = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                         json: C.checkoutJSON(account: account, order: "ORD-DEAD", amount: "50.00",
                                                                              plan: "installments", tenor: 3))
                    #expect(checkout.status == .created, "\(checkout.text)")
                    try await Self.waitUntil("the endpoint to be disabled") {
                        let shown = try await client.typed(api.operatorKey).getWebhookEndpointsById(path: .init(id: endpoint.id)).ok.body.json
                        return shown.status == .disabled
                    }
                }
                let operatorClient = client.typed(api.operatorKey)
                let shown = try await operatorClient.getWebhookEndpointsById(path: .init(id: endpoint.id)).ok.body.json
                #expect(shown.health == .failing)
                #expect(shown.consecutiveFailures >= 1)
                #expect((shown.disabledReason ?? "").hasPrefix("failing since"))
                // The operations team sees it on the console's Today page.
                let browser = ConsoleTests.Browser(client)
                _ = try await browser.signIn(api.operatorKey)
                let today = try await browser.get("/console")
                #expect(today.html.contains("Webhook endpoints not delivering") && today.html.contains("http://127.0.0.1:9/hook"))
                let events = try await client.typed(api.platformKey).getEvents(query: .init(_type: "checkout.authorized")).ok.body.json
                #expect(events.data.count == 1)
                #expect(events.data.first?.data.value["order_ref"] as? String == "ORD-DEAD")
                // Re-enabling clears the failure record; the operator can send the delivery again.
                let enabled = try await client.call(.patch, "/v1/webhook-endpoints/\(endpoint.id)", key: api.operatorKey, json: #"{"status": "enabled"}"#)
                #expect(try enabled.decode(Schemas.WebhookEndpoint.self).health == .healthy)
                let deliveries = try await operatorClient.getWebhookEndpointsByIdDeliveries(path: .init(id: endpoint.id)).ok.body.json
                let delivery = try #require(deliveries.data.first?.id, "no delivery")
                let again = try await client.call(.post, "/v1/webhook-deliveries/\(delivery)/redeliver", key: api.operatorKey, json: "{}")
                #expect(again.status == .accepted, "\(again.text)")
                #expect(try again.decode(Schemas.WebhookDelivery.self).status == .pending)
                let listed = try await operatorClient.getWebhookEndpoints().ok.body.json
                #expect(listed.data.map(\.id) == [endpoint.id])
                let deleted = try await client.call(.delete, "/v1/webhook-endpoints/\(endpoint.id)", key: api.operatorKey)
                #expect(deleted.status == .noContent)
                #expect(try await client.call(.get, "/v1/webhook-endpoints/\(endpoint.id)", key: api.operatorKey).status == .notFound)
                #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'") == 0)
                let orphan = try await client.call(.post, "/v1/webhook-deliveries/\(delivery)/redeliver", key: api.operatorKey, json: "{}")
                #expect(orphan.status == .conflict, "\(orphan.text)")
            }
        }
    }

    @Test("a business transaction that rolls back leaves no event; one that commits leaves exactly its events")
    func rollbackLeavesNoEvent() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let account = try await C.openAccount(client, api)
                let json = C.checkoutJSON(account: account, order: "ORD-RB", amount: "50.00", plan: "installments", tenor: 3)
                db.faults.arm(.beforeCommit)
                let failed = try await client.call(.post, "/v1/checkouts", key: api.platformKey, json: json)
                #expect(failed.status.code >= 500)
                #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM events WHERE type LIKE 'checkout.%'") == 0)
                let ok = try await client.call(.post, "/v1/checkouts", key: api.platformKey, json: json)
                #expect(ok.status == .created, "\(ok.text)")
                #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM events WHERE type = 'checkout.authorized'") == 1)
            }
        }
    }

    @Test("webhook URLs to loopback, link-local or private addresses are refused unless allowed; bad event types name the field")
    func targetsAndValidation() async throws {
        let strict = WebhookTargetPolicy(allowPrivateNetworks: false)
        for url in ["https://127.0.0.1/x", "https://10.1.2.3/x", "https://169.254.169.254/latest", "https://[::1]/x", "https://localhost/x",
                    "https://192.168.0.10/x", "https://[::ffff:10.0.0.1]/x", "http://93.184.215.14/x", "ftp://example.com/x",
                    "https://user:pw@93.184.215.14/x", "not a url"] {
            #expect(await strict.refusal(url) != nil, "\(url) was allowed")
        }
        #expect(await strict.refusal("https://93.184.215.14/hook") == nil)
        #expect(await WebhookTargetPolicy(allowPrivateNetworks: true).refusal("http://127.0.0.1:8080/hook") == nil)
        #expect(NetworkAddress.isPrivateOrLocal("fe80::1%eth0"))
        #expect(NetworkAddress.isPrivateOrLocal("fd12:3456::1"))
        #expect(!NetworkAddress.isPrivateOrLocal("2606:2800:220:1:248:1893:25c8:1946"))
        #expect(!NetworkAddress.isPrivateOrLocal("8.8.8.8"))
        #expect(NetworkAddress.isPrivateOrLocal("100.64.0.1"))

        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let unknown = try await client.call(.post, "/v1/webhook-endpoints", key: api.operatorKey,
                                                    json: #"{"url": "http://127.0.0.1:1/h", "event_types": ["checkout.authorized", "nope.never"]}"#)
                #expect(unknown.status == .unprocessableContent)
                #expect(unknown.problemFields == ["event_types[1]"])
                let platform = try await client.call(.post, "/v1/webhook-endpoints", key: api.platformKey,
                                                     json: #"{"url": "http://127.0.0.1:1/h", "event_types": ["*"]}"#)
                #expect(platform.status == .forbidden)
                let badType = try await client.call(.get, "/v1/events?type=nope.never", key: api.platformKey)
                #expect(badType.status == .unprocessableContent)
            }
        }
    }

    @Test("retry delays grow exponentially with jitter, stay under the cap, and stop when the window closes")
    func retryPolicy() {
        let p = WebhookPolicy.standard
        #expect(p.delay(afterAttempt: 1, unit: 0) == .seconds(15))
        #expect(p.delay(afterAttempt: 1, unit: 0.999_999) <= .seconds(30))
        #expect(p.delay(afterAttempt: 3, unit: 0) == .seconds(60))
        #expect(p.delay(afterAttempt: 40, unit: 1) == .seconds(6 * 3600))
        let created = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(p.retryAt(afterAttempt: 1, createdAt: created, now: created, unit: 0.5) != nil)
        #expect(p.retryAt(afterAttempt: 30, createdAt: created, now: created.addingTimeInterval(3 * 86_400 - 60), unit: 0.5) == nil)
    }
}
