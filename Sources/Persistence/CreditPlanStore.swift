import Domain
import Foundation
import Logging
import PostgresNIO

/// SQL for installment plans, their installments, repayments and refunds. Callers lock the credit
/// account before they lock (`forUpdate`) a plan.
public enum CreditPlanStore {
    /// What a capture closes in the same statement as its plan: the checkout, the hold and the audit event.
    public struct CaptureClose: Sendable {
        public let released: Money
        public let actor: String
        public let requestID: String?

        public init(released: Money, actor: String, requestID: String?) {
            self.released = released
            self.actor = actor
            self.requestID = requestID
        }
    }

    /// Inserts a plan and its installments in one statement (one round trip). With `closing` (a
    /// capture) the same statement also closes the checkout as captured, records the audit event,
    /// releases the account's hold and books the principal; without it (a conversion) those three
    /// parts match nothing. The caller holds the account and checkout locks; foreign keys are
    /// checked at the end of the statement, when the plan exists. Optional values travel as '' and
    /// NULLIF, so the statement never binds a NULL and always runs prepared.
    ///
    /// A capture's plan is written only (its response is built from `plan`), so inside a request
    /// transaction it is held back for the request's last statement (`WaitingWrites`); a
    /// conversion, which reads its plan again, writes it now.
    public static func insert(
        _ plan: InstallmentPlanRecord, closing: CaptureClose? = nil, on connection: PostgresConnection, logger: Logger
    ) async throws {
        let insert = PlanInsert(plan: plan, closing: closing)
        if closing != nil {
            try await WaitingWrites.write(insert, on: connection, logger: logger)
        } else {
            try await WaitingWrites.writeNow(insert, on: connection, logger: logger)
        }
    }

    /// The plan's statement as data-modifying CTEs named after `name`.
    struct PlanInsert: DeferredInsert {
        let plan: InstallmentPlanRecord
        let closing: CaptureClose?

        func appendCTE(named name: String, to s: inout PreparedSQL.StringInterpolation) {
            let plan = plan, closing = closing
            let rows = plan.installments
            let capturing = closing != nil
            let fragment: SQLFragment = """
                \(unescaped: name)_plan AS (
                    INSERT INTO credit_plans (credit_account_id, id, checkout_id, merchant_id, plan_type, tenor, pricing, monthly_rate,
                                              rounding, currency, principal, fee_base, purchase_date, status, converted_from)
                    VALUES (\(plan.creditAccountID), \(plan.id), \(plan.checkoutID), \(plan.merchantID), \(plan.plan.typeName),
                            NULLIF(\(plan.plan.tenor ?? 0), 0), NULLIF(\(plan.pricing?.methodName ?? ""), ''),
                            NULLIF(\(plan.pricing.map { "\($0.monthlyRate)" } ?? ""), '')::numeric,
                            \(plan.rounding.rawValue), \(plan.currency.code), \(plan.principal.minorUnits), \(plan.feeBase.minorUnits),
                            \(plan.purchaseDate.description)::date, \(plan.status.rawValue),
                            NULLIF(\(plan.convertedFrom?.uuidString ?? ""), '')::uuid)
                ), \(unescaped: name)_installments AS (
                    INSERT INTO credit_installments (credit_account_id, plan_id, number, due_date, currency, principal, fee, status)
                    SELECT \(plan.creditAccountID), \(plan.id), t.number, t.due_date::date, \(plan.currency.code), t.principal, t.fee,
                           t.status
                    FROM unnest(\(rows.map(\.number))::int[], \(rows.map(\.dueDate.description))::text[],
                                \(rows.map(\.principal.minorUnits))::bigint[], \(rows.map(\.fee.minorUnits))::bigint[],
                                \(rows.map(\.status.rawValue))::text[])
                         AS t(number, due_date, principal, fee, status)
                ), \(unescaped: name)_checkout AS (
                    UPDATE credit_checkouts SET status = 'captured', captured_amount = \(plan.principal.minorUnits), plan_id = \(plan.id),
                           closed_at = now()
                    WHERE \(capturing) AND credit_account_id = \(plan.creditAccountID) AND id = \(plan.checkoutID) AND status = 'authorized'
                ), \(unescaped: name)_audit AS (
                    INSERT INTO audit_events (actor, action, object_type, object_id, detail, request_id)
                    SELECT \(closing?.actor ?? ""), 'credit.checkout.captured', 'checkout', \(plan.checkoutID.uuidString.lowercased()),
                           jsonb_build_object('captured', \(plan.principal.decimalString)::text, 'plan_id', \(plan.id.uuidString.lowercased())::text),
                           NULLIF(\(closing?.requestID ?? ""), '')
                    WHERE \(capturing)
                ), \(unescaped: name) AS (
                    UPDATE credit_accounts SET held = held - \(closing?.released.minorUnits ?? 0),
                           principal_outstanding = principal_outstanding + \(plan.principal.minorUnits), updated_at = now()
                    WHERE \(capturing) AND id = \(plan.creditAccountID)
                )
                """
            s.appendInterpolation(fragment)
        }
    }

    /// The credit account a plan belongs to (no lock).
    public static func owner(planID: UUID, on connection: PostgresConnection, logger: Logger) async throws -> UUID? {
        try await connection.prepared("SELECT credit_account_id FROM credit_plans WHERE id = \(planID)", logger: logger)
            .all(UUID.self).first
    }

    /// The live plan made from a checkout: the newest one that was not converted away.
    public static func planID(
        creditAccountID: UUID, checkoutID: UUID, on connection: PostgresConnection, logger: Logger
    ) async throws -> UUID? {
        try await connection.prepared("""
            SELECT id FROM credit_plans
            WHERE credit_account_id = \(creditAccountID) AND checkout_id = \(checkoutID) AND status <> 'converted'
            ORDER BY created_at DESC LIMIT 1
            """, logger: logger).all(UUID.self).first
    }

    /// An account's plans, newest purchase first, at most `limit`.
    public static func planIDs(creditAccountID: UUID, limit: Int, on connection: PostgresConnection, logger: Logger) async throws -> [UUID] {
        try await connection.prepared("""
            SELECT id FROM credit_plans WHERE credit_account_id = \(creditAccountID) ORDER BY purchase_date DESC, id LIMIT \(limit)
            """, logger: logger).decode(UUID.self).reduce(into: []) { $0.append($1) }
    }

    /// A plan with its installments; plan and installments locked when `forUpdate`.
    public static func plan(
        creditAccountID: UUID, id: UUID, forUpdate: Bool, on connection: PostgresConnection, logger: Logger
    ) async throws -> InstallmentPlanRecord? {
        let lock = forUpdate ? "FOR UPDATE" : ""
        let planRows = try await connection.prepared("""
            SELECT id, credit_account_id, checkout_id, merchant_id, plan_type, tenor, pricing, monthly_rate::text AS monthly_rate,
                   rounding, currency, principal, fee_base, purchase_date::text AS purchase_date, status, converted_from
            FROM credit_plans WHERE credit_account_id = \(creditAccountID) AND id = \(id) \(unescaped: lock)
            """, logger: logger)
        var header: PostgresRandomAccessRow?
        for try await row in planRows { header = row.makeRandomAccess() }
        guard let r = header else { return nil }
        let currency = try r.creditCurrency()
        let installments = try await installments(creditAccountID: creditAccountID, planID: id, currency: currency,
                                                  forUpdate: forUpdate, on: connection, logger: logger)
        return try decodePlan(r, installments: installments)
    }

    static let planColumns = """
        id, credit_account_id, checkout_id, merchant_id, plan_type, tenor, pricing, monthly_rate::text AS monthly_rate,
        rounding, currency, principal, fee_base, purchase_date::text AS purchase_date, status, converted_from
        """
    static let installmentColumns = """
        number, due_date::text AS due_date, principal, fee, late_fee, principal_paid, fee_paid, late_fee_paid,
        fee_waived, late_fee_days, days_past_due, status
        """

    static func decodePlan(_ r: PostgresRandomAccessRow, installments: [InstallmentRecord]) throws -> InstallmentPlanRecord {
        let currency = try r.creditCurrency()
        var pricing: InstallmentPricing?
        if let method = try r.creditColumn("pricing", as: String?.self) {
            guard let rateText = try r.creditColumn("monthly_rate", as: String?.self), let rate = Decimal(string: rateText),
                  let price = InstallmentPricing(methodName: method, rate: rate) else {
                throw CreditStoreError.corruptRow("credit_plans \(try r.creditColumn("id") as UUID) pricing")
            }
            pricing = price
        }
        return InstallmentPlanRecord(
            id: try r.creditColumn("id"), creditAccountID: try r.creditColumn("credit_account_id"),
            checkoutID: try r.creditColumn("checkout_id"), merchantID: try r.creditColumn("merchant_id"),
            plan: try PurchasePlan(typeName: try r.creditColumn("plan_type"), tenor: try r.creditColumn("tenor", as: Int?.self)),
            pricing: pricing, rounding: try r.creditEnum("rounding", as: RoundingRule.self), currency: currency,
            principal: try r.creditMoney("principal", currency), feeBase: try r.creditMoney("fee_base", currency),
            purchaseDate: try r.creditDate("purchase_date"), status: try r.creditEnum("status", as: PlanStatus.self),
            convertedFrom: try r.creditColumn("converted_from", as: UUID?.self), installments: installments)
    }

    static func decodeInstallment(_ r: PostgresRandomAccessRow, _ currency: Currency) throws -> InstallmentRecord {
        InstallmentRecord(
            number: try r.creditColumn("number"), dueDate: try r.creditDate("due_date"),
            principal: try r.creditMoney("principal", currency), fee: try r.creditMoney("fee", currency),
            lateFee: try r.creditMoney("late_fee", currency), principalPaid: try r.creditMoney("principal_paid", currency),
            feePaid: try r.creditMoney("fee_paid", currency), lateFeePaid: try r.creditMoney("late_fee_paid", currency),
            feeWaived: try r.creditMoney("fee_waived", currency), lateFeeDays: try r.creditColumn("late_fee_days"),
            daysPastDue: try r.creditColumn("days_past_due"), status: try r.creditEnum("status", as: InstallmentStatus.self))
    }

    /// Many plans with their installments in two statements (the nightly run's news about thousands
    /// of plans), read as they stand in the caller's transaction. Order not kept; unknown ids skipped.
    /// Keyed by (account, plan), as the tables are (see SchemaDistributionTests).
    public static func plans(keys: [(account: UUID, plan: UUID)], on connection: PostgresConnection,
                             logger: Logger) async throws -> [InstallmentPlanRecord] {
        guard !keys.isEmpty else { return [] }
        let accounts = keys.map(\.account), ids = keys.map(\.plan)
        var headers: [(UUID, PostgresRandomAccessRow)] = []
        for try await row in try await connection.query("""
            SELECT \(unescaped: planColumns) FROM credit_plans
            WHERE (credit_account_id, id) IN (SELECT * FROM unnest(\(accounts)::uuid[], \(ids)::uuid[]))
            """, logger: logger) {
            let r = row.makeRandomAccess()
            headers.append((try r.creditColumn("id"), r))
        }
        var byPlan: [UUID: [InstallmentRecord]] = [:]
        let currencies = Dictionary(try headers.map { ($0.0, try $0.1.creditCurrency()) }, uniquingKeysWith: { first, _ in first })
        for try await row in try await connection.query("""
            SELECT plan_id, \(unescaped: installmentColumns) FROM credit_installments
            WHERE (credit_account_id, plan_id) IN (SELECT * FROM unnest(\(accounts)::uuid[], \(ids)::uuid[]))
            ORDER BY plan_id, number
            """, logger: logger) {
            let r = row.makeRandomAccess()
            let plan: UUID = try r.creditColumn("plan_id")
            guard let currency = currencies[plan] else { continue }
            byPlan[plan, default: []].append(try decodeInstallment(r, currency))
        }
        return try headers.map { try decodePlan($0.1, installments: byPlan[$0.0] ?? []) }
    }

    static func installments(
        creditAccountID: UUID, planID: UUID, currency: Currency, forUpdate: Bool, on connection: PostgresConnection, logger: Logger
    ) async throws -> [InstallmentRecord] {
        let lock = forUpdate ? "FOR UPDATE" : ""
        let rows = try await connection.prepared("""
            SELECT number, due_date::text AS due_date, principal, fee, late_fee, principal_paid, fee_paid, late_fee_paid,
                   fee_waived, late_fee_days, days_past_due, status
            FROM credit_installments WHERE credit_account_id = \(creditAccountID) AND plan_id = \(planID)
            ORDER BY number \(unescaped: lock)
            """, logger: logger)
        return try await rows.all { try decodeInstallment($0, currency) }
    }

    /// Writes back the amounts and status of `installments` (matched by number) of one plan.
    public static func update(
        creditAccountID: UUID, planID: UUID, installments rows: [InstallmentRecord],
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        guard !rows.isEmpty else { return }
        try await connection.prepared("""
            UPDATE credit_installments i SET principal = t.principal, fee = t.fee, late_fee = t.late_fee,
                   principal_paid = t.principal_paid, fee_paid = t.fee_paid, late_fee_paid = t.late_fee_paid,
                   fee_waived = t.fee_waived, status = t.status
            FROM unnest(\(rows.map(\.number))::int[], \(rows.map(\.principal.minorUnits))::bigint[],
                        \(rows.map(\.fee.minorUnits))::bigint[], \(rows.map(\.lateFee.minorUnits))::bigint[],
                        \(rows.map(\.principalPaid.minorUnits))::bigint[], \(rows.map(\.feePaid.minorUnits))::bigint[],
                        \(rows.map(\.lateFeePaid.minorUnits))::bigint[], \(rows.map(\.feeWaived.minorUnits))::bigint[],
                        \(rows.map(\.status.rawValue))::text[])
                 AS t(number, principal, fee, late_fee, principal_paid, fee_paid, late_fee_paid, fee_waived, status)
            WHERE i.credit_account_id = \(creditAccountID) AND i.plan_id = \(planID) AND i.number = t.number
            """, logger: logger)
    }

    /// Sets a plan's status and flat-fee base.
    public static func updatePlan(
        creditAccountID: UUID, id: UUID, status: PlanStatus, feeBase: Money, on connection: PostgresConnection, logger: Logger
    ) async throws {
        let closes = status != .active
        try await connection.prepared("""
            UPDATE credit_plans SET status = \(status.rawValue), fee_base = \(feeBase.minorUnits),
                   closed_at = CASE WHEN \(closes) THEN COALESCE(closed_at, now()) ELSE NULL END
            WHERE credit_account_id = \(creditAccountID) AND id = \(id)
            """, logger: logger)
    }

    /// The earliest due date among the account's open installments due before `today`, if any.
    public static func oldestPastDue(
        creditAccountID: UUID, today: BusinessDate, on connection: PostgresConnection, logger: Logger
    ) async throws -> BusinessDate? {
        let rows = try await connection.prepared("""
            SELECT min(due_date)::text FROM credit_installments
            WHERE credit_account_id = \(creditAccountID) AND status = 'open' AND due_date < \(today.description)::date
            """, logger: logger).all(String?.self)
        return rows.first.flatMap { $0 }.flatMap(BusinessDate.init)
    }

    // MARK: Repayments and refunds

    /// A repayment as recorded.
    public struct RepaymentRow: Sendable {
        public let id: UUID
        public let creditAccountID: UUID
        public let planID: UUID
        public let externalRef: String
        public let amount: Money
        public let principalPaid: Money
        public let feePaid: Money
        public let lateFeePaid: Money
        public let feeWaived: Money
        public let payoff: Bool
        public let allocationJSON: String
        public let businessDate: BusinessDate

        public init(id: UUID, creditAccountID: UUID, planID: UUID, externalRef: String, amount: Money, principalPaid: Money,
                    feePaid: Money, lateFeePaid: Money, feeWaived: Money, payoff: Bool, allocationJSON: String,
                    businessDate: BusinessDate) {
            self.id = id
            self.creditAccountID = creditAccountID
            self.planID = planID
            self.externalRef = externalRef
            self.amount = amount
            self.principalPaid = principalPaid
            self.feePaid = feePaid
            self.lateFeePaid = lateFeePaid
            self.feeWaived = feeWaived
            self.payoff = payoff
            self.allocationJSON = allocationJSON
            self.businessDate = businessDate
        }
    }

    public static func insertRepayment(_ r: RepaymentRow, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.prepared("""
            INSERT INTO credit_repayments (credit_account_id, id, plan_id, external_ref, amount, currency, principal_paid,
                                           fee_paid, late_fee_paid, fee_waived, payoff, allocation, business_date)
            VALUES (\(r.creditAccountID), \(r.id), \(r.planID), \(r.externalRef), \(r.amount.minorUnits), \(r.amount.currency.code),
                    \(r.principalPaid.minorUnits), \(r.feePaid.minorUnits), \(r.lateFeePaid.minorUnits), \(r.feeWaived.minorUnits),
                    \(r.payoff), \(r.allocationJSON)::jsonb, \(r.businessDate.description)::date)
            """, logger: logger)
    }

    /// A refund as recorded.
    public struct RefundRow: Sendable {
        public let id: UUID
        public let creditAccountID: UUID
        public let planID: UUID
        public let checkoutID: UUID
        public let externalRef: String
        public let amount: Money
        public let cancelled: Bool
        public let principalCleared: Money
        public let lateFeesSettled: Money
        public let feesSettled: Money
        public let feesWaived: Money
        public let returnedToConsumer: Money
        public let businessDate: BusinessDate

        public init(id: UUID, creditAccountID: UUID, planID: UUID, checkoutID: UUID, externalRef: String, amount: Money,
                    cancelled: Bool, principalCleared: Money, lateFeesSettled: Money, feesSettled: Money, feesWaived: Money,
                    returnedToConsumer: Money, businessDate: BusinessDate) {
            self.id = id
            self.creditAccountID = creditAccountID
            self.planID = planID
            self.checkoutID = checkoutID
            self.externalRef = externalRef
            self.amount = amount
            self.cancelled = cancelled
            self.principalCleared = principalCleared
            self.lateFeesSettled = lateFeesSettled
            self.feesSettled = feesSettled
            self.feesWaived = feesWaived
            self.returnedToConsumer = returnedToConsumer
            self.businessDate = businessDate
        }
    }

    public static func insertRefund(_ r: RefundRow, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.prepared("""
            INSERT INTO credit_refunds (credit_account_id, id, plan_id, checkout_id, external_ref, amount, currency, outcome,
                                        principal_cleared, late_fees_settled, fees_settled, fees_waived, returned_to_consumer,
                                        business_date)
            VALUES (\(r.creditAccountID), \(r.id), \(r.planID), \(r.checkoutID), \(r.externalRef), \(r.amount.minorUnits),
                    \(r.amount.currency.code), \(r.cancelled ? "cancelled" : "reamortized"), \(r.principalCleared.minorUnits),
                    \(r.lateFeesSettled.minorUnits), \(r.feesSettled.minorUnits), \(r.feesWaived.minorUnits),
                    \(r.returnedToConsumer.minorUnits), \(r.businessDate.description)::date)
            """, logger: logger)
    }
}
