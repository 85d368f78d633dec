import Domain
import Foundation
import Testing

@Suite("Return shipping insurance ledger templates")
struct InsuranceLedgerTests {
    typealias F = FinancingFixtures

    static let seller = SellerRef(rawValue: "shop-1")!

    static func quote(base: String = "0.80") throws -> PremiumQuote {
        let table = try PremiumRatingTable(rates: [ProductCategory("apparel"): try CategoryRate(basePremium: F.cny(base), expectedLossRatio: F.dec("0.65"))])
        return try table.quote(category: ProductCategory("apparel"), experience: .none(.cny))
    }

    @Test("a premium debits the seller, credits the insurer's share and the platform's commission, and balances")
    func premium() throws {
        let entry = try InsuranceLedger.premiumPurchase(policyID: "p-1", seller: Self.seller, quote: Self.quote(), businessDate: F.date("2026-11-20"))
        #expect(entry.idempotencyRef == "policy-premium:p-1")
        #expect(entry.lines.map(\.account.code) == [
            "insurance.premium_receivable.shop-1.cny", "insurance.insurer_payable.cny", "insurance.commission_income.cny",
        ])
        #expect(entry.lines.map(\.amount.minorUnits) == [80, -68, -12])
        #expect(entry.lines.map(\.account.type) == [.asset, .liability, .income])
        #expect(entry.lines.first?.account.owner == .seller("shop-1"))
    }

    @Test("a payout debits the insurer and credits the seller, once per claim")
    func payout() throws {
        let entry = try InsuranceLedger.claimPayout(claimID: "c-1", seller: Self.seller, amount: F.cny("10.00"), businessDate: F.date("2026-11-20"))
        #expect(entry.idempotencyRef == "claim-payout:c-1")
        #expect(entry.lines.map(\.account.code) == ["insurance.insurer_payable.cny", "insurance.claims_payable.shop-1.cny"])
        #expect(entry.lines.map(\.amount.minorUnits) == [1000, -1000])
        #expect(throws: LedgerError.tooFewPostings) {
            try InsuranceLedger.claimPayout(claimID: "c-2", seller: Self.seller, amount: F.cny("0.00"), businessDate: F.date("2026-11-20"))
        }
    }

    @Test("seller references are canonical lower case and fit a ledger account code", arguments: [
        ("Shop-1", "shop-1"), (" 6F9619FF-8B86-D011-B42D-00CF4FC964FF ", "6f9619ff-8b86-d011-b42d-00cf4fc964ff"),
        ("a", "a"), ("jd:seller.42_x", "jd:seller.42_x"),
    ])
    func sellerRefCanonical(input: String, canonical: String) {
        #expect(SellerRef(rawValue: input)?.rawValue == canonical)
    }

    @Test("seller references that could not name an account are refused", arguments: [
        "", "   ", "-shop", "shop 1", "店铺", "shop/1", String(repeating: "a", count: 65),
    ])
    func sellerRefRefused(input: String) {
        #expect(SellerRef(rawValue: input) == nil)
    }

    @Test("claim status follows the adjudication, and a repeated insurer decision is recognised")
    func claimStatus() {
        #expect(ClaimStatus(raisedWith: .pay(F.cny("1.00"))) == .approved)
        #expect(ClaimStatus(raisedWith: .review(F.cny("1.00"), flags: [.frequentReturner])) == .inReview)
        #expect(ClaimStatus(raisedWith: .reject([.zeroAmount])) == .rejected)
        #expect(InsurerDecision.approve.isAlreadyApplied(to: .approved))
        #expect(InsurerDecision.approve.isAlreadyApplied(to: .paid))
        #expect(!InsurerDecision.approve.isAlreadyApplied(to: .rejected))
        #expect(InsurerDecision.reject.isAlreadyApplied(to: .rejected))
        #expect(!InsurerDecision.reject.isAlreadyApplied(to: .paid))
    }
}
