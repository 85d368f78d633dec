import Domain
import Testing

@Suite("Maturity settlement of financed receivables")
struct FinancingSettlementTests {
    typealias F = FinancingFixtures

    @Test("without dilution the financier is repaid and the supplier gets the rest", arguments: [
        // payment, advance outstanding, to financing, to supplier, recourse (hand-computed)
        ("10000.00", "8000.00", "8000.00", "2000.00", "0.00"),
        // dilution 1,500.00: the platform pays 8,500.00, still above the advance
        ("8500.00", "8000.00", "8000.00", "500.00", "0.00"),
        // dilution 2,000.00: the payment exactly repays the advance
        ("8000.00", "8000.00", "8000.00", "0.00", "0.00"),
        // dilution 3,000.00: the payment falls 1,000.00 short — recourse to the supplier
        ("7000.00", "8000.00", "7000.00", "0.00", "1000.00"),
        // fully diluted: nothing paid, the whole advance is recourse
        ("0.00", "8000.00", "0.00", "0.00", "8000.00"),
        // nothing financed (advance repaid earlier): everything to the supplier
        ("123.45", "0.00", "0.00", "123.45", "0.00"),
    ])
    func split(payment: String, advance: String, toFinancing: String, toSupplier: String, recourse: String) throws {
        let split = try SettlementSplit(payment: F.cny(payment), advanceOutstanding: F.cny(advance))
        #expect(split.toFinancing == F.cny(toFinancing))
        #expect(split.toSupplier == F.cny(toSupplier))
        #expect(split.recourse == F.cny(recourse))
        #expect(split.payment == F.cny(payment))
        #expect(split.advanceOutstanding == F.cny(advance))
    }

    @Test("payment = to financing + to supplier and to financing + recourse = advance, for every payment")
    func invariants() throws {
        let advance = F.cny("8.00")
        for fen in Int64(0)...1_200 {
            let split = try SettlementSplit(payment: Money(minorUnits: fen, currency: .cny), advanceOutstanding: advance)
            #expect(try split.toFinancing.adding(split.toSupplier) == split.payment)
            #expect(try split.toFinancing.adding(split.recourse) == advance)
            // Recourse and a supplier remainder never occur together.
            #expect(split.recourse.isZero || split.toSupplier.isZero)
        }
    }

    @Test("decide, dilute, settle: the platform's diluted payment leaves a recourse amount")
    func endToEndWithDilution() throws {
        // face 10,000.00, 80 % → advance 8,000.00 (fee taken upfront, not owed at maturity).
        let receivable = F.receivable(face: F.cny("10000.00"), due: "2026-05-30")
        let decision = try FinancingFixtures.line().decide(
            receivables: [receivable], disbursementDate: F.date("2026-03-01"), supplierIsActive: true,
            outstandingFinancing: F.cny("0.00")
        )
        let advance = decision.eligibleTotals.advance
        #expect(advance == F.cny("8000.00"))
        // Goods worth 2,600.00 come back after financing: the platform now owes 7,400.00.
        let financed = try receivable.financed()
            .adjusted(by: ReceivableAdjustment(kind: .goodsReturned, amount: F.cny("2600.00"), reference: "ret_9"))
        let split = try SettlementSplit(payment: financed.outstanding, advanceOutstanding: advance)
        #expect(split == (try SettlementSplit(payment: F.cny("7400.00"), advanceOutstanding: F.cny("8000.00"))))
        #expect(split.toFinancing == F.cny("7400.00"))
        #expect(split.toSupplier == F.cny("0.00"))
        #expect(split.recourse == F.cny("600.00"))
        #expect(try financed.settled().status == .settled)
    }

    @Test("a settlement needs one currency and no negative amounts")
    func validation() {
        #expect(throws: SettlementError.currencyMismatch(payment: "USD", advance: "CNY")) {
            try SettlementSplit(payment: F.usd("1.00"), advanceOutstanding: F.cny("1.00"))
        }
        #expect(throws: SettlementError.negativePayment) {
            try SettlementSplit(payment: F.cny("-0.01"), advanceOutstanding: F.cny("1.00"))
        }
        #expect(throws: SettlementError.negativeAdvanceOutstanding) {
            try SettlementSplit(payment: F.cny("1.00"), advanceOutstanding: F.cny("-0.01"))
        }
    }
}
