import Foundation

/// The one place the platform reads the time: "now", and the business date it falls on in the
/// platform's calendar. Services, jobs, the HTTP layer and the CLI are handed one clock; tests hand
/// them a fixed or moving one, or pin the live clock for a task (`BusinessClock.$pinned`).
public struct BusinessClock: Sendable {
    public let calendar: BusinessCalendar
    /// Nil for the live clock.
    private let source: (@Sendable () -> Date)?

    /// A clock that reports whatever `now` returns (a fixed or moving instant in tests).
    public init(calendar: BusinessCalendar, now: @escaping @Sendable () -> Date) {
        self.calendar = calendar
        self.source = now
    }

    private init(live calendar: BusinessCalendar) {
        self.calendar = calendar
        self.source = nil
    }

    /// The system time, unless a task pinned another instant.
    public static func live(_ calendar: BusinessCalendar) -> BusinessClock { BusinessClock(live: calendar) }

    /// An instant the live clock reports instead of the system time while a task runs: tests that drive
    /// the application through its router (built with the live clock) move time this way.
    @TaskLocal public static var pinned: Date?

    public func now() -> Date {
        if let source { return source() }
        return Self.systemNow()
    }

    /// The system time, unless a task pinned another instant: the only place the sources read it.
    /// For the few writers that stamp an instant without a business date (the event log's
    /// `created_at`); everything else reads a clock it was handed.
    public static func systemNow() -> Date { pinned ?? Date() }

    /// The business date it is now in the platform's time zone.
    public var today: BusinessDate { calendar.businessDate(at: now()) }

    /// Now and the business date it falls on, read once so the two agree.
    public func read() -> (now: Date, today: BusinessDate) {
        let now = now()
        return (now, calendar.businessDate(at: now))
    }
}
