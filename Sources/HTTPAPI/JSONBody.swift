import Domain
import Foundation
import Hummingbird
import NIOCore
import Services

/// Strict JSON in and out: snake_case keys, unknown fields refused, errors naming the field.
enum JSONBody {
    static let maxBytes = 1 << 20

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    /// Reads the body (≤ 1 MiB, `application/json`) and decodes `T` strictly.
    static func decode<T: Codable>(_ type: T.Type, from request: Request, context: AppRequestContext) async throws -> T {
        let bytes = try await collect(request)
        guard let contentType = request.headers[.contentType],
              contentType.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() == "application/json"
        else {
            throw Problem(status: .unsupportedMediaType, type: "unsupported-media-type", title: "Unsupported media type",
                          detail: "send the body as application/json")
        }
        return try decode(type, from: bytes)
    }

    static func collect(_ request: Request) async throws -> Data {
        var request = request
        do {
            let buffer = try await request.collectBody(upTo: maxBytes)
            return Data(buffer.readableBytesView)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw ProblemMapper.fromHTTP(error)
        } catch is NIOTooManyBytesError {
            throw ProblemMapper.fromHTTP(HTTPError(.contentTooLarge))
        }
    }

    static func decode<T: Codable>(_ type: T.Type, from data: Data) throws -> T {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw Problem.malformed("the body is not valid JSON")
        }
        guard parsed is [String: Any] else { throw Problem.malformed("the body must be a JSON object") }
        let value: T
        do {
            value = try decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            throw Problem.validation([issue(for: error)])
        } catch let problem as Problem {
            throw problem
        }
        // Unknown fields: anything in the input that does not survive a decode/encode round trip.
        let echoed = try JSONSerialization.jsonObject(with: encoder.encode(value), options: [.fragmentsAllowed])
        let unknown = unknownKeys(input: parsed, known: echoed, path: "")
        if !unknown.isEmpty {
            throw Problem.validation(unknown.map { FieldIssue(field: $0, message: "unknown field") })
        }
        return value
    }

    static func unknownKeys(input: Any, known: Any, path: String) -> [String] {
        if let object = input as? [String: Any] {
            let knownObject = known as? [String: Any] ?? [:]
            var out: [String] = []
            for key in object.keys.sorted() {
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                guard let knownChild = knownObject[key] else {
                    // An explicit null for an optional field is fine.
                    if !(object[key] is NSNull) { out.append(childPath) }
                    continue
                }
                out += unknownKeys(input: object[key] as Any, known: knownChild, path: childPath)
            }
            return out
        }
        if let array = input as? [Any], let knownArray = known as? [Any] {
            var out: [String] = []
            for (i, element) in array.enumerated() where i < knownArray.count {
                out += unknownKeys(input: element, known: knownArray[i], path: "\(path)[\(i)]")
            }
            return out
        }
        return []
    }

    static func issue(for error: DecodingError) -> FieldIssue {
        func path(_ codingPath: [any CodingKey], appending key: (any CodingKey)? = nil) -> String {
            var text = ""
            for k in codingPath + (key.map { [$0] } ?? []) {
                if let index = k.intValue { text += "[\(index)]" } else {
                    text += (text.isEmpty ? "" : ".") + snakeCase(k.stringValue)
                }
            }
            return text.isEmpty ? "body" : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            return FieldIssue(field: path(context.codingPath, appending: key), message: "is required")
        case .typeMismatch(let type, let context):
            return FieldIssue(field: path(context.codingPath), message: "must be \(describe(type))")
        case .valueNotFound(let type, let context):
            return FieldIssue(field: path(context.codingPath), message: "must be \(describe(type)), not null")
        case .dataCorrupted(let context):
            return FieldIssue(field: path(context.codingPath), message: context.debugDescription)
        @unknown default:
            return FieldIssue(field: "body", message: "is invalid")
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type, is Int32.Type: "an integer"
        case is Bool.Type: "true or false"
        default: type is any Collection.Type ? "an array" : "an object"
        }
    }

    static func snakeCase(_ name: String) -> String {
        var out = ""
        for ch in name {
            if ch.isUppercase {
                out += "_" + ch.lowercased()
            } else {
                out.append(ch)
            }
        }
        return out
    }

    /// A JSON response with sorted snake_case keys.
    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Money on the wire: `{"amount": "1083.10", "currency": "CNY"}`, the amount always a string.
public struct MoneyBody: Codable, Sendable, Equatable {
    public let amount: String
    public let currency: String

    public init(_ money: Money) {
        self.amount = money.decimalString
        self.currency = money.currency.code
    }

    /// The exact amount, or a 422 naming `field`.
    func money(field: String, allowNegative: Bool = false, allowZero: Bool = true) throws -> Money {
        let value: Money
        do {
            value = try Money.parse(amount: amount, currencyCode: currency, allowNegative: allowNegative)
        } catch .unknownCurrency(let code) {
            throw Problem.validation("\(field).currency", "unknown ISO 4217 currency \"\(code)\"")
        } catch {
            throw Problem.validation("\(field).amount", error.description)
        }
        if !allowZero && value.isZero { throw Problem.validation("\(field).amount", "must be greater than zero") }
        return value
    }
}

/// Parsing helpers that turn bad values into 422s naming the field.
enum Field {
    static func date(_ text: String, _ field: String) throws -> BusinessDate {
        guard let date = BusinessDate(text) else { throw Problem.validation(field, "must be a date YYYY-MM-DD") }
        return date
    }

    static func uuid(_ text: String, _ field: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else { throw Problem.validation(field, "must be a UUID") }
        return id
    }

    static func nonEmpty(_ text: String, _ field: String, max: Int = 200) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw Problem.validation(field, "must not be empty") }
        guard trimmed.count <= max else { throw Problem.validation(field, "must be at most \(max) characters") }
        return trimmed
    }
}
