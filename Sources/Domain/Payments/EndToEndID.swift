import Foundation

/// The end-to-end id we give each payment order: `QZ`, the business date as `yyMMdd`, then 16
/// random Crockford base32 characters (80 bits) — 24 characters, within pain.001's 35 and made
/// only of `A–Z0–9`, which every scheme's restricted character set allows. The bank quotes it back
/// on the statement; the database's unique index is the final guard against a collision.
public struct EndToEndID: Hashable, Sendable, CustomStringConvertible {
    public let value: String

    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    /// A fresh id for an order created on `date`.
    public static func generate<R: RandomNumberGenerator>(on date: BusinessDate, using rng: inout R) -> EndToEndID {
        let d = date.description.replacingOccurrences(of: "-", with: "").dropFirst(2)
        let random = (0..<16).map { _ in alphabet[Int(rng.next() % 32)] }
        return EndToEndID(unchecked: "QZ" + d + String(random))
    }

    public static func generate(on date: BusinessDate) -> EndToEndID {
        var rng = SystemRandomNumberGenerator()
        return generate(on: date, using: &rng)
    }

    /// An id as stored or quoted, if it has our shape.
    public init?(_ text: String) {
        guard Self.isWellFormed(text) else { return nil }
        value = text
    }

    init(unchecked: String) { value = unchecked }

    /// 1–35 characters of `A–Z0–9`.
    public static func isWellFormed(_ text: String) -> Bool {
        (1...35).contains(text.count) && text.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }

    public var description: String { value }
}
