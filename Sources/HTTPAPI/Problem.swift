import Domain
import Foundation
import Hummingbird
import Persistence
import PostgresNIO
import Services

/// An RFC 9457 problem: every error the API returns has this shape.
public struct Problem: Error, Sendable {
    public var status: HTTPResponse.Status
    /// A stable slug; the document's `type` is `https://qianzhuang.dev/problems/<slug>`.
    public var type: String
    public var title: String
    public var detail: String
    public var errors: [FieldIssue]
    /// Machine-readable extra members (e.g. `current_state`).
    public var extra: [String: String]

    public init(status: HTTPResponse.Status, type: String, title: String, detail: String,
                errors: [FieldIssue] = [], extra: [String: String] = [:]) {
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.errors = errors
        self.extra = extra
    }

    public static func validation(_ errors: [FieldIssue], detail: String? = nil) -> Problem {
        Problem(status: .unprocessableContent, type: "validation", title: "Invalid request",
                detail: detail ?? errors.map { "\($0.field): \($0.message)" }.joined(separator: "; "), errors: errors)
    }

    public static func validation(_ field: String, _ message: String) -> Problem {
        validation([FieldIssue(field: field, message: message)])
    }

    public static func unauthorized(_ detail: String = "a valid API key is required: Authorization: Bearer <key>") -> Problem {
        Problem(status: .unauthorized, type: "unauthorized", title: "Unauthorized", detail: detail)
    }

    public static func notFound(_ detail: String) -> Problem {
        Problem(status: .notFound, type: "not-found", title: "Not found", detail: detail)
    }

    public static func malformed(_ detail: String) -> Problem {
        Problem(status: .badRequest, type: "malformed-request", title: "Malformed request", detail: detail)
    }

    /// The database cannot be reached; answered with `Retry-After`.
    public static let databaseUnavailable = Problem(
        status: .serviceUnavailable, type: "database-unavailable", title: "Service unavailable",
        detail: "the database is unreachable; retry shortly (with the same Idempotency-Key)")

    public static func conflict(_ type: String, _ detail: String, extra: [String: String] = [:]) -> Problem {
        Problem(status: .conflict, type: type, title: "Conflict", detail: detail, extra: extra)
    }

    /// The problem+json response, with `instance` set to the request path.
    func response(instance: String) -> Response {
        var object: [String: Any] = [
            "type": "https://qianzhuang.dev/problems/\(type)",
            "title": title,
            "status": Int(status.code),
            "detail": detail,
            "instance": instance,
        ]
        if !errors.isEmpty {
            object["errors"] = errors.map { ["field": $0.field, "message": $0.message] }
        }
        for (key, value) in extra { object[key] = value }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        if status == .serviceUnavailable { headers[.retryAfter] = "1" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Maps every error to a problem. Domain and service errors are typed; anything else is a 500,
/// logged with its full reflection and the request id, and answered without internals.
enum ProblemMapper {
    static func problem(for error: any Error) -> Problem? {
        switch error {
        case let problem as Problem:
            return problem
        case let error as ServiceError:
            return fromService(error)
        case let error as HTTPError:
            return fromHTTP(error)
        case let error as PSQLError:
            return fromPostgres(error)
        case let error where String(reflecting: type(of: error)).hasSuffix("ConnectionPoolError"):
            // PostgresNIO's pool gave up (circuit breaker tripped while the server is down).
            return .databaseUnavailable
        case let error as MoneyError:
            switch error {
            case .overflow: return .validation("amount", "amount overflows")
            case .currencyMismatch(let a, let b): return .validation("currency", "currencies differ: \(a) and \(b)")
            }
        default:
            return nil
        }
    }

    static func fromService(_ error: ServiceError) -> Problem {
        switch error {
        case .notFound(let resource, let id):
            return .notFound("no \(resource) \(id)")
        case .invalid(let issues):
            return .validation(issues)
        case .conflict(let code, let detail):
            return .conflict(code, detail)
        case .forbidden(let detail):
            return Problem(status: .forbidden, type: "forbidden", title: "Forbidden", detail: detail)
        }
    }

    static func fromHTTP(_ error: HTTPError) -> Problem {
        switch error.status {
        case .contentTooLarge:
            return Problem(status: .contentTooLarge, type: "too-large", title: "Request body too large",
                           detail: "the request body exceeds 1 MiB")
        case .notFound:
            return .notFound("no such route")
        case .methodNotAllowed:
            return Problem(status: .methodNotAllowed, type: "method-not-allowed", title: "Method not allowed",
                           detail: "this route does not accept this method")
        default:
            return Problem(status: error.status, type: "http-\(error.status.code)", title: error.status.reasonPhrase,
                           detail: error.body ?? error.status.reasonPhrase)
        }
    }

    /// Constraint violations that escape a service are races the service could not pre-check.
    static func fromPostgres(_ error: PSQLError) -> Problem? {
        // The connection failed or died (server down or restarting): nothing was committed, so the
        // caller may retry (with the same Idempotency-Key); not a 500.
        if [.connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed].contains(error.code) {
            return .databaseUnavailable
        }
        switch error.sqlState {
        case "23505":
            return .conflict("duplicate", "an object with the same unique key already exists")
        case "23514", "23P01":
            return .conflict("constraint", "the change would break a rule: \(error.constraintName ?? "check")")
        case "57P01", "57P02", "57P03", "08000", "08003", "08006":
            // admin shutdown, crash shutdown, cannot connect now (starting up), connection exceptions
            return .databaseUnavailable
        case "55P03", "40001", "40P01":
            return Problem(status: .serviceUnavailable, type: "contention", title: "Busy",
                           detail: "the object is busy; retry with the same Idempotency-Key")
        default:
            return nil
        }
    }
}
