import Foundation
import Logging
import PostgresNIO

/// What operations watches between requests, read at `/metrics` scrape time: small, indexed reads only.
public struct OperationsReadings: Sendable {
    /// Reconciliation exceptions not yet resolved, by kind.
    public var openExceptions: [(kind: String, count: Int64)] = []
    /// The latest nightly run's steps and how long each took (finished steps only).
    public var lastNightlySteps: [(step: String, seconds: Double)] = []
    /// The latest nightly run's business date as days since 1970-01-01 (nil before the first run).
    public var lastNightlyBusinessDay: Int64?
    /// Webhook deliveries not yet sent or still being retried, and how long the oldest has waited.
    public var pendingWebhookDeliveries: Int64 = 0
    public var oldestPendingWebhookSeconds: Double = 0
    /// Webhook endpoints (not deleted) by state: enabled, failing (enabled but not answering) or disabled.
    public var webhookEndpoints: [(state: String, count: Int64)] = []

    public init() {}
}

public enum OperationsStore {
    public static func readings(on connection: PostgresConnection, logger: Logger) async throws -> OperationsReadings {
        var out = OperationsReadings()
        for try await (kind, count) in try await connection.query("""
            SELECT kind, count(*) FROM reconciliation_exceptions WHERE state <> 'resolved' GROUP BY kind ORDER BY kind
            """, logger: logger).decode((String, Int64).self) {
            out.openExceptions.append((kind, count))
        }
        for try await (step, seconds, day) in try await connection.query("""
            WITH last AS (SELECT id, business_date FROM nightly_runs ORDER BY started_at DESC LIMIT 1)
            SELECT s.step, COALESCE(EXTRACT(EPOCH FROM (s.finished_at - s.started_at)), 0)::float8,
                   (last.business_date - DATE '1970-01-01')::int8
            FROM last LEFT JOIN nightly_steps s ON s.run_id = last.id AND s.finished_at IS NOT NULL
            ORDER BY s.position
            """, logger: logger).decode((String?, Double, Int64).self) {
            out.lastNightlyBusinessDay = day
            if let step { out.lastNightlySteps.append((step, seconds)) }
        }
        // Pending deliveries are the partial index `webhook_deliveries_due`; delivered ones are never counted here.
        for try await (pending, oldest) in try await connection.query("""
            SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8
            FROM webhook_deliveries WHERE status = 'pending'
            """, logger: logger).decode((Int64, Double).self) {
            out.pendingWebhookDeliveries = pending
            out.oldestPendingWebhookSeconds = oldest
        }
        for try await (state, count) in try await connection.query("""
            SELECT s.state, count(e.id)
            FROM (VALUES ('enabled'), ('failing'), ('disabled')) s (state)
            LEFT JOIN webhook_endpoints e ON e.deleted_at IS NULL
             AND s.state = CASE WHEN e.status = 'disabled' THEN 'disabled' WHEN e.failing_since IS NOT NULL THEN 'failing' ELSE 'enabled' END
            GROUP BY s.state ORDER BY s.state
            """, logger: logger).decode((String, Int64).self) {
            out.webhookEndpoints.append((state, count))
        }
        return out
    }
}
