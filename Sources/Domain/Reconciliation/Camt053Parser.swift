import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads ISO 20022 camt.053 bank statements (.001.02 to .001.08), streaming.
///
/// The version comes from the root element's namespace; any other namespace is refused.
/// `parse` hands each entry to `onEntry` as soon as its `</Ntry>` is read and each statement's
/// summary (balances, totals, balance verdict) to `onStatement` at its `</Stmt>`; nothing else is
/// retained, so memory stays flat however large the file. `parseMessage` collects everything, for
/// small files and tests.
///
/// Interpretation choices:
/// - Amounts are parsed exactly with `Money.parse` in the `Ccy` attribute's currency; more fraction
///   digits than the currency has is an error, never a rounding.
/// - Balances marked `DBIT` are negative. The opening balance is `OPBD`, else `PRCD`; closing is `CLBD`.
/// - Only `BOOK` entries count toward the balance verdict: pending and information entries do not
///   move booked balances.
/// - A `DtTm` becomes the calendar date as written in the bank's own offset — the bank's booking day —
///   rather than being shifted into the platform's time zone.
/// - Surrounding whitespace of text values is trimmed; empty values count as absent.
/// - camt.054 debit/credit notifications (.001.02 to .001.08) are read the same way: each
///   `Ntfctn` is delivered as a statement (usually without balances, so not checkable).
/// - External entities are never resolved, and a file that declares a DTD (any `<!DOCTYPE` or other
///   markup declaration before the root) is refused: libxml2 would drop unresolved entities silently.
///   (`parse(stream:)` cannot look ahead; give it only streams already checked with `XMLProlog`.)
///
/// If parsing fails part way, callbacks have already seen the earlier entries: import inside one
/// transaction and roll back on error. Errors thrown by a callback stop the parse and are rethrown as is.
public struct Camt053Parser: Sendable {
    public init() {}

    /// Streams the file at `url`. Throws `Camt053Error`, or whatever a callback throws.
    public func parse(
        contentsOf url: URL,
        onEntry: (StatementEntry) throws -> Void,
        onStatement: (StatementSummary) throws -> Void
    ) throws -> Camt053MessageHeader {
        guard url.isFileURL, FileManager.default.isReadableFile(atPath: url.path),
              let stream = InputStream(url: url) else {
            throw Camt053Error.unreadable(path: url.path)
        }
        guard XMLProlog.fileDeclaresDTD(url) == false else { throw Camt053Error.dtdNotAllowed }
        return try run(XMLParser(stream: stream), onEntry: onEntry, onStatement: onStatement)
    }

    /// Streams from an unopened `InputStream` (the parser opens and closes it).
    public func parse(
        stream: InputStream,
        onEntry: (StatementEntry) throws -> Void,
        onStatement: (StatementSummary) throws -> Void
    ) throws -> Camt053MessageHeader {
        try run(XMLParser(stream: stream), onEntry: onEntry, onStatement: onStatement)
    }

    /// Parses a document already in memory, with the same callbacks.
    public func parse(
        data: Data,
        onEntry: (StatementEntry) throws -> Void,
        onStatement: (StatementSummary) throws -> Void
    ) throws -> Camt053MessageHeader {
        guard !XMLProlog.declaresDTD(data) else { throw Camt053Error.dtdNotAllowed }
        return try run(XMLParser(data: data), onEntry: onEntry, onStatement: onStatement)
    }

    /// Reads the whole file at `url` into a `Camt053Message` (entries held in memory).
    public func parseMessage(contentsOf url: URL) throws(Camt053Error) -> Camt053Message {
        try collect { onEntry, onStatement in try parse(contentsOf: url, onEntry: onEntry, onStatement: onStatement) }
    }

    /// Reads an in-memory document into a `Camt053Message`.
    public func parseMessage(data: Data) throws(Camt053Error) -> Camt053Message {
        try collect { onEntry, onStatement in try parse(data: data, onEntry: onEntry, onStatement: onStatement) }
    }

    private func collect(
        _ body: (
            (StatementEntry) throws -> Void, (StatementSummary) throws -> Void
        ) throws -> Camt053MessageHeader
    ) throws(Camt053Error) -> Camt053Message {
        var statements: [BankStatement] = []
        var pending: [StatementEntry] = []
        do {
            let header = try body(
                { pending.append($0) },
                { summary in
                    statements.append(BankStatement(summary: summary, entries: pending))
                    pending = []
                }
            )
            return Camt053Message(header: header, statements: statements)
        } catch let error as Camt053Error {
            throw error
        } catch {
            // The collecting callbacks never throw, so only the parser's own errors reach here.
            throw .malformedXML(line: 0, message: String(describing: error))
        }
    }

    private func run(
        _ parser: XMLParser,
        onEntry: (StatementEntry) throws -> Void,
        onStatement: (StatementSummary) throws -> Void
    ) throws -> Camt053MessageHeader {
        try withoutActuallyEscaping(onEntry) { onEntry in
            try withoutActuallyEscaping(onStatement) { onStatement in
                let handler = Camt053Handler(onEntry: onEntry, onStatement: onStatement)
                defer { handler.detach() }
                parser.shouldProcessNamespaces = true
                parser.shouldResolveExternalEntities = false
                parser.delegate = handler
                let succeeded = parser.parse()
                parser.delegate = nil
                return try handler.outcome(parserSucceeded: succeeded, parser: parser)
            }
        }
    }
}

/// The XMLParser delegate: a small state machine over element paths. One per parse; not shared.
final class Camt053Handler: NSObject, XMLParserDelegate {
    private var onEntry: ((StatementEntry) throws -> Void)?
    private var onStatement: ((StatementSummary) throws -> Void)?

    private var failure: (any Error)?
    private var version: Camt053Version?
    /// A camt.054 debit/credit notification: the same entries as a statement, under other names
    /// (`BkToCstmrDbtCdtNtfctn/Ntfctn` for `BkToCstmrStmt/Stmt`) and usually without balances.
    private var isNotification = false
    private var rootClosed = false

    static let notificationNamespacePrefix = "urn:iso:std:iso:20022:tech:xsd:camt.054.001."
    static let notificationAliases = ["BkToCstmrDbtCdtNtfctn": "BkToCstmrStmt", "Ntfctn": "Stmt"]

    /// The statement name of a notification's element.
    private func canonical(_ name: String) -> String {
        isNotification ? Self.notificationAliases[name] ?? name : name
    }
    private var lastLine = 1

    /// Local names of the open elements, root first.
    private var stack: [String] = []
    private var text = ""
    /// The `Ccy` attribute of the most recent `<Amt>`; amounts are leaves, so it is the one ending.
    private var amountCurrencyCode: String?

    private var messageId: String?
    private var messageCreation: String?
    private var statementCount = 0

    private var statement: StatementBuilder?
    private var balance: BalanceBuilder?
    private var entry: EntryBuilder?
    private var transaction: TransactionDetail?
    private var statementDepth = -1
    private var balanceDepth = -1
    private var entryDepth = -1
    private var transactionDepth = -1

    init(onEntry: @escaping (StatementEntry) throws -> Void, onStatement: @escaping (StatementSummary) throws -> Void) {
        self.onEntry = onEntry
        self.onStatement = onStatement
    }

    /// Drops the callbacks so they cannot outlive the parse call.
    func detach() {
        onEntry = nil
        onStatement = nil
    }

    func outcome(parserSucceeded: Bool, parser: XMLParser) throws -> Camt053MessageHeader {
        if let failure { throw failure }
        guard let version else {
            if let error = parser.parserError {
                throw Camt053Error.malformedXML(line: lastLine, message: Self.message(for: error))
            }
            throw Camt053Error.malformedXML(line: lastLine, message: "no root element")
        }
        if let error = parser.parserError {
            throw Camt053Error.malformedXML(line: lastLine, message: Self.message(for: error))
        }
        guard rootClosed else { throw Camt053Error.truncated(line: lastLine) }
        if !parserSucceeded { throw Camt053Error.malformedXML(line: lastLine, message: "parse failed") }
        return Camt053MessageHeader(
            version: version, messageId: messageId, creationDateTime: messageCreation, statementCount: statementCount
        )
    }

    private static func message(for error: any Error) -> String {
        // Foundation gives only a code here (libxml2's on Linux); the line number is what helps.
        let ns = error as NSError
        return "\(ns.domain) error \(ns.code)"
    }

    private func fail(_ error: any Error, _ parser: XMLParser) {
        guard failure == nil else { return }
        failure = error
        parser.abortParsing()
    }

    // MARK: XMLParserDelegate

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
        guard failure == nil else { return }
        fail(Camt053Error.malformedXML(line: parser.lineNumber, message: Self.message(for: parseError)), parser)
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard failure == nil else { return }
        text += string
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        guard failure == nil else { return }
        text += String(decoding: CDATABlock, as: UTF8.self)
    }

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
        qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]
    ) {
        guard failure == nil else { return }
        lastLine = parser.lineNumber
        if stack.isEmpty {
            let namespace = namespaceURI ?? ""
            if elementName == "Document", let detected = Camt053Version(namespace: namespace) {
                version = detected
            } else if elementName == "Document", namespace.hasPrefix(Self.notificationNamespacePrefix),
                      let detected = Camt053Version(namespace: Camt053Version.namespacePrefix + namespace.dropFirst(Self.notificationNamespacePrefix.count)) {
                version = detected
                isNotification = true
            } else if elementName == "Document", namespace.hasPrefix("urn:iso:std:iso:20022:tech:xsd:camt.053.") {
                return fail(Camt053Error.unsupportedVersion(namespace: namespace), parser)
            } else {
                return fail(Camt053Error.notCamt053(rootElement: qName ?? elementName, namespace: namespace), parser)
            }
        }
        let elementName = canonical(elementName)
        stack.append(elementName)
        text = ""
        let depth = stack.count - 1
        if elementName == "Amt" { amountCurrencyCode = attributeDict["Ccy"] }

        if statement == nil {
            if elementName == "Stmt", depth == 2, stack[1] == "BkToCstmrStmt" {
                statement = StatementBuilder(sequence: statementCount)
                statementDepth = depth
            }
        } else if entry == nil && balance == nil {
            if depth == statementDepth + 1 && elementName == "Bal" {
                balance = BalanceBuilder(line: parser.lineNumber)
                balanceDepth = depth
            } else if depth == statementDepth + 1 && elementName == "Ntry" {
                entry = EntryBuilder(line: parser.lineNumber)
                entryDepth = depth
            }
        } else if entry != nil && transaction == nil {
            if elementName == "TxDtls", depth == entryDepth + 2, stack[depth - 1] == "NtryDtls" {
                transaction = TransactionDetail()
                transactionDepth = depth
            }
        }
    }

    func parser(
        _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?
    ) {
        guard failure == nil else { return }
        lastLine = parser.lineNumber
        let elementName = canonical(elementName)
        let depth = stack.count - 1
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        text = ""
        do {
            if transaction != nil {
                if depth == transactionDepth {
                    if let finished = transaction { entry?.transactions.append(finished) }
                    transaction = nil
                } else {
                    try readTransaction(path(below: transactionDepth), value, parser.lineNumber)
                }
            } else if entry != nil {
                if depth == entryDepth {
                    try finishEntry(parser.lineNumber)
                } else {
                    try readEntry(path(below: entryDepth), value, parser.lineNumber)
                }
            } else if balance != nil {
                if depth == balanceDepth {
                    try finishBalance(parser.lineNumber)
                } else {
                    try readBalance(path(below: balanceDepth), value, parser.lineNumber)
                }
            } else if statement != nil {
                if depth == statementDepth {
                    try finishStatement(parser.lineNumber)
                } else {
                    try readStatement(path(below: statementDepth), value, parser.lineNumber)
                }
            } else if depth == 3, stack[1] == "BkToCstmrStmt", stack[2] == "GrpHdr" {
                if elementName == "MsgId", !value.isEmpty { messageId = value }
                if elementName == "CreDtTm", !value.isEmpty { messageCreation = value }
            } else if depth == 0 {
                rootClosed = true
            }
        } catch {
            return fail(error, parser)
        }
        stack.removeLast()
    }

    // MARK: Paths

    private func path(below anchor: Int) -> String {
        stack[(anchor + 1)...].joined(separator: "/")
    }

    private func readStatement(_ path: String, _ value: String, _ line: Int) throws {
        guard var builder = statement, !value.isEmpty else { return }
        switch path {
        case "Id": builder.id = value
        case "CreDtTm":
            builder.creationDateTime = value
            builder.creationDate = try date(value, element: "Stmt/CreDtTm", isDateTime: true, line: line)
        case "ElctrncSeqNb": builder.electronicSequenceNumber = value
        case "Acct/Id/IBAN": builder.account = .iban(value)
        case "Acct/Id/Othr/Id": if builder.account == nil { builder.account = .other(value) }
        case "Acct/Ccy":
            guard let currency = Currency(code: value) else {
                throw Camt053Error.unknownCurrency(element: "Stmt/Acct/Ccy", code: value, line: line)
            }
            builder.currency = currency
        default: return
        }
        statement = builder
    }

    private func readBalance(_ path: String, _ value: String, _ line: Int) throws {
        guard var builder = balance, !value.isEmpty else { return }
        switch path {
        case "Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry": builder.typeCode = value
        case "Amt": builder.amount = try amount(value, element: "Bal/Amt", line: line)
        case "CdtDbtInd": builder.creditDebit = try creditDebit(value, element: "Bal/CdtDbtInd", line: line)
        case "Dt/Dt": builder.date = try date(value, element: "Bal/Dt/Dt", isDateTime: false, line: line)
        case "Dt/DtTm": builder.date = try date(value, element: "Bal/Dt/DtTm", isDateTime: true, line: line)
        default: return
        }
        balance = builder
    }

    private func readEntry(_ path: String, _ value: String, _ line: Int) throws {
        guard var builder = entry, !value.isEmpty else { return }
        switch path {
        case "Amt": builder.amount = try amount(value, element: "Ntry/Amt", line: line)
        case "CdtDbtInd": builder.creditDebit = try creditDebit(value, element: "Ntry/CdtDbtInd", line: line)
        case "RvslInd":
            switch value {
            case "true", "1": builder.isReversal = true
            case "false", "0": builder.isReversal = false
            default: throw Camt053Error.invalidCode(element: "Ntry/RvslInd", text: value, line: line)
            }
        // .001.02–.07 write the code as text; .001.08 wraps it in Cd or Prtry.
        case "Sts", "Sts/Cd", "Sts/Prtry": builder.status = EntryStatus(code: value)
        case "BookgDt/Dt": builder.bookingDate = try date(value, element: "Ntry/BookgDt/Dt", isDateTime: false, line: line)
        case "BookgDt/DtTm": builder.bookingDate = try date(value, element: "Ntry/BookgDt/DtTm", isDateTime: true, line: line)
        case "ValDt/Dt": builder.valueDate = try date(value, element: "Ntry/ValDt/Dt", isDateTime: false, line: line)
        case "ValDt/DtTm": builder.valueDate = try date(value, element: "Ntry/ValDt/DtTm", isDateTime: true, line: line)
        case "AcctSvcrRef": builder.accountServicerReference = value
        case "NtryRef": builder.entryReference = value
        case "NtryDtls/Btch/PmtInfId": if builder.batchPaymentInformationId == nil { builder.batchPaymentInformationId = value }
        case "AddtlNtryInf": builder.additionalInformation = value
        default: return
        }
        entry = builder
    }

    private func readTransaction(_ path: String, _ value: String, _ line: Int) throws {
        guard var detail = transaction, !value.isEmpty else { return }
        switch path {
        case "Refs/EndToEndId": detail.endToEndId = value
        case "Refs/AcctSvcrRef": detail.accountServicerReference = value
        case "Refs/InstrId": detail.instructionId = value
        case "Refs/TxId": detail.transactionId = value
        case "Refs/PmtInfId": detail.paymentInformationId = value
        case "Refs/MsgId": detail.messageId = value
        case "Amt": detail.amount = try amount(value, element: "TxDtls/Amt", line: line)
        case "AmtDtls/TxAmt/Amt":
            let parsed = try amount(value, element: "TxDtls/AmtDtls/TxAmt/Amt", line: line)
            if detail.amount == nil { detail.amount = parsed }
        case "CdtDbtInd": detail.creditDebit = try creditDebit(value, element: "TxDtls/CdtDbtInd", line: line)
        case "RmtInf/Ustrd": detail.remittanceInformation.append(value)
        case "RtrInf/Rsn/Cd", "RtrInf/Rsn/Prtry": detail.returnReason = value
        default: return
        }
        transaction = detail
    }

    // MARK: Completing elements

    private func finishBalance(_ line: Int) throws {
        defer { balance = nil }
        guard let builder = balance, var statementBuilder = statement else { return }
        let typeCode = try required(builder.typeCode, "Tp/CdOrPrtry/Cd", in: "Bal", line: builder.line)
        let amount = try required(builder.amount, "Amt", in: "Bal", line: builder.line)
        let direction = try required(builder.creditDebit, "CdtDbtInd", in: "Bal", line: builder.line)
        statementBuilder.adopt(amount.currency)
        statementBuilder.balances.append(StatementBalance(typeCode: typeCode, amount: direction.signed(amount), date: builder.date))
        statement = statementBuilder
    }

    private func finishEntry(_ line: Int) throws {
        defer { entry = nil }
        guard let builder = entry, var statementBuilder = statement else { return }
        let amount = try required(builder.amount, "Amt", in: "Ntry", line: builder.line)
        let direction = try required(builder.creditDebit, "CdtDbtInd", in: "Ntry", line: builder.line)
        let status = try required(builder.status, "Sts", in: "Ntry", line: builder.line)
        let statementId = try required(statementBuilder.id, "Id", in: "Stmt", line: builder.line)
        let finished = StatementEntry(
            statementId: statementId, index: statementBuilder.entryCount, amount: amount, creditDebit: direction,
            status: status, isReversal: builder.isReversal, bookingDate: builder.bookingDate,
            valueDate: builder.valueDate, entryReference: builder.entryReference,
            accountServicerReference: builder.accountServicerReference,
            batchPaymentInformationId: builder.batchPaymentInformationId,
            additionalInformation: builder.additionalInformation, transactions: builder.transactions
        )
        statementBuilder.record(finished)
        statement = statementBuilder
        try onEntry?(finished)
    }

    private func finishStatement(_ line: Int) throws {
        defer {
            statement = nil
            statementCount += 1
        }
        guard let builder = statement else { return }
        try onStatement?(builder.summary(line: line))
    }

    // MARK: Values

    /// `value`, or the error naming the element its parent lacks.
    private func required<T>(_ value: T?, _ element: String, in parent: String, line: Int) throws -> T {
        guard let value else { throw Camt053Error.missingElement(element: element, parent: parent, line: line) }
        return value
    }

    private func amount(_ value: String, element: String, line: Int) throws -> Money {
        let code = amountCurrencyCode ?? ""
        guard let currency = Currency(code: code) else {
            throw Camt053Error.unknownCurrency(element: element, code: code, line: line)
        }
        do {
            return try Money.parse(value, currency: currency)
        } catch {
            throw Camt053Error.invalidAmount(element: element, text: value, line: line, reason: error)
        }
    }

    private func creditDebit(_ value: String, element: String, line: Int) throws -> CreditDebit {
        guard let parsed = CreditDebit(rawValue: value) else {
            throw Camt053Error.invalidCode(element: element, text: value, line: line)
        }
        return parsed
    }

    private func date(_ value: String, element: String, isDateTime: Bool, line: Int) throws -> BusinessDate {
        if isDateTime {
            guard let timestamp = ReconciliationTimestamp(value, requireOffset: false) else {
                throw Camt053Error.invalidDate(element: element, text: value, line: line)
            }
            return timestamp.date
        }
        // xs:date may carry a zone suffix ("2014-12-31+01:00"); the calendar date is what counts.
        let head = String(value.prefix(10))
        let zone = value.dropFirst(10)
        guard let date = BusinessDate(head), zone.isEmpty || zone == "Z" || Self.isZoneOffset(zone) else {
            throw Camt053Error.invalidDate(element: element, text: value, line: line)
        }
        return date
    }

    private static func isZoneOffset(_ zone: Substring) -> Bool {
        let bytes = Array(zone.utf8)
        guard bytes.count == 6, bytes[0] == UInt8(ascii: "+") || bytes[0] == UInt8(ascii: "-"),
              bytes[3] == UInt8(ascii: ":") else { return false }
        return [1, 2, 4, 5].allSatisfy { bytes[$0] >= UInt8(ascii: "0") && bytes[$0] <= UInt8(ascii: "9") }
    }
}

// MARK: Builders

private struct StatementBuilder {
    let sequence: Int
    var id: String?
    var account: StatementAccount?
    var currency: Currency?
    var creationDateTime: String?
    var creationDate: BusinessDate?
    var electronicSequenceNumber: String?
    var balances: [StatementBalance] = []
    var entryCount = 0
    var credits: Int64 = 0
    var debits: Int64 = 0
    var mixedCurrency: String?
    var overflow = false

    init(sequence: Int) { self.sequence = sequence }

    /// The first currency seen names the statement when `Acct/Ccy` is absent.
    mutating func adopt(_ other: Currency) {
        if currency == nil { currency = other }
        if let currency, currency != other, mixedCurrency == nil { mixedCurrency = other.code }
    }

    mutating func record(_ entry: StatementEntry) {
        entryCount += 1
        adopt(entry.amount.currency)
        guard entry.status == .booked, entry.amount.currency == currency else { return }
        switch entry.creditDebit {
        case .credit:
            let (sum, o) = credits.addingReportingOverflow(entry.amount.minorUnits)
            credits = sum
            overflow = overflow || o
        case .debit:
            let (sum, o) = debits.addingReportingOverflow(entry.amount.minorUnits)
            debits = sum
            overflow = overflow || o
        }
    }

    func summary(line: Int) throws -> StatementSummary {
        guard let id else { throw Camt053Error.missingElement(element: "Id", parent: "Stmt", line: line) }
        guard let currency else { throw Camt053Error.missingElement(element: "Acct/Ccy", parent: "Stmt", line: line) }
        let creditTotal = Money(minorUnits: credits, currency: currency)
        let debitTotal = Money(minorUnits: debits, currency: currency)
        let opening = balances.first { $0.typeCode == "OPBD" } ?? balances.first { $0.typeCode == "PRCD" }
        let closing = balances.first { $0.isClosing }
        let check: StatementBalanceCheck
        if let mixedCurrency {
            check = .notCheckable(.mixedCurrencies(currency.code, mixedCurrency))
        } else if overflow {
            check = .notCheckable(.overflow)
        } else {
            check = .evaluate(opening: opening?.amount, credits: creditTotal, debits: debitTotal, closing: closing?.amount)
        }
        return StatementSummary(
            id: id, sequence: sequence, account: account, currency: currency, creationDateTime: creationDateTime,
            creationDate: creationDate, electronicSequenceNumber: electronicSequenceNumber, balances: balances,
            entryCount: entryCount, bookedCredits: creditTotal, bookedDebits: debitTotal, balanceCheck: check
        )
    }
}

private struct BalanceBuilder {
    let line: Int
    var typeCode: String?
    var amount: Money?
    var creditDebit: CreditDebit?
    var date: BusinessDate?
}

private struct EntryBuilder {
    let line: Int
    var amount: Money?
    var creditDebit: CreditDebit?
    var status: EntryStatus?
    var isReversal = false
    var bookingDate: BusinessDate?
    var valueDate: BusinessDate?
    var entryReference: String?
    var accountServicerReference: String?
    var batchPaymentInformationId: String?
    var additionalInformation: String?
    var transactions: [TransactionDetail] = []
}
