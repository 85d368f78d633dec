import HTTPTypes
import Hummingbird

/// Registers routes on a group under a path prefix. Paths use OpenAPI's `{name}` syntax, which
/// Hummingbird also understands, so `router.routes` lists exactly the contract's operations.
struct Routes {
    typealias Handler = @Sendable (Request, AppRequestContext) async throws -> Response
    let group: RouterGroup<AppRequestContext>

    func on(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        group.on(RouterPath(String(path.dropFirst())), method: method, use: handler)
    }

    func get(_ path: String, _ handler: @escaping Handler) { on(.get, path, handler) }
    func post(_ path: String, _ handler: @escaping Handler) { on(.post, path, handler) }
    func patch(_ path: String, _ handler: @escaping Handler) { on(.patch, path, handler) }
    func delete(_ path: String, _ handler: @escaping Handler) { on(.delete, path, handler) }
}
