import ArgumentParser
import Domain
import Foundation
import HTTPAPI
import Jobs
import LocalPostgres
import Logging
import Persistence
import Services
import ServiceLifecycle

@main
struct Qianzhuang: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qianzhuang",
        abstract: "Qianzhuang: supplier financing, installment credit and shipping insurance for a marketplace.",
        subcommands: [Serve.self, Migrate.self, Keys.self, PersonalData.self, Nightly.self, Statements.self, PaymentBatch.self, Demo.self],
        defaultSubcommand: Serve.self
    )
}

/// Options every command that touches the database shares.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "PostgreSQL URL (postgres://user:pass@host:port/db). Default: env DATABASE_URL, else an embedded private cluster.")
    var databaseURL: String?

    @Option(name: .long, help: "Data directory of the embedded cluster (env QZ_DATA_DIR; ignored with --database-url).")
    var dataDir: String = ProcessInfo.processInfo.environment["QZ_DATA_DIR"] ?? ".qianzhuang"

    @Option(name: .long, help: "Directory of NNNN_name.sql migrations. Default: env QZ_MIGRATIONS, ./Migrations, or next to the binary.")
    var migrations: String?

    var resolvedURL: String? { databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"] }
}

/// The connection pool, for the commands that keep one busy (`serve`, `nightly`, `demo`); the
/// one-shot commands use a small pool and do not offer the option.
struct PoolOptions: ParsableArguments {
    @Option(name: .long, help: "Maximum pooled connections per process (replicas × this ≤ max_connections).")
    var poolSize: Int = 16
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

    static func resolve(_ options: DatabaseOptions, poolSize: Int = 2, logger: Logger) async throws -> DatabaseTarget {
        if let url = options.resolvedURL {
            return DatabaseTarget(configuration: try .url(url, maxConnections: poolSize), cluster: nil,
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
                                       maxConnections: poolSize),
            cluster: cluster, startedCluster: !wasRunning, freshCluster: fresh)
    }

    /// The personal-data key: production (an external database) needs QZ_PII_KEY; the embedded
    /// default keeps a random key with its cluster (`<data dir>/pii.key`, mode 0600).
    func personalData(_ options: DatabaseOptions) throws -> CreditPersonalData {
        try CreditPersonalData.resolve(production: cluster == nil, dataDirectory: URL(fileURLWithPath: options.dataDir))
    }

    func stopIfStarted() {
        if startedCluster { cluster?.stop() }
    }
}

/// Writes a line to stdout at once (no buffering: a key must not be lost if the process is killed).
func printNow(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// `LOG_LEVEL` when set; otherwise `defaultLevel`: `info` for `serve` and `migrate`, `warning` for the
/// commands that print their own progress and result (nightly, demo, keys, statements, pii), so an
/// operator reads each step once and the summary is not buried under log lines.
func makeLogger(_ label: String, defaultLevel: Logger.Level = .warning) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? defaultLevel
    return logger
}

/// What every command sets up first, once per process:
/// - logs go to stderr, so stdout carries only what a command is asked to print (a key, a report path);
/// - services record events with the API's renderer (`EventLog`), whichever command changes data
///   (`serve`, `nightly`, `statements import`, `payment-batch export`, …).
let bootstrapProcess: Void = {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = .trace
        return handler
    }
    EventLog.bootstrap(APIEventRenderer())
}()

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP API (and the nightly scheduler).")

    @OptionGroup var database: DatabaseOptions
    @Option(name: .long, help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(name: .long, help: "Port to listen on (0 picks a free one).") var port: Int = 8080
    @OptionGroup var platform: PlatformOptions
    @OptionGroup var pool: PoolOptions
    @OptionGroup var report: ReportOptions
    @Option(name: .long, help: "Local time (HH:MM, platform time zone) of the in-process nightly run; empty disables it (use an external scheduler). Default: env QZ_NIGHTLY_SCHEDULE, else 02:00.")
    var nightlyAt: String = ProcessInfo.processInfo.environment["QZ_NIGHTLY_SCHEDULE"] ?? "02:00"

    func run() async throws {
        _ = bootstrapProcess
        let logger = makeLogger("qianzhuang", defaultLevel: .info)
        let calendar = try platform.calendar()
        _ = try OpenAPIDocument.load()   // the contract ships with the binary; without it, do not start
        try ConsoleResources.check()     // so do the console's templates
        let target = try await DatabaseTarget.resolve(database, poolSize: pool.poolSize, logger: logger)
        defer { target.stopIfStarted() }
        let migrator = try Migrator(directory: Migrator.locateDirectory(explicit: database.migrations))
        let embedded = target.cluster != nil
        let personalData = try target.personalData(database)
        let deps = APIDependencies(database: Database(configuration: target.configuration, logger: logger),
                                   migrator: migrator, calendar: calendar, reportDirectory: report.reportURL,
                                   reachability: DatabaseReachability(target.configuration), personalData: personalData)
        // The background services start with the server; they wait for the migrations below.
        let schemaReady = StartGate()
        var extra: [any Service] = []
        if let scheduler = NightlyScheduler(time: nightlyAt, runner: deps.nightly, clock: deps.clock, ready: schemaReady, logger: logger) {
            extra.append(scheduler)
        }
        // Webhook delivery runs in every replica (they share the work); QZ_WEBHOOK_WORKER=off leaves it to others.
        if ProcessInfo.processInfo.environment["QZ_WEBHOOK_WORKER"] != "off" {
            extra.append(WebhookWorker(database: deps.database, clock: deps.clock, ready: schemaReady, logger: logger))
        }
        let app = buildApplication(
            server: ServerConfiguration(host: host, port: port), deps: deps, migrateOnStart: true, logger: logger,
            extraServices: extra,
            beforeServing: {
                schemaReady.open()   // beforeServing runs once the migrations are applied
                try await deps.services.credit.checkPersonalDataKey(production: !embedded)
                // A newcomer on the embedded default gets an operator key at once; printed once, never stored in clear.
                guard embedded, try await APIKeyStore.count(database: deps.database) == 0 else { return }
                let key = try await deps.services.access.createKey(role: .operator, supplierID: nil, label: "first start")
                printNow("Operator API key (shown once, keep it): \(key)")
            },
            onServerRunning: { port in
                logger.info("qianzhuang listening", metadata: ["host": "\(host)", "port": "\(port)"])
            })
        try await app.runService()
    }
}

/// Time zone and report location, shared by `serve` and `nightly`.
struct PlatformOptions: ParsableArguments {
    @Option(name: .long, help: "Platform time zone for business dates (env QZ_TIME_ZONE).")
    var timeZone: String = ProcessInfo.processInfo.environment["QZ_TIME_ZONE"] ?? "Asia/Shanghai"

    func calendar() throws -> BusinessCalendar {
        guard let zone = TimeZone(identifier: timeZone) else { throw ValidationError("unknown time zone \(timeZone)") }
        return BusinessCalendar(timeZone: zone)
    }

    /// The system clock in the platform's time zone.
    func clock() throws -> BusinessClock { .live(try calendar()) }
}

/// Where the nightly run writes its HTML report (`serve`, `nightly`, `demo`).
struct ReportOptions: ParsableArguments {
    @Option(name: .long, help: "Where nightly HTML reports are written (env QZ_REPORT_DIR).")
    var reportDir: String = ProcessInfo.processInfo.environment["QZ_REPORT_DIR"] ?? "reports"

    var reportURL: URL { URL(fileURLWithPath: reportDir) }
}

struct Nightly: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the close of business for a business date (for external schedulers: Kubernetes CronJob, systemd timer).")
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var platform: PlatformOptions
    @OptionGroup var pool: PoolOptions
    @OptionGroup var report: ReportOptions
    @Option(help: "Business date YYYY-MM-DD (default: yesterday in the platform time zone).") var date: String?
    @Flag(help: "Run a date that already finished again (every step is idempotent).") var force = false

    func run() async throws {
        _ = bootstrapProcess
        let logger = makeLogger("qianzhuang.nightly")
        let clock = try platform.clock()
        let businessDate: BusinessDate
        if let date {
            guard let parsed = BusinessDate(date) else { throw ValidationError("--date must be YYYY-MM-DD") }
            businessDate = parsed
        } else {
            businessDate = clock.today.adding(days: -1)
        }
        // The same rule the API and the runner apply, checked before anything starts.
        do {
            try clock.calendar.checkClosable(businessDate, at: clock.now())
        } catch {
            throw ValidationError("--date: \(error.description)")
        }
        let target = try await DatabaseTarget.resolve(database, poolSize: pool.poolSize, logger: logger)
        defer { target.stopIfStarted() }
        let migrator = try Migrator(directory: Migrator.locateDirectory(explicit: database.migrations))
        let reportURL = report.reportURL
        let personalData = try target.personalData(database)
        let outcome = try await Database.withDatabase(target.configuration, logger: logger) { db in
            try await migrator.migrate(db)
            let deps = APIDependencies(database: db, migrator: migrator, calendar: clock.calendar, reportDirectory: reportURL,
                                       personalData: personalData)
            let terminal = isatty(STDERR_FILENO) == 1
            return try await deps.nightly.run(date: businessDate, force: force, triggeredBy: "cli", progress: { event in
                Nightly.show(event, terminal: terminal)
            })
        }
        switch outcome {
        case .completed(let run):
            printNow("nightly \(businessDate): completed (run \(run.id.uuidString.lowercased()), report \(run.reportPath ?? "-"))")
        case .alreadyCompleted(let run):
            printNow("nightly \(businessDate): already completed by run \(run.id.uuidString.lowercased()); use --force to run it again")
        case .busy:
            printNow("nightly \(businessDate): another runner is running this date")
            throw ExitCode(75)
        }
    }

    static func show(_ event: NightlyProgress, terminal: Bool) {
        let line: String
        switch event {
        case .started(let step, let n, let of): line = "[\(n)/\(of)] \(step) …"
        case .skipped(let step, let n, let of): line = "[\(n)/\(of)] \(step) already done"
        case .finished(let step, let n, let of, let counts, let seconds):
            let summary = counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            line = "[\(n)/\(of)] \(step) done in \(String(format: "%.2f", seconds)) s  \(summary)"
        }
        FileHandle.standardError.write(Data(((terminal ? "\u{1B}[1m" : "") + line + (terminal ? "\u{1B}[0m" : "") + "\n").utf8))
    }
}

struct Statements: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Import bank and payment statements.", subcommands: [Import.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Import a camt.053 (.xml) or settlement CSV (.csv) file.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var platform: PlatformOptions
        @Argument(help: "The statement file.") var file: String
        @Option(help: "camt053 | camt054 | mt940 | settlement_csv (default: by extension, .csv, .sta/.mt940, else XML whose namespace tells camt.054 apart)") var format: String?
        @Option(help: "The payment channel a settlement CSV comes from.") var channel: String = "channel"

        func run() async throws {
            _ = bootstrapProcess
            let logger = makeLogger("qianzhuang.statements")
            let url = URL(fileURLWithPath: file)
            let kind: StatementFormat
            let byExtension = ["csv": "settlement_csv", "sta": "mt940", "mt940": "mt940"][url.pathExtension.lowercased()] ?? "camt053"
            switch format ?? byExtension {
            case "camt053": kind = .camt053
            case "camt054": kind = .camt054
            case "mt940": kind = .mt940
            case "settlement_csv": kind = .settlementCSV
            default: throw ValidationError("--format must be camt053, camt054, mt940 or settlement_csv")
            }
            let calendar = try platform.calendar()
            let target = try await DatabaseTarget.resolve(database, logger: logger)
            defer { target.stopIfStarted() }
            let migrator = try Migrator(directory: Migrator.locateDirectory(explicit: database.migrations))
            let result = try await Database.withDatabase(target.configuration, logger: logger) { db in
                try await migrator.migrate(db)
                return try await StatementService(database: db, calendar: calendar).importFile(url, format: kind, channel: channel, actor: NightlyPlan.actor)
            }
            for s in result.statements {
                printNow("\(s.id.uuidString.lowercased())  \(s.statementRef)  \(s.entryCount) entries  balance \(s.verdict)\(result.alreadyImported ? "  (already imported)" : "")")
            }
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending migrations and exit.")
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        _ = bootstrapProcess
        let logger = makeLogger("qianzhuang.migrate", defaultLevel: .info)
        let target = try await DatabaseTarget.resolve(database, logger: logger)
        defer { target.stopIfStarted() }
        let migrator = try Migrator(directory: Migrator.locateDirectory(explicit: database.migrations))
        let applied = try await Database.withDatabase(target.configuration, logger: logger) { try await migrator.migrate($0) }
        logger.info("migrations complete", metadata: ["applied": "\(applied)", "known": "\(migrator.migrations.count)"])
    }
}

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage API keys.", subcommands: [Create.self, List.self, Revoke.self])

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
            _ = bootstrapProcess
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
            printNow(key)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List keys (id, the key's first characters, role, label, created, revoked); never the keys themselves.")
        @OptionGroup var database: DatabaseOptions
        @Flag(help: "Include revoked keys.") var all = false

        func run() async throws {
            _ = bootstrapProcess
            let logger = makeLogger("qianzhuang.keys")
            let target = try await DatabaseTarget.resolve(database, logger: logger)
            defer { target.stopIfStarted() }
            let keys = try await Database.withDatabase(target.configuration, logger: logger) {
                try await APIKeyStore.list(includeRevoked: all, database: $0)
            }
            let time = Date.ISO8601FormatStyle()
            printNow(["id", "prefix", "role", "supplier", "label", "created", "revoked"].joined(separator: "\t"))
            for key in keys {
                printNow([key.id.uuidString.lowercased(), key.prefix + "…", key.role, key.supplierID?.uuidString.lowercased() ?? "-",
                          key.label.isEmpty ? "-" : key.label, time.format(key.createdAt), key.revokedAt.map(time.format) ?? "-"]
                    .joined(separator: "\t"))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by its id.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The key's id (UUID).") var id: String

        func run() async throws {
            _ = bootstrapProcess
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

struct PersonalData: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pii", abstract: "Manage the personal-data key.", subcommands: [Rehash.self])

    struct Rehash: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Carry stored personal-data digests forward to the current key.",
            discussion: """
                To rotate QZ_PII_KEY: set QZ_PII_KEY to the new key and QZ_PII_PREVIOUS_KEYS to the old one \
                (several: comma-separated, oldest first), run this once, then restart `serve` with the same two \
                variables. A digest is rehashed as HMAC(new key, old digest); keep QZ_PII_PREVIOUS_KEYS set \
                from now on, since new digests are made over the whole chain. Safe to run again.
                """)
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var platform: PlatformOptions
        @Option(help: "Accounts per transaction.") var batchSize: Int = 1_000

        func run() async throws {
            _ = bootstrapProcess
            let logger = makeLogger("qianzhuang.pii")
            guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
            let clock = try platform.clock()
            let target = try await DatabaseTarget.resolve(database, logger: logger)
            defer { target.stopIfStarted() }
            let personalData = try target.personalData(database)
            guard !personalData.previousKeyIDs.isEmpty else {
                throw ValidationError("QZ_PII_PREVIOUS_KEYS is empty: name the key(s) the stored digests were made with")
            }
            let migrator = try Migrator(directory: Migrator.locateDirectory(explicit: database.migrations))
            let moved = try await Database.withDatabase(target.configuration, logger: logger) { db in
                try await migrator.migrate(db)
                let service = CreditService(database: db, clock: clock, personalData: personalData)
                return try await service.rehashPersonalData(batchSize: batchSize)
            }
            printNow("rehashed \(moved) credit accounts to key \(personalData.keyID)")
        }
    }
}
