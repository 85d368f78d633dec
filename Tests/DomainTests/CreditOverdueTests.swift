import Foundation
import Testing
import Domain

private typealias F = CreditFixtures

@Suite("Late fees and delinquency")
struct CreditOverdueTests {
    static let product = CreditProduct.standard

    @Test("a late fee is daily rate × overdue principal × days")
    func lateFeeFormula() throws {
        // 1,000.00 × 0.05% × 3 days = 1.50.
        let fee = try LateFee.accrue(
            overduePrincipal: F.cny(100_000), daysOverdue: 3, product: Self.product, alreadyCharged: F.cny(0)
        )
        #expect(fee == F.cny(150))
        let none = try LateFee.accrue(
            overduePrincipal: F.cny(100_000), daysOverdue: 0, product: Self.product, alreadyCharged: F.cny(0)
        )
        #expect(none == F.cny(0))
    }

    @Test("a late fee is rounded once, half-even by default, with the product's rule otherwise")
    func lateFeeRounding() throws {
        func fee(_ principal: Int64, _ rule: RoundingRule) throws -> Int64 {
            var product = Self.product
            product.rounding = rule
            return try LateFee.accrue(
                overduePrincipal: F.cny(principal), daysOverdue: 1, product: product, alreadyCharged: F.cny(0)
            ).minorUnits
        }
        #expect(try fee(1_000, .halfEven) == 0)  // 0.5 fen
        #expect(try fee(3_000, .halfEven) == 2)  // 1.5 fen
        #expect(try fee(1_000, .halfUp) == 1)
        #expect(try fee(1_999, .halfEven) == 1)  // 0.9995 fen
    }

    @Test("late fees stop at the cap of 25% of the overdue principal, counting what was already charged")
    func lateFeeCap() throws {
        #expect(try LateFee.cap(overduePrincipal: F.cny(100_000), product: Self.product) == F.cny(25_000))
        // 600 days would be 30,000; the cap is 25,000.
        let uncapped = try LateFee.accrue(
            overduePrincipal: F.cny(100_000), daysOverdue: 600, product: Self.product, alreadyCharged: F.cny(0)
        )
        #expect(uncapped == F.cny(25_000))
        let topUp = try LateFee.accrue(
            overduePrincipal: F.cny(100_000), daysOverdue: 10, product: Self.product, alreadyCharged: F.cny(24_000)
        )
        #expect(topUp == F.cny(500))
        let lastBit = try LateFee.accrue(
            overduePrincipal: F.cny(100_000), daysOverdue: 30, product: Self.product, alreadyCharged: F.cny(24_000)
        )
        #expect(lastBit == F.cny(1_000))
    }

    @Test("no late fee once the cap is reached or exceeded, never a negative one")
    func lateFeeNeverNegative() throws {
        for charged: Int64 in [25_000, 30_000] {
            let fee = try LateFee.accrue(
                overduePrincipal: F.cny(100_000), daysOverdue: 5, product: Self.product, alreadyCharged: F.cny(charged)
            )
            #expect(fee == F.cny(0))
        }
    }

    @Test("late-fee inputs in another currency or negative are refused")
    func lateFeeRefusals() {
        #expect(throws: CreditError.currencyMismatch(expected: "CNY", found: "USD")) {
            try LateFee.accrue(
                overduePrincipal: F.cny(100), daysOverdue: 1, product: Self.product,
                alreadyCharged: Money(minorUnits: 0, currency: .usd)
            )
        }
        #expect(throws: CreditError.negativeAmount(field: "overdue principal")) {
            try LateFee.accrue(overduePrincipal: F.cny(-1), daysOverdue: 1, product: Self.product, alreadyCharged: F.cny(0))
        }
    }

    @Test("an installment is overdue only after the grace days, and then late fees run from the due date")
    func graceDays() {
        let due = F.date("2026-03-31")
        #expect(!Self.product.isOverdue(dueDate: due, asOf: due))
        #expect(!Self.product.isOverdue(dueDate: due, asOf: F.date("2026-04-03")))
        #expect(Self.product.isOverdue(dueDate: due, asOf: F.date("2026-04-04")))
        #expect(LateFee.chargeableDays(dueDate: due, asOf: F.date("2026-04-03"), product: Self.product) == 0)
        #expect(LateFee.chargeableDays(dueDate: due, asOf: F.date("2026-04-04"), product: Self.product) == 4)
        #expect(LateFee.chargeableDays(dueDate: due, asOf: F.date("2026-03-01"), product: Self.product) == 0)
    }

    @Test("delinquency buckets change exactly at their boundaries", arguments: [
        (0, DelinquencyBucket.current), (1, .d1to30), (30, .d1to30), (31, .d31to60), (60, .d31to60),
        (61, .d61to90), (90, .d61to90), (91, .d90plus), (180, .d90plus), (-5, .current),
    ])
    func buckets(days: Int, bucket: DelinquencyBucket) {
        #expect(DelinquencyBucket(daysPastDue: days) == bucket)
    }

    @Test("a balance is charged off at 180 days past due, not at 179")
    func chargeOff() {
        #expect(!DelinquencyBucket.shouldChargeOff(daysPastDue: 179))
        #expect(DelinquencyBucket.shouldChargeOff(daysPastDue: 180))
        #expect(DelinquencyBucket.shouldChargeOff(daysPastDue: 181))
        #expect(!DelinquencyBucket.shouldChargeOff(daysPastDue: 0))
    }

    @Test("days past due count from the due date and are zero before it")
    func daysPastDue() {
        let due = F.date("2026-01-31")
        #expect(DelinquencyBucket.daysPastDue(dueDate: due, asOf: F.date("2026-01-15")) == 0)
        #expect(DelinquencyBucket.daysPastDue(dueDate: due, asOf: due) == 0)
        #expect(DelinquencyBucket.daysPastDue(dueDate: due, asOf: F.date("2026-03-02")) == 30)
    }

    @Test("the delinquency status of an unpaid installment combines bucket, grace and charge-off")
    func status() {
        let due = F.date("2026-01-31")
        let inGrace = DelinquencyStatus(dueDate: due, asOf: F.date("2026-02-02"), product: Self.product)
        #expect(inGrace.daysPastDue == 2)
        #expect(inGrace.bucket == .d1to30)
        #expect(!inGrace.isOverdue)
        #expect(inGrace.lateFeeDays == 0)
        let late = DelinquencyStatus(dueDate: due, asOf: due.adding(days: 180), product: Self.product)
        #expect(late.bucket == .d90plus)
        #expect(late.isOverdue)
        #expect(late.lateFeeDays == 180)
        #expect(late.shouldChargeOff)
        #expect(DelinquencyBucket.d90plus.rawValue == "dpd_90_plus")
    }
}
