import Foundation

/// The outcome of a supplier's financing request: status, reasons, one line per receivable, totals.
///
/// A pure value computed by `FinancingLine.decide(...)`; nothing is booked until a service acts on it.
public struct FinancingDecision: Hashable, Sendable {
    /// approved: disburse now; pending_review: an operator decides; declined: nothing is disbursed.
    public enum Status: String, Sendable, Codable, CaseIterable {
        case approved
        case pendingReview = "pending_review"
        case declined
    }

    public let status: Status
    /// Request-level reasons: empty when approved.
    public let reasons: [FinancingReason]
    /// One line per requested receivable, in request order.
    public let lines: [FinancingDecisionLine]
    /// Sums over the eligible lines. For a declined request these are what *would* have been
    /// advanced; disburse only when `status` is approved (or after a review approves it).
    public let eligibleTotals: FinancingTotals
    /// limit − advances already outstanding (never below zero), as of the decision.
    public let freeLimit: Money
    public let disbursementDate: BusinessDate

    /// Rebuilds a stored decision; new decisions come from `FinancingLine.decide(...)`.
    public init(
        status: Status, reasons: [FinancingReason], lines: [FinancingDecisionLine], eligibleTotals: FinancingTotals,
        freeLimit: Money, disbursementDate: BusinessDate
    ) {
        self.status = status
        self.reasons = reasons
        self.lines = lines
        self.eligibleTotals = eligibleTotals
        self.freeLimit = freeLimit
        self.disbursementDate = disbursementDate
    }

    /// The eligible lines' amounts, in request order.
    public var eligible: [(receivableID: String, amounts: FinancedAmounts)] {
        lines.compactMap { line in
            if case .eligible(let amounts) = line.outcome { return (line.receivableID, amounts) }
            return nil
        }
    }
}

/// One requested receivable's outcome within a `FinancingDecision`.
public struct FinancingDecisionLine: Hashable, Sendable {
    /// Eligible with its amounts, or refused with every reason that applies.
    public enum Outcome: Hashable, Sendable {
        case eligible(FinancedAmounts)
        case refused([FinancingReason])
    }

    public let receivableID: String
    public let outcome: Outcome

    public init(receivableID: String, outcome: Outcome) {
        self.receivableID = receivableID
        self.outcome = outcome
    }

    public var isEligible: Bool {
        if case .eligible = outcome { return true }
        return false
    }

    /// The refusal reasons, or empty for an eligible line.
    public var reasons: [FinancingReason] {
        if case .refused(let reasons) = outcome { return reasons }
        return []
    }
}

/// What one eligible receivable yields: advance, discount fee and what reaches the supplier.
public struct FinancedAmounts: Hashable, Sendable {
    /// Face − adjustments at decision time.
    public let outstanding: Money
    /// round_down(advance rate × outstanding).
    public let advance: Money
    /// Discount fee on the advance from disbursement to the due date, half-even, taken upfront.
    public let fee: Money
    /// advance − fee.
    public let netDisbursement: Money
    /// Calendar days from disbursement to the due date (the tenor checked against the line).
    public let daysToMaturity: Int
    /// Days the fee is charged for under the line's day count (differs from calendar days for 30/360).
    public let feeDays: Int

    public init(outstanding: Money, advance: Money, fee: Money, netDisbursement: Money, daysToMaturity: Int, feeDays: Int) {
        self.outstanding = outstanding
        self.advance = advance
        self.fee = fee
        self.netDisbursement = netDisbursement
        self.daysToMaturity = daysToMaturity
        self.feeDays = feeDays
    }
}

/// Sums of the eligible lines of a decision.
public struct FinancingTotals: Hashable, Sendable {
    public let outstanding: Money
    public let advance: Money
    public let fee: Money
    public let netDisbursement: Money

    public init(outstanding: Money, advance: Money, fee: Money, netDisbursement: Money) {
        self.outstanding = outstanding
        self.advance = advance
        self.fee = fee
        self.netDisbursement = netDisbursement
    }
}

/// Why a financing decision could not be computed at all (malformed input, not a business refusal).
public enum FinancingError: Error, Equatable, Sendable, CustomStringConvertible {
    case outstandingFinancingCurrencyMismatch(line: String, outstanding: String)
    case negativeOutstandingFinancing
    case money(MoneyError)

    public var description: String {
        switch self {
        case .outstandingFinancingCurrencyMismatch(let line, let outstanding):
            "outstanding financing is in \(outstanding) but the line is in \(line)"
        case .negativeOutstandingFinancing: "outstanding financing must not be negative"
        case .money(let error): "money arithmetic failed: \(error)"
        }
    }
}

extension FinancingLine {
    /// Decides a financing request against this line.
    ///
    /// Per receivable (request order): refused with every reason that applies, else
    /// advance = advance rate × outstanding rounded **down** (toward zero, so a supplier never gets
    /// more than the rate), fee = `dayCount.interest(on: advance, annualRate:, from: disbursementDate,
    /// to: dueDate)` rounded half-even once, net = advance − fee.
    ///
    /// Per request, in order: no eligible receivable → declined (`no_eligible_receivable`, preceded by
    /// `supplier_not_active` when that is why); total advance above the free limit → the **whole
    /// request** is declined with `limit_exceeded` naming the free limit (it is never silently capped,
    /// so the supplier chooses which receivables to drop); total advance above the auto-approval
    /// ceiling → pending_review (`above_auto_approval_ceiling`); otherwise approved. Both bounds are
    /// inclusive: an advance equal to the free limit or the ceiling passes.
    ///
    /// - Parameters:
    ///   - receivables: the receivables the supplier asks to finance.
    ///   - disbursementDate: the business date the advance would be paid out.
    ///   - supplierIsActive: whether the supplier may draw on its line.
    ///   - outstandingFinancing: advances already outstanding on this line (not yet repaid).
    public func decide(
        receivables: [Receivable],
        disbursementDate: BusinessDate,
        supplierIsActive: Bool,
        outstandingFinancing: Money
    ) throws(FinancingError) -> FinancingDecision {
        guard outstandingFinancing.currency == currency else {
            throw .outstandingFinancingCurrencyMismatch(line: currency.code, outstanding: outstandingFinancing.currency.code)
        }
        guard !outstandingFinancing.isNegative else { throw .negativeOutstandingFinancing }
        let unused = try Self.money { () throws(MoneyError) in try limit.subtracting(outstandingFinancing) }
        let freeLimit = Money.max(unused, .zero(currency))

        var lines: [FinancingDecisionLine] = []
        var seen: Set<String> = []
        let zero = Money.zero(currency)
        var totals = (outstanding: zero, advance: zero, fee: zero, net: zero)
        for receivable in receivables {
            let outcome = try lineOutcome(
                for: receivable, disbursementDate: disbursementDate, supplierIsActive: supplierIsActive,
                isDuplicate: !seen.insert(receivable.id).inserted
            )
            if case .eligible(let amounts) = outcome {
                totals = try Self.money { () throws(MoneyError) in
                    (try totals.outstanding.adding(amounts.outstanding), try totals.advance.adding(amounts.advance),
                     try totals.fee.adding(amounts.fee), try totals.net.adding(amounts.netDisbursement))
                }
            }
            lines.append(FinancingDecisionLine(receivableID: receivable.id, outcome: outcome))
        }
        let eligibleTotals = FinancingTotals(
            outstanding: totals.outstanding, advance: totals.advance, fee: totals.fee, netDisbursement: totals.net
        )

        let status: FinancingDecision.Status
        let reasons: [FinancingReason]
        if !lines.contains(where: \.isEligible) {
            status = .declined
            reasons = (supplierIsActive ? [] : [.supplierNotActive]) + [.noEligibleReceivable]
        } else if totals.advance > freeLimit {
            status = .declined
            reasons = [.limitExceeded(requested: totals.advance, freeLimit: freeLimit)]
        } else if totals.advance > autoApprovalCeiling {
            status = .pendingReview
            reasons = [.aboveAutoApprovalCeiling(requested: totals.advance, ceiling: autoApprovalCeiling)]
        } else {
            status = .approved
            reasons = []
        }
        return FinancingDecision(
            status: status, reasons: reasons, lines: lines, eligibleTotals: eligibleTotals,
            freeLimit: freeLimit, disbursementDate: disbursementDate
        )
    }

    private func lineOutcome(
        for receivable: Receivable, disbursementDate: BusinessDate, supplierIsActive: Bool, isDuplicate: Bool
    ) throws(FinancingError) -> FinancingDecisionLine.Outcome {
        // A repeated receivable's own reasons are already on its first line.
        if isDuplicate { return .refused([.duplicateInRequest]) }

        var reasons: [FinancingReason] = []
        if !supplierIsActive { reasons.append(.supplierNotActive) }
        switch receivable.status {
        case .open: break
        case .financed: reasons.append(.alreadyFinanced)
        case .disputed: reasons.append(.receivableDisputed)
        case .settled, .cancelled: reasons.append(.receivableNotOpen(receivable.status))
        }
        if receivable.face.currency != currency {
            reasons.append(.currencyMismatch(receivable: receivable.face.currency, line: currency))
        }
        let days = disbursementDate.days(until: receivable.dueDate)
        if days < minDaysToMaturity { reasons.append(.dueTooSoon(days: days, minimum: minDaysToMaturity)) }
        if days > maxDaysToMaturity { reasons.append(.dueTooLate(days: days, maximum: maxDaysToMaturity)) }
        let outstanding = receivable.outstanding
        if outstanding.isZero { reasons.append(.nothingOutstanding) }
        guard reasons.isEmpty else { return .refused(reasons) }

        let (advance, fee, net) = try Self.money { () throws(MoneyError) in
            let advance = try outstanding.multiplied(by: advanceRate, .down)
            let fee = try dayCount.interest(
                on: advance, annualRate: annualDiscountRate, from: disbursementDate, to: receivable.dueDate,
                rounding: .halfEven
            )
            return (advance, fee, try advance.subtracting(fee))
        }
        if advance.isZero { return .refused([.advanceRoundsToZero(outstanding: outstanding)]) }
        if !net.isPositive { return .refused([.feeNotBelowAdvance(advance: advance, fee: fee)]) }
        return .eligible(FinancedAmounts(
            outstanding: outstanding, advance: advance, fee: fee, netDisbursement: net,
            daysToMaturity: days, feeDays: dayCount.days(from: disbursementDate, to: receivable.dueDate)
        ))
    }

    private static func money<T>(_ body: () throws(MoneyError) -> T) throws(FinancingError) -> T {
        do { return try body() } catch { throw .money(error) }
    }
}
