import HTTPTypes
import Hummingbird
import Synchronization

/// Every route the API serves, recorded as it is registered ("GET /v1/ledger/accounts/{code}"),
/// so a test can hold the router and the OpenAPI document to each other.
public final class RouteTable: Sendable {
    private let entries = Mutex<[String]>([])

    public init() {}

    public var routes: [String] { entries.withLock { $0.sorted() } }

    func record(_ method: HTTPRequest.Method, _ path: String) {
        entries.withLock { $0.append("\(method.rawValue) \(path)") }
    }
}

/// Registers routes on a group under a path prefix and records them in the route table.
/// Paths use OpenAPI's `{name}` syntax, which Hummingbird also understands.
struct Routes {
    typealias Handler = @Sendable (Request, AppRequestContext) async throws -> Response
    let group: RouterGroup<AppRequestContext>
    let prefix: String
    let table: RouteTable

    func on(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        table.record(method, prefix + path)
        group.on(RouterPath(String(path.dropFirst())), method: method, use: handler)
    }

    func get(_ path: String, _ handler: @escaping Handler) { on(.get, path, handler) }
    func post(_ path: String, _ handler: @escaping Handler) { on(.post, path, handler) }
    func patch(_ path: String, _ handler: @escaping Handler) { on(.patch, path, handler) }
}
