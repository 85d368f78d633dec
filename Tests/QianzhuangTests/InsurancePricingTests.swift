import Domain
import Foundation
import Persistence
import PostgresNIO
import Services
import Testing

// Oracle for every premium below (fen; base 80, ELR 0.65, k 100 unless stated):
//   factor = (n·claims + k·premiums·ELR) / ((n + k)·premiums·ELR), clamped to [0.5, 3]
//   premium = half_even(80 · factor); commission = down(premium · 0.15); insurer share = premium − commission

@Suite("Return shipping insurance pricing on PostgreSQL")
struct InsurancePricingTests {
    typealias F = InsuranceFixture

    /// Inserts `count` earned policies (coverage ended 2026-10-31) for `seller`, premium 80 fen each, and
    /// paid claims of `claimAmount` fen on the first `claims` of them. Pricing history only: no ledger.
    static func history(_ db: Database, seller: String, count: Int, claims: Int, claimAmount: Int64) async throws {
        try await db.execute("""
            INSERT INTO shipping_policies (id, order_ref, seller_ref, category, ship_from_region, ship_to_region, currency,
                coverage_cap, coverage_start, coverage_end, base_premium, policies_earned, credibility, expected_loss_ratio,
                experience_factor, premium, commission_rate, commission, insurer_share, business_date, premium_entry_id, created_by)
            SELECT gen_random_uuid(), \(seller) || '-hist-' || g, \(seller), 'apparel', 'CN-33', 'CN-31', 'CNY', 1200,
                   '2026-10-01', '2026-10-31', 80, 0, 0, 0.65, 1, 80, 0.15, 12, 68, '2026-10-01', gen_random_uuid(), 'test'
            FROM generate_series(1, \(count)) g
            """)
        try await db.execute("""
            INSERT INTO insurance_claims (policy_id, id, seller_ref, category, status, currency, shipping_cost, amount, carrier,
                tracking_number, buyer_ref, return_requested_on, buyer_returns_30d, business_date, decided_by, decided_at,
                paid_on, paid_at, payout_entry_id)
            SELECT id, gen_random_uuid(), seller_ref, category, 'paid', 'CNY', \(claimAmount), \(claimAmount), 'SF',
                   'HIST-' || order_ref, 'hist-buyer', '2026-10-10', 1, '2026-10-12', 'system', now(), '2026-10-12', now(),
                   gen_random_uuid()
            FROM (SELECT id, seller_ref, category, order_ref FROM shipping_policies WHERE seller_ref = \(seller)
                  ORDER BY order_ref LIMIT \(claims)) p
            """)
    }

    @Test("a seller with no history pays the category base premium: Z = 0, factor 1")
    func thinHistory() async throws {
        try await withTestDatabase { db in
            let f = F(db)
            let quote = try await f.service.quote(QuoteInput(sellerRef: "New-Shop", category: "apparel"))
            #expect(quote.seller.rawValue == "new-shop")
            #expect(quote.quote.policiesEarned == 0)
            #expect(quote.quote.credibility == 0)
            #expect(quote.quote.sellerLossRatio == nil)
            #expect(quote.quote.experienceFactor == 1)
            #expect(quote.quote.premium == F.cny("0.80"))
            #expect(quote.quote.commission == F.cny("0.12"))
            #expect(quote.quote.insurerShare == F.cny("0.68"))
        }
    }

    @Test("policies still in cover without a claim are not yet earned and do not move the price")
    func unearnedPoliciesIgnored() async throws {
        try await withTestDatabase { db in
            let f = F(db)
            for i in 0..<3 { try await f.buy(order: "o-\(i)") }
            let quote = try await f.service.quote(QuoteInput(sellerRef: "shop-1", category: "apparel"))
            #expect(quote.quote.policiesEarned == 0)
            #expect(quote.quote.premium == F.cny("0.80"))
        }
    }

    @Test("one claim on a one-policy history moves the premium only by Z = 1/101")
    func oneClaimThinHistory() async throws {
        try await withTestDatabase { db in
            let f = F(db)
            let policy = try await f.buy(order: "o-1")
            let result = try await f.returnGoods(policy.policy.id, cost: "10.00")
            #expect(result.claim?.status == .paid)
            let quote = try await f.service.quote(QuoteInput(sellerRef: "shop-1", category: "apparel")).quote
            // n = 1, premiums 80, claims 1000: factor = (1000 + 100·80·0.65) / (101·80·0.65) = 6200/5252
            // premium = half_even(80 · 6200/5252 = 94.44…) = 94; commission = down(14.1) = 14; insurer 80.
            #expect(quote.policiesEarned == 1)
            #expect(quote.credibility == Decimal(1) / Decimal(101))
            #expect(quote.sellerLossRatio == Decimal(string: "12.5"))
            #expect(quote.premium == F.cny("0.94"))
            #expect(quote.commission == F.cny("0.14"))
            #expect(quote.insurerShare == F.cny("0.80"))
            // The next policy is bought at that price and books it.
            let next = try await f.buy(order: "o-2")
            #expect(next.policy.premium.premium == F.cny("0.94"))
            #expect(next.policy.premium.policiesEarned == 1)
        }
    }

    @Test("a rich history gets almost full weight: n = 9900 gives Z = 0.99")
    func richHistory() async throws {
        try await withTestDatabase { db in
            let f = F(db)
            // Loss ratio 1.3 = 2 × ELR: 990 claims of 1040 fen on 9900 premiums of 80 fen.
            try await Self.history(db, seller: "big-shop", count: 9900, claims: 990, claimAmount: 1040)
            let quote = try await f.service.quote(QuoteInput(sellerRef: "big-shop", category: "apparel")).quote
            // factor = 0.99 · 2 + 0.01 = 1.99; premium = half_even(159.2) = 159; commission = down(23.85) = 23.
            #expect(quote.policiesEarned == 9900)
            #expect(quote.credibility == Decimal(string: "0.99"))
            #expect(quote.sellerLossRatio == Decimal(string: "1.3"))
            #expect(quote.experienceFactor == Decimal(string: "1.99"))
            #expect(quote.premium == F.cny("1.59"))
            #expect(quote.commission == F.cny("0.23"))
            #expect(quote.insurerShare == F.cny("1.36"))
            #expect(!quote.isFactorClamped)
            // Another seller's history does not leak into a new seller's price.
            let other = try await f.service.quote(QuoteInput(sellerRef: "other-shop", category: "apparel")).quote
            #expect(other.premium == F.cny("0.80"))
        }
    }

    @Test("a rich clean history is discounted down to the floor, a rich bad one up to the ceiling")
    func richHistoryClamped() async throws {
        try await withTestDatabase { db in
            let f = F(db)
            try await Self.history(db, seller: "clean-shop", count: 9900, claims: 0, claimAmount: 0)
            try await Self.history(db, seller: "bad-shop", count: 9900, claims: 9900, claimAmount: 1000)
            let clean = try await f.service.quote(QuoteInput(sellerRef: "clean-shop", category: "apparel")).quote
            // factor = 0.99 · 0 + 0.01 = 0.01 → clamped to 0.5; premium 40.
            #expect(clean.isFactorClamped)
            #expect(clean.experienceFactor == Decimal(string: "0.5"))
            #expect(clean.premium == F.cny("0.40"))
            let bad = try await f.service.quote(QuoteInput(sellerRef: "bad-shop", category: "shoes")).quote
            // LR 12.5 → factor ≈ 19 → clamped to 3; shoes base 90 → premium 270.
            #expect(bad.isFactorClamped)
            #expect(bad.experienceFactor == 3)
            #expect(bad.premium == F.cny("2.70"))
        }
    }

    @Test("a smaller credibility constant gives the same history more weight")
    func credibilityConstant() async throws {
        try await withTestDatabase { db in
            try await Self.history(db, seller: "mid-shop", count: 100, claims: 10, claimAmount: 1040)
            // LR = 10400 / 8000 = 1.3 (2 × ELR). k = 100: Z = 0.5, factor 1.5, premium 120.
            let k100 = try await F(db).service.quote(QuoteInput(sellerRef: "mid-shop", category: "apparel")).quote
            #expect(k100.credibility == Decimal(string: "0.5"))
            #expect(k100.premium == F.cny("1.20"))
            // k = 25: Z = 0.8, factor 1.8, premium 144.
            var settings = InsuranceSettings()
            settings.credibilityConstant = 25
            let k25 = try await F(db, settings: settings).service.quote(QuoteInput(sellerRef: "mid-shop", category: "apparel")).quote
            #expect(k25.credibility == Decimal(string: "0.8"))
            #expect(k25.premium == F.cny("1.44"))
        }
    }

    @Test("unknown categories and malformed seller references are refused naming the field")
    func badQuoteInputs() async throws {
        try await withTestDatabase { db in
            let f = F(db)
            let unknown = await #expect(throws: ServiceError.self) {
                try await f.service.quote(QuoteInput(sellerRef: "shop-1", category: "spaceships"))
            }
            #expect(unknown == .invalid("category", "no rate is configured for \"spaceships\" (known: apparel, bags, cosmetics, electronics, home, shoes, toys)"))
            let bad = await #expect(throws: ServiceError.self) {
                try await f.service.quote(QuoteInput(sellerRef: "shop 1!", category: "Apparel"))
            }
            guard case .invalid(let issues) = bad else { Issue.record("expected invalid"); return }
            #expect(issues.map(\.field) == ["seller_ref", "category"])
        }
    }
}
