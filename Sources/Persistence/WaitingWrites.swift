import Logging
import PostgresNIO
import Synchronization

/// An insert a request transaction may hold back for its last statement: written as one
/// data-modifying CTE (`name AS (INSERT …)`) into that statement's text.
public protocol DeferredInsert: Sendable {
    func appendCTE(named name: String, to s: inout PreparedSQL.StringInterpolation)
}

/// Inserts a request transaction holds back: its events and other write-only rows (payment
/// orders) that nothing in the request reads again. The request's last statement, the one that
/// stores the idempotent answer (`IdempotencyStore.complete`), carries them as data-modifying CTEs
/// ahead of its own `UPDATE`, so they commit in the same transaction without a round trip each.
/// PostgreSQL runs every data-modifying CTE to completion whether or not the main statement reads
/// it. Whatever is still waiting when the request's body returns is written before COMMIT
/// (`flush`), so nothing is lost on a path that does not store an answer; a rollback drops it
/// with the rest of the request.
final class WaitingWrites: Sendable {
    private let state = Mutex<(events: [NewEvent], inserts: [any DeferredInsert])>(([], []))

    /// The waiting writes of the request transaction running on `c`, if any.
    static func on(_ c: PostgresConnection) -> WaitingWrites? {
        guard let request = RequestTransaction.current, request.connection === c else { return nil }
        return request.waiting
    }

    func add(_ events: [NewEvent]) { state.withLock { $0.events.append(contentsOf: events) } }
    func add(_ insert: any DeferredInsert) { state.withLock { $0.inserts.append(insert) } }

    func take() -> (events: [NewEvent], inserts: [any DeferredInsert]) {
        state.withLock { taken in
            defer { taken = ([], []) }
            return taken
        }
    }

    /// `WITH <events' CTEs>, w1 AS (…), … <main>`; just `main` when nothing waits.
    static func statement(
        events: [NewEvent], inserts: [any DeferredInsert], then main: (inout PreparedSQL.StringInterpolation) -> Void
    ) -> PreparedSQL {
        var s = PreparedSQL.StringInterpolation(literalCapacity: 1200, interpolationCount: 16)
        if !events.isEmpty || !inserts.isEmpty {
            s.appendLiteral("WITH ")
            if !events.isEmpty { EventStore.appendCTEs(events, to: &s) }
            for (index, insert) in inserts.enumerated() {
                if index > 0 || !events.isEmpty { s.appendLiteral(", ") }
                insert.appendCTE(named: "w\(index + 1)", to: &s)
            }
            s.appendLiteral("\n")
        }
        main(&s)
        return PreparedSQL(stringInterpolation: s)
    }

    /// The statement `main` with whatever the request transaction on `c` holds waiting.
    static func carried(by main: (inout PreparedSQL.StringInterpolation) -> Void, on c: PostgresConnection) -> PreparedSQL {
        let (events, inserts) = on(c)?.take() ?? ([], [])
        return statement(events: events, inserts: inserts, then: main)
    }

    /// Holds `insert` back for the last statement of the request transaction on `c`, or, outside
    /// one (a nightly step, a test), writes it now on its own.
    static func write(_ insert: any DeferredInsert, on c: PostgresConnection, logger: Logger) async throws {
        if let waiting = on(c) {
            waiting.add(insert)
            return
        }
        try await writeNow(insert, on: c, logger: logger)
    }

    /// Writes `insert` now, in a statement of its own (for a write the request reads again).
    static func writeNow(_ insert: any DeferredInsert, on c: PostgresConnection, logger: Logger) async throws {
        try await c.prepared(statement(events: [], inserts: [insert]) { $0.appendLiteral("SELECT 1") }, logger: logger)
    }

    /// Writes what the request transaction on `c` still holds (before its COMMIT).
    static func flush(on c: PostgresConnection, logger: Logger) async throws {
        guard let waiting = on(c) else { return }
        let (events, inserts) = waiting.take()
        guard !events.isEmpty || !inserts.isEmpty else { return }
        try await c.prepared(statement(events: events, inserts: inserts) { $0.appendLiteral("SELECT 1") }, logger: logger)
    }
}
