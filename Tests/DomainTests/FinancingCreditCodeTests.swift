import Domain
import Testing

@Suite("Unified social credit code (GB 32100-2015)")
struct FinancingCreditCodeTests {
    // Codes that circulate publicly as real registered examples (the first is the sample in hutool's
    // CreditCodeUtil tests and many validators' docs). Each was checked independently with the
    // GB 32100 formula in a short Python script before writing this test.
    static let published = ["91350100M000100Y43", "91440300708461136T", "91110108551385082Q"]

    @Test("published codes pass validation", arguments: published)
    func publishedCodesPass(code: String) throws {
        let parsed = try UnifiedSocialCreditCode(validating: code)
        #expect(parsed.rawValue == code)
        #expect(parsed.description == code)
    }

    @Test("the code's parts are read from their positions")
    func parts() throws {
        let code = try UnifiedSocialCreditCode(validating: "91350100M000100Y43")
        #expect(code.registrationAuthority == "9")
        #expect(code.entityType == "1")
        #expect(code.administrativeDivisionCode == "350100")
        #expect(code.organisationCode == "M000100Y4")
        #expect(code.checkCharacter == "3")
    }

    @Test("the check character is computed from the first 17 characters")
    func checkCharacterComputation() throws {
        // Σ value×weight for 91350100M000100Y4 = 1640, 1640 mod 31 = 28, 31 − 28 = 3 → '3'.
        #expect(try UnifiedSocialCreditCode.checkCharacter(forFirst17: "91350100M000100Y4") == "3")
        // 91440300708461136: Σ = 966, 966 mod 31 = 5 → 31 − 5 = 26 → 'T' (value 26).
        #expect(try UnifiedSocialCreditCode.checkCharacter(forFirst17: "91440300708461136") == "T")
        // Synthetic prefix whose weighted sum is ≡ 0 (mod 31): 31 − 0 = 31, which maps to '0'.
        #expect(try UnifiedSocialCreditCode.checkCharacter(forFirst17: "9111010855138508R") == "0")
        #expect(throws: Never.self) { try UnifiedSocialCreditCode(validating: "9111010855138508R0") }
        // Synthetic prefix whose sum ≡ 1 (mod 31): 30 → 'Y', the last letter of the alphabet.
        #expect(try UnifiedSocialCreditCode.checkCharacter(forFirst17: "91110108551385084") == "Y")
    }

    @Test("every position's weight counts: prefixes with no zero character", arguments: [
        // Python oracle: Σ value×weight, then (31 − Σ mod 31) mod 31 as an index into the alphabet.
        ("Y2345678ABCDEFGHJ", Character("D")),  // Σ = 3304 ≡ 18 → 13 → D
        ("5N987654KLMNPQRTU", Character("Q")),  // Σ = 5122 ≡ 7 → 24 → Q
        ("A1111111111111111", Character("U")),  // Σ = 314 ≡ 4 → 27 → U
    ])
    func everyWeightMatters(prefix: String, check: Character) throws {
        #expect(try UnifiedSocialCreditCode.checkCharacter(forFirst17: prefix) == check)
        #expect(throws: Never.self) { try UnifiedSocialCreditCode(validating: prefix + String(check)) }
    }

    @Test("911100001011142307 is refused: its check character should be M, not 7")
    func circulatedButInvalidCode() {
        // This code circulates as an example but is not valid. By GB 32100 its weighted sum is
        // 320 ≡ 10 (mod 31), so the check character is 31 − 10 = 21 → 'M', not '7'. Its embedded
        // organisation code 10111423-0 fails GB 11714 too (weights 3,7,9,10,5,8,4,2 give Σ = 73,
        // 11 − 73 mod 11 = 4, not 0), so it is a mistyped or invented code, not an algorithm bug.
        #expect(throws: UnifiedSocialCreditCodeError.badCheckCharacter(expected: "M", found: "7")) {
            try UnifiedSocialCreditCode(validating: "911100001011142307")
        }
    }

    @Test("a code of the wrong length is refused with its length", arguments: [
        ("", 0), ("91350100M000100Y4", 17), ("91350100M000100Y433", 19),
    ])
    func wrongLength(code: String, length: Int) {
        #expect(throws: UnifiedSocialCreditCodeError.wrongLength(length)) {
            try UnifiedSocialCreditCode(validating: code)
        }
    }

    @Test("I, O, Z, S, V and lower case are invalid characters at their 1-based position", arguments: [
        ("91350100I000100Y43", Character("I"), 9),
        ("91350100M0O0100Y43", Character("O"), 11),
        ("Z1350100M000100Y43", Character("Z"), 1),
        ("9S350100M000100Y43", Character("S"), 2),
        ("91350100M000100V43", Character("V"), 16),
        ("91350100m000100Y43", Character("m"), 9),
        ("91350100M000100Y4-", Character("-"), 18),
    ])
    func invalidCharacter(code: String, character: Character, position: Int) {
        #expect(throws: UnifiedSocialCreditCodeError.invalidCharacter(character, position: position)) {
            try UnifiedSocialCreditCode(validating: code)
        }
    }

    @Test("the administrative division code (positions 3-8) must be digits")
    func letterInDivisionCode() {
        #expect(throws: UnifiedSocialCreditCodeError.nonDigitInAdministrativeDivision("A", position: 5)) {
            try UnifiedSocialCreditCode(validating: "9135A100M000100Y43")
        }
    }

    @Test("changing any one character of a valid code is detected")
    func everySingleSubstitutionIsRefused() {
        let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
        let original = Array("91350100M000100Y43")
        var accepted: [String] = []
        var tried = 0
        for position in original.indices {
            for replacement in alphabet where replacement != original[position] {
                var mutated = original
                mutated[position] = replacement
                tried += 1
                if (try? UnifiedSocialCreditCode(validating: String(mutated))) != nil { accepted.append(String(mutated)) }
            }
        }
        #expect(tried == 18 * 30)
        #expect(accepted.isEmpty)
    }

    @Test("swapping two different adjacent characters among the first 17 is detected")
    func adjacentTranspositionsAreRefused() throws {
        for code in Self.published {
            let original = Array(code)
            for position in 0..<16 where original[position] != original[position + 1] {
                var mutated = original
                mutated.swapAt(position, position + 1)
                #expect(throws: UnifiedSocialCreditCodeError.self) {
                    try UnifiedSocialCreditCode(validating: String(mutated))
                }
            }
        }
    }

    @Test("a wrong check character names the expected one")
    func badCheckCharacter() {
        #expect(throws: UnifiedSocialCreditCodeError.badCheckCharacter(expected: "3", found: "4")) {
            try UnifiedSocialCreditCode(validating: "91350100M000100Y44")
        }
        let message = UnifiedSocialCreditCodeError.invalidCharacter("I", position: 9).description
        #expect(message.contains("position 9"))
        #expect(UnifiedSocialCreditCodeError.badCheckCharacter(expected: "3", found: "4").description.contains("expected \"3\""))
    }
}
