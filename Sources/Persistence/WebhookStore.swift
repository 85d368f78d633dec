import Domain
import Foundation
import Logging
import PostgresNIO

/// A webhook endpoint as stored (the secret is read only by the delivery worker).
public struct WebhookEndpointRecord: Sendable {
    public let id: UUID
    public let url: String
    public let eventTypes: [String]
    public let description: String?
    public let status: String
    public let disabledReason: String?
    public let consecutiveFailures: Int
    public let failingSince: Date?
    public let lastSuccessAt: Date?
    public let createdAt: Date
}

/// One delivery of one event to one endpoint.
public struct WebhookDeliveryRecord: Sendable {
    public let id: UUID
    public let endpointID: UUID
    public let eventID: UUID
    public let eventType: String
    public let status: String
    public let attempts: Int
    public let nextAttemptAt: Date?
    public let lastStatus: Int?
    public let lastError: String?
    public let createdAt: Date
    public let completedAt: Date?
}

/// A delivery claimed by a worker: what to send, where, and how to sign it.
public struct DueDelivery: Sendable {
    public let id: UUID
    public let endpointID: UUID
    public let url: String
    public let secret: String
    public let eventID: UUID
    public let eventType: String
    public let body: String
    public let attempts: Int
    public let createdAt: Date
}

/// What one attempt came to.
public struct WebhookAttemptOutcome: Sendable {
    public let statusCode: Int?
    public let latencyMilliseconds: Int
    public let error: String?
    public let responseExcerpt: String?
    public let succeeded: Bool

    public init(statusCode: Int?, latencyMilliseconds: Int, error: String?, responseExcerpt: String?, succeeded: Bool) {
        self.statusCode = statusCode
        self.latencyMilliseconds = latencyMilliseconds
        self.error = error.map { String($0.prefix(1000)) }
        self.responseExcerpt = responseExcerpt.map { String($0.prefix(1000)) }
        self.succeeded = succeeded
    }
}

public enum WebhookStore {
    static let endpointColumns = """
        id, url, event_types, description, status, disabled_reason, consecutive_failures, failing_since, last_success_at, created_at
        """

    static func decodeEndpoint(_ r: PostgresRandomAccessRow) throws -> WebhookEndpointRecord {
        WebhookEndpointRecord(
            id: try r["id"].decode(UUID.self), url: try r["url"].decode(String.self), eventTypes: try r["event_types"].decode([String].self),
            description: try r["description"].decode(String?.self), status: try r["status"].decode(String.self),
            disabledReason: try r["disabled_reason"].decode(String?.self),
            consecutiveFailures: Int(try r["consecutive_failures"].decode(Int32.self)),
            failingSince: try r["failing_since"].decode(Date?.self), lastSuccessAt: try r["last_success_at"].decode(Date?.self),
            createdAt: try r["created_at"].decode(Date.self))
    }

    public static func createEndpoint(
        id: UUID, url: String, eventTypes: [String], description: String?, secret: String, on c: PostgresConnection, logger: Logger
    ) async throws -> WebhookEndpointRecord {
        let rows = try await c.query("""
            INSERT INTO webhook_endpoints (id, url, event_types, description, secret)
            VALUES (\(id), \(url), \(eventTypes)::text[], \(description), \(secret))
            RETURNING \(unescaped: endpointColumns)
            """, logger: logger)
        for try await row in rows { return try decodeEndpoint(row.makeRandomAccess()) }
        throw EventStoreError.corrupt("webhook endpoint \(id) not returned")
    }

    public static func endpoint(id: UUID, forUpdate: Bool = false, on c: PostgresConnection, logger: Logger) async throws -> WebhookEndpointRecord? {
        let rows = try await c.query("""
            SELECT \(unescaped: endpointColumns) FROM webhook_endpoints WHERE id = \(id) AND deleted_at IS NULL
            \(unescaped: forUpdate ? "FOR UPDATE" : "")
            """, logger: logger)
        for try await row in rows { return try decodeEndpoint(row.makeRandomAccess()) }
        return nil
    }

    /// Live endpoints, newest first.
    public static func endpoints(_ page: PageRequest, on c: PostgresConnection, logger: Logger) async throws -> [(WebhookEndpointRecord, PageCursor)] {
        let key = NewestFirst.key(page)
        let rows = try await c.query("""
            SELECT \(unescaped: endpointColumns), \(unescaped: NewestFirst.keyColumn("created_at")) FROM webhook_endpoints
            WHERE deleted_at IS NULL
              AND (\(key)::timestamptz IS NULL OR (created_at, id) < (\(key)::timestamptz, \(page.after?.id)::uuid))
            ORDER BY created_at DESC, id DESC LIMIT \(page.fetchLimit)
            """, logger: logger)
        return try await NewestFirst.decode(rows, id: \.id, decodeEndpoint)
    }

    /// Changes what is given; re-enabling clears the failure record.
    public static func updateEndpoint(
        id: UUID, url: String?, eventTypes: [String]?, description: String?, status: String?, on c: PostgresConnection, logger: Logger
    ) async throws -> WebhookEndpointRecord? {
        let rows = try await c.query("""
            UPDATE webhook_endpoints SET
                url = COALESCE(\(url), url),
                event_types = COALESCE(\(eventTypes)::text[], event_types),
                description = COALESCE(\(description), description),
                status = COALESCE(\(status), status),
                disabled_reason = CASE WHEN \(status)::text = 'disabled' THEN 'disabled by an operator'
                                       WHEN \(status)::text = 'enabled' THEN NULL ELSE disabled_reason END,
                consecutive_failures = CASE WHEN \(status)::text = 'enabled' THEN 0 ELSE consecutive_failures END,
                failing_since = CASE WHEN \(status)::text = 'enabled' THEN NULL ELSE failing_since END,
                updated_at = now()
            WHERE id = \(id) AND deleted_at IS NULL
            RETURNING \(unescaped: endpointColumns)
            """, logger: logger)
        for try await row in rows { return try decodeEndpoint(row.makeRandomAccess()) }
        return nil
    }

    /// Deletes an endpoint (kept for its delivery history); its pending deliveries stop.
    public static func deleteEndpoint(id: UUID, on c: PostgresConnection, logger: Logger) async throws -> Bool {
        let deleted = try await c.query("""
            UPDATE webhook_endpoints SET deleted_at = now(), status = 'disabled', disabled_reason = 'deleted', updated_at = now()
            WHERE id = \(id) AND deleted_at IS NULL RETURNING id
            """, logger: logger).all(UUID.self)
        guard !deleted.isEmpty else { return false }
        try await c.query("""
            UPDATE webhook_deliveries SET status = 'failed', last_error = 'endpoint deleted', completed_at = now()
            WHERE endpoint_id = \(id) AND status = 'pending'
            """, logger: logger)
        return true
    }

    /// Claims up to `limit` due deliveries of enabled endpoints: each moves its next attempt `lease`
    /// ahead first (committed), so a worker that dies mid-attempt leaves it to be retried then.
    public static func claimDue(limit: Int, lease: Duration, on c: PostgresConnection, logger: Logger) async throws -> [DueDelivery] {
        let rows = try await c.query("""
            WITH due AS (
                SELECT d.id FROM webhook_deliveries d
                JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.status = 'enabled' AND e.deleted_at IS NULL
                WHERE d.status = 'pending' AND d.next_attempt_at <= now()
                ORDER BY d.next_attempt_at LIMIT \(limit) FOR UPDATE OF d SKIP LOCKED
            )
            UPDATE webhook_deliveries d
               SET next_attempt_at = now() + make_interval(secs => \(Double(lease.components.seconds))), attempts = d.attempts + 1
              FROM due, webhook_endpoints e, events ev
             WHERE d.id = due.id AND e.id = d.endpoint_id AND ev.seq = d.event_seq
            RETURNING d.id, d.endpoint_id, e.url, e.secret, ev.id, ev.type, ev.body, d.attempts, d.created_at
            """, logger: logger)
        var out: [DueDelivery] = []
        for try await (id, endpointID, url, secret, eventID, type, body, attempts, created)
            in rows.decode((UUID, UUID, String, String, UUID, String, String, Int32, Date).self) {
            out.append(DueDelivery(id: id, endpointID: endpointID, url: url, secret: secret, eventID: eventID, eventType: type, body: body,
                                   attempts: Int(attempts), createdAt: created))
        }
        return out
    }

    /// Records an attempt and its consequence: success completes the delivery and clears the
    /// endpoint's failure record; a failure schedules `retryAt` (nil: the window closed, the
    /// delivery failed), counts against the endpoint, and disables it once it has been failing
    /// since before `disableIfFailingSince`.
    public static func recordAttempt(
        _ d: DueDelivery, outcome: WebhookAttemptOutcome, attemptedAt: Date, retryAt: Date?, disableIfFailingSince: Date,
        on c: PostgresConnection, logger: Logger
    ) async throws {
        try await c.query("""
            INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, latency_ms, error, response_body)
            VALUES (\(d.id), \(attemptedAt), \(outcome.statusCode.map(Int32.init)), \(Int32(clamping: outcome.latencyMilliseconds)),
                    \(outcome.error), \(outcome.responseExcerpt))
            """, logger: logger)
        if outcome.succeeded {
            try await c.query("""
                UPDATE webhook_deliveries SET status = 'succeeded', completed_at = now(), last_status = \(outcome.statusCode.map(Int32.init)),
                       last_error = NULL
                WHERE id = \(d.id) AND status = 'pending'
                """, logger: logger)
            try await c.query("""
                UPDATE webhook_endpoints SET consecutive_failures = 0, failing_since = NULL, last_success_at = now() WHERE id = \(d.endpointID)
                """, logger: logger)
            return
        }
        try await c.query("""
            UPDATE webhook_deliveries
               SET status = CASE WHEN \(retryAt)::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
                   next_attempt_at = COALESCE(\(retryAt)::timestamptz, next_attempt_at),
                   completed_at = CASE WHEN \(retryAt)::timestamptz IS NULL THEN now() END,
                   last_status = \(outcome.statusCode.map(Int32.init)), last_error = \(outcome.error)
             WHERE id = \(d.id) AND status = 'pending'
            """, logger: logger)
        try await c.query("""
            UPDATE webhook_endpoints
               SET consecutive_failures = consecutive_failures + 1,
                   failing_since = COALESCE(failing_since, \(attemptedAt)),
                   status = CASE WHEN COALESCE(failing_since, \(attemptedAt)) <= \(disableIfFailingSince) THEN 'disabled' ELSE status END,
                   disabled_reason = CASE WHEN COALESCE(failing_since, \(attemptedAt)) <= \(disableIfFailingSince)
                                          THEN 'failing since ' || to_char(COALESCE(failing_since, \(attemptedAt)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                                          ELSE disabled_reason END,
                   updated_at = now()
             WHERE id = \(d.endpointID) AND deleted_at IS NULL
            """, logger: logger)
    }

    static let deliveryColumns = """
        d.id, d.endpoint_id, ev.id AS event_id, ev.type AS event_type, d.status, d.attempts,
        CASE WHEN d.status = 'pending' THEN d.next_attempt_at END AS next_attempt_at, d.last_status, d.last_error, d.created_at, d.completed_at
        """

    static func decodeDelivery(_ r: PostgresRandomAccessRow) throws -> WebhookDeliveryRecord {
        WebhookDeliveryRecord(
            id: try r["id"].decode(UUID.self), endpointID: try r["endpoint_id"].decode(UUID.self), eventID: try r["event_id"].decode(UUID.self),
            eventType: try r["event_type"].decode(String.self), status: try r["status"].decode(String.self),
            attempts: Int(try r["attempts"].decode(Int32.self)), nextAttemptAt: try r["next_attempt_at"].decode(Date?.self),
            lastStatus: try r["last_status"].decode(Int32?.self).map(Int.init), lastError: try r["last_error"].decode(String?.self),
            createdAt: try r["created_at"].decode(Date.self), completedAt: try r["completed_at"].decode(Date?.self))
    }

    /// An endpoint's deliveries, newest first.
    public static func deliveries(endpointID: UUID, _ page: PageRequest, on c: PostgresConnection, logger: Logger)
        async throws -> [(WebhookDeliveryRecord, PageCursor)] {
        let key = NewestFirst.key(page)
        let rows = try await c.query("""
            SELECT \(unescaped: deliveryColumns), \(unescaped: NewestFirst.keyColumn("d.created_at"))
            FROM webhook_deliveries d JOIN events ev ON ev.seq = d.event_seq
            WHERE d.endpoint_id = \(endpointID)
              AND (\(key)::timestamptz IS NULL OR (d.created_at, d.id) < (\(key)::timestamptz, \(page.after?.id)::uuid))
            ORDER BY d.created_at DESC, d.id DESC LIMIT \(page.fetchLimit)
            """, logger: logger)
        return try await NewestFirst.decode(rows, id: \.id, decodeDelivery)
    }

    public static func delivery(id: UUID, on c: PostgresConnection, logger: Logger) async throws -> WebhookDeliveryRecord? {
        let rows = try await c.query("""
            SELECT \(unescaped: deliveryColumns) FROM webhook_deliveries d JOIN events ev ON ev.seq = d.event_seq WHERE d.id = \(id)
            """, logger: logger)
        for try await row in rows { return try decodeDelivery(row.makeRandomAccess()) }
        return nil
    }

    /// The attempts of a delivery, oldest first.
    public static func attempts(deliveryID: UUID, on c: PostgresConnection, logger: Logger)
        async throws -> [(attemptedAt: Date, statusCode: Int?, latencyMilliseconds: Int, error: String?, response: String?)] {
        let rows = try await c.query("""
            SELECT attempted_at, status_code, latency_ms, error, response_body FROM webhook_attempts
            WHERE delivery_id = \(deliveryID) ORDER BY id LIMIT 500
            """, logger: logger)
        var out: [(attemptedAt: Date, statusCode: Int?, latencyMilliseconds: Int, error: String?, response: String?)] = []
        for try await (at, status, latency, error, response) in rows.decode((Date, Int32?, Int32, String?, String?).self) {
            out.append((at, status.map(Int.init), Int(latency), error, response))
        }
        return out
    }

    /// Sends a delivery again as soon as a worker is free (whatever it came to before); false when
    /// there is no such delivery or its endpoint was deleted.
    public static func redeliver(id: UUID, on c: PostgresConnection, logger: Logger) async throws -> Bool {
        try await !c.query("""
            UPDATE webhook_deliveries d SET status = 'pending', next_attempt_at = now(), completed_at = NULL
            FROM webhook_endpoints e
            WHERE d.id = \(id) AND e.id = d.endpoint_id AND e.deleted_at IS NULL RETURNING d.id
            """, logger: logger).all(UUID.self).isEmpty
    }
}
