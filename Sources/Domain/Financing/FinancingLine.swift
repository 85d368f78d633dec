import Foundation

/// A supplier's financing line: how much may be advanced against its receivables, and at what price.
///
/// The line's currency is the currency of `limit`; every amount checked against the line must be in it.
public struct FinancingLine: Hashable, Sendable {
    /// The most that may be outstanding in advances at any time.
    public let limit: Money
    /// The fraction of a receivable's outstanding amount that is advanced, 0 < r ≤ 1.
    public let advanceRate: Decimal
    /// The annual discount rate charged on the advance (0.065 = 6.5 % a year), ≥ 0.
    public let annualDiscountRate: Decimal
    /// Fewest calendar days from disbursement to the due date, ≥ 1 (a receivable due on or before
    /// the disbursement date is never financed).
    public let minDaysToMaturity: Int
    /// Most calendar days from disbursement to the due date, ≥ `minDaysToMaturity`.
    public let maxDaysToMaturity: Int
    /// Requests whose total advance is above this amount go to review instead of being approved.
    public let autoApprovalCeiling: Money
    /// The day count of the discount fee (ACT/360 unless the product says otherwise).
    public let dayCount: DayCount

    public var currency: Currency { limit.currency }

    public init(
        limit: Money,
        advanceRate: Decimal,
        annualDiscountRate: Decimal,
        minDaysToMaturity: Int,
        maxDaysToMaturity: Int,
        autoApprovalCeiling: Money,
        dayCount: DayCount = .act360
    ) throws(FinancingLineError) {
        guard !limit.isNegative else { throw .negativeLimit }
        guard advanceRate > 0, advanceRate <= 1 else { throw .advanceRateOutOfRange(advanceRate) }
        guard annualDiscountRate >= 0 else { throw .negativeDiscountRate(annualDiscountRate) }
        guard minDaysToMaturity >= 1, maxDaysToMaturity >= minDaysToMaturity else {
            throw .invalidTenorRange(min: minDaysToMaturity, max: maxDaysToMaturity)
        }
        guard autoApprovalCeiling.currency == limit.currency else {
            throw .currencyMismatch(limit: limit.currency.code, ceiling: autoApprovalCeiling.currency.code)
        }
        guard !autoApprovalCeiling.isNegative else { throw .negativeAutoApprovalCeiling }
        self.limit = limit
        self.advanceRate = advanceRate
        self.annualDiscountRate = annualDiscountRate
        self.minDaysToMaturity = minDaysToMaturity
        self.maxDaysToMaturity = maxDaysToMaturity
        self.autoApprovalCeiling = autoApprovalCeiling
        self.dayCount = dayCount
    }
}

/// Why a financing line's terms were refused.
public enum FinancingLineError: Error, Equatable, Sendable, CustomStringConvertible {
    case negativeLimit
    case advanceRateOutOfRange(Decimal)
    case negativeDiscountRate(Decimal)
    case invalidTenorRange(min: Int, max: Int)
    case currencyMismatch(limit: String, ceiling: String)
    case negativeAutoApprovalCeiling

    public var description: String {
        switch self {
        case .negativeLimit: "limit must not be negative"
        case .advanceRateOutOfRange(let rate): "advance rate \(rate) must be above 0 and at most 1"
        case .negativeDiscountRate(let rate): "annual discount rate \(rate) must not be negative"
        case .invalidTenorRange(let min, let max):
            "days to maturity must satisfy 1 ≤ min ≤ max, got min \(min), max \(max)"
        case .currencyMismatch(let limit, let ceiling):
            "auto-approval ceiling currency \(ceiling) differs from the limit's \(limit)"
        case .negativeAutoApprovalCeiling: "auto-approval ceiling must not be negative"
        }
    }
}
