import Domain
import Foundation
import Logging
import PostgresNIO

/// A nightly run row.
public struct NightlyRunRecord: Sendable {
    public let id: UUID
    public let businessDate: BusinessDate
    public let attempt: Int
    public let status: String
    public let triggeredBy: String
    public let startedAt: Date
    public let finishedAt: Date?
    public let reportJSON: String?
    public let reportPath: String?
}

/// A step row of a run.
public struct NightlyStepRecord: Sendable {
    public let position: Int
    public let step: String
    public let status: String
    public let countsJSON: String
    public let error: String?
    public let startedAt: Date?
    public let finishedAt: Date?
}

/// Run records: the memory that makes a killed run resume and a finished run stay finished.
public enum NightlyStore {
    /// The advisory-lock key for one business date: one runner per date across all replicas.
    public static func lockKey(_ date: BusinessDate) -> Int64 { 0x4E49_4748_0000_0000 | Int64(date.daysSinceEpoch & 0xFFFF_FFFF) }

    public static func tryLock(_ date: BusinessDate, on c: PostgresConnection, logger: Logger) async throws -> Bool {
        try await c.query("SELECT pg_try_advisory_lock(\(lockKey(date)))", logger: logger).all(Bool.self).first ?? false
    }

    public static func unlock(_ date: BusinessDate, on c: PostgresConnection, logger: Logger) async throws {
        _ = try await c.query("SELECT pg_advisory_unlock(\(lockKey(date)))", logger: logger).all(Bool.self)
    }

    static let columns = "id, business_date::text, attempt, status, triggered_by, started_at, finished_at, report::text, report_path"

    static func decode(_ rows: PostgresRowSequence) async throws -> [NightlyRunRecord] {
        var out: [NightlyRunRecord] = []
        for try await (id, date, attempt, status, by, started, finished, report, path) in rows.decode(
            (UUID, String, Int, String, String, Date, Date?, String?, String?).self
        ) {
            guard let date = BusinessDate(date) else { continue }
            out.append(NightlyRunRecord(id: id, businessDate: date, attempt: attempt, status: status, triggeredBy: by, startedAt: started,
                                        finishedAt: finished, reportJSON: report, reportPath: path))
        }
        return out
    }

    public static func latestRun(for date: BusinessDate, on c: PostgresConnection, logger: Logger) async throws -> NightlyRunRecord? {
        try await decode(try await c.query("""
            SELECT \(unescaped: columns) FROM nightly_runs WHERE business_date = \(date.description)::date ORDER BY attempt DESC LIMIT 1
            """, logger: logger)).first
    }

    /// A page of runs, the newest first (every attempt of every date: by date, then attempt); the
    /// cursor's key is the date and the attempt (`PageCursor(parts:id:)`).
    public static func runs(_ page: PageRequest, on c: PostgresConnection, logger: Logger) async throws -> Page<NightlyRunRecord> {
        let after = page.after?.parts
        let afterDate = after?.first, afterAttempt = after?.last
        let rows = try await decode(try await c.query("""
            SELECT \(unescaped: columns) FROM nightly_runs
            WHERE \(afterDate)::date IS NULL
               OR (business_date, attempt, id) < (\(afterDate)::date, \(afterAttempt)::bigint, \(page.after?.id)::uuid)
            ORDER BY business_date DESC, attempt DESC, id DESC LIMIT \(page.fetchLimit)
            """, logger: logger))
        return Page(fetched: rows.map { ($0, PageCursor(parts: [$0.businessDate.description, String($0.attempt)], id: $0.id)) }, request: page)
    }

    public static func run(id: UUID, on c: PostgresConnection, logger: Logger) async throws -> NightlyRunRecord? {
        try await decode(try await c.query("SELECT \(unescaped: columns) FROM nightly_runs WHERE id = \(id)", logger: logger)).first
    }

    public static func insertRun(id: UUID, date: BusinessDate, attempt: Int, triggeredBy: String, on c: PostgresConnection, logger: Logger) async throws {
        try await c.query("""
            INSERT INTO nightly_runs (id, business_date, attempt, status, triggered_by)
            VALUES (\(id), \(date.description)::date, \(attempt), 'running', \(triggeredBy))
            """, logger: logger)
    }

    public static func setRunStatus(id: UUID, status: String, on c: PostgresConnection, logger: Logger) async throws {
        try await c.query("""
            UPDATE nightly_runs SET status = \(status), finished_at = CASE WHEN \(status) = 'running' THEN NULL ELSE now() END
            WHERE id = \(id)
            """, logger: logger)
    }

    /// Stores the run's report (JSON for the API, the HTML file's path) without touching its status.
    public static func attachReport(id: UUID, reportJSON: String, reportPath: String, on c: PostgresConnection, logger: Logger) async throws {
        try await c.query("""
            UPDATE nightly_runs SET report = \(reportJSON)::jsonb, report_path = \(reportPath) WHERE id = \(id)
            """, logger: logger)
    }

    public static func ensureSteps(runID: UUID, steps: [String], on c: PostgresConnection, logger: Logger) async throws {
        try await c.query("""
            INSERT INTO nightly_steps (run_id, position, step, status)
            SELECT \(runID), p, s, 'pending' FROM unnest(\(Array(1...steps.count))::int[], \(steps)::text[]) AS t(p, s)
            ON CONFLICT (run_id, step) DO NOTHING
            """, logger: logger)
    }

    public static func steps(runID: UUID, on c: PostgresConnection, logger: Logger) async throws -> [NightlyStepRecord] {
        var out: [NightlyStepRecord] = []
        for try await (position, step, status, counts, error, started, finished) in try await c.query("""
            SELECT position, step, status, counts::text, error, started_at, finished_at FROM nightly_steps WHERE run_id = \(runID) ORDER BY position
            """, logger: logger).decode((Int, String, String, String, String?, Date?, Date?).self) {
            out.append(NightlyStepRecord(position: position, step: step, status: status, countsJSON: counts, error: error,
                                         startedAt: started, finishedAt: finished))
        }
        return out
    }

    public static func markStep(runID: UUID, step: String, status: String, countsJSON: String? = nil, error: String? = nil,
                                on c: PostgresConnection, logger: Logger) async throws {
        try await c.query("""
            UPDATE nightly_steps SET status = \(status), counts = COALESCE(\(countsJSON)::jsonb, counts), error = \(error),
                   started_at = CASE WHEN \(status) = 'running' THEN now() ELSE started_at END,
                   finished_at = CASE WHEN \(status) IN ('completed', 'failed') THEN now() ELSE NULL END
            WHERE run_id = \(runID) AND step = \(step)
            """, logger: logger)
    }
}
