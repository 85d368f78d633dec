import Foundation
import Logging
import PostgresNIO

/// What the store says about an `Idempotency-Key` when a request arrives.
public enum IdempotencyClaim: Sendable, Equatable {
    /// This request owns the key now, inside its transaction: run it and `complete` before commit.
    case acquired
    /// An earlier request with this key committed; replay its response.
    case replay(status: Int, body: [UInt8])
    /// The same key came with a different request.
    case bodyMismatch
}

/// The first request with this key is still running (its transaction holds the key longer than
/// `IdempotencyStore.claimWait`).
public struct IdempotencyKeyInFlight: Error {}

/// Idempotency records in PostgreSQL, keyed by (caller, key), written inside the request's own
/// business transaction: the claim is its first statement and the response its last, so a crash
/// at any point leaves either no record and no business change (a retry runs fresh) or both (a
/// retry replays the answer). There is no lease: an uncommitted claim is invisible to others, and
/// a concurrent duplicate simply waits on the unique key.
public enum IdempotencyStore {
    /// How long a concurrent duplicate waits for the first request's transaction before it is told
    /// 409 "in flight". Set as the transaction's `lock_timeout` by the claim itself, so it also
    /// bounds the request's other lock waits (a request that waits longer for a row is retried or
    /// answered 503, never left hanging).
    public static let claimWait = "2s"

    /// How long records are kept for replay; the nightly run deletes older ones. After that a retry
    /// is still safe (every money-moving use case also has a unique business key), it just gets
    /// that key's 409 instead of the original answer.
    public static let retention: Duration = .seconds(24 * 3600)

    /// Claims the key as the first statement of the request transaction on `c`.
    public static func claim(
        callerID: UUID, key: String, method: String, route: String, requestHash: [UInt8],
        on c: PostgresConnection, logger: Logger
    ) async throws -> IdempotencyClaim {
        let claimed: [Int]
        do {
            // One round trip: set this transaction's lock timeout, then insert. A committed row makes
            // the insert do nothing; an uncommitted one (a duplicate in flight) makes it wait, for at
            // most `claimWait`.
            claimed = try await c.prepared("""
                WITH wait AS (SELECT set_config('lock_timeout', \(claimWait), true))
                INSERT INTO idempotency_keys (caller_id, idempotency_key, method, route, request_hash, state)
                SELECT \(callerID), \(key), \(method), \(route), \(ByteBuffer(bytes: requestHash)), 'in_flight' FROM wait
                ON CONFLICT (caller_id, idempotency_key) DO NOTHING
                RETURNING 1
                """, logger: logger).all(Int.self)
        } catch let error as PSQLError where error.sqlState == "55P03" {
            throw IdempotencyKeyInFlight()
        }
        if !claimed.isEmpty { return .acquired }
        // The key was committed by an earlier request (this statement sees it: a new snapshot).
        let rows = try await c.prepared("""
            SELECT method, route, request_hash, coalesce(response_status, 0), coalesce(response_body, ''::bytea)
            FROM idempotency_keys WHERE caller_id = \(callerID) AND idempotency_key = \(key)
            """, logger: logger)
        for try await (m, r, hash, status, body) in rows.decode((String, String, ByteBuffer, Int, ByteBuffer).self) {
            guard m == method, r == route, Array(hash.readableBytesView) == requestHash else { return .bodyMismatch }
            guard status > 0 else { throw IdempotencyKeyInFlight() }
            return .replay(status: status, body: Array(body.readableBytesView))
        }
        // Deleted by the retention sweep between the two statements: treat it as in flight (retry).
        throw IdempotencyKeyInFlight()
    }

    /// Stores the response for replay, as the last statement before COMMIT. The inserts the request
    /// held back (its events, its payment orders) are written by this same statement (`WaitingWrites`).
    public static func complete(
        callerID: UUID, key: String, status: Int, body: [UInt8], on c: PostgresConnection, logger: Logger
    ) async throws {
        let update = { (s: inout PreparedSQL.StringInterpolation) in
            s.appendLiteral("UPDATE idempotency_keys SET state = 'completed', response_status = ")
            s.appendInterpolation(status)
            s.appendLiteral(", response_body = ")
            s.appendInterpolation(ByteBuffer(bytes: body))
            s.appendLiteral(", completed_at = now() WHERE caller_id = ")
            s.appendInterpolation(callerID)
            s.appendLiteral(" AND idempotency_key = ")
            s.appendInterpolation(key)
        }
        try await c.prepared(WaitingWrites.carried(by: update, on: c), logger: logger)
    }

    /// Records a definitive refusal (a 4xx whose business change was rolled back) in a transaction
    /// of its own, so a retry with the key gets the same answer. If another request took the key
    /// meanwhile, its record stands.
    public static func recordRefusal(
        callerID: UUID, key: String, method: String, route: String, requestHash: [UInt8], status: Int, body: [UInt8],
        database: Database
    ) async throws {
        try await database.transaction { c in
            try await c.prepared("""
                INSERT INTO idempotency_keys (caller_id, idempotency_key, method, route, request_hash, state, response_status,
                                              response_body, completed_at)
                VALUES (\(callerID), \(key), \(method), \(route), \(ByteBuffer(bytes: requestHash)), 'completed', \(status),
                        \(ByteBuffer(bytes: body)), now())
                ON CONFLICT (caller_id, idempotency_key) DO NOTHING
                """, logger: database.logger)
        }
    }

    /// Deletes records older than `retention` in batches; returns how many were deleted.
    public static func sweep(olderThan cutoff: Date, batch: Int = 10_000, database: Database) async throws -> Int {
        var total = 0
        while true {
            let deleted = try await database.transaction { c in
                try await c.query("""
                    WITH old AS (
                        SELECT caller_id, idempotency_key FROM idempotency_keys WHERE created_at < \(cutoff)
                        ORDER BY created_at LIMIT \(batch) FOR UPDATE SKIP LOCKED
                    )
                    DELETE FROM idempotency_keys k USING old
                    WHERE k.caller_id = old.caller_id AND k.idempotency_key = old.idempotency_key
                    RETURNING 1
                    """, logger: database.logger).all(Int.self).count
            }
            total += deleted
            if deleted < batch { return total }
        }
    }
}
