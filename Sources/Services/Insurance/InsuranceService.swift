import Domain
import Persistence

/// Return shipping insurance use cases (issue 5).
public struct InsuranceService: Sendable {
    let database: Database
    let calendar: BusinessCalendar

    public init(database: Database, calendar: BusinessCalendar) {
        self.database = database
        self.calendar = calendar
    }
}
