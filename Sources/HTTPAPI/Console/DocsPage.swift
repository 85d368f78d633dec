import Foundation
import Hummingbird

/// `/docs`: the API reference as a readable page, generated from the OpenAPI contract
/// (`OpenAPIDocument`): each operation by tag with its parameters and examples. HTML for people;
/// like `/console` it is not itself in the contract.
struct DocsPage {
    struct Parameter {
        let name, `in`, required, description: String
    }

    struct ResponseDoc {
        let status, description: String
        let example: String?
    }

    struct Operation {
        let anchor, method, methodClass, path, summary: String
        let parameters: [Parameter]
        let hasParameters: Bool
        let requestExample: String?
        let responses: [ResponseDoc]
    }

    struct Tag {
        let name: String
        let operations: [Operation]
    }

    struct Page {
        let description, version: String
        let tags: [Tag]
    }

    /// Built once from the contract.
    static let current: Result<Page, OpenAPIDocument.ContractError> = Result { () throws(OpenAPIDocument.ContractError) in
        let loaded = try OpenAPIDocument.load()
        guard let document = try? JSONSerialization.jsonObject(with: Data(loaded.json)) as? [String: Any] else {
            throw OpenAPIDocument.ContractError(description: "the contract is not a JSON object")
        }
        return build(document)
    }

    static func build(_ document: [String: Any]) -> Page {
        let info = document["info"] as? [String: Any] ?? [:]
        let components = document["components"] as? [String: Any] ?? [:]
        func resolve(_ object: Any?) -> [String: Any] {
            guard let object = object as? [String: Any] else { return [:] }
            guard let ref = object["$ref"] as? String, ref.hasPrefix("#/components/") else { return object }
            let parts = ref.dropFirst("#/components/".count).split(separator: "/").map(String.init)
            guard parts.count == 2 else { return object }
            return (components[parts[0]] as? [String: Any])?[parts[1]] as? [String: Any] ?? object
        }
        var byTag: [String: [Operation]] = [:]
        let methods = ["get", "post", "put", "patch", "delete"]
        for (path, item) in (document["paths"] as? [String: Any] ?? [:]).sorted(by: { $0.key < $1.key }) {
            for method in methods {
                guard let op = (item as? [String: Any])?[method] as? [String: Any] else { continue }
                let parameters = (op["parameters"] as? [Any] ?? []).map(resolve).map { p in
                    Parameter(name: p["name"] as? String ?? "", in: p["in"] as? String ?? "", required: (p["required"] as? Bool ?? false) ? "yes" : "",
                              description: p["description"] as? String ?? ((p["schema"] as? [String: Any])?["type"] as? String ?? ""))
                }
                let body = resolve(op["requestBody"])
                let requestExample = (body["content"] as? [String: Any] ?? [:]).values.lazy.compactMap { example(in: $0) }.first
                let responses = (op["responses"] as? [String: Any] ?? [:]).sorted { $0.key < $1.key }.map { status, value -> ResponseDoc in
                    let r = resolve(value)
                    let ex = (r["content"] as? [String: Any] ?? [:]).values.lazy.compactMap { example(in: $0) }.first
                    return ResponseDoc(status: status, description: r["description"] as? String ?? "", example: status.hasPrefix("2") ? ex : nil)
                }
                let tag = (op["tags"] as? [String])?.first ?? "system"
                let summary = [op["summary"] as? String, op["description"] as? String].compactMap { $0 }.joined(separator: " ")
                byTag[tag, default: []].append(Operation(
                    anchor: "\(method)-\(path)".map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined(), method: method.uppercased(),
                    methodClass: method, path: path, summary: summary, parameters: parameters, hasParameters: !parameters.isEmpty,
                    requestExample: requestExample, responses: responses))
            }
        }
        return Page(description: info["description"] as? String ?? "", version: info["version"] as? String ?? "",
                    tags: byTag.sorted { $0.key < $1.key }.map { Tag(name: $0.key, operations: $0.value) })
    }

    /// The first example of a media type object, pretty-printed.
    static func example(in media: Any) -> String? {
        guard let media = media as? [String: Any] else { return nil }
        let value = media["example"] ?? (media["examples"] as? [String: Any])?.sorted(by: { $0.key < $1.key }).first.flatMap {
            ($0.value as? [String: Any])?["value"]
        }
        guard let value else { return nil }
        if let text = value as? String { return text }
        guard JSONSerialization.isValidJSONObject(value),
              let data = try? JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
