import Foundation
import Testing
import Domain

@Suite("statement matching")
struct ReconciliationMatchingTests {
    private static let day = BusinessDate(year: 2026, month: 11, day: 26) ?? BusinessDate(daysSinceEpoch: 0)

    private func cny(_ minorUnits: Int64) -> Money { Money(minorUnits: minorUnits, currency: .cny) }

    private func item(_ id: String, _ reference: String, _ minor: Int64, day offset: Int = 0, batch: String? = nil) -> ExpectedItem {
        ExpectedItem(id: id, reference: reference, amount: cny(minor), date: Self.day.adding(days: offset), kind: "repayment", batchReference: batch)
    }

    private func line(_ id: String, _ reference: String?, _ minor: Int64, day offset: Int = 0, batch: String? = nil) -> ActualLine {
        ActualLine(id: id, reference: reference, amount: cny(minor), date: Self.day.adding(days: offset), source: .bankStatement(statementId: "S1"), batchReference: batch)
    }

    @Test("same reference, amount and day match one to one")
    func exactMatch() {
        let result = MatchingEngine().reconcile(expected: [item("e1", "ORD-1", 10_000)], actual: [line("a1", "ORD-1", 10_000)])
        #expect(result.outcomes == [.matched(ReconciliationMatch(
            kind: .reference, expected: [item("e1", "ORD-1", 10_000)], actual: [line("a1", "ORD-1", 10_000)], difference: cny(0)
        ))])
        #expect(result.exceptions.isEmpty)
    }

    @Test("a line a day late is a date mismatch with no window and a match with a two-day window")
    func dateWindow() {
        let expected = [item("e1", "ORD-1", 10_000)]
        let actual = [line("a1", "ORD-1", 10_000, day: 1)]
        #expect(MatchingEngine().reconcile(expected: expected, actual: actual).outcomes
            == [.dateMismatch(expected: expected[0], actual: actual[0], days: 1)])
        let windowed = MatchingEngine(rules: MatchingRules(dateWindowDays: 2)).reconcile(expected: expected, actual: actual)
        #expect(windowed.matches.count == 1)
        #expect(windowed.exceptions.isEmpty)
        let tooLate = MatchingEngine(rules: MatchingRules(dateWindowDays: 2))
            .reconcile(expected: expected, actual: [line("a1", "ORD-1", 10_000, day: 3)])
        #expect(tooLate.matches.isEmpty)
    }

    @Test("an amount off by one fen is a mismatch with the difference, unless the tolerance allows it")
    func amountTolerance() {
        let expected = [item("e1", "ORD-1", 10_000)]
        let actual = [line("a1", "ORD-1", 9_999)]
        #expect(MatchingEngine().reconcile(expected: expected, actual: actual).outcomes
            == [.amountMismatch(expected: expected[0], actual: actual[0], difference: cny(-1))])
        let tolerant = MatchingEngine(rules: MatchingRules(amountToleranceMinorUnits: 1)).reconcile(expected: expected, actual: actual)
        #expect(tolerant.matches.map(\.difference) == [cny(-1)])
        let beyond = MatchingEngine(rules: MatchingRules(amountToleranceMinorUnits: 1))
            .reconcile(expected: expected, actual: [line("a1", "ORD-1", 9_998)])
        #expect(beyond.outcomes.first.map { if case .amountMismatch = $0 { true } else { false } } == true)
    }

    @Test("a reference twice on the statement is a duplicate of the matched line")
    func duplicateReference() {
        let expected = [item("e1", "ORD-1", 10_000)]
        let actual = [line("a2", "ORD-1", 10_000), line("a1", "ORD-1", 10_000)]
        let result = MatchingEngine().reconcile(expected: expected, actual: actual)
        #expect(result.matches.count == 1)
        #expect(result.matches.first?.actual.map(\.id) == ["a1"])
        #expect(result.exceptions == [.duplicate(actual[0], of: actual[1])])

        // With nothing expected, the first stays missing from the ledger and the second is its duplicate.
        let unexpected = MatchingEngine().reconcile(expected: [], actual: actual)
        #expect(unexpected.outcomes == [.duplicate(actual[0], of: actual[1]), .missingFromLedger(actual[1])])
    }

    @Test("a payment and its refund under one reference are not duplicates")
    func refundIsNotDuplicate() {
        let expected = [item("e1", "ORD-1", 10_000), item("e2", "ORD-1", -10_000)]
        let actual = [line("a1", "ORD-1", 10_000), line("a2", "ORD-1", -10_000)]
        let result = MatchingEngine().reconcile(expected: expected, actual: actual)
        #expect(result.matches.count == 2)
        #expect(result.exceptions.isEmpty)
        // Unexpected, they are two unknown lines, not one line and its duplicate.
        let unexpected = MatchingEngine().reconcile(expected: [], actual: actual)
        #expect(unexpected.outcomes == [.missingFromLedger(actual[0]), .missingFromLedger(actual[1])])
    }

    @Test("unmatched items on either side are reported missing")
    func missingBothSides() {
        let result = MatchingEngine().reconcile(
            expected: [item("e1", "ORD-1", 10_000), item("e2", "ORD-2", 500)],
            actual: [line("a1", "ORD-1", 10_000), line("a9", "ORD-9", 700), line("a0", nil, 300)]
        )
        #expect(result.outcomes.count == 4)
        #expect(result.exceptions.contains(.missingFromStatement(item("e2", "ORD-2", 500))))
        #expect(result.exceptions.contains(.missingFromLedger(line("a9", "ORD-9", 700))))
        #expect(result.exceptions.contains(.missingFromLedger(line("a0", nil, 300))))
    }

    @Test("one bank credit matches the sum of a day's channel lines")
    func oneToManyByDate() {
        let channelLines = [item("c1", "T1", 10_000), item("c2", "T2", 5_050), item("c3", "T3", -2_000)]
        let credit = line("b1", nil, 13_050, day: 1)
        let rules = MatchingRules(dateWindowDays: 1, oneToMany: .sameDate)
        let result = MatchingEngine(rules: rules).reconcile(expected: channelLines, actual: [credit])
        #expect(result.outcomes == [.matched(ReconciliationMatch(
            kind: .oneToMany(.sameDate), expected: channelLines, actual: [credit], difference: cny(0)
        ))])
        // Off: the same inputs leave every line open.
        let off = MatchingEngine(rules: MatchingRules(dateWindowDays: 1)).reconcile(expected: channelLines, actual: [credit])
        #expect(off.matches.isEmpty)
        #expect(off.exceptions.count == 4)
        // Outside the window: no match either.
        let late = MatchingEngine(rules: MatchingRules(oneToMany: .sameDate)).reconcile(expected: channelLines, actual: [credit])
        #expect(late.matches.isEmpty)
    }

    @Test("one bank credit matches the lines of its batch reference, within tolerance")
    func oneToManyByBatch() {
        let channelLines = [
            item("c1", "T1", 10_000, batch: "PAYOUT-1"), item("c2", "T2", 5_000, batch: "PAYOUT-1"),
            item("c3", "T3", 7_000, batch: "PAYOUT-2"),
        ]
        let credits = [line("b1", "PAYOUT-1", 14_999, day: 1), line("b2", nil, 7_000, day: 1, batch: "PAYOUT-2")]
        let rules = MatchingRules(dateWindowDays: 1, amountToleranceMinorUnits: 1, oneToMany: .batchReference)
        let result = MatchingEngine(rules: rules).reconcile(expected: channelLines, actual: credits)
        #expect(result.exceptions.isEmpty)
        #expect(result.matches.map { $0.expected.map(\.id) } == [["c1", "c2"], ["c3"]])
        #expect(result.matches.map(\.difference) == [cny(-1), cny(0)])
    }

    @Test("several lines can settle one expected item")
    func manyToOne() {
        let expected = [item("e1", "LOAN-1", 30_000)]
        let parts = [line("a1", nil, 10_000), line("a2", nil, 20_000)]
        let result = MatchingEngine(rules: MatchingRules(manyToOne: .sameDate)).reconcile(expected: expected, actual: parts)
        #expect(result.outcomes == [.matched(ReconciliationMatch(
            kind: .manyToOne(.sameDate), expected: expected, actual: parts, difference: cny(0)
        ))])
        let batched = [line("a1", nil, 10_000, batch: "LOAN-1"), line("a2", nil, 20_000, batch: "LOAN-1"), line("a3", nil, 1, batch: "X")]
        let byBatch = MatchingEngine(rules: MatchingRules(manyToOne: .batchReference)).reconcile(expected: expected, actual: batched)
        #expect(byBatch.matches.map { $0.actual.map(\.id) } == [["a1", "a2"]])
        #expect(byBatch.exceptions == [.missingFromLedger(batched[2])])
    }

    /// One-to-many and many-to-one are one mirrored pass in the engine. Held against an oracle
    /// written from the rule itself (|single − Σ group| within the tolerance, the single's date
    /// within the window of its group's date) on both sides of the mirror, with random amounts,
    /// tolerances, windows and days: a split and its mirrored batch match or not together, and
    /// their differences are each other's negatives.
    @Test("one-to-many and many-to-one agree with the tolerance-and-window rule, mirrored, on random groups")
    func groupedMatchingMirrorsAgainstOracle() {
        var random = ReconciliationSplitMix(seed: 20261201)
        var matchedCount = 0
        for round in 0..<400 {
            let tolerance = Int64.random(in: 0...3, using: &random)
            let window = Int.random(in: 0...2, using: &random)
            let members = (0..<Int.random(in: 2...4, using: &random)).map { _ in Int64.random(in: 1...50_000, using: &random) }
            let total = members.reduce(0, +)
            let single = max(1, total + Int64.random(in: -4...4, using: &random))
            let (memberDay, singleDay) = (Int.random(in: 0...3, using: &random), Int.random(in: 0...3, using: &random))
            let oracle = abs(single - total) <= tolerance && abs(singleDay - memberDay) <= window
            let batch = "B\(round)"

            let oneToMany = MatchingEngine(rules: MatchingRules(dateWindowDays: window, amountToleranceMinorUnits: tolerance,
                                                               oneToMany: .batchReference)).reconcile(
                expected: members.enumerated().map { item("m\($0.offset)", "M\(round)-\($0.offset)", $0.element, day: memberDay, batch: batch) },
                actual: [line("s", batch, single, day: singleDay)])
            let manyToOne = MatchingEngine(rules: MatchingRules(dateWindowDays: window, amountToleranceMinorUnits: tolerance,
                                                               manyToOne: .batchReference)).reconcile(
                expected: [item("s", batch, single, day: singleDay)],
                actual: members.enumerated().map { line("m\($0.offset)", nil, $0.element, day: memberDay, batch: batch) })

            #expect(oneToMany.matches.count == (oracle ? 1 : 0), "round \(round)")
            #expect(manyToOne.matches.count == (oracle ? 1 : 0), "round \(round)")
            if oracle {
                matchedCount += 1
                #expect(oneToMany.matches.first?.kind == .oneToMany(.sameReference) || oneToMany.matches.first?.kind == .oneToMany(.batchReference))
                #expect(oneToMany.matches.first?.expected.count == members.count)
                #expect(manyToOne.matches.first?.actual.count == members.count)
                #expect(oneToMany.matches.first?.difference == cny(single - total), "round \(round)")
                #expect(manyToOne.matches.first?.difference == cny(total - single), "round \(round)")
            }
        }
        // Both verdicts are exercised.
        #expect(matchedCount > 40 && matchedCount < 360)
    }

    @Test("reference matches take precedence over grouped matches")
    func referenceBeforeGroups() {
        let expected = [item("e1", "ORD-1", 10_000), item("e2", "ORD-2", 5_000)]
        let actual = [line("a1", "ORD-1", 10_000), line("a2", nil, 5_000)]
        let result = MatchingEngine(rules: MatchingRules(oneToMany: .sameDate)).reconcile(expected: expected, actual: actual)
        #expect(result.matches.map(\.kind) == [.reference, .oneToMany(.sameDate)])
        #expect(result.matches.map { $0.expected.map(\.id) } == [["e1"], ["e2"]])
    }

    /// A deterministic mixed workload for order and partition tests.
    private func workload(size: Int) -> (expected: [ExpectedItem], actual: [ActualLine]) {
        var expected: [ExpectedItem] = []
        var actual: [ActualLine] = []
        for i in 0..<size {
            let reference = "R\(i % 7)-\(i)"
            let amount = Int64(1_000 + i * 37 % 5_000)
            expected.append(item("e\(i)", reference, amount, day: i % 3))
            switch i % 6 {
            case 0: break
            case 1: actual.append(line("a\(i)", reference, amount + 1, day: i % 3))
            case 2: actual.append(line("a\(i)", reference, amount, day: i % 3 + 1))
            case 3:
                actual.append(line("a\(i)", reference, amount, day: i % 3))
                actual.append(line("d\(i)", reference, amount, day: i % 3))
            default: actual.append(line("a\(i)", reference, amount, day: i % 3))
            }
            if i % 5 == 0 { actual.append(line("x\(i)", "UNKNOWN-\(i)", 42)) }
        }
        return (expected, actual)
    }

    @Test("the outcome does not depend on the input order")
    func deterministicOrder() {
        let (expected, actual) = workload(size: 300)
        let engine = MatchingEngine(rules: MatchingRules(dateWindowDays: 0, amountToleranceMinorUnits: 0))
        let reference = engine.reconcile(expected: expected, actual: actual)
        var generator = ReconciliationSplitMix(seed: 7)
        for _ in 0..<5 {
            let shuffled = engine.reconcile(
                expected: expected.shuffled(using: &generator), actual: actual.shuffled(using: &generator)
            )
            #expect(shuffled == reference)
        }
        // Every kind of verdict is exercised.
        let kinds = Set(reference.outcomes.compactMap { ReconciliationException.Kind($0)?.rawValue })
        #expect(kinds == ["missing_from_statement", "missing_from_ledger", "amount_mismatch", "date_mismatch", "duplicate"])
    }

    @Test("reconciling per reference-prefix partition gives the whole-run result")
    func partitionedEqualsWhole() throws {
        let (expected, actual) = workload(size: 300)
        let engine = MatchingEngine(rules: MatchingRules(dateWindowDays: 1, amountToleranceMinorUnits: 0))
        let whole = engine.reconcile(expected: expected, actual: actual)
        #expect(try engine.reconcile(expected: expected, actual: actual, partitionedBy: .referencePrefix(length: 2)) == whole)
        #expect(try engine.reconcile(expected: expected, actual: actual, partitionedBy: .currency) == whole)
        let grouped = MatchingEngine(rules: MatchingRules(oneToMany: .sameDate))
        #expect(throws: MatchingPartitionError.groupMatchingCrossesReferences(.referencePrefix(length: 2))) {
            try grouped.reconcile(expected: expected, actual: actual, partitionedBy: .referencePrefix(length: 2))
        }
    }

    @Test("a large run finishes and accounts for every item exactly once")
    func largeRun() {
        let (expected, actual) = workload(size: 30_000)
        let result = MatchingEngine(rules: MatchingRules(dateWindowDays: 1)).reconcile(expected: expected, actual: actual)
        var expectedSeen = 0
        var actualSeen = 0
        for outcome in result.outcomes {
            switch outcome {
            case .matched(let match):
                expectedSeen += match.expected.count
                actualSeen += match.actual.count
            case .amountMismatch, .dateMismatch:
                expectedSeen += 1
                actualSeen += 1
            case .duplicate, .missingFromLedger: actualSeen += 1
            case .missingFromStatement: expectedSeen += 1
            }
        }
        #expect(expectedSeen == expected.count)
        #expect(actualSeen == actual.count)
    }

    @Test("a batch statement entry becomes one line per transaction; a single one keeps its reference")
    func statementEntryLines() {
        let eur = Currency(code: "EUR") ?? .usd
        let batch = StatementEntry(
            statementId: "S1", index: 3, amount: Money(minorUnits: 600, currency: eur), creditDebit: .debit,
            status: .booked, bookingDate: BusinessDate("2013-12-27"), valueDate: nil, accountServicerReference: "BANK-9",
            batchPaymentInformationId: "PMT-1",
            transactions: [
                TransactionDetail(endToEndId: "E1", amount: Money(minorUnits: 350, currency: eur)),
                TransactionDetail(endToEndId: "E2", amount: Money(minorUnits: 250, currency: eur)),
            ]
        )
        let lines = batch.actualLines(defaultDate: Self.day)
        #expect(lines.map(\.id) == ["S1/3/0", "S1/3/1"])
        #expect(lines.map(\.reference) == ["E1", "E2"])
        #expect(lines.map(\.amount.minorUnits) == [-350, -250])
        #expect(lines.map(\.batchReference) == ["PMT-1", "PMT-1"])
        #expect(lines.first?.date == BusinessDate("2013-12-27"))

        let single = StatementEntry(
            statementId: "S1", index: 0, amount: Money(minorUnits: 200, currency: eur), creditDebit: .credit,
            status: .booked, bookingDate: nil, valueDate: nil,
            transactions: [TransactionDetail(endToEndId: "NOTPROVIDED", instructionId: "INSTR-1")]
        )
        #expect(single.actualLines(defaultDate: Self.day) == [ActualLine(
            id: "S1/0", reference: "INSTR-1", amount: Money(minorUnits: 200, currency: eur), date: Self.day,
            source: .bankStatement(statementId: "S1")
        )])
    }

    @Test("a batch entry naming its items without an amount each is one line that matches exactly the items it names")
    func namedBatch() {
        let entry = StatementEntry(
            statementId: "S1", index: 4, amount: cny(5_500), creditDebit: .credit, status: .booked, bookingDate: Self.day, valueDate: nil,
            transactions: [TransactionDetail(endToEndId: "ORD-401"), TransactionDetail(endToEndId: "EXT-402")]
        )
        let lines = entry.actualLines(defaultDate: Self.day)
        #expect(lines.count == 1)
        #expect(lines.first?.reference == nil)
        #expect(lines.first?.namedReferences == ["ORD-401", "EXT-402"])
        // The second item is named by its external reference; a third item of the day is not named and stays missing.
        let items = [item("e1", "ORD-401", 2_000), ExpectedItem(id: "e2", reference: "RP-2", amount: cny(3_500), date: Self.day,
                                                                kind: "repayment", alternateReferences: ["EXT-402"]),
                     item("e3", "ORD-403", 1_000)]
        let result = MatchingEngine(rules: MatchingRules(dateWindowDays: 1, oneToMany: .batchReference)).reconcile(expected: items, actual: lines)
        #expect(result.matches.map { $0.expected.map(\.id).sorted() } == [["e1", "e2"]])
        #expect(result.exceptions == [.missingFromStatement(items[2])])
        // A named item that is not there, or a sum that differs, matches nothing.
        let short = MatchingEngine(rules: MatchingRules(oneToMany: .batchReference)).reconcile(expected: [items[0]], actual: lines)
        #expect(short.matches.isEmpty)
        let off = MatchingEngine(rules: MatchingRules(oneToMany: .batchReference))
            .reconcile(expected: [items[0], item("e2", "EXT-402", 3_400)], actual: lines)
        #expect(off.matches.isEmpty)
    }

    @Test("observation 4: 18.00 + 12.00 quoted against a 30.00 item is one split payment, not a mismatch and a duplicate")
    func splitPaymentUnderOneReference() {
        let expected = [item("e1", "ORD-30", 3_000)]
        let parts = [line("a1", "ORD-30", 1_800), line("a2", "ORD-30", 1_200)]
        let exact = MatchingEngine().reconcile(expected: expected, actual: parts)
        #expect(exact.exceptions.count == 2, "without grouped matching the split stays an exception")
        let grouped = MatchingEngine(rules: MatchingRules(manyToOne: .batchReference)).reconcile(expected: expected, actual: parts)
        #expect(grouped.outcomes == [.matched(ReconciliationMatch(
            kind: .manyToOne(.sameReference), expected: expected, actual: [parts[1], parts[0]], difference: cny(0)))])
        // One transfer paying two installments quoted under the same reference.
        let installments = [item("i1", "ORD-9", 1_000), item("i2", "ORD-9", 2_000)]
        let transfer = [line("t1", "ORD-9", 3_000)]
        let batch = MatchingEngine(rules: MatchingRules(oneToMany: .batchReference)).reconcile(expected: installments, actual: transfer)
        #expect(batch.exceptions.isEmpty)
        #expect(batch.matches.first?.kind == .oneToMany(.sameReference))
        // Parts that do not add up stay exceptions.
        let short = MatchingEngine(rules: MatchingRules(manyToOne: .batchReference))
            .reconcile(expected: expected, actual: [line("a1", "ORD-30", 1_800), line("a2", "ORD-30", 1_100)])
        #expect(short.matches.isEmpty)
    }

    @Test("the parts of a split whose item is not booked yet are each missing from the ledger, never a duplicate")
    func splitWithoutItem() {
        let parts = [line("a1", "ORD-30", 1_800), line("a2", "ORD-30", 1_200)]
        let result = MatchingEngine(rules: MatchingRules(manyToOne: .batchReference)).reconcile(expected: [], actual: parts)
        #expect(result.outcomes == [.missingFromLedger(parts[0]), .missingFromLedger(parts[1])])
        // Each line ends in exactly one outcome.
        #expect(result.outcomes.count == parts.count)
    }
}

/// A small seeded generator so shuffles are reproducible.
struct ReconciliationSplitMix: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
