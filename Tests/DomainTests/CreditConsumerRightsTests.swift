import Foundation
import Testing
import Domain

private typealias F = CreditFixtures

/// Issue 13: the repayment, refund and rate rules a consumer can rely on.
@Suite("Credit consumer rights: due-date order, no silent overpayment, exact rates, refunds keep the method")
struct CreditConsumerRightsDomainTests {
    /// 1,200.00 over 6 months at a flat 0.6 %: 200.00 + 7.20 a month (the README's example).
    static func readmePlan() throws -> [OpenInstallment] {
        try InstallmentSchedule.make(principal: F.cny(120_000), purchaseDate: F.date("2026-01-15"), plan: .installments(6),
                                     product: .standard).openInstallments
    }

    @Test("paying bill 1's total before or on its due date settles bill 1 in full and touches nothing else (observation 2)",
          arguments: ["2026-01-20", "2026-02-10", "2026-02-15"])
    func billTotalSettlesTheBill(paidOn: String) throws {
        let plan = try Self.readmePlan()
        let first = plan[0]
        #expect(first.principal.minorUnits + first.fee.minorUnits == 20_720)
        let result = try RepaymentWaterfall.allocate(payment: F.cny(20_720), to: plan, asOf: F.date(paidOn))
        #expect(result.remaining[0].isSettled)
        #expect(result.lines[0].fee == F.cny(720))
        #expect(result.lines[0].principal == F.cny(20_000))
        #expect(result.lines.dropFirst().allSatisfy { $0.total.isZero })
        #expect(result.unapplied.isZero)
    }

    @Test("due-date order: the earliest due installment is paid in full — late fee, fee, principal — before the next")
    func dueDateOrder() throws {
        let plan = [
            F.open(1, due: "2026-01-10", principal: 10_000, fee: 600, lateFee: 150),
            F.open(2, due: "2026-02-10", principal: 10_000, fee: 600, lateFee: 80),
            F.open(3, due: "2026-03-10", principal: 10_000, fee: 600),
        ]
        let result = try RepaymentWaterfall.allocate(payment: F.cny(10_750 + 700), to: plan, asOf: F.date("2026-03-10"))
        let paid = result.lines.map { [$0.lateFee.minorUnits, $0.fee.minorUnits, $0.principal.minorUnits] }
        #expect(paid == [[150, 600, 10_000], [80, 600, 20], [0, 0, 0]])
    }

    @Test("money beyond the current bill prepays later principal and never collects a fee not yet billed (observation 3)")
    func overpaymentNeverCollectsFutureFees() throws {
        let plan = try InstallmentSchedule.make(principal: F.cny(1_200_000), purchaseDate: F.date("2026-01-15"),
                                                plan: .installments(24), product: .standard).openInstallments
        let everything = plan.reduce(Int64(0)) { $0 + $1.principal.minorUnits + $1.fee.minorUnits }
        let quote = try EarlyPayoffQuote.quote(for: plan, asOf: F.date("2026-01-15"), currency: .cny)
        #expect(quote.waivedFees == F.cny(155_718))
        // Only the current bill's interest (120.00, billed for 2026-02-15) is collected; the rest is reported.
        let over = try RepaymentWaterfall.allocate(payment: F.cny(everything), to: plan, asOf: F.date("2026-01-15"))
        #expect(over.feesPaid == F.cny(12_000))
        #expect(over.principalPaid == F.cny(1_200_000))
        #expect(over.unapplied == F.cny(155_718 - 12_000))
        let exact = try RepaymentWaterfall.allocate(payment: quote.total, to: plan, asOf: F.date("2026-01-15"), mode: .payoff)
        #expect(exact.unapplied.isZero)
        #expect(exact.feesPaid.isZero)
        // A product that refuses prepayments applies only the bills and reports the rest.
        let refused = try RepaymentWaterfall.allocate(payment: F.cny(56_488 + 100), to: plan, asOf: F.date("2026-01-15"),
                                                      mode: .bills(prepay: false))
        #expect(refused.unapplied == F.cny(100))
    }

    @Test("a rate with more decimal places than stored is refused by the product (observation 5)")
    func ratePrecision() throws {
        #expect(RatePrecision.fits(F.rate("0.01234567"), scale: 8))
        #expect(RatePrecision.fits(F.rate("0.0123456700"), scale: 8))
        #expect(!RatePrecision.fits(F.rate("0.012345675"), scale: 8))
        #expect(!RatePrecision.fits(F.rate("0.0730001"), scale: 6))
        let product = F.product(tenor: 12, .decliningBalance(monthlyRate: F.rate("0.012345675")))
        #expect(throws: CreditError.self) { try product.validate() }
        #expect(throws: CreditError.self) {
            try InstallmentSchedule.make(principal: F.cny(100_000), purchaseDate: F.date("2026-01-15"), plan: .installments(12),
                                         product: product)
        }
    }

    @Test("a refund re-amortises a declining-balance plan as an annuity over the remaining installments (observation 6, oracle)",
          arguments: [(1_200_000, 200_000, 24), (500_000, 123_456, 24), (99_999, 1, 12), (300_000, 250_000, 6)])
    func refundKeepsAnnuity(principal: Int64, refund: Int64, tenor: Int) throws {
        let rate = "0.01"
        let product = F.product(tenor: tenor, .decliningBalance(monthlyRate: F.rate(rate)))
        let schedule = try InstallmentSchedule.make(principal: F.cny(principal), purchaseDate: F.date("2026-01-15"),
                                                    plan: .installments(tenor), product: product)
        let outcome = try InstallmentRefund.apply(refund: F.cny(refund), to: schedule.openInstallments, asOf: F.date("2026-01-20"),
                                                  pricing: schedule.pricing, feeBase: F.cny(principal))
        guard case .reamortized(let result) = outcome else { Issue.record("expected a re-amortisation"); return }
        let oracle = try CreditAnnuityOracleTests.oracle(principal: principal - refund, rate: rate, periods: tenor)
        #expect(result.installments.map(\.principal.minorUnits) == oracle.installments.map(\.principal))
        #expect(result.installments.map(\.fee.minorUnits) == oracle.installments.map(\.interest))
    }

    @Test("a refund keeps a flat plan flat: principal re-spread evenly, the fee re-priced on the lower base")
    func refundKeepsFlat() throws {
        let plan = try Self.readmePlan()
        let outcome = try InstallmentRefund.apply(refund: F.cny(60_000), to: plan, asOf: F.date("2026-01-20"),
                                                  pricing: .flatMonthlyFee(rate: F.rate("0.006")), feeBase: F.cny(120_000))
        guard case .reamortized(let result) = outcome else { Issue.record("expected a re-amortisation"); return }
        #expect(result.installments.map(\.principal.minorUnits) == Array(repeating: 10_000, count: 6))
        #expect(result.installments.map(\.fee.minorUnits) == Array(repeating: 360, count: 6))
    }
}
