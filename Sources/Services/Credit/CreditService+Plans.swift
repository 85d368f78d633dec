import Domain
import Foundation
import Logging
import Persistence

extension CreditService {
    public func plan(id: UUID) async throws -> InstallmentPlanRecord {
        try await read { c in
            let owner = try await CreditPlanStore.owner(planID: id, on: c, logger: logger).orNotFound("installment plan", id: id)
            return try await CreditPlanStore.plan(creditAccountID: owner, id: id, forUpdate: false, on: c, logger: logger)
                .orNotFound("installment plan", id: id)
        }
    }

    /// An account's plans with their installments, newest purchase first, at most `limit` (1…100).
    public func plans(accountID: UUID, limit: Int) async throws -> [InstallmentPlanRecord] {
        try await read { c in
            var out: [InstallmentPlanRecord] = []
            for id in try await CreditPlanStore.planIDs(creditAccountID: accountID, limit: min(max(limit, 1), 100), on: c, logger: logger) {
                if let plan = try await CreditPlanStore.plan(creditAccountID: accountID, id: id, forUpdate: false, on: c, logger: logger) {
                    out.append(plan)
                }
            }
            return out
        }
    }

    /// The account (locked) and the plan with its installments (locked).
    func lockPlan(_ id: UUID, today: BusinessDate, on c: DatabaseConnection) async throws -> (CreditAccountRecord, InstallmentPlanRecord) {
        let (account, _) = try await lockAccount(.plan(id), resource: "installment plan", today: today, on: c)
        let plan = try await CreditPlanStore.plan(creditAccountID: account.id, id: id, forUpdate: true, on: c, logger: logger)
            .orNotFound("installment plan", id: id)
        return (account, plan)
    }

    /// What settling the plan in full costs on `asOf` (default today; never earlier than today):
    /// all principal, late fees and fees already due; future fees are waived. Late fees the nightly
    /// run may charge after today are not foreseen.
    public func payoffQuote(planID: UUID, asOf: BusinessDate?) async throws -> EarlyPayoffQuote {
        try await payoffQuoteWithRates(planID: planID, asOf: asOf).quote
    }

    /// The payoff quote with the plan's annual rates, as the API shows a price.
    public func payoffQuoteWithRates(planID: UUID, asOf: BusinessDate?) async throws
        -> (quote: EarlyPayoffQuote, annualRates: AnnualRateDisclosure?) {
        let (_, today) = clock.read()
        let date = asOf ?? today
        guard date >= today else { throw ServiceError.invalid("as_of", "must not be before today (\(today))") }
        let plan = try await plan(id: planID)
        let quote = try Self.domain { () throws(CreditError) in
            try EarlyPayoffQuote.quote(for: plan.openInstallments, asOf: date, currency: plan.currency)
        }
        return (quote, plan.annualRates)
    }

    /// Converts an interest-free purchase into `tenor` installments before its due date. The new plan
    /// finances the principal still owed, priced by the account's product, with installments falling
    /// on the account's repayment days from the bill after the conversion; the interest-free plan is closed as `converted`.
    /// No money moves, so nothing is booked (fees are recognised when paid).
    public func convert(planID: UUID, tenor: Int, actor: Actor) async throws -> InstallmentPlanRecord {
        let (_, today) = clock.read()
        return try await database.transaction { c in
            let (account, plan) = try await lockPlan(planID, today: today, on: c)
            guard plan.plan == .interestFree, plan.status == .active,
                  let bill = plan.installments.first, bill.status == .open else {
                throw ServiceError.conflict(code: "not_convertible", detail: "only an open interest-free purchase can be converted")
            }
            guard today < bill.dueDate else {
                throw ServiceError.conflict(code: "conversion_window_closed",
                                            detail: "an interest-free purchase can be converted only before its due date \(bill.dueDate)")
            }
            let owed = bill.owed
            let product = try await product(id: account.productID, on: c)
            let schedule = try Self.domain { () throws(CreditError) in
                try InstallmentSchedule.make(principal: owed.principal, purchaseDate: today, plan: .installments(tenor),
                                             product: product.terms, billingCycle: account.billingCycle)
            }
            let converted = InstallmentPlanRecord(
                id: UUID(), creditAccountID: account.id, checkoutID: plan.checkoutID, merchantID: plan.merchantID,
                plan: .installments(tenor), pricing: schedule.pricing, rounding: product.terms.rounding, currency: plan.currency,
                principal: owed.principal, feeBase: owed.principal, purchaseDate: today, status: .active, convertedFrom: plan.id,
                installments: schedule.installments.map(InstallmentRecord.init(scheduled:)))
            var closed = bill
            closed.status = .converted
            try await CreditPlanStore.update(creditAccountID: account.id, planID: plan.id, installments: [closed], on: c, logger: logger)
            try await CreditPlanStore.updatePlan(creditAccountID: account.id, id: plan.id, status: .converted, feeBase: plan.feeBase,
                                                 on: c, logger: logger)
            try await CreditPlanStore.insert(converted, on: c, logger: logger)
            try await AuditStore.record(
                actor: actor.principal.actor, action: "credit.plan.converted", objectType: "installment_plan",
                objectID: plan.id.uuidString.lowercased(),
                detail: ["to_plan_id": converted.id.uuidString.lowercased(), "tenor": "\(tenor)"],
                requestID: actor.requestID, on: c, logger: logger)
            return converted
        }
    }

    /// Books a repayment in the product's allocation order (due-date order: each bill — the installments
    /// already due and the next one — settled in full, late fee, fee, principal). Money beyond the bills
    /// prepays later principal without their fees, or is refused, as the product says; paying the payoff
    /// quote (or `payoff` with exactly it) settles the plan and waives the future fees. More is refused.
    public func repay(_ request: RepaymentRequest, actor: Actor) async throws -> RepaymentResult {
        let (_, today) = clock.read()
        let repaymentID = UUID()
        do {
            return try await database.transaction { c in
                let (account, plan) = try await lockPlan(request.planID, today: today, on: c)
                guard plan.status != .chargedOff, plan.status != .converted else {
                    throw ServiceError.conflict(code: "plan_closed", detail: "the plan is \(plan.status.rawValue)")
                }
                guard request.amount.currency == plan.currency else {
                    throw ServiceError.invalid("amount.currency", "the plan is in \(plan.currency.code)")
                }
                let open = plan.openInstallments
                guard !open.isEmpty else { throw ServiceError.conflict(code: "nothing_owed", detail: "nothing is owed on this plan") }
                try await CreditStore.claim(.repayment, ref: request.externalRef, creditAccountID: account.id, objectID: repaymentID,
                                            on: c, logger: logger)
                let terms = try await product(id: account.productID, on: c).terms
                let quote = try Self.domain { () throws(CreditError) in
                    try EarlyPayoffQuote.quote(for: open, asOf: today, currency: plan.currency)
                }
                if request.payoff, request.amount != quote.total {
                    throw ServiceError.invalid("amount.amount",
                                               "a payoff must be exactly the payoff quote of \(quote.total.decimalString)")
                }
                // Paying the payoff quote is the early payoff (flag or not, where the product takes prepayments):
                // future fees are waived. Otherwise the bills are paid in full and money beyond them prepays
                // principal only when the product says so; anything else is refused, never kept silently.
                let prepays = terms.overpayment == .prepayNextBills
                let payoff = request.payoff || (prepays && request.amount == quote.total)
                let allocation = try Self.domain(field: "amount") { () throws(CreditError) in
                    try RepaymentWaterfall.allocate(payment: request.amount, to: open, asOf: today, strategy: terms.allocation,
                                                    mode: payoff ? .payoff : .bills(prepay: prepays))
                }
                guard allocation.unapplied.isZero else {
                    throw Self.overpayment(plan: plan.id, quote: quote, prepay: prepays, open: open, today: today)
                }
                let (installments, waived) = try Self.applying(allocation.lines, to: plan.installments, waiveFees: payoff)
                try await CreditPlanStore.update(creditAccountID: account.id, planID: plan.id, installments: installments,
                                                 on: c, logger: logger)
                if plan.status == .active, installments.allSatisfy({ $0.status != .open }) {
                    try await CreditPlanStore.updatePlan(creditAccountID: account.id, id: plan.id, status: .paidOff,
                                                         feeBase: plan.feeBase, on: c, logger: logger)
                }
                let waivedMoney = Money(minorUnits: waived, currency: plan.currency)
                try await CreditPlanStore.insertRepayment(.init(
                    id: repaymentID, creditAccountID: account.id, planID: plan.id, externalRef: request.externalRef,
                    amount: request.amount, principalPaid: allocation.principalPaid, feePaid: allocation.feesPaid,
                    lateFeePaid: allocation.lateFeesPaid, feeWaived: waivedMoney, payoff: payoff,
                    allocationJSON: try Self.allocationJSON(allocation.lines),
                    businessDate: today), on: c, logger: logger)
                try await settle(
                    account, principalCleared: allocation.principalPaid, today: today, on: c, actor: actor,
                    action: payoff ? "credit.plan.paid_off" : "credit.repayment.booked", objectType: "repayment",
                    objectID: repaymentID, detail: ["plan_id": plan.id.uuidString.lowercased(), "amount": request.amount.decimalString],
                    entry: try Self.ledger {
                        try CreditLedger.repayment(
                            repaymentID: repaymentID.uuidString.lowercased(), creditAccountID: account.id.uuidString.lowercased(),
                            principal: allocation.principalPaid, fees: allocation.feesPaid, lateFees: allocation.lateFeesPaid,
                            businessDate: today)
                    })
                let after = try await reload(plan, on: c)
                try await EventLog.record(.planRepaid, .installmentPlan(after), objectID: plan.id.uuidString.lowercased(),
                                          businessDate: today, on: c, logger: logger)
                return RepaymentResult(
                    id: repaymentID, externalRef: request.externalRef, businessDate: today, amount: request.amount,
                    allocation: allocation, feesWaived: waivedMoney, plan: after)
            }
        } catch let error where DatabaseFailure.isUniqueViolation(error, constraint: "credit_unique_refs_pkey") {
            throw ServiceError.conflict(code: "duplicate_external_ref", detail: "repayment \(request.externalRef) was already booked")
        }
    }

    /// The installments after a repayment's allocation lines (matched by number) are paid on them; with
    /// `waiveFees` (an early payoff) the fees still owed on them are waived. Returns the fees waived.
    static func applying(
        _ lines: [InstallmentAllocation], to rows: [InstallmentRecord], waiveFees: Bool
    ) throws -> ([InstallmentRecord], Int64) {
        var installments = rows
        var waived: Int64 = 0
        for line in lines {
            guard let i = installments.firstIndex(where: { $0.number == line.number }) else { continue }
            installments[i].lateFeePaid = try Self.sum(installments[i].lateFeePaid, line.lateFee)
            installments[i].feePaid = try Self.sum(installments[i].feePaid, line.fee)
            installments[i].principalPaid = try Self.sum(installments[i].principalPaid, line.principal)
            if waiveFees {
                let left = installments[i].owed.fee
                installments[i].feeWaived = try Self.sum(installments[i].feeWaived, left)
                waived += left.minorUnits
            }
            installments[i].settleIfNothingOwed()
        }
        return (installments, waived)
    }

    /// A repayment's allocation as stored: what it paid on each installment it touched.
    static func allocationJSON(_ lines: [InstallmentAllocation]) throws -> String {
        try json(lines.filter { !$0.total.isZero }.map {
            ["number": "\($0.number)", "due_date": $0.dueDate.description, "late_fee": $0.lateFee.decimalString,
             "fee": $0.fee.decimalString, "principal": $0.principal.decimalString]
        })
    }

    /// The 422 for money beyond what the product accepts, naming the payoff quote the consumer may pay instead.
    static func overpayment(plan: UUID, quote: EarlyPayoffQuote, prepay: Bool, open: [OpenInstallment],
                            today: BusinessDate) -> ServiceError {
        let link = "GET /v1/installment-plans/\(plan.uuidString.lowercased())/payoff-quote"
        guard !prepay else {
            return .invalid("amount.amount", "exceeds the payoff quote of \(quote.total.decimalString) \(quote.total.currency.code) "
                            + "(all principal and what is due; \(quote.waivedFees.decimalString) of future fees waived): \(link)")
        }
        let billed = (try? RepaymentWaterfall.billedTotal(open, asOf: today, currency: quote.total.currency))?.decimalString ?? "?"
        return .invalid("amount.amount", "exceeds the bills due and next (\(billed)); this product does not take prepayments: settle the plan "
                        + "with the payoff quote of \(quote.total.decimalString) \(quote.total.currency.code) and payoff=true: \(link)")
    }

    /// Applies a merchant refund to the plan made from the checkout with `orderRef`. Below the
    /// outstanding principal it lowers the principal and re-spreads the schedule (future fees
    /// re-priced); at or above it cancels the plan, waives future fees, settles charges from the
    /// excess and returns the rest to the consumer. The limit is restored by the principal cleared.
    public func refund(_ request: RefundRequest, actor: Actor) async throws -> RefundResult {
        do {
            return try await database.transaction { c in try await refund(request, actor: actor, on: c) }
        } catch let error where DatabaseFailure.isUniqueViolation(error, constraint: "credit_unique_refs_pkey") {
            throw ServiceError.conflict(code: "duplicate_external_ref", detail: "refund \(request.externalRef) was already booked")
        }
    }

    /// The same, on the caller's transaction (a return flowing through credit, financing and
    /// insurance at once, issue 8).
    public func refund(_ request: RefundRequest, actor: Actor, on c: DatabaseConnection) async throws -> RefundResult {
        let (_, today) = clock.read()
        let refundID = UUID()
        guard let (owner, checkoutID) = try await CreditStore.owner(of: .order, ref: request.orderRef, on: c, logger: logger),
              let checkout = try await CreditStore.checkout(creditAccountID: owner, id: checkoutID, forUpdate: false,
                                                            on: c, logger: logger)
        else { throw ServiceError.notFound(resource: "checkout with order reference", id: request.orderRef) }
        guard checkout.status == .captured,
              let planID = try await CreditPlanStore.planID(creditAccountID: owner, checkoutID: checkoutID, on: c, logger: logger)
        else { throw ServiceError.conflict(code: "checkout_not_captured", detail: "the checkout is \(checkout.status.rawValue)") }
        let (account, plan) = try await lockPlan(planID, today: today, on: c)
        guard plan.status != .chargedOff else {
            throw ServiceError.conflict(code: "plan_closed", detail: "the plan was charged off")
        }
        guard request.amount.currency == plan.currency else {
            throw ServiceError.invalid("amount.currency", "the plan is in \(plan.currency.code)")
        }
        try await CreditStore.claim(.refund, ref: request.externalRef, creditAccountID: account.id, objectID: refundID,
                                    on: c, logger: logger)
        guard request.amount.minorUnits <= plan.feeBase.minorUnits else {
            throw ServiceError.invalid("amount.amount", "exceeds what remains refundable (\(plan.feeBase.decimalString))")
        }
        let open = plan.openInstallments
        let outcome = try Self.domain(field: "amount") { () throws(CreditError) in
            try InstallmentRefund.apply(refund: request.amount, to: open, asOf: today, pricing: plan.pricing,
                                        feeBase: plan.feeBase, rounding: plan.rounding)
        }
        let applied = try Self.apply(outcome, to: plan, asOf: today)
        try await CreditPlanStore.update(creditAccountID: account.id, planID: plan.id, installments: applied.installments,
                                         on: c, logger: logger)
        let newBase = Money(minorUnits: plan.feeBase.minorUnits - request.amount.minorUnits, currency: plan.currency)
        try await CreditPlanStore.updatePlan(creditAccountID: account.id, id: plan.id,
                                             status: applied.cancelled ? .cancelled : plan.status, feeBase: newBase,
                                             on: c, logger: logger)
        try await CreditPlanStore.insertRefund(.init(
            id: refundID, creditAccountID: account.id, planID: plan.id, checkoutID: checkoutID,
            externalRef: request.externalRef, amount: request.amount, cancelled: applied.cancelled,
            principalCleared: applied.principal, lateFeesSettled: applied.lateFees, feesSettled: applied.fees,
            feesWaived: applied.waived, returnedToConsumer: applied.returned, businessDate: today), on: c, logger: logger)
        let entry = try Self.ledger {
            try CreditLedger.refund(
                refundID: refundID.uuidString.lowercased(), creditAccountID: account.id.uuidString.lowercased(),
                merchantID: plan.merchantID, principal: applied.principal, lateFees: applied.lateFees,
                fees: applied.fees, returnedToConsumer: applied.returned, businessDate: today)
        }
        try await settle(
            account, principalCleared: applied.principal, today: today, on: c, actor: actor,
            action: applied.cancelled ? "credit.plan.cancelled_by_refund" : "credit.plan.reamortized", objectType: "refund",
            objectID: refundID, detail: ["plan_id": plan.id.uuidString.lowercased(), "amount": request.amount.decimalString],
            entry: entry)
        try await PaymentOrders.create(.consumerRefund, sourceID: entry.referenceID, creditorRef: account.id.uuidString.lowercased(),
                                       amount: applied.returned, entry: entry, remittance: "Refund \(request.externalRef)", on: c, logger: logger)
        let after = try await reload(plan, on: c)
        try await EventLog.record(.planRefunded, .installmentPlan(after), objectID: plan.id.uuidString.lowercased(),
                                  businessDate: today, on: c, logger: logger)
        return RefundResult(
            id: refundID, externalRef: request.externalRef, businessDate: today, amount: request.amount,
            outcome: applied.cancelled ? "cancelled" : "reamortized", principalCleared: applied.principal,
            chargesSettled: Money(minorUnits: applied.lateFees.minorUnits + applied.fees.minorUnits, currency: plan.currency),
            feesWaived: applied.waived, returnedToConsumer: applied.returned, plan: after)
    }

    /// A refund's effect on the stored installments, and its totals by kind.
    struct AppliedRefund {
        var installments: [InstallmentRecord]
        var cancelled: Bool
        var principal: Money
        var lateFees: Money
        var fees: Money
        var waived: Money
        var returned: Money
    }

    /// Maps the domain's refund outcome onto the stored installments: scheduled principal and fees
    /// become paid + still owed; on cancellation the charges the excess settled count as paid and
    /// the forgiven future fees as waived.
    static func apply(_ outcome: InstallmentRefundOutcome, to plan: InstallmentPlanRecord, asOf: BusinessDate) throws -> AppliedRefund {
        let currency = plan.currency
        let zero = Money.zero(currency)
        var rows = plan.installments
        switch outcome {
        case .reamortized(let r):
            for owed in r.installments {
                guard let i = rows.firstIndex(where: { $0.number == owed.number }) else { continue }
                rows[i].principal = try sum(rows[i].principalPaid, owed.principal)
                rows[i].fee = try sum(try sum(rows[i].feePaid, rows[i].feeWaived), owed.fee)
                rows[i].settleIfNothingOwed()
            }
            return AppliedRefund(installments: rows, cancelled: false, principal: r.refund, lateFees: zero, fees: zero,
                                 waived: zero, returned: zero)
        case .cancelled(let cancellation):
            var lateFees: Int64 = 0
            var fees: Int64 = 0
            var waived: Int64 = 0
            for left in cancellation.remaining {
                guard let i = rows.firstIndex(where: { $0.number == left.number }) else { continue }
                let before = rows[i].owed
                let lateSettled = before.lateFee.minorUnits - left.lateFee.minorUnits
                let feeCleared = before.fee.minorUnits - left.fee.minorUnits
                rows[i].lateFeePaid = Money(minorUnits: rows[i].lateFeePaid.minorUnits + lateSettled, currency: currency)
                lateFees += lateSettled
                if before.isDue(asOf: asOf) {
                    rows[i].feePaid = Money(minorUnits: rows[i].feePaid.minorUnits + feeCleared, currency: currency)
                    fees += feeCleared
                } else {
                    rows[i].feeWaived = Money(minorUnits: rows[i].feeWaived.minorUnits + feeCleared, currency: currency)
                    waived += feeCleared
                }
                rows[i].principal = rows[i].principalPaid
                if rows[i].owed.isSettled { rows[i].status = .cancelled }
            }
            return AppliedRefund(
                installments: rows, cancelled: true, principal: cancellation.principalCleared,
                lateFees: Money(minorUnits: lateFees, currency: currency), fees: Money(minorUnits: fees, currency: currency),
                waived: Money(minorUnits: waived, currency: currency), returned: cancellation.amountToReturn)
        }
    }

    /// The common end of a repayment or refund: the account's outstanding principal drops by what was
    /// cleared, the account is re-aged, the change is audited and the entry posted.
    func settle(
        _ account: CreditAccountRecord, principalCleared: Money, today: BusinessDate, on c: DatabaseConnection, actor: Actor,
        action: String, objectType: String, objectID: UUID, detail: [String: String], entry: JournalEntry
    ) async throws {
        try await CreditStore.adjustAccount(id: account.id, heldDelta: 0, principalDelta: -principalCleared.minorUnits,
                                            on: c, logger: logger)
        try await refreshDelinquency(account, today: today, on: c)
        try await AuditStore.record(actor: actor.principal.actor, action: action, objectType: objectType,
                                    objectID: objectID.uuidString.lowercased(), detail: detail,
                                    requestID: actor.requestID, on: c, logger: logger)
        try await CreditLedgerBatch.post([entry], on: c, logger: logger)
    }

    /// After money came in, re-ages the account on `today`: days past due and bucket from its oldest
    /// unpaid past-due installment, and a frozen account with nothing overdue any more is unfrozen.
    func refreshDelinquency(_ account: CreditAccountRecord, today: BusinessDate, on c: DatabaseConnection) async throws {
        guard account.status == .active || account.status == .frozen else { return }
        let product = try await product(id: account.productID, on: c)
        let oldest = try await CreditPlanStore.oldestPastDue(creditAccountID: account.id, today: today, on: c, logger: logger)
        let aged = oldest.map { DelinquencyStatus(dueDate: $0, asOf: today, product: product.terms) }
        let status: CreditAccountStatus = (aged?.isOverdue ?? false) ? .frozen : .active
        try await CreditStore.updateDelinquency(accountID: account.id, daysPastDue: aged?.daysPastDue ?? 0,
                                                bucket: aged?.bucket ?? .current, status: status, on: c, logger: logger)
    }

    func reload(_ plan: InstallmentPlanRecord, on c: DatabaseConnection) async throws -> InstallmentPlanRecord {
        guard let fresh = try await CreditPlanStore.plan(creditAccountID: plan.creditAccountID, id: plan.id, forUpdate: false,
                                                         on: c, logger: logger) else {
            throw ServiceError.notFound(resource: "installment plan", id: plan.id.uuidString.lowercased())
        }
        return fresh
    }

    static func sum(_ a: Money, _ b: Money) throws -> Money {
        do {
            return try a.adding(b)
        } catch {
            throw ServiceError.invalid("amount", "amounts overflow")
        }
    }
}
