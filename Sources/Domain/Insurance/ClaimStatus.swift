/// Where a claim stands. Raw values are the stable API and storage codes.
///
/// A clean claim is `paid` the moment it is raised; a flagged one is `in_review` until the insurer
/// decides: `approved` (paid by the next payout run, then `paid`) or `rejected`. A claim that fails
/// adjudication is `rejected` at once with its reasons.
public enum ClaimStatus: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case inReview = "in_review"
    case approved
    case paid
    case rejected

    public var description: String { rawValue }

    /// The status a claim is stored with when it is raised with this decision. A claim the rules pay is
    /// `approved` until its payout is booked, in the same transaction, which makes it `paid`.
    public init(raisedWith decision: ClaimDecision) {
        switch decision {
        case .pay: self = .approved
        case .review: self = .inReview
        case .reject: self = .rejected
        }
    }
}

/// The insurer's decision on a claim in review.
public enum InsurerDecision: String, Sendable, Codable, CaseIterable {
    case approve, reject

    /// The reason code a claim rejected by the insurer carries, next to the insurer's own words.
    public static let rejectionCode = "rejected_by_insurer"

    /// The status this decision moves an `in_review` claim to.
    public var resultingStatus: ClaimStatus {
        switch self {
        case .approve: .approved
        case .reject: .rejected
        }
    }

    /// Whether a claim now in `status` already carries this decision (a repeated decision is a no-op).
    public func isAlreadyApplied(to status: ClaimStatus) -> Bool {
        switch self {
        case .approve: status == .approved || status == .paid
        case .reject: status == .rejected
        }
    }
}
