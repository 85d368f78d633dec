import Crypto
import Domain
import Foundation
import Logging
import PostgresNIO

/// Operator console sessions: the browser holds a random id, the table only its SHA-256.
public enum ConsoleSessionStore {
    /// A live session: whose it is and the CSRF token its forms carry.
    public struct Session: Sendable {
        public let principal: Principal
        public let csrfToken: String
        public let expiresAt: Date
    }

    /// Stores a new session for `keyID`; the caller hands `sessionID` to the browser.
    public static func create(sessionID: String, keyID: UUID, csrfToken: String, idle: Duration, on c: PostgresConnection,
                              logger: Logger) async throws {
        try await c.query("""
            INSERT INTO console_sessions (id_hash, key_id, csrf_token, expires_at)
            VALUES (\(hash(sessionID)), \(keyID), \(csrfToken), now() + make_interval(secs => \(Double(idle.components.seconds))))
            """, logger: logger)
    }

    /// The session for `sessionID` when it has not expired, was made with a live operator key and is
    /// within its absolute lifetime; its idle expiry moves forward. Nil otherwise.
    public static func touch(sessionID: String, idle: Duration, absolute: Duration, database: Database) async throws -> Session? {
        let rows = try await database.client.query("""
            UPDATE console_sessions s
               SET last_seen_at = now(),
                   expires_at = LEAST(now() + make_interval(secs => \(Double(idle.components.seconds))),
                                      s.created_at + make_interval(secs => \(Double(absolute.components.seconds))))
              FROM api_keys k
             WHERE s.id_hash = \(hash(sessionID)) AND s.expires_at > now() AND k.id = s.key_id
               AND k.revoked_at IS NULL AND k.role = 'operator'
               AND s.created_at + make_interval(secs => \(Double(absolute.components.seconds))) > now()
            RETURNING s.key_id, s.csrf_token, s.expires_at
            """, logger: database.logger)
        for try await (keyID, csrf, expires) in rows.decode((UUID, String, Date).self) {
            return Session(principal: Principal(keyID: keyID.uuidString.lowercased(), role: .operator, supplierID: nil),
                           csrfToken: csrf, expiresAt: expires)
        }
        return nil
    }

    /// Deletes the session; returns the key it belonged to, when there was one.
    public static func delete(sessionID: String, on c: PostgresConnection, logger: Logger) async throws -> UUID? {
        let rows = try await c.query("DELETE FROM console_sessions WHERE id_hash = \(hash(sessionID)) RETURNING key_id", logger: logger)
        return try await rows.decode(UUID.self).first { _ in true }
    }

    /// Ends every session of a key (when it is revoked).
    public static func deleteAll(keyID: UUID, on c: PostgresConnection, logger: Logger) async throws {
        try await c.query("DELETE FROM console_sessions WHERE key_id = \(keyID)", logger: logger)
    }

    /// Removes expired sessions (the nightly housekeeping and each sign-in call it); returns how many.
    public static func deleteExpired(on c: PostgresConnection, logger: Logger) async throws -> Int {
        try await c.query("DELETE FROM console_sessions WHERE expires_at <= now() RETURNING key_id", logger: logger)
            .decode(UUID.self).reduce(0) { n, _ in n + 1 }
    }

    static func hash(_ sessionID: String) -> ByteBuffer { ByteBuffer(bytes: SHA256.hash(data: Data(sessionID.utf8))) }
}
