import Foundation

/// Where a creditor is paid: an IBAN, or a domestic account number with its bank's code.
public enum BankAccountNumber: Hashable, Sendable {
    case iban(String)
    case domestic(account: String, bank: BankCode)

    /// The account as written in a file or shown to an operator (an IBAN without spaces).
    public var accountText: String {
        switch self {
        case .iban(let iban): iban
        case .domestic(let account, _): account
        }
    }

    /// The last four characters behind asterisks, for lists: `****1234`.
    public var masked: String { "****" + String(accountText.suffix(4)) }
}

/// A bank's identifier: a BIC (ISO 9362, 8 or 11 characters) or a CNAPS bank code (12 digits).
public enum BankCode: Hashable, Sendable {
    case bic(String)
    case cnaps(String)

    public var text: String {
        switch self {
        case .bic(let b): b
        case .cnaps(let c): c
        }
    }

    /// Parses either shape; `field` names the input in the error.
    public init(validating raw: String, field: String) throws(BankDetailsError) {
        let text = raw.trimmingCharacters(in: .whitespaces).uppercased()
        if text.count == 12, text.allSatisfy(\.isASCIIDigit) {
            self = .cnaps(text)
        } else if Self.isBIC(text) {
            self = .bic(text)
        } else {
            throw .invalid(field: field, "must be a BIC (8 or 11 characters) or a 12-digit CNAPS bank code")
        }
    }

    /// ISO 9362: 4 letters (institution; letters or digits since 2009), 2 letters (country),
    /// 2 letters or digits (location), optionally 3 letters or digits (branch).
    public static func isBIC(_ text: String) -> Bool {
        let c = Array(text)
        guard c.count == 8 || c.count == 11 else { return false }
        return c.allSatisfy { $0.isASCIIUpperAlnum } && c[4...5].allSatisfy(\.isASCIIUpperLetter)
    }
}

/// Validated bank details of a payee: name (1–140 characters) and account.
public struct CreditorAccount: Hashable, Sendable {
    public let name: String
    public let account: BankAccountNumber

    public init(name: String, account: BankAccountNumber) {
        self.name = name
        self.account = account
    }

    /// Validates raw input: either `iban`, or `accountNumber` with `bankCode`; `bankCode` may
    /// accompany an IBAN only as a BIC. Errors name the JSON field.
    public init(name rawName: String, iban: String?, accountNumber: String?, bankCode: String?) throws(BankDetailsError) {
        let name = rawName.trimmingCharacters(in: .whitespacesAndNewlines)
        // Counted in code points, as PostgreSQL's length() and JSON Schema's maxLength count.
        guard (1...140).contains(name.unicodeScalars.count) else { throw .invalid(field: "name", "must be 1 to 140 characters") }
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalid(field: "name", "must not contain control characters")
        }
        switch (iban, accountNumber) {
        case (let iban?, nil):
            self.init(name: name, account: .iban(try IBAN.validate(iban)))
        case (nil, let number?):
            let digits = number.filter { $0 != " " }
            guard (8...30).contains(digits.count), digits.allSatisfy(\.isASCIIDigit) else {
                throw .invalid(field: "account_number", "must be 8 to 30 digits")
            }
            guard let bankCode else { throw .invalid(field: "bank_code", "is required with account_number") }
            self.init(name: name, account: .domestic(account: digits, bank: try BankCode(validating: bankCode, field: "bank_code")))
        case (nil, nil):
            throw .invalid(field: "iban", "give either iban or account_number with bank_code")
        case (.some, .some):
            throw .invalid(field: "account_number", "give either iban or account_number, not both")
        }
    }
}

/// Bank details that fail validation, naming the field.
public enum BankDetailsError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalid(field: String, String)

    public var field: String { if case .invalid(let f, _) = self { f } else { "" } }
    public var description: String { if case .invalid(_, let m) = self { m } else { "" } }
}

/// ISO 13616 International Bank Account Numbers.
public enum IBAN {
    /// IBAN length by country (ISO 13616 registry, SWIFT release 2024), for the countries we may pay into.
    static let lengths: [String: Int] = [
        "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "CH": 21,
        "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18,
        "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23,
        "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
        "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24,
        "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24,
        "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
    ]

    /// The IBAN in electronic form (upper case, no spaces), or an error naming `field`.
    public static func validate(_ raw: String, field: String = "iban") throws(BankDetailsError) -> String {
        let text = raw.filter { $0 != " " }.uppercased()
        guard text.count >= 5, text.allSatisfy(\.isASCIIUpperAlnum) else {
            throw .invalid(field: field, "must be letters and digits only")
        }
        let country = String(text.prefix(2))
        guard let length = lengths[country] else { throw .invalid(field: field, "unknown IBAN country \(country)") }
        guard text.count == length else { throw .invalid(field: field, "a \(country) IBAN has \(length) characters") }
        guard text.dropFirst(2).prefix(2).allSatisfy(\.isASCIIDigit) else { throw .invalid(field: field, "check digits must be digits") }
        guard mod97(text) == 1 else { throw .invalid(field: field, "check digits do not match (ISO 13616 mod 97)") }
        return text
    }

    /// The ISO 7064 mod 97-10 remainder of the rearranged IBAN (letters as 10…35), digit by digit.
    static func mod97(_ iban: String) -> Int {
        let rearranged = iban.dropFirst(4) + iban.prefix(4)
        var remainder = 0
        for ch in rearranged {
            guard let v = ch.isASCIIDigit ? ch.wholeNumberValue : ch.asciiValue.map({ Int($0) - 55 }) else { return -1 }
            remainder = (v >= 10 ? remainder * 100 : remainder * 10) + v
            remainder %= 97
        }
        return remainder
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
    var isASCIIUpperLetter: Bool { ("A"..."Z").contains(self) }
    var isASCIIUpperAlnum: Bool { isASCIIDigit || isASCIIUpperLetter }
}
