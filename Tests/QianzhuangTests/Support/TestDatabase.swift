import Domain
import Foundation
import HTTPAPI
import LocalPostgres
import Logging
import Persistence
import Services
import PostgresNIO
import Testing

/// One throwaway PostgreSQL cluster per test process, and a migrated template database from
/// which every test gets its own fresh database (`CREATE DATABASE … TEMPLATE`), so tests run in
/// parallel and never see each other's data.
actor TestCluster {
    static let shared = TestCluster()

    private var starting: Task<(cluster: LocalPostgresCluster, template: String), any Error>?
    private var counter = 0

    static var logger: Logger {
        var logger = Logger(label: "qianzhuang.tests")
        logger.logLevel = ProcessInfo.processInfo.environment["TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        return logger
    }

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    /// `../shared/fixtures/`: public third-party bank files, read in place and never copied into the project.
    static var sharedFixtures: URL { packageRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures") }
    static var sharedFixturesAvailable: Bool { FileManager.default.fileExists(atPath: sharedFixtures.appendingPathComponent("camt053").path) }
    static let sharedFixturesMissing: Comment = "skipped: ../shared/fixtures/ (third-party bank files) is absent on this machine"

    static var migrationsDirectory: URL { packageRoot.appendingPathComponent("Migrations") }

    /// Starts the cluster once; concurrent callers wait for the same start.
    func cluster() async throws -> (cluster: LocalPostgresCluster, template: String) {
        if let starting { return try await starting.value }
        let task = Task { try await Self.start() }
        starting = task
        return try await task.value
    }

    static func start() async throws -> (cluster: LocalPostgresCluster, template: String) {
        let dir = URL(fileURLWithPath: "/tmp/qz-test-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        let cluster = try LocalPostgresCluster(dataDirectory: dir, profile: .throwaway, logger: Self.logger)
        try cluster.start()
        try cluster.stopAndRemoveWhenProcessExits()
        let template = "qz_template"
        try await Database.withDatabase(Self.admin(cluster), logger: Self.logger) { try await $0.createDatabaseIfMissing(template) }
        let migrator = try Migrator(directory: Self.migrationsDirectory)
        try await Database.withDatabase(Self.config(cluster, template), logger: Self.logger) { try await migrator.migrate($0) }
        return (cluster, template)
    }

    func nextName() -> String {
        counter += 1
        return "qz_test_\(counter)"
    }

    nonisolated static func admin(_ cluster: LocalPostgresCluster) -> DatabaseConfiguration {
        .unixSocket(path: cluster.socketPath, username: cluster.superuser, database: "postgres", maxConnections: 2)
    }

    nonisolated static func config(_ cluster: LocalPostgresCluster, _ name: String, maxConnections: Int = 4) -> DatabaseConfiguration {
        .unixSocket(path: cluster.socketPath, username: cluster.superuser, database: name, maxConnections: maxConnections)
    }

    /// A new database copied from the migrated template (or empty when `migrated` is false).
    func freshDatabase(migrated: Bool = true, maxConnections: Int = 8) async throws -> DatabaseConfiguration {
        let (cluster, template) = try await cluster()
        let name = nextName()
        try await Database.withDatabase(Self.admin(cluster), logger: Self.logger) {
            try await $0.createDatabaseIfMissing(name, template: migrated ? template : "template0")
        }
        return Self.config(cluster, name, maxConnections: maxConnections)
    }
}

/// Runs `body` against a fresh, migrated database of its own.
func withTestDatabase<T: Sendable>(
    migrated: Bool = true, maxConnections: Int = 8, _ body: @Sendable (Database) async throws -> T
) async throws -> T {
    // Services record events through the API's renderer, as `serve` wires it (see `EventLog`).
    EventLog.bootstrap(APIEventRenderer())
    // Webhook receivers in tests listen on loopback, which production refuses (WebhookTargetPolicy).
    setenv("QZ_WEBHOOK_ALLOW_PRIVATE_NETWORKS", "true", 1)
    do {
        let config = try await TestCluster.shared.freshDatabase(migrated: migrated, maxConnections: maxConnections)
        return try await Database.withDatabase(config, logger: TestCluster.logger, body)
    } catch let error as PSQLError {
        // PSQLError's description hides the server message; a failing test should show it.
        throw TestFailure(String(reflecting: error))
    }
}

/// The migrator over the repository's Migrations/.
func repositoryMigrator() throws -> Migrator {
    try Migrator(directory: TestCluster.migrationsDirectory)
}

extension Database {
    /// One value from a one-row, one-column query.
    func scalar<T: PostgresDecodable & Sendable>(_ type: T.Type, _ query: PostgresQuery) async throws -> T? {
        try await client.query(query, logger: logger).all(T.self).first
    }
}
