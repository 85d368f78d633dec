import Domain
import Foundation

/// Test data builders for the financing tests (namespaced so they cannot clash with other suites).
enum FinancingFixtures {
    static func cny(_ text: String) -> Money {
        guard let money = try? Money.parse(text, currency: .cny, allowNegative: true) else { fatalError("bad amount \(text)") }
        return money
    }

    static func usd(_ text: String) -> Money {
        guard let money = try? Money.parse(text, currency: .usd, allowNegative: true) else { fatalError("bad amount \(text)") }
        return money
    }

    static func date(_ text: String) -> BusinessDate {
        guard let date = BusinessDate(text) else { fatalError("bad date \(text)") }
        return date
    }

    /// Exact decimal from a string (never through Double).
    static func dec(_ text: String) -> Decimal {
        guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else { fatalError("bad decimal \(text)") }
        return value
    }

    /// A line: limit 1,000,000.00 CNY, 80 % advance, 6.5 % a year, 7...180 days, auto-approval up to 200,000.00.
    static func line(
        limit: String = "1000000.00", advanceRate: String = "0.8", annualDiscountRate: String = "0.065",
        minDays: Int = 7, maxDays: Int = 180, ceiling: String = "200000.00", dayCount: DayCount = .act360
    ) -> FinancingLine {
        do {
            return try FinancingLine(
                limit: cny(limit), advanceRate: dec(advanceRate), annualDiscountRate: dec(annualDiscountRate),
                minDaysToMaturity: minDays, maxDaysToMaturity: maxDays, autoApprovalCeiling: cny(ceiling),
                dayCount: dayCount
            )
        } catch { fatalError("bad line: \(error)") }
    }

    static func receivable(
        _ id: String = "rcv_1", face: Money = cny("10000.00"), issued: String = "2026-01-15", due: String = "2026-05-30",
        status: ReceivableStatus = .open, statusBeforeDispute: ReceivableStatus? = nil,
        dilution: [Money] = []
    ) -> Receivable {
        do {
            let adjustments = try dilution.enumerated().map { index, amount throws(ReceivableError) in
                try ReceivableAdjustment(kind: .goodsReturned, amount: amount, reference: "ret_\(index)")
            }
            return try Receivable(
                id: id, face: face, issueDate: date(issued), dueDate: date(due), status: status,
                statusBeforeDispute: statusBeforeDispute, adjustments: adjustments
            )
        } catch { fatalError("bad receivable: \(error)") }
    }
}
