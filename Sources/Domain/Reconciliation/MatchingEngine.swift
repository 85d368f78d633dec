/// Matches what the ledger expects against what a bank statement or settlement file reports.
///
/// A run is a pure function of (expected items, actual lines, rules); the output order does not
/// depend on the input order. Phases, each working only on what the previous left over:
///
/// 1. **By reference.** A counterparty quotes whichever reference it knows, so every item carries
///    several (`ExpectedItem.references`), tried in this order: our own reference (the entry's
///    business id, the end-to-end id we sent), then the platform's external reference (repayment,
///    refund, receivable), then the order reference. Each rank in turn pairs exact matches (and
///    splits under one reference); what is left is then paired under any of its references for the
///    verdicts below. Items and lines are keyed by (currency, reference, direction); a key's
///    items pair with its lines in date order: amount within tolerance and date within the window
///    → `matched`; amount within tolerance only → `dateMismatch`; otherwise → `amountMismatch`.
///    Lines beyond those paired, when the key occurs more than once on the statement, are
///    `duplicate`s. Direction is part of the key, so a payment and its refund under one order
///    reference are not duplicates of each other.
///    When grouped matching is on for a direction, a key whose lines (or items) together equal one
///    item (or line) within tolerance, dates within the window, matches as a group first
///    (`GroupMatching.sameReference`): 18.00 + 12.00 quoted against 30.00 is a split payment, not a
///    mismatch and a duplicate.
/// 2. **One-to-many** (if enabled): first a line that names its items without an amount each
///    (`ActualLine.namedReferences`, a bank batch booking) against exactly the open items it names,
///    one per name under any of the item's references, their signed sum within tolerance and every
///    date within the window; then one line against the signed sum of a whole group of expected
///    items (a day's items, or a batch reference's), within tolerance.
/// 3. **Many-to-one** (if enabled): one expected item against the signed sum of a group of lines.
/// 4. What is left: `missingFromStatement` (expected) and `missingFromLedger` (lines).
///
/// Groups are matched whole — finding a subset of a day's items that sums to a credit is subset-sum
/// (exponential), so feed the engine one channel's or one account's items per run, or use batch
/// references, when days mix several payouts.
///
/// Complexity: sorting O(n log n); keying and grouping O(n) with hash maps; pairing within one
/// key is O(e·a) for its e items and a lines, which is 1×1 for unique references; grouped matching
/// probes (2·window + 1) dates per leftover. Memory O(n).
///
/// Large volumes: run per partition and merge with `ReconciliationResult.merging`. Partitioning by
/// currency, or by reference prefix when grouped matching is off, gives exactly the whole-run
/// result (`reconcile(expected:actual:partitionedBy:)` checks this). A nightly run per business
/// date should load the lines of that date and the unmatched expected items of
/// [date − window, date + window], and carry unmatched items to the next run.
public struct MatchingEngine: Sendable {
    public let rules: MatchingRules

    public init(rules: MatchingRules = .exact) {
        self.rules = rules
    }

    /// Reconciles one partition (or everything) in one pass.
    public func reconcile(expected: [ExpectedItem], actual: [ActualLine]) -> ReconciliationResult {
        var run = MatchingRun(rules: rules, expected: expected, actual: actual)
        run.matchByReference()
        if rules.oneToMany != nil { run.matchNamedBatches() }
        if let grouping = rules.oneToMany { run.matchOneToMany(grouping) }
        if let grouping = rules.manyToOne { run.matchManyToOne(grouping) }
        run.reportLeftovers()
        return ReconciliationResult(outcomes: run.outcomes)
    }

    /// Splits the inputs by `partitioning`, reconciles each partition separately and merges.
    /// Refuses a partitioning that could change the outcome under these rules.
    public func reconcile(
        expected: [ExpectedItem], actual: [ActualLine], partitionedBy partitioning: MatchingPartitioning
    ) throws(MatchingPartitionError) -> ReconciliationResult {
        guard partitioning.preservesOutcomes(under: rules) else {
            throw .groupMatchingCrossesReferences(partitioning)
        }
        var expectedParts: [String: [ExpectedItem]] = [:]
        var actualParts: [String: [ActualLine]] = [:]
        for item in expected { expectedParts[partitioning.key(for: item), default: []].append(item) }
        for line in actual { actualParts[partitioning.key(for: line), default: []].append(line) }
        let keys = Set(expectedParts.keys).union(actualParts.keys).sorted()
        return .merging(keys.map { key in
            reconcile(expected: expectedParts[key] ?? [], actual: actualParts[key] ?? [])
        })
    }
}

/// How to split a reconciliation into independent partitions.
public enum MatchingPartitioning: Hashable, Sendable {
    /// One partition per currency: always outcome-preserving (nothing matches across currencies).
    case currency
    /// One partition per currency and the first `length` characters of the reference; lines without
    /// a reference form their own partition. Outcome-preserving only without grouped matching.
    case referencePrefix(length: Int)

    /// The partition an expected item belongs to.
    public func key(for item: ExpectedItem) -> String { key(currency: item.amount.currency, reference: item.reference) }

    /// The partition an actual line belongs to.
    public func key(for line: ActualLine) -> String {
        key(currency: line.amount.currency, reference: MatchingRun.normalized(line.reference) ?? "")
    }

    /// Whether reconciling partitions separately yields exactly the whole-run result under `rules`.
    public func preservesOutcomes(under rules: MatchingRules) -> Bool {
        switch self {
        case .currency: true
        case .referencePrefix: !rules.usesGroupMatching
        }
    }

    private func key(currency: Currency, reference: String) -> String {
        switch self {
        case .currency: currency.code
        case .referencePrefix(let length): currency.code + "|" + String(reference.prefix(max(0, length)))
        }
    }
}

/// Why a partitioned reconciliation was refused.
public enum MatchingPartitionError: Error, Hashable, Sendable {
    /// Grouped matching pools items across references, so reference partitions would change results.
    case groupMatchingCrossesReferences(MatchingPartitioning)
}

/// The mutable state of one `reconcile` call.
struct MatchingRun {
    private struct ReferenceKey: Hashable {
        let currency: String
        let reference: String
        let inflow: Bool
    }

    private struct GroupKey: Hashable {
        let currency: String
        let date: Int
        let batch: String?
    }

    private let rules: MatchingRules
    private let expected: [ExpectedItem]
    private let actual: [ActualLine]
    private var expectedDone: [Bool]
    private var actualDone: [Bool]
    private(set) var outcomes: [MatchOutcome] = []

    init(rules: MatchingRules, expected: [ExpectedItem], actual: [ActualLine]) {
        self.rules = rules
        // Canonical input order makes every tie-break below independent of the caller's order.
        self.expected = Self.canonical(expected)
        self.actual = Self.canonical(actual)
        self.expectedDone = Array(repeating: false, count: expected.count)
        self.actualDone = Array(repeating: false, count: actual.count)
    }

    /// `items` in the order of `precedes`, sorted through their indices and compared in place (through
    /// a buffer, with the concrete comparison): an element is neither copied at every merge of the
    /// sort nor at every comparison (items and lines hold several strings each, so a copy is a
    /// handful of reference-count operations; at a million a night that was most of the sort).
    private static func canonical(_ items: [ExpectedItem]) -> [ExpectedItem] {
        items.withUnsafeBufferPointer { b in
            var order = Array(b.indices)
            order.sort { precedes(b[$0], b[$1]) }
            return order.map { b[$0] }
        }
    }

    private static func canonical(_ lines: [ActualLine]) -> [ActualLine] {
        lines.withUnsafeBufferPointer { b in
            var order = Array(b.indices)
            order.sort { precedes(b[$0], b[$1]) }
            return order.map { b[$0] }
        }
    }

    /// An empty reference is no reference.
    static func normalized(_ reference: String?) -> String? {
        guard let reference, !reference.isEmpty else { return nil }
        return reference
    }

    // MARK: Phase 1: by reference

    mutating func matchByReference() {
        let ranks = expected.map(\.references.count).max() ?? 1
        for rank in 0..<ranks {
            var expectedByKey: [ReferenceKey: [Int]] = [:]
            for (index, item) in expected.enumerated() where !expectedDone[index] && rank < item.references.count {
                expectedByKey[Self.key(item.amount, item.references[rank]), default: []].append(index)
            }
            for (key, lines) in linesByKey(includeDone: false) {
                guard let items = expectedByKey[key] else { continue }
                pair(items: items, lines: lines, verdicts: false)
            }
        }
        var expectedByKey: [ReferenceKey: [Int]] = [:]
        for (index, item) in expected.enumerated() where !expectedDone[index] {
            for reference in item.references { expectedByKey[Self.key(item.amount, reference), default: []].append(index) }
        }
        // Keys are independent of each other, so dictionary order cannot change the outcomes. Lines
        // matched above stay in their key, so a repeat of a matched line is called a duplicate of it.
        for (key, lines) in linesByKey(includeDone: true) {
            pair(items: expectedByKey[key] ?? [], lines: lines, verdicts: true)
        }
    }

    /// Lines with a reference, by key (only the open ones unless `includeDone`).
    private func linesByKey(includeDone: Bool) -> [ReferenceKey: [Int]] {
        var actualByKey: [ReferenceKey: [Int]] = [:]
        for (index, line) in actual.enumerated() where includeDone || !actualDone[index] {
            guard let reference = Self.normalized(line.reference) else { continue }
            actualByKey[Self.key(line.amount, reference), default: []].append(index)
        }
        return actualByKey
    }

    /// Pairs one key's items and lines. Without `verdicts` only exact matches and splits are
    /// taken (a reference rank's pass); with them, mismatches and duplicates are called too.
    private mutating func pair(items: [Int], lines: [Int], verdicts: Bool) {
        // Best evidence first: amount and date, then a split or batch under the reference, then amount only, then reference only.
        for item in items where !expectedDone[item] {
            for line in lines where !actualDone[line] {
                guard amountWithinTolerance(actual[line].amount, expected[item].amount),
                      dateWithinWindow(actual[line].date, expected[item].date) else { continue }
                record(.matched(ReconciliationMatch(
                    kind: .reference, expected: [expected[item]], actual: [actual[line]],
                    difference: Self.difference(actual[line].amount, expected[item].amount)
                )), items: [item], lines: [line])
                break
            }
        }
        if rules.manyToOne != nil { pairSplits(items: items, lines: lines) }
        if rules.oneToMany != nil { pairBatches(items: items, lines: lines) }
        guard verdicts else { return }
        for item in items where !expectedDone[item] {
            for line in lines where !actualDone[line] {
                guard amountWithinTolerance(actual[line].amount, expected[item].amount) else { continue }
                record(.dateMismatch(
                    expected: expected[item], actual: actual[line],
                    days: expected[item].date.days(until: actual[line].date)
                ), items: [item], lines: [line])
                break
            }
        }
        for item in items where !expectedDone[item] {
            guard let line = lines.first(where: { !actualDone[$0] }) else { break }
            record(.amountMismatch(
                expected: expected[item], actual: actual[line],
                difference: Self.difference(actual[line].amount, expected[item].amount)
            ), items: [item], lines: [line])
        }
        guard lines.count > 1 else { return }
        let leftover = lines.filter { !actualDone[$0] }
        guard let first = leftover.first else { return }
        // Repeat of the line already accounted for, else of the first one, which stays open. With
        // nothing accounted for, only a line of the first one's amount repeats it: lines of other
        // amounts under one reference are the parts of a split whose item is not booked yet, each
        // missing from the ledger (and free to match as a split when it is), never a duplicate.
        if let anchor = lines.first(where: { actualDone[$0] }) {
            for line in leftover { record(.duplicate(actual[line], of: actual[anchor]), items: [], lines: [line]) }
        } else {
            for line in leftover.dropFirst() where actual[line].amount == actual[first].amount {
                record(.duplicate(actual[line], of: actual[first]), items: [], lines: [line])
            }
        }
    }

    /// Several lines of one reference settle one item of it: all the key's open lines, or none.
    private mutating func pairSplits(items: [Int], lines: [Int]) {
        let open = lines.filter { !actualDone[$0] }
        guard open.count > 1 else { return }
        for item in items where !expectedDone[item] {
            guard let sum = Self.sum(open.map { actual[$0].amount }), amountWithinTolerance(sum, expected[item].amount),
                  open.allSatisfy({ dateWithinWindow(actual[$0].date, expected[item].date) }) else { continue }
            record(.matched(ReconciliationMatch(
                kind: .manyToOne(.sameReference), expected: [expected[item]], actual: open.map { actual[$0] },
                difference: Self.difference(sum, expected[item].amount)
            )), items: [item], lines: open)
            return
        }
    }

    /// One line of a reference settles several items of it: all the key's open items, or none.
    private mutating func pairBatches(items: [Int], lines: [Int]) {
        let open = items.filter { !expectedDone[$0] }
        guard open.count > 1 else { return }
        for line in lines where !actualDone[line] {
            guard let sum = Self.sum(open.map { expected[$0].amount }), amountWithinTolerance(actual[line].amount, sum),
                  open.allSatisfy({ dateWithinWindow(actual[line].date, expected[$0].date) }) else { continue }
            record(.matched(ReconciliationMatch(
                kind: .oneToMany(.sameReference), expected: open.map { expected[$0] }, actual: [actual[line]],
                difference: Self.difference(actual[line].amount, sum)
            )), items: open, lines: [line])
            return
        }
    }

    // MARK: Phases 2 and 3: grouped

    /// A line naming several items pays exactly those items: each name must find its own open item
    /// (same currency and direction, under any of the item's references, canonical order first),
    /// or the line matches nothing here.
    mutating func matchNamedBatches() {
        let named = actual.indices.filter { !actualDone[$0] && actual[$0].namedReferences.count > 1 }
        guard !named.isEmpty else { return }
        var byKey: [ReferenceKey: [Int]] = [:]
        for (index, item) in expected.enumerated() where !expectedDone[index] {
            for reference in item.references { byKey[Self.key(item.amount, reference), default: []].append(index) }
        }
        for line in named {
            let single = actual[line]
            var members: [Int] = []
            for reference in single.namedReferences {
                guard let item = byKey[Self.key(single.amount, reference)]?.first(where: { !expectedDone[$0] && !members.contains($0) }) else {
                    members = []
                    break
                }
                members.append(item)
            }
            guard !members.isEmpty, let sum = Self.sum(members.map { expected[$0].amount }), amountWithinTolerance(single.amount, sum),
                  members.allSatisfy({ dateWithinWindow(single.date, expected[$0].date) }) else { continue }
            record(.matched(ReconciliationMatch(
                kind: .oneToMany(.batchReference), expected: members.map { expected[$0] }, actual: [single],
                difference: Self.difference(single.amount, sum)
            )), items: members, lines: [line])
        }
    }

    mutating func matchOneToMany(_ grouping: GroupMatching) { matchAgainstGroups(grouping, singleIsLine: true) }

    mutating func matchManyToOne(_ grouping: GroupMatching) { matchAgainstGroups(grouping, singleIsLine: false) }

    /// What grouped matching reads of an item or a line.
    private struct Leg {
        let amount: Money
        let date: BusinessDate
        let batch: String?
        let reference: String?
    }

    /// One-to-many (a line against a group of items) and many-to-one (an item against a group of
    /// lines) are one pass, mirrored: each leftover of one side against the signed sum of a whole
    /// group of the other side's leftovers, nearest group first; a group is used once.
    private mutating func matchAgainstGroups(_ grouping: GroupMatching, singleIsLine: Bool) {
        let (expected, actual) = (self.expected, self.actual)
        func leg(_ index: Int, line: Bool) -> Leg {
            line ? Leg(amount: actual[index].amount, date: actual[index].date, batch: actual[index].batchReference, reference: actual[index].reference)
                : Leg(amount: expected[index].amount, date: expected[index].date, batch: expected[index].batchReference,
                      reference: expected[index].reference)
        }
        let (singlesDone, othersDone) = singleIsLine ? (actualDone, expectedDone) : (expectedDone, actualDone)
        let groups = groupIndices(othersDone.indices.filter { !othersDone[$0] }, grouping: grouping) {
            let other = leg($0, line: !singleIsLine)
            return (other.amount.currency, other.date, other.batch)
        }
        var used = Set<GroupKey>()
        // Recording marks only this single and the other side's members, so the snapshot of this side stays current.
        for index in singlesDone.indices where !singlesDone[index] {
            let single = leg(index, line: singleIsLine)
            let candidates = candidateKeys(
                currency: single.amount.currency, date: single.date,
                batches: [single.batch, Self.normalized(single.reference)], grouping: grouping
            )
            for key in candidates where !used.contains(key) {
                guard let members = groups[key],
                      let sum = Self.sum(members.map { leg($0, line: !singleIsLine).amount }),
                      amountWithinTolerance(single.amount, sum),
                      grouping == .sameDate || dateWithinWindow(single.date, members.map { leg($0, line: !singleIsLine).date }.max() ?? single.date)
                else { continue }
                used.insert(key)
                let match = singleIsLine
                    ? ReconciliationMatch(kind: .oneToMany(grouping), expected: members.map { expected[$0] }, actual: [actual[index]],
                                          difference: Self.difference(single.amount, sum))
                    : ReconciliationMatch(kind: .manyToOne(grouping), expected: [expected[index]], actual: members.map { actual[$0] },
                                          difference: Self.difference(sum, single.amount))
                record(.matched(match), items: singleIsLine ? members : [index], lines: singleIsLine ? [index] : members)
                break
            }
        }
    }

    /// Groups indices (kept in canonical order) by currency and date, or currency and batch reference.
    private func groupIndices(
        _ indices: [Int], grouping: GroupMatching,
        _ attributes: (Int) -> (currency: Currency, date: BusinessDate, batch: String?)
    ) -> [GroupKey: [Int]] {
        var groups: [GroupKey: [Int]] = [:]
        for index in indices {
            let (currency, date, batch) = attributes(index)
            switch grouping {
            case .sameDate:
                groups[GroupKey(currency: currency.code, date: date.daysSinceEpoch, batch: nil), default: []].append(index)
            case .batchReference:
                guard let batch = Self.normalized(batch) else { continue }
                groups[GroupKey(currency: currency.code, date: 0, batch: batch), default: []].append(index)
            case .sameReference:
                continue  // matched in phase 1
            }
        }
        return groups
    }

    /// Group keys to try for one single item, nearest date first (earlier before later on ties).
    private func candidateKeys(
        currency: Currency, date: BusinessDate, batches: [String?], grouping: GroupMatching
    ) -> [GroupKey] {
        switch grouping {
        case .sameDate:
            var keys = [GroupKey(currency: currency.code, date: date.daysSinceEpoch, batch: nil)]
            if rules.dateWindowDays > 0 {
                for offset in 1...rules.dateWindowDays {
                    keys.append(GroupKey(currency: currency.code, date: date.daysSinceEpoch - offset, batch: nil))
                    keys.append(GroupKey(currency: currency.code, date: date.daysSinceEpoch + offset, batch: nil))
                }
            }
            return keys
        case .batchReference:
            var seen = Set<String>()
            return batches.compactMap { $0 }.filter { seen.insert($0).inserted }
                .map { GroupKey(currency: currency.code, date: 0, batch: $0) }
        case .sameReference:
            return []
        }
    }

    // MARK: Phase 4

    mutating func reportLeftovers() {
        for item in expected.indices where !expectedDone[item] {
            record(.missingFromStatement(expected[item]), items: [item], lines: [])
        }
        for line in actual.indices where !actualDone[line] {
            record(.missingFromLedger(actual[line]), items: [], lines: [line])
        }
    }

    // MARK: Helpers

    private mutating func record(_ outcome: MatchOutcome, items: [Int], lines: [Int]) {
        for item in items { expectedDone[item] = true }
        for line in lines { actualDone[line] = true }
        outcomes.append(outcome)
    }

    private func amountWithinTolerance(_ a: Money, _ b: Money) -> Bool {
        guard a.currency == b.currency else { return false }
        let (difference, overflow) = a.minorUnits.subtractingReportingOverflow(b.minorUnits)
        return !overflow && difference.magnitude <= UInt64(rules.amountToleranceMinorUnits)
    }

    private func dateWithinWindow(_ a: BusinessDate, _ b: BusinessDate) -> Bool {
        abs(a.days(until: b)) <= rules.dateWindowDays
    }

    /// `a − b`; the amounts were compared within tolerance or share a currency, so overflow is only
    /// possible for absurd inputs, where the difference saturates rather than trapping.
    private static func difference(_ a: Money, _ b: Money) -> Money {
        let (value, overflow) = a.minorUnits.subtractingReportingOverflow(b.minorUnits)
        let saturated = overflow ? (a.minorUnits < b.minorUnits ? Int64.min : Int64.max) : value
        return Money(minorUnits: saturated, currency: a.currency)
    }

    private static func sum(_ amounts: [Money]) -> Money? {
        guard var total = amounts.first else { return nil }
        for amount in amounts.dropFirst() {
            guard let next = try? total.adding(amount) else { return nil }
            total = next
        }
        return total
    }

    private static func key(_ amount: Money, _ reference: String) -> ReferenceKey {
        ReferenceKey(currency: amount.currency.code, reference: reference, inflow: amount.minorUnits >= 0)
    }

    private static func precedes(_ a: ExpectedItem, _ b: ExpectedItem) -> Bool {
        if a.date != b.date { return a.date < b.date }
        if a.reference != b.reference { return a.reference < b.reference }
        if a.amount != b.amount { return a.amount < b.amount }
        if a.id != b.id { return a.id < b.id }
        if a.kind != b.kind { return a.kind < b.kind }
        return (a.batchReference ?? "") < (b.batchReference ?? "")
    }

    private static func precedes(_ a: ActualLine, _ b: ActualLine) -> Bool {
        if a.date != b.date { return a.date < b.date }
        if (a.reference ?? "") != (b.reference ?? "") { return (a.reference ?? "") < (b.reference ?? "") }
        if a.amount != b.amount { return a.amount < b.amount }
        if a.id != b.id { return a.id < b.id }
        if a.source.description != b.source.description { return a.source.description < b.source.description }
        return (a.batchReference ?? "") < (b.batchReference ?? "")
    }
}

extension StatementEntry {
    /// The entry as lines for matching. A batch entry whose transactions all carry amounts in the
    /// entry's currency that sum to the entry becomes one line per transaction (id
    /// `statementId/index/n`, reference its EndToEndId, batch reference the entry's batch id or bank
    /// reference); anything else is one line (id `statementId/index`, reference the single
    /// transaction's EndToEndId or InstrId). Dated by booking date, else value date, else `defaultDate`.
    public func actualLines(defaultDate: BusinessDate) -> [ActualLine] {
        let date = bookingDate ?? valueDate ?? defaultDate
        let source = ActualLineSource.bankStatement(statementId: statementId)
        let batchReference = batchPaymentInformationId ?? transactions.first?.paymentInformationId
        let parts = transactions.compactMap { detail -> Money? in
            guard let amount = detail.amount, amount.currency == self.amount.currency else { return nil }
            return (detail.creditDebit ?? creditDebit).signed(amount)
        }
        if transactions.count > 1, parts.count == transactions.count,
           let total = try? parts.dropFirst().reduce(parts[0], { try $0.adding($1) }), total == signedAmount {
            return zip(transactions, parts).enumerated().map { number, pair in
                ActualLine(
                    id: "\(statementId)/\(index)/\(number)", reference: Self.reference(of: pair.0),
                    amount: pair.1, date: date, source: source,
                    batchReference: batchReference ?? accountServicerReference
                )
            }
        }
        let reference = transactions.count == 1 ? transactions.first.flatMap(Self.reference(of:)) : nil
        // A batch whose transactions name their items without an amount each: one line naming them all.
        let named = transactions.count > 1 ? transactions.compactMap(Self.reference(of:)) : []
        return [ActualLine(
            id: "\(statementId)/\(index)", reference: reference, amount: signedAmount, date: date, source: source,
            batchReference: batchReference, namedReferences: named.count == transactions.count ? named : []
        )]
    }

    /// The return reason of each line `actualLines` makes, in the same order: a line per
    /// transaction carries its own; a single-transaction entry's one line carries that one's.
    public func returnReasons(lineCount: Int) -> [String?] {
        if lineCount == transactions.count { return transactions.map(\.returnReason) }
        return Array(repeating: transactions.count == 1 ? transactions[0].returnReason : nil, count: lineCount)
    }

    private static func reference(of detail: TransactionDetail) -> String? {
        detail.meaningfulEndToEndId ?? detail.instructionId
    }
}
