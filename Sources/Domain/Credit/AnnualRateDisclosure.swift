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
///   method in Decimal, to 1e-12). APR = 12 × i (the nominal annual rate, the IRR method the PBoC's
///   2021 annualised-rate notice prescribes); effective annual rate = (1 + i)^12 − 1.
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
        var flows: [(t: Decimal, amount: Decimal)] = []
        for installment in installments {
            try CreditMath.requireCurrency(installment.total, principal.currency)
            fees = try CreditMath.add(fees, installment.fee.minorUnits)
            flows.append((months(from: purchaseDate, to: installment.dueDate), Decimal(installment.total.minorUnits)))
        }
        let cost = CreditMath.money(fees, principal.currency)
        let monthly = fees > 0 ? irr(principal: Decimal(principal.minorUnits), flows: flows) : 0
        return AnnualRateDisclosure(
            apr: rounded(monthly * 12),
            effectiveAnnualRate: rounded(CreditMath.power(1 + monthly, 12) - 1),
            totalCostOfCredit: cost)
    }

    /// The disclosure of a schedule.
    public static func of(_ schedule: InstallmentSchedule) throws(CreditError) -> AnnualRateDisclosure {
        try of(principal: schedule.principal, purchaseDate: schedule.purchaseDate, installments: schedule.installments)
    }

    /// Months from `start` to `end`: whole monthly anniversaries plus the elapsed fraction of the next.
    static func months(from start: BusinessDate, to end: BusinessDate) -> Decimal {
        var whole = 0
        while start.adding(months: whole + 1) <= end { whole += 1 }
        let from = start.adding(months: whole)
        let span = from.days(until: start.adding(months: whole + 1))
        let extra = from.days(until: end)
        return Decimal(whole) + (span > 0 ? Decimal(extra) / Decimal(span) : 0)
    }

    /// Splits t into whole months k and the fraction f.
    private static func split(_ t: Decimal) -> (k: Int, f: Decimal) {
        var value = t
        var floor = Decimal()
        NSDecimalRound(&floor, &value, 0, .down)
        return (NSDecimalNumber(decimal: floor).intValue, t - floor)
    }

    /// The monthly rate i with Σ amount / ((1 + i)^k × (1 + i·f)) = principal, for t = k + f
    /// (Newton from 1 %, kept ≥ 0). Flows are walked in time order so (1 + i)^k grows by one
    /// multiplication per month.
    static func irr(principal: Decimal, flows: [(t: Decimal, amount: Decimal)]) -> Decimal {
        let ordered = flows.map { (split($0.t), $0.amount) }.sorted { $0.0.k < $1.0.k }
        var i = Decimal(sign: .plus, exponent: -2, significand: 1)
        let tolerance = Decimal(sign: .plus, exponent: -12, significand: 1)
        for _ in 0..<50 {
            var value = -principal
            var slope: Decimal = 0
            var growth: Decimal = 1
            var month = 0
            for ((k, f), amount) in ordered {
                while month < k {
                    growth *= 1 + i
                    month += 1
                }
                let broken = 1 + i * f
                let v = amount / (growth * broken)
                value += v
                // d/di of amount / g(i) = −v × (k / (1 + i) + f / (1 + i·f)).
                slope -= v * (Decimal(k) / (1 + i) + f / broken)
            }
            guard slope != 0 else { break }
            let step = value / slope
            i -= step
            if i < 0 { i = 0 }
            if abs(step) < tolerance { break }
        }
        return i
    }

    private static func rounded(_ value: Decimal) -> Decimal {
        var input = value
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
