import Foundation

/// Why an MT940 file was refused, naming the line.
public struct MT940Error: Error, Equatable, Sendable, CustomStringConvertible {
    public let line: Int
    public let message: String

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { "line \(line): \(message)" }
}

/// Reads SWIFT MT940 customer statements into the same entries and summaries as camt.053, so
/// they import, check and match the same way. Streams: one field at a time, entries handed over
/// as they are read, each statement's summary at its end (`-`, a new `:20:`, or the end of the file).
///
/// Fields: `:20:` reference, `:25:` account, `:28:`/`:28C:` statement number[/page], `:60F:`/`:60M:`
/// opening balance, `:61:` entry, `:86:` its information (continuation lines joined), `:62F:`/`:62M:`
/// closing balance. Amounts use a decimal comma (`380115,` is 380115.00; `00,12` is 0.12). `RC`/`RD`
/// (reversals) count as debit/credit. An entry's matching reference is its reference for the account
/// owner (before `//`) unless it is `NONREF`. A file without `:20:` (a fragment) starts a statement at
/// each opening balance. The statement id is `<:20:>/<:28C:>` so the pages of one statement differ.
public struct MT940Parser: Sendable {
    public init() {}

    /// Streams the file at `url`. Throws `MT940Error`, or whatever a callback throws.
    public func parse(contentsOf url: URL, onEntry: (StatementEntry) throws -> Void, onStatement: (StatementSummary) throws -> Void) throws {
        try withoutActuallyEscaping(onEntry) { onEntry in
            try withoutActuallyEscaping(onStatement) { onStatement in
                try stream(url, State(onEntry: onEntry, onStatement: onStatement))
            }
        }
    }

    private func stream(_ url: URL, _ start: State) throws {
        guard let handle = try? FileHandle(forReadingFrom: url) else { throw MT940Error(line: 0, message: "cannot open \(url.path)") }
        defer { try? handle.close() }
        var state = start
        var pending = Data()
        var lineNumber = 0
        while let chunk = try handle.read(upToCount: 64 * 1024), !chunk.isEmpty {
            pending.append(chunk)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                lineNumber += 1
                try state.take(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self), line: lineNumber)
                pending.removeSubrange(pending.startIndex...newline)
            }
        }
        if !pending.isEmpty {
            lineNumber += 1
            try state.take(String(decoding: pending, as: UTF8.self), line: lineNumber)
        }
        try state.finishField()
        try state.finishStatement(line: lineNumber)
    }

    /// Parses a document in memory (tests, small files).
    public func parse(data: Data) throws -> [BankStatement] {
        var statements: [BankStatement] = []
        var pending: [StatementEntry] = []
        var state = State(onEntry: { pending.append($0) }, onStatement: { statements.append(BankStatement(summary: $0, entries: pending)); pending = [] })
        var number = 0
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            try state.take(String(line), line: number)
        }
        try state.finishField()
        try state.finishStatement(line: number)
        return statements
    }

    struct State {
        let onEntry: (StatementEntry) throws -> Void
        let onStatement: (StatementSummary) throws -> Void
        var tag: String?
        var value = ""
        var fieldLine = 0
        var statementCount = 0
        // The statement being read.
        var reference: String?
        var account: String?
        var number: String?
        var opening: StatementBalance?
        var closing: StatementBalance?
        var currency: Currency?
        var entryCount = 0
        var credits: Int64 = 0
        var debits: Int64 = 0
        var lastEntry: (amount: Money, mark: CreditDebit, reversal: Bool, valueDate: BusinessDate, bookingDate: BusinessDate?, reference: String?, bankReference: String?)?
        var started = false

        init(onEntry: @escaping (StatementEntry) throws -> Void, onStatement: @escaping (StatementSummary) throws -> Void) {
            self.onEntry = onEntry
            self.onStatement = onStatement
        }

        var statementId: String {
            "\(reference ?? "MT940-\(statementCount + 1)")/\(number ?? "-")"
        }

        mutating func take(_ raw: String, line: Int) throws {
            let text = raw.hasSuffix("\r") ? String(raw.dropLast()) : raw
            if text.hasPrefix("{") || text.hasPrefix("}") { return }  // SWIFT block headers
            if text == "-" || text == "-}" {
                try finishField()
                try finishStatement(line: line)
                return
            }
            if text.hasPrefix(":"), let close = text.dropFirst().firstIndex(of: ":") {
                try finishField()
                tag = String(text[text.index(after: text.startIndex)..<close])
                value = String(text[text.index(after: close)...])
                fieldLine = line
            } else if tag != nil {
                value += "\n" + text
            }
        }

        mutating func finishField() throws {
            guard let tag else { return }
            self.tag = nil
            let v = value
            switch tag {
            case "20":
                try finishStatement(line: fieldLine)
                reference = v.trimmingCharacters(in: .whitespaces)
                started = true
            case "25": account = v.trimmingCharacters(in: .whitespaces); started = true
            case "28", "28C": number = v.trimmingCharacters(in: .whitespaces); started = true
            case "60F", "60M":
                if opening != nil { try finishStatement(line: fieldLine) }
                opening = try balance(v, type: tag == "60F" ? "OPBD" : "PRCD")
                currency = currency ?? opening?.amount.currency
                started = true
            case "62F", "62M":
                try flushEntry()
                closing = try balance(v, type: "CLBD")
            case "61":
                try flushEntry()
                lastEntry = try entry(v)
            case "86":
                try flushEntry(information: v.replacingOccurrences(of: "\n", with: " "))
            default:
                break
            }
        }

        /// `C110101EUR100,00`: mark, YYMMDD, currency, amount.
        func balance(_ v: String, type: String) throws -> StatementBalance {
            let b = Array(v.trimmingCharacters(in: .whitespacesAndNewlines))
            guard b.count >= 10, b[0] == "C" || b[0] == "D", let date = Self.date(String(b[1..<7])),
                  let ccy = Currency(code: String(b[7..<10])) else {
                throw MT940Error(line: fieldLine, message: "balance \"\(v)\" is not <C|D><YYMMDD><currency><amount>")
            }
            let amount = try Self.amount(String(b[10...]), ccy, line: fieldLine)
            return StatementBalance(typeCode: type, amount: b[0] == "D" ? amount.negated : amount, date: date)
        }

        /// `1312091209C79,7FMSC01916//NONREF` and its supplementary line.
        func entry(_ v: String) throws -> (amount: Money, mark: CreditDebit, reversal: Bool, valueDate: BusinessDate, bookingDate: BusinessDate?, reference: String?, bankReference: String?) {
            let firstLine = v.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? v
            var s = Substring(firstLine)
            guard s.count >= 6, let valueDate = Self.date(String(s.prefix(6))) else {
                throw MT940Error(line: fieldLine, message: ":61: \"\(firstLine)\" has no value date YYMMDD")
            }
            s = s.dropFirst(6)
            var bookingDate: BusinessDate?
            if s.prefix(4).allSatisfy(\.isNumber), s.count >= 4, let m = Int(s.prefix(2)), let d = Int(s.dropFirst(2).prefix(2)) {
                bookingDate = BusinessDate(year: valueDate.year, month: m, day: d)
                s = s.dropFirst(4)
            }
            var reversal = false
            if s.hasPrefix("R") { reversal = true; s = s.dropFirst() }
            guard let markChar = s.first, markChar == "C" || markChar == "D" else {
                throw MT940Error(line: fieldLine, message: ":61: \"\(firstLine)\" has no C/D/RC/RD mark")
            }
            s = s.dropFirst()
            // A funds code (the third letter of the currency) may precede the amount.
            if let f = s.first, f.isLetter { s = s.dropFirst() }
            let amountText = s.prefix { $0.isNumber || $0 == "," }
            s = s.dropFirst(amountText.count)
            guard let ccy = currency else { throw MT940Error(line: fieldLine, message: ":61: before any opening balance gives its currency") }
            let amount = try Self.amount(String(amountText), ccy, line: fieldLine)
            // Transaction type: one letter and three characters, then the references.
            s = s.dropFirst(min(4, s.count))
            let parts = s.components(separatedBy: "//")
            let ownerRef = parts.first.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty || $0 == "NONREF" ? nil : $0 }
            let bankRef = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : nil
            // RC reverses a credit (money leaves), RD a debit (money returns).
            let isCredit = (markChar == "C") != reversal
            return (amount, isCredit ? .credit : .debit, reversal, valueDate, bookingDate, ownerRef, bankRef)
        }

        mutating func flushEntry(information: String? = nil) throws {
            guard let e = lastEntry else { return }
            lastEntry = nil
            let detail = TransactionDetail(endToEndId: e.reference, accountServicerReference: e.bankReference, amount: e.amount,
                                           creditDebit: e.mark, remittanceInformation: information.map { [$0] } ?? [])
            try onEntry(StatementEntry(statementId: statementId, index: entryCount, amount: e.amount, creditDebit: e.mark, status: .booked,
                                       isReversal: e.reversal, bookingDate: e.bookingDate ?? e.valueDate, valueDate: e.valueDate,
                                       accountServicerReference: e.bankReference, additionalInformation: information, transactions: [detail]))
            entryCount += 1
            if e.mark == .credit { credits += e.amount.minorUnits } else { debits += e.amount.minorUnits }
        }

        mutating func finishStatement(line: Int) throws {
            try flushEntry()
            guard started || entryCount > 0 || closing != nil else { return }
            guard let ccy = currency ?? closing?.amount.currency else {
                throw MT940Error(line: line, message: "statement \(statementId) has no balance to give its currency")
            }
            let creditTotal = Money(minorUnits: credits, currency: ccy), debitTotal = Money(minorUnits: debits, currency: ccy)
            let balances = [opening, closing].compactMap { $0 }
            try onStatement(StatementSummary(
                id: statementId, sequence: statementCount, account: account.map { .other($0) }, currency: ccy, creationDateTime: nil,
                creationDate: closing?.date ?? opening?.date, electronicSequenceNumber: number, balances: balances, entryCount: entryCount,
                bookedCredits: creditTotal, bookedDebits: debitTotal,
                balanceCheck: StatementBalanceCheck.evaluate(opening: opening?.amount, credits: creditTotal, debits: debitTotal, closing: closing?.amount)))
            statementCount += 1
            reference = nil; account = nil; number = nil; opening = nil; closing = nil; currency = nil
            entryCount = 0; credits = 0; debits = 0; started = false
        }

        /// YYMMDD, years 00–79 in the 2000s, 80–99 in the 1900s.
        static func date(_ text: String) -> BusinessDate? {
            guard text.count == 6, text.allSatisfy(\.isNumber), let yy = Int(text.prefix(2)), let mm = Int(text.dropFirst(2).prefix(2)),
                  let dd = Int(text.suffix(2)) else { return nil }
            return BusinessDate(year: yy < 80 ? 2000 + yy : 1900 + yy, month: mm, day: dd)
        }

        /// A decimal-comma amount: `380115,` `0,12` `00,12` `001,12`.
        static func amount(_ text: String, _ currency: Currency, line: Int) throws -> Money {
            let parts = text.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0].allSatisfy(\.isNumber), parts[1].allSatisfy(\.isNumber) else {
                throw MT940Error(line: line, message: "amount \"\(text)\" is not digits with a decimal comma")
            }
            let whole = parts[0].isEmpty ? "0" : String(parts[0])
            let decimal = parts[1].isEmpty ? whole : whole + "." + parts[1]
            do {
                return try Money.parse(decimal, currency: currency)
            } catch {
                throw MT940Error(line: line, message: "amount \"\(text)\" \(error)")
            }
        }
    }
}
