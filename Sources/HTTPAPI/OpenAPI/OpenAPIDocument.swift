import Foundation

/// The OpenAPI 3.1 contract, served at `/openapi.json`. Each area keeps its paths and schemas in
/// its own fragment file next to this one; the document is their merge. A test holds it to the
/// router (every served route documented, every documented route served) and CI validates it.
public enum OpenAPIDocument {
    static let fragments: [String] = [
        OpenAPIFragments.system, OpenAPIFragments.ledger, OpenAPIFragments.suppliers, OpenAPIFragments.financing,
        OpenAPIFragments.credit, OpenAPIFragments.insurance, OpenAPIFragments.reconciliation, OpenAPIFragments.orders,
    ]

    static let base = #"""
    {
      "openapi": "3.1.0",
      "info": {
        "title": "Qianzhuang API",
        "version": "1.0.0",
        "description": "Supplier financing, consumer installment credit and return shipping insurance for a marketplace. Money is a JSON string with exactly the currency's minor digits next to an ISO 4217 currency. Every POST that creates or moves money honours Idempotency-Key.",
        "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}
      },
      "servers": [{"url": "http://127.0.0.1:8080"}],
      "security": [{"bearer": []}],
      "paths": {},
      "components": {
        "securitySchemes": {
          "bearer": {"type": "http", "scheme": "bearer", "description": "An API key from `qianzhuang keys create`."}
        },
        "parameters": {
          "IdempotencyKey": {
            "name": "Idempotency-Key", "in": "header", "required": false,
            "description": "1–255 visible ASCII characters. A replay returns the first answer (Idempotent-Replayed: true); the same key with another body is 422; while the first is running, 409.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 255}
          },
          "Limit": {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}},
          "Cursor": {"name": "cursor", "in": "query", "required": false, "schema": {"type": "string"}}
        },
        "schemas": {
          "Money": {
            "type": "object", "additionalProperties": false, "required": ["amount", "currency"],
            "description": "An amount a caller sends is at most 10^15 minor units (10000000000000.00 CNY); more is 422 naming the field. Sums the server reports (trial balance totals) may be larger.",
            "properties": {
              "amount": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$", "maxLength": 40, "examples": ["1083.10"]},
              "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "examples": ["CNY"]}
            }
          },
          "Reason": {
            "type": "object", "required": ["code", "detail"],
            "properties": {"code": {"type": "string"}, "detail": {"type": "string"}}
          },
          "Problem": {
            "type": "object", "required": ["type", "title", "status", "detail", "instance"],
            "properties": {
              "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
              "detail": {"type": "string"}, "instance": {"type": "string"},
              "errors": {"type": "array", "items": {"type": "object", "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}}
            }
          }
        },
        "responses": {
          "Problem": {"description": "An RFC 9457 problem.", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        }
      }
    }
    """#

    /// The merged document as a JSON object.
    static var object: [String: Any] { merged() }

    static func merged() -> [String: Any] {
        guard var document = parse(base) else { return [:] }
        var paths = document["paths"] as? [String: Any] ?? [:]
        var components = document["components"] as? [String: Any] ?? [:]
        var schemas = components["schemas"] as? [String: Any] ?? [:]
        var parameters = components["parameters"] as? [String: Any] ?? [:]
        for fragment in fragments {
            guard let parsed = parse(fragment) else { continue }
            for (path, item) in parsed["paths"] as? [String: Any] ?? [:] { paths[path] = item }
            let fragmentComponents = parsed["components"] as? [String: Any] ?? [:]
            for (name, schema) in fragmentComponents["schemas"] as? [String: Any] ?? [:] { schemas[name] = schema }
            for (name, parameter) in fragmentComponents["parameters"] as? [String: Any] ?? [:] { parameters[name] = parameter }
        }
        components["schemas"] = schemas
        components["parameters"] = parameters
        for (path, item) in paths { paths[path] = documentCommonStatuses(path: path, item: item) }
        document["paths"] = paths
        document["components"] = components
        return document
    }

    /// The statuses the shared layers answer for any operation, added where a fragment left them
    /// out, so the contract lists every status the server can return: 401/403 (auth), 503 (database
    /// unreachable, busy), 400/413/415/422 for a body, 404/422 for a path parameter, 422 for a query.
    static func documentCommonStatuses(path: String, item: Any) -> Any {
        guard var operations = item as? [String: Any] else { return item }
        let pathHasParameter = path.contains("{")
        for (method, value) in operations {
            guard var operation = value as? [String: Any] else { continue }
            var responses = operation["responses"] as? [String: Any] ?? [:]
            var statuses: [String] = []
            if path.hasPrefix("/v1/") { statuses += ["401", "403", "503"] }
            if operation["requestBody"] != nil { statuses += ["400", "413", "415", "422"] }
            if pathHasParameter { statuses += ["404", "422"] }
            let parameters = operation["parameters"] as? [[String: Any]] ?? []
            if parameters.contains(where: { $0["in"] as? String == "query" || ($0["$ref"] as? String)?.hasSuffix("Limit") == true }) {
                statuses.append("422")
            }
            if method == "post" && path.hasPrefix("/v1/") { statuses += ["409", "422"] }
            for status in statuses where responses[status] == nil {
                responses[status] = ["$ref": "#/components/responses/Problem"]
            }
            operation["responses"] = responses
            operations[method] = operation
        }
        return operations
    }

    static let serialized: [UInt8] = {
        Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])) ?? Data("{}".utf8))
    }()

    /// Every documented operation as "METHOD /path".
    public static var operations: [String] {
        let methods = ["get", "post", "patch", "put", "delete"]
        var out: [String] = []
        for (path, item) in object["paths"] as? [String: Any] ?? [:] {
            for method in methods where (item as? [String: Any])?[method] != nil {
                out.append("\(method.uppercased()) \(path)")
            }
        }
        return out.sorted()
    }

    /// Fragments that do not parse are a programming error the OpenAPI test reports.
    public static var invalidFragments: [Int] {
        fragments.indices.filter { parse(fragments[$0]) == nil }
    }

    static func parse(_ text: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    /// The served bytes (for tests and for writing the file CI validates).
    public static var data: Data { Data(serialized) }
}

/// Per-area OpenAPI fragments: `{"paths": {...}, "components": {"schemas": {...}}}`.
enum OpenAPIFragments {}
