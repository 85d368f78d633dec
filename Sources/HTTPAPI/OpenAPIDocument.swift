import Foundation
import Yams

/// The OpenAPI 3.1 contract. Its single source is `Sources/HTTPAPI/openapi.yaml`, shipped as the
/// target's resource; it is served as written at `/openapi.yaml` and converted once to
/// `/openapi.json`. Tests hold it to the router (`router.routes`, both ways), validate it with
/// openapi-spec-validator, and hold every response the API tests see to its schemas (`Tests/contract`).
public enum OpenAPIDocument {
    /// The document as loaded: the YAML bytes, the same document as JSON, and its operations.
    public struct Loaded: Sendable {
        public let yaml: [UInt8]
        public let json: [UInt8]
        /// Every documented operation as "METHOD /path", sorted.
        public let operations: [String]
    }

    public struct ContractError: Error, CustomStringConvertible {
        public let description: String
    }

    static let resourceName = "openapi.yaml"

    /// Loaded once; `serve` calls `load()` before it listens, so a missing or broken contract stops
    /// the start instead of failing a request.
    static let current: Result<Loaded, ContractError> = Result { () throws(ContractError) in try read() }

    public static func load() throws(ContractError) -> Loaded { try current.get() }

    /// Every documented operation as "METHOD /path" (none if the document cannot be loaded).
    public static var operations: [String] { (try? current.get().operations) ?? [] }

    /// Where the resource is: next to the executable (`qianzhuang_HTTPAPI.resources`, as SwiftPM
    /// lays out a build and the Dockerfile copies it), else in the source tree this was built from.
    /// The same for any of the target's resources: `name` as bundled, `source` its path under Sources/HTTPAPI.
    static func locate(_ name: String = resourceName, source: String? = nil) -> URL? {
        let fm = FileManager.default
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("qianzhuang_HTTPAPI.resources/\(name)"),
            executable.appendingPathComponent("qianzhuang_HTTPAPI.resources/\(name)"),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(source ?? name),
        ]
        return candidates.first { fm.fileExists(atPath: $0.path) }
    }

    static func read() throws(ContractError) -> Loaded {
        guard let url = locate(), let data = FileManager.default.contents(atPath: url.path) else {
            throw ContractError(description: "\(resourceName) not found next to the executable (qianzhuang_HTTPAPI.resources/)")
        }
        let text = String(decoding: data, as: UTF8.self)
        let object: Any
        do {
            // No timestamp resolution: every date in the contract is a string, as on the wire.
            guard let loaded = try Yams.load(yaml: text, Resolver.default.removing(.timestamp)) else {
                throw ContractError(description: "\(url.path) is empty")
            }
            object = loaded
        } catch let error as ContractError {
            throw error
        } catch {
            throw ContractError(description: "\(url.path) is not valid YAML: \(error)")
        }
        guard let document = object as? [String: Any], let paths = document["paths"] as? [String: Any],
              let json = try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        else {
            throw ContractError(description: "\(url.path) is not an OpenAPI document with paths")
        }
        let methods = ["get", "post", "put", "patch", "delete"]
        let operations = paths.flatMap { path, item in
            methods.filter { (item as? [String: Any])?[$0] != nil }.map { "\($0.uppercased()) \(path)" }
        }.sorted()
        return Loaded(yaml: Array(data), json: Array(json), operations: operations)
    }
}
