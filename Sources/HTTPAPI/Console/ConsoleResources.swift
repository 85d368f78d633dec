import Foundation
import Mustache

/// The console's templates and stylesheet, shipped as the HTTPAPI target's resources next to
/// `openapi.yaml` (`qianzhuang_HTTPAPI.resources/Templates` and `…/Static`), found the same way.
public enum ConsoleResources {
    /// Loads the console's templates and stylesheet, failing with what is missing or broken
    /// (`serve` calls it before it listens, as it loads the contract).
    public static func check() throws {
        _ = try load()
    }

    struct Loaded: Sendable {
        let library: MustacheLibrary
        let stylesheet: [UInt8]
    }

    public struct MissingResource: Error, CustomStringConvertible {
        public let description: String
    }

    /// Loaded once, on first use; `serve` loads it before it listens so a broken template stops the start.
    static let current: Result<Loaded, MissingResource> = Result { () throws(MissingResource) in try read() }

    static func load() throws(MissingResource) -> Loaded { try current.get() }

    static func read() throws(MissingResource) -> Loaded {
        guard let templates = OpenAPIDocument.locate("Templates", source: "Console/Templates"),
              let statics = OpenAPIDocument.locate("Static", source: "Console/Static")
        else { throw MissingResource(description: "console templates not found next to the executable (qianzhuang_HTTPAPI.resources/)") }
        var library = MustacheLibrary()
        let fm = FileManager.default
        let names = ((try? fm.contentsOfDirectory(atPath: templates.path)) ?? []).filter { $0.hasSuffix(".mustache") }.sorted()
        for name in names {
            guard let data = fm.contents(atPath: templates.appendingPathComponent(name).path) else { continue }
            do {
                try library.register(String(decoding: data, as: UTF8.self), named: String(name.dropLast(".mustache".count)))
            } catch {
                throw MissingResource(description: "console template \(name) does not parse: \(error)")
            }
        }
        guard let css = fm.contents(atPath: statics.appendingPathComponent("console.css").path) else {
            throw MissingResource(description: "console.css not found in \(statics.path)")
        }
        return Loaded(library: library, stylesheet: Array(css))
    }
}
