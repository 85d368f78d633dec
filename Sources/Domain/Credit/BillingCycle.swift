/// An account's monthly billing cycle (账单): the statement day the bill is issued on and the
/// repayment day it falls due on (Docs/CREDIT-BILLS.md).
///
/// Both days are 1–28, so every month has them and no month-end rule is needed:
/// - the bill issued on a statement date S falls due on the first repayment day after S (the same
///   month when the repayment day is later in the month than the statement day, else the next month);
/// - it lists every installment falling due after the previous bill's due date (one month earlier)
///   up to and including its own due date;
/// - a purchase belongs to the first bill issued on or after its purchase date (the nightly run issues
///   a bill at the close of its statement date, after that day's purchases), so the 30-day interest-free
///   plan falls due on that bill's due date (`interestFreeDueDate`; see Docs/CREDIT-BILLS.md for where it applies).
public struct BillingCycle: Sendable, Hashable {
    /// Days of the month a statement or repayment day may be.
    public static let days = 1...28

    public let statementDay: Int
    public let repaymentDay: Int

    /// The default of a product that names no days: statement on the 1st, repayment on the 10th.
    public static let productDefault = BillingCycle(checkedStatementDay: 1, repaymentDay: 10)

    private init(checkedStatementDay: Int, repaymentDay: Int) {
        self.statementDay = checkedStatementDay
        self.repaymentDay = repaymentDay
    }

    /// Which field is out of range, or nil when both are valid.
    public static func invalidField(statementDay: Int, repaymentDay: Int) -> String? {
        if !days.contains(statementDay) { return "statement_day" }
        if !days.contains(repaymentDay) { return "repayment_day" }
        return nil
    }

    /// A cycle; nil when either day is outside 1–28.
    public init?(statementDay: Int, repaymentDay: Int) {
        guard Self.invalidField(statementDay: statementDay, repaymentDay: repaymentDay) == nil else { return nil }
        self.statementDay = statementDay
        self.repaymentDay = repaymentDay
    }

    /// Whether a bill is issued on `date`.
    public func isStatementDate(_ date: BusinessDate) -> Bool { date.day == statementDay }

    /// The first statement date on or after `date`.
    public func statementDate(onOrAfter date: BusinessDate) -> BusinessDate {
        let thisMonth = Self.date(date.year, date.month, statementDay)
        return thisMonth >= date ? thisMonth : thisMonth.adding(months: 1)
    }

    /// The due date of the bill issued on `statementDate` (a statement date of this cycle).
    public func dueDate(statementDate: BusinessDate) -> BusinessDate {
        let sameMonth = Self.date(statementDate.year, statementDate.month, repaymentDay)
        return repaymentDay > statementDate.day ? sameMonth : sameMonth.adding(months: 1)
    }

    /// The first day of the cycle the bill issued on `statementDate` covers: the day after the previous bill's due date.
    public func cycleStart(statementDate: BusinessDate) -> BusinessDate {
        dueDate(statementDate: statementDate).adding(months: -1).adding(days: 1)
    }

    /// When an interest-free purchase made on `purchaseDate` falls due: the due date of the bill that follows it.
    public func interestFreeDueDate(purchaseDate: BusinessDate) -> BusinessDate {
        dueDate(statementDate: statementDate(onOrAfter: purchaseDate))
    }

    /// Days 1–28 exist in every month.
    static func date(_ year: Int, _ month: Int, _ day: Int) -> BusinessDate {
        BusinessDate(year: year, month: month, day: day) ?? BusinessDate(daysSinceEpoch: 0)
    }
}
