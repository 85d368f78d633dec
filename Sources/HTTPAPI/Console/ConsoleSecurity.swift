import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Persistence
import Services

/// The console's security rules in one place: the headers on every response, the session cookie,
/// the CSRF check on every form, and an HTML error page in place of problem+json.
enum ConsoleSecurity {
    static let sessionCookie = "qz_console"
    /// Double-submit token of the sign-in form (there is no session yet to bind it to).
    static let signInCookie = "qz_console_signin"
    static let csrfField = "csrf"

    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    static func applyHeaders(_ headers: inout HTTPFields) {
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[.xContentTypeOptions] = "nosniff"
        headers[.referrerPolicy] = "no-referrer"
        headers[.cacheControl] = "no-store"
        headers[.xFrameOptions] = "DENY"
    }

    /// Behind a TLS-terminating proxy the request says so; the cookie is then `Secure`.
    static func overTLS(_ request: Request) -> Bool {
        request.headers[.xForwardedProto]?.lowercased().split(separator: ",").first?.trimmingCharacters(in: .whitespaces) == "https"
    }

    /// `HttpOnly; SameSite=Strict; Path=/console`, `Secure` over TLS; `maxAge` 0 deletes it.
    static func cookie(_ name: String, _ value: String, request: Request, maxAge: Int?) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/console", secure: overTLS(request), httpOnly: true, sameSite: .strict)
    }

    /// Constant-time comparison of a submitted token with the expected one.
    static func tokensMatch(_ submitted: String?, _ expected: String) -> Bool {
        guard let submitted, submitted.utf8.count == expected.utf8.count, !expected.isEmpty else { return false }
        return zip(submitted.utf8, expected.utf8).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func forbidden(_ detail: String) -> Problem {
        Problem(status: .forbidden, type: "forbidden", title: "Forbidden", detail: detail)
    }
}

/// A form body (`application/x-www-form-urlencoded`), at most 64 KiB.
struct ConsoleForm {
    let fields: [String: String]

    subscript(_ name: String) -> String? { fields[name] }

    /// The trimmed value, nil when absent or blank.
    func text(_ name: String) -> String? {
        guard let value = fields[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    static func read(_ request: Request) async throws -> ConsoleForm {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        guard type.hasPrefix("application/x-www-form-urlencoded") else {
            throw Problem(status: .unsupportedMediaType, type: "unsupported-media-type", title: "Unsupported media type",
                          detail: "console forms are sent as application/x-www-form-urlencoded")
        }
        let buffer = try await request.body.collect(upTo: 64 * 1024)
        return ConsoleForm(fields: parse(String(buffer: buffer)))
    }

    static func parse(_ body: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            let key = decode(parts[0])
            if out[key] == nil { out[key] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return out
    }
}

/// Security headers on every console response, errors included, and errors as an HTML page.
struct ConsoleResponseMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let pages: ConsolePages

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = pages.error(error, request: request, context: context)
        }
        ConsoleSecurity.applyHeaders(&response.headers)
        return response
    }
}

/// Finds the session of the cookie; pages without one redirect to sign-in, a POST without one is 403,
/// and a POST whose CSRF token is missing or wrong is 403. Sign-in and the stylesheet are open.
struct ConsoleSessionMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let access: AccessService
    let pages: ConsolePages
    static let open: Set<String> = ["/console/sign-in", "/console/static/console.css"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.open.contains(request.uri.path) { return try await next(request, context) }
        let session = try await request.cookies[ConsoleSecurity.sessionCookie].asyncMap { try await access.consoleSession(id: $0.value) } ?? nil
        guard let session else {
            if request.method == .get || request.method == .head {
                return Response.redirect(to: "/console/sign-in", type: .found)
            }
            throw ConsoleSecurity.forbidden("your console session has ended; sign in again")
        }
        var context = context
        context.principal = session.principal
        context.consoleCSRF = session.csrfToken
        context.logger[metadataKey: "caller"] = .string(session.principal.actor)
        if request.method == .post {
            let form = try await ConsoleForm.read(request)
            guard ConsoleSecurity.tokensMatch(form[ConsoleSecurity.csrfField], session.csrfToken) else {
                throw ConsoleSecurity.forbidden("the form's CSRF token is missing or does not belong to your session; reload the page and try again")
            }
            context.consoleForm = form
        }
        // Errors past this point render inside the signed-in layout (navigation kept).
        do {
            return try await next(request, context)
        } catch {
            return pages.error(error, request: request, context: context)
        }
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        switch self {
        case .some(let value): try await transform(value)
        case .none: nil
        }
    }
}

extension HTTPField.Name {
    // These literals are valid field names; the fallback is unreachable.
    static let xForwardedProto = Self("X-Forwarded-Proto") ?? .via
    static let xContentTypeOptions = Self("X-Content-Type-Options") ?? .via
    static let referrerPolicy = Self("Referrer-Policy") ?? .via
    static let xFrameOptions = Self("X-Frame-Options") ?? .via
}
