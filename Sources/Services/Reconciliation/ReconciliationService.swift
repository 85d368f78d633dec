import Domain
import Foundation
import Logging
import Persistence
import PostgresNIO

/// Matching a business date's cash movements against imported statements, the exception
/// workflow, and the ledger proof.
public struct ReconciliationService: Sendable {
    let database: Database
    let rules: MatchingRules
    /// Lines per partition the matcher holds in memory at most (roughly).
    static let partitionSize = 50_000

    public init(database: Database, rules: MatchingRules = MatchingRules(dateWindowDays: 1, amountToleranceMinorUnits: 0)) {
        self.database = database
        self.rules = rules
    }

    /// Tally of one matching run.
    public struct MatchSummary: Sendable, Equatable {
        public var expected = 0
        public var actual = 0
        public var matched = 0
        public var exceptionsRaised = 0
        public var partitions = 0
    }

    /// Matches the ledger's cash movements of `date` against statement lines valued within the
    /// date window, partition by partition (by a hash of the reference, which keeps one-to-one
    /// matching exact), and raises one exception per non-match (once, however often it runs).
    public func match(businessDate date: BusinessDate) async throws -> MatchSummary {
        let logger = database.logger
        let window = rules.dateWindowDays
        let from = date.adding(days: -window), to = date.adding(days: window)
        let lineCount = try await database.client.withConnection { try await ReconciliationStore.countLines(from: from, to: to, on: $0, logger: logger) }
        let partitions = max(1, (lineCount + Self.partitionSize - 1) / Self.partitionSize)
        var summary = MatchSummary()
        summary.partitions = partitions
        let engine = MatchingEngine(rules: MatchingRules(dateWindowDays: window, amountToleranceMinorUnits: rules.amountToleranceMinorUnits))
        for partition in 0..<partitions {
            let (expected, actual) = try await database.client.withConnection { c in
                (try await ReconciliationStore.expectedCashItems(on: date, partition: partition, partitions: partitions, on: c, logger: logger),
                 try await ReconciliationStore.lines(from: from, to: to, partition: partition, partitions: partitions, on: c, logger: logger))
            }
            summary.expected += expected.count
            summary.actual += actual.count
            let result = engine.reconcile(expected: expected, actual: actual)
            summary.matched += result.matches.count
            // Lines of other dates inside the window belong to their own night unless matched here.
            let rows = result.exceptions.compactMap { Self.exceptionRow($0, date: date) }
            for chunk in stride(from: 0, to: rows.count, by: 2_000) {
                let slice = Array(rows[chunk..<min(chunk + 2_000, rows.count)])
                summary.exceptionsRaised += try await database.transaction { c in
                    try await ReconciliationStore.insertExceptions(slice, on: c, logger: logger)
                }
            }
        }
        return summary
    }

    typealias Row = (date: BusinessDate, kind: String, reference: String?, expected: Int64?, actual: Int64?, currency: String?, detail: String, key: String)

    static func exceptionRow(_ outcome: MatchOutcome, date: BusinessDate) -> Row? {
        switch outcome {
        case .matched:
            return nil
        case .missingFromStatement(let item):
            return (date, "missing_from_statement", item.reference, item.amount.minorUnits, nil, item.amount.currency.code,
                    "the ledger moved \(item.amount) (\(item.kind)) but no statement line shows it", "mfs:\(item.id)")
        case .missingFromLedger(let line):
            guard line.date == date else { return nil }
            return (date, "missing_from_ledger", line.reference, nil, line.amount.minorUnits, line.amount.currency.code,
                    "a statement line of \(line.amount) has no ledger movement", "mfl:\(line.id)")
        case .amountMismatch(let item, let line, let difference):
            return (date, "amount_mismatch", item.reference, item.amount.minorUnits, line.amount.minorUnits, item.amount.currency.code,
                    "amounts differ by \(difference)", "am:\(item.id):\(line.id)")
        case .dateMismatch(let item, let line, let days):
            return (date, "date_mismatch", item.reference, item.amount.minorUnits, line.amount.minorUnits, item.amount.currency.code,
                    "the statement shows it \(days) day(s) apart", "dm:\(item.id):\(line.id)")
        case .duplicate(let line, let first):
            return (date, "duplicate", line.reference, nil, line.amount.minorUnits, line.amount.currency.code,
                    "the statement shows reference \(line.reference ?? "-") again (first as \(first.id))", "dup:\(line.id)")
        }
    }

    // MARK: Exceptions workflow

    public func exceptions(businessDate: BusinessDate, limit: Int = 500) async throws -> [ExceptionRecord] {
        let logger = database.logger
        return try await database.client.withConnection { try await ReconciliationStore.exceptions(businessDate: businessDate, limit: limit, on: $0, logger: logger) }
    }

    /// Acknowledges (`note` nil) or resolves (with a note) an exception.
    public func advanceException(id: UUID, resolveWith note: String?, on date: BusinessDate, actor: Actor) async throws -> ExceptionRecord {
        let logger = database.logger
        return try await database.transaction { c in
            guard let row = try await ReconciliationStore.exception(id: id, forUpdate: true, on: c, logger: logger) else {
                throw ServiceError.notFound(resource: "reconciliation exception", id: id.uuidString.lowercased())
            }
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
            guard let updated = try await ReconciliationStore.exception(id: id, forUpdate: false, on: c, logger: logger) else {
                throw ServiceError.notFound(resource: "reconciliation exception", id: id.uuidString.lowercased())
            }
            return updated
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
    }

    public func proveLedger(controls: [ControlQuery] = ControlQuery.all) async throws -> LedgerProof {
        let logger = database.logger
        return try await database.client.withConnection { c in
            let violations = try await LedgerStore.integrityViolations(on: c, logger: logger)
            var checks: [ControlCheck] = []
            for control in controls {
                let sub = try await Self.total(control.subLedger, on: c, logger: logger)
                let ctl = try await Self.total(control.control, on: c, logger: logger)
                checks.append(ControlCheck(name: control.name, subLedger: sub, control: ctl))
            }
            return LedgerProof(violations: violations, controls: checks)
        }
    }
}

extension ReconciliationService {
    /// A control query's one `numeric::text` total, exactly.
    static func total(_ query: PostgresQuery, on c: PostgresConnection, logger: Logger) async throws -> Decimal {
        let text = try await c.query(query, logger: logger).all(String.self).first ?? "0"
        guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
            throw ServiceError.conflict(code: "control_total_unreadable", detail: "a control total was not a number")
        }
        return value
    }
}

/// A control-total check: two SQL sums that must agree (both in minor units, one currency world).
public struct ControlQuery: Sendable {
    public let name: String
    public let subLedger: PostgresQuery
    public let control: PostgresQuery

    public init(name: String, subLedger: PostgresQuery, control: PostgresQuery) {
        self.name = name
        self.subLedger = subLedger
        self.control = control
    }

    /// Receivables outstanding = payables to suppliers; live financing advances = financing accounts.
    public static let financing: [ControlQuery] = [
        ControlQuery(
            name: "receivables_outstanding",
            subLedger: "SELECT COALESCE(sum(GREATEST(face_amount - adjusted_amount, 0)), 0)::numeric::text FROM receivables WHERE status IN ('open', 'financed', 'disputed')",
            control: "SELECT COALESCE(-sum(balance), 0)::numeric::text FROM ledger_accounts WHERE code LIKE 'supplier.%.payable.%'"),
        ControlQuery(
            name: "financing_outstanding",
            subLedger: "SELECT COALESCE(sum(advance), 0)::numeric::text FROM financing_items WHERE status = 'active'",
            control: "SELECT COALESCE(sum(balance), 0)::numeric::text FROM ledger_accounts WHERE code LIKE 'supplier.%.financing.%'"),
        ControlQuery(
            name: "supplier_recourse",
            subLedger: "SELECT COALESCE(sum(recourse_owed), 0)::numeric::text FROM suppliers",
            control: "SELECT COALESCE(sum(balance), 0)::numeric::text FROM ledger_accounts WHERE code LIKE 'supplier.%.recourse.%'"),
    ]

    /// Claims paid to sellers = what the ledger owes sellers on claims.
    public static let insurance: [ControlQuery] = [
        ControlQuery(
            name: "claims_payable",
            subLedger: "SELECT COALESCE(sum(amount), 0)::numeric::text FROM insurance_claims WHERE status = 'paid'",
            control: "SELECT COALESCE(-sum(balance), 0)::numeric::text FROM ledger_accounts WHERE code LIKE 'insurance.claims_payable.%'"),
    ]

    /// Consumer loans: open principal plus unpaid late fees = the consumers' loan receivables.
    public static let credit: [ControlQuery] = [
        ControlQuery(
            name: "consumer_loans_outstanding",
            subLedger: """
                SELECT COALESCE(sum(principal - principal_paid + late_fee - late_fee_paid), 0)::numeric::text
                FROM credit_installments WHERE status = 'open'
                """,
            control: "SELECT COALESCE(sum(balance), 0)::numeric::text FROM ledger_accounts WHERE code LIKE 'credit.%.receivable'"),
    ]

    public static var all: [ControlQuery] { financing + insurance + credit }
}
