import Domain
import Foundation
import Hummingbird
import Persistence
import Services

/// `/v1/credit-accounts/{id}/bills`, `/bills/{bill_id}` and `/billing-days` (issue 13): the monthly bill
/// (账单) and the days it is issued and due on. Same access as the other credit-account reads.
struct CreditBillRoutes {
    let credit: CreditService

    func addRoutes(to group: Routes) {
        group.get("/credit-accounts/{id}/bills") { request, context in
            try context.require(.operator, .platform)
            let id = try context.pathID()
            let page = try await credit.bills(accountID: id, try Paging.request(request, key: .date))
            let today = credit.today
            return try JSONBody.response(ListBody(page) { BillBody($0, today: today, withLines: false) })
        }
        group.get("/credit-accounts/{id}/bills/{bill_id}") { _, context in
            try context.require(.operator, .platform)
            let id = try context.pathID()
            let billID = try context.pathID("bill_id")
            return try JSONBody.response(BillBody(try await credit.bill(accountID: id, id: billID), today: credit.today, withLines: true))
        }
        group.get("/credit-accounts/{id}/billing-days") { _, context in
            try context.require(.operator, .platform)
            let id = try context.pathID()
            return try JSONBody.response(BillingDaysBody(try await credit.billingDays(accountID: id)))
        }
        group.on(.put, "/credit-accounts/{id}/billing-days") { request, context in
            let principal = try context.require(.operator, .platform)
            let id = try context.pathID()
            let body = try await JSONBody.decode(BillingDaysRequestBody.self, from: request, context: context)
            let days = try await credit.setBillingDays(accountID: id, statementDay: body.statementDay, repaymentDay: body.repaymentDay,
                                                       actor: context.actor(principal))
            return try JSONBody.response(BillingDaysBody(days))
        }
    }

}

struct BillingDaysRequestBody: Codable {
    let statementDay: Int
    let repaymentDay: Int
}

struct BillingDaysBody: Encodable {
    let creditAccountId: String
    let statementDay: Int
    let repaymentDay: Int

    init(_ d: CreditBillingDays) {
        creditAccountId = d.creditAccountID.uuidString.lowercased()
        statementDay = d.cycle.statementDay
        repaymentDay = d.cycle.repaymentDay
    }
}

/// A bill on the wire: what was billed, what is still owed, and (on a single read) its lines.
struct BillBody: Encodable {
    struct LineBody: Encodable {
        let planId: String
        let installmentNumber: Int
        let dueDate: String
        let principal: MoneyBody
        let fee: MoneyBody
        let lateFee: MoneyBody
        let total: MoneyBody
        let owed: MoneyBody
    }
    let id: String
    let creditAccountId: String
    let statementDate: String
    let cycleStart: String
    let dueDate: String
    /// "open", "paid" or "overdue" (still owed after the due date).
    let status: String
    let principal: MoneyBody
    let fees: MoneyBody
    let lateFees: MoneyBody
    let totalDue: MoneyBody
    let outstanding: MoneyBody
    let lines: [LineBody]?

    init(_ b: CreditBillRecord, today: BusinessDate, withLines: Bool) {
        id = b.id.uuidString.lowercased()
        creditAccountId = b.creditAccountID.uuidString.lowercased()
        statementDate = b.statementDate.description
        cycleStart = b.cycleStart.description
        dueDate = b.dueDate.description
        status = b.outstanding.isZero ? "paid" : (today > b.dueDate ? "overdue" : "open")
        principal = MoneyBody(b.principal)
        fees = MoneyBody(b.fees)
        lateFees = MoneyBody(b.lateFees)
        totalDue = MoneyBody(b.totalDue)
        outstanding = MoneyBody(b.outstanding)
        lines = withLines ? b.lines.map {
            LineBody(planId: $0.planID.uuidString.lowercased(), installmentNumber: $0.number, dueDate: $0.dueDate.description,
                     principal: MoneyBody($0.principal), fee: MoneyBody($0.fee), lateFee: MoneyBody($0.lateFee),
                     total: MoneyBody($0.total), owed: MoneyBody($0.owedNow))
        } : nil
    }
}

/// A repayment that named a bill: the bill after it, and what it paid per plan and installment.
struct BillRepaymentBody: Encodable {
    struct PartBody: Encodable {
        let repaymentId: String
        let planId: String
        let amount: MoneyBody
    }
    struct LineBody: Encodable {
        let planId: String
        let number: Int
        let dueDate: String
        let lateFee: MoneyBody
        let fee: MoneyBody
        let principal: MoneyBody
    }
    let id: String
    let externalRef: String
    let billId: String
    let businessDate: String
    let amount: MoneyBody
    let repayments: [PartBody]
    let allocation: [LineBody]
    let bill: BillBody

    init(_ r: BillRepaymentResult, today: BusinessDate) {
        id = r.id.uuidString.lowercased()
        externalRef = r.externalRef
        billId = r.bill.id.uuidString.lowercased()
        businessDate = r.businessDate.description
        amount = MoneyBody(r.amount)
        repayments = r.parts.map { PartBody(repaymentId: $0.repaymentID.uuidString.lowercased(), planId: $0.planID.uuidString.lowercased(),
                                            amount: MoneyBody($0.amount)) }
        allocation = r.parts.flatMap { part in
            part.allocation.map {
                LineBody(planId: part.planID.uuidString.lowercased(), number: $0.number, dueDate: $0.dueDate.description,
                         lateFee: MoneyBody($0.lateFee), fee: MoneyBody($0.fee), principal: MoneyBody($0.principal))
            }
        }
        bill = BillBody(r.bill, today: today, withLines: true)
    }
}
