import Crypto
import Domain
import Foundation
import Logging
import Persistence

/// The format of an imported statement file.
public enum StatementFormat: String, Sendable {
    case camt053
    /// A camt.054 debit/credit notification, read by the camt.053 parser.
    case camt054
    /// A SWIFT MT940 customer statement.
    case mt940
    case settlementCSV = "settlement_csv"
}

/// What an import stored: one row per statement in the file.
public struct StatementImport: Sendable {
    public let statements: [StatementRecord]
    /// True when the same file had been imported before (nothing was stored again).
    public let alreadyImported: Bool
}

/// Why a statement file was refused.
public struct StatementFileError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// Imports bank (camt.053) and payment-channel (CSV) statements, streaming: the file is read in
/// chunks, lines are stored in batches, and only one batch is ever held in memory.
public struct StatementService: Sendable {
    let database: Database
    let calendar: BusinessCalendar
    static let batchSize = 2_000

    public init(database: Database, calendar: BusinessCalendar) {
        self.database = database
        self.calendar = calendar
    }

    /// Imports the file at `url` in one transaction (all of it or nothing).
    public func importFile(_ url: URL, format: StatementFormat, channel: String = "channel", actor: Actor) async throws -> StatementImport {
        let hash = try Self.sha256(of: url)
        // An ISO 20022 file says what it is in its namespace: a camt.054 sent as "XML" is stored as one.
        let format = format == .camt053 && Self.isNotification(url) ? .camt054 : format
        let logger = database.logger
        let calendar = self.calendar
        return try await database.transaction { c in
            let existing = try await ReconciliationStore.statementExists(fileHash: hash, on: c, logger: logger)
            if !existing.isEmpty {
                return StatementImport(statements: try await ReconciliationStore.statements(ids: existing, on: c, logger: logger), alreadyImported: true)
            }
            let imported: (ids: [UUID], known: Int)
            switch format {
            case .settlementCSV:
                imported = try await Self.importCSV(url, hash: hash, channel: channel, calendar: calendar, actor: actor, c, logger)
            case .camt053, .camt054, .mt940:
                imported = try await Self.importCamt(url, hash: hash, format: format, actor: actor, c, logger)
            }
            // Every statement in the file was known (a re-sent copy with other bytes): nothing new.
            if imported.known == imported.ids.count, !imported.ids.isEmpty {
                return StatementImport(statements: try await ReconciliationStore.statements(ids: imported.ids, on: c, logger: logger),
                                       alreadyImported: true)
            }
            let ids = imported.ids
            try await AuditStore.record(actor: actor.principal.actor, action: "statement.imported", objectType: "statement_file", objectID: hash,
                                        requestID: actor.requestID, on: c, logger: logger)
            return StatementImport(statements: try await ReconciliationStore.statements(ids: ids, on: c, logger: logger), alreadyImported: false)
        }
    }

    public func statement(id: UUID) async throws -> StatementRecord {
        let logger = database.logger
        return try await database.withConnection({ try await ReconciliationStore.statements(ids: [id], on: $0, logger: logger) }).first
            .orNotFound("statement", id: id)
    }

    /// A page of statements, the newest import first.
    public func statements(_ page: PageRequest) async throws -> Page<StatementRecord> {
        let logger = database.logger
        return try await database.withConnection { try await ReconciliationStore.statements(page, on: $0, logger: logger) }
    }

    /// Whether the XML file at `url` is a camt.054 notification (by the namespace near its start).
    static func isNotification(_ url: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 4_096)) ?? Data()
        return String(decoding: head, as: UTF8.self).contains("urn:iso:std:iso:20022:tech:xsd:camt.054.001.")
    }

    static func sha256(of url: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// A settlement file becomes one statement per currency it contains: totals are kept per
    /// currency and each line keeps its own currency, so nothing is ever summed across currencies.
    static func importCSV(
        _ url: URL, hash: String, channel: String, calendar: BusinessCalendar, actor: Actor, _ c: DatabaseConnection, _ logger: Logger
    ) async throws -> (ids: [UUID], known: Int) {
        struct Totals {
            let id = UUID()
            var count = 0
            var credits: Int64 = 0
            var debits: Int64 = 0
            var content = StatementContent()
            var first: BusinessDate?
            var last: BusinessDate?
        }
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var decoder = SettlementCSVDecoder(calendar: calendar)
        var batch: [(UUID, StatementLineRow)] = []
        var perCurrency: [String: Totals] = [:]
        var order: [String] = []
        func take(_ line: SettlementLine) throws {
            let amount = line.signedAmount
            let code = amount.currency.code
            if perCurrency[code] == nil { order.append(code) }
            var totals = perCurrency[code] ?? Totals()
            totals.count += 1
            // Overflow is an invalid file, never a wrapped total.
            if amount.minorUnits >= 0 {
                let (sum, overflow) = totals.credits.addingReportingOverflow(amount.minorUnits)
                guard !overflow else { throw SettlementCSVError(line: line.line, column: "amount", problem: .overflow) }
                totals.credits = sum
            } else {
                let (sum, overflow) = totals.debits.subtractingReportingOverflow(amount.minorUnits)
                guard !overflow else { throw SettlementCSVError(line: line.line, column: "amount", problem: .overflow) }
                totals.debits = sum
            }
            totals.first = min(totals.first ?? line.settlementDate, line.settlementDate)
            totals.last = max(totals.last ?? line.settlementDate, line.settlementDate)
            totals.content.add(amount, line.settlementDate, "\(line.channelTransactionId)|\(line.ourReference ?? "")|\(line.type.rawValue)")
            perCurrency[code] = totals
            batch.append((totals.id, StatementLineRow(lineNo: line.line, reference: line.ourReference, amount: amount,
                                                      valueDate: line.settlementDate, source: "channel:\(channel)",
                                                      batchRef: line.channelTransactionId)))
        }
        func flush() async throws {
            for (statementID, rows) in Dictionary(grouping: batch, by: \.0) {
                try await ReconciliationStore.insertLines(statementID: statementID, rows.map(\.1), on: c, logger: logger)
            }
            batch.removeAll(keepingCapacity: true)
        }
        do {
            while let chunk = try handle.read(upToCount: 256 * 1024), !chunk.isEmpty {
                try decoder.decode(chunk, onLine: take)
                if batch.count >= batchSize { try await flush() }
            }
            try decoder.finish(onLine: take)
        } catch let error as SettlementCSVError {
            throw ServiceError.invalid("body", error.description)
        }
        try await flush()
        if order.isEmpty { order = ["CNY"] }
        var ids: [UUID] = []
        var known = 0
        for code in order {
            let totals = perCurrency[code] ?? Totals()
            // A settlement file has no statement number: its identity is its channel, currency and
            // content, so the same rows re-sent with other bytes (line endings, quoting) are one import.
            let contentHash = totals.content.hash(currency: code)
            let identity = "channel:\(channel)|\(code)|\(contentHash)"
            if let existing = try await ReconciliationStore.statement(identity: identity, on: c, logger: logger) {
                try await ReconciliationStore.deleteLines(statementID: totals.id, on: c, logger: logger)
                ids.append(existing.id)
                known += 1
                continue
            }
            // Named by what it covers (the spooled upload's file name means nothing to an operator);
            // several currencies in one file are told apart by currency.
            let period = totals.first.map { first in totals.last.map { $0 == first ? "\(first)" : "\(first)..\($0)" } ?? "\(first)" } ?? "empty"
            let ref = "\(channel) settlement \(period)" + (order.count == 1 ? "" : " \(code)")
            try await ReconciliationStore.insertStatement(
                id: totals.id, format: StatementFormat.settlementCSV.rawValue, fileHash: hash, summary: nil, statementRef: ref,
                currency: code, credits: totals.credits, debits: totals.debits, entryCount: totals.count, importedBy: actor.principal.actor,
                key: .init(identity: identity, contentHash: contentHash, sequenceNo: nil, period: nil, findings: []), on: c, logger: logger)
            ids.append(totals.id)
        }
        return (ids, known)
    }

    /// camt.053, camt.054 and MT940: the parsers are synchronous, so it runs on its own thread and hands entries over a
    /// bounded channel; the parser waits while the database catches up. Each statement is checked
    /// against its identity (`StatementIdentity`): a re-sent copy is recognised and its lines
    /// dropped again, a different statement under the same identity is refused (409).
    static func importCamt(
        _ url: URL, hash: String, format: StatementFormat, actor: Actor, _ c: DatabaseConnection, _ logger: Logger
    ) async throws -> (ids: [UUID], known: Int) {
        let channel = BoundedChannel<CamtEvent>(capacity: 1_000)
        let thread = Thread {
            do {
                if format == .mt940 {
                    try MT940Parser().parse(contentsOf: url, onEntry: { channel.send(.entry($0)) }, onStatement: { channel.send(.statement($0)) })
                } else {
                    _ = try Camt053Parser().parse(contentsOf: url, onEntry: { channel.send(.entry($0)) }, onStatement: { channel.send(.statement($0)) })
                }
                channel.finish(nil)
            } catch {
                channel.finish(error)
            }
        }
        thread.start()
        var ids: [String: UUID] = [:]
        var order: [UUID] = []
        var known = 0
        var batch: [(UUID, StatementLineRow)] = []
        var lineNumbers: [String: Int] = [:]
        var content: [String: StatementContent] = [:]
        func flush() async throws {
            for (statementID, rows) in Dictionary(grouping: batch, by: \.0) {
                try await ReconciliationStore.insertLines(statementID: statementID, rows.map(\.1), on: c, logger: logger)
            }
            batch.removeAll(keepingCapacity: true)
        }
        do {
            while let event = try await channel.next() {
                switch event {
                case .entry(let entry):
                    let statementID = ids[entry.statementId] ?? UUID()
                    ids[entry.statementId] = statementID
                    let fallback = entry.bookingDate ?? entry.valueDate ?? BusinessDate(daysSinceEpoch: 0)
                    let lines = entry.actualLines(defaultDate: fallback)
                    for (line, returnReason) in zip(lines, entry.returnReasons(lineCount: lines.count)) where entry.status == .booked {
                        let n = (lineNumbers[entry.statementId] ?? 0) + 1
                        lineNumbers[entry.statementId] = n
                        content[entry.statementId, default: StatementContent()].add(line.amount, line.date, line.reference)
                        batch.append((statementID, StatementLineRow(lineNo: n, reference: line.reference, amount: line.amount, valueDate: line.date,
                                                                    source: entry.statementId, batchRef: line.batchReference,
                                                                    namedRefs: line.namedReferences, returnReason: returnReason)))
                    }
                    if batch.count >= batchSize { try await flush() }
                case .statement(let summary):
                    try await flush()
                    let statementID = ids[summary.id] ?? UUID()
                    ids[summary.id] = statementID
                    let lines = content[summary.id] ?? StatementContent()
                    content[summary.id] = nil
                    let identity = StatementIdentity(summary)
                    let contentHash = lines.hash(summary)
                    if let existing = try await ReconciliationStore.statement(identity: identity.key, on: c, logger: logger) {
                        guard existing.contentHash == contentHash else {
                            throw ServiceError.conflict(
                                code: "statement_identity_conflict",
                                detail: "statement \(summary.id) (\(identity)) differs from statement \(existing.id.uuidString.lowercased()) "
                                    + "already imported under the same identity; ask the bank which one is right")
                        }
                        // A re-sent copy: the same statement, other bytes. Its lines were stored again; drop them.
                        try await ReconciliationStore.deleteLines(statementID: statementID, on: c, logger: logger)
                        order.append(existing.id)
                        known += 1
                        continue
                    }
                    let sequence = StatementIdentity.sequenceNumber(summary)
                    var findings: [String] = []
                    if let account = summary.account?.identifier,
                       let previous = try await ReconciliationStore.previousStatement(account: account, sequenceNo: sequence, period: identity.period,
                                                                                     on: c, logger: logger) {
                        let closing = previous.closing.flatMap { minor in Currency(code: previous.currency).map { Money(minorUnits: minor, currency: $0) } }
                        findings += StatementContinuity.check(previousSequence: previous.sequenceNo, previousClosing: closing, sequence: sequence,
                                                              opening: summary.openingBalance?.amount).map { "\($0.kind.rawValue): \($0)" }
                    }
                    if lines.foreignCurrencyLines(summary.currency) > 0 {
                        findings.append("\(ReconciliationException.Kind.currencyMismatch.rawValue): \(lines.foreignCurrencyLines(summary.currency)) entr(ies) "
                                        + "in a currency other than the account's \(summary.currency.code)")
                    }
                    order.append(statementID)
                    try await ReconciliationStore.insertStatement(
                        id: statementID, format: format.rawValue, fileHash: hash, summary: summary, statementRef: summary.id,
                        currency: summary.currency.code, credits: summary.bookedCredits.minorUnits, debits: summary.bookedDebits.minorUnits,
                        entryCount: summary.entryCount, importedBy: actor.principal.actor,
                        key: .init(identity: identity.key, contentHash: contentHash, sequenceNo: sequence, period: identity.period, findings: findings),
                        on: c, logger: logger)
                }
            }
        } catch let error as Camt053Error {
            channel.cancel()
            throw ServiceError.invalid("body", String(describing: error))
        } catch let error as MT940Error {
            channel.cancel()
            throw ServiceError.invalid("body", error.description)
        } catch {
            channel.cancel()
            throw error
        }
        try await flush()
        return (order, known)
    }

    enum CamtEvent: Sendable {
        case entry(StatementEntry)
        case statement(StatementSummary)
    }
}

/// What a statement says, line by line, reduced to a hash that ignores the file's bytes (message
/// id, creation time, whitespace, line endings): the same statement re-sent hashes the same.
struct StatementContent {
    private var hasher = SHA256()
    private var currencies: [String: Int] = [:]

    mutating func add(_ amount: Money, _ date: BusinessDate, _ reference: String?) {
        hasher.update(data: Data("\(amount.currency.code)|\(amount.minorUnits)|\(date)|\(reference ?? "")\n".utf8))
        currencies[amount.currency.code, default: 0] += 1
    }

    func foreignCurrencyLines(_ currency: Currency) -> Int {
        currencies.filter { $0.key != currency.code }.values.reduce(0, +)
    }

    func hash(currency: String) -> String {
        var h = hasher
        h.update(data: Data(currency.utf8))
        return h.finalize().map { String(format: "%02x", $0) }.joined()
    }

    func hash(_ summary: StatementSummary) -> String {
        var h = hasher
        let balances = summary.balances.map { "\($0.typeCode)=\($0.amount.minorUnits)\($0.amount.currency.code)@\($0.date?.description ?? "-")" }
        h.update(data: Data("\(summary.currency.code)|\(summary.entryCount)|\(balances.joined(separator: ","))".utf8))
        return h.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

/// A bounded single-producer, single-consumer hand-over from a thread to async code: the producer
/// blocks while the buffer is full, so a large file never piles up in memory.
final class BoundedChannel<Element: Sendable>: @unchecked Sendable {
    private let lock = NSCondition()
    private var buffer: [Element] = []
    private var finished = false
    private var cancelled = false
    private var failure: (any Error)?
    private var waiter: CheckedContinuation<Void, Never>?
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Called on the producer thread; blocks while full.
    func send(_ element: Element) {
        lock.lock()
        while buffer.count >= capacity && !cancelled { lock.wait() }
        if !cancelled { buffer.append(element) }
        let w = waiter
        waiter = nil
        lock.unlock()
        w?.resume()
    }

    func finish(_ error: (any Error)?) {
        lock.lock()
        finished = true
        failure = error
        let w = waiter
        waiter = nil
        lock.unlock()
        w?.resume()
    }

    func cancel() {
        lock.lock()
        cancelled = true
        buffer.removeAll()
        lock.broadcast()
        lock.unlock()
    }

    private enum Take {
        case element(Element)
        case end((any Error)?)
        case empty
    }

    /// Synchronous part of `next()`: locks are not taken across suspension points.
    private func take() -> Take {
        lock.lock()
        defer { lock.unlock() }
        if !buffer.isEmpty {
            let element = buffer.removeFirst()
            lock.broadcast()
            return .element(element)
        }
        return finished ? .end(failure) : .empty
    }

    /// Parks the consumer unless something arrived meanwhile.
    private func park(_ continuation: CheckedContinuation<Void, Never>) {
        lock.lock()
        if !buffer.isEmpty || finished {
            lock.unlock()
            continuation.resume()
        } else {
            waiter = continuation
            lock.unlock()
        }
    }

    /// The next element, nil at the end, or the producer's error.
    func next() async throws -> Element? {
        while true {
            switch take() {
            case .element(let element): return element
            case .end(let error):
                if let error { throw error }
                return nil
            case .empty:
                await withCheckedContinuation { park($0) }
            }
        }
    }
}
