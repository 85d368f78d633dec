import Logging
import PostgresNIO
import Synchronization

/// Hot-path statements, parsed and planned once per connection instead of on every call.
///
/// `connection.query(_:)` sends an unnamed statement, so PostgreSQL parses, analyses and plans it
/// each time; on the checkout and financing paths that was a third of the server's CPU (perf, see
/// Benchmarks/README.md). `connection.prepared(_:)` takes the same interpolated SQL as a
/// `PreparedSQL` and runs it as a named prepared statement (PostgresNIO prepares it on first use
/// per connection).
///
/// Rules, enforced by `PreparedSQL`:
/// - No NULL binds: a prepared statement's parameter types are fixed by its first use, and a NULL
///   carries no type (PostgreSQL would infer one, perhaps not the type later values arrive in).
///   `PreparedSQL` has no interpolation for an `Optional`, so binding one does not compile; write
///   `NULLIF(\(value ?? ""), '')` or use `query(_:)`.
/// - The SQL text is fixed (values only ever arrive as binds; `unescaped:` takes constants), so the
///   number of distinct statements per connection stays bounded.
/// - PostgresNIO remembers a failed preparation for the life of the connection. A statement here
///   fails to prepare only if its SQL is wrong (a defect a test catches by running it) or if it is sent inside a
///   transaction that has already failed, which `Database.transaction` never does: it stops at the
///   first error and rolls back.
extension PostgresConnection {
    @discardableResult
    public func prepared(_ sql: PreparedSQL, logger: Logger) async throws -> PreparedRows {
        let text = DynamicPreparedStatement.Text(name: PreparedStatementNames.name(for: sql.sql), sql: sql.sql)
        let rows = try await DynamicPreparedStatement.$text.withValue(text) {
            try await self.execute(DynamicPreparedStatement(bindings: sql.binds), logger: logger)
        }
        return PreparedRows(rows: rows)
    }
}

/// SQL with interpolated binds, like `PostgresQuery`, minus the interpolations of `Optional`
/// (so a prepared statement never binds an untyped NULL). Binds are marked protected, as in
/// `PostgresQuery`: their values never appear in descriptions or errors.
public struct PreparedSQL: ExpressibleByStringInterpolation, Sendable {
    public var sql: String
    public var binds: PostgresBindings

    public init(stringLiteral value: String) {
        sql = value
        binds = PostgresBindings()
    }

    public init(stringInterpolation: StringInterpolation) {
        sql = stringInterpolation.sql
        binds = stringInterpolation.binds
    }

    public struct StringInterpolation: StringInterpolationProtocol, Sendable {
        var sql: String
        var binds: PostgresBindings

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql = ""
            sql.reserveCapacity(literalCapacity + 4 * interpolationCount)
            binds = PostgresBindings(capacity: interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) { sql.append(contentsOf: literal) }

        public mutating func appendInterpolation<Value: PostgresThrowingDynamicTypeEncodable>(_ value: Value) throws {
            try binds.append(value, context: .default)
            sql.append(contentsOf: "$\(binds.count)")
        }

        public mutating func appendInterpolation<Value: PostgresDynamicTypeEncodable>(_ value: Value) {
            binds.append(value, context: .default)
            sql.append(contentsOf: "$\(binds.count)")
        }

        /// SQL text from a fixed list of constants (never a value).
        public mutating func appendInterpolation(unescaped text: String) { sql.append(contentsOf: text) }
    }
}

/// The rows of a prepared (or unnamed) statement; `decode(_:)` comes with PostgresNIO's
/// extension on every sequence of `PostgresRow`.
public struct PreparedRows: AsyncSequence, Sendable {
    public typealias Element = PostgresRow
    let rows: AsyncThrowingMapSequence<PostgresRowSequence, PostgresRow>

    init(rows: AsyncThrowingMapSequence<PostgresRowSequence, PostgresRow>) { self.rows = rows }

    public func makeAsyncIterator() -> AsyncThrowingMapSequence<PostgresRowSequence, PostgresRow>.AsyncIterator {
        rows.makeAsyncIterator()
    }

    /// Collects every row decoded as `T`.
    public func all<T: PostgresDecodable & Sendable>(_ type: T.Type) async throws -> [T] {
        var out: [T] = []
        for try await row in self { out.append(try row.decode(T.self)) }
        return out
    }
}

/// PostgresNIO names a prepared statement by its type; this one type stands for any statement,
/// its name and SQL supplied by a task-local for the duration of `execute`, which reads both
/// before it sends anything (and again only to annotate an error, still inside the scope).
struct DynamicPreparedStatement: PostgresPreparedStatement {
    struct Text: Sendable {
        let name: String
        let sql: String
    }

    typealias Row = PostgresRow
    @TaskLocal static var text = Text(name: "", sql: "")
    static var name: String { text.name }
    static var sql: String { text.sql }

    let bindings: PostgresBindings
    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

/// Stable names per SQL text for this process (`qz_1`, `qz_2`, ...).
enum PreparedStatementNames {
    private static let names = Mutex<[String: String]>([:])

    static func name(for sql: String) -> String {
        names.withLock { map in
            if let name = map[sql] { return name }
            let name = "qz_\(map.count + 1)"
            map[sql] = name
            return name
        }
    }
}
