import Foundation
import Testing
import Domain

private typealias F = CreditFixtures

@Suite("Installment schedules")
struct CreditScheduleTests {
    @Test("flat-fee principals sum to the principal exactly for many amounts, tenors and rates")
    func flatFeeSumsExactly() throws {
        var rng = CreditSeededGenerator(seed: 20_260_131)
        for _ in 0..<500 {
            let principal = Int64.random(in: 1...2_000_000_000, using: &rng)
            let tenor = [1, 2, 3, 6, 7, 12, 24, 36].randomElement(using: &rng) ?? 3
            let rate = rng.rate(maxUnits: 200, scale: 4)
            let schedule = try InstallmentSchedule.make(
                principal: F.cny(principal), purchaseDate: F.date("2026-03-15"),
                plan: .installments(tenor), product: F.product(tenor: tenor, .flatMonthlyFee(rate: rate))
            )
            let expectedFee = (Decimal(principal) * rate).rounded(scale: 0, .halfEven)
            #expect(schedule.installments.count == tenor)
            #expect(schedule.installments.map(\.principal.minorUnits).reduce(0, +) == principal)
            #expect(schedule.installments.allSatisfy { Decimal($0.fee.minorUnits) == expectedFee })
            #expect(schedule.installments.allSatisfy { !$0.principal.isNegative && $0.total.minorUnits == $0.principal.minorUnits + $0.fee.minorUnits })
            // Every part but the last is P / n truncated; the last takes the remainder.
            #expect(schedule.installments.dropLast().allSatisfy { $0.principal.minorUnits == principal / Int64(tenor) })
            #expect(schedule.totalFee.minorUnits == schedule.installments.map(\.fee.minorUnits).reduce(0, +))
            #expect(schedule.totalPayable.minorUnits == principal + schedule.totalFee.minorUnits)
        }
    }

    @Test("declining-balance principals sum exactly, totals are level, interest is on the carried balance")
    func decliningBalanceSumsExactly() throws {
        var rng = CreditSeededGenerator(seed: 42)
        for _ in 0..<500 {
            let principal = Int64.random(in: 1...5_000_000_000, using: &rng)
            let tenor = [1, 3, 6, 12, 18, 24, 36, 60].randomElement(using: &rng) ?? 12
            let rate = rng.rate(maxUnits: 300, scale: 4)
            let schedule = try InstallmentSchedule.make(
                principal: F.cny(principal), purchaseDate: F.date("2026-01-31"),
                plan: .installments(tenor), product: F.product(tenor: tenor, .decliningBalance(monthlyRate: rate))
            )
            let rows = schedule.installments
            #expect(rows.map(\.principal.minorUnits).reduce(0, +) == principal)
            #expect(rows.allSatisfy { !$0.principal.isNegative && !$0.fee.isNegative })
            var balance = principal
            for row in rows {
                #expect(Decimal(row.fee.minorUnits) == (Decimal(balance) * rate).rounded(scale: 0, .halfEven))
                balance -= row.principal.minorUnits
                #expect(balance >= 0)
            }
            let payment = try InstallmentSchedule.annuityPayment(
                principal: F.cny(principal), monthlyRate: rate, periods: tenor
            )
            // Large principals never need the [0, balance] clamp, so every total but the last is the payment.
            if principal >= 1_000_000 {
                #expect(rows.dropLast().allSatisfy { $0.total == payment })
            }
        }
    }

    @Test("10,000.00 CNY at 1% a month over 12 months matches the independently computed schedule")
    func hardCodedAnnuity() throws {
        let schedule = try InstallmentSchedule.make(
            principal: F.cny(1_000_000), purchaseDate: F.date("2026-01-15"),
            plan: .installments(12), product: F.product(tenor: 12, .decliningBalance(monthlyRate: F.rate("0.01")))
        )
        // Computed with exact fractions and half-even rounding (see credit_annuity_oracle.py for the method).
        let expected: [(Int64, Int64)] = [
            (78849, 10000), (79637, 9212), (80434, 8415), (81238, 7611), (82051, 6798), (82871, 5978),
            (83700, 5149), (84537, 4312), (85382, 3467), (86236, 2613), (87098, 1751), (87967, 880),
        ]
        #expect(schedule.installments.map { ($0.principal.minorUnits, $0.fee.minorUnits) }.elementsEqual(expected, by: ==))
        #expect(schedule.installments.dropLast().allSatisfy { $0.total == F.cny(88849) })
        #expect(schedule.installments.last?.total == F.cny(88847))
        #expect(schedule.totalFee == F.cny(66186))
        #expect(schedule.totalPayable == F.cny(1_066_186))
    }

    @Test("1,000.00 CNY over 3 months at a flat 0.6% pays 6.00 a month, principal remainder last")
    func hardCodedFlatFee() throws {
        let schedule = try InstallmentSchedule.make(
            principal: F.cny(100_000), purchaseDate: F.date("2026-05-10"),
            plan: .installments(3), product: .standard
        )
        #expect(schedule.installments.map(\.principal.minorUnits) == [33_333, 33_333, 33_334])
        #expect(schedule.installments.map(\.fee.minorUnits) == [600, 600, 600])
        #expect(schedule.installments.map(\.total.minorUnits) == [33_933, 33_933, 33_934])
        #expect(schedule.installments.map(\.number) == [1, 2, 3])
        #expect(schedule.pricing == .flatMonthlyFee(rate: F.rate("0.006")))
    }

    @Test("a Jan 31 purchase falls due on each month's last day when the month is shorter")
    func monthEndRule() throws {
        let schedule = try InstallmentSchedule.make(
            principal: F.cny(1_200_00), purchaseDate: F.date("2026-01-31"),
            plan: .installments(12), product: .standard
        )
        #expect(schedule.installments.map(\.dueDate.description) == [
            "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30", "2026-07-31",
            "2026-08-31", "2026-09-30", "2026-10-31", "2026-11-30", "2026-12-31", "2027-01-31",
        ])
    }

    @Test("due dates are counted from the purchase, so a leap-year Feb 29 does not drag later months")
    func leapYearDueDates() throws {
        let schedule = try InstallmentSchedule.make(
            principal: F.cny(300_00), purchaseDate: F.date("2027-12-30"),
            plan: .installments(3), product: .standard
        )
        #expect(schedule.installments.map(\.dueDate.description) == ["2028-01-30", "2028-02-29", "2028-03-30"])
    }

    @Test("an interest-free plan is one principal-only installment due after the interest-free days")
    func interestFree() throws {
        let schedule = try InstallmentSchedule.make(
            principal: F.cny(59_900), purchaseDate: F.date("2026-11-11"), plan: .interestFree, product: .standard
        )
        #expect(schedule.installments.count == 1)
        #expect(schedule.installments.first?.dueDate == F.date("2026-12-11"))
        #expect(schedule.installments.first?.principal == F.cny(59_900))
        #expect(schedule.installments.first?.fee == F.cny(0))
        #expect(schedule.totalFee == F.cny(0))
        #expect(schedule.pricing == nil)
    }

    @Test("a zero declining-balance rate pays P / n rounded half-even with the remainder last")
    func zeroRateAnnuity() throws {
        let schedule = try InstallmentSchedule.make(
            principal: F.cny(1001), purchaseDate: F.date("2026-02-01"),
            plan: .installments(3), product: F.product(tenor: 3, .decliningBalance(monthlyRate: 0))
        )
        #expect(schedule.installments.map(\.principal.minorUnits) == [334, 334, 333])
        #expect(schedule.installments.allSatisfy { $0.fee.isZero })
    }

    @Test("tiny principals are clamped so no installment goes negative")
    func tinyPrincipalClamp() throws {
        let schedule = try InstallmentSchedule.make(
            principal: F.cny(9), purchaseDate: F.date("2026-02-01"),
            plan: .installments(6), product: F.product(tenor: 6, .decliningBalance(monthlyRate: F.rate("0.0001")))
        )
        #expect(schedule.installments.map(\.principal.minorUnits) == [2, 2, 2, 2, 1, 0])
    }

    @Test("the flat fee is rounded with the product's rule: half-even by default")
    func flatFeeRounding() throws {
        func fee(_ principal: Int64, _ rule: RoundingRule) throws -> Int64 {
            let schedule = try InstallmentSchedule.make(
                principal: F.cny(principal), purchaseDate: F.date("2026-02-01"), plan: .installments(3),
                product: F.product(tenor: 3, .flatMonthlyFee(rate: F.rate("0.01")), rounding: rule)
            )
            return schedule.installments[0].fee.minorUnits
        }
        #expect(try fee(250, .halfEven) == 2)   // 2.5 fen → 2
        #expect(try fee(350, .halfEven) == 4)   // 3.5 fen → 4
        #expect(try fee(250, .halfUp) == 3)
        #expect(try fee(259, .down) == 2)
    }

    @Test("the standard product offers 3/6/12/24 installments with the documented defaults")
    func standardProduct() throws {
        let product = CreditProduct.standard
        try product.validate()
        #expect(product.allowedTenors == [3, 6, 12, 24])
        #expect(product.interestFreeDays == 30)
        #expect(product.graceDays == 3)
        #expect(product.dailyLateFeeRate == F.rate("0.0005"))
        #expect(product.lateFeeCap == F.rate("0.25"))
        #expect(product.authorizationExpiryHours == 72)
        #expect(product.rounding == .halfEven)
        #expect(try product.pricing(forTenor: 24) == .decliningBalance(monthlyRate: F.rate("0.01")))
        let authorized = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(product.authorizationExpiry(authorizedAt: authorized).timeIntervalSince(authorized) == 72 * 3600)
    }

    @Test("a tenor the product does not offer, a missing price and a non-positive principal are refused")
    func refusals() {
        let day = F.date("2026-02-01")
        #expect(throws: CreditError.tenorNotOffered(5)) {
            try InstallmentSchedule.make(principal: F.cny(100), purchaseDate: day, plan: .installments(5), product: .standard)
        }
        let unpriced = CreditProduct(allowedTenors: [3, 6], pricing: [3: .flatMonthlyFee(rate: 0)])
        #expect(throws: CreditError.noPricing(tenor: 6)) {
            try InstallmentSchedule.make(principal: F.cny(100), purchaseDate: day, plan: .installments(3), product: unpriced)
        }
        #expect(throws: CreditError.nonPositiveAmount(field: "principal")) {
            try InstallmentSchedule.make(principal: F.cny(0), purchaseDate: day, plan: .interestFree, product: .standard)
        }
        let negative = F.product(tenor: 3, .flatMonthlyFee(rate: F.rate("-0.01")))
        #expect(throws: CreditError.invalidRate(field: "monthly rate for 3 installments")) {
            try InstallmentSchedule.make(principal: F.cny(100), purchaseDate: day, plan: .installments(3), product: negative)
        }
    }
}
