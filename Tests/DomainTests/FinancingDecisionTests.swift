import Domain
import Foundation
import Testing

// Oracle for every fee below: Python's `decimal` module (prec 50), computed independently of the
// Swift code, e.g.
//   from decimal import Decimal as D, ROUND_HALF_EVEN, ROUND_DOWN
//   adv = (D(outstanding_fen) * D(rate)).quantize(D(1), ROUND_DOWN)
//   fee = (adv * D(annual) * D(days) / D(360)).quantize(D(1), ROUND_HALF_EVEN)
// with days from `datetime.date` subtraction (ACT) or a hand-written 30/360 US rule.
// Each test's comment shows the numbers in fen.

@Suite("Supplier financing decision")
struct FinancingDecisionTests {
    typealias F = FinancingFixtures

    static func decide(
        _ receivables: [Receivable], line: FinancingLine = F.line(), on date: String = "2026-03-01",
        active: Bool = true, outstanding: Money = F.cny("0.00")
    ) throws -> FinancingDecision {
        try line.decide(
            receivables: receivables, disbursementDate: F.date(date), supplierIsActive: active,
            outstandingFinancing: outstanding
        )
    }

    static func amounts(_ decision: FinancingDecision, _ index: Int = 0) throws -> FinancedAmounts {
        guard case .eligible(let amounts) = decision.lines[index].outcome else {
            Issue.record("line \(index) was refused: \(decision.lines[index].reasons)")
            throw CancellationError()
        }
        return amounts
    }

    static func codes(_ decision: FinancingDecision, _ index: Int = 0) -> [String] {
        decision.lines[index].reasons.map(\.code)
    }

    // MARK: Amounts

    @Test("advance, ACT/360 discount fee and net disbursement match the oracle, after dilution")
    func singleReceivableAmounts() throws {
        // face 12,345,678 fen − dilution 100,000 = outstanding 12,245,678
        // advance = down(12,245,678 × 0.8 = 9,796,542.4) = 9,796,542
        // days 2026-03-01 → 2026-05-30 = 90
        // fee = half_even(9,796,542 × 0.065 × 90 / 360 = 159,193.8075) = 159,194
        // net = 9,796,542 − 159,194 = 9,637,348
        let receivable = F.receivable(face: F.cny("123456.78"), due: "2026-05-30", dilution: [F.cny("1000.00")])
        let decision = try Self.decide([receivable])
        #expect(decision.status == .approved)
        #expect(decision.reasons.isEmpty)
        let line = try Self.amounts(decision)
        #expect(line.outstanding == F.cny("122456.78"))
        #expect(line.advance == F.cny("97965.42"))
        #expect(line.fee == F.cny("1591.94"))
        #expect(line.netDisbursement == F.cny("96373.48"))
        #expect(line.daysToMaturity == 90)
        #expect(line.feeDays == 90)
        #expect(decision.eligibleTotals.netDisbursement == F.cny("96373.48"))
        #expect(decision.disbursementDate == F.date("2026-03-01"))
    }

    @Test("the advance is rounded down, never up, so it never exceeds the advance rate")
    func advanceRoundsDown() throws {
        // 12,347 × 0.8 = 9,877.6 → down 9,877 (half-even would give 9,878)
        let decision = try Self.decide([F.receivable(face: F.cny("123.47"))])
        #expect(try Self.amounts(decision).advance == F.cny("98.77"))
    }

    @Test("the discount fee rounds half to even", arguments: [
        // advance 10,000 × 0.045 × 10 / 360 = 12.5 → 12 (even); half-up would give 13
        ("125.00", "100.00", "0.12"),
        // advance 10,800 × 0.045 × 10 / 360 = 13.5 → 14 (even)
        ("135.00", "108.00", "0.14"),
    ])
    func feeRoundsHalfEven(face: String, advance: String, fee: String) throws {
        let line = F.line(annualDiscountRate: "0.045")
        let decision = try Self.decide([F.receivable(face: F.cny(face), due: "2026-03-11")], line: line)
        let amounts = try Self.amounts(decision)
        #expect(amounts.daysToMaturity == 10)
        #expect(amounts.advance == F.cny(advance))
        #expect(amounts.fee == F.cny(fee))
    }

    @Test("several receivables: per-line amounts and totals match the oracle")
    func severalReceivables() throws {
        // rate 0.85, annual 0.06, ACT/360, disbursed 2026-06-01
        // 1,000,000 fen due 07-01 (30 d): adv 850,000   fee 4,250.00  → 4,250   net 845,750
        // 2,345,679 fen due 08-30 (90 d): adv 1,993,827 fee 29,907.405 → 29,907 net 1,963,920
        //   777,777 fen due 09-15 (106 d): adv 661,110  fee 11,679.61 → 11,680  net 649,430
        // totals: outstanding 4,123,456, advance 3,504,937, fee 45,837, net 3,459,100
        let line = F.line(advanceRate: "0.85", annualDiscountRate: "0.06")
        let decision = try Self.decide([
            F.receivable("a", face: F.cny("10000.00"), due: "2026-07-01"),
            F.receivable("b", face: F.cny("23456.79"), due: "2026-08-30"),
            F.receivable("c", face: F.cny("7777.77"), due: "2026-09-15"),
        ], line: line, on: "2026-06-01")
        #expect(decision.status == .approved)
        #expect(try Self.amounts(decision, 0).fee == F.cny("42.50"))
        #expect(try Self.amounts(decision, 1).fee == F.cny("299.07"))
        #expect(try Self.amounts(decision, 1).netDisbursement == F.cny("19639.20"))
        #expect(try Self.amounts(decision, 2).daysToMaturity == 106)
        #expect(try Self.amounts(decision, 2).fee == F.cny("116.80"))
        #expect(decision.eligibleTotals == FinancingTotals(
            outstanding: F.cny("41234.56"), advance: F.cny("35049.37"), fee: F.cny("458.37"),
            netDisbursement: F.cny("34591.00")
        ))
        #expect(decision.eligible.map(\.receivableID) == ["a", "b", "c"])
    }

    @Test("an ACT/365F line divides by 365")
    func act365Fixed() throws {
        // advance = 5,000,000 × 0.9 = 4,500,000; 2026-02-10 → 2026-07-15 = 155 days
        // fee = 4,500,000 × 0.0588 × 155 / 365 = 112,364.3835… → 112,364
        let line = F.line(advanceRate: "0.9", annualDiscountRate: "0.0588", dayCount: .act365F)
        let decision = try Self.decide([F.receivable(face: F.cny("50000.00"), due: "2026-07-15")], line: line, on: "2026-02-10")
        let amounts = try Self.amounts(decision)
        #expect(amounts.daysToMaturity == 155)
        #expect(amounts.fee == F.cny("1123.64"))
    }

    @Test("a 30/360 line charges 30/360 days while tenor is checked in calendar days")
    func thirty360() throws {
        // 2026-01-31 → 2026-03-31: 59 calendar days, 30/360 US days = 360·0 + 30·2 + (30 − 30) = 60
        // advance = down(3,333,333 × 0.75 = 2,499,999.75) = 2,499,999
        // fee = 2,499,999 × 0.07 × 60 / 360 = 29,166.655 → 29,167 (ACT/360 would give 28,680.54… → 28,681)
        let line = F.line(advanceRate: "0.75", annualDiscountRate: "0.07", minDays: 59, dayCount: .thirty360)
        let decision = try Self.decide([F.receivable(face: F.cny("33333.33"), due: "2026-03-31")], line: line, on: "2026-01-31")
        let amounts = try Self.amounts(decision)
        #expect(amounts.daysToMaturity == 59)
        #expect(amounts.feeDays == 60)
        #expect(amounts.advance == F.cny("24999.99"))
        #expect(amounts.fee == F.cny("291.67"))
    }

    // MARK: Per-receivable reasons

    @Test("a receivable that is not open is refused with a reason naming why", arguments: [
        (ReceivableStatus.financed, FinancingReason.alreadyFinanced),
        (.disputed, .receivableDisputed),
        (.settled, .receivableNotOpen(.settled)),
        (.cancelled, .receivableNotOpen(.cancelled)),
    ])
    func statusReasons(status: ReceivableStatus, reason: FinancingReason) throws {
        let receivable = F.receivable(status: status, statusBeforeDispute: status == .disputed ? .open : nil)
        let decision = try Self.decide([receivable])
        #expect(decision.lines[0].reasons == [reason])
        #expect(decision.status == .declined)
    }

    @Test("receivable_not_open carries the status in its detail")
    func notOpenDetail() {
        #expect(FinancingReason.receivableNotOpen(.settled).code == "receivable_not_open")
        #expect(FinancingReason.receivableNotOpen(.settled).detail.contains("settled"))
        #expect(FinancingReason.receivableNotOpen(.cancelled).detail.contains("cancelled"))
    }

    @Test("a receivable in another currency is refused")
    func currencyMismatch() throws {
        let decision = try Self.decide([F.receivable(face: F.usd("100.00"))])
        #expect(decision.lines[0].reasons == [.currencyMismatch(receivable: .usd, line: .cny)])
        #expect(Self.codes(decision) == ["currency_mismatch"])
    }

    @Test("days to maturity below the minimum: due_too_soon; the minimum itself is eligible", arguments: [
        ("2026-03-07", [FinancingReason.dueTooSoon(days: 6, minimum: 7)]),
        ("2026-03-08", []),
        ("2026-02-26", [FinancingReason.dueTooSoon(days: -3, minimum: 7)]),  // already past due
    ])
    func dueTooSoon(due: String, reasons: [FinancingReason]) throws {
        let decision = try Self.decide([F.receivable(issued: "2026-01-01", due: due)])
        #expect(decision.lines[0].reasons == reasons)
    }

    @Test("days to maturity above the maximum: due_too_late; the maximum itself is eligible", arguments: [
        ("2026-08-29", [FinancingReason.dueTooLate(days: 181, maximum: 180)]),
        ("2026-08-28", []),
    ])
    func dueTooLate(due: String, reasons: [FinancingReason]) throws {
        let decision = try Self.decide([F.receivable(due: due)])
        #expect(decision.lines[0].reasons == reasons)
    }

    @Test("a fully diluted receivable has nothing outstanding")
    func nothingOutstanding() throws {
        let decision = try Self.decide([F.receivable(face: F.cny("500.00"), dilution: [F.cny("300.00"), F.cny("250.00")])])
        #expect(decision.lines[0].reasons == [.nothingOutstanding])
    }

    @Test("an advance that rounds down to zero is refused rather than approved at zero")
    func advanceRoundsToZero() throws {
        // 1 fen × 0.8 = 0.8 → down 0
        let decision = try Self.decide([F.receivable(face: F.cny("0.01"))])
        #expect(Self.codes(decision) == ["advance_rounds_to_zero"])
        #expect(decision.status == .declined)
    }

    @Test("a fee that would take the whole advance is refused")
    func feeNotBelowAdvance() throws {
        // 400 % a year for 90 days: fee = advance × 4 × 90 / 360 = advance
        let line = F.line(annualDiscountRate: "4")
        let decision = try Self.decide([F.receivable(face: F.cny("100.00"), due: "2026-05-30")], line: line)
        #expect(decision.lines[0].reasons == [.feeNotBelowAdvance(advance: F.cny("80.00"), fee: F.cny("80.00"))])
    }

    @Test("every applicable reason is reported, not only the first")
    func allReasons() throws {
        let receivable = F.receivable(face: F.cny("100.00"), due: "2026-12-31", status: .settled, dilution: [F.cny("100.00")])
        let decision = try Self.decide([receivable], active: false)
        #expect(Self.codes(decision) == ["supplier_not_active", "receivable_not_open", "due_too_late", "nothing_outstanding"])
    }

    @Test("an inactive supplier's receivables are all refused and the request says why")
    func supplierNotActive() throws {
        let decision = try Self.decide([F.receivable("a"), F.receivable("b")], active: false)
        #expect(decision.lines.allSatisfy { $0.reasons == [.supplierNotActive] })
        #expect(decision.status == .declined)
        #expect(decision.reasons.map(\.code) == ["supplier_not_active", "no_eligible_receivable"])
    }

    @Test("the same receivable twice in one request is advanced once")
    func duplicateInRequest() throws {
        let decision = try Self.decide([F.receivable("a"), F.receivable("a")])
        #expect(decision.lines[0].isEligible)
        #expect(decision.lines[1].reasons == [.duplicateInRequest])
        #expect(decision.eligibleTotals.advance == F.cny("8000.00"))
    }

    // MARK: Request outcome

    @Test("no eligible receivable, or none requested, declines with no_eligible_receivable")
    func noEligibleReceivable() throws {
        let refused = try Self.decide([F.receivable(status: .financed)])
        #expect(refused.status == .declined)
        #expect(refused.reasons == [.noEligibleReceivable])
        let empty = try Self.decide([])
        #expect(empty.status == .declined)
        #expect(empty.reasons == [.noEligibleReceivable])
        #expect(empty.eligibleTotals.advance.isZero)
    }

    @Test("refused receivables do not stop the eligible ones from being approved")
    func partialApproval() throws {
        let decision = try Self.decide([F.receivable("ok"), F.receivable("late", due: "2027-01-01")])
        #expect(decision.status == .approved)
        #expect(decision.lines.map(\.isEligible) == [true, false])
        #expect(decision.eligibleTotals.advance == F.cny("8000.00"))
        #expect(decision.eligibleTotals.outstanding == F.cny("10000.00"))
    }

    @Test("a total advance up to the free limit passes; one fen more declines the whole request")
    func limitExceeded() throws {
        // free = 1,000,000.00 − 950,000.00 = 50,000.00
        // 62,500.00 × 0.8 = 50,000.00 (at the limit); 62,500.02 × 0.8 = 50,000.016 → 50,000.01
        let atLimit = try Self.decide([F.receivable(face: F.cny("62500.00"))], outstanding: F.cny("950000.00"))
        #expect(atLimit.status == .approved)
        #expect(atLimit.freeLimit == F.cny("50000.00"))

        let over = try Self.decide(
            [F.receivable("a", face: F.cny("31250.00")), F.receivable("b", face: F.cny("31250.02"))],
            outstanding: F.cny("950000.00")
        )
        #expect(over.status == .declined)
        #expect(over.reasons == [.limitExceeded(requested: F.cny("50000.01"), freeLimit: F.cny("50000.00"))])
        #expect(over.reasons[0].code == "limit_exceeded")
        #expect(over.reasons[0].detail.contains("free limit 50000.00 CNY"))
        // The lines still show what each receivable would have yielded.
        #expect(over.lines.allSatisfy { $0.isEligible })
    }

    @Test("a line already drawn beyond its limit has a free limit of zero")
    func overdrawnLine() throws {
        let decision = try Self.decide([F.receivable()], line: F.line(limit: "1000.00", ceiling: "1000.00"), outstanding: F.cny("1500.00"))
        #expect(decision.freeLimit == F.cny("0.00"))
        #expect(decision.reasons == [.limitExceeded(requested: F.cny("8000.00"), freeLimit: F.cny("0.00"))])
    }

    @Test("a total advance above the auto-approval ceiling goes to review; at the ceiling it is approved")
    func pendingReview() throws {
        // 250,000.00 × 0.8 = 200,000.00 (= ceiling); 250,000.02 × 0.8 = 200,000.016 → 200,000.01
        let atCeiling = try Self.decide([F.receivable(face: F.cny("250000.00"))])
        #expect(atCeiling.status == .approved)
        let above = try Self.decide([F.receivable(face: F.cny("250000.02"))])
        #expect(above.status == .pendingReview)
        #expect(above.status.rawValue == "pending_review")
        #expect(above.reasons == [.aboveAutoApprovalCeiling(requested: F.cny("200000.01"), ceiling: F.cny("200000.00"))])
    }

    @Test("the limit check comes before the review ceiling")
    func limitBeforeReview() throws {
        let decision = try Self.decide([F.receivable(face: F.cny("300000.00"))], line: F.line(limit: "100000.00"))
        #expect(decision.status == .declined)
        #expect(decision.reasons.map(\.code) == ["limit_exceeded"])
    }

    @Test("reason codes are stable snake_case")
    func reasonCodes() {
        let m = F.cny("1.00")
        let codes: [(FinancingReason, String)] = [
            (.supplierNotActive, "supplier_not_active"), (.receivableNotOpen(.settled), "receivable_not_open"),
            (.receivableDisputed, "receivable_disputed"), (.alreadyFinanced, "already_financed"),
            (.currencyMismatch(receivable: .usd, line: .cny), "currency_mismatch"),
            (.dueTooSoon(days: 1, minimum: 2), "due_too_soon"), (.dueTooLate(days: 3, maximum: 2), "due_too_late"),
            (.nothingOutstanding, "nothing_outstanding"), (.advanceRoundsToZero(outstanding: m), "advance_rounds_to_zero"),
            (.feeNotBelowAdvance(advance: m, fee: m), "fee_not_below_advance"), (.duplicateInRequest, "duplicate_in_request"),
            (.noEligibleReceivable, "no_eligible_receivable"), (.limitExceeded(requested: m, freeLimit: m), "limit_exceeded"),
            (.aboveAutoApprovalCeiling(requested: m, ceiling: m), "above_auto_approval_ceiling"),
        ]
        for (reason, code) in codes {
            #expect(reason.code == code)
            #expect(!reason.detail.isEmpty)
        }
        #expect(FinancingReason.dueTooSoon(days: 3, minimum: 7).detail == "due in 3 days; the line requires at least 7")
    }

    // MARK: Inputs

    @Test("outstanding financing must be in the line's currency and not negative")
    func outstandingFinancingValidation() {
        #expect(throws: FinancingError.outstandingFinancingCurrencyMismatch(line: "CNY", outstanding: "USD")) {
            try Self.decide([F.receivable()], outstanding: F.usd("0.00"))
        }
        #expect(throws: FinancingError.negativeOutstandingFinancing) {
            try Self.decide([F.receivable()], outstanding: F.cny("-0.01"))
        }
    }

    @Test("a financing line refuses impossible terms")
    func lineValidation() {
        func make(
            limit: Money = F.cny("100.00"), rate: String = "0.8", annual: String = "0.05", min: Int = 1, max: Int = 90,
            ceiling: Money = F.cny("50.00")
        ) throws(FinancingLineError) -> FinancingLine {
            try FinancingLine(limit: limit, advanceRate: F.dec(rate), annualDiscountRate: F.dec(annual),
                              minDaysToMaturity: min, maxDaysToMaturity: max, autoApprovalCeiling: ceiling)
        }
        #expect(throws: Never.self) { try make(rate: "1") }
        #expect(throws: FinancingLineError.advanceRateOutOfRange(0)) { try make(rate: "0") }
        #expect(throws: FinancingLineError.advanceRateOutOfRange(F.dec("1.01"))) { try make(rate: "1.01") }
        #expect(throws: FinancingLineError.negativeDiscountRate(F.dec("-0.01"))) { try make(annual: "-0.01") }
        #expect(throws: FinancingLineError.invalidTenorRange(min: 0, max: 90)) { try make(min: 0) }
        #expect(throws: FinancingLineError.invalidTenorRange(min: 30, max: 29)) { try make(min: 30, max: 29) }
        #expect(throws: FinancingLineError.negativeLimit) { try make(limit: F.cny("-1.00")) }
        #expect(throws: FinancingLineError.currencyMismatch(limit: "CNY", ceiling: "USD")) { try make(ceiling: F.usd("1.00")) }
        #expect(throws: FinancingLineError.negativeAutoApprovalCeiling) { try make(ceiling: F.cny("-1.00")) }
        #expect((try? make())?.dayCount == .act360)
    }
}
