import Domain
import Foundation
import Logging
import Persistence
import PostgresNIO
import Services

/// One step of the close of business: idempotent, so running it again after a crash books nothing twice.
public struct NightlyStep: Sendable {
    public let name: String
    public let run: @Sendable (BusinessDate) async throws -> [String: Int64]

    public init(_ name: String, _ run: @escaping @Sendable (BusinessDate) async throws -> [String: Int64]) {
        self.name = name
        self.run = run
    }
}

/// What a progress display is told.
public enum NightlyProgress: Sendable {
    case started(step: String, position: Int, of: Int)
    case skipped(step: String, position: Int, of: Int)
    case finished(step: String, position: Int, of: Int, counts: [String: Int64], seconds: Double)
}

/// How a request to run a date ended.
public enum NightlyOutcome: Sendable {
    /// This call ran (or resumed) the date to the end.
    case completed(NightlyRunRecord)
    /// The date was finished before; nothing ran (pass `force` to run it again).
    case alreadyCompleted(NightlyRunRecord)
    /// Another runner holds the date right now (on this or another replica).
    case busy(NightlyRunRecord?)

    public var run: NightlyRunRecord? {
        switch self {
        case .completed(let r), .alreadyCompleted(let r): r
        case .busy(let r): r
        }
    }
}

/// Why a run stopped.
public struct NightlyStepFailure: Error, CustomStringConvertible {
    public let step: String
    public let message: String
    public var description: String { "nightly step \(step) failed: \(message)" }
}

/// Runs the close of business for one business date: ordered, recorded, resumable steps; one
/// runner per date across all replicas (a PostgreSQL advisory lock held for the whole run, plus
/// the run record); a finished date is not run again unless forced.
public struct NightlyRunner: Sendable {
    let database: Database
    let steps: [NightlyStep]
    let logger: Logger
    /// When set, every run is checked against the platform's closable-date rule first.
    let clock: BusinessClock?

    public init(database: Database, steps: [NightlyStep], logger: Logger, clock: BusinessClock? = nil) {
        self.database = database
        self.steps = steps
        self.logger = logger
        self.clock = clock
    }

    /// Refuses a date the platform may not close (not ended yet, or absurdly old), naming `business_date`.
    public func checkClosable(_ date: BusinessDate) throws(ServiceError) {
        guard let clock else { return }
        do {
            try clock.calendar.checkClosable(date, at: clock.now())
        } catch {
            throw .invalid("business_date", error.description)
        }
    }

    public var stepNames: [String] { steps.map(\.name) }

    /// Runs `date`. `onRunRecorded` is called once the run row exists (for callers that answer early).
    public func run(
        date: BusinessDate, force: Bool = false, triggeredBy: String,
        onRunRecorded: @escaping @Sendable (NightlyRunRecord) -> Void = { _ in },
        progress: @escaping @Sendable (NightlyProgress) -> Void = { _ in }
    ) async throws -> NightlyOutcome {
        try checkClosable(date)
        let logger = self.logger
        let steps = self.steps
        let database = self.database
        // The lock lives on one leased connection for the whole run; the steps use other connections.
        return try await database.client.withConnection { lockConnection in
            guard try await NightlyStore.tryLock(date, on: lockConnection, logger: logger) else {
                let current = try await NightlyStore.latestRun(for: date, on: lockConnection, logger: logger)
                // A run that has just finished may hold the lock a moment longer: the date is done, not busy.
                if let current, current.status == "completed", !force { return .alreadyCompleted(current) }
                return .busy(current)
            }
            do {
                let outcome = try await Self.runLocked(date: date, force: force, triggeredBy: triggeredBy, steps: steps, database: database,
                                                       logger: logger, onRunRecorded: onRunRecorded, progress: progress)
                try await NightlyStore.unlock(date, on: lockConnection, logger: logger)
                return outcome
            } catch {
                try? await NightlyStore.unlock(date, on: lockConnection, logger: logger)
                throw error
            }
        }
    }

    static func runLocked(
        date: BusinessDate, force: Bool, triggeredBy: String, steps: [NightlyStep], database: Database, logger: Logger,
        onRunRecorded: @Sendable (NightlyRunRecord) -> Void, progress: @Sendable (NightlyProgress) -> Void
    ) async throws -> NightlyOutcome {
        let latest = try await database.client.withConnection { try await NightlyStore.latestRun(for: date, on: $0, logger: logger) }
        let runID: UUID
        if let latest, latest.status == "completed" {
            guard force else { return .alreadyCompleted(latest) }
            runID = UUID()
            try await database.transaction { c in
                try await NightlyStore.insertRun(id: runID, date: date, attempt: latest.attempt + 1, triggeredBy: triggeredBy, on: c, logger: logger)
            }
        } else if let latest {
            // A run that was killed or failed resumes where it stopped.
            runID = latest.id
            try await database.transaction { c in try await NightlyStore.setRunStatus(id: runID, status: "running", on: c, logger: logger) }
        } else {
            runID = UUID()
            try await database.transaction { c in
                try await NightlyStore.insertRun(id: runID, date: date, attempt: 1, triggeredBy: triggeredBy, on: c, logger: logger)
            }
        }
        let names = steps.map(\.name)
        let recorded = try await database.transaction { c in
            try await NightlyStore.ensureSteps(runID: runID, steps: names, on: c, logger: logger)
            return (try await NightlyStore.run(id: runID, on: c, logger: logger), try await NightlyStore.steps(runID: runID, on: c, logger: logger))
        }
        if let run = recorded.0 { onRunRecorded(run) }
        let done = Set(recorded.1.filter { $0.status == "completed" }.map(\.step))
        for (index, step) in steps.enumerated() {
            if done.contains(step.name) {
                progress(.skipped(step: step.name, position: index + 1, of: steps.count))
                continue
            }
            progress(.started(step: step.name, position: index + 1, of: steps.count))
            try await database.transaction { c in try await NightlyStore.markStep(runID: runID, step: step.name, status: "running", on: c, logger: logger) }
            let start = ContinuousClock.now
            do {
                let counts = try await step.run(date)
                let json = String(decoding: try JSONSerialization.data(withJSONObject: counts, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
                try await database.transaction { c in
                    try await NightlyStore.markStep(runID: runID, step: step.name, status: "completed", countsJSON: json, on: c, logger: logger)
                }
                let elapsed = ContinuousClock.now - start
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                logger.info("nightly step completed", metadata: ["date": "\(date)", "step": "\(step.name)", "counts": "\(counts)"])
                progress(.finished(step: step.name, position: index + 1, of: steps.count, counts: counts, seconds: seconds))
            } catch {
                let message = String(describing: error)
                logger.error("nightly step failed", metadata: ["date": "\(date)", "step": "\(step.name)", "error": "\(String(reflecting: error))"])
                try? await database.transaction { c in
                    try await NightlyStore.markStep(runID: runID, step: step.name, status: "failed", error: message, on: c, logger: logger)
                    try await NightlyStore.setRunStatus(id: runID, status: "failed", on: c, logger: logger)
                    try await Self.recordEvent(.nightlyRunFailed, runID: runID, date: date, on: c, logger: logger)
                }
                throw NightlyStepFailure(step: step.name, message: message)
            }
        }
        let finished = try await database.transaction { c in
            try await NightlyStore.setRunStatus(id: runID, status: "completed", on: c, logger: logger)
            try await Self.recordEvent(.nightlyRunCompleted, runID: runID, date: date, on: c, logger: logger)
            return try await NightlyStore.run(id: runID, on: c, logger: logger)
        }
        guard let finished else { throw NightlyStepFailure(step: "finish", message: "the run record vanished") }
        return .completed(finished)
    }

    /// The run's news, with the run as `GET /v1/nightly-runs/{id}` shows it, in the status change's transaction.
    static func recordEvent(_ type: EventType, runID: UUID, date: BusinessDate, on c: DatabaseConnection, logger: Logger) async throws {
        guard let run = try await NightlyStore.run(id: runID, on: c, logger: logger) else { return }
        let steps = try await NightlyStore.steps(runID: runID, on: c, logger: logger)
        try await EventLog.record(type, .nightlyRun(run, steps: steps), objectID: runID.uuidString.lowercased(), businessDate: date,
                                  on: c, logger: logger)
    }

    /// The run's steps as stored.
    public func steps(of runID: UUID) async throws -> [NightlyStepRecord] {
        let logger = self.logger
        return try await database.client.withConnection { try await NightlyStore.steps(runID: runID, on: $0, logger: logger) }
    }

    /// A page of runs, the newest first.
    public func runs(_ page: PageRequest) async throws -> Page<NightlyRunRecord> {
        let logger = self.logger
        return try await database.client.withConnection { try await NightlyStore.runs(page, on: $0, logger: logger) }
    }

    public func run(id: UUID) async throws -> NightlyRunRecord? {
        let logger = self.logger
        return try await database.client.withConnection { try await NightlyStore.run(id: id, on: $0, logger: logger) }
    }
}
