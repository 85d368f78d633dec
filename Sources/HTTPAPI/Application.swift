import Domain
import Foundation
import Hummingbird
import Logging
import Persistence
import Prometheus
import Jobs
import Services
import ServiceLifecycle

/// Everything the HTTP layer calls into, built once per process (or per test).
public struct APIDependencies: Sendable {
    public let database: Database
    public let migrator: Migrator
    /// The one clock: services, jobs and routes read "now" and the business date from it.
    public let clock: BusinessClock
    public var calendar: BusinessCalendar { clock.calendar }
    public let registry: PrometheusCollectorRegistry
    public let services: ServiceRegistry
    public let statements: StatementService
    public let reconciliation: ReconciliationService
    public let nightly: NightlyRunner
    /// When set, /readyz and every /v1 request answer 503 at once while the server is unreachable.
    public let reachability: DatabaseReachability?
    /// Outcome counters and scrape-time gauges at /metrics.
    let businessMetrics: BusinessMetrics

    public init(database: Database, migrator: Migrator, calendar: BusinessCalendar,
                registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
                reportDirectory: URL = URL(fileURLWithPath: "reports"), now: (@Sendable () -> Date)? = nil,
                reachability: DatabaseReachability? = nil, personalData: CreditPersonalData = .fromEnvironment()) {
        self.database = database
        self.reachability = reachability
        self.migrator = migrator
        // `now` stands in for the system time (the demo's simulated days, tests' later instants).
        let clock = now.map { BusinessClock(calendar: calendar, now: $0) } ?? .live(calendar)
        self.clock = clock
        self.registry = registry
        self.businessMetrics = BusinessMetrics(registry: registry, started: clock.now())
        EventLog.bootstrap(APIEventRenderer())
        let services = ServiceRegistry(database: database, migrator: migrator, clock: clock, personalData: personalData)
        self.services = services
        self.statements = StatementService(database: database, calendar: calendar)
        self.reconciliation = ReconciliationService(database: database)
        self.nightly = NightlyRunner(
            database: database,
            steps: NightlyPlan.standard(services: services, database: database, reportDirectory: reportDirectory, clock: clock,
                                       logger: database.logger),
            logger: database.logger, clock: clock)
    }
}

/// The router: middleware first (it applies only to routes added after it), then each area's routes.
public func buildRouter(_ deps: APIDependencies) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: MetricsMiddleware(registry: deps.registry))
    router.add(middleware: ProblemMiddleware())
    SystemRoutes(deps: deps).addRoutes(to: Routes(group: router.group()))
    // HTML for people, outside the API contract: the operator console and the API reference.
    let console = ConsoleRoutes(deps: deps)
    console.addRoutes(to: router)
    console.addDocs(to: router)

    let v1 = Routes(
        group: router.group("v1")
            .add(middleware: DatabaseGateMiddleware(reachability: deps.reachability))
            .add(middleware: AuthMiddleware(access: deps.services.access, cache: PrincipalCache()))
            .add(middleware: IdempotencyMiddleware(database: deps.database)))
    LedgerRoutes(ledger: deps.services.ledger, calendar: deps.calendar).addRoutes(to: v1)
    SupplierFinanceRoutes(finance: deps.services.supplierFinance, metrics: deps.businessMetrics, payments: deps.services.payments).addRoutes(to: v1)
    CreditRoutes(credit: deps.services.credit, metrics: deps.businessMetrics).addRoutes(to: v1)
    InsuranceRoutes(insurance: deps.services.insurance, metrics: deps.businessMetrics).addRoutes(to: v1)
    OrderRoutes(orders: deps.services.orders).addRoutes(to: v1)
    EventRoutes(webhooks: deps.services.webhooks).addRoutes(to: v1)
    ReconciliationRoutes(statements: deps.statements, reconciliation: deps.reconciliation, runner: deps.nightly, clock: deps.clock)
        .addRoutes(to: v1)
    PaymentRoutes(payments: deps.services.payments).addRoutes(to: v1)
    return router
}

/// Where to listen.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int

    public init(host: String = "127.0.0.1", port: Int = 8080) {
        self.host = host
        self.port = port
    }
}

/// The application: the database pool runs as a service before the server and stops after it;
/// migrations run before the server accepts requests.
public func buildApplication(
    server: ServerConfiguration, deps: APIDependencies, migrateOnStart: Bool, logger: Logger,
    extraServices: [any Service] = [],
    beforeServing: @escaping @Sendable () async throws -> Void = {},
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    var app = Application(
        router: buildRouter(deps),
        configuration: .init(address: .hostname(server.host, port: server.port), serverName: "qianzhuang"),
        services: [deps.database.client] + extraServices,
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
        logger: logger
    )
    app.beforeServerStarts {
        try await withTimeout(.seconds(30), "database not reachable within 30 s") {
            try await deps.database.ping()
        }
        if migrateOnStart {
            try await deps.migrator.migrate(deps.database)
        }
        try await beforeServing()
    }
    return app
}

/// Runs `body`, failing with `message` if it takes longer than `limit`.
func withTimeout<T: Sendable>(_ limit: Duration, _ message: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw TimeoutError(message: message)
        }
        guard let first = try await group.next() else { throw TimeoutError(message: message) }
        group.cancelAll()
        return first
    }
}

struct TimeoutError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
