import Foundation
import Testing
import Domain

private typealias F = CreditFixtures

@Suite("Checkout decisions, consumer identity and credit posting templates")
struct CreditCheckoutDecisionTests {
    static func standing(
        _ status: CreditAccountStatus = .active, limit: Int64 = 100_000, held: Int64 = 0, outstanding: Int64 = 0,
        overdue: Bool = false
    ) -> CreditStanding {
        CreditStanding(status: status, limit: F.cny(limit), held: F.cny(held), principalOutstanding: F.cny(outstanding),
                       hasOverdue: overdue)
    }

    static func codes(_ decision: CheckoutDecision) -> [String] { decision.reasons.map(\.code) }

    @Test("an amount up to the available limit is approved; one minor unit more is declined")
    func limitBoundary() {
        let standing = Self.standing(held: 30_000, outstanding: 20_000)
        #expect(standing.available == F.cny(50_000))
        #expect(CheckoutDecision.decide(amount: F.cny(50_000), plan: .installments(3), standing: standing, product: .standard) == .approved)
        #expect(Self.codes(.decide(amount: F.cny(50_001), plan: .installments(3), standing: standing, product: .standard))
                == ["limit_exceeded"])
    }

    @Test("every applicable reason is listed, account state first")
    func allReasons() {
        let decision = CheckoutDecision.decide(
            amount: F.cny(200_000), plan: .installments(5), standing: Self.standing(overdue: true), product: .standard)
        #expect(Self.codes(decision) == ["account_overdue", "tenor_not_offered", "limit_exceeded"])
        let frozen = CheckoutDecision.decide(amount: F.cny(1), plan: .interestFree, standing: Self.standing(.frozen, overdue: true),
                                             product: .standard)
        #expect(Self.codes(frozen) == ["account_frozen"])
        let declined = CheckoutDecision.decide(amount: F.cny(1), plan: .interestFree, standing: Self.standing(.declined, limit: 0),
                                               product: .standard)
        #expect(Self.codes(declined) == ["account_declined"])
        let usd = CheckoutDecision.decide(amount: Money(minorUnits: 1, currency: .usd), plan: .interestFree,
                                          standing: Self.standing(), product: .standard)
        #expect(Self.codes(usd) == ["currency_mismatch"])
    }

    @Test("an over-committed account shows zero available, never a negative")
    func availableNeverNegative() {
        #expect(Self.standing(limit: 100, held: 80, outstanding: 80).available == F.cny(0))
    }

    @Test("resident identity numbers are checked with GB 11643 and shown only as their last four characters")
    func nationalID() throws {
        let id = try #require(NationalID("11010519491231002x"))
        #expect(id.normalized == "11010519491231002X")
        #expect(id.lastFour == "002X")
        #expect("\(id)" == "**************002X")
        #expect(NationalID("110105194912310021") == nil)
        #expect(NationalID("1101051949123100") == nil)
        #expect(NationalID("A1010519491231002X") == nil)
    }

    @Test("mobile numbers are validated and masked; only the masked form prints")
    func phone() throws {
        let phone = try #require(MobilePhone("+86 138-1234-5678"))
        #expect(phone.digits == "13812345678")
        #expect(phone.masked == "138****5678")
        #expect("\(phone)" == "138****5678")
        #expect(MobilePhone("8613812345678")?.digits == "13812345678")
        #expect(MobilePhone("12812345678") == nil)
        #expect(MobilePhone("1381234567") == nil)
    }

    @Test("each credit posting template balances and hits the documented accounts")
    func templates() throws {
        let date = F.date("2026-03-10")
        let capture = try CreditLedger.capture(checkoutID: "c1", creditAccountID: "a1", merchantID: "m-1", principal: F.cny(1_000),
                                               businessDate: date)
        #expect(capture.lines.map(\.account.code) == ["credit.a1.receivable", "credit.merchant.m-1.payable.cny"])
        #expect(capture.idempotencyRef == "capture:c1")
        let repayment = try CreditLedger.repayment(repaymentID: "r1", creditAccountID: "a1", principal: F.cny(700), fees: F.cny(20),
                                                   lateFees: F.cny(5), businessDate: date)
        #expect(repayment.lines.map(\.amount.minorUnits) == [725, -705, -20])
        let refund = try CreditLedger.refund(refundID: "f1", creditAccountID: "a1", merchantID: "m-1", principal: F.cny(300),
                                             lateFees: F.cny(0), fees: F.cny(0), returnedToConsumer: F.cny(200), businessDate: date)
        #expect(refund.lines.map(\.amount.minorUnits) == [500, -300, -200])
        let lateFee = try CreditLedger.lateFee(planID: "p1", installment: 2, creditAccountID: "a1", amount: F.cny(50), businessDate: date)
        #expect(lateFee.idempotencyRef == "latefee:p1:2:2026-03-10")
        let chargeOff = try CreditLedger.chargeOff(creditAccountID: "a1", balance: F.cny(1_020), businessDate: date)
        #expect(chargeOff.lines.map(\.account.code) == ["credit.write_off.cny", "credit.a1.receivable"])
        for entry in [capture, repayment, refund, lateFee, chargeOff] {
            #expect(entry.lines.reduce(0) { $0 + $1.amount.minorUnits } == 0)
        }
        #expect(throws: LedgerError.tooFewPostings) {
            try CreditLedger.capture(checkoutID: "c", creditAccountID: "a", merchantID: "m", principal: F.cny(0), businessDate: date)
        }
    }
}
