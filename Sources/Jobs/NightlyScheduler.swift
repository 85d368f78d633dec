import Domain
import Foundation
import Logging
import ServiceLifecycle

/// The in-process trigger: every day at a local time in the platform's time zone, run the close
/// of business for the business date that just ended. Safe on every replica at once: the runner
/// lets one of them run the date and tells the others it is busy or done.
public struct NightlyScheduler: Service {
    let runner: NightlyRunner
    let clock: BusinessClock
    let hour: Int
    let minute: Int
    let ready: StartGate
    let logger: Logger

    /// `time` is "HH:MM" local to the calendar's time zone; nil when empty or malformed (no scheduler).
    /// The first run waits for `ready` (see StartGate).
    public init?(time: String?, runner: NightlyRunner, clock: BusinessClock, ready: StartGate = .alreadyOpen, logger: Logger) {
        guard let time, !time.isEmpty else { return nil }
        let parts = time.split(separator: ":")
        guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0..<24).contains(h), (0..<60).contains(m) else { return nil }
        self.runner = runner
        self.clock = clock
        self.hour = h
        self.minute = m
        self.ready = ready
        self.logger = logger
    }

    /// Seconds from `now` to the next HH:MM in the calendar's zone.
    func secondsUntilNextRun(from now: Date) -> TimeInterval {
        let offset = TimeInterval(clock.calendar.timeZone.secondsFromGMT(for: now))
        let local = now.timeIntervalSince1970 + offset
        let dayStart = (local / 86_400).rounded(.down) * 86_400
        var next = dayStart + TimeInterval(hour * 3600 + minute * 60)
        if next <= local { next += 86_400 }
        return next - local
    }

    public func run() async throws {
        logger.info("nightly scheduler on", metadata: ["at": "\(String(format: "%02d:%02d", hour, minute))", "zone": "\(clock.calendar.timeZone.identifier)"])
        // Shutdown cancels the wait for the next run; that is a normal end, not an error.
        do {
            try await runUntilShutdown()
        } catch is CancellationError {
            logger.info("nightly scheduler stopped")
        }
    }

    func runUntilShutdown() async throws {
        try await cancelWhenGracefulShutdown {
            try await ready.wait()
            while !Task.isCancelled {
                let wait = secondsUntilNextRun(from: clock.now())
                try await Task.sleep(for: .seconds(wait))
                let date = clock.today.adding(days: -1)
                do {
                    let outcome = try await runner.run(date: date, triggeredBy: "scheduler")
                    logger.info("scheduled nightly run finished", metadata: ["date": "\(date)", "outcome": "\(outcome)"])
                } catch {
                    logger.error("scheduled nightly run failed", metadata: ["date": "\(date)", "error": "\(String(reflecting: error))"])
                }
            }
        }
    }
}
