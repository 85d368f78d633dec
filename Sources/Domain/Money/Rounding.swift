import Foundation

/// How a rate formula's exact result becomes whole minor units. Every formula names one.
public enum RoundingRule: String, Sendable, Codable, CaseIterable {
    /// Half to even ("banker's"), the default, as Apache Fineract does.
    case halfEven = "half_even"
    /// Half away from zero.
    case halfUp = "half_up"
    /// Toward zero.
    case down
    /// Away from zero.
    case up

    var foundationMode: NSDecimalNumber.RoundingMode {
        switch self {
        case .halfEven: .bankers
        case .halfUp: .plain
        case .down: .down
        case .up: .up
        }
    }
}

extension Decimal {
    /// This value rounded to `scale` fraction digits with `rule`.
    public func rounded(scale: Int = 0, _ rule: RoundingRule) -> Decimal {
        var source = self
        var result = Decimal()
        // Foundation's .down/.up round toward -inf/+inf; make them toward/away from zero.
        var mode = rule.foundationMode
        if self < 0 {
            if rule == .down { mode = .up } else if rule == .up { mode = .down }
        }
        NSDecimalRound(&result, &source, scale, mode)
        return result
    }
}

extension Money {
    /// Converts an exact amount in minor units (e.g. `P × r × d / 360` in fen) to Money,
    /// rounding once with `rule`. Throws on overflow.
    public static func rounding(
        minorUnits exact: Decimal, currency: Currency, _ rule: RoundingRule
    ) throws(MoneyError) -> Money {
        let whole = exact.rounded(scale: 0, rule)
        guard whole <= Decimal(Int64.max), whole >= Decimal(Int64.min) else { throw .overflow }
        // The rounded Decimal is integral; its plain description parses exactly.
        guard let value = Int64(whole.description) else { throw .overflow }
        return Money(minorUnits: value, currency: currency)
    }

    /// This amount times a rate, rounded once with `rule`.
    public func multiplied(by rate: Decimal, _ rule: RoundingRule) throws(MoneyError) -> Money {
        try Money.rounding(minorUnits: Decimal(minorUnits) * rate, currency: currency, rule)
    }
}
