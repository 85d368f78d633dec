import Foundation

/// An amount of money: integer minor units of one currency. Never floating point.
public struct Money: Hashable, Sendable, CustomStringConvertible {
    /// The amount in the currency's minor unit (fen for CNY).
    public let minorUnits: Int64
    public let currency: Currency

    public init(minorUnits: Int64, currency: Currency) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    public static func zero(_ currency: Currency) -> Money { Money(minorUnits: 0, currency: currency) }

    /// The largest amount the API accepts in any one field: 10^15 minor units (10 trillion CNY),
    /// in every currency. It keeps the sum of 9,223 such amounts inside Int64; sums over more rows
    /// are computed in SQL `numeric` (see LedgerStore). Migration 0008 checks the same bound.
    public static let maximumMinorUnits: Int64 = 1_000_000_000_000_000

    public static func maximum(_ currency: Currency) -> Money { Money(minorUnits: maximumMinorUnits, currency: currency) }

    public var isZero: Bool { minorUnits == 0 }
    public var isNegative: Bool { minorUnits < 0 }
    public var isPositive: Bool { minorUnits > 0 }

    /// The sum, or an error on a currency mismatch or overflow.
    public func adding(_ other: Money) throws(MoneyError) -> Money {
        guard currency == other.currency else { throw .currencyMismatch(currency.code, other.currency.code) }
        let (value, overflow) = minorUnits.addingReportingOverflow(other.minorUnits)
        guard !overflow else { throw .overflow }
        return Money(minorUnits: value, currency: currency)
    }

    /// The difference, or an error on a currency mismatch or overflow.
    public func subtracting(_ other: Money) throws(MoneyError) -> Money {
        guard currency == other.currency else { throw .currencyMismatch(currency.code, other.currency.code) }
        let (value, overflow) = minorUnits.subtractingReportingOverflow(other.minorUnits)
        guard !overflow else { throw .overflow }
        return Money(minorUnits: value, currency: currency)
    }

    public var negated: Money { Money(minorUnits: -minorUnits, currency: currency) }

    /// The smaller of two amounts of the same currency.
    public static func min(_ a: Money, _ b: Money) -> Money { a.minorUnits <= b.minorUnits ? a : b }
    public static func max(_ a: Money, _ b: Money) -> Money { a.minorUnits >= b.minorUnits ? a : b }

    /// The amount as a decimal string with exactly the currency's minor digits ("1083.10").
    public var decimalString: String {
        let digits = currency.minorDigits
        let negative = minorUnits < 0
        // magnitude of Int64.min does not fit Int64; UInt64 holds it.
        let magnitude = minorUnits.magnitude
        guard digits > 0 else { return (negative ? "-" : "") + String(magnitude) }
        var scale: UInt64 = 1
        for _ in 0..<digits { scale *= 10 }
        let whole = magnitude / scale
        let fraction = String(magnitude % scale)
        let padded = String(repeating: "0", count: digits - fraction.count) + fraction
        return (negative ? "-" : "") + String(whole) + "." + padded
    }

    public var description: String { "\(decimalString) \(currency.code)" }

    /// A whole number of minor units of any size (a sum over many rows, computed as SQL `numeric`)
    /// as a decimal string with exactly the currency's minor digits, like `decimalString`.
    public static func decimalString(minorUnits: Decimal, currency: Currency) -> String {
        let negative = minorUnits < 0
        var digits = (negative ? -minorUnits : minorUnits).description
        if !digits.allSatisfy({ $0.isASCII && $0.isNumber }) { digits = "0" }
        let minor = currency.minorDigits
        guard minor > 0 else { return (negative ? "-" : "") + digits }
        if digits.count <= minor { digits = String(repeating: "0", count: minor + 1 - digits.count) + digits }
        let split = digits.index(digits.endIndex, offsetBy: -minor)
        return (negative ? "-" : "") + digits[..<split] + "." + digits[split...]
    }

    /// The amount as an exact `Decimal` in major units (for rate formulas only).
    public var decimalMajorUnits: Decimal {
        Decimal(minorUnits) / Self.powerOfTen(currency.minorDigits)
    }

    static func powerOfTen(_ n: Int) -> Decimal {
        var result = Decimal(1)
        for _ in 0..<n { result *= 10 }
        return result
    }
}

extension Money: Comparable {
    /// Orders amounts of the same currency; amounts of different currencies order by code first.
    public static func < (lhs: Money, rhs: Money) -> Bool {
        if lhs.currency != rhs.currency { return lhs.currency.code < rhs.currency.code }
        return lhs.minorUnits < rhs.minorUnits
    }
}

/// Why a money operation failed.
public enum MoneyError: Error, Equatable, Sendable {
    case currencyMismatch(String, String)
    case overflow
}
