import Domain
import Foundation
import Logging
import Persistence

/// Creates the payment order of a money movement, inside the movement's own transaction. Each
/// area's service calls one of these right after posting its ledger entry.
public enum PaymentOrders {
    /// Records `type` for each order (read as it now stands, in one statement), in the caller's transaction.
    static func announce(_ type: EventType, orderIDs: [UUID], businessDate: BusinessDate, on c: DatabaseConnection,
                         logger: Logger) async throws {
        try await announce(type, orders: try await PaymentOrderStore.orders(ids: orderIDs, on: c, logger: logger),
                           businessDate: businessDate, on: c, logger: logger)
    }

    /// Records `type` for each of these orders, already read as they now stand.
    static func announce(_ type: EventType, orders: [PaymentOrderRecord], businessDate: BusinessDate, on c: DatabaseConnection,
                         logger: Logger) async throws {
        try await EventLog.record(type, orders.map { (resource: EventResource.paymentOrder($0), objectID: $0.id.uuidString.lowercased()) },
                                  businessDate: businessDate, on: c, logger: logger)
    }

    /// The order for a movement whose `entry` already credited platform cash (a financing advance,
    /// a supplier's remainder, a refund's excess to the consumer). A zero amount creates nothing;
    /// a second call for the same source creates nothing either.
    public static func create(
        _ source: PaymentSourceType, sourceID: String, creditorRef: String, amount: Money, entry: JournalEntry,
        remittance: String, on c: DatabaseConnection, logger: Logger
    ) async throws {
        guard amount.isPositive else { return }
        let order = NewPaymentOrder(
            id: UUID(), endToEndID: EndToEndID.generate(on: entry.businessDate).value, sourceType: source, sourceID: sourceID,
            creditorRef: creditorRef, amount: amount, requestedExecutionDate: entry.businessDate,
            remittance: String(remittance.prefix(140)), entryIdempotencyRef: entry.idempotencyRef ?? "",
            entryReferenceType: entry.referenceType, entryReferenceID: entry.referenceID, businessDate: entry.businessDate)
        try await PaymentOrderStore.insert(order, actor: "system", on: c, logger: logger)
    }

    /// The order for a movement whose `entry` only booked a debt on the payable (a claim owed to a
    /// seller, a purchase owed to a merchant): the payout from cash is booked when the order's
    /// batch is sent (`PaymentLedger.payableClearedOnSending`). Same rules as `create`.
    public static func payOut(
        _ source: PaymentSourceType, sourceID: String, creditorRef: String, amount: Money, entry: JournalEntry,
        entryID: UUID? = nil, remittance: String, on c: DatabaseConnection, logger: Logger
    ) async throws {
        guard amount.isPositive else { return }
        let id = UUID()
        var order = NewPaymentOrder(
            id: id, endToEndID: EndToEndID.generate(on: entry.businessDate).value, sourceType: source, sourceID: sourceID,
            creditorRef: creditorRef, amount: amount, requestedExecutionDate: entry.businessDate,
            remittance: String(remittance.prefix(140)), entryIdempotencyRef: entry.idempotencyRef ?? "",
            entryReferenceType: "payment_order", entryReferenceID: id.uuidString.lowercased(), businessDate: entry.businessDate)
        order.entryID = entryID
        try await PaymentOrderStore.insert(order, actor: "system", on: c, logger: logger)
    }
}
