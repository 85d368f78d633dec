import Foundation
import Testing
import Domain

private typealias F = CreditFixtures

/// APR and effective annual rate of the standard product against numpy-financial's irr/rate
/// (Tests/Oracles/credit_apr_oracle.py). A missing python3 or numpy_financial fails the test.
@Suite("Annual rate disclosure against the independent oracle")
struct CreditAnnualRateTests {
    struct OracleRates: Decodable {
        let monthly_irr: Double
        let apr: Double
        let effective_annual_rate: Double
    }

    static let oraclePath: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tests/Oracles/credit_apr_oracle.py").path

    static func oracle(principal: Int64, totals: [Int64]) throws -> OracleRates {
        try CreditAnnuityOracleTests.run(oraclePath, [String(principal)] + totals.map(String.init), as: OracleRates.self)
    }

    static func double(_ value: Decimal) -> Double { NSDecimalNumber(decimal: value).doubleValue }

    @Test("the standard product's APR and effective annual rate match numpy-financial to 0.01 percentage point",
          arguments: [3, 6, 12, 24], [Int64(120_000), 1_200_000, 99_999])
    func standardProduct(tenor: Int, principal: Int64) throws {
        let schedule = try InstallmentSchedule.make(principal: F.cny(principal), purchaseDate: F.date("2026-01-31"),
                                                    plan: .installments(tenor), product: .standard)
        let disclosure = try AnnualRateDisclosure.of(schedule)
        let oracle = try Self.oracle(principal: principal, totals: schedule.installments.map(\.total.minorUnits))
        #expect(abs(Self.double(disclosure.apr) - oracle.apr) < 0.0001, "APR \(disclosure.apr) vs \(oracle.apr)")
        #expect(abs(Self.double(disclosure.effectiveAnnualRate) - oracle.effective_annual_rate) < 0.0001,
                "EAR \(disclosure.effectiveAnnualRate) vs \(oracle.effective_annual_rate)")
        #expect(disclosure.totalCostOfCredit == schedule.totalFee)
    }

    @Test("a flat 0.6 % a month is about 12.2 % a year, not 7.2 %; an interest-free plan costs nothing")
    func flatIsNotTheNominalRate() throws {
        let six = try InstallmentSchedule.make(principal: F.cny(120_000), purchaseDate: F.date("2026-01-15"),
                                               plan: .installments(6), product: .standard)
        let rates = try AnnualRateDisclosure.of(six)
        #expect(rates.apr > F.rate("0.12") && rates.apr < F.rate("0.125"))
        #expect(rates.totalCostOfCredit == F.cny(4_320))
        let free = try InstallmentSchedule.make(principal: F.cny(120_000), purchaseDate: F.date("2026-01-15"),
                                                plan: .interestFree, product: .standard)
        let none = try AnnualRateDisclosure.of(free)
        #expect(none.apr == 0)
        #expect(none.effectiveAnnualRate == 0)
        #expect(none.totalCostOfCredit == F.cny(0))
    }
}
