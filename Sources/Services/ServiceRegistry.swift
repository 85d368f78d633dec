import Domain
import Persistence

/// Every use-case service, wired to one database.
public struct ServiceRegistry: Sendable {
    public let access: AccessService
    public let ledger: LedgerService

    public init(database: Database, migrator: Migrator, calendar: BusinessCalendar) {
        access = AccessService(database: database, migrator: migrator)
        ledger = LedgerService(database: database)
    }
}
