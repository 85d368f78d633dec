import Domain
import Foundation
import Hummingbird
import Logging
import Services

/// Per-request state: the request id and, once authenticated, the caller.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestID: String = ""
    public var principal: Principal?
    /// The JSON body, when a middleware has already read and parsed it (the idempotency layer
    /// does, to compare requests), so the handler decodes it without reading or parsing again.
    var parsedBody: JSONTree?
    /// In the operator console: the session's CSRF token, and a POSTed form already read and checked against it.
    var consoleCSRF: String?
    var consoleForm: ConsoleForm?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }

    /// Request bodies above this are refused with 413 before decoding.
    public var maxUploadSize: Int { 1 << 20 }

    /// The authenticated caller; routes behind `AuthMiddleware` always have one.
    public func caller() throws -> Principal {
        guard let principal else { throw Problem.unauthorized() }
        return principal
    }

    /// Requires one of `roles`; a valid key with another role is 403.
    @discardableResult
    public func require(_ roles: Role...) throws -> Principal {
        let principal = try caller()
        guard roles.contains(principal.role) else {
            throw Problem(status: .forbidden, type: "forbidden", title: "Forbidden",
                          detail: "the \(principal.role.rawValue) role may not do this")
        }
        return principal
    }

    /// A UUID path parameter (`{id}` unless named), or a 422 naming it.
    func pathID(_ name: String = "id") throws -> UUID {
        try Field.uuid(try Field.path(self, name), name)
    }

    /// The caller acting in this request, as services record it.
    func actor(_ principal: Principal) -> Actor {
        Actor(principal: principal, requestID: requestID)
    }
}
