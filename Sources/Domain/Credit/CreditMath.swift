import Foundation

/// Checked minor-unit arithmetic and exact decimals shared by the credit rules.
enum CreditMath {
    static func add(_ a: Int64, _ b: Int64) throws(CreditError) -> Int64 {
        let (value, overflow) = a.addingReportingOverflow(b)
        guard !overflow else { throw .overflow }
        return value
    }

    static func sum(_ values: some Sequence<Int64>) throws(CreditError) -> Int64 {
        var total: Int64 = 0
        for value in values { total = try add(total, value) }
        return total
    }

    /// An exact amount in minor units rounded once to whole minor units with `rule`.
    static func round(_ exactMinorUnits: Decimal, _ rule: RoundingRule) throws(CreditError) -> Int64 {
        do {
            // The currency only labels the intermediate Money; the minor units are what we keep.
            return try Money.rounding(minorUnits: exactMinorUnits, currency: .cny, rule).minorUnits
        } catch {
            throw .overflow
        }
    }

    /// `significand × 10^-scale` built exactly (a Decimal float literal goes through Double).
    static func decimal(_ significand: Int, scale: Int) -> Decimal {
        Decimal(sign: significand < 0 ? .minus : .plus, exponent: -scale, significand: Decimal(significand.magnitude))
    }

    /// `base^n` by repeated multiplication, so the result carries Decimal's full 38 digits.
    static func power(_ base: Decimal, _ n: Int) -> Decimal {
        var result = Decimal(1)
        for _ in 0..<n { result *= base }
        return result
    }

    static func requireCurrency(_ money: Money, _ currency: Currency) throws(CreditError) {
        guard money.currency == currency else {
            throw .currencyMismatch(expected: currency.code, found: money.currency.code)
        }
    }

    static func money(_ minorUnits: Int64, _ currency: Currency) -> Money {
        Money(minorUnits: minorUnits, currency: currency)
    }
}
