import Domain
import Foundation
import Services

/// Renders an event's resource with the same body type and encoder the API answers with, so an
/// event's `data` is the resource exactly as `GET` returns it at that moment.
public struct APIEventRenderer: EventRendering {
    public init() {}

    public func render(_ resource: EventResource) throws -> [UInt8] {
        try WireJSON.encode(Self.body(resource))
    }

    static func body(_ resource: EventResource) throws -> any Encodable {
        switch resource {
        case .checkout(let checkout): CheckoutBody(checkout, available: nil)
        case .creditAccount(let account): try CreditAccountBody(account)
        case .installmentPlan(let plan): PlanBody(plan)
        case .claim(let claim): ClaimBody(claim)
        case .policy(let policy): PolicyBody(policy)
        case .financingRequest(let request): FinancingResponse(request)
        case .receivable(let receivable): ReceivableBody(receivable)
        case .nightlyRun(let run, let steps): NightlyRunBody(run, steps: steps)
        case .reconciliationException(let exception, let today): ExceptionBody(exception, today: today)
        // As the list shows it: the creditor's account masked (no bank account in clear in any payload).
        case .paymentOrder(let order): PaymentOrderBody(order, masked: true)
        }
    }
}
