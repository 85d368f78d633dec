import Domain
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Jobs
import Persistence
import Services

/// The operator console at `/console`: server-rendered pages over the same services the API calls,
/// each action taken as the signed-in operator's key (so it is audited exactly like the API).
/// HTML, not API: these routes are not in openapi.yaml (the contract test leaves `/console` out).
struct ConsoleRoutes {
    let deps: APIDependencies
    var pages: ConsolePages { ConsolePages(clock: deps.clock) }
    var format: ConsoleFormat { ConsoleFormat(calendar: deps.calendar) }
    var services: ServiceRegistry { deps.services }

    func addRoutes(to router: Router<AppRequestContext>) {
        let group = router.group("console")
            .add(middleware: ConsoleResponseMiddleware(pages: pages))
            .add(middleware: ConsoleSessionMiddleware(access: deps.services.access, pages: pages))
        let routes = Routes(group: group)
        addSessionRoutes(routes)
        addWorkRoutes(routes)
        addRecordRoutes(routes)
        // Anything else under /console is the console's own 404 page, not the API's JSON problem.
        routes.get("/**") { request, _ -> Response in
            throw Problem.notFound("there is no console page at \(request.uri.path)")
        }
    }

    /// `/docs`, public like `/openapi.json`, with the console's headers.
    func addDocs(to router: Router<AppRequestContext>) {
        let docs = Routes(group: router.group("docs").add(middleware: ConsoleResponseMiddleware(pages: pages)))
        docs.get("") { _, context in
            try pages.render("docs", title: "Qianzhuang API reference", section: "", page: try DocsPage.current.get(), context: context)
        }
    }

    // MARK: Sign-in, sign-out, stylesheet

    struct SignInPage {
        let token: String
        let refusal: String
    }

    func addSessionRoutes(_ routes: Routes) {
        routes.get("/static/console.css") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/css; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try ConsoleResources.load().stylesheet)))
        }
        routes.get("/sign-in") { request, context in
            try signInPage(request, context: context, refusal: nil, status: .ok)
        }
        routes.post("/sign-in") { request, context in
            let form = try await ConsoleForm.read(request)
            // Login CSRF: the form's token must equal the one its own cookie carries (no session exists yet).
            guard let expected = request.cookies[ConsoleSecurity.signInCookie]?.value,
                  ConsoleSecurity.tokensMatch(form[ConsoleSecurity.csrfField], expected) else {
                throw ConsoleSecurity.forbidden("the sign-in form's CSRF token is missing or stale; reload the page and sign in again")
            }
            let signIn: ConsoleSignIn
            do {
                signIn = try await services.access.signIn(key: form.text("api_key") ?? "", requestID: context.requestID)
            } catch let error as ServiceError {
                let problem = ProblemMapper.fromService(error)
                return try signInPage(request, context: context, refusal: problem.errors.first?.message ?? problem.detail, status: problem.status)
            }
            var response = ConsolePages.seeOther("/console")
            response.setCookie(ConsoleSecurity.cookie(ConsoleSecurity.sessionCookie, signIn.sessionID, request: request, maxAge: nil))
            response.setCookie(ConsoleSecurity.cookie(ConsoleSecurity.signInCookie, "", request: request, maxAge: 0))
            return response
        }
        routes.post("/sign-out") { request, context in
            if let id = request.cookies[ConsoleSecurity.sessionCookie]?.value {
                try await services.access.signOut(sessionID: id, requestID: context.requestID)
            }
            var response = ConsolePages.seeOther("/console/sign-in")
            response.setCookie(ConsoleSecurity.cookie(ConsoleSecurity.sessionCookie, "", request: request, maxAge: 0))
            return response
        }
    }

    func signInPage(_ request: Request, context: AppRequestContext, refusal: String?, status: HTTPResponse.Status) throws -> Response {
        let token = RandomToken.hex(bytes: 32)
        var response = try pages.render("sign-in", title: "Sign in", section: "", page: SignInPage(token: token, refusal: refusal ?? ""),
                                        context: context, status: status)
        response.setCookie(ConsoleSecurity.cookie(ConsoleSecurity.signInCookie, token, request: request, maxAge: 3600))
        return response
    }

    // MARK: Helpers shared by the pages

    static func actor(_ context: AppRequestContext) throws -> Actor {
        Actor(principal: try context.require(.operator), requestID: context.requestID)
    }

    static func form(_ context: AppRequestContext) throws -> ConsoleForm {
        guard let form = context.consoleForm else { throw ConsoleSecurity.forbidden("the form was not checked") }
        return form
    }

    static func query(_ request: Request) -> [String: String] { ReconciliationRoutes.query(request) }

    /// What a redirect's `notice` code says (fixed words: nothing a link can inject).
    static let notices: [String: String] = [
        "financing-approved": "Financing approved and disbursed.", "financing-declined": "Financing declined; the receivables are free again.",
        "exception-acknowledged": "Exception acknowledged.", "exception-resolved": "Exception resolved.",
        "claim-approved": "Claim approved: the next nightly payout pays it.", "claim-rejected": "Claim rejected.",
        "key-revoked": "Key revoked.", "rule-saved": "Matching rule saved; it applies from the next nightly match.", "run-started": "Nightly run started; it works in the background.",
        "run-finished": "That date's run had already finished (tick “re-run” to run it again).",
    ]

    static func notice(_ request: Request) -> String? { query(request)["notice"].flatMap { notices[$0] } }

    static func uuid(_ context: AppRequestContext, _ name: String = "id") throws -> UUID {
        try Field.uuid(try Field.path(context, name), name)
    }
}
