import Domain
import Foundation
import Persistence
import PostgresNIO
import Services
import Testing

@Suite("Return events and claims on PostgreSQL")
struct InsuranceClaimFlowTests {
    typealias F = InsuranceFixture

    // MARK: Event order

    @Test("events must follow requested → shipped → delivered_to_seller; a skip is a 409 naming the current state")
    func eventOrder() async throws {
        try await withTestDatabase { db in
            let f = F(db)
            let id = try await f.buy(order: "o-1").policy.id
            let early = await #expect(throws: ServiceError.self) { try await f.event(id, .shipped, carrier: "SF", tracking: "T1", cost: "8.00") }
            guard case .conflict(let code, let detail) = early else { Issue.record("expected conflict"); return }
            #expect(code == "return_event_out_of_order")
            #expect(detail.contains("current_state: none"))

            try await f.event(id, .requested, at: F.at(daysAgo: 3), buyer: "b-1")
            let skip = await #expect(throws: ServiceError.self) { try await f.event(id, .deliveredToSeller) }
            guard case .conflict(_, let detail2) = skip else { Issue.record("expected conflict"); return }
            #expect(detail2.contains("current_state: requested"))
            #expect(try await f.count("SELECT count(*) FROM insurance_return_events") == 1)
            #expect(try await f.count("SELECT count(*) FROM insurance_claims") == 0)
            let policy = try await f.service.policy(id: id)
            #expect(policy.policy.returnStage == .requested)
        }
    }

    @Test("a repeated or late event is a no-op, even with different data")
    func repeatedEventIsIdempotent() async throws {
        try await withTestDatabase { db in
            let f = F(db)
            let id = try await f.buy(order: "o-1").policy.id
            let first = try await f.event(id, .requested, at: F.at(daysAgo: 3), buyer: "b-1")
            #expect(first.recorded)
            let again = try await f.event(id, .requested, at: F.at(daysAgo: 2), buyer: "someone-else")
            #expect(!again.recorded)
            #expect(again.stage == .requested)
            try await f.event(id, .shipped, at: F.at(daysAgo: 2), carrier: "SF", tracking: "T1", cost: "8.00")
            let late = try await f.event(id, .requested, at: F.at(daysAgo: 3), buyer: "b-1")
            #expect(!late.recorded)
            #expect(late.stage == .shipped)
            let events = try await f.service.policy(id: id).events
            #expect(events.map(\.event) == [.requested, .shipped])
            #expect(events.first?.buyerRef == "b-1")
        }
    }

    @Test("events can name the policy by its order reference")
    func eventByOrderRef() async throws {
        try await withTestDatabase { db in
            let f = F(db)
            let id = try await f.buy(order: "ORDER-77").policy.id
            let result = try await f.service.recordReturnEvent(
                ReturnEventInput(policy: .orderRef("ORDER-77"), event: .requested, occurredAt: F.at(daysAgo: 1), buyerRef: "b"),
                actor: F.actor)
            #expect(result.policyID == id)
            let missing = await #expect(throws: ServiceError.self) {
                try await f.service.recordReturnEvent(
                    ReturnEventInput(policy: .orderRef("nope"), event: .requested, occurredAt: F.at(daysAgo: 1), buyerRef: "b"),
                    actor: F.actor)
            }
            #expect(missing == .notFound(resource: "shipping policy for order", id: "nope"))
        }
    }

    @Test("each event carries exactly its own fields, at a sane time; bad ones are refused naming the field and write nothing")
    func eventValidation() async throws {
        try await withTestDatabase { db in
            let f = F(db)
            let id = try await f.buy(order: "o-1").policy.id
            func fields(_ body: () async throws -> Void) async -> [String] {
                do { try await body() } catch let ServiceError.invalid(issues) { return issues.map(\.field) } catch {}
                return []
            }
            #expect(await fields { try await f.event(id, .requested) } == ["buyer_ref"])
            #expect(await fields { try await f.event(id, .requested, buyer: "b", cost: "1.00") } == ["shipping_cost"])
            #expect(await fields { try await f.event(id, .requested, at: F.at(daysAgo: -1), buyer: "b") } == ["occurred_at"])
            #expect(await fields { try await f.event(id, .requested, buyer: "  ") } == ["buyer_ref"])
            try await f.event(id, .requested, at: F.at(daysAgo: 2), buyer: "b")
            #expect(await fields { try await f.event(id, .shipped, at: F.at(daysAgo: 1)) } == ["carrier", "tracking_number", "shipping_cost"])
            #expect(await fields { try await f.event(id, .shipped, at: F.at(daysAgo: 3), carrier: "SF", tracking: "T", cost: "1.00") } == ["occurred_at"])
            #expect(await fields {
                try await f.service.recordReturnEvent(ReturnEventInput(
                    policy: .policyID(id), event: .shipped, occurredAt: F.at(daysAgo: 1), carrier: "SF", trackingNumber: "T",
                    shippingCost: Money(minorUnits: 800, currency: .usd)), actor: F.actor)
            } == ["shipping_cost.currency"])
            #expect(try await f.count("SELECT count(*) FROM insurance_return_events") == 1)
            let unknown = await #expect(throws: ServiceError.self) { try await f.event(UUID(), .requested, buyer: "b") }
            guard case .notFound = unknown else { Issue.record("expected not found"); return }
        }
    }

    // MARK: Adjudication

    @Test("a clean claim is paid at once, insurer → seller, for the actual cost")
    func cleanClaimPaid() async throws {
        try await withTestDatabase { db in
            let f = F(db)
            let id = try await f.buy(order: "o-1").policy.id
            let result = try await f.returnGoods(id, cost: "10.00")
            let claim = try #require(result.claim)
            #expect(result.recorded && result.stage == .deliveredToSeller)
            #expect(claim.status == .paid)
            #expect(claim.amount == F.cny("10.00"))
            #expect(claim.rejectionReasons.isEmpty && claim.flags.isEmpty)
            #expect(claim.decidedBy == "system")
            #expect(claim.paidOn == F.today)
            #expect(claim.payoutEntryID != nil)
            let seller = SellerRef(rawValue: "shop-1")!
            #expect(try await f.balance(InsuranceLedger.claimsPayable(seller, .cny)) == -1000)
            // Insurer payable: 68 fen share credited, 1000 fen claim debited.
            #expect(try await f.balance(InsuranceLedger.insurerPayable(.cny)) == 1000 - 68)
            #expect(try await f.balance(InsuranceLedger.premiumReceivable(seller, .cny)) == 80)
            #expect(try await f.balance(InsuranceLedger.commissionIncome(.cny)) == -12)
            #expect(try await f.ledgerIsBalanced())
        }
    }

    @Test("the payout is min(actual shipping cost, coverage cap)")
    func payoutCapped() async throws {
        try await withTestDatabase { db in
            let f = F(db)
            let id = try await f.buy(order: "o-1", cap: "12.00").policy.id
            let claim = try #require(try await f.returnGoods(id, cost: "23.50").claim)
            #expect(claim.status == .paid)
            #expect(claim.evidence.shippingCost == F.cny("23.50"))
            #expect(claim.amount == F.cny("12.00"))
            #expect(try await f.balance(InsuranceLedger.claimsPayable(SellerRef(rawValue: "shop-1")!, .cny)) == -1200)
        }
    }

    @Test("a return requested outside the coverage window is rejected with its reason and pays nothing", arguments: [
        ("2026-11-17", "2026-12-10", 3.0, false),   // requested 2026-11-17, the window's first day: covered
        ("2026-11-18", "2026-12-10", 3.0, true),    // window opens the day after the request
        ("2026-10-01", "2026-11-20", 3.0, false),
        ("2026-11-01", "2026-11-16", 3.0, true),    // window closed the day before the request
    ])
    func coverageWindow(start: String, end: String, requestedDaysAgo: Double, outside: Bool) async throws {
        try await withTestDatabase { db in
            let f = F(db)
            // Bought on 2026-11-01, so a window that closed before the return is still purchasable.
            let seller = F(db, now: F.at(daysAgo: 19))
            let id = try await seller.buy(order: "o-1", start: start, end: end).policy.id
            let claim = try #require(try await f.returnGoods(id, requestedAt: F.at(daysAgo: requestedDaysAgo)).claim)
            #expect(claim.evidence.returnRequestedOn == BusinessDate("2026-11-17"))
            if outside {
                #expect(claim.status == .rejected)
                #expect(claim.rejectionReasons == ["outside_coverage_window"])
                #expect(try await f.count("SELECT count(*) FROM journal_entries WHERE kind = 'insurance.claim_payout'") == 0)
            } else {
                #expect(claim.status == .paid)
            }
        }
    }

    @Test("a claim on a policy that is no longer active is rejected")
    func policyNotActive() async throws {
        try await withTestDatabase { db in
            let f = F(db)
            let id = try await f.buy(order: "o-1").policy.id
            try await f.event(id, .requested, at: F.at(daysAgo: 3), buyer: "b")
            try await f.event(id, .shipped, at: F.at(daysAgo: 2), carrier: "SF", tracking: "T1", cost: "8.00")
            // No API cancels policies yet; the cancellation is set as an operator would.
            try await db.execute("UPDATE shipping_policies SET status = 'cancelled' WHERE id = \(id)")
            let claim = try #require(try await f.event(id, .deliveredToSeller).claim)
            #expect(claim.status == .rejected)
            #expect(claim.rejectionReasons == ["policy_not_active"])
            #expect(try await f.count("SELECT count(*) FROM journal_entries WHERE kind = 'insurance.claim_payout'") == 0)
        }
    }

    @Test("a return that cost nothing is rejected: zero amount")
    func zeroAmount() async throws {
        try await withTestDatabase { db in
            let f = F(db)
            let id = try await f.buy(order: "o-1").policy.id
            let claim = try #require(try await f.returnGoods(id, cost: "0.00").claim)
            #expect(claim.status == .rejected)
            #expect(claim.rejectionReasons == ["zero_amount"])
            #expect(try await f.ledgerIsBalanced())
        }
    }

    @Test("one claim per policy: a redelivered event returns the same claim and the database refuses a second one")
    func oneClaimPerPolicy() async throws {
        try await withTestDatabase { db in
            let f = F(db)
            let id = try await f.buy(order: "o-1").policy.id
            let first = try #require(try await f.returnGoods(id).claim)
            let again = try await f.event(id, .deliveredToSeller)
            #expect(!again.recorded)
            #expect(again.claim?.id == first.id)
            let error = await #expect(throws: PSQLError.self) {
                try await db.execute("""
                    INSERT INTO insurance_claims (policy_id, id, seller_ref, category, status, currency, shipping_cost, amount,
                        carrier, tracking_number, buyer_ref, return_requested_on, buyer_returns_30d, business_date, flags)
                    VALUES (\(id), gen_random_uuid(), 'shop-1', 'apparel', 'in_review', 'CNY', 100, 100, 'SF', 'X', 'b',
                            '2026-11-17', 1, '2026-11-20', '{frequent_returner}')
                    """)
            }
            #expect(error?.sqlState == "23505")
            #expect(try await f.count("SELECT count(*) FROM insurance_claims") == 1)
        }
    }

    // MARK: Risk flags

    @Test("a buyer's fifth return within 30 days goes to review as frequent_returner; older returns do not count")
    func frequentReturner() async throws {
        try await withTestDatabase { db in
            let f = F(db)
            // An old return 40 days before this one, outside the window.
            let old = try await f.buy(order: "old", start: "2026-10-01").policy.id
            try await f.event(old, .requested, at: F.at(daysAgo: 43), buyer: "serial")
            for i in 0..<3 {
                let other = try await f.buy(order: "prior-\(i)").policy.id
                try await f.event(other, .requested, at: F.at(daysAgo: Double(10 + i)), buyer: "serial")
            }
            // Fourth return within 30 days (this one included): paid.
            let fourth = try await f.buy(order: "fourth").policy.id
            let paid = try #require(try await f.returnGoods(fourth, buyer: "serial", tracking: "T-4").claim)
            #expect(paid.status == .paid)
            #expect(paid.evidence.buyerReturnsLast30Days == 4)
            // Fifth: in review.
            let fifth = try await f.buy(order: "fifth").policy.id
            let review = try #require(try await f.returnGoods(fifth, buyer: "serial", tracking: "T-5",
                                                              requestedAt: F.at(daysAgo: 2.5)).claim)
            #expect(review.status == .inReview)
            #expect(review.flags == ["frequent_returner"])
            #expect(review.evidence.buyerReturnsLast30Days == 5)
            #expect(review.payoutEntryID == nil)
            #expect(try await f.count("SELECT count(*) FROM journal_entries WHERE kind = 'insurance.claim_payout'") == 1)
        }
    }

    @Test("a tracking number already on another policy's claim goes to review, whatever its case or spacing")
    func trackingNumberReused() async throws {
        try await withTestDatabase { db in
            let f = F(db)
            let a = try await f.buy(order: "a").policy.id
            let b = try await f.buy(order: "b").policy.id
            #expect(try await f.returnGoods(a, buyer: "b-a", tracking: "SF123456").claim?.status == .paid)
            let claim = try #require(try await f.returnGoods(b, buyer: "b-b", tracking: " sf123456 ").claim)
            #expect(claim.evidence.trackingNumber == "SF123456")
            #expect(claim.status == .inReview)
            #expect(claim.flags == ["tracking_number_reused"])
        }
    }

    @Test("a shipping cost above 3 × the route's configured norm goes to review; at 3 × it is paid")
    func costAboveRouteNorm() async throws {
        try await withTestDatabase { db in
            let f = F(db)
            try await db.execute("""
                INSERT INTO insurance_route_norms (ship_from_region, ship_to_region, currency, usual_cost) VALUES ('CN-33', 'CN-31', 'CNY', 800)
                """)
            let atLimit = try await f.buy(order: "a", cap: "50.00").policy.id
            let paid = try #require(try await f.returnGoods(atLimit, buyer: "b-1", tracking: "T-1", cost: "24.00").claim)
            #expect(paid.status == .paid)
            #expect(paid.evidence.routeUsualCost == F.cny("8.00"))
            let above = try await f.buy(order: "b", cap: "50.00").policy.id
            let review = try #require(try await f.returnGoods(above, buyer: "b-2", tracking: "T-2", cost: "24.01").claim)
            #expect(review.status == .inReview)
            #expect(review.flags == ["cost_above_route_norm"])
            #expect(review.amount == F.cny("24.01"))
            // Another route has no norm and no history: no flag.
            let elsewhere = try await f.buy(order: "c", cap: "50.00", from: "CN-11", to: "CN-44").policy.id
            let unknown = try #require(try await f.returnGoods(elsewhere, buyer: "b-3", tracking: "T-3", cost: "45.00").claim)
            #expect(unknown.evidence.routeUsualCost == nil)
            #expect(unknown.status == .paid)
        }
    }

    @Test("without a configured norm, the route's usual cost is the median of at least five recent returns")
    func routeNormFromHistory() async throws {
        try await withTestDatabase { db in
            let f = F(db)
            let costs = ["6.00", "7.00", "8.00", "9.00", "30.00"]
            for (i, cost) in costs.enumerated() {
                let id = try await f.buy(order: "h-\(i)", cap: "50.00").policy.id
                let claim = try #require(try await f.returnGoods(id, buyer: "hb-\(i)", tracking: "H-\(i)", cost: cost).claim)
                // Fewer than five earlier samples: the usual cost is unknown, so even 30.00 is paid.
                #expect(claim.evidence.routeUsualCost == nil)
                #expect(claim.status == .paid)
            }
            let id = try await f.buy(order: "x", cap: "50.00").policy.id
            let claim = try #require(try await f.returnGoods(id, buyer: "xb", tracking: "X-1", cost: "24.01").claim)
            #expect(claim.evidence.routeUsualCost == F.cny("8.00"))
            #expect(claim.flags == ["cost_above_route_norm"])
        }
    }

    @Test("several flags are reported together")
    func severalFlags() async throws {
        try await withTestDatabase { db in
            var settings = InsuranceSettings()
            settings.frequentReturnerThreshold = 2
            let f = F(db, settings: settings)
            try await db.execute("""
                INSERT INTO insurance_route_norms (ship_from_region, ship_to_region, currency, usual_cost) VALUES ('CN-33', 'CN-31', 'CNY', 100)
                """)
            let a = try await f.buy(order: "a").policy.id
            let first = try #require(try await f.returnGoods(a, buyer: "b", tracking: "T-1", cost: "3.00").claim)
            #expect(first.status == .paid)
            let b = try await f.buy(order: "b").policy.id
            let claim = try #require(try await f.returnGoods(b, buyer: "b", tracking: "T-1", cost: "3.01").claim)
            #expect(claim.flags == ["frequent_returner", "tracking_number_reused", "cost_above_route_norm"])
        }
    }

    // MARK: Review, decisions, payouts

    /// A claim in review: the buyer's fifth return in 30 days (threshold lowered to 1 so every claim is flagged).
    static func reviewSettings() -> InsuranceSettings {
        var settings = InsuranceSettings()
        settings.frequentReturnerThreshold = 1
        return settings
    }

    @Test("an approved claim is paid once by the payout run; running it again pays nothing")
    func approvedClaimPaidOnce() async throws {
        try await withTestDatabase { db in
            let f = F(db, settings: Self.reviewSettings())
            let id = try await f.buy(order: "o-1").policy.id
            let claim = try #require(try await f.returnGoods(id).claim)
            #expect(claim.status == .inReview)
            let approved = try await f.service.decideClaim(id: claim.id, decision: .approve, reason: nil, actor: F.insurer)
            #expect(approved.status == .approved)
            #expect(approved.decidedBy == F.insurer.principal.actor)
            #expect(try await f.count("SELECT count(*) FROM journal_entries WHERE kind = 'insurance.claim_payout'") == 0)

            let day = BusinessDate("2026-11-21")!
            let run = try await f.service.payApprovedClaims(businessDate: day)
            #expect(run.paidClaimIDs == [claim.id])
            #expect(run.totals == [F.cny("10.00")])
            let paid = try await f.service.claim(id: claim.id)
            #expect(paid.status == .paid)
            #expect(paid.paidOn == day)
            let again = try await f.service.payApprovedClaims(businessDate: day)
            #expect(again.paidClaimIDs.isEmpty)
            #expect(try await f.count("SELECT count(*) FROM journal_entries WHERE kind = 'insurance.claim_payout'") == 1)
            #expect(try await f.balance(InsuranceLedger.claimsPayable(SellerRef(rawValue: "shop-1")!, .cny)) == -1000)
            // Approving again is a no-op; rejecting now is a conflict.
            #expect(try await f.service.decideClaim(id: claim.id, decision: .approve, reason: nil, actor: F.insurer).status == .paid)
            let late = await #expect(throws: ServiceError.self) {
                try await f.service.decideClaim(id: claim.id, decision: .reject, reason: "changed my mind", actor: F.insurer)
            }
            guard case .conflict(let code, let detail) = late else { Issue.record("expected conflict"); return }
            #expect(code == "claim_not_in_review")
            #expect(detail.contains("current_state: paid"))
            #expect(try await f.ledgerIsBalanced())
        }
    }

    @Test("a rejected claim pays nothing, ever")
    func rejectedClaimPaysNothing() async throws {
        try await withTestDatabase { db in
            let f = F(db, settings: Self.reviewSettings())
            let id = try await f.buy(order: "o-1").policy.id
            let claim = try #require(try await f.returnGoods(id).claim)
            let noReason = await #expect(throws: ServiceError.self) {
                try await f.service.decideClaim(id: claim.id, decision: .reject, reason: "  ", actor: F.insurer)
            }
            #expect(noReason == .invalid("reason", "is required to reject a claim"))
            let rejected = try await f.service.decideClaim(id: claim.id, decision: .reject, reason: "parcel was empty", actor: F.insurer)
            #expect(rejected.status == .rejected)
            #expect(rejected.rejectionReasons == [InsurerDecision.rejectionCode])
            #expect(rejected.decisionReason == "parcel was empty")
            #expect(try await f.service.payApprovedClaims(businessDate: F.today).paidClaimIDs.isEmpty)
            #expect(try await f.count("SELECT count(*) FROM journal_entries WHERE kind = 'insurance.claim_payout'") == 0)
            #expect(try await f.balance(InsuranceLedger.claimsPayable(SellerRef(rawValue: "shop-1")!, .cny)) == 0)
            let approveLater = await #expect(throws: ServiceError.self) {
                try await f.service.decideClaim(id: claim.id, decision: .approve, reason: nil, actor: F.insurer)
            }
            guard case .conflict = approveLater else { Issue.record("expected conflict"); return }
            #expect(try await f.count("SELECT count(*) FROM audit_events WHERE action = 'insurance.claim_decided'") == 1)
        }
    }

    @Test("a clean claim was never in review and cannot be decided")
    func cleanClaimCannotBeDecided() async throws {
        try await withTestDatabase { db in
            let f = F(db)
            let id = try await f.buy(order: "o-1").policy.id
            let claim = try #require(try await f.returnGoods(id).claim)
            let error = await #expect(throws: ServiceError.self) {
                try await f.service.decideClaim(id: claim.id, decision: .approve, reason: nil, actor: F.insurer)
            }
            guard case .conflict(let code, _) = error else { Issue.record("expected conflict"); return }
            #expect(code == "claim_not_in_review")
            let missing = await #expect(throws: ServiceError.self) {
                try await f.service.decideClaim(id: UUID(), decision: .approve, reason: nil, actor: F.insurer)
            }
            guard case .notFound = missing else { Issue.record("expected not found"); return }
        }
    }

    // MARK: Concurrency

    @Test("the same delivered_to_seller sent 20 times at once yields one claim and one payout")
    func concurrentDelivery() async throws {
        try await withTestDatabase(maxConnections: 10) { db in
            let f = F(db)
            let id = try await f.buy(order: "o-1").policy.id
            try await f.event(id, .requested, at: F.at(daysAgo: 3), buyer: "b")
            try await f.event(id, .shipped, at: F.at(daysAgo: 2), carrier: "SF", tracking: "T1", cost: "10.00")
            let results = try await withThrowingTaskGroup(of: ReturnEventResult.self) { group in
                for _ in 0..<20 { group.addTask { try await f.event(id, .deliveredToSeller) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.count == 20)
            #expect(results.filter(\.recorded).count == 1)
            #expect(Set(results.compactMap(\.claim?.id)).count == 1)
            #expect(results.allSatisfy { $0.claim?.status == .paid })
            #expect(try await f.count("SELECT count(*) FROM insurance_claims") == 1)
            #expect(try await f.count("SELECT count(*) FROM insurance_return_events WHERE event = 'delivered_to_seller'") == 1)
            #expect(try await f.count("SELECT count(*) FROM journal_entries WHERE kind = 'insurance.claim_payout'") == 1)
            #expect(try await f.balance(InsuranceLedger.claimsPayable(SellerRef(rawValue: "shop-1")!, .cny)) == -1000)
            #expect(try await f.ledgerIsBalanced())
        }
    }

    @Test("concurrent purchases for one order make one policy and book one premium")
    func concurrentPurchase() async throws {
        try await withTestDatabase(maxConnections: 10) { db async throws in
            let f = F(db)
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<10 {
                    group.addTask { (try? await f.buy(order: "same-order")) != nil }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1)
            #expect(try await f.count("SELECT count(*) FROM shipping_policies") == 1)
            #expect(try await f.count("SELECT count(*) FROM journal_entries WHERE kind = 'insurance.premium'") == 1)
            let again = await #expect(throws: ServiceError.self) { try await f.buy(order: "same-order") }
            guard case .conflict(let code, _) = again else { Issue.record("expected conflict"); return }
            #expect(code == "order_already_insured")
            #expect(try await f.ledgerIsBalanced())
        }
    }

    // MARK: Policies and loss ratios

    @Test("purchase inputs are checked and a refused purchase writes nothing")
    func purchaseValidation() async throws {
        try await withTestDatabase { db async throws in
            let f = F(db)
            func fields(_ body: () async throws -> Void) async -> [String] {
                do { try await body() } catch let ServiceError.invalid(issues) { return issues.map(\.field) } catch {}
                return []
            }
            #expect(await fields { try await f.buy(order: " ") } == ["order_ref"])
            #expect(await fields { try await f.buy(order: "o", category: "bikes") } == ["category"])
            #expect(await fields { try await f.buy(order: "o", cap: "0.00") } == ["coverage_cap.amount"])
            #expect(await fields { try await f.buy(order: "o", start: "2026-12-01", end: "2026-11-30") } == ["coverage_end"])
            #expect(await fields { try await f.buy(order: "o", start: "2026-10-01", end: "2026-11-19") } == ["coverage_end"])
            #expect(await fields { try await f.buy(order: "o", start: "2026-11-20", end: "2027-11-21") } == ["coverage_end"])
            #expect(await fields { try await f.buy(order: "o", from: "", to: "") } == ["ship_from_region", "ship_to_region"])
            #expect(await fields {
                try await f.service.buyPolicy(ShippingPolicyTerms(
                    orderRef: "o", seller: SellerRef(rawValue: "s")!, category: ProductCategory("apparel"), shipFromRegion: "a",
                    shipToRegion: "b", coverageCap: Money(minorUnits: 1000, currency: .usd), coverageStart: F.today,
                    coverageEnd: F.today), actor: F.actor)
            } == ["coverage_cap.currency"])
            #expect(try await f.count("SELECT count(*) FROM shipping_policies") == 0)
            #expect(try await f.count("SELECT count(*) FROM shipping_policy_orders") == 0)
            #expect(try await f.count("SELECT count(*) FROM journal_entries") == 0)
        }
    }

    @Test("a purchase books the premium: seller owes it, insurer gets its share, platform its commission")
    func premiumBooked() async throws {
        try await withTestDatabase { db in
            let f = F(db)
            let policy = try await f.buy(order: "o-1", seller: "SUPPLIER-9", category: "bags")
            #expect(policy.policy.terms.seller.rawValue == "supplier-9")
            // bags: 110 fen; commission down(16.5) = 16; insurer 94.
            #expect(policy.policy.premium.premium == F.cny("1.10"))
            let seller = SellerRef(rawValue: "supplier-9")!
            #expect(try await f.balance(InsuranceLedger.premiumReceivable(seller, .cny)) == 110)
            #expect(try await f.balance(InsuranceLedger.insurerPayable(.cny)) == -94)
            #expect(try await f.balance(InsuranceLedger.commissionIncome(.cny)) == -16)
            #expect(try await f.count("""
                SELECT count(*) FROM journal_entries WHERE idempotency_ref = \("policy-premium:" + policy.policy.id.uuidString.lowercased())
                """) == 1)
            #expect(try await f.count("SELECT count(*) FROM audit_events WHERE action = 'insurance.policy_bought'") == 1)
            #expect(try await f.ledgerIsBalanced())
        }
    }

    @Test("loss ratios: claims paid / premiums earned per seller, per category and overall")
    func lossRatios() async throws {
        try await withTestDatabase { db in
            let f = F(db)
            // Bought before any claim, so all at base premiums.
            // shop-1: two apparel policies (160 fen), one claim paid 1000 fen; one shoes policy in cover (unearned).
            let a = try await f.buy(order: "a").policy.id
            let b = try await f.buy(order: "b").policy.id
            try await f.buy(order: "c", category: "shoes")
            // shop-2: one bags policy with a paid claim of 500 fen.
            let d = try await f.buy(order: "d", seller: "shop-2", category: "bags").policy.id
            try await f.returnGoods(a, buyer: "b-a", tracking: "T-a", cost: "10.00")
            try await f.returnGoods(b, buyer: "b-b", tracking: "T-b", cost: "0.00")   // rejected, earned, pays nothing
            try await f.returnGoods(d, buyer: "b-d", tracking: "T-d", cost: "5.00")

            let all = try await f.service.lossRatios(sellerRef: nil, category: nil)
            #expect(all.overall.count == 1)
            #expect(all.overall.first?.policiesEarned == 3)
            #expect(all.overall.first?.premiumsEarned == F.cny("2.70"))
            #expect(all.overall.first?.claimsPaid == F.cny("15.00"))
            #expect(all.overall.first?.lossRatio == Decimal(1500) / Decimal(270))
            #expect(all.byCategory.map(\.category?.rawValue) == ["apparel", "bags"])

            let shop1 = try await f.service.lossRatios(sellerRef: "shop-1", category: nil)
            #expect(shop1.overall.first?.lossRatio == Decimal(string: "6.25"))
            #expect(shop1.byCategory.map(\.category?.rawValue) == ["apparel"])

            let bags = try await f.service.lossRatios(sellerRef: nil, category: "bags")
            #expect(bags.overall.first?.claimsPaid == F.cny("5.00"))
            #expect(bags.overall.first?.premiumsEarned == F.cny("1.10"))

            let none = try await f.service.lossRatios(sellerRef: "shop-3", category: nil)
            #expect(none.overall.isEmpty)
            let bad = await #expect(throws: ServiceError.self) { try await f.service.lossRatios(sellerRef: "bad ref", category: "X") }
            guard case .invalid(let issues) = bad else { Issue.record("expected invalid"); return }
            #expect(issues.map(\.field) == ["seller_ref", "category"])
        }
    }
}
