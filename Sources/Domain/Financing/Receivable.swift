/// Where a receivable is in its life: open → financed → settled, or disputed / cancelled.
public enum ReceivableStatus: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case open, financed, settled, disputed, cancelled

    /// Settled and cancelled receivables never change again.
    public var isFinal: Bool { self == .settled || self == .cancelled }

    /// The statuses the lifecycle table allows next, before the dispute rule below:
    /// open → financed | disputed | cancelled; financed → settled | disputed;
    /// disputed → open | financed (back to the status it was disputed from, see `Receivable`).
    public var successors: Set<ReceivableStatus> {
        switch self {
        case .open: [.financed, .disputed, .cancelled]
        case .financed: [.settled, .disputed]
        case .disputed: [.open, .financed]
        case .settled, .cancelled: []
        }
    }

    public var description: String { rawValue }
}

/// A reduction of a receivable's amount (dilution) after it was confirmed.
public struct ReceivableAdjustment: Hashable, Sendable {
    /// Why the amount was reduced.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case goodsReturned = "goods_returned"
        case creditNote = "credit_note"
    }

    public let kind: Kind
    /// The reduction, always positive.
    public let amount: Money
    /// The platform's reference for the return or credit note.
    public let reference: String

    public init(kind: Kind, amount: Money, reference: String) throws(ReceivableError) {
        guard amount.isPositive else { throw .nonPositiveAdjustment }
        self.kind = kind
        self.amount = amount
        self.reference = reference
    }
}

/// An amount the platform has confirmed it owes a supplier for delivered goods, due on a date.
///
/// Dispute rule: a dispute is resolved back to the status it was raised from, kept in
/// `statusBeforeDispute`. The brief's table says "disputed → open"; taken literally, a *financed*
/// receivable whose dispute is resolved would become open and could be financed a second time while
/// the first advance is still outstanding. So disputed → open is allowed only for a receivable that
/// was open, and disputed → financed only for one that was financed. Persist `statusBeforeDispute`.
public struct Receivable: Hashable, Sendable {
    /// The receivable's identity (e.g. the platform's external reference or the row id).
    public let id: String
    /// The confirmed amount.
    public let face: Money
    public let issueDate: BusinessDate
    public let dueDate: BusinessDate
    public let status: ReceivableStatus
    /// Set exactly when `status` is `.disputed`: `.open` or `.financed`.
    public let statusBeforeDispute: ReceivableStatus?
    /// Dilution so far, oldest first.
    public let adjustments: [ReceivableAdjustment]

    public init(
        id: String,
        face: Money,
        issueDate: BusinessDate,
        dueDate: BusinessDate,
        status: ReceivableStatus = .open,
        statusBeforeDispute: ReceivableStatus? = nil,
        adjustments: [ReceivableAdjustment] = []
    ) throws(ReceivableError) {
        guard face.isPositive else { throw .nonPositiveFace }
        guard dueDate >= issueDate else { throw .dueBeforeIssue }
        for adjustment in adjustments where adjustment.amount.currency != face.currency {
            throw .adjustmentCurrencyMismatch(receivable: face.currency.code, adjustment: adjustment.amount.currency.code)
        }
        if status == .disputed {
            guard statusBeforeDispute == .open || statusBeforeDispute == .financed else {
                throw .inconsistentDisputeOrigin(status: status, statusBeforeDispute: statusBeforeDispute)
            }
        } else if statusBeforeDispute != nil {
            throw .inconsistentDisputeOrigin(status: status, statusBeforeDispute: statusBeforeDispute)
        }
        self.id = id
        self.face = face
        self.issueDate = issueDate
        self.dueDate = dueDate
        self.status = status
        self.statusBeforeDispute = statusBeforeDispute
        self.adjustments = adjustments
    }

    /// The sum of all adjustments (may exceed the face amount).
    public var totalAdjustments: Money {
        var total: Int64 = 0
        for adjustment in adjustments {
            let (sum, overflow) = total.addingReportingOverflow(adjustment.amount.minorUnits)
            // Past Int64.max the adjustments certainly exceed the face; saturate.
            total = overflow ? Int64.max : sum
        }
        return Money(minorUnits: total, currency: face.currency)
    }

    /// face − Σ adjustments, never below zero.
    public var outstanding: Money { Self.outstanding(face: face, adjusted: totalAdjustments) }

    /// The one rule for what is still owed on a receivable: face − adjustments, never below zero
    /// (a stored row with its summed adjustments uses it too).
    public static func outstanding(face: Money, adjusted: Money) -> Money {
        Money(minorUnits: adjusted.minorUnits >= face.minorUnits ? 0 : face.minorUnits - adjusted.minorUnits, currency: face.currency)
    }

    /// This receivable in status `next`, or an error naming both statuses if the lifecycle forbids it.
    public func transitioned(to next: ReceivableStatus) throws(ReceivableTransitionError) -> Receivable {
        guard status.successors.contains(next) else { throw ReceivableTransitionError(from: status, to: next) }
        if status == .disputed && next != statusBeforeDispute {
            throw ReceivableTransitionError(from: status, to: next, statusBeforeDispute: statusBeforeDispute)
        }
        return Receivable(
            validated: self, status: next,
            statusBeforeDispute: next == .disputed ? status : nil, adjustments: adjustments
        )
    }

    /// Marks the receivable financed (open → financed).
    public func financed() throws(ReceivableTransitionError) -> Receivable { try transitioned(to: .financed) }
    /// Marks the receivable settled at maturity (financed → settled).
    public func settled() throws(ReceivableTransitionError) -> Receivable { try transitioned(to: .settled) }
    /// Raises a dispute (open | financed → disputed).
    public func disputed() throws(ReceivableTransitionError) -> Receivable { try transitioned(to: .disputed) }
    /// Resolves a dispute, back to the status it was raised from.
    public func disputeResolved() throws(ReceivableTransitionError) -> Receivable {
        guard status == .disputed, let previous = statusBeforeDispute else {
            throw ReceivableTransitionError(from: status, to: .open)
        }
        return try transitioned(to: previous)
    }
    /// Cancels an open receivable (open → cancelled).
    public func cancelled() throws(ReceivableTransitionError) -> Receivable { try transitioned(to: .cancelled) }

    /// This receivable with one more adjustment. Refused once the receivable is settled or cancelled.
    public func adjusted(by adjustment: ReceivableAdjustment) throws(ReceivableError) -> Receivable {
        guard !status.isFinal else { throw .adjustmentOnFinalReceivable(status) }
        guard adjustment.amount.currency == face.currency else {
            throw .adjustmentCurrencyMismatch(receivable: face.currency.code, adjustment: adjustment.amount.currency.code)
        }
        return Receivable(
            validated: self, status: status, statusBeforeDispute: statusBeforeDispute,
            adjustments: adjustments + [adjustment]
        )
    }

    private init(
        validated base: Receivable, status: ReceivableStatus,
        statusBeforeDispute: ReceivableStatus?, adjustments: [ReceivableAdjustment]
    ) {
        self.id = base.id
        self.face = base.face
        self.issueDate = base.issueDate
        self.dueDate = base.dueDate
        self.status = status
        self.statusBeforeDispute = statusBeforeDispute
        self.adjustments = adjustments
    }
}

/// A status change the receivable lifecycle does not allow.
public struct ReceivableTransitionError: Error, Equatable, Sendable, CustomStringConvertible {
    public let from: ReceivableStatus
    public let to: ReceivableStatus
    /// For a disputed receivable: the status a resolution must return to.
    public let statusBeforeDispute: ReceivableStatus?

    public init(from: ReceivableStatus, to: ReceivableStatus, statusBeforeDispute: ReceivableStatus? = nil) {
        self.from = from
        self.to = to
        self.statusBeforeDispute = statusBeforeDispute
    }

    public var description: String {
        if let previous = statusBeforeDispute {
            return "a receivable cannot go from \(from) to \(to): the dispute was raised while \(previous), "
                + "so it resolves back to \(previous)"
        }
        return "a receivable cannot go from \(from) to \(to)"
    }
}

/// Why a receivable or adjustment was refused.
public enum ReceivableError: Error, Equatable, Sendable, CustomStringConvertible {
    case nonPositiveFace
    case dueBeforeIssue
    case nonPositiveAdjustment
    case adjustmentCurrencyMismatch(receivable: String, adjustment: String)
    case adjustmentOnFinalReceivable(ReceivableStatus)
    case inconsistentDisputeOrigin(status: ReceivableStatus, statusBeforeDispute: ReceivableStatus?)

    public var description: String {
        switch self {
        case .nonPositiveFace: "face amount must be positive"
        case .dueBeforeIssue: "due date must not be before the issue date"
        case .nonPositiveAdjustment: "an adjustment must be a positive amount"
        case .adjustmentCurrencyMismatch(let receivable, let adjustment):
            "adjustment currency \(adjustment) differs from the receivable's \(receivable)"
        case .adjustmentOnFinalReceivable(let status): "a \(status) receivable cannot be adjusted"
        case .inconsistentDisputeOrigin(let status, let before):
            "status \(status) with status before dispute \(before.map(\.rawValue) ?? "none"): "
                + "a disputed receivable needs open or financed, any other status none"
        }
    }
}
