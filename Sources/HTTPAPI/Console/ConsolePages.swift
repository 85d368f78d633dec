import Domain
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Jobs
import Services
import Mustache

/// Renders console pages: the layout (navigation, sign-out form with its CSRF token, business date)
/// around one page's view model. Values are HTML-escaped by Mustache; only the server-made SVG
/// charts are inserted as they are.
struct ConsolePages: Sendable {
    let clock: BusinessClock

    struct NavItem {
        let href: String
        let label: String
        let current: Bool
    }

    static let sections: [(href: String, label: String)] = [
        ("/console", "Today"), ("/console/financing", "Financing queue"), ("/console/claims", "Claims queue"),
        ("/console/reconciliation", "Reconciliation"), ("/console/nightly", "Nightly runs"), ("/console/orders", "Orders"),
        ("/console/suppliers", "Suppliers"), ("/console/credit", "Credit"), ("/console/ledger", "Ledger"),
        ("/console/keys", "API keys"), ("/console/audit", "Audit log"),
    ]

    /// A page of the console (`section` marks the navigation entry it belongs to).
    func render(_ template: String, title: String, section: String, page: Any, context: AppRequestContext,
                notice: String? = nil, status: HTTPResponse.Status = .ok) throws -> Response {
        let signedIn = context.principal != nil && context.consoleCSRF != nil
        var object: [String: Any] = [
            "title": title,
            "signedIn": signedIn,
            "nav": Self.sections.map { NavItem(href: $0.href, label: $0.label, current: $0.href == section) },
            "csrf": context.consoleCSRF ?? "",
            "operatorKey": context.principal.map { String($0.keyID.prefix(8)) } ?? "",
            "businessDate": clock.today.description,
            "page": page,
        ]
        if let notice { object["notice"] = notice }
        let resources = try ConsoleResources.load()
        guard let html = resources.library.render(object, withTemplate: template) else {
            throw ConsoleResources.MissingResource(description: "no console template \(template)")
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    struct ErrorPage {
        let status: Int
        let detail: String
        let issues: [FieldIssue]
        let requestID: String
    }

    /// Any error as a page: a problem's own status and words; anything else a 500 logged with the request id.
    func error(_ error: any Error, request: Request, context: AppRequestContext) -> Response {
        let problem = ProblemMapper.problem(for: error) ?? Problem(
            status: .internalServerError, type: "internal", title: "Internal error",
            detail: "something went wrong on our side; quote request id \(context.requestID)")
        if problem.status.code >= 500 {
            context.logger.error("console request failed", metadata: [
                "method": "\(request.method)", "route": "\(context.endpointPath ?? "unmatched")", "error": "\(String(reflecting: error))",
            ])
        } else {
            context.logger.info("console request refused", metadata: [
                "method": "\(request.method)", "route": "\(context.endpointPath ?? "unmatched")", "status": "\(problem.status.code)",
            ])
        }
        return self.error(problem, context: context)
    }

    /// An error as a page with its status; never a stack trace or a secret, only the problem's words.
    func error(_ problem: Problem, context: AppRequestContext) -> Response {
        let page = ErrorPage(status: Int(problem.status.code), detail: problem.detail,
                             issues: problem.errors, requestID: context.requestID)
        if let response = try? render("error", title: problem.title, section: "", page: page, context: context, status: problem.status) {
            return response
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: problem.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: problem.detail)))
    }

    /// A redirect after a successful POST (303, so the browser GETs the page), with a notice code.
    static func seeOther(_ location: String) -> Response {
        Response.redirect(to: location, type: .normal)
    }
}

/// How the console writes numbers, money and times: money always with its currency, grouped
/// (the nightly report's formatting), timestamps in the platform's time zone.
struct ConsoleFormat: Sendable {
    let calendar: BusinessCalendar

    func money(_ m: Money) -> String { NightlyReport.money(m.minorUnits, m.currency.code) }
    func money(_ minor: Int64?, _ code: String?) -> String { minor.map { NightlyReport.money($0, code) } ?? "—" }
    func money(_ minor: Decimal, _ code: String) -> String { NightlyReport.money(minor, code) }

    /// A decimal string as the API writes it ("1083.10") with its currency.
    func money(_ decimal: String?, _ code: String) -> String {
        guard let decimal else { return "—" }
        guard let m = try? Money.parse(amount: decimal, currencyCode: code, allowNegative: true) else { return "\(decimal) \(code)" }
        return money(m)
    }

    func time(_ date: Date?) -> String {
        guard let date else { return "—" }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = calendar.timeZone
        f.dateFormat = "yyyy-MM-dd HH:mm"
        return f.string(from: date)
    }

    func percent(_ d: Decimal?) -> String {
        guard let d else { return "—" }
        var v = d * 100
        var rounded = Decimal()
        NSDecimalRound(&rounded, &v, 2, .bankers)
        return "\(rounded)%"
    }

    func count<N: BinaryInteger>(_ n: N) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + String(out.reversed())
    }

    static func words(_ code: String) -> String { code.replacingOccurrences(of: "_", with: " ") }

    /// A delinquency bucket as an operator says it: "current", "1–30 days past due", …
    static func bucket(_ bucket: DelinquencyBucket) -> String {
        switch bucket {
        case .current: "current"
        case .d1to30: "1–30 days past due"
        case .d31to60: "31–60 days past due"
        case .d61to90: "61–90 days past due"
        case .d90plus: "over 90 days past due"
        }
    }
}
