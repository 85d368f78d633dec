import Foundation
import HTTPTypes
import HummingbirdTesting
import OpenAPIRuntime
import QianzhuangClient

/// swift-openapi-generator's `ClientTransport` over HummingbirdTesting's in-process client: no sockets, the
/// router answers directly, and every exchange lands in the contract log as `call`'s do.
struct InProcessTransport: ClientTransport {
    let client: any TestClientProtocol
    let key: String?

    func send(_ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String) async throws -> (HTTPResponse, HTTPBody?) {
        let text: String? = if let body { try await String(collecting: body, upTo: 64 << 20) } else { nil }
        let response = try await client.exchange(request.method, request.path ?? "/", key: key, headers: request.headerFields, body: text)
        return (HTTPResponse(status: response.status, headerFields: response.headers), response.text.isEmpty ? nil : HTTPBody(response.text))
    }
}

/// The generated client's types under shorter names.
typealias Schemas = Components.Schemas

extension TestClientProtocol {
    /// The generated client calling this router as the holder of `key`.
    func typed(_ key: String?, middlewares: [any ClientMiddleware] = []) -> Client {
        // The URL is never dialled: the transport hands the request's path to the router.
        Client(serverURL: URL(string: "http://qianzhuang.test")!, transport: InProcessTransport(client: self, key: key),
               middlewares: middlewares)
    }
}

extension JSONResponse {
    /// The body as the contract's schema `T` (a generated type): a missing required field, an unknown one
    /// or a wrong type throws, so a response that drifts from the contract fails the test reading it.
    func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        do {
            return try decodeContract(T.self, from: Data(text.utf8))
        } catch {
            throw TestFailure("\(status) body is not a \(T.self): \(error)\n\(text)")
        }
    }
}

/// Decodes a generated type from JSON as the generated client does (RFC 3339 timestamps).
func decodeContract<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    return try decoder.decode(T.self, from: data)
}
