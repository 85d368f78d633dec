/// A validated unified social credit code (统一社会信用代码, GB 32100-2015) identifying a supplier.
///
/// 18 characters from `0-9 A-H J-N P-R T-U W-Y` (no I, O, Z, S, V): registration authority (1),
/// entity type (2), administrative division code (3-8, digits), organisation code (9-17),
/// check character (18). Input is not normalised: trim and upper-case at the edge if you want
/// to accept sloppy input, so that what is stored is exactly what was validated.
///
/// Only the GB 32100 check character is verified. The organisation code in 9-17 carries its own
/// GB 11714 check digit; that one is not enforced here, so a code is accepted or refused on its
/// GB 32100 check character alone.
public struct UnifiedSocialCreditCode: Hashable, Sendable, CustomStringConvertible {
    /// The 18-character code exactly as validated.
    public let rawValue: String

    /// Validates `text` and keeps it, or throws the first problem found
    /// (length, then characters left to right, then the check character).
    public init(validating text: String) throws(UnifiedSocialCreditCodeError) {
        let characters = Array(text)
        guard characters.count == Self.length else { throw .wrongLength(characters.count) }
        let values = try Self.values(of: characters)
        let expected = Self.checkCharacter(forValues: values.prefix(Self.length - 1))
        guard characters[Self.length - 1] == expected else {
            throw .badCheckCharacter(expected: expected, found: characters[Self.length - 1])
        }
        self.rawValue = text
    }

    /// The check character for the first 17 characters of a code (validated like a full code's).
    public static func checkCharacter(forFirst17 text: String) throws(UnifiedSocialCreditCodeError) -> Character {
        let characters = Array(text)
        guard characters.count == length - 1 else { throw .wrongLength(characters.count) }
        return checkCharacter(forValues: try values(of: characters)[...])
    }

    /// Character 1: the registration authority (e.g. 9 = market regulation, 5 = civil affairs).
    public var registrationAuthority: Character { Array(rawValue)[0] }
    /// Character 2: the entity type within that authority (e.g. 1 = enterprise).
    public var entityType: Character { Array(rawValue)[1] }
    /// Characters 3-8: the registering authority's administrative division code.
    public var administrativeDivisionCode: String { String(Array(rawValue)[2..<8]) }
    /// Characters 9-17: the organisation code (主体标识码).
    public var organisationCode: String { String(Array(rawValue)[8..<17]) }
    /// Character 18: the check character.
    public var checkCharacter: Character { Array(rawValue)[17] }

    public var description: String { rawValue }

    static let length = 18
    static let alphabet: [Character] = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
    static let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    static let administrativeDivision = 2..<8

    /// The alphabet value of each character; positions in errors are 1-based.
    private static func values(of characters: [Character]) throws(UnifiedSocialCreditCodeError) -> [Int] {
        var values: [Int] = []
        values.reserveCapacity(characters.count)
        for (index, character) in characters.enumerated() {
            guard let value = alphabet.firstIndex(of: character) else {
                throw .invalidCharacter(character, position: index + 1)
            }
            if administrativeDivision.contains(index) && value > 9 {
                throw .nonDigitInAdministrativeDivision(character, position: index + 1)
            }
            values.append(value)
        }
        return values
    }

    /// C18 = 31 − (Σ value × weight mod 31), where 31 maps to '0'.
    private static func checkCharacter(forValues values: ArraySlice<Int>) -> Character {
        var sum = 0
        for (value, weight) in zip(values, weights) { sum += value * weight }
        let check = (31 - sum % 31) % 31
        return alphabet[check]
    }
}

/// Why a unified social credit code was refused. Positions are 1-based.
public enum UnifiedSocialCreditCodeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not 18 characters (the count found).
    case wrongLength(Int)
    /// A character outside `0-9 A-H J-N P-R T-U W-Y` (lower case included).
    case invalidCharacter(Character, position: Int)
    /// A letter among characters 3-8, which are the numeric administrative division code.
    case nonDigitInAdministrativeDivision(Character, position: Int)
    /// The 18th character does not match the one computed from the first 17.
    case badCheckCharacter(expected: Character, found: Character)

    public var description: String {
        switch self {
        case .wrongLength(let count):
            "must be 18 characters, got \(count)"
        case .invalidCharacter(let character, let position):
            "invalid character \"\(character)\" at position \(position); allowed are 0-9 and A-Y except I, O, S, V, Z"
        case .nonDigitInAdministrativeDivision(let character, let position):
            "character \"\(character)\" at position \(position) must be a digit (administrative division code, positions 3-8)"
        case .badCheckCharacter(let expected, let found):
            "bad check character \"\(found)\", expected \"\(expected)\""
        }
    }
}
