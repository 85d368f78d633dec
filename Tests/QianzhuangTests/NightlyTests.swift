import Domain
import Foundation
import HTTPAPI
import HummingbirdTesting
import Jobs
import Persistence
import QianzhuangClient
import Services
import Synchronization
import Testing

@Suite("Nightly close of business and reconciliation")
struct NightlyTests {
    static let actor = NightlyPlan.actor
    /// Public third-party camt.053 files live outside the project, in `../shared/fixtures/camt053`.
    static var fixtures: URL { TestCluster.sharedFixtures.appendingPathComponent("camt053") }

    static func temp(_ name: String, _ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("qz-\(UUID().uuidString)-\(name)")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    static func ledgerFingerprint(_ db: Database) async throws -> String {
        try await db.scalar(String.self, """
            SELECT count(*)::text || ':' || COALESCE(sum(abs(amount)), 0)::text FROM postings
            """) ?? ""
    }

    @Test("both real camt.053 fixtures import with their entries, references and balance verdicts; a re-import stores nothing",
          .enabled(if: TestCluster.sharedFixturesAvailable, TestCluster.sharedFixturesMissing))
    func importFixtures() async throws {
        try await withTestDatabase { db in
            let service = StatementService(database: db, calendar: .shanghai)
            let via = try await service.importFile(Self.fixtures.appendingPathComponent("viafintech_053v02_valid_example.xml"), format: .camt053, actor: Self.actor)
            #expect(via.statements.count == 1)
            let s = try #require(via.statements.first)
            #expect(s.currency == "EUR")
            #expect(s.entryCount == 4)
            #expect(s.opening == 3306 && s.closing == 2306)
            #expect(s.credits == 100 && s.debits == 1100)
            #expect(s.verdict == "balanced")
            let refs = try await db.client.query("SELECT reference FROM statement_lines WHERE statement_id = \(s.id) AND reference IS NOT NULL", logger: db.logger).all(String.self)
            #expect(!refs.isEmpty)

            let genkgo = try await service.importFile(Self.fixtures.appendingPathComponent("genkgo_053v02_multi_statement.xml"), format: .camt053, actor: Self.actor)
            #expect(genkgo.statements.count == 2)
            #expect(genkgo.statements.map(\.verdict) == ["balanced", "balanced"])
            #expect(Set(genkgo.statements.map { [$0.opening ?? 0, $0.closing ?? 0] }) == [[1815, 2700], [2700, 2000]])

            let again = try await service.importFile(Self.fixtures.appendingPathComponent("genkgo_053v02_multi_statement.xml"), format: .camt053, actor: Self.actor)
            #expect(again.alreadyImported)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM statements") == 3)
        }
    }

    @Test("a statement whose balances do not add up is flagged")
    func unbalancedStatement() async throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
            <GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-11-26T18:00:00</CreDtTm></GrpHdr>
            <Stmt><Id>S-BAD</Id><Acct><Id><Othr><Id>6222000011112222</Id></Othr></Id></Acct>
            <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="CNY">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-26</Dt></Dt></Bal>
            <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="CNY">120.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-26</Dt></Dt></Bal>
            <Ntry><Amt Ccy="CNY">10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-11-26</Dt></BookgDt>
            <NtryDtls><TxDtls><Refs><EndToEndId>ord-1</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>
            </Stmt></BkToCstmrStmt></Document>
            """
        let url = try Self.temp("bad.xml", xml)
        defer { try? FileManager.default.removeItem(at: url) }
        try await withTestDatabase { db in
            let result = try await StatementService(database: db, calendar: .shanghai).importFile(url, format: .camt053, actor: Self.actor)
            #expect(result.statements.first?.verdict == "unbalanced")
            #expect(result.statements.first?.computedClosing == 11_000)
            #expect(result.statements.first?.closing == 12_000)
        }
    }

    @Test("each matching outcome becomes an exception, once, with a workflow to resolution")
    func matchingOutcomes() async throws {
        try await withTestDatabase { db in
            let date = BusinessDate("2026-11-20")!
            try await db.transaction { c in
                try await LedgerStore.ensureAccounts([PlatformAccounts.cash(.cny), PlatformAccounts.equity(.cny)], on: c, logger: db.logger)
            }
            let ledger = LedgerService(database: db)
            for (reference, fen) in [("ord-1", 10_000), ("ord-2", 5_000), ("ord-3", 3_000)] as [(String, Int64)] {
                _ = try await ledger.postManualEntry(
                    businessDate: date, description: "", reference: reference,
                    lines: [.init(accountCode: "platform.cash.cny", amount: Money(minorUnits: fen, currency: .cny), side: .debit),
                            .init(accountCode: "platform.equity.cny", amount: Money(minorUnits: fen, currency: .cny), side: .credit)],
                    actor: Self.actor)
            }
            let csv = """
                channel_txn_id,our_reference,amount,currency,fee,settled_at,type
                T1,ord-1,100.00,CNY,0,2026-11-20,payment
                T2,ord-2,55.00,CNY,0,2026-11-20,payment
                T3,ord-9,20.00,CNY,0,2026-11-20,payment
                T4,ord-1,100.00,CNY,0,2026-11-20,payment
                """
            let url = try Self.temp("settle.csv", csv + "\n")
            defer { try? FileManager.default.removeItem(at: url) }
            _ = try await StatementService(database: db, calendar: .shanghai).importFile(url, format: .settlementCSV, channel: "alipay", actor: Self.actor)
            let recon = ReconciliationService(database: db, rules: MatchingRules(dateWindowDays: 0, amountToleranceMinorUnits: 0))
            let summary = try await recon.match(businessDate: date)
            #expect(summary.matched == 1)
            #expect(summary.exceptionsRaised == 4)
            let kinds = try await recon.exceptions(businessDate: date).map { "\($0.kind):\($0.reference ?? "-")" }.sorted()
            #expect(kinds == ["amount_mismatch:ord-2", "duplicate:ord-1", "missing_from_ledger:ord-9", "missing_from_statement:ord-3"])
            let again = try await recon.match(businessDate: date)
            #expect(again.exceptionsRaised == 0)

            let api = try await TestAPI.make(db)
            guard let first = try await recon.exceptions(businessDate: date).first else { throw TestFailure("no exception") }
            try await api.withClient { client in
                let noNote = try await client.call(.post, "/v1/reconciliation-exceptions/\(first.id.uuidString.lowercased())/resolve",
                                                   key: api.operatorKey, json: #"{"note": "  "}"#)
                #expect(noNote.status == .unprocessableContent)
                let ack = try await client.call(.post, "/v1/reconciliation-exceptions/\(first.id.uuidString.lowercased())/acknowledge", key: api.operatorKey)
                #expect(try ack.decode(Schemas.ReconciliationException.self).state == .acknowledged)
                let resolved = try await client.call(.post, "/v1/reconciliation-exceptions/\(first.id.uuidString.lowercased())/resolve",
                                                     key: api.operatorKey, json: #"{"note": "bank confirmed the missing credit on 21 Nov"}"#)
                #expect(try resolved.decode(Schemas.ReconciliationException.self).state == .resolved)
                let twice = try await client.call(.post, "/v1/reconciliation-exceptions/\(first.id.uuidString.lowercased())/resolve",
                                                  key: api.operatorKey, json: #"{"note": "again"}"#)
                #expect(twice.status == .conflict)
            }
        }
    }

    @Test("a run killed between steps resumes where it stopped and books nothing twice; a finished date is not re-run unless forced")
    func resumeAfterCrash() async throws {
        try await withTestDatabase(maxConnections: 12) { db in
            let api = try await TestAPI.make(db)
            let date = try await api.withClient { client in
                let w = FinancingWorld(api: api, client: client)
                let supplier = try await w.createSupplier(minDays: 1)
                let financed = try await w.createReceivable(supplier: supplier, face: "1000.00", dueInDays: 1)
                _ = try await w.finance([financed], key: try await api.supplierKey(UUID(uuidString: supplier)!))
                _ = try await w.createReceivable(supplier: supplier, face: "300.00", dueInDays: 1)
                return FinancingWorld.today.adding(days: 1)
            }
            let crashes = Mutex(1)
            let settle = NightlyStep("settle_receivables") { d in
                let s = try await api.deps.services.supplierFinance.settleDueReceivables(on: d, actor: Self.actor)
                return ["settled": Int64(s.settled)]
            }
            let flaky = NightlyStep("flaky") { _ in
                if crashes.withLock({ n in defer { n -= 1 }; return n > 0 }) { throw TestFailure("power cut") }
                return [:]
            }
            let runner = NightlyRunner(database: db, steps: [settle, flaky], logger: db.logger)
            await #expect(throws: NightlyStepFailure.self) { try await runner.run(date: date, triggeredBy: "test") }
            let afterCrash = try await Self.ledgerFingerprint(db)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM journal_entries WHERE kind = 'receivable.settled'") == 2)

            let resumed = try await runner.run(date: date, triggeredBy: "test")
            guard case .completed(let run) = resumed else { throw TestFailure("expected completed, got \(resumed)") }
            #expect(run.attempt == 1)
            #expect(try await Self.ledgerFingerprint(db) == afterCrash)
            let steps = try await runner.steps(of: run.id)
            #expect(steps.map(\.status) == ["completed", "completed"])

            guard case .alreadyCompleted = try await runner.run(date: date, triggeredBy: "test") else { throw TestFailure("re-ran a finished date") }
            guard case .completed(let forced) = try await runner.run(date: date, force: true, triggeredBy: "test") else { throw TestFailure("force") }
            #expect(forced.attempt == 2)
            #expect(try await Self.ledgerFingerprint(db) == afterCrash)
        }
    }

    @Test("two runners started together for one date produce one run")
    func oneRunnerPerDate() async throws {
        try await withTestDatabase(maxConnections: 12) { db in
            let slow = NightlyStep("slow") { _ in
                try await Task.sleep(for: .milliseconds(400))
                return ["slept": 1]
            }
            let a = NightlyRunner(database: db, steps: [slow], logger: db.logger)
            let b = NightlyRunner(database: db, steps: [slow], logger: db.logger)
            let date = BusinessDate("2026-11-01")!
            async let first = a.run(date: date, triggeredBy: "replica-a")
            async let second = b.run(date: date, triggeredBy: "replica-b")
            let outcomes = try await [first, second]
            let completed = outcomes.filter { if case .completed = $0 { return true } else { return false } }
            #expect(completed.count == 1, "\(outcomes)")
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM nightly_runs WHERE business_date = '2026-11-01'") == 1)
        }
    }

    /// Waits until `flag` holds, for up to ten seconds; false when it never did.
    static func waitFor(_ flag: @Sendable () -> Bool) async throws -> Bool {
        for _ in 0..<200 {
            if flag() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return flag()
    }

    @Test("steps whose prerequisites are met run side by side; a step waits for all of its prerequisites")
    func stepsRunSideBySide() async throws {
        try await withTestDatabase(maxConnections: 12) { db in
            let running = Mutex(Set<String>()), finished = Mutex(Set<String>())
            // Each of a and b finishes only once it has seen the other running: one after the other, neither would.
            func partner(_ name: String, _ other: String) -> NightlyStep {
                NightlyStep(name, after: []) { _ in
                    running.withLock { _ = $0.insert(name) }
                    guard try await Self.waitFor({ running.withLock { $0.contains(other) } }) else {
                        throw TestFailure("\(name) never saw \(other) running")
                    }
                    finished.withLock { _ = $0.insert(name) }
                    return [:]
                }
            }
            let joined = NightlyStep("joined", after: ["a", "b"]) { _ in
                ["prerequisites_finished": Int64(finished.withLock { $0.count })]
            }
            let last = NightlyStep("last") { _ in [:] }
            let runner = NightlyRunner(database: db, steps: [partner("a", "b"), partner("b", "a"), joined, last], logger: db.logger)
            guard case .completed(let run) = try await runner.run(date: BusinessDate("2026-11-02")!, triggeredBy: "test") else {
                throw TestFailure("the run did not complete")
            }
            let steps = try await runner.steps(of: run.id)
            #expect(steps.map(\.status) == ["completed", "completed", "completed", "completed"])
            #expect(steps.first { $0.step == "joined" }?.countsJSON == #"{"prerequisites_finished": 2}"#)
            try Self.expectPrerequisitesHeld(steps, runner.prerequisites)
        }
    }

    @Test("after a failure no further step starts, a step already running finishes, and the resumed run runs only what is left")
    func failureInOneLane() async throws {
        try await withTestDatabase(maxConnections: 12) { db in
            let runs = Mutex([String: Int]())
            let failures = Mutex(1)
            let failing = NightlyStep("failing", after: []) { _ in
                runs.withLock { $0["failing", default: 0] += 1 }
                if failures.withLock({ n in defer { n -= 1 }; return n > 0 }) { throw TestFailure("power cut") }
                return [:]
            }
            let slow = NightlyStep("slow", after: []) { _ in
                runs.withLock { $0["slow", default: 0] += 1 }
                // Still running when the other lane's failure is recorded.
                for _ in 0..<200 where try await db.scalar(String.self, "SELECT status FROM nightly_steps WHERE step = 'failing'") != "failed" {
                    try await Task.sleep(for: .milliseconds(50))
                }
                return [:]
            }
            let next = NightlyStep("next", after: ["slow"]) { _ in
                runs.withLock { $0["next", default: 0] += 1 }
                return [:]
            }
            let runner = NightlyRunner(database: db, steps: [failing, slow, next], logger: db.logger)
            let date = BusinessDate("2026-11-03")!
            await #expect(throws: NightlyStepFailure.self) { try await runner.run(date: date, triggeredBy: "test") }
            #expect(runs.withLock { $0 } == ["failing": 1, "slow": 1])
            let first = try #require(try await db.withConnection { try await NightlyStore.latestRun(for: date, on: $0, logger: db.logger) })
            #expect(first.status == "failed")
            #expect(try await runner.steps(of: first.id).map(\.status) == ["failed", "completed", "pending"])

            guard case .completed(let run) = try await runner.run(date: date, triggeredBy: "test") else { throw TestFailure("resume") }
            #expect(run.id == first.id)
            #expect(runs.withLock { $0 } == ["failing": 2, "slow": 1, "next": 1])
            #expect(try await runner.steps(of: run.id).map(\.status) == ["completed", "completed", "completed"])
        }
    }

    @Test("a plan that names an unknown prerequisite or waits in a circle is refused before anything is recorded")
    func badPlansRefused() async throws {
        try await withTestDatabase { db in
            let step = { (name: String, after: [String]?) in NightlyStep(name, after: after) { _ in [:] } }
            let plans: [(String, [NightlyStep])] = [
                ("not in the plan", [step("a", nil), step("b", ["missing"])]),
                ("wait for each other", [step("a", ["b"]), step("b", ["a"]), step("c", [])]),
                ("used twice", [step("a", nil), step("a", nil)]),
            ]
            for (problem, steps) in plans {
                let runner = NightlyRunner(database: db, steps: steps, logger: db.logger)
                let error = await #expect(throws: NightlyStepFailure.self) { try await runner.run(date: BusinessDate("2026-11-04")!, triggeredBy: "test") }
                #expect(error?.message.contains(problem) == true, "\(String(describing: error))")
            }
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM nightly_runs") == 0)
            // The standard plan: two lanes, then the ledger proof after both.
            let standard = try await TestAPI.make(db).deps.nightly.prerequisites
            #expect(standard["expire_credit_authorizations"] == [] && standard["settle_receivables"] == [])
            #expect(standard["prove_ledger"] == ["check_unsettled_payments", "issue_credit_bills"])
        }
    }

    /// Every step started after each of its prerequisites had finished (the database's clock on both sides).
    static func expectPrerequisitesHeld(_ steps: [NightlyStepRecord], _ prerequisites: [String: Set<String>],
                                        sourceLocation: SourceLocation = #_sourceLocation) throws {
        let byName = Dictionary(uniqueKeysWithValues: steps.map { ($0.step, $0) })
        for step in steps {
            let started = try #require(step.startedAt, sourceLocation: sourceLocation)
            for before in prerequisites[step.step, default: []] {
                let finished = try #require(byName[before]?.finishedAt, sourceLocation: sourceLocation)
                #expect(finished <= started, "\(step.step) started before \(before) finished", sourceLocation: sourceLocation)
            }
        }
    }

    @Test("the standard night over several simulated dates settles each day's maturities, proves the ledger and writes its report")
    func severalDates() async throws {
        let reports = FileManager.default.temporaryDirectory.appendingPathComponent("qz-reports-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: reports) }
        try await withTestDatabase(maxConnections: 12) { db in
            // The runner's clock stands after the simulated nights (a real clock refuses dates that have not ended).
            let later = Date().addingTimeInterval(5 * 86_400)
            let deps = APIDependencies(database: db, migrator: try repositoryMigrator(), calendar: .shanghai, reportDirectory: reports,
                                       now: { later })
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let w = FinancingWorld(api: api, client: client)
                let supplier = try await w.createSupplier(minDays: 1)
                let key = try await api.supplierKey(UUID(uuidString: supplier)!)
                for day in 1...3 {
                    let r = try await w.createReceivable(supplier: supplier, face: "\(day)00.00", dueInDays: day)
                    _ = try await w.finance([r], key: key)
                }
            }
            var settled: [Int64] = []
            for day in 1...3 {
                let date = FinancingWorld.today.adding(days: day)
                guard case .completed(let run) = try await deps.nightly.run(date: date, triggeredBy: "test") else { throw TestFailure("day \(day)") }
                let steps = try await deps.nightly.steps(of: run.id)
                #expect(steps.allSatisfy { $0.status == "completed" })
                try Self.expectPrerequisitesHeld(steps, deps.nightly.prerequisites)
                let counts = { (step: String) throws -> [String: Int64] in
                    try JSONDecoder().decode([String: Int64].self, from: Data(try #require(steps.first(where: { $0.step == step })).countsJSON.utf8))
                }
                settled.append(try counts("settle_receivables")["settled"] ?? -1)
                let proof = try counts("prove_ledger")
                #expect(proof["controls_failed"] == 0 && proof["violations"] == 0, "\(proof)")
                let html = try String(contentsOf: reports.appendingPathComponent("nightly-\(date).html"), encoding: .utf8)
                #expect(html.contains("Ledger proof: <span class=\"ok\">holds</span>"))
                #expect(try await deps.nightly.run(id: run.id)?.reportJSON?.contains("\"ledger_proof\"") == true)
            }
            #expect(settled == [1, 1, 1])
            try await expectLedgerBalanced(db)
        }
    }

    @Test("the report shows the proof its run's prove_ledger step handed over, and proves the ledger itself when none was")
    func reportTakesTheRunsProof() async throws {
        let reports = FileManager.default.temporaryDirectory.appendingPathComponent("qz-reports-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: reports) }
        try await withTestDatabase { db in
            let date = FinancingWorld.today.adding(days: -1)
            let deps = APIDependencies(database: db, migrator: try repositoryMigrator(), calendar: .shanghai, reportDirectory: reports)
            guard case .completed = try await deps.nightly.run(date: date, triggeredBy: "test") else { throw TestFailure("the night did not complete") }
            let reconciliation = ReconciliationService(database: db)
            // A proof unlike the ledger's (which holds): the report can only show it by taking it.
            let handed = ReconciliationService.LedgerProof(violations: ["journal entry e-handed is unbalanced: CNY 1"], controls: [])
            let path = try await NightlyReport.write(date: date, database: db, reconciliation: reconciliation, directory: reports, proof: handed)
            let html = try String(contentsOfFile: path, encoding: .utf8)
            #expect(html.contains("Ledger proof: <span class=\"bad\">FAILED</span>"))
            #expect(html.contains("e-handed"))
            let proved = try await NightlyReport.write(date: date, database: db, reconciliation: reconciliation, directory: reports)
            #expect(try String(contentsOfFile: proved, encoding: .utf8).contains("Ledger proof: <span class=\"ok\">holds</span>"))
        }
    }

    @Test("observation 1: the runner behind the CLI refuses a future business date and books nothing; an absurd past date too")
    func futureDateRefused() async throws {
        try await withTestDatabase { db in
            let deps = APIDependencies(database: db, migrator: try repositoryMigrator(), calendar: .shanghai)
            let before = try await Self.ledgerFingerprint(db)
            for date in [FinancingWorld.today.adding(days: 40), FinancingWorld.today, BusinessDate("0001-01-01")!] {
                do {
                    _ = try await deps.nightly.run(date: date, triggeredBy: "cli")
                    Issue.record("the runner accepted \(date)")
                } catch ServiceError.invalid(let issues) {
                    #expect(issues.map(\.field) == ["business_date"])
                }
            }
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM nightly_runs") == 0)
            #expect(try await Self.ledgerFingerprint(db) == before)
            // Yesterday is fine.
            guard case .completed = try await deps.nightly.run(date: FinancingWorld.today.adding(days: -1), triggeredBy: "cli") else {
                throw TestFailure("yesterday was refused")
            }
        }
    }

    @Test("the API refuses 0001-01-01 and a future date with a 422 naming business_date, by the same rule as the CLI")
    func absurdDateRefusedByAPI() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                for date in ["0001-01-01", "\(FinancingWorld.today.adding(days: 40))"] {
                    let r = try await client.call(.post, "/v1/nightly-runs", key: api.operatorKey, json: #"{"business_date": "\#(date)"}"#)
                    #expect(r.status == .unprocessableContent, "\(date): \(r.text)")
                    #expect(r.problemFields == ["business_date"])
                }
            }
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM nightly_runs") == 0)
        }
    }

    @Test("the API starts a run for an ended date, shows it, and refuses a date that has not ended")
    func nightlyAPI() async throws {
        try await withTestDatabase(maxConnections: 12) { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let future = try await client.call(.post, "/v1/nightly-runs", key: api.operatorKey,
                                                   json: #"{"business_date": "\#(FinancingWorld.today)"}"#)
                #expect(future.status == .unprocessableContent)
                let started = try await client.call(.post, "/v1/nightly-runs", key: api.operatorKey, json: #"{"business_date": "2026-01-05"}"#)
                #expect(started.status == .accepted || started.status == .ok, "\(started.text)")
                let id = try started.decode(Schemas.NightlyRun.self).id
                // The run works in the background; wait for it to finish, however slow the machine
                // (CI ran this beside 50 other suites and needed more than 5 s). The bound only stops
                // a hung run from hanging the suite; it is not a speed target.
                var status = ""
                let deadline = ContinuousClock.now.advanced(by: .seconds(180))
                while ContinuousClock.now < deadline {
                    status = try await client.typed(api.operatorKey).getNightlyRunsById(path: .init(id: id)).ok.body.json.status.rawValue
                    if status != "running" { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(status == "completed")
                let again = try await client.call(.post, "/v1/nightly-runs", key: api.operatorKey, json: #"{"business_date": "2026-01-05"}"#)
                #expect(again.status == .ok)
                #expect(try again.decode(Schemas.NightlyRun.self).id == id)
                _ = try await client.typed(api.operatorKey).getNightlyRunsByIdExceptions(path: .init(id: id)).ok.body.json
                let platform = try await client.call(.post, "/v1/nightly-runs", key: api.platformKey, json: #"{"business_date": "2026-01-05"}"#)
                #expect(platform.status == .forbidden)
            }
        }
    }
}
