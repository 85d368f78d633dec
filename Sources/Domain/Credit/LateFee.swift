import Foundation

/// Late fees on overdue installment principal.
///
/// fee = dailyLateFeeRate × overdue principal × days, rounded once with the product's rounding
/// (half-even by default), then limited so the installment's late fees never exceed
/// cap = rounded(overdue principal × lateFeeCap) (same rounding). Never negative.
public enum LateFee {
    /// The most late fee one installment may carry in total, given its overdue principal.
    public static func cap(overduePrincipal: Money, product: CreditProduct) throws(CreditError) -> Money {
        guard !overduePrincipal.isNegative else { throw .negativeAmount(field: "overdue principal") }
        guard product.lateFeeCap >= 0 else { throw .invalidRate(field: "late fee cap") }
        let cap = try CreditMath.round(Decimal(overduePrincipal.minorUnits) * product.lateFeeCap, product.rounding)
        return CreditMath.money(cap, overduePrincipal.currency)
    }

    /// The late fee to charge now for `daysOverdue` days on `overduePrincipal`, given the late fees
    /// `alreadyCharged` on the same installment: min(rate × principal × days, cap − alreadyCharged),
    /// and zero once the cap is reached.
    public static func accrue(
        overduePrincipal: Money, daysOverdue: Int, product: CreditProduct, alreadyCharged: Money
    ) throws(CreditError) -> Money {
        let currency = overduePrincipal.currency
        try CreditMath.requireCurrency(alreadyCharged, currency)
        guard !alreadyCharged.isNegative else { throw .negativeAmount(field: "late fee already charged") }
        guard daysOverdue >= 0 else { throw .invalidConfiguration("days overdue must not be negative") }
        guard product.dailyLateFeeRate >= 0 else { throw .invalidRate(field: "daily late fee rate") }
        let cap = try cap(overduePrincipal: overduePrincipal, product: product)
        let exact = Decimal(overduePrincipal.minorUnits) * product.dailyLateFeeRate * Decimal(daysOverdue)
        let accrued = try CreditMath.round(exact, product.rounding)
        let headroom = Swift.max(0, cap.minorUnits - alreadyCharged.minorUnits)
        return CreditMath.money(Swift.min(accrued, headroom), currency)
    }

    /// Days a late fee is charged for on `asOf`: none within the grace days; once past them the
    /// grace is forfeited and the fee runs from the due date (days past due), as consumer credit
    /// in China customarily counts 逾期 from the day after the due date.
    /// A nightly job charges `accrue(daysOverdue: today's days − yesterday's days)`.
    public static func chargeableDays(dueDate: BusinessDate, asOf: BusinessDate, product: CreditProduct) -> Int {
        product.isOverdue(dueDate: dueDate, asOf: asOf) ? dueDate.days(until: asOf) : 0
    }
}

/// How far behind an account is, by days past the due date of its oldest unpaid installment.
public enum DelinquencyBucket: String, Sendable, Hashable, Codable, CaseIterable {
    /// Not past due (0 days).
    case current
    /// 1–30 days past due (including days still inside the grace period).
    case d1to30 = "dpd_1_30"
    /// 31–60 days past due.
    case d31to60 = "dpd_31_60"
    /// 61–90 days past due.
    case d61to90 = "dpd_61_90"
    /// 91 or more days past due.
    case d90plus = "dpd_90_plus"

    /// Days past due at or beyond which the balance is charged off.
    public static let chargeOffDaysPastDue = 180

    /// The bucket for `daysPastDue` (zero or negative is current).
    public init(daysPastDue: Int) {
        switch daysPastDue {
        case ...0: self = .current
        case 1...30: self = .d1to30
        case 31...60: self = .d31to60
        case 61...90: self = .d61to90
        default: self = .d90plus
        }
    }

    /// Calendar days from `dueDate` to `asOf`, zero when not yet past due.
    public static func daysPastDue(dueDate: BusinessDate, asOf: BusinessDate) -> Int {
        Swift.max(0, dueDate.days(until: asOf))
    }

    /// Whether the balance should be charged off: 180 or more days past due.
    public static func shouldChargeOff(daysPastDue: Int) -> Bool {
        daysPastDue >= chargeOffDaysPastDue
    }
}

/// The aging of one unpaid installment on a date, as the nightly run records it.
public struct DelinquencyStatus: Sendable, Hashable {
    public let daysPastDue: Int
    public let bucket: DelinquencyBucket
    /// Past the grace days (late fees apply).
    public let isOverdue: Bool
    /// Days a late fee is charged for in total (see `LateFee.chargeableDays`).
    public let lateFeeDays: Int
    public let shouldChargeOff: Bool

    /// Ages an installment due on `dueDate` that is still unpaid on `asOf`.
    public init(dueDate: BusinessDate, asOf: BusinessDate, product: CreditProduct) {
        let days = DelinquencyBucket.daysPastDue(dueDate: dueDate, asOf: asOf)
        self.daysPastDue = days
        self.bucket = DelinquencyBucket(daysPastDue: days)
        self.isOverdue = product.isOverdue(dueDate: dueDate, asOf: asOf)
        self.lateFeeDays = LateFee.chargeableDays(dueDate: dueDate, asOf: asOf, product: product)
        self.shouldChargeOff = DelinquencyBucket.shouldChargeOff(daysPastDue: days)
    }
}
