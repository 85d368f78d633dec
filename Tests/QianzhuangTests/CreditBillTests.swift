import Domain
import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import Persistence
import PostgresNIO
import PropertyBased
import QianzhuangClient
import Services
import Testing

private typealias C = CreditAPI

/// Issue 13: the monthly bill (账单), issued by the nightly run, read through the API and paid by naming it.
@Suite("Credit monthly bills on PostgreSQL (issue 13)")
struct CreditBillTests {
    static func errorFields(_ r: JSONResponse) -> [String] { r.problemFields }

    static func cents(_ text: String?) -> Int64 {
        guard let text, let d = Decimal(string: text) else { return -1 }
        return NSDecimalNumber(decimal: d * 100).int64Value
    }

    /// Two plans bought on 2026-01-10 on an account with the default days (statement 1st, repayment 10th): their
    /// first installments fall due on 2026-02-10, the repayment day of the bill of 2026-02-01.
    static func twoPlans(_ api: TestAPI, nationalID: String = C.nationalIDs[0]) async throws -> (account: String, p3: String, p6: String) {
        try await C.on("2026-01-10") {
            try await api.withClient { client in
                let account = try await C.openAccount(client, api, nationalID: nationalID)
                let (_, p3) = try await C.purchase(client, api, account: account, order: "o3-\(nationalID)", amount: "300.00", tenor: 3)
                let (_, p6) = try await C.purchase(client, api, account: account, order: "o6-\(nationalID)", amount: "600.00", tenor: 6)
                return (account, p3, p6)
            }
        }
    }

    @Test("the statement-day run issues one bill per account with every installment due in the cycle across plans; re-running issues nothing; no journal entry")
    func issuesOncePerCycle() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            let credit = api.deps.services.credit
            let (account, p3, p6) = try await Self.twoPlans(api)
            // An account with nothing owed gets no bill.
            _ = try await api.withClient { try await C.openAccount($0, api, nationalID: C.nationalIDs[1]) }
            // Not a statement day of anyone: nothing.
            #expect(try await credit.issueBills(businessDate: C.date("2026-01-31")).bills == 0)
            let entries = try await db.scalar(Int64.self, "SELECT count(*) FROM journal_entries")
            let first = try await credit.issueBills(businessDate: C.date("2026-02-01"))
            #expect(first.bills == 1)
            #expect(first.lines == 2)
            #expect(first.totalDueMinorUnits == 10_180 + 10_360)
            let again = try await credit.issueBills(businessDate: C.date("2026-02-01"))
            #expect(again == CreditBillIssuance())
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM credit_bills") == 1)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM journal_entries") == entries, "issuing a bill books nothing")

            try await C.on("2026-02-02") {
                try await api.withClient { client in
                    let list = try await client.call(.get, "/v1/credit-accounts/\(account)/bills", key: api.platformKey)
                    #expect(list.status == .ok, "\(list.text)")
                    let bills = try list.decode(Schemas.BillPage.self).data
                    #expect(bills.count == 1)
                    #expect(list.text.contains(#""next_cursor":"#))
                    let billID = try #require(bills.first?.id)
                    #expect(bills.first?.status == .open)
                    #expect(bills.first?.lines == nil && !list.text.contains(#""lines""#))

                    let bill = try await client.typed(api.operatorKey)
                        .getCreditAccountsByIdBillsByBillId(path: .init(id: account, billId: billID)).ok.body.json
                    #expect(bill.statementDate == "2026-02-01")
                    #expect(bill.dueDate == "2026-02-10")
                    #expect(bill.cycleStart == "2026-01-11")
                    #expect(bill.totalDue.amount == "205.40")
                    #expect(bill.totalDue.currency == "CNY")
                    #expect(bill.fees.amount == "5.40")
                    #expect(bill.outstanding.amount == "205.40")
                    let lines = bill.lines ?? []
                    #expect(Set(lines.map(\.planId)) == [p3, p6])
                    #expect(lines.allSatisfy { $0.dueDate == "2026-02-10" && $0.installmentNumber == 1 })
                    // The bill's total is the sum of its lines, and of its parts.
                    let sum = lines.reduce(Int64(0)) { $0 + Self.cents($1.total.amount) }
                    #expect(sum == Self.cents(bill.totalDue.amount))
                    #expect(Self.cents(bill.principal.amount) + Self.cents(bill.fees.amount) + Self.cents(bill.lateFees.amount) == sum)
                }
            }
            let sums = try await db.scalar(Int64.self, """
                SELECT count(*) FROM credit_bills b
                WHERE b.total_due <> (SELECT sum(principal + fee + late_fee) FROM credit_bill_lines l
                                      WHERE l.credit_account_id = b.credit_account_id AND l.bill_id = b.id)
                """)
            #expect(sums == 0)
            // The next cycle takes installment 2 of each plan, never installment 1 again.
            #expect(try await credit.issueBills(businessDate: C.date("2026-03-01")).lines == 2)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM credit_bill_lines WHERE number = 1") == 2)
            try await C.expectLedgerBalanced(db)
        }
    }

    @Test("paying a bill by naming it settles its lines across plans in due-date order and keeps the account current")
    func payingABill() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            let credit = api.deps.services.credit
            let (account, p3, _) = try await Self.twoPlans(api)
            let (other, _, _) = try await Self.twoPlans(api, nationalID: C.nationalIDs[2])
            _ = try await credit.issueBills(businessDate: C.date("2026-02-01"))
            let billOf: @Sendable (String) async throws -> String = { acct in
                try await api.withClient { client in
                    let list = try await client.typed(api.platformKey).getCreditAccountsByIdBills(path: .init(id: acct)).ok.body.json
                    return try #require(list.data.first?.id)
                }
            }
            let billID = try await billOf(account)
            let otherBill = try await billOf(other)
            func pay(_ json: String) async throws -> JSONResponse {
                try await C.on("2026-02-10") {
                    try await api.withClient { try await $0.call(.post, "/v1/repayments", key: api.platformKey, json: json) }
                }
            }
            // Someone else's bill with this account's plan: 422 naming bill_id; so is a bill that does not exist.
            let foreign = try await pay("""
                {"plan_id": "\(p3)", "bill_id": "\(otherBill)", "external_ref": "x-1", "amount": {"amount": "10.00", "currency": "CNY"}}
                """)
            #expect(foreign.status == .unprocessableContent)
            #expect(Self.errorFields(foreign) == ["bill_id"], "\(foreign.text)")
            let unknown = try await pay("""
                {"bill_id": "\(UUID().uuidString.lowercased())", "external_ref": "x-2", "amount": {"amount": "10.00", "currency": "CNY"}}
                """)
            #expect(unknown.status == .unprocessableContent)
            #expect(Self.errorFields(unknown) == ["bill_id"], "\(unknown.text)")
            // More than the bill owes is refused, not kept.
            let over = try await pay("""
                {"bill_id": "\(billID)", "external_ref": "x-3", "amount": {"amount": "205.41", "currency": "CNY"}}
                """)
            #expect(over.status == .unprocessableContent)
            #expect(Self.errorFields(over) == ["amount.amount"], "\(over.text)")
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM credit_repayments") == 0)

            let paid = try await pay("""
                {"bill_id": "\(billID)", "external_ref": "bill-feb", "amount": {"amount": "205.40", "currency": "CNY"}}
                """)
            #expect(paid.status == .created, "\(paid.text)")
            let repayment = try paid.decode(Schemas.BillRepayment.self)
            #expect(repayment.billId == billID)
            #expect(repayment.repayments.count == 2)
            let bill = repayment.bill
            #expect(bill.outstanding.amount == "0.00")
            #expect(bill.status == .paid)
            #expect(bill.lines?.isEmpty == false)
            #expect((bill.lines ?? []).allSatisfy { $0.owed.amount == "0.00" })
            // Installment 2 of each plan is untouched: the bill took only its own lines.
            #expect(try await db.scalar(Int64.self, """
                SELECT count(*) FROM credit_installments WHERE number = 2 AND principal_paid + fee_paid > 0
                """) == 0)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM credit_repayments WHERE bill_id IS NOT NULL") == 2)
            // The same external reference again is a conflict, not a second booking.
            let twice = try await pay("""
                {"bill_id": "\(billID)", "external_ref": "bill-feb", "amount": {"amount": "1.00", "currency": "CNY"}}
                """)
            #expect(twice.status == .conflict || twice.status == .unprocessableContent, "\(twice.text)")
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM credit_repayments WHERE bill_id IS NOT NULL") == 2)

            // Past the grace days of the paid installments the account is current.
            _ = try await credit.ageAccounts(businessDate: C.date("2026-02-16"))
            let acct = try await api.withClient { try await $0.typed(api.platformKey).getCreditAccountsById(path: .init(id: account)).ok.body.json }
            #expect(acct.status == .active)
            #expect(acct.daysPastDue == 0)
            // The unpaid account's bill is overdue.
            try await C.on("2026-02-16") {
                try await api.withClient { client in
                    let list = try await client.typed(api.platformKey).getCreditAccountsByIdBills(path: .init(id: other)).ok.body.json
                    #expect(list.data.first?.status == .overdue)
                }
            }
            try await C.expectAccountConsistent(db, account)
            try await C.expectAccountConsistent(db, other)
            try await C.expectLedgerBalanced(db)
        }
    }

    @Test("bills are cursor paged newest first; unknown accounts and other accounts' bills are 404; wrong role 403")
    func pagingAndAccess() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            let credit = api.deps.services.credit
            let (account, _, _) = try await Self.twoPlans(api)
            let (other, _, _) = try await Self.twoPlans(api, nationalID: C.nationalIDs[2])
            for date in ["2026-02-01", "2026-03-01", "2026-04-01"] { _ = try await credit.issueBills(businessDate: C.date(date)) }
            try await api.withClient { client in
                let platform = client.typed(api.platformKey)
                let first = try await platform.getCreditAccountsByIdBills(path: .init(id: account), query: .init(limit: 2)).ok.body.json
                #expect(first.data.map(\.statementDate) == ["2026-04-01", "2026-03-01"])
                let cursor = try #require(first.nextCursor)
                let second = try await client.call(.get, "/v1/credit-accounts/\(account)/bills?limit=2&cursor=\(cursor)", key: api.platformKey)
                let secondPage = try second.decode(Schemas.BillPage.self)
                #expect(secondPage.data.map(\.statementDate) == ["2026-02-01"])
                #expect(secondPage.nextCursor == nil && second.sendsNull("next_cursor"))
                let badCursor = try await client.call(.get, "/v1/credit-accounts/\(account)/bills?cursor=bm9wZQ", key: api.platformKey)
                #expect(badCursor.status == .unprocessableContent)
                #expect(Self.errorFields(badCursor) == ["cursor"])
                let badLimit = try await client.call(.get, "/v1/credit-accounts/\(account)/bills?limit=0", key: api.platformKey)
                #expect(Self.errorFields(badLimit) == ["limit"])

                let mine = try #require(first.data.first?.id)
                let elsewhere = try await client.call(.get, "/v1/credit-accounts/\(other)/bills/\(mine)", key: api.platformKey)
                #expect(elsewhere.status == .notFound)
                let nobody = try await client.call(.get, "/v1/credit-accounts/\(UUID().uuidString.lowercased())/bills", key: api.platformKey)
                #expect(nobody.status == .notFound)
                let insurer = try await client.call(.get, "/v1/credit-accounts/\(account)/bills", key: api.insurerKey)
                #expect(insurer.status == .forbidden)
                let anonymous = try await client.call(.get, "/v1/credit-accounts/\(account)/bills/\(mine)", key: nil)
                #expect(anonymous.status == .unauthorized)
            }
        }
    }

    @Test("an account's statement and repayment days override the product's, 1 to 28 with a 422 naming the field")
    func billingDaysOverride() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            let credit = api.deps.services.credit
            let (account, _, _) = try await Self.twoPlans(api)
            try await api.withClient { client in
                let defaults = try await client.typed(api.platformKey).getCreditAccountsByIdBillingDays(path: .init(id: account)).ok.body.json
                #expect(defaults.statementDay == 1)
                #expect(defaults.repaymentDay == 10)
                for (json, field) in [(#"{"statement_day": 29, "repayment_day": 10}"#, "statement_day"),
                                      (#"{"statement_day": 5, "repayment_day": 0}"#, "repayment_day")] {
                    let bad = try await client.call(.put, "/v1/credit-accounts/\(account)/billing-days", key: api.platformKey, json: json)
                    #expect(bad.status == .unprocessableContent)
                    #expect(Self.errorFields(bad) == [field], "\(bad.text)")
                }
                let set = try await client.call(.put, "/v1/credit-accounts/\(account)/billing-days", key: api.platformKey,
                                                json: #"{"statement_day": 20, "repayment_day": 5}"#)
                #expect(set.status == .ok, "\(set.text)")
                #expect(try set.decode(Schemas.BillingDays.self).statementDay == 20)
            }
            // The product's statement day no longer issues this account's bill; its own does.
            #expect(try await credit.issueBills(businessDate: C.date("2026-02-01")).bills == 0)
            let issued = try await credit.issueBills(businessDate: C.date("2026-02-20"))
            #expect(issued.bills == 1)
            #expect(try await db.scalar(String.self, "SELECT due_date::text FROM credit_bills") == "2026-03-05")
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM audit_events WHERE action = 'credit.billing_days.changed'") == 1)
        }
    }

    @Test("the nightly run has the bill step after ageing")
    func nightlyStep() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            let names = api.deps.nightly.stepNames
            let age = try #require(names.firstIndex(of: "age_credit_accounts"))
            let bills = try #require(names.firstIndex(of: "issue_credit_bills"))
            #expect(age < bills)
        }
    }
}

extension CreditBillTests {
    @Test("a product names its accounts' bill days and an account may name its own when opened; 1 to 28, a 422 naming the field")
    func productAndOpeningDays() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                for (json, field) in [(#""statement_day": 29"#, "statement_day"), (#""repayment_day": 0"#, "repayment_day")] {
                    let bad = try await client.call(.post, "/v1/credit-products", key: api.operatorKey,
                                                    json: #"{"code": "bad-days", "name": "Bad days", \#(json)}"#)
                    #expect(bad.status == .unprocessableContent)
                    #expect(Self.errorFields(bad) == [field], "\(bad.text)")
                }
                let created = try await client.call(.post, "/v1/credit-products", key: api.operatorKey,
                                                    json: #"{"code": "mid-month", "name": "Mid-month bills", "statement_day": 15, "repayment_day": 25}"#)
                #expect(created.status == .created, "\(created.text)")
                let product = try created.decode(Schemas.CreditProduct.self)
                #expect(product.statementDay == 15)
                #expect(product.repaymentDay == 25)
                let productID = product.id
                let platform = client.typed(api.platformKey)
                let read = try await platform.getCreditProductsById(path: .init(id: productID)).ok.body.json
                #expect(read.repaymentDay == 25)
                let standard = try await platform.getCreditProductsById(path: .init(id: "00000000-0000-4000-8000-000000000001")).ok.body.json
                #expect(standard.statementDay == 1)
                #expect(standard.repaymentDay == 10)

                let plain = try await C.openAccount(client, api, nationalID: C.nationalIDs[3], productID: productID)
                let days = try await platform.getCreditAccountsByIdBillingDays(path: .init(id: plain)).ok.body.json
                #expect(days.statementDay == 15)
                #expect(days.repaymentDay == 25)

                func open(_ nationalID: String, _ extra: String) async throws -> JSONResponse {
                    try await client.call(.post, "/v1/credit-accounts", key: api.platformKey, json: """
                        {"national_id": "\(nationalID)", "phone": "\(C.phone)", "features": \(C.goodFeatures),
                         "product_id": "\(productID)", \(extra)}
                        """)
                }
                let badOpen = try await open(C.nationalIDs[4], #""repayment_day": 31"#)
                #expect(badOpen.status == .unprocessableContent)
                #expect(Self.errorFields(badOpen) == ["repayment_day"], "\(badOpen.text)")
                let own = try await open(C.nationalIDs[4], #""statement_day": 5"#)
                #expect(own.status == .created, "\(own.text)")
                let ownID = try own.decode(Schemas.CreditAccount.self).id
                let ownDays = try await platform.getCreditAccountsByIdBillingDays(path: .init(id: ownID)).ok.body.json
                #expect(ownDays.statementDay == 5)
                #expect(ownDays.repaymentDay == 25)
            }
        }
    }
}

extension CreditBillTests {
    @Test("paying each bill's total on its due date leaves nothing of it open and keeps the account current for the plans' whole life",
          arguments: [UInt64(1), 2, 3, 4])
    func payingEveryBillKeepsCurrent(seed: UInt64) async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            let credit = api.deps.services.credit
            var rng = Xoshiro(seed: (seed, 0x9E37_79B9_7F4A_7C15, seed &* 31, 0x2545_F491_4F6C_DD1D))  // a fixed sequence per seed
            // Purchases on any day of the month (before, on and after the repayment day, the 10th; the statement
            // day is the 1st): installments fall due on the repayment days of the bills after the purchase.
            var purchases: [(date: String, amount: String, tenor: Int)] = []
            for month in ["2026-01", "2026-02", "2026-03"] {
                for _ in 0..<Int.random(in: 0...3, using: &rng) {
                    let tiny = Bool.random(using: &rng)
                    let minor = tiny ? Int64.random(in: 1...10, using: &rng) : Int64.random(in: 10_000...800_000, using: &rng)
                    let day = [3, 10, 17, 28, 31].randomElement(using: &rng) ?? 10
                    let date = BusinessDate("\(month)-\(day < 10 ? "0" : "")\(day)") ?? C.date("\(month)-28")
                    purchases.append((date.description, Money(minorUnits: minor, currency: .cny).decimalString,
                                      [3, 6, 12, 24].randomElement(using: &rng) ?? 3))
                }
            }
            if purchases.isEmpty { purchases.append(("2026-01-10", "1200.00", 6)) }
            let account = try await api.withClient { try await C.openAccount($0, api) }
            var orders = 0
            var paidBills = 0
            var month = C.date("2026-01-01")
            while month < C.date("2028-06-01") {
                let statement = month
                let due = month.adding(days: 9)
                _ = try await credit.ageAccounts(businessDate: statement)
                _ = try await credit.issueBills(businessDate: statement)
                // On the due date: pay every bill still owed, its total, naming it; then that day's purchases.
                // Bought between the statement and the due date: on the next bill, nothing owed now.
                for (index, p) in purchases.enumerated() where p.date > statement.description && p.date < due.description {
                    try await C.on(p.date) {
                        try await api.withClient { client in
                            _ = try await C.purchase(client, api, account: account, order: "s\(seed)-early-\(index)", amount: p.amount, tenor: p.tenor)
                        }
                    }
                }
                let todays = purchases.filter { $0.date == due.description }
                let names = todays.indices.map { "s\(seed)-\(orders + $0 + 1)" }
                orders += todays.count
                paidBills += try await C.on(due.description) {
                    try await api.withClient { client in
                        var paidNow = 0
                        let list = try await client.typed(api.platformKey)
                            .getCreditAccountsByIdBills(path: .init(id: account), query: .init(limit: 500)).ok.body.json
                        for bill in list.data {
                            let id = bill.id, owed = bill.outstanding.amount
                            guard owed != "0.00" else { continue }
                            #expect(bill.dueDate == due.description)
                            #expect(bill.totalDue.amount == owed, "nothing was paid on the bill before its due date")
                            let paid = try await client.call(.post, "/v1/repayments", key: api.platformKey, json: """
                                {"bill_id": "\(id)", "external_ref": "bill-\(id)", "amount": {"amount": "\(owed)", "currency": "CNY"}}
                                """)
                            #expect(paid.status == .created, "\(paid.text)")
                            #expect(try paid.decode(Schemas.BillRepayment.self).bill.outstanding.amount == "0.00")
                            paidNow += 1
                        }
                        for (p, name) in zip(todays, names) {
                            _ = try await C.purchase(client, api, account: account, order: name, amount: p.amount, tenor: p.tenor)
                        }
                        return paidNow
                    }
                }
                // Past the grace days: current, nothing of any bill open.
                let check = due.adding(days: 5)
                _ = try await credit.ageAccounts(businessDate: check)
                let acct = try await api.withClient { try await $0.typed(api.platformKey).getCreditAccountsById(path: .init(id: account)).ok.body.json }
                #expect(acct.status == .active, "\(check)")
                #expect(acct.daysPastDue == 0, "\(check)")
                #expect(try await db.scalar(Int64.self, """
                    SELECT count(*) FROM credit_bill_lines l JOIN credit_installments i
                      ON i.credit_account_id = l.credit_account_id AND i.plan_id = l.plan_id AND i.number = l.number
                    WHERE i.status = 'open' AND l.due_date <= \(check.description)::date
                    """) == 0, "\(check)")
                // Bought after the due date, before the next statement: on the next bill.
                let nextStatement = month.adding(months: 1)
                for (index, p) in purchases.enumerated() where p.date > due.description && p.date < nextStatement.description {
                    try await C.on(p.date) {
                        try await api.withClient { client in
                            _ = try await C.purchase(client, api, account: account, order: "s\(seed)-late-\(index)", amount: p.amount, tenor: p.tenor)
                        }
                    }
                }
                month = month.adding(months: 1)
            }
            #expect(paidBills > 0)
            // Everything bought was billed and paid.
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM credit_installments WHERE status = 'open'") == 0)
            try await C.expectAccountConsistent(db, account)
            try await C.expectLedgerBalanced(db)
        }
    }
}
