/// Why a decimal money string was refused. Each case reads as a validation message.
public enum MoneyParseError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case notADecimal
    case tooManyFractionDigits(allowed: Int)
    case negativeNotAllowed
    case overflow
    case unknownCurrency(String)

    public var description: String {
        switch self {
        case .empty: "must not be empty"
        case .notADecimal: "must be a decimal string like \"1083.10\""
        case .tooManyFractionDigits(let allowed):
            allowed == 0 ? "must be a whole number for this currency" : "must have at most \(allowed) fraction digits"
        case .negativeNotAllowed: "must not be negative"
        case .overflow: "is too large"
        case .unknownCurrency(let code): "unknown ISO 4217 currency \"\(code)\""
        }
    }
}

extension Money {
    /// Parses a decimal string exactly ("1083.1", "1083.10", "-5") into minor units of `currency`.
    /// No exponent, no grouping, no leading "+", at most the currency's minor digits.
    public static func parse(
        _ text: String, currency: Currency, allowNegative: Bool = false
    ) throws(MoneyParseError) -> Money {
        guard !text.isEmpty else { throw .empty }
        var bytes = Array(text.utf8)[...]
        var negative = false
        if bytes.first == UInt8(ascii: "-") {
            negative = true
            bytes = bytes.dropFirst()
        }
        let parts = bytes.split(separator: UInt8(ascii: "."), maxSplits: 1, omittingEmptySubsequences: false)
        guard let wholePart = parts.first, !wholePart.isEmpty else { throw .notADecimal }
        let fractionPart = parts.count == 2 ? parts[1] : []
        if parts.count == 2 && fractionPart.isEmpty { throw .notADecimal }
        let isDigit: (UInt8) -> Bool = { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        guard wholePart.allSatisfy(isDigit), fractionPart.allSatisfy(isDigit) else { throw .notADecimal }
        guard fractionPart.count <= currency.minorDigits else {
            throw .tooManyFractionDigits(allowed: currency.minorDigits)
        }
        if negative && !allowNegative { throw .negativeNotAllowed }

        var value: Int64 = 0
        func push(_ digit: UInt8) throws(MoneyParseError) {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.addingReportingOverflow(Int64(digit - UInt8(ascii: "0")))
            guard !o1, !o2 else { throw .overflow }
            value = next
        }
        for d in wholePart { try push(d) }
        for d in fractionPart { try push(d) }
        for _ in fractionPart.count..<currency.minorDigits { try push(UInt8(ascii: "0")) }
        if negative && value == 0 { negative = false }
        return Money(minorUnits: negative ? -value : value, currency: currency)
    }

    /// Parses a currency code and an amount string together.
    public static func parse(
        amount: String, currencyCode: String, allowNegative: Bool = false
    ) throws(MoneyParseError) -> Money {
        guard let currency = Currency(code: currencyCode) else { throw .unknownCurrency(currencyCode) }
        return try parse(amount, currency: currency, allowNegative: allowNegative)
    }
}
