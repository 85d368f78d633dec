import Foundation
import Testing
import Domain

@Suite("Monthly billing cycle (issue 13)")
struct CreditBillingCycleTests {
    static func date(_ text: String) -> BusinessDate {
        guard let d = BusinessDate(text) else { fatalError("bad test date \(text)") }
        return d
    }

    static func cycle(_ statement: Int, _ repayment: Int) throws -> BillingCycle {
        try #require(BillingCycle(statementDay: statement, repaymentDay: repayment))
    }

    @Test("statement and repayment days are 1 to 28; the field out of range is named")
    func dayRange() {
        #expect(BillingCycle(statementDay: 1, repaymentDay: 28) != nil)
        #expect(BillingCycle(statementDay: 29, repaymentDay: 10) == nil)
        #expect(BillingCycle(statementDay: 5, repaymentDay: 0) == nil)
        #expect(BillingCycle.invalidField(statementDay: 0, repaymentDay: 10) == "statement_day")
        #expect(BillingCycle.invalidField(statementDay: 31, repaymentDay: 10) == "statement_day")
        #expect(BillingCycle.invalidField(statementDay: 1, repaymentDay: 29) == "repayment_day")
        #expect(BillingCycle.invalidField(statementDay: 28, repaymentDay: 1) == nil)
    }

    @Test("a bill falls due on the first repayment day after its statement date: the same month or the next")
    func dueDate() throws {
        #expect(try Self.cycle(1, 10).dueDate(statementDate: Self.date("2026-02-01")) == Self.date("2026-02-10"))
        #expect(try Self.cycle(20, 5).dueDate(statementDate: Self.date("2026-12-20")) == Self.date("2027-01-05"))
        #expect(try Self.cycle(15, 15).dueDate(statementDate: Self.date("2026-01-15")) == Self.date("2026-02-15"))
        // The cycle starts the day after the previous bill's due date.
        #expect(try Self.cycle(1, 10).cycleStart(statementDate: Self.date("2026-03-01")) == Self.date("2026-02-11"))
        #expect(try Self.cycle(20, 5).cycleStart(statementDate: Self.date("2026-01-20")) == Self.date("2026-01-06"))
    }

    @Test("an interest-free purchase just before, on and just after a statement day falls due on the following bill's repayment day")
    func interestFreeAroundStatementDay() throws {
        let c = try Self.cycle(25, 12)
        // The bill of 03-25 (due 04-12) takes purchases up to and including the statement date.
        #expect(c.interestFreeDueDate(purchaseDate: Self.date("2026-03-24")) == Self.date("2026-04-12"))
        #expect(c.interestFreeDueDate(purchaseDate: Self.date("2026-03-25")) == Self.date("2026-04-12"))
        // The day after, the next bill (04-25, due 05-12).
        #expect(c.interestFreeDueDate(purchaseDate: Self.date("2026-03-26")) == Self.date("2026-05-12"))
        #expect(c.isStatementDate(Self.date("2026-03-25")))
        #expect(!c.isStatementDate(Self.date("2026-03-26")))
    }

    @Test("across month and year ends: Jan 31 to February, Dec 31 to January, leap-year Feb 29")
    func monthEnds() throws {
        let early = try Self.cycle(1, 10)
        let late = try Self.cycle(28, 18)
        #expect(early.interestFreeDueDate(purchaseDate: Self.date("2026-01-31")) == Self.date("2026-02-10"))
        #expect(late.interestFreeDueDate(purchaseDate: Self.date("2026-01-31")) == Self.date("2026-03-18"))
        #expect(late.statementDate(onOrAfter: Self.date("2026-01-31")) == Self.date("2026-02-28"))
        #expect(early.interestFreeDueDate(purchaseDate: Self.date("2026-12-31")) == Self.date("2027-01-10"))
        // 2028 is a leap year: Feb 29 comes after a 28th statement day, so the March bill takes it.
        #expect(late.interestFreeDueDate(purchaseDate: Self.date("2028-02-28")) == Self.date("2028-03-18"))
        #expect(late.interestFreeDueDate(purchaseDate: Self.date("2028-02-29")) == Self.date("2028-04-18"))
        #expect(early.interestFreeDueDate(purchaseDate: Self.date("2028-02-29")) == Self.date("2028-03-10"))
        // 2027 is not: Feb 28 is the statement date itself.
        #expect(late.interestFreeDueDate(purchaseDate: Self.date("2027-02-28")) == Self.date("2027-03-18"))
    }

    @Test("every purchase date falls due within 62 days, on a repayment day, on the first bill issued on or after it")
    func interestFreeIsAlwaysTheNextBill() throws {
        for statement in [1, 9, 15, 28] {
            for repayment in [1, 10, 20, 28] {
                let c = try Self.cycle(statement, repayment)
                var day = Self.date("2027-12-01")
                while day < Self.date("2028-04-01") {
                    let due = c.interestFreeDueDate(purchaseDate: day)
                    let bill = c.statementDate(onOrAfter: day)
                    #expect(due.day == repayment)
                    #expect(bill >= day && day.days(until: bill) < 31 && c.isStatementDate(bill))
                    #expect(due > bill && (1...62).contains(day.days(until: due)), "\(statement)/\(repayment) \(day) -> \(due)")
                    #expect(c.cycleStart(statementDate: bill) <= due)
                    day = day.adding(days: 1)
                }
            }
        }
    }
}
