import Domain
import Foundation
import Hummingbird
import Persistence
import Services

/// `/v1/orders/{order_ref}`: one order across credit, financing and insurance.
struct OrderRoutes {
    let orders: OrderService

    func addRoutes(to group: Routes) {
        group.get("/orders/{order_ref}") { _, context in
            try context.require(.operator, .platform)
            let ref = try Field.nonEmpty(try Field.path(context, "order_ref"), "order_ref")
            return try JSONBody.response(OrderStoryBody(try await orders.story(orderRef: ref)))
        }
        group.post("/orders/{order_ref}/returns") { request, context in
            let principal = try context.require(.platform, .operator)
            let ref = try Field.nonEmpty(try Field.path(context, "order_ref"), "order_ref")
            let body = try await JSONBody.decode(OrderReturnRequest.self, from: request, context: context)
            let delivered = try Timestamp.parse(body.deliveredAt, "delivered_at")
            let shipping = try body.shipping.map { s in
                (carrier: try Field.nonEmpty(s.carrier, "shipping.carrier", max: 100),
                 tracking: try Field.nonEmpty(s.trackingNumber, "shipping.tracking_number", max: 100),
                 cost: try s.cost.money(field: "shipping.cost"))
            }
            let result = try await orders.completeReturn(OrderReturn(
                orderRef: ref, returnRef: try Field.nonEmpty(body.returnRef, "return_ref", max: OrderReturn.maxReturnRefLength),
                amount: try body.amount.money(field: "amount", allowZero: false), deliveredAt: delivered,
                buyerRef: try body.buyerRef.map { try Field.nonEmpty($0, "buyer_ref") },
                carrier: shipping?.carrier, trackingNumber: shipping?.tracking, shippingCost: shipping?.cost),
                actor: context.actor(principal))
            return try JSONBody.response(OrderReturnBody(result), status: .created)
        }
    }
}

struct OrderReturnRequest: Codable {
    struct Shipping: Codable {
        let carrier: String
        let trackingNumber: String
        let cost: MoneyBody
    }
    let returnRef: String
    let amount: MoneyBody
    let deliveredAt: String
    let buyerRef: String?
    let shipping: Shipping?
}

struct OrderReturnBody: Encodable {
    let orderRef: String
    let returnRef: String
    let refund: [String: String]?
    let refundAlreadyBooked: Bool
    let receivable: ReceivableBody?
    let claim: [String: String]?

    init(_ r: OrderReturnResult) {
        orderRef = r.orderRef
        returnRef = r.returnRef
        refund = r.refund.map { ["id": $0.id.uuidString.lowercased(), "outcome": $0.outcome, "amount": $0.amount.decimalString,
                                 "principal_cleared": $0.principalCleared.decimalString, "returned_to_consumer": $0.returnedToConsumer.decimalString] }
        refundAlreadyBooked = r.refundAlreadyBooked
        receivable = r.receivable.map(ReceivableBody.init)
        claim = r.claim.map { ["id": $0.id.uuidString.lowercased(), "status": $0.status.rawValue, "amount": $0.amount.decimalString] }
    }
}

struct OrderStoryBody: Encodable {
    struct Entry: Encodable {
        struct Line: Encodable {
            let accountCode: String
            let amount: MoneyBody
        }
        let id: String
        let createdAt: String
        let businessDate: String
        let kind: String
        let referenceType: String
        let referenceId: String
        let postings: [Line]
    }
    let orderRef: String
    let checkout: [String: String]?
    let installmentPlan: [String: String]?
    let receivables: [ReceivableBody]
    let shippingPolicy: [String: String]?
    let claim: [String: String]?
    let ledgerEntries: [Entry]

    init(_ s: OrderStory) {
        orderRef = s.orderRef
        checkout = s.checkout.map { ["id": $0.id.uuidString.lowercased(), "status": $0.status.rawValue, "amount": $0.amount.decimalString,
                                     "currency": $0.amount.currency.code, "credit_account_id": $0.creditAccountID.uuidString.lowercased()] }
        installmentPlan = s.plan.map { ["id": $0.id.uuidString.lowercased(), "status": $0.status.rawValue] }
        receivables = s.receivables.map(ReceivableBody.init)
        shippingPolicy = s.policy.map { ["id": $0.policy.id.uuidString.lowercased(), "status": $0.policy.status.rawValue] }
        claim = s.policy?.claim.map { ["id": $0.id.uuidString.lowercased(), "status": $0.status.rawValue, "amount": $0.amount.decimalString] }
        ledgerEntries = s.entries.map { e in
            Entry(id: e.id.uuidString.lowercased(), createdAt: Timestamp.rfc3339(e.createdAt), businessDate: e.businessDate.description,
                  kind: e.kind, referenceType: e.referenceType, referenceId: e.referenceID,
                  postings: e.lines.map { Entry.Line(accountCode: $0.accountCode, amount: MoneyBody($0.amount)) })
        }
    }
}
