import Domain
import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import Persistence
import PostgresNIO
import QianzhuangClient
import Services
import Testing

private typealias C = CreditAPI

@Suite("Credit overdue ageing across simulated business dates on PostgreSQL")
struct CreditOverdueTests {
    @Test("grace, overdue and freeze, daily late fees up to the cap, buckets, charge-off at 180 days; each date books once")
    func ageingLifecycle() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            let credit = api.deps.services.credit
            // A product with a low cap so the cap is reached well before charge-off:
            // 0.05 % a day on 1,000.00 is 0.50 a day; the cap is 2 % of the overdue principal, 20.00.
            let (account, planID) = try await C.on("2026-01-15") {
                try await api.withClient { client in
                    let product = try await client.call(.post, "/v1/credit-products", key: api.operatorKey, json: """
                        {"code": "low-cap", "name": "Low cap", "late_fee_cap": "0.02",
                         "tenors": [{"tenor": 3, "pricing": "flat_monthly_fee", "monthly_rate": "0.006"}]}
                        """)
                    let productID = try product.decode(Schemas.CreditProduct.self).id
                    let account = try await C.openAccount(client, api, productID: productID, repaymentDay: 14)
                    let (_, plan) = try await C.purchase(client, api, account: account, order: "due", amount: "1000.00",
                                                         plan: "interest_free", tenor: nil)
                    return (account, plan)
                }
            }
            func state() async throws -> (status: String?, bucket: String?, dpd: Int?, lateFee: String?) {
                try await api.withClient { client in
                    let platform = client.typed(api.platformKey)
                    let acct = try await platform.getCreditAccountsById(path: .init(id: account)).ok.body.json
                    let plan = try await platform.getInstallmentPlansById(path: .init(id: planID)).ok.body.json
                    return (acct.status.rawValue, acct.bucket.rawValue, acct.daysPastDue, plan.installments.first?.lateFee.amount)
                }
            }
            // Due 2026-02-14. Inside the grace days: 1 day past due, no fee, still active.
            var report = try await credit.ageAccounts(businessDate: C.date("2026-02-15"))
            #expect(report.lateFeesCharged == 0)
            var s = try await state()
            #expect(s.status == "active")
            #expect(s.bucket == "dpd_1_30")
            #expect(s.dpd == 1)
            #expect(s.lateFee == "0.00")

            // Past grace: the fee runs from the due date (4 days = 2.00) and the account freezes.
            report = try await credit.ageAccounts(businessDate: C.date("2026-02-18"))
            #expect(report.lateFeeTotalMinorUnits == 200)
            #expect(report.accountsFrozen == 1)
            s = try await state()
            #expect(s.status == "frozen")
            #expect(s.lateFee == "2.00")
            try await C.on("2026-02-18") {
                try await api.withClient { client in
                    let attempt = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                        json: C.checkoutJSON(account: account, order: "blocked", amount: "1.00"))
                    let codes = try attempt.decode(Schemas.Checkout.self).reasons.map(\.code)
                    #expect(codes == ["account_frozen"])
                }
            }

            // The same date again books nothing.
            let entries = try await db.scalar(Int64.self, "SELECT count(*) FROM journal_entries")
            report = try await credit.ageAccounts(businessDate: C.date("2026-02-18"))
            #expect(report.accountsAged == 0)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM journal_entries") == entries)
            #expect(try await state().lateFee == "2.00")

            report = try await credit.ageAccounts(businessDate: C.date("2026-02-19"))
            #expect(report.lateFeeTotalMinorUnits == 50)
            // 45 days past due: 31-60 bucket; cumulative 22.50 would pass the 20.00 cap.
            report = try await credit.ageAccounts(businessDate: C.date("2026-03-31"))
            #expect(report.lateFeeTotalMinorUnits == 1_750)
            s = try await state()
            #expect(s.bucket == "dpd_31_60")
            #expect(s.lateFee == "20.00")
            _ = try await credit.ageAccounts(businessDate: C.date("2026-04-30"))
            s = try await state()
            #expect(s.bucket == "dpd_61_90")
            #expect(s.lateFee == "20.00")
            _ = try await credit.ageAccounts(businessDate: C.date("2026-06-01"))
            s = try await state()
            #expect(s.bucket == "dpd_90_plus")
            #expect(s.dpd == 107)
            try await C.expectAccountConsistent(db, account)

            // 179 days: not yet; 180 days (2026-08-13): the whole receivable is written off.
            report = try await credit.ageAccounts(businessDate: C.date("2026-08-12"))
            #expect(report.accountsChargedOff == 0)
            report = try await credit.ageAccounts(businessDate: C.date("2026-08-13"))
            #expect(report.accountsChargedOff == 1)
            s = try await state()
            #expect(s.status == "charged_off")
            let writeOff = try await db.client.withConnection {
                try await LedgerStore.balance(code: "credit.write_off.cny", asOf: nil, on: $0, logger: db.logger)
            }
            #expect(writeOff == 102_000)
            let receivable = try await db.client.withConnection {
                try await LedgerStore.balance(code: "credit.\(account).receivable", asOf: nil, on: $0, logger: db.logger)
            }
            #expect(receivable == 0)
            try await api.withClient { client in
                let platform = client.typed(api.platformKey)
                let plan = try await platform.getInstallmentPlansById(path: .init(id: planID)).ok.body.json
                #expect(plan.status == .chargedOff)
                let acct = try await platform.getCreditAccountsById(path: .init(id: account)).ok.body.json
                #expect(acct.available.amount == "0.00")
                #expect(acct.chargedOffOn == "2026-08-13")
            }
            // Charged off once, even if the date runs again.
            report = try await credit.ageAccounts(businessDate: C.date("2026-08-13"))
            #expect(report.accountsChargedOff == 0)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM journal_entries WHERE kind = 'credit.charge_off'") == 1)
            let audit = try await db.scalar(Int64.self, """
                SELECT count(*) FROM audit_events WHERE actor = 'system:credit-nightly' AND action = 'credit.account.charged_off'
                """)
            #expect(audit == 1)
            try await C.expectLedgerBalanced(db)
        }
    }

    @Test("the nightly run's credit steps expire stale holds and age accounts for its business date")
    func nightlyRun() async throws {
        try await withTestDatabase { db in
            let reports = FileManager.default.temporaryDirectory.appendingPathComponent("qz-credit-reports-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: reports) }
            let deps = APIDependencies(database: db, migrator: try repositoryMigrator(), calendar: .shanghai, reportDirectory: reports)
            let key = try await deps.services.access.createKey(role: .platform, supplierID: nil, label: "nightly")
            let app = Application(router: buildRouter(deps), logger: TestCluster.logger)
            let account = try await C.on("2026-01-15") {
                try await app.test(.router) { client in
                    let opened = try await client.call(.post, "/v1/credit-accounts", key: key, json: """
                        {"national_id": "\(C.nationalIDs[0])", "phone": "\(C.phone)", "features": \(C.goodFeatures),
                         "statement_day": 1, "repayment_day": 14}
                        """)
                    let account = try opened.decode(Schemas.CreditAccount.self).id
                    let auth = try await client.call(.post, "/v1/checkouts", key: key, json: C.checkoutJSON(
                        account: account, order: "n-1", amount: "100.00", plan: "interest_free", tenor: nil))
                    let id = try auth.decode(Schemas.Checkout.self).id
                    #expect(try await client.call(.post, "/v1/checkouts/\(id)/capture", key: key).status == .ok)
                    _ = try await client.call(.post, "/v1/checkouts", key: key,
                                              json: C.checkoutJSON(account: account, order: "n-2", amount: "50.00"))
                    return account
                }
            }
            #expect(deps.nightly.stepNames.contains("expire_credit_authorizations"))
            #expect(deps.nightly.stepNames.contains("age_credit_accounts"))
            _ = try await deps.nightly.run(date: C.date("2026-02-18"), triggeredBy: "test")
            let id = try #require(UUID(uuidString: account))
            #expect(try await db.scalar(String.self, "SELECT status FROM credit_checkouts WHERE order_ref = 'n-2'") == "expired")
            #expect(try await db.scalar(String.self, "SELECT status FROM credit_accounts WHERE id = \(id)") == "frozen")
            #expect(try await db.scalar(Int64.self, "SELECT late_fee FROM credit_installments WHERE credit_account_id = \(id)") == 20)
            try await C.expectAccountConsistent(db, account)
            try await C.expectLedgerBalanced(db)
        }
    }

    @Test("ageing walks accounts in batches and ages each account once per date")
    func batches() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            let credit = api.deps.services.credit
            let accounts = try await C.on("2026-05-01") {
                try await api.withClient { client in
                    var out: [String] = []
                    for n in 0..<5 {
                        let account = try await C.openAccount(client, api, nationalID: C.nationalIDs[n])
                        _ = try await C.purchase(client, api, account: account, order: "b-\(n)", amount: "100.00", tenor: 3)
                        _ = try await C.purchase(client, api, account: account, order: "c-\(n)", amount: "200.00",
                                                 plan: "interest_free", tenor: nil)
                        out.append(account)
                    }
                    return out
                }
            }
            // 2026-06-10: the first installment (06-01) and the interest-free bill (05-31) are overdue on each account.
            let report = try await credit.ageAccounts(businessDate: C.date("2026-06-10"), batchSize: 2)
            #expect(report.batches == 3)
            #expect(report.accountsAged == 5)
            #expect(report.installmentsAged == 10)
            #expect(report.accountsFrozen == 5)
            #expect(report.lateFeesCharged == 10)
            let again = try await credit.ageAccounts(businessDate: C.date("2026-06-10"), batchSize: 2)
            #expect(again.accountsAged == 0)
            for account in accounts { try await C.expectAccountConsistent(db, account) }
            try await C.expectLedgerBalanced(db)
        }
    }
}
