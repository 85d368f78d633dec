import Crypto
import Foundation
import Logging
import PostgresNIO

/// One migration file: `NNNN_name.sql`.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let sql: String
    /// Hex SHA-256 of the file's bytes.
    public let checksum: String

    /// A migration from its text; the checksum is the SHA-256 of the text's UTF-8 bytes.
    public init(version: Int, name: String, sql: String) {
        self.init(version: version, name: name, sql: sql, checksum: Self.checksum(Data(sql.utf8)))
    }

    init(version: Int, name: String, sql: String, checksum: String) {
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = checksum
    }

    static func checksum(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}

/// Why migrating stopped.
public enum MigrationError: Error, CustomStringConvertible {
    case directoryNotFound(String)
    case badFileName(String)
    case duplicateVersion(Int)
    case editedAfterApply(version: Int, name: String, recorded: String, current: String)
    case unknownAppliedVersion(Int)
    case failed(version: Int, name: String, message: String)

    public var description: String {
        switch self {
        case .directoryNotFound(let p): "migrations directory not found: \(p) (set --migrations or QZ_MIGRATIONS)"
        case .badFileName(let f): "migration file name must be NNNN_name.sql: \(f)"
        case .duplicateVersion(let v): "two migration files share version \(v)"
        case .editedAfterApply(let v, let n, let recorded, let current):
            "migration \(v) (\(n)) was edited after it was applied: recorded checksum \(recorded.prefix(12))…, file now \(current.prefix(12))…. Applied migrations are immutable; add a new migration instead."
        case .unknownAppliedVersion(let v): "the database has migration \(v) applied, but no such file exists; is this binary older than the database?"
        case .failed(let v, let n, let m): "migration \(v) (\(n)) failed: \(m)"
        }
    }
}

/// Applies `Migrations/NNNN_name.sql` in order, each in its own transaction, recorded with a
/// checksum. A session advisory lock makes concurrent migrators take turns.
public struct Migrator: Sendable {
    public let migrations: [Migration]
    /// Arbitrary constant: the advisory lock key for "schema migration in progress".
    static let lockKey: Int64 = 0x71A2_2A0E_5C4E_0001

    public init(migrations: [Migration]) { self.migrations = migrations }

    /// Loads every `*.sql` file in `directory`.
    public init(directory: URL) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: directory.path, isDirectory: &isDir), isDir.boolValue else {
            throw MigrationError.directoryNotFound(directory.path)
        }
        var found: [Migration] = []
        for file in try fm.contentsOfDirectory(atPath: directory.path).sorted() where file.hasSuffix(".sql") {
            let stem = file.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]) else {
                throw MigrationError.badFileName(file)
            }
            let data = try Data(contentsOf: directory.appendingPathComponent(file))
            let checksum = Migration.checksum(data)
            found.append(Migration(version: version, name: String(stem[stem.index(after: underscore)...]),
                                   sql: String(decoding: data, as: UTF8.self), checksum: checksum))
        }
        found.sort { $0.version < $1.version }
        for (a, b) in zip(found, found.dropFirst()) where a.version == b.version { throw MigrationError.duplicateVersion(a.version) }
        self.init(migrations: found)
    }

    /// Finds the migrations directory: an explicit path, `QZ_MIGRATIONS`, `./Migrations`, or next to the binary.
    public static func locateDirectory(explicit: String?) -> URL {
        if let explicit { return URL(fileURLWithPath: explicit) }
        if let env = ProcessInfo.processInfo.environment["QZ_MIGRATIONS"] { return URL(fileURLWithPath: env) }
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("Migrations")
        if FileManager.default.fileExists(atPath: cwd.path) { return cwd }
        let binary = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for candidate in [binary.appendingPathComponent("Migrations"), binary.appendingPathComponent("../share/qianzhuang/Migrations")] {
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate.standardizedFileURL }
        }
        return cwd
    }

    /// Applies what is missing; returns the versions applied by this call.
    @discardableResult
    public func migrate(_ database: Database) async throws -> [Int] {
        let logger = database.logger
        return try await database.client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
            do {
                let applied = try await apply(on: connection, logger: logger)
                try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                return applied
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                throw error
            }
        }
    }

    /// True when every migration this binary knows is applied with its checksum (for readiness).
    /// Newer migrations applied by a newer release do not make an older replica unready, so a
    /// rolling deploy keeps the old pods serving.
    public func isCurrent(_ database: Database) async throws -> Bool {
        try await database.client.withConnection { connection in
            let exists = try await connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL", logger: database.logger)
                .all(Bool.self).first ?? false
            guard exists else { return migrations.isEmpty }
            let recorded = try await recordedChecksums(connection, database.logger)
            return migrations.allSatisfy { recorded[$0.version] == $0.checksum }
        }
    }

    func recordedChecksums(_ connection: PostgresConnection, _ logger: Logger) async throws -> [Int: String] {
        var recorded: [Int: String] = [:]
        for try await (version, checksum) in try await connection.query(
            "SELECT version, checksum FROM schema_migrations", logger: logger
        ).decode((Int, String).self) {
            recorded[version] = checksum
        }
        return recorded
    }

    func apply(on connection: PostgresConnection, logger: Logger) async throws -> [Int] {
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL,
                applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
            """, logger: logger)
        let recorded = try await recordedChecksums(connection, logger)
        let known = Set(migrations.map(\.version))
        if let stray = recorded.keys.sorted().first(where: { !known.contains($0) }) {
            throw MigrationError.unknownAppliedVersion(stray)
        }
        for m in migrations {
            if let checksum = recorded[m.version], checksum != m.checksum {
                throw MigrationError.editedAfterApply(version: m.version, name: m.name, recorded: checksum, current: m.checksum)
            }
        }
        var applied: [Int] = []
        for m in migrations where recorded[m.version] == nil {
            logger.info("applying migration", metadata: ["version": "\(m.version)", "name": "\(m.name)"])
            do {
                try await Database.runTransaction(on: connection, logger: logger) { connection in
                    for statement in SQLScript.statements(m.sql) {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES (\(m.version), \(m.name), \(m.checksum))",
                        logger: logger)
                }
            } catch let error as PSQLError {
                throw MigrationError.failed(version: m.version, name: m.name, message: error.serverMessage ?? String(reflecting: error))
            }
            applied.append(m.version)
        }
        return applied
    }
}
