import Domain
import Foundation
import Persistence

/// A console sign-in: the session id goes to the browser (once, in a cookie), never to a log or a page.
public struct ConsoleSignIn: Sendable {
    public let sessionID: String
    public let principal: Principal
    public let csrfToken: String
}

/// The operator console's sessions and the API keys it manages, audited like the API.
extension AccessService {
    /// A session ends after this long without a request…
    public static let consoleIdleTimeout: Duration = .seconds(8 * 3600)
    /// …and in any case this long after sign-in.
    public static let consoleAbsoluteLifetime: Duration = .seconds(24 * 3600)

    /// Signs an operator key in: a new random session id, only its SHA-256 stored. Unknown or
    /// revoked keys and keys of any other role are refused (the message says which).
    public func signIn(key: String, requestID: String?) async throws -> ConsoleSignIn {
        guard !key.isEmpty, key.utf8.count <= 200, let principal = try await principal(forKey: key) else {
            throw ServiceError.invalid("api_key", "this API key is unknown or revoked")
        }
        guard principal.role == .operator, let keyID = UUID(uuidString: principal.keyID) else {
            throw ServiceError.forbidden("only an operator key may sign in to the console; this is a \(principal.role.rawValue) key")
        }
        let sessionID = RandomToken.hex(bytes: 32)
        let csrf = RandomToken.hex(bytes: 32)
        let logger = database.logger
        try await database.transaction { c in
            _ = try await ConsoleSessionStore.deleteExpired(on: c, logger: logger)
            try await ConsoleSessionStore.create(sessionID: sessionID, keyID: keyID, csrfToken: csrf, idle: Self.consoleIdleTimeout,
                                                 on: c, logger: logger)
            try await AuditStore.record(actor: principal.actor, action: "console.signed_in", objectType: "api_key",
                                        objectID: principal.keyID, requestID: requestID, on: c, logger: logger)
        }
        return ConsoleSignIn(sessionID: sessionID, principal: principal, csrfToken: csrf)
    }

    /// The live session for a cookie's id (its idle expiry moves forward), or nil.
    public func consoleSession(id sessionID: String) async throws -> ConsoleSessionStore.Session? {
        guard sessionID.utf8.count == 64, sessionID.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            return nil
        }
        return try await ConsoleSessionStore.touch(sessionID: sessionID, idle: Self.consoleIdleTimeout,
                                                   absolute: Self.consoleAbsoluteLifetime, database: database)
    }

    /// Signs out: the session row is deleted, so the cookie is worthless even if kept.
    public func signOut(sessionID: String, requestID: String?) async throws {
        let logger = database.logger
        try await database.transaction { c in
            if let keyID = try await ConsoleSessionStore.delete(sessionID: sessionID, on: c, logger: logger) {
                let id = keyID.uuidString.lowercased()
                try await AuditStore.record(actor: "operator:\(id)", action: "console.signed_out", objectType: "api_key", objectID: id,
                                            requestID: requestID, on: c, logger: logger)
            }
        }
    }

    /// Every key as an operator may see it (prefix, never the key), newest first.
    public func keys(includeRevoked: Bool) async throws -> [APIKeyStore.Listed] {
        try await APIKeyStore.list(includeRevoked: includeRevoked, database: database)
    }

    /// Creates a key on an operator's behalf (audited); the key is returned once, in clear.
    public func createKey(role: Role, supplierID: UUID?, label: String, actor: Actor) async throws -> (id: UUID, key: String) {
        if (role == .supplier) != (supplierID != nil) {
            throw ServiceError.invalid("supplier_id", role == .supplier ? "a supplier key needs the supplier it is bound to" : "only a supplier key is bound to a supplier")
        }
        guard label.count <= 100 else { throw ServiceError.invalid("label", "at most 100 characters") }
        let logger = database.logger
        return try await database.transaction { c in
            let created = try await APIKeyStore.create(role: role, supplierID: supplierID, label: label, on: c, logger: logger)
            try await AuditStore.record(actor: actor.principal.actor, action: "api_key.created", objectType: "api_key",
                                        objectID: created.id.uuidString.lowercased(), detail: ["role": role.rawValue, "label": label],
                                        requestID: actor.requestID, on: c, logger: logger)
            return created
        }
    }

    /// Revokes a key (audited) and ends its console sessions; a key that is unknown or already revoked is 404.
    public func revokeKey(id: UUID, actor: Actor) async throws {
        let logger = database.logger
        try await database.transaction { c in
            guard try await APIKeyStore.revoke(id: id, on: c, logger: logger) else {
                throw ServiceError.notFound(resource: "API key", id: id.uuidString.lowercased())
            }
            try await ConsoleSessionStore.deleteAll(keyID: id, on: c, logger: logger)
            try await AuditStore.record(actor: actor.principal.actor, action: "api_key.revoked", objectType: "api_key",
                                        objectID: id.uuidString.lowercased(), requestID: actor.requestID, on: c, logger: logger)
        }
    }

    /// The audit trail, newest first, filtered by actor, object and action (a prefix: "financing." finds every financing action).
    public func auditEvents(actor: String?, objectType: String?, objectID: String?, action: String?, before: Int64?,
                            limit: Int) async throws -> [AuditStore.Event] {
        try await AuditStore.list(actor: actor, objectType: objectType, objectID: objectID, actionPrefix: action, before: before,
                                  limit: min(max(limit, 1), 500), database: database)
    }
}
