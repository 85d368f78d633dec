import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Where the database is and how to reach it.
public struct DatabaseConfiguration: Sendable {
    public var postgres: PostgresClient.Configuration

    public init(postgres: PostgresClient.Configuration) {
        self.postgres = postgres
        let named = Set(postgres.options.additionalStartupParameters.map(\.0))
        self.postgres.options.additionalStartupParameters += Self.sessionSettings.filter { !named.contains($0.0) }
    }

    /// Settings every session of this service starts with, whatever server it reaches (sent in the
    /// startup message, so no statement sets them and no pooled connection lacks them; a caller's
    /// own value for a name wins).
    ///
    /// `jit = off`: the service runs short statements and set-based night statements whose plans
    /// cost more than `jit_above_cost`, so PostgreSQL compiled them with LLVM every time, and the
    /// compiling cost more than it saved. Measured on the 1M-line night (Benchmarks/nightly, issue 14,
    /// session 13): PostgreSQL CPU 164–177 s with JIT, about 148 s without, on the same snapshot.
    public static let sessionSettings: [(String, String)] = [("jit", "off")]

    /// A server reached over a Unix socket, with trust authentication (the embedded cluster).
    public static func unixSocket(path: String, username: String, database: String, maxConnections: Int = 10) -> DatabaseConfiguration {
        var config = PostgresClient.Configuration(unixSocketPath: path, username: username, password: nil, database: database)
        config.options.maximumConnections = maxConnections
        config.options.minimumConnections = 0
        return DatabaseConfiguration(postgres: config)
    }

    /// Parses `postgres://user:password@host:port/database?sslmode=disable|require`.
    public static func url(_ text: String, maxConnections: Int = 10) throws -> DatabaseConfiguration {
        guard let components = URLComponents(string: text),
              let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme),
              let host = components.host, !host.isEmpty else {
            throw DatabaseURLError(message: "expected postgres://user:password@host:port/database")
        }
        let user = components.user ?? "postgres"
        let password = components.password?.removingPercentEncoding
        let database = components.path.split(separator: "/").first.map(String.init) ?? user
        let sslmode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "disable"
        let tls: PostgresClient.Configuration.TLS
        switch sslmode {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.clientDefault)
        case "require", "verify-ca", "verify-full": tls = .require(.clientDefault)
        default: throw DatabaseURLError(message: "unsupported sslmode \(sslmode)")
        }
        var config = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: password, database: database, tls: tls)
        config.options.maximumConnections = maxConnections
        config.options.minimumConnections = 0
        return DatabaseConfiguration(postgres: config)
    }
}

/// A malformed database URL; the message never contains the password.
public struct DatabaseURLError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { "invalid database URL: \(message)" }
}

/// The database: a connection pool plus the one way this code base runs a transaction.
public struct Database: Sendable {
    public let client: PostgresClient
    public let logger: Logger
    /// Ledger account codes known to exist in this database (see `LedgerStore.ensureAccounts`).
    let knownLedgerAccounts = KnownLedgerAccounts()
    /// Fault injection for tests (inert unless armed).
    public let faults = FaultInjector()
    /// How many pooled connections this process holds right now, for `/metrics`.
    public let pool: PoolUsage

    public init(client: PostgresClient, logger: Logger, maximumConnections: Int? = nil) {
        self.client = client
        self.logger = logger
        self.pool = PoolUsage(maximum: maximumConnections)
    }

    public init(configuration: DatabaseConfiguration, logger: Logger) {
        self.init(client: PostgresClient(configuration: configuration.postgres, backgroundLogger: logger), logger: logger,
                  maximumConnections: configuration.postgres.options.maximumConnections)
    }

    /// Runs `body` in one transaction (READ COMMITTED; callers lock the rows they change with
    /// `FOR UPDATE`). Retries the whole body on serialization failure or deadlock, and once on a
    /// fresh connection when the connection is lost before COMMIT was sent (nothing was committed,
    /// so the retry is safe), so `body` must have no effects outside the database. Errors thrown by
    /// `body` come out unwrapped.
    ///
    /// Inside a request transaction (`requestTransaction`) the body joins it instead: the use case
    /// commits together with the request's idempotency record, once.
    @discardableResult
    public func transaction<Result: Sendable>(
        retries: Int = 3,
        _ body: @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        if let ambient = RequestTransaction.current, ambient.client == ObjectIdentifier(client) {
            return try await body(ambient.connection)
        }
        return try await retrying(retries: retries, afterCommitSent: false) { connection, progress in
            try await Self.runTransaction(on: connection, logger: logger, progress: progress, faults: faults, body)
        }
    }

    /// Runs a whole request as one transaction: `body` gets the connection for the request's own
    /// statements (the idempotency claim first, the stored response last), and every
    /// `transaction` / `withConnection` the handler makes on this database joins it. Because the
    /// first statement of `body` claims a unique idempotency key, a connection lost at any point,
    /// even during COMMIT, is retried: the retry either finds the committed answer or runs fresh.
    public func requestTransaction<Result: Sendable>(
        retries: Int = 3,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await retrying(retries: retries, afterCommitSent: true) { connection, progress in
            try await RequestTransaction.$current.withValue(RequestTransaction(client: ObjectIdentifier(client), connection: connection)) {
                try await Self.runTransaction(on: connection, logger: logger, progress: progress, faults: faults) { c in
                    let value = try await body(c)
                    // Inserts the request's last statement did not carry are written before COMMIT.
                    try await WaitingWrites.flush(on: c, logger: logger)
                    return value
                }
            }
        }
    }

    /// Runs `body` on a pooled connection (or on the current request transaction's), for reads.
    public func withConnection<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        if let ambient = RequestTransaction.current, ambient.client == ObjectIdentifier(client) {
            return try await body(ambient.connection)
        }
        return try await client.withConnection { connection in
            pool.enter()
            defer { pool.leave() }
            return try await body(connection)
        }
    }

    /// The retry policy shared by both kinds of transaction: serialization failures and deadlocks
    /// up to `retries` times; a lost connection once, when it is safe (see callers).
    private func retrying<Result: Sendable>(
        retries: Int, afterCommitSent: Bool,
        _ attemptBody: (PostgresConnection, CommitProgress) async throws -> Result
    ) async throws -> Result {
        var attempt = 0
        var reconnected = false
        while true {
            let progress = CommitProgress()
            do {
                return try await KnownLedgerAccounts.$current.withValue(knownLedgerAccounts) {
                    try await client.withConnection { connection in
                        pool.enter()
                        defer { pool.leave() }
                        return try await attemptBody(connection, progress)
                    }
                }
            } catch let error as PSQLError where attempt < retries && error.isRetryable {
                attempt += 1
                logger.debug("retrying transaction", metadata: ["sqlstate": "\(error.sqlState ?? "")", "attempt": "\(attempt)"])
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...(5 * attempt))))
            } catch let error as PSQLError where !reconnected && error.isConnectionLoss
                && (afterCommitSent || !progress.commitSent) {
                reconnected = true
                logger.notice("transaction lost its connection; retrying once on a fresh connection", metadata: [
                    "error": "\(error.code)", "sqlstate": "\(error.sqlState ?? "")",
                ])
            }
        }
    }

    static func runTransaction<Result: Sendable>(
        on connection: PostgresConnection, logger: Logger, progress: CommitProgress = CommitProgress(),
        faults: FaultInjector? = nil, _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await connection.query("BEGIN", logger: logger)
        let value: Result
        do {
            value = try await body(connection)
            try faults?.fire(.beforeCommit)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
        do {
            progress.markCommitSent()
            try await connection.query("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
        try faults?.fire(.afterCommit)
        return value
    }

    /// Runs one statement outside an explicit transaction (or inside the current request's).
    public func execute(_ query: PostgresQuery) async throws {
        _ = try await withConnection { try await $0.query(query, logger: logger) }
    }

    /// Runs one hot-path statement outside an explicit transaction, prepared (see `prepared(_:logger:)`).
    public func executePrepared<T: PostgresDecodable & Sendable>(_ query: PreparedSQL, returning type: T.Type) async throws -> [T] {
        try await withConnection { try await $0.prepared(query, logger: logger).all(T.self) }
    }

    /// `SELECT 1`, for readiness.
    public func ping() async throws {
        try await client.withConnection { connection in
            _ = try await connection.query("SELECT 1", logger: logger).collect()
        }
    }
}

/// Connections leased from the pool by this process (a gauge), and the pool's configured maximum.
public final class PoolUsage: Sendable {
    private let count = Atomic<Int>(0)
    public let maximum: Int?

    init(maximum: Int?) { self.maximum = maximum }

    public var inUse: Int { count.load(ordering: .relaxed) }

    func enter() { count.add(1, ordering: .relaxed) }
    func leave() { count.subtract(1, ordering: .relaxed) }
}

/// The connection a use case's statements run on. Services name it by this alias and never import
/// PostgresNIO: SQL and the driver stay in Persistence.
public typealias DatabaseConnection = PostgresConnection

/// What Services may ask of a database error without knowing the driver.
public enum DatabaseFailure {
    /// Whether `error` is a unique violation (23505), of `constraint` when one is named.
    public static func isUniqueViolation(_ error: any Error, constraint: String? = nil) -> Bool {
        guard let error = error as? PSQLError, error.sqlState == "23505" else { return false }
        return constraint == nil || error.constraintName == constraint
    }
}

extension PSQLError {
    /// The SQLSTATE the server sent, if any.
    public var sqlState: String? { serverInfo?[.sqlState] }

    /// Serialization failure or deadlock: the transaction may be retried as a whole.
    var isRetryable: Bool { sqlState == "40001" || sqlState == "40P01" }

    /// The connection to the server is gone (closed, reset, or the server is shutting down), so
    /// whatever the transaction did was not committed unless COMMIT had already been sent.
    public var isConnectionLoss: Bool {
        switch code {
        case .serverClosedConnection, .connectionError, .uncleanShutdown: return true
        default:
            guard let state = sqlState else { return false }
            // 08: connection exception; 57P01-57P03: admin/crash shutdown, cannot connect now.
            return state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state)
        }
    }

    /// The constraint the server named, if any.
    public var constraintName: String? { serverInfo?[.constraintName] }

    /// The server's own message (never contains bound values).
    public var serverMessage: String? { serverInfo?[.message] }
}

extension AsyncSequence where Element == PostgresRow {
    /// Collects every row, each read by `decode` (a store's column decoder).
    public func all<T>(_ decode: (PostgresRandomAccessRow) throws -> T) async throws -> [T] {
        var out: [T] = []
        for try await row in self { out.append(try decode(row.makeRandomAccess())) }
        return out
    }
}

extension PostgresRowSequence {
    /// Collects every row decoded as `T`.
    public func all<T: PostgresDecodable & Sendable>(_ type: T.Type) async throws -> [T] {
        var out: [T] = []
        for try await row in self { out.append(try row.decode(T.self)) }
        return out
    }
}

/// The connection of the request transaction this task runs in (see `Database.requestTransaction`).
struct RequestTransaction: Sendable {
    @TaskLocal static var current: RequestTransaction?
    let client: ObjectIdentifier
    let connection: PostgresConnection
    /// Inserts the request holds back for its last statement (see `WaitingWrites`).
    let waiting = WaitingWrites()
}

/// Whether an attempt has sent COMMIT: a connection lost after that point leaves the outcome
/// unknown, so a plain transaction is not retried then.
final class CommitProgress: Sendable {
    private let sent = Atomic<Bool>(false)
    var commitSent: Bool { sent.load(ordering: .relaxed) }
    func markCommitSent() { sent.store(true, ordering: .relaxed) }
}

/// Test hooks: fail a transaction right before COMMIT or right after it (as a dropped connection
/// would), to prove that a retry gets exactly one effect and the original answer. Inert unless a
/// test arms it; each `Database` has its own, so parallel tests do not see each other's faults.
public final class FaultInjector: Sendable {
    public enum Point: Sendable, Hashable { case beforeCommit, afterCommit }
    public struct Injected: Error, CustomStringConvertible {
        public let point: Point
        public var description: String { "injected fault \(point)" }
    }
    private let armed = Mutex<[Point: Int]>([:])

    public init() {}

    /// Makes the next `times` transactions that reach `point` fail there.
    public func arm(_ point: Point, times: Int = 1) { armed.withLock { $0[point, default: 0] += times } }

    func fire(_ point: Point) throws {
        let hit = armed.withLock { map -> Bool in
            guard let left = map[point], left > 0 else { return false }
            map[point] = left - 1
            return true
        }
        if hit { throw Injected(point: point) }
    }
}
