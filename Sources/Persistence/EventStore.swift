import Domain
import Foundation
import Logging
import PostgresNIO

/// One stored event: its envelope's columns and its JSON text exactly as delivered.
public struct EventRecord: Sendable {
    public let seq: Int64
    public let id: UUID
    public let type: String
    public let objectType: String
    public let objectID: String
    public let businessDate: BusinessDate
    public let createdAt: Date
    public let body: String
}

/// An event to append: its envelope's columns and its JSON text.
public struct NewEvent: Sendable {
    public let id: UUID
    public let type: String
    public let objectType: String
    public let objectID: String
    public let businessDate: BusinessDate
    public let createdAt: Date
    public let body: String

    public init(id: UUID, type: String, objectType: String, objectID: String, businessDate: BusinessDate, createdAt: Date, body: String) {
        self.id = id
        self.type = type
        self.objectType = objectType
        self.objectID = objectID
        self.businessDate = businessDate
        self.createdAt = createdAt
        self.body = body
    }
}

/// The transactional outbox: events are appended by the use case's own transaction and read back
/// by the API (`/v1/events`); deliveries are fanned out as they are appended.
public enum EventStore {
    /// Appends events on the use case's connection (inside its transaction) and, in the same
    /// statement, one delivery for each enabled webhook endpoint that wants the event's type.
    /// Inside a request transaction the events wait for the request's last statement
    /// (`WaitingWrites`): same transaction, no round trip of their own.
    public static func append(_ events: [NewEvent], on c: PostgresConnection, logger: Logger) async throws {
        guard !events.isEmpty else { return }
        if let waiting = WaitingWrites.on(c) {
            waiting.add(events)
            return
        }
        try await write(events, on: c, logger: logger)
    }

    /// Writes events now (and fans them out), in one prepared statement.
    static func write(_ events: [NewEvent], on c: PostgresConnection, logger: Logger) async throws {
        guard !events.isEmpty else { return }
        // Prepared (parsed and planned once per connection): a night writes many.
        try await c.prepared(WaitingWrites.statement(events: events, inserts: []) { $0.appendLiteral("SELECT count(*) FROM ev") },
                             logger: logger)
    }

    /// `ev AS (INSERT the events), fanned AS (INSERT their deliveries)`: two data-modifying CTEs.
    static func appendCTEs(_ events: [NewEvent], to s: inout PreparedSQL.StringInterpolation) {
        s.appendLiteral("""
            ev AS (
                INSERT INTO events (id, type, object_type, object_id, business_date, created_at, body)
                SELECT * FROM unnest(
            """)
        s.appendInterpolation(events.map(\.id)); s.appendLiteral("::uuid[], ")
        s.appendInterpolation(events.map(\.type)); s.appendLiteral("::text[], ")
        s.appendInterpolation(events.map(\.objectType)); s.appendLiteral("::text[], ")
        s.appendInterpolation(events.map(\.objectID)); s.appendLiteral("::text[], ")
        s.appendInterpolation(events.map(\.businessDate.description)); s.appendLiteral("::date[], ")
        s.appendInterpolation(events.map(\.createdAt)); s.appendLiteral("::timestamptz[], ")
        s.appendInterpolation(events.map(\.body)); s.appendLiteral("::text[])")
        s.appendLiteral("""

                RETURNING seq, type
            ), fanned AS (
                INSERT INTO webhook_deliveries (id, endpoint_id, event_seq, next_attempt_at)
                SELECT gen_random_uuid(), e.id, ev.seq, now()
                FROM ev JOIN webhook_endpoints e
                  ON e.deleted_at IS NULL AND e.status = 'enabled' AND ('*' = ANY(e.event_types) OR ev.type = ANY(e.event_types))
            )
            """)
    }

    static let columns = "seq, id, type, object_type, object_id, business_date::text, created_at, body"

    static func decode(_ r: PostgresRandomAccessRow) throws -> EventRecord {
        let dateText = try r["business_date"].decode(String.self)
        guard let date = BusinessDate(dateText) else { throw EventStoreError.corrupt("business_date \(dateText)") }
        return EventRecord(seq: try r["seq"].decode(Int64.self), id: try r["id"].decode(UUID.self),
                           type: try r["type"].decode(String.self), objectType: try r["object_type"].decode(String.self),
                           objectID: try r["object_id"].decode(String.self), businessDate: date,
                           createdAt: try r["created_at"].decode(Date.self), body: try r["body"].decode(String.self))
    }

    /// Events newest first (by sequence), optionally of some types and of one object.
    public static func events(
        types: [String], objectType: String?, objectID: String?, _ page: PageRequest, on c: PostgresConnection, logger: Logger
    ) async throws -> [(EventRecord, PageCursor)] {
        let before = page.after.flatMap { Int64($0.key) }
        let rows = try await c.query("""
            SELECT \(unescaped: columns) FROM events
            WHERE (cardinality(\(types)::text[]) = 0 OR type = ANY(\(types)::text[]))
              AND (\(objectType)::text IS NULL OR object_type = \(objectType))
              AND (\(objectID)::text IS NULL OR object_id = \(objectID))
              AND (\(before)::bigint IS NULL OR seq < \(before))
            ORDER BY seq DESC LIMIT \(page.fetchLimit)
            """, logger: logger)
        var out: [(EventRecord, PageCursor)] = []
        for try await row in rows {
            let event = try decode(row.makeRandomAccess())
            out.append((event, PageCursor(key: String(event.seq), id: event.id)))
        }
        return out
    }

    public static func event(id: UUID, on c: PostgresConnection, logger: Logger) async throws -> EventRecord? {
        let rows = try await c.query("SELECT \(unescaped: columns) FROM events WHERE id = \(id)", logger: logger)
        for try await row in rows { return try decode(row.makeRandomAccess()) }
        return nil
    }
}

public enum EventStoreError: Error, CustomStringConvertible {
    case corrupt(String)
    public var description: String {
        switch self {
        case .corrupt(let what): "stored event is corrupt: \(what)"
        }
    }
}
