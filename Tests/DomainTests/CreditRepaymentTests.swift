import Foundation
import Testing
import Domain

private typealias F = CreditFixtures

@Suite("Repayment waterfall and early payoff")
struct CreditRepaymentTests {
    /// #1 and #2 overdue with late fees, #3 due today, #4 and #5 in the future.
    static let plan: [OpenInstallment] = [
        F.open(1, due: "2026-01-10", principal: 10_000, fee: 600, lateFee: 150),
        F.open(2, due: "2026-02-10", principal: 10_000, fee: 600, lateFee: 80),
        F.open(3, due: "2026-03-10", principal: 10_000, fee: 600),
        F.open(4, due: "2026-04-10", principal: 10_000, fee: 600),
        F.open(5, due: "2026-05-10", principal: 10_001, fee: 600),
    ]
    static let asOf = F.date("2026-03-10")

    static func paid(_ result: RepaymentAllocation) -> [[Int64]] {
        result.lines.map { [$0.lateFee.minorUnits, $0.fee.minorUnits, $0.principal.minorUnits] }
    }

    @Test("the oldest installment is paid first: its late fee, then its fee (due-date order)")
    func oldestLateFeeThenFee() throws {
        let result = try RepaymentWaterfall.allocate(payment: F.cny(200), to: Self.plan, asOf: Self.asOf)
        #expect(Self.paid(result) == [[150, 50, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]])
        #expect(result.unapplied == F.cny(0))
        #expect(result.remaining[0].fee == F.cny(550))
        #expect(result.remaining[1].lateFee == F.cny(80))
    }

    @Test("the earliest due installment is settled in full before the next one is touched")
    func earliestInFull() throws {
        let result = try RepaymentWaterfall.allocate(payment: F.cny(230 + 1_500), to: Self.plan, asOf: Self.asOf)
        #expect(Self.paid(result) == [[150, 600, 980], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]])
    }

    @Test("an installment due on the as-of date counts as due")
    func dueTodayIsDue() throws {
        let result = try RepaymentWaterfall.allocate(payment: F.cny(230 + 1_800 + 25_000), to: Self.plan, asOf: Self.asOf)
        #expect(Self.paid(result) == [[150, 600, 10_000], [80, 600, 10_000], [0, 600, 5_000], [0, 0, 0], [0, 0, 0]])
        let dayBefore = try RepaymentWaterfall.allocate(
            payment: F.cny(230 + 1_800 + 25_000), to: Self.plan, asOf: F.date("2026-03-09")
        )
        // A day earlier #3 is the next bill rather than a due one: it is still billed, fee first.
        #expect(Self.paid(dayBefore) == [[150, 600, 10_000], [80, 600, 10_000], [0, 600, 5_000], [0, 0, 0], [0, 0, 0]])
    }

    @Test("after the due bills the next bill is paid in full; beyond it money prepays later principal and leaves their fees owed")
    func prepaysNearestFuturePrincipal() throws {
        let due = 230 + 1_800 + 30_000
        let result = try RepaymentWaterfall.allocate(payment: F.cny(Int64(due) + 15_000), to: Self.plan, asOf: Self.asOf)
        #expect(Self.paid(result) == [[150, 600, 10_000], [80, 600, 10_000], [0, 600, 10_000], [0, 600, 10_000], [0, 0, 4_400]])
        #expect(result.principalPrepaid == F.cny(14_400))
        #expect(result.remaining[4].fee == F.cny(600))
        #expect(result.remaining[4].principal == F.cny(5_601))
        #expect(result.unapplied == F.cny(0))
        let refusing = try RepaymentWaterfall.allocate(payment: F.cny(Int64(due) + 15_000), to: Self.plan, asOf: Self.asOf,
                                                       mode: .bills(prepay: false))
        #expect(refusing.unapplied == F.cny(15_000 - 10_600))
    }

    @Test("a payoff takes the due bills in full and only principal after them; future fees are never collected")
    func futureFeesNeverCollected() throws {
        let payoff: Int64 = 230 + 1_800 + 50_001
        let exact = try RepaymentWaterfall.allocate(payment: F.cny(payoff), to: Self.plan, asOf: Self.asOf, mode: .payoff)
        #expect(exact.unapplied == F.cny(0))
        #expect(exact.remaining.allSatisfy { $0.principal.isZero && $0.lateFee.isZero })
        #expect(exact.remaining[3].fee == F.cny(600))
        #expect(exact.remaining[4].fee == F.cny(600))
        let everything = try RepaymentWaterfall.allocate(payment: F.cny(payoff + 1_200), to: Self.plan, asOf: Self.asOf)
        #expect(everything.unapplied == F.cny(600))
        #expect(everything.feesPaid == F.cny(2_400))
        #expect(everything.principalPaid == F.cny(50_001))
        let billsOnly = try RepaymentWaterfall.allocate(payment: F.cny(payoff), to: Self.plan, asOf: Self.asOf,
                                                        mode: .bills(prepay: false))
        #expect(billsOnly.unapplied == F.cny(payoff - (230 + 2_400 + 40_000)))
        #expect(try RepaymentWaterfall.billedTotal(Self.plan, asOf: Self.asOf, currency: .cny) == F.cny(230 + 2_400 + 40_000))
    }

    @Test("the allocation conserves money for random plans and payments, whatever the input order")
    func conservation() throws {
        var rng = CreditSeededGenerator(seed: 7)
        for _ in 0..<300 {
            let count = Int.random(in: 1...12, using: &rng)
            let start = F.date("2026-01-05")
            let installments = (1...count).map { number in
                OpenInstallment(
                    number: number, dueDate: start.adding(months: number),
                    principal: F.cny(Int64.random(in: 0...50_000, using: &rng)),
                    fee: F.cny(Int64.random(in: 0...900, using: &rng)),
                    lateFee: F.cny(Int64.random(in: 0...300, using: &rng))
                )
            }
            let asOf = start.adding(days: Int.random(in: 0...400, using: &rng))
            let payment = F.cny(Int64.random(in: 0...400_000, using: &rng))
            let result = try RepaymentWaterfall.allocate(payment: payment, to: installments, asOf: asOf)
            let applied = result.lines.reduce(0) { $0 + $1.total.minorUnits }
            #expect(applied + result.unapplied.minorUnits == payment.minorUnits)
            for (line, (before, after)) in zip(result.lines, zip(installments, result.remaining)) {
                #expect(line.number == before.number)
                #expect(line.principal.minorUnits + after.principal.minorUnits == before.principal.minorUnits)
                #expect(line.fee.minorUnits + after.fee.minorUnits == before.fee.minorUnits)
                #expect(line.lateFee.minorUnits + after.lateFee.minorUnits == before.lateFee.minorUnits)
                #expect(!after.principal.isNegative && !after.fee.isNegative && !after.lateFee.isNegative)
            }
            if result.unapplied.isPositive {
                #expect(result.remaining.allSatisfy { $0.principal.isZero && $0.lateFee.isZero && ($0.fee.isZero || $0.dueDate > asOf) })
            }
            let shuffled = try RepaymentWaterfall.allocate(
                payment: payment, to: installments.shuffled(using: &rng), asOf: asOf
            )
            #expect(shuffled == result)
        }
    }

    @Test("a negative payment, another currency and duplicate installment numbers are refused")
    func refusals() {
        #expect(throws: CreditError.negativeAmount(field: "payment")) {
            try RepaymentWaterfall.allocate(payment: F.cny(-1), to: Self.plan, asOf: Self.asOf)
        }
        #expect(throws: CreditError.currencyMismatch(expected: "USD", found: "CNY")) {
            try RepaymentWaterfall.allocate(payment: Money(minorUnits: 100, currency: .usd), to: Self.plan, asOf: Self.asOf)
        }
        #expect(throws: CreditError.duplicateInstallmentNumber(1)) {
            try RepaymentWaterfall.allocate(payment: F.cny(100), to: Self.plan + [Self.plan[0]], asOf: Self.asOf)
        }
    }

    @Test("an early payoff quote is all principal and late fees plus due fees; future fees are waived")
    func payoffQuote() throws {
        let quote = try EarlyPayoffQuote.quote(for: Self.plan, asOf: Self.asOf, currency: .cny)
        #expect(quote.principal == F.cny(50_001))
        #expect(quote.lateFees == F.cny(230))
        #expect(quote.dueFees == F.cny(1_800))
        #expect(quote.waivedFees == F.cny(1_200))
        #expect(quote.total == F.cny(50_001 + 230 + 1_800))
    }

    @Test("paying the payoff quote through the waterfall leaves only the waived fees")
    func payoffThroughWaterfall() throws {
        let quote = try EarlyPayoffQuote.quote(for: Self.plan, asOf: Self.asOf, currency: .cny)
        let result = try RepaymentWaterfall.allocate(payment: quote.total, to: Self.plan, asOf: Self.asOf, mode: .payoff)
        #expect(result.unapplied == F.cny(0))
        #expect(result.remaining.allSatisfy { $0.principal.isZero && $0.lateFee.isZero })
        #expect(result.remaining.reduce(0) { $0 + $1.fee.minorUnits } == quote.waivedFees.minorUnits)
    }

    @Test("paying off a new plan before its first due date costs the principal only")
    func payoffBeforeFirstDue() throws {
        let schedule = try InstallmentSchedule.make(
            principal: F.cny(600_000), purchaseDate: F.date("2026-06-18"), plan: .installments(6), product: .standard
        )
        let quote = try EarlyPayoffQuote.quote(
            for: schedule.openInstallments, asOf: F.date("2026-07-17"), currency: .cny
        )
        #expect(quote.total == F.cny(600_000))
        #expect(quote.waivedFees == schedule.totalFee)
        let onFirstDue = try EarlyPayoffQuote.quote(
            for: schedule.openInstallments, asOf: F.date("2026-07-18"), currency: .cny
        )
        #expect(onFirstDue.dueFees == schedule.installments[0].fee)
    }
}
