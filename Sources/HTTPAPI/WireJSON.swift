import Domain
import Foundation
import Synchronization

/// The API's JSON writer. It writes exactly the bytes `JSONBody.encoder` (Foundation's
/// `JSONEncoder` with `convertToSnakeCase`, `sortedKeys` and `withoutEscapingSlashes`) writes, for
/// the shapes the API's bodies are made of — strings, integers, booleans, nulls, arrays, objects
/// and string-keyed dictionaries — and hands any other value (a `Double`, `Decimal`, `Date`,
/// `Data` or `URL`, whose JSON form Foundation decides) back to Foundation whole.
///
/// Why: every response and every event body is encoded once per request, and Foundation converts
/// each key to snake_case again on every encode and builds a heavier tree; this writer converts a
/// key once per process (asking Foundation itself, so the spelling is Foundation's) and writes
/// straight into bytes. Debug builds (every test run) encode each value both ways and stop on the
/// first difference, so the two cannot drift apart unnoticed.
enum WireJSON {
    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let bytes: [UInt8]
        do {
            bytes = try Writer.bytes(of: value)
        } catch is Unsupported {
            return Array(try JSONBody.encoder.encode(value))
        }
        #if DEBUG
        let reference = Array(try JSONBody.encoder.encode(value))
        if bytes != reference {
            fatalError("""
                WireJSON differs from JSONEncoder for \(T.self):
                wire:       \(String(decoding: bytes, as: UTF8.self))
                foundation: \(String(decoding: reference, as: UTF8.self))
                """)
        }
        #endif
        return bytes
    }

    /// A value this writer leaves to Foundation.
    struct Unsupported: Error {}

    // MARK: - Keys

    /// snake_case spellings, each asked of Foundation once per process.
    private static let snakeKeys = Mutex<[String: String]>([:])

    static func snakeCase(_ key: String) -> String {
        // A key without an ASCII capital is its own spelling (one word, already lower case), as
        // long as it is all ASCII: the common case needs no lookup.
        var plain = true
        for byte in key.utf8 where byte >= 0x80 || (byte >= 0x41 && byte <= 0x5A) {
            plain = false
            break
        }
        if plain { return key }
        if let known = snakeKeys.withLock({ $0[key] }) { return known }
        let converted = foundationSpelling(of: key)
        snakeKeys.withLock { $0[key] = converted }
        return converted
    }

    private static func foundationSpelling(of key: String) -> String {
        struct Probe: Encodable {
            let key: String
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: AnyKey.self)
                try container.encode(0, forKey: AnyKey(key))
            }
        }
        guard let data = try? JSONBody.encoder.encode(Probe(key: key)),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let spelled = object.keys.first
        else { return key }
        return spelled
    }

    struct AnyKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init(index: Int) { stringValue = String(index) }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { stringValue = String(intValue) }
    }

    // MARK: - Tree

    /// What a value encodes to. Containers are references, so a container handed out first and
    /// filled later (as `Encodable` implementations do) is seen when the tree is written.
    enum Node {
        case string(String)
        case literal(String)
        case array(ArrayBox)
        case object(ObjectBox)
        case pending(TreeEncoder)
    }

    final class ArrayBox {
        var items: [Node] = []
    }

    final class ObjectBox {
        var keys: [String] = []
        var values: [Node] = []
        /// Whether keys are converted to snake_case (a `[String: V]` keeps its keys as they are).
        let convertsKeys: Bool
        init(convertsKeys: Bool) { self.convertsKeys = convertsKeys }

        func set(_ key: String, _ node: Node) {
            keys.append(convertsKeys ? WireJSON.snakeCase(key) : key)
            values.append(node)
        }
    }

    /// A value's node, or `Unsupported` for a type whose JSON form Foundation decides.
    static func node<T: Encodable>(_ value: T, codingPath: [any CodingKey], topLevel: Bool = false) throws -> Node {
        if let text = value as? String { return .string(text) }
        if let number = value as? Int { return .literal(String(number)) }
        if let number = value as? Int64 { return .literal(String(number)) }
        if let flag = value as? Bool { return .literal(flag ? "true" : "false") }
        if T.self == Double.self || T.self == Float.self || T.self == Decimal.self || T.self == Date.self
            || T.self == Data.self || T.self == URL.self {
            throw Unsupported()
        }
        if let dictionary = value as? any StringKeyedEncodable {
            return try dictionary.wireNode(codingPath: codingPath)
        }
        let encoder = TreeEncoder(codingPath: codingPath)
        try value.encode(to: encoder)
        // Foundation refuses a top-level value that encodes nothing; let it say so.
        if topLevel && encoder.node == nil { throw Unsupported() }
        return encoder.result
    }

    final class TreeEncoder: Encoder {
        let codingPath: [any CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }
        var node: Node?

        init(codingPath: [any CodingKey]) { self.codingPath = codingPath }

        /// A value that opened no container encodes as `{}`, as with Foundation.
        var result: Node { node ?? .object(ObjectBox(convertsKeys: true)) }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            let box: ObjectBox
            if case .object(let existing)? = node {
                box = existing
            } else {
                box = ObjectBox(convertsKeys: true)
                node = .object(box)
            }
            return KeyedEncodingContainer(KeyedWriter<Key>(box: box, codingPath: codingPath))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            let box: ArrayBox
            if case .array(let existing)? = node {
                box = existing
            } else {
                box = ArrayBox()
                node = .array(box)
            }
            return UnkeyedWriter(box: box, codingPath: codingPath)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer { SingleWriter(encoder: self) }
    }

    struct KeyedWriter<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let box: ObjectBox
        let codingPath: [any CodingKey]

        mutating func encodeNil(forKey key: Key) throws { box.set(key.stringValue, .literal("null")) }
        mutating func encode(_ value: Bool, forKey key: Key) throws { box.set(key.stringValue, .literal(value ? "true" : "false")) }
        mutating func encode(_ value: String, forKey key: Key) throws { box.set(key.stringValue, .string(value)) }
        mutating func encode(_ value: Int, forKey key: Key) throws { box.set(key.stringValue, .literal(String(value))) }
        mutating func encode(_ value: Int8, forKey key: Key) throws { box.set(key.stringValue, .literal(String(value))) }
        mutating func encode(_ value: Int16, forKey key: Key) throws { box.set(key.stringValue, .literal(String(value))) }
        mutating func encode(_ value: Int32, forKey key: Key) throws { box.set(key.stringValue, .literal(String(value))) }
        mutating func encode(_ value: Int64, forKey key: Key) throws { box.set(key.stringValue, .literal(String(value))) }
        mutating func encode(_ value: UInt, forKey key: Key) throws { box.set(key.stringValue, .literal(String(value))) }
        mutating func encode(_ value: UInt8, forKey key: Key) throws { box.set(key.stringValue, .literal(String(value))) }
        mutating func encode(_ value: UInt16, forKey key: Key) throws { box.set(key.stringValue, .literal(String(value))) }
        mutating func encode(_ value: UInt32, forKey key: Key) throws { box.set(key.stringValue, .literal(String(value))) }
        mutating func encode(_ value: UInt64, forKey key: Key) throws { box.set(key.stringValue, .literal(String(value))) }
        mutating func encode(_ value: Double, forKey key: Key) throws { throw Unsupported() }
        mutating func encode(_ value: Float, forKey key: Key) throws { throw Unsupported() }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            box.set(key.stringValue, try WireJSON.node(value, codingPath: codingPath + [key]))
        }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type, forKey key: Key
        ) -> KeyedEncodingContainer<NestedKey> {
            let nested = ObjectBox(convertsKeys: true)
            box.set(key.stringValue, .object(nested))
            return KeyedEncodingContainer(KeyedWriter<NestedKey>(box: nested, codingPath: codingPath + [key]))
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            let nested = ArrayBox()
            box.set(key.stringValue, .array(nested))
            return UnkeyedWriter(box: nested, codingPath: codingPath + [key])
        }

        mutating func superEncoder() -> any Encoder { superEncoder(key: "super") }
        mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(key: key.stringValue) }

        private func superEncoder(key: String) -> any Encoder {
            let encoder = TreeEncoder(codingPath: codingPath + [AnyKey(key)])
            box.set(key, .pending(encoder))
            return encoder
        }
    }

    struct UnkeyedWriter: UnkeyedEncodingContainer {
        let box: ArrayBox
        let codingPath: [any CodingKey]
        var count: Int { box.items.count }

        private var nextPath: [any CodingKey] { codingPath + [AnyKey(index: count)] }

        mutating func encodeNil() throws { box.items.append(.literal("null")) }
        mutating func encode(_ value: Bool) throws { box.items.append(.literal(value ? "true" : "false")) }
        mutating func encode(_ value: String) throws { box.items.append(.string(value)) }
        mutating func encode(_ value: Int) throws { box.items.append(.literal(String(value))) }
        mutating func encode(_ value: Int64) throws { box.items.append(.literal(String(value))) }
        mutating func encode(_ value: Int8) throws { box.items.append(.literal(String(value))) }
        mutating func encode(_ value: Int16) throws { box.items.append(.literal(String(value))) }
        mutating func encode(_ value: Int32) throws { box.items.append(.literal(String(value))) }
        mutating func encode(_ value: UInt) throws { box.items.append(.literal(String(value))) }
        mutating func encode(_ value: UInt8) throws { box.items.append(.literal(String(value))) }
        mutating func encode(_ value: UInt16) throws { box.items.append(.literal(String(value))) }
        mutating func encode(_ value: UInt32) throws { box.items.append(.literal(String(value))) }
        mutating func encode(_ value: UInt64) throws { box.items.append(.literal(String(value))) }
        mutating func encode(_ value: Double) throws { throw Unsupported() }
        mutating func encode(_ value: Float) throws { throw Unsupported() }
        mutating func encode<T: Encodable>(_ value: T) throws {
            box.items.append(try WireJSON.node(value, codingPath: nextPath))
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            let nested = ObjectBox(convertsKeys: true)
            let path = nextPath
            box.items.append(.object(nested))
            return KeyedEncodingContainer(KeyedWriter<NestedKey>(box: nested, codingPath: path))
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let nested = ArrayBox()
            let path = nextPath
            box.items.append(.array(nested))
            return UnkeyedWriter(box: nested, codingPath: path)
        }

        mutating func superEncoder() -> any Encoder {
            let encoder = TreeEncoder(codingPath: nextPath)
            box.items.append(.pending(encoder))
            return encoder
        }
    }

    struct SingleWriter: SingleValueEncodingContainer {
        let encoder: TreeEncoder
        var codingPath: [any CodingKey] { encoder.codingPath }

        func encodeNil() throws { encoder.node = .literal("null") }
        func encode(_ value: Bool) throws { encoder.node = .literal(value ? "true" : "false") }
        func encode(_ value: String) throws { encoder.node = .string(value) }
        func encode(_ value: Int) throws { encoder.node = .literal(String(value)) }
        func encode(_ value: Int64) throws { encoder.node = .literal(String(value)) }
        func encode(_ value: Int8) throws { encoder.node = .literal(String(value)) }
        func encode(_ value: Int16) throws { encoder.node = .literal(String(value)) }
        func encode(_ value: Int32) throws { encoder.node = .literal(String(value)) }
        func encode(_ value: UInt) throws { encoder.node = .literal(String(value)) }
        func encode(_ value: UInt8) throws { encoder.node = .literal(String(value)) }
        func encode(_ value: UInt16) throws { encoder.node = .literal(String(value)) }
        func encode(_ value: UInt32) throws { encoder.node = .literal(String(value)) }
        func encode(_ value: UInt64) throws { encoder.node = .literal(String(value)) }
        func encode(_ value: Double) throws { throw Unsupported() }
        func encode(_ value: Float) throws { throw Unsupported() }
        func encode<T: Encodable>(_ value: T) throws { encoder.node = try WireJSON.node(value, codingPath: codingPath) }
    }

    // MARK: - Bytes

    enum Writer {
        static func bytes<T: Encodable>(of value: T) throws -> [UInt8] {
            let root = try WireJSON.node(value, codingPath: [], topLevel: true)
            var out: [UInt8] = []
            out.reserveCapacity(1024)
            write(root, into: &out)
            return out
        }

        static func write(_ node: Node, into out: inout [UInt8]) {
            switch node {
            case .string(let s):
                string(s, into: &out)
            case .literal(let text):
                out.append(contentsOf: text.utf8)
            case .array(let box):
                out.append(UInt8(ascii: "["))
                for (index, item) in box.items.enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    write(item, into: &out)
                }
                out.append(UInt8(ascii: "]"))
            case .object(let box):
                // Sorted by the keys' UTF-8 bytes, as Foundation's `sortedKeys` sorts them.
                // A key written twice keeps its last value, as Foundation's does.
                let keys = box.keys
                let order = keys.indices.sorted { a, b in
                    keys[a] == keys[b] ? a < b : keys[a].utf8.lexicographicallyPrecedes(keys[b].utf8)
                }
                out.append(UInt8(ascii: "{"))
                var first = true
                for (position, index) in order.enumerated() {
                    if position + 1 < order.count, keys[order[position + 1]] == keys[index] { continue }
                    if !first { out.append(UInt8(ascii: ",")) }
                    first = false
                    string(box.keys[index], into: &out)
                    out.append(UInt8(ascii: ":"))
                    write(box.values[index], into: &out)
                }
                out.append(UInt8(ascii: "}"))
            case .pending(let encoder):
                write(encoder.result, into: &out)
            }
        }

        static func string(_ s: String, into out: inout [UInt8]) { JSONString.append(s, to: &out) }
    }
}

/// A `[String: V]`: Foundation writes its keys as they are (no snake_case), and so does WireJSON.
protocol StringKeyedEncodable {
    func wireNode(codingPath: [any CodingKey]) throws -> WireJSON.Node
}

extension Dictionary: StringKeyedEncodable where Key == String, Value: Encodable {
    func wireNode(codingPath: [any CodingKey]) throws -> WireJSON.Node {
        let box = WireJSON.ObjectBox(convertsKeys: false)
        for (key, value) in self {
            box.set(key, try WireJSON.node(value, codingPath: codingPath + [WireJSON.AnyKey(key)]))
        }
        return .object(box)
    }
}
