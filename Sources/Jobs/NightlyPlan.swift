import Domain
import Foundation
import Logging
import Persistence
import PostgresNIO
import Services

/// The standard close of business, in order. Each product area's step calls that area's
/// service; nothing here re-implements a business rule.
public enum NightlyPlan {
    /// The system actor the nightly run books as.
    public static let actor = Actor(
        principal: Principal(keyID: "00000000-0000-0000-0000-000000000000", role: .operator, supplierID: nil), requestID: nil)

    public static func standard(services: ServiceRegistry, database: Database, reportDirectory: URL, logger: Logger) -> [NightlyStep] {
        let reconciliation = ReconciliationService(database: database)
        return [
            NightlyStep("expire_credit_authorizations") { date in
                ["expired": Int64(try await services.credit.expireAuthorizations(businessDate: date))]
            },
            NightlyStep("settle_receivables") { date in
                let s = try await services.supplierFinance.settleDueReceivables(on: date, actor: actor)
                return ["settled": Int64(s.settled), "paid_minor": s.paidMinorUnits, "recourse_minor": s.recourseMinorUnits]
            },
            NightlyStep("pay_approved_claims") { date in
                let run = try await services.insurance.payApprovedClaims(businessDate: date)
                return ["claims_paid": Int64(run.paidClaimIDs.count), "paid_minor": run.totals.reduce(0) { $0 + $1.minorUnits }]
            },
            NightlyStep("age_credit_accounts") { date in
                let r = try await services.credit.ageAccounts(businessDate: date)
                return ["accounts_aged": Int64(r.accountsAged), "late_fees": Int64(r.lateFeesCharged),
                        "late_fee_minor": r.lateFeeTotalMinorUnits, "frozen": Int64(r.accountsFrozen),
                        "charged_off": Int64(r.accountsChargedOff)]
            },
            NightlyStep("match_statements") { date in
                let m = try await reconciliation.match(businessDate: date)
                return ["expected": Int64(m.expected), "statement_lines": Int64(m.actual), "matched": Int64(m.matched),
                        "exceptions_raised": Int64(m.exceptionsRaised), "partitions": Int64(m.partitions)]
            },
            NightlyStep("prove_ledger") { _ in
                let proof = try await reconciliation.proveLedger()
                if !proof.holds {
                    logger.error("ledger proof failed", metadata: ["violations": "\(proof.violations.prefix(20))",
                                                                   "controls": "\(proof.controls.filter { !$0.balanced })"])
                }
                return ["violations": Int64(proof.violations.count), "controls": Int64(proof.controls.count),
                        "controls_failed": Int64(proof.controls.filter { !$0.balanced }.count)]
            },
            NightlyStep("write_report") { date in
                let path = try await NightlyReport.write(date: date, database: database, reconciliation: reconciliation, directory: reportDirectory)
                logger.info("nightly report written", metadata: ["path": "\(path)"])
                return ["report_written": 1]
            },
        ]
    }
}

/// The run's report: JSON on the run record (served by the API) and an HTML file for people.
public enum NightlyReport {
    public static func write(date: BusinessDate, database: Database, reconciliation: ReconciliationService, directory: URL) async throws -> String {
        let logger = database.logger
        let (run, steps, counts, trial) = try await database.client.withConnection { c in
            let run = try await NightlyStore.latestRun(for: date, on: c, logger: logger)
            var steps: [NightlyStepRecord] = []
            if let run { steps = try await NightlyStore.steps(runID: run.id, on: c, logger: logger) }
            let counts = try await ReconciliationStore.exceptionCounts(businessDate: date, on: c, logger: logger)
            let trial = try await LedgerStore.trialBalance(asOf: date, on: c, logger: logger)
            return (run, steps, counts, trial)
        }
        let proof = try await reconciliation.proveLedger()
        let exceptions = try await reconciliation.exceptions(businessDate: date, limit: 1_000)
        // Decimal, not Int64: platform-wide sums can exceed Int64 and must not trap the night.
        var totals: [String: (debits: Decimal, credits: Decimal)] = [:]
        for row in trial {
            var t = totals[row.currency.code] ?? (0, 0)
            if row.balanceMinorUnits > 0 { t.debits += row.balanceMinorUnits } else { t.credits -= row.balanceMinorUnits }
            totals[row.currency.code] = t
        }
        let totalsOut = totals.mapValues { t -> [String: Any] in
            ["debits_minor": NSDecimalNumber(decimal: t.debits), "credits_minor": NSDecimalNumber(decimal: t.credits), "balanced": t.debits == t.credits]
        }
        let stepObjects: [[String: Any]] = steps.map { s in
            var o: [String: Any] = ["step": s.step, "status": s.status,
                                    "counts": (try? JSONSerialization.jsonObject(with: Data(s.countsJSON.utf8))) ?? [:]]
            if let started = s.startedAt, let finished = s.finishedAt { o["seconds"] = finished.timeIntervalSince(started) }
            if let e = s.error { o["error"] = e }
            return o
        }
        let report: [String: Any] = [
            "business_date": date.description, "run_id": run?.id.uuidString.lowercased() ?? NSNull(), "attempt": run?.attempt ?? 0,
            "steps": stepObjects, "ledger_totals": totalsOut,
            "ledger_proof": ["holds": proof.holds, "violations": proof.violations.prefix(100).map { $0 },
                             "controls": proof.controls.map { ["name": $0.name, "sub_ledger_minor": NSDecimalNumber(decimal: $0.subLedger), "control_minor": NSDecimalNumber(decimal: $0.control), "balanced": $0.balanced] }],
            "exceptions": counts, "exceptions_total": counts.values.reduce(0, +),
        ]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys]), as: UTF8.self)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("nightly-\(date).html")
        try html(date: date, report: report, steps: steps, proof: proof, exceptions: exceptions, totals: totalsOut).write(to: file, atomically: true, encoding: .utf8)
        if let run {
            try await database.transaction { c in
                try await NightlyStore.attachReport(id: run.id, reportJSON: json, reportPath: file.path, on: c, logger: logger)
            }
        }
        return file.path
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func html(date: BusinessDate, report: [String: Any], steps: [NightlyStepRecord], proof: ReconciliationService.LedgerProof,
                     exceptions: [ExceptionRecord], totals: [String: [String: Any]]) -> String {
        func money(_ minor: Int64, _ code: String) -> String {
            Currency(code: code).map { Money(minorUnits: minor, currency: $0).description } ?? "\(minor) \(code)"
        }
        var h = """
        <!doctype html><html><head><meta charset="utf-8"><title>Qianzhuang close of business \(date)</title>
        <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}.bad{color:#b00;font-weight:bold}.ok{color:#070}</style>
        </head><body><h1>Close of business \(date)</h1>
        <p>Ledger proof: <span class="\(proof.holds ? "ok" : "bad")">\(proof.holds ? "holds" : "FAILED")</span> · exceptions: \(exceptions.count)</p>
        <h2>Steps</h2><table><tr><th>step</th><th>status</th><th>counts</th></tr>
        """
        for s in steps { h += "<tr><td>\(escape(s.step))</td><td>\(escape(s.status))</td><td>\(escape(s.countsJSON))</td></tr>" }
        h += "</table><h2>Ledger totals</h2><table><tr><th>currency</th><th>debits</th><th>credits</th><th>balanced</th></tr>"
        for (code, t) in totals.sorted(by: { $0.key < $1.key }) {
            let d = t["debits_minor"] as? Int64 ?? 0, c = t["credits_minor"] as? Int64 ?? 0
            h += "<tr><td>\(code)</td><td>\(money(d, code))</td><td>\(money(c, code))</td><td>\(d == c ? "yes" : "<span class=bad>NO</span>")</td></tr>"
        }
        h += "</table><h2>Control totals</h2><table><tr><th>control</th><th>sub-ledger</th><th>control accounts</th><th></th></tr>"
        for c in proof.controls {
            h += "<tr><td>\(escape(c.name))</td><td>\(c.subLedger)</td><td>\(c.control)</td><td class=\"\(c.balanced ? "ok" : "bad")\">\(c.balanced ? "agrees" : "DIFFERS")</td></tr>"
        }
        h += "</table><h2>Exceptions</h2><table><tr><th>kind</th><th>reference</th><th>expected</th><th>actual</th><th>state</th><th>detail</th></tr>"
        for e in exceptions {
            let cur = e.currency ?? "CNY"
            h += "<tr><td>\(escape(e.kind))</td><td>\(escape(e.reference ?? "—"))</td><td>\(e.expectedAmount.map { money($0, cur) } ?? "—")</td>"
            h += "<td>\(e.actualAmount.map { money($0, cur) } ?? "—")</td><td>\(escape(e.state))</td><td>\(escape(e.detail))</td></tr>"
        }
        h += "</table></body></html>\n"
        return h
    }
}
