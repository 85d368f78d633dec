import Crypto
import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import OpenAPIRuntime
import Testing

/// The contract is `Sources/HTTPAPI/openapi.yaml`. Here: it loads, it is served as written (YAML)
/// and as the same document in JSON, it validates, and it equals the router both ways.
/// `Tests/contract` (pytest, run by CI after `QZ_CONTRACT_LOG=… swift test`) holds every response
/// these tests see to the schemas, and checks that every response object is strict and every
/// operation has an example.
@Suite("OpenAPI contract")
struct OpenAPITests {
    @Test("every served route is documented and every documented route is served (router.routes)")
    func routesMatchDocument() async throws {
        try await withTestDatabase { db in
            let deps = APIDependencies(database: db, migrator: try repositoryMigrator(), calendar: .shanghai)
            let served = Set(buildRouter(deps).routes.map { "\($0.method.rawValue) \($0.path)" }.filter(Self.isAPIRoute))
            let documented = Set(try OpenAPIDocument.load().operations)
            #expect(served.subtracting(documented).sorted() == [], "served but not documented")
            #expect(documented.subtracting(served).sorted() == [], "documented but not served")
            #expect(served.count > 50)
        }
    }

    /// The operator console (`/console…`) and the API reference (`/docs`) are HTML pages for people,
    /// not API operations: they are left out of the contract and of this comparison.
    static func isAPIRoute(_ route: String) -> Bool {
        let path = route.split(separator: " ", maxSplits: 1).last.map(String.init) ?? route
        return !["/console", "/docs"].contains { path == $0 || path.hasPrefix($0 + "/") }
    }

    @Test("/openapi.yaml serves the source file byte for byte; /openapi.json is the same document")
    func servedForms() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            let source = try Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../../Sources/HTTPAPI/openapi.yaml").standardizedFileURL)
            try await api.withClient { client in
                let yaml = try await client.call(.get, "/openapi.yaml", key: nil)
                #expect(yaml.status == .ok && yaml.contentType?.hasPrefix("application/yaml") == true)
                #expect(Data(yaml.text.utf8) == source)
                let json = try await client.call(.get, "/openapi.json", key: nil)
                // The document's own shape is not in the contract: read just its version and its paths.
                struct Served: Decodable { let openapi: String; let paths: OpenAPIObjectContainer }
                let served = try json.decode(Served.self)
                #expect(json.status == .ok && served.openapi == "3.1.0")
                #expect(!json.text.contains(#"\/"#), "slashes are not escaped")
                let paths = served.paths.value
                #expect(paths.count == Set(try OpenAPIDocument.load().operations.map { $0.split(separator: " ")[1] }).count)
            }
        }
    }

    @Test("the served document is a valid OpenAPI 3.1 document (openapi-spec-validator)")
    func validates() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("qz-openapi-\(UUID().uuidString).json")
        try Data(try OpenAPIDocument.load().json).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-m", "openapi_spec_validator", file.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "openapi-spec-validator (pip install openapi-spec-validator): \(text)")
    }

    /// The generated test client (Tests/QianzhuangClient) was generated from this contract: the recorded
    /// SHA-256 is the file's, and the client has one method for each documented operation, and no other.
    @Test("the generated test client is generated from the current contract (else run Scripts/generate-client.sh)")
    func generatedClientIsCurrent() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardizedFileURL
        let contract = try Data(contentsOf: root.appendingPathComponent("Sources/HTTPAPI/openapi.yaml"))
        let recorded = try String(contentsOf: root.appendingPathComponent("Tests/QianzhuangClient/openapi.yaml.sha256"), encoding: .utf8)
        let digest = SHA256.hash(data: contract).map { String(format: "%02x", $0) }.joined()
        #expect(recorded.trimmingCharacters(in: .whitespacesAndNewlines) == digest,
                "openapi.yaml changed since the client was generated: run Scripts/generate-client.sh and commit its output")
        // Each generated client method is marked "- Remark: HTTP `METHOD /path`."; the contract's operations read the same.
        let client = try String(contentsOf: root.appendingPathComponent("Tests/QianzhuangClient/Generated/Client.swift"), encoding: .utf8)
        let generated = client.split(separator: "\n").compactMap { line -> String? in
            guard let start = line.range(of: "- Remark: HTTP `"), let end = line.range(of: "`.", range: start.upperBound..<line.endIndex)
            else { return nil }
            return String(line[start.upperBound..<end.lowerBound])
        }
        let documented = try OpenAPIDocument.load().operations
        #expect(generated.count == Set(generated).count)
        #expect(Set(generated) == Set(documented), "generated: \(Set(generated).symmetricDifference(Set(documented)).sorted())")
        #expect(generated.count > 80)
        // And nobody edited the generated files by hand since (Scripts/generate-client.sh records their digests).
        let listed = try String(contentsOf: root.appendingPathComponent("Tests/QianzhuangClient/generated.sha256"), encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        let folder = root.appendingPathComponent("Tests/QianzhuangClient/Generated")
        let present = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") }
        #expect(Set(listed.compactMap { $0.last.map(String.init) }) == Set(present))
        for line in listed where line.count == 2 {
            let bytes = try Data(contentsOf: folder.appendingPathComponent(String(line[1])))
            #expect(SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() == String(line[0]),
                    "\(line[1]) differs from what the generator wrote: run Scripts/generate-client.sh")
        }
    }
}
