import Domain
import Foundation
import Persistence
import PostgresNIO
import Services

/// A service over a test database with a fixed clock (2026-11-20 10:00 in Shanghai), plus helpers
/// that walk a policy through its return.
struct InsuranceFixture: Sendable {
    let db: Database
    let service: InsuranceService

    /// 2026-11-20T10:00:00+08:00.
    static let now = Date(timeIntervalSince1970: 1_795_140_000)
    static let today = BusinessDate("2026-11-20")!
    static let actor = Actor(principal: Principal(keyID: "00000000-0000-0000-0000-0000000000aa", role: .platform, supplierID: nil),
                             requestID: "test")
    static let insurer = Actor(principal: Principal(keyID: "00000000-0000-0000-0000-0000000000bb", role: .insurer, supplierID: nil),
                               requestID: "test")

    init(_ db: Database, settings: InsuranceSettings = InsuranceSettings(), now: Date = InsuranceFixture.now) {
        self.db = db
        self.service = InsuranceService(database: db, clock: BusinessClock(calendar: .shanghai, now: { now }), settings: settings)
    }

    static func cny(_ text: String) -> Money {
        guard let money = try? Money.parse(text, currency: .cny) else { fatalError("bad amount \(text)") }
        return money
    }

    /// `days` days before `now` (negative: after), at the same time of day.
    static func at(daysAgo days: Double) -> Date { now.addingTimeInterval(-days * 86_400) }

    @discardableResult
    func buy(
        order: String, seller: String = "shop-1", category: String = "apparel", cap: String = "12.00",
        start: String = "2026-11-10", end: String = "2026-12-10", from: String = "CN-33", to: String = "CN-31"
    ) async throws -> PolicyDetails {
        try await service.buyPolicy(ShippingPolicyTerms(
            orderRef: order, seller: SellerRef(rawValue: seller)!, category: ProductCategory(category), shipFromRegion: from,
            shipToRegion: to, coverageCap: Self.cny(cap), coverageStart: BusinessDate(start)!, coverageEnd: BusinessDate(end)!
        ), actor: Self.actor)
    }

    @discardableResult
    func event(
        _ policyID: UUID, _ event: ReturnEvent, at: Date = InsuranceFixture.at(daysAgo: 1), buyer: String? = nil,
        carrier: String? = nil, tracking: String? = nil, cost: String? = nil
    ) async throws -> ReturnEventResult {
        try await service.recordReturnEvent(ReturnEventInput(
            policy: .policyID(policyID), event: event, occurredAt: at, buyerRef: buyer, carrier: carrier,
            trackingNumber: tracking, shippingCost: cost.map(Self.cny)
        ), actor: Self.actor)
    }

    /// requested (3 days ago) → shipped (2 days ago) → delivered_to_seller (1 day ago); returns the last result.
    @discardableResult
    func returnGoods(
        _ policyID: UUID, buyer: String = "buyer-1", tracking: String = "SF0001", cost: String = "10.00",
        requestedAt: Date = InsuranceFixture.at(daysAgo: 3)
    ) async throws -> ReturnEventResult {
        try await event(policyID, .requested, at: requestedAt, buyer: buyer)
        try await event(policyID, .shipped, at: requestedAt.addingTimeInterval(86_400), carrier: "SF Express",
                        tracking: tracking, cost: cost)
        return try await event(policyID, .deliveredToSeller, at: requestedAt.addingTimeInterval(2 * 86_400))
    }

    func count(_ query: PostgresQuery) async throws -> Int64 {
        try await db.scalar(Int64.self, query) ?? -1
    }

    func balance(_ account: LedgerAccountSpec) async throws -> Int64 {
        try await db.client.withConnection { try await LedgerStore.balance(code: account.code, asOf: nil, on: $0, logger: db.logger) }
    }

    /// The ledger proves itself: no unbalanced entry, cached balances equal postings, postings sum to
    /// zero, and every control total (claims payable among them) agrees with its sub-ledger.
    func ledgerIsBalanced() async throws -> Bool {
        let proof = try await ReconciliationService(database: db).proveLedger()
        let total = try await db.scalar(Int64.self, "SELECT COALESCE(sum(amount), 0)::bigint FROM postings")
        return proof.holds && total == 0
    }
}
