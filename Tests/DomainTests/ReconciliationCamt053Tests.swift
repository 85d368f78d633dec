import Foundation
import Testing
import Domain

@Suite("camt.053 statement parsing")
struct ReconciliationCamt053Tests {
    let parser = Camt053Parser()

    private func eur(_ minorUnits: Int64) -> Money {
        Money(minorUnits: minorUnits, currency: Currency(code: "EUR") ?? .usd)
    }

    @Test("the genkgo multi-statement file yields two balanced statements with their entries", .enabled(if: ReconciliationFixture.sharedAvailable, ReconciliationFixture.sharedMissing))
    func genkgoMultiStatement() throws {
        let message = try parser.parseMessage(contentsOf: ReconciliationFixture.camt053("genkgo_053v02_multi_statement.xml"))
        #expect(message.header.version == .v02)
        #expect(message.header.messageId == "CAMT053RIB000000000001")
        #expect(message.header.statementCount == 2)
        try #require(message.statements.count == 2)

        let first = message.statements[0]
        #expect(first.id == "253EURNL26VAYB8060476890")
        #expect(first.summary.account == .iban("NL26VAYB8060476890"))
        #expect(first.summary.electronicSequenceNumber == "12312")
        #expect(first.summary.openingBalance?.amount == eur(1815))
        #expect(first.summary.closingBalance?.amount == eur(2700))
        #expect(first.entries.count == 1)
        #expect(first.entries.first?.signedAmount == eur(885))
        #expect(first.entries.first?.transactions.first?.endToEndId == "000000001")
        #expect(first.entries.first?.transactions.first?.remittanceInformation == ["Transaction Description 1"])
        #expect(first.balanceCheck == .balanced(opening: eur(1815), closing: eur(2700)))

        let second = message.statements[1]
        #expect(second.id == "254EURNL26VAYB8060476890")
        #expect(second.summary.sequence == 1)
        #expect(second.entries.map(\.signedAmount) == [eur(-700)])
        #expect(second.summary.bookedDebits == eur(700))
        #expect(second.summary.bookedCredits == eur(0))
        #expect(second.balanceCheck == .balanced(opening: eur(2700), closing: eur(2000)))
    }

    @Test("the genkgo file agrees with that library's own expected parse in every field it records", .enabled(if: ReconciliationFixture.sharedAvailable, ReconciliationFixture.sharedMissing))
    func genkgoAgreesWithExpectedJSON() throws {
        let json = try Data(contentsOf: ReconciliationFixture.camt053("genkgo_053v02_multi_statement.expected.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        let expectedEntry = try #require((root["getEntries"] as? [[String: Any]])?.first)
        let record = try #require(expectedEntry["getRecord"] as? [String: Any])
        let header = try #require(root["getGroupHeader"] as? [String: Any])
        let detail = try #require(expectedEntry["getTransactionDetail"] as? [String: Any])
        let reference = try #require(detail["getReference"] as? [String: Any])
        let remittance = try #require(detail["getRemittanceInformation"] as? [String: Any])
        func money(_ object: Any?) throws -> (String, String) {
            let dict = try #require(object as? [String: Any])
            let currency = try #require(dict["getCurrency"] as? [String: Any])
            return (try #require(dict["getAmount"] as? String), try #require(currency["getCode"] as? String))
        }
        func day(_ object: Any?) throws -> String {
            let dict = try #require(object as? [String: Any])
            return String(try #require(dict["0"] as? String).prefix(10))
        }

        let message = try parser.parseMessage(contentsOf: ReconciliationFixture.camt053("genkgo_053v02_multi_statement.xml"))
        #expect(message.header.messageId == header["getMessageId"] as? String)
        #expect((root["getRecords"] as? [Any])?.count == message.statements.count)
        let statement = try #require(message.statements.first { $0.id == record["getId"] as? String })
        let entry = try #require(statement.entries.first)

        // Statement: account, creation time, both balances with type, amount and date.
        let account = try #require(record["getAccount"] as? [String: Any])
        #expect(statement.summary.account?.identifier == account["getIdentification"] as? String)
        #expect(statement.summary.creationDateTime == (record["getCreatedOn"] as? [String: Any])?["0"] as? String)
        let balances = try #require(record["getBalances"] as? [[String: Any]])
        try #require(balances.count == 2)
        for (expected, actual) in zip(balances, [statement.summary.openingBalance, statement.summary.closingBalance]) {
            let (amount, code) = try money(expected["getAmount"])
            #expect(String(actual?.amount.minorUnits ?? -1) == amount)
            #expect(actual?.amount.currency.code == code)
            #expect(actual?.date?.description == (try day(expected["getDate"])))
            #expect((expected["getType"] as? String) == (actual?.isOpening == true ? "opening" : "closing"))
        }

        // Entry: signed amount in minor units, indicator, status, dates, references, remittance.
        let (amount, code) = try money(expectedEntry["getAmount"])
        #expect(String(entry.signedAmount.minorUnits) == amount)
        #expect(entry.amount.currency.code == code)
        #expect(entry.creditDebit.rawValue == expectedEntry["getCreditDebitIndicator"] as? String)
        #expect(entry.status.code == expectedEntry["getStatus"] as? String)
        #expect(entry.isReversal == (expectedEntry["getReversalIndicator"] as? Bool))
        #expect(entry.bookingDate?.description == (try day(expectedEntry["getBookingDate"])))
        #expect(entry.valueDate?.description == (try day(expectedEntry["getValueDate"])))
        #expect(entry.accountServicerReference == expectedEntry["getAccountServicerReference"] as? String)
        #expect(entry.transactions.count == (expectedEntry["getTransactionDetails"] as? [Any])?.count)
        let transaction = try #require(entry.transactions.first)
        #expect(transaction.endToEndId == reference["getEndToEndId"] as? String)
        #expect(transaction.accountServicerReference == reference["getAccountServicerReference"] as? String)
        #expect(transaction.instructionId == reference["getInstructionId"] as? String)
        #expect(transaction.transactionId == reference["getTransactionId"] as? String)
        #expect(transaction.remittanceInformation == [try #require(remittance["getMessage"] as? String)])
    }

    @Test("the viafintech file: PRCD opening, four entries, a two-transaction batch, balanced", .enabled(if: ReconciliationFixture.sharedAvailable, ReconciliationFixture.sharedMissing))
    func viafintechExample() throws {
        let message = try parser.parseMessage(contentsOf: ReconciliationFixture.camt053("viafintech_053v02_valid_example.xml"))
        try #require(message.statements.count == 1)
        let statement = message.statements[0]
        #expect(statement.id == "0352C5320131227220503")
        #expect(statement.summary.account == .iban("DE14740618130000033626"))
        #expect(statement.summary.creationDate == BusinessDate("2013-12-27"))
        #expect(statement.summary.openingBalance?.typeCode == "PRCD")
        #expect(statement.entries.map(\.signedAmount) == [eur(-200), eur(-300), eur(100), eur(-600)])
        #expect(statement.entries.map(\.accountServicerReference) == [
            "2013122710583450000", "2013122710583600000", "2013122711085260000", "2013122711513230000",
        ])
        #expect(statement.entries[0].entryReference == "1234567890sdfghjk")
        #expect(statement.entries[0].transactions.first?.endToEndId == "EndToEndReference")
        #expect(statement.entries[0].transactions.first?.accountServicerReference == "BankReference")
        #expect(statement.entries[0].transactions.first?.transactionId == "UniqueTransactionId")
        #expect(statement.entries[1].transactions.first?.meaningfulEndToEndId == nil)
        #expect(statement.entries[2].transactions.first?.remittanceInformation == ["R CKBUCHUNG"])
        #expect(statement.entries[0].additionalInformation?.hasPrefix("Überweisungs-Gutschrift") == true)

        let batch = statement.entries[3]
        #expect(batch.isBatch)
        #expect(batch.batchPaymentInformationId == "STZV-PmInf27122013-11:02-2")
        #expect(batch.transactions.map(\.endToEndId) == ["STZV-EtE27122013-11:02-1", "STZV-EtE27122013-11:02-2"])
        #expect(batch.transactions.map(\.amount) == [eur(350), eur(250)])

        #expect(statement.summary.bookedCredits == eur(100))
        #expect(statement.summary.bookedDebits == eur(1100))
        #expect(statement.balanceCheck == .balanced(opening: eur(3306), closing: eur(2306)))
    }

    @Test("streaming hands over each entry before its statement's summary, in document order", .enabled(if: ReconciliationFixture.sharedAvailable, ReconciliationFixture.sharedMissing))
    func streamingOrder() throws {
        var events: [String] = []
        let header = try parser.parse(
            contentsOf: ReconciliationFixture.camt053("genkgo_053v02_multi_statement.xml"),
            onEntry: { events.append("entry \($0.statementId) #\($0.index) \($0.signedAmount.minorUnits)") },
            onStatement: { events.append("statement \($0.id) entries=\($0.entryCount) balanced=\($0.balanceCheck.isBalanced)") }
        )
        #expect(header.statementCount == 2)
        #expect(events == [
            "entry 253EURNL26VAYB8060476890 #0 885",
            "statement 253EURNL26VAYB8060476890 entries=1 balanced=true",
            "entry 254EURNL26VAYB8060476890 #0 -700",
            "statement 254EURNL26VAYB8060476890 entries=1 balanced=true",
        ])
    }

    @Test("an error thrown by a callback stops the parse and reaches the caller unchanged", .enabled(if: ReconciliationFixture.sharedAvailable, ReconciliationFixture.sharedMissing))
    func callbackErrorStopsParsing() throws {
        struct Stop: Error, Equatable {}
        var seen = 0
        #expect(throws: Stop()) {
            _ = try parser.parse(
                contentsOf: ReconciliationFixture.camt053("viafintech_053v02_valid_example.xml"),
                onEntry: { _ in
                    seen += 1
                    if seen == 2 { throw Stop() }
                },
                onStatement: { _ in }
            )
        }
        #expect(seen == 2)
    }

    @Test("a statement whose balances do not add up is flagged with both closing figures")
    func unbalancedStatementFlagged() throws {
        let statement = ReconciliationFixture.statementXML(
            id: "S-BAD", currency: "CNY", opening: ("1000.00", "CRDT"), closing: ("1200.00", "CRDT"),
            entries: [
                .init(amount: "300.00", currency: "CNY", transactions: [("E2E-1", "300.00")]),
                .init(amount: "50.50", currency: "CNY", direction: "DBIT", transactions: [("E2E-2", "50.50")]),
                // Pending entries do not move booked balances.
                .init(amount: "999.00", currency: "CNY", status: "PDNG"),
            ],
            version: 2
        )
        let message = try parser.parseMessage(data: ReconciliationFixture.data(ReconciliationFixture.documentXML(version: 2, statements: [statement])))
        let check = try #require(message.statements.first?.balanceCheck)
        #expect(!check.isBalanced)
        #expect(check == .unbalanced(
            opening: Money(minorUnits: 100_000, currency: .cny),
            computedClosing: Money(minorUnits: 124_950, currency: .cny),
            statedClosing: Money(minorUnits: 120_000, currency: .cny)
        ))
        #expect(check.difference == Money(minorUnits: -4_950, currency: .cny))
        #expect(message.statements.first?.entries.count == 3)
    }

    @Test("a DBIT balance is negative and an overdrawn statement can still balance")
    func debitBalanceIsNegative() throws {
        let statement = ReconciliationFixture.statementXML(
            id: "S-OD", currency: "CNY", opening: ("20.00", "DBIT"), closing: ("5.00", "CRDT"),
            entries: [.init(amount: "25.00", currency: "CNY")], version: 4
        )
        let message = try parser.parseMessage(data: ReconciliationFixture.data(ReconciliationFixture.documentXML(version: 4, statements: [statement])))
        #expect(message.header.version == .v04)
        #expect(message.statements.first?.summary.openingBalance?.amount == Money(minorUnits: -2_000, currency: .cny))
        #expect(message.statements.first?.balanceCheck.isBalanced == true)
    }

    @Test("a camt.053.001.08 file in JPY with a batch entry parses")
    func version08InJapaneseYen() throws {
        let statement = ReconciliationFixture.statementXML(
            id: "S-JP", currency: "JPY", opening: ("1000000", "CRDT"), closing: ("1150000", "CRDT"),
            entries: [.init(
                amount: "150000", currency: "JPY",
                transactions: [("PAYOUT-1", "100000"), ("PAYOUT-2", "50000")]
            )],
            version: 8
        )
        let message = try parser.parseMessage(data: ReconciliationFixture.data(ReconciliationFixture.documentXML(version: 8, statements: [statement])))
        #expect(message.header.version == .v08)
        let parsed = try #require(message.statements.first)
        let entry = try #require(parsed.entries.first)
        #expect(entry.amount == Money(minorUnits: 150_000, currency: .jpy))
        #expect(entry.status == .booked)
        #expect(entry.bookingDate == BusinessDate("2026-11-26"))
        #expect(entry.transactions.map(\.amount) == [Money(minorUnits: 100_000, currency: .jpy), Money(minorUnits: 50_000, currency: .jpy)])
        #expect(entry.transactions.map(\.creditDebit) == [.credit, .credit])
        #expect(parsed.summary.account == .other("6222-0001"))
        #expect(parsed.balanceCheck == .balanced(
            opening: Money(minorUnits: 1_000_000, currency: .jpy), closing: Money(minorUnits: 1_150_000, currency: .jpy)
        ))
    }

    @Test("a JPY amount with a fraction is refused, naming the element and line")
    func tooManyDecimalsRefused() throws {
        let statement = ReconciliationFixture.statementXML(
            id: "S-JP", currency: "JPY", opening: ("1000", "CRDT"), closing: ("1000", "CRDT"),
            entries: [.init(amount: "150.5", currency: "JPY")], version: 8
        )
        let xml = ReconciliationFixture.documentXML(version: 8, statements: [statement])
        do {
            _ = try parser.parseMessage(data: ReconciliationFixture.data(xml))
            Issue.record("expected an error")
        } catch {
            guard case .invalidAmount(let element, let text, let line, let reason) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(element == "Ntry/Amt")
            #expect(text == "150.5")
            #expect(reason == .tooManyFractionDigits(allowed: 0))
            let expectedLine = xml.split(separator: "\n", omittingEmptySubsequences: false)
                .firstIndex { $0.contains(">150.5<") }.map { $0 + 1 }
            #expect(line == expectedLine)
        }
    }

    @Test("every version from .001.02 to .001.08 is detected from the namespace", arguments: 2...8)
    func versionDetected(version: Int) throws {
        let statement = ReconciliationFixture.statementXML(
            id: "S-\(version)", currency: "EUR", opening: ("1.00", "CRDT"), closing: ("3.00", "CRDT"),
            entries: [.init(amount: "2.00", currency: "EUR", transactions: [("E2E", "2.00")])], version: version
        )
        let message = try parser.parseMessage(data: ReconciliationFixture.data(ReconciliationFixture.documentXML(version: version, statements: [statement])))
        #expect(message.header.version.rawValue == version)
        #expect(message.statements.first?.entries.first?.transactions.first?.amount == eur(200))
        #expect(message.statements.first?.balanceCheck.isBalanced == true)
    }

    @Test("an unsupported camt.053 version or another message type is refused")
    func unsupportedVersionRefused() throws {
        let v09 = ReconciliationFixture.documentXML(version: 9, statements: [])
        #expect(throws: Camt053Error.unsupportedVersion(namespace: "urn:iso:std:iso:20022:tech:xsd:camt.053.001.09")) {
            try parser.parseMessage(data: ReconciliationFixture.data(v09))
        }
        let camt052 = v09.replacingOccurrences(of: "camt.053.001.09", with: "camt.052.001.02")
        #expect(throws: Camt053Error.notCamt053(rootElement: "Document", namespace: "urn:iso:std:iso:20022:tech:xsd:camt.052.001.02")) {
            try parser.parseMessage(data: ReconciliationFixture.data(camt052))
        }
        #expect(Camt053Error.unsupportedVersion(namespace: "x").description.contains("camt.053.001.02 to camt.053.001.08"))
    }

    @Test("a truncated or malformed file is an error, not a partial success", .enabled(if: ReconciliationFixture.sharedAvailable, ReconciliationFixture.sharedMissing))
    func truncatedAndMalformed() throws {
        let full = try String(contentsOf: ReconciliationFixture.camt053("genkgo_053v02_multi_statement.xml"), encoding: .utf8)
        let truncated = String(full.prefix(full.count / 2))
        #expect(throws: Camt053Error.self) { try parser.parseMessage(data: ReconciliationFixture.data(truncated)) }
        // The same through the streaming file reader, cut both mid-element and just before </Document>.
        for cut in [truncated, String(full.prefix(full.count - 13))] {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("recon-cut-\(UUID().uuidString).xml")
            try ReconciliationFixture.data(cut).write(to: url)
            defer { try? FileManager.default.removeItem(at: url) }
            var statements = 0
            #expect(throws: Camt053Error.self) {
                _ = try parser.parse(contentsOf: url, onEntry: { _ in }, onStatement: { _ in statements += 1 })
            }
            #expect(statements <= 2)
        }
        let broken = full.replacingOccurrences(of: "</Amt>", with: "</Amount>")
        #expect(throws: Camt053Error.self) { try parser.parseMessage(data: ReconciliationFixture.data(broken)) }
        #expect(throws: Camt053Error.self) { try parser.parseMessage(data: Data()) }
        #expect(throws: Camt053Error.unreadable(path: "/nonexistent/statement.xml")) {
            try parser.parseMessage(contentsOf: URL(fileURLWithPath: "/nonexistent/statement.xml"))
        }
    }

    @Test("an entry with an unknown indicator or without an amount is refused")
    func invalidEntryRefused() throws {
        let statement = ReconciliationFixture.statementXML(
            id: "S", currency: "EUR", opening: nil, closing: nil,
            entries: [.init(amount: "1.00", currency: "EUR", direction: "CRED")], version: 2
        )
        #expect(throws: Camt053Error.self) {
            try parser.parseMessage(data: ReconciliationFixture.data(ReconciliationFixture.documentXML(version: 2, statements: [statement])))
        }
        let noAmount = statement.replacingOccurrences(of: "<Amt Ccy=\"EUR\">1.00</Amt>", with: "")
            .replacingOccurrences(of: "CRED", with: "CRDT")
        do {
            _ = try parser.parseMessage(data: ReconciliationFixture.data(ReconciliationFixture.documentXML(version: 2, statements: [noAmount])))
            Issue.record("expected an error")
        } catch {
            guard case .missingElement("Amt", "Ntry", _) = error else {
                Issue.record("unexpected \(error)")
                return
            }
        }
    }

    @Test("a statement without balances is not checkable rather than balanced")
    func missingBalancesNotCheckable() throws {
        let statement = ReconciliationFixture.statementXML(
            id: "S", currency: "EUR", opening: nil, closing: ("1.00", "CRDT"),
            entries: [.init(amount: "1.00", currency: "EUR")], version: 5
        )
        let message = try parser.parseMessage(data: ReconciliationFixture.data(ReconciliationFixture.documentXML(version: 5, statements: [statement])))
        #expect(message.statements.first?.balanceCheck == .notCheckable(.missingOpeningBalance))
        #expect(StatementBalanceCheck.evaluate(opening: eur(1), credits: eur(0), debits: eur(0), closing: nil)
            == .notCheckable(.missingClosingBalance))
        #expect(StatementBalanceCheck.evaluate(opening: eur(1), credits: Money(minorUnits: 0, currency: .cny), debits: eur(0), closing: eur(1))
            == .notCheckable(.mixedCurrencies("EUR", "CNY")))
    }

    @Test("a large file streams through entry by entry with exact totals")
    func largeFileStreams() throws {
        let count = 3_000
        let entries = (0..<count).map { i in
            ReconciliationFixture.Entry(
                amount: "\(i % 97).\(i % 10)\(i % 7)", currency: "CNY", direction: i % 3 == 0 ? "DBIT" : "CRDT",
                transactions: [("E2E-\(i)", "\(i % 97).\(i % 10)\(i % 7)")]
            )
        }
        var expectedNet: Int64 = 0
        for (i, entry) in entries.enumerated() {
            let minor = Int64(i % 97) * 100 + Int64(i % 10) * 10 + Int64(i % 7)
            expectedNet += entry.direction == "DBIT" ? -minor : minor
        }
        let closing = Money(minorUnits: 1_000_000 + expectedNet, currency: .cny).decimalString
        let statement = ReconciliationFixture.statementXML(
            id: "S-BIG", currency: "CNY", opening: ("10000.00", "CRDT"), closing: (closing, "CRDT"), entries: entries, version: 6
        )
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("recon-big-\(UUID().uuidString).xml")
        try ReconciliationFixture.data(ReconciliationFixture.documentXML(version: 6, statements: [statement])).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }

        var seen = 0
        var net: Int64 = 0
        var summaries: [StatementSummary] = []
        _ = try parser.parse(
            contentsOf: url,
            onEntry: { entry in
                #expect(entry.index == seen)
                seen += 1
                net += entry.signedAmount.minorUnits
            },
            onStatement: { summaries.append($0) }
        )
        #expect(seen == count)
        #expect(net == expectedNet)
        #expect(summaries.count == 1)
        #expect(summaries.first?.entryCount == count)
        #expect(summaries.first?.balanceCheck.isBalanced == true)
    }

    @Test("observation 8: a camt.053 that declares a DTD is refused, from memory and from a file, whatever its case or prolog")
    func dtdRefused() throws {
        let statement = ReconciliationFixture.statementXML(
            id: "S-DTD", currency: "EUR", opening: ("0.00", "CRDT"), closing: ("&amt;", "CRDT"),
            entries: [.init(amount: "1.00", currency: "EUR")], version: 2
        )
        let plain = ReconciliationFixture.documentXML(version: 2, statements: [statement])
        let withDTD = plain.replacingOccurrences(
            of: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            with: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- bank export -->\n<!DOCTYPE Document [<!ENTITY amt \"1.00\">]>\n")
        #expect(throws: Camt053Error.dtdNotAllowed) { try parser.parseMessage(data: ReconciliationFixture.data(withDTD)) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("recon-dtd-\(UUID().uuidString).xml")
        try ReconciliationFixture.data(withDTD).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(throws: Camt053Error.dtdNotAllowed) { try parser.parseMessage(contentsOf: url) }
        #expect(XMLProlog.declaresDTD(Array("\u{FEFF}<!doctype Document SYSTEM \"x.dtd\"><Document/>".utf8)))
        #expect(!XMLProlog.declaresDTD(Array("<?xml version=\"1.0\"?><!-- <!DOCTYPE in a comment --><Document/>".utf8)))
    }
}
