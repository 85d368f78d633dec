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

@Suite("Credit plans, repayments and refunds over HTTP on PostgreSQL")
struct CreditPlanTests {
    struct OracleRow: Decodable {
        let number: Int
        let principal: Int64
        let interest: Int64
    }

    struct OracleSchedule: Decodable {
        let payment: Int64
        let installments: [OracleRow]
    }

    /// Tests/Oracles/credit_annuity_oracle.py: numpy_financial.pmt + Python decimal, carried rounded balance.
    static func oracle(principal: Int64, rate: String, periods: Int) throws -> OracleSchedule {
        let script = TestCluster.packageRoot.appendingPathComponent("Tests/Oracles/credit_annuity_oracle.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, String(principal), rate, String(periods)]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure("oracle exited \(process.terminationStatus): \(stderr) (CI runs `pip install numpy-financial`)")
        }
        return try JSONDecoder().decode(OracleSchedule.self, from: stdout)
    }

    static func minor(_ text: String?) -> Int64? {
        guard let text, let value = Decimal(string: text) else { return nil }
        return Int64((value * 100).description)
    }

    @Test("declining-balance schedules captured into PostgreSQL equal the numpy-financial oracle to the cent")
    func decliningBalanceAgainstOracle() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let created = try await client.call(.post, "/v1/credit-products", key: api.operatorKey, json: """
                    {"code": "oracle", "name": "Oracle check", "tenors": [
                      {"tenor": 3, "pricing": "declining_balance", "monthly_rate": "0.0075"},
                      {"tenor": 6, "pricing": "declining_balance", "monthly_rate": "0.0125"},
                      {"tenor": 12, "pricing": "declining_balance", "monthly_rate": "0.0099"},
                      {"tenor": 24, "pricing": "declining_balance", "monthly_rate": "0.01"},
                      {"tenor": 36, "pricing": "declining_balance", "monthly_rate": "0.015"}]}
                    """)
                let product = try created.decode(Schemas.CreditProduct.self).id
                let account = try await C.openAccount(client, api, productID: product)
                let cases: [(String, Int, String)] = [
                    ("999.99", 3, "0.0075"), ("12345.67", 6, "0.0125"), ("10000.00", 12, "0.0099"),
                    ("4999.99", 24, "0.01"), ("8888.88", 36, "0.015"), ("0.09", 6, "0.0125"),
                ]
                for (n, (amount, tenor, rate)) in cases.enumerated() {
                    let (_, planID) = try await C.purchase(client, api, account: account, order: "oracle-\(n)", amount: amount, tenor: tenor)
                    let platform = client.typed(api.platformKey)
                    let rows = try await platform.getInstallmentPlansById(path: .init(id: planID)).ok.body.json.installments
                    let expected = try Self.oracle(principal: try #require(Self.minor(amount)), rate: rate, periods: tenor)
                    #expect(rows.count == expected.installments.count)
                    for (row, want) in zip(rows, expected.installments) {
                        #expect(Self.minor(row.principal.amount) == want.principal, "\(amount)/\(tenor) #\(want.number) principal")
                        #expect(Self.minor(row.fee.amount) == want.interest, "\(amount)/\(tenor) #\(want.number) interest")
                    }
                    let principalSum = rows.compactMap { Self.minor($0.principal.amount) }.reduce(0, +)
                    #expect(principalSum == Self.minor(amount))
                    // Pay off (the payoff quote: future interest is never collected) to keep the limit free for the next case.
                    let total = try await platform.getInstallmentPlansByIdPayoffQuote(path: .init(id: planID)).ok.body.json.total.amount
                    let paid = try await client.call(.post, "/v1/repayments", key: api.platformKey, json: """
                        {"plan_id": "\(planID)", "external_ref": "pay-\(n)", "amount": {"amount": "\(total)", "currency": "CNY"}}
                        """)
                    #expect(paid.status == .created, "\(paid.text)")
                    #expect(try paid.decode(Schemas.Repayment.self).plan.status == .paidOff)
                }
                try await C.expectAccountConsistent(db, account)
                try await C.expectLedgerBalanced(db)
            }
        }
    }

    @Test("flat-fee schedules sum exactly and fall due monthly with the month-end rule")
    func flatFeeSchedule() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await C.on("2026-01-31") {
                try await api.withClient { client in
                    let account = try await C.openAccount(client, api)
                    for (n, (amount, tenor)) in [("1000.01", 3), ("0.05", 6), ("33333.33", 12)].enumerated() {
                        let (_, planID) = try await C.purchase(client, api, account: account, order: "flat-\(n)", amount: amount, tenor: tenor)
                        let rows = try await client.typed(api.platformKey).getInstallmentPlansById(path: .init(id: planID)).ok.body.json.installments
                        let principals = rows.compactMap { Self.minor($0.principal.amount) }
                        let fees = rows.compactMap { Self.minor($0.fee.amount) }
                        #expect(principals.reduce(0, +) == Self.minor(amount))
                        // Equal parts, the remainder in the last.
                        #expect(Set(principals.dropLast()).count <= 1)
                        #expect((principals.last ?? 0) >= (principals.first ?? 0))
                        let principal = try #require(Self.minor(amount))
                        let fee = (Decimal(principal) * Decimal(string: "0.006")!).rounded(scale: 0, .halfEven)
                        #expect(fees.allSatisfy { Decimal($0) == fee })
                        let dues = rows.map(\.dueDate)
                        // On the account's repayment day (the 10th by default), from the bill after the purchase; the
                        // month-end rule of pure schedules (no billing cycle) is covered by CreditScheduleTests.
                        #expect(Array(dues.prefix(3)) == ["2026-02-10", "2026-03-10", "2026-04-10"])
                    }
                    let first = try await client.call(.get, "/v1/installment-plans/\(UUID())", key: api.platformKey)
                    #expect(first.status == .notFound)
                }
            }
            try await C.expectLedgerBalanced(db)
        }
    }

    @Test("repayments settle bills in due-date order (the due bill, then the next one in full, then prepay), unfreeze, and pay off without future fees")
    func waterfallAndPayoff() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            let credit = api.deps.services.credit
            let (account, planID) = try await C.on("2026-01-31") {
                try await api.withClient { client in
                    let account = try await C.openAccount(client, api, repaymentDay: 28)   // due 02-28, 03-28, 04-28
                    let (_, plan) = try await C.purchase(client, api, account: account, order: "wf", amount: "3000.00", tenor: 3)
                    return (account, plan)
                }
            }
            // Due 2026-02-28; overdue after 3 grace days; on 03-10 ten days' late fee: 0.05 % × 1000.00 × 10 = 5.00.
            let report = try await credit.ageAccounts(businessDate: C.date("2026-03-10"))
            #expect(report.lateFeesCharged == 1)
            #expect(report.lateFeeTotalMinorUnits == 500)
            #expect(report.accountsFrozen == 1)
            try await C.on("2026-03-10") {
                try await api.withClient { client in
                    let platform = client.typed(api.platformKey)
                    let frozen = try await platform.getCreditAccountsById(path: .init(id: account)).ok.body.json
                    #expect(frozen.status == .frozen)
                    #expect(frozen.bucket == .dpd130)
                    #expect(frozen.daysPastDue == 10)

                    let tooMuch = try await client.call(.post, "/v1/repayments", key: api.platformKey, json: """
                        {"plan_id": "\(planID)", "external_ref": "big", "amount": {"amount": "3059.01", "currency": "CNY"}}
                        """)
                    #expect(tooMuch.status == .unprocessableContent)

                    let paid = try await client.call(.post, "/v1/repayments", key: api.platformKey, json: """
                        {"plan_id": "\(planID)", "external_ref": "bank-1", "amount": {"amount": "1100.00", "currency": "CNY"}}
                        """, headers: ["Idempotency-Key": "r1"])
                    #expect(paid.status == .created, "\(paid.text)")
                    let repayment = try paid.decode(Schemas.Repayment.self)
                    #expect(repayment.lateFeesPaid.amount == "5.00")
                    // Bill 1 (1,023.00 with its late fee) in full, then bill 2's fee and 59.00 of its principal.
                    #expect(repayment.feesPaid.amount == "36.00")
                    #expect(repayment.principalPaid.amount == "1059.00")
                    #expect(repayment.principalPrepaid.amount == "59.00")
                    let rows = repayment.plan.installments
                    #expect(rows.map(\.status) == [.paid, .open, .open])
                    #expect(rows[1].principalPaid.amount == "59.00")
                    let replay = try await client.call(.post, "/v1/repayments", key: api.platformKey, json: """
                        {"plan_id": "\(planID)", "external_ref": "bank-1", "amount": {"amount": "1100.00", "currency": "CNY"}}
                        """, headers: ["Idempotency-Key": "r1"])
                    #expect(try replay.decode(Schemas.Repayment.self).id == repayment.id)
                    let duplicate = try await client.call(.post, "/v1/repayments", key: api.platformKey, json: """
                        {"plan_id": "\(planID)", "external_ref": "bank-1", "amount": {"amount": "1100.00", "currency": "CNY"}}
                        """)
                    #expect(duplicate.status == .conflict)

                    let thawed = try await platform.getCreditAccountsById(path: .init(id: account)).ok.body.json
                    #expect(thawed.status == .active)
                    #expect(thawed.bucket == .current)
                    #expect(thawed.outstanding.amount == "1941.00")

                    let quote = try await platform.getInstallmentPlansByIdPayoffQuote(path: .init(id: planID), query: .init(asOf: "2026-03-10"))
                        .ok.body.json
                    #expect(quote.total.amount == "1941.00")
                    #expect(quote.waivedFees.amount == "18.00")
                    let past = try await client.call(.get, "/v1/installment-plans/\(planID)/payoff-quote?as_of=2026-03-09",
                                                     key: api.platformKey)
                    #expect(past.problemFields == ["as_of"])
                    let wrong = try await client.call(.post, "/v1/repayments", key: api.platformKey, json: """
                        {"plan_id": "\(planID)", "external_ref": "payoff-x", "amount": {"amount": "1900.00", "currency": "CNY"}, "payoff": true}
                        """)
                    #expect(wrong.problemFields == ["amount.amount"])
                    let payoff = try await client.call(.post, "/v1/repayments", key: api.platformKey, json: """
                        {"plan_id": "\(planID)", "external_ref": "payoff-1", "amount": {"amount": "1941.00", "currency": "CNY"}, "payoff": true}
                        """)
                    #expect(payoff.status == .created, "\(payoff.text)")
                    #expect(try payoff.decode(Schemas.Repayment.self).feesWaived.amount == "18.00")
                    let plan = try payoff.decode(Schemas.Repayment.self).plan
                    #expect(plan.status == .paidOff)
                    #expect(plan.totalOwed.amount == "0.00")
                    let nothing = try await client.call(.post, "/v1/repayments", key: api.platformKey, json: """
                        {"plan_id": "\(planID)", "external_ref": "late", "amount": {"amount": "1.00", "currency": "CNY"}}
                        """)
                    #expect(nothing.status == .conflict)
                }
            }
            try await C.expectAccountConsistent(db, account)
            try await C.expectLedgerBalanced(db)
            let fees = try await db.client.withConnection {
                try await LedgerStore.balance(code: "credit.fee_income.cny", asOf: nil, on: $0, logger: db.logger)
            }
            let lateFees = try await db.client.withConnection {
                try await LedgerStore.balance(code: "credit.late_fee_income.cny", asOf: nil, on: $0, logger: db.logger)
            }
            #expect(fees == -3_600)
            #expect(lateFees == -500)
        }
    }

    @Test("a full refund cancels the plan and restores the limit; a partial refund re-spreads the schedule")
    func refunds() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await C.on("2026-04-10") {
                try await api.withClient { client in
                    let account = try await C.openAccount(client, api, features: C.thinFeatures)
                    _ = try await C.purchase(client, api, account: account, order: "full", amount: "600.00", tenor: 6)
                    let full = try await client.call(.post, "/v1/refunds", key: api.platformKey, json: """
                        {"order_ref": "full", "external_ref": "rf-1", "amount": {"amount": "600.00", "currency": "CNY"}}
                        """)
                    #expect(full.status == .created, "\(full.text)")
                    let fullRefund = try full.decode(Schemas.Refund.self)
                    #expect(fullRefund.outcome == .cancelled)
                    #expect(fullRefund.principalCleared.amount == "600.00")
                    #expect(fullRefund.feesWaived.amount == "21.60")
                    #expect(fullRefund.returnedToConsumer.amount == "0.00")
                    #expect(fullRefund.plan.status == .cancelled)
                    let platform = client.typed(api.platformKey)
                    let restored = try await platform.getCreditAccountsById(path: .init(id: account)).ok.body.json
                    #expect(restored.available.amount == "3000.00")
                    let again = try await client.call(.post, "/v1/refunds", key: api.platformKey, json: """
                        {"order_ref": "full", "external_ref": "rf-2", "amount": {"amount": "1.00", "currency": "CNY"}}
                        """)
                    #expect(again.problemFields == ["amount.amount"])
                    let sameRef = try await client.call(.post, "/v1/refunds", key: api.platformKey, json: """
                        {"order_ref": "full", "external_ref": "rf-1", "amount": {"amount": "600.00", "currency": "CNY"}}
                        """)
                    #expect(sameRef.status == .conflict)

                    _ = try await C.purchase(client, api, account: account, order: "part", amount: "1200.00", tenor: 3)
                    let partial = try await client.call(.post, "/v1/refunds", key: api.platformKey, json: """
                        {"order_ref": "part", "external_ref": "rf-3", "amount": {"amount": "300.00", "currency": "CNY"}}
                        """)
                    let partialRefund = try partial.decode(Schemas.Refund.self)
                    #expect(partialRefund.outcome == .reamortized, "\(partial.text)")
                    let rows = partialRefund.plan.installments
                    #expect(rows.map(\.principal.amount) == ["300.00", "300.00", "300.00"])
                    #expect(rows.map(\.fee.amount) == ["5.40", "5.40", "5.40"])
                    #expect(partialRefund.plan.feeBase.amount == "900.00")
                    let after = try await platform.getCreditAccountsById(path: .init(id: account)).ok.body.json
                    #expect(after.outstanding.amount == "900.00")

                    // Interest-free, part repaid, then refunded in full: the excess goes back to the consumer.
                    let (_, planID) = try await C.purchase(client, api, account: account, order: "if", amount: "500.00",
                                                           plan: "interest_free", tenor: nil)
                    _ = try await client.call(.post, "/v1/repayments", key: api.platformKey, json: """
                        {"plan_id": "\(planID)", "external_ref": "if-pay", "amount": {"amount": "200.00", "currency": "CNY"}}
                        """)
                    let back = try await client.call(.post, "/v1/refunds", key: api.platformKey, json: """
                        {"order_ref": "if", "external_ref": "rf-4", "amount": {"amount": "500.00", "currency": "CNY"}}
                        """)
                    let backRefund = try back.decode(Schemas.Refund.self)
                    #expect(backRefund.outcome == .cancelled)
                    #expect(backRefund.principalCleared.amount == "300.00")
                    #expect(backRefund.returnedToConsumer.amount == "200.00")
                    let unknown = try await client.call(.post, "/v1/refunds", key: api.platformKey, json: """
                        {"order_ref": "nope", "external_ref": "rf-5", "amount": {"amount": "1.00", "currency": "CNY"}}
                        """)
                    #expect(unknown.status == .notFound)
                    try await C.expectAccountConsistent(db, account)
                }
            }
            try await C.expectLedgerBalanced(db)
        }
    }

    @Test("an interest-free purchase falls due on the repayment day of the bill that follows it (issue 13)")
    func interestFreeDueOnNextBill() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            for (index, (day, due)) in [("2026-01-15", "2026-02-10"), ("2026-01-31", "2026-02-10"), ("2026-02-02", "2026-03-10"),
                                        ("2026-12-20", "2027-01-10")].enumerated() {
                try await C.on(day) {
                    try await api.withClient { client in
                        // A fresh account each time (statement day 1st, due the 10th: the product's defaults).
                        let account = try await C.openAccount(client, api, nationalID: C.nationalIDs[index])
                        let (_, plan) = try await C.purchase(client, api, account: account, order: "if-\(day)", amount: "10.00",
                                                             plan: "interest_free", tenor: nil)
                        let rows = try await client.typed(api.platformKey).getInstallmentPlansById(path: .init(id: plan)).ok.body.json.installments
                        #expect(rows.first?.dueDate == due, "bought \(day)")
                    }
                }
            }
        }
    }

    @Test("an interest-free purchase converts to installments before its due date, not after")
    func conversion() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            let (account, planID, lateID) = try await C.on("2026-01-10") {
                try await api.withClient { client in
                    let account = try await C.openAccount(client, api, repaymentDay: 9)
                    let (_, plan) = try await C.purchase(client, api, account: account, order: "if-1", amount: "1200.00",
                                                         plan: "interest_free", tenor: nil)
                    let (_, late) = try await C.purchase(client, api, account: account, order: "if-2", amount: "100.00",
                                                         plan: "interest_free", tenor: nil)
                    let rows = try await client.typed(api.platformKey).getInstallmentPlansById(path: .init(id: plan)).ok.body.json.installments
                    #expect(rows.first?.dueDate == "2026-02-09")
                    #expect(rows.first?.fee.amount == "0.00")
                    return (account, plan, late)
                }
            }
            try await C.on("2026-01-20") {
                try await api.withClient { client in
                    let bad = try await client.call(.post, "/v1/installment-plans/\(planID)/conversions", key: api.platformKey,
                                                    json: #"{"tenor": 5}"#)
                    #expect(bad.problemFields == ["tenor"])
                    let converted = try await client.call(.post, "/v1/installment-plans/\(planID)/conversions", key: api.platformKey,
                                                          json: #"{"tenor": 6}"#)
                    #expect(converted.status == .created, "\(converted.text)")
                    let convertedPlan = try converted.decode(Schemas.InstallmentPlan.self)
                    #expect(convertedPlan.convertedFrom == planID)
                    let rows = convertedPlan.installments
                    #expect(rows.count == 6)
                    #expect(rows.first?.dueDate == "2026-02-09")
                    #expect(rows.map(\.fee.amount).allSatisfy { $0 == "7.20" })
                    let old = try await client.typed(api.platformKey).getInstallmentPlansById(path: .init(id: planID)).ok.body.json
                    #expect(old.status == .converted)
                    let twice = try await client.call(.post, "/v1/installment-plans/\(planID)/conversions", key: api.platformKey,
                                                      json: #"{"tenor": 6}"#)
                    #expect(twice.status == .conflict)
                }
            }
            try await C.on("2026-02-09") {
                try await api.withClient { client in
                    let closed = try await client.call(.post, "/v1/installment-plans/\(lateID)/conversions", key: api.platformKey,
                                                       json: #"{"tenor": 3}"#)
                    #expect(closed.status == .conflict)
                    #expect(closed.problemType == "https://qianzhuang.dev/problems/conversion_window_closed")
                }
            }
            try await C.expectAccountConsistent(db, account)
            try await C.expectLedgerBalanced(db)
        }
    }
}
