-- Seeds :accounts credit accounts with four open installments each (a quarter of them overdue on
-- :'rundate'), one stale hold each, and the matching ledger receivables, so the nightly proof holds.
-- Usage: psql -v accounts=250000 -v rundate=2026-11-26 -f seed_installments.sql
\set ON_ERROR_STOP on
BEGIN;
INSERT INTO credit_accounts (id, product_id, national_id_hmac, national_id_last4, phone_hmac, phone_masked, currency,
                             credit_limit, held, principal_outstanding, status, score, score_reasons, score_detail, features, opened_on)
SELECT md5('acct' || g)::uuid, '00000000-0000-4000-8000-000000000001', sha256(('n' || g)::bytea), '0000',
       sha256(('p' || g)::bytea), '138****0000', 'CNY', 10000000, 1000, 40000, 'active', 800, '{}', '[]', '{}', date :'rundate' - 60
FROM generate_series(1, :accounts) g;
INSERT INTO credit_checkouts (credit_account_id, id, order_ref, merchant_id, amount, currency, plan_type, tenor,
                              status, business_date, authorized_at, expires_at)
SELECT md5('acct' || g)::uuid, md5('hold' || g)::uuid, 'hold-' || g, 'm', 1000, 'CNY', 'interest_free', NULL,
       'authorized', date :'rundate' - 5, date :'rundate' - 5, date :'rundate' - 2
FROM generate_series(1, :accounts) g;
INSERT INTO credit_plans (credit_account_id, id, checkout_id, merchant_id, plan_type, tenor, pricing, monthly_rate,
                          rounding, currency, principal, fee_base, purchase_date, status)
SELECT md5('acct' || g)::uuid, md5('plan' || g)::uuid, md5('co' || g)::uuid, 'm', 'installments', 4,
       'flat_monthly_fee', 0.006, 'half_even', 'CNY', 40000, 40000, date :'rundate' - 40, 'active'
FROM generate_series(1, :accounts) g;
INSERT INTO credit_installments (credit_account_id, plan_id, number, due_date, currency, principal, fee, status)
SELECT md5('acct' || g)::uuid, md5('plan' || g)::uuid, k,
       (CASE WHEN g % 4 = 0 THEN date :'rundate' - 10 ELSE date :'rundate' + 20 END + make_interval(months => k - 1))::date,
       'CNY', 10000, 240, 'open'
FROM generate_series(1, :accounts) g CROSS JOIN generate_series(1, 4) k;
-- The ledger side: each account's receivable (40,000 fen), against the merchant's payable, in
-- entries of 100 accounts (the balance check runs per posting, so entries stay small).
INSERT INTO ledger_accounts (id, code, name, type, currency, owner_type, owner_id, normal_side, tracks_balance)
SELECT md5('la' || g)::uuid, 'credit.' || md5('acct' || g)::uuid || '.receivable', 'seed', 'asset', 'CNY', 'credit_account',
       md5('acct' || g)::uuid::text, 'debit', true
FROM generate_series(1, :accounts) g;
INSERT INTO ledger_accounts (id, code, name, type, currency, owner_type, owner_id, normal_side, tracks_balance)
VALUES (md5('merchant-m')::uuid, 'credit.merchant.m.payable.cny', 'seed merchant', 'liability', 'CNY', 'platform', NULL, 'credit', false)
ON CONFLICT (code) DO NOTHING;
INSERT INTO journal_entries (id, business_date, kind, reference_type, reference_id, idempotency_ref)
SELECT md5('seed-entry' || c)::uuid, date :'rundate' - 40, 'credit.capture', 'seed', 'seed-' || c, 'seed-' || c
FROM generate_series(0, (:accounts - 1) / 100) c;
INSERT INTO postings (entry_id, line, account_id, amount, currency)
SELECT md5('seed-entry' || ((g - 1) / 100))::uuid, ((g - 1) % 100) + 1, md5('la' || g)::uuid, 40000, 'CNY'
FROM generate_series(1, :accounts) g;
INSERT INTO postings (entry_id, line, account_id, amount, currency)
SELECT md5('seed-entry' || c)::uuid, 101, (SELECT id FROM ledger_accounts WHERE code = 'credit.merchant.m.payable.cny'),
       -40000 * (LEAST(:accounts, (c + 1) * 100) - c * 100), 'CNY'
FROM generate_series(0, (:accounts - 1) / 100) c;
COMMIT;
ANALYZE;
