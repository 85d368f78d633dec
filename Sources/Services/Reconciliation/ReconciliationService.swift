import Domain
import Foundation
import Logging
import Persistence

/// Matching a business date's cash movements against imported statements, the exception
/// workflow, and the ledger proof.
public struct ReconciliationService: Sendable {
    let database: Database
    /// When set, these rules apply to every source instead of the stored per-source rules.
    let rulesOverride: MatchingRules?
    /// Lines (or items) per partition the matcher holds in memory, roughly; two partitions are in
    /// memory at once (one written, the next matched).
    let partitionSize: Int

    public init(database: Database, rules: MatchingRules? = nil, partitionSize: Int = 25_000) {
        self.database = database
        self.rulesOverride = rules
        self.partitionSize = max(1, partitionSize)
    }

    /// Tally of one matching run.
    public struct MatchSummary: Sendable, Equatable {
        public var expected = 0
        public var actual = 0
        public var matched = 0
        public var exceptionsRaised = 0
        public var exceptionsClosed = 0
        public var partitions = 0
    }

    /// Rules per source, as the engine takes them, from the stored `MatchingRuleRecord`s: grouped
    /// matching on means batch references in phases 2–3 and splits under one reference in phase 1.
    public struct SourceRules: Sendable {
        public let bySource: [String: MatchingRules]
        public let fallback: MatchingRules

        public init(bySource: [String: MatchingRules], fallback: MatchingRules) {
            self.bySource = bySource
            self.fallback = fallback
        }

        public func rules(for source: String) -> MatchingRules { bySource[source] ?? fallback }

        /// The widest date window of any source: how far around a date lines and items are loaded.
        public var widestWindow: Int { ([fallback] + Array(bySource.values)).map(\.dateWindowDays).max() ?? 0 }

        public static func from(_ records: [ReconciliationStore.MatchingRuleRecord]) -> SourceRules {
            var bySource: [String: MatchingRules] = [:]
            var fallback = MatchingRules(dateWindowDays: 1, oneToMany: .batchReference, manyToOne: .batchReference)
            for r in records {
                let rules = MatchingRules(dateWindowDays: r.dateWindowDays, amountToleranceMinorUnits: r.amountToleranceMinor,
                                          oneToMany: r.oneToMany ? .batchReference : nil, manyToOne: r.manyToOne ? .batchReference : nil)
                if r.source == "*" { fallback = rules } else { bySource[r.source] = rules }
            }
            return SourceRules(bySource: bySource, fallback: fallback)
        }
    }

    public func sourceRules() async throws -> SourceRules {
        if let rulesOverride { return SourceRules(bySource: [:], fallback: rulesOverride) }
        let logger = database.logger
        return SourceRules.from(try await database.withConnection { try await ReconciliationStore.matchingRules(on: $0, logger: logger) })
    }

    /// Matches the ledger's unmatched cash movements of [date − window, date] against the unmatched
    /// statement lines valued within [date − window, date + window], each source's lines under its
    /// own rules. The run's working set is materialised once (`ReconciliationStore.prepareRun`:
    /// every reference a counterparty can quote for an item resolved in one set-based pass, items
    /// and lines bucketed by the key that ties them, written in bucket order), then matched
    /// partition by partition, each a contiguous range of buckets read in one index range scan.
    /// Raises one exception per non-match (once, however often it runs) and records what matched
    /// so no later night sees it again. Every line and ledger item ends the night matched or with
    /// exactly one open exception: a match closes every open exception about what matched, a
    /// newer verdict supersedes the older ones about its line and item, both as resolved by
    /// `runID`, and a pairing (amount or date mismatch) closed on one side leaves the other side
    /// its own verdict (missing from the ledger or from the statements).
    public func match(businessDate date: BusinessDate, runID: UUID = UUID()) async throws -> MatchSummary {
        let logger = database.logger
        let rules = try await sourceRules()
        let window = rules.widestWindow
        let from = date.adding(days: -window), to = date.adding(days: window)
        let (itemCount, lineCount) = try await database.transaction { c in
            try await ReconciliationStore.prepareRun(runID: runID, itemsFrom: from, itemsTo: date, linesFrom: from, linesTo: to, on: c, logger: logger)
        }
        let buckets = ReconciliationStore.runBuckets
        let partitions = min(buckets, max(1, (max(itemCount, lineCount) + partitionSize - 1) / partitionSize))
        var summary = MatchSummary()
        summary.partitions = partitions
        // Pipelined: while one partition's verdicts are written, the next is read and matched.
        // Partitions share no line or item and the working set is not written after it is
        // prepared, so reading ahead sees what it would see later; the writes stay in partition order.
        func decide(_ partition: Int) async throws -> PartitionDecision {
            let part = (partition * buckets / partitions)..<((partition + 1) * buckets / partitions)
            let (expected, actual) = try await database.withConnection { c in
                try await ReconciliationStore.runPartition(runID: runID, buckets: part, on: c, logger: logger)
            }
            return PartitionDecision(expected: expected.count, actual: actual.count,
                                     outcomes: Self.reconcile(expected: expected, actual: actual, rules: rules), date: date)
        }
        var decision = try await decide(0)
        for partition in 0..<partitions {
            async let upcoming = partition + 1 < partitions ? decide(partition + 1) : nil
            summary.expected += decision.expected
            summary.actual += decision.actual
            summary.matched += decision.matched
            let (raised, closed) = try await write(decision, date: date, runID: runID)
            summary.exceptionsRaised += raised
            summary.exceptionsClosed += closed
            guard let next = try await upcoming else { break }
            decision = next
        }
        try await database.transaction { try await ReconciliationStore.discardRun(runID: runID, on: $0, logger: logger) }
        return summary
    }

    /// What matching decided for one partition, before anything is written.
    struct PartitionDecision: Sendable {
        let expected: Int
        let actual: Int
        let matched: Int
        /// The verdicts to raise (lines of other dates inside the window belong to their own night
        /// unless matched here).
        let rows: [Row]
        /// Matched lines, and duplicate lines: a duplicate is accounted for by its exception and is
        /// never re-read as missing from the ledger.
        let lineIDs: [String]
        let duplicateLineIDs: [String]
        let entryIDs: [String]

        init(expected: Int, actual: Int, outcomes: [MatchOutcome], date: BusinessDate) {
            let matches = outcomes.compactMap { if case .matched(let m) = $0 { m } else { nil } }
            self.expected = expected
            self.actual = actual
            self.matched = matches.count
            self.rows = outcomes.compactMap { ReconciliationService.exceptionRow($0, date: date) }
            self.duplicateLineIDs = outcomes.compactMap { if case .duplicate(let line, _) = $0 { line.id } else { nil } }
            self.lineIDs = matches.flatMap { $0.actual.map(\.id) }
            self.entryIDs = matches.flatMap { $0.expected.map(\.id) }
        }
    }

    /// Writes one partition's decision in one transaction: its verdicts, what matched (and the
    /// payment orders it settles), and the earlier exceptions it closes. Returns (raised, closed).
    func write(_ d: PartitionDecision, date: BusinessDate, runID: UUID) async throws -> (Int, Int) {
        let logger = database.logger
        let verdictLines = d.rows.compactMap(\.lineRef), verdictItems = d.rows.compactMap(\.itemRef)
        return try await database.transaction { c in
            var raised = try await Self.raise(d.rows, date: date, on: c, logger: logger)
            try await ReconciliationStore.recordMatched(lineIDs: d.lineIDs + d.duplicateLineIDs, entryIDs: d.entryIDs, date: date, runID: runID,
                                                        on: c, logger: logger)
            let paid = try await PaymentOrderStore.settle(entryIDs: d.entryIDs.compactMap(UUID.init(uuidString:)), actor: "reconciliation",
                                                          on: c, logger: logger)
            try await PaymentOrders.announce(.paymentOrderSettled, orderIDs: paid, businessDate: date, on: c, logger: logger)
            let closed = try await ReconciliationStore.closeSettled(
                matchedLines: d.lineIDs, matchedItems: d.entryIDs, verdictLines: verdictLines, verdictItems: verdictItems,
                keep: d.rows.map(\.key), date: date, runID: runID, on: c, logger: logger)
            let settled = Set(d.lineIDs + d.entryIDs + verdictLines + verdictItems)
            raised += try await Self.raise(Self.orphanRows(closed, settled: settled, date: date), date: date, on: c, logger: logger)
            return (raised, closed.count)
        }
    }

    /// One partition: each source's lines (in source order) under its rules against the items no
    /// earlier source took; what no source took is missing from the statements.
    static func reconcile(expected: [ExpectedItem], actual: [ActualLine], rules: SourceRules) -> [MatchOutcome] {
        var remaining = expected
        var outcomes: [MatchOutcome] = []
        for (source, lines) in Dictionary(grouping: actual, by: \.source.description).sorted(by: { $0.key < $1.key }) {
            let result = MatchingEngine(rules: rules.rules(for: source)).reconcile(expected: remaining, actual: lines)
            var taken = Set<String>()
            for outcome in result.outcomes {
                switch outcome {
                case .missingFromStatement:
                    continue
                case .matched(let m):
                    taken.formUnion(m.expected.map(\.id))
                case .amountMismatch(let item, _, _), .dateMismatch(let item, _, _):
                    taken.insert(item.id)
                case .missingFromLedger, .duplicate:
                    break
                }
                outcomes.append(outcome)
            }
            remaining.removeAll { taken.contains($0.id) }
        }
        outcomes += remaining.map { .missingFromStatement($0) }
        return outcomes
    }

    typealias Row = ReconciliationStore.NewException

    /// Tally of the statements checked by a night.
    public struct StatementCheckSummary: Sendable, Equatable {
        public var statements = 0
        public var unbalanced = 0
        public var exceptionsRaised = 0
    }

    /// Raises the verdicts of every statement imported since the last night as exceptions dated
    /// `date`: an unbalanced statement, a sequence gap, a balance discontinuity, entries in a
    /// foreign currency. Each statement is marked with `runID`, so a later night raises nothing
    /// again and the report lists the statements of its night.
    public func raiseStatementVerdicts(businessDate date: BusinessDate, runID: UUID) async throws -> StatementCheckSummary {
        let logger = database.logger
        return try await database.transaction { c in
            let statements = try await ReconciliationStore.statementsWithUnraisedVerdicts(on: c, logger: logger)
            var summary = StatementCheckSummary()
            var rows: [Row] = []
            for s in statements {
                summary.statements += 1
                let ccy = Currency(code: s.currency)
                func money(_ minor: Int64?) -> String {
                    guard let minor else { return "-" }
                    return ccy.map { Money(minorUnits: minor, currency: $0).description } ?? "\(minor) \(s.currency)"
                }
                if s.verdict == "unbalanced" {
                    summary.unbalanced += 1
                    rows.append(Row(date: date, kind: ReconciliationException.Kind.unbalancedStatement.rawValue, reference: s.id.uuidString.lowercased(),
                                    expected: s.closing, actual: s.computedClosing, currency: s.currency,
                                    detail: "statement \(s.statementRef) states closing balance \(money(s.closing)) but its opening balance and entries give \(money(s.computedClosing))",
                                    key: "stmt:\(s.id.uuidString.lowercased()):unbalanced_statement", source: s.source, counterpartyRef: s.statementRef))
                }
                for finding in s.findings {
                    let parts = finding.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    guard let kind = parts.first, ReconciliationException.Kind(rawValue: kind) != nil else { continue }
                    rows.append(Row(date: date, kind: kind, reference: s.id.uuidString.lowercased(), expected: nil, actual: nil, currency: s.currency,
                                    detail: "statement \(s.statementRef): \(parts.count > 1 ? parts[1] : kind)",
                                    key: "stmt:\(s.id.uuidString.lowercased()):\(kind)", source: s.source, counterpartyRef: s.statementRef))
                }
            }
            summary.exceptionsRaised = try await Self.raise(rows, date: date, on: c, logger: logger)
            try await ReconciliationStore.markVerdictsRaised(statements.map(\.id), by: runID, on: c, logger: logger)
            return summary
        }
    }

    /// The other side of each pairing closed on one side only: an amount or date mismatch whose
    /// item matched another line leaves its line missing from the ledger, and the other way round
    /// (`settled`: the lines and items this night matched or gave a verdict).
    static func orphanRows(_ closed: [ReconciliationStore.ClosedException], settled: Set<String>, date: BusinessDate) -> [Row] {
        var rows: [Row] = []
        for x in closed where x.kind == "amount_mismatch" || x.kind == "date_mismatch" {
            let money = { (minor: Int64?) in
                minor.flatMap { m in x.currency.flatMap(Currency.init(code:)).map { Money(minorUnits: m, currency: $0).description } } ?? "-"
            }
            if let line = x.lineRef, !settled.contains(line) {
                rows.append(Row(date: date, kind: "missing_from_ledger", reference: x.counterpartyRef, expected: nil, actual: x.actual,
                                currency: x.currency, detail: "a statement line of \(money(x.actual)) has no ledger movement",
                                key: "mfl:\(line)", source: x.source, counterpartyRef: x.counterpartyRef, lineRef: line))
            }
            if let item = x.itemRef, !settled.contains(item) {
                rows.append(Row(date: date, kind: "missing_from_statement", reference: x.reference, expected: x.expected, actual: nil,
                                currency: x.currency, detail: "the ledger moved \(money(x.expected)) but no statement line shows it",
                                key: "mfs:\(item)", itemRef: item))
            }
        }
        return rows
    }

    static func exceptionRow(_ outcome: MatchOutcome, date: BusinessDate) -> Row? {
        switch outcome {
        case .matched:
            return nil
        case .missingFromStatement(let item):
            return Row(date: date, kind: "missing_from_statement", reference: item.reference, expected: item.amount.minorUnits, actual: nil,
                       currency: item.amount.currency.code, detail: "the ledger moved \(item.amount) (\(item.kind)) but no statement line shows it",
                       key: "mfs:\(item.id)", itemRef: item.id)
        case .missingFromLedger(let line):
            guard line.date == date else { return nil }
            return Row(date: date, kind: "missing_from_ledger", reference: line.reference, expected: nil, actual: line.amount.minorUnits,
                       currency: line.amount.currency.code, detail: "a statement line of \(line.amount) has no ledger movement",
                       key: "mfl:\(line.id)", source: line.source.description, counterpartyRef: line.reference ?? line.batchReference,
                       lineRef: line.id)
        case .amountMismatch(let item, let line, let difference):
            return Row(date: date, kind: "amount_mismatch", reference: item.reference, expected: item.amount.minorUnits, actual: line.amount.minorUnits,
                       currency: item.amount.currency.code, detail: "amounts differ by \(difference)", key: "am:\(item.id):\(line.id)",
                       source: line.source.description, counterpartyRef: line.reference, lineRef: line.id, itemRef: item.id)
        case .dateMismatch(let item, let line, let days):
            return Row(date: date, kind: "date_mismatch", reference: item.reference, expected: item.amount.minorUnits, actual: line.amount.minorUnits,
                       currency: item.amount.currency.code, detail: "the statement shows it \(days) day(s) apart", key: "dm:\(item.id):\(line.id)",
                       source: line.source.description, counterpartyRef: line.reference, lineRef: line.id, itemRef: item.id)
        case .duplicate(let line, let first):
            return Row(date: date, kind: "duplicate", reference: line.reference, expected: nil, actual: line.amount.minorUnits,
                       currency: line.amount.currency.code, detail: "the statement shows reference \(line.reference ?? "-") again (first as \(first.id))",
                       key: "dup:\(line.id)", source: line.source.description, counterpartyRef: line.reference, lineRef: line.id)
        }
    }

    // MARK: Matching rules

    public func matchingRules(source: String? = nil) async throws -> [ReconciliationStore.MatchingRuleRecord] {
        let logger = database.logger
        return try await database.withConnection { try await ReconciliationStore.matchingRules(source: source, on: $0, logger: logger) }
    }

    /// Sets one source's rules (`*` for the default), audited. Absent values keep the source's
    /// current ones, or the default's for a source without its own rules.
    public func setMatchingRule(source: String, amountToleranceMinor: Int64?, dateWindowDays: Int?, oneToMany: Bool?, manyToOne: Bool?,
                                at now: Date, actor: Actor) async throws -> ReconciliationStore.MatchingRuleRecord {
        var current = try await matchingRules(source: source).first
        if current == nil { current = try await matchingRules(source: "*").first }
        let amountToleranceMinor = amountToleranceMinor ?? current?.amountToleranceMinor ?? 0
        let dateWindowDays = dateWindowDays ?? current?.dateWindowDays ?? 1
        let oneToMany = oneToMany ?? current?.oneToMany ?? true
        let manyToOne = manyToOne ?? current?.manyToOne ?? true
        guard (0...100_000_000).contains(amountToleranceMinor) else {
            throw ServiceError.invalid("amount_tolerance_minor", "must be from 0 to 100000000 minor units")
        }
        guard (0...31).contains(dateWindowDays) else { throw ServiceError.invalid("date_window_days", "must be from 0 to 31 days") }
        let logger = database.logger
        return try await database.transaction { c in
            try await ReconciliationStore.upsertMatchingRule(.init(source: source, amountToleranceMinor: amountToleranceMinor, dateWindowDays: dateWindowDays,
                                                                   oneToMany: oneToMany, manyToOne: manyToOne, updatedBy: actor.principal.actor,
                                                                   updatedAt: now), on: c, logger: logger)
            try await AuditStore.record(actor: actor.principal.actor, action: "matching_rule.set", objectType: "matching_rule", objectID: source,
                                        requestID: actor.requestID, on: c, logger: logger)
            guard let stored = try await ReconciliationStore.matchingRules(source: source, on: c, logger: logger).first else {
                throw ServiceError.notFound(resource: "matching rule", id: source)
            }
            return stored
        }
    }

    // MARK: Exceptions workflow

    /// A page of exceptions in (business date, kind, id) order.
    public func exceptions(_ filter: ExceptionFilter, _ page: PageRequest) async throws -> Page<ExceptionRecord> {
        let logger = database.logger
        return try await database.withConnection { try await ReconciliationStore.exceptions(filter, page, on: $0, logger: logger) }
    }

    /// Every exception raised for `date` (for tests and small tools; the report streams instead).
    public func exceptions(businessDate date: BusinessDate) async throws -> [ExceptionRecord] {
        var all: [ExceptionRecord] = []
        try await forEachException(businessDate: date) { all += $0 }
        return all
    }

    /// Every exception raised for `date`, streamed page by page into `body` (never all in memory at once).
    public func forEachException(businessDate date: BusinessDate, pageSize: Int = 2_000,
                                 _ body: ([ExceptionRecord]) async throws -> Void) async throws {
        var filter = ExceptionFilter()
        filter.dateFrom = date
        filter.dateTo = date
        var request = PageRequest(limit: pageSize)
        while true {
            let page = try await exceptions(filter, request)
            try await body(page.items)
            guard let next = page.next else { return }
            request = PageRequest(limit: pageSize, after: next)
        }
    }

    /// Acknowledges (`note` nil) or resolves (with a note) an exception.
    public func advanceException(id: UUID, resolveWith note: String?, on date: BusinessDate, actor: Actor) async throws -> ExceptionRecord {
        let logger = database.logger
        return try await database.transaction { c in
            let row = try await ReconciliationStore.exception(id: id, forUpdate: true, on: c, logger: logger)
                .orNotFound("reconciliation exception", id: id)
            guard let kind = ReconciliationException.Kind(rawValue: row.kind), let state = ReconciliationException.State(rawValue: row.state) else {
                throw ServiceError.conflict(code: "unknown_exception", detail: "exception \(row.kind) cannot be worked here")
            }
            var exception = try ReconciliationException(
                id: id.uuidString, kind: kind, reference: row.reference, raisedOn: row.businessDate, state: state,
                acknowledgement: row.acknowledgedBy.flatMap { by in row.acknowledgedOn.map { .init(by: by, on: $0) } },
                resolution: row.resolvedBy.flatMap { by in row.resolvedOn.map { .init(by: by, on: $0, note: row.resolutionNote ?? "") } })
            do {
                if let note {
                    if exception.state == .open { try exception.acknowledge(by: actor.principal.actor, on: date) }
                    try exception.resolve(by: actor.principal.actor, on: date, note: note)
                } else {
                    try exception.acknowledge(by: actor.principal.actor, on: date)
                }
            } catch ReconciliationException.TransitionError.noteRequired {
                throw ServiceError.invalid("note", "a resolution needs a note")
            } catch {
                throw ServiceError.conflict(code: "invalid_exception_transition", detail: "\(error) (current state: \(row.state))")
            }
            try await ReconciliationStore.updateException(exception, on: c, logger: logger)
            try await AuditStore.record(actor: actor.principal.actor, action: "reconciliation_exception.\(exception.state.rawValue)",
                                        objectType: "reconciliation_exception", objectID: id.uuidString.lowercased(),
                                        requestID: actor.requestID, on: c, logger: logger)
            return try await ReconciliationStore.exception(id: id, forUpdate: false, on: c, logger: logger)
                .orNotFound("reconciliation exception", id: id)
        }
    }

    // MARK: Ledger proof

    /// One control total: a product's sub-ledger against its control accounts.
    public struct ControlCheck: Sendable, Equatable, Codable {
        public let name: String
        /// Minor units, summed as SQL `numeric` (a total over many rows can exceed Int64).
        public let subLedger: Decimal
        public let control: Decimal
        public var balanced: Bool { subLedger == control }
    }

    /// The proof of the books: every entry balanced, cached balances equal postings, and each
    /// product's sub-ledger total equals its control accounts.
    public struct LedgerProof: Sendable {
        public let violations: [String]
        public let controls: [ControlCheck]
        public var holds: Bool { violations.isEmpty && controls.allSatisfy(\.balanced) }

        public init(violations: [String], controls: [ControlCheck]) {
            self.violations = violations
            self.controls = controls
        }
    }

    /// The ledger proof: unbalanced entries, drifted cached balances, and each control total
    /// against its sub-ledger. The three read different things, so they run on three pooled
    /// connections at once (each query is one consistent snapshot, as before); at 1M lines the
    /// two scans of `postings` took about 1.6 s each one after the other.
    public func proveLedger(controls: [ControlQuery] = ControlQuery.all) async throws -> LedgerProof {
        let database = self.database
        let logger = database.logger
        async let unbalanced = database.withConnection { try await LedgerStore.unbalancedEntries(on: $0, logger: logger) }
        async let drifted = database.withConnection { try await LedgerStore.driftedBalances(on: $0, logger: logger) }
        async let checks = database.withConnection { c in
            var checks: [ControlCheck] = []
            for control in controls {
                let sub = try await control.subLedgerTotal(on: c, logger: logger)
                let ctl = try await control.controlTotal(on: c, logger: logger)
                checks.append(ControlCheck(name: control.name, subLedger: sub, control: ctl))
            }
            return checks
        }
        return try await LedgerProof(violations: unbalanced + drifted, controls: checks)
    }
}

extension ReconciliationService {
    /// Raises exceptions once per dedupe key (see `ReconciliationStore.raiseExceptions`) and records
    /// `reconciliation_exception.raised` for each one raised or opened again, in the caller's
    /// transaction. Returns how many.
    static func raise(_ rows: [ReconciliationStore.NewException], date: BusinessDate, on c: DatabaseConnection,
                      logger: Logger) async throws -> Int {
        let raised = try await ReconciliationStore.raiseExceptions(rows, on: c, logger: logger)
        try await EventLog.record(.reconciliationExceptionRaised, raised.map { e in
            (resource: EventResource.reconciliationException(e, today: date), objectID: e.id.uuidString.lowercased())
        }, businessDate: date, on: c, logger: logger)
        return raised.count
    }
}
