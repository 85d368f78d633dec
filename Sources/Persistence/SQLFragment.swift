import PostgresNIO

/// A piece of SQL written as a string literal with its values, whose `$n` placeholders are given
/// their numbers only when it is appended into a larger statement (`PreparedSQL`'s
/// `\(fragment)` interpolation). It lets a held-back write (`DeferredInsert`) keep its SQL as one
/// readable literal and still be carried by whatever statement ends the request.
public struct SQLFragment: ExpressibleByStringInterpolation, Sendable {
    enum Part: Sendable {
        case text(String)
        case value(any PostgresDynamicTypeEncodable & Sendable)
    }

    var parts: [Part]

    public init(stringLiteral value: String) { parts = [.text(value)] }

    public init(stringInterpolation: StringInterpolation) { parts = stringInterpolation.parts }

    public struct StringInterpolation: StringInterpolationProtocol, Sendable {
        var parts: [Part] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            parts.reserveCapacity(2 * interpolationCount + 1)
        }

        public mutating func appendLiteral(_ literal: String) { parts.append(.text(literal)) }

        public mutating func appendInterpolation<Value: PostgresDynamicTypeEncodable & Sendable>(_ value: Value) {
            parts.append(.value(value))
        }

        /// SQL text from a fixed list of constants or names this code chose (never a value).
        public mutating func appendInterpolation(unescaped text: String) { parts.append(.text(text)) }
    }
}

extension PreparedSQL.StringInterpolation {
    /// Appends `fragment`'s text, numbering its values after the ones already bound.
    public mutating func appendInterpolation(_ fragment: SQLFragment) {
        for part in fragment.parts {
            switch part {
            case .text(let text): appendLiteral(text)
            case .value(let value): appendValue(value)
            }
        }
    }

    private mutating func appendValue(_ value: some PostgresDynamicTypeEncodable) { appendInterpolation(value) }
}
