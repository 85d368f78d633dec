import Domain
import Foundation
import HTTPAPI
import Jobs
import Persistence
import Services
import Testing

/// DNS rebinding: a host name checked as public when the delivery starts must not be re-resolved by
/// the HTTP client to somewhere else. The worker connects to the address it checked.
@Suite("Webhook targets are pinned to the checked address")
struct WebhookPinningTests {
    typealias C = CreditAPI

    static let names: @Sendable (String) async -> [String] = { host in
        switch host {
        case "hooks.example.test": ["93.184.215.14"]
        case "rebind.example.test": ["93.184.215.14", "10.0.0.7"]
        case "receiver.invalid": ["127.0.0.1"]
        default: []
        }
    }

    @Test("the policy resolves once, refuses a name with any private address, and pins the first public one")
    func policyPinsTheCheckedAddress() async {
        let strict = WebhookTargetPolicy(allowPrivateNetworks: false, resolve: Self.names)
        #expect(await strict.target("https://hooks.example.test/h") == .allowed(host: "hooks.example.test", pinned: "93.184.215.14"))
        guard case .refused(let why) = await strict.target("https://rebind.example.test/h") else {
            Issue.record("a name with a private address was allowed")
            return
        }
        #expect(why.contains("10.0.0.7"))
        #expect(await strict.target("https://nowhere.example.test/h") == .refused("host nowhere.example.test does not resolve"))
        // An address in the URL is its own pin.
        #expect(await strict.target("https://93.184.215.14/h") == .allowed(host: "93.184.215.14", pinned: nil))
        // Registering an endpoint where private networks are allowed resolves nothing; delivering does.
        let open = WebhookTargetPolicy(allowPrivateNetworks: true, resolve: Self.names)
        #expect(await open.refusal("http://nowhere.example.test/h") == nil)
        #expect(await open.target("http://receiver.invalid:8080/h") == .allowed(host: "receiver.invalid", pinned: "127.0.0.1"))
    }

    @Test("the worker delivers to the checked address of a name the system resolver does not know")
    func workerConnectsToTheCheckedAddress() async throws {
        let receiver = WebhookReceiver(failFirst: 0)
        try await receiver.serve { port in
            try await withTestDatabase(maxConnections: 12) { db in
                let api = try await TestAPI.make(db)
                try await api.withClient { client in
                    // `.invalid` never resolves (RFC 6761): only the pinned address can reach the receiver.
                    _ = try await WebhookTests.createEndpoint(api, client, url: "http://receiver.invalid:\(port)/hook",
                                                              types: #"["checkout.authorized"]"#)
                    let account = try await C.openAccount(client, api)
                    let r = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                  json: C.checkoutJSON(account: account, order: "ORD-PIN", amount: "1.00",
                                                                       plan: "installments", tenor: 3))
                    #expect(r.status == .created, "\(r.text)")
                    let worker = WebhookWorker(database: db, policy: WebhookTests.fast,
                                               targets: WebhookTargetPolicy(allowPrivateNetworks: true, resolve: Self.names),
                                               pollInterval: .milliseconds(50), clock: .live(.shanghai), logger: db.logger)
                    try await WebhookTests.withWorker(worker) {
                        try await WebhookTests.waitUntil("the delivery recorded as succeeded") {
                            try await db.scalar(Int64.self, "SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'") == 1
                        }
                    }
                    #expect(receiver.received.withLock { $0.map(\.status) } == [200])
                }
            }
        }
    }
}
