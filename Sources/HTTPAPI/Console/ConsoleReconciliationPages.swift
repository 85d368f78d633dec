import Domain
import Foundation
import Hummingbird
import Jobs
import Persistence
import Services

/// What a nightly run's stored JSON report says (written by `NightlyReport`), read leniently:
/// an older or partial report shows what it has.
struct RunReport {
    let object: [String: Any]

    init(_ json: String?) {
        object = json.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] } ?? [:]
    }

    var holds: Bool? { (object["ledger_proof"] as? [String: Any])?["holds"] as? Bool }
    var proofText: String { holds.map { $0 ? "holds" : "FAILED" } ?? "not proven yet" }
    var proofClass: String { holds.map { $0 ? "ok" : "bad" } ?? "warn" }
    var exceptions: [String: Int64] { (object["exceptions"] as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.int64Value } }
    var exceptionsTotal: Int64 { (object["exceptions_total"] as? NSNumber)?.int64Value ?? exceptions.values.reduce(0, +) }
    var steps: [[String: Any]] { object["steps"] as? [[String: Any]] ?? [] }
    var statements: [[String: Any]] { object["statements"] as? [[String: Any]] ?? [] }

    /// Lines the night matched (the match step's count).
    var matched: Int64 {
        let match = steps.first { $0["step"] as? String == "match_statements" }
        return ((match?["counts"] as? [String: Any])?["matched"] as? NSNumber)?.int64Value ?? 0
    }
}

extension ConsoleRoutes {
    // MARK: Reconciliation exceptions

    struct Option {
        let value: String
        let label: String
        let selected: Bool
    }

    struct ExceptionRow {
        let id: String
        let date: String
        let kind: String
        let theirs: String
        let ours: String
        let source: String
        let expected: String
        let actual: String
        let state: String
        let stateClass: String
        let note: String?
        let detail: String
        let open: Bool
        let unresolved: Bool
        let back: String
    }

    struct RuleRow {
        let source: String
        let tolerance: String
        let window: String
        let oneToMany: String
        let manyToOne: String
    }

    struct ReconciliationPage {
        let states: [Option]
        let kinds: [Option]
        let source: String
        let date: String
        let exceptions: [ExceptionRow]
        let next: String?
        let rules: [RuleRow]
    }

    func reconciliationPage(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try context.require(.operator)
        var q = Self.query(request).filter { !$0.value.isEmpty && $0.key != "notice" }
        // Unfiltered, the page shows the worklist: what is still open.
        let state = Self.query(request)["state"] ?? "open"
        if state.isEmpty { q.removeValue(forKey: "state") } else { q["state"] = state }
        q["limit"] = q["limit"] ?? "50"
        let (filter, wanted) = try ReconciliationRoutes.exceptionFilter(q, dates: true)
        let found = try await deps.reconciliation.exceptions(filter, wanted)
        let rows = found.items
        let here = "/console/reconciliation?" + Self.encode(q.filter { $0.key != "cursor" })
        let exceptions = rows.map { e in
            let ours = e.reference == e.counterpartyRef ? nil : e.reference
            return ExceptionRow(
                id: e.id.uuidString.lowercased(), date: e.businessDate.description, kind: ConsoleFormat.words(e.kind),
                theirs: e.counterpartyRef ?? "—", ours: ours ?? "—", source: e.source ?? "—",
                expected: format.money(e.expectedAmount, e.currency), actual: format.money(e.actualAmount, e.currency),
                state: e.state + (e.resolvedByRun != nil ? " by a later night" : ""), stateClass: Self.statusClass(e.state),
                note: e.resolutionNote, detail: e.detail, open: e.state == "open", unresolved: e.state != "resolved", back: here)
        }
        let next = found.next.map { cursor in
            var nq = q
            nq["cursor"] = Paging.encode(cursor)
            return "/console/reconciliation?" + Self.encode(nq)
        }
        let rules = try await deps.reconciliation.matchingRules().map { r in
            RuleRow(source: r.source, tolerance: String(r.amountToleranceMinor), window: String(r.dateWindowDays),
                    oneToMany: r.oneToMany ? "yes" : "no", manyToOne: r.manyToOne ? "yes" : "no")
        }
        let states = [("open", "open"), ("acknowledged", "acknowledged"), ("resolved", "resolved"), ("", "any state")].map {
            Option(value: $0.0, label: $0.1, selected: $0.0 == state)
        }
        let kinds = [Option(value: "", label: "every kind", selected: q["kind"] == nil)]
            + ReconciliationException.Kind.allCases.map { Option(value: $0.rawValue, label: ConsoleFormat.words($0.rawValue), selected: q["kind"] == $0.rawValue) }
        let page = ReconciliationPage(states: states, kinds: kinds, source: q["source"] ?? "", date: q["date"] ?? "", exceptions: exceptions,
                                      next: next, rules: rules)
        return try pages.render("reconciliation", title: "Reconciliation exceptions", section: "/console/reconciliation", page: page,
                                context: context, notice: Self.notice(request))
    }

    static func encode(_ q: [String: String]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~:")
        return q.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }
            .joined(separator: "&")
    }

    // MARK: Nightly runs

    struct RunRow {
        let id: String
        let date: String
        let attempt: Int
        let status: String
        let statusClass: String
        let by: String
        let started: String
        let finished: String
        let matched: String
        let exceptions: String
        let proof: String
        let proofClass: String
    }

    struct NightlyPage {
        let suggested: String
        let runs: [RunRow]
        let chart: String
    }

    func nightlyRuns(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        try context.require(.operator)
        let runs = try await deps.nightly.runs(PageRequest(limit: 60)).items
        let rows = runs.map { run in
            let report = RunReport(run.reportJSON)
            return (run, report, RunRow(
                id: run.id.uuidString.lowercased(), date: run.businessDate.description, attempt: run.attempt, status: run.status,
                statusClass: Self.statusClass(run.status), by: run.triggeredBy, started: format.time(run.startedAt), finished: format.time(run.finishedAt),
                matched: format.count(report.matched), exceptions: format.count(report.exceptionsTotal), proof: report.proofText,
                proofClass: report.proofClass))
        }
        // The chart shows each date once (its latest attempt), oldest at the top.
        var seen: Set<BusinessDate> = []
        let latest = rows.filter { seen.insert($0.0.businessDate).inserted }.prefix(14).reversed()
        let chart = ConsoleChart.bars(title: "Matched versus exception lines per night", rows: latest.map { run, report, _ in
            ConsoleChart.Row(label: run.businessDate.description,
                             segments: [.init(value: Decimal(report.matched), style: "s1"), .init(value: Decimal(report.exceptionsTotal), style: "s2")],
                             caption: "\(format.count(report.matched)) matched · \(format.count(report.exceptionsTotal)) exceptions")
        }, legend: [("matched", "s1"), ("exceptions", "s2")])
        let page = NightlyPage(suggested: deps.clock.today.adding(days: -1).description, runs: rows.map(\.2), chart: chart)
        return try pages.render("nightly", title: "Nightly runs", section: "/console/nightly", page: page, context: context,
                                notice: Self.notice(request))
    }

    struct StepRow {
        let position: Int
        let name: String
        let status: String
        let statusClass: String
        let summary: String
        let error: String?
    }

    struct StatementRow {
        let ref: String
        let account: String
        let currency: String
        let entries: String
        let verdict: String
        let verdictClass: String
        let findings: String
    }

    struct TotalRow {
        let name: String
        let left: String
        let right: String
        let ok: String
        let okClass: String
    }

    struct RunKind {
        let date: String
        let kind: String
        let label: String
        let count: String
    }

    struct RunPage {
        let status: String
        let statusClass: String
        let attempt: Int
        let by: String
        let started: String
        let finished: String?
        let proof: String
        let proofClass: String
        let steps: [StepRow]
        let statements: [StatementRow]
        let totals: [TotalRow]
        let exceptionKinds: [RunKind]
    }

    func nightlyRun(_ id: UUID, _ context: AppRequestContext) async throws -> Response {
        try context.require(.operator)
        guard let run = try await deps.nightly.run(id: id) else { throw Problem.notFound("no nightly run \(id.uuidString.lowercased())") }
        let steps = try await deps.nightly.steps(of: id)
        let report = RunReport(run.reportJSON)
        let stepRows = steps.map { s in
            StepRow(position: s.position, name: ConsoleFormat.words(s.step), status: NightlyReport.status(of: s),
                    statusClass: Self.statusClass(s.status), summary: NightlyReport.summary(of: s), error: s.error)
        }
        let statements = report.statements.map { s in
            let verdict = s["verdict"] as? String ?? "—"
            let findings = (s["findings"] as? [String]) ?? []
            return StatementRow(ref: s["statement_ref"] as? String ?? "—", account: s["account"] as? String ?? "—",
                                currency: s["currency"] as? String ?? "", entries: format.count((s["entries"] as? NSNumber)?.int64Value ?? 0),
                                verdict: ConsoleFormat.words(verdict), verdictClass: findings.isEmpty && verdict != "unbalanced" ? "ok" : "bad",
                                findings: findings.joined(separator: "; "))
        }
        var totals: [TotalRow] = []
        for (code, value) in (report.object["ledger_totals"] as? [String: Any] ?? [:]).sorted(by: { $0.key < $1.key }) {
            let t = value as? [String: Any] ?? [:]
            let balanced = t["balanced"] as? Bool ?? false
            totals.append(TotalRow(name: "\(code) debits and credits", left: t["debits"] as? String ?? "—", right: t["credits"] as? String ?? "—",
                                   ok: balanced ? "balanced" : "NOT BALANCED", okClass: balanced ? "ok" : "bad"))
        }
        for c in ((report.object["ledger_proof"] as? [String: Any])?["controls"] as? [[String: Any]] ?? []) {
            let balanced = c["balanced"] as? Bool ?? false
            totals.append(TotalRow(name: ConsoleFormat.words(c["name"] as? String ?? ""), left: c["sub_ledger"] as? String ?? "—",
                                   right: c["control"] as? String ?? "—", ok: balanced ? "agrees" : "DIFFERS", okClass: balanced ? "ok" : "bad"))
        }
        let kinds = report.exceptions.sorted { $0.key < $1.key }.map {
            RunKind(date: run.businessDate.description, kind: $0.key, label: ConsoleFormat.words($0.key), count: format.count($0.value))
        }
        let page = RunPage(status: run.status, statusClass: Self.statusClass(run.status), attempt: run.attempt, by: run.triggeredBy,
                           started: format.time(run.startedAt), finished: run.finishedAt.map { format.time($0) }, proof: report.proofText,
                           proofClass: report.proofClass, steps: stepRows, statements: statements, totals: totals, exceptionKinds: kinds)
        return try pages.render("nightly-run", title: "Close of business \(run.businessDate)", section: "/console/nightly", page: page,
                                context: context)
    }
}
