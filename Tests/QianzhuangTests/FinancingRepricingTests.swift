import Domain
import Foundation
import HummingbirdTesting
import Persistence
import QianzhuangClient
import Services
import Testing

/// Issue 13, observation 4: a financing approved late is priced for the days actually left.
@Suite("Financing re-priced at disbursement on PostgreSQL")
struct FinancingRepricingTests {
    @Test("a request quoted 146.00 for 90 days and approved 34 days later books 90.84 for the 56 days left (observation 4)")
    func lateApprovalReprices() async throws {
        try await FinancingTests.world { w, db in
            let today = FinancingWorld.today
            let supplier = try await w.createSupplier(ceiling: "5000.00")
            let key = try await w.api.supplierKey(try #require(UUID(uuidString: supplier)))
            // Advance 8,000.00 (80 % of 10,000.00); due in 56 days.
            let receivable = try await w.createReceivable(supplier: supplier, face: "10000.00", dueInDays: 56)
            let review = try await w.finance([receivable], key: key)
            let pending = try review.decode(Schemas.FinancingRequest.self)
            #expect(pending.status == .pendingReview)
            #expect(pending.decision.validUntil == today.adding(days: 49).description)
            let requestID = pending.id
            let id = try #require(UUID(uuidString: requestID))
            // The state a request made 34 days ago for 90 days is in: 8,000.00 × 7.30 % × 90 / 360 = 146.00.
            try await db.client.query("""
                UPDATE financing_requests SET disbursement_date = \(today.adding(days: -34).description)::date, fee = 14600,
                       net_disbursement = 785400, decision = jsonb_set(jsonb_set(decision, '{fee}', '"146.00"'), '{net_disbursement}', '"7854.00"')
                WHERE id = \(id)
                """, logger: db.logger)
            try await db.client.query("UPDATE financing_items SET fee = 14600, fee_days = 90 WHERE financing_request_id = \(id)",
                                      logger: db.logger)

            let approved = try await w.client.call(.post, "/v1/financing-requests/\(requestID)/approve", key: w.api.operatorKey)
            #expect(approved.status == .ok, "\(approved.text)")
            let after = try approved.decode(Schemas.FinancingRequest.self).decision
            #expect(after.fee == "90.84")
            #expect(after.quotedFee == "146.00")
            #expect(after.netDisbursement == "7909.16")
            #expect(after.disbursementDate == today.description)
            #expect(try await db.scalar(Int64.self, "SELECT fee FROM financing_requests WHERE id = \(id)") == 9_084)
            #expect(try await db.scalar(Int64.self, "SELECT fee FROM financing_items WHERE financing_request_id = \(id)") == 9_084)
            #expect(try await db.scalar(Int.self, "SELECT fee_days FROM financing_items WHERE financing_request_id = \(id)") == 56)
            let booked = try await db.scalar(Int64.self, """
                SELECT COALESCE(sum(-p.amount), 0)::bigint FROM postings p JOIN journal_entries e ON e.id = p.entry_id
                JOIN ledger_accounts a ON a.id = p.account_id
                WHERE e.kind = 'financing.disbursed' AND a.type = 'income'
                """)
            #expect(booked == 9_084)
            try await expectLedgerBalanced(db)
        }
    }

    @Test("an approval after the quote expired, or after maturity, is refused and disburses nothing")
    func expiredQuoteRefused() async throws {
        try await FinancingTests.world { w, db in
            let today = FinancingWorld.today
            let supplier = try await w.createSupplier(ceiling: "5000.00")
            let key = try await w.api.supplierKey(try #require(UUID(uuidString: supplier)))
            let receivable = try await w.createReceivable(supplier: supplier, face: "10000.00", dueInDays: 30)
            let review = try await w.finance([receivable], key: key)
            let requestID = try review.decode(Schemas.FinancingRequest.self).id
            let id = try #require(UUID(uuidString: requestID))
            let rid = try #require(UUID(uuidString: receivable))
            // The receivable now falls due in 5 days: inside the line's 7-day minimum, the quote no longer holds.
            try await db.client.query("UPDATE receivables SET due_date = \(today.adding(days: 5).description)::date WHERE id = \(rid)",
                                      logger: db.logger)
            let late = try await w.client.call(.post, "/v1/financing-requests/\(requestID)/approve", key: w.api.operatorKey)
            #expect(late.status == .conflict)
            #expect(late.text.contains("quote_expired"), "\(late.text)")
            try await db.client.query("UPDATE receivables SET due_date = \(today.adding(days: -1).description)::date WHERE id = \(rid)",
                                      logger: db.logger)
            let matured = try await w.client.call(.post, "/v1/financing-requests/\(requestID)/approve", key: w.api.operatorKey)
            #expect(matured.status == .conflict)
            #expect(try await db.scalar(String.self, "SELECT status FROM financing_requests WHERE id = \(id)") == "pending_review")
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM journal_entries WHERE kind = 'financing.disbursed'") == 0)
        }
    }
}
