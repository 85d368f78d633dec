import Domain
import Foundation
import Logging
import PostgresNIO

/// One line of a monthly bill: an installment as billed, and what is owed on it now.
public struct CreditBillLineRecord: Sendable, Hashable {
    public let planID: UUID
    public let number: Int
    public let dueDate: BusinessDate
    /// Owed on the installment when the bill was issued.
    public let principal: Money
    public let fee: Money
    public let lateFee: Money
    /// Owed on the installment now (0 once it is paid, refunded or cancelled).
    public let owedNow: Money

    /// principal + fee + lateFee, as billed.
    public var total: Money {
        Money(minorUnits: principal.minorUnits + fee.minorUnits + lateFee.minorUnits, currency: principal.currency)
    }
}

/// A monthly bill (账单) as issued, with what is still owed on its lines.
public struct CreditBillRecord: Sendable {
    public let id: UUID
    public let creditAccountID: UUID
    public let statementDate: BusinessDate
    public let cycleStart: BusinessDate
    public let dueDate: BusinessDate
    public let principal: Money
    public let fees: Money
    public let lateFees: Money
    public let totalDue: Money
    /// Owed now on the bill's installments (late fees charged since the bill included).
    public let outstanding: Money
    /// In due-date order; empty on list reads.
    public var lines: [CreditBillLineRecord]
}

/// What one nightly issuance did.
public struct CreditBillIssuance: Sendable, Equatable {
    public var bills: Int64 = 0
    public var lines: Int64 = 0
    public var totalDueMinorUnits: Int64 = 0

    public init() {}
}

/// SQL for monthly bills. Set-based: one statement issues every bill of a statement date.
public enum CreditBillStore {
    /// Issues, for every active or frozen account whose statement day is `statementDate.day`, the bill of
    /// that date: each open installment not billed before that falls due up to the bill's due date.
    /// `cycles` maps each repayment day to the bill's cycle start and due date (BillingCycle computes them).
    /// An account with nothing owed gets no bill; a bill already issued for the date is left alone
    /// (the unique constraint is the last guard), so re-running a night issues nothing twice.
    /// Posts no journal entry: a bill is a view of money already in the ledger.
    public static func issue(
        statementDate: BusinessDate, cycles: [(repaymentDay: Int, cycleStart: BusinessDate, dueDate: BusinessDate)],
        on connection: PostgresConnection, logger: Logger
    ) async throws -> CreditBillIssuance {
        let rows = try await connection.query("""
            WITH cycle AS (
                SELECT a.id AS credit_account_id, d.cycle_start, d.due_date
                FROM credit_accounts a
                JOIN credit_products p ON p.id = a.product_id
                JOIN unnest(\(cycles.map(\.repaymentDay))::int[], \(cycles.map(\.cycleStart.description))::date[],
                            \(cycles.map(\.dueDate.description))::date[]) AS d(repayment_day, cycle_start, due_date)
                  ON d.repayment_day = COALESCE(a.repayment_day, p.repayment_day)
                WHERE COALESCE(a.statement_day, p.statement_day) = \(statementDate.day)
                  AND a.status IN ('active', 'frozen')
            ), owed AS (
                SELECT c.credit_account_id, c.cycle_start, c.due_date AS bill_due, i.plan_id, i.number, i.due_date, i.currency,
                       i.principal - i.principal_paid AS principal, i.fee - i.fee_paid - i.fee_waived AS fee,
                       i.late_fee - i.late_fee_paid AS late_fee
                FROM cycle c
                JOIN credit_installments i ON i.credit_account_id = c.credit_account_id AND i.status = 'open' AND i.due_date <= c.due_date
                WHERE NOT EXISTS (SELECT 1 FROM credit_bill_lines l
                                  WHERE l.credit_account_id = i.credit_account_id AND l.plan_id = i.plan_id AND l.number = i.number)
            ), bills AS (
                INSERT INTO credit_bills (credit_account_id, id, statement_date, cycle_start, due_date, currency,
                                          principal, fees, late_fees, total_due)
                SELECT credit_account_id, gen_random_uuid(), \(statementDate.description)::date, cycle_start, bill_due, currency,
                       sum(principal)::bigint, sum(fee)::bigint, sum(late_fee)::bigint, sum(principal + fee + late_fee)::bigint
                FROM owed GROUP BY credit_account_id, cycle_start, bill_due, currency
                ON CONFLICT (credit_account_id, statement_date) DO NOTHING
                RETURNING credit_account_id, id, currency, total_due
            ), lines AS (
                INSERT INTO credit_bill_lines (credit_account_id, bill_id, plan_id, number, due_date, currency, principal, fee, late_fee)
                SELECT o.credit_account_id, b.id, o.plan_id, o.number, o.due_date, o.currency, o.principal, o.fee, o.late_fee
                FROM bills b JOIN owed o ON o.credit_account_id = b.credit_account_id AND o.currency = b.currency
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM bills), (SELECT count(*) FROM lines), (SELECT COALESCE(sum(total_due), 0)::bigint FROM bills)
            """, logger: logger)
        var out = CreditBillIssuance()
        for try await (bills, lines, total) in rows.decode((Int64, Int64, Int64).self) {
            out.bills = bills
            out.lines = lines
            out.totalDueMinorUnits = total
        }
        return out
    }

    /// The account's statement and repayment days: its own, else its product's. Nil when there is no such account.
    public static func billingDays(accountID: UUID, on connection: PostgresConnection, logger: Logger) async throws -> (Int, Int)? {
        let rows = try await connection.query("""
            SELECT COALESCE(a.statement_day, p.statement_day), COALESCE(a.repayment_day, p.repayment_day)
            FROM credit_accounts a JOIN credit_products p ON p.id = a.product_id WHERE a.id = \(accountID)
            """, logger: logger)
        for try await (statement, repayment) in rows.decode((Int, Int).self) { return (statement, repayment) }
        return nil
    }

    /// Overrides an account's statement and repayment days (the account row must be locked by the caller).
    public static func setBillingDays(
        accountID: UUID, statementDay: Int, repaymentDay: Int, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.query("""
            UPDATE credit_accounts SET statement_day = \(statementDay), repayment_day = \(repaymentDay), updated_at = now()
            WHERE id = \(accountID)
            """, logger: logger)
    }

    /// Sets the days given, keeping the product's for a nil one (at account opening).
    public static func overrideBillingDays(
        accountID: UUID, statementDay: Int?, repaymentDay: Int?, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.query("""
            UPDATE credit_accounts SET statement_day = \(statementDay), repayment_day = \(repaymentDay) WHERE id = \(accountID)
            """, logger: logger)
    }

    /// The account that owns a bill (no lock).
    public static func owner(billID: UUID, on connection: PostgresConnection, logger: Logger) async throws -> UUID? {
        try await connection.query("SELECT credit_account_id FROM credit_bills WHERE id = \(billID)", logger: logger)
            .all(UUID.self).first
    }

    static let billColumns = """
        b.id, b.credit_account_id, b.statement_date::text AS statement_date, b.cycle_start::text AS cycle_start,
        b.due_date::text AS due_date, b.currency, b.principal, b.fees, b.late_fees, b.total_due,
        (SELECT COALESCE(sum(i.principal - i.principal_paid + i.fee - i.fee_paid - i.fee_waived + i.late_fee - i.late_fee_paid), 0)::bigint
         FROM credit_bill_lines l JOIN credit_installments i
           ON i.credit_account_id = l.credit_account_id AND i.plan_id = l.plan_id AND i.number = l.number
         WHERE l.credit_account_id = b.credit_account_id AND l.bill_id = b.id AND i.status = 'open') AS outstanding
        """

    static func decodeBill(_ r: PostgresRandomAccessRow) throws -> CreditBillRecord {
        let currency = try r.creditCurrency()
        return CreditBillRecord(
            id: try r.creditColumn("id"), creditAccountID: try r.creditColumn("credit_account_id"),
            statementDate: try r.creditDate("statement_date"), cycleStart: try r.creditDate("cycle_start"),
            dueDate: try r.creditDate("due_date"), principal: try r.creditMoney("principal", currency),
            fees: try r.creditMoney("fees", currency), lateFees: try r.creditMoney("late_fees", currency),
            totalDue: try r.creditMoney("total_due", currency), outstanding: try r.creditMoney("outstanding", currency), lines: [])
    }

    /// A page of the account's bills, newest statement first; the cursor's key is the statement date.
    public static func bills(
        accountID: UUID, _ page: PageRequest, on connection: PostgresConnection, logger: Logger
    ) async throws -> Page<CreditBillRecord> {
        let afterDate = page.after?.key
        let rows = try await connection.query("""
            SELECT \(unescaped: billColumns) FROM credit_bills b
            WHERE b.credit_account_id = \(accountID)
              AND (\(afterDate)::date IS NULL OR (b.statement_date, b.id) < (\(afterDate)::date, \(page.after?.id)::uuid))
            ORDER BY b.statement_date DESC, b.id DESC LIMIT \(page.fetchLimit)
            """, logger: logger)
        var out: [(CreditBillRecord, PageCursor)] = []
        for try await row in rows {
            let bill = try decodeBill(row.makeRandomAccess())
            out.append((bill, PageCursor(key: bill.statementDate.description, id: bill.id)))
        }
        return Page(fetched: out, request: page)
    }

    /// One bill with its lines in due-date order; nil when the account has no such bill.
    public static func bill(
        accountID: UUID, id: UUID, on connection: PostgresConnection, logger: Logger
    ) async throws -> CreditBillRecord? {
        let header = try await connection.query("""
            SELECT \(unescaped: billColumns) FROM credit_bills b WHERE b.credit_account_id = \(accountID) AND b.id = \(id)
            """, logger: logger).collect()
        guard let first = header.first else { return nil }
        var bill = try decodeBill(first.makeRandomAccess())
        let currency = bill.totalDue.currency
        let rows = try await connection.query("""
            SELECT l.plan_id, l.number, l.due_date::text AS due_date, l.principal, l.fee, l.late_fee,
                   CASE WHEN i.status = 'open'
                        THEN i.principal - i.principal_paid + i.fee - i.fee_paid - i.fee_waived + i.late_fee - i.late_fee_paid
                        ELSE 0 END AS owed_now
            FROM credit_bill_lines l JOIN credit_installments i
              ON i.credit_account_id = l.credit_account_id AND i.plan_id = l.plan_id AND i.number = l.number
            WHERE l.credit_account_id = \(accountID) AND l.bill_id = \(id)
            ORDER BY l.due_date, l.plan_id, l.number
            """, logger: logger)
        for try await row in rows {
            let r = row.makeRandomAccess()
            bill.lines.append(CreditBillLineRecord(
                planID: try r.creditColumn("plan_id"), number: try r.creditColumn("number"), dueDate: try r.creditDate("due_date"),
                principal: try r.creditMoney("principal", currency), fee: try r.creditMoney("fee", currency),
                lateFee: try r.creditMoney("late_fee", currency), owedNow: try r.creditMoney("owed_now", currency)))
        }
        return bill
    }

    /// Marks the repayment rows a bill repayment booked with the bill they paid.
    public static func markRepayments(
        accountID: UUID, ids: [UUID], billID: UUID, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.query("""
            UPDATE credit_repayments SET bill_id = \(billID) WHERE credit_account_id = \(accountID) AND id = ANY(\(ids)::uuid[])
            """, logger: logger)
    }
}
