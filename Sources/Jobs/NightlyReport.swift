import Domain
import Foundation
import Persistence
import Services

/// The run's report: JSON on the run record (served by the API) and an HTML page an operator
/// reads in a minute: money with its currency, each step in words, the statements of the night
/// with their verdicts, and the exceptions grouped by kind, the counterparty's reference first.
public enum NightlyReport {
    /// Rows of one exception kind the HTML shows before pointing to the API for the rest.
    static let rowsPerKind = 200
    /// The step that writes this report: it is running while the report is written, so the
    /// report shows it as done (it is the report).
    static let stepName = "write_report"

    /// `known`, else a proof reached now.
    static func proof(_ known: ReconciliationService.LedgerProof?, _ reconciliation: ReconciliationService) async throws
        -> ReconciliationService.LedgerProof {
        if let known { return known }
        return try await reconciliation.proveLedger()
    }

    /// Writes the report of `date`'s latest run. `proof` is the ledger proof the run's own
    /// `prove_ledger` step reached; without one the report proves the ledger itself.
    public static func write(date: BusinessDate, database: Database, reconciliation: ReconciliationService, directory: URL,
                             proof known: ReconciliationService.LedgerProof? = nil) async throws -> String {
        let logger = database.logger
        // Independent reads on their own pooled connections (the proof only when the run's own step
        // handed none over): at 1M lines the trial balance (a scan of postings joined to entries)
        // took 5.4 s and the proof about 3 s one after the other.
        async let header = database.withConnection { c in
            let run = try await NightlyStore.latestRun(for: date, on: c, logger: logger)
            var steps: [NightlyStepRecord] = []
            var statements: [StatementRecord] = []
            if let run {
                steps = try await NightlyStore.steps(runID: run.id, on: c, logger: logger)
                statements = try await ReconciliationStore.statements(raisedBy: run.id, on: c, logger: logger)
            }
            return (run, steps, statements)
        }
        async let trialRows = database.withConnection { try await LedgerStore.trialBalance(asOf: date, on: $0, logger: logger) }
        async let proved = proof(known, reconciliation)
        async let listed = listedExceptions(date: date, database: database, reconciliation: reconciliation)
        let (run, steps, statements) = try await header
        let (counts, exceptions) = try await listed
        let trial = try await trialRows
        let proof = try await proved
        // Debits and credits per currency: never summed across currencies. Decimal, not Int64:
        // platform-wide sums can exceed Int64 and must not trap the night.
        var totals: [String: (debits: Decimal, credits: Decimal)] = [:]
        for row in trial {
            let code = row.currency.code
            var t = totals[code] ?? (0, 0)
            if row.balanceMinorUnits > 0 { t.debits += row.balanceMinorUnits } else { t.credits -= row.balanceMinorUnits }
            totals[code] = t
        }
        let stepObjects: [[String: Any]] = steps.map { s in
            var o: [String: Any] = ["step": s.step, "status": s.step == stepName ? "completed" : s.status,
                                    "counts": (try? JSONSerialization.jsonObject(with: Data(s.countsJSON.utf8))) ?? [:],
                                    "summary": summary(of: s)]
            if let started = s.startedAt, let finished = s.finishedAt { o["seconds"] = finished.timeIntervalSince(started) }
            if let e = s.error { o["error"] = e }
            return o
        }
        let report: [String: Any] = [
            "business_date": date.description, "run_id": run?.id.uuidString.lowercased() ?? NSNull(), "attempt": run?.attempt ?? 0,
            "steps": stepObjects,
            "ledger_totals": Dictionary(uniqueKeysWithValues: totals.map { code, t -> (String, [String: Any]) in
                (code, ["debits": money(t.debits, code), "credits": money(t.credits, code), "debits_minor": NSDecimalNumber(decimal: t.debits), "credits_minor": NSDecimalNumber(decimal: t.credits),
                        "balanced": t.debits == t.credits])
            }),
            "ledger_proof": ["holds": proof.holds, "violations": proof.violations.prefix(100).map { $0 },
                             "controls": proof.controls.map { ["name": $0.name, "sub_ledger": money($0.subLedger, platformCurrency),
                                                               "control": money($0.control, platformCurrency),
                                                               "sub_ledger_minor": NSDecimalNumber(decimal: $0.subLedger),
                                                               "control_minor": NSDecimalNumber(decimal: $0.control), "balanced": $0.balanced] }],
            "statements": statements.map { s -> [String: Any] in
                ["id": s.id.uuidString.lowercased(), "statement_ref": s.statementRef, "account": s.account ?? NSNull(), "currency": s.currency,
                 "entries": s.entryCount, "verdict": s.verdict, "findings": s.findings]
            },
            "exceptions": counts, "exceptions_total": counts.values.reduce(0, +),
        ]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("nightly-\(date).html")
        let page = html(date: date, runID: run?.id, steps: steps, proof: proof, statements: statements, exceptions: exceptions, counts: counts,
                        totals: totals)
        try page.write(to: file, atomically: true, encoding: .utf8)
        if let run {
            try await database.transaction { c in
                try await NightlyStore.attachReport(id: run.id, reportJSON: json, reportPath: file.path, on: c, logger: logger)
            }
        }
        return file.path
    }

    /// Every exception of the night counted by kind, and at most `rowsPerKind` of each kind listed
    /// (the API pages through all). One bounded query per kind: streaming every exception of a
    /// night with a million of them took minutes (measured with Benchmarks/nightly/run.sh 1000000 1000000).
    static func listedExceptions(date: BusinessDate, database: Database, reconciliation: ReconciliationService) async throws
        -> (counts: [String: Int64], rows: [ExceptionRecord]) {
        let logger = database.logger
        let counts = try await database.withConnection { try await ReconciliationStore.exceptionCounts(businessDate: date, on: $0, logger: logger) }
        var rows: [ExceptionRecord] = []
        for kind in counts.keys.sorted() {
            var filter = ExceptionFilter()
            filter.dateFrom = date
            filter.dateTo = date
            filter.kind = kind
            rows += try await reconciliation.exceptions(filter, PageRequest(limit: rowsPerKind)).items
        }
        return (counts, rows)
    }

    /// Control totals and step amounts are in the platform's booking currency.
    static let platformCurrency = "CNY"

    /// Minor units as money with its currency ("1,083.10 CNY"); unknown codes say what they are.
    /// A sum that may exceed Int64 (platform-wide totals): formatted like `money` while it fits,
    /// else as the exact decimal number of minor units.
    public static func money(_ minor: Decimal, _ code: String?) -> String {
        if minor.magnitude <= Decimal(Int64.max) { return money(NSDecimalNumber(decimal: minor).int64Value, code) }
        return "\(minor) minor units of \(code ?? platformCurrency)"
    }

    public static func money(_ minor: Int64, _ code: String?) -> String {
        let code = code ?? platformCurrency
        guard let currency = Currency(code: code) else { return "\(minor) minor units of \(code)" }
        let m = Money(minorUnits: minor, currency: currency)
        let text = m.decimalString
        let negative = text.hasPrefix("-")
        let body = negative ? String(text.dropFirst()) : text
        let parts = body.split(separator: ".", maxSplits: 1)
        var whole = String(parts.first ?? "0")
        var grouped = ""
        while whole.count > 3 {
            grouped = "," + String(whole.suffix(3)) + grouped
            whole = String(whole.dropLast(3))
        }
        let fraction = parts.count > 1 ? "." + parts[1] : ""
        return (negative ? "-" : "") + whole + grouped + fraction + " " + code
    }

    /// A step's counts in words: "settled 3 · paid 1,234.00 CNY"; `*_minor` counts are money.
    public static func summary(of step: NightlyStepRecord) -> String {
        let counts = (try? JSONDecoder().decode([String: Int64].self, from: Data(step.countsJSON.utf8))) ?? [:]
        let words = counts.sorted { $0.key < $1.key }.map { key, value -> String in
            if key.hasSuffix("_minor") {
                return "\(key.dropLast(6).replacingOccurrences(of: "_", with: " ")) \(money(value, nil))"
            }
            return "\(key.replacingOccurrences(of: "_", with: " ")) \(value)"
        }
        return words.isEmpty ? "nothing to do" : words.joined(separator: " · ")
    }

    /// The status in words, with the time it took.
    public static func status(of step: NightlyStepRecord) -> String {
        if step.step == stepName { return "done (this report)" }
        var text: String
        switch step.status {
        case "completed": text = "done"
        case "failed": text = "FAILED"
        case "running": text = "still running"
        default: text = "not started"
        }
        if let started = step.startedAt, let finished = step.finishedAt {
            text += String(format: " in %.1f s", finished.timeIntervalSince(started))
        }
        return text
    }

    public static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func html(date: BusinessDate, runID: UUID?, steps: [NightlyStepRecord], proof: ReconciliationService.LedgerProof,
                     statements: [StatementRecord], exceptions: [ExceptionRecord], counts: [String: Int64],
                     totals: [String: (debits: Decimal, credits: Decimal)]) -> String {
        let total = counts.values.reduce(0, +)
        var h = """
        <!doctype html><html><head><meta charset="utf-8"><title>Qianzhuang close of business \(date)</title>
        <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}td.n{text-align:right}.bad{color:#b00;font-weight:bold}.ok{color:#070}</style>
        </head><body><h1>Close of business \(date)</h1>
        <p>Ledger proof: <span class="\(proof.holds ? "ok" : "bad")">\(proof.holds ? "holds" : "FAILED")</span> · exceptions: \(total) · statements: \(statements.count)\(runID.map { " · run \($0.uuidString.lowercased())" } ?? "")</p>

        """
        // A failed proof names what failed (the first 20; the JSON carries 100), so the operator
        // does not have to go and find it.
        if !proof.violations.isEmpty {
            h += "<ul class=\"bad\">" + proof.violations.prefix(20).map { "<li>\(escape($0))</li>" }.joined()
                + (proof.violations.count > 20 ? "<li>… \(proof.violations.count - 20) more</li>" : "") + "</ul>\n"
        }
        h += "<h2>Steps</h2><table><tr><th>step</th><th>status</th><th>what it did</th></tr>\n"
        for s in steps {
            h += "<tr><td>\(escape(s.step.replacingOccurrences(of: "_", with: " ")))</td><td class=\"\(s.status == "failed" ? "bad" : "ok")\">\(escape(status(of: s)))</td>"
            h += "<td>\(escape(s.step == stepName ? "this report" : summary(of: s)))\(s.error.map { " — " + escape($0) } ?? "")</td></tr>"
        }
        h += "</table><h2>Statements of the night</h2>"
        if statements.isEmpty {
            h += "<p>No statement was imported since the previous night.</p>"
        } else {
            h += "<table><tr><th>statement</th><th>account / source</th><th>entries</th><th>opening</th><th>closing</th><th>verdict</th></tr>"
            for s in statements {
                let verdicts = ([s.verdict == "unbalanced" ? "UNBALANCED (opening + entries = \(s.computedClosing.map { money($0, s.currency) } ?? "-"))" : s.verdict.replacingOccurrences(of: "_", with: " ")]
                                + s.findings).joined(separator: "; ")
                let bad = s.verdict == "unbalanced" || !s.findings.isEmpty
                h += "<tr><td>\(escape(s.statementRef))</td><td>\(escape(s.account ?? s.format))</td><td class=n>\(s.entryCount)</td>"
                h += "<td class=n>\(s.opening.map { money($0, s.currency) } ?? "—")</td><td class=n>\(s.closing.map { money($0, s.currency) } ?? "—")</td>"
                h += "<td class=\"\(bad ? "bad" : "ok")\">\(escape(verdicts))</td></tr>"
            }
            h += "</table>"
        }
        h += "<h2>Ledger totals</h2><table><tr><th>currency</th><th>debits</th><th>credits</th><th>balanced</th></tr>"
        for (code, t) in totals.sorted(by: { $0.key < $1.key }) {
            h += "<tr><td>\(code)</td><td class=n>\(money(t.debits, code))</td><td class=n>\(money(t.credits, code))</td><td>\(t.debits == t.credits ? "yes" : "<span class=bad>NO</span>")</td></tr>"
        }
        h += "</table><h2>Control totals</h2><table><tr><th>control</th><th>sub-ledger</th><th>control accounts</th><th></th></tr>"
        for c in proof.controls {
            h += "<tr><td>\(escape(c.name.replacingOccurrences(of: "_", with: " ")))</td><td class=n>\(money(c.subLedger, platformCurrency))</td>"
            h += "<td class=n>\(money(c.control, platformCurrency))</td><td class=\"\(c.balanced ? "ok" : "bad")\">\(c.balanced ? "agrees" : "DIFFERS")</td></tr>"
        }
        h += "</table><h2>Exceptions</h2>"
        if total == 0 { h += "<p>None.</p>" }
        let byKind = Dictionary(grouping: exceptions, by: \.kind)
        for (kind, n) in counts.sorted(by: { $0.key < $1.key }) {
            let rows = byKind[kind] ?? []
            h += "<h3>\(escape(kind.replacingOccurrences(of: "_", with: " "))): \(n)</h3>"
            h += "<table><tr><th>their reference</th><th>our reference</th><th>source</th><th>expected</th><th>actual</th><th>state</th><th>detail</th></tr>"
            for e in rows {
                let cur = e.currency
                // Our reference only where it says something the counterparty's does not.
                let ours = e.reference == e.counterpartyRef ? nil : e.reference
                h += "<tr><td>\(escape(e.counterpartyRef ?? "—"))</td><td>\(escape(ours ?? "—"))</td><td>\(escape(e.source ?? "—"))</td>"
                h += "<td class=n>\(e.expectedAmount.map { money($0, cur) } ?? "—")</td><td class=n>\(e.actualAmount.map { money($0, cur) } ?? "—")</td>"
                h += "<td>\(escape(e.state))\(e.resolvedByRun != nil ? " (by a later night)" : "")</td><td>\(escape(e.detail))</td></tr>"
            }
            h += "</table>"
            if n > Int64(rows.count) {
                h += "<p>… and \(n - Int64(rows.count)) more: <code>GET /v1/reconciliation-exceptions?date=\(date)&amp;kind=\(escape(kind))</code></p>"
            }
        }
        h += "</body></html>\n"
        return h
    }
}
