import Domain
import Foundation
import Hummingbird
import Jobs
import Persistence
import Services

/// The pages for looking things up: an order's story, suppliers, credit accounts, the ledger,
/// API keys and the audit log.
extension ConsoleRoutes {
    func addRecordRoutes(_ routes: Routes) {
        routes.get("/orders") { request, context in try await orderStory(request, context) }
        routes.get("/suppliers") { request, context in try await suppliersPage(request, context) }
        routes.get("/suppliers/{id}") { _, context in try await supplierPage(try Self.uuid(context), context) }
        routes.get("/credit") { request, context in try await creditPage(request, context) }
        routes.get("/ledger") { request, context in try await ledgerPage(request, context) }
        routes.get("/ledger/account") { request, context in
            try context.require(.operator)
            let code = try Field.nonEmpty(Self.query(request)["code"] ?? "", "code")
            return ConsolePages.seeOther("/console/ledger/accounts/" + (code.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? ""))
        }
        routes.get("/ledger/accounts/{code}") { request, context in
            let code = try Field.nonEmpty(try context.parameters.require("code"), "code")
            return try await ledgerAccountPage(code, request, context)
        }
        routes.get("/keys") { request, context in try await keysPage(request, context, created: nil) }
        routes.post("/keys") { request, context in
            let form = try Self.form(context)
            guard let role = form.text("role").flatMap(Role.init(rawValue:)) else {
                throw Problem.validation("role", "must be operator, platform, supplier or insurer")
            }
            let supplier = try form.text("supplier_id").map { try Field.uuid($0, "supplier_id") }
            let created = try await services.access.createKey(role: role, supplierID: role == .supplier ? supplier : nil,
                                                              label: form.text("label") ?? "", actor: try Self.actor(context))
            return try await keysPage(request, context, created: CreatedKey(id: created.id.uuidString.lowercased(), role: role.rawValue,
                                                                            key: created.key))
        }
        routes.post("/keys/{id}/revoke") { _, context in
            try await services.access.revokeKey(id: try Self.uuid(context), actor: try Self.actor(context))
            return ConsolePages.seeOther("/console/keys?notice=key-revoked")
        }
        routes.get("/audit") { request, context in try await auditPage(request, context) }
    }

    // MARK: Order story

    struct LineRow {
        let first: Bool
        let date: String
        let kind: String
        let reference: String
        let account: String
        let debit: String
        let credit: String
        let isThis: Bool
    }

    struct EntryRow {
        let lines: [LineRow]
    }

    struct StoryView {
        struct Checkout {
            let id, accountID, merchant, amount, plan, status, authorizedAt: String
        }
        struct Installment {
            let number: Int
            let dueDate, principal, fee, paid, status: String
        }
        struct Plan {
            let installments: [Installment]
        }
        struct Receivable {
            let reference, supplierID, supplier, face, adjusted, dueDate, status: String
            let financing: String?
        }
        struct Claim {
            let id, status, statusClass, amount: String
            let flags: [String]
        }
        struct Policy {
            let id, status, seller, category, premium, coverage, events: String
            let claim: Claim?
        }
        let checkout: Checkout?
        let plan: Plan?
        let receivables: [Receivable]
        let policy: Policy?
        let entries: [EntryRow]
    }

    struct OrderPage {
        let ref: String
        let story: StoryView?
    }

    func entryRows(_ entries: [LedgerEntryRecord], account: String? = nil) -> [EntryRow] {
        entries.map { e in
            EntryRow(lines: e.lines.enumerated().map { i, l in
                LineRow(first: i == 0, date: e.businessDate.description, kind: ConsoleFormat.words(e.kind),
                        reference: "\(e.referenceType) \(e.referenceID.prefix(8))", account: l.accountCode,
                        debit: l.amount.minorUnits > 0 ? format.money(l.amount) : "",
                        credit: l.amount.minorUnits < 0 ? format.money(l.amount.negated) : "", isThis: l.accountCode == account)
            })
        }
    }

    func orderStory(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try context.require(.operator)
        guard let ref = Self.query(request)["ref"]?.trimmingCharacters(in: .whitespaces), !ref.isEmpty else {
            return try pages.render("order", title: "Order story", section: "/console/orders", page: OrderPage(ref: "", story: nil), context: context)
        }
        let story = try await services.orders.story(orderRef: try Field.nonEmpty(ref, "ref"))
        let checkout = story.checkout.map { c in
            StoryView.Checkout(id: c.id.uuidString.lowercased(), accountID: c.creditAccountID.uuidString.lowercased(), merchant: c.merchantID,
                               amount: format.money(c.amount), plan: "\(c.plan)", status: "\(c.status)", authorizedAt: format.time(c.authorizedAt))
        }
        let plan = story.plan.map { p in
            StoryView.Plan(installments: p.installments.map { i in
                StoryView.Installment(number: i.number, dueDate: i.dueDate.description, principal: format.money(i.principal),
                                      fee: format.money(i.fee), paid: format.money((try? i.principalPaid.adding(i.feePaid)) ?? i.principalPaid),
                                      status: "\(i.status)")
            })
        }
        var receivables: [StoryView.Receivable] = []
        for r in story.receivables {
            let supplier = try? await services.supplierFinance.supplier(id: r.record.supplierID, for: principal)
            receivables.append(StoryView.Receivable(
                reference: r.record.externalReference, supplierID: r.record.supplierID.uuidString.lowercased(),
                supplier: supplier?.name ?? r.record.supplierID.uuidString.lowercased(),
                                 face: format.money(r.record.face), adjusted: format.money(r.record.adjusted), dueDate: r.record.dueDate.description,
                status: r.record.status.rawValue, financing: r.record.financingRequestID?.uuidString.lowercased()))
        }
        let policy = story.policy.map { p in
            StoryView.Policy(
                id: p.policy.id.uuidString.lowercased(), status: "\(p.policy.status)", seller: p.policy.terms.seller.rawValue,
                category: p.policy.terms.category.rawValue, premium: format.money(p.policy.premium.premium),
                coverage: "up to \(format.money(p.policy.terms.coverageCap)), \(p.policy.terms.coverageStart) – \(p.policy.terms.coverageEnd)",
                events: p.events.map { "\($0.event)" }.joined(separator: " → "),
                claim: p.claim.map { c in
                    StoryView.Claim(id: c.id.uuidString.lowercased(), status: c.status.rawValue, statusClass: Self.statusClass(c.status.rawValue),
                                    amount: format.money(c.amount), flags: c.flags)
                })
        }
        let view = StoryView(checkout: checkout, plan: plan, receivables: receivables, policy: policy, entries: entryRows(story.entries))
        return try pages.render("order", title: "Order \(story.orderRef)", section: "/console/orders", page: OrderPage(ref: ref, story: view),
                                context: context)
    }

    // MARK: Suppliers

    struct SuppliersPage {
        let suppliers: [SupplierRow]
        let next: String?
    }

    func suppliersPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try context.require(.operator)
        let page = try await services.supplierFinance.suppliers(try Paging.request(request))
        let next = page.next.map { "/console/suppliers?cursor=\(Paging.encode($0))" }
        return try pages.render("suppliers", title: "Suppliers", section: "/console/suppliers",
                                page: SuppliersPage(suppliers: page.items.map(supplierRow), next: next), context: context)
    }

    struct ReceivableRow {
        let reference, issueDate, dueDate, face, adjusted, outstanding, status: String
        let orderRef: String?
        /// The financing request's id, shortened; named apart from the page's list so an absent one never reads the list.
        let financedBy: String?
    }

    struct SupplierFinancingRow {
        let id, requested, status, statusClass, advance, fee, net, disbursement: String
        let inReview: Bool
    }

    struct SupplierPage {
        let id, status, code, limit, advanceRate, discountRate, dayCount, ceiling, committed, available, used, recourse: String
        let minDays, maxDays: Int
        let financing: [SupplierFinancingRow]
        let receivables: [ReceivableRow]
        let more: Bool
        let shown: Int
    }

    func supplierPage(_ id: UUID, _ context: AppRequestContext) async throws -> Response {
        let principal = try context.require(.operator)
        let s = try await services.supplierFinance.supplier(id: id, for: principal)
        let receivables = try await services.supplierFinance.listReceivables(ReceivableFilter(supplierID: id), PageRequest(limit: 200), for: principal).items
        let financing = try await services.supplierFinance.financingRequests(supplierID: id, for: principal, limit: 50).map { r in
            let d = r.decision
            return SupplierFinancingRow(id: r.id.uuidString.lowercased(), requested: format.time(r.createdAt), status: ConsoleFormat.words(r.status),
                                        statusClass: Self.statusClass(r.status), advance: format.money(d.advance, d.currency),
                                        fee: format.money(d.fee, d.currency), net: format.money(d.netDisbursement, d.currency),
                                        disbursement: d.disbursementDate, inReview: r.status == "pending_review")
        }
        let row = supplierRow(s)
        let available = (try? s.line.limit.subtracting(s.financingCommitted)) ?? s.line.limit
        let page = SupplierPage(
            id: row.id, status: s.status.rawValue, code: s.creditCode, limit: row.limit, advanceRate: row.advanceRate, discountRate: row.discountRate,
            dayCount: "\(s.line.dayCount)", ceiling: format.money(s.line.autoApprovalCeiling), committed: row.committed,
            available: format.money(available), used: row.used, recourse: row.recourse, minDays: s.line.minDaysToMaturity,
            maxDays: s.line.maxDaysToMaturity, financing: financing,
            receivables: receivables.map { r in
                ReceivableRow(reference: r.externalReference, issueDate: r.issueDate.description, dueDate: r.dueDate.description,
                              face: format.money(r.face), adjusted: format.money(r.adjusted), outstanding: format.money(r.outstanding),
                              status: r.status.rawValue, orderRef: r.orderRef,
                              financedBy: r.financingRequestID.map { String($0.uuidString.lowercased().prefix(8)) })
            }, more: receivables.count == 200, shown: receivables.count)
        return try pages.render("supplier", title: s.name, section: "/console/suppliers", page: page, context: context)
    }

    // MARK: Credit accounts

    struct AccountView {
        let id, last4, phone, status, opened, limit, available, held, outstanding, bucket: String
        let dpd, score: Int
        let reasons: [String]
        let bills: [BillRow]
        let plans: [PlanRow]
    }

    struct PlanRow {
        let purchased, merchant, plan, principal, principalLeft, nextDue, status, checkout: String
        let dpd: Int
    }

    struct BillRow {
        let statementDate, cycleStart, dueDate, principal, fees, lateFees, total, outstanding: String
    }

    struct AccountRow {
        let id, short, phone, status, limit, outstanding, bucket: String
        let dpd, score: Int
    }

    struct BucketRow {
        let label, count: String
    }

    /// One night of the delinquency history: accounts per bucket at the end of that business date.
    struct HistoryRow {
        let date, current, dpd1to30, dpd31to60, dpd61to90, dpd90plus: String
    }

    struct CreditPage {
        let query: String
        let account: AccountView?
        let buckets: [BucketRow]
        let chart: String
        let historyChart: String
        let history: [HistoryRow]
        /// Stored, not computed: Mustache reads fields by reflection.
        let hasHistory: Bool
        let accounts: [AccountRow]
        let next: String?
    }

    func creditPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try context.require(.operator)
        let q = Self.query(request)
        var account: AccountView?
        if let text = q["id"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            let a = try await services.credit.account(id: try Field.uuid(text, "id"))
            let bills = try await services.credit.bills(accountID: a.id, PageRequest(limit: 12)).items
            let plans = try await services.credit.plans(accountID: a.id, limit: 20).map { p in
                let left = p.installments.reduce(Int64(0)) { $0 + $1.principal.minorUnits - $1.principalPaid.minorUnits }
                let next = p.installments.first { $0.principalPaid.minorUnits < $0.principal.minorUnits }
                return PlanRow(purchased: p.purchaseDate.description, merchant: p.merchantID, plan: "\(p.plan)", principal: format.money(p.principal),
                               principalLeft: format.money(left, p.currency.code), nextDue: next?.dueDate.description ?? "—",
                               status: "\(p.status)", checkout: p.checkoutID.uuidString.lowercased(),
                               dpd: p.installments.map(\.daysPastDue).max() ?? 0)
            }
            account = AccountView(
                id: a.id.uuidString.lowercased(), last4: a.nationalIDLast4, phone: a.phoneMasked, status: "\(a.status)", opened: a.openedOn.description,
                limit: format.money(a.limit), available: format.money(a.available), held: format.money(a.held),
                outstanding: format.money(a.principalOutstanding), bucket: a.bucket.rawValue, dpd: a.daysPastDue, score: a.score, reasons: a.reasons,
                bills: bills.map { b in
                    BillRow(statementDate: b.statementDate.description, cycleStart: b.cycleStart.description, dueDate: b.dueDate.description,
                            principal: format.money(b.principal), fees: format.money(b.fees), lateFees: format.money(b.lateFees),
                            total: format.money(b.totalDue), outstanding: format.money(b.outstanding))
                }, plans: plans)
        }
        let buckets = try await services.credit.bucketCounts()
        let chart = ConsoleChart.bars(title: "Live credit accounts by delinquency bucket", rows: buckets.map { b in
            ConsoleChart.Row(label: ConsoleFormat.bucket(b.bucket), segments: [.init(value: Decimal(b.accounts), style: b.bucket == .current ? "s1" : "s2")],
                             caption: format.count(b.accounts))
        })
        // Delinquency over time: one stacked bar per night the ageing step recorded (oldest first).
        let history = try await services.credit.bucketHistory(days: 30)
        let styles: [DelinquencyBucket: String] = [.current: "s1", .d1to30: "s3", .d31to60: "s2", .d61to90: "s4", .d90plus: "s5"]
        let historyChart = ConsoleChart.bars(
            title: "Live credit accounts by delinquency bucket, night by night",
            rows: history.map { night in
                ConsoleChart.Row(label: night.date.description,
                                 segments: DelinquencyBucket.allCases.map { .init(value: Decimal(night.counts[$0] ?? 0), style: styles[$0] ?? "s1") },
                                 caption: format.count(night.counts.values.reduce(0, +)))
            },
            legend: DelinquencyBucket.allCases.map { (ConsoleFormat.bucket($0), styles[$0] ?? "s1") })
        let historyRows = history.reversed().map { night in
            HistoryRow(date: night.date.description, current: format.count(night.counts[.current] ?? 0),
                       dpd1to30: format.count(night.counts[.d1to30] ?? 0), dpd31to60: format.count(night.counts[.d31to60] ?? 0),
                       dpd61to90: format.count(night.counts[.d61to90] ?? 0), dpd90plus: format.count(night.counts[.d90plus] ?? 0))
        }
        var listQuery = q
        listQuery.removeValue(forKey: "id")
        let list = try await services.credit.accounts(status: nil, try Paging.request(request))
        let accounts = list.items.map { a in
            AccountRow(id: a.id.uuidString.lowercased(), short: String(a.id.uuidString.lowercased().prefix(8)), phone: a.phoneMasked,
                       status: "\(a.status)", limit: format.money(a.limit), outstanding: format.money(a.principalOutstanding),
                       bucket: ConsoleFormat.bucket(a.bucket), dpd: a.daysPastDue, score: a.score)
        }
        let page = CreditPage(query: q["id"] ?? "", account: account,
                              buckets: buckets.map { BucketRow(label: ConsoleFormat.bucket($0.bucket), count: format.count($0.accounts)) },
                              chart: chart, historyChart: historyChart, history: historyRows, hasHistory: !historyRows.isEmpty,
                              accounts: accounts, next: list.next.map { "/console/credit?cursor=\(Paging.encode($0))" })
        return try pages.render("credit", title: account.map { "Credit account \($0.id.prefix(8))" } ?? "Credit accounts", section: "/console/credit",
                                page: page, context: context)
    }

    // MARK: Ledger

    struct TrialRow {
        let code, type, debit, credit: String
    }

    struct TrialTotal {
        let currency, debit, credit: String
        let balanced: Bool
    }

    struct LedgerPage {
        let asOf: String
        let rows: [TrialRow]
        let totals: [TrialTotal]
    }

    func ledgerPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try context.require(.operator)
        let asOf = try Self.query(request)["as_of"].flatMap { $0.isEmpty ? nil : $0 }.map { try Field.date($0, "as_of") }
        let rows = try await services.ledger.trialBalance(asOf: asOf)
        var sums: [String: (debit: Decimal, credit: Decimal)] = [:]
        let trial = rows.map { r -> TrialRow in
            let code = r.currency.code
            if r.balanceMinorUnits > 0 { sums[code, default: (0, 0)].debit += r.balanceMinorUnits } else { sums[code, default: (0, 0)].credit -= r.balanceMinorUnits }
            return TrialRow(code: r.code, type: r.type.rawValue, debit: r.balanceMinorUnits > 0 ? format.money(r.balanceMinorUnits, code) : "",
                            credit: r.balanceMinorUnits < 0 ? format.money(-r.balanceMinorUnits, code) : "")
        }
        let totals = sums.sorted { $0.key < $1.key }.map { code, t in
            TrialTotal(currency: code, debit: format.money(t.debit, code), credit: format.money(t.credit, code), balanced: t.debit == t.credit)
        }
        return try pages.render("ledger", title: "Trial balance" + (asOf.map { " as of \($0)" } ?? ""), section: "/console/ledger",
                                page: LedgerPage(asOf: asOf?.description ?? "", rows: trial, totals: totals), context: context)
    }

    struct AccountPage {
        let name, type, owner, balance: String
        let entries: [EntryRow]
        let next: String?
    }

    func ledgerAccountPage(_ code: String, _ request: Request, _ context: AppRequestContext) async throws -> Response {
        try context.require(.operator)
        let account = try await services.ledger.account(code: code)
        var before: (createdAt: Date, id: UUID)?
        if let cursor = Self.query(request)["before"] {
            let parts = try Paging.decode(cursor).split(separator: "|").map(String.init)
            guard parts.count == 2, let seconds = Double(parts[0]), let id = UUID(uuidString: parts[1]) else {
                throw Problem.validation("before", "is not a cursor this console issued")
            }
            before = (Date(timeIntervalSince1970: seconds), id)
        }
        let entries = try await services.ledger.entries(accountCode: code, before: before, limit: 50)
        let next = entries.count == 50 ? entries.last.map { e in
            "/console/ledger/accounts/\(code.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? "")?before="
                + Paging.encode("\(e.createdAt.timeIntervalSince1970)|\(e.id.uuidString.lowercased())")
        } : nil
        let page = AccountPage(name: account.name, type: account.type.rawValue,
                               owner: account.ownerType + (account.ownerID.map { " \($0)" } ?? ""), balance: format.money(account.balanceMinorUnits, account.currency.code),
                               entries: entryRows(entries, account: code), next: next)
        return try pages.render("ledger-account", title: "Account \(code)", section: "/console/ledger", page: page, context: context)
    }

    // MARK: API keys

    struct CreatedKey {
        let id, role, key: String
    }

    struct KeyRow {
        let id, prefix, role, supplier, label, created, revoked: String
        let live: Bool
    }

    struct KeysPage {
        let created: CreatedKey?
        let keys: [KeyRow]
    }

    func keysPage(_ request: Request, _ context: AppRequestContext, created: CreatedKey?) async throws -> Response {
        try context.require(.operator)
        let keys = try await services.access.keys(includeRevoked: Self.query(request)["all"] != nil)
        let rows = keys.map { k in
            KeyRow(id: k.id.uuidString.lowercased(), prefix: k.prefix, role: k.role, supplier: k.supplierID?.uuidString.lowercased() ?? "",
                   label: k.label, created: format.time(k.createdAt), revoked: k.revokedAt.map { format.time($0) } ?? "", live: k.revokedAt == nil)
        }
        return try pages.render("keys", title: "API keys", section: "/console/keys", page: KeysPage(created: created, keys: rows), context: context,
                                notice: Self.notice(request), status: created == nil ? .ok : .created)
    }

    // MARK: Audit log

    struct EventRow {
        let at, actor, action, objectType, objectID, detail: String
        let requestID: String
    }

    struct AuditPage {
        let actor, objectType, objectID, action: String
        let events: [EventRow]
        let next: String?
    }

    func auditPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try context.require(.operator)
        let q = Self.query(request).filter { !$0.value.isEmpty }
        for (name, limit) in [("actor", 200), ("object_type", 100), ("object_id", 200), ("action", 100)] where (q[name]?.count ?? 0) > limit {
            throw Problem.validation(name, "at most \(limit) characters")
        }
        let before = try q["before"].map { text -> Int64 in
            guard let n = Int64(text), n > 0 else { throw Problem.validation("before", "is not a cursor this console issued") }
            return n
        }
        let events = try await services.access.auditEvents(actor: q["actor"], objectType: q["object_type"], objectID: q["object_id"],
                                                           action: q["action"], before: before, limit: 100)
        let rows = events.map { e in
            EventRow(at: format.time(e.at), actor: e.actor, action: e.action, objectType: e.objectType, objectID: e.objectID,
                     detail: e.detail == "{}" ? "" : e.detail, requestID: e.requestID ?? "")
        }
        var nq = q
        nq["before"] = events.last.map { String($0.id) }
        let next = events.count == 100 ? "/console/audit?" + Self.encode(nq) : nil
        let page = AuditPage(actor: q["actor"] ?? "", objectType: q["object_type"] ?? "", objectID: q["object_id"] ?? "", action: q["action"] ?? "",
                             events: rows, next: next)
        return try pages.render("audit", title: "Audit log", section: "/console/audit", page: page, context: context)
    }
}
