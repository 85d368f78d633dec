import Testing
import Domain

@Suite("reconciliation exception workflow")
struct ReconciliationExceptionTests {
    private static let raised = BusinessDate(year: 2026, month: 11, day: 26) ?? BusinessDate(daysSinceEpoch: 0)

    private func openException() -> ReconciliationException {
        ReconciliationException(id: "X1", kind: .amountMismatch, reference: "ORD-1", raisedOn: Self.raised)
    }

    @Test("an exception goes open → acknowledged → resolved with a note")
    func happyPath() throws {
        var exception = openException()
        #expect(exception.state == .open)
        try exception.acknowledge(by: "ops.li", on: Self.raised.adding(days: 1))
        #expect(exception.state == .acknowledged)
        #expect(exception.acknowledgement == ReconciliationException.Acknowledgement(by: "ops.li", on: Self.raised.adding(days: 1)))
        try exception.resolve(by: "ops.li", on: Self.raised.adding(days: 3), note: "bank corrected the amount on 11-29")
        #expect(exception.state == .resolved)
        #expect(exception.resolution?.note == "bank corrected the amount on 11-29")
    }

    @Test("an open exception cannot be resolved without being acknowledged")
    func cannotSkipAcknowledgement() {
        var exception = openException()
        #expect(throws: ReconciliationException.TransitionError.invalidTransition(from: .open, to: .resolved)) {
            try exception.resolve(by: "ops.li", on: Self.raised, note: "fixed")
        }
        #expect(exception.state == .open)
    }

    @Test("resolving needs a non-blank note")
    func noteRequired() throws {
        var exception = openException()
        try exception.acknowledge(by: "ops.li", on: Self.raised)
        for note in ["", "   ", "\n\t"] {
            #expect(throws: ReconciliationException.TransitionError.noteRequired) {
                try exception.resolve(by: "ops.li", on: Self.raised, note: note)
            }
        }
        #expect(exception.state == .acknowledged)
    }

    @Test("resolved is final")
    func resolvedIsFinal() throws {
        var exception = openException()
        try exception.acknowledge(by: "ops.li", on: Self.raised)
        try exception.resolve(by: "ops.li", on: Self.raised, note: "written off")
        #expect(throws: ReconciliationException.TransitionError.invalidTransition(from: .resolved, to: .acknowledged)) {
            try exception.acknowledge(by: "ops.wang", on: Self.raised)
        }
        #expect(throws: ReconciliationException.TransitionError.invalidTransition(from: .resolved, to: .resolved)) {
            try exception.resolve(by: "ops.wang", on: Self.raised, note: "again")
        }
        #expect(throws: ReconciliationException.TransitionError.invalidTransition(from: .acknowledged, to: .acknowledged)) {
            var acknowledged = openException()
            try acknowledged.acknowledge(by: "a", on: Self.raised)
            try acknowledged.acknowledge(by: "b", on: Self.raised)
        }
        #expect(ReconciliationException.State.allCases.map(\.next) == [.acknowledged, .resolved, nil])
    }

    @Test("steps cannot be dated before the step they follow")
    func noTimeTravel() throws {
        var exception = openException()
        #expect(throws: ReconciliationException.TransitionError.dateBeforePreviousStep(date: Self.raised.adding(days: -1), previous: Self.raised)) {
            try exception.acknowledge(by: "ops.li", on: Self.raised.adding(days: -1))
        }
        try exception.acknowledge(by: "ops.li", on: Self.raised.adding(days: 2))
        #expect(throws: ReconciliationException.TransitionError.self) {
            try exception.resolve(by: "ops.li", on: Self.raised.adding(days: 1), note: "done")
        }
    }

    @Test("age counts days from the raising date and stops at resolution")
    func age() throws {
        var exception = openException()
        #expect(exception.ageInDays(asOf: Self.raised) == 0)
        #expect(exception.ageInDays(asOf: Self.raised.adding(days: 5)) == 5)
        #expect(exception.ageInDays(asOf: Self.raised.adding(days: -2)) == 0)
        // Across a month end: Nov 26 → Dec 3.
        #expect(exception.ageInDays(asOf: BusinessDate("2026-12-03") ?? Self.raised) == 7)
        try exception.acknowledge(by: "ops.li", on: Self.raised.adding(days: 1))
        try exception.resolve(by: "ops.li", on: Self.raised.adding(days: 4), note: "matched manually")
        #expect(exception.ageInDays(asOf: Self.raised.adding(days: 30)) == 4)
        #expect(exception.ageInDays(asOf: Self.raised.adding(days: 2)) == 2)
    }

    @Test("matching outcomes raise exceptions of the right kind, matches raise none")
    func fromOutcome() {
        let item = ExpectedItem(id: "e1", reference: "ORD-1", amount: Money(minorUnits: 100, currency: .cny), date: Self.raised, kind: "repayment")
        let exception = ReconciliationException(id: "X2", outcome: .missingFromStatement(item), raisedOn: Self.raised)
        #expect(exception?.kind == .missingFromStatement)
        #expect(exception?.reference == "ORD-1")
        #expect(exception?.state == .open)
        let match = ReconciliationMatch(kind: .reference, expected: [item], actual: [], difference: Money(minorUnits: 0, currency: .cny))
        #expect(ReconciliationException(id: "X3", outcome: .matched(match), raisedOn: Self.raised) == nil)
    }

    @Test("a stored exception is restored only if its state and step records agree")
    func restore() throws {
        let acknowledgement = ReconciliationException.Acknowledgement(by: "ops.li", on: Self.raised)
        let restored = try ReconciliationException(
            id: "X1", kind: .duplicate, reference: nil, raisedOn: Self.raised, state: .acknowledged,
            acknowledgement: acknowledgement, resolution: nil
        )
        #expect(restored.state == .acknowledged)
        #expect(throws: ReconciliationException.TransitionError.inconsistentRecord(.resolved)) {
            try ReconciliationException(
                id: "X1", kind: .duplicate, reference: nil, raisedOn: Self.raised, state: .resolved,
                acknowledgement: acknowledgement, resolution: nil
            )
        }
        #expect(throws: ReconciliationException.TransitionError.inconsistentRecord(.open)) {
            try ReconciliationException(
                id: "X1", kind: .duplicate, reference: nil, raisedOn: Self.raised, state: .open,
                acknowledgement: acknowledgement, resolution: nil
            )
        }
    }
}
