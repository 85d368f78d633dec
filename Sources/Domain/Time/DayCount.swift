import Foundation

/// A day-count convention: how many days, over how many days a year, a rate applies for.
public enum DayCount: String, Sendable, Codable, CaseIterable {
    /// Actual days / 360 (money-market; the default for supplier discount fees).
    case act360 = "ACT/360"
    /// Actual days / 365, fixed (leap years too).
    case act365F = "ACT/365F"
    /// 30/360 US (bond basis): each month counts 30 days.
    case thirty360 = "30/360"

    /// Days counted between two dates under this convention.
    public func days(from start: BusinessDate, to end: BusinessDate) -> Int {
        switch self {
        case .act360, .act365F:
            return start.days(until: end)
        case .thirty360:
            var d1 = start.day
            var d2 = end.day
            if d1 == 31 { d1 = 30 }
            if d2 == 31 && d1 >= 30 { d2 = 30 }
            return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)
        }
    }

    /// The days in a year under this convention.
    public var daysPerYear: Int {
        switch self {
        case .act360, .thirty360: 360
        case .act365F: 365
        }
    }

    /// The exact year fraction `days / daysPerYear` as a Decimal (no rounding).
    public func yearFraction(from start: BusinessDate, to end: BusinessDate) -> Decimal {
        Decimal(days(from: start, to: end)) / Decimal(daysPerYear)
    }

    /// Interest or fee on `principal` at an annual `rate` between two dates, rounded once:
    /// `principal × rate × days / daysPerYear`.
    public func interest(
        on principal: Money, annualRate rate: Decimal, from start: BusinessDate, to end: BusinessDate,
        rounding rule: RoundingRule = .halfEven
    ) throws(MoneyError) -> Money {
        let exact = Decimal(principal.minorUnits) * rate * Decimal(days(from: start, to: end)) / Decimal(daysPerYear)
        return try Money.rounding(minorUnits: exact, currency: principal.currency, rule)
    }
}
