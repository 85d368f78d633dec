import Domain
import Foundation
import Hummingbird
import Persistence
import Services

/// `/v1/suppliers`, `/v1/receivables`, `/v1/financing-requests`.
struct SupplierFinanceRoutes {
    let finance: SupplierFinanceService
    var metrics: BusinessMetrics?
    var payments: PaymentOrderService?

    func addRoutes(to group: Routes) {
        group.post("/suppliers") { request, context in
            let principal = try context.require(.operator)
            let body = try await JSONBody.decode(SupplierRequest.self, from: request, context: context)
            let name = try Field.nonEmpty(body.name, "name")
            let code: UnifiedSocialCreditCode
            do {
                code = try UnifiedSocialCreditCode(validating: body.unifiedSocialCreditCode)
            } catch let error as UnifiedSocialCreditCodeError {
                throw Problem.validation("unified_social_credit_code", error.description)
            }
            let line = try body.financingLine.line(field: "financing_line")
            let created = try await finance.createSupplier(name: name, creditCode: code, line: line,
                                                           actor: context.actor(principal))
            return try JSONBody.response(SupplierBody(created), status: .created)
        }
        group.get("/suppliers") { request, context in
            try context.require(.operator)
            let page = try await finance.suppliers(try Paging.request(request))
            let banks = try await payments?.supplierPayees(page.items.map(\.id)) ?? [:]
            return try JSONBody.response(ListBody(page) { s in
                var body = SupplierBody(s)
                body.bankDetails = banks[s.id].map { BankDetailsBody($0, masked: true) }
                return body
            })
        }
        group.get("/suppliers/{id}") { _, context in
            let principal = try context.require(.operator, .supplier)
            let id = try context.pathID()
            var body = SupplierBody(try await finance.supplier(id: id, for: principal))
            body.bankDetails = try await payments?.payee(type: .supplier, ref: id.uuidString.lowercased())
                .map { BankDetailsBody($0, masked: principal.role != .operator) }
            return try JSONBody.response(body)
        }
        group.patch("/suppliers/{id}") { request, context in
            let principal = try context.require(.operator)
            let id = try context.pathID()
            let body = try await JSONBody.decodePatch(SupplierPatch.self, from: request, context: context)
            let status: SupplierStatus? = try body.status.map { try Field.oneOf($0, "status", "must be pending, active, suspended or closed") }
            let name = try body.name.map { try Field.nonEmpty($0, "name") }
            let patch = body.financingLine
            if let patch { _ = try patch.validated() }
            let change = SupplierFinanceService.SupplierChange(name: name, status: status) { current in
                guard let patch else { return current }
                return try patch.apply(to: current)
            }
            let updated = try await finance.updateSupplier(id: id, change: change, actor: context.actor(principal))
            return try JSONBody.response(SupplierBody(updated))
        }

        group.post("/receivables") { request, context in
            let principal = try context.require(.platform, .operator)
            let body = try await JSONBody.decode(ReceivableRequest.self, from: request, context: context)
            let view = try await finance.createReceivable(
                supplierID: try Field.uuid(body.supplierId, "supplier_id"),
                externalReference: try Field.nonEmpty(body.externalReference, "external_reference"),
                face: try body.faceAmount.money(field: "face_amount", allowZero: false),
                issueDate: try Field.date(body.issueDate, "issue_date"), dueDate: try Field.date(body.dueDate, "due_date"),
                orderRef: try body.orderRef.map { try Field.nonEmpty($0, "order_ref") },
                actor: context.actor(principal))
            return try JSONBody.response(ReceivableBody(view), status: .created)
        }
        group.get("/receivables") { request, context in
            let principal = try context.require(.operator, .platform, .supplier)
            let q = request.uri.queryParameters
            var filter = ReceivableFilter()
            filter.supplierID = try q.get("supplier_id").map { try Field.uuid(String($0), "supplier_id") }
            filter.status = try q.get("status").map { try Field.oneOf($0, "status", "must be open, financed, settled, disputed or cancelled") }
            filter.dueFrom = try q.get("due_from").map { try Field.date(String($0), "due_from") }
            filter.dueTo = try q.get("due_to").map { try Field.date(String($0), "due_to") }
            let page = try await finance.listReceivables(filter, try Paging.request(request, key: .date), for: principal)
            return try JSONBody.response(ListBody(page) { ReceivableBody(ReceivableView(record: $0, adjustments: [])) })
        }
        group.get("/receivables/{id}") { _, context in
            let principal = try context.require(.operator, .platform, .supplier)
            let id = try context.pathID()
            return try JSONBody.response(ReceivableBody(try await finance.receivable(id: id, for: principal)))
        }
        group.post("/receivables/{id}/adjustments") { request, context in
            let principal = try context.require(.platform, .operator)
            let id = try context.pathID()
            let body = try await JSONBody.decode(AdjustmentRequest.self, from: request, context: context)
            let kind: ReceivableAdjustment.Kind = try Field.oneOf(body.kind, "kind", "must be goods_returned or credit_note")
            let view = try await finance.addAdjustment(
                receivableID: id, kind: kind, amount: try body.amount.money(field: "amount", allowZero: false),
                reference: try Field.nonEmpty(body.reference, "reference"), actor: context.actor(principal))
            return try JSONBody.response(ReceivableBody(view), status: .created)
        }
        group.post("/receivables/{id}/status") { request, context in
            let principal = try context.require(.platform, .operator)
            let id = try context.pathID()
            let body = try await JSONBody.decode(StatusRequest.self, from: request, context: context)
            guard let target = ReceivableStatus(rawValue: body.status), [.disputed, .open, .financed, .cancelled].contains(target) else {
                throw Problem.validation("status", "must be disputed, open, financed (resolving a dispute) or cancelled")
            }
            let view = try await finance.changeReceivableStatus(id: id, to: target, actor: context.actor(principal))
            return try JSONBody.response(ReceivableBody(view))
        }
        group.post("/receivables/{id}/payments") { request, context in
            let principal = try context.require(.platform, .operator)
            let id = try context.pathID()
            let body = try await JSONBody.decode(PaymentRequest.self, from: request, context: context)
            let result = try await finance.payReceivable(id: id, amount: try body.amount.money(field: "amount"),
                                                         actor: context.actor(principal))
            return try JSONBody.response(SettlementBody(result), status: .created)
        }

        group.post("/financing-requests") { request, context in
            let principal = try context.require(.supplier, .operator)
            let body = try await JSONBody.decode(FinancingRequestBody.self, from: request, context: context)
            let supplierID: UUID
            if principal.role == .supplier {
                guard let own = principal.supplierID.flatMap(UUID.init(uuidString:)) else { throw Problem.unauthorized() }
                if let asked = body.supplierId, try Field.uuid(asked, "supplier_id") != own {
                    throw Problem.notFound("no supplier \(asked)")
                }
                supplierID = own
            } else {
                guard let asked = body.supplierId else { throw Problem.validation("supplier_id", "is required for an operator") }
                supplierID = try Field.uuid(asked, "supplier_id")
            }
            let ids = try body.receivableIds.enumerated().map { try Field.uuid($1, "receivable_ids[\($0)]") }
            let view = try await finance.requestFinancing(
                supplierID: supplierID, receivableIDs: ids,
                disbursementDate: try body.disbursementDate.map { try Field.date($0, "disbursement_date") },
                actor: context.actor(principal))
            let response = FinancingResponse(view)
            metrics?.financingDecision(response.status)
            return try JSONBody.response(response, status: .created)
        }
        group.get("/financing-requests/{id}") { _, context in
            let principal = try context.require(.supplier, .operator)
            let id = try context.pathID()
            return try JSONBody.response(FinancingResponse(try await finance.financingRequest(id: id, for: principal)))
        }
        for (path, approve) in [("/financing-requests/{id}/approve", true), ("/financing-requests/{id}/reject", false)] {
            group.post(path) { _, context in
                let principal = try context.require(.operator)
                let id = try context.pathID()
                let view = try await finance.decideFinancingRequest(id: id, approve: approve,
                                                                    actor: context.actor(principal))
                let response = FinancingResponse(view)
                metrics?.financingDecision(response.status)
                return try JSONBody.response(response)
            }
        }
    }
}
