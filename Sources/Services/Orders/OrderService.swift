import Domain
import Foundation
import Logging
import Persistence

/// A return that reached the seller, as the platform reports it for one order.
public struct OrderReturn: Sendable {
    /// The refund and adjustment references are "return:" + return_ref, and those columns hold
    /// at most 200 characters.
    public static let referencePrefix = "return:"
    public static let maxReturnRefLength = 200 - referencePrefix.count
    public let orderRef: String
    /// The platform's id of this return; a partial return has its own.
    public let returnRef: String
    /// The price of the goods returned: refunded to the consumer and diluting the seller's receivable.
    public let amount: Money
    public let deliveredAt: Date
    public let buyerRef: String?
    public let carrier: String?
    public let trackingNumber: String?
    public let shippingCost: Money?

    public init(orderRef: String, returnRef: String, amount: Money, deliveredAt: Date, buyerRef: String? = nil,
                carrier: String? = nil, trackingNumber: String? = nil, shippingCost: Money? = nil) {
        self.orderRef = orderRef
        self.returnRef = returnRef
        self.amount = amount
        self.deliveredAt = deliveredAt
        self.buyerRef = buyerRef
        self.carrier = carrier
        self.trackingNumber = trackingNumber
        self.shippingCost = shippingCost
    }
}

/// What completing a return did, product by product (nil: the order has no such product).
public struct OrderReturnResult: Sendable {
    public let orderRef: String
    public let returnRef: String
    /// The consumer's refund (nil when the order was not bought on credit, or when already refunded).
    public let refund: RefundResult?
    public let refundAlreadyBooked: Bool
    /// The seller's receivable after the dilution.
    public let receivable: ReceivableView?
    /// The shipping claim (raised once per policy; a later partial return finds the first).
    public let claim: InsuranceClaimRecord?
}

/// Everything that belongs to one order, with every ledger entry in time order.
public struct OrderStory: Sendable {
    public let orderRef: String
    public let checkout: CheckoutRecord?
    public let plan: InstallmentPlanRecord?
    public let receivables: [ReceivableView]
    public let policy: PolicyDetails?
    public let entries: [LedgerEntryRecord]
}

/// One marketplace order across the three products: credit, supplier financing, shipping insurance.
public struct OrderService: Sendable {
    let database: Database
    let clock: BusinessClock
    let credit: CreditService
    let finance: SupplierFinanceService
    let insurance: InsuranceService

    /// In one transaction: refund the consumer's plan for the returned amount, dilute the seller's
    /// receivable (recourse follows at settlement when financed beyond what is left), raise the
    /// shipping claim. An order lock serialises completions of one order, and each consequence is
    /// keyed (refund ref, adjustment reference, one claim per policy), so a repeated or raced
    /// completion changes nothing further. An order without credit or a policy gets what applies.
    public func completeReturn(_ r: OrderReturn, actor: Actor) async throws -> OrderReturnResult {
        let logger = database.logger
        let today = clock.today
        let reference = Self.reference(r.returnRef)
        return try await database.transaction { c in
            try await OrderStore.lock(orderRef: r.orderRef, on: c, logger: logger)
            var applies = false
            // 1. Credit: refund the plan once per return.
            var refund: RefundResult?
            var alreadyRefunded = false
            if try await credit.checkoutOwner(orderRef: r.orderRef, on: c) != nil {
                applies = true
                if try await credit.refundBooked(externalRef: reference, on: c) {
                    alreadyRefunded = true
                } else {
                    refund = try await credit.refund(RefundRequest(orderRef: r.orderRef, externalRef: reference, amount: r.amount),
                                                     actor: actor, on: c)
                }
            }
            // 2. Supplier financing: dilute the receivable for this order (the adjustment reference makes it once).
            var receivable: ReceivableView?
            if let found = try await OrderStore.receivables(orderRef: r.orderRef, on: c, logger: logger).first {
                applies = true
                receivable = try await finance.addAdjustment(receivableID: found.id, kind: .goodsReturned, amount: r.amount,
                                                             reference: reference, on: today, actor: actor, connection: c, logger: logger)
            }
            // 3. Insurance: bring the return to the seller; the claim is raised (and a clean one paid) once per policy.
            var claim: InsuranceClaimRecord?
            if try await insurance.policyID(orderRef: r.orderRef, on: c) != nil {
                applies = true
                let locator = PolicyLocator.orderRef(r.orderRef)
                if let carrier = r.carrier, let tracking = r.trackingNumber, let cost = r.shippingCost {
                    _ = try await insurance.recordReturnEvent(ReturnEventInput(policy: locator, event: .requested, occurredAt: r.deliveredAt,
                                                                               buyerRef: r.buyerRef), actor: actor, on: c)
                    _ = try await insurance.recordReturnEvent(ReturnEventInput(policy: locator, event: .shipped, occurredAt: r.deliveredAt,
                                                                               carrier: carrier, trackingNumber: tracking, shippingCost: cost),
                                                              actor: actor, on: c)
                }
                let delivered = try await insurance.recordReturnEvent(
                    ReturnEventInput(policy: locator, event: .deliveredToSeller, occurredAt: r.deliveredAt), actor: actor, on: c)
                claim = delivered.claim
            }
            guard applies else { throw ServiceError.notFound(resource: "order", id: r.orderRef) }
            try await AuditStore.record(actor: actor.principal.actor, action: "order.return_completed", objectType: "order",
                                        objectID: r.orderRef, detail: ["return_ref": r.returnRef, "amount": r.amount.decimalString],
                                        requestID: actor.requestID, on: c, logger: logger)
            return OrderReturnResult(orderRef: r.orderRef, returnRef: r.returnRef, refund: refund, refundAlreadyBooked: alreadyRefunded,
                                     receivable: receivable, claim: claim)
        }
    }

    static func reference(_ returnRef: String) -> String { OrderReturn.referencePrefix + returnRef }

    /// The order's story: its checkout and plan, its receivable(s), its policy and claim, and
    /// every ledger entry that belongs to any of them, oldest first.
    public func story(orderRef: String) async throws -> OrderStory {
        let logger = database.logger
        return try await database.withConnection { c in
            var ids: [String] = []
            var checkout: CheckoutRecord?
            var plan: InstallmentPlanRecord?
            if let (account, checkoutID) = try await credit.checkoutOwner(orderRef: orderRef, on: c) {
                (checkout, plan) = try await credit.checkoutAndPlan(creditAccountID: account, checkoutID: checkoutID, on: c)
                ids.append(checkoutID.uuidString.lowercased())
                let objects = try await OrderStore.creditObjectIDs(checkoutID: checkoutID, creditAccountID: account, on: c, logger: logger)
                ids += objects.map { $0.uuidString.lowercased() }
            }
            var receivables: [ReceivableView] = []
            for r in try await OrderStore.receivables(orderRef: orderRef, on: c, logger: logger) {
                receivables.append(try await finance.view(of: r, on: c))
                ids.append(r.id.uuidString.lowercased())
                if let f = r.financingRequestID { ids.append(f.uuidString.lowercased()) }
            }
            var policy: PolicyDetails?
            if let policyID = try await insurance.policyID(orderRef: orderRef, on: c) {
                policy = try await insurance.details(policyID: policyID, on: c)
                ids.append(policyID.uuidString.lowercased())
                if let claim = policy?.claim { ids.append(claim.id.uuidString.lowercased()) }
            }
            guard checkout != nil || !receivables.isEmpty || policy != nil else {
                throw ServiceError.notFound(resource: "order", id: orderRef)
            }
            let entries = try await OrderStore.entries(referenceIDs: ids, on: c, logger: logger)
            return OrderStory(orderRef: orderRef, checkout: checkout, plan: plan, receivables: receivables, policy: policy, entries: entries)
        }
    }
}
