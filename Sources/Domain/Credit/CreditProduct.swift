import Foundation

/// How an installment plan is priced for one tenor.
public enum InstallmentPricing: Sendable, Hashable {
    /// A flat fee each month on the original financed principal (the 白條-style installment fee):
    /// fee per period = rounded(principal × rate), principal split evenly.
    case flatMonthlyFee(rate: Decimal)
    /// Interest on the declining balance with equal installments (annuity):
    /// payment = P·i / (1 − (1 + i)^−n), interest per period = rounded(balance × i).
    case decliningBalance(monthlyRate: Decimal)

    /// The monthly rate, whichever way it is applied.
    public var monthlyRate: Decimal {
        switch self {
        case .flatMonthlyFee(let rate): rate
        case .decliningBalance(let rate): rate
        }
    }
}

/// A consumer installment-credit product: which plans it offers, what they cost, and its overdue terms.
public struct CreditProduct: Sendable, Hashable {
    /// The numbers of monthly installments a purchase may be split into.
    public var allowedTenors: [Int]
    /// Pricing per tenor; every allowed tenor needs an entry.
    public var pricing: [Int: InstallmentPricing]
    /// Days after the purchase that an interest-free plan's single installment falls due.
    public var interestFreeDays: Int
    /// Days after a due date during which a missed installment is not yet overdue (no late fee).
    public var graceDays: Int
    /// Late fee per day as a fraction of the overdue principal (0.0005 = 0.05 % a day).
    public var dailyLateFeeRate: Decimal
    /// Cap on the late fees charged on one installment, as a fraction of that installment's
    /// overdue principal (0.25 = late fees never exceed 25 % of the principal in arrears).
    /// A fraction rather than a fixed amount so the cap scales with the purchase, as consumer
    /// regulation caps penalty charges relative to the amount owed.
    public var lateFeeCap: Decimal
    /// Hours an authorized but uncaptured checkout holds the consumer's limit.
    public var authorizationExpiryHours: Int
    /// How every fee, interest and late-fee formula of this product becomes minor units.
    public var rounding: RoundingRule
    /// How a repayment is split over what is owed (default: due-date order).
    public var allocation: AllocationStrategy
    /// What happens to money beyond everything already due (default: it prepays the next bills' principal).
    public var overpayment: OverpaymentPolicy
    /// The monthly bill's statement and repayment days of the product's accounts (each may override them).
    public var billing: BillingCycle

    public init(
        allowedTenors: [Int] = [3, 6, 12, 24],
        pricing: [Int: InstallmentPricing],
        interestFreeDays: Int = 30,
        graceDays: Int = 3,
        dailyLateFeeRate: Decimal = Decimal(sign: .plus, exponent: -4, significand: 5),
        lateFeeCap: Decimal = Decimal(sign: .plus, exponent: -2, significand: 25),
        authorizationExpiryHours: Int = 72,
        rounding: RoundingRule = .halfEven,
        allocation: AllocationStrategy = .dueDateOrder,
        overpayment: OverpaymentPolicy = .prepayNextBills,
        billing: BillingCycle = .productDefault
    ) {
        self.allowedTenors = allowedTenors
        self.pricing = pricing
        self.interestFreeDays = interestFreeDays
        self.graceDays = graceDays
        self.dailyLateFeeRate = dailyLateFeeRate
        self.lateFeeCap = lateFeeCap
        self.authorizationExpiryHours = authorizationExpiryHours
        self.rounding = rounding
        self.allocation = allocation
        self.overpayment = overpayment
        self.billing = billing
    }

    /// The platform default: 3, 6 and 12 installments at a flat 0.60 % a month, 24 installments
    /// on a declining balance at 1.00 % a month; 30 interest-free days, 3 grace days,
    /// 0.05 % a day late fee capped at 25 % of the overdue principal, authorizations held 72 hours.
    public static let standard = CreditProduct(
        pricing: [
            3: .flatMonthlyFee(rate: CreditMath.decimal(6, scale: 3)),
            6: .flatMonthlyFee(rate: CreditMath.decimal(6, scale: 3)),
            12: .flatMonthlyFee(rate: CreditMath.decimal(6, scale: 3)),
            24: .decliningBalance(monthlyRate: CreditMath.decimal(1, scale: 2)),
        ]
    )

    /// The pricing for `tenor`, or why the product cannot finance it.
    public func pricing(forTenor tenor: Int) throws(CreditError) -> InstallmentPricing {
        guard allowedTenors.contains(tenor) else { throw .tenorNotOffered(tenor) }
        guard let found = pricing[tenor] else { throw .noPricing(tenor: tenor) }
        return found
    }

    /// Checks the settings are usable: positive tenors each priced, non-negative rates and days.
    public func validate() throws(CreditError) {
        guard !allowedTenors.isEmpty, allowedTenors.allSatisfy({ $0 > 0 }) else {
            throw .invalidConfiguration("allowed tenors must be positive and not empty")
        }
        for tenor in allowedTenors {
            guard let price = pricing[tenor] else { throw .noPricing(tenor: tenor) }
            guard price.monthlyRate >= 0, RatePrecision.fits(price.monthlyRate, scale: RatePrecision.creditScale) else {
                throw .invalidRate(field: "monthly rate for \(tenor) installments")
            }
        }
        guard interestFreeDays >= 0 else { throw .invalidConfiguration("interest-free days must not be negative") }
        guard graceDays >= 0 else { throw .invalidConfiguration("grace days must not be negative") }
        guard dailyLateFeeRate >= 0, RatePrecision.fits(dailyLateFeeRate, scale: RatePrecision.creditScale) else {
            throw .invalidRate(field: "daily late fee rate")
        }
        guard lateFeeCap >= 0, RatePrecision.fits(lateFeeCap, scale: RatePrecision.creditScale) else {
            throw .invalidRate(field: "late fee cap")
        }
        guard authorizationExpiryHours > 0 else {
            throw .invalidConfiguration("authorization expiry must be positive")
        }
    }

    /// When an authorization made at `authorizedAt` stops holding the limit.
    public func authorizationExpiry(authorizedAt: Date) -> Date {
        authorizedAt.addingTimeInterval(TimeInterval(authorizationExpiryHours) * 3600)
    }

    /// Whether an installment due on `dueDate` and still unpaid is overdue on `asOf`:
    /// only once the grace days have passed (asOf > dueDate + graceDays).
    public func isOverdue(dueDate: BusinessDate, asOf: BusinessDate) -> Bool {
        asOf > dueDate.adding(days: graceDays)
    }
}
