import Domain
import Foundation
import PropertyBased
import Testing

@Suite("Money and dates: properties")
struct MoneyPropertyTests {
    static let currencies: [Currency] = ["CNY", "JPY", "KWD"].compactMap(Currency.init(code:))

    @Test("formatting then parsing gives back the same amount, in every currency")
    func formatParseRoundTrip() async {
        await propertyCheck(count: 500, input: Gen.int64(in: -9_000_000_000_000_000...9_000_000_000_000_000), Gen.int(in: 0...2)) { units, c in
            let money = Money(minorUnits: units, currency: Self.currencies[c])
            let parsed = try? Money.parse(money.decimalString, currency: money.currency, allowNegative: true)
            #expect(parsed == money)
            let fraction = money.decimalString.split(separator: ".").dropFirst().first?.count ?? 0
            #expect(fraction == money.currency.minorDigits)
        }
    }

    @Test("parsing is exact: whole and fraction digits make the minor units")
    func parseExact() throws {
        #expect(try Money.parse("1083.10", currency: .cny).minorUnits == 108_310)
        #expect(try Money.parse("1083.1", currency: .cny).minorUnits == 108_310)
        #expect(try Money.parse("0.01", currency: .cny).minorUnits == 1)
        #expect(try Money.parse("92233720368547758.07", currency: .cny).minorUnits == Int64.max)
        #expect(throws: MoneyParseError.overflow) { try Money.parse("92233720368547758.08", currency: .cny) }
        #expect(throws: MoneyParseError.tooManyFractionDigits(allowed: 2)) { try Money.parse("1.001", currency: .cny) }
        #expect(throws: MoneyParseError.tooManyFractionDigits(allowed: 0)) { try Money.parse("1.5", currency: .jpy) }
        for bad in ["", ".5", "5.", "1e3", "+1", "1,000.00", " 1", "0x10", "1.2.3", "--1"] {
            #expect(throws: MoneyParseError.self, "\(bad)") { try Money.parse(bad, currency: .cny, allowNegative: true) }
        }
        #expect(throws: MoneyParseError.negativeNotAllowed) { try Money.parse("-1.00", currency: .cny) }
        #expect(try Money.parse("-0.00", currency: .cny, allowNegative: true).minorUnits == 0)
    }

    @Test("an even split always sums to the total, with all parts but the last equal")
    func splitSums() async {
        await propertyCheck(count: 500, input: Gen.int64(in: -1_000_000_000_000...1_000_000_000_000), Gen.int(in: 1...48)) { units, n in
            let parts = Money(minorUnits: units, currency: .cny).splitEvenly(into: n)
            #expect(parts.count == n)
            #expect(parts.reduce(0) { $0 + $1.minorUnits } == units)
            #expect(Set(parts.dropLast().map(\.minorUnits)).count <= 1)
        }
    }

    @Test("a weighted allocation sums to the total and each part is within one unit of its exact share")
    func allocationSums() async {
        await propertyCheck(count: 300, input: Gen.int64(in: 0...1_000_000_000_000), Gen.int64(in: 0...1_000_000).array(of: 1...12)) { units, weights in
            let parts = Money(minorUnits: units, currency: .cny).allocate(byWeights: weights)
            #expect(parts.reduce(0) { $0 + $1.minorUnits } == units)
            let total = weights.reduce(0, +)
            guard total > 0 else { return }
            for (part, weight) in zip(parts, weights) {
                let exact = Decimal(units) * Decimal(weight) / Decimal(total)
                #expect(abs(Decimal(part.minorUnits) - exact) < 1)
            }
        }
    }

    @Test("rounding modes follow their definitions on ties and signs")
    func roundingModes() throws {
        let cases: [(Decimal, RoundingRule, Int64)] = [
            (2.5, .halfEven, 2), (3.5, .halfEven, 4), (-2.5, .halfEven, -2), (2.5, .halfUp, 3), (-2.5, .halfUp, -3),
            (2.7, .down, 2), (-2.7, .down, -2), (2.1, .up, 3), (-2.1, .up, -3), (2.4999, .halfEven, 2),
        ]
        for (value, rule, expected) in cases {
            #expect(try Money.rounding(minorUnits: value, currency: .cny, rule).minorUnits == expected, "\(value) \(rule)")
        }
        #expect(throws: MoneyError.overflow) { try Money.rounding(minorUnits: Decimal(Int64.max) * 2, currency: .cny, .halfEven) }
    }

    @Test("adding amounts of different currencies is an error; overflow is an error")
    func arithmeticErrors() {
        #expect(throws: MoneyError.currencyMismatch("CNY", "JPY")) { try Money.zero(.cny).adding(.zero(.jpy)) }
        #expect(throws: MoneyError.overflow) { try Money(minorUnits: .max, currency: .cny).adding(Money(minorUnits: 1, currency: .cny)) }
    }

    @Test("dates survive days-since-epoch round trips and month arithmetic keeps the month-end rule")
    func dates() async {
        await propertyCheck(count: 500, input: Gen.int(in: -100_000...100_000)) { days in
            let date = BusinessDate(daysSinceEpoch: days)
            #expect(date.daysSinceEpoch == days)
            #expect(BusinessDate(date.description) == date)
            #expect(date.adding(days: 1).daysSinceEpoch == days + 1)
        }
        let jan31 = BusinessDate("2024-01-31")!
        #expect(jan31.adding(months: 1).description == "2024-02-29")
        #expect(jan31.adding(months: 2).description == "2024-03-31")
        #expect(BusinessDate("2025-01-31")!.adding(months: 1).description == "2025-02-28")
        #expect(BusinessDate("2026-02-29") == nil)
        #expect(BusinessDate("2026-13-01") == nil)
    }

    @Test("day counts: ACT/360, ACT/365F and 30/360 against hand-computed values")
    func dayCounts() throws {
        let start = BusinessDate("2026-01-31")!, end = BusinessDate("2026-03-31")!
        #expect(DayCount.act360.days(from: start, to: end) == 59)
        #expect(DayCount.thirty360.days(from: start, to: end) == 60)
        #expect(DayCount.act365F.yearFraction(from: start, to: end) == Decimal(59) / 365)
        // 1,000,000.00 CNY at 7.3% for 59 days ACT/360 = 100,000,000 fen × 0.073 × 59 / 360 = 1,196,388.888… fen → 1,196,389
        let fee = try DayCount.act360.interest(on: Money(minorUnits: 100_000_000, currency: .cny), annualRate: Decimal(string: "0.073")!,
                                               from: start, to: end)
        #expect(fee.minorUnits == 1_196_389)
    }

    @Test("business dates are taken in the platform time zone")
    func businessDateInZone() {
        // 2026-11-26T16:30:00Z is 2026-11-27 00:30 in Shanghai.
        let instant = Date(timeIntervalSince1970: 1_795_710_600)
        #expect(BusinessCalendar.shanghai.businessDate(at: instant).description == "2026-11-27")
        #expect(BusinessCalendar(timeZone: .gmt).businessDate(at: instant).description == "2026-11-26")
    }
}
