import Foundation

/// The plan a consumer picks for a purchase: pay once after the interest-free days, or in N monthly installments.
public enum PurchasePlan: Sendable, Hashable {
    /// One installment of the principal only, due `interestFreeDays` after the purchase.
    case interestFree
    /// `tenor` monthly installments priced by the product.
    case installments(Int)
}

/// One scheduled installment: what falls due on a date.
public struct Installment: Sendable, Hashable {
    /// 1-based position in the schedule.
    public let number: Int
    public let dueDate: BusinessDate
    public let principal: Money
    /// The flat installment fee or, on a declining-balance plan, the period's interest.
    public let fee: Money
    /// principal + fee.
    public let total: Money

    /// An installment; refuses mixed currencies, negative amounts and an overflowing total.
    public init(number: Int, dueDate: BusinessDate, principal: Money, fee: Money) throws(CreditError) {
        try CreditMath.requireCurrency(fee, principal.currency)
        guard !principal.isNegative else { throw .negativeAmount(field: "principal") }
        guard !fee.isNegative else { throw .negativeAmount(field: "fee") }
        self.number = number
        self.dueDate = dueDate
        self.principal = principal
        self.fee = fee
        self.total = CreditMath.money(try CreditMath.add(principal.minorUnits, fee.minorUnits), principal.currency)
    }
}

/// The installments a purchase is repaid in. Principals always sum to the financed principal exactly.
public struct InstallmentSchedule: Sendable, Hashable {
    /// The financed principal.
    public let principal: Money
    public let purchaseDate: BusinessDate
    public let plan: PurchasePlan
    /// The pricing applied; nil for an interest-free plan.
    public let pricing: InstallmentPricing?
    /// In due order, numbered from 1.
    public let installments: [Installment]
    /// Sum of the installments' fees.
    public let totalFee: Money
    /// Principal plus all fees.
    public let totalPayable: Money

    /// Builds the schedule for `principal` bought on `purchaseDate` under `plan` and `product`.
    ///
    /// - Due dates: the k-th installment falls on `purchaseDate.adding(months: k)`, always counted
    ///   from the purchase date (never chained), so a Jan 31 purchase is due Feb 28/29, Mar 31, Apr 30.
    /// - Flat fee: fee per period = P × rate rounded once with `product.rounding` (half-even by
    ///   default); principal = P split evenly with the remainder minor units in the last period.
    /// - Declining balance: payment = P·i / (1 − (1 + i)^−n) rounded with `product.rounding`;
    ///   each period's interest = balance × i rounded the same way; principal = payment − interest,
    ///   clamped to [0, balance] (only tiny principals ever need the clamp); the rounded balance is
    ///   carried; the last installment takes the remaining balance (its total = balance + interest).
    ///   With a zero rate the exact payment is P / n, rounded the same way.
    ///
    /// With the account's `billingCycle` (every real account has one), an interest-free purchase falls
    /// due on the repayment day of the bill that follows it, and installment n on the repayment day n − 1
    /// months after that. Without one (pure schedules, oracles), `interestFreeDays` after the purchase
    /// and monthly on the purchase's day.
    public static func make(
        principal: Money, purchaseDate: BusinessDate, plan: PurchasePlan, product: CreditProduct,
        billingCycle: BillingCycle? = nil
    ) throws(CreditError) -> InstallmentSchedule {
        try product.validate()
        guard principal.isPositive else { throw .nonPositiveAmount(field: "principal") }
        let currency = principal.currency
        let rule = product.rounding

        var rows: [(principal: Int64, fee: Int64)] = []
        var dueDates: [BusinessDate] = []
        let pricing: InstallmentPricing?
        switch plan {
        case .interestFree:
            pricing = nil
            rows = [(principal.minorUnits, 0)]
            dueDates = [billingCycle?.interestFreeDueDate(purchaseDate: purchaseDate) ?? purchaseDate.adding(days: product.interestFreeDays)]
        case .installments(let tenor):
            let price = try product.pricing(forTenor: tenor)
            pricing = price
            switch price {
            case .flatMonthlyFee(let rate):
                rows = try flatFeeRows(principal: principal.minorUnits, rate: rate, periods: tenor, rule)
            case .decliningBalance(let rate):
                rows = try annuityRows(principal: principal.minorUnits, monthlyRate: rate, periods: tenor, rule)
            }
            // On the account's repayment days, starting with the bill that follows the purchase, so every
            // installment is on exactly one monthly bill and paying that bill by its due date pays it on time.
            if let first = billingCycle?.interestFreeDueDate(purchaseDate: purchaseDate) {
                dueDates = (0..<tenor).map { first.adding(months: $0) }
            } else {
                dueDates = (1...tenor).map { purchaseDate.adding(months: $0) }
            }
        }

        var installments: [Installment] = []
        for (index, row) in rows.enumerated() {
            installments.append(try Installment(
                number: index + 1,
                dueDate: dueDates[index],
                principal: CreditMath.money(row.principal, currency),
                fee: CreditMath.money(row.fee, currency)
            ))
        }
        let totalFee = try CreditMath.sum(rows.map(\.fee))
        return InstallmentSchedule(
            principal: principal,
            purchaseDate: purchaseDate,
            plan: plan,
            pricing: pricing,
            installments: installments,
            totalFee: CreditMath.money(totalFee, currency),
            totalPayable: CreditMath.money(try CreditMath.add(principal.minorUnits, totalFee), currency)
        )
    }

    /// The schedule as open installments with nothing paid and no late fees, for the repayment rules.
    public var openInstallments: [OpenInstallment] {
        installments.map {
            OpenInstallment(
                number: $0.number, dueDate: $0.dueDate, principal: $0.principal, fee: $0.fee,
                lateFee: .zero($0.principal.currency)
            )
        }
    }

    /// The annuity payment in minor units: P·i / (1 − (1 + i)^−n) rounded once with `rule`.
    /// (1 + i)^n is built by repeated multiplication so it keeps Decimal's 38 significant digits.
    public static func annuityPayment(
        principal: Money, monthlyRate: Decimal, periods: Int, rounding rule: RoundingRule = .halfEven
    ) throws(CreditError) -> Money {
        guard periods > 0 else { throw .invalidConfiguration("periods must be positive") }
        guard monthlyRate >= 0 else { throw .invalidRate(field: "monthly rate") }
        let payment = try annuityPaymentMinorUnits(principal.minorUnits, monthlyRate, periods, rule)
        return CreditMath.money(payment, principal.currency)
    }

    static func annuityPaymentMinorUnits(
        _ principal: Int64, _ rate: Decimal, _ periods: Int, _ rule: RoundingRule
    ) throws(CreditError) -> Int64 {
        let p = Decimal(principal)
        guard rate > 0 else { return try CreditMath.round(p / Decimal(periods), rule) }
        let growth = CreditMath.power(1 + rate, periods)
        let discount = 1 / growth
        return try CreditMath.round(p * rate / (1 - discount), rule)
    }

    static func annuityRows(
        principal: Int64, monthlyRate rate: Decimal, periods: Int, _ rule: RoundingRule
    ) throws(CreditError) -> [(principal: Int64, fee: Int64)] {
        let payment = try annuityPaymentMinorUnits(principal, rate, periods, rule)
        var balance = principal
        var rows: [(principal: Int64, fee: Int64)] = []
        for period in 1...periods {
            let interest = try CreditMath.round(Decimal(balance) * rate, rule)
            let part = period == periods ? balance : Swift.min(Swift.max(payment - interest, 0), balance)
            rows.append((part, interest))
            balance -= part
        }
        return rows
    }

    static func flatFeeRows(
        principal: Int64, rate: Decimal, periods: Int, _ rule: RoundingRule
    ) throws(CreditError) -> [(principal: Int64, fee: Int64)] {
        let fee = try CreditMath.round(Decimal(principal) * rate, rule)
        let parts = CreditMath.money(principal, .cny).splitEvenly(into: periods)
        return parts.map { ($0.minorUnits, fee) }
    }
}
