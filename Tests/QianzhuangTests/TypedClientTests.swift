import Foundation
import HTTPTypes
import OpenAPIRuntime
import QianzhuangClient
import Testing

/// Issue 16: the API tests read responses through the client generated from the contract, so a response field
/// the server renames or drops fails the test that reads it (the generated decoders require every required
/// field and reject unknown ones). Here the server's answer is renamed on its way to the client, as a server
/// that renamed the field would send it.
@Suite("The generated client holds responses to the contract")
struct TypedClientTests {
    /// Renames a JSON key in every response body, between the router and the generated client's decoder.
    struct RenamedResponseField: ClientMiddleware {
        let from: String
        let to: String

        func intercept(
            _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
            next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
        ) async throws -> (HTTPResponse, HTTPBody?) {
            let (response, body) = try await next(request, body, baseURL)
            guard let body else { return (response, nil) }
            let text = try await String(collecting: body, upTo: 64 << 20)
            return (response, HTTPBody(text.replacingOccurrences(of: #""\#(from)":"#, with: #""\#(to)":"#)))
        }
    }

    @Test("a credit account whose days_past_due comes back as days_overdue fails to decode; as served it decodes")
    func renamedFieldFails() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let account = try await CreditAPI.openAccount(client, api)
                let served = try await client.typed(api.platformKey).getCreditAccountsById(path: .init(id: account)).ok.body.json
                #expect(served.daysPastDue == 0 && served.id == account)
                let renamed = client.typed(api.platformKey, middlewares: [RenamedResponseField(from: "days_past_due", to: "days_overdue")])
                let error = await #expect(throws: (any Error).self) {
                    _ = try await renamed.getCreditAccountsById(path: .init(id: account))
                }
                #expect(String(describing: error).contains("days_past_due"), "\(String(describing: error))")
            }
        }
    }
}
