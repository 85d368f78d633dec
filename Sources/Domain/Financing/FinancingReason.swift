/// Why a receivable was refused, or why a financing request was not approved outright.
///
/// `code` is stable snake_case for machines (API `reasons[].code`); `detail` is for people and may change.
public enum FinancingReason: Hashable, Sendable, CustomStringConvertible {
    // Per receivable.
    /// The supplier may not draw on its line (also listed on the request).
    case supplierNotActive
    /// The receivable is settled or cancelled.
    case receivableNotOpen(ReceivableStatus)
    case receivableDisputed
    /// The receivable is financed already.
    case alreadyFinanced
    case currencyMismatch(receivable: Currency, line: Currency)
    /// Calendar days from disbursement to the due date are below the line's minimum.
    case dueTooSoon(days: Int, minimum: Int)
    /// Calendar days from disbursement to the due date are above the line's maximum.
    case dueTooLate(days: Int, maximum: Int)
    /// Dilution has reduced the outstanding amount to zero.
    case nothingOutstanding
    /// The outstanding amount is so small that the advance rounds down to zero.
    case advanceRoundsToZero(outstanding: Money)
    /// The discount fee would take the whole advance (a very high rate or a very long tenor).
    case feeNotBelowAdvance(advance: Money, fee: Money)
    /// The same receivable appears earlier in the same request; only its first occurrence counts.
    case duplicateInRequest

    // Per request.
    case noEligibleReceivable
    /// The total advance is above the line's free limit; the whole request is declined.
    case limitExceeded(requested: Money, freeLimit: Money)
    /// The total advance is above the auto-approval ceiling; an operator decides.
    case aboveAutoApprovalCeiling(requested: Money, ceiling: Money)

    /// Stable machine-readable code.
    public var code: String {
        switch self {
        case .supplierNotActive: "supplier_not_active"
        case .receivableNotOpen: "receivable_not_open"
        case .receivableDisputed: "receivable_disputed"
        case .alreadyFinanced: "already_financed"
        case .currencyMismatch: "currency_mismatch"
        case .dueTooSoon: "due_too_soon"
        case .dueTooLate: "due_too_late"
        case .nothingOutstanding: "nothing_outstanding"
        case .advanceRoundsToZero: "advance_rounds_to_zero"
        case .feeNotBelowAdvance: "fee_not_below_advance"
        case .duplicateInRequest: "duplicate_in_request"
        case .noEligibleReceivable: "no_eligible_receivable"
        case .limitExceeded: "limit_exceeded"
        case .aboveAutoApprovalCeiling: "above_auto_approval_ceiling"
        }
    }

    /// Human-readable explanation with the numbers involved.
    public var detail: String {
        switch self {
        case .supplierNotActive:
            "the supplier is not active"
        case .receivableNotOpen(let status):
            "the receivable is \(status); only open receivables can be financed"
        case .receivableDisputed:
            "the receivable is disputed"
        case .alreadyFinanced:
            "the receivable is already financed"
        case .currencyMismatch(let receivable, let line):
            "the receivable is in \(receivable.code) but the financing line is in \(line.code)"
        case .dueTooSoon(let days, let minimum):
            "due in \(days) days; the line requires at least \(minimum)"
        case .dueTooLate(let days, let maximum):
            "due in \(days) days; the line allows at most \(maximum)"
        case .nothingOutstanding:
            "nothing is outstanding after adjustments"
        case .advanceRoundsToZero(let outstanding):
            "the advance on an outstanding \(outstanding) rounds down to zero"
        case .feeNotBelowAdvance(let advance, let fee):
            "the discount fee \(fee) is not below the advance \(advance)"
        case .duplicateInRequest:
            "the receivable appears more than once in the request"
        case .noEligibleReceivable:
            "no receivable in the request is eligible"
        case .limitExceeded(let requested, let freeLimit):
            "the total advance \(requested) exceeds the free limit \(freeLimit)"
        case .aboveAutoApprovalCeiling(let requested, let ceiling):
            "the total advance \(requested) is above the auto-approval ceiling \(ceiling); an operator must review it"
        }
    }

    public var description: String { "\(code): \(detail)" }
}
