import Foundation
import HTTPAPI
import Testing

@Suite("OpenAPI contract")
struct OpenAPITests {
    @Test("every served route is documented and every documented route is served")
    func routesMatchDocument() async throws {
        try await withTestDatabase { db in
            let table = RouteTable()
            let deps = APIDependencies(database: db, migrator: try repositoryMigrator(), calendar: .shanghai)
            _ = buildRouter(deps, routeTable: table)
            #expect(OpenAPIDocument.invalidFragments.isEmpty, "fragments that are not JSON: \(OpenAPIDocument.invalidFragments)")
            let served = Set(table.routes)
            let documented = Set(OpenAPIDocument.operations)
            #expect(served.subtracting(documented).sorted() == [], "served but not documented")
            #expect(documented.subtracting(served).sorted() == [], "documented but not served")
            #expect(served.count >= 7)
        }
    }

    @Test("the document is a valid OpenAPI 3.1 document (openapi-spec-validator)")
    func validates() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("qz-openapi-\(UUID().uuidString).json")
        try OpenAPIDocument.data.write(to: file)
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
}
