import Foundation
import Logging
import PostgresNIO

/// What the store says about an `Idempotency-Key` when a request arrives.
public enum IdempotencyClaim: Sendable, Equatable {
    /// This request owns the key now; run it and then `complete` or `release`.
    case acquired
    /// The first request finished; replay its response.
    case replay(status: Int, body: [UInt8])
    /// The same key came with a different request body.
    case bodyMismatch
    /// The first request with this key is still running.
    case inFlight
}

/// Idempotency records in PostgreSQL, keyed by (caller, key).
public enum IdempotencyStore {
    /// How long an in-flight claim is honoured before a retry may take it over (a crashed replica).
    public static let lease: Duration = .seconds(60)

    public static func claim(
        callerID: UUID, key: String, method: String, route: String, requestHash: [UInt8], database: Database
    ) async throws -> IdempotencyClaim {
        let leaseSeconds = Int(lease.components.seconds)
        // Fast path, one round trip: a new key is claimed by a single autocommit INSERT.
        let claimed = try await database.executePrepared("""
            INSERT INTO idempotency_keys (caller_id, idempotency_key, method, route, request_hash, state, locked_until)
            VALUES (\(callerID), \(key), \(method), \(route), \(ByteBuffer(bytes: requestHash)), 'in_flight', now() + make_interval(secs => \(leaseSeconds)))
            ON CONFLICT (caller_id, idempotency_key) DO NOTHING
            RETURNING 1
            """, returning: Int.self)
        if !claimed.isEmpty { return .acquired }
        // The key exists: read it under a row lock (a released key is simply absent: report in flight, retry).
        return try await database.transaction { connection in
            let rows = try await connection.query("""
                SELECT method, route, request_hash, state, response_status, response_body, locked_until < now()
                FROM idempotency_keys WHERE caller_id = \(callerID) AND idempotency_key = \(key) FOR UPDATE
                """, logger: database.logger)
            for try await (m, r, hash, state, status, body, expired) in rows.decode(
                (String, String, ByteBuffer, String, Int?, ByteBuffer?, Bool).self
            ) {
                guard m == method, r == route, Array(hash.readableBytesView) == requestHash else { return .bodyMismatch }
                if state == "completed", let status { return .replay(status: status, body: body.map { Array($0.readableBytesView) } ?? []) }
                if expired {
                    try await connection.query("""
                        UPDATE idempotency_keys SET locked_until = now() + make_interval(secs => \(leaseSeconds))
                        WHERE caller_id = \(callerID) AND idempotency_key = \(key)
                        """, logger: database.logger)
                    return .acquired
                }
                return .inFlight
            }
            return .inFlight
        }
    }

    /// Stores the final response for replay.
    public static func complete(callerID: UUID, key: String, status: Int, body: [UInt8], database: Database) async throws {
        _ = try await database.executePrepared("""
            UPDATE idempotency_keys SET state = 'completed', response_status = \(status), response_body = \(ByteBuffer(bytes: body)), completed_at = now()
            WHERE caller_id = \(callerID) AND idempotency_key = \(key)
            RETURNING 1
            """, returning: Int.self)
    }

    /// Forgets an in-flight claim whose request failed without a definitive answer, so a retry can run.
    public static func release(callerID: UUID, key: String, database: Database) async throws {
        try await database.execute("""
            DELETE FROM idempotency_keys WHERE caller_id = \(callerID) AND idempotency_key = \(key) AND state = 'in_flight'
            """)
    }
}
