import Domain
import Foundation
import Persistence
import Synchronization

/// A product as the operator defines it.
public struct CreditProductDraft: Sendable {
    public let code: String
    public let name: String
    public let terms: CreditProduct

    public init(code: String, name: String, terms: CreditProduct) {
        self.code = code
        self.name = name
        self.terms = terms
    }
}

/// What the platform sends to open a credit account. The identity fields are validated types
/// whose descriptions are redacted, so they cannot leak through interpolation into a log.
public struct CreditApplication: Sendable {
    public let nationalID: NationalID
    public let phone: MobilePhone
    public let features: CreditFeatures
    public let productID: UUID?
    /// The account's own statement and repayment days (1–28); nil keeps the product's.
    public let statementDay: Int?
    public let repaymentDay: Int?

    public init(nationalID: NationalID, phone: MobilePhone, features: CreditFeatures, productID: UUID?,
                statementDay: Int? = nil, repaymentDay: Int? = nil) {
        self.nationalID = nationalID
        self.phone = phone
        self.features = features
        self.productID = productID
        self.statementDay = statementDay
        self.repaymentDay = repaymentDay
    }
}

/// A freshly opened account with the scorecard's full explanation.
public struct OpenedCreditAccount: Sendable {
    public let account: CreditAccountRecord
    public let score: ScoreResult
}

/// A checkout the platform asks to authorize.
public struct CheckoutRequest: Sendable {
    public let creditAccountID: UUID
    public let orderRef: String
    /// Lower case `[a-z0-9][a-z0-9_.-]{0,63}`.
    public let merchantID: String
    public let amount: Money
    public let plan: PurchasePlan

    public init(creditAccountID: UUID, orderRef: String, merchantID: String, amount: Money, plan: PurchasePlan) {
        self.creditAccountID = creditAccountID
        self.orderRef = orderRef
        self.merchantID = merchantID
        self.amount = amount
        self.plan = plan
    }
}

/// The checkout after a use case, with the account's available limit at that moment.
public struct CheckoutOutcome: Sendable {
    public let checkout: CheckoutRecord
    public let available: Money
    /// The plan a capture created.
    public let plan: InstallmentPlanRecord?
    /// The annual rates of the authorized purchase (absent on declines, captures and voids).
    public var annualRates: AnnualRateDisclosure? = nil
}

/// A repayment the platform received for a plan.
public struct RepaymentRequest: Sendable {
    public let planID: UUID
    public let externalRef: String
    public let amount: Money
    /// Settle the whole plan now without future fees; `amount` must equal the payoff quote.
    public let payoff: Bool

    public init(planID: UUID, externalRef: String, amount: Money, payoff: Bool) {
        self.planID = planID
        self.externalRef = externalRef
        self.amount = amount
        self.payoff = payoff
    }
}

/// A booked repayment and the plan after it.
public struct RepaymentResult: Sendable {
    public let id: UUID
    public let externalRef: String
    public let businessDate: BusinessDate
    public let amount: Money
    public let allocation: RepaymentAllocation
    public let feesWaived: Money
    public let plan: InstallmentPlanRecord
}

/// A merchant refund of returned goods, addressed by the checkout's order reference.
public struct RefundRequest: Sendable {
    public let orderRef: String
    public let externalRef: String
    public let amount: Money

    public init(orderRef: String, externalRef: String, amount: Money) {
        self.orderRef = orderRef
        self.externalRef = externalRef
        self.amount = amount
    }
}

/// A booked refund and the plan after it.
public struct RefundResult: Sendable {
    public let id: UUID
    public let externalRef: String
    public let businessDate: BusinessDate
    public let amount: Money
    /// "reamortized" or "cancelled".
    public let outcome: String
    public let principalCleared: Money
    public let chargesSettled: Money
    public let feesWaived: Money
    public let returnedToConsumer: Money
    public let plan: InstallmentPlanRecord
}

/// What one nightly ageing run did.
public struct CreditAgeingReport: Sendable, Equatable {
    public var businessDate: BusinessDate
    public var accountsAged = 0
    public var installmentsAged = 0
    public var lateFeesCharged = 0
    public var lateFeeTotalMinorUnits: Int64 = 0
    public var accountsFrozen = 0
    public var accountsChargedOff = 0
    public var batches = 0

    public init(businessDate: BusinessDate) { self.businessDate = businessDate }
}

/// Products never change once created (a new version is a new product), so a replica may keep them.
final class CreditProductCache: Sendable {
    private let entries = Mutex<[UUID: CreditProductRecord]>([:])

    func get(_ id: UUID) -> CreditProductRecord? { entries.withLock { $0[id] } }

    func put(_ product: CreditProductRecord) { entries.withLock { $0[product.id] = product } }
}

extension InstallmentPlanRecord {
    /// The plan's annual rates (Docs/ANNUAL-RATES.md) from its current contractual schedule: principal and
    /// fees as scheduled (after refunds), at their due dates. Nil when nothing is financed any more.
    public var annualRates: AnnualRateDisclosure? {
        let live = installments.filter { $0.status != .converted }
        let principal = live.reduce(Int64(0)) { $0 + $1.principal.minorUnits }
        guard principal > 0 else { return nil }
        do {
            let rows = try live.map { i throws(CreditError) in
                try Installment(number: i.number, dueDate: i.dueDate, principal: i.principal, fee: i.fee)
            }
            return try AnnualRateDisclosure.of(principal: Money(minorUnits: principal, currency: currency), purchaseDate: purchaseDate,
                                               installments: rows)
        } catch {
            return nil
        }
    }
}
