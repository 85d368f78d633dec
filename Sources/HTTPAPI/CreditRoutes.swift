import Domain
import Foundation
import Hummingbird
import Persistence
import Services

/// `/v1/credit-products`, `/v1/credit-accounts`, `/v1/checkouts`, `/v1/installment-plans`,
/// `/v1/repayments`, `/v1/refunds` (issue 4). A declined checkout is not an error: it is a 201 with
/// `status: "declined"` and machine-readable `reasons`, like an authorized one with
/// `status: "authorized"` — the checkout resource exists either way and can be read back.
struct CreditRoutes {
    let credit: CreditService
    var metrics: BusinessMetrics?

    func addRoutes(to group: Routes) {
        group.post("/credit-products") { request, context in
            let principal = try context.require(.operator)
            let body = try await JSONBody.decode(CreditProductRequest.self, from: request, context: context)
            let product = try await credit.createProduct(try body.draft(), actor: context.actor(principal))
            return try JSONBody.response(CreditProductBody(product), status: .created)
        }
        group.get("/credit-products/{id}") { _, context in
            try context.require(.operator, .platform)
            let id = try context.pathID()
            return try JSONBody.response(CreditProductBody(try await credit.product(id: id)))
        }
        group.post("/credit-accounts") { request, context in
            let principal = try context.require(.operator, .platform)
            let body = try await JSONBody.decode(CreditAccountRequest.self, from: request, context: context)
            let opened = try await credit.openAccount(try body.application(), actor: context.actor(principal))
            return try JSONBody.response(try CreditAccountBody(opened.account), status: .created)
        }
        group.get("/credit-accounts") { request, context in
            try context.require(.operator)
            let status: CreditAccountStatus? = try request.uri.queryParameters.get("status").map { try Field.oneOf($0, "status") }
            let page = try await credit.accounts(status: status, try Paging.request(request))
            return try JSONBody.response(ListBody(page, CreditAccountBody.init))
        }
        group.get("/credit-accounts/{id}") { _, context in
            try context.require(.operator, .platform)
            let id = try context.pathID()
            return try JSONBody.response(try CreditAccountBody(try await credit.account(id: id)))
        }
        group.post("/credit-accounts/{id}/limit-changes") { request, context in
            let principal = try context.require(.operator)
            let id = try context.pathID()
            let body = try await JSONBody.decode(LimitChangeRequestBody.self, from: request, context: context)
            let account = try await credit.changeLimit(accountID: id, to: try body.newLimit.money(field: "new_limit"),
                                                       reason: try body.reason(), actor: context.actor(principal))
            return try JSONBody.response(try CreditAccountBody(account))
        }
        group.post("/credit-accounts/{id}/closure") { request, context in
            let principal = try context.require(.operator, .platform)
            let id = try context.pathID()
            _ = try await Self.optionalBody(EmptyRequestBody.self, request)
            return try JSONBody.response(try CreditAccountBody(try await credit.closeAccount(accountID: id, actor: context.actor(principal))))
        }
        group.post("/credit-accounts/{id}/recoveries") { request, context in
            let principal = try context.require(.operator, .platform)
            let id = try context.pathID()
            let body = try await JSONBody.decode(RecoveryRequestBody.self, from: request, context: context)
            let result = try await credit.recover(accountID: id, amount: try body.amount.money(field: "amount", allowZero: false),
                                                  externalRef: try Field.nonEmpty(body.externalRef, "external_ref"),
                                                  actor: context.actor(principal))
            return try JSONBody.response(RecoveryBody(result), status: .created)
        }
        group.post("/checkouts") { request, context in
            let principal = try context.require(.operator, .platform)
            let body = try await JSONBody.decode(CheckoutRequestBody.self, from: request, context: context)
            let outcome = try await credit.authorize(try body.request(), actor: context.actor(principal))
            metrics?.checkout(outcome.checkout.status.rawValue)
            return try JSONBody.response(CheckoutBody(outcome.checkout, available: outcome.available, annualRates: outcome.annualRates),
                                         status: .created)
        }
        group.get("/checkouts/{id}") { _, context in
            try context.require(.operator, .platform)
            let id = try context.pathID()
            return try JSONBody.response(CheckoutBody(try await credit.checkout(id: id), available: nil))
        }
        group.post("/checkouts/{id}/capture") { request, context in
            let principal = try context.require(.operator, .platform)
            let id = try context.pathID()
            let body = try await Self.optionalBody(CaptureRequestBody.self, request)
            let amount = try body?.amount.map { try $0.money(field: "amount", allowZero: false) }
            let outcome = try await credit.capture(checkoutID: id, amount: amount, actor: context.actor(principal))
            metrics?.checkout(outcome.checkout.status.rawValue)
            return try JSONBody.response(CheckoutBody(outcome.checkout, available: outcome.available))
        }
        group.post("/checkouts/{id}/void") { request, context in
            let principal = try context.require(.operator, .platform)
            let id = try context.pathID()
            _ = try await Self.optionalBody(EmptyRequestBody.self, request)
            let outcome = try await credit.void(checkoutID: id, actor: context.actor(principal))
            metrics?.checkout(outcome.checkout.status.rawValue)
            return try JSONBody.response(CheckoutBody(outcome.checkout, available: outcome.available))
        }
        group.get("/installment-plans/{id}") { _, context in
            try context.require(.operator, .platform)
            let id = try context.pathID()
            return try JSONBody.response(PlanBody(try await credit.plan(id: id)))
        }
        group.get("/installment-plans/{id}/payoff-quote") { request, context in
            try context.require(.operator, .platform)
            let id = try context.pathID()
            let asOf = try request.uri.queryParameters.get("as_of").map { try Field.date(String($0), "as_of") }
            let (quote, rates) = try await credit.payoffQuoteWithRates(planID: id, asOf: asOf)
            return try JSONBody.response(PayoffQuoteBody(planID: id, quote, annualRates: rates))
        }
        group.post("/installment-plans/{id}/conversions") { request, context in
            let principal = try context.require(.operator, .platform)
            let id = try context.pathID()
            let body = try await JSONBody.decode(ConversionRequestBody.self, from: request, context: context)
            let plan = try await credit.convert(planID: id, tenor: body.tenor, actor: context.actor(principal))
            return try JSONBody.response(PlanBody(plan), status: .created)
        }
        group.post("/repayments") { request, context in
            let principal = try context.require(.operator, .platform)
            let body = try await JSONBody.decode(RepaymentRequestBody.self, from: request, context: context)
            if let billRequest = try body.billRequest() {
                let paid = try await credit.repayBill(billRequest, actor: context.actor(principal))
                return try JSONBody.response(BillRepaymentBody(paid, today: credit.today), status: .created)
            }
            let result = try await credit.repay(try body.request(), actor: context.actor(principal))
            return try JSONBody.response(RepaymentBody(result), status: .created)
        }
        group.post("/refunds") { request, context in
            let principal = try context.require(.operator, .platform)
            let body = try await JSONBody.decode(RefundRequestBody.self, from: request, context: context)
            let result = try await credit.refund(try body.request(), actor: context.actor(principal))
            return try JSONBody.response(RefundBody(result, orderRef: body.orderRef), status: .created)
        }
        CreditBillRoutes(credit: credit).addRoutes(to: group)
    }

    /// A body that may be absent (capture and void need none); when present it is strict JSON.
    static func optionalBody<T: Codable>(_ type: T.Type, _ request: Request) async throws -> T? {
        let bytes = try await JSONBody.collect(request)
        guard !bytes.isEmpty else { return nil }
        return try JSONBody.decode(type, from: bytes)
    }

    static func merchantID(_ text: String) throws -> String {
        // ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$, checked byte by byte (a regular expression per checkout costs more than the rest of the parsing).
        func alphanumeric(_ b: UInt8) -> Bool { (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) }
        let bytes = text.utf8
        guard (1...64).contains(bytes.count), let first = bytes.first, alphanumeric(first),
              bytes.allSatisfy({ alphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") })
        else {
            throw Problem.validation("merchant_id", "must be 1 to 64 letters, digits, '_', '.' or '-' (case-insensitive)")
        }
        return text.lowercased()
    }
}

// MARK: Requests

struct CreditProductRequest: Codable {
    struct Tenor: Codable {
        let tenor: Int
        /// "flat_monthly_fee" or "declining_balance".
        let pricing: String
        let monthlyRate: String
    }
    let code: String
    let name: String
    /// Default: the standard tenors and pricing (3, 6, 12 flat 0.6 %; 24 declining 1 %).
    let tenors: [Tenor]?
    let interestFreeDays: Int?
    let graceDays: Int?
    let dailyLateFeeRate: String?
    let lateFeeCap: String?
    let authorizationExpiryHours: Int?
    let rounding: String?
    /// "due_date_order" (default).
    let allocationStrategy: String?
    /// "prepay_next_bills" (default) or "refuse".
    let overpayment: String?
    /// The monthly bill's days for the product's accounts, 1–28 (default 1 and 10).
    let statementDay: Int?
    let repaymentDay: Int?

    func draft() throws -> CreditProductDraft {
        guard code.range(of: #"^[a-z0-9][a-z0-9_-]{0,63}$"#, options: .regularExpression) != nil else {
            throw Problem.validation("code", "must be 1 to 64 lower-case letters, digits, '_' or '-'")
        }
        let defaults = CreditProduct.standard
        guard tenors?.isEmpty != true else { throw Problem.validation("tenors", "must not be empty") }
        var pricing: [Int: InstallmentPricing] = tenors == nil ? defaults.pricing : [:]
        for (i, tenor) in (tenors ?? []).enumerated() {
            guard (1...60).contains(tenor.tenor) else { throw Problem.validation("tenors[\(i)].tenor", "must be 1 to 60") }
            guard pricing[tenor.tenor] == nil else { throw Problem.validation("tenors[\(i)].tenor", "appears twice") }
            let rate = try Rate.parse(tenor.monthlyRate, "tenors[\(i)].monthly_rate",
                                             scale: RatePrecision.creditScale)
            guard rate < 1 else { throw Problem.validation("tenors[\(i)].monthly_rate", "must be below 1") }
            guard let price = InstallmentPricing(methodName: tenor.pricing, rate: rate) else {
                throw Problem.validation("tenors[\(i)].pricing", "must be flat_monthly_fee or declining_balance")
            }
            pricing[tenor.tenor] = price
        }
        let rounding: RoundingRule = try rounding.map { try Field.oneOf($0, "rounding", "must be half_even, half_up, down or up") } ?? defaults.rounding
        let allocation: AllocationStrategy = try allocationStrategy.map {
            try Field.oneOf($0, "allocation_strategy", "must be due_date_order")
        } ?? defaults.allocation
        let overpaymentPolicy: OverpaymentPolicy = try overpayment.map {
            try Field.oneOf($0, "overpayment", "must be prepay_next_bills or refuse")
        } ?? defaults.overpayment
        let terms = CreditProduct(
            allowedTenors: pricing.keys.sorted(), pricing: pricing,
            interestFreeDays: interestFreeDays ?? defaults.interestFreeDays, graceDays: graceDays ?? defaults.graceDays,
            dailyLateFeeRate: try dailyLateFeeRate.map { try Rate.parse($0, "daily_late_fee_rate", scale: RatePrecision.creditScale) } ?? defaults.dailyLateFeeRate,
            lateFeeCap: try lateFeeCap.map { try Rate.parse($0, "late_fee_cap", scale: RatePrecision.creditScale) } ?? defaults.lateFeeCap,
            authorizationExpiryHours: authorizationExpiryHours ?? defaults.authorizationExpiryHours, rounding: rounding,
            allocation: allocation, overpayment: overpaymentPolicy, billing: try Self.billing(statementDay, repaymentDay))
        guard (0...366).contains(terms.interestFreeDays) else { throw Problem.validation("interest_free_days", "must be 0 to 366") }
        guard (0...60).contains(terms.graceDays) else { throw Problem.validation("grace_days", "must be 0 to 60") }
        guard terms.dailyLateFeeRate < 1 else { throw Problem.validation("daily_late_fee_rate", "must be below 1") }
        guard terms.lateFeeCap <= 10 else { throw Problem.validation("late_fee_cap", "must be at most 10") }
        guard (1...8760).contains(terms.authorizationExpiryHours) else {
            throw Problem.validation("authorization_expiry_hours", "must be 1 to 8760")
        }
        return CreditProductDraft(code: code, name: try Field.nonEmpty(name, "name"), terms: terms)
    }

    /// The product's billing days, each defaulting to the standard one; outside 1–28 a 422 naming the field.
    static func billing(_ statementDay: Int?, _ repaymentDay: Int?) throws -> BillingCycle {
        let fallback = BillingCycle.productDefault
        let (statement, repayment) = (statementDay ?? fallback.statementDay, repaymentDay ?? fallback.repaymentDay)
        guard let cycle = BillingCycle(statementDay: statement, repaymentDay: repayment) else {
            throw Problem.validation(BillingCycle.invalidField(statementDay: statement, repaymentDay: repayment) ?? "statement_day",
                                     "must be a day of the month from 1 to 28")
        }
        return cycle
    }
}

/// Behaviour features. JSON names avoid digits ("orders_last_year", not "orders_12m") because
/// snake_case key conversion does not round-trip digits, and the strict decoder would call them unknown.
struct CreditFeaturesBody: Codable {
    let accountAgeMonths: Int
    /// Orders in the last 12 months.
    let ordersLastYear: Int
    /// Spend in the last 12 months.
    let spendLastYear: MoneyBody
    let returnRate: String
    let distinctDeliveryAddresses: Int
    let onTimeRepaymentRatio: String?
    let priorOverdueCount: Int

    func features() throws -> CreditFeatures {
        let features = CreditFeatures(
            accountAgeMonths: accountAgeMonths, orders12m: ordersLastYear,
            spend12m: try spendLastYear.money(field: "features.spend_last_year"),
            returnRate: try Rate.parse(returnRate, "features.return_rate"),
            distinctDeliveryAddresses: distinctDeliveryAddresses,
            onTimeRepaymentRatio: try onTimeRepaymentRatio.map { try Rate.parse($0, "features.on_time_repayment_ratio") },
            priorOverdueCount: priorOverdueCount)
        do {
            try features.validate()
        } catch .invalidFeature(let name) {
            let wire = ["orders_12m": "orders_last_year", "spend_12m": "spend_last_year"][name] ?? name
            throw Problem.validation("features.\(wire)", "is out of range")
        } catch {
            throw Problem.validation("features", error.description)
        }
        return features
    }
}

struct CreditAccountRequest: Codable {
    let nationalId: String
    let phone: String
    let productId: String?
    let features: CreditFeaturesBody
    /// The account's own bill days (1–28); absent keeps the product's.
    let statementDay: Int?
    let repaymentDay: Int?

    func application() throws -> CreditApplication {
        guard let id = NationalID(nationalId) else {
            throw Problem.validation("national_id", "must be an 18-character resident identity number with a valid check character")
        }
        guard let mobile = MobilePhone(phone) else { throw Problem.validation("phone", "must be an 11-digit mainland mobile number") }
        if let field = BillingCycle.invalidField(statementDay: statementDay ?? 1, repaymentDay: repaymentDay ?? 1) {
            throw Problem.validation(field, "must be a day of the month from 1 to 28")
        }
        return CreditApplication(nationalID: id, phone: mobile, features: try features.features(),
                                 productID: try productId.map { try Field.uuid($0, "product_id") },
                                 statementDay: statementDay, repaymentDay: repaymentDay)
    }
}

/// Cash recovered on a charged-off account.
struct RecoveryRequestBody: Codable {
    let externalRef: String
    let amount: MoneyBody
}

struct RecoveryBody: Encodable {
    let id: String
    let creditAccountId: String
    let externalRef: String
    let amount: MoneyBody
    let businessDate: String
    let writtenOff: MoneyBody
    let recovered: MoneyBody

    init(_ r: RecoveryResult) {
        id = r.id.uuidString.lowercased()
        creditAccountId = r.creditAccountID.uuidString.lowercased()
        externalRef = r.externalRef
        amount = MoneyBody(r.amount)
        businessDate = r.businessDate.description
        writtenOff = MoneyBody(r.writtenOff)
        recovered = MoneyBody(r.recovered)
    }
}

/// An operator's limit change: the new limit and why.
struct LimitChangeRequestBody: Codable {
    let newLimit: MoneyBody
    let reasonCode: String

    func reason() throws -> LimitChangeReason { try Field.oneOf(reasonCode, "reason_code") }
}

struct CheckoutRequestBody: Codable {
    let creditAccountId: String
    let orderRef: String
    let merchantId: String
    let amount: MoneyBody
    /// "interest_free" or "installments".
    let plan: String
    let tenor: Int?

    func request() throws -> CheckoutRequest {
        let purchase: PurchasePlan
        switch (plan, tenor) {
        case ("interest_free", nil): purchase = .interestFree
        case ("interest_free", _?): throw Problem.validation("tenor", "an interest_free plan has no tenor")
        case ("installments", let tenor?):
            guard tenor > 0 else { throw Problem.validation("tenor", "must be positive") }
            purchase = .installments(tenor)
        case ("installments", nil): throw Problem.validation("tenor", "is required for an installments plan")
        default: throw Problem.validation("plan", "must be interest_free or installments")
        }
        return CheckoutRequest(
            creditAccountID: try Field.uuid(creditAccountId, "credit_account_id"),
            orderRef: try Field.nonEmpty(orderRef, "order_ref"), merchantID: try CreditRoutes.merchantID(merchantId),
            amount: try amount.money(field: "amount", allowZero: false), plan: purchase)
    }
}

struct CaptureRequestBody: Codable {
    let amount: MoneyBody?
}

struct EmptyRequestBody: Codable {}

struct ConversionRequestBody: Codable {
    let tenor: Int
}

struct RepaymentRequestBody: Codable {
    /// The plan repaid; optional when `bill_id` names a bill (then it only has to be of the bill's account).
    let planId: String?
    /// A monthly bill to pay: its lines across plans, in due-date order.
    let billId: String?
    let externalRef: String
    let amount: MoneyBody
    let payoff: Bool?

    func request() throws -> RepaymentRequest {
        guard let planId else { throw Problem.validation("plan_id", "is required unless bill_id names a bill") }
        return RepaymentRequest(planID: try Field.uuid(planId, "plan_id"), externalRef: try Field.nonEmpty(externalRef, "external_ref"),
                                amount: try amount.money(field: "amount", allowZero: false), payoff: payoff ?? false)
    }

    /// The bill repayment this body asks for, or nil when it names no bill.
    func billRequest() throws -> BillRepaymentRequest? {
        guard let billId else { return nil }
        guard payoff != true else { throw Problem.validation("payoff", "a bill repayment pays the bill; pay a plan off with plan_id") }
        return BillRepaymentRequest(billID: try Field.uuid(billId, "bill_id"), planID: try planId.map { try Field.uuid($0, "plan_id") },
                                    externalRef: try Field.nonEmpty(externalRef, "external_ref"),
                                    amount: try amount.money(field: "amount", allowZero: false))
    }
}

struct RefundRequestBody: Codable {
    let orderRef: String
    let externalRef: String
    let amount: MoneyBody

    func request() throws -> RefundRequest {
        RefundRequest(orderRef: try Field.nonEmpty(orderRef, "order_ref"), externalRef: try Field.nonEmpty(externalRef, "external_ref"),
                      amount: try amount.money(field: "amount", allowZero: false))
    }
}

// MARK: Responses

/// A price's annual rates (Docs/ANNUAL-RATES.md).
struct AnnualRatesBody: Encodable {
    let apr: String
    let effectiveAnnualRate: String
    let totalCostOfCredit: MoneyBody

    init(_ d: AnnualRateDisclosure) {
        apr = "\(d.apr)"
        effectiveAnnualRate = "\(d.effectiveAnnualRate)"
        totalCostOfCredit = MoneyBody(d.totalCostOfCredit)
    }
}

struct CreditProductBody: Encodable {
    struct Tenor: Encodable {
        let tenor: Int
        let pricing: String
        let monthlyRate: String
        /// For a reference purchase of 10,000.00.
        let annualRates: AnnualRatesBody?
    }
    let id: String
    let code: String
    let name: String
    let currency: String
    let isDefault: Bool
    let tenors: [Tenor]
    let interestFreeDays: Int
    let graceDays: Int
    let dailyLateFeeRate: String
    let lateFeeCap: String
    let authorizationExpiryHours: Int
    let rounding: String
    let allocationStrategy: String
    let overpayment: String
    let statementDay: Int
    let repaymentDay: Int

    init(_ p: CreditProductRecord) {
        id = p.id.uuidString.lowercased()
        code = p.code
        name = p.name
        currency = p.currency.code
        isDefault = p.isDefault
        tenors = p.terms.allowedTenors.sorted().compactMap { tenor in
            p.terms.pricing[tenor].map {
                Tenor(tenor: tenor, pricing: $0.methodName, monthlyRate: "\($0.monthlyRate)",
                      annualRates: (try? p.terms.annualRates(tenor: tenor)).map(AnnualRatesBody.init))
            }
        }
        interestFreeDays = p.terms.interestFreeDays
        graceDays = p.terms.graceDays
        dailyLateFeeRate = "\(p.terms.dailyLateFeeRate)"
        lateFeeCap = "\(p.terms.lateFeeCap)"
        authorizationExpiryHours = p.terms.authorizationExpiryHours
        rounding = p.terms.rounding.rawValue
        allocationStrategy = p.terms.allocation.rawValue
        overpayment = p.terms.overpayment.rawValue
        statementDay = p.terms.billing.statementDay
        repaymentDay = p.terms.billing.repaymentDay
    }
}

struct CreditAccountBody: Encodable {
    struct FeatureScoreBody: Encodable {
        let feature: String
        let value: String
        let points: String
        let maxPoints: String
        let reasonCode: String

        init(_ line: ScoreDetailLine) {
            (feature, value, points, maxPoints, reasonCode) = (line.feature, line.value, line.points, line.maxPoints, line.reasonCode)
        }
    }
    let id: String
    let productId: String
    let status: String
    let nationalIdLast4: String
    let phoneMasked: String
    let currency: String
    let limit: MoneyBody
    let available: MoneyBody
    let held: MoneyBody
    /// Captured principal not yet repaid, refunded or written off.
    let outstanding: MoneyBody
    let daysPastDue: Int
    let bucket: String
    let score: Int
    /// The features that held the score down most, with how they scored.
    let reasons: [ReasonBody]
    let scoreDetail: [FeatureScoreBody]
    let openedOn: String
    let chargedOffOn: String?

    init(_ a: CreditAccountRecord) throws {
        let detail = try a.scoreDetail().map(FeatureScoreBody.init)
        id = a.id.uuidString.lowercased()
        productId = a.productID.uuidString.lowercased()
        status = a.status.rawValue
        nationalIdLast4 = a.nationalIDLast4
        phoneMasked = a.phoneMasked
        currency = a.currency.code
        limit = MoneyBody(a.limit)
        available = MoneyBody(a.available)
        held = MoneyBody(a.held)
        outstanding = MoneyBody(a.principalOutstanding)
        daysPastDue = a.daysPastDue
        bucket = a.bucket.rawValue
        score = a.score
        reasons = a.reasons.map { code in
            let line = detail.first { $0.reasonCode == code }
            return ReasonBody(code: code, detail: line.map { "\($0.feature) \($0.value) scored \($0.points) of \($0.maxPoints) points" }
                ?? code)
        }
        scoreDetail = detail
        openedOn = a.openedOn.description
        chargedOffOn = a.chargedOffOn?.description
    }
}

struct CheckoutBody: Encodable {
    let id: String
    let creditAccountId: String
    let orderRef: String
    let merchantId: String
    let amount: MoneyBody
    let plan: String
    let tenor: Int?
    let status: String
    let reasons: [ReasonBody]
    let capturedAmount: MoneyBody?
    let planId: String?
    let businessDate: String
    let authorizedAt: String
    let expiresAt: String
    /// The account's available limit right after this call (absent on reads).
    let available: MoneyBody?
    /// The authorized purchase's annual rates (on the authorization's answer).
    let annualRates: AnnualRatesBody?

    init(_ c: CheckoutRecord, available: Money?, annualRates: AnnualRateDisclosure? = nil) {
        self.annualRates = annualRates.map(AnnualRatesBody.init)
        id = c.id.uuidString.lowercased()
        creditAccountId = c.creditAccountID.uuidString.lowercased()
        orderRef = c.orderRef
        merchantId = c.merchantID
        amount = MoneyBody(c.amount)
        plan = c.plan.typeName
        tenor = c.plan.tenor
        status = c.status.rawValue
        reasons = c.reasons.map { ReasonBody(code: $0.code, detail: $0.detail) }
        capturedAmount = c.capturedAmount.map(MoneyBody.init)
        planId = c.planID?.uuidString.lowercased()
        businessDate = c.businessDate.description
        authorizedAt = Timestamp.rfc3339(c.authorizedAt)
        expiresAt = Timestamp.rfc3339(c.expiresAt)
        self.available = available.map(MoneyBody.init)
    }
}

struct PlanBody: Encodable {
    struct InstallmentBody: Encodable {
        let number: Int
        let dueDate: String
        let principal: MoneyBody
        let fee: MoneyBody
        let lateFee: MoneyBody
        let total: MoneyBody
        let principalPaid: MoneyBody
        let feePaid: MoneyBody
        let lateFeePaid: MoneyBody
        let feeWaived: MoneyBody
        let owed: MoneyBody
        let daysPastDue: Int
        let status: String
    }
    let id: String
    let creditAccountId: String
    let checkoutId: String
    let merchantId: String
    let plan: String
    let tenor: Int?
    let pricing: String?
    let monthlyRate: String?
    let principal: MoneyBody
    let feeBase: MoneyBody
    let purchaseDate: String
    let status: String
    let convertedFrom: String?
    let totalOwed: MoneyBody
    let installments: [InstallmentBody]
    let annualRates: AnnualRatesBody?

    init(_ p: InstallmentPlanRecord) {
        annualRates = p.annualRates.map(AnnualRatesBody.init)
        id = p.id.uuidString.lowercased()
        creditAccountId = p.creditAccountID.uuidString.lowercased()
        checkoutId = p.checkoutID.uuidString.lowercased()
        merchantId = p.merchantID
        plan = p.plan.typeName
        tenor = p.plan.tenor
        pricing = p.pricing?.methodName
        monthlyRate = p.pricing.map { "\($0.monthlyRate)" }
        principal = MoneyBody(p.principal)
        feeBase = MoneyBody(p.feeBase)
        purchaseDate = p.purchaseDate.description
        status = p.status.rawValue
        convertedFrom = p.convertedFrom?.uuidString.lowercased()
        let c = p.currency
        func owedTotal(_ i: InstallmentRecord) -> Int64 {
            i.status == .open ? i.owed.principal.minorUnits + i.owed.fee.minorUnits + i.owed.lateFee.minorUnits : 0
        }
        totalOwed = MoneyBody(Money(minorUnits: p.installments.reduce(0) { $0 + owedTotal($1) }, currency: c))
        installments = p.installments.map { i in
            InstallmentBody(
                number: i.number, dueDate: i.dueDate.description, principal: MoneyBody(i.principal), fee: MoneyBody(i.fee),
                lateFee: MoneyBody(i.lateFee),
                total: MoneyBody(Money(minorUnits: i.principal.minorUnits + i.fee.minorUnits + i.lateFee.minorUnits, currency: c)),
                principalPaid: MoneyBody(i.principalPaid), feePaid: MoneyBody(i.feePaid), lateFeePaid: MoneyBody(i.lateFeePaid),
                feeWaived: MoneyBody(i.feeWaived), owed: MoneyBody(Money(minorUnits: owedTotal(i), currency: c)),
                daysPastDue: i.daysPastDue, status: i.status.rawValue)
        }
    }
}

struct PayoffQuoteBody: Encodable {
    let planId: String
    let asOf: String
    let principal: MoneyBody
    let lateFees: MoneyBody
    let dueFees: MoneyBody
    let waivedFees: MoneyBody
    let total: MoneyBody
    /// The plan's annual rates, shown with its price.
    let annualRates: AnnualRatesBody?

    init(planID: UUID, _ q: EarlyPayoffQuote, annualRates: AnnualRateDisclosure? = nil) {
        self.annualRates = annualRates.map(AnnualRatesBody.init)
        planId = planID.uuidString.lowercased()
        asOf = q.asOf.description
        principal = MoneyBody(q.principal)
        lateFees = MoneyBody(q.lateFees)
        dueFees = MoneyBody(q.dueFees)
        waivedFees = MoneyBody(q.waivedFees)
        total = MoneyBody(q.total)
    }
}

struct AllocationBody: Encodable {
    let number: Int
    let dueDate: String
    let lateFee: MoneyBody
    let fee: MoneyBody
    let principal: MoneyBody
}

struct RepaymentBody: Encodable {
    let id: String
    let externalRef: String
    let planId: String
    let businessDate: String
    let amount: MoneyBody
    let lateFeesPaid: MoneyBody
    let feesPaid: MoneyBody
    let principalPaid: MoneyBody
    let principalPrepaid: MoneyBody
    let feesWaived: MoneyBody
    let allocation: [AllocationBody]
    let plan: PlanBody

    init(_ r: RepaymentResult) {
        id = r.id.uuidString.lowercased()
        externalRef = r.externalRef
        planId = r.plan.id.uuidString.lowercased()
        businessDate = r.businessDate.description
        amount = MoneyBody(r.amount)
        lateFeesPaid = MoneyBody(r.allocation.lateFeesPaid)
        feesPaid = MoneyBody(r.allocation.feesPaid)
        principalPaid = MoneyBody(r.allocation.principalPaid)
        principalPrepaid = MoneyBody(r.allocation.principalPrepaid)
        feesWaived = MoneyBody(r.feesWaived)
        allocation = r.allocation.lines.filter { !$0.total.isZero }.map {
            AllocationBody(number: $0.number, dueDate: $0.dueDate.description, lateFee: MoneyBody($0.lateFee),
                           fee: MoneyBody($0.fee), principal: MoneyBody($0.principal))
        }
        plan = PlanBody(r.plan)
    }
}

struct RefundBody: Encodable {
    let id: String
    let externalRef: String
    let orderRef: String
    let planId: String
    let businessDate: String
    let amount: MoneyBody
    /// "reamortized" (partial) or "cancelled" (full).
    let outcome: String
    let principalCleared: MoneyBody
    let chargesSettled: MoneyBody
    let feesWaived: MoneyBody
    let returnedToConsumer: MoneyBody
    let plan: PlanBody

    init(_ r: RefundResult, orderRef: String) {
        id = r.id.uuidString.lowercased()
        externalRef = r.externalRef
        self.orderRef = orderRef
        planId = r.plan.id.uuidString.lowercased()
        businessDate = r.businessDate.description
        amount = MoneyBody(r.amount)
        outcome = r.outcome
        principalCleared = MoneyBody(r.principalCleared)
        chargesSettled = MoneyBody(r.chargesSettled)
        feesWaived = MoneyBody(r.feesWaived)
        returnedToConsumer = MoneyBody(r.returnedToConsumer)
        plan = PlanBody(r.plan)
    }
}
