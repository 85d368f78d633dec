import Domain
import Foundation
import Persistence

/// API keys and the readiness of the store behind them.
public struct AccessService: Sendable {
    let database: Database
    let migrator: Migrator

    public init(database: Database, migrator: Migrator) {
        self.database = database
        self.migrator = migrator
    }

    public func principal(forKey key: String) async throws -> Principal? {
        try await APIKeyStore.principal(forKey: key, database: database)
    }

    public func createKey(role: Role, supplierID: UUID?, label: String) async throws -> String {
        try await APIKeyStore.create(role: role, supplierID: supplierID, label: label, database: database).key
    }

    /// Database reachable and every migration applied with its recorded checksum.
    public func isReady() async -> Bool {
        do {
            try await database.ping()
            return try await migrator.isCurrent(database)
        } catch {
            return false
        }
    }
}
