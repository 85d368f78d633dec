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

/// Issue 13: each observation reproduced against PostgreSQL through the API and the nightly ageing.
@Suite("Credit consumer rights on PostgreSQL (issue 13)")
struct CreditConsumerRightsTests {
    static func installments(_ client: some TestClientProtocol, _ api: TestAPI, plan: String) async throws -> [Schemas.Installment] {
        try await client.typed(api.platformKey).getInstallmentPlansById(path: .init(id: plan)).ok.body.json.installments
    }

    static func account(_ api: TestAPI, _ id: String) async throws -> Schemas.CreditAccount {
        try await api.withClient { try await $0.typed(api.platformKey).getCreditAccountsById(path: .init(id: id)).ok.body.json }
    }

    @Test("installments of 0.00 are settled at once: a tiny purchase neither freezes nor charges off the account (observation 1)")
    func zeroInstallmentsNeverAge() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            let credit = api.deps.services.credit
            let (six, twelve) = try await C.on("2026-01-15") {
                try await api.withClient { client in
                    let six = try await C.openAccount(client, api, nationalID: C.nationalIDs[0])
                    let twelve = try await C.openAccount(client, api, nationalID: C.nationalIDs[1])
                    let (_, sixPlan) = try await C.purchase(client, api, account: six, order: "tiny-6", amount: "0.03", tenor: 6)
                    _ = try await C.purchase(client, api, account: twelve, order: "tiny-12", amount: "0.03", tenor: 12)
                    let statuses = try await Self.installments(client, api, plan: sixPlan).map { ($0.status, $0.total.amount) }
                    #expect(statuses.filter { $0.1 == "0.00" }.allSatisfy { $0.0 == .paid })
                    #expect(statuses.filter { $0.1 != "0.00" }.allSatisfy { $0.0 == .open })
                    return (six, twelve)
                }
            }
            // First due date 2026-02-15; four days later, past the grace days.
            _ = try await credit.ageAccounts(businessDate: C.date("2026-02-19"))
            let acct = try await Self.account(api, six)
            #expect(acct.status == .active)
            #expect(acct.daysPastDue == 0)
            #expect(acct.bucket == .current)
            try await C.on("2026-02-19") {
                try await api.withClient { client in
                    let next = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                     json: C.checkoutJSON(account: six, order: "next", amount: "10.00"))
                    #expect(try next.decode(Schemas.Checkout.self).status == .authorized, "\(next.text)")
                }
            }
            // 182 days after the first due date: nothing was ever owed before month 12.
            _ = try await credit.ageAccounts(businessDate: C.date("2026-08-16"))
            let long = try await Self.account(api, twelve)
            #expect(long.status == .active)
            #expect(long.daysPastDue == 0)
            try await C.expectAccountConsistent(db, six)
            try await C.expectAccountConsistent(db, twelve)
            try await C.expectLedgerBalanced(db)
        }
    }

    @Test("paying bill 1's total ahead of its due date settles it: the account stays current after the nightly run (observation 2)")
    func billPaidOnTimeKeepsCurrent() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            let (account, planID) = try await C.on("2026-01-15") {
                try await api.withClient { client in
                    let account = try await C.openAccount(client, api)
                    let (_, plan) = try await C.purchase(client, api, account: account, order: "readme", amount: "1200.00", tenor: 6)
                    return (account, plan)
                }
            }
            try await C.on("2026-02-10") {
                try await api.withClient { client in
                    let paid = try await client.call(.post, "/v1/repayments", key: api.platformKey, json: """
                        {"plan_id": "\(planID)", "external_ref": "bill-1", "amount": {"amount": "207.20", "currency": "CNY"}}
                        """)
                    #expect(paid.status == .created, "\(paid.text)")
                    let first = try await Self.installments(client, api, plan: planID).first
                    #expect(first?.status == .paid)
                    #expect(first?.owed.amount == "0.00")
                }
            }
            _ = try await api.deps.services.credit.ageAccounts(businessDate: C.date("2026-02-19"))
            let acct = try await Self.account(api, account)
            #expect(acct.status == .active)
            #expect(acct.daysPastDue == 0)
            try await C.expectAccountConsistent(db, account)
            try await C.expectLedgerBalanced(db)
        }
    }

    @Test("paying everything without payoff is refused with the payoff quote; paying the quote waives future interest (observation 3)")
    func overpaymentIsNeverSilent() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await C.on("2026-01-15") {
                try await api.withClient { client in
                    let account = try await C.openAccount(client, api)
                    let (_, planID) = try await C.purchase(client, api, account: account, order: "big", amount: "12000.00", tenor: 24)
                    let everything = try await Self.installments(client, api, plan: planID).compactMap { Decimal(string: $0.total.amount) }
                        .reduce(Decimal(0), +)
                    #expect(everything == Decimal(string: "13557.18"))
                    let over = try await client.call(.post, "/v1/repayments", key: api.platformKey, json: """
                        {"plan_id": "\(planID)", "external_ref": "all", "amount": {"amount": "13557.18", "currency": "CNY"}}
                        """)
                    #expect(over.status == .unprocessableContent)
                    #expect(over.text.contains("payoff quote of 12000.00"), "\(over.text)")
                    #expect(over.text.contains("amount.amount"))
                    #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM credit_repayments") == 0)

                    let quote = try await client.typed(api.platformKey).getInstallmentPlansByIdPayoffQuote(path: .init(id: planID)).ok.body.json
                    #expect(quote.total.amount == "12000.00")
                    #expect(quote.waivedFees.amount == "1557.18")
                    let exact = try await client.call(.post, "/v1/repayments", key: api.platformKey, json: """
                        {"plan_id": "\(planID)", "external_ref": "quote", "amount": {"amount": "12000.00", "currency": "CNY"}}
                        """)
                    #expect(exact.status == .created, "\(exact.text)")
                    let repayment = try exact.decode(Schemas.Repayment.self)
                    #expect(repayment.feesPaid.amount == "0.00")
                    #expect(repayment.feesWaived.amount == "1557.18")
                    #expect(repayment.plan.status == .paidOff)
                    try await C.expectAccountConsistent(db, account)
                }
            }
            try await C.expectLedgerBalanced(db)
        }
    }

    @Test("a product that refuses prepayments answers 422 with the payoff quote and takes the payoff itself")
    func refusingProduct() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await C.on("2026-01-15") {
                try await api.withClient { client in
                    let product = try await client.call(.post, "/v1/credit-products", key: api.operatorKey, json: """
                        {"code": "no-prepay", "name": "No prepayments", "overpayment": "refuse"}
                        """)
                    let created = try product.decode(Schemas.CreditProduct.self)
                    #expect(created.overpayment == .refuse)
                    #expect(created.allocationStrategy == .dueDateOrder)
                    let account = try await C.openAccount(client, api, productID: created.id)
                    let (_, planID) = try await C.purchase(client, api, account: account, order: "np", amount: "300.00", tenor: 3)
                    // The next bill (100.00 + 1.80) may be paid early; 150.00 goes beyond it.
                    let bill = try await client.call(.post, "/v1/repayments", key: api.platformKey, json: """
                        {"plan_id": "\(planID)", "external_ref": "bill", "amount": {"amount": "101.80", "currency": "CNY"}}
                        """)
                    #expect(bill.status == .created, "\(bill.text)")
                    let early = try await client.call(.post, "/v1/repayments", key: api.platformKey, json: """
                        {"plan_id": "\(planID)", "external_ref": "early", "amount": {"amount": "150.00", "currency": "CNY"}}
                        """)
                    #expect(early.status == .unprocessableContent)
                    #expect(early.text.contains("payoff quote of 200.00"), "\(early.text)")
                    let payoff = try await client.call(.post, "/v1/repayments", key: api.platformKey, json: """
                        {"plan_id": "\(planID)", "external_ref": "payoff", "payoff": true,
                         "amount": {"amount": "200.00", "currency": "CNY"}}
                        """)
                    #expect(payoff.status == .created, "\(payoff.text)")
                    try await C.expectAccountConsistent(db, account)
                }
            }
            try await C.expectLedgerBalanced(db)
        }
    }

    @Test("a rate with more decimal places than stored is a 422 naming the field; what is echoed is what is stored (observation 5)")
    func ratesExact() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let refused = try await client.call(.post, "/v1/credit-products", key: api.operatorKey, json: """
                    {"code": "precise", "name": "Too precise",
                     "tenors": [{"tenor": 12, "pricing": "declining_balance", "monthly_rate": "0.012345675"}]}
                    """)
                #expect(refused.status == .unprocessableContent)
                #expect(refused.text.contains("tenors[0].monthly_rate"), "\(refused.text)")
                for (field, json) in [("daily_late_fee_rate", #""daily_late_fee_rate": "0.000512345""#),
                                      ("late_fee_cap", #""late_fee_cap": "0.250000001""#)] {
                    let bad = try await client.call(.post, "/v1/credit-products", key: api.operatorKey, json: """
                        {"code": "precise-2", "name": "Too precise", \(json)}
                        """)
                    #expect(bad.status == .unprocessableContent)
                    #expect(bad.text.contains(field), "\(bad.text)")
                }
                #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM credit_products WHERE code LIKE 'precise%'") == 0)
                let stored = try await client.call(.post, "/v1/credit-products", key: api.operatorKey, json: """
                    {"code": "precise", "name": "As stored",
                     "tenors": [{"tenor": 12, "pricing": "declining_balance", "monthly_rate": "0.01234568"}]}
                    """)
                #expect(stored.status == .created, "\(stored.text)")
                let tenors = try stored.decode(Schemas.CreditProduct.self).tenors
                #expect(tenors.first?.monthlyRate == "0.01234568")
            }
        }
    }

    @Test("products, checkout decisions, plans and payoff quotes show the APR, effective annual rate and total cost of credit")
    func annualRatesDisclosed() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await C.on("2026-01-15") {
                try await api.withClient { client in
                    let expected = try AnnualRateDisclosure.of(InstallmentSchedule.make(
                        principal: Money(minorUnits: 120_000, currency: .cny), purchaseDate: C.date("2026-01-15"),
                        plan: .installments(6), product: .standard, billingCycle: .productDefault))
                    let account = try await C.openAccount(client, api)
                    let platform = client.typed(api.platformKey)
                    let productID = try await platform.getCreditAccountsById(path: .init(id: account)).ok.body.json.productId
                    let terms = try await client.typed(api.operatorKey).getCreditProductsById(path: .init(id: productID)).ok.body.json
                    let sixRates = terms.tenors.first { $0.tenor == 6 }?.annualRates
                    #expect(sixRates?.apr == "\(try CreditProduct.standard.annualRates(tenor: 6).apr)", "\(terms)")
                    #expect(sixRates?.totalCostOfCredit.amount == "360.00")

                    let auth = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                     json: C.checkoutJSON(account: account, order: "apr", amount: "1200.00", tenor: 6))
                    let authorized = try auth.decode(Schemas.Checkout.self)
                    let authRates = authorized.annualRates
                    #expect(authRates?.apr == "\(expected.apr)", "\(auth.text)")
                    #expect(authRates?.effectiveAnnualRate == "\(expected.effectiveAnnualRate)")
                    #expect(authRates?.totalCostOfCredit.amount == "43.20")
                    let capture = try await client.call(.post, "/v1/checkouts/\(authorized.id)/capture", key: api.platformKey)
                    let planID = try #require(try capture.decode(Schemas.Checkout.self).planId)
                    let plan = try await platform.getInstallmentPlansById(path: .init(id: planID)).ok.body.json
                    #expect(plan.annualRates?.apr == "\(expected.apr)")
                    let quote = try await platform.getInstallmentPlansByIdPayoffQuote(path: .init(id: planID)).ok.body.json
                    #expect(quote.annualRates?.apr == "\(expected.apr)")
                }
            }
        }
    }

    @Test("an operator changes a limit with a reason code; a decrease never goes below outstanding and held; every change audited")
    func limitChanges() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await C.on("2026-01-15") {
                try await api.withClient { client in
                    let account = try await C.openAccount(client, api)
                    _ = try await C.purchase(client, api, account: account, order: "lim-1", amount: "1000.00", tenor: 3)
                    _ = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                              json: C.checkoutJSON(account: account, order: "lim-2", amount: "500.00"))
                    func change(_ limit: String, _ reason: String, key: String? = nil) async throws -> JSONResponse {
                        try await client.call(.post, "/v1/credit-accounts/\(account)/limit-changes", key: key ?? api.operatorKey, json: """
                            {"new_limit": {"amount": "\(limit)", "currency": "CNY"}, "reason_code": "\(reason)"}
                            """)
                    }
                    #expect(try await change("2000.00", "risk_reduction", key: api.platformKey).status == .forbidden)
                    let below = try await change("1499.99", "risk_reduction")
                    #expect(below.status == .unprocessableContent)
                    #expect(below.problemFields == ["new_limit.amount"], "\(below.text)")
                    #expect(below.text.contains("1500.00"))
                    #expect(try await change("2000.00", "whim").problemFields == ["reason_code"])
                    let down = try await change("1500.00", "risk_reduction")
                    #expect(down.status == .ok, "\(down.text)")
                    #expect(try down.decode(Schemas.CreditAccount.self).limit.amount == "1500.00", "\(down.text)")
                    #expect(try down.decode(Schemas.CreditAccount.self).available.amount == "0.00")
                    let up = try await change("60000.00", "score_review")
                    #expect(try up.decode(Schemas.CreditAccount.self).available.amount == "58500.00", "\(up.text)")
                    let audit = try await db.scalar(Int64.self, """
                        SELECT count(*) FROM audit_events WHERE object_id = \(account)
                          AND action IN ('credit.limit.increased', 'credit.limit.decreased') AND detail ? 'reason_code'
                        """)
                    #expect(audit == 2)
                    try await C.expectAccountConsistent(db, account)
                }
            }
        }
    }

    @Test("an account closes only when nothing is owed or held; a closed account declines checkouts; the closing is audited")
    func closing() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await C.on("2026-01-15") {
                try await api.withClient { client in
                    let account = try await C.openAccount(client, api)
                    let (_, planID) = try await C.purchase(client, api, account: account, order: "close-1", amount: "300.00", tenor: 3)
                    let busy = try await client.call(.post, "/v1/credit-accounts/\(account)/closure", key: api.platformKey)
                    #expect(busy.status == .conflict)
                    #expect(busy.text.contains("account_in_use"))
                    let paid = try await client.call(.post, "/v1/repayments", key: api.platformKey, json: """
                        {"plan_id": "\(planID)", "external_ref": "close-pay", "payoff": true, "amount": {"amount": "300.00", "currency": "CNY"}}
                        """)
                    #expect(paid.status == .created, "\(paid.text)")
                    let closed = try await client.call(.post, "/v1/credit-accounts/\(account)/closure", key: api.platformKey)
                    #expect(closed.status == .ok, "\(closed.text)")
                    #expect(try closed.decode(Schemas.CreditAccount.self).status == .closed)
                    let again = try await client.call(.post, "/v1/credit-accounts/\(account)/closure", key: api.platformKey)
                    #expect(again.status == .conflict)
                    let attempt = try await client.call(.post, "/v1/checkouts", key: api.platformKey,
                                                        json: C.checkoutJSON(account: account, order: "close-2", amount: "10.00"))
                    let codes = try attempt.decode(Schemas.Checkout.self).reasons.map(\.code)
                    #expect(codes.contains("account_closed"), "\(attempt.text)")
                    #expect(try await db.scalar(Int64.self, """
                        SELECT count(*) FROM audit_events WHERE object_id = \(account) AND action = 'credit.account.closed'
                        """) == 1)
                    try await C.expectAccountConsistent(db, account)
                }
            }
        }
    }

    @Test("cash recovered after a charge-off goes to its own income account, never beyond what was written off")
    func recoveries() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            let (account, other) = try await C.on("2026-01-15") {
                try await api.withClient { client in
                    let account = try await C.openAccount(client, api, repaymentDay: 14)
                    let other = try await C.openAccount(client, api, nationalID: C.nationalIDs[1])
                    _ = try await C.purchase(client, api, account: account, order: "rec-1", amount: "1000.00", plan: "interest_free",
                                             tenor: nil)
                    return (account, other)
                }
            }
            // Due 2026-02-14; 180 days later the receivable (1,000.00 + 0.05 % a day for 180 days, 90.00) is written off.
            let report = try await api.deps.services.credit.ageAccounts(businessDate: C.date("2026-08-13"))
            #expect(report.accountsChargedOff == 1)
            try await C.on("2026-09-01") {
                try await api.withClient { client in
                    func recover(_ id: String, _ ref: String, _ amount: String) async throws -> JSONResponse {
                        try await client.call(.post, "/v1/credit-accounts/\(id)/recoveries", key: api.platformKey, json: """
                            {"external_ref": "\(ref)", "amount": {"amount": "\(amount)", "currency": "CNY"}}
                            """)
                    }
                    let first = try await recover(account, "coll-1", "300.00")
                    #expect(first.status == .created, "\(first.text)")
                    #expect(try first.decode(Schemas.Recovery.self).writtenOff.amount == "1090.00")
                    #expect(try first.decode(Schemas.Recovery.self).recovered.amount == "300.00")
                    let over = try await recover(account, "coll-2", "790.01")
                    #expect(over.problemFields == ["amount.amount"], "\(over.text)")
                    #expect(over.text.contains("790.00"))
                    #expect(try await recover(account, "coll-1", "10.00").status == .conflict)
                    let active = try await recover(other, "coll-3", "1.00")
                    #expect(active.status == .conflict)
                    #expect(active.text.contains("not_charged_off"))
                }
            }
            let recovered = try await db.client.withConnection {
                try await LedgerStore.balance(code: "credit.recoveries.cny", asOf: nil, on: $0, logger: db.logger)
            }
            #expect(recovered == -30_000)
            let receivable = try await db.client.withConnection {
                try await LedgerStore.balance(code: "credit.\(account).receivable", asOf: nil, on: $0, logger: db.logger)
            }
            #expect(receivable == 0)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM audit_events WHERE action = 'credit.recovery.booked'") == 1)
            try await C.expectLedgerBalanced(db)
        }
    }

    @Test("the README states the standard product's tenors (observation 7)")
    func readmeTenors() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let tenors = CreditProduct.standard.allowedTenors.sorted().map(String.init)
        let phrase = tenors.dropLast().joined(separator: ", ") + " or " + (tenors.last ?? "") + " installments"
        #expect(readme.contains(phrase), "README should say \(phrase)")
        #expect(!readme.contains("3–24 installments"))
    }
}
