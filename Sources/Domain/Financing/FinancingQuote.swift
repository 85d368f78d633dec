import Foundation

/// How long a financing quote holds and what it costs when the money actually leaves (issue 13).
///
/// A request above the auto-approval ceiling waits for an operator. Its discount fee was quoted for
/// the days from the requested disbursement date; when the approval comes later the fee is
/// recomputed for the days actually left (same formula, same single half-even rounding), so the
/// supplier never pays for days it did not have the money. The quote holds until the last date on
/// which every receivable is still `minDaysToMaturity` days from its due date (always before
/// maturity, since that minimum is at least 1); an approval after that is refused.
extension FinancingLine {
    /// The last disbursement date on which a quote for receivables due on `dueDates` is still valid.
    public func quoteValidUntil(dueDates: [BusinessDate]) -> BusinessDate? {
        dueDates.min().map { $0.adding(days: -minDaysToMaturity) }
    }

    /// The same, from a decision's eligible lines (due date = disbursement date + days to maturity).
    public func quoteValidUntil(_ decision: FinancingDecision) -> BusinessDate? {
        quoteValidUntil(dueDates: decision.eligible.map { decision.disbursementDate.adding(days: $0.amounts.daysToMaturity) })
    }

    /// The amounts of an advance already decided, disbursed on `disbursementDate` for a receivable due
    /// on `dueDate`: fee = dayCount.interest(advance, annual rate, disbursement → due) rounded half-even once.
    public func repriced(
        _ amounts: FinancedAmounts, dueDate: BusinessDate, disbursementDate: BusinessDate
    ) throws(FinancingError) -> FinancedAmounts {
        do {
            let fee = try dayCount.interest(on: amounts.advance, annualRate: annualDiscountRate, from: disbursementDate,
                                            to: dueDate, rounding: .halfEven)
            return FinancedAmounts(
                outstanding: amounts.outstanding, advance: amounts.advance, fee: fee,
                netDisbursement: try amounts.advance.subtracting(fee), daysToMaturity: disbursementDate.days(until: dueDate),
                feeDays: dayCount.days(from: disbursementDate, to: dueDate))
        } catch {
            throw .money(error)
        }
    }
}
