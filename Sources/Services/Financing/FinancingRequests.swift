import Domain
import Foundation
import Logging
import Persistence

extension SupplierFinanceService {
    /// Decides a supplier's request straight through, in one transaction: approved requests are
    /// disbursed at once; above the auto-approval ceiling they wait for an operator; declined
    /// requests are recorded with their reasons. The supplier row lock serialises a supplier's
    /// requests, so its line can never be overspent; the receivable row locks and a partial
    /// unique index make a receivable financeable once.
    public func requestFinancing(
        supplierID: UUID, receivableIDs: [UUID], disbursementDate: BusinessDate?, actor: Actor
    ) async throws -> FinancingRequestView {
        guard Self.visible(supplierID, to: actor.principal) else {
            throw ServiceError.notFound(resource: "supplier", id: supplierID.uuidString.lowercased())
        }
        guard !receivableIDs.isEmpty, receivableIDs.count <= 100 else {
            throw ServiceError.invalid("receivable_ids", "must list 1 to 100 receivables")
        }
        let date = disbursementDate ?? today
        if date < today { throw ServiceError.invalid("disbursement_date", "must not be in the past") }
        let logger = self.logger
        let id = UUID()
        return try await database.transaction { c in
            guard let (supplier, found) = try await FinancingStore.lockSupplierAndReceivables(
                supplierID: supplierID, receivableIDs: receivableIDs, on: c, logger: logger) else {
                throw ServiceError.notFound(resource: "supplier", id: supplierID.uuidString.lowercased())
            }
            let byID = Dictionary(found.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            if let missing = receivableIDs.firstIndex(where: { byID[$0] == nil }) {
                // Another supplier's receivable is reported exactly like one that does not exist.
                throw ServiceError.notFound(resource: "receivable", id: receivableIDs[missing].uuidString.lowercased())
            }
            // Every adjustment is a positive reduction added to `adjusted`, so a receivable with
            // nothing adjusted has no adjustments to read.
            let diluted = found.filter { $0.adjusted.minorUnits != 0 }.map(\.id)
            let adjustments = diluted.isEmpty ? [] : try await FinancingStore.adjustments(
                supplierID: supplierID, receivableIDs: diluted, on: c, logger: logger)
            let receivables = try receivableIDs.compactMap { rid -> Receivable? in
                guard let r = byID[rid] else { return nil }
                return try Self.domainReceivable(r, adjustments: adjustments.filter { $0.receivableID == rid })
            }
            let decision = try supplier.line.decide(
                receivables: receivables, disbursementDate: date, supplierIsActive: supplier.status.mayFinance,
                outstandingFinancing: supplier.financingCommitted)
            let document = FinancingDecisionDocument(decision, validUntil: supplier.line.quoteValidUntil(decision))
            let items = decision.eligible.compactMap { e in UUID(uuidString: e.receivableID).map { (receivableID: $0, amounts: e.amounts) } }
            let auto = decision.status == .approved
            // Straight through: the disbursement is booked first, so the request is written once,
            // already approved and pointing at its entry (the entry references the request by id).
            let entry = auto ? try await disburse(supplierID: supplierID, requestID: id, totals: decision.eligibleTotals, on: date, c, logger) : nil
            let declined = decision.status == .declined
            try await FinancingStore.recordFinancingRequest(
                supplierID: supplierID, id: id, status: decision.status.rawValue, totals: decision.eligibleTotals, disbursementDate: date,
                decisionJSON: try document.json(), requestedBy: actor.principal.actor, decidedBy: auto || declined ? "system" : nil,
                disbursedEntryID: entry, items: declined ? [] : items.filter { byID[$0.receivableID] != nil },
                itemStatus: auto ? "active" : "pending", committedDelta: declined ? 0 : decision.eligibleTotals.advance.minorUnits,
                audit: (action: "financing.requested.\(decision.status.rawValue)", requestID: actor.requestID), on: c, logger: logger)
            let view = FinancingRequestView(id: id, supplierID: supplierID, status: decision.status.rawValue, createdAt: clock.now(), decision: document)
            try await EventLog.record(auto ? .financingDisbursed : declined ? .financingDeclined : .financingRequested,
                                      .financingRequest(view), objectID: id.uuidString.lowercased(), businessDate: today, on: c, logger: logger)
            return view
        }
    }

    func disburse(supplierID: UUID, requestID: UUID, totals: FinancingTotals, on date: BusinessDate,
                  _ c: DatabaseConnection, _ logger: Logger) async throws -> UUID {
        let entry = try FinancingLedger.disbursement(
            supplier: supplierID.uuidString.lowercased(), request: requestID.uuidString.lowercased(), advance: totals.advance,
            fee: totals.fee, net: totals.netDisbursement, on: date)
        let posted = try await LedgerStore.post(entry, on: c, logger: logger).entryID
        try await PaymentOrders.create(.financingAdvance, sourceID: entry.referenceID, creditorRef: supplierID.uuidString.lowercased(),
                                       amount: totals.netDisbursement, entry: entry, remittance: "Financing advance \(entry.referenceID)",
                                       on: c, logger: logger)
        return posted
    }

    static func domainReceivable(_ r: ReceivableRecord, adjustments: [AdjustmentRecord]) throws -> Receivable {
        try Receivable(id: r.id.uuidString.lowercased(), face: r.face, issueDate: r.issueDate, dueDate: r.dueDate, status: r.status,
                       statusBeforeDispute: r.statusBeforeDispute,
                       adjustments: try adjustments.map { try ReceivableAdjustment(kind: $0.kind, amount: $0.amount, reference: $0.reference) })
    }

    public func financingRequest(id: UUID, for principal: Principal) async throws -> FinancingRequestView {
        let logger = self.logger
        let record = try await database.withConnection { try await FinancingStore.financingRequest(id: id, on: $0, logger: logger) }
        guard let record, Self.visible(record.supplierID, to: principal) else {
            throw ServiceError.notFound(resource: "financing request", id: id.uuidString.lowercased())
        }
        return try Self.view(record)
    }

    static func view(_ record: FinancingRequestRecord) throws -> FinancingRequestView {
        let document = try FinancingDecisionDocument.decoder.decode(FinancingDecisionDocument.self, from: Data(record.decisionJSON.utf8))
        return FinancingRequestView(id: record.id, supplierID: record.supplierID, status: record.status, createdAt: record.createdAt,
                                    decision: document)
    }

    /// Requests waiting for an operator (above the auto-approval ceiling), oldest first: the review queue.
    public func financingRequestsInReview(limit: Int = 200) async throws -> [FinancingRequestView] {
        let logger = self.logger
        let records = try await database.withConnection {
            try await FinancingStore.financingRequests(status: "pending_review", limit: min(max(limit, 1), 500), on: $0, logger: logger)
        }
        return try records.map(Self.view)
    }

    /// A supplier's requests, newest first (a supplier key sees only its own supplier's).
    public func financingRequests(supplierID: UUID, for principal: Principal, limit: Int = 50) async throws -> [FinancingRequestView] {
        guard Self.visible(supplierID, to: principal) else {
            throw ServiceError.notFound(resource: "supplier", id: supplierID.uuidString.lowercased())
        }
        let logger = self.logger
        let records = try await database.withConnection {
            try await FinancingStore.financingRequests(supplierID: supplierID, limit: min(max(limit, 1), 500), on: $0, logger: logger)
        }
        return try records.map(Self.view)
    }

    /// An operator approves (disburses) or rejects (releases the receivables and the line) a request in review.
    /// A reason, when given, is kept on the audit record.
    public func decideFinancingRequest(id: UUID, approve: Bool, reason: String? = nil, actor: Actor) async throws -> FinancingRequestView {
        if let reason, reason.count > 500 { throw ServiceError.invalid("reason", "at most 500 characters") }
        let logger = self.logger
        let today = self.today
        return try await database.transaction { c in
            let found = try await FinancingStore.financingRequest(id: id, on: c, logger: logger).orNotFound("financing request", id: id)
            // Lock order: supplier first, then the request.
            guard let supplierRecord = try await FinancingStore.supplier(id: found.supplierID, forUpdate: true, on: c, logger: logger),
                  let request = try await FinancingStore.financingRequest(id: id, supplierID: found.supplierID, forUpdate: true, on: c, logger: logger)
            else { throw ServiceError.notFound(resource: "financing request", id: id.uuidString.lowercased()) }
            guard request.status == "pending_review" else {
                throw ServiceError.conflict(code: "not_in_review", detail: "the request is \(request.status), not pending_review")
            }
            let items = try await FinancingStore.financingItems(supplierID: request.supplierID, requestID: id, on: c, logger: logger)
            let supplier = request.supplierID
            if approve {
                let disburseOn = max(today, request.disbursementDate)
                let totals = try await priceAtDisbursement(request, items: items, line: supplierRecord.line, on: disburseOn, c, logger)
                try await FinancingStore.setItemStatus(supplierID: supplier, requestID: id, receivableID: nil, status: "active", on: c, logger: logger)
                let entry = try await disburse(supplierID: supplier, requestID: id, totals: totals, on: disburseOn, c, logger)
                try await FinancingStore.decideFinancingRequest(supplierID: supplier, id: id, status: "approved",
                                                                decidedBy: actor.principal.actor, entryID: entry, on: c, logger: logger)
            } else {
                try await FinancingStore.setItemStatus(supplierID: supplier, requestID: id, receivableID: nil, status: "void", on: c, logger: logger)
                let receivables = try await FinancingStore.receivablesForUpdate(supplierID: supplier, ids: items.map(\.receivableID), on: c, logger: logger)
                for r in receivables where r.status == .financed && r.financingRequestID == id {
                    try await FinancingStore.updateReceivable(supplierID: supplier, id: r.id, status: .open, statusBeforeDispute: nil,
                                                              financingRequestID: nil, on: c, logger: logger)
                }
                try await FinancingStore.adjustSupplierExposure(id: supplier, committedDelta: -request.advance.minorUnits, recourseDelta: 0,
                                                                on: c, logger: logger)
                try await FinancingStore.decideFinancingRequest(supplierID: supplier, id: id, status: "rejected",
                                                                decidedBy: actor.principal.actor, entryID: nil, on: c, logger: logger)
            }
            try await AuditStore.record(actor: actor.principal.actor, action: approve ? "financing.approved" : "financing.rejected",
                                        objectType: "financing_request", objectID: id.uuidString.lowercased(),
                                        detail: reason.flatMap { $0.isEmpty ? nil : ["reason": $0] } ?? [:], requestID: actor.requestID,
                                        on: c, logger: logger)
            let updated = try await FinancingStore.financingRequest(id: id, on: c, logger: logger).orNotFound("financing request", id: id)
            let view = try Self.view(updated)
            try await EventLog.record(approve ? .financingDisbursed : .financingRejected, .financingRequest(view),
                                      objectID: id.uuidString.lowercased(), businessDate: today, on: c, logger: logger)
            return view
        }
    }

    /// What a reviewed request costs on the day it is disbursed: refused once the quote has expired
    /// (`FinancingLine.quoteValidUntil`, always before maturity); re-priced for the days actually
    /// left when the approval comes after the requested disbursement date, with the items, the
    /// request and its decision document updated to match what is booked.
    func priceAtDisbursement(
        _ request: FinancingRequestRecord, items: [FinancingItemRecord], line: FinancingLine, on date: BusinessDate,
        _ c: DatabaseConnection, _ logger: Logger
    ) async throws -> FinancingTotals {
        let receivables = try await FinancingStore.receivablesForUpdate(supplierID: request.supplierID, ids: items.map(\.receivableID),
                                                                       on: c, logger: logger)
        let dueDates = Dictionary(receivables.map { ($0.id, $0.dueDate) }, uniquingKeysWith: { first, _ in first })
        if let validUntil = line.quoteValidUntil(dueDates: Array(dueDates.values)), date > validUntil {
            throw ServiceError.conflict(
                code: "quote_expired",
                detail: "the quote was valid until \(validUntil) (each receivable at least \(line.minDaysToMaturity) days before its due date); "
                    + "reject this request and ask again")
        }
        let quoted = FinancingTotals(outstanding: request.advance, advance: request.advance, fee: request.fee,
                                     netDisbursement: request.netDisbursement)
        guard date > request.disbursementDate else { return quoted }
        var document = try FinancingDecisionDocument.decoder.decode(FinancingDecisionDocument.self, from: Data(request.decisionJSON.utf8))
        var repriced: [(receivableID: UUID, amounts: FinancedAmounts)] = []
        for item in items {
            guard let due = dueDates[item.receivableID] else {
                throw ServiceError.notFound(resource: "receivable", id: item.receivableID.uuidString.lowercased())
            }
            let before = FinancedAmounts(outstanding: item.advance, advance: item.advance, fee: item.fee,
                                         netDisbursement: item.advance, daysToMaturity: 0, feeDays: item.feeDays)
            let amounts: FinancedAmounts
            do {
                amounts = try line.repriced(before, dueDate: due, disbursementDate: date)
            } catch {
                throw ServiceError.conflict(code: "quote_expired", detail: "the advance cannot be re-priced: \(error)")
            }
            repriced.append((item.receivableID, amounts))
        }
        let fee = Money(minorUnits: repriced.reduce(0) { $0 + $1.amounts.fee.minorUnits }, currency: request.fee.currency)
        let net = try request.advance.subtracting(fee)
        guard net.isPositive else {
            throw ServiceError.conflict(code: "quote_expired", detail: "the re-priced fee \(fee.decimalString) is not below the advance")
        }
        document.quotedFee = document.quotedFee ?? document.fee
        document.fee = fee.decimalString
        document.netDisbursement = net.decimalString
        document.disbursementDate = date.description
        document.lines = document.lines.map { line in
            guard let found = repriced.first(where: { $0.receivableID.uuidString.lowercased() == line.receivableId.lowercased() })?.amounts
            else { return line }
            return FinancingDecisionDocument.Line(
                receivableId: line.receivableId, eligible: line.eligible, outstanding: line.outstanding, advance: line.advance,
                fee: found.fee.decimalString, netDisbursement: found.netDisbursement.decimalString,
                daysToMaturity: found.daysToMaturity, feeDays: found.feeDays, reasons: line.reasons)
        }
        try await FinancingStore.reprice(
            supplierID: request.supplierID, requestID: request.id,
            items: repriced.map { ($0.receivableID, $0.amounts.fee.minorUnits, $0.amounts.feeDays) },
            fee: fee, net: net, disbursementDate: date, decisionJSON: try document.json(), on: c, logger: logger)
        return FinancingTotals(outstanding: request.advance, advance: request.advance, fee: fee, netDisbursement: net)
    }

    // MARK: Maturity settlement

    /// The platform pays a receivable (its outstanding amount after dilution): the financing is repaid
    /// first, the rest goes to the supplier, a shortfall becomes recourse — one ledger entry.
    public func payReceivable(id: UUID, amount: Money?, actor: Actor) async throws -> SettlementView {
        let logger = self.logger
        let today = self.today
        return try await database.transaction { c in
            let found = try await FinancingStore.receivable(id: id, on: c, logger: logger).orNotFound("receivable", id: id)
            return try await settle(supplierID: found.supplierID, receivableID: id, amount: amount, on: today, actor: actor, c, logger)
        }
    }

    func settle(
        supplierID: UUID, receivableID: UUID, amount: Money?, on date: BusinessDate, actor: Actor,
        _ c: DatabaseConnection, _ logger: Logger
    ) async throws -> SettlementView {
        guard try await FinancingStore.supplier(id: supplierID, forUpdate: true, on: c, logger: logger) != nil,
              let r = try await FinancingStore.receivable(id: receivableID, supplierID: supplierID, forUpdate: true, on: c, logger: logger)
        else { throw ServiceError.notFound(resource: "receivable", id: receivableID.uuidString.lowercased()) }
        guard r.status == .open || r.status == .financed else {
            throw ServiceError.conflict(code: "receivable_not_payable", detail: "a \(r.status.rawValue) receivable cannot be paid")
        }
        if let amount, amount != r.outstanding {
            throw ServiceError.invalid("amount", "must equal the outstanding amount \(r.outstanding.decimalString) \(r.outstanding.currency.code)")
        }
        var advance = Money.zero(r.face.currency)
        var item: FinancingItemRecord?
        if r.status == .financed {
            item = try await FinancingStore.financingItems(supplierID: supplierID, receivableID: receivableID, liveOnly: true, on: c, logger: logger).first
            guard let live = item, live.status == "active" else {
                throw ServiceError.conflict(code: "financing_in_review", detail: "the receivable's financing is awaiting an operator decision")
            }
            advance = live.advance
        }
        let split = try SettlementSplit(payment: r.outstanding, advanceOutstanding: advance)
        // A receivable diluted to nothing and never financed moves no money: it just closes.
        var entryID: UUID?
        if r.outstanding.isPositive || advance.isPositive {
            let entry = try FinancingLedger.maturitySettlement(
                supplier: supplierID.uuidString.lowercased(), receivable: receivableID.uuidString.lowercased(), payment: r.outstanding,
                split: split, on: date)
            entryID = try await LedgerStore.post(entry, on: c, logger: logger).entryID
            try await PaymentOrders.create(.supplierRemainder, sourceID: entry.referenceID, creditorRef: supplierID.uuidString.lowercased(),
                                           amount: split.toSupplier, entry: entry, remittance: "Receivable \(r.externalReference)",
                                           on: c, logger: logger)
        }
        try await FinancingStore.updateReceivable(supplierID: supplierID, id: receivableID, status: .settled, statusBeforeDispute: nil,
                                                  financingRequestID: r.financingRequestID, on: c, logger: logger)
        if let item {
            try await FinancingStore.setItemStatus(supplierID: supplierID, requestID: item.financingRequestID, receivableID: receivableID,
                                                   status: "settled", on: c, logger: logger)
            try await FinancingStore.adjustSupplierExposure(id: supplierID, committedDelta: -advance.minorUnits,
                                                            recourseDelta: split.recourse.minorUnits, on: c, logger: logger)
        }
        try await AuditStore.record(actor: actor.principal.actor, action: "receivable.settled", objectType: "receivable",
                                    objectID: receivableID.uuidString.lowercased(),
                                    detail: ["paid": r.outstanding.decimalString, "recourse": split.recourse.decimalString],
                                    requestID: actor.requestID, on: c, logger: logger)
        let settled = try await FinancingStore.receivable(id: receivableID, supplierID: supplierID, on: c, logger: logger)
            .orNotFound("receivable", id: receivableID)
        let adjustments = r.adjusted.minorUnits == 0 ? [] : try await FinancingStore.adjustments(
            supplierID: supplierID, receivableIDs: [receivableID], on: c, logger: logger)
        try await EventLog.record(.receivableSettled, .receivable(ReceivableView(record: settled, adjustments: adjustments)),
                                  objectID: receivableID.uuidString.lowercased(), businessDate: date, on: c, logger: logger)
        return SettlementView(receivable: settled, payment: r.outstanding, toFinancing: split.toFinancing, toSupplier: split.toSupplier,
                              recourse: split.recourse, entryID: entryID)
    }

    /// Nightly step: the platform pays everything due on or before `date`, one receivable per
    /// transaction, in pages. Re-running books nothing twice (settled receivables are skipped, and
    /// the ledger reference is unique). Receivables whose financing is still in review are left.
    public func settleDueReceivables(on date: BusinessDate, actor: Actor, pageSize: Int = 500) async throws -> SettlementRunSummary {
        var summary = SettlementRunSummary()
        var after: (UUID, UUID)?
        let logger = self.logger
        while true {
            let page = try await database.withConnection { c in
                try await FinancingStore.unpaidDueReceivables(on: date, after: after, limit: pageSize, on: c, logger: logger)
            }
            guard let last = page.last else { break }
            after = (last.supplierID, last.id)
            for r in page {
                do {
                    let done = try await database.transaction { c in
                        try await settle(supplierID: r.supplierID, receivableID: r.id, amount: nil, on: date, actor: actor, c, logger)
                    }
                    summary.settled += 1
                    summary.paidMinorUnits += done.payment.minorUnits
                    summary.recourseMinorUnits += done.recourse.minorUnits
                } catch ServiceError.conflict(let code, _) {
                    logger.info("receivable left unsettled", metadata: ["receivable": "\(r.id)", "reason": "\(code)"])
                }
            }
        }
        return summary
    }
}
