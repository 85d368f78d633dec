import Foundation

/// The annualised price of an installment plan, as it must be shown wherever a price is shown
/// (products, checkout decisions, plans, payoff quotes). Convention (Docs/ANNUAL-RATES.md):
///
/// - Cash flows: the financed principal paid out on the purchase date, each installment's total
///   (principal + fee or interest) received on its due date.
/// - Time is counted in months from the purchase date: an installment due k calendar months after
///   it counts k periods; a date between two monthly anniversaries adds the elapsed fraction of that
///   month (days / days in that month's interval), discounted with simple interest for the fraction.
/// - The monthly internal rate of return i solves Σ total_k / (1 + i)^t_k = principal (Newton's
///   method to 1e-14, in binary floating point: a disclosure, never an amount of money). APR = 12 × i
///   (the nominal annual rate, the IRR method the PBoC's 2021 annualised-rate notice prescribes);
///   effective annual rate = (1 + i)^12 − 1.
/// - Total cost of credit = Σ fees and interest of the schedule (late fees are not a price).
/// - Both rates are shown as decimal fractions rounded half-even to 6 places (0.1296 = 12.96 %).
public struct AnnualRateDisclosure: Sendable, Hashable {
    /// Nominal annual percentage rate: 12 × the monthly IRR (a fraction, 6 places).
    public let apr: Decimal
    /// Effective annual rate: (1 + monthly IRR)^12 − 1 (a fraction, 6 places).
    public let effectiveAnnualRate: Decimal
    /// Everything paid beyond the principal.
    public let totalCostOfCredit: Money

    /// Places the rates are shown with.
    public static let scale = 6

    /// The disclosure of a plan lending `principal` on `purchaseDate`, repaid by `installments`.
    public static func of(
        principal: Money, purchaseDate: BusinessDate, installments: [Installment]
    ) throws(CreditError) -> AnnualRateDisclosure {
        guard principal.isPositive else { throw .nonPositiveAmount(field: "principal") }
        var fees: Int64 = 0
        var flows: [(months: Int, fraction: Double, amount: Double)] = []
        for installment in installments {
            try CreditMath.requireCurrency(installment.total, principal.currency)
            fees = try CreditMath.add(fees, installment.fee.minorUnits)
            let (whole, fraction) = months(from: purchaseDate, to: installment.dueDate)
            flows.append((whole, fraction, Double(installment.total.minorUnits)))
        }
        let cost = CreditMath.money(fees, principal.currency)
        let monthly = fees > 0 ? irr(principal: Double(principal.minorUnits), flows: flows) : 0
        return AnnualRateDisclosure(
            apr: rounded(monthly * 12),
            effectiveAnnualRate: rounded(Foundation.pow(1 + monthly, 12) - 1),
            totalCostOfCredit: cost)
    }

    /// The disclosure of a schedule.
    public static func of(_ schedule: InstallmentSchedule) throws(CreditError) -> AnnualRateDisclosure {
        try of(principal: schedule.principal, purchaseDate: schedule.purchaseDate, installments: schedule.installments)
    }

    /// Months from `start` to `end`: whole monthly anniversaries plus the elapsed fraction of the next.
    static func months(from start: BusinessDate, to end: BusinessDate) -> (whole: Int, fraction: Double) {
        var whole = Swift.max(0, (end.year - start.year) * 12 + end.month - start.month)
        while whole > 0, start.adding(months: whole) > end { whole -= 1 }
        while start.adding(months: whole + 1) <= end { whole += 1 }
        let from = start.adding(months: whole)
        let span = from.days(until: start.adding(months: whole + 1))
        let extra = from.days(until: end)
        return (whole, span > 0 ? Double(extra) / Double(span) : 0)
    }

    /// The monthly rate i with Σ amount / ((1 + i)^k × (1 + i·f)) = principal (Newton from 1 %, kept
    /// ≥ 0, to 1e-14). A disclosure, not an amount of money: no minor unit is ever computed from it, so
    /// it is solved in binary floating point (the cash flows are whole minor units, exact in a Double)
    /// and only the shown result is rounded, in Decimal — it runs on every authorization's answer.
    static func irr(principal: Double, flows: [(months: Int, fraction: Double, amount: Double)]) -> Double {
        var i = 0.01
        for _ in 0..<100 {
            var value = -principal
            var slope = 0.0
            for flow in flows {
                let broken = 1 + i * flow.fraction
                let pv = flow.amount / (Foundation.pow(1 + i, Double(flow.months)) * broken)
                value += pv
                slope -= pv * (Double(flow.months) / (1 + i) + flow.fraction / broken)
            }
            guard slope != 0 else { break }
            let step = value / slope
            i = Swift.max(0, i - step)
            if Swift.abs(step) < 1e-14 { break }
        }
        return i
    }

    /// A rate shown with `scale` places, rounded half-even once from the solver's value.
    private static func rounded(_ value: Double) -> Decimal {
        guard value.isFinite else { return 0 }
        var input = Decimal(value)
        var out = Decimal()
        NSDecimalRound(&out, &input, scale, .bankers)
        return out
    }
}

extension CreditProduct {
    /// The reference purchase a product's advertised annual rates are computed for: 10,000.00 CNY.
    public static let disclosureReference = Money(minorUnits: 1_000_000, currency: .cny)

    /// The annual rates of `tenor` installments on a purchase of `reference` (monthly due dates, so
    /// the purchase date does not change them).
    public func annualRates(tenor: Int, reference: Money = disclosureReference) throws(CreditError) -> AnnualRateDisclosure {
        let purchase = BusinessDate(daysSinceEpoch: 20_468) // 2026-01-15
        return try AnnualRateDisclosure.of(
            InstallmentSchedule.make(principal: reference, purchaseDate: purchase, plan: .installments(tenor), product: self))
    }
}
