import Crypto
import Domain
import Foundation
import Logging
import PostgresNIO

/// API keys: random, shown once, stored only as a SHA-256 hash (a 256-bit random key needs no slow hash).
public enum APIKeyStore {
    /// Creates a key and returns it in clear, the only time it exists outside the caller's hands.
    public static func create(role: Role, supplierID: UUID?, label: String, database: Database) async throws -> (id: UUID, key: String) {
        try await database.transaction { connection in
            try await create(role: role, supplierID: supplierID, label: label, on: connection, logger: database.logger)
        }
    }

    /// The same, on the caller's transaction (so an audit record commits with it).
    public static func create(role: Role, supplierID: UUID?, label: String, on connection: PostgresConnection,
                              logger: Logger) async throws -> (id: UUID, key: String) {
        let key = "qz_" + RandomToken.hex(bytes: 32)
        let id = UUID()
        try await connection.query("""
            INSERT INTO api_keys (id, key_hash, key_prefix, role, supplier_id, label)
            VALUES (\(id), \(hash(key)), \(String(key.prefix(10))), \(role.rawValue), \(supplierID), \(label))
            """, logger: logger)
        return (id, key)
    }

    /// The principal for a presented key, or nil when unknown or revoked.
    public static func principal(forKey key: String, database: Database) async throws -> Principal? {
        let rows = try await database.client.query(
            "SELECT id, role, supplier_id FROM api_keys WHERE key_hash = \(hash(key)) AND revoked_at IS NULL",
            logger: database.logger)
        for try await (id, role, supplierID) in rows.decode((UUID, String, UUID?).self) {
            guard let role = Role(rawValue: role) else { return nil }
            return Principal(keyID: id.uuidString.lowercased(), role: role, supplierID: supplierID?.uuidString.lowercased())
        }
        return nil
    }

    /// Revokes a key by id; returns false when no active key had that id.
    public static func revoke(id: UUID, database: Database) async throws -> Bool {
        try await database.transaction { try await revoke(id: id, on: $0, logger: database.logger) }
    }

    /// The same, on the caller's transaction.
    public static func revoke(id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let rows = try await connection.query(
            "UPDATE api_keys SET revoked_at = now() WHERE id = \(id) AND revoked_at IS NULL RETURNING id", logger: logger)
        return try await rows.decode(UUID.self).reduce(0) { n, _ in n + 1 } == 1
    }

    /// A key as an operator may see it: never the key or its hash, only the prefix it starts with.
    public struct Listed: Sendable {
        public let id: UUID
        public let prefix: String
        public let role: String
        public let supplierID: UUID?
        public let label: String
        public let createdAt: Date
        public let revokedAt: Date?
    }

    /// Every key, newest first (`qianzhuang keys list`, to find the id `keys revoke` takes).
    public static func list(includeRevoked: Bool, database: Database) async throws -> [Listed] {
        let rows = try await database.client.query("""
            SELECT id, key_prefix, role, supplier_id, label, created_at, revoked_at FROM api_keys
            WHERE \(includeRevoked) OR revoked_at IS NULL ORDER BY created_at DESC, id
            """, logger: database.logger)
        var out: [Listed] = []
        for try await (id, prefix, role, supplier, label, created, revoked) in rows.decode(
            (UUID, String, String, UUID?, String, Date, Date?).self
        ) {
            out.append(Listed(id: id, prefix: prefix, role: role, supplierID: supplier, label: label, createdAt: created, revokedAt: revoked))
        }
        return out
    }

    /// Number of keys ever created (the embedded first start creates one when there are none).
    public static func count(database: Database) async throws -> Int {
        try await database.client.query("SELECT count(*)::bigint FROM api_keys", logger: database.logger).all(Int64.self).first.map(Int.init) ?? 0
    }

    /// SHA-256 of the key, as a BYTEA bind.
    static func hash(_ key: String) -> ByteBuffer { ByteBuffer(bytes: SHA256.hash(data: Data(key.utf8))) }
}

/// Who did what: written in the same transaction as the change it describes.
public enum AuditStore {
    /// The detail is a flat map of strings, encoded here by `JSONEncoder`: caller text can never
    /// become JSON structure (a `"` or `\\` in a reference stays inside its string).
    public static func record(
        actor: String, action: String, objectType: String, objectID: String, detail: [String: String] = [:],
        requestID: String? = nil, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.prepared("""
            INSERT INTO audit_events (actor, action, object_type, object_id, detail, request_id)
            VALUES (\(actor), \(action), \(objectType), \(objectID), \(try json(detail))::jsonb, NULLIF(\(requestID ?? ""), ''))
            """, logger: logger)
    }

    /// One audit record as the console lists it.
    public struct Event: Sendable {
        public let id: Int64
        public let actor: String
        public let action: String
        public let objectType: String
        public let objectID: String
        public let detail: String
        public let requestID: String?
        public let at: Date
    }

    /// Audit records, newest first, filtered by exact actor, object (type and/or id) and action
    /// prefix; `before` pages by id.
    public static func list(actor: String?, objectType: String?, objectID: String?, actionPrefix: String?, before: Int64?, limit: Int,
                            database: Database) async throws -> [Event] {
        let rows = try await database.client.query("""
            SELECT id, actor, action, object_type, object_id, detail::text, request_id, at FROM audit_events
            WHERE (\(actor)::text IS NULL OR actor = \(actor)) AND (\(objectType)::text IS NULL OR object_type = \(objectType))
              AND (\(objectID)::text IS NULL OR object_id = \(objectID))
              AND (\(actionPrefix)::text IS NULL OR starts_with(action, \(actionPrefix)))
              AND (\(before)::bigint IS NULL OR id < \(before))
            ORDER BY id DESC LIMIT \(limit)
            """, logger: database.logger)
        var out: [Event] = []
        for try await (id, actor, action, type, object, detail, request, at) in rows.decode(
            (Int64, String, String, String, String, String, String?, Date).self
        ) {
            out.append(Event(id: id, actor: actor, action: action, objectType: type, objectID: object, detail: detail, requestID: request, at: at))
        }
        return out
    }

    /// A detail map as a JSON object with sorted keys.
    public static func json(_ detail: [String: String]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(detail), as: UTF8.self)
    }
}
