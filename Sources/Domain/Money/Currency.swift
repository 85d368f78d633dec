/// An ISO 4217 currency with the number of minor digits it is booked in.
public struct Currency: Hashable, Sendable, CustomStringConvertible {
    /// The three-letter ISO 4217 code, upper case.
    public let code: String
    /// Digits after the decimal point in the currency's minor unit (CNY 2, JPY 0, KWD 3).
    public let minorDigits: Int

    /// Currencies Qianzhuang books. Unknown codes are refused rather than guessed.
    static let known: [String: Int] = [
        "CNY": 2, "TWD": 2, "HKD": 2, "MOP": 2, "USD": 2, "EUR": 2, "GBP": 2, "SGD": 2,
        "CHF": 2, "AUD": 2, "CAD": 2, "NZD": 2, "THB": 2, "MYR": 2, "PHP": 2, "INR": 2,
        "SEK": 2, "NOK": 2, "DKK": 2, "PLN": 2, "CZK": 2,
        "JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0,
        "KWD": 3, "BHD": 3, "JOD": 3, "OMR": 3, "TND": 3,
    ]

    /// A known currency for `code`, or nil.
    public init?(code: String) {
        guard let digits = Self.known[code] else { return nil }
        self.code = code
        self.minorDigits = digits
    }

    public static let cny = Currency(uncheckedCode: "CNY", minorDigits: 2)
    public static let usd = Currency(uncheckedCode: "USD", minorDigits: 2)
    public static let jpy = Currency(uncheckedCode: "JPY", minorDigits: 0)

    init(uncheckedCode: String, minorDigits: Int) {
        self.code = uncheckedCode
        self.minorDigits = minorDigits
    }

    public var description: String { code }
}
