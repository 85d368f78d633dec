import Domain
import Foundation
import Hummingbird
import Jobs
import Persistence
import Services

/// The pages an operations team works through each morning: Today, the financing and claims
/// review queues, reconciliation exceptions and the nightly runs.
extension ConsoleRoutes {
    func addWorkRoutes(_ routes: Routes) {
        routes.get("") { request, context in try await today(request, context) }
        routes.get("/financing") { request, context in try await financingQueue(request, context) }
        for (action, approve) in [("approve", true), ("decline", false)] {
            routes.post("/financing/{id}/\(action)") { _, context in
                let form = try Self.form(context)
                let reason = form.text("reason")
                if !approve && reason == nil { throw Problem.validation("reason", "say why the request is declined") }
                _ = try await services.supplierFinance.decideFinancingRequest(id: try Self.uuid(context), approve: approve, reason: reason,
                                                                               actor: try Self.actor(context))
                return ConsolePages.seeOther("/console/financing?notice=financing-\(approve ? "approved" : "declined")")
            }
        }
        routes.get("/claims") { request, context in try await claimsQueue(request, context) }
        routes.post("/claims/{id}/decision") { _, context in
            let form = try Self.form(context)
            guard let decision = form.text("decision").flatMap(InsurerDecision.init(rawValue:)) else {
                throw Problem.validation("decision", "must be approve or reject")
            }
            _ = try await services.insurance.decideClaim(id: try Self.uuid(context), decision: decision, reason: form.text("reason"),
                                                         actor: try Self.actor(context))
            return ConsolePages.seeOther("/console/claims?notice=claim-\(decision == .approve ? "approved" : "rejected")")
        }
        routes.get("/reconciliation") { request, context in try await reconciliationPage(request, context) }
        for (action, resolves) in [("acknowledge", false), ("resolve", true)] {
            routes.post("/reconciliation/{id}/\(action)") { _, context in
                let form = try Self.form(context)
                let note = form.text("note")
                if resolves && note == nil { throw Problem.validation("note", "say how the exception was resolved") }
                let today = deps.clock.today
                _ = try await deps.reconciliation.advanceException(id: try Self.uuid(context), resolveWith: resolves ? note : nil, on: today,
                                                                   actor: try Self.actor(context))
                // Back to the filtered list the operator was working (a console path only).
                let back = form.text("back").flatMap { back in
                    back.hasPrefix("/console/reconciliation") && !back.contains("//") && back.count <= 500
                        && back.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 && $0.value < 0x7F } ? back : nil
                }
                    ?? "/console/reconciliation"
                let separator = back.contains("?") ? "&" : "?"
                return ConsolePages.seeOther(back + separator + "notice=exception-\(resolves ? "resolved" : "acknowledged")")
            }
        }
        routes.post("/reconciliation/rules") { _, context in
            let form = try Self.form(context)
            let source = try Field.nonEmpty(form.text("source") ?? "", "source", max: 100)
            func number(_ name: String) throws -> Int64? {
                try form.text(name).map { text in
                    guard let n = Int64(text) else { throw Problem.validation(name, "must be a whole number") }
                    return n
                }
            }
            _ = try await deps.reconciliation.setMatchingRule(
                source: source, amountToleranceMinor: try number("amount_tolerance_minor"),
                dateWindowDays: try number("date_window_days").map { Int(clamping: $0) },
                oneToMany: form.text("one_to_many") == "true", manyToOne: form.text("many_to_one") == "true", at: deps.clock.now(),
                actor: try Self.actor(context))
            return ConsolePages.seeOther("/console/reconciliation?notice=rule-saved")
        }
        routes.get("/nightly") { request, context in try await nightlyRuns(request, context) }
        routes.post("/nightly") { _, context in
            let form = try Self.form(context)
            let date = try Field.date(form.text("business_date") ?? "", "business_date")
            try deps.nightly.checkClosable(date)
            let response = try await ReconciliationRoutes(statements: deps.statements, reconciliation: deps.reconciliation, runner: deps.nightly,
                                                          clock: deps.clock)
                .start(date: date, force: form.text("force") == "true", by: try Self.actor(context).principal.actor)
            return ConsolePages.seeOther("/console/nightly?notice=\(response.status == .accepted ? "run-started" : "run-finished")")
        }
        routes.get("/nightly/{id}") { _, context in try await nightlyRun(try Self.uuid(context), context) }
    }

    // MARK: Today

    struct LastRun {
        let id: String
        let date: String
        let status: String
        let statusClass: String
        let proof: String
        let proofClass: String
    }

    struct Queue {
        let href: String
        let label: String
        let count: String
    }

    struct KindCount {
        let kind: String
        let label: String
        let count: String
    }

    struct SupplierRow {
        let id: String
        let name: String
        let code: String
        let status: String
        let limit: String
        let committed: String
        let used: String
        let recourse: String
        let advanceRate: String
        let discountRate: String
    }

    struct Amount {
        let amount: String
    }

    struct WebhookRow {
        let url: String
        let status: String
        let statusClass: String
        let detail: String
    }

    struct TodayPage {
        let businessDate: String
        let timeZone: String
        let lastRun: LastRun?
        let exposure: Amount?
        let recourse: Amount?
        let supplierCount: String
        let queues: [Queue]
        let exceptions: [KindCount]
        let hasExceptions: Bool
        let exceptionTotal: String
        let suppliers: [SupplierRow]
        let exposureChart: String
        /// Webhook endpoints that are not delivering (failing or disabled), so the team can call the platform.
        let troubledWebhooks: [WebhookRow]
        let hasTroubledWebhooks: Bool
    }

    func today(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try context.require(.operator)
        let suppliers = try await allSuppliers()
        let financing = try await services.supplierFinance.financingRequestsInReview(limit: 500)
        let claims = try await services.insurance.claims(status: .inReview, PageRequest(limit: 500))
        let open = Dictionary(try await services.operations.readings().openExceptions.map { ($0.kind, $0.count) },
                              uniquingKeysWith: { first, _ in first })
        let run = try await deps.nightly.runs(PageRequest(limit: 1)).items.first
        let exceptionTotal = open.values.reduce(0, +)
        let troubled = try await services.webhooks.endpoints(PageRequest(limit: 100)).items
            .filter { $0.status == "disabled" || $0.failingSince != nil }
            .map { e in
                WebhookRow(url: e.url, status: e.status == "disabled" ? "disabled" : "failing",
                           statusClass: e.status == "disabled" ? "bad" : "warn",
                           detail: e.disabledReason ?? "\(e.consecutiveFailures) failed attempts since \(e.failingSince.map(Timestamp.rfc3339) ?? "-")")
            }
        let page = TodayPage(
            businessDate: deps.clock.today.description, timeZone: deps.calendar.timeZone.identifier,
            lastRun: run.map(lastRun), exposure: total(suppliers.map(\.financingCommitted)).map(Amount.init),
            recourse: total(suppliers.map(\.recourseOwed)).map(Amount.init), supplierCount: format.count(suppliers.count),
            queues: [
                Queue(href: "/console/financing", label: "Financing waiting for review",
                      count: format.count(financing.count) + (financing.count == 500 ? "+" : "")),
                Queue(href: "/console/claims", label: "Claims flagged for review",
                      count: format.count(claims.items.count) + (claims.next != nil ? "+" : "")),
                Queue(href: "/console/reconciliation", label: "Reconciliation exceptions not resolved", count: format.count(exceptionTotal)),
            ],
            exceptions: open.sorted { $0.key < $1.key }.map { KindCount(kind: $0.key, label: ConsoleFormat.words($0.key), count: format.count($0.value)) },
            hasExceptions: !open.isEmpty, exceptionTotal: format.count(exceptionTotal),
            suppliers: suppliers.sorted { $0.financingCommitted.minorUnits > $1.financingCommitted.minorUnits }.prefix(15).map(supplierRow),
            exposureChart: exposureChart(suppliers), troubledWebhooks: troubled, hasTroubledWebhooks: !troubled.isEmpty)
        return try pages.render("today", title: "Today", section: "/console", page: page, context: context, notice: Self.notice(request))
    }

    /// Money per currency, joined ("1,200.00 CNY + 30.00 USD"); nil when there is none.
    func total(_ amounts: [Money]) -> String? {
        var byCurrency: [String: Int64] = [:]
        for m in amounts where m.minorUnits != 0 { byCurrency[m.currency.code, default: 0] &+= m.minorUnits }
        guard !byCurrency.isEmpty else { return nil }
        return byCurrency.sorted { $0.key < $1.key }.map { format.money($0.value, $0.key) }.joined(separator: " + ")
    }

    /// Every supplier (pages of 500, at most 5,000: the console is not a bulk export).
    func allSuppliers() async throws -> [SupplierRecord] {
        var out: [SupplierRecord] = []
        var request = PageRequest(limit: 500)
        while out.count < 5_000 {
            let page = try await services.supplierFinance.suppliers(request)
            out += page.items
            guard let next = page.next else { break }
            request = PageRequest(limit: 500, after: next)
        }
        return out
    }

    func supplierRow(_ s: SupplierRecord) -> SupplierRow {
        let used = s.line.limit.minorUnits > 0 ? Decimal(s.financingCommitted.minorUnits) / Decimal(s.line.limit.minorUnits) : nil
        return SupplierRow(id: s.id.uuidString.lowercased(), name: s.name, code: s.creditCode, status: s.status.rawValue,
                           limit: format.money(s.line.limit), committed: format.money(s.financingCommitted), used: format.percent(used),
                           recourse: format.money(s.recourseOwed), advanceRate: format.percent(s.line.advanceRate),
                           discountRate: format.percent(s.line.annualDiscountRate))
    }

    func exposureChart(_ suppliers: [SupplierRecord]) -> String {
        let top = suppliers.filter { $0.financingCommitted.minorUnits > 0 }
            .sorted { $0.financingCommitted.minorUnits > $1.financingCommitted.minorUnits }.prefix(15)
        return ConsoleChart.bars(title: "Financing outstanding by supplier", rows: top.map { s in
            ConsoleChart.Row(label: s.name, segments: [.init(value: Decimal(s.financingCommitted.minorUnits), style: "s1")],
                             caption: format.money(s.financingCommitted))
        })
    }

    func lastRun(_ run: NightlyRunRecord) -> LastRun {
        let report = RunReport(run.reportJSON)
        return LastRun(id: run.id.uuidString.lowercased(), date: run.businessDate.description, status: run.status,
                       statusClass: Self.statusClass(run.status), proof: report.proofText, proofClass: report.proofClass)
    }

    static func statusClass(_ status: String) -> String {
        switch status {
        case "completed", "approved", "paid", "resolved", "balanced", "matched", "ok": "ok"
        case "failed", "declined", "rejected", "unbalanced": "bad"
        default: "warn"
        }
    }

    // MARK: Financing review queue

    struct FinancingLineRow {
        let reference: String
        let dueDate: String
        let outstanding: String
        let advance: String
        let fee: String
        let feeDays: String
        let net: String
        let eligible: Bool
        let reasons: [FinancingDecisionDocument.Reason]
    }

    struct FinancingRequestRow {
        let id: String
        let supplierID: String
        let supplier: String
        let advance: String
        let fee: String
        let net: String
        let requestedAt: String
        let disbursementDate: String
        let validUntil: String?
        let lineLimit, lineOutstanding, lineAfter, lineUsedAfter: String
        let lines: [FinancingLineRow]
        let reasons: [FinancingDecisionDocument.Reason]
    }

    struct FinancingQueuePage {
        let requests: [FinancingRequestRow]
    }

    func financingQueue(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let principal = try context.require(.operator)
        let queue = try await services.supplierFinance.financingRequestsInReview(limit: 100)
        var suppliers: [UUID: SupplierRecord] = [:]
        var rows: [FinancingRequestRow] = []
        for r in queue {
            if suppliers[r.supplierID] == nil {
                suppliers[r.supplierID] = try await services.supplierFinance.supplier(id: r.supplierID, for: principal)
            }
            guard let supplier = suppliers[r.supplierID] else { continue }
            let d = r.decision
            // A request in review already counts in the supplier's committed financing.
            let committed = supplier.financingCommitted
            let limit = supplier.line.limit
            let usedAfter = limit.minorUnits > 0 ? Decimal(committed.minorUnits) / Decimal(limit.minorUnits) : nil
            let before = (try? committed.subtracting(try Money.parse(amount: d.advance, currencyCode: d.currency))) ?? committed
            var lines: [FinancingLineRow] = []
            for line in d.lines {
                let receivable = try? await UUID(uuidString: line.receivableId).asyncMap {
                    try await services.supplierFinance.receivable(id: $0, for: principal).record
                }
                lines.append(FinancingLineRow(
                    reference: receivable?.externalReference ?? line.receivableId, dueDate: receivable?.dueDate.description ?? "—",
                    outstanding: format.money(line.outstanding, d.currency), advance: format.money(line.advance, d.currency),
                    fee: format.money(line.fee, d.currency), feeDays: line.feeDays.map(String.init) ?? "—",
                    net: format.money(line.netDisbursement, d.currency), eligible: line.eligible, reasons: line.reasons))
            }
            rows.append(FinancingRequestRow(
                id: r.id.uuidString.lowercased(), supplierID: r.supplierID.uuidString.lowercased(), supplier: supplier.name,
                advance: format.money(d.advance, d.currency), fee: format.money(d.fee, d.currency), net: format.money(d.netDisbursement, d.currency),
                requestedAt: format.time(r.createdAt), disbursementDate: d.disbursementDate, validUntil: d.validUntil,
                lineLimit: format.money(limit), lineOutstanding: format.money(before), lineAfter: format.money(committed),
                lineUsedAfter: format.percent(usedAfter), lines: lines,
                reasons: d.reasons))
        }
        return try pages.render("financing", title: "Financing review queue (\(rows.count))", section: "/console/financing",
                                page: FinancingQueuePage(requests: rows), context: context, notice: Self.notice(request))
    }

    // MARK: Claims review queue

    struct ClaimRow {
        let id: String
        let raised: String
        let orderRef: String?
        let seller: String
        let category: String
        let amount: String
        let flags: [String]
        let evidence: String
    }

    struct LossRatioRow {
        let category: String
        let premiums: String
        let paid: String
        let ratio: String
    }

    struct ClaimsPage {
        let claims: [ClaimRow]
        let next: String?
        let lossRatios: [LossRatioRow]
        let chart: String
    }

    func claimsQueue(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try context.require(.operator)
        let q = Self.query(request)
        let page = try await services.insurance.claims(
            status: .inReview, try Paging.request(limit: nil, cursor: q["cursor"], key: .sequence))
        var rows: [ClaimRow] = []
        for c in page.items {
            let policy = try? await services.insurance.policy(id: c.policyID)
            let e = c.evidence
            let evidence = "\(e.carrier) \(e.trackingNumber) · cost \(format.money(e.shippingCost))"
                + (e.routeUsualCost.map { " (route usually \(format.money($0)))" } ?? "") + " · buyer returns in 30 days: \(e.buyerReturnsLast30Days)"
            rows.append(ClaimRow(id: c.id.uuidString.lowercased(), raised: format.time(c.raisedAt), orderRef: policy?.policy.terms.orderRef,
                                 seller: c.seller.rawValue, category: c.category.rawValue, amount: format.money(c.amount), flags: c.flags,
                                 evidence: evidence))
        }
        let report = try await services.insurance.lossRatios(sellerRef: nil, category: nil)
        let lines = report.byCategory
        let ratios = lines.map { l in
            LossRatioRow(category: l.category?.rawValue ?? "all", premiums: format.money(l.premiumsEarned), paid: format.money(l.claimsPaid),
                         ratio: format.percent(l.lossRatio))
        }
        let chart = ConsoleChart.bars(title: "Claims loss ratio by category", rows: lines.map { l in
            ConsoleChart.Row(label: "\(l.category?.rawValue ?? "all") (\(l.currency.code))",
                             segments: [.init(value: (l.lossRatio ?? 0) * 100, style: (l.lossRatio ?? 0) > 1 ? "s2" : "s1")],
                             caption: format.percent(l.lossRatio))
        })
        let next = page.next.map { "/console/claims?cursor=\(Paging.encode($0))" }
        return try pages.render("claims", title: "Claims review queue", section: "/console/claims",
                                page: ClaimsPage(claims: rows, next: next, lossRatios: ratios, chart: chart), context: context,
                                notice: Self.notice(request))
    }
}
