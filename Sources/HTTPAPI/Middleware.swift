import Crypto
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Persistence
import Prometheus
import Services
import Synchronization

/// Gives every request an id (the caller's `X-Request-Id` when it is sane), echoes it on the
/// response, tags the logger with it, and writes one access-log line (no bodies, no keys).
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let supplied = request.headers[.xRequestID].flatMap { value in
            value.utf8.count <= 128 && value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) }) ? value : nil
        }
        context.requestID = supplied ?? UUID().uuidString.lowercased()
        context.logger[metadataKey: "request_id"] = .string(context.requestID)
        var response = try await next(request, context)
        response.headers[.xRequestID] = context.requestID
        return response
    }
}

/// Request counts and latency histograms per route, exposed at `/metrics`.
///
/// The registry validates the name, the labels and the HELP text on every `make…` call and then looks
/// the series up under its lock; the handles are looked up here once per (method, route, status)
/// instead, so a request costs one dictionary read. Routes are templates, so the set stays small.
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let registry: PrometheusCollectorRegistry
    private let series = MetricHandles<RouteKey, (Counter, DurationHistogram)>()

    init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    /// Computed (`MetricNameDescriptor` is not `Sendable`); read only when a new series is made.
    static var requests: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "qianzhuang", subsystem: "http", metricName: "requests", unitName: "total",
                             helpText: "HTTP requests answered, by method, route template and status.")
    }
    static var duration: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "qianzhuang", subsystem: "http", metricName: "request_duration", unitName: "seconds",
                             helpText: "Time from request to response, by method and route template.")
    }
    static let buckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
    ]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let route = context.endpointPath ?? "unmatched"
        let key = RouteKey(method: request.method.rawValue, route: route, status: response.status.code)
        let (counter, histogram) = series.get(key) {
            let labels = [("method", request.method.rawValue), ("route", route)]
            return (registry.makeCounter(descriptor: Self.requests, labels: labels + [("status", String(response.status.code))]),
                    registry.makeDurationHistogram(descriptor: Self.duration, labels: labels, buckets: Self.buckets))
        }
        counter.increment()
        histogram.record(ContinuousClock.now - start)
        return response
    }

    struct RouteKey: Hashable, Sendable { let method: String; let route: String; let status: Int }
}

/// Metric handles made once per key and kept: the registry validates the name, the labels and the
/// HELP text on every `make…` call, so hot paths ask this cache instead.
final class MetricHandles<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let known = Mutex<[Key: Value]>([:])

    func get(_ key: Key, make: () -> Value) -> Value {
        if let found = known.withLock({ $0[key] }) { return found }
        let made = make()   // the registry returns the existing series if another caller made it first
        known.withLock { $0[key] = made }
        return made
    }
}

/// Turns every error into problem+json. 5xx are logged at error level with the request id;
/// the caller sees no internals.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            let response = try await next(request, context)
            context.logger.debug("request", metadata: [
                "method": "\(request.method)", "route": "\(context.endpointPath ?? "unmatched")", "status": "\(response.status.code)",
            ])
            return response
        } catch {
            let problem = ProblemMapper.problem(for: error) ?? Problem(
                status: .internalServerError, type: "internal", title: "Internal error",
                detail: "something went wrong on our side; quote request id \(context.requestID)")
            if problem.status.code >= 500 {
                context.logger.error("request failed", metadata: [
                    "method": "\(request.method)", "route": "\(context.endpointPath ?? "unmatched")",
                    "error": "\(String(reflecting: error))",
                ])
            } else {
                context.logger.info("request refused", metadata: [
                    "method": "\(request.method)", "route": "\(context.endpointPath ?? "unmatched")",
                    "status": "\(problem.status.code)", "problem": "\(problem.type)",
                ])
            }
            return problem.response(instance: request.uri.path)
        }
    }
}

/// Bearer-key authentication. Looks keys up by hash; remembers answers for a few seconds so a
/// hot caller does not cost a query per request (revocation takes effect within `cacheTTL`).
struct AuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let access: AccessService
    let cache: PrincipalCache

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { throw Problem.unauthorized() }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty, parts[1].utf8.count <= 200 else {
            throw Problem.unauthorized("the Authorization header must be: Bearer <key>")
        }
        let key = String(parts[1])
        let principal: Principal
        if let cached = cache.lookup(key) {
            principal = cached
        } else {
            guard let found = try await access.principal(forKey: key) else {
                throw Problem.unauthorized("the API key is unknown or revoked")
            }
            cache.store(key, found)
            principal = found
        }
        var context = context
        context.principal = principal
        context.logger[metadataKey: "caller"] = .string(principal.actor)
        return try await next(request, context)
    }
}

/// A short-lived map from key hash to principal.
final class PrincipalCache: Sendable {
    let ttl: Duration
    private let entries = Mutex<[Data: (Principal, ContinuousClock.Instant)]>([:])

    init(ttl: Duration = .seconds(5)) { self.ttl = ttl }

    func lookup(_ key: String) -> Principal? {
        let hash = Self.hash(key)
        return entries.withLock { map in
            guard let (principal, at) = map[hash], ContinuousClock.now - at < ttl else { return nil }
            return principal
        }
    }

    func store(_ key: String, _ principal: Principal) {
        let hash = Self.hash(key)
        entries.withLock { map in
            if map.count > 10_000 { map.removeAll() }
            map[hash] = (principal, ContinuousClock.now)
        }
    }

    static func hash(_ key: String) -> Data { Data(SHA256.hash(data: Data(key.utf8))) }
}

/// `Idempotency-Key` on POSTs, inside the request's one database transaction: the key is claimed
/// by the transaction's first statement and the answer stored by its last, so the business change
/// and the stored answer commit together, once. A replay returns the stored answer byte for byte
/// (`Idempotent-Replayed: true`); the same key with another request (compared as canonical JSON)
/// is 422; a duplicate that arrives while the first still runs waits for it and then replays, or
/// after `IdempotencyStore.claimWait` gets 409. A 5xx or a lost connection rolls everything back,
/// so a retry runs fresh; a definitive refusal (4xx other than 409) is recorded for replay.
struct IdempotencyMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let database: Database
    /// Routes whose work is not one transaction (the nightly run commits step by step): the key
    /// is not honoured there, and the route must be idempotent by its own business key.
    var excludedRoutes: Set<String> = ["/v1/nightly-runs"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, let key = request.headers[.idempotencyKey] else {
            return try await next(request, context)
        }
        // Statement files are streamed, not buffered; their import is idempotent by statement identity.
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/json") {
            return try await next(request, context)
        }
        if let route = context.endpointPath, excludedRoutes.contains(route) {
            return try await next(request, context)
        }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) else {
            throw Problem.validation("Idempotency-Key", "must be 1 to 255 visible ASCII characters")
        }
        let principal = try context.caller()
        guard let callerID = UUID(uuidString: principal.keyID) else { throw Problem.unauthorized() }
        let body = try await JSONBody.collect(request)
        // Parsed once here: the canonical form identifies the request, and the handler decodes the
        // same tree (a body that is not JSON is compared as bytes; the handler refuses it anyway).
        let tree = try? StrictJSON.parse(body)
        let hash = Array(SHA256.hash(data: tree.map { Data($0.canonicalBytes()) } ?? body))
        var context = context
        context.parsedBody = tree
        let route = (context.endpointPath ?? request.uri.path) + " " + request.uri.path
        let method = request.method.rawValue
        var forwarded = request
        forwarded.body = .init(buffer: ByteBuffer(bytes: body))
        let instance = request.uri.path
        let database = database
        do {
            let (status, headers, bytes) = try await database.requestTransaction { c -> (Int, HTTPFields, [UInt8]) in
                switch try await IdempotencyStore.claim(callerID: callerID, key: key, method: method, route: route,
                                                        requestHash: hash, on: c, logger: context.logger) {
                case .replay(let status, let stored):
                    var headers = HTTPFields()
                    headers[.contentType] = status >= 400 ? "application/problem+json" : "application/json"
                    headers[.idempotentReplayed] = "true"
                    return (status, headers, stored)
                case .bodyMismatch:
                    throw IdempotencyKeyReused()
                case .acquired:
                    break
                }
                let response = try await next(forwarded, context)
                let bytes = try await Self.collect(response.body)
                guard response.status.code < 500 else { throw FailedResponse(response: response, bytes: bytes) }
                try await IdempotencyStore.complete(callerID: callerID, key: key, status: Int(response.status.code), body: bytes,
                                                    on: c, logger: context.logger)
                return (Int(response.status.code), response.headers, bytes)
            }
            return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        } catch is IdempotencyKeyReused {
            throw Problem(status: .unprocessableContent, type: "idempotency-key-reused", title: "Idempotency-Key reused",
                          detail: "this Idempotency-Key was used with a different request; use a new key for a new request",
                          errors: [FieldIssue(field: "Idempotency-Key", message: "already used with a different request")])
        } catch is IdempotencyKeyInFlight {
            throw Problem.conflict("idempotency-in-flight", "a request with this Idempotency-Key is still being processed; retry later")
        } catch let failed as FailedResponse {
            // Nothing was committed; hand the caller the handler's own 5xx.
            var out = failed.response
            out.body = .init(byteBuffer: ByteBuffer(bytes: failed.bytes))
            return out
        } catch {
            // A definitive refusal is part of the key's story: its business change was rolled back,
            // and the refusal itself is recorded so a retry with this key gets the same answer.
            if let problem = ProblemMapper.problem(for: error), (400..<500).contains(problem.status.code), problem.status != .conflict {
                let bytes = try await Self.collect(problem.response(instance: instance).body)
                try await IdempotencyStore.recordRefusal(callerID: callerID, key: key, method: method, route: route, requestHash: hash,
                                                         status: Int(problem.status.code), body: bytes, database: database)
            }
            throw error
        }
    }

    static func collect(_ body: ResponseBody) async throws -> [UInt8] {
        let sink = CollectingWriter()
        try await body.write(sink)
        return sink.bytes.withLock { $0 }
    }

    private struct IdempotencyKeyReused: Error {}
    private struct FailedResponse: Error, @unchecked Sendable {
        let response: Response
        let bytes: [UInt8]
    }
}

/// Collects a response body's bytes so they can be stored for replay.
final class CollectingWriter: ResponseBodyWriter, Sendable {
    let bytes = Mutex<[UInt8]>([])
    func write(_ buffer: ByteBuffer) async throws {
        bytes.withLock { $0.append(contentsOf: buffer.readableBytesView) }
    }
    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

extension HTTPField.Name {
    // These literals are valid field names; the fallback is unreachable.
    static let xRequestID = Self("X-Request-Id") ?? .via
    static let idempotencyKey = Self("Idempotency-Key") ?? .via
    static let idempotentReplayed = Self("Idempotent-Replayed") ?? .via
}
