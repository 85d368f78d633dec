import ArgumentParser
import Domain
import Foundation
import HTTPAPI
import LocalPostgres
import Logging
import Persistence
import Services

@main
struct Qianzhuang: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qianzhuang",
        abstract: "Qianzhuang: supplier financing, installment credit and shipping insurance for a marketplace.",
        subcommands: [Serve.self, Migrate.self, Keys.self],
        defaultSubcommand: Serve.self
    )
}

/// Options every command that touches the database shares.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "PostgreSQL URL (postgres://user:pass@host:port/db). Default: env DATABASE_URL, else an embedded private cluster.")
    var databaseURL: String?

    @Option(name: .long, help: "Data directory of the embedded cluster (ignored with --database-url).")
    var dataDir: String = ".qianzhuang"

    @Option(name: .long, help: "Directory of NNNN_name.sql migrations. Default: env QZ_MIGRATIONS, ./Migrations, or next to the binary.")
    var migrations: String?

    @Option(name: .long, help: "Maximum pooled connections per process (replicas × this ≤ max_connections).")
    var poolSize: Int = 16

    var resolvedURL: String? { databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"] }
}

/// A database connection plan: an external URL, or the embedded cluster (started here if needed).
struct DatabaseTarget {
    let configuration: DatabaseConfiguration
    let cluster: LocalPostgresCluster?
    /// True when this process started the cluster and should stop it on exit.
    let startedCluster: Bool
    /// True when the embedded cluster was initialised by this call.
    let freshCluster: Bool

    static let embeddedDatabaseName = "qianzhuang"

    static func resolve(_ options: DatabaseOptions, logger: Logger) async throws -> DatabaseTarget {
        if let url = options.resolvedURL {
            return DatabaseTarget(configuration: try .url(url, maxConnections: options.poolSize), cluster: nil,
                                  startedCluster: false, freshCluster: false)
        }
        let cluster = try LocalPostgresCluster(
            dataDirectory: URL(fileURLWithPath: options.dataDir), profile: .durable, logger: logger)
        let wasRunning = cluster.isRunning()
        let fresh = try cluster.start()
        let admin = DatabaseConfiguration.unixSocket(path: cluster.socketPath, username: cluster.superuser, database: "postgres", maxConnections: 1)
        try await Database.withDatabase(admin, logger: logger) { try await $0.createDatabaseIfMissing(embeddedDatabaseName) }
        return DatabaseTarget(
            configuration: .unixSocket(path: cluster.socketPath, username: cluster.superuser, database: embeddedDatabaseName,
                                       maxConnections: options.poolSize),
            cluster: cluster, startedCluster: !wasRunning, freshCluster: fresh)
    }

    func stopIfStarted() {
        if startedCluster { cluster?.stop() }
    }
}

func makeLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
    return logger
}

/// Logs go to stderr, so stdout carries only what a command is asked to print (a key, a report path).
let bootstrapLogging: Void = LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = .trace
    return handler
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP API (and the nightly scheduler).")

    @OptionGroup var database: DatabaseOptions
    @Option(name: .long, help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(name: .long, help: "Port to listen on (0 picks a free one).") var port: Int = 8080
    @Option(name: .long, help: "Platform time zone for business dates.") var timeZone: String =
        ProcessInfo.processInfo.environment["QZ_TIME_ZONE"] ?? "Asia/Shanghai"

    func run() async throws {
        _ = bootstrapLogging
        let logger = makeLogger("qianzhuang")
        guard let zone = TimeZone(identifier: timeZone) else { throw ValidationError("unknown time zone \(timeZone)") }
        let target = try await DatabaseTarget.resolve(database, logger: logger)
        defer { target.stopIfStarted() }
        let migrator = try Migrator(directory: Migrator.locateDirectory(explicit: database.migrations))
        let deps = APIDependencies(database: Database(configuration: target.configuration, logger: logger),
                                   migrator: migrator, calendar: BusinessCalendar(timeZone: zone))
        let embedded = target.cluster != nil
        let app = buildApplication(
            server: ServerConfiguration(host: host, port: port), deps: deps, migrateOnStart: true, logger: logger,
            beforeServing: {
                // A newcomer on the embedded default gets an operator key at once; printed once, never stored in clear.
                guard embedded, try await APIKeyStore.count(database: deps.database) == 0 else { return }
                let key = try await deps.services.access.createKey(role: .operator, supplierID: nil, label: "first start")
                print("Operator API key (shown once, keep it): \(key)")
                fflush(nil)  // all output streams: `stdout` is a global var Swift 6 refuses to touch
            },
            onServerRunning: { port in
                logger.info("qianzhuang listening", metadata: ["host": "\(host)", "port": "\(port)"])
            })
        try await app.runService()
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending migrations and exit.")
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        _ = bootstrapLogging
        let logger = makeLogger("qianzhuang.migrate")
        let target = try await DatabaseTarget.resolve(database, logger: logger)
        defer { target.stopIfStarted() }
        let migrator = try Migrator(directory: Migrator.locateDirectory(explicit: database.migrations))
        let applied = try await Database.withDatabase(target.configuration, logger: logger) { try await migrator.migrate($0) }
        logger.info("migrations complete", metadata: ["applied": "\(applied)", "known": "\(migrator.migrations.count)"])
    }
}

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage API keys.", subcommands: [Create.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key and print it alone on stdout (shown once).")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "operator | platform | supplier | insurer") var role: String
        @Option(name: .long, help: "The supplier a supplier key is bound to.") var supplierId: String?
        @Option(help: "A label to recognise the key by.") var label: String = ""

        func validate() throws {
            guard let role = Role(rawValue: role) else { throw ValidationError("--role must be operator, platform, supplier or insurer") }
            if role == .supplier && supplierId == nil { throw ValidationError("a supplier key needs --supplier-id") }
            if role != .supplier && supplierId != nil { throw ValidationError("--supplier-id goes only with --role supplier") }
            if let id = supplierId, UUID(uuidString: id) == nil { throw ValidationError("--supplier-id must be a UUID") }
        }

        func run() async throws {
            _ = bootstrapLogging
            let logger = makeLogger("qianzhuang.keys")
            let target = try await DatabaseTarget.resolve(database, logger: logger)
            defer { target.stopIfStarted() }
            let migrator = try Migrator(directory: Migrator.locateDirectory(explicit: database.migrations))
            let role = Role(rawValue: role) ?? .operator
            let supplier = supplierId.flatMap(UUID.init(uuidString:))
            let key = try await Database.withDatabase(target.configuration, logger: logger) { db in
                try await migrator.migrate(db)
                return try await APIKeyStore.create(role: role, supplierID: supplier, label: label, database: db).key
            }
            print(key)
            fflush(nil)  // all output streams: `stdout` is a global var Swift 6 refuses to touch
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by its id.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The key's id (UUID).") var id: String

        func run() async throws {
            _ = bootstrapLogging
            let logger = makeLogger("qianzhuang.keys")
            guard let uuid = UUID(uuidString: id) else { throw ValidationError("the id must be a UUID") }
            let target = try await DatabaseTarget.resolve(database, logger: logger)
            defer { target.stopIfStarted() }
            let revoked = try await Database.withDatabase(target.configuration, logger: logger) {
                try await APIKeyStore.revoke(id: uuid, database: $0)
            }
            if !revoked { throw ValidationError("no active key with id \(id)") }
        }
    }
}
