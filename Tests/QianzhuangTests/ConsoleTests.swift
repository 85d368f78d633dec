import Domain
import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Persistence
import QianzhuangClient
import Testing

/// The operator console's security rules (issue 18) on real PostgreSQL: who may sign in, the
/// session cookie, CSRF on every form, the headers on every response, sign-out, and that an action
/// taken in the console is audited with the operator's key id like the API.
@Suite("Operator console")
struct ConsoleTests {
    /// A browser in miniature: keeps the console's cookies and the last page's CSRF token. Console
    /// exchanges bypass `call` (which records API exchanges for the contract check): they are HTML.
    final class Browser: @unchecked Sendable {
        let client: any TestClientProtocol
        var cookies: [String: String] = [:]
        var csrf: String?
        var headers: [(String, String)] = []

        init(_ client: any TestClientProtocol) { self.client = client }

        struct Page {
            let status: HTTPResponse.Status
            let headers: HTTPFields
            let html: String
        }

        @discardableResult
        func get(_ uri: String, extra: [String: String] = [:]) async throws -> Page {
            try await send(.get, uri, body: nil, extra: extra)
        }

        @discardableResult
        func post(_ uri: String, _ fields: [String: String], csrf: Bool = true, extra: [String: String] = [:]) async throws -> Page {
            var fields = fields
            if csrf, let token = self.csrf, fields["csrf"] == nil { fields["csrf"] = token }
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            let body = fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
            return try await send(.post, uri, body: body, extra: extra)
        }

        func send(_ method: HTTPRequest.Method, _ uri: String, body: String?, extra: [String: String]) async throws -> Page {
            var headers = HTTPFields()
            if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
            if body != nil { headers[.contentType] = "application/x-www-form-urlencoded" }
            for (name, value) in extra { if let field = HTTPField.Name(name) { headers[field] = value } }
            let page = try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { r in
                Page(status: r.status, headers: r.headers, html: String(buffer: r.body))
            }
            for set in page.headers[values: .setCookie] {
                let pair = set.split(separator: ";")[0].split(separator: "=", maxSplits: 1).map(String.init)
                guard pair.count == 2 else { continue }
                let expired = set.lowercased().contains("max-age=0")
                if expired || pair[1].isEmpty { cookies.removeValue(forKey: pair[0]) } else { cookies[pair[0]] = pair[1] }
            }
            if let range = page.html.range(of: #"name="csrf" value="([0-9a-f]+)""#, options: .regularExpression) {
                csrf = String(page.html[range].split(separator: "\"")[3])
            }
            return page
        }

        /// Signs in through the form, as a person would, and follows the redirect (which brings the session's CSRF token).
        @discardableResult
        func signIn(_ key: String, extra: [String: String] = [:]) async throws -> Page {
            try await get("/console/sign-in", extra: extra)
            let answer = try await post("/console/sign-in", ["api_key": key], extra: extra)
            if answer.status == .seeOther, let location = answer.headers[.location] { try await get(location, extra: extra) }
            return answer
        }
    }

    static func sessionCookieHeader(_ page: Browser.Page) -> String? {
        page.headers[values: .setCookie].first { $0.hasPrefix("qz_console=") && !$0.hasPrefix("qz_console=;") }
    }

    @Test("only an operator key signs in; the session cookie is HttpOnly, SameSite=Strict, Path=/console, Secure only behind TLS")
    func signInRules() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let platform = Browser(client)
                let refused = try await platform.signIn(api.platformKey)
                #expect(refused.status == .forbidden)
                #expect(refused.html.contains("only an operator key may sign in"))
                #expect(platform.cookies["qz_console"] == nil)
                let unknown = try await Browser(client).signIn("qz_" + String(repeating: "0", count: 64))
                #expect(unknown.status == .unprocessableContent && unknown.html.contains("unknown or revoked"))

                // Login CSRF: a sign-in posted without the form's own token (from another site, say) is refused.
                let forged = try await Browser(client).post("/console/sign-in", ["api_key": api.operatorKey], csrf: false)
                #expect(forged.status == .forbidden && Self.sessionCookieHeader(forged) == nil)

                let browser = Browser(client)
                let signedIn = try await browser.signIn(api.operatorKey)
                #expect(signedIn.status == .seeOther && signedIn.headers[.location] == "/console")
                let cookie = try #require(Self.sessionCookieHeader(signedIn))
                #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/console"))
                #expect(!cookie.contains("Secure"))
                let today = try await browser.get("/console")
                #expect(today.status == .ok && today.html.contains("Business date"))

                let behindTLS = try await Browser(client).signIn(api.operatorKey, extra: ["X-Forwarded-Proto": "https"])
                #expect(Self.sessionCookieHeader(behindTLS)?.contains("Secure") == true)
            }
            // Only the SHA-256 of the session id is stored.
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM console_sessions WHERE length(id_hash) = 32") == 2)
        }
    }

    @Test("every console page without a session redirects to sign-in; every response carries the strict headers, errors included")
    func headersAndRedirect() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let anonymous = Browser(client)
                let page = try await anonymous.get("/console/financing")
                #expect(page.status == .found && page.headers[.location] == "/console/sign-in")
                let browser = Browser(client)
                try await browser.signIn(api.operatorKey)
                for uri in ["/console", "/console/sign-in", "/console/nightly/\(UUID().uuidString)", "/console/orders?ref=NOPE", "/docs"] {
                    let p = try await browser.get(uri)
                    #expect(p.headers[.contentSecurityPolicy] == "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'", "\(uri)")
                    #expect(p.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff", "\(uri)")
                    #expect(p.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer", "\(uri)")
                    #expect(p.headers[.cacheControl] == "no-store", "\(uri)")
                    #expect(!p.html.contains("<script") && !p.html.contains("style="), "\(uri): no inline script or style")
                }
                let missing = try await browser.get("/console/orders?ref=NOPE")
                #expect(missing.status == .notFound && missing.headers[.contentType]?.hasPrefix("text/html") == true)
                let css = try await browser.get("/console/static/console.css")
                #expect(css.status == .ok && css.headers[.contentType]?.hasPrefix("text/css") == true)
            }
        }
    }

    @Test("a form posted without its CSRF token, or with another session's, is 403 and changes nothing; with it the action is audited as the operator")
    func csrfAndAudit() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let world = FinancingWorld(api: api, client: client)
                let supplier = try await world.createSupplier(ceiling: "1000.00")
                let receivable = try await world.createReceivable(supplier: supplier, face: "10000.00", dueInDays: 60)
                let supplierKey = try await api.supplierKey(try #require(UUID(uuidString: supplier)))
                let requested = try await world.finance([receivable], key: supplierKey)
                let requestID = try requested.decode(Schemas.FinancingRequest.self).id
                #expect(try requested.decode(Schemas.FinancingRequest.self).status == .pendingReview)

                let browser = Browser(client)
                try await browser.signIn(api.operatorKey)
                let queue = try await browser.get("/console/financing")
                #expect(queue.status == .ok && queue.html.contains(requestID))
                #expect(queue.html.contains("8,000.00 CNY"), "money is formatted with its currency")

                let without = try await browser.post("/console/financing/\(requestID)/approve", [:], csrf: false)
                #expect(without.status == .forbidden)
                let other = Browser(client)
                try await other.signIn(api.operatorKey)
                let wrong = try await browser.post("/console/financing/\(requestID)/approve", ["csrf": try #require(other.csrf)])
                #expect(wrong.status == .forbidden)
                let still = try await client.typed(api.operatorKey).getFinancingRequestsById(path: .init(id: requestID)).ok.body.json
                #expect(still.status == .pendingReview)

                let approved = try await browser.post("/console/financing/\(requestID)/approve", ["reason": "invoice checked"])
                #expect(approved.status == .seeOther)
                let after = try await client.typed(api.operatorKey).getFinancingRequestsById(path: .init(id: requestID)).ok.body.json
                #expect(after.status == .approved)
                let empty = try await browser.get("/console/financing")
                #expect(!empty.html.contains(requestID))
                // The disbursement is in the ledger: the trial balance links to each account, whose entries drill down.
                let trial = try await browser.get("/console/ledger")
                let link = try #require(trial.html.range(of: #"/console/ledger/accounts/[a-z0-9_.:-]+"#, options: .regularExpression))
                let account = try await browser.get(String(trial.html[link]))
                #expect(account.status == .ok && account.html.contains("financing"), "\(account.html.prefix(300))")
            }
            let operatorID = try await db.scalar(String.self, "SELECT id::text FROM api_keys WHERE role = 'operator' ORDER BY created_at LIMIT 1")
            let audited = try await db.scalar(String.self, """
                SELECT actor || ' ' || (detail->>'reason') FROM audit_events WHERE action = 'financing.approved'
                """)
            #expect(audited == "operator:\(operatorID ?? "?") invoice checked")
        }
    }

    @Test("sign-out deletes the session: the old cookie opens nothing, and a revoked key's session ends")
    func signOut() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let browser = Browser(client)
                try await browser.signIn(api.operatorKey)
                let kept = try #require(browser.cookies["qz_console"])
                let out = try await browser.post("/console/sign-out", [:])
                #expect(out.status == .seeOther && out.headers[.location] == "/console/sign-in")
                browser.cookies["qz_console"] = kept
                #expect(try await browser.get("/console").status == .found)

                // A second operator key signs in, then is revoked from the console by the first.
                let second = try await api.deps.services.access.createKey(role: .operator, supplierID: nil, label: "second")
                let other = Browser(client)
                try await other.signIn(second)
                #expect(try await other.get("/console").status == .ok)
                let admin = Browser(client)
                try await admin.signIn(api.operatorKey)
                let keys = try await admin.get("/console/keys")
                let listed = try await api.deps.services.access.keys(includeRevoked: false).first { $0.label == "second" }
                let secondID = try #require(listed?.id.uuidString.lowercased())
                #expect(keys.html.contains(secondID) && !keys.html.contains(second), "keys are listed by id and prefix, never in full")
                #expect(try await admin.post("/console/keys/\(secondID)/revoke", [:]).status == .seeOther)
                #expect(try await other.get("/console").status == .found)
            }
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM console_sessions") == 1)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM audit_events WHERE action = 'api_key.revoked'") == 1)
        }
    }

    @Test("every page renders with data behind it, and /docs lists every operation of the contract with its example")
    func pagesRender() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let world = FinancingWorld(api: api, client: client)
                let supplier = try await world.createSupplier()
                _ = try await world.createReceivable(supplier: supplier, face: "5000.00", dueInDays: 30, reference: "PO-<b>1</b>")
                let browser = Browser(client)
                try await browser.signIn(api.operatorKey)
                for uri in ["/console", "/console/financing", "/console/claims", "/console/reconciliation", "/console/reconciliation?state=",
                            "/console/nightly", "/console/orders", "/console/suppliers", "/console/suppliers/\(supplier)", "/console/credit",
                            "/console/ledger", "/console/keys", "/console/audit",
                            "/console/audit?action=console."] {
                    let page = try await browser.get(uri)
                    #expect(page.status == .ok, "\(uri): \(page.html.prefix(500))")
                    #expect(page.html.contains("<nav>"), "\(uri)")
                    #expect(!page.html.contains("HTTPAPI."), "\(uri): an absent value must not render an outer list's description")
                }
                let supplierPage = try await browser.get("/console/suppliers/\(supplier)")
                #expect(supplierPage.html.contains("PO-&lt;b&gt;1&lt;/b&gt;"), "values are escaped")
                let before = try await browser.get("/console/credit")
                #expect(before.html.contains("No nightly run has aged the accounts yet."), "\(before.html.prefix(300))")
                let night = BusinessCalendar.shanghai.businessDate(at: Date()).adding(days: -1)
                _ = try await api.deps.nightly.run(date: night, force: false, triggeredBy: "test", onRunRecorded: { _ in })
                let after = try await browser.get("/console/credit")
                #expect(after.html.contains("night by night") && after.html.contains("<td>\(night)</td>"), "the delinquency history chart and its table")
                let missing = try await browser.get("/console/no-such-page")
                #expect(missing.status == .notFound && missing.html.contains("<nav>"), "an unknown console path is the console's own 404 page")
                let bad = try await browser.get("/console/reconciliation?kind=nonsense")
                #expect(bad.status == .unprocessableContent)
                let docs = try await browser.get("/docs")
                #expect(docs.status == .ok)
                for operation in try OpenAPIDocument.load().operations {
                    let path = String(operation.split(separator: " ")[1])
                    #expect(docs.html.contains("<code>\(path)</code>"), "\(operation) is in /docs")
                }
                #expect(docs.html.contains("Request example"))

                // A matching rule set from the reconciliation page goes through the service (audited).
                let saved = try await browser.post("/console/reconciliation/rules", ["source": "channel:test", "amount_tolerance_minor": "5",
                                                                                   "date_window_days": "2", "many_to_one": "true"])
                #expect(saved.status == .seeOther)
                let rule = try #require(try await api.deps.reconciliation.matchingRules(source: "channel:test").first)
                #expect(rule.amountToleranceMinor == 5 && rule.dateWindowDays == 2 && rule.manyToOne && !rule.oneToMany)
                let refused = try await browser.post("/console/reconciliation/rules", ["source": "channel:test", "amount_tolerance_minor": "lots"])
                #expect(refused.status == .unprocessableContent && refused.html.contains("amount_tolerance_minor"))
            }
        }
    }
}
