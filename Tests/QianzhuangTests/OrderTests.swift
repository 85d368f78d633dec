import Domain
import Foundation
import HummingbirdTesting
import Persistence
import QianzhuangClient
import Services
import Testing

@Suite("One order across credit, financing and insurance")
struct OrderTests {
    typealias C = CreditAPI

    /// Buys `order` on 3-installment credit, records the seller's receivable for it (financed when
    /// asked), and insures its return shipping. Returns the receivable id.
    static func sell(_ w: FinancingWorld, supplier: String, supplierKey: String, account: String?, order: String, amount: String,
                     finance: Bool, insure: Bool) async throws -> String {
        if let account { _ = try await C.purchase(w.client, w.api, account: account, order: order, amount: amount) }
        let response = try await w.client.call(.post, "/v1/receivables", key: w.api.platformKey, json: """
            {"supplier_id": "\(supplier)", "external_reference": "proceeds-\(order)", "face_amount": {"amount": "\(amount)", "currency": "CNY"},
             "issue_date": "\(FinancingWorld.today)", "due_date": "\(FinancingWorld.today.adding(days: 30))", "order_ref": "\(order)"}
            """)
        let receivable = try response.decode(Schemas.Receivable.self).id
        if finance {
            let financed = try await w.finance([receivable], key: supplierKey)
            #expect(try financed.decode(Schemas.FinancingRequest.self).status == .approved, "\(financed.text)")
        }
        if insure {
            let policy = try await w.client.call(.post, "/v1/shipping-policies", key: w.api.platformKey, json: """
                {"order_ref": "\(order)", "seller_ref": "\(supplier)", "category": "apparel", "ship_from_region": "CN-33", "ship_to_region": "CN-31",
                 "coverage_cap": {"amount": "12.00", "currency": "CNY"}, "coverage_start": "\(FinancingWorld.today.adding(days: -1))",
                 "coverage_end": "\(FinancingWorld.today.adding(days: 14))"}
                """)
            #expect(policy.status == .created, "\(policy.text)")
        }
        return receivable
    }

    static func returnJSON(_ ref: String, amount: String, tracking: String) -> String {
        let now = Date().formatted(.iso8601)
        return """
            {"return_ref": "\(ref)", "amount": {"amount": "\(amount)", "currency": "CNY"}, "delivered_at": "\(now)", "buyer_ref": "buyer-1",
             "shipping": {"carrier": "SF Express", "tracking_number": "\(tracking)", "cost": {"amount": "10.00", "currency": "CNY"}}}
            """
    }

    static func world<T: Sendable>(_ body: @Sendable (FinancingWorld, Database, String, String, String) async throws -> T) async throws -> T {
        try await withTestDatabase(maxConnections: 12) { db in
            let api = try await TestAPI.make(db)
            return try await api.withClient { client in
                let w = FinancingWorld(api: api, client: client)
                let supplier = try await w.createSupplier(minDays: 1)
                let key = try await api.supplierKey(UUID(uuidString: supplier)!)
                let account = try await C.openAccount(client, api)
                return try await body(w, db, supplier, key, account)
            }
        }
    }

    @Test("a full return refunds the plan, dilutes the financed receivable (recourse at settlement) and pays the claim, in one transaction")
    func fullReturn() async throws {
        try await Self.world { w, db, supplier, key, account in
            let receivable = try await Self.sell(w, supplier: supplier, supplierKey: key, account: account, order: "ORD-1", amount: "300.00",
                                                 finance: true, insure: true)
            let done = try await w.client.call(.post, "/v1/orders/ORD-1/returns", key: w.api.platformKey,
                                               json: Self.returnJSON("R1", amount: "300.00", tracking: "SF001"))
            #expect(done.status == .created, "\(done.text)")
            let result = try done.decode(Schemas.OrderReturn.self)
            #expect(result.refund?.additionalProperties["outcome"] == "cancelled")
            #expect(result.receivable?.outstanding.amount == "0.00")
            #expect(result.claim?.additionalProperties["status"] == "paid")
            #expect(result.claim?.additionalProperties["amount"] == "10.00")
            // At maturity the platform pays nothing; the 240.00 advance becomes recourse owed by the supplier.
            let paid = try await w.client.call(.post, "/v1/receivables/\(receivable)/payments", key: w.api.platformKey,
                                               json: #"{"amount": {"amount": "0.00", "currency": "CNY"}}"#)
            #expect(try paid.decode(Schemas.Settlement.self).recourse.amount == "240.00", "\(paid.text)")
            try await expectLedgerBalanced(db)
        }
    }

    @Test("a repeated or raced completion changes nothing further")
    func repeatedAndRaced() async throws {
        try await Self.world { w, db, supplier, key, account in
            _ = try await Self.sell(w, supplier: supplier, supplierKey: key, account: account, order: "ORD-2", amount: "300.00",
                                    finance: true, insure: true)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        Int(try await w.client.call(.post, "/v1/orders/ORD-2/returns", key: w.api.platformKey,
                                                    json: Self.returnJSON("R2", amount: "100.00", tracking: "SF002")).status.code)
                    }
                }
                var out: [Int] = []
                for try await s in group { out.append(s) }
                return out
            }
            #expect(statuses.allSatisfy { $0 == 201 }, "\(statuses)")
            let before = try await db.scalar(Int64.self, "SELECT count(*) FROM journal_entries")
            let again = try await w.client.call(.post, "/v1/orders/ORD-2/returns", key: w.api.platformKey,
                                                json: Self.returnJSON("R2", amount: "100.00", tracking: "SF002"))
            #expect(try again.decode(Schemas.OrderReturn.self).refundAlreadyBooked == true)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM journal_entries") == before)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM credit_refunds") == 1)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM receivable_adjustments") == 1)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM insurance_claims") == 1)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM journal_entries WHERE kind = 'insurance.claim_payout'") == 1)
            try await expectLedgerBalanced(db)
        }
    }

    @Test("a partial return touches only its part: the plan re-spreads and the receivable keeps the rest")
    func partialReturn() async throws {
        try await Self.world { w, db, supplier, key, account in
            _ = try await Self.sell(w, supplier: supplier, supplierKey: key, account: account, order: "ORD-3", amount: "300.00",
                                    finance: false, insure: false)
            let done = try await w.client.call(.post, "/v1/orders/ORD-3/returns", key: w.api.platformKey,
                                               json: Self.returnJSON("R3", amount: "100.00", tracking: "SF003"))
            let result = try done.decode(Schemas.OrderReturn.self)
            #expect(result.refund?.additionalProperties["outcome"] == "reamortized")
            #expect(result.refund?.additionalProperties["principal_cleared"] == "100.00")
            #expect(result.receivable?.outstanding.amount == "200.00")
            #expect(result.claim == nil)
            try await expectLedgerBalanced(db)
        }
    }

    @Test("an order without credit or without a policy gets only what applies; an unknown order is 404")
    func onlyWhatApplies() async throws {
        try await Self.world { w, db, supplier, key, _ in
            _ = try await Self.sell(w, supplier: supplier, supplierKey: key, account: nil, order: "ORD-4", amount: "80.00",
                                    finance: false, insure: true)
            let done = try await w.client.call(.post, "/v1/orders/ORD-4/returns", key: w.api.platformKey,
                                               json: Self.returnJSON("R4", amount: "80.00", tracking: "SF004"))
            #expect(done.status == .created, "\(done.text)")
            let result = try done.decode(Schemas.OrderReturn.self)
            #expect(result.refund == nil)
            #expect(result.receivable?.outstanding.amount == "0.00")
            #expect(result.claim?.additionalProperties["status"] == "paid")
            let unknown = try await w.client.call(.post, "/v1/orders/NOPE/returns", key: w.api.platformKey,
                                                  json: Self.returnJSON("R5", amount: "1.00", tracking: "SF005"))
            #expect(unknown.status == .notFound)
            let insurer = try await w.client.call(.post, "/v1/orders/ORD-4/returns", key: w.api.insurerKey,
                                                  json: Self.returnJSON("R6", amount: "1.00", tracking: "SF006"))
            #expect(insurer.status == .forbidden)
            try await expectLedgerBalanced(db)
        }
    }

    @Test("GET /v1/orders/{order_ref} tells the whole story, every ledger entry in time order")
    func story() async throws {
        try await Self.world { w, _, supplier, key, account in
            _ = try await Self.sell(w, supplier: supplier, supplierKey: key, account: account, order: "ORD-5", amount: "300.00",
                                    finance: true, insure: true)
            _ = try await w.client.call(.post, "/v1/orders/ORD-5/returns", key: w.api.platformKey,
                                        json: Self.returnJSON("R7", amount: "300.00", tracking: "SF007"))
            let story = try await w.operatorClient.getOrdersByOrderRef(path: .init(orderRef: "ORD-5")).ok.body.json
            #expect(story.checkout?.additionalProperties["status"] == "captured")
            #expect(story.receivables.count == 1)
            #expect(story.claim?.additionalProperties["status"] == "paid")
            let entries = story.ledgerEntries
            let kinds = entries.map(\.kind)
            for kind in ["credit.capture", "receivable.confirmed", "financing.disbursed", "insurance.premium", "credit.refund",
                         "receivable.diluted", "insurance.claim_payout"] {
                #expect(kinds.contains(kind), "missing \(kind) in \(kinds)")
            }
            let times = entries.map(\.createdAt)
            #expect(times == times.sorted())
            #expect(kinds.firstIndex(of: "credit.capture")! < kinds.firstIndex(of: "credit.refund")!)
            #expect(try await w.client.call(.get, "/v1/orders/NOPE", key: w.api.operatorKey).status == .notFound)
        }
    }
}
