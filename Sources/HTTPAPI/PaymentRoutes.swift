import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Persistence
import Services

/// `/v1/payment-orders`, `/v1/payment-batches`, payee bank details (`/v1/suppliers/{id}/bank-details`,
/// `/v1/payees/{party_type}/{party_ref}/bank-details`). Operator only.
struct PaymentRoutes {
    let payments: PaymentOrderService

    func addRoutes(to group: Routes) {
        group.get("/payment-orders") { request, context in
            try context.require(.operator)
            let q = request.uri.queryParameters
            var filter = PaymentOrderFilter()
            filter.status = try q.get("status").map { try Field.oneOf($0, "status") }
            filter.sourceType = try q.get("source_type").map { try Field.oneOf($0, "source_type") }
            filter.currency = try q.get("currency").map { text in
                guard let c = Currency(code: String(text)) else { throw Problem.validation("currency", "unknown ISO 4217 currency") }
                return c.code
            }
            filter.creditorType = try q.get("creditor_type").map {
                try Field.oneOf($0, "creditor_type", "must be supplier, seller, merchant or consumer")
            }
            filter.creditorRef = try q.get("creditor_ref").map { try Field.nonEmpty(String($0), "creditor_ref") }
            filter.batchID = try q.get("batch_id").map { try Field.uuid(String($0), "batch_id") }
            let page = try await payments.orders(filter, try Paging.request(request))
            return try JSONBody.response(ListBody(page) { PaymentOrderBody($0, masked: true) })
        }
        group.get("/payment-orders/{id}") { _, context in
            try context.require(.operator)
            let id = try context.pathID()
            let (order, steps) = try await payments.orderWithSteps(id: id)
            var body = PaymentOrderBody(order, masked: false)
            body.steps = steps.map(PaymentOrderStepBody.init)
            return try JSONBody.response(body)
        }

        group.post("/payment-orders/{id}/failure") { request, context in
            let principal = try context.require(.operator)
            let id = try context.pathID()
            let body = try await JSONBody.decode(PaymentOrderFailureRequest.self, from: request, context: context)
            let failed = try await payments.fail(orderID: id, reason: try Field.nonEmpty(body.reason, "reason", max: 500),
                                                 actor: context.actor(principal))
            return try JSONBody.response(PaymentOrderBody(failed, masked: false))
        }

        group.post("/payment-batches") { request, context in
            let principal = try context.require(.operator)
            let body = try await JSONBody.decode(PaymentBatchRequest.self, from: request, context: context)
            let batches = try await payments.writeBatches(businessDate: try body.businessDate.map { try Field.date($0, "business_date") },
                                                          actor: context.actor(principal))
            return try JSONBody.response(PaymentBatchesWritten(data: batches.map(PaymentBatchBody.init)), status: .created)
        }
        group.get("/payment-batches") { request, context in
            try context.require(.operator)
            return try JSONBody.response(ListBody(try await payments.batches(try Paging.request(request)), PaymentBatchBody.init))
        }
        group.get("/payment-batches/{id}") { _, context in
            try context.require(.operator)
            let id = try context.pathID()
            return try JSONBody.response(PaymentBatchBody(try await payments.batch(id: id)))
        }
        group.get("/payment-batches/{id}/file") { _, context in
            try context.require(.operator)
            let id = try context.pathID()
            let batch = try await payments.batch(id: id)
            let file = try await payments.batchFile(id: id)
            var headers = HTTPFields()
            headers[.contentType] = "application/xml"
            headers[.contentDisposition] = "attachment; filename=\"\(batch.messageID).xml\""
            headers[.eTag] = "\"\(batch.fileSHA256)\""
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: file)))
        }
        group.post("/payment-batches/{id}/sent") { _, context in
            let principal = try context.require(.operator)
            let id = try context.pathID()
            return try JSONBody.response(PaymentBatchBody(try await payments.markSent(batchID: id, actor: Actor(principal: principal,
                                                                                                               requestID: context.requestID))))
        }

        group.on(.put, "/suppliers/{id}/bank-details") { request, context in
            let principal = try context.require(.operator)
            let id = try context.pathID()
            let details = try await BankDetailsRequest.decode(request, context: context)
            let saved = try await payments.setPayee(type: .supplier, ref: id.uuidString.lowercased(), details: details,
                                                    actor: context.actor(principal))
            return try JSONBody.response(BankDetailsBody(saved, masked: false))
        }
        group.on(.put, "/payees/{party_type}/{party_ref}/bank-details") { request, context in
            let principal = try context.require(.operator)
            let (type, ref) = try Self.party(context)
            let details = try await BankDetailsRequest.decode(request, context: context)
            let saved = try await payments.setPayee(type: type, ref: ref, details: details,
                                                    actor: context.actor(principal))
            return try JSONBody.response(BankDetailsBody(saved, masked: false))
        }
        group.get("/payees/{party_type}/{party_ref}/bank-details") { _, context in
            try context.require(.operator)
            let (type, ref) = try Self.party(context)
            guard let found = try await payments.payee(type: type, ref: ref) else {
                throw Problem.notFound("no bank details for \(type.rawValue) \(ref)")
            }
            return try JSONBody.response(BankDetailsBody(found, masked: false))
        }
    }

    /// A seller, merchant or consumer (suppliers keep theirs on the supplier).
    static func party(_ context: AppRequestContext) throws -> (PayeeType, String) {
        guard let type = PayeeType(rawValue: try Field.path(context, "party_type")), type != .supplier else {
            throw Problem.validation("party_type", "must be seller, merchant or consumer (a supplier's are at /v1/suppliers/{id}/bank-details)")
        }
        var ref = try Field.nonEmpty(try Field.path(context, "party_ref"), "party_ref")
        if type == .consumer { ref = try Field.uuid(ref, "party_ref").uuidString.lowercased() }
        return (type, ref)
    }
}

struct PaymentOrderFailureRequest: Codable {
    let reason: String
}

struct PaymentBatchRequest: Codable {
    let businessDate: String?
}

struct PaymentBatchesWritten: Encodable {
    let data: [PaymentBatchBody]
}

/// Bank details as sent: `name` and either `iban` or `account_number` with `bank_code`.
struct BankDetailsRequest: Codable {
    let name: String
    let iban: String?
    let accountNumber: String?
    let bankCode: String?

    static func decode(_ request: Request, context: AppRequestContext) async throws -> CreditorAccount {
        let body = try await JSONBody.decode(BankDetailsRequest.self, from: request, context: context)
        if body.bankCode != nil, body.iban != nil {
            throw Problem.validation("bank_code", "an IBAN names its bank; send bank_code only with account_number")
        }
        do {
            return try CreditorAccount(name: body.name, iban: body.iban, accountNumber: body.accountNumber, bankCode: body.bankCode)
        } catch {
            throw Problem.validation(error.field, error.description)
        }
    }
}

/// Bank details on the wire: in full for an operator looking at one payee, else the account masked (`****1234`).
struct BankDetailsBody: Encodable {
    let name: String
    let scheme: String
    let account: String
    let bankCode: Nullable<String>
    let masked: Bool

    init(_ a: CreditorAccount, masked: Bool) {
        name = a.name
        self.masked = masked
        account = masked ? a.account.masked : a.account.accountText
        switch a.account {
        case .iban: scheme = "iban"; bankCode = Nullable(nil)
        case .domestic(_, let bank): scheme = "domestic"; bankCode = Nullable(bank.text)
        }
    }
}

struct PaymentOrderBody: Encodable {
    let id: String
    let endToEndId: String
    let status: String
    let sourceType: String
    let sourceId: String
    let creditorType: String
    let creditorRef: String
    let creditor: Nullable<BankDetailsBody>
    let awaitingCreditorDetails: Bool
    let amount: MoneyBody
    let requestedExecutionDate: String
    let purpose: String
    let remittance: String
    let batchId: Nullable<String>
    let returnReason: Nullable<String>
    let businessDate: String
    let createdAt: String
    let updatedAt: String
    /// Only on the single order: every status step, who made it and why.
    var steps: [PaymentOrderStepBody]?

    init(_ o: PaymentOrderRecord, masked: Bool) {
        id = o.id.uuidString.lowercased()
        endToEndId = o.endToEndID
        status = o.status.rawValue
        sourceType = o.sourceType.rawValue
        sourceId = o.sourceID
        creditorType = o.creditorType.rawValue
        creditorRef = o.creditorRef
        creditor = Nullable(o.creditor.map { BankDetailsBody($0, masked: masked) })
        awaitingCreditorDetails = o.creditor == nil
        amount = MoneyBody(o.amount)
        requestedExecutionDate = o.requestedExecutionDate.description
        purpose = o.purpose
        remittance = o.remittance
        batchId = Nullable(o.batchID?.uuidString.lowercased())
        returnReason = Nullable(o.returnReason)
        businessDate = o.businessDate.description
        createdAt = Timestamp.rfc3339(o.createdAt)
        updatedAt = Timestamp.rfc3339(o.updatedAt)
    }
}

struct PaymentOrderStepBody: Encodable {
    let from: Nullable<String>
    let to: String
    let actor: String
    let detail: String
    let at: String

    init(_ s: PaymentOrderStore.Step) {
        from = Nullable(s.from)
        to = s.to
        actor = s.actor
        detail = s.detail
        at = Timestamp.rfc3339(s.at)
    }
}

struct PaymentBatchBody: Encodable {
    let id: String
    let messageId: String
    let status: String
    let debtorAccount: String
    let currency: String
    let executionDate: String
    let businessDate: String
    let orderCount: Int
    let controlSum: MoneyBody
    let fileSha256: String
    let createdAt: String
    let sentAt: Nullable<String>

    init(_ b: PaymentBatchRecord) {
        id = b.id.uuidString.lowercased()
        messageId = b.messageID
        status = b.status
        debtorAccount = b.debtorAccount
        currency = b.currency.code
        executionDate = b.executionDate.description
        businessDate = b.businessDate.description
        orderCount = b.orderCount
        controlSum = MoneyBody(b.controlSum)
        fileSha256 = b.fileSHA256
        createdAt = Timestamp.rfc3339(b.createdAt)
        sentAt = Nullable(b.sentAt.map(Timestamp.rfc3339))
    }
}
