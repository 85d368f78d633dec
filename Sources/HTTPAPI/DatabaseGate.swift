import Hummingbird
import Persistence

/// Refuses `/v1` requests with 503 + `Retry-After` while the database server is unreachable,
/// instead of queueing them behind a pool that cannot connect. Without a reachability probe
/// (tests that do not ask for one) it lets everything through.
struct DatabaseGateMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let reachability: DatabaseReachability?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let reachability, !(await reachability.isReachable()) { throw Problem.databaseUnavailable }
        return try await next(request, context)
    }
}
