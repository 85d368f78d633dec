import Domain
import Foundation
import HTTPAPI
import HummingbirdTesting
import Jobs
import Persistence
import QianzhuangClient
import Services
import Testing

/// Reconciliation on the files platforms really receive (issue 14): one test per observation.
@Suite("Reconciliation across nights, currencies and formats")
struct ReconciliationTests {
    static let actor = NightlyPlan.actor
    static let header = "channel_txn_id,our_reference,amount,currency,fee,settled_at,type"

    static func temp(_ name: String, _ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("qz-\(UUID().uuidString)-\(name)")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// A camt.053.001.08 document: one statement of account 6222000011112222 with its sequence
    /// number, balances and (amount, end-to-end id) credit entries, all on `date`.
    /// An amount with a leading `-` is a debit (money out); `batch`, when given, is one more entry
    /// of their sum whose transactions each carry their amount and end-to-end id (a bank batch).
    /// `named`, when given, is one more credit entry of `total` whose transactions carry only their
    /// end-to-end ids, no amount each (a bank batch naming the items it pays).
    static func camt(messageId: String = "M1", statementId: String, sequence: Int?, opening: String, closing: String,
                     entries: [(String, String)], batch: [(String, String)] = [], named: (total: String, refs: [String])? = nil,
                     date: String = "2026-11-20", currency: String = "CNY", newline: String = "\n") -> String {
        var xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
            <GrpHdr><MsgId>\(messageId)</MsgId><CreDtTm>\(date)T23:00:00+08:00</CreDtTm></GrpHdr>
            <Stmt><Id>\(statementId)</Id>\(sequence.map { "<ElctrncSeqNb>\($0)</ElctrncSeqNb>" } ?? "")<CreDtTm>\(date)T23:00:00+08:00</CreDtTm>
            <Acct><Id><Othr><Id>6222000011112222</Id></Othr></Id><Ccy>\(currency)</Ccy></Acct>
            <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="\(currency)">\(opening)</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>\(date)</Dt></Dt></Bal>
            <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="\(currency)">\(closing)</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>\(date)</Dt></Dt></Bal>

            """
        for (amount, ref) in entries {
            let debit = amount.hasPrefix("-")
            xml += """
                <Ntry><Amt Ccy="\(currency)">\(debit ? String(amount.dropFirst()) : amount)</Amt><CdtDbtInd>\(debit ? "DBIT" : "CRDT")</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>\(date)</Dt></BookgDt>
                <NtryDtls><TxDtls><Refs><EndToEndId>\(ref)</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>

                """
        }
        if !batch.isEmpty {
            let cents = batch.compactMap { Int($0.0.replacingOccurrences(of: ".", with: "")) }.reduce(0, +)
            let total = "\(cents / 100)." + String(format: "%02d", cents % 100)
            xml += "<Ntry><Amt Ccy=\"\(currency)\">\(total)</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>\(date)</Dt></BookgDt>"
            xml += "<NtryDtls><Btch><NbOfTxs>\(batch.count)</NbOfTxs></Btch>"
            for (amount, ref) in batch {
                xml += "<TxDtls><Refs><EndToEndId>\(ref)</EndToEndId></Refs><Amt Ccy=\"\(currency)\">\(amount)</Amt></TxDtls>"
            }
            xml += "</NtryDtls></Ntry>\n"
        }
        if let named {
            xml += "<Ntry><Amt Ccy=\"\(currency)\">\(named.total)</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>\(date)</Dt></BookgDt>"
            xml += "<NtryDtls><Btch><NbOfTxs>\(named.refs.count)</NbOfTxs></Btch>"
            for ref in named.refs { xml += "<TxDtls><Refs><EndToEndId>\(ref)</EndToEndId></Refs></TxDtls>" }
            xml += "</NtryDtls></Ntry>\n"
        }
        xml += "</Stmt></BkToCstmrStmt></Document>\n"
        return xml.replacingOccurrences(of: "\n", with: newline)
    }

    @Test("observation 6: a re-sent statement with other bytes is already_imported (200); another statement under its identity is a 409 naming both")
    func statementIdentity() async throws {
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            let first = Self.camt(statementId: "STMT-20", sequence: 20, opening: "100.00", closing: "130.00", entries: [("30.00", "ord-1")])
            let resent = Self.camt(messageId: "M1-RESENT", statementId: "STMT-20", sequence: 20, opening: "100.00", closing: "130.00",
                                   entries: [("30.00", "ord-1")], newline: "\r\n")
            let other = Self.camt(messageId: "M2", statementId: "STMT-20", sequence: 20, opening: "100.00", closing: "140.00",
                                  entries: [("40.00", "ord-2")])
            try await api.withClient { client in
                let a = try await client.call(.post, "/v1/statements", key: api.operatorKey, json: first, contentType: "application/xml")
                #expect(a.status == .created, "\(a.text)")
                let firstID = try #require(try a.decode(Schemas.StatementImport.self).statements.first?.id)
                let b = try await client.call(.post, "/v1/statements", key: api.operatorKey, json: resent, contentType: "application/xml")
                #expect(b.status == .ok, "\(b.text)")
                #expect(try b.decode(Schemas.StatementImport.self).alreadyImported == true)
                #expect(try b.decode(Schemas.StatementImport.self).statements.first?.id == firstID)
                let read = try await client.typed(api.operatorKey).getStatementsById(path: .init(id: firstID)).ok.body.json
                #expect(read.statementRef == "STMT-20")
                let c = try await client.call(.post, "/v1/statements", key: api.operatorKey, json: other, contentType: "application/xml")
                #expect(c.status == .conflict, "\(c.text)")
                #expect(c.text.contains(firstID) && c.text.contains("STMT-20"))
            }
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM statement_lines") == 1)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM statements") == 1)
        }
    }

    @Test("observations 5 and 6: an unbalanced statement, a sequence gap and a balance discontinuity become exceptions in the night they are imported, once")
    func verdictsBecomeExceptions() async throws {
        let reports = FileManager.default.temporaryDirectory.appendingPathComponent("qz-reports-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: reports) }
        try await withTestDatabase(maxConnections: 12) { db in
            let deps = APIDependencies(database: db, migrator: try repositoryMigrator(), calendar: .shanghai, reportDirectory: reports)
            let files = [
                Self.camt(statementId: "S-1", sequence: 1, opening: "0.00", closing: "10.00", entries: [("10.00", "a")], date: "2026-11-18"),
                // Sequence 2 never arrives; 3 opens at 15.00 where 1 closed at 10.00, and does not add up (15 + 5 ≠ 30).
                Self.camt(statementId: "S-3", sequence: 3, opening: "15.00", closing: "30.00", entries: [("5.00", "b")], date: "2026-11-19"),
            ]
            for (n, xml) in files.enumerated() {
                let url = try Self.temp("s\(n).xml", xml)
                defer { try? FileManager.default.removeItem(at: url) }
                _ = try await deps.statements.importFile(url, format: .camt053, actor: Self.actor)
            }
            let date = BusinessDate("2026-11-19")!
            guard case .completed(let run) = try await deps.nightly.run(date: date, triggeredBy: "test") else { throw TestFailure("run") }
            let kinds = try await deps.reconciliation.exceptions(businessDate: date)
                .filter { $0.counterpartyRef?.hasPrefix("S-") == true }.map { "\($0.kind):\($0.counterpartyRef ?? "")" }.sorted()
            #expect(kinds == ["balance_discontinuity:S-3", "sequence_gap:S-3", "unbalanced_statement:S-3"])
            let html = try String(contentsOf: reports.appendingPathComponent("nightly-\(date).html"), encoding: .utf8)
            #expect(html.contains("unbalanced statement: 1") && html.contains("<td>S-3</td>") && html.contains("UNBALANCED"))
            // The next night raises nothing again for the same statements.
            guard case .completed = try await deps.nightly.run(date: date.adding(days: 1), triggeredBy: "test") else { throw TestFailure("run 2") }
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM reconciliation_exceptions WHERE counterparty_ref LIKE 'S-%'") == 3)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM statements WHERE verdicts_raised_by = \(run.id)") == 2)
        }
    }

    @Test("observation 7: a settlement CSV with 100.00 CNY and 100 JPY keeps both currencies apart, never 101.00 CNY")
    func currenciesStayApart() async throws {
        let csv = """
            \(Self.header)
            T1,ord-1,100.00,CNY,0,2026-11-20,payment
            T2,ord-2,100,JPY,0,2026-11-20,payment
            T3,ord-3,5.00,CNY,0,2026-11-20,refund

            """
        let url = try Self.temp("two-currencies.csv", csv)
        defer { try? FileManager.default.removeItem(at: url) }
        try await withTestDatabase { db in
            let result = try await StatementService(database: db, calendar: .shanghai).importFile(url, format: .settlementCSV, channel: "alipay", actor: Self.actor)
            let byCurrency = Dictionary(uniqueKeysWithValues: result.statements.map { ($0.currency, $0) })
            #expect(byCurrency.keys.sorted() == ["CNY", "JPY"])
            #expect(byCurrency["CNY"]?.credits == 10_000)
            #expect(byCurrency["CNY"]?.debits == 500)
            #expect(byCurrency["CNY"]?.entryCount == 2)
            #expect(byCurrency["JPY"]?.credits == 100)
            #expect(byCurrency["JPY"]?.entryCount == 1)
            #expect(byCurrency["JPY"]?.statementRef == "alipay settlement 2026-11-20 JPY")
            let lines = try await db.scalar(String.self, """
                SELECT string_agg(currency || ' ' || amount::text, ', ' ORDER BY line_no) FROM statement_lines
                """)
            #expect(lines == "CNY 10000, JPY 100, CNY -500")
        }
    }

    @Test("observation 8: POST /v1/statements with a camt.053 that declares a DTD is a 422 naming the body; nothing is stored")
    func dtdRefusedByAPI() async throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE Document [<!ENTITY ref "ord-1">]>
            <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
            <GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-11-26T18:00:00</CreDtTm></GrpHdr>
            <Stmt><Id>S-DTD</Id><Acct><Id><Othr><Id>6222000011112222</Id></Othr></Id></Acct>
            <Ntry><Amt Ccy="CNY">10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-11-26</Dt></BookgDt>
            <NtryDtls><TxDtls><Refs><EndToEndId>&ref;</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>
            </Stmt></BkToCstmrStmt></Document>
            """
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let r = try await client.call(.post, "/v1/statements", key: api.operatorKey, json: xml, contentType: "application/xml")
                #expect(r.status == .unprocessableContent, "\(r.text)")
                #expect(r.problemFields == ["body"])
                #expect(r.text.contains("DTD"))
            }
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM statements") == 0)
        }
    }

    @Test("observation 9: 1,107 exceptions page through in full: limit honoured, next_cursor while more exist, filters, no cap")
    func exceptionsPage() async throws {
        let date = BusinessDate("2026-11-20")!
        var csv = Self.header + "\n"
        for n in 1...1_107 { csv += "T\(n),unknown-\(n),1.00,CNY,0,\(date),payment\n" }
        let url = try Self.temp("many.csv", csv)
        defer { try? FileManager.default.removeItem(at: url) }
        let reports = FileManager.default.temporaryDirectory.appendingPathComponent("qz-reports-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: reports) }
        try await withTestDatabase(maxConnections: 12) { db in
            let api = try await TestAPI.make(db)
            _ = try await api.deps.statements.importFile(url, format: .settlementCSV, channel: "alipay", actor: Self.actor)
            let deps = APIDependencies(database: db, migrator: try repositoryMigrator(), calendar: .shanghai, reportDirectory: reports)
            guard case .completed(let run) = try await deps.nightly.run(date: date, triggeredBy: "test") else { throw TestFailure("run") }
            let html = try String(contentsOf: reports.appendingPathComponent("nightly-\(date).html"), encoding: .utf8)
            #expect(html.contains("exceptions: 1107"))
            try await api.withClient { client in
                for base in ["/v1/nightly-runs/\(run.id.uuidString.lowercased())/exceptions?limit=500",
                             "/v1/reconciliation-exceptions?limit=500&kind=missing_from_ledger&state=open&date=\(date)&source=channel:alipay"] {
                    var seen: [String] = []
                    var pages: [Int] = []
                    var uri = base
                    while true {
                        let r = try await client.call(.get, uri, key: api.operatorKey)
                        #expect(r.status == .ok, "\(r.text)")
                        let page = try r.decode(Schemas.ExceptionPage.self)
                        pages.append(page.data.count)
                        seen += page.data.map(\.id)
                        guard let next = page.nextCursor, pages.count < 10 else { break }
                        uri = base + "&cursor=\(next)"
                    }
                    #expect(pages == [500, 500, 107], "\(base)")
                    #expect(Set(seen).count == 1_107)
                }
                let none = try await client.call(.get, "/v1/reconciliation-exceptions?kind=duplicate", key: api.operatorKey)
                #expect(try none.decode(Schemas.ExceptionPage.self).data.count == 0)
                #expect(try none.decode(Schemas.ExceptionPage.self).nextCursor == nil && none.sendsNull("next_cursor"))
                let other = try await client.typed(api.operatorKey).getReconciliationExceptions(query: .init(source: "channel:wechat")).ok.body.json
                #expect(other.data.count == 0)
                let bad = try await client.call(.get, "/v1/reconciliation-exceptions?kind=nonsense&limit=0", key: api.operatorKey)
                #expect(bad.status == .unprocessableContent)
            }
        }
    }

    /// Books `fen` of cash in under `reference` on `date` (a receipt the bank or channel should show);
    /// negative `fen` is cash paid out.
    static func bookCash(_ db: Database, _ reference: String, _ fen: Int64, on date: BusinessDate) async throws {
        try await db.transaction { c in
            try await LedgerStore.ensureAccounts([PlatformAccounts.cash(.cny), PlatformAccounts.equity(.cny)], on: c, logger: db.logger)
        }
        let amount = Money(minorUnits: Int64(fen.magnitude), currency: .cny)
        _ = try await LedgerService(database: db).postManualEntry(
            businessDate: date, description: "", reference: reference,
            lines: [.init(accountCode: "platform.cash.cny", amount: amount, side: fen < 0 ? .credit : .debit),
                    .init(accountCode: "platform.equity.cny", amount: amount, side: fen < 0 ? .debit : .credit)],
            actor: Self.actor)
    }

    /// The services a test night runs with, reports in a directory of their own.
    static func dependencies(_ db: Database) throws -> APIDependencies {
        APIDependencies(database: db, migrator: try repositoryMigrator(), calendar: .shanghai,
                        reportDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("qz-reports-\(UUID().uuidString)"))
    }

    static func importCSV(_ deps: APIDependencies, _ rows: [String], channel: String = "alipay") async throws {
        let url = try Self.temp("settle.csv", ([Self.header] + rows).joined(separator: "\n") + "\n")
        defer { try? FileManager.default.removeItem(at: url) }
        _ = try await deps.statements.importFile(url, format: .settlementCSV, channel: channel, actor: Self.actor)
    }

    @Test("observation 3: cash booked on D and settled on D+1 is matched once, never raised again, and the earlier exception closes by the later run")
    func memoryAcrossNights() async throws {
        try await withTestDatabase(maxConnections: 12) { db in
            let deps = APIDependencies(database: db, migrator: try repositoryMigrator(), calendar: .shanghai,
                                       reportDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("qz-reports-\(UUID().uuidString)"))
            let d = BusinessDate("2026-11-20")!
            try await Self.bookCash(db, "ord-1", 10_000, on: d)
            try await Self.bookCash(db, "ord-2", 5_000, on: d)
            // Night D: nothing has arrived yet.
            guard case .completed = try await deps.nightly.run(date: d, triggeredBy: "test") else { throw TestFailure("night D") }
            #expect(try await deps.reconciliation.exceptions(businessDate: d).map(\.kind).sorted() == ["missing_from_statement", "missing_from_statement"])
            // The channel settles ord-1 on D+1; ord-2's line dated D arrives late.
            try await Self.importCSV(deps, ["T1,ord-1,100.00,CNY,0,\(d.adding(days: 1)),payment", "T2,ord-2,50.00,CNY,0,\(d),payment"])
            guard case .completed(let next) = try await deps.nightly.run(date: d.adding(days: 1), triggeredBy: "test") else { throw TestFailure("night D+1") }
            let earlier = try await deps.reconciliation.exceptions(businessDate: d)
            #expect(earlier.count == 2)
            #expect(earlier.allSatisfy { $0.state == "resolved" && $0.resolvedByRun == next.id && $0.resolvedBy == "nightly-run" }, "\(earlier)")
            #expect(try await deps.reconciliation.exceptions(businessDate: d.adding(days: 1)).isEmpty)
            // Night D+2 and a forced re-run of D: nothing is matched or raised again.
            guard case .completed = try await deps.nightly.run(date: d.adding(days: 2), triggeredBy: "test") else { throw TestFailure("night D+2") }
            guard case .completed = try await deps.nightly.run(date: d, force: true, triggeredBy: "test") else { throw TestFailure("forced D") }
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM reconciliation_exceptions") == 2)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM reconciliation_exceptions WHERE state <> 'resolved'") == 0)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM reconciled_items") == 2)
        }
    }

    @Test("observation 4: the nightly service matches 18.00 + 12.00 against 30.00 as a group under the default rules")
    func splitPaymentMatchesAsGroup() async throws {
        try await withTestDatabase(maxConnections: 12) { db in
            let deps = APIDependencies(database: db, migrator: try repositoryMigrator(), calendar: .shanghai,
                                       reportDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("qz-reports-\(UUID().uuidString)"))
            let d = BusinessDate("2026-11-20")!
            try await Self.bookCash(db, "ord-30", 3_000, on: d)
            try await Self.importCSV(deps, ["T1,ord-30,18.00,CNY,0,\(d),payment", "T2,ord-30,12.00,CNY,0,\(d),payment"])
            let summary = try await deps.reconciliation.match(businessDate: d)
            #expect(summary.matched == 1)
            #expect(summary.exceptionsRaised == 0)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM statement_lines WHERE matched_by IS NOT NULL") == 2)
        }
    }

    @Test("marking matched statement lines is heap-only: no index holds matched_by, lines marked a few to a page are HOT updates, and the window still sees only open lines")
    func matchedLinesUpdateIsHeapOnly() async throws {
        try await withTestDatabase(maxConnections: 12) { db in
            let deps = try Self.dependencies(db)
            let d = BusinessDate("2026-11-20")!
            try await Self.importCSV(deps, (0..<300).map { n in "T\(n),ord-\(n),1.00,CNY,0,\(d),payment" })
            let all = try await db.scalar(String.self, "SELECT string_agg(statement_id::text || '/' || line_no, ',') FROM statement_lines") ?? ""
            let lines = all.split(separator: ",").map(String.init)
            #expect(lines.count == 300)
            // As in a night: each transaction (a partition, a range of hash buckets) marks lines spread
            // over the whole table, a few per page; ten of them mark two lines in three.
            var counts: [(updated: Int64, hot: Int64)] = []
            for k in 0..<10 {
                let batch = lines.indices.filter { $0 % 15 == k }.map { lines[$0] }
                // The session's counters not yet flushed to the statistics (pg_stat_get_xact_*), read
                // before and after the update, in its transaction.
                let (u, h) = try await db.transaction { c in
                    @Sendable func counters() async throws -> (Int64, Int64) {
                        try await c.query("""
                            SELECT pg_stat_get_xact_tuples_updated('statement_lines'::regclass),
                                   pg_stat_get_xact_tuples_hot_updated('statement_lines'::regclass)
                            """, logger: db.logger).all { r in (try r[0].decode(Int64.self), try r[1].decode(Int64.self)) }.first ?? (-1, -1)
                    }
                    let before = try await counters()
                    try await ReconciliationStore.recordMatched(lineIDs: batch, entryIDs: [], date: d, runID: UUID(), on: c, logger: db.logger)
                    let after = try await counters()
                    return (after.0 - before.0, after.1 - before.1)
                }
                counts.append((u, h))
            }
            #expect(counts.map(\.updated).reduce(0, +) == 200)
            // The first transaction's twenty fit in the room fillfactor leaves: every one is heap-only,
            // whatever else runs. Later ones also need the dead versions pruned, which a concurrent
            // transaction elsewhere in the cluster can hold back, so they are not counted on here.
            #expect(counts[0].updated == 20 && counts[0].hot == 20, "\(counts[0].hot) of \(counts[0].updated) updates were heap-only")
            // What makes them eligible: no index of the table holds matched_by, in its columns or its predicate.
            let indexed = try await db.scalar(Int64.self, """
                SELECT count(*) FROM pg_indexes WHERE tablename = 'statement_lines' AND indexdef LIKE '%matched_by%'
                """)
            #expect(indexed == 0)
            // The run's window: the 100 lines left open, none of the matched ones.
            let run = UUID()
            let prepared = try await db.transaction { c in
                let counts = try await ReconciliationStore.prepareRun(runID: run, itemsFrom: d, itemsTo: d, linesFrom: d, linesTo: d, on: c, logger: db.logger)
                try await ReconciliationStore.discardRun(runID: run, on: c, logger: db.logger)
                return counts
            }
            #expect(prepared.lines == 100)
        }
    }

    @Test("split lines whose item is not booked yet each carry one open missing_from_ledger, no duplicate, and match as a split when it is booked the next night")
    func splitBeforeItsItem() async throws {
        try await withTestDatabase(maxConnections: 12) { db in
            let deps = APIDependencies(database: db, migrator: try repositoryMigrator(), calendar: .shanghai,
                                       reportDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("qz-reports-\(UUID().uuidString)"))
            let d = BusinessDate("2026-11-20")!
            try await Self.importCSV(deps, ["T1,ord-77,18.00,CNY,0,\(d),payment", "T2,ord-77,12.00,CNY,0,\(d),payment"])
            _ = try await deps.reconciliation.match(businessDate: d)
            #expect(try await deps.reconciliation.exceptions(businessDate: d).map(\.kind) == ["missing_from_ledger", "missing_from_ledger"])
            try await Self.bookCash(db, "ord-77", 3_000, on: d.adding(days: 1))
            let next = try await deps.reconciliation.match(businessDate: d.adding(days: 1))
            #expect(next.matched == 1)
            #expect(next.exceptionsRaised == 0)
            #expect(next.exceptionsClosed == 2)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM reconciliation_exceptions WHERE state <> 'resolved'") == 0)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM statement_lines WHERE matched_by IS NOT NULL") == 2)
        }
    }

    @Test("a night matched in many partitions (each read and matched while the one before is written) ends exactly as in one partition")
    func manyPartitionsEndAsOne() async throws {
        struct Night: Sendable, Equatable {
            var matched = 0, raised = 0, expected = 0, actual = 0
            var exceptions: [String] = []
            var matchedLines = ""
            var reconciledItems: Int64 = 0
        }
        @Sendable func night(partitionSize: Int) async throws -> (Night, partitions: Int) {
            try await withTestDatabase(maxConnections: 12) { db in
                let deps = try Self.dependencies(db)
                let d = BusinessDate("2026-11-20")!
                for n in 0..<12 { try await Self.bookCash(db, "ord-\(n)", 1_000 + Int64(n), on: d) }
                try await Self.bookCash(db, "ord-split", 3_000, on: d)
                try await Self.bookCash(db, "ord-short", 5_000, on: d)
                try await Self.bookCash(db, "ord-late", 2_500, on: d.adding(days: -1))
                try await Self.bookCash(db, "ord-unseen", -700, on: d)
                var rows = (0..<10).map { n in "T\(n),ord-\(n),\(Money(minorUnits: 1_000 + Int64(n), currency: .cny).decimalString),CNY,0,\(d),payment" }
                rows += ["S1,ord-split,18.00,CNY,0,\(d),payment", "S2,ord-split,12.00,CNY,0,\(d),payment",
                         "M1,ord-short,49.00,CNY,0,\(d),payment", "L1,ord-late,25.00,CNY,0,\(d),payment",
                         "U1,nobody-knows,7.00,CNY,0,\(d),payment", "U2,nobody-either,8.00,CNY,0,\(d),payment",
                         "R1,ord-3,10.03,CNY,0,\(d),payment"]
                try await Self.importCSV(deps, rows)
                let summary = try await ReconciliationService(database: db, partitionSize: partitionSize).match(businessDate: d)
                var out = Night(matched: summary.matched, raised: summary.exceptionsRaised, expected: summary.expected, actual: summary.actual)
                out.exceptions = try await deps.reconciliation.exceptions(businessDate: d)
                    .map { "\($0.kind) \($0.reference ?? "-") \($0.counterpartyRef ?? "-") \($0.state)" }.sorted()
                out.matchedLines = try await db.scalar(String.self, """
                    SELECT string_agg(reference, ',' ORDER BY reference, line_no) FROM statement_lines WHERE matched_by IS NOT NULL
                    """) ?? ""
                out.reconciledItems = try await db.scalar(Int64.self, "SELECT count(*) FROM reconciled_items") ?? -1
                return (out, summary.partitions)
            }
        }
        let (one, onePartition) = try await night(partitionSize: 25_000)
        let (many, partitions) = try await night(partitionSize: 1)
        #expect(onePartition == 1)
        #expect(partitions >= 8, "\(partitions) partitions")
        #expect(many == one)
        // The night itself, so equal cannot mean equally empty.
        #expect(one.matched == 12 && one.reconciledItems == 12, "\(one)")
        #expect(one.exceptions.filter { $0.hasPrefix("missing_from_ledger") }.count == 2, "\(one.exceptions)")
        #expect(one.exceptions.contains { $0.hasPrefix("missing_from_statement ord-unseen") }, "\(one.exceptions)")
        #expect(one.exceptions.contains { $0.hasPrefix("duplicate ord-3") }, "\(one.exceptions)")
        #expect(one.exceptions.contains { $0.hasPrefix("amount_mismatch ord-short") }, "\(one.exceptions)")
    }

    @Test("a bank batch line naming several ledger items without an amount each matches them as one group")
    func namedBatchMatchesAsGroup() async throws {
        try await withTestDatabase(maxConnections: 12) { db in
            let deps = try Self.dependencies(db)
            let d = BusinessDate("2026-11-20")!
            try await Self.bookCash(db, "ord-401", 2_000, on: d)
            try await Self.bookCash(db, "ord-402", 3_500, on: d)
            let url = try Self.temp("named.xml", Self.camt(statementId: "S-N", sequence: 1, opening: "0.00", closing: "55.00", entries: [],
                                                           named: ("55.00", ["ord-401", "ord-402"]), date: "\(d)"))
            defer { try? FileManager.default.removeItem(at: url) }
            _ = try await deps.statements.importFile(url, format: .camt053, actor: Self.actor)
            let summary = try await deps.reconciliation.match(businessDate: d)
            #expect(summary.matched == 1)
            #expect(summary.exceptionsRaised == 0)
            #expect(try await deps.reconciliation.exceptions(businessDate: d).map(\.kind) == [])
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM statement_lines WHERE matched_by IS NOT NULL") == 1)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM reconciled_items") == 2)
        }
    }

    @Test("a line missing from the ledger one night and an amount mismatch the next ends each night in one open exception; the older is resolved by the later run")
    func newerVerdictSupersedes() async throws {
        try await withTestDatabase(maxConnections: 12) { db in
            let deps = try Self.dependencies(db)
            let d = BusinessDate("2026-11-20")!
            func open() async throws -> String? {
                try await db.scalar(String.self, """
                    SELECT COALESCE(string_agg(kind, ',' ORDER BY kind), '') FROM reconciliation_exceptions WHERE state <> 'resolved'
                    """)
            }
            // Every line and cash item: matched, or exactly one open exception naming it.
            func loose() async throws -> Int64? {
                try await db.scalar(Int64.self, """
                    SELECT (SELECT count(*) FROM statement_lines l
                            WHERE (l.matched_by IS NOT NULL) = ((SELECT count(*) FROM reconciliation_exceptions e WHERE e.state <> 'resolved'
                                   AND (e.dedupe_key = 'mfl:' || l.statement_id || '/' || l.line_no
                                        OR e.dedupe_key LIKE '%:' || l.statement_id || '/' || l.line_no)) = 1))
                         + (SELECT count(*) FROM journal_entries j
                            WHERE (EXISTS (SELECT 1 FROM reconciled_items r WHERE r.entry_id = j.id))
                                  = ((SELECT count(*) FROM reconciliation_exceptions e WHERE e.state <> 'resolved'
                                      AND (e.dedupe_key = 'mfs:' || j.id OR e.dedupe_key LIKE 'am:' || j.id || ':%'
                                           OR e.dedupe_key LIKE 'dm:' || j.id || ':%')) = 1))
                    """)
            }
            try await Self.importCSV(deps, ["T1,ord-500,50.00,CNY,0,\(d),payment"])
            _ = try await deps.reconciliation.match(businessDate: d)
            #expect(try await open() == "missing_from_ledger")
            // The next night books 45.00 under the same order: the line is now an amount mismatch, and only that.
            try await Self.bookCash(db, "ord-500", 4_500, on: d.adding(days: 1))
            let night2 = UUID()
            _ = try await deps.reconciliation.match(businessDate: d.adding(days: 1), runID: night2)
            #expect(try await open() == "amount_mismatch")
            #expect(try await db.scalar(Int64.self, """
                SELECT count(*) FROM reconciliation_exceptions
                WHERE kind = 'missing_from_ledger' AND state = 'resolved' AND resolved_by = 'nightly-run' AND resolved_by_run = \(night2)
                """) == 1)
            #expect(try await loose() == 0)
            // The channel then settles the 45.00 itself: the item matches, the pairing closes, and the
            // 50.00 line is missing from the ledger again (one open exception, not none).
            try await Self.importCSV(deps, ["T2,ord-500,45.00,CNY,0,\(d.adding(days: 2)),payment"], channel: "wechat")
            let night3 = try await deps.reconciliation.match(businessDate: d.adding(days: 2))
            #expect(night3.matched == 1)
            #expect(try await open() == "missing_from_ledger")
            #expect(try await loose() == 0)
        }
    }

    @Test("matching rules per source are read and changed through the API, audited, and the tolerance applies to that source only")
    func matchingRulesAPI() async throws {
        try await withTestDatabase(maxConnections: 12) { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let operatorClient = client.typed(api.operatorKey)
                let all = try await operatorClient.getMatchingRules().ok.body.json
                #expect(all.data.map(\.source) == ["*"])
                let set = try await client.call(.patch, "/v1/matching-rules/channel:alipay", key: api.operatorKey, json: #"{"amount_tolerance_minor": 5}"#)
                #expect(set.status == .ok, "\(set.text)")
                let rule = try set.decode(Schemas.MatchingRule.self)
                #expect(rule.amountToleranceMinor == 5)
                #expect(rule.dateWindowDays == 1)
                #expect(rule.manyToOne == true)
                let bad = try await client.call(.patch, "/v1/matching-rules/channel:alipay", key: api.operatorKey, json: #"{"date_window_days": 40}"#)
                #expect(bad.status == .unprocessableContent)
                #expect(bad.problemFields == ["date_window_days"])
                let one = try await operatorClient.getMatchingRulesBySource(path: .init(source: "channel:alipay")).ok.body.json
                #expect(one.amountToleranceMinor == 5)
                let missing = try await client.call(.get, "/v1/matching-rules/channel:wechat", key: api.operatorKey)
                #expect(missing.status == .notFound)
                let platform = try await client.call(.get, "/v1/matching-rules", key: api.platformKey)
                #expect(platform.status == .forbidden)
            }
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM audit_events WHERE action = 'matching_rule.set'") == 1)
            let d = BusinessDate("2026-11-20")!
            try await Self.bookCash(db, "ord-a", 10_000, on: d)
            try await Self.bookCash(db, "ord-w", 10_000, on: d)
            try await Self.importCSV(api.deps, ["T1,ord-a,100.03,CNY,0,\(d),payment"], channel: "alipay")
            try await Self.importCSV(api.deps, ["T2,ord-w,100.03,CNY,0,\(d),payment"], channel: "wechat")
            let summary = try await api.deps.reconciliation.match(businessDate: d)
            #expect(summary.matched == 1)
            #expect(try await api.deps.reconciliation.exceptions(businessDate: d).map { "\($0.kind):\($0.reference ?? "")" } == ["amount_mismatch:ord-w"])
        }
    }

    @Test("observation 2: a channel file quoting the repayment's external_ref and the order reference matches; our id still matches too")
    func counterpartyReferences() async throws {
        try await withTestDatabase(maxConnections: 12) { db in
            let api = try await TestAPI.make(db)
            let date = try await CreditAPI.on("2026-11-20") {
                try await api.withClient { client in
                    let account = try await CreditAPI.openAccount(client, api)
                    _ = try await CreditAPI.purchase(client, api, account: account, order: "ORDER-A", amount: "300.00")
                    let (_, planB) = try await CreditAPI.purchase(client, api, account: account, order: "ORDER-B", amount: "200.00")
                    let (_, planA) = try await CreditAPI.purchase(client, api, account: account, order: "ORDER-C", amount: "100.00")
                    for (plan, ref, amount) in [(planA, "alipay-77001", "40.00"), (planB, "alipay-77002", "50.00")] {
                        let paid = try await client.call(.post, "/v1/repayments", key: api.platformKey, json: """
                            {"plan_id": "\(plan)", "external_ref": "\(ref)", "amount": {"amount": "\(amount)", "currency": "CNY"}}
                            """)
                        guard paid.status == .created else { throw TestFailure("repayment: \(paid.text)") }
                    }
                    return BusinessDate("2026-11-20")!
                }
            }
            // The channel quotes what it knows: the repayment's external_ref, and the order reference for the other one.
            try await Self.importCSV(api.deps, ["T1,alipay-77001,40.00,CNY,0,\(date),payment", "T2,ORDER-B,50.00,CNY,0,\(date),payment"])
            let summary = try await api.deps.reconciliation.match(businessDate: date)
            let exceptions = try await api.deps.reconciliation.exceptions(businessDate: date)
            #expect(summary.matched == 2, "\(exceptions.map { "\($0.kind):\($0.reference ?? "")" })")
            #expect(!exceptions.contains { $0.kind == "missing_from_ledger" })
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM statement_lines WHERE matched_by IS NULL") == 0)
        }
    }

    @Test("camt.054 notifications import like statements, with the entries and amounts of each file's expected parse",
          .enabled(if: TestCluster.sharedFixturesAvailable, TestCluster.sharedFixturesMissing),
          arguments: ["genkgo_camt054.v2", "genkgo_camt054.v4", "genkgo_camt054.v8-with-UETR"])
    func camt054Fixtures(name: String) async throws {
        let folder = TestCluster.sharedFixtures.appendingPathComponent("camt054")
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("\(name).expected.json"))) as? [String: Any]
        let entryList = expected?["getEntries"] as? [[String: Any]] ?? []
        let entries = entryList.count
        let amounts: [(Int64, String)] = entryList.compactMap { ($0["getAmount"] as? [String: Any]).flatMap { a in
            (a["getAmount"] as? String).flatMap(Int64.init).map { ($0, (a["getCurrency"] as? [String: Any])?["getCode"] as? String ?? "") } } }
        try await withTestDatabase { db in
            let result = try await StatementService(database: db, calendar: .shanghai)
                .importFile(folder.appendingPathComponent("\(name).xml"), format: .camt053, actor: Self.actor)
            #expect(result.statements.map(\.format) == ["camt054"])
            #expect(result.statements.map(\.entryCount).reduce(0, +) == entries)
            #expect(result.statements.allSatisfy { $0.verdict == "not_checkable" }, "a notification carries no balances")
            let stored = try await db.scalar(String.self, "SELECT string_agg(amount::text || ' ' || currency, ',' ORDER BY line_no) FROM statement_lines")
            let want = amounts.map { "\($0.0) \($0.1)" }.joined(separator: ",")
            #expect(stored == want)
        }
    }

    @Test("three nights: money across night boundaries, splits and batches, external references, an unbalanced, a duplicate and a resent statement; every line and item ends matched or in one open exception; a fourth run raises nothing new")
    func threeNights() async throws {
        try await withTestDatabase(maxConnections: 12) { db in
            let reports = FileManager.default.temporaryDirectory.appendingPathComponent("qz-reports-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: reports) }
            let api = try await TestAPI.make(db)
            let deps = APIDependencies(database: db, migrator: try repositoryMigrator(), calendar: .shanghai, reportDirectory: reports)
            let d1 = BusinessDate("2026-11-20")!, d2 = d1.adding(days: 1), d3 = d1.adding(days: 2)
            func importXML(_ xml: String) async throws -> StatementImport {
                let url = try Self.temp("s.xml", xml)
                defer { try? FileManager.default.removeItem(at: url) }
                return try await deps.statements.importFile(url, format: .camt053, actor: Self.actor)
            }
            // Day 1: a receipt the bank shows the same day, and a repayment the channel settles the next day under its external_ref.
            try await Self.bookCash(db, "ord-101", 10_000, on: d1)
            @Sendable func repay(_ plan: String, _ ref: String, _ amount: String, _ client: some TestClientProtocol) async throws {
                let paid = try await client.call(.post, "/v1/repayments", key: api.platformKey, json: """
                    {"plan_id": "\(plan)", "external_ref": "\(ref)", "amount": {"amount": "\(amount)", "currency": "CNY"}}
                    """)
                guard paid.status == .created else { throw TestFailure("repayment: \(paid.text)") }
            }
            let plan = try await CreditAPI.on("\(d1)") {
                try await api.withClient { client in
                    let account = try await CreditAPI.openAccount(client, api)
                    let (_, plan) = try await CreditAPI.purchase(client, api, account: account, order: "ORDER-901", amount: "300.00")
                    try await repay(plan, "pay-901", "40.00", client)
                    return plan
                }
            }
            let s1 = Self.camt(statementId: "S-1", sequence: 1, opening: "0.00", closing: "100.00", entries: [("100.00", "ord-101")], date: "\(d1)")
            _ = try await importXML(s1)
            guard case .completed = try await deps.nightly.run(date: d1, triggeredBy: "test") else { throw TestFailure("night 1") }

            // Day 2: a split payment, a batch paying two items of one reference, the late repayment, an unknown line;
            // an unbalanced bank statement, the same file twice, and statement 1 re-sent with other bytes.
            try await Self.bookCash(db, "ord-202", 3_000, on: d2)
            // Two repayments of one order that the channel settles as one 30.00 payment quoting the order reference.
            try await CreditAPI.on("\(d2)") {
                try await api.withClient { client in
                    try await repay(plan, "pay-902", "10.00", client)
                    try await repay(plan, "pay-903", "20.00", client)
                }
            }
            try await Self.importCSV(deps, ["T1,pay-901,40.00,CNY,0,\(d2),payment", "T2,ord-202,18.00,CNY,0,\(d2),payment",
                                            "T3,ord-202,12.00,CNY,0,\(d2),payment", "T4,ORDER-901,30.00,CNY,0,\(d2),payment"])
            let s2 = Self.camt(statementId: "S-2", sequence: 2, opening: "100.00", closing: "999.00", entries: [("5.00", "ord-unknown")], date: "\(d2)")
            #expect(try await importXML(s2).alreadyImported == false)
            #expect(try await importXML(s2).alreadyImported == true)
            let resent = Self.camt(messageId: "RESENT", statementId: "S-1", sequence: 1, opening: "0.00", closing: "100.00",
                                   entries: [("100.00", "ord-101")], date: "\(d1)", newline: "\r\n")
            #expect(try await importXML(resent).alreadyImported == true)
            // Money leaving on day 2 that the bank shows only on day 3.
            try await Self.bookCash(db, "out-201", -4_000, on: d2)
            guard case .completed(let night2) = try await deps.nightly.run(date: d2, triggeredBy: "test") else { throw TestFailure("night 2") }

            // Day 3: the bank shows the day-2 payment out, and one credit of 55.00 paying two receipts of
            // the day at once (a batch with no order reference in common: each transaction quotes its own).
            try await Self.bookCash(db, "ord-301", 2_000, on: d3)
            try await Self.bookCash(db, "ord-302", 3_500, on: d3)
            let s3 = Self.camt(statementId: "S-3", sequence: 3, opening: "999.00", closing: "1014.00", entries: [("-40.00", "out-201")],
                               batch: [("20.00", "ord-301"), ("35.00", "ord-302")], date: "\(d3)")
            #expect(try await importXML(s3).alreadyImported == false)
            guard case .completed(let night3) = try await deps.nightly.run(date: d3, triggeredBy: "test") else { throw TestFailure("night 3") }
            // The payment out raised on night 2 was closed by night 3.
            let outClosed = try await db.scalar(Int64.self, """
                SELECT count(*) FROM reconciliation_exceptions e JOIN journal_entries j ON e.dedupe_key = 'mfs:' || j.id
                WHERE j.reference_id = 'out-201' AND e.state = 'resolved' AND e.resolved_by_run = \(night3.id)
                """)
            #expect(outClosed == 1)

            // The repayment raised on night 1 was closed by night 2, which matched it by its external_ref.
            let repaymentClosed = try await db.scalar(Int64.self, """
                SELECT count(*) FROM reconciliation_exceptions e JOIN journal_entries j ON e.dedupe_key = 'mfs:' || j.id
                WHERE j.kind = 'credit.repayment' AND e.state = 'resolved' AND e.resolved_by_run = \(night2.id)
                """)
            #expect(repaymentClosed == 1)
            let open = try await db.scalar(String.self, """
                SELECT string_agg(kind || ':' || COALESCE(counterparty_ref, reference, '-'), ', ' ORDER BY kind, reference)
                FROM reconciliation_exceptions WHERE state <> 'resolved' AND kind <> 'missing_from_statement'
                """)
            #expect(open == "missing_from_ledger:ord-unknown, unbalanced_statement:S-2")
            // Every line: matched, or exactly one open exception about it.
            let looseLines = try await db.scalar(Int64.self, """
                SELECT count(*) FROM statement_lines l
                WHERE (l.matched_by IS NOT NULL) = ((SELECT count(*) FROM reconciliation_exceptions e WHERE e.state <> 'resolved'
                         AND e.dedupe_key IN ('mfl:' || l.statement_id || '/' || l.line_no, 'dup:' || l.statement_id || '/' || l.line_no)) = 1)
                """)
            #expect(looseLines == 0)
            // Every cash movement: matched, or exactly one open exception about it.
            let looseItems = try await db.scalar(Int64.self, """
                SELECT count(*) FROM journal_entries j
                WHERE EXISTS (SELECT 1 FROM postings p JOIN ledger_accounts a ON a.id = p.account_id AND a.code LIKE 'platform.cash.%' WHERE p.entry_id = j.id)
                  AND (EXISTS (SELECT 1 FROM reconciled_items r WHERE r.entry_id = j.id))
                      = ((SELECT count(*) FROM reconciliation_exceptions e WHERE e.state <> 'resolved'
                          AND (e.dedupe_key = 'mfs:' || j.id OR e.dedupe_key LIKE 'am:' || j.id || ':%' OR e.dedupe_key LIKE 'dm:' || j.id || ':%')) = 1)
                """)
            #expect(looseItems == 0)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM statement_lines WHERE matched_by IS NOT NULL") == 8)
            // A fourth run that changes nothing raises nothing new.
            let before = try await db.scalar(Int64.self, "SELECT count(*) FROM reconciliation_exceptions")
            guard case .completed = try await deps.nightly.run(date: d3, force: true, triggeredBy: "test") else { throw TestFailure("night 4") }
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM reconciliation_exceptions") == before)
        }
    }

    @Test("MT940: balance verdicts match each shared file's own arithmetic, including the statements that do not add up",
          .enabled(if: TestCluster.sharedFixturesAvailable, TestCluster.sharedFixturesMissing),
          arguments: [
              // file, then per statement: verdict, entries, opening → closing (worked out by hand from :60: + :61: = :62:)
              ("wolph_jejik_generic", ["balanced 1 10000→9000", "balanced 1 9000→8000"]),
              ("wolph_jejik_postfinance", ["balanced 2 0→22920", "unbalanced 2 22920→15960"]),  // 229.20 − 79.90 + 10.10 = 159.40
              ("wolph_jejik_sns", ["balanced 2 123456→120956", "balanced 0 120956→120956"]),
              ("wolph_jejik_triodos", ["unbalanced 2 497509→437079"]),  // 4975.09 − 15.70 − 700.00 = 4259.39
              ("wolph_betterplace_amount_formats", ["not_checkable 0 38011512→-", "not_checkable 0 38011510→-", "not_checkable 0 38011500→-",
                                                    "not_checkable 0 12→-", "not_checkable 0 12→-", "not_checkable 0 112→-"]),
          ])
    func mt940Fixtures(name: String, want: [String]) async throws {
        let url = TestCluster.sharedFixtures.appendingPathComponent("mt940/\(name).sta")
        try await withTestDatabase { db in
            let result = try await StatementService(database: db, calendar: .shanghai).importFile(url, format: .mt940, actor: Self.actor)
            let got = result.statements.map { "\($0.verdict) \($0.entryCount) \($0.opening.map(String.init) ?? "-")→\($0.closing.map(String.init) ?? "-")" }
            #expect(got == want)
            #expect(result.statements.allSatisfy { $0.format == "mt940" })
            let again = try await StatementService(database: db, calendar: .shanghai).importFile(url, format: .mt940, actor: Self.actor)
            #expect(again.alreadyImported)
        }
    }

    @Test("MT940 through the API: a balanced and an unbalanced statement of our own, a reversal, references for matching")
    func mt940OwnFile() async throws {
        let sta = """
            :20:QZ-TEST
            :25:6222000011112222
            :28C:7/1
            :60F:C261119CNY1000,00
            :61:2611201120C300,00NTRFord-1//BANK-1
            :86:payment for ord-1
            :61:2611201120RC50,00NTRFNONREF//BANK-2
            :62F:C261120CNY1250,00
            -
            :20:QZ-TEST
            :25:6222000011112222
            :28C:8/1
            :60F:C261120CNY1250,00
            :61:2611211121D100,00NTRFpay-77//BANK-3
            :62F:C261121CNY1100,00
            -

            """
        try await withTestDatabase { db in
            let api = try await TestAPI.make(db)
            try await api.withClient { client in
                let r = try await client.call(.post, "/v1/statements", key: api.operatorKey, json: sta, contentType: "text/plain")
                #expect(r.status == .created, "\(r.text)")
                let verdicts = try r.decode(Schemas.StatementImport.self).statements.map(\.balanceVerdict.rawValue)
                #expect(verdicts == ["balanced", "unbalanced"])
                let broken = try await client.call(.post, "/v1/statements?format=mt940", key: api.operatorKey,
                                                   json: ":20:X\n:60F:C261119CNY1000.00\n-\n", contentType: "text/plain")
                #expect(broken.status == .unprocessableContent)
            }
            let lines = try await db.scalar(String.self, "SELECT string_agg(COALESCE(reference, '-') || ' ' || amount::text, ',' ORDER BY value_date, line_no) FROM statement_lines")
            #expect(lines == "ord-1 30000,- -5000,pay-77 -10000")
        }
    }
}
