import Domain
import Foundation

/// One problem with one input field, named by its JSON path ("postings[1].amount").
public struct FieldIssue: Sendable, Equatable, Codable {
    public let field: String
    public let message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}

/// Why a use case refused. Transport maps each case to one status; nothing here knows HTTP.
public enum ServiceError: Error, Sendable, Equatable {
    /// The object does not exist, or the caller may not know that it does.
    case notFound(resource: String, id: String)
    /// Well-formed input that breaks a rule.
    case invalid([FieldIssue])
    /// The object's current state does not allow this change.
    case conflict(code: String, detail: String)
    /// The caller's role may not do this.
    case forbidden(String)

    public static func invalid(_ field: String, _ message: String) -> ServiceError {
        .invalid([FieldIssue(field: field, message: message)])
    }
}

extension Optional {
    /// The value, or `ServiceError.notFound` naming the resource and its id.
    func orNotFound(_ resource: String, id: UUID) throws(ServiceError) -> Wrapped {
        guard let self else { throw .notFound(resource: resource, id: id.uuidString.lowercased()) }
        return self
    }
}

/// Everything a use case needs to say who acted, for the audit trail.
public struct Actor: Sendable {
    public let principal: Principal
    public let requestID: String?

    public init(principal: Principal, requestID: String?) {
        self.principal = principal
        self.requestID = requestID
    }
}
