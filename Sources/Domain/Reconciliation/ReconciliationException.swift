/// A discrepancy found by reconciliation that a person must see through to resolution.
///
/// Workflow: `open` → `acknowledged` → `resolved`, one step at a time; resolving needs a non-blank
/// note; `resolved` is final. Steps are dated with business dates and may not go back in time.
public struct ReconciliationException: Hashable, Sendable {
    /// Where a reconciliation exception stands: open → acknowledged → resolved (final).
    public enum State: String, Hashable, Sendable, Codable, CaseIterable {
        case open, acknowledged, resolved

        /// The one state each state may move to; resolved has none.
        public var next: State? {
            switch self {
            case .open: .acknowledged
            case .acknowledged: .resolved
            case .resolved: nil
            }
        }

        public func canTransition(to target: State) -> Bool { next == target }
    }

    /// What kind of discrepancy an exception records.
    public enum Kind: String, Hashable, Sendable, Codable, CaseIterable {
        case missingFromStatement = "missing_from_statement"
        case missingFromLedger = "missing_from_ledger"
        case amountMismatch = "amount_mismatch"
        case dateMismatch = "date_mismatch"
        case duplicate
        /// A statement whose balances do not add up, or cannot be checked.
        case unbalancedStatement = "unbalanced_statement"
        /// A statement entry in a currency other than its account's.
        case currencyMismatch = "currency_mismatch"
        /// A statement whose sequence number skips one or more after the previous statement of its account.
        case sequenceGap = "sequence_gap"
        /// A statement whose opening balance differs from the previous statement's closing balance.
        case balanceDiscontinuity = "balance_discontinuity"
        /// A payment order the creditor's bank sent back (its reversal booked to `platform.payment_returns`).
        case paymentReturned = "payment_returned"
        /// A payment order still not on any statement N business days after its execution date.
        case paymentUnsettled = "payment_unsettled"

        /// The kind for a matching outcome; nil for a match, which needs no one.
        public init?(_ outcome: MatchOutcome) {
            switch outcome {
            case .matched: return nil
            case .missingFromStatement: self = .missingFromStatement
            case .missingFromLedger: self = .missingFromLedger
            case .amountMismatch: self = .amountMismatch
            case .dateMismatch: self = .dateMismatch
            case .duplicate: self = .duplicate
            }
        }
    }

    /// Who acknowledged an exception, and on which business date.
    public struct Acknowledgement: Hashable, Sendable {
        public let by: String
        public let on: BusinessDate

        public init(by: String, on: BusinessDate) {
            self.by = by
            self.on = on
        }
    }

    /// Who resolved an exception, when, and the note explaining how (never empty).
    public struct Resolution: Hashable, Sendable {
        public let by: String
        public let on: BusinessDate
        public let note: String

        public init(by: String, on: BusinessDate, note: String) {
            self.by = by
            self.on = on
            self.note = note
        }
    }

    /// Why an exception workflow step was refused.
    public enum TransitionError: Error, Hashable, Sendable, CustomStringConvertible {
        /// The workflow does not allow this move (including any move out of `resolved`).
        case invalidTransition(from: State, to: State)
        /// Resolving needs a note saying what was done.
        case noteRequired
        /// A step dated before the step it follows.
        case dateBeforePreviousStep(date: BusinessDate, previous: BusinessDate)
        /// A stored exception whose state and step records disagree.
        case inconsistentRecord(State)

        public var description: String {
            switch self {
            case .invalidTransition(let from, let to): "an exception cannot move from \(from.rawValue) to \(to.rawValue)"
            case .noteRequired: "resolving an exception needs a note"
            case .dateBeforePreviousStep(let date, let previous): "\(date) is before the previous step on \(previous)"
            case .inconsistentRecord(let state): "a \(state.rawValue) exception with the wrong step records"
            }
        }
    }

    public let id: String
    public let kind: Kind
    /// The reference the discrepancy is about, when there is one.
    public let reference: String?
    /// The business date of the run that raised it.
    public let raisedOn: BusinessDate
    public private(set) var state: State
    public private(set) var acknowledgement: Acknowledgement?
    public private(set) var resolution: Resolution?

    /// A new, open exception.
    public init(id: String, kind: Kind, reference: String?, raisedOn: BusinessDate) {
        self.id = id
        self.kind = kind
        self.reference = reference
        self.raisedOn = raisedOn
        self.state = .open
    }

    /// An open exception for a matching outcome; nil for a match.
    public init?(id: String, outcome: MatchOutcome, raisedOn: BusinessDate) {
        guard let kind = Kind(outcome) else { return nil }
        self.init(id: id, kind: kind, reference: outcome.reference, raisedOn: raisedOn)
    }

    /// An exception as stored, checked for consistency (each state has exactly its step records).
    public init(
        id: String, kind: Kind, reference: String?, raisedOn: BusinessDate, state: State,
        acknowledgement: Acknowledgement?, resolution: Resolution?
    ) throws(TransitionError) {
        let consistent = switch state {
        case .open: acknowledgement == nil && resolution == nil
        case .acknowledged: acknowledgement != nil && resolution == nil
        case .resolved: acknowledgement != nil && resolution.map { !Self.isBlank($0.note) } == true
        }
        guard consistent else { throw .inconsistentRecord(state) }
        self.init(id: id, kind: kind, reference: reference, raisedOn: raisedOn)
        self.state = state
        self.acknowledgement = acknowledgement
        self.resolution = resolution
    }

    /// open → acknowledged.
    public mutating func acknowledge(by person: String, on date: BusinessDate) throws(TransitionError) {
        guard state.canTransition(to: .acknowledged) else { throw .invalidTransition(from: state, to: .acknowledged) }
        guard date >= raisedOn else { throw .dateBeforePreviousStep(date: date, previous: raisedOn) }
        acknowledgement = Acknowledgement(by: person, on: date)
        state = .acknowledged
    }

    /// acknowledged → resolved, with a note saying what was done. Final.
    public mutating func resolve(by person: String, on date: BusinessDate, note: String) throws(TransitionError) {
        guard state.canTransition(to: .resolved) else { throw .invalidTransition(from: state, to: .resolved) }
        guard !Self.isBlank(note) else { throw .noteRequired }
        let previous = acknowledgement?.on ?? raisedOn
        guard date >= previous else { throw .dateBeforePreviousStep(date: date, previous: previous) }
        resolution = Resolution(by: person, on: date, note: note)
        state = .resolved
    }

    /// Calendar days from `raisedOn` to `date`, stopping at the resolution date; never negative.
    public func ageInDays(asOf date: BusinessDate) -> Int {
        let end = resolution.map { min($0.on, date) } ?? date
        return max(0, raisedOn.days(until: end))
    }

    private static func isBlank(_ text: String) -> Bool {
        text.allSatisfy { $0.isWhitespace || $0.isNewline }
    }
}
