import Foundation

/// A seller's reference as the platform and the ledger know it: a supplier UUID or the platform's own
/// seller reference, lower-cased, `[a-z0-9][a-z0-9_.:-]{0,63}` (it becomes part of ledger account codes).
public struct SellerRef: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// The canonical (lower-cased, trimmed) reference, or nil when it cannot name a seller.
    public init?(rawValue: String) {
        let text = rawValue.trimmingCharacters(in: .whitespaces).lowercased()
        guard let first = text.utf8.first, (1...64).contains(text.utf8.count),
              Self.isAlphanumeric(first),
              text.utf8.allSatisfy({ Self.isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
                  || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "-") })
        else { return nil }
        self.rawValue = text
    }

    public var description: String { rawValue }

    /// What a valid reference looks like, for error messages.
    public static let rule = "must be 1 to 64 of a-z, 0-9, _ . : - starting with a letter or digit (a supplier id or the platform's seller reference)"

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
