import Foundation
import Logging
import Persistence

/// What an operations dashboard reads besides request counts: open exceptions and the last night.
public struct OperationsService: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    public func readings() async throws -> OperationsReadings {
        let logger = database.logger
        return try await database.withConnection { try await OperationsStore.readings(on: $0, logger: logger) }
    }

    /// Connections of this process's pool: leased now, and the most it may open.
    public var pool: (inUse: Int, maximum: Int?) { (database.pool.inUse, database.pool.maximum) }
}
