import Domain
import Foundation
import Logging
import Persistence

// What the order use cases (Services/Orders) ask the other areas, on the order's own connection:
// each area answers from its own stores, so the order code depends on the areas' services only.

extension CreditService {
    /// The credit account and checkout an order was bought with, nil when it was not bought on credit.
    public func checkoutOwner(orderRef: String, on c: DatabaseConnection) async throws -> (creditAccountID: UUID, checkoutID: UUID)? {
        guard let owner = try await CreditStore.owner(of: .order, ref: orderRef, on: c, logger: logger) else { return nil }
        return (owner.creditAccountID, owner.objectID)
    }

    /// Whether a refund under `externalRef` is already booked.
    public func refundBooked(externalRef: String, on c: DatabaseConnection) async throws -> Bool {
        try await CreditStore.owner(of: .refund, ref: externalRef, on: c, logger: logger) != nil
    }

    /// A checkout and (once captured) its plan, read without locking.
    public func checkoutAndPlan(
        creditAccountID: UUID, checkoutID: UUID, on c: DatabaseConnection
    ) async throws -> (checkout: CheckoutRecord?, plan: InstallmentPlanRecord?) {
        let checkout = try await CreditStore.checkout(creditAccountID: creditAccountID, id: checkoutID, forUpdate: false, on: c, logger: logger)
        guard let planID = checkout?.planID else { return (checkout, nil) }
        return (checkout, try await CreditPlanStore.plan(creditAccountID: creditAccountID, id: planID, forUpdate: false, on: c, logger: logger))
    }
}

extension SupplierFinanceService {
    /// A receivable row with its adjustments.
    public func view(of record: ReceivableRecord, on c: DatabaseConnection) async throws -> ReceivableView {
        ReceivableView(record: record, adjustments: try await FinancingStore.adjustments(supplierID: record.supplierID, receivableIDs: [record.id],
                                                                                         on: c, logger: logger))
    }
}

extension InsuranceService {
    /// The policy that insures an order's return shipping, if any.
    public func policyID(orderRef: String, on c: DatabaseConnection) async throws -> UUID? {
        try await InsurancePolicyStore.policyID(orderRef: orderRef, on: c, logger: logger)
    }
}
