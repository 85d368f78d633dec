import Domain
import Foundation
import Logging
import Persistence

extension InsuranceService {
    // MARK: Return events

    /// Records a return event in its own transaction; see `recordReturnEvent(_:actor:on:)`.
    public func recordReturnEvent(_ input: ReturnEventInput, actor: Actor) async throws -> ReturnEventResult {
        try await database.transaction { connection in
            try await recordReturnEvent(input, actor: actor, on: connection)
        }
    }

    /// Records a return event inside the caller's transaction (which must not have been committed yet;
    /// any isolation level from READ COMMITTED up).
    ///
    /// Locks the policy row (`SELECT … FOR UPDATE`) for the rest of the caller's transaction, so events
    /// for one policy apply one at a time. The next event in order advances the return; an event
    /// already recorded is a no-op (`recorded == false`); one that skips a stage is a 409
    /// `return_event_out_of_order` naming the current state. The event that brings the return to the
    /// seller raises the claim in the same transaction, adjudicates it, and pays a clean one at once;
    /// the database allows one claim per policy and the payout is booked under `claim-payout:<claim id>`,
    /// so however often the event arrives, there is one claim and at most one payout.
    public func recordReturnEvent(
        _ input: ReturnEventInput, actor: Actor, on connection: DatabaseConnection
    ) async throws -> ReturnEventResult {
        let fields = try validated(input)
        let policyID: UUID
        switch input.policy {
        case .policyID(let id):
            policyID = id
        case .orderRef(let ref):
            guard let id = try await InsurancePolicyStore.policyID(orderRef: ref, on: connection, logger: logger) else {
                throw ServiceError.notFound(resource: "shipping policy for order", id: ref)
            }
            policyID = id
        }
        let policy = try await InsurancePolicyStore.policy(id: policyID, forUpdate: true, on: connection, logger: logger)
            .orNotFound("shipping policy", id: policyID)
        let outcome: ReturnEventOutcome
        do {
            outcome = try policy.returnStage.applying(input.event)
        } catch {
            throw ServiceError.conflict(
                code: "return_event_out_of_order",
                detail: "the return of policy \(policyID.uuidString.lowercased()) is at \(error.current.code); \(input.event) cannot follow it (current_state: \(error.current.code))")
        }
        guard case .advanced(let stage) = outcome else {
            return ReturnEventResult(
                policyID: policyID, event: input.event, recorded: false, stage: policy.returnStage,
                claim: try await InsuranceClaimStore.claim(policyID: policyID, on: connection, logger: logger))
        }

        var events = try await InsurancePolicyStore.events(policyID: policyID, on: connection, logger: logger)
        // PostgreSQL keeps microseconds (PostgresNIO rounds to the nearest), so the same instant sent
        // twice can read back up to half a microsecond later than it was sent: compare at that precision.
        if let previous = events.last, input.occurredAt.timeIntervalSince(previous.occurredAt) < -0.000_001 {
            throw ServiceError.invalid("occurred_at", "must not be before the \(previous.event) event (\(Self.timestamp(previous.occurredAt)))")
        }
        if let cost = fields.shippingCost, cost.currency != policy.terms.coverageCap.currency {
            throw ServiceError.invalid("shipping_cost.currency", "the policy is in \(policy.terms.coverageCap.currency.code)")
        }
        let record = ReturnEventRecord(
            policyID: policyID, event: input.event, occurredAt: input.occurredAt,
            businessDate: clock.calendar.businessDate(at: input.occurredAt), buyerRef: fields.buyerRef, carrier: fields.carrier,
            trackingNumber: fields.trackingNumber, shippingCost: fields.shippingCost, recordedAt: clock.now())
        try await InsurancePolicyStore.insertEvent(record, recordedBy: actor.principal.actor, on: connection, logger: logger)
        try await InsurancePolicyStore.setReturnStage(stage, policyID: policyID, on: connection, logger: logger)
        events.append(record)
        try await audit(actor, "insurance.return_event", "shipping_policy", policyID.uuidString.lowercased(),
                        ["event": input.event.rawValue, "stage": stage.code], on: connection)

        let claim = outcome.raisesClaim
            ? try await raiseClaim(policy: policy, events: events, actor: actor, on: connection)
            : try await InsuranceClaimStore.claim(policyID: policyID, on: connection, logger: logger)
        return ReturnEventResult(policyID: policyID, event: input.event, recorded: true, stage: stage, claim: claim)
    }

    /// The event's own fields, trimmed and checked: each event carries exactly the fields it defines.
    func validated(_ input: ReturnEventInput) throws -> (buyerRef: String?, carrier: String?, trackingNumber: String?, shippingCost: Money?) {
        var issues: [FieldIssue] = []
        func field(_ value: String?, _ name: String, required: Bool, max: Int) -> String? {
            guard let value else {
                if required { issues.append(FieldIssue(field: name, message: "is required with the \(input.event) event")) }
                return nil
            }
            guard required else {
                issues.append(FieldIssue(field: name, message: "is not part of the \(input.event) event"))
                return nil
            }
            return Self.text(value, name, max: max, into: &issues)
        }
        if case .orderRef(let ref) = input.policy, ref.trimmingCharacters(in: .whitespaces).isEmpty {
            issues.append(FieldIssue(field: "order_ref", message: "must not be empty"))
        }
        let buyer = field(input.buyerRef, "buyer_ref", required: input.event == .requested, max: 200)
        let shipped = input.event == .shipped
        let carrier = field(input.carrier, "carrier", required: shipped, max: 100)
        // Tracking numbers are compared upper-cased, so case and spaces cannot disguise a reuse.
        let tracking = field(input.trackingNumber, "tracking_number", required: shipped, max: 100)?.uppercased()
        if shipped, input.shippingCost == nil {
            issues.append(FieldIssue(field: "shipping_cost", message: "is required with the shipped event"))
        } else if !shipped, input.shippingCost != nil {
            issues.append(FieldIssue(field: "shipping_cost", message: "is not part of the \(input.event) event"))
        } else if let cost = input.shippingCost, cost.isNegative {
            issues.append(FieldIssue(field: "shipping_cost.amount", message: "must not be negative"))
        }
        if input.occurredAt.timeIntervalSince(clock.now()) > settings.clockSkewTolerance {
            issues.append(FieldIssue(field: "occurred_at", message: "must not be in the future"))
        }
        guard issues.isEmpty else { throw ServiceError.invalid(issues) }
        return (buyer, carrier, tracking, input.shippingCost)
    }

    // MARK: Claims

    /// Raises, adjudicates and (when clean) pays the policy's claim. The caller holds the policy row lock.
    func raiseClaim(
        policy: ShippingPolicyRecord, events: [ReturnEventRecord], actor: Actor, on connection: DatabaseConnection
    ) async throws -> InsuranceClaimRecord {
        let existing = try await InsuranceClaimStore.claim(policyID: policy.id, on: connection, logger: logger)
        guard let requested = events.first(where: { $0.event == .requested }), let buyer = requested.buyerRef,
              let shipped = events.first(where: { $0.event == .shipped }), let carrier = shipped.carrier,
              let tracking = shipped.trackingNumber, let cost = shipped.shippingCost
        else { throw InsuranceStoreError.corruptRow("insurance_return_events \(policy.id): delivered without requested/shipped") }

        let buyerReturns = try await InsuranceClaimStore.buyerReturns(
            buyerRef: buyer, days: settings.buyerLookbackDays, through: requested.occurredAt, on: connection, logger: logger)
        let reused = try await InsuranceClaimStore.trackingNumberUsedElsewhere(
            tracking, policyID: policy.id, on: connection, logger: logger)
        let routeCost = try await InsuranceClaimStore.routeUsualCost(
            from: policy.terms.shipFromRegion, to: policy.terms.shipToRegion, currency: policy.terms.coverageCap.currency,
            excludingPolicy: policy.id, days: settings.routeHistoryDays, through: shipped.occurredAt,
            minimumSamples: settings.routeHistoryMinimumSamples, on: connection, logger: logger)
        let request = try ClaimRequest(
            policy: policy.claimTerms(), returnRequestedOn: requested.businessDate, actualShippingCost: cost,
            claimAlreadyExists: existing != nil,
            risk: ClaimRiskSignals(
                buyerReturnsLast30Days: buyerReturns, frequentReturnerThreshold: settings.frequentReturnerThreshold,
                trackingNumberUsedOnAnotherClaim: reused, routeUsualCost: routeCost,
                routeCostMultiplier: settings.routeCostMultiplier))
        let decision = ClaimDecision.adjudicate(request)
        if let existing, case .reject(let reasons) = decision, reasons.contains(.duplicateClaim) {
            return existing
        }

        let claimID = UUID()
        let asOf = today
        let evidence = ClaimEvidence(
            shippingCost: cost, carrier: carrier, trackingNumber: tracking, buyerRef: buyer,
            returnRequestedOn: requested.businessDate, buyerReturnsLast30Days: buyerReturns, routeUsualCost: routeCost)
        let inserted = try await InsuranceClaimStore.insert(
            id: claimID, policy: policy, decision: decision, evidence: evidence, businessDate: asOf, on: connection, logger: logger)
        guard inserted, let claim = try await InsuranceClaimStore.claim(id: claimID, on: connection, logger: logger) else {
            // Unreachable under the policy row lock; the UNIQUE (policy_id) keeps it one claim regardless.
            guard let winner = try await InsuranceClaimStore.claim(policyID: policy.id, on: connection, logger: logger) else {
                throw InsuranceStoreError.corruptRow("insurance_claims \(policy.id): claim neither inserted nor found")
            }
            return winner
        }
        try await audit(actor, "insurance.claim_raised", "insurance_claim", claimID.uuidString.lowercased(), [
            "policy_id": policy.id.uuidString.lowercased(), "status": claim.status.rawValue, "amount": claim.amount.description,
            "reasons": claim.rejectionReasons.joined(separator: ","), "flags": claim.flags.joined(separator: ","),
        ], on: connection)
        try await EventLog.record(.claimRaised, .claim(claim), objectID: claimID.uuidString.lowercased(), businessDate: asOf,
                                  on: connection, logger: logger)
        if claim.status == .rejected {
            try await EventLog.record(.claimRejected, .claim(claim), objectID: claimID.uuidString.lowercased(), businessDate: asOf,
                                      on: connection, logger: logger)
        }
        guard case .pay = decision else { return claim }
        return try await pay(claim, businessDate: asOf, actor: actor.principal.actor, requestID: actor.requestID, on: connection)
    }

    /// Pays an approved claim: books `claim-payout:<claim id>` and marks it paid. The caller holds a lock
    /// on the claim (or its policy).
    func pay(
        _ claim: InsuranceClaimRecord, businessDate: BusinessDate, actor: String, requestID: String?,
        on connection: DatabaseConnection
    ) async throws -> InsuranceClaimRecord {
        let idText = claim.id.uuidString.lowercased()
        let entry = try InsuranceLedger.claimPayout(claimID: idText, seller: claim.seller, amount: claim.amount, businessDate: businessDate)
        let posted = try await LedgerStore.post(entry, on: connection, logger: logger)
        try await PaymentOrders.payOut(.claimPayout, sourceID: idText, creditorRef: claim.seller.rawValue, amount: claim.amount,
                                       entry: entry, remittance: "Return shipping claim \(idText)", on: connection, logger: logger)
        try await InsuranceClaimStore.markPaid(
            policyID: claim.policyID, claimID: claim.id, entryID: posted.entryID, paidOn: businessDate, on: connection, logger: logger)
        try await AuditStore.record(
            actor: actor, action: "insurance.claim_paid", objectType: "insurance_claim", objectID: idText,
            detail: ["amount": claim.amount.description, "entry_id": posted.entryID.uuidString.lowercased()],
            requestID: requestID, on: connection, logger: logger)
        guard let paid = try await InsuranceClaimStore.claim(id: claim.id, on: connection, logger: logger) else {
            throw InsuranceStoreError.corruptRow("insurance_claims \(idText) vanished while paying")
        }
        try await EventLog.record(.claimPaid, .claim(paid), objectID: idText, businessDate: businessDate, on: connection, logger: logger)
        return paid
    }

    /// One claim.
    public func claim(id: UUID) async throws -> InsuranceClaimRecord {
        let found = try await database.withConnection { connection in
            try await InsuranceClaimStore.claim(id: id, on: connection, logger: logger)
        }
        guard let found else { throw ServiceError.notFound(resource: "claim", id: id.uuidString.lowercased()) }
        return found
    }

    /// Claims in queue order (oldest first), optionally of one status.
    public func claims(status: ClaimStatus?, _ page: PageRequest) async throws -> Page<InsuranceClaimRecord> {
        try await database.withConnection { connection in
            try await InsuranceClaimStore.list(status: status, page, on: connection, logger: logger)
        }
    }

    /// The insurer's decision on a claim in review. `approve` makes it payable by the next payout run
    /// (`payApprovedClaims`); `reject` needs a reason and pays nothing. Repeating the decision already
    /// taken returns the claim unchanged; any other change to a claim not in review is a 409
    /// `claim_not_in_review` naming its status.
    public func decideClaim(id: UUID, decision: InsurerDecision, reason: String?, actor: Actor) async throws -> InsuranceClaimRecord {
        let reason = reason?.trimmingCharacters(in: .whitespacesAndNewlines)
        if decision == .reject && (reason ?? "").isEmpty {
            throw ServiceError.invalid("reason", "is required to reject a claim")
        }
        if let reason, reason.count > 1000 { throw ServiceError.invalid("reason", "must be at most 1000 characters") }
        return try await database.transaction { connection in
            let claim = try await InsuranceClaimStore.claim(id: id, forUpdate: true, on: connection, logger: logger)
                .orNotFound("claim", id: id)
            guard claim.status == .inReview else {
                // Flags mean the claim went through review, so its current status is the insurer's decision.
                if !claim.flags.isEmpty && decision.isAlreadyApplied(to: claim.status) { return claim }
                throw ServiceError.conflict(
                    code: "claim_not_in_review",
                    detail: "claim \(id.uuidString.lowercased()) is \(claim.status), not in_review (current_state: \(claim.status))")
            }
            try await InsuranceClaimStore.recordDecision(
                policyID: claim.policyID, claimID: claim.id, status: decision.resultingStatus,
                addingRejectionReason: decision == .reject ? InsurerDecision.rejectionCode : nil,
                reason: (reason ?? "").isEmpty ? nil : reason, decidedBy: actor.principal.actor, on: connection, logger: logger)
            try await audit(actor, "insurance.claim_decided", "insurance_claim", id.uuidString.lowercased(),
                            ["decision": decision.rawValue, "reason": reason ?? ""], on: connection)
            guard let decided = try await InsuranceClaimStore.claim(id: id, on: connection, logger: logger) else {
                throw InsuranceStoreError.corruptRow("insurance_claims \(id) vanished while deciding")
            }
            if decided.status == .rejected {
                try await EventLog.record(.claimRejected, .claim(decided), objectID: id.uuidString.lowercased(), businessDate: today,
                                          on: connection, logger: logger)
            }
            return decided
        }
    }

    /// Pays every approved, unpaid claim with payouts booked on `businessDate`: the nightly run's step.
    /// One transaction per claim (each locks its claim row and re-checks it is still approved), so a
    /// killed run resumes cleanly and running it twice pays nothing twice.
    public func payApprovedClaims(businessDate: BusinessDate, batchSize: Int = 200) async throws -> ClaimPayoutRun {
        var after: Int64 = 0
        var paid: [UUID] = []
        var totals: [Currency: Money] = [:]
        while true {
            let batch = try await database.withConnection { connection in
                try await InsuranceClaimStore.approvedUnpaid(afterSequence: after, limit: batchSize, on: connection, logger: logger)
            }
            for item in batch {
                let claim: InsuranceClaimRecord? = try await database.transaction { connection in
                    guard let claim = try await InsuranceClaimStore.claim(id: item.id, forUpdate: true, on: connection, logger: logger),
                          claim.status == .approved
                    else { return nil }
                    return try await pay(claim, businessDate: businessDate, actor: "system:payout-run", requestID: nil, on: connection)
                }
                guard let claim else { continue }
                paid.append(claim.id)
                totals[claim.amount.currency] = try (totals[claim.amount.currency] ?? .zero(claim.amount.currency)).adding(claim.amount)
            }
            guard batch.count == batchSize, let last = batch.last else { break }
            after = last.sequence
        }
        logger.info("paid approved claims", metadata: ["business_date": "\(businessDate)", "count": "\(paid.count)"])
        return ClaimPayoutRun(businessDate: businessDate, paidClaimIDs: paid,
                              totals: totals.values.sorted { $0.currency.code < $1.currency.code })
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
