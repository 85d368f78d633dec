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
    public static func append(_ events: [NewEvent], on c: PostgresConnection, logger: Logger) async throws {
        guard !events.isEmpty else { return }
        // Prepared (parsed and planned once per connection): every checkout and financing writes one.
        try await c.prepared("""
            WITH ev AS (
                INSERT INTO events (id, type, object_type, object_id, business_date, created_at, body)
                SELECT * FROM unnest(\(events.map(\.id))::uuid[], \(events.map(\.type))::text[], \(events.map(\.objectType))::text[],
                                     \(events.map(\.objectID))::text[], \(events.map(\.businessDate.description))::date[],
                                     \(events.map(\.createdAt))::timestamptz[], \(events.map(\.body))::text[])
                RETURNING seq, type
            )
            INSERT INTO webhook_deliveries (id, endpoint_id, event_seq, next_attempt_at)
            SELECT gen_random_uuid(), e.id, ev.seq, now()
            FROM ev JOIN webhook_endpoints e
              ON e.deleted_at IS NULL AND e.status = 'enabled' AND ('*' = ANY(e.event_types) OR ev.type = ANY(e.event_types))
            """, logger: logger)
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
