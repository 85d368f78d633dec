import Domain
import Foundation
import Logging
import Persistence
#if canImport(Glibc)
import Glibc
#endif

/// An endpoint as the API shows it; `secret` only in the creation answer.
public struct WebhookEndpointView: Sendable {
    public let endpoint: WebhookEndpointRecord
    public let secret: String?
}

/// Where webhooks may go. Loopback, link-local and private addresses (and plain http) are refused
/// unless the operator allows them (`QZ_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true`, for tests and
/// private deployments): a webhook URL must not become a way into the platform's own network.
public struct WebhookTargetPolicy: Sendable {
    public let allowPrivateNetworks: Bool
    /// Host name → addresses (the system resolver; tests substitute their own).
    let resolve: @Sendable (String) async -> [String]

    public init(allowPrivateNetworks: Bool, resolve: @escaping @Sendable (String) async -> [String] = HostResolver.addresses(of:)) {
        self.allowPrivateNetworks = allowPrivateNetworks
        self.resolve = resolve
    }

    public static func fromEnvironment() -> WebhookTargetPolicy {
        WebhookTargetPolicy(allowPrivateNetworks: ProcessInfo.processInfo.environment["QZ_WEBHOOK_ALLOW_PRIVATE_NETWORKS"] == "true")
    }

    /// Where a delivery may go: refused (why), or allowed with the address that was checked. The
    /// sender connects to that address (keeping the host name for TLS and `Host`), so a name that
    /// resolves to a public address when checked and to a private one a moment later (DNS
    /// rebinding) cannot steer the request inside.
    public enum Target: Sendable, Equatable {
        case refused(String)
        /// `pinned`: the checked address of `host`; nil when the URL names an address itself.
        case allowed(host: String, pinned: String?)
    }

    /// Why `url` may not be registered, or nil when it may. Resolves the host (every address must
    /// be public); where private networks are allowed, a name is resolved only when delivering.
    public func refusal(_ url: String) async -> String? {
        if case .refused(let why) = await target(url, resolving: !allowPrivateNetworks) { return why }
        return nil
    }

    /// Where a delivery to `url` goes now: the host is resolved (and, unless private networks are
    /// allowed, every address must be public) and the first address is pinned.
    public func target(_ url: String) async -> Target { await target(url, resolving: true) }

    func target(_ url: String, resolving: Bool) async -> Target {
        guard url.count <= 2000, let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(),
              let host = parts.host, !host.isEmpty else { return .refused("must be an absolute http(s) URL of at most 2000 characters") }
        guard scheme == "https" || (scheme == "http" && allowPrivateNetworks) else {
            return .refused(allowPrivateNetworks ? "must use http or https" : "must use https")
        }
        guard parts.user == nil, parts.password == nil else { return .refused("must not carry a user name or password") }
        guard parts.fragment == nil else { return .refused("must not have a fragment") }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if NetworkAddress.isAddress(bare) {
            if !allowPrivateNetworks, NetworkAddress.isPrivateOrLocal(bare) {
                return .refused("\(bare) is a loopback, link-local or private address (set QZ_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true to allow)")
            }
            return .allowed(host: bare, pinned: nil)
        }
        guard resolving else { return .allowed(host: bare, pinned: nil) }
        let addresses = await resolve(bare)
        guard let first = addresses.first else { return .refused("host \(bare) does not resolve") }
        if !allowPrivateNetworks, let bad = addresses.first(where: NetworkAddress.isPrivateOrLocal) {
            return .refused("resolves to \(bad), a loopback, link-local or private address (set QZ_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true to allow)")
        }
        return .allowed(host: bare, pinned: first)
    }
}

/// The system resolver (getaddrinfo), off the cooperative thread pool.
public enum HostResolver {
    @Sendable public static func addresses(of host: String) async -> [String] {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: resolve(host)) }
        }
    }

    static func resolve(_ host: String) -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var out: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(info.pointee.ai_addr, info.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                out.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            cursor = info.pointee.ai_next
        }
        return Array(Set(out)).sorted()
    }
}

/// Webhook endpoints and their deliveries (operator), and the event log (`/v1/events`).
public struct WebhookService: Sendable {
    let database: Database
    public let targets: WebhookTargetPolicy

    public init(database: Database, targets: WebhookTargetPolicy = .fromEnvironment()) {
        self.database = database
        self.targets = targets
    }

    var logger: Logger { database.logger }

    static let maxEventTypes = 100

    /// `["*"]` or known types, each once.
    static func validatedTypes(_ types: [String]) throws -> [String] {
        guard (1...maxEventTypes).contains(types.count) else {
            throw ServiceError.invalid("event_types", "must list 1 to \(maxEventTypes) event types, or [\"*\"] for all")
        }
        if types == ["*"] { return types }
        for (i, t) in types.enumerated() where EventType(rawValue: t) == nil {
            throw ServiceError.invalid("event_types[\(i)]", t == "*" ? "\"*\" must be the only entry" : "unknown event type \(t)")
        }
        guard Set(types).count == types.count else { throw ServiceError.invalid("event_types", "must not repeat a type") }
        return types
    }

    static func validatedDescription(_ d: String?) throws -> String? {
        guard let d else { return nil }
        guard !d.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, d.count <= 200, !d.contains("\u{0}") else {
            throw ServiceError.invalid("description", "must be 1 to 200 characters, not blank")
        }
        return d
    }

    func validatedURL(_ url: String) async throws -> String {
        if let why = await targets.refusal(url) { throw ServiceError.invalid("url", why) }
        return url
    }

    public func createEndpoint(url: String, eventTypes: [String], description: String?, actor: Actor) async throws -> WebhookEndpointView {
        let types = try Self.validatedTypes(eventTypes)
        let description = try Self.validatedDescription(description)
        let url = try await validatedURL(url)
        let secret = "whsec_" + RandomToken.hex(bytes: 32)
        let id = UUID()
        let logger = self.logger
        let created = try await database.transaction { c in
            let endpoint = try await WebhookStore.createEndpoint(id: id, url: url, eventTypes: types, description: description, secret: secret,
                                                                 on: c, logger: logger)
            try await AuditStore.record(actor: actor.principal.actor, action: "webhook_endpoint.created", objectType: "webhook_endpoint",
                                        objectID: id.uuidString.lowercased(), detail: ["event_types": types.joined(separator: ",")],
                                        requestID: actor.requestID, on: c, logger: logger)
            return endpoint
        }
        return WebhookEndpointView(endpoint: created, secret: secret)
    }

    public func endpoint(id: UUID) async throws -> WebhookEndpointRecord {
        let logger = self.logger
        guard let found = try await database.withConnection({ try await WebhookStore.endpoint(id: id, on: $0, logger: logger) }) else {
            throw ServiceError.notFound(resource: "webhook endpoint", id: id.uuidString.lowercased())
        }
        return found
    }

    public func endpoints(_ request: PageRequest) async throws -> Page<WebhookEndpointRecord> {
        let logger = self.logger
        return Page(fetched: try await database.withConnection { try await WebhookStore.endpoints(request, on: $0, logger: logger) },
                    request: request)
    }

    public func updateEndpoint(id: UUID, url: String?, eventTypes: [String]?, description: String?, enabled: Bool?,
                               actor: Actor) async throws -> WebhookEndpointRecord {
        let types = try eventTypes.map(Self.validatedTypes)
        let description = try Self.validatedDescription(description)
        let url = try await url.asyncMap(validatedURL)
        let logger = self.logger
        return try await database.transaction { c in
            guard let updated = try await WebhookStore.updateEndpoint(
                id: id, url: url, eventTypes: types, description: description, status: enabled.map { $0 ? "enabled" : "disabled" },
                on: c, logger: logger) else {
                throw ServiceError.notFound(resource: "webhook endpoint", id: id.uuidString.lowercased())
            }
            var detail: [String: String] = [:]
            if url != nil { detail["url"] = "changed" }
            if let types { detail["event_types"] = types.joined(separator: ",") }
            if let enabled { detail["status"] = enabled ? "enabled" : "disabled" }
            try await AuditStore.record(actor: actor.principal.actor, action: "webhook_endpoint.updated", objectType: "webhook_endpoint",
                                        objectID: id.uuidString.lowercased(), detail: detail, requestID: actor.requestID, on: c, logger: logger)
            return updated
        }
    }

    public func deleteEndpoint(id: UUID, actor: Actor) async throws {
        let logger = self.logger
        try await database.transaction { c in
            guard try await WebhookStore.deleteEndpoint(id: id, on: c, logger: logger) else {
                throw ServiceError.notFound(resource: "webhook endpoint", id: id.uuidString.lowercased())
            }
            try await AuditStore.record(actor: actor.principal.actor, action: "webhook_endpoint.deleted", objectType: "webhook_endpoint",
                                        objectID: id.uuidString.lowercased(), requestID: actor.requestID, on: c, logger: logger)
        }
    }

    public func deliveries(endpointID: UUID, _ request: PageRequest) async throws -> Page<WebhookDeliveryRecord> {
        _ = try await endpoint(id: endpointID)
        let logger = self.logger
        return Page(fetched: try await database.withConnection {
            try await WebhookStore.deliveries(endpointID: endpointID, request, on: $0, logger: logger)
        }, request: request)
    }

    public func delivery(id: UUID) async throws -> (WebhookDeliveryRecord, [(attemptedAt: Date, statusCode: Int?, latencyMilliseconds: Int, error: String?, response: String?)]) {
        let logger = self.logger
        return try await database.withConnection { c in
            guard let found = try await WebhookStore.delivery(id: id, on: c, logger: logger) else {
                throw ServiceError.notFound(resource: "webhook delivery", id: id.uuidString.lowercased())
            }
            return (found, try await WebhookStore.attempts(deliveryID: id, on: c, logger: logger))
        }
    }

    /// Manual redelivery: the delivery is sent again at once, with the same event id.
    public func redeliver(id: UUID, actor: Actor) async throws -> WebhookDeliveryRecord {
        let logger = self.logger
        return try await database.transaction { c in
            guard let existing = try await WebhookStore.delivery(id: id, on: c, logger: logger) else {
                throw ServiceError.notFound(resource: "webhook delivery", id: id.uuidString.lowercased())
            }
            guard try await WebhookStore.redeliver(id: id, on: c, logger: logger),
                  let found = try await WebhookStore.delivery(id: id, on: c, logger: logger) else {
                throw ServiceError.conflict(code: "endpoint_deleted",
                                            detail: "the endpoint \(existing.endpointID.uuidString.lowercased()) of this delivery was deleted")
            }
            try await AuditStore.record(actor: actor.principal.actor, action: "webhook_delivery.redelivered", objectType: "webhook_delivery",
                                        objectID: id.uuidString.lowercased(), requestID: actor.requestID, on: c, logger: logger)
            return found
        }
    }

    // MARK: Events

    public func events(types: [String], objectType: String?, objectID: String?, _ request: PageRequest) async throws -> Page<EventRecord> {
        for (i, t) in types.enumerated() where EventType(rawValue: t) == nil {
            throw ServiceError.invalid(types.count == 1 ? "type" : "type[\(i)]", "unknown event type \(t)")
        }
        let logger = self.logger
        return Page(fetched: try await database.withConnection {
            try await EventStore.events(types: types, objectType: objectType, objectID: objectID, request, on: $0, logger: logger)
        }, request: request)
    }

    public func event(id: UUID) async throws -> EventRecord {
        let logger = self.logger
        guard let found = try await database.withConnection({ try await EventStore.event(id: id, on: $0, logger: logger) }) else {
            throw ServiceError.notFound(resource: "event", id: id.uuidString.lowercased())
        }
        return found
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
