import Domain
import Foundation
import HTTPAPI
import HummingbirdTesting
import Persistence
import PostgresNIO
import PropertyBased
import QianzhuangClient
import Services
import Testing

private typealias C = CreditAPI

/// Issue 13: generated purchase / repay / refund / night sequences on PostgreSQL, with two consumers per
/// run — one who pays every bill's total on its due date, one who never pays — on the standard product
/// and on a product that refuses prepayments, across tiny (0.01–0.10) and large amounts and every tenor.
@Suite("Credit lifecycle properties on PostgreSQL")
struct CreditLifecyclePropertyTests {
    static let owedSQL = "principal - principal_paid + fee - fee_paid - fee_waived + late_fee - late_fee_paid"

    /// One consumer in a run.
    struct Consumer {
        let id: String
        let uuid: UUID
        let pays: Bool
        var orders: [String] = []
    }

    final class Run: @unchecked Sendable {
        let db: Database
        let api: TestAPI
        var today = C.date("2026-01-15")
        var consumers: [Consumer] = []
        var orderCount = 0

        init(db: Database, api: TestAPI) {
            self.db = db
            self.api = api
        }

        /// Purchases `minor` units on `plan`/`tenor`; a decline (frozen account, limit) is a valid outcome.
        func purchase(_ who: Int, minor: Int64, tenor: Int?) async throws {
            orderCount += 1
            let order = "o-\(orderCount)"
            let account = consumers[who].id
            let amount = Money(minorUnits: minor, currency: .cny).decimalString
            let captured = try await C.on(today.description) {
                try await api.withClient { client in
                    let auth = try await client.call(.post, "/v1/checkouts", key: api.platformKey, json: C.checkoutJSON(
                        account: account, order: order, amount: amount, plan: tenor == nil ? "interest_free" : "installments",
                        tenor: tenor))
                    guard auth.status == .created else { return false }
                    let checkout = try auth.decode(Schemas.Checkout.self)
                    guard checkout.status == .authorized else { return false }
                    let id = checkout.id
                    let capture = try await client.call(.post, "/v1/checkouts/\(id)/capture", key: api.platformKey)
                    #expect(capture.status == .ok, "\(capture.text)")
                    return capture.status == .ok
                }
            }
            if captured { consumers[who].orders.append(order) }
        }

        /// Refunds a third of the most recent order of `who` (at least 0.01).
        func refund(_ who: Int) async throws {
            guard let order = consumers[who].orders.last else { return }
            let principal = try await db.scalar(Int64.self, """
                SELECT p.fee_base FROM credit_plans p JOIN credit_checkouts c
                  ON c.credit_account_id = p.credit_account_id AND c.id = p.checkout_id
                WHERE c.order_ref = \(order) AND p.status = 'active' ORDER BY p.created_at DESC LIMIT 1
                """) ?? 0
            guard principal > 0 else { return }
            orderCount += 1
            let amount = Money(minorUnits: max(1, principal / 3), currency: .cny).decimalString
            let ref = "r-\(orderCount)"
            try await C.on(today.description) {
                try await api.withClient { client in
                    let refund = try await client.call(.post, "/v1/refunds", key: api.platformKey, json: """
                        {"order_ref": "\(order)", "external_ref": "\(ref)", "amount": {"amount": "\(amount)", "currency": "CNY"}}
                        """)
                    #expect(refund.status == .created, "\(refund.text)")
                }
            }
        }

        /// The paying consumers pay every plan's bill total (all that is owed and due) on `date`.
        func payBills(on date: BusinessDate) async throws {
            for consumer in consumers where consumer.pays {
                let rows = try await db.client.query("""
                    SELECT plan_id, sum(\(unescaped: CreditLifecyclePropertyTests.owedSQL))::bigint FROM credit_installments
                    WHERE credit_account_id = \(consumer.uuid) AND status = 'open' AND due_date <= \(date.description)::date
                    GROUP BY plan_id ORDER BY plan_id
                    """, logger: db.logger)
                var bills: [(UUID, Int64)] = []
                for try await bill in rows.decode((UUID, Int64).self) { bills.append(bill) }
                for (plan, owed) in bills where owed > 0 {
                    orderCount += 1
                    let ref = "p-\(orderCount)"
                    try await C.on(date.description) {
                        try await api.withClient { client in
                            let paid = try await client.call(.post, "/v1/repayments", key: api.platformKey, json: """
                                {"plan_id": "\(plan.uuidString.lowercased())", "external_ref": "\(ref)",
                                 "amount": {"amount": "\(Money(minorUnits: owed, currency: .cny).decimalString)", "currency": "CNY"}}
                                """)
                            #expect(paid.status == .created, "\(paid.text)")
                        }
                    }
                }
            }
        }

        /// Moves the business date to `target`, stopping on every due date of a paying consumer to pay
        /// the bill, and runs the nightly ageing on each date it stops at.
        func advance(to target: BusinessDate) async throws {
            while today < target {
                let next = try await db.scalar(String.self, """
                    SELECT min(due_date)::text FROM credit_installments
                    WHERE status = 'open' AND due_date > \(today.description)::date AND due_date < \(target.description)::date
                    """).flatMap(BusinessDate.init) ?? target
                today = next
                try await payBills(on: today)
                _ = try await api.deps.services.credit.ageAccounts(businessDate: today)
            }
        }

        /// The properties, after every step.
        func check(_ step: String) async throws {
            for consumer in consumers {
                var row: (String, Int)?
                for try await found in try await db.client.query("""
                    SELECT status, days_past_due FROM credit_accounts WHERE id = \(consumer.uuid)
                    """, logger: db.logger).decode((String, Int).self) { row = found }
                let pastDue = try await db.scalar(Int64.self, """
                    SELECT count(*) FROM credit_installments
                    WHERE credit_account_id = \(consumer.uuid) AND status = 'open' AND due_date < \(today.description)::date
                    """) ?? 0
                let zeroOpen = try await db.scalar(Int64.self, """
                    SELECT count(*) FROM credit_installments
                    WHERE credit_account_id = \(consumer.uuid) AND status = 'open' AND \(unescaped: CreditLifecyclePropertyTests.owedSQL) = 0
                    """) ?? 0
                #expect(zeroOpen == 0, "an open installment owes nothing after \(step)")
                // A charged-off account's installments were written off: nothing is open, by design.
                if pastDue == 0, row?.0 != "charged_off" {
                    #expect(row?.0 == "active" && row?.1 == 0,
                            "\(consumer.pays ? "payer" : "non-payer") delinquent while owing nothing past due after \(step): \(String(describing: row))")
                }
                if consumer.pays {
                    #expect(row?.0 == "active" && row?.1 == 0, "a consumer paying every bill on time is \(String(describing: row)) after \(step)")
                }
                if row?.0 != "charged_off" { try await C.expectAccountConsistent(db, consumer.id) }
            }
        }
    }

    /// Step codes: kind (purchase, refund, night), consumer, tiny or large amount, tenor, days.
    @Test("no account is delinquent while it owes nothing past due; paying every bill on time stays current; ledger = installments")
    func generatedSequences() async {
        await propertyCheck(count: 8, input: Gen.int(in: 0...1_000_000).array(of: 4...9)) { steps in
            try await withTestDatabase { db in
                let api = try await TestAPI.make(db)
                let run = Run(db: db, api: api)
                try await api.withClient { client in
                    let refusing = try await client.call(.post, "/v1/credit-products", key: api.operatorKey, json: """
                        {"code": "refusing", "name": "Refuses prepayments", "overpayment": "refuse", "grace_days": 0,
                         "tenors": [{"tenor": 3, "pricing": "flat_monthly_fee", "monthly_rate": "0.006"},
                                    {"tenor": 6, "pricing": "declining_balance", "monthly_rate": "0.01"},
                                    {"tenor": 12, "pricing": "declining_balance", "monthly_rate": "0.015"},
                                    {"tenor": 24, "pricing": "flat_monthly_fee", "monthly_rate": "0.005"}]}
                        """)
                    let refusingID = try refusing.decode(Schemas.CreditProduct.self).id
                    for (n, (pays, product)) in [(true, nil), (false, nil), (true, refusingID), (false, refusingID)].enumerated() {
                        let id = try await C.on("2026-01-15") {
                            try await C.openAccount(client, api, nationalID: C.nationalIDs[n], productID: product)
                        }
                        run.consumers.append(Consumer(id: id, uuid: try #require(UUID(uuidString: id)), pays: pays))
                    }
                }
                for (index, code) in steps.enumerated() {
                    let who = (code / 3) % run.consumers.count
                    let tenors: [Int?] = [nil, 3, 6, 12, 24]
                    switch code % 3 {
                    case 0:
                        let tiny = (code / 12) % 2 == 0
                        let minor = tiny ? Int64(1 + (code / 24) % 10) : Int64(100_000 + (code / 24) % 900_000)
                        try await run.purchase(who, minor: minor, tenor: tenors[(code / 7) % tenors.count])
                    case 1:
                        try await run.refund(who)
                    default:
                        try await run.advance(to: run.today.adding(days: 1 + (code / 5) % 75))
                    }
                    try await run.check("step \(index) (\(code)) on \(run.today)")
                }
                // Then live out every plan: the payers stay current to the end.
                try await run.advance(to: run.today.adding(days: 760))
                try await run.check("the end on \(run.today)")
                try await C.expectLedgerBalanced(db)
            }
        }
    }
}
