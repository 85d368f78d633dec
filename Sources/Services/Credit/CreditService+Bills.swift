import Domain
import Foundation
import Logging
import Persistence

/// An account's statement and repayment days as they apply (its own or its product's).
public struct CreditBillingDays: Sendable {
    public let creditAccountID: UUID
    public let cycle: BillingCycle
}

/// A repayment that named a bill: one booked repayment per plan the bill's lines belong to.
public struct BillRepaymentResult: Sendable {
    public struct PlanPart: Sendable {
        public let repaymentID: UUID
        public let planID: UUID
        public let allocation: [InstallmentAllocation]
        public var amount: Money {
            Money(minorUnits: allocation.reduce(0) { $0 + $1.total.minorUnits }, currency: allocation.first?.principal.currency ?? .cny)
        }
    }
    public let id: UUID
    public let externalRef: String
    public let businessDate: BusinessDate
    public let amount: Money
    public let parts: [PlanPart]
    public let bill: CreditBillRecord
}

/// A request to pay a bill.
public struct BillRepaymentRequest: Sendable {
    public let billID: UUID
    /// When given, the bill must be of this plan's credit account.
    public let planID: UUID?
    public let externalRef: String
    public let amount: Money

    public init(billID: UUID, planID: UUID?, externalRef: String, amount: Money) {
        self.billID = billID
        self.planID = planID
        self.externalRef = externalRef
        self.amount = amount
    }
}

extension CreditService {
    /// Today's business date (the credit clock in the platform's time zone): bills are open or overdue relative to it.
    public var today: BusinessDate { clock.today }

    // MARK: Billing days

    /// The account's billing cycle (its own days, else its product's).
    public func billingDays(accountID: UUID) async throws -> CreditBillingDays {
        try await read { c in try await billingDays(accountID: accountID, on: c) }
    }

    func billingDays(accountID: UUID, on c: DatabaseConnection) async throws -> CreditBillingDays {
        guard let (statement, repayment) = try await CreditBillStore.billingDays(accountID: accountID, on: c, logger: logger) else {
            throw ServiceError.notFound(resource: "credit account", id: accountID.uuidString.lowercased())
        }
        guard let cycle = BillingCycle(statementDay: statement, repaymentDay: repayment) else {
            throw ServiceError.invalid("statement_day", "the stored billing days \(statement)/\(repayment) are out of range")
        }
        return CreditBillingDays(creditAccountID: accountID, cycle: cycle)
    }

    /// Overrides an account's statement and repayment days (1–28 each; a 422 names the field out of range).
    /// Bills already issued keep their dates; the next statement date under the new days issues the next bill,
    /// with every installment not billed before. Audited.
    public func setBillingDays(accountID: UUID, statementDay: Int, repaymentDay: Int, actor: Actor) async throws -> CreditBillingDays {
        if let field = BillingCycle.invalidField(statementDay: statementDay, repaymentDay: repaymentDay) {
            throw ServiceError.invalid(field, "must be a day of the month from 1 to 28")
        }
        let (_, today) = clock.read()
        return try await database.transaction { c in
            let (account, _) = try await lockAccount(accountID, today: today, on: c)
            try await CreditBillStore.setBillingDays(accountID: account.id, statementDay: statementDay, repaymentDay: repaymentDay,
                                                     on: c, logger: logger)
            try await AuditStore.record(
                actor: actor.principal.actor, action: "credit.billing_days.changed", objectType: "credit_account",
                objectID: account.id.uuidString.lowercased(),
                detail: ["statement_day": "\(statementDay)", "repayment_day": "\(repaymentDay)"],
                requestID: actor.requestID, on: c, logger: logger)
            return try await billingDays(accountID: account.id, on: c)
        }
    }

    /// At account opening: the days the application names (1–28, a 422 naming the field otherwise) replace the product's.
    func overrideBillingDays(of application: CreditApplication, accountID: UUID, on c: DatabaseConnection) async throws {
        guard application.statementDay != nil || application.repaymentDay != nil else { return }
        if let field = BillingCycle.invalidField(statementDay: application.statementDay ?? 1, repaymentDay: application.repaymentDay ?? 1) {
            throw ServiceError.invalid(field, "must be a day of the month from 1 to 28")
        }
        try await CreditBillStore.overrideBillingDays(accountID: accountID, statementDay: application.statementDay,
                                                      repaymentDay: application.repaymentDay, on: c, logger: logger)
    }

    // MARK: Issuing

    /// Nightly step: issues the bills of `businessDate` for every account whose statement day it is.
    /// One set-based statement over all those accounts in one transaction; idempotent (a bill per account
    /// and statement date, guarded by a unique constraint). Posts no journal entry: a bill only shows money
    /// the ledger already holds (installments owed, late fees already booked).
    @discardableResult
    public func issueBills(businessDate: BusinessDate) async throws -> CreditBillIssuance {
        guard BillingCycle.days.contains(businessDate.day) else { return CreditBillIssuance() }
        let cycles = BillingCycle.days.compactMap { repaymentDay in
            BillingCycle(statementDay: businessDate.day, repaymentDay: repaymentDay).map {
                (repaymentDay: repaymentDay, cycleStart: $0.cycleStart(statementDate: businessDate),
                 dueDate: $0.dueDate(statementDate: businessDate))
            }
        }
        let issued = try await database.transaction { c in
            try await CreditBillStore.issue(statementDate: businessDate, cycles: cycles, on: c, logger: logger)
        }
        logger.info("credit bills issued", metadata: [
            "business_date": "\(businessDate)", "bills": "\(issued.bills)", "lines": "\(issued.lines)",
        ])
        return issued
    }

    // MARK: Reading

    /// A page of the account's bills, newest first.
    public func bills(accountID: UUID, _ page: PageRequest) async throws -> Page<CreditBillRecord> {
        try await read { c in
            guard try await CreditStore.account(id: accountID, on: c, logger: logger) != nil else {
                throw ServiceError.notFound(resource: "credit account", id: accountID.uuidString.lowercased())
            }
            return try await CreditBillStore.bills(accountID: accountID, page, on: c, logger: logger)
        }
    }

    /// One of the account's bills with its lines; 404 when the account or the bill (on this account) is unknown.
    public func bill(accountID: UUID, id: UUID) async throws -> CreditBillRecord {
        try await read { c in
            return try await CreditBillStore.bill(accountID: accountID, id: id, on: c, logger: logger).orNotFound("bill", id: id)
        }
    }

    // MARK: Paying a bill

    /// Pays a bill: its lines still owed, across plans, in the product's allocation order (due-date order:
    /// each installment settled in full — late fee, fee, principal — before the next). At most what the bill's
    /// lines still owe is taken; more is refused (a 422 naming the amount), never kept. One repayment row and one
    /// journal entry per plan touched, sharing the external reference, all in one transaction.
    public func repayBill(_ request: BillRepaymentRequest, actor: Actor) async throws -> BillRepaymentResult {
        let (_, today) = clock.read()
        let repaymentID = UUID()
        do {
            return try await database.transaction { c in
                guard let owner = try await CreditBillStore.owner(billID: request.billID, on: c, logger: logger) else {
                    throw ServiceError.invalid("bill_id", "no bill \(request.billID.uuidString.lowercased()) exists")
                }
                if let planID = request.planID {
                    let planOwner = try await CreditPlanStore.owner(planID: planID, on: c, logger: logger)
                        .orNotFound("installment plan", id: planID)
                    guard planOwner == owner else {
                        throw ServiceError.invalid("bill_id", "is not a bill of the credit account plan_id belongs to")
                    }
                }
                let (account, _) = try await lockAccount(owner, today: today, on: c)
                guard let bill = try await CreditBillStore.bill(accountID: account.id, id: request.billID, on: c, logger: logger) else {
                    throw ServiceError.invalid("bill_id", "no bill \(request.billID.uuidString.lowercased()) exists")
                }
                guard request.amount.currency == bill.totalDue.currency else {
                    throw ServiceError.invalid("amount.currency", "the bill is in \(bill.totalDue.currency.code)")
                }
                var plans: [InstallmentPlanRecord] = []
                for planID in bill.lines.map(\.planID) where !plans.contains(where: { $0.id == planID }) {
                    guard let plan = try await CreditPlanStore.plan(creditAccountID: account.id, id: planID, forUpdate: true,
                                                                    on: c, logger: logger) else { continue }
                    plans.append(plan)
                }
                // The bill's lines still open, numbered 0..<n for the waterfall (installment numbers repeat across plans).
                var open: [(plan: Int, number: Int, owed: OpenInstallment)] = []
                for line in bill.lines {
                    guard let p = plans.firstIndex(where: { $0.id == line.planID && $0.status == .active }),
                          let row = plans[p].installments.first(where: { $0.number == line.number && $0.status == .open }) else { continue }
                    let owed = row.owed
                    open.append((p, line.number, OpenInstallment(number: open.count, dueDate: row.dueDate, principal: owed.principal,
                                                                 fee: owed.fee, lateFee: owed.lateFee)))
                }
                guard !open.isEmpty else { throw ServiceError.conflict(code: "nothing_owed", detail: "nothing is owed on this bill") }
                try await CreditStore.claim(.repayment, ref: request.externalRef, creditAccountID: account.id, objectID: repaymentID,
                                            on: c, logger: logger)
                let terms = try await product(id: account.productID, on: c).terms
                // As of the bill's due date every line counts as billed, so each is settled in full in due-date order.
                let allocation = try Self.domain(field: "amount") { () throws(CreditError) in
                    try RepaymentWaterfall.allocate(payment: request.amount, to: open.map(\.owed), asOf: bill.dueDate,
                                                    strategy: terms.allocation, mode: .bills(prepay: false))
                }
                guard allocation.unapplied.isZero else {
                    let owed = open.reduce(Int64(0)) { $0 + $1.owed.principal.minorUnits + $1.owed.fee.minorUnits + $1.owed.lateFee.minorUnits }
                    throw ServiceError.invalid("amount.amount", "exceeds the \(Money(minorUnits: owed, currency: bill.totalDue.currency).decimalString) "
                                               + "still owed on bill \(bill.id.uuidString.lowercased())")
                }
                var parts: [BillRepaymentResult.PlanPart] = []
                for (p, plan) in plans.enumerated() {
                    let lines = allocation.lines.compactMap { line -> InstallmentAllocation? in
                        let source = open[line.number]
                        guard source.plan == p, !line.total.isZero else { return nil }
                        return InstallmentAllocation(number: source.number, dueDate: line.dueDate, lateFee: line.lateFee, fee: line.fee,
                                                     principal: line.principal)
                    }
                    guard !lines.isEmpty else { continue }
                    let partID = parts.isEmpty ? repaymentID : UUID()
                    let part = BillRepaymentResult.PlanPart(repaymentID: partID, planID: plan.id, allocation: lines)
                    try await book(part, of: plan, account: account, request: request, today: today, actor: actor, on: c)
                    parts.append(part)
                }
                try await CreditBillStore.markRepayments(accountID: account.id, ids: parts.map(\.repaymentID), billID: bill.id,
                                                         on: c, logger: logger)
                let after = try await CreditBillStore.bill(accountID: account.id, id: bill.id, on: c, logger: logger)
                    .orNotFound("bill", id: bill.id)
                return BillRepaymentResult(id: repaymentID, externalRef: request.externalRef, businessDate: today,
                                           amount: request.amount, parts: parts, bill: after)
            }
        } catch let error where DatabaseFailure.isUniqueViolation(error, constraint: "credit_unique_refs_pkey") {
            throw ServiceError.conflict(code: "duplicate_external_ref", detail: "repayment \(request.externalRef) was already booked")
        }
    }

    /// Books one plan's share of a bill repayment: installments, plan status, the repayment row, the
    /// account's outstanding principal and delinquency, the audit line and the journal entry.
    private func book(
        _ part: BillRepaymentResult.PlanPart, of plan: InstallmentPlanRecord, account: CreditAccountRecord,
        request: BillRepaymentRequest, today: BusinessDate, actor: Actor, on c: DatabaseConnection
    ) async throws {
        let (installments, _) = try Self.applying(part.allocation, to: plan.installments, waiveFees: false)
        try await CreditPlanStore.update(creditAccountID: account.id, planID: plan.id, installments: installments, on: c, logger: logger)
        if installments.allSatisfy({ $0.status != .open }) {
            try await CreditPlanStore.updatePlan(creditAccountID: account.id, id: plan.id, status: .paidOff, feeBase: plan.feeBase,
                                                 on: c, logger: logger)
        }
        func sum(_ key: KeyPath<InstallmentAllocation, Money>) -> Money {
            Money(minorUnits: part.allocation.reduce(0) { $0 + $1[keyPath: key].minorUnits }, currency: plan.currency)
        }
        let (principal, fees, lateFees) = (sum(\.principal), sum(\.fee), sum(\.lateFee))
        try await CreditPlanStore.insertRepayment(.init(
            id: part.repaymentID, creditAccountID: account.id, planID: plan.id, externalRef: request.externalRef,
            amount: part.amount, principalPaid: principal, feePaid: fees, lateFeePaid: lateFees, feeWaived: .zero(plan.currency),
            payoff: false, allocationJSON: try Self.allocationJSON(part.allocation), businessDate: today), on: c, logger: logger)
        try await settle(
            account, principalCleared: principal, today: today, on: c, actor: actor, action: "credit.repayment.booked",
            objectType: "repayment", objectID: part.repaymentID,
            detail: ["plan_id": plan.id.uuidString.lowercased(), "bill_id": request.billID.uuidString.lowercased(),
                     "amount": part.amount.decimalString],
            entry: try Self.ledger {
                try CreditLedger.repayment(
                    repaymentID: part.repaymentID.uuidString.lowercased(), creditAccountID: account.id.uuidString.lowercased(),
                    principal: principal, fees: fees, lateFees: lateFees, businessDate: today)
            })
    }
}
