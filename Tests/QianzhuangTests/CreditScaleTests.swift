import Domain
import Foundation
import Persistence
import PostgresNIO
import Services
import Testing

/// A volume check of the nightly credit steps, off by default (set QZ_CREDIT_SCALE to the number
/// of accounts, e.g. 50000): seeds accounts with four open installments each, a quarter of them
/// overdue, plus stale holds, then times expiry and ageing and checks each touched every row once.
@Suite("Credit nightly steps at volume")
struct CreditScaleTests {
    static let accounts = ProcessInfo.processInfo.environment["QZ_CREDIT_SCALE"].flatMap(Int.init) ?? 0

    @Test("expiry and ageing stream through many accounts in batches", .enabled(if: accounts > 0))
    func volume() async throws {
        try await withTestDatabase { db in
            let n = Self.accounts
            try await db.execute("""
                INSERT INTO credit_accounts (id, product_id, national_id_hmac, national_id_last4, phone_hmac, phone_masked, currency,
                                             credit_limit, held, principal_outstanding, status, score, score_reasons, score_detail,
                                             features, opened_on)
                SELECT md5('acct' || g)::uuid, '00000000-0000-4000-8000-000000000001', sha256(('n' || g)::bytea), '0000',
                       sha256(('p' || g)::bytea), '138****0000', 'CNY', 10000000, 1000, 40000, 'active', 800, '{}', '[]', '{}',
                       '2026-01-01'
                FROM generate_series(1, \(n)) g
                """)
            try await db.execute("""
                INSERT INTO credit_checkouts (credit_account_id, id, order_ref, merchant_id, amount, currency, plan_type, tenor,
                                              status, business_date, authorized_at, expires_at)
                SELECT md5('acct' || g)::uuid, md5('hold' || g)::uuid, 'hold-' || g, 'm', 1000, 'CNY', 'interest_free', NULL,
                       'authorized', '2026-01-01', '2026-01-01', '2026-01-04'
                FROM generate_series(1, \(n)) g
                """)
            try await db.execute("""
                INSERT INTO credit_plans (credit_account_id, id, checkout_id, merchant_id, plan_type, tenor, pricing, monthly_rate,
                                          rounding, currency, principal, fee_base, purchase_date, status)
                SELECT md5('acct' || g)::uuid, md5('plan' || g)::uuid, md5('co' || g)::uuid, 'm', 'installments', 4,
                       'flat_monthly_fee', 0.006, 'half_even', 'CNY', 40000, 40000, '2026-01-10', 'active'
                FROM generate_series(1, \(n)) g
                """)
            // Every fourth account's first installment fell due on 2026-02-10; the others' on 2026-03-10.
            try await db.execute("""
                INSERT INTO credit_installments (credit_account_id, plan_id, number, due_date, currency, principal, fee, status)
                SELECT md5('acct' || g)::uuid, md5('plan' || g)::uuid, k,
                       (CASE WHEN g % 4 = 0 THEN date '2026-02-10' ELSE date '2026-03-10' END + make_interval(months => k - 1))::date,
                       'CNY', 10000, 240, 'open'
                FROM generate_series(1, \(n)) g CROSS JOIN generate_series(1, 4) k
                """)
            try await db.execute("ANALYZE")
            let credit = CreditService(database: db, clock: .live(.shanghai))
            let clock = ContinuousClock()
            var expired = 0
            let expiry = try await clock.measure {
                expired = try await credit.expireAuthorizations(businessDate: BusinessDate("2026-02-20")!)
            }
            var report = CreditAgeingReport(businessDate: BusinessDate("2026-02-20")!)
            let ageing = try await clock.measure {
                report = try await credit.ageAccounts(businessDate: BusinessDate("2026-02-20")!)
            }
            var again = report
            let rerun = try await clock.measure {
                again = try await credit.ageAccounts(businessDate: BusinessDate("2026-02-20")!)
            }
            print("""
                \(n) accounts, \(4 * n) open installments: expiry \(expired) holds in \(expiry); \
                ageing \(report.accountsAged) accounts / \(report.lateFeesCharged) late fees in \(ageing) (\(report.batches) batches); \
                same date again \(again.accountsAged) accounts in \(rerun)
                """)
            #expect(expired == n)
            #expect(report.accountsAged == n / 4)
            #expect(report.lateFeesCharged == n / 4)
            #expect(again.accountsAged == 0)
            let violations = try await db.client.withConnection { try await LedgerStore.integrityViolations(on: $0, logger: db.logger) }
            #expect(violations.isEmpty)
        }
    }
}
