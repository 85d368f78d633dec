import Domain
import Foundation
import Logging
import Persistence

/// Supplier financing use cases: suppliers, receivables, financing requests, maturity settlement.
/// Lock order everywhere: supplier row, then receivable rows in id order, then request rows.
public struct SupplierFinanceService: Sendable {
    let database: Database
    let clock: BusinessClock
    var logger: Logger { database.logger }

    public init(database: Database, clock: BusinessClock) {
        self.database = database
        self.clock = clock
    }

    var today: BusinessDate { clock.today }

    /// A supplier key sees only its own supplier; other roles see all (routes check roles).
    static func visible(_ supplierID: UUID, to principal: Principal) -> Bool {
        principal.role != .supplier || principal.supplierID == supplierID.uuidString.lowercased()
    }

    // MARK: Suppliers

    public func createSupplier(name: String, creditCode: UnifiedSocialCreditCode, line: FinancingLine, actor: Actor) async throws -> SupplierRecord {
        let id = UUID()
        let logger = self.logger
        return try await database.transaction { c in
            if try await FinancingStore.supplierID(creditCode: creditCode.rawValue, on: c, logger: logger) != nil {
                throw ServiceError.conflict(code: "duplicate_credit_code", detail: "a supplier with this unified social credit code exists")
            }
            try await FinancingStore.insertSupplier(id: id, name: name, creditCode: creditCode.rawValue, line: line, on: c, logger: logger)
            try await AuditStore.record(actor: actor.principal.actor, action: "supplier.created", objectType: "supplier",
                                        objectID: id.uuidString.lowercased(), requestID: actor.requestID, on: c, logger: logger)
            guard let created = try await FinancingStore.supplier(id: id, on: c, logger: logger) else {
                throw ServiceError.notFound(resource: "supplier", id: id.uuidString)
            }
            return created
        }
    }

    /// Every supplier, newest first (operator).
    public func suppliers(_ request: PageRequest) async throws -> Page<SupplierRecord> {
        let logger = self.logger
        return Page(fetched: try await database.withConnection { try await FinancingStore.suppliers(request, on: $0, logger: logger) },
                    request: request)
    }

    public func supplier(id: UUID, for principal: Principal) async throws -> SupplierRecord {
        let logger = self.logger
        guard Self.visible(id, to: principal),
              let record = try await database.withConnection({ try await FinancingStore.supplier(id: id, on: $0, logger: logger) })
        else { throw ServiceError.notFound(resource: "supplier", id: id.uuidString.lowercased()) }
        return record
    }

    /// A change to a supplier: any field left nil stays as it is.
    public struct SupplierChange: Sendable {
        public var name: String?
        public var status: SupplierStatus?
        public var line: @Sendable (FinancingLine) throws -> FinancingLine

        public init(name: String? = nil, status: SupplierStatus? = nil, line: @escaping @Sendable (FinancingLine) throws -> FinancingLine = { $0 }) {
            self.name = name
            self.status = status
            self.line = line
        }
    }

    public func updateSupplier(id: UUID, change: SupplierChange, actor: Actor) async throws -> SupplierRecord {
        let logger = self.logger
        return try await database.transaction { c in
            let current = try await FinancingStore.supplier(id: id, forUpdate: true, on: c, logger: logger).orNotFound("supplier", id: id)
            let status = change.status ?? current.status
            guard current.status.canBecome(status) else {
                throw ServiceError.conflict(code: "invalid_status_change",
                                            detail: "a \(current.status.rawValue) supplier cannot become \(status.rawValue)")
            }
            let line = try change.line(current.line)
            if line.currency != current.line.currency {
                throw ServiceError.invalid("financing_line.limit.currency", "the line's currency cannot change")
            }
            if line.limit < current.financingCommitted {
                throw ServiceError.conflict(code: "limit_below_committed",
                                            detail: "the limit cannot go below the \(current.financingCommitted) already committed")
            }
            try await FinancingStore.updateSupplier(id: id, name: change.name ?? current.name, status: status, line: line, on: c, logger: logger)
            try await AuditStore.record(actor: actor.principal.actor, action: "supplier.updated", objectType: "supplier",
                                        objectID: id.uuidString.lowercased(),
                                        detail: ["from_status": current.status.rawValue, "to_status": status.rawValue],
                                        requestID: actor.requestID, on: c, logger: logger)
            return try await FinancingStore.supplier(id: id, on: c, logger: logger).orNotFound("supplier", id: id)
        }
    }

    // MARK: Receivables

    public func createReceivable(
        supplierID: UUID, externalReference: String, face: Money, issueDate: BusinessDate, dueDate: BusinessDate,
        orderRef: String? = nil, actor: Actor
    ) async throws -> ReceivableView {
        guard dueDate >= issueDate else { throw ServiceError.invalid("due_date", "must not be before issue_date") }
        let id = UUID()
        let logger = self.logger
        let today = self.today
        return try await database.transaction { c in
            guard let supplier = try await FinancingStore.supplier(id: supplierID, on: c, logger: logger) else {
                throw ServiceError.invalid("supplier_id", "no such supplier")
            }
            guard supplier.line.currency == face.currency else {
                throw ServiceError.invalid("face_amount.currency", "the supplier is booked in \(supplier.line.currency.code)")
            }
            if try await FinancingStore.receivable(supplierID: supplierID, externalReference: externalReference, on: c, logger: logger) != nil {
                throw ServiceError.conflict(code: "duplicate_external_reference",
                                            detail: "this supplier already has a receivable \(externalReference)")
            }
            try await FinancingStore.insertReceivable(supplierID: supplierID, id: id, externalReference: externalReference, face: face,
                                                      issueDate: issueDate, dueDate: dueDate, orderRef: orderRef, on: c, logger: logger)
            try await LedgerStore.post(try FinancingLedger.receivableConfirmed(
                supplier: supplierID.uuidString.lowercased(), receivable: id.uuidString.lowercased(), face: face, on: today), on: c, logger: logger)
            try await AuditStore.record(actor: actor.principal.actor, action: "receivable.created", objectType: "receivable",
                                        objectID: id.uuidString.lowercased(), requestID: actor.requestID, on: c, logger: logger)
            guard let record = try await FinancingStore.receivable(id: id, on: c, logger: logger) else {
                throw ServiceError.notFound(resource: "receivable", id: id.uuidString)
            }
            let view = ReceivableView(record: record, adjustments: [])
            try await EventLog.record(.receivableConfirmed, .receivable(view), objectID: id.uuidString.lowercased(), businessDate: today,
                                      on: c, logger: logger)
            return view
        }
    }

    public func receivable(id: UUID, for principal: Principal) async throws -> ReceivableView {
        let logger = self.logger
        return try await database.withConnection { c in
            guard let record = try await FinancingStore.receivable(id: id, on: c, logger: logger),
                  Self.visible(record.supplierID, to: principal) else {
                throw ServiceError.notFound(resource: "receivable", id: id.uuidString.lowercased())
            }
            let adjustments = try await FinancingStore.adjustments(supplierID: record.supplierID, receivableIDs: [id], on: c, logger: logger)
            return ReceivableView(record: record, adjustments: adjustments)
        }
    }

    public func listReceivables(_ filter: ReceivableFilter, _ page: PageRequest, for principal: Principal) async throws -> Page<ReceivableRecord> {
        var filter = filter
        if principal.role == .supplier {
            guard let own = principal.supplierID.flatMap(UUID.init(uuidString:)) else { return Page(items: [], next: nil) }
            // A supplier asking for another supplier's list learns nothing: it sees an empty list.
            if let asked = filter.supplierID, asked != own { return Page(items: [], next: nil) }
            filter.supplierID = own
        }
        let logger = self.logger
        return try await database.withConnection { try await FinancingStore.listReceivables(filter, page, on: $0, logger: logger) }
    }

    /// Records a return or credit note; the payable to the supplier shrinks by it (never below zero).
    public func addAdjustment(
        receivableID: UUID, kind: ReceivableAdjustment.Kind, amount: Money, reference: String, actor: Actor
    ) async throws -> ReceivableView {
        let logger = self.logger
        let today = self.today
        return try await database.transaction { c in
            try await addAdjustment(receivableID: receivableID, kind: kind, amount: amount, reference: reference, on: today,
                                    actor: actor, connection: c, logger: logger)
        }
    }

    /// The same, on the caller's transaction (order returns, issue 8). Replaying the same reference changes nothing.
    public func addAdjustment(
        receivableID: UUID, kind: ReceivableAdjustment.Kind, amount: Money, reference: String, on date: BusinessDate,
        actor: Actor, connection c: DatabaseConnection, logger: Logger
    ) async throws -> ReceivableView {
        let record = try await FinancingStore.receivable(id: receivableID, forUpdate: true, on: c, logger: logger)
            .orNotFound("receivable", id: receivableID)
        let supplier = record.supplierID.uuidString.lowercased()
        var added = false
        if try await FinancingStore.adjustment(supplierID: record.supplierID, receivableID: receivableID, reference: reference,
                                               on: c, logger: logger) == nil {
            guard amount.currency == record.face.currency else {
                throw ServiceError.invalid("amount.currency", "the receivable is in \(record.face.currency.code)")
            }
            guard [.open, .financed, .disputed].contains(record.status) else {
                throw ServiceError.conflict(code: "receivable_closed", detail: "a \(record.status.rawValue) receivable cannot be adjusted")
            }
            let adjustmentID = UUID()
            try await FinancingStore.insertAdjustment(supplierID: record.supplierID, receivableID: receivableID, id: adjustmentID,
                                                      kind: kind, amount: amount, reference: reference, createdBy: actor.principal.actor,
                                                      on: c, logger: logger)
            try await FinancingStore.updateReceivable(supplierID: record.supplierID, id: receivableID, status: record.status,
                                                      statusBeforeDispute: record.statusBeforeDispute,
                                                      financingRequestID: record.financingRequestID, adjustedDelta: amount.minorUnits,
                                                      on: c, logger: logger)
            // The payable shrinks by what is still outstanding at most.
            let diluted = Money.min(amount, record.outstanding)
            if diluted.isPositive {
                try await LedgerStore.post(try FinancingLedger.receivableDiluted(
                    supplier: supplier, receivable: receivableID.uuidString.lowercased(), adjustment: adjustmentID.uuidString.lowercased(),
                    amount: diluted, on: date), on: c, logger: logger)
            }
            try await AuditStore.record(actor: actor.principal.actor, action: "receivable.adjusted", objectType: "receivable",
                                        objectID: receivableID.uuidString.lowercased(),
                                        detail: ["kind": kind.rawValue, "amount": amount.decimalString],
                                        requestID: actor.requestID, on: c, logger: logger)
            added = true
        }
        guard let updated = try await FinancingStore.receivable(id: receivableID, on: c, logger: logger) else {
            throw ServiceError.notFound(resource: "receivable", id: receivableID.uuidString)
        }
        let adjustments = try await FinancingStore.adjustments(supplierID: record.supplierID, receivableIDs: [receivableID], on: c, logger: logger)
        let view = ReceivableView(record: updated, adjustments: adjustments)
        if added {
            try await EventLog.record(.receivableDiluted, .receivable(view), objectID: receivableID.uuidString.lowercased(),
                                      businessDate: date, on: c, logger: logger)
        }
        return view
    }

    /// Dispute, resolve a dispute, or cancel (an open receivable only; its payable is reversed).
    public func changeReceivableStatus(id: UUID, to target: ReceivableStatus, actor: Actor) async throws -> ReceivableView {
        let logger = self.logger
        let today = self.today
        return try await database.transaction { c in
            let record = try await FinancingStore.receivable(id: id, forUpdate: true, on: c, logger: logger)
                .orNotFound("receivable", id: id)
            let domain = try Receivable(id: id.uuidString.lowercased(), face: record.face, issueDate: record.issueDate,
                                        dueDate: record.dueDate, status: record.status, statusBeforeDispute: record.statusBeforeDispute)
            let next: Receivable
            do {
                switch target {
                case .disputed: next = try domain.disputed()
                case .open where record.status == .disputed, .financed where record.status == .disputed:
                    next = try domain.disputeResolved()
                case .cancelled: next = try domain.cancelled()
                default: throw ReceivableTransitionError(from: record.status, to: target)
                }
            } catch let error as ReceivableTransitionError {
                throw ServiceError.conflict(code: "invalid_status_change", detail: "\(error.description) (current status: \(record.status.rawValue))")
            }
            try await FinancingStore.updateReceivable(supplierID: record.supplierID, id: id, status: next.status,
                                                      statusBeforeDispute: next.statusBeforeDispute,
                                                      financingRequestID: record.financingRequestID, on: c, logger: logger)
            if next.status == .cancelled, record.outstanding.isPositive {
                try await LedgerStore.post(try FinancingLedger.receivableDiluted(
                    supplier: record.supplierID.uuidString.lowercased(), receivable: id.uuidString.lowercased(),
                    adjustment: "cancel-\(id.uuidString.lowercased())", amount: record.outstanding, on: today), on: c, logger: logger)
            }
            try await AuditStore.record(actor: actor.principal.actor, action: "receivable.\(next.status.rawValue)", objectType: "receivable",
                                        objectID: id.uuidString.lowercased(),
                                        detail: ["from": record.status.rawValue, "to": next.status.rawValue],
                                        requestID: actor.requestID, on: c, logger: logger)
            guard let updated = try await FinancingStore.receivable(id: id, on: c, logger: logger) else {
                throw ServiceError.notFound(resource: "receivable", id: id.uuidString)
            }
            return ReceivableView(record: updated,
                                  adjustments: try await FinancingStore.adjustments(supplierID: record.supplierID, receivableIDs: [id], on: c, logger: logger))
        }
    }
}
