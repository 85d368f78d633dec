import Foundation

/// A validated PRC resident identity number (居民身份证号码, GB 11643-1999): 17 digits and an
/// ISO 7064 MOD 11-2 check character (0-9 or X). Personal data: never log it, never store it in clear.
/// `description` is redacted so string interpolation cannot leak it by accident.
public struct NationalID: Sendable, Hashable, CustomStringConvertible {
    /// The 18 characters, upper case, for keyed hashing only.
    public let normalized: String

    /// Validates `text` (surrounding spaces ignored, a lower-case x accepted).
    public init?(_ text: String) {
        let upper = text.trimmingCharacters(in: .whitespaces).uppercased()
        let chars = Array(upper.utf8)
        guard chars.count == 18, chars.prefix(17).allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        guard chars[17] == Self.checkCharacter(forFirst17: chars.prefix(17).map { Int($0 - 48) }) else { return nil }
        normalized = upper
    }

    /// The last four characters, kept to help people recognise the account.
    public var lastFour: String { String(normalized.suffix(4)) }

    public var description: String { "**************\(lastFour)" }

    static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let checkCharacters = Array("10X98765432".utf8)

    /// The check character for the first 17 digits.
    static func checkCharacter(forFirst17 digits: [Int]) -> UInt8 {
        let sum = zip(digits, weights).reduce(0) { $0 + $1.0 * $1.1 }
        return checkCharacters[sum % 11]
    }
}

/// A mainland mobile number (11 digits starting 13-19, an optional +86 or 86 prefix accepted).
/// Personal data: only `masked` ever leaves this type; `description` is the masked form.
public struct MobilePhone: Sendable, Hashable, CustomStringConvertible {
    /// The 11 digits, for keyed hashing only.
    public let digits: String

    public init?(_ text: String) {
        var compact = text.filter { !$0.isWhitespace && $0 != "-" }
        if compact.hasPrefix("+86") { compact.removeFirst(3) } else if compact.count == 13, compact.hasPrefix("86") { compact.removeFirst(2) }
        let bytes = Array(compact.utf8)
        guard bytes.count == 11, bytes[0] == UInt8(ascii: "1"), (UInt8(ascii: "3")...UInt8(ascii: "9")).contains(bytes[1]),
              bytes.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        digits = compact
    }

    /// "138****5678": the first three and last four digits.
    public var masked: String { String(digits.prefix(3)) + "****" + String(digits.suffix(4)) }

    public var description: String { masked }
}
