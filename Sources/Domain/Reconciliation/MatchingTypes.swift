/// Something our ledger says should appear on a bank statement or settlement file.
public struct ExpectedItem: Hashable, Sendable {
    /// Unique id of the ledger item (journal entry id, repayment id…); ties outcomes back to it.
    public let id: String
    /// The reference we expect the counterparty to quote (order reference, EndToEndId…).
    public let reference: String
    /// Signed from our account's side: money in positive, money out negative.
    public let amount: Money
    /// The business date we expect it on.
    public let date: BusinessDate
    /// What it is in ledger terms (`repayment`, `disbursement`, `settlement.payment`…); carried, not interpreted.
    public let kind: String
    /// A batch the counterparty settles it in (a channel payout id), for grouped matching.
    public let batchReference: String?
    /// Every reference the item can be quoted under, ours first, then the others in the order
    /// they are tried. Stored, not derived on each read: the matcher reads it for every item at
    /// every rank, and a derived array was an allocation each time.
    public let references: [String]

    /// Other references the counterparty may quote instead of `reference`, in the order they are
    /// tried: the platform's external reference (repayment, refund, receivable), then the order
    /// reference. See `MatchingEngine` for the order of the whole phase.
    public var alternateReferences: ArraySlice<String> { references.dropFirst() }

    public init(id: String, reference: String, amount: Money, date: BusinessDate, kind: String, batchReference: String? = nil,
                alternateReferences: [String] = []) {
        self.id = id
        self.reference = reference
        self.amount = amount
        self.date = date
        self.kind = kind
        self.batchReference = batchReference
        self.references = [reference] + alternateReferences.filter { !$0.isEmpty && $0 != reference }
    }
}

/// Where an actual line came from.
public enum ActualLineSource: Hashable, Sendable, CustomStringConvertible {
    /// A camt.053 entry (or one transaction of a batch entry) of the statement with this `Stmt/Id`.
    case bankStatement(statementId: String)
    /// A row of a payment channel's settlement file.
    case channelSettlement(channel: String)

    public var description: String {
        switch self {
        case .bankStatement(let id): "bank:\(id)"
        case .channelSettlement(let channel): "channel:\(channel)"
        }
    }
}

/// A line as the bank or channel reported it, to be matched against expected items.
public struct ActualLine: Hashable, Sendable {
    /// Unique id of the line within the run (e.g. `statementId/entryIndex`, a channel txn id).
    public let id: String
    /// Our reference as the counterparty quoted it, if it quoted one.
    public let reference: String?
    /// Signed from our account's side: money in positive, money out negative.
    public let amount: Money
    public let date: BusinessDate
    public let source: ActualLineSource
    /// The batch this line settles (a channel payout id), for one-to-many matching.
    public let batchReference: String?
    /// The references of the several items one line pays at once when the counterparty names them
    /// without an amount each (a bank batch booking whose transactions carry only their
    /// end-to-end ids): the line matches the items so named as one group.
    public let namedReferences: [String]

    public init(
        id: String, reference: String?, amount: Money, date: BusinessDate, source: ActualLineSource,
        batchReference: String? = nil, namedReferences: [String] = []
    ) {
        self.id = id
        self.reference = reference
        self.amount = amount
        self.date = date
        self.source = source
        self.batchReference = batchReference
        self.namedReferences = namedReferences.filter { !$0.isEmpty }
    }
}

/// How items are pooled for grouped (one-to-many / many-to-one) matching.
public enum GroupMatching: Hashable, Sendable {
    /// All unmatched items of one currency and business date form one group; its signed sum must
    /// equal the single line within tolerance, on a date within the date window.
    case sameDate
    /// Items sharing a batch reference form a group, matched to the single line whose
    /// `batchReference` (else `reference`) names it; the group's date is its latest item's.
    case batchReference
    /// Items, or lines, quoting the same reference (and direction) form a group: a payment split
    /// in parts under one order reference, or one transfer settling several items of one reference.
    /// Tried in phase 1, before a reference pair is called a mismatch; on whenever the direction's
    /// grouped matching is on at all.
    case sameReference
}

/// The knobs of the matching engine. Negative values are treated as zero.
public struct MatchingRules: Hashable, Sendable {
    /// How many calendar days apart an expected item and its line may be (0 = same day).
    public let dateWindowDays: Int
    /// How many minor units the amounts may differ by and still match (0 = exact).
    public let amountToleranceMinorUnits: Int64
    /// One actual line settles several expected items (a bank credit = a day's channel lines). nil = off.
    public let oneToMany: GroupMatching?
    /// Several actual lines settle one expected item (a payout split in parts). nil = off.
    public let manyToOne: GroupMatching?

    public init(
        dateWindowDays: Int = 0, amountToleranceMinorUnits: Int64 = 0,
        oneToMany: GroupMatching? = nil, manyToOne: GroupMatching? = nil
    ) {
        self.dateWindowDays = max(0, dateWindowDays)
        self.amountToleranceMinorUnits = max(0, amountToleranceMinorUnits)
        self.oneToMany = oneToMany
        self.manyToOne = manyToOne
    }

    /// Same reference, same amount, same day.
    public static let exact = MatchingRules()

    /// Whether any grouped matching is on (such matches can cross references).
    public var usesGroupMatching: Bool { oneToMany != nil || manyToOne != nil }
}

/// Expected items and actual lines found to settle each other.
public struct ReconciliationMatch: Hashable, Sendable {
    /// How a match was found.
    public enum Kind: Hashable, Sendable {
        /// Same reference, amount within tolerance, date within the window.
        case reference
        /// One actual line equals the sum of several expected items, grouped as given.
        case oneToMany(GroupMatching)
        /// Several actual lines sum to one expected item, grouped as given.
        case manyToOne(GroupMatching)
    }

    public let kind: Kind
    public let expected: [ExpectedItem]
    public let actual: [ActualLine]
    /// Actual total minus expected total (zero unless a tolerance allowed a difference).
    public let difference: Money

    public init(kind: Kind, expected: [ExpectedItem], actual: [ActualLine], difference: Money) {
        self.kind = kind
        self.expected = expected
        self.actual = actual
        self.difference = difference
    }
}

/// One verdict of a reconciliation run.
public enum MatchOutcome: Hashable, Sendable {
    case matched(ReconciliationMatch)
    /// Expected, but nothing on the statement settles it.
    case missingFromStatement(ExpectedItem)
    /// On the statement, but nothing in the ledger expects it.
    case missingFromLedger(ActualLine)
    /// Same reference and direction, amounts differ beyond tolerance; `difference` = actual − expected.
    case amountMismatch(expected: ExpectedItem, actual: ActualLine, difference: Money)
    /// Same reference, amount within tolerance, but further apart than the date window;
    /// `days` = from the expected date to the actual date.
    case dateMismatch(expected: ExpectedItem, actual: ActualLine, days: Int)
    /// The reference (and direction) appears again on the statement; `of` is the line it repeats
    /// (the one matched, if any).
    case duplicate(ActualLine, of: ActualLine)

    /// Whether this outcome needs a person (everything but `matched`).
    public var isException: Bool {
        if case .matched = self { return false }
        return true
    }

    /// The reference the outcome is about (the expected item's, else the line's).
    public var reference: String? {
        switch self {
        case .matched(let match): match.expected.first?.reference ?? match.actual.first?.reference
        case .missingFromStatement(let item): item.reference
        case .missingFromLedger(let line): line.reference
        case .amountMismatch(let item, _, _), .dateMismatch(let item, _, _): item.reference
        case .duplicate(let line, _): line.reference
        }
    }
}

/// The outcomes of a run, in a deterministic order, with counts for the run record.
public struct ReconciliationResult: Hashable, Sendable {
    public let outcomes: [MatchOutcome]

    public init(outcomes: [MatchOutcome]) {
        self.outcomes = OutcomeOrder.sorted(outcomes)
    }

    /// Results of separate partitions as one result, in the same deterministic order.
    public static func merging(_ results: [ReconciliationResult]) -> ReconciliationResult {
        ReconciliationResult(outcomes: results.flatMap(\.outcomes))
    }

    public var matches: [ReconciliationMatch] {
        outcomes.compactMap { if case .matched(let match) = $0 { match } else { nil } }
    }

    public var exceptions: [MatchOutcome] { outcomes.filter(\.isException) }
}

/// The deterministic order of outcomes: by date, then kind of verdict, then reference and ids.
enum OutcomeOrder {
    struct Key {
        let day: Int
        let rank: Int
        let reference: String
        let ids: [String]

        static func < (a: Key, b: Key) -> Bool {
            if a.day != b.day { return a.day < b.day }
            if a.rank != b.rank { return a.rank < b.rank }
            if a.reference != b.reference { return a.reference < b.reference }
            return a.ids.lexicographicallyPrecedes(b.ids)
        }
    }

    /// Sorts by keys computed once per outcome: O(k log k).
    static func sorted(_ outcomes: [MatchOutcome]) -> [MatchOutcome] {
        outcomes.map { (key($0), $0) }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    static func key(_ outcome: MatchOutcome) -> Key {
        switch outcome {
        case .matched(let match):
            let day = (match.expected.first?.date ?? match.actual.first?.date)?.daysSinceEpoch ?? 0
            let ids = match.expected.map { "e:" + $0.id } + match.actual.map { "a:" + $0.id }
            return Key(day: day, rank: 0, reference: outcome.reference ?? "", ids: ids)
        case .amountMismatch(let item, let line, _):
            return Key(day: item.date.daysSinceEpoch, rank: 1, reference: item.reference, ids: ["e:" + item.id, "a:" + line.id])
        case .dateMismatch(let item, let line, _):
            return Key(day: item.date.daysSinceEpoch, rank: 2, reference: item.reference, ids: ["e:" + item.id, "a:" + line.id])
        case .duplicate(let line, let original):
            return Key(day: line.date.daysSinceEpoch, rank: 3, reference: line.reference ?? "", ids: ["a:" + line.id, "a:" + original.id])
        case .missingFromStatement(let item):
            return Key(day: item.date.daysSinceEpoch, rank: 4, reference: item.reference, ids: ["e:" + item.id])
        case .missingFromLedger(let line):
            return Key(day: line.date.daysSinceEpoch, rank: 5, reference: line.reference ?? "", ids: ["a:" + line.id, line.source.description])
        }
    }
}
