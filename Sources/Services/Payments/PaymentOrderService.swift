import Domain
import Foundation
import Logging
import Persistence

/// Payment orders after they are created: payee bank details, batch files (pain.001.001.09),
/// the lists, and closing the loop with the bank statement (returns, orders not settled in time).
public struct PaymentOrderService: Sendable {
    let database: Database
    let clock: BusinessClock
    public let settings: PaymentSettings
    var logger: Logger { database.logger }
    var today: BusinessDate { clock.today }

    public init(database: Database, clock: BusinessClock, settings: PaymentSettings = .fromEnvironment()) {
        self.database = database
        self.clock = clock
        self.settings = settings
    }

    // MARK: Payee bank details

    /// Sets (nil clears) a payee's bank details; operator only (checked by the caller), audited
    /// with the account masked.
    public func setPayee(type: PayeeType, ref: String, details: CreditorAccount, actor: Actor) async throws -> CreditorAccount {
        let logger = self.logger
        return try await database.transaction { c in
            guard try await PaymentOrderStore.setPayee(type: type, ref: ref, details, by: actor.principal.actor, on: c, logger: logger) else {
                throw ServiceError.notFound(resource: type.rawValue, id: ref)
            }
            try await AuditStore.record(actor: actor.principal.actor, action: "payee.bank_details.set",
                                        objectType: type.rawValue, objectID: ref,
                                        detail: ["account": details.account.masked], requestID: actor.requestID,
                                        on: c, logger: logger)
            return details
        }
    }

    /// Suppliers' bank details, for a list.
    public func supplierPayees(_ ids: [UUID]) async throws -> [UUID: CreditorAccount] {
        let logger = self.logger
        return try await database.withConnection { try await PaymentOrderStore.supplierPayees(ids, on: $0, logger: logger) }
    }

    public func payee(type: PayeeType, ref: String) async throws -> CreditorAccount? {
        let logger = self.logger
        return try await database.withConnection { try await PaymentOrderStore.payee(type: type, ref: ref, on: $0, logger: logger) }
    }

    // MARK: Orders

    public func orders(_ filter: PaymentOrderFilter, _ page: PageRequest) async throws -> Page<PaymentOrderRecord> {
        let logger = self.logger
        return Page(fetched: try await database.withConnection {
            try await PaymentOrderStore.orders(filter, page, on: $0, logger: logger)
        }, request: page)
    }

    public func order(id: UUID) async throws -> PaymentOrderRecord {
        try await orderWithSteps(id: id).order
    }

    /// The order and its audited status steps, oldest first.
    public func orderWithSteps(id: UUID) async throws -> (order: PaymentOrderRecord, steps: [PaymentOrderStore.Step]) {
        let logger = self.logger
        let found = try await database.withConnection { c -> (PaymentOrderRecord, [PaymentOrderStore.Step])? in
            guard let order = try await PaymentOrderStore.order(id: id, on: c, logger: logger) else { return nil }
            return (order, try await PaymentOrderStore.steps(orderID: id, on: c, logger: logger))
        }
        guard let found else { throw ServiceError.notFound(resource: "payment order", id: id.uuidString.lowercased()) }
        return found
    }

    /// An operator marks an order failed: cancelled while still pending, or rejected by the bank
    /// after it was sent (a batched order is in a file that may still reach the bank: send the batch
    /// first). When the order's amount had already left cash in the ledger, it comes back against
    /// `platform.payment_returns.<ccy>` (the creditor is still owed), and both entries are taken out
    /// of reconciliation, since neither will ever be on a statement. One transaction, audited.
    public func fail(orderID: UUID, reason: String, actor: Actor) async throws -> PaymentOrderRecord {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...500).contains(reason.unicodeScalars.count), !reason.unicodeScalars.contains("\u{0}") else {
            throw ServiceError.invalid("reason", "must be 1 to 500 characters")
        }
        let logger = self.logger
        let today = self.today
        return try await database.transaction { c in
            guard let order = try await PaymentOrderStore.lockOrder(id: orderID, on: c, logger: logger) else {
                throw ServiceError.notFound(resource: "payment order", id: orderID.uuidString.lowercased())
            }
            guard order.status == .pending || order.status == .sent, order.status.canMove(to: .failed) else {
                throw ServiceError.conflict(code: "payment_order_not_failable", detail: order.status == .batched
                    ? "the order is in a written batch file; mark the batch sent, then fail the order if the bank rejects it"
                    : "a \(order.status.rawValue) payment order cannot become failed")
            }
            if PaymentLedger.cashBookedOut(order.sourceType, status: order.status) {
                let cash = try await PaymentOrderStore.cashEntryID(of: order, on: c, logger: logger)
                let reversal = try await LedgerStore.post(
                    try PaymentLedger.failed(orderID: order.id.uuidString.lowercased(), amount: order.amount, on: today), on: c, logger: logger)
                try await ReconciliationStore.recordMatched(lineIDs: [], entryIDs: [cash, reversal.entryID].map { $0.uuidString.lowercased() },
                                                            date: today, runID: order.id, on: c, logger: logger)
            }
            try await PaymentOrderStore.markFailed(order, reason: reason, actor: actor.principal.actor, on: c, logger: logger)
            try await AuditStore.record(actor: actor.principal.actor, action: "payment_order.failed", objectType: "payment_order",
                                        objectID: order.id.uuidString.lowercased(), detail: ["reason": reason], requestID: actor.requestID,
                                        on: c, logger: logger)
            guard let updated = try await PaymentOrderStore.order(id: orderID, on: c, logger: logger) else {
                throw ServiceError.notFound(resource: "payment order", id: orderID.uuidString.lowercased())
            }
            try await EventLog.record(.paymentOrderFailed, .paymentOrder(updated), objectID: updated.id.uuidString.lowercased(),
                                      businessDate: today, on: c, logger: logger)
            return updated
        }
    }

    // MARK: Batches

    /// Writes one batch per currency (one debtor account) of the pending orders due by `date`
    /// whose creditor details are known, each a pain.001.001.09 file executed on `date` (today if
    /// `date` has passed), and marks
    /// their orders batched — all in one transaction, serialised across replicas. Orders still
    /// awaiting creditor details stay pending. Returns the batches written (none when nothing is due).
    public func writeBatches(businessDate date: BusinessDate? = nil, actor: Actor) async throws -> [PaymentBatchRecord] {
        if let problem = settings.configurationError {
            throw ServiceError.conflict(code: "debtor_account_invalid", detail: problem)
        }
        let date = date ?? today
        // A bank refuses a requested execution date in the past: a night closed late asks for today.
        let execution = max(date, today)
        let logger = self.logger
        let debtor = settings.debtor
        // Whole seconds, as the file writes them.
        let now = Date(timeIntervalSince1970: clock.now().timeIntervalSince1970.rounded(.down))
        return try await database.transaction { c in
            try await PaymentOrderStore.lockBatching(on: c, logger: logger)
            let due = try await PaymentOrderStore.lockBatchable(dueBy: date, on: c, logger: logger)
            var written: [UUID] = []
            for (code, orders) in Dictionary(grouping: due, by: \.amount.currency.code).sorted(by: { $0.key < $1.key }) {
                guard let currency = Currency(code: code) else { continue }
                let transfers = orders.compactMap { o in
                    o.creditor.map { CreditTransfer(endToEndID: o.endToEndID, amount: o.amount, creditor: $0, purposeCode: o.purpose,
                                                    remittance: o.remittance) }
                }
                guard !transfers.isEmpty else { continue }
                let total = Money(minorUnits: transfers.reduce(0) { $0 + $1.amount.minorUnits }, currency: currency)
                let message = Pain001Message(messageID: "QZB" + EndToEndID.generate(on: date).value.dropFirst(2).prefix(20),
                                             createdAt: now, debtor: debtor, executionDate: execution, transfers: transfers)
                let id = UUID()
                try await PaymentOrderStore.insertBatch(
                    id: id, messageID: message.messageID, debtorAccount: debtor.key, currency: currency, executionDate: execution,
                    businessDate: date, orderIDs: orders.filter { $0.creditor != nil }.map(\.id), controlSum: total,
                    file: Pain001Writer.write(message), createdAt: now, actor: actor.principal.actor, on: c, logger: logger)
                try await AuditStore.record(actor: actor.principal.actor, action: "payment_batch.written", objectType: "payment_batch",
                                            objectID: id.uuidString.lowercased(),
                                            detail: ["message_id": message.messageID, "orders": String(transfers.count),
                                                     "control_sum": total.description],
                                            requestID: actor.requestID, on: c, logger: logger)
                written.append(id)
            }
            var out: [PaymentBatchRecord] = []
            for id in written {
                if let b = try await PaymentOrderStore.batch(id: id, on: c, logger: logger) { out.append(b) }
            }
            return out
        }
    }

    public func batches(_ page: PageRequest) async throws -> Page<PaymentBatchRecord> {
        let logger = self.logger
        return Page(fetched: try await database.withConnection { try await PaymentOrderStore.batches(page, on: $0, logger: logger) },
                    request: page)
    }

    public func batch(id: UUID) async throws -> PaymentBatchRecord {
        let logger = self.logger
        guard let found = try await database.withConnection({ try await PaymentOrderStore.batch(id: id, on: $0, logger: logger) }) else {
            throw ServiceError.notFound(resource: "payment batch", id: id.uuidString.lowercased())
        }
        return found
    }

    /// The file exactly as written.
    public func batchFile(id: UUID) async throws -> Data {
        let logger = self.logger
        guard let file = try await database.withConnection({ try await PaymentOrderStore.batchFile(id: id, on: $0, logger: logger) }) else {
            throw ServiceError.notFound(resource: "payment batch", id: id.uuidString.lowercased())
        }
        return file
    }

    /// The file went to the bank: the batch and its orders become `sent` (again: no change).
    public func markSent(batchID: UUID, actor: Actor) async throws -> PaymentBatchRecord {
        let logger = self.logger
        let today = self.today
        return try await database.transaction { c in
            guard let batch = try await PaymentOrderStore.batch(id: batchID, forUpdate: true, on: c, logger: logger) else {
                throw ServiceError.notFound(resource: "payment batch", id: batchID.uuidString.lowercased())
            }
            if batch.status == "written" {
                let sent = try await PaymentOrderStore.markBatchSent(id: batchID, actor: actor.principal.actor, on: c, logger: logger)
                // Debts paid by these orders leave the payable now (see `PaymentLedger`).
                for o in sent {
                    guard let payable = PaymentLedger.payableClearedOnSending(o.sourceType, creditorRef: o.creditorRef, o.amount.currency)
                    else { continue }
                    try await LedgerStore.post(try PaymentLedger.payout(orderID: o.id.uuidString.lowercased(), payable: payable,
                                                                        amount: o.amount, on: today), on: c, logger: logger)
                }
                try await AuditStore.record(actor: actor.principal.actor, action: "payment_batch.sent", objectType: "payment_batch",
                                            objectID: batchID.uuidString.lowercased(), requestID: actor.requestID, on: c, logger: logger)
                try await PaymentOrders.announce(.paymentOrderSent, orders: sent, businessDate: today, on: c, logger: logger)
            }
            guard let updated = try await PaymentOrderStore.batch(id: batchID, on: c, logger: logger) else {
                throw ServiceError.notFound(resource: "payment batch", id: batchID.uuidString.lowercased())
            }
            return updated
        }
    }

    // MARK: Closing the loop

    /// Tally of a night's payment checks.
    public struct LoopSummary: Sendable, Equatable {
        public var returned = 0
        public var overdue = 0
    }

    /// Statement lines that bring one of our payments back with a return reason: the order becomes
    /// `returned`, what came back goes to cash and the whole amount to `platform.payment_returns.<ccy>`
    /// (still owed to the creditor; charges the banks kept are an expense), an entry the same line
    /// then matches under the end-to-end id; and an exception `payment_returned` is raised for an
    /// operator. One transaction; re-running finds nothing new.
    public func processReturns(businessDate date: BusinessDate) async throws -> Int {
        let logger = self.logger
        return try await database.transaction { c in
            let lines = try await PaymentOrderStore.returnLines(on: c, logger: logger)
            var rows: [ReconciliationStore.NewException] = []
            for line in lines {
                let order = line.order
                var from = order.status
                if from == .batched {
                    // The bank executed it, so it was sent.
                    try await PaymentOrderStore.move(ids: [order.id], from: .batched, to: .sent, actor: "reconciliation",
                                                     detail: "seen on the bank statement", on: c, logger: logger)
                    from = .sent
                }
                _ = try from.moving(to: .returned)
                let posted = try await LedgerStore.post(
                    try PaymentLedger.returned(orderID: order.id.uuidString.lowercased(), amount: order.amount, received: line.received, on: date),
                    on: c, logger: logger)
                try await PaymentOrderStore.markReturned(order, from: from, reason: line.reason, entryID: posted.entryID, actor: "reconciliation",
                                                         on: c, logger: logger)
                try await PaymentOrders.announce(.paymentOrderReturned, orderIDs: [order.id], businessDate: date, on: c, logger: logger)
                rows.append(.init(date: date, kind: ReconciliationException.Kind.paymentReturned.rawValue, reference: order.endToEndID, expected: order.amount.minorUnits,
                                  actual: line.received.minorUnits, currency: order.amount.currency.code,
                                  detail: "payment order \(order.id.uuidString.lowercased()) returned by the creditor's bank, reason \(line.reason); "
                                      + "booked to \(PaymentLedger.paymentReturns(order.amount.currency).code)",
                                  key: "payment_returned:\(order.id.uuidString.lowercased())", source: "payment_orders",
                                  counterpartyRef: order.endToEndID))
            }
            _ = try await ReconciliationService.raise(rows, date: date, on: c, logger: logger)
            return lines.count
        }
    }

    /// Orders that left in a batch and are still not settled more than `settleWithinBusinessDays`
    /// business days after their execution date: one `payment_unsettled` exception each (once).
    public func raiseUnsettled(businessDate date: BusinessDate) async throws -> Int {
        let logger = self.logger
        let days = settings.settleWithinBusinessDays
        return try await database.transaction { c in
            let late = try await PaymentOrderStore.unsettled(executedBy: date, on: c, logger: logger)
                .filter { SettlementDeadline.isOverdue(executedOn: $0.executionDate, asOf: date, days: days) }
            return try await ReconciliationService.raise(late.map { o, executed in
                .init(date: date, kind: ReconciliationException.Kind.paymentUnsettled.rawValue, reference: o.endToEndID, expected: -o.amount.minorUnits, actual: nil,
                      currency: o.amount.currency.code,
                      detail: "payment order \(o.id.uuidString.lowercased()) executed \(executed) is not on any statement "
                          + "\(days) business days later", key: "payment_unsettled:\(o.id.uuidString.lowercased())",
                      source: "payment_orders", counterpartyRef: o.endToEndID)
            }, date: date, on: c, logger: logger)
        }
    }
}
