import Foundation
import Logging
import PostgresNIO

/// Where the database is and how to reach it.
public struct DatabaseConfiguration: Sendable {
    public var postgres: PostgresClient.Configuration

    public init(postgres: PostgresClient.Configuration) { self.postgres = postgres }

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

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public init(configuration: DatabaseConfiguration, logger: Logger) {
        self.init(client: PostgresClient(configuration: configuration.postgres, backgroundLogger: logger), logger: logger)
    }

    /// Runs `body` in one transaction (READ COMMITTED; callers lock the rows they change with
    /// `FOR UPDATE`). Retries the whole body on serialization failure or deadlock, so `body`
    /// must have no effects outside the database. Errors thrown by `body` come out unwrapped.
    @discardableResult
    public func transaction<Result: Sendable>(
        retries: Int = 3,
        _ body: @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        var attempt = 0
        while true {
            do {
                return try await KnownLedgerAccounts.$current.withValue(knownLedgerAccounts) {
                    try await client.withConnection { connection in
                        try await Self.runTransaction(on: connection, logger: logger, body)
                    }
                }
            } catch let error as PSQLError where attempt < retries && error.isRetryable {
                attempt += 1
                logger.debug("retrying transaction", metadata: ["sqlstate": "\(error.sqlState ?? "")", "attempt": "\(attempt)"])
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...(5 * attempt))))
            }
        }
    }

    static func runTransaction<Result: Sendable>(
        on connection: PostgresConnection, logger: Logger, _ body: @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await connection.query("BEGIN", logger: logger)
        let value: Result
        do {
            value = try await body(connection)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
        do {
            try await connection.query("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
        return value
    }

    /// Runs one statement outside an explicit transaction.
    public func execute(_ query: PostgresQuery) async throws {
        _ = try await client.withConnection { try await $0.query(query, logger: logger) }
    }

    /// Runs one hot-path statement outside an explicit transaction, prepared (see `prepared(_:logger:)`).
    public func executePrepared<T: PostgresDecodable & Sendable>(_ query: PreparedSQL, returning type: T.Type) async throws -> [T] {
        try await client.withConnection { try await $0.prepared(query, logger: logger).all(T.self) }
    }

    /// `SELECT 1`, for readiness.
    public func ping() async throws {
        try await client.withConnection { connection in
            _ = try await connection.query("SELECT 1", logger: logger).collect()
        }
    }
}

extension PSQLError {
    /// The SQLSTATE the server sent, if any.
    public var sqlState: String? { serverInfo?[.sqlState] }

    /// Serialization failure or deadlock: the transaction may be retried as a whole.
    var isRetryable: Bool { sqlState == "40001" || sqlState == "40P01" }

    /// The constraint the server named, if any.
    public var constraintName: String? { serverInfo?[.constraintName] }

    /// The server's own message (never contains bound values).
    public var serverMessage: String? { serverInfo?[.message] }
}

extension PostgresRowSequence {
    /// Collects every row decoded as `T`.
    public func all<T: PostgresDecodable & Sendable>(_ type: T.Type) async throws -> [T] {
        var out: [T] = []
        for try await row in self { out.append(try row.decode(T.self)) }
        return out
    }
}
