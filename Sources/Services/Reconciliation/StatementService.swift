import Crypto
import Domain
import Foundation
import Logging
import Persistence
import PostgresNIO

/// The format of an imported statement file.
public enum StatementFormat: String, Sendable {
    case camt053
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
        let logger = database.logger
        let calendar = self.calendar
        return try await database.transaction { c in
            let existing = try await ReconciliationStore.statementExists(fileHash: hash, on: c, logger: logger)
            if !existing.isEmpty {
                return StatementImport(statements: try await ReconciliationStore.statements(ids: existing, on: c, logger: logger), alreadyImported: true)
            }
            let ids: [UUID]
            switch format {
            case .settlementCSV:
                ids = [try await Self.importCSV(url, hash: hash, channel: channel, calendar: calendar, actor: actor, c, logger)]
            case .camt053:
                ids = try await Self.importCamt(url, hash: hash, actor: actor, c, logger)
            }
            try await AuditStore.record(actor: actor.principal.actor, action: "statement.imported", objectType: "statement_file", objectID: hash,
                                        requestID: actor.requestID, on: c, logger: logger)
            return StatementImport(statements: try await ReconciliationStore.statements(ids: ids, on: c, logger: logger), alreadyImported: false)
        }
    }

    public func statement(id: UUID) async throws -> StatementRecord {
        let logger = database.logger
        guard let found = try await database.withConnection({ try await ReconciliationStore.statements(ids: [id], on: $0, logger: logger) }).first else {
            throw ServiceError.notFound(resource: "statement", id: id.uuidString.lowercased())
        }
        return found
    }

    static func sha256(of url: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    static func importCSV(
        _ url: URL, hash: String, channel: String, calendar: BusinessCalendar, actor: Actor, _ c: PostgresConnection, _ logger: Logger
    ) async throws -> UUID {
        let id = UUID()
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var decoder = SettlementCSVDecoder(calendar: calendar)
        var batch: [StatementLineRow] = []
        var count = 0
        var credits: Int64 = 0
        var debits: Int64 = 0
        var currency: String?
        func take(_ line: SettlementLine) throws {
            count += 1
            let amount = line.signedAmount
            if currency == nil { currency = amount.currency.code }
            if amount.minorUnits >= 0 { credits += amount.minorUnits } else { debits -= amount.minorUnits }
            batch.append(StatementLineRow(lineNo: line.line, reference: line.ourReference, amount: amount, valueDate: line.settlementDate,
                                          source: "channel:\(channel)", batchRef: line.channelTransactionId))
        }
        do {
            while let chunk = try handle.read(upToCount: 256 * 1024), !chunk.isEmpty {
                try decoder.decode(chunk, onLine: take)
                if batch.count >= batchSize {
                    try await ReconciliationStore.insertLines(statementID: id, batch, on: c, logger: logger)
                    batch.removeAll(keepingCapacity: true)
                }
            }
            try decoder.finish(onLine: take)
        } catch let error as SettlementCSVError {
            throw ServiceError.invalid("body", error.description)
        }
        try await ReconciliationStore.insertLines(statementID: id, batch, on: c, logger: logger)
        try await ReconciliationStore.insertStatement(
            id: id, format: StatementFormat.settlementCSV.rawValue, fileHash: hash, summary: nil, statementRef: url.lastPathComponent,
            currency: currency ?? "CNY", credits: credits, debits: debits, entryCount: count, importedBy: actor.principal.actor, on: c, logger: logger)
        return id
    }

    /// camt.053: XMLParser is synchronous, so it runs on its own thread and hands entries over a
    /// bounded channel; the parser waits while the database catches up.
    static func importCamt(_ url: URL, hash: String, actor: Actor, _ c: PostgresConnection, _ logger: Logger) async throws -> [UUID] {
        let channel = BoundedChannel<CamtEvent>(capacity: 1_000)
        let thread = Thread {
            do {
                _ = try Camt053Parser().parse(contentsOf: url, onEntry: { channel.send(.entry($0)) }, onStatement: { channel.send(.statement($0)) })
                channel.finish(nil)
            } catch {
                channel.finish(error)
            }
        }
        thread.start()
        var ids: [String: UUID] = [:]
        var order: [UUID] = []
        var batch: [(UUID, StatementLineRow)] = []
        var lineNumbers: [String: Int] = [:]
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
                    for line in entry.actualLines(defaultDate: fallback) where entry.status == .booked {
                        let n = (lineNumbers[entry.statementId] ?? 0) + 1
                        lineNumbers[entry.statementId] = n
                        batch.append((statementID, StatementLineRow(lineNo: n, reference: line.reference, amount: line.amount, valueDate: line.date,
                                                                    source: entry.statementId, batchRef: line.batchReference)))
                    }
                    if batch.count >= batchSize { try await flush() }
                case .statement(let summary):
                    try await flush()
                    let statementID = ids[summary.id] ?? UUID()
                    ids[summary.id] = statementID
                    order.append(statementID)
                    try await ReconciliationStore.insertStatement(
                        id: statementID, format: StatementFormat.camt053.rawValue, fileHash: hash, summary: summary, statementRef: summary.id,
                        currency: summary.currency.code, credits: summary.bookedCredits.minorUnits, debits: summary.bookedDebits.minorUnits,
                        entryCount: summary.entryCount, importedBy: actor.principal.actor, on: c, logger: logger)
                }
            }
        } catch let error as Camt053Error {
            channel.cancel()
            throw ServiceError.invalid("body", String(describing: error))
        } catch {
            channel.cancel()
            throw error
        }
        try await flush()
        return order
    }

    enum CamtEvent: Sendable {
        case entry(StatementEntry)
        case statement(StatementSummary)
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
