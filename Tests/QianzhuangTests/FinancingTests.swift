import Domain
import Foundation
import HummingbirdTesting
import Persistence
import QianzhuangClient
import Services
import Testing

@Suite("Supplier financing on PostgreSQL")
struct FinancingTests {
    static func world<T: Sendable>(_ body: @Sendable (FinancingWorld, Database) async throws -> T) async throws -> T {
        try await withTestDatabase(maxConnections: 12) { db in
            let api = try await TestAPI.make(db)
            return try await api.withClient { client in try await body(FinancingWorld(api: api, client: client), db) }
        }
    }

    @Test("the unified social credit code is checked with its check character; duplicates are refused")
    func creditCodeValidation() async throws {
        try await Self.world { w, db in
            let id = try await w.createSupplier(activate: false)
            #expect(!id.isEmpty)
            for bad in ["911100001011142307", "91350100M000100Y4", "91350100M000100Y4I", "91350100M000100Y44"] {
                let response = try await w.client.call(.post, "/v1/suppliers", key: w.api.operatorKey, json: """
                    {"name": "X", "unified_social_credit_code": "\(bad)", "financing_line": {"limit": {"amount": "1.00", "currency": "CNY"},
                     "advance_rate": "0.8", "annual_discount_rate": "0.07", "min_days_to_maturity": 1, "max_days_to_maturity": 90,
                     "auto_approval_ceiling": {"amount": "1.00", "currency": "CNY"}}}
                    """)
                #expect(response.status == .unprocessableContent, "\(bad)")
                #expect(response.problemFields == ["unified_social_credit_code"], "\(bad): \(response.text)")
            }
            let duplicate = try await w.client.call(.post, "/v1/suppliers", key: w.api.operatorKey, json: """
                {"name": "Again", "unified_social_credit_code": "\(FinancingWorld.codes[0])", "financing_line": {"limit": {"amount": "1.00", "currency": "CNY"},
                 "advance_rate": "0.8", "annual_discount_rate": "0.07", "min_days_to_maturity": 1, "max_days_to_maturity": 90,
                 "auto_approval_ceiling": {"amount": "1.00", "currency": "CNY"}}}
                """)
            #expect(duplicate.status == .conflict)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM suppliers") == 1)
        }
    }

    @Test("an approved request disburses at once: advance rounded down, ACT/360 fee half-even, ledger posted")
    func approvedFeeArithmetic() async throws {
        try await Self.world { w, db in
            let supplier = try await w.createSupplier()
            let receivable = try await w.createReceivable(supplier: supplier, face: "12345.67", dueInDays: 47)
            let response = try await w.finance([receivable], key: try await w.api.supplierKey(UUID(uuidString: supplier)!))
            #expect(response.status == .created, "\(response.text)")
            let request = try response.decode(Schemas.FinancingRequest.self)
            let decision = request.decision
            // Oracle: Python decimal. advance = 1234567 fen × 0.8 = 987653.6 → ROUND_DOWN 987653;
            // fee = 987653 × 0.073 × 47 / 360 = 9412.8817… → ROUND_HALF_EVEN 9413; net = 978240.
            #expect(request.status == .approved)
            #expect(decision.advance == "9876.53")
            #expect(decision.fee == "94.13")
            #expect(decision.netDisbursement == "9782.40")
            #expect(decision.lines.first?.feeDays == 47)
            #expect(try await w.receivable(receivable).status == .financed)
            let s = try await w.supplier(supplier)
            #expect(s.financingCommitted.amount == "9876.53")
            #expect(s.freeLimit.amount == "90123.47")
            #expect(try await w.ledgerAccount("supplier.\(supplier).financing.cny").balance.amount == "9876.53")
            #expect(try await w.ledgerAccount("platform.financing_fee_income.cny").normalBalance.amount == "94.13")
            try await expectLedgerBalanced(db)
        }
    }

    @Test("every eligibility reason is given, machine-readable, per receivable")
    func eligibilityReasons() async throws {
        try await Self.world { w, db in
            let supplier = try await w.createSupplier(minDays: 10, maxDays: 120)
            let key = try await w.api.supplierKey(UUID(uuidString: supplier)!)
            let tooSoon = try await w.createReceivable(supplier: supplier, face: "100.00", dueInDays: 5)
            let tooLate = try await w.createReceivable(supplier: supplier, face: "100.00", dueInDays: 200)
            let disputed = try await w.createReceivable(supplier: supplier, face: "100.00", dueInDays: 30)
            _ = try await w.client.call(.post, "/v1/receivables/\(disputed)/status", key: w.api.platformKey, json: #"{"status": "disputed"}"#)
            let cancelled = try await w.createReceivable(supplier: supplier, face: "100.00", dueInDays: 30)
            _ = try await w.client.call(.post, "/v1/receivables/\(cancelled)/status", key: w.api.platformKey, json: #"{"status": "cancelled"}"#)
            let diluted = try await w.createReceivable(supplier: supplier, face: "100.00", dueInDays: 30)
            _ = try await w.client.call(.post, "/v1/receivables/\(diluted)/adjustments", key: w.api.platformKey,
                                        json: #"{"kind": "goods_returned", "amount": {"amount": "100.00", "currency": "CNY"}, "reference": "ret-1"}"#)
            let financed = try await w.createReceivable(supplier: supplier, face: "100.00", dueInDays: 30)
            #expect(try await w.finance([financed], key: key).decode(Schemas.FinancingRequest.self).status == .approved)

            let response = try await w.finance([tooSoon, tooLate, disputed, cancelled, diluted, financed], key: key)
            #expect(response.status == .created)
            let request = try response.decode(Schemas.FinancingRequest.self)
            #expect(request.status == .declined)
            let decision = request.decision
            let codes = decision.lines.map { $0.reasons.map(\.code) }
            #expect(codes.count == 6)
            #expect(codes[0].contains("due_too_soon"))
            #expect(codes[1].contains("due_too_late"))
            #expect(codes[2].contains("receivable_disputed"))
            #expect(codes[3].contains("receivable_not_open"))
            #expect(codes[4].contains("nothing_outstanding"))
            #expect(codes[5].contains("already_financed"))
            #expect(decision.reasons.map(\.code) == ["no_eligible_receivable"])

            // An inactive supplier is refused with its own reason.
            _ = try await w.client.call(.patch, "/v1/suppliers/\(supplier)", key: w.api.operatorKey, json: #"{"status": "suspended"}"#)
            let fresh = try await w.createReceivable(supplier: supplier, face: "100.00", dueInDays: 30)
            let suspended = try await w.finance([fresh], key: key)
            #expect(try suspended.decode(Schemas.FinancingRequest.self).decision.reasons.map(\.code).contains("supplier_not_active"))
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM financing_requests WHERE status = 'declined'") == 2)
            try await expectLedgerBalanced(db)
        }
    }

    @Test("above the free limit the whole request is declined; above the ceiling it waits for review")
    func limitAndReview() async throws {
        try await Self.world { w, db in
            let supplier = try await w.createSupplier(limit: "1000.00", ceiling: "500.00", rate: "1")
            let key = try await w.api.supplierKey(UUID(uuidString: supplier)!)
            let big = try await w.createReceivable(supplier: supplier, face: "1000.01", dueInDays: 30)
            let over = try await w.finance([big], key: key)
            #expect(try over.decode(Schemas.FinancingRequest.self).status == .declined)
            #expect(try over.decode(Schemas.FinancingRequest.self).decision.reasons.map(\.code) == ["limit_exceeded"])

            let mid = try await w.createReceivable(supplier: supplier, face: "600.00", dueInDays: 30)
            let review = try await w.finance([mid], key: key)
            #expect(try review.decode(Schemas.FinancingRequest.self).status == .pendingReview)
            let requestID = try review.decode(Schemas.FinancingRequest.self).id
            #expect(try await w.supplier(supplier).financingCommitted.amount == "600.00")
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM journal_entries WHERE kind = 'financing.disbursed'") == 0)

            let forbidden = try await w.client.call(.post, "/v1/financing-requests/\(requestID)/approve", key: key)
            #expect(forbidden.status == .forbidden)
            let rejected = try await w.client.call(.post, "/v1/financing-requests/\(requestID)/reject", key: w.api.operatorKey)
            #expect(try rejected.decode(Schemas.FinancingRequest.self).status == .rejected)
            #expect(try await w.receivable(mid).status == .open)
            #expect(try await w.supplier(supplier).financingCommitted.amount == "0.00")
            let again = try await w.client.call(.post, "/v1/financing-requests/\(requestID)/approve", key: w.api.operatorKey)
            #expect(again.status == .conflict)

            let review2 = try await w.finance([mid], key: key)
            let id2 = try review2.decode(Schemas.FinancingRequest.self).id
            let approved = try await w.client.call(.post, "/v1/financing-requests/\(id2)/approve", key: w.api.operatorKey)
            #expect(try approved.decode(Schemas.FinancingRequest.self).status == .approved)
            let read = try await w.client.typed(key).getFinancingRequestsById(path: .init(id: id2)).ok.body.json   // the supplier reads its own
            #expect(read.status == .approved)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM journal_entries WHERE kind = 'financing.disbursed'") == 1)
            try await expectLedgerBalanced(db)
        }
    }

    @Test("a receivable raced by two concurrent financing requests is financed exactly once")
    func raceForOneReceivable() async throws {
        try await Self.world { w, db in
            let supplier = try await w.createSupplier()
            let key = try await w.api.supplierKey(UUID(uuidString: supplier)!)
            for _ in 0..<5 {
                let receivable = try await w.createReceivable(supplier: supplier, face: "1000.00", dueInDays: 30)
                let statuses = try await withThrowingTaskGroup(of: String.self) { group in
                    for _ in 0..<2 {
                        group.addTask { try await w.finance([receivable], key: key).decode(Schemas.FinancingRequest.self).status.rawValue }
                    }
                    var out: [String] = []
                    for try await s in group { out.append(s) }
                    return out.sorted()
                }
                #expect(statuses == ["approved", "declined"], "\(statuses)")
                let live = try await db.scalar(Int64.self, "SELECT count(*) FROM financing_items WHERE receivable_id = \(UUID(uuidString: receivable)!) AND status = 'active'")
                #expect(live == 1)
            }
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM journal_entries WHERE kind = 'financing.disbursed'") == 5)
            try await expectLedgerBalanced(db)
        }
    }

    @Test("concurrent requests never take a supplier past its limit")
    func concurrentLimit() async throws {
        try await Self.world { w, db in
            // Limit 5,000.00; twelve receivables of 1,000.00 at a 100% advance: exactly five fit.
            let supplier = try await w.createSupplier(limit: "5000.00", ceiling: "5000.00", rate: "1")
            let key = try await w.api.supplierKey(UUID(uuidString: supplier)!)
            var receivables: [String] = []
            for _ in 0..<12 { receivables.append(try await w.createReceivable(supplier: supplier, face: "1000.00", dueInDays: 30)) }
            let statuses = try await withThrowingTaskGroup(of: String.self) { group in
                for r in receivables {
                    group.addTask { try await w.finance([r], key: key).decode(Schemas.FinancingRequest.self).status.rawValue }
                }
                var out: [String] = []
                for try await s in group { out.append(s) }
                return out
            }
            #expect(statuses.filter { $0 == "approved" }.count == 5)
            #expect(statuses.filter { $0 == "declined" }.count == 7)
            let s = try await w.supplier(supplier)
            #expect(s.financingCommitted.amount == "5000.00")
            #expect(s.freeLimit.amount == "0.00")
            let disbursed = try await db.scalar(Int64.self, "SELECT COALESCE(sum(advance), 0)::bigint FROM financing_requests WHERE status = 'approved'")
            #expect(disbursed == 500_000)
            try await expectLedgerBalanced(db)
        }
    }

    @Test("settlement without dilution repays the financing first and pays the rest to the supplier")
    func settlementWithoutDilution() async throws {
        try await Self.world { w, db in
            let supplier = try await w.createSupplier()
            let receivable = try await w.createReceivable(supplier: supplier, face: "10000.00", dueInDays: 30)
            _ = try await w.finance([receivable], key: try await w.api.supplierKey(UUID(uuidString: supplier)!))
            let paid = try await w.client.call(.post, "/v1/receivables/\(receivable)/payments", key: w.api.platformKey,
                                               json: #"{"amount": {"amount": "10000.00", "currency": "CNY"}}"#)
            #expect(paid.status == .created, "\(paid.text)")
            let settlement = try paid.decode(Schemas.Settlement.self)
            #expect(settlement.toFinancing.amount == "8000.00")
            #expect(settlement.toSupplier.amount == "2000.00")
            #expect(settlement.recourse.amount == "0.00")
            let s = try await w.supplier(supplier)
            #expect(s.financingCommitted.amount == "0.00")
            #expect(s.recourseOwed.amount == "0.00")
            #expect(try await w.ledgerAccount("supplier.\(supplier).financing.cny").balance.amount == "0.00")
            #expect(try await w.ledgerAccount("supplier.\(supplier).payable.cny").balance.amount == "0.00")
            // Paying twice is refused; nothing is booked twice.
            let twice = try await w.client.call(.post, "/v1/receivables/\(receivable)/payments", key: w.api.platformKey,
                                                json: #"{"amount": {"amount": "10000.00", "currency": "CNY"}}"#)
            #expect(twice.status == .conflict)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM journal_entries WHERE kind = 'receivable.settled'") == 1)
            try await expectLedgerBalanced(db)
        }
    }

    @Test("dilution below the advance leaves a recourse shortfall owed by the supplier, never lost")
    func settlementWithRecourse() async throws {
        try await Self.world { w, db in
            let supplier = try await w.createSupplier()
            let receivable = try await w.createReceivable(supplier: supplier, face: "10000.00", dueInDays: 30)
            _ = try await w.finance([receivable], key: try await w.api.supplierKey(UUID(uuidString: supplier)!))
            // Returns take 3,500.00 off: 6,500.00 is left against an 8,000.00 advance.
            let adjusted = try await w.client.call(.post, "/v1/receivables/\(receivable)/adjustments", key: w.api.platformKey,
                json: #"{"kind": "goods_returned", "amount": {"amount": "3500.00", "currency": "CNY"}, "reference": "rma-77"}"#)
            #expect(try adjusted.decode(Schemas.Receivable.self).outstanding.amount == "6500.00")
            #expect(try adjusted.decode(Schemas.Receivable.self).adjustments.count == 1)
            let wrong = try await w.client.call(.post, "/v1/receivables/\(receivable)/payments", key: w.api.platformKey,
                                                json: #"{"amount": {"amount": "10000.00", "currency": "CNY"}}"#)
            #expect(wrong.status == .unprocessableContent)
            #expect(wrong.problemFields == ["amount"])
            let paid = try await w.client.call(.post, "/v1/receivables/\(receivable)/payments", key: w.api.platformKey,
                                               json: #"{"amount": {"amount": "6500.00", "currency": "CNY"}}"#)
            let settlement = try paid.decode(Schemas.Settlement.self)
            #expect(settlement.toFinancing.amount == "6500.00")
            #expect(settlement.toSupplier.amount == "0.00")
            #expect(settlement.recourse.amount == "1500.00")
            #expect(try await w.supplier(supplier).recourseOwed.amount == "1500.00")
            #expect(try await w.ledgerAccount("supplier.\(supplier).recourse.cny").balance.amount == "1500.00")
            try await expectLedgerBalanced(db)
        }
    }

    @Test("a receivable diluted to nothing and never financed settles without moving money")
    func zeroSettlement() async throws {
        try await Self.world { w, db in
            let supplier = try await w.createSupplier(minDays: 1)
            let receivable = try await w.createReceivable(supplier: supplier, face: "80.00", dueInDays: 1)
            _ = try await w.client.call(.post, "/v1/receivables/\(receivable)/adjustments", key: w.api.platformKey,
                                        json: #"{"kind": "goods_returned", "amount": {"amount": "80.00", "currency": "CNY"}, "reference": "all-back"}"#)
            let paid = try await w.client.call(.post, "/v1/receivables/\(receivable)/payments", key: w.api.platformKey,
                                               json: #"{"amount": {"amount": "0.00", "currency": "CNY"}}"#)
            #expect(paid.status == .created, "\(paid.text)")
            #expect(try paid.decode(Schemas.Settlement.self).journalEntryId == nil)
            #expect(!paid.text.contains("journal_entry_id"))
            #expect(try await w.receivable(receivable).status == .settled)
            try await expectLedgerBalanced(db)
        }
    }

    @Test("the nightly settlement pays everything due, once, even when run twice")
    func nightlySettlement() async throws {
        try await Self.world { w, db in
            let supplier = try await w.createSupplier(minDays: 1)
            let financed = try await w.createReceivable(supplier: supplier, face: "1000.00", dueInDays: 2)
            _ = try await w.finance([financed], key: try await w.api.supplierKey(UUID(uuidString: supplier)!))
            _ = try await w.createReceivable(supplier: supplier, face: "500.00", dueInDays: 1)
            _ = try await w.createReceivable(supplier: supplier, face: "700.00", dueInDays: 9)
            let actor = Actor(principal: Principal(keyID: "00000000-0000-0000-0000-000000000000", role: .operator, supplierID: nil), requestID: nil)
            let service = w.api.deps.services.supplierFinance
            let first = try await service.settleDueReceivables(on: FinancingWorld.today.adding(days: 2), actor: actor)
            #expect(first.settled == 2)
            #expect(first.paidMinorUnits == 150_000)
            let second = try await service.settleDueReceivables(on: FinancingWorld.today.adding(days: 2), actor: actor)
            #expect(second.settled == 0)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM journal_entries WHERE kind = 'receivable.settled'") == 2)
            try await expectLedgerBalanced(db)
        }
    }

    @Test("a supplier key cannot see or finance another supplier's receivables (404), nor read another supplier")
    func tenantIsolation() async throws {
        try await Self.world { w, db in
            let a = try await w.createSupplier(code: FinancingWorld.codes[0])
            let b = try await w.createSupplier(code: FinancingWorld.codes[1])
            let keyA = try await w.api.supplierKey(UUID(uuidString: a)!)
            let receivableB = try await w.createReceivable(supplier: b, face: "100.00", dueInDays: 30)
            #expect(try await w.client.call(.get, "/v1/receivables/\(receivableB)", key: keyA).status == .notFound)
            #expect(try await w.client.call(.get, "/v1/suppliers/\(b)", key: keyA).status == .notFound)
            #expect(try await w.client.call(.get, "/v1/suppliers/\(a)", key: keyA).status == .ok)
            let financed = try await w.finance([receivableB], key: keyA)
            #expect(financed.status == .notFound)
            let asOther = try await w.client.call(.post, "/v1/financing-requests", key: keyA,
                                                  json: #"{"supplier_id": "\#(b)", "receivable_ids": ["\#(receivableB)"]}"#)
            #expect(asOther.status == .notFound)
            let supplierA = w.client.typed(keyA)
            let list = try await supplierA.getReceivables(query: .init(supplierId: b)).ok.body.json
            #expect(list.data.isEmpty)
            let own = try await supplierA.getReceivables().ok.body.json
            #expect(own.data.isEmpty)
            // Roles: a supplier cannot create receivables, the platform cannot request financing.
            let supplierCreates = try await w.client.call(.post, "/v1/receivables", key: keyA, json: "{}")
            #expect(supplierCreates.status == .forbidden)
            let platformFinances = try await w.finance([receivableB], key: w.api.platformKey)
            #expect(platformFinances.status == .forbidden)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM financing_requests") == 0)
        }
    }

    @Test("listing pages with a cursor and filters by status and due date")
    func listing() async throws {
        try await Self.world { w, _ in
            let supplier = try await w.createSupplier()
            for days in 10...14 { _ = try await w.createReceivable(supplier: supplier, face: "10.00", dueInDays: days) }
            let platform = w.client.typed(w.api.platformKey)
            let first = try await platform.getReceivables(query: .init(supplierId: supplier, limit: 2)).ok.body.json
            #expect(first.data.count == 2)
            let cursor = try #require(first.nextCursor)
            let second = try await platform.getReceivables(query: .init(supplierId: supplier, limit: 2, cursor: cursor)).ok.body.json
            let firstIDs = Set(first.data.map(\.id))
            let secondIDs = Set(second.data.map(\.id))
            #expect(secondIDs.count == 2 && firstIDs.isDisjoint(with: secondIDs))
            let due = "\(FinancingWorld.today.adding(days: 12))"
            let filtered = try await platform.getReceivables(query: .init(status: .open, dueFrom: due, dueTo: due)).ok.body.json
            #expect(filtered.data.count == 1)
            let bad = try await w.client.call(.get, "/v1/receivables?status=lost&limit=0", key: w.api.platformKey)
            #expect(bad.status == .unprocessableContent)
        }
    }
}
