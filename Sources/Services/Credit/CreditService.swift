import Domain
import Persistence

/// Consumer installment credit use cases (issue 4).
public struct CreditService: Sendable {
    let database: Database
    let calendar: BusinessCalendar

    public init(database: Database, calendar: BusinessCalendar) {
        self.database = database
        self.calendar = calendar
    }
}
