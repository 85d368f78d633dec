import Foundation

/// The end-to-end id we give each payment order: `QZ`, the business date as `yyMMdd`, then 16
/// random Crockford base32 characters (80 bits) — 24 characters, within pain.001's 35 and made
/// only of `A–Z0–9`, which every scheme's restricted character set allows. The bank quotes it back
/// on the statement; the database's unique index is the final guard against a collision.
public struct EndToEndID: Hashable, Sendable, CustomStringConvertible {
    public let value: String


    /// A fresh id for an order created on `date`.
    public static func generate<R: RandomNumberGenerator>(on date: BusinessDate, using rng: inout R) -> EndToEndID {
        // 80 random bits as 16 five-bit characters: 60 from one draw, 20 from a second (each draw
        // from the system generator is a system call, and every capture makes an id).
        var id = [UInt8]()
        id.reserveCapacity(24)
        id.append(contentsOf: "QZ".utf8)
        for part in [date.year % 100, date.month, date.day] {
            id.append(UInt8(ascii: "0") + UInt8(part / 10))
            id.append(UInt8(ascii: "0") + UInt8(part % 10))
        }
        var bits = rng.next()
        for index in 0..<16 {
            if index == 12 { bits = rng.next() }
            id.append(alphabetBytes[Int(bits & 31)])
            bits >>= 5
        }
        return EndToEndID(unchecked: String(decoding: id, as: UTF8.self))
    }

    /// Crockford base32 (no I, L, O, U).
    static let alphabetBytes = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

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
