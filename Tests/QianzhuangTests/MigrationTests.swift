import Domain
import Foundation
import Persistence
import PostgresNIO
import Testing

@Suite("Migrations")
struct MigrationTests {
    static func tables(_ db: Database) async throws -> [String] {
        try await db.client.query("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1", logger: db.logger).all(String.self)
    }

    @Test("a fresh database migrates and is then current")
    func freshMigrates() async throws {
        try await withTestDatabase(migrated: false) { db in
            let migrator = try repositoryMigrator()
            #expect(try await migrator.isCurrent(db) == false)
            let applied = try await migrator.migrate(db)
            #expect(applied == migrator.migrations.map(\.version))
            #expect(try await migrator.isCurrent(db))
            #expect(try await migrator.migrate(db).isEmpty)
        }
    }

    @Test("an edited, already-applied migration is refused with a clear error")
    func editedMigrationRefused() async throws {
        try await withTestDatabase(migrated: false) { db in
            let original = try repositoryMigrator()
            try await original.migrate(db)
            var edited = original.migrations
            let first = edited[0]
            edited[0] = Migration(version: first.version, name: first.name, sql: first.sql + "\n-- edited")
            let error = await #expect(throws: MigrationError.self) { try await Migrator(migrations: edited).migrate(db) }
            guard case .editedAfterApply(let version, _, _, _) = error else {
                Issue.record("expected editedAfterApply, got \(String(describing: error))")
                return
            }
            #expect(version == first.version)
            #expect(try await Migrator(migrations: edited).isCurrent(db) == false)
        }
    }

    @Test("a failing migration leaves nothing of itself behind")
    func failingMigrationRollsBack() async throws {
        try await withTestDatabase(migrated: false) { db in
            let broken = Migration(version: 1, name: "broken", sql: "CREATE TABLE half (id INT); SELECT no_such_function();")
            await #expect(throws: MigrationError.self) { try await Migrator(migrations: [broken]).migrate(db) }
            let tables = try await Self.tables(db)
            #expect(tables == ["schema_migrations"])
        }
    }

    @Test("two concurrent migrators leave one correct schema")
    func concurrentMigrators() async throws {
        let config = try await TestCluster.shared.freshDatabase(migrated: false)
        let migrator = try repositoryMigrator()
        let results = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<2 {
                group.addTask {
                    try await Database.withDatabase(config, logger: TestCluster.logger) { try await migrator.migrate($0) }
                }
            }
            var out: [[Int]] = []
            for try await r in group { out.append(r) }
            return out
        }
        // Exactly one of them applied everything; the other found nothing to do.
        #expect(results.map(\.count).sorted() == [0, migrator.migrations.count])
        let (current, recorded) = try await Database.withDatabase(config, logger: TestCluster.logger) { db in
            (try await migrator.isCurrent(db), try await db.scalar(Int64.self, "SELECT count(*) FROM schema_migrations"))
        }
        #expect(current)
        #expect(recorded == Int64(migrator.migrations.count))
    }
}
