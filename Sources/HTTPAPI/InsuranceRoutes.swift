import Domain
import Foundation
import Hummingbird
import Persistence
import Services

/// `/v1/shipping-policies`, `/v1/return-events`, `/v1/claims`, `/v1/loss-ratios` (issue 5).
struct InsuranceRoutes {
    let insurance: InsuranceService
    var metrics: BusinessMetrics?

    func addRoutes(to group: Routes) {
        group.post("/shipping-policies/quotes") { request, context in
            try context.require(.platform, .operator)
            let body = try await JSONBody.decode(QuoteRequest.self, from: request, context: context)
            let quote = try await insurance.quote(QuoteInput(sellerRef: body.sellerRef, category: body.category))
            return try JSONBody.response(QuoteBody(quote))
        }
        group.post("/shipping-policies") { request, context in
            let principal = try context.require(.platform, .operator)
            let body = try await JSONBody.decode(PolicyRequest.self, from: request, context: context)
            guard let seller = SellerRef(rawValue: body.sellerRef) else { throw Problem.validation("seller_ref", SellerRef.rule) }
            let terms = ShippingPolicyTerms(
                orderRef: body.orderRef, seller: seller, category: ProductCategory(body.category),
                shipFromRegion: body.shipFromRegion, shipToRegion: body.shipToRegion,
                coverageCap: try body.coverageCap.money(field: "coverage_cap", allowZero: false),
                coverageStart: try Field.date(body.coverageStart, "coverage_start"),
                coverageEnd: try Field.date(body.coverageEnd, "coverage_end"))
            let policy = try await insurance.buyPolicy(terms, actor: context.actor(principal))
            return try JSONBody.response(PolicyBody(policy), status: .created)
        }
        group.get("/shipping-policies/{id}") { _, context in
            try context.require(.platform, .operator, .insurer)
            let id = try context.pathID()
            return try JSONBody.response(PolicyBody(try await insurance.policy(id: id)))
        }
        group.post("/return-events") { request, context in
            let principal = try context.require(.platform, .operator)
            let body = try await JSONBody.decode(ReturnEventRequest.self, from: request, context: context)
            let result = try await insurance.recordReturnEvent(try body.input(), actor: context.actor(principal))
            return try JSONBody.response(ReturnEventResponse(result), status: result.recorded ? .created : .ok)
        }
        group.get("/claims") { request, context in
            try context.require(.insurer, .operator)
            let query = request.uri.queryParameters
            let status: ClaimStatus? = try query.get("status").map { try Field.oneOf($0, "status") }
            let page = try await insurance.claims(status: status, try Paging.request(request, key: .sequence))
            return try JSONBody.response(ListBody(page, ClaimBody.init))
        }
        group.get("/claims/{id}") { _, context in
            try context.require(.insurer, .operator)
            let id = try context.pathID()
            return try JSONBody.response(ClaimBody(try await insurance.claim(id: id)))
        }
        group.post("/claims/{id}/decision") { request, context in
            let principal = try context.require(.insurer, .operator)
            let id = try context.pathID()
            let body = try await JSONBody.decode(DecisionRequest.self, from: request, context: context)
            let decision: InsurerDecision = try Field.oneOf(body.decision, "decision", "must be approve or reject")
            let claim = try await insurance.decideClaim(
                id: id, decision: decision, reason: body.reason, actor: context.actor(principal))
            metrics?.claimDecision(claim.status.rawValue)
            return try JSONBody.response(ClaimBody(claim))
        }
        group.get("/loss-ratios") { request, context in
            try context.require(.platform, .insurer, .operator)
            let query = request.uri.queryParameters
            let report = try await insurance.lossRatios(
                sellerRef: query.get("seller_ref").map { String($0) }, category: query.get("category").map { String($0) })
            return try JSONBody.response(LossRatioReportBody(report))
        }
    }
}

// MARK: Requests

struct QuoteRequest: Codable {
    let sellerRef: String
    let category: String
}

struct PolicyRequest: Codable {
    let orderRef: String
    let sellerRef: String
    let category: String
    let shipFromRegion: String
    let shipToRegion: String
    let coverageCap: MoneyBody
    let coverageStart: String
    let coverageEnd: String
}

struct ReturnEventRequest: Codable {
    let policyId: String?
    let orderRef: String?
    let event: String
    let occurredAt: String
    let buyerRef: String?
    let carrier: String?
    let trackingNumber: String?
    let shippingCost: MoneyBody?

    func input() throws -> ReturnEventInput {
        let policy: PolicyLocator
        switch (policyId, orderRef) {
        case (let id?, nil): policy = .policyID(try Field.uuid(id, "policy_id"))
        case (nil, let ref?): policy = .orderRef(ref)
        default: throw Problem.validation("policy_id", "give exactly one of policy_id and order_ref")
        }
        let event: ReturnEvent = try Field.oneOf(event, "event")
        return ReturnEventInput(
            policy: policy, event: event, occurredAt: try Timestamp.parse(occurredAt, "occurred_at"),
            buyerRef: buyerRef, carrier: carrier, trackingNumber: trackingNumber,
            shippingCost: try shippingCost?.money(field: "shipping_cost"))
    }
}

struct DecisionRequest: Codable {
    let decision: String
    let reason: String?
}

extension Timestamp {
    /// An RFC 3339 timestamp with its offset (fractional seconds allowed), or a 422 naming `field`.
    static func parse(_ text: String, _ field: String) throws -> Date {
        // Foundation rolls impossible fields over (2026-02-30 becomes 2026-03-02); check them first.
        guard isWellFormed(text) else {
            throw Problem.validation(field, "must be an RFC 3339 timestamp with an offset and a real date and time, e.g. 2026-11-26T09:30:00+08:00")
        }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return date }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        throw Problem.validation(field, "must be an RFC 3339 timestamp with an offset, e.g. 2026-11-26T09:30:00+08:00")
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` with a calendar date that exists and times in range.
    static func isWellFormed(_ text: String) -> Bool {
        let b = Array(text.utf8)
        guard b.count >= 20, BusinessDate(String(decoding: b[0..<10], as: UTF8.self)) != nil,
              b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"), b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":")
        else { return false }
        func number(_ at: Int) -> Int? {
            guard at + 2 <= b.count, b[at..<at + 2].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
            return Int(b[at] - UInt8(ascii: "0")) * 10 + Int(b[at + 1] - UInt8(ascii: "0"))
        }
        guard let hour = number(11), hour <= 23, let minute = number(14), minute <= 59, let second = number(17), second <= 59 else { return false }
        var i = 19
        if b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[i]) { i += 1 }
            guard i > start, i < b.count else { return false }
        }
        if i == b.count - 1 { return b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") }
        guard i + 6 == b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), b[i + 3] == UInt8(ascii: ":"),
              let offsetHours = number(i + 1), offsetHours <= 23, let offsetMinutes = number(i + 4), offsetMinutes <= 59
        else { return false }
        return true
    }
}

// MARK: Responses

/// An optional that is written as JSON null rather than left out.
struct Nullable<Wrapped: Encodable>: Encodable {
    let value: Wrapped?
    init(_ value: Wrapped?) { self.value = value }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value { try container.encode(value) } else { try container.encodeNil() }
    }
}

/// A rate or ratio for display: a decimal string rounded half-even to 6 places (the stored and
/// applied values are exact; this is only how they are shown).
func ratioText(_ value: Decimal) -> String { value.rounded(scale: 6, .halfEven).description }

struct PricingBody: Encodable {
    let basePremium: MoneyBody
    let policiesEarned: Int
    /// Z = n / (n + k).
    let credibility: String
    let sellerLossRatio: Nullable<String>
    let expectedLossRatio: String
    let experienceFactor: String
    let premium: MoneyBody
    let commissionRate: String
    let commission: MoneyBody
    let insurerShare: MoneyBody

    init(_ p: PolicyPremium) {
        basePremium = MoneyBody(p.basePremium)
        policiesEarned = p.policiesEarned
        credibility = ratioText(p.credibility)
        sellerLossRatio = Nullable(p.sellerLossRatio.map(ratioText))
        expectedLossRatio = ratioText(p.expectedLossRatio)
        experienceFactor = ratioText(p.experienceFactor)
        premium = MoneyBody(p.premium)
        commissionRate = ratioText(p.commissionRate)
        commission = MoneyBody(p.commission)
        insurerShare = MoneyBody(p.insurerShare)
    }
}

struct QuoteBody: Encodable {
    let sellerRef: String
    let category: String
    let asOf: String
    let pricing: PricingBody
    let unclampedFactor: String
    let factorClamped: Bool

    init(_ q: InsuranceQuote) {
        sellerRef = q.seller.rawValue
        category = q.quote.category.rawValue
        asOf = q.asOf.description
        pricing = PricingBody(PolicyPremium(q.quote))
        unclampedFactor = ratioText(q.quote.unclampedFactor)
        factorClamped = q.quote.isFactorClamped
    }
}

struct ReturnEventBody: Encodable {
    let event: String
    let occurredAt: String
    let businessDate: String
    let buyerRef: String?
    let carrier: String?
    let trackingNumber: String?
    let shippingCost: MoneyBody?
    let recordedAt: String

    init(_ e: ReturnEventRecord) {
        event = e.event.rawValue
        occurredAt = Timestamp.rfc3339(e.occurredAt)
        businessDate = e.businessDate.description
        buyerRef = e.buyerRef
        carrier = e.carrier
        trackingNumber = e.trackingNumber
        shippingCost = e.shippingCost.map(MoneyBody.init)
        recordedAt = Timestamp.rfc3339(e.recordedAt)
    }
}

struct PolicyBody: Encodable {
    let id: String
    let orderRef: String
    let sellerRef: String
    let category: String
    let shipFromRegion: String
    let shipToRegion: String
    let coverageCap: MoneyBody
    let coverageStart: String
    let coverageEnd: String
    let status: String
    let returnStage: String
    let pricing: PricingBody
    let businessDate: String
    let premiumEntryId: String
    let createdAt: String
    let returnEvents: [ReturnEventBody]
    let claim: Nullable<ClaimBody>

    init(_ d: PolicyDetails) {
        let p = d.policy
        let t = p.terms
        id = p.id.uuidString.lowercased()
        orderRef = t.orderRef
        sellerRef = t.seller.rawValue
        category = t.category.rawValue
        shipFromRegion = t.shipFromRegion
        shipToRegion = t.shipToRegion
        coverageCap = MoneyBody(t.coverageCap)
        coverageStart = t.coverageStart.description
        coverageEnd = t.coverageEnd.description
        status = p.status.rawValue
        returnStage = p.returnStage.code
        pricing = PricingBody(p.premium)
        businessDate = p.businessDate.description
        premiumEntryId = p.premiumEntryID.uuidString.lowercased()
        createdAt = Timestamp.rfc3339(p.createdAt)
        returnEvents = d.events.map(ReturnEventBody.init)
        claim = Nullable(d.claim.map(ClaimBody.init))
    }
}

struct ReasonBody: Encodable {
    let code: String
    let detail: String
}

struct ClaimBody: Encodable {
    struct Signals: Encodable {
        let buyerRecentReturns: Int
        let routeUsualCost: Nullable<MoneyBody>
    }
    let id: String
    let policyId: String
    let sellerRef: String
    let category: String
    let status: String
    let amount: MoneyBody
    let shippingCost: MoneyBody
    let reasons: [ReasonBody]
    let flags: [ReasonBody]
    let carrier: String
    let trackingNumber: String
    let buyerRef: String
    let returnRequestedOn: String
    let signals: Signals
    let raisedAt: String
    let businessDate: String
    let decidedBy: Nullable<String>
    let decidedAt: Nullable<String>
    let decisionReason: Nullable<String>
    let paidOn: Nullable<String>
    let paidAt: Nullable<String>
    let payoutEntryId: Nullable<String>

    init(_ c: InsuranceClaimRecord) {
        id = c.id.uuidString.lowercased()
        policyId = c.policyID.uuidString.lowercased()
        sellerRef = c.seller.rawValue
        category = c.category.rawValue
        status = c.status.rawValue
        amount = MoneyBody(c.amount)
        shippingCost = MoneyBody(c.evidence.shippingCost)
        reasons = c.rejectionReasons.map { code in
            if code == InsurerDecision.rejectionCode {
                return ReasonBody(code: code, detail: c.decisionReason ?? "rejected by the insurer")
            }
            return ReasonBody(code: code, detail: ClaimRejectionReason(rawValue: code)?.detail ?? code)
        }
        flags = c.flags.map { ReasonBody(code: $0, detail: ClaimFlag(rawValue: $0)?.detail ?? $0) }
        carrier = c.evidence.carrier
        trackingNumber = c.evidence.trackingNumber
        buyerRef = c.evidence.buyerRef
        returnRequestedOn = c.evidence.returnRequestedOn.description
        signals = Signals(buyerRecentReturns: c.evidence.buyerReturnsLast30Days,
                          routeUsualCost: Nullable(c.evidence.routeUsualCost.map(MoneyBody.init)))
        raisedAt = Timestamp.rfc3339(c.raisedAt)
        businessDate = c.businessDate.description
        decidedBy = Nullable(c.decidedBy)
        decidedAt = Nullable(c.decidedAt.map(Timestamp.rfc3339))
        decisionReason = Nullable(c.decisionReason)
        paidOn = Nullable(c.paidOn?.description)
        paidAt = Nullable(c.paidAt.map(Timestamp.rfc3339))
        payoutEntryId = Nullable(c.payoutEntryID?.uuidString.lowercased())
    }
}

struct ReturnEventResponse: Encodable {
    let policyId: String
    let event: String
    /// False when the event had been recorded before and nothing changed.
    let recorded: Bool
    let returnStage: String
    let claim: Nullable<ClaimBody>

    init(_ r: ReturnEventResult) {
        policyId = r.policyID.uuidString.lowercased()
        event = r.event.rawValue
        recorded = r.recorded
        returnStage = r.stage.code
        claim = Nullable(r.claim.map(ClaimBody.init))
    }
}

struct LossRatioLineBody: Encodable {
    let category: Nullable<String>
    let currency: String
    let policiesEarned: Int
    let premiumsEarned: MoneyBody
    let claimsPaid: MoneyBody
    let lossRatio: Nullable<String>

    init(_ l: LossRatioLine) {
        category = Nullable(l.category?.rawValue)
        currency = l.currency.code
        policiesEarned = l.policiesEarned
        premiumsEarned = MoneyBody(l.premiumsEarned)
        claimsPaid = MoneyBody(l.claimsPaid)
        lossRatio = Nullable(l.lossRatio.map(ratioText))
    }
}

struct LossRatioReportBody: Encodable {
    let asOf: String
    let sellerRef: Nullable<String>
    let category: Nullable<String>
    let overall: [LossRatioLineBody]
    let byCategory: [LossRatioLineBody]

    init(_ r: LossRatioReport) {
        asOf = r.asOf.description
        sellerRef = Nullable(r.seller?.rawValue)
        category = Nullable(r.category?.rawValue)
        overall = r.overall.map(LossRatioLineBody.init)
        byCategory = r.byCategory.map(LossRatioLineBody.init)
    }
}
