import Domain
import Foundation
import Hummingbird
import Persistence
import Services

/// `/v1/ledger`: accounts, the trial balance, operators' manual entries.
struct LedgerRoutes {
    let ledger: LedgerService
    let calendar: BusinessCalendar

    func addRoutes(to group: Routes) {
        group.get("/ledger/accounts/{code}") { _, context in
            try context.require(.operator)
            let code = try Field.path(context, "code")
            return try JSONBody.response(AccountBody(try await ledger.account(code: code)))
        }
        group.get("/ledger/trial-balance") { request, context in
            try context.require(.operator)
            let asOf = try request.uri.queryParameters.get("as_of").map { try Field.date(String($0), "as_of") }
            let rows = try await ledger.trialBalance(asOf: asOf)
            return try JSONBody.response(TrialBalanceBody(asOf: asOf, rows: rows))
        }
        group.post("/ledger/journal-entries") { request, context in
            let principal = try context.require(.operator)
            let body = try await JSONBody.decode(ManualEntryRequest.self, from: request, context: context)
            let date = try Field.date(body.businessDate, "business_date")
            let reference = try Field.nonEmpty(body.reference, "reference")
            var lines: [LedgerService.ManualLine] = []
            for (i, line) in body.postings.enumerated() {
                let side: NormalSide = try Field.oneOf(line.side, "postings[\(i)].side", "must be debit or credit")
                lines.append(.init(accountCode: line.accountCode,
                                   amount: try line.amount.money(field: "postings[\(i)].amount", allowZero: false), side: side))
            }
            let id = try await ledger.postManualEntry(
                businessDate: date, description: body.description ?? "", reference: reference, lines: lines,
                actor: context.actor(principal))
            return try JSONBody.response(["id": id.uuidString.lowercased(), "reference": reference], status: .created)
        }
    }
}

struct AccountBody: Encodable {
    let code: String
    let name: String
    let type: String
    let currency: String
    let ownerType: String
    let ownerId: String?
    let normalSide: String
    /// Debit-positive balance, as booked.
    let balance: MoneyBody
    /// The balance as a positive number on the account's normal side.
    let normalBalance: MoneyBody

    init(_ a: LedgerAccountRecord) {
        code = a.code
        name = a.name
        type = a.type.rawValue
        currency = a.currency.code
        ownerType = a.ownerType
        ownerId = a.ownerID
        normalSide = a.type.normalSide.rawValue
        balance = MoneyBody(minorUnits: a.balanceMinorUnits, currency: a.currency)
        normalBalance = MoneyBody(minorUnits: a.type.normalSide == .debit ? a.balanceMinorUnits : -a.balanceMinorUnits, currency: a.currency)
    }
}

struct TrialBalanceBody: Encodable {
    struct Row: Encodable {
        let code: String
        let type: String
        let debit: MoneyBody
        let credit: MoneyBody
    }
    struct Total: Encodable {
        let currency: String
        let debits: String
        let credits: String
        let balanced: Bool
    }
    let asOf: String?
    let accounts: [Row]
    let totals: [Total]

    init(asOf: BusinessDate?, rows: [TrialBalanceRow]) {
        self.asOf = asOf?.description
        // Balances and totals are Decimal: a platform-wide sum can exceed Int64 and must not trap.
        accounts = rows.map { row in
            let balance = row.balanceMinorUnits
            return Row(code: row.code, type: row.type.rawValue,
                       debit: MoneyBody(minorUnits: balance > 0 ? balance : 0, currency: row.currency),
                       credit: MoneyBody(minorUnits: balance < 0 ? -balance : 0, currency: row.currency))
        }
        var sums: [Currency: (debits: Decimal, credits: Decimal)] = [:]
        for row in rows {
            var s = sums[row.currency, default: (0, 0)]
            if row.balanceMinorUnits > 0 { s.debits += row.balanceMinorUnits } else { s.credits -= row.balanceMinorUnits }
            sums[row.currency] = s
        }
        totals = sums.sorted { $0.key.code < $1.key.code }.map { currency, s in
            Total(currency: currency.code,
                  debits: Money.decimalString(minorUnits: s.debits, currency: currency),
                  credits: Money.decimalString(minorUnits: s.credits, currency: currency),
                  balanced: s.debits == s.credits)
        }
    }
}

struct ManualEntryRequest: Codable {
    struct Line: Codable {
        let accountCode: String
        let side: String
        let amount: MoneyBody
    }
    let businessDate: String
    let reference: String
    let description: String?
    let postings: [Line]
}
