import Logging
import PostgresNIO
import Synchronization

/// Hot-path statements, parsed and planned once per connection instead of on every call.
///
/// `connection.query(_:)` sends an unnamed statement, so PostgreSQL parses, analyses and plans it
/// each time; on the checkout and financing paths that was a third of the server's CPU (perf, see
/// Benchmarks/README.md). `connection.prepared(_:)` takes the same interpolated `PostgresQuery`
/// and runs it as a named prepared statement (PostgresNIO prepares it on first use per connection).
///
/// Rules for callers:
/// - Use it for statements whose SQL text is fixed (values only ever arrive as binds), so the
///   number of distinct statements per connection stays bounded.
/// - A statement whose binds include a NULL runs unnamed: a prepared statement's parameter types
///   are fixed by its first use, and a NULL carries no type.
extension PostgresConnection {
    @discardableResult
    public func prepared(_ query: PostgresQuery, logger: Logger) async throws -> PreparedRows {
        if PreparedStatementNames.hasNull(query.binds) {
            return PreparedRows(rows: try await self.query(query, logger: logger).map { $0 })
        }
        let text = DynamicPreparedStatement.Text(name: PreparedStatementNames.name(for: query.sql), sql: query.sql)
        let rows = try await DynamicPreparedStatement.$text.withValue(text) {
            try await self.execute(DynamicPreparedStatement(bindings: query.binds), logger: logger)
        }
        return PreparedRows(rows: rows)
    }
}

/// The rows of a prepared (or unnamed) statement; `decode(_:)` comes with PostgresNIO's
/// extension on every sequence of `PostgresRow`.
public struct PreparedRows: AsyncSequence, Sendable {
    public typealias Element = PostgresRow
    let rows: AsyncThrowingMapSequence<PostgresRowSequence, PostgresRow>

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

    /// Whether any bind is NULL (PostgresNIO shows a NULL bind's type as `NULL`; values of
    /// interpolated binds are masked, so the description never contains data).
    /// A plain byte scan: Foundation's `contains`/`range(of:)` bridges through NSString on Linux and
    /// showed up in the service's profile.
    private static let nullMarker = Array("; NULL; format:".utf8)

    static func hasNull(_ binds: PostgresBindings) -> Bool {
        var text = binds.debugDescription
        return text.withUTF8 { bytes in
            let needle = nullMarker
            guard bytes.count >= needle.count else { return false }
            var i = 0
            while i <= bytes.count - needle.count {
                if bytes[i] == 0x3B /* ; */ {
                    var j = 1
                    while j < needle.count, bytes[i + j] == needle[j] { j += 1 }
                    if j == needle.count { return true }
                }
                i += 1
            }
            return false
        }
    }
}
