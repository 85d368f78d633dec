import AsyncHTTPClient
import Crypto
import Domain
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Persistence
import ServiceLifecycle
import Services

/// `Qianzhuang-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, the scheme
/// Stripe uses: the receiver recomputes the HMAC over the timestamp and the raw body, compares in
/// constant time, and refuses timestamps too far from its clock (replays).
public enum WebhookSignature {
    public static func header(secret: String, timestamp: Int, body: String) -> String {
        "t=\(timestamp),v1=\(hex(secret: secret, timestamp: timestamp, body: body))"
    }

    public static func hex(secret: String, timestamp: Int, body: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(timestamp).\(body)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return mac.map { String(format: "%02x", $0) }.joined()
    }
}

/// Delivers events to webhook endpoints, inside `serve`: claims due deliveries (`FOR UPDATE SKIP LOCKED` plus a lease, so replicas share the work and a killed worker's
/// claim is retried), POSTs each signed, and records every attempt. At least once: a receiver that
/// answered 2xx but whose answer was lost gets the event again, with the same id.
///
/// The HTTP calls run outside any transaction and on their own client, so a slow or dead receiver
/// holds no database lock and never delays the API; at most `concurrency` attempts run at once.
public struct WebhookWorker: Service {
    let database: Database
    let policy: WebhookPolicy
    let targets: WebhookTargetPolicy
    let pollInterval: Duration
    let concurrency: Int
    let clock: BusinessClock
    let ready: StartGate
    let logger: Logger

    public init(database: Database, policy: WebhookPolicy = .standard, targets: WebhookTargetPolicy = .fromEnvironment(),
                pollInterval: Duration = .milliseconds(500), concurrency: Int = 8, clock: BusinessClock,
                ready: StartGate = .alreadyOpen, logger: Logger) {
        self.database = database
        self.clock = clock
        self.ready = ready
        self.policy = policy
        self.targets = targets
        self.pollInterval = pollInterval
        self.concurrency = concurrency
        self.logger = logger
    }

    /// No redirects (a receiver could point us anywhere), no decompression, bounded time.
    var clientConfiguration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow,
                                                     timeout: .init(connect: .seconds(5), read: Self.timeAmount(policy.attemptTimeout)))
        configuration.decompression = .disabled
        return configuration
    }

    public func run() async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        await cancelWhenGracefulShutdown {
            // Not before the schema is current (see StartGate); a shutdown before then ends the wait.
            do { try await ready.wait() } catch { return }
            logger.info("webhook worker on", metadata: ["poll": "\(pollInterval)"])
            while !Task.isCancelled {
                let worked: Int
                do {
                    worked = try await runOnce(client: client)
                } catch {
                    logger.warning("webhook worker pass failed", metadata: ["error": "\(String(reflecting: error))"])
                    worked = 0
                }
                if worked == 0 { try? await Task.sleep(for: pollInterval) }
            }
        }
        try await client.shutdown()
    }

    /// One pass: deliver what is due (events were fanned out into deliveries when they were
    /// written). Returns how many deliveries it attempted (0: nothing to do).
    @discardableResult
    public func runOnce(client: HTTPClient) async throws -> Int {
        let logger = self.logger
        let lease = policy.attemptTimeout + .seconds(30)
        let due = try await database.transaction {
            try await WebhookStore.claimDue(limit: concurrency * 4, lease: lease, on: $0, logger: logger)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var running = 0
            for delivery in due {
                if running == concurrency {
                    try await group.next()
                    running -= 1
                }
                group.addTask { try await deliver(delivery, client: client) }
                running += 1
            }
            try await group.waitForAll()
        }
        return due.count
    }

    func deliver(_ d: DueDelivery, client: HTTPClient) async throws {
        let started = clock.now()
        let elapsed = ContinuousClock.now
        let outcome: WebhookAttemptOutcome
        let target = await targets.target(d.url)
        if case .refused(let refusal) = target {
            outcome = WebhookAttemptOutcome(statusCode: nil, latencyMilliseconds: 0, error: "refused: \(refusal)", responseExcerpt: nil,
                                            succeeded: false)
        } else {
            do {
                var request = HTTPClientRequest(url: d.url)
                request.method = .POST
                let timestamp = Int(started.timeIntervalSince1970)
                request.headers.add(name: "Content-Type", value: "application/json")
                request.headers.add(name: "User-Agent", value: "Qianzhuang-Webhooks/1")
                request.headers.add(name: "Qianzhuang-Event-Id", value: d.eventID.uuidString.lowercased())
                request.headers.add(name: "Qianzhuang-Event-Type", value: d.eventType)
                request.headers.add(name: "Qianzhuang-Delivery-Id", value: d.id.uuidString.lowercased())
                request.headers.add(name: "Qianzhuang-Signature", value: WebhookSignature.header(secret: d.secret, timestamp: timestamp, body: d.body))
                request.body = .bytes(ByteBuffer(string: d.body))
                let (code, excerpt) = try await send(request, to: target, client: client)
                outcome = WebhookAttemptOutcome(
                    statusCode: code, latencyMilliseconds: Self.milliseconds(since: elapsed), error: nil,
                    responseExcerpt: String(decoding: excerpt.readableBytesView.prefix(1000), as: UTF8.self),
                    succeeded: (200..<300).contains(code))
            } catch {
                outcome = WebhookAttemptOutcome(statusCode: nil, latencyMilliseconds: Self.milliseconds(since: elapsed),
                                                error: Self.describe(error), responseExcerpt: nil, succeeded: false)
            }
        }
        let now = clock.now()
        let retryAt = outcome.succeeded ? nil
            : policy.retryAt(afterAttempt: d.attempts, createdAt: d.createdAt, now: now, unit: Double.random(in: 0..<1))
        let disableBefore = now.addingTimeInterval(-Self.seconds(policy.disableAfter))
        let logger = self.logger
        try await database.transaction { c in
            try await WebhookStore.recordAttempt(d, outcome: outcome, attemptedAt: started, retryAt: retryAt,
                                                 disableIfFailingSince: disableBefore, on: c, logger: logger)
        }
        if !outcome.succeeded {
            // The URL may carry a token in its query: log the endpoint id, never the URL or the secret.
            logger.notice("webhook attempt failed", metadata: [
                "endpoint_id": "\(d.endpointID)", "event_id": "\(d.eventID)", "attempt": "\(d.attempts)",
                "status": "\(outcome.statusCode.map(String.init) ?? "-")", "retry": "\(retryAt != nil)",
            ])
        }
    }

    /// Sends on the shared client, or, when the host name was resolved and checked, on a client
    /// that connects to that checked address (`dnsOverride`: TLS still verifies the host name).
    func send(_ request: HTTPClientRequest, to target: WebhookTargetPolicy.Target, client: HTTPClient) async throws -> (Int, ByteBuffer) {
        let timeout = Self.timeAmount(policy.attemptTimeout)
        guard case .allowed(let host, let pinned?) = target else {
            let response = try await client.execute(request, timeout: timeout)
            return (Int(response.status.code), try await response.body.collect(upTo: 64 * 1024))
        }
        var configuration = clientConfiguration
        configuration.dnsOverride = [host: pinned]
        let pinnedClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let response = try await pinnedClient.execute(request, timeout: timeout)
            let body = try await response.body.collect(upTo: 64 * 1024)
            try await pinnedClient.shutdown()
            return (Int(response.status.code), body)
        } catch {
            try? await pinnedClient.shutdown()
            throw error
        }
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? HTTPClientError { return "transport: \(e)" }
        return "transport: \(type(of: error))"
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        let elapsed = ContinuousClock.now - start
        return Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
    }

    static func seconds(_ d: Duration) -> TimeInterval {
        TimeInterval(d.components.seconds) + TimeInterval(d.components.attoseconds) / 1e18
    }

    static func timeAmount(_ d: Duration) -> TimeAmount {
        .nanoseconds(d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000)
    }
}
