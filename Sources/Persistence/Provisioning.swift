import Foundation
import Synchronization
import Logging
import PostgresNIO

extension Database {
    /// Runs `body` with a database whose pool runs only for the body's duration
    /// (CLI commands and tests; the server runs its pool as a Service instead).
    public static func withDatabase<T: Sendable>(
        _ configuration: DatabaseConfiguration, logger: Logger, _ body: @Sendable (Database) async throws -> T
    ) async throws -> T {
        let database = Database(configuration: configuration, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            // The pool must be running before the first lease, or PostgresNIO warns on every CLI command
            // ("PostgresClient.run() hasn't been called yet"): wait until the task is under way.
            let started = Mutex(false)
            group.addTask {
                started.withLock { $0 = true }
                await database.client.run()
            }
            while !started.withLock({ $0 }) { await Task.yield() }
            await Task.yield()
            do {
                let result = try await body(database)
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    /// Creates database `name` (optionally from a template) unless it exists. `name` must be an identifier.
    public func createDatabaseIfMissing(_ name: String, template: String? = nil) async throws {
        guard Self.isSafeIdentifier(name), template.map(Self.isSafeIdentifier) ?? true else {
            throw DatabaseURLError(message: "database names must match [a-z_][a-z0-9_]*")
        }
        let exists = try await client.query("SELECT 1 FROM pg_database WHERE datname = \(name)", logger: logger).all(Int.self)
        guard exists.isEmpty else { return }
        let templateClause = template.map { " TEMPLATE \($0)" } ?? ""
        do {
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)\(templateClause)"), logger: logger)
        } catch let error as PSQLError where error.sqlState == "42P04" {
            // Created concurrently by another process: fine.
        }
    }

    static func isSafeIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || ("a"..."z").contains(first) else { return false }
        return name.count <= 63 && name.unicodeScalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("0"..."9").contains($0) }
    }
}
