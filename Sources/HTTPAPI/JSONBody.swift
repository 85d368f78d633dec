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

    /// Reads the body (≤ 1 MiB, `application/json`) and decodes `T` strictly.
    static func decode<T: Codable>(_ type: T.Type, from request: Request, context: AppRequestContext) async throws -> T {
        guard let contentType = request.headers[.contentType],
              contentType.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() == "application/json"
        else {
            throw Problem(status: .unsupportedMediaType, type: "unsupported-media-type", title: "Unsupported media type",
                          detail: "send the body as application/json")
        }
        if let tree = context.parsedBody { return try decode(type, from: tree) }
        return try decode(type, from: try await collect(request))
    }

    /// A partial update (PATCH): a member left out keeps its value, and none may be sent as `null`
    /// (merge-patch would read that as "remove", which no field here allows): a 422 naming each.
    static func decodePatch<T: Codable>(_ type: T.Type, from request: Request, context: AppRequestContext) async throws -> T {
        var context = context
        if context.parsedBody == nil {   // no Idempotency-Key: the middleware did not parse it
            do {
                context.parsedBody = try StrictJSON.parse(try await collect(request))
            } catch let error as StrictJSON.SyntaxError {
                throw Problem.malformed("the body is not valid JSON: \(error.message)")
            }
        }
        let value = try await decode(type, from: request, context: context)
        let nulls = context.parsedBody?.nullMembers() ?? []
        guard nulls.isEmpty else {
            throw Problem.validation(nulls.map { FieldIssue(field: $0, message: "must not be null; leave the field out to keep its value") })
        }
        return value
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

    /// Parses the body once (duplicate keys are 400) and decodes it once from the tree; every
    /// missing, mistyped, out-of-range, over-long or unknown field comes back in one 422.
    static func decode<T: Codable>(_ type: T.Type, from data: Data) throws -> T {
        let tree: JSONTree
        do {
            tree = try StrictJSON.parse(data)
        } catch {
            throw Problem.malformed("the body is not valid JSON: \(error.message)")
        }
        return try decode(type, from: tree)
    }

    /// Decodes `T` from an already parsed body.
    static func decode<T: Codable>(_ type: T.Type, from tree: JSONTree) throws -> T {
        guard case .object = tree else { throw Problem.malformed("the body must be a JSON object") }
        let report = DecodeReport()
        var value: T?
        do {
            value = try JSONTreeDecoder.decode(T.self, from: tree, report: report)
        } catch let error as DecodingError {
            if report.issues.isEmpty { report.issues.append(issue(for: error)) }
        } catch is DecodeAbandoned {
            // Already recorded.
        }
        let issues = report.issues + report.unknownKeys(in: tree, path: "").map { FieldIssue(field: $0, message: "unknown field") }
        guard issues.isEmpty, let value else {
            throw Problem.validation(issues.isEmpty ? [FieldIssue(field: "body", message: "is invalid")] : issues)
        }
        return value
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
        let data = try WireJSON.encode(value)
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

    /// A sum that may exceed Int64 (computed as SQL `numeric`).
    init(minorUnits: Decimal, currency: Currency) {
        self.amount = Money.decimalString(minorUnits: minorUnits, currency: currency)
        self.currency = currency.code
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
        guard value.minorUnits.magnitude <= Money.maximumMinorUnits.magnitude else {
            throw Problem.validation("\(field).amount", "must be at most \(Money.maximum(value.currency).decimalString)")
        }
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

    /// Trimmed, not empty, at most `max` characters counted as PostgreSQL's `length()` does (code
    /// points, not grapheme clusters), and no NUL (PostgreSQL text cannot hold it).
    static func nonEmpty(_ text: String, _ field: String, max: Int = 200) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw Problem.validation(field, "must not be empty") }
        guard trimmed.unicodeScalars.count <= max else { throw Problem.validation(field, "must be at most \(max) characters") }
        guard !trimmed.unicodeScalars.contains("\u{0}") else { throw Problem.validation(field, "must not contain the NUL character") }
        return trimmed
    }

    /// One value of a closed set, or a 422 naming the field with `rule`.
    static func oneOf<T: RawRepresentable>(_ text: some StringProtocol, _ field: String, _ rule: String) throws -> T
    where T.RawValue == String {
        guard let value = T(rawValue: String(text)) else { throw Problem.validation(field, rule) }
        return value
    }

    /// One value of a closed set, or a 422 naming the field and listing every value.
    static func oneOf<T: RawRepresentable & CaseIterable>(_ text: some StringProtocol, _ field: String) throws -> T
    where T.RawValue == String {
        try oneOf(text, field, "must be one of " + T.allCases.map(\.rawValue).joined(separator: ", "))
    }

    /// A path parameter, percent-decoded exactly once (here, for every route).
    static func path(_ context: AppRequestContext, _ name: String) throws -> String {
        let raw = try context.parameters.require(name)
        guard let decoded = raw.removingPercentEncoding else { throw Problem.validation(name, "is not valid percent-encoded UTF-8") }
        guard !decoded.unicodeScalars.contains("\u{0}") else { throw Problem.validation(name, "must not contain the NUL character") }
        return decoded
    }
}

/// Rates on the wire are decimal strings ("0.80", "0.0730"), never JSON numbers: the one parser for every
/// rate field (financing lines, credit products, score features).
enum Rate {
    /// With `scale`, a rate with more decimal places than the column stores is refused.
    static func parse(_ text: String, _ field: String, scale: Int? = nil) throws -> Decimal {
        let ok = !text.isEmpty && text.count <= 20 && text.allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") }
            && text.filter { $0 == "." }.count <= 1 && text.first != "." && text.last != "."
        guard ok, let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
            throw Problem.validation(field, "must be a decimal string like \"0.0730\"")
        }
        if let scale, !RatePrecision.fits(value, scale: scale) {
            throw Problem.validation(field, "has more than \(scale) decimal places, the precision rates are stored and priced with")
        }
        return value
    }
}
