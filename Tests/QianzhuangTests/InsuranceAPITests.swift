import Domain
import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Persistence
import QianzhuangClient
import Services
import Testing

@Suite("Return shipping insurance over HTTP")
struct InsuranceAPITests {
    /// Dates relative to the real clock: the router's service uses it.
    static var today: BusinessDate { BusinessCalendar.shanghai.businessDate(at: Date()) }

    static func timestamp(hoursAgo: Double) -> String {
        Date().addingTimeInterval(-hoursAgo * 3600).formatted(Date.ISO8601FormatStyle())
    }

    static func policyJSON(order: String = "ORD-1", seller: String = "shop-1", cap: String = "\"12.00\"") -> String {
        """
        {"order_ref": "\(order)", "seller_ref": "\(seller)", "category": "apparel", "ship_from_region": "CN-33",
         "ship_to_region": "CN-31", "coverage_cap": {"amount": \(cap), "currency": "CNY"},
         "coverage_start": "\(today.adding(days: -10))", "coverage_end": "\(today.adding(days: 20))"}
        """
    }

    static func buy(_ api: TestAPI, _ client: any TestClientProtocol, order: String = "ORD-1") async throws -> String {
        let response = try await client.call(.post, "/v1/shipping-policies", key: api.platformKey, json: policyJSON(order: order))
        #expect(response.status == .created, "\(response.text)")
        return try response.decode(Schemas.ShippingPolicy.self).id
    }

    /// requested → shipped → delivered_to_seller; returns the last response.
    static func returnGoods(
        _ api: TestAPI, _ client: any TestClientProtocol, policyID: String, buyer: String = "buyer-1",
        tracking: String = "SF0001", cost: String = "10.00"
    ) async throws -> JSONResponse {
        let requested = try await client.call(.post, "/v1/return-events", key: api.platformKey, json: """
            {"policy_id": "\(policyID)", "event": "requested", "occurred_at": "\(timestamp(hoursAgo: 30))", "buyer_ref": "\(buyer)"}
            """)
        #expect(requested.status == .created, "\(requested.text)")
        let shipped = try await client.call(.post, "/v1/return-events", key: api.platformKey, json: """
            {"policy_id": "\(policyID)", "event": "shipped", "occurred_at": "\(timestamp(hoursAgo: 20))", "carrier": "SF Express",
             "tracking_number": "\(tracking)", "shipping_cost": {"amount": "\(cost)", "currency": "CNY"}}
            """)
        #expect(shipped.status == .created, "\(shipped.text)")
        return try await client.call(.post, "/v1/return-events", key: api.platformKey, json: """
            {"policy_id": "\(policyID)", "event": "delivered_to_seller", "occurred_at": "\(timestamp(hoursAgo: 1))"}
            """)
    }

    @Test("quote shows every part of the premium")
    func quote() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let response = try await client.call(.post, "/v1/shipping-policies/quotes", key: api.platformKey,
                                                     json: #"{"seller_ref": "shop-1", "category": "apparel"}"#)
                #expect(response.status == .ok)
                let quote = try response.decode(Schemas.PremiumQuote.self)
                let pricing = quote.pricing
                #expect(pricing.basePremium.amount == "0.80")
                #expect(pricing.credibility == "0")
                #expect(pricing.sellerLossRatio == nil && response.sendsNull("seller_loss_ratio"))
                #expect(pricing.experienceFactor == "1")
                #expect(pricing.premium.amount == "0.80")
                #expect(pricing.commission.amount == "0.12")
                #expect(pricing.insurerShare.amount == "0.68")
                #expect(pricing.commissionRate == "0.15")
                #expect(quote.factorClamped == false)
                #expect(quote.asOf == Self.today.description)
                #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM journal_entries") == 0)
            }
        }
    }

    @Test("policy → return → claim → payout over HTTP, and the policy shows it all")
    func fullFlow() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let id = try await Self.buy(api, client)
                let delivered = try await Self.returnGoods(api, client, policyID: id)
                #expect(delivered.status == .created)
                let result = try delivered.decode(Schemas.ReturnEventResult.self)
                #expect(result.returnStage == .deliveredToSeller)
                let claim = try #require(result.claim)
                #expect(claim.status == .paid)
                #expect(claim.amount.amount == "10.00")
                #expect(claim.payoutEntryId != nil)
                let claimID = claim.id

                let insurer = client.typed(api.insurerKey)
                let policy = try await insurer.getShippingPoliciesById(path: .init(id: id)).ok.body.json
                #expect(policy.returnEvents.count == 3)
                #expect(policy.claim?.id == claimID)

                let read = try await insurer.getClaimsById(path: .init(id: claimID)).ok.body.json
                #expect(read.signals.buyerRecentReturns == 1)

                let payable = try await client.typed(api.operatorKey)
                    .getLedgerAccountsByCode(path: .init(code: "insurance.claims_payable.shop-1.cny")).ok.body.json
                #expect(payable.normalBalance.amount == "10.00")

                let ratios = try await insurer.getLossRatios(query: .init(sellerRef: "shop-1")).ok.body.json
                let overall = try #require(ratios.overall.first)
                #expect(overall.lossRatio == "12.5")
                #expect(overall.policiesEarned == 1)

                let violations = try await db.client.withConnection { try await LedgerStore.integrityViolations(on: $0, logger: db.logger) }
                #expect(violations.isEmpty)
            }
        }
    }

    @Test("an out-of-order event is a 409 problem naming the current state; a repeat is 200 and changes nothing")
    func eventOrderOverHTTP() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let id = try await Self.buy(api, client)
                let early = try await client.call(.post, "/v1/return-events", key: api.platformKey, json: """
                    {"order_ref": "ORD-1", "event": "delivered_to_seller", "occurred_at": "\(Self.timestamp(hoursAgo: 1))"}
                    """)
                #expect(early.status == .conflict)
                #expect(early.contentType == "application/problem+json")
                #expect(early.problemType == "https://qianzhuang.dev/problems/return_event_out_of_order")
                #expect(try early.decode(Schemas.Problem.self).detail.contains("current_state: none"))
                let body = """
                    {"policy_id": "\(id)", "event": "requested", "occurred_at": "\(Self.timestamp(hoursAgo: 2))", "buyer_ref": "b"}
                    """
                #expect(try await client.call(.post, "/v1/return-events", key: api.platformKey, json: body).status == .created)
                let again = try await client.call(.post, "/v1/return-events", key: api.platformKey, json: body)
                #expect(again.status == .ok)
                #expect(try again.decode(Schemas.ReturnEventResult.self).recorded == false)
                #expect(try again.decode(Schemas.ReturnEventResult.self).claim == nil && again.sendsNull("claim"))
                #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM insurance_return_events") == 1)
            }
        }
    }

    @Test("an insurer key cannot buy policies or post return events; a platform key cannot read or decide claims")
    func roles() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let refused = try await client.call(.post, "/v1/shipping-policies", key: api.insurerKey, json: Self.policyJSON())
                #expect(refused.status == .forbidden)
                #expect(try await client.call(.post, "/v1/shipping-policies/quotes", key: api.insurerKey,
                                              json: #"{"seller_ref": "s", "category": "apparel"}"#).status == .forbidden)
                #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM shipping_policies") == 0)

                let id = try await Self.buy(api, client)
                let event = try await client.call(.post, "/v1/return-events", key: api.insurerKey, json: """
                    {"policy_id": "\(id)", "event": "requested", "occurred_at": "\(Self.timestamp(hoursAgo: 1))", "buyer_ref": "b"}
                    """)
                #expect(event.status == .forbidden)

                // A claim in review (the tracking number is reused), which the platform may not decide.
                _ = try await Self.returnGoods(api, client, policyID: id, buyer: "b1", tracking: "T-1")
                let other = try await Self.buy(api, client, order: "ORD-2")
                let flagged = try await Self.returnGoods(api, client, policyID: other, buyer: "b2", tracking: "T-1")
                let claim = try #require(try flagged.decode(Schemas.ReturnEventResult.self).claim)
                #expect(claim.status == .inReview)
                let claimID = claim.id
                let decide = try await client.call(.post, "/v1/claims/\(claimID)/decision", key: api.platformKey,
                                                   json: #"{"decision": "approve"}"#)
                #expect(decide.status == .forbidden)
                #expect(try await client.call(.get, "/v1/claims", key: api.platformKey).status == .forbidden)
                #expect(try await client.call(.get, "/v1/claims/\(claimID)", key: api.platformKey).status == .forbidden)
                #expect(try await client.call(.get, "/v1/claims", key: nil).status == .unauthorized)
                #expect(try await db.scalar(String.self, "SELECT status FROM insurance_claims WHERE id = \(UUID(uuidString: claimID)!)") == "in_review")

                let approved = try await client.call(.post, "/v1/claims/\(claimID)/decision", key: api.insurerKey,
                                                     json: #"{"decision": "approve", "reason": "checked with the carrier"}"#)
                #expect(approved.status == .ok)
                #expect(try approved.decode(Schemas.Claim.self).status == .approved)
            }
        }
    }

    @Test("bad inputs are problem+json naming the field, and write nothing")
    func badInputs() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let cases: [(String, String, String)] = [
                    ("/v1/shipping-policies", Self.policyJSON(cap: "\"12.001\""), "coverage_cap.amount"),
                    ("/v1/shipping-policies", Self.policyJSON(cap: "12"), "coverage_cap.amount"),
                    ("/v1/shipping-policies", Self.policyJSON(cap: "\"0.00\""), "coverage_cap.amount"),
                    ("/v1/shipping-policies", Self.policyJSON(seller: "shop one"), "seller_ref"),
                    ("/v1/shipping-policies", Self.policyJSON().replacingOccurrences(of: "\"category\"", with: "\"categroy\""), "category"),
                    ("/v1/shipping-policies", Self.policyJSON().replacingOccurrences(of: "\"coverage_start\": \"", with: "\"coverage_start\": \"x"), "coverage_start"),
                    ("/v1/shipping-policies/quotes", #"{"seller_ref": "s"}"#, "category"),
                    ("/v1/shipping-policies/quotes", #"{"seller_ref": "s", "category": "apparel", "colour": "red"}"#, "colour"),
                    ("/v1/return-events", #"{"event": "requested", "occurred_at": "2026-11-20T10:00:00+08:00", "buyer_ref": "b"}"#, "policy_id"),
                    ("/v1/return-events", #"{"policy_id": "nope", "event": "requested", "occurred_at": "2026-11-20T10:00:00+08:00"}"#, "policy_id"),
                    ("/v1/return-events", #"{"order_ref": "o", "event": "lost", "occurred_at": "2026-11-20T10:00:00+08:00"}"#, "event"),
                    ("/v1/return-events", #"{"order_ref": "o", "event": "requested", "occurred_at": "yesterday", "buyer_ref": "b"}"#, "occurred_at"),
                    ("/v1/return-events", #"{"order_ref": "o", "event": "requested", "occurred_at": "2026-11-20T10:00:00", "buyer_ref": "b"}"#, "occurred_at"),
                    ("/v1/return-events", #"{"order_ref": "o", "event": "shipped", "occurred_at": "2026-11-20T10:00:00Z", "carrier": "SF", "tracking_number": "T", "shipping_cost": {"amount": "-1.00", "currency": "CNY"}}"#, "shipping_cost.amount"),
                    ("/v1/return-events", #"{"order_ref": "o", "event": "shipped", "occurred_at": "2026-11-20T10:00:00Z", "carrier": "SF", "tracking_number": "T"}"#, "shipping_cost"),
                ]
                for (path, json, field) in cases {
                    let response = try await client.call(.post, path, key: api.platformKey, json: json)
                    #expect(response.status == .unprocessableContent, "\(path) \(json): \(response.text)")
                    #expect(response.contentType == "application/problem+json")
                    // A misspelt key is reported twice in one answer: the required field missing, the typo unknown.
                    let expected = json.contains("\"categroy\"") ? [field, "categroy"] : [field]
                    #expect(response.problemFields == expected, "\(json)")
                }
                let malformed = try await client.call(.post, "/v1/shipping-policies", key: api.platformKey, json: "{")
                #expect(malformed.status == .badRequest)
                let claims = try await client.call(.get, "/v1/claims?status=open", key: api.insurerKey)
                #expect(claims.problemFields == ["status"])
                #expect(try await client.call(.get, "/v1/claims?limit=0", key: api.insurerKey).problemFields == ["limit"])
                #expect(try await client.call(.get, "/v1/claims?cursor=abc", key: api.insurerKey).problemFields == ["cursor"])
                #expect(try await client.call(.get, "/v1/claims/not-a-uuid", key: api.insurerKey).problemFields == ["id"])
                #expect(try await client.call(.get, "/v1/shipping-policies/\(UUID())", key: api.platformKey).status == .notFound)
                #expect(try await client.call(.get, "/v1/loss-ratios?seller_ref=a%20b", key: api.insurerKey).problemFields == ["seller_ref"])
                let decision = try await client.call(.post, "/v1/claims/\(UUID())/decision", key: api.insurerKey,
                                                     json: #"{"decision": "maybe"}"#)
                #expect(decision.problemFields == ["decision"])
                for table in ["shipping_policies", "shipping_policy_orders", "insurance_return_events", "insurance_claims", "journal_entries"] {
                    #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM \(unescaped: table)") == 0, "\(table)")
                }
            }
        }
    }

    @Test("Idempotency-Key on policy purchases and return events replays the first answer and books once")
    func idempotencyKeys() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let first = try await client.call(.post, "/v1/shipping-policies", key: api.platformKey, json: Self.policyJSON(),
                                                  headers: ["Idempotency-Key": "buy-1"])
                #expect(first.status == .created)
                let replay = try await client.call(.post, "/v1/shipping-policies", key: api.platformKey, json: Self.policyJSON(),
                                                   headers: ["Idempotency-Key": "buy-1"])
                #expect(replay.status == .created)
                #expect(replay.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
                #expect(replay.text == first.text)
                let other = try await client.call(.post, "/v1/shipping-policies", key: api.platformKey,
                                                  json: Self.policyJSON(order: "ORD-2"), headers: ["Idempotency-Key": "buy-1"])
                #expect(other.status == .unprocessableContent)
                #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM shipping_policies") == 1)
                #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM journal_entries WHERE kind = 'insurance.premium'") == 1)

                // The same order without a key is refused by the business key.
                let duplicate = try await client.call(.post, "/v1/shipping-policies", key: api.platformKey, json: Self.policyJSON())
                #expect(duplicate.status == .conflict)
                #expect(duplicate.problemType == "https://qianzhuang.dev/problems/order_already_insured")

                let id = try first.decode(Schemas.ShippingPolicy.self).id
                let body = """
                    {"policy_id": "\(id)", "event": "requested", "occurred_at": "\(Self.timestamp(hoursAgo: 2))", "buyer_ref": "b"}
                    """
                let event = try await client.call(.post, "/v1/return-events", key: api.platformKey, json: body,
                                                  headers: ["Idempotency-Key": "ev-1"])
                let eventReplay = try await client.call(.post, "/v1/return-events", key: api.platformKey, json: body,
                                                        headers: ["Idempotency-Key": "ev-1"])
                #expect(event.status == .created)
                #expect(eventReplay.status == .created)
                #expect(eventReplay.text == event.text)
                #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM insurance_return_events") == 1)
            }
        }
    }

    @Test("20 concurrent delivered_to_seller requests make one claim and one payout")
    func concurrentDeliveryOverHTTP() async throws {
        try await withTestDatabase(maxConnections: 10) { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let id = try await Self.buy(api, client)
                let delivered = try await Self.returnGoods(api, client, policyID: id, cost: "9.99")
                #expect(delivered.status == .created)
                let body = """
                    {"policy_id": "\(id)", "event": "delivered_to_seller", "occurred_at": "\(Self.timestamp(hoursAgo: 1))"}
                    """
                let statuses = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { group in
                    for _ in 0..<20 {
                        group.addTask {
                            let response = try await client.call(.post, "/v1/return-events", key: api.platformKey, json: body)
                            return (response.status, try response.decode(Schemas.ReturnEventResult.self).claim?.id)
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(statuses.allSatisfy { $0.0 == .ok })
                #expect(Set(statuses.compactMap(\.1)).count == 1)
                #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM insurance_claims") == 1)
                #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM journal_entries WHERE kind = 'insurance.claim_payout'") == 1)
                #expect(try await db.scalar(Int64.self, "SELECT COALESCE(sum(amount), 0)::bigint FROM postings") == 0)
            }
        }
    }

    @Test("the claims queue pages with an opaque cursor and filters by status")
    func claimsPaging() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                // Three claims in review: all reuse one tracking number after a first, paid claim.
                for i in 0..<4 {
                    let id = try await Self.buy(api, client, order: "ORD-\(i)")
                    _ = try await Self.returnGoods(api, client, policyID: id, buyer: "b-\(i)", tracking: "SAME")
                }
                let insurer = client.typed(api.insurerKey)
                let first = try await insurer.getClaims(query: .init(status: .inReview, limit: 2)).ok.body.json
                #expect(first.data.count == 2)
                let cursor = try #require(first.nextCursor)
                let secondResponse = try await client.call(.get, "/v1/claims?status=in_review&limit=2&cursor=\(cursor)", key: api.insurerKey)
                let second = try secondResponse.decode(Schemas.ClaimPage.self)
                #expect(second.data.count == 1)
                #expect(second.nextCursor == nil && secondResponse.sendsNull("next_cursor"))
                let ids = (first.data + second.data).map(\.id)
                #expect(Set(ids).count == 3)
                let paid = try await insurer.getClaims(query: .init(status: .paid)).ok.body.json
                #expect(paid.data.count == 1)
                let all = try await client.typed(api.operatorKey).getClaims().ok.body.json
                #expect(all.data.count == 4)
            }
        }
    }
}
