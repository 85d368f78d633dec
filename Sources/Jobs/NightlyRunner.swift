import Domain
import Foundation
import Logging
import Persistence
import PostgresNIO
import Services
import Synchronization

/// One step of the close of business: idempotent, so running it again after a crash books nothing twice.
public struct NightlyStep: Sendable {
    public let name: String
    /// The steps that must have completed before this one starts. `nil`: the step before it in the
    /// plan (none for the first), so a plain list runs in order. Steps whose prerequisites are met
    /// run side by side.
    public let after: [String]?
    public let run: @Sendable (BusinessDate) async throws -> [String: Int64]

    public init(_ name: String, after: [String]? = nil, _ run: @escaping @Sendable (BusinessDate) async throws -> [String: Int64]) {
        self.name = name
        self.after = after
        self.run = run
    }

    /// Each step's prerequisites, with `after: nil` resolved to the step before it.
    public static func prerequisites(of steps: [NightlyStep]) -> [String: Set<String>] {
        var out: [String: Set<String>] = [:]
        for (index, step) in steps.enumerated() {
            out[step.name] = Set(step.after ?? (index > 0 ? [steps[index - 1].name] : []))
        }
        return out
    }

    /// Why a plan cannot run: a name used twice, a prerequisite that is not in the plan, or a cycle.
    public static func planProblem(_ steps: [NightlyStep]) -> String? {
        let names = steps.map(\.name)
        if Set(names).count != names.count { return "a step name is used twice: \(names)" }
        let prerequisites = prerequisites(of: steps)
        for (name, before) in prerequisites.sorted(by: { $0.key < $1.key }) {
            if let unknown = before.subtracting(names).sorted().first { return "\(name) waits for \(unknown), which is not in the plan" }
        }
        var ordered = Set<String>()
        while ordered.count < names.count {
            let ready = names.filter { !ordered.contains($0) && prerequisites[$0, default: []].isSubset(of: ordered) }
            if ready.isEmpty { return "the steps \(names.filter { !ordered.contains($0) }) wait for each other" }
            ordered.formUnion(ready)
        }
        return nil
    }
}

/// Set once by the first step that fails; read by the runner before it starts another.
final class FailureSignal: Sendable {
    private let state = Mutex(false)
    var raised: Bool { state.withLock { $0 } }
    func raise() { state.withLock { $0 = true } }
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

    /// Each step's prerequisites (see `NightlyStep.after`).
    public var prerequisites: [String: Set<String>] { NightlyStep.prerequisites(of: steps) }

    /// Runs `date`. `onRunRecorded` is called once the run row exists (for callers that answer early).
    public func run(
        date: BusinessDate, force: Bool = false, triggeredBy: String,
        onRunRecorded: @escaping @Sendable (NightlyRunRecord) -> Void = { _ in },
        progress: @escaping @Sendable (NightlyProgress) -> Void = { _ in }
    ) async throws -> NightlyOutcome {
        try checkClosable(date)
        if let problem = NightlyStep.planProblem(steps) { throw NightlyStepFailure(step: "plan", message: problem) }
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
        onRunRecorded: @Sendable (NightlyRunRecord) -> Void, progress: @escaping @Sendable (NightlyProgress) -> Void
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
        for (index, step) in steps.enumerated() where done.contains(step.name) {
            progress(.skipped(step: step.name, position: index + 1, of: steps.count))
        }
        // Every step starts as soon as its prerequisites have completed, beside whatever else is running.
        // After a failure no further step starts; those already running finish (each is one or more
        // transactions of its own) and the first failure is thrown. A resumed run starts from what completed.
        let prerequisites = NightlyStep.prerequisites(of: steps)
        var completed = done
        var started = done
        var failure: (any Error)?
        // Raised by a failing step before it records its failure, so nothing starts after that record.
        let failed = FailureSignal()
        await withTaskGroup(of: (String, (any Error)?).self) { group in
            while true {
                if failure == nil && !failed.raised {
                    for (index, step) in steps.enumerated()
                    where !started.contains(step.name) && prerequisites[step.name, default: []].isSubset(of: completed) {
                        started.insert(step.name)
                        group.addTask {
                            do {
                                try await Self.runStep(step, position: index + 1, of: steps.count, runID: runID, date: date, database: database,
                                                       logger: logger, failed: failed, progress: progress)
                                return (step.name, nil)
                            } catch {
                                return (step.name, error)
                            }
                        }
                    }
                }
                guard let (name, error) = await group.next() else { break }
                if let error { failure = failure ?? error } else { completed.insert(name) }
            }
        }
        if let failure { throw failure }
        if !steps.allSatisfy({ completed.contains($0.name) }) {
            throw NightlyStepFailure(step: "plan", message: NightlyStep.planProblem(steps) ?? "steps never became ready")
        }
        let finished = try await database.transaction { c in
            try await NightlyStore.setRunStatus(id: runID, status: "completed", on: c, logger: logger)
            try await Self.recordEvent(.nightlyRunCompleted, runID: runID, date: date, on: c, logger: logger)
            return try await NightlyStore.run(id: runID, on: c, logger: logger)
        }
        guard let finished else { throw NightlyStepFailure(step: "finish", message: "the run record vanished") }
        return .completed(finished)
    }

    /// One step: recorded as running, run, recorded as completed with its counts; a failure is
    /// recorded on the step and the run, with the run's failure event.
    static func runStep(
        _ step: NightlyStep, position: Int, of count: Int, runID: UUID, date: BusinessDate, database: Database, logger: Logger,
        failed: FailureSignal, progress: @Sendable (NightlyProgress) -> Void
    ) async throws {
        progress(.started(step: step.name, position: position, of: count))
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
            progress(.finished(step: step.name, position: position, of: count, counts: counts, seconds: seconds))
        } catch {
            failed.raise()
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
