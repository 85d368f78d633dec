import Domain
import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Persistence
import QianzhuangClient
import Services
import Synchronization
import Testing

/// A router over a fresh database plus keys for each role, for API tests.
struct TestAPI: Sendable {
    let deps: APIDependencies
    let operatorKey: String
    let platformKey: String
    let insurerKey: String

    var database: Database { deps.database }

    static func make(_ database: Database) async throws -> TestAPI {
        // Reports go to a temporary directory, never into the working tree.
        let reports = FileManager.default.temporaryDirectory.appendingPathComponent("qz-test-reports")
        let deps = APIDependencies(database: database, migrator: try repositoryMigrator(), calendar: .shanghai, reportDirectory: reports)
        return TestAPI(
            deps: deps,
            operatorKey: try await deps.services.access.createKey(role: .operator, supplierID: nil, label: "test"),
            platformKey: try await deps.services.access.createKey(role: .platform, supplierID: nil, label: "test"),
            insurerKey: try await deps.services.access.createKey(role: .insurer, supplierID: nil, label: "test"))
    }

    func supplierKey(_ supplierID: UUID) async throws -> String {
        try await deps.services.access.createKey(role: .supplier, supplierID: supplierID, label: "test")
    }

    /// Runs `body` with a test client of the router.
    func withClient<T: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        let app = Application(router: buildRouter(deps), logger: TestCluster.logger)
        let box = ResultBox<T>()
        try await app.test(.router) { client in
            box.value = try await body(client)
        }
        guard let value = box.value else { throw TestFailure("test client produced no value") }
        return value
    }
}

final class ResultBox<T: Sendable>: @unchecked Sendable {
    var value: T?
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A response as the router sent it; `decode` reads its body as one of the contract's generated types.
struct JSONResponse: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let text: String

    /// The `field` values of a problem's `errors` (a body that is no `Problem` reads as one field naming the decoding error).
    var problemFields: [String] {
        do { return try decode(Schemas.Problem.self).errors?.map(\.field) ?? [] } catch { return ["\(error)"] }
    }

    /// A problem's `type` (nil when the body is no `Problem`).
    var problemType: String? { try? decode(Schemas.Problem.self)._type }

    var contentType: String? { headers[.contentType] }

    /// Whether the body sends `key` as an explicit `null` (the generated types read a null and a missing
    /// member alike as nil; the server writes compact JSON).
    func sendsNull(_ key: String) -> Bool { text.contains(#""\#(key)":null"#) }
}

extension TestClientProtocol {
    /// Sends a request with JSON text (or nothing) and the given key; returns the decoded response.
    func call(
        _ method: HTTPRequest.Method, _ uri: String, key: String?, json: String? = nil,
        headers extra: [String: String] = [:], contentType: String = "application/json"
    ) async throws -> JSONResponse {
        var headers = HTTPFields()
        if json != nil { headers[.contentType] = contentType }
        for (name, value) in extra {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        return try await exchange(method, uri, key: key, headers: headers, body: json)
    }

    /// Sends one request through the router and records the exchange in the contract log; both `call` and
    /// the generated client's transport (`InProcessTransport`) go through here.
    func exchange(
        _ method: HTTPRequest.Method, _ uri: String, key: String?, headers: HTTPFields, body: String?
    ) async throws -> JSONResponse {
        var headers = headers
        if let key { headers[.authorization] = "Bearer \(key)" }
        let response = try await execute(uri: uri, method: method, headers: headers,
                                         body: body.map { ByteBuffer(string: $0) }) { response in
            JSONResponse(status: response.status, headers: response.headers, text: String(buffer: response.body))
        }
        ContractLog.shared?.record(method: method, uri: uri, requestBody: body, response: response)
        return response
    }
}

/// With `QZ_CONTRACT_LOG=<directory>`, every exchange a test makes through `call` is appended to
/// `<directory>/exchanges-<pid>.jsonl`; `Tests/contract` then holds each response to the OpenAPI
/// contract (status documented, body valid against its schema), so a response that drifts from the
/// contract fails CI even where no test looks at the drifted field.
final class ContractLog: Sendable {
    static let shared: ContractLog? = {
        guard let directory = ProcessInfo.processInfo.environment["QZ_CONTRACT_LOG"], !directory.isEmpty else { return nil }
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = "\(directory)/exchanges-\(ProcessInfo.processInfo.processIdentifier).jsonl"
        FileManager.default.createFile(atPath: path, contents: nil)
        return FileHandle(forWritingAtPath: path).map(ContractLog.init)
    }()

    private let file: Mutex<FileHandle>

    init(_ file: FileHandle) { self.file = Mutex(file) }

    func record(method: HTTPRequest.Method, uri: String, requestBody: String?, response: JSONResponse) {
        let entry: [String: Any] = [
            "method": method.rawValue, "uri": uri, "status": Int(response.status.code),
            "content_type": response.contentType ?? "", "request": requestBody ?? NSNull(), "response": response.text,
        ]
        guard var line = try? JSONSerialization.data(withJSONObject: entry, options: [.sortedKeys]) else { return }
        line.append(0x0A)
        file.withLock { $0.write(line) }
    }
}
