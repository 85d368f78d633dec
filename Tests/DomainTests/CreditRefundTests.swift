import Foundation
import Testing
import Domain

private typealias F = CreditFixtures

@Suite("Partial and full refunds")
struct CreditRefundTests {
    static let flat = InstallmentPricing.flatMonthlyFee(rate: F.rate("0.006"))

    /// 3,000.00 over 3 months at a flat 0.6%: 18.00 a month; #1 paid, #2 due 2026-02-10 unpaid, #3 future.
    static let plan: [OpenInstallment] = [
        F.open(1, due: "2026-01-10", principal: 0, fee: 0),
        F.open(2, due: "2026-02-10", principal: 100_000, fee: 1_800, lateFee: 120),
        F.open(3, due: "2026-03-10", principal: 100_000, fee: 1_800),
    ]

    static func reamortized(_ outcome: InstallmentRefundOutcome) -> RefundReamortization? {
        if case .reamortized(let result) = outcome { return result }
        return nil
    }

    static func cancelled(_ outcome: InstallmentRefundOutcome) -> PlanCancellation? {
        if case .cancelled(let result) = outcome { return result }
        return nil
    }

    @Test("a partial refund re-spreads the remaining principal evenly over the unpaid installments, remainder last")
    func reSpreadsPrincipal() throws {
        let schedule = try InstallmentSchedule.make(
            principal: F.cny(300_000), purchaseDate: F.date("2026-01-20"), plan: .installments(3), product: .standard
        )
        let outcome = try InstallmentRefund.apply(
            refund: F.cny(50_001), to: schedule.openInstallments, asOf: F.date("2026-01-25"),
            pricing: Self.flat, feeBase: F.cny(300_000)
        )
        let result = try #require(Self.reamortized(outcome))
        #expect(result.installments.map(\.principal.minorUnits) == [83_333, 83_333, 83_333])
        #expect(result.principalBefore == F.cny(300_000))
        #expect(result.principalAfter == F.cny(249_999))
        #expect(result.feeBase == F.cny(249_999))
        // 249,999 fen × 0.006 = 1,499.994 fen → 1,500 (half-even), for every future installment.
        #expect(result.installments.map(\.fee.minorUnits) == [1_500, 1_500, 1_500])

        let uneven = try #require(Self.reamortized(InstallmentRefund.apply(
            refund: F.cny(50_002), to: schedule.openInstallments, asOf: F.date("2026-01-25"),
            pricing: Self.flat, feeBase: F.cny(300_000)
        )))
        #expect(uneven.installments.map(\.principal.minorUnits) == [83_332, 83_332, 83_334])
    }

    @Test("fees of installments already due stay as billed; paid-off installments get no principal back")
    func dueFeesUnchanged() throws {
        let outcome = try InstallmentRefund.apply(
            refund: F.cny(60_001), to: Self.plan, asOf: F.date("2026-02-15"),
            pricing: Self.flat, feeBase: F.cny(300_000)
        )
        let result = try #require(Self.reamortized(outcome))
        #expect(result.installments.map(\.principal.minorUnits) == [0, 69_999, 70_000])
        // #2 was due: fee 18.00 and its late fee stay; #3: (300,000 − 60,001) × 0.006 = 1,439.994 → 1,440.
        #expect(result.installments.map(\.fee.minorUnits) == [0, 1_800, 1_440])
        #expect(result.installments.map(\.lateFee.minorUnits) == [0, 120, 0])
    }

    @Test("a declining-balance refund re-amortises the lower principal as an annuity over the remaining installments")
    func decliningBalanceRefund() throws {
        let schedule = try InstallmentSchedule.make(
            principal: F.cny(600_000), purchaseDate: F.date("2026-01-20"), plan: .installments(6),
            product: F.product(tenor: 6, .decliningBalance(monthlyRate: F.rate("0.01")))
        )
        let outcome = try InstallmentRefund.apply(
            refund: F.cny(120_000), to: schedule.openInstallments, asOf: F.date("2026-01-21"),
            pricing: schedule.pricing, feeBase: F.cny(600_000)
        )
        let result = try #require(Self.reamortized(outcome))
        // The plan stays an annuity: 4,800.00 over the same 6 months at 1 % (payment 828.23).
        let annuity = try InstallmentSchedule.make(
            principal: F.cny(480_000), purchaseDate: F.date("2026-01-20"), plan: .installments(6),
            product: F.product(tenor: 6, .decliningBalance(monthlyRate: F.rate("0.01")))
        )
        #expect(result.installments.map(\.principal) == annuity.installments.map(\.principal))
        #expect(result.installments.map(\.fee) == annuity.installments.map(\.fee))
        #expect(result.installments.dropLast().allSatisfy { $0.principal.minorUnits + $0.fee.minorUnits == 82_823 })
    }

    @Test("a partial refund of an interest-free plan lowers its single installment and adds no fee")
    func interestFreeRefund() throws {
        let schedule = try InstallmentSchedule.make(
            principal: F.cny(59_900), purchaseDate: F.date("2026-11-11"), plan: .interestFree, product: .standard
        )
        let result = try #require(Self.reamortized(InstallmentRefund.apply(
            refund: F.cny(19_900), to: schedule.openInstallments, asOf: F.date("2026-11-12"),
            pricing: nil, feeBase: F.cny(59_900)
        )))
        #expect(result.installments.map(\.principal.minorUnits) == [40_000])
        #expect(result.installments.map(\.fee.minorUnits) == [0])
    }

    @Test("a refund equal to the outstanding principal cancels the plan, waives future fees and leaves due charges owed")
    func refundEqualToPrincipal() throws {
        let outcome = try InstallmentRefund.apply(
            refund: F.cny(200_000), to: Self.plan, asOf: F.date("2026-02-15"),
            pricing: Self.flat, feeBase: F.cny(300_000)
        )
        let result = try #require(Self.cancelled(outcome))
        #expect(result.principalCleared == F.cny(200_000))
        #expect(result.waivedFees == F.cny(1_800))
        #expect(result.chargesSettled == F.cny(0))
        #expect(result.stillOwed == F.cny(1_920))
        #expect(result.amountToReturn == F.cny(0))
        #expect(result.remaining.map { [$0.principal.minorUnits, $0.fee.minorUnits, $0.lateFee.minorUnits] }
            == [[0, 0, 0], [0, 1_800, 120], [0, 0, 0]])
    }

    @Test("a refund above everything owed cancels the plan and returns the excess to the consumer")
    func refundAboveOwed() throws {
        let result = try #require(Self.cancelled(InstallmentRefund.apply(
            refund: F.cny(250_000), to: Self.plan, asOf: F.date("2026-02-15"),
            pricing: Self.flat, feeBase: F.cny(300_000)
        )))
        #expect(result.chargesSettled == F.cny(1_920))
        #expect(result.stillOwed == F.cny(0))
        #expect(result.amountToReturn == F.cny(250_000 - 200_000 - 1_920))
        #expect(result.remaining.allSatisfy { $0.isSettled })
    }

    @Test("a refund excess smaller than the charges pays late fees first and leaves the rest owed")
    func refundExcessBelowCharges() throws {
        let result = try #require(Self.cancelled(InstallmentRefund.apply(
            refund: F.cny(200_500), to: Self.plan, asOf: F.date("2026-02-15"),
            pricing: Self.flat, feeBase: F.cny(300_000)
        )))
        #expect(result.chargesSettled == F.cny(500))
        #expect(result.stillOwed == F.cny(1_420))
        #expect(result.amountToReturn == F.cny(0))
        #expect(result.remaining[1].lateFee == F.cny(0))
        #expect(result.remaining[1].fee == F.cny(1_420))
    }

    @Test("principal always drops by exactly the refund for random partial refunds")
    func refundConservesPrincipal() throws {
        var rng = CreditSeededGenerator(seed: 99)
        for _ in 0..<200 {
            let tenor = [3, 6, 12, 24].randomElement(using: &rng) ?? 3
            let principal = Int64.random(in: 10_000...10_000_000, using: &rng)
            let schedule = try InstallmentSchedule.make(
                principal: F.cny(principal), purchaseDate: F.date("2026-04-30"), plan: .installments(tenor),
                product: .standard
            )
            let asOf = F.date("2026-04-30").adding(days: Int.random(in: 0...400, using: &rng))
            let refund = Int64.random(in: 1..<principal, using: &rng)
            let result = try #require(Self.reamortized(InstallmentRefund.apply(
                refund: F.cny(refund), to: schedule.openInstallments, asOf: asOf,
                pricing: schedule.pricing, feeBase: schedule.principal
            )))
            #expect(result.installments.reduce(0) { $0 + $1.principal.minorUnits } == principal - refund)
            #expect(result.installments.allSatisfy { !$0.principal.isNegative && !$0.fee.isNegative })
            if case .flatMonthlyFee = schedule.pricing {
                let shares = result.installments.map(\.principal.minorUnits)
                #expect(shares.dropLast().allSatisfy { $0 == (principal - refund) / Int64(tenor) })
            }
        }
    }

    @Test("a non-positive refund, another currency and a fee base below the principal are refused")
    func refusals() {
        let day = F.date("2026-02-15")
        #expect(throws: CreditError.nonPositiveAmount(field: "refund")) {
            try InstallmentRefund.apply(refund: F.cny(0), to: Self.plan, asOf: day, pricing: Self.flat, feeBase: F.cny(300_000))
        }
        #expect(throws: CreditError.currencyMismatch(expected: "USD", found: "CNY")) {
            try InstallmentRefund.apply(
                refund: Money(minorUnits: 5, currency: .usd), to: Self.plan, asOf: day, pricing: Self.flat,
                feeBase: Money(minorUnits: 300_000, currency: .usd)
            )
        }
        #expect(throws: CreditError.invalidConfiguration("fee base is below the outstanding principal")) {
            try InstallmentRefund.apply(refund: F.cny(10), to: Self.plan, asOf: day, pricing: Self.flat, feeBase: F.cny(199_999))
        }
    }
}
