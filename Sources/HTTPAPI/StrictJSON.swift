import Foundation
import Services

/// A parsed JSON value. Objects keep their members in order; a key may appear only once.
enum JSONTree: Sendable {
    case object([(key: String, value: JSONTree)])
    case array([JSONTree])
    case string(String)
    /// The number's text exactly as sent, so integers are read without a detour through Double.
    case number(String)
    case bool(Bool)
    case null
}

extension JSONTree {
    /// The paths of members sent as JSON `null`, at any depth ("financing_line", "a.b").
    func nullMembers(path: String = "") -> [String] {
        guard case .object(let members) = self else { return [] }
        return members.flatMap { member -> [String] in
            let here = path.isEmpty ? member.key : "\(path).\(member.key)"
            if case .null = member.value { return [here] }
            return member.value.nullMembers(path: here)
        }
    }
}

extension JSONTree {
    /// Canonical JSON for comparing requests: object keys sorted, no insignificant whitespace,
    /// strings re-escaped one way, numbers as sent. The same request with other spacing or key
    /// order has the same canonical bytes.
    func canonicalBytes() -> [UInt8] {
        var out: [UInt8] = []
        write(into: &out)
        return out
    }

    private func write(into out: inout [UInt8]) {
        switch self {
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, member) in members.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                member.value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .array(let values):
            out.append(UInt8(ascii: "["))
            for (i, value) in values.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                value.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .string(let text): Self.writeString(text, into: &out)
        case .number(let text): out.append(contentsOf: text.utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .null: out.append(contentsOf: "null".utf8)
        }
    }

    private static func writeString(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(contentsOf: String(byte, radix: 16).leftPadded(to: 2).utf8)
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

/// Strict JSON in one pass: the body is parsed once into a `JSONTree` (duplicate keys, bad UTF-8
/// and nesting deeper than `maxDepth` are 400), then decoded once from that tree by
/// `JSONTreeDecoder`, which collects every missing, mistyped, out-of-range, over-long or unknown
/// field into one 422.
enum StrictJSON {
    static let maxDepth = 64

    struct SyntaxError: Error {
        let message: String
    }

    static func parse(_ data: Data) throws(SyntaxError) -> JSONTree {
        var parser = Parser(bytes: Array(data))
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == parser.bytes.count else { throw SyntaxError(message: "unexpected text after the JSON value") }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        func fail(_ message: String) -> SyntaxError { SyntaxError(message: "\(message) at byte \(index)") }

        mutating func expect(_ literal: String) throws(SyntaxError) {
            for byte in literal.utf8 {
                guard index < bytes.count, bytes[index] == byte else { throw fail("invalid literal") }
                index += 1
            }
        }

        mutating func value(depth: Int) throws(SyntaxError) -> JSONTree {
            guard depth < StrictJSON.maxDepth else { throw fail("nesting too deep") }
            guard index < bytes.count else { throw fail("unexpected end of input") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try expect("true"); return .bool(true)
            case UInt8(ascii: "f"): try expect("false"); return .bool(false)
            case UInt8(ascii: "n"): try expect("null"); return .null
            default: return .number(try number())
            }
        }

        mutating func object(depth: Int) throws(SyntaxError) -> JSONTree {
            index += 1
            var members: [(key: String, value: JSONTree)] = []
            var seen = Set<String>()
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                let key = try string()
                guard seen.insert(key).inserted else { throw SyntaxError(message: "duplicate key \"\(key)\"") }
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                index += 1
                skipWhitespace()
                members.append((key, try value(depth: depth + 1)))
                if try !another(closedBy: UInt8(ascii: "}")) { return .object(members) }
            }
        }

        mutating func array(depth: Int) throws(SyntaxError) -> JSONTree {
            index += 1
            var elements: [JSONTree] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
            while true {
                skipWhitespace()
                elements.append(try value(depth: depth + 1))
                if try !another(closedBy: UInt8(ascii: "]")) { return .array(elements) }
            }
        }

        /// After a member or element: past a ',' true (another follows), past the container's `close` false.
        mutating func another(closedBy close: UInt8) throws(SyntaxError) -> Bool {
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end of input") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; return true }
            guard bytes[index] == close else { throw fail("expected ',' or '\(Character(Unicode.Scalar(close)))'") }
            index += 1
            return false
        }

        mutating func hex4() throws(SyntaxError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw fail("short \\u escape") }
            var value: UInt32 = 0
            for byte in bytes[index..<index + 4] {
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw fail("bad \\u escape")
                }
                value = value * 16 + UInt32(digit)
            }
            index += 4
            return value
        }

        mutating func string() throws(SyntaxError) -> String {
            index += 1
            var out: [UInt8] = []
            while true {
                guard index < bytes.count else { throw fail("unterminated string") }
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    guard let text = String(validating: out, as: UTF8.self) else { throw fail("invalid UTF-8 in a string") }
                    return text
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { throw fail("unterminated escape") }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        var scalar = try hex4()
                        if (0xD800...0xDBFF).contains(scalar) {
                            guard index + 2 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                                throw fail("unpaired surrogate")
                            }
                            index += 2
                            let low = try hex4()
                            guard (0xDC00...0xDFFF).contains(low) else { throw fail("unpaired surrogate") }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let unicode = Unicode.Scalar(scalar) else { throw fail("unpaired surrogate") }
                        out.append(contentsOf: Array(String(Character(unicode)).utf8))
                    default: throw fail("bad escape")
                    }
                case 0x00..<0x20: throw fail("control character in a string")
                default: out.append(byte)
                }
            }
        }

        mutating func number() throws(SyntaxError) -> String {
            let start = index
            func digits(_ p: inout Parser) -> Int {
                let s = p.index
                while p.index < p.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(p.bytes[p.index]) { p.index += 1 }
                return p.index - s
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            let intStart = index
            guard digits(&self) > 0 else { throw fail("invalid value") }
            if bytes[intStart] == UInt8(ascii: "0"), index - intStart > 1 { throw fail("leading zero") }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard digits(&self) > 0 else { throw fail("invalid number") }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard digits(&self) > 0 else { throw fail("invalid number") }
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }
    }
}

// MARK: - Decoding from the tree

/// Bounds every request field gets unless its handler is stricter: integers fit PostgreSQL INT,
/// strings are at most `maxStringLength` code points (PostgreSQL's `length()`) and hold no NUL.
enum FieldBounds {
    static let integerRange = Int(Int32.min)...Int(Int32.max)
    static let maxStringLength = 2_000
}

/// Everything wrong with a body, collected in one decode.
final class DecodeReport {
    var issues: [FieldIssue] = []
    /// Object paths and the keys the target type asked for there.
    var asked: [String: Set<String>] = [:]

    func add(_ path: String, _ message: String) {
        issues.append(FieldIssue(field: path.isEmpty ? "body" : path, message: message))
    }

    /// Keys sent but never asked for, in document order.
    func unknownKeys(in value: JSONTree, path: String) -> [String] {
        switch value {
        case .object(let members):
            var out: [String] = []
            let known = asked[path]
            for (key, child) in members {
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                guard let known else { continue }
                if known.contains(key) { out += unknownKeys(in: child, path: childPath) } else { out.append(childPath) }
            }
            return out
        case .array(let elements):
            return elements.indices.flatMap { unknownKeys(in: elements[$0], path: "\(path)[\($0)]") }
        default:
            return []
        }
    }
}

/// Thrown (after being recorded) when a value cannot stand in for a missing or mistyped one.
struct DecodeAbandoned: Error {}

/// A `Decoder` over a `JSONTree`. Missing and mistyped fields are recorded and a neutral value
/// stands in, so one decode reports them all; the caller refuses the body when the report has issues.
struct JSONTreeDecoder: Decoder {
    /// nil: the field is absent (a stand-in is being built).
    let value: JSONTree?
    let path: String
    let report: DecodeReport
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    static func decode<T: Decodable>(_ type: T.Type, from value: JSONTree, report: DecodeReport) throws -> T {
        try T(from: JSONTreeDecoder(value: value, path: "", report: report))
    }

    static func wireName(_ key: any CodingKey) -> String { JSONBody.snakeCase(key.stringValue) }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        var members: [String: JSONTree] = [:]
        var present = false
        switch value {
        case .object(let list)?:
            for (key, value) in list { members[key] = value }
            report.asked[path, default: []].formUnion([])
            present = true
        case nil, .null?:
            break
        case .some:
            report.add(path, "must be an object")
        }
        return KeyedDecodingContainer(Keyed<Key>(members: members, path: path, report: report, present: present))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        switch value {
        case .array(let elements)?: return Unkeyed(elements: elements, path: path, report: report)
        case nil: return Unkeyed(elements: [], path: path, report: report)
        case .some:
            report.add(path, "must be an array")
            return Unkeyed(elements: [], path: path, report: report)
        }
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { Single(value: value, path: path, report: report) }

    /// Decodes `T` from `value` at `path`: primitives are read here, everything else recursively.
    static func read<T: Decodable>(_ type: T.Type, _ value: JSONTree?, path: String, report: DecodeReport) throws -> T {
        if let primitive = try Single(value: value, path: path, report: report).primitive(type) { return primitive }
        return try T(from: JSONTreeDecoder(value: value, path: path, report: report))
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let members: [String: JSONTree]
        let path: String
        let report: DecodeReport
        /// false when this object itself is absent: its own missing keys are not reported again.
        let present: Bool
        var codingPath: [any CodingKey] { [] }
        var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

        func lookup(_ key: Key) -> JSONTree? {
            let name = JSONTreeDecoder.wireName(key)
            if present { report.asked[path, default: []].insert(name) }
            return members[name]
        }

        func contains(_ key: Key) -> Bool { lookup(key) != nil }

        func decodeNil(forKey key: Key) throws -> Bool {
            if case .null? = lookup(key) { return true }
            return lookup(key) == nil
        }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            let childPath = JSONTreeDecoder.join(path, JSONTreeDecoder.wireName(key))
            let value = lookup(key)
            if value == nil && present { report.add(childPath, "is required") }
            if case .null? = value {
                report.add(childPath, "must be \(JSONBody.describe(type)), not null")
                return try JSONTreeDecoder.read(type, nil, path: childPath, report: report)
            }
            return try JSONTreeDecoder.read(type, value, path: childPath, report: report)
        }

        func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
            switch lookup(key) {
            case nil, .null?: return nil
            case let value?:
                return try JSONTreeDecoder.read(type, value, path: JSONTreeDecoder.join(path, JSONTreeDecoder.wireName(key)), report: report)
            }
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            try JSONTreeDecoder(value: lookup(key), path: JSONTreeDecoder.join(path, JSONTreeDecoder.wireName(key)), report: report)
                .container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try JSONTreeDecoder(value: lookup(key), path: JSONTreeDecoder.join(path, JSONTreeDecoder.wireName(key)), report: report)
                .unkeyedContainer()
        }

        func superDecoder() throws -> any Decoder { JSONTreeDecoder(value: .object(members.map { ($0.key, $0.value) }), path: path, report: report) }

        func superDecoder(forKey key: Key) throws -> any Decoder {
            JSONTreeDecoder(value: lookup(key), path: JSONTreeDecoder.join(path, JSONTreeDecoder.wireName(key)), report: report)
        }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        let elements: [JSONTree]
        let path: String
        let report: DecodeReport
        var currentIndex = 0
        var codingPath: [any CodingKey] { [] }
        var count: Int? { elements.count }
        var isAtEnd: Bool { currentIndex >= elements.count }

        mutating func next() throws -> (JSONTree, String) {
            guard !isAtEnd else {
                report.add(path, "has too few elements")
                throw DecodeAbandoned()
            }
            defer { currentIndex += 1 }
            return (elements[currentIndex], "\(path)[\(currentIndex)]")
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd, case .null = elements[currentIndex] else { return false }
            currentIndex += 1
            return true
        }

        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            let (value, elementPath) = try next()
            if case .null = value { report.add(elementPath, "must be \(JSONBody.describe(type)), not null") }
            return try JSONTreeDecoder.read(type, value, path: elementPath, report: report)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            let (value, elementPath) = try next()
            return try JSONTreeDecoder(value: value, path: elementPath, report: report).container(keyedBy: type)
        }

        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            let (value, elementPath) = try next()
            return try JSONTreeDecoder(value: value, path: elementPath, report: report).unkeyedContainer()
        }

        mutating func superDecoder() throws -> any Decoder {
            let (value, elementPath) = try next()
            return JSONTreeDecoder(value: value, path: elementPath, report: report)
        }
    }

    struct Single: SingleValueDecodingContainer {
        let value: JSONTree?
        let path: String
        let report: DecodeReport
        var codingPath: [any CodingKey] { [] }

        func decodeNil() -> Bool {
            if case .null? = value { return true }
            return value == nil
        }

        /// Records a type mismatch unless the value is absent (already recorded as missing).
        func mismatch(_ type: Any.Type) {
            guard let value else { return }
            if case .null = value { return }
            report.add(path, "must be \(JSONBody.describe(type))")
        }

        func decode(_ type: Bool.Type) throws -> Bool {
            if case .bool(let flag)? = value { return flag }
            mismatch(type)
            return false
        }

        func decode(_ type: String.Type) throws -> String {
            guard case .string(let text)? = value else {
                mismatch(type)
                return ""
            }
            if text.unicodeScalars.contains("\u{0}") {
                report.add(path, "must not contain the NUL character")
            } else if text.unicodeScalars.count > FieldBounds.maxStringLength {
                report.add(path, "must be at most \(FieldBounds.maxStringLength) characters")
            }
            return text
        }

        /// An integer within `FieldBounds.integerRange`, or a recorded issue and 0.
        func integer() -> Int {
            guard case .number(let text)? = value else {
                mismatch(Int.self)
                return 0
            }
            guard text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-") }) else {
                report.add(path, "must be an integer")
                return 0
            }
            guard let number = Int(text), FieldBounds.integerRange.contains(number) else {
                report.add(path, "must be an integer from \(FieldBounds.integerRange.lowerBound) to \(FieldBounds.integerRange.upperBound)")
                return 0
            }
            return number
        }

        func floatingPoint() -> Double {
            guard case .number(let text)? = value, let number = Double(text), number.isFinite else {
                mismatch(Double.self)
                return 0
            }
            return number
        }

        func exact<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
            let number = integer()
            guard let exact = I(exactly: number) else {
                report.add(path, "is out of range")
                return 0
            }
            return exact
        }

        /// The primitive types a request body may hold, read directly; nil for any other type.
        func primitive<T>(_ type: T.Type) throws -> T? {
            switch type {
            case is String.Type: return try decode(String.self) as? T
            case is Bool.Type: return try decode(Bool.self) as? T
            case is Int.Type: return try decode(Int.self) as? T
            case is Int64.Type: return try decode(Int64.self) as? T
            case is Int32.Type: return try decode(Int32.self) as? T
            case is Double.Type: return try decode(Double.self) as? T
            default: return nil
            }
        }

        func decode(_ type: Double.Type) throws -> Double { floatingPoint() }
        func decode(_ type: Float.Type) throws -> Float { Float(floatingPoint()) }
        func decode(_ type: Int.Type) throws -> Int { integer() }
        func decode(_ type: Int8.Type) throws -> Int8 { try exact(type) }
        func decode(_ type: Int16.Type) throws -> Int16 { try exact(type) }
        func decode(_ type: Int32.Type) throws -> Int32 { try exact(type) }
        func decode(_ type: Int64.Type) throws -> Int64 { try exact(type) }
        func decode(_ type: UInt.Type) throws -> UInt { try exact(type) }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try exact(type) }
        func decode(_ type: UInt16.Type) throws -> UInt16 { try exact(type) }
        func decode(_ type: UInt32.Type) throws -> UInt32 { try exact(type) }
        func decode(_ type: UInt64.Type) throws -> UInt64 { try exact(type) }

        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            try JSONTreeDecoder.read(type, value, path: path, report: report)
        }
    }
}
