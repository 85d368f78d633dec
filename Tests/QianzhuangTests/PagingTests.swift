import Domain
import Foundation
import HTTPAPI
import HummingbirdTesting
import Persistence
import PostgresNIO
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

    /// The ids `query` returns, in its order (a list's own ORDER BY, as the expectation).
    static func ids(_ db: Database, _ query: PostgresQuery) async throws -> [String] {
        try await db.client.query(query, logger: db.logger).all(UUID.self).map { $0.uuidString.lowercased() }
    }

    /// Walks `path` with limit=100 through `call`, decoding each page as the contract's `P`; expects
    /// every id of `expected` exactly once, in that order, in pages of 100, 100 and the rest, the last
    /// page sending next_cursor as null.
    static func expectWalk<P: ListPage>(
        _ type: P.Type, _ client: any TestClientProtocol, _ path: String, key: String, expected: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        var last: JSONResponse?
        let (ids, pages) = try await walk { cursor in
            let joiner = path.contains("?") ? "&" : "?"
            let response = try await client.call(.get, path + joiner + "limit=100" + (cursor.map { "&cursor=\($0)" } ?? ""), key: key)
            #expect(response.status == .ok, "\(path): \(response.text)", sourceLocation: sourceLocation)
            last = response
            let page = try response.decode(P.self)
            return (page.ids, page.nextCursor)
        }
        var sizes: [Int] = []
        var left = expected.count
        repeat { sizes.append(min(left, 100)); left -= 100 } while left > 0
        #expect(pages == sizes, "\(path)", sourceLocation: sourceLocation)
        #expect(ids == expected, "\(path): each item once, in the list's order", sourceLocation: sourceLocation)
        #expect(last?.sendsNull("next_cursor") == true, "\(path)", sourceLocation: sourceLocation)
    }

    /// `expectWalk` over a fresh client, expecting the ids `order` (the list's own ORDER BY) returns.
    static func expectWalk<P: ListPage>(
        _ type: P.Type, _ api: TestAPI, _ db: Database, _ path: String, order: PostgresQuery, key: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let expected = try await ids(db, order)
        try await api.withClient { client in
            try await expectWalk(type, client, path, key: key ?? api.operatorKey, expected: expected, sourceLocation: sourceLocation)
        }
    }

    @Test("250 receivables (due dates shared by many) walked with limit=100: each exactly once, in due-date order")
    func receivables() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            let supplier = UUID()
            try await db.client.query("""
                INSERT INTO suppliers (id, name, credit_code, status, currency, line_limit, advance_rate, annual_discount_rate,
                                       min_days_to_maturity, max_days_to_maturity, auto_approval_ceiling, day_count)
                VALUES (\(supplier), 'Supplier', '91350100M000100Y43', 'active', 'CNY', 100000, 0.8, 0.073, 7, 180, 0, 'ACT/360')
                """, logger: db.logger)
            try await db.client.query("""
                INSERT INTO receivables (supplier_id, id, external_reference, face_amount, currency, issue_date, due_date, status)
                SELECT \(supplier), gen_random_uuid(), 'INV-' || g, 10000, 'CNY', DATE '2026-01-01', DATE '2026-06-01' + g % 20,
                       CASE WHEN g % 2 = 0 THEN 'open' ELSE 'financed' END
                FROM generate_series(1, 250) g
                """, logger: db.logger)
            try await Self.expectWalk(Schemas.ReceivablePage.self, api, db, "/v1/receivables", order: "SELECT id FROM receivables ORDER BY due_date, id")
            try await api.withClient { client in
                let open = try await Self.ids(db, "SELECT id FROM receivables WHERE status = 'open' ORDER BY due_date, id")
                var seen: [String] = []
                var cursor: String?
                repeat {
                    let page = try await client.typed(api.operatorKey)
                        .getReceivables(query: .init(supplierId: supplier.uuidString.lowercased(), status: .open, limit: 40, cursor: cursor)).ok.body.json
                    seen += page.data.map(\.id)
                    cursor = page.nextCursor
                } while cursor != nil
                #expect(seen == open, "a filtered list pages the same way")
            }
        }
    }

    @Test("250 reconciliation exceptions (dates and kinds shared) walked with limit=100, unfiltered and filtered")
    func reconciliationExceptions() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await db.client.query("""
                INSERT INTO reconciliation_exceptions (id, business_date, kind, reference, detail, state, dedupe_key)
                SELECT gen_random_uuid(), DATE '2026-11-01' + g % 3,
                       (ARRAY['amount_mismatch', 'missing_from_ledger', 'missing_from_statement'])[1 + g % 7 % 3],
                       'ref-' || g, '', 'open', 'paging-' || g
                FROM generate_series(1, 250) g
                """, logger: db.logger)
            let order: PostgresQuery = "SELECT id FROM reconciliation_exceptions ORDER BY business_date, kind, id"
            try await Self.expectWalk(Schemas.ExceptionPage.self, api, db, "/v1/reconciliation-exceptions", order: order)
            try await Self.expectWalk(Schemas.ExceptionPage.self, api, db, "/v1/reconciliation-exceptions?state=open&date_from=2026-11-01", order: order)
        }
    }

    @Test("250 claims walked with limit=100: each exactly once, in queue order")
    func claims() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                // One claim made the real way; 249 more are copies of it on copies of its policy.
                let policy = try await InsuranceAPITests.buy(api, client)
                _ = try await InsuranceAPITests.returnGoods(api, client, policyID: policy)
                try await db.client.query("""
                    INSERT INTO shipping_policies
                    SELECT (jsonb_populate_record(p, jsonb_build_object('id', md5('policy-' || g)::uuid))).*
                    FROM shipping_policies p, generate_series(1, 249) g
                    """, logger: db.logger)
                try await db.client.query("""
                    INSERT INTO insurance_claims OVERRIDING SYSTEM VALUE
                    SELECT (jsonb_populate_record(c, jsonb_build_object('policy_id', md5('policy-' || g)::uuid, 'id', gen_random_uuid(),
                                                                       'seq', c.seq + 1000 + (g * 7919) % 250))).*
                    FROM insurance_claims c, generate_series(1, 249) g
                    """, logger: db.logger)
                let expected = try await Self.ids(db, "SELECT id FROM insurance_claims ORDER BY seq")
                #expect(expected.count == 250)
                try await Self.expectWalk(Schemas.ClaimPage.self, client, "/v1/claims", key: api.insurerKey, expected: expected)
            }
        }
    }

    @Test("250 bills of one account walked with limit=100: each exactly once, newest statement first")
    func bills() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            let account = UUID()
            try await Self.insertCreditAccount(db, account)
            try await db.client.query("""
                INSERT INTO credit_bills (credit_account_id, id, statement_date, cycle_start, due_date, currency, principal, fees, late_fees, total_due)
                SELECT \(account), gen_random_uuid(), DATE '2020-01-01' + g, DATE '2020-01-01' + g - 30, DATE '2020-01-01' + g + 10,
                       'CNY', 10000, 0, 0, 10000
                FROM generate_series(1, 250) g
                """, logger: db.logger)
            try await Self.expectWalk(Schemas.BillPage.self, api, db, "/v1/credit-accounts/\(account.uuidString.lowercased())/bills",
                                      order: "SELECT id FROM credit_bills ORDER BY statement_date DESC, id DESC")
        }
    }

    @Test("nightly runs page newest first: 200 runs give two full pages and no cursor to an empty third; 250 give 100, 100, 50")
    func nightlyRuns() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            // Three attempts per date: the attempt orders runs of one date.
            let insert: (Int, Int) -> PostgresQuery = { from, to in
                """
                INSERT INTO nightly_runs (id, business_date, attempt, status, triggered_by, finished_at)
                SELECT gen_random_uuid(), DATE '2024-01-01' + (g / 3)::int, (g % 3 + 1)::int, 'completed', 'paging-test', now()
                FROM generate_series(\(from), \(to)) g
                """
            }
            try await db.client.query(insert(1, 200), logger: db.logger)
            let order: PostgresQuery = "SELECT id FROM nightly_runs ORDER BY business_date DESC, attempt DESC, id DESC"
            try await Self.expectWalk(Schemas.NightlyRunPage.self, api, db, "/v1/nightly-runs", order: order)
            try await db.client.query(insert(201, 250), logger: db.logger)
            try await Self.expectWalk(Schemas.NightlyRunPage.self, api, db, "/v1/nightly-runs", order: order)
            try await api.withClient { client in
                let typed = try await client.typed(api.operatorKey).getNightlyRuns(query: .init(limit: 1)).ok.body.json
                #expect(typed.data.first?.triggeredBy == "paging-test" && typed.nextCursor != nil)
            }
        }
    }

    @Test("250 statements (half imported in one instant) walked with limit=100: each exactly once, newest import first")
    func statements() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await db.client.query("""
                INSERT INTO statements (id, format, file_hash, statement_ref, currency, balance_verdict, imported_by, imported_at)
                SELECT gen_random_uuid(), 'camt053', 'hash-' || g, 'STMT-' || g, 'CNY', 'not_checkable', 'paging-test',
                       CASE WHEN g <= 125 THEN now() ELSE now() - g * interval '1 second' END
                FROM generate_series(1, 250) g
                """, logger: db.logger)
            let order: PostgresQuery = "SELECT id FROM statements ORDER BY imported_at DESC, id DESC"
            try await Self.expectWalk(Schemas.StatementPage.self, api, db, "/v1/statements", order: order)
            let expected = try await Self.ids(db, order)
            try await api.withClient { client in
                let typed = try await client.typed(api.operatorKey).getStatements(query: .init(limit: 2)).ok.body.json
                #expect(typed.data.map(\.id) == Array(expected.prefix(2)) && typed.nextCursor != nil)
            }
        }
    }

    @Test("every list answers a bad limit or cursor with a 422 problem naming the field")
    func badLimitsAndCursors() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            let accountID = UUID()
            try await Self.insertCreditAccount(db, accountID)
            let account = accountID.uuidString.lowercased()
            let id = UUID().uuidString.lowercased()
            let lists = [
                "/v1/suppliers", "/v1/credit-accounts", "/v1/receivables", "/v1/claims", "/v1/credit-accounts/\(account)/bills",
                "/v1/reconciliation-exceptions", "/v1/nightly-runs", "/v1/statements", "/v1/events", "/v1/webhook-endpoints",
                "/v1/payment-orders", "/v1/payment-batches",
            ]
            // Not base64; base64 of no cursor; a cursor whose key no list uses; a timestamp key on a date-keyed list and back.
            let garbage = ["%21%21", "bm90LWEtY3Vyc29y", Self.cursor("garbage|\(id)"), Self.cursor("2026-13-45|\(id)"),
                           Self.cursor("2026-11-30T18:01:23.123456/x/y|\(id)")]
            try await api.withClient { client in
                for path in lists {
                    for limit in ["0", "501", "abc", "-1", "1.5"] {
                        let r = try await client.call(.get, "\(path)?limit=\(limit)", key: api.operatorKey)
                        #expect(r.status == .unprocessableContent && r.problemFields == ["limit"], "\(path) limit=\(limit): \(r.text)")
                        #expect(r.contentType?.hasPrefix("application/problem+json") == true, "\(path)")
                    }
                    for cursor in garbage {
                        let r = try await client.call(.get, "\(path)?cursor=\(cursor)", key: api.operatorKey)
                        #expect(r.status == .unprocessableContent && r.problemFields == ["cursor"], "\(path) cursor=\(cursor): \(r.text)")
                    }
                    for limit in ["1", "500"] {
                        let r = try await client.call(.get, "\(path)?limit=\(limit)", key: api.operatorKey)
                        #expect(r.status == .ok, "\(path) limit=\(limit): \(r.text)")
                    }
                }
            }
        }
    }

    /// One active credit account, straight into the table.
    static func insertCreditAccount(_ db: Database, _ id: UUID) async throws {
        try await db.client.query("""
            INSERT INTO credit_accounts (id, product_id, national_id_hmac, national_id_last4, phone_hmac, phone_masked, currency,
                                         credit_limit, status, score, score_reasons, score_detail, features, opened_on)
            VALUES (\(id), '00000000-0000-4000-8000-000000000001', sha256(('n-' || \(id.uuidString))::bytea), '0000',
                    sha256(('p-' || \(id.uuidString))::bytea), '138****0000', 'CNY', 500000, 'active', 700, '{}', '[]', '{}', current_date)
            """, logger: db.logger)
    }

    static func cursor(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
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

/// A list envelope of the contract (`{"data": [...], "next_cursor": …}`), read generically by the walks above.
protocol ListPage: Decodable {
    var ids: [String] { get }
    var nextCursor: String? { get }
}

extension Schemas.ReceivablePage: ListPage { var ids: [String] { data.map(\.id) } }
extension Schemas.ExceptionPage: ListPage { var ids: [String] { data.map(\.id) } }
extension Schemas.ClaimPage: ListPage { var ids: [String] { data.map(\.id) } }
extension Schemas.BillPage: ListPage { var ids: [String] { data.map(\.id) } }
extension Schemas.NightlyRunPage: ListPage { var ids: [String] { data.map(\.id) } }
extension Schemas.StatementPage: ListPage { var ids: [String] { data.map(\.id) } }
