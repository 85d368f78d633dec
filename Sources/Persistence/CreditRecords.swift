import Domain
import Foundation
import PostgresNIO

/// A stored credit product: its identity and its terms.
public struct CreditProductRecord: Sendable {
    public let id: UUID
    public let code: String
    public let name: String
    public let currency: Currency
    public let terms: CreditProduct
    public let isDefault: Bool

    public init(id: UUID, code: String, name: String, currency: Currency, terms: CreditProduct, isDefault: Bool) {
        self.id = id
        self.code = code
        self.name = name
        self.currency = currency
        self.terms = terms
        self.isDefault = isDefault
    }
}

/// A stored credit account. Personal data appears only as the national ID's last four characters
/// and the masked phone number.
public struct CreditAccountRecord: Sendable {
    public let id: UUID
    public let productID: UUID
    public let nationalIDLast4: String
    public let phoneMasked: String
    public let currency: Currency
    public let limit: Money
    public let held: Money
    public let principalOutstanding: Money
    public let status: CreditAccountStatus
    public let score: Int
    public let reasons: [String]
    /// The scorecard's per-feature explanation, as stored JSON.
    /// How each feature scored when the account was opened, as stored (JSON; read with `scoreDetail()`).
    let scoreDetailJSON: String

    /// The score detail, typed; a row that does not decode is a corrupt row, never an empty list.
    /// Decoded on demand: the checkout path reads accounts without needing it.
    public func scoreDetail() throws -> [ScoreDetailLine] {
        do {
            return try JSONDecoder().decode([ScoreDetailLine].self, from: Data(scoreDetailJSON.utf8))
        } catch {
            throw CreditStoreError.corruptRow("credit_accounts.score_detail")
        }
    }
    public let daysPastDue: Int
    public let bucket: DelinquencyBucket
    public let openedOn: BusinessDate
    public let chargedOffOn: BusinessDate?
    /// The account's statement and repayment days (its own, else its product's).
    public var billingCycle: BillingCycle = .productDefault

    /// What the consumer can spend now: limit − held − principal outstanding (never below zero)
    /// on an active account, zero on a frozen, charged-off or declined one.
    public var available: Money {
        status == .active ? standing(hasOverdue: false).available : .zero(currency)
    }

    public func standing(hasOverdue: Bool) -> CreditStanding {
        CreditStanding(status: status, limit: limit, held: held, principalOutstanding: principalOutstanding, hasOverdue: hasOverdue)
    }
}

/// Where a checkout authorization is in its life.
public enum CheckoutStatus: String, Sendable, Codable, CaseIterable {
    case authorized, declined, captured, voided, expired
}

/// A stored checkout authorization (or a declined attempt).
public struct CheckoutRecord: Sendable {
    public let id: UUID
    public let creditAccountID: UUID
    public let orderRef: String
    public let merchantID: String
    public let amount: Money
    public let plan: PurchasePlan
    public let status: CheckoutStatus
    public let reasons: [DecisionReason]
    public let capturedAmount: Money?
    public let planID: UUID?
    public let businessDate: BusinessDate
    public let authorizedAt: Date
    public let expiresAt: Date

    public init(
        id: UUID, creditAccountID: UUID, orderRef: String, merchantID: String, amount: Money, plan: PurchasePlan,
        status: CheckoutStatus, reasons: [DecisionReason], capturedAmount: Money?, planID: UUID?, businessDate: BusinessDate,
        authorizedAt: Date, expiresAt: Date
    ) {
        self.id = id
        self.creditAccountID = creditAccountID
        self.orderRef = orderRef
        self.merchantID = merchantID
        self.amount = amount
        self.plan = plan
        self.status = status
        self.reasons = reasons
        self.capturedAmount = capturedAmount
        self.planID = planID
        self.businessDate = businessDate
        self.authorizedAt = authorizedAt
        self.expiresAt = expiresAt
    }

    /// The same checkout in another state (after capture, void or expiry).
    public func closed(as status: CheckoutStatus, captured: Money? = nil, planID: UUID? = nil) -> CheckoutRecord {
        CheckoutRecord(id: id, creditAccountID: creditAccountID, orderRef: orderRef, merchantID: merchantID, amount: amount,
                       plan: plan, status: status, reasons: [], capturedAmount: captured, planID: planID,
                       businessDate: businessDate, authorizedAt: authorizedAt, expiresAt: expiresAt)
    }
}

/// Where an installment plan is in its life.
public enum PlanStatus: String, Sendable, Codable, CaseIterable {
    case active
    case paidOff = "paid_off"
    /// Cancelled by a refund covering all outstanding principal.
    case cancelled
    /// An interest-free plan replaced by an installment plan.
    case converted
    case chargedOff = "charged_off"
}

/// Where one installment is in its life.
public enum InstallmentStatus: String, Sendable, Codable, CaseIterable {
    case open, paid, cancelled, converted
    case chargedOff = "charged_off"
}

/// One stored installment: what is scheduled and what was paid, waived or charged late.
public struct InstallmentRecord: Sendable, Hashable {
    public var number: Int
    public var dueDate: BusinessDate
    /// Scheduled principal (lowered by refunds).
    public var principal: Money
    /// Scheduled fee or interest.
    public var fee: Money
    /// Late fees charged so far.
    public var lateFee: Money
    public var principalPaid: Money
    public var feePaid: Money
    public var lateFeePaid: Money
    public var feeWaived: Money
    public var lateFeeDays: Int
    public var daysPastDue: Int
    public var status: InstallmentStatus

    public init(
        number: Int, dueDate: BusinessDate, principal: Money, fee: Money, lateFee: Money, principalPaid: Money,
        feePaid: Money, lateFeePaid: Money, feeWaived: Money, lateFeeDays: Int, daysPastDue: Int, status: InstallmentStatus
    ) {
        self.number = number
        self.dueDate = dueDate
        self.principal = principal
        self.fee = fee
        self.lateFee = lateFee
        self.principalPaid = principalPaid
        self.feePaid = feePaid
        self.lateFeePaid = lateFeePaid
        self.feeWaived = feeWaived
        self.lateFeeDays = lateFeeDays
        self.daysPastDue = daysPastDue
        self.status = status
    }

    /// A fresh installment from a schedule: nothing paid yet.
    public init(scheduled installment: Installment) {
        let zero = Money.zero(installment.principal.currency)
        self.init(number: installment.number, dueDate: installment.dueDate, principal: installment.principal,
                  fee: installment.fee, lateFee: zero, principalPaid: zero, feePaid: zero, lateFeePaid: zero,
                  feeWaived: zero, lateFeeDays: 0, daysPastDue: 0, status: .open)
        settleIfNothingOwed()
    }

    /// The one rule for "open": an installment is open only while something is owed on it, so one
    /// with nothing owed (0.00 of a tiny purchase, or emptied by a refund) is settled the moment it
    /// exists and never ages, freezes or charges off an account. The database enforces the same
    /// rule (CHECK credit_installments_open_owes).
    public mutating func settleIfNothingOwed() {
        if status == .open, owed.isSettled { status = .paid }
    }

    /// What is still owed on it, for the repayment rules.
    public var owed: OpenInstallment {
        let c = principal.currency
        return OpenInstallment(
            number: number, dueDate: dueDate,
            principal: Money(minorUnits: principal.minorUnits - principalPaid.minorUnits, currency: c),
            fee: Money(minorUnits: fee.minorUnits - feePaid.minorUnits - feeWaived.minorUnits, currency: c),
            lateFee: Money(minorUnits: lateFee.minorUnits - lateFeePaid.minorUnits, currency: c))
    }
}

/// A stored installment plan with its installments in number order.
public struct InstallmentPlanRecord: Sendable {
    public let id: UUID
    public let creditAccountID: UUID
    public let checkoutID: UUID
    public let merchantID: String
    public let plan: PurchasePlan
    /// Nil for an interest-free plan.
    public let pricing: InstallmentPricing?
    public let rounding: RoundingRule
    public let currency: Currency
    public let principal: Money
    /// Principal less refunds: the base flat fees are priced on.
    public let feeBase: Money
    public let purchaseDate: BusinessDate
    public let status: PlanStatus
    public let convertedFrom: UUID?
    public let installments: [InstallmentRecord]

    public init(
        id: UUID, creditAccountID: UUID, checkoutID: UUID, merchantID: String, plan: PurchasePlan, pricing: InstallmentPricing?,
        rounding: RoundingRule, currency: Currency, principal: Money, feeBase: Money, purchaseDate: BusinessDate,
        status: PlanStatus, convertedFrom: UUID?, installments: [InstallmentRecord]
    ) {
        self.id = id
        self.creditAccountID = creditAccountID
        self.checkoutID = checkoutID
        self.merchantID = merchantID
        self.plan = plan
        self.pricing = pricing
        self.rounding = rounding
        self.currency = currency
        self.principal = principal
        self.feeBase = feeBase
        self.purchaseDate = purchaseDate
        self.status = status
        self.convertedFrom = convertedFrom
        self.installments = installments
    }

    /// The open installments' owed amounts.
    public var openInstallments: [OpenInstallment] {
        installments.filter { $0.status == .open }.map(\.owed)
    }
}

/// Where a decoded row did not hold what the schema promises.
public enum CreditStoreError: Error, CustomStringConvertible {
    case corruptRow(String)

    public var description: String {
        switch self {
        case .corruptRow(let what): "unreadable credit row: \(what)"
        }
    }
}

extension PurchasePlan {
    /// "interest_free" or "installments", as stored.
    public var typeName: String {
        switch self {
        case .interestFree: "interest_free"
        case .installments: "installments"
        }
    }

    /// The tenor, nil for interest-free.
    public var tenor: Int? {
        switch self {
        case .interestFree: nil
        case .installments(let tenor): tenor
        }
    }

    init(typeName: String, tenor: Int?) throws {
        switch (typeName, tenor) {
        case ("interest_free", nil): self = .interestFree
        case ("installments", let tenor?): self = .installments(tenor)
        default: throw CreditStoreError.corruptRow("plan type \(typeName)")
        }
    }
}

extension InstallmentPricing {
    /// "flat_monthly_fee" or "declining_balance", as stored.
    public var methodName: String {
        switch self {
        case .flatMonthlyFee: "flat_monthly_fee"
        case .decliningBalance: "declining_balance"
        }
    }

    /// Rebuilds a pricing from its stored method name and rate text.
    public init?(methodName: String, rate: Decimal) {
        switch methodName {
        case "flat_monthly_fee": self = .flatMonthlyFee(rate: rate)
        case "declining_balance": self = .decliningBalance(monthlyRate: rate)
        default: return nil
        }
    }
}

extension PostgresRandomAccessRow {
    /// The named column decoded as `T`.
    func creditColumn<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        try self[name].decode(T.self, context: .default)
    }

    func creditMoney(_ name: String, _ currency: Currency) throws -> Money {
        Money(minorUnits: try creditColumn(name, as: Int64.self), currency: currency)
    }

    func creditDate(_ name: String) throws -> BusinessDate {
        let text = try creditColumn(name, as: String.self)
        guard let date = BusinessDate(text) else { throw CreditStoreError.corruptRow("date \(name)=\(text)") }
        return date
    }

    func creditDecimal(_ name: String) throws -> Decimal {
        let text = try creditColumn(name, as: String.self)
        guard let value = Decimal(string: text) else { throw CreditStoreError.corruptRow("numeric \(name)=\(text)") }
        return value
    }

    func creditCurrency(_ name: String = "currency") throws -> Currency {
        let code = try creditColumn(name, as: String.self)
        guard let currency = Currency(code: code) else { throw CreditStoreError.corruptRow("currency \(code)") }
        return currency
    }

    func creditEnum<E: RawRepresentable>(_ name: String, as type: E.Type) throws -> E where E.RawValue == String {
        let raw = try creditColumn(name, as: String.self)
        guard let value = E(rawValue: raw) else { throw CreditStoreError.corruptRow("\(name)=\(raw)") }
        return value
    }
}

/// One feature's line of the score an account was opened with: stored as JSONB by the account
/// opening, read back typed (no silent empty list when a row does not decode).
public struct ScoreDetailLine: Codable, Sendable, Equatable {
    public let feature: String
    public let value: String
    public let points: String
    public let maxPoints: String
    public let reasonCode: String

    /// The line as the scorecard scored it.
    public init(_ score: FeatureScore) {
        feature = score.feature.rawValue
        value = score.value
        points = "\(score.points)"
        maxPoints = "\(score.maxPoints)"
        reasonCode = score.reasonCode
    }

    enum CodingKeys: String, CodingKey {
        case feature, value, points, maxPoints = "max_points", reasonCode = "reason_code"
    }
}
