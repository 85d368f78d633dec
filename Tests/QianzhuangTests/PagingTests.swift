import Domain
import Foundation
import HTTPAPI
import HummingbirdTesting
import Persistence
import QianzhuangClient
import Testing

/// Issue 16: every list pages the same way (`Page`: `limit`, `next_cursor`, fetch limit + 1).
/// 250 items walked with limit=100 are seen exactly once, in order, and the last page says so.
@Suite("Lists page the same way")
struct PagingTests {
    /// Follows next_cursor from the first page (`page(cursor)` fetches one, typed); returns every id seen and the page sizes.
    static func walk(_ page: (String?) async throws -> (ids: [String], next: String?)) async throws -> (ids: [String], pages: [Int]) {
        var ids: [String] = [], pages: [Int] = []
        var cursor: String?
        repeat {
            let fetched = try await page(cursor)
            ids += fetched.ids
            pages.append(fetched.ids.count)
            cursor = fetched.next
            if pages.count > 10 { throw TestFailure("the list does not end") }
        } while cursor != nil
        return (ids, pages)
    }

    @Test("250 suppliers (half created in one instant) walked with limit=100: each exactly once, newest first")
    func suppliers() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            // 125 share one created_at (one statement), 125 have their own: the id breaks ties.
            try await db.client.query("""
                INSERT INTO suppliers (id, name, credit_code, status, currency, line_limit, advance_rate, annual_discount_rate,
                                       min_days_to_maturity, max_days_to_maturity, auto_approval_ceiling, day_count, created_at)
                SELECT gen_random_uuid(), 'Supplier ' || g, '91350100M000100Y43', 'active', 'CNY', 100000, 0.8, 0.073, 7, 180, 0, 'ACT/360',
                       CASE WHEN g <= 125 THEN now() ELSE now() - g * interval '1 second' END
                FROM generate_series(1, 250) g
                """, logger: db.logger)
            try await api.withClient { client in
                let operatorClient = client.typed(api.operatorKey)
                let (ids, pages) = try await Self.walk { cursor in
                    let page = try await operatorClient.getSuppliers(query: .init(limit: 100, cursor: cursor)).ok.body.json
                    return (page.data.map(\.id), page.nextCursor)
                }
                #expect(pages == [100, 100, 50])
                #expect(ids.count == 250 && Set(ids).count == 250)
                let all = try await client.call(.get, "/v1/suppliers?limit=250", key: api.operatorKey)
                #expect(try all.decode(Schemas.SupplierPage.self).data.map(\.id) == ids, "same order as one big page")
                #expect(try all.decode(Schemas.SupplierPage.self).nextCursor == nil && all.sendsNull("next_cursor"))
                let platform = try await client.call(.get, "/v1/suppliers", key: api.platformKey)
                #expect(platform.status == .forbidden)
                let bad = try await client.call(.get, "/v1/suppliers?cursor=bm90LWEtY3Vyc29y", key: api.operatorKey)
                #expect(bad.status == .unprocessableContent && bad.problemFields == ["cursor"])
                let tooMany = try await client.call(.get, "/v1/suppliers?limit=501", key: api.operatorKey)
                #expect(tooMany.problemFields == ["limit"])
            }
        }
    }

    @Test("250 credit accounts walked with limit=100: each exactly once; a status filter pages too")
    func creditAccounts() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await db.client.query("""
                INSERT INTO credit_accounts (id, product_id, national_id_hmac, national_id_last4, phone_hmac, phone_masked, currency,
                                             credit_limit, status, score, score_reasons, score_detail, features, opened_on, created_at)
                SELECT gen_random_uuid(), '00000000-0000-4000-8000-000000000001', sha256(('n-' || g)::bytea), '0000',
                       sha256(('p-' || g)::bytea), '138****0000', 'CNY', 500000, CASE WHEN g % 5 = 0 THEN 'frozen' ELSE 'active' END,
                       700, '{}', '[]', '{}', current_date, now() - (g % 7) * interval '1 minute'
                FROM generate_series(1, 250) g
                """, logger: db.logger)
            try await api.withClient { client in
                let operatorClient = client.typed(api.operatorKey)
                let (ids, pages) = try await Self.walk { cursor in
                    let page = try await operatorClient.getCreditAccounts(query: .init(limit: 100, cursor: cursor)).ok.body.json
                    return (page.data.map(\.id), page.nextCursor)
                }
                #expect(pages == [100, 100, 50])
                #expect(ids.count == 250 && Set(ids).count == 250)
                let frozen = try await Self.walk { cursor in
                    let page = try await operatorClient.getCreditAccounts(query: .init(status: .frozen, limit: 20, cursor: cursor)).ok.body.json
                    #expect(page.data.allSatisfy { $0.status == .frozen })
                    return (page.data.map(\.id), page.nextCursor)
                }
                #expect(frozen.pages == [20, 20, 10] && Set(frozen.ids).count == 50)
                let bad = try await client.call(.get, "/v1/credit-accounts?status=sleepy", key: api.operatorKey)
                #expect(bad.problemFields == ["status"])
            }
        }
    }

    @Test("a page of exactly the limit at the end has no next cursor (fetch limit + 1)")
    func exactLastPage() {
        let cursors = (0..<3).map { PageCursor(key: "k\($0)", id: UUID()) }
        let request = PageRequest(limit: 3)
        #expect(Page(fetched: cursors.map { ($0.key, $0) }, request: request).next == nil)
        let more = cursors + [PageCursor(key: "k3", id: UUID())]
        let page = Page(fetched: more.map { ($0.key, $0) }, request: request)
        #expect(page.items == ["k0", "k1", "k2"] && page.next == cursors[2])
    }
}
