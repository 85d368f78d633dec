import Foundation

/// What a settlement line is: money in (`payment`) or out (`refund`, `chargeback`, `fee`).
public enum SettlementType: String, Hashable, Sendable, CaseIterable, Codable {
    case payment, refund, chargeback, fee

    /// Whether the line's `amount` leaves our account.
    public var isOutflow: Bool { self != .payment }
}

/// Which amount of a settlement line to reconcile with: the gross `amount` or the `net` after the fee.
public enum SettlementAmountBasis: Hashable, Sendable {
    /// Signed `amount`: what the ledger books per order (payment +, refund/chargeback/fee −).
    case gross
    /// Signed amount minus the fee: what the channel actually pays out to the bank.
    case net
}

/// One row of a payment channel's settlement file (see `SettlementCSVDecoder` for the columns).
public struct SettlementLine: Hashable, Sendable {
    /// The physical line the row starts on (1-based, the header is line 1).
    public let line: Int
    /// `channel_txn_id`: the channel's unique id for the transaction.
    public let channelTransactionId: String
    /// `our_reference`: the order / repayment reference we sent; nil when empty (allowed for `fee`).
    public let ourReference: String?
    /// `amount`: gross, never negative; the direction comes from `type`.
    public let amount: Money
    /// `fee`: what the channel withheld for this row, never negative.
    public let fee: Money
    public let type: SettlementType
    /// `settled_at` when it was a full RFC 3339 timestamp; nil for a plain date.
    public let settledAt: Date?
    /// The business date of `settled_at` in the decoder's calendar (or the date as written).
    public let settlementDate: BusinessDate
    /// `amount` with the type's sign: payment positive; refund, chargeback and fee negative.
    public let signedAmount: Money
    /// `signedAmount − fee`: the effect on the channel's payout.
    public let netAmount: Money

    /// A line from its columns; derives the signed and net amounts. Throws on a currency mismatch or overflow.
    public init(
        line: Int, channelTransactionId: String, ourReference: String?, amount: Money, fee: Money,
        type: SettlementType, settledAt: Date?, settlementDate: BusinessDate
    ) throws(MoneyError) {
        self.line = line
        self.channelTransactionId = channelTransactionId
        self.ourReference = ourReference
        self.amount = amount
        self.fee = fee
        self.type = type
        self.settledAt = settledAt
        self.settlementDate = settlementDate
        self.signedAmount = type.isOutflow ? amount.negated : amount
        self.netAmount = try signedAmount.subtracting(fee)
    }

    /// The line as an actual item for matching: reference `our_reference`, id `channel_txn_id`.
    public func actualLine(channel: String, basis: SettlementAmountBasis = .gross) -> ActualLine {
        ActualLine(
            id: channelTransactionId, reference: ourReference, amount: basis == .gross ? signedAmount : netAmount,
            date: settlementDate, source: .channelSettlement(channel: channel)
        )
    }

    /// The line as an expected item, for matching a channel's payout against the bank statement:
    /// reference `channel_txn_id`, the net amount by default, kind `settlement.<type>`.
    public func expectedItem(batchReference: String? = nil, basis: SettlementAmountBasis = .net) -> ExpectedItem {
        ExpectedItem(
            id: channelTransactionId, reference: channelTransactionId,
            amount: basis == .gross ? signedAmount : netAmount, date: settlementDate,
            kind: "settlement." + type.rawValue, batchReference: batchReference
        )
    }
}

/// Why a settlement file was refused, naming the line and, when it applies, the column.
public struct SettlementCSVError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The physical line (1-based) of the offending record.
    public let line: Int
    /// The column name, when the problem is in one field.
    public let column: String?
    public let problem: Problem

    public init(line: Int, column: String?, problem: Problem) {
        self.line = line
        self.column = column
        self.problem = problem
    }

    /// What is wrong; each case reads as a validation message.
    public enum Problem: Equatable, Sendable, CustomStringConvertible {
        case missingHeader
        case missingColumn(String)
        case duplicateColumn(String)
        case wrongFieldCount(expected: Int, found: Int)
        case unterminatedQuote(field: Int)
        case quoteInUnquotedField(field: Int)
        case textAfterClosingQuote(field: Int)
        case invalidUTF8(field: Int)
        case empty
        case invalidAmount(MoneyParseError)
        case unknownCurrency(String)
        case invalidTimestamp(String)
        case invalidType(String)
        case overflow

        public var description: String {
            switch self {
            case .missingHeader: "the file has no header row"
            case .missingColumn(let name): "the header has no \"\(name)\" column"
            case .duplicateColumn(let name): "the header names \"\(name)\" twice"
            case .wrongFieldCount(let expected, let found): "has \(found) fields, the header has \(expected)"
            case .unterminatedQuote(let field): "field \(field) opens a quote that is never closed"
            case .quoteInUnquotedField(let field): "field \(field) has a quote but does not start with one"
            case .textAfterClosingQuote(let field): "field \(field) has text after its closing quote"
            case .invalidUTF8(let field): "field \(field) is not valid UTF-8"
            case .empty: "must not be empty"
            case .invalidAmount(let reason): reason.description
            case .unknownCurrency(let code): "unknown ISO 4217 currency \"\(code)\""
            case .invalidTimestamp(let text): "\"\(text)\" is neither an RFC 3339 timestamp nor YYYY-MM-DD"
            case .invalidType(let text): "\"\(text)\" is not one of payment, refund, chargeback, fee"
            case .overflow: "the amount minus the fee is too large"
            }
        }
    }

    public var description: String {
        if let column { return "line \(line), column \(column): \(problem)" }
        return "line \(line): \(problem)"
    }
}

/// Decodes a payment channel's settlement CSV incrementally: push bytes in chunks, get lines.
///
/// Columns (a header row naming them is required; order is free; extra columns are ignored):
///
/// | column           | content                                                                   |
/// |------------------|---------------------------------------------------------------------------|
/// | `channel_txn_id` | the channel's transaction id; required                                    |
/// | `our_reference`  | our order / repayment reference; required except for `fee` rows           |
/// | `amount`         | gross amount, decimal string, never negative, at most the currency's minor digits (`"1083.10"`) |
/// | `currency`       | ISO 4217 code (`CNY`)                                                     |
/// | `fee`            | fee withheld for this row, decimal string like `amount`, `0` when none     |
/// | `settled_at`     | RFC 3339 timestamp with offset (`2026-11-26T15:04:05+08:00`, `…Z`) or `YYYY-MM-DD` |
/// | `type`           | `payment` (money in), `refund`, `chargeback` or `fee` (money out)          |
///
/// The file is RFC 4180 CSV in UTF-8 (see `SettlementCSVRecordReader`): quoted fields may hold
/// commas, `""` and line breaks; CRLF or LF line ends; blank lines skipped; a BOM ignored.
/// Fields are taken verbatim (no trimming), so `" 10.00"` is an invalid amount, not 10.00.
/// A timestamp becomes a business date in the platform's `calendar`; a plain date
/// is taken as written. Errors name the physical line and the column.
///
/// Memory is bounded by the longest record, not the file. After an error, discard the decoder.
public struct SettlementCSVDecoder: Sendable {
    /// The column names, in the order this documentation lists them.
    public static let columns = ["channel_txn_id", "our_reference", "amount", "currency", "fee", "settled_at", "type"]

    private var reader = SettlementCSVRecordReader()
    private var positions: [Int]?
    private var headerCount = 0
    private let calendar: BusinessCalendar

    public init(calendar: BusinessCalendar) {
        self.calendar = calendar
    }

    /// Feeds the next chunk of the file. Throws `SettlementCSVError`, or whatever `onLine` throws.
    public mutating func decode(_ chunk: Data, onLine: (SettlementLine) throws -> Void) throws {
        try chunk.withUnsafeBytes { bytes in try decode(rawBytes: bytes, onLine: onLine) }
    }

    /// Feeds the next chunk of the file as bytes.
    public mutating func decode(_ chunk: [UInt8], onLine: (SettlementLine) throws -> Void) throws {
        try chunk.withUnsafeBytes { bytes in try decode(rawBytes: bytes, onLine: onLine) }
    }

    /// Ends the input, completing a last row without a line break. An empty file has no header: an error.
    public mutating func finish(onLine: (SettlementLine) throws -> Void) throws {
        var records: [SettlementCSVRecordReader.Record] = []
        let failure: SettlementCSVRecordReader.Failure?
        do {
            try reader.finish { records.append($0) }
            failure = nil
        } catch {
            failure = error
        }
        try handle(records, failure, onLine)
        if positions == nil { throw SettlementCSVError(line: 1, column: nil, problem: .missingHeader) }
    }

    /// Reads a whole file through a `FileHandle`, `chunkSize` bytes at a time.
    public static func decodeFile(
        at url: URL, calendar: BusinessCalendar, chunkSize: Int = 64 * 1024,
        onLine: (SettlementLine) throws -> Void
    ) throws {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var decoder = SettlementCSVDecoder(calendar: calendar)
        while let chunk = try handle.read(upToCount: max(1, chunkSize)), !chunk.isEmpty {
            try decoder.decode(chunk, onLine: onLine)
        }
        try decoder.finish(onLine: onLine)
    }

    /// Reads byte chunks from any async source (an HTTP body, a NIO stream mapped to `[UInt8]`),
    /// handing each line to an async `onLine` (a database insert, say) before reading further.
    public static func decode<Chunks: AsyncSequence>(
        chunks: Chunks, calendar: BusinessCalendar,
        onLine: (SettlementLine) async throws -> Void
    ) async throws where Chunks.Element == [UInt8] {
        var decoder = SettlementCSVDecoder(calendar: calendar)
        var ready: [SettlementLine] = []
        for try await chunk in chunks {
            try decoder.decode(chunk) { ready.append($0) }
            for line in ready { try await onLine(line) }
            ready.removeAll(keepingCapacity: true)
        }
        try decoder.finish { ready.append($0) }
        for line in ready { try await onLine(line) }
    }

    /// Decodes an in-memory file into its lines (small files and tests).
    public static func decodeAll(_ data: Data, calendar: BusinessCalendar) throws(SettlementCSVError) -> [SettlementLine] {
        var decoder = SettlementCSVDecoder(calendar: calendar)
        var lines: [SettlementLine] = []
        do {
            try decoder.decode(data) { lines.append($0) }
            try decoder.finish { lines.append($0) }
        } catch let error as SettlementCSVError {
            throw error
        } catch {
            // The collecting closure never throws; only decoder errors reach here.
            throw SettlementCSVError(line: 0, column: nil, problem: .empty)
        }
        return lines
    }

    private mutating func decode(rawBytes: UnsafeRawBufferPointer, onLine: (SettlementLine) throws -> Void) throws {
        // Records are collected per chunk, then handled, so the reader and the header state are
        // never mutated at once. A structural error is raised after the good records before it.
        var records: [SettlementCSVRecordReader.Record] = []
        let failure: SettlementCSVRecordReader.Failure?
        do {
            try reader.consume(rawBytes) { records.append($0) }
            failure = nil
        } catch {
            failure = error
        }
        try handle(records, failure, onLine)
    }

    private mutating func handle(
        _ records: [SettlementCSVRecordReader.Record], _ failure: SettlementCSVRecordReader.Failure?,
        _ onLine: (SettlementLine) throws -> Void
    ) throws {
        for record in records {
            guard let positions else {
                self.positions = try Self.readHeader(record)
                headerCount = record.fields.count
                continue
            }
            guard record.fields.count == headerCount else {
                throw SettlementCSVError(
                    line: record.line, column: nil,
                    problem: .wrongFieldCount(expected: headerCount, found: record.fields.count)
                )
            }
            try onLine(Self.settlementLine(record, positions: positions, calendar: calendar))
        }
        if let failure { throw SettlementCSVError(line: failure.line, column: nil, problem: failure.problem) }
    }

    private static func readHeader(_ record: SettlementCSVRecordReader.Record) throws(SettlementCSVError) -> [Int] {
        var index: [String: Int] = [:]
        for (position, name) in record.fields.enumerated() {
            guard index[name] == nil else {
                throw SettlementCSVError(line: record.line, column: name, problem: .duplicateColumn(name))
            }
            index[name] = position
        }
        return try columns.map { name throws(SettlementCSVError) in
            guard let position = index[name] else {
                throw SettlementCSVError(line: record.line, column: nil, problem: .missingColumn(name))
            }
            return position
        }
    }

    private static func settlementLine(
        _ record: SettlementCSVRecordReader.Record, positions: [Int], calendar: BusinessCalendar
    ) throws(SettlementCSVError) -> SettlementLine {
        let line = record.line
        func field(_ column: Int) -> String { record.fields[positions[column]] }
        func fail(_ column: Int, _ problem: SettlementCSVError.Problem) -> SettlementCSVError {
            SettlementCSVError(line: line, column: columns[column], problem: problem)
        }

        let transactionId = field(0)
        guard !transactionId.isEmpty else { throw fail(0, .empty) }
        let typeText = field(6)
        guard let type = SettlementType(rawValue: typeText) else {
            throw typeText.isEmpty ? fail(6, .empty) : fail(6, .invalidType(typeText))
        }
        let reference = field(1)
        if reference.isEmpty && type != .fee { throw fail(1, .empty) }
        let code = field(3)
        guard let currency = Currency(code: code) else {
            throw code.isEmpty ? fail(3, .empty) : fail(3, .unknownCurrency(code))
        }
        let amount: Money
        do { amount = try Money.parse(field(2), currency: currency) } catch { throw fail(2, .invalidAmount(error)) }
        let fee: Money
        do { fee = try Money.parse(field(4), currency: currency) } catch { throw fail(4, .invalidAmount(error)) }

        let settledText = field(5)
        let settledAt: Date?
        let settlementDate: BusinessDate
        if let date = BusinessDate(settledText) {
            settledAt = nil
            settlementDate = date
        } else if let timestamp = ReconciliationTimestamp(settledText, requireOffset: true) {
            settledAt = timestamp.instant
            settlementDate = timestamp.businessDate(in: calendar)
        } else {
            throw settledText.isEmpty ? fail(5, .empty) : fail(5, .invalidTimestamp(settledText))
        }

        do {
            return try SettlementLine(
                line: line, channelTransactionId: transactionId, ourReference: reference.isEmpty ? nil : reference,
                amount: amount, fee: fee, type: type, settledAt: settledAt, settlementDate: settlementDate
            )
        } catch {
            throw fail(4, .overflow)
        }
    }
}
