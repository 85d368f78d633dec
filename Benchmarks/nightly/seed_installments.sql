-- Seeds :accounts credit accounts with four open installments each (a quarter of them overdue on
-- :'rundate'), one stale hold each, and the matching ledger receivables, so the nightly proof holds.
-- Then the cash side the channel file of :lines lines settles (see gen_settlement.py for the mix):
-- a repayment received on :'rundate' for each line quoting an external reference (one for the two
-- lines of a split), two repayments of one order for each batch line, each booked to platform cash.
-- Usage: psql -v accounts=250000 -v rundate=2026-11-26 -v lines=1000000 -f seed_installments.sql
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
-- Repayments the channel file settles. Line i's amount is amount(i) in gen_settlement.py.
-- Balanced by construction and booked to untracked platform accounts only, so the ledger's per-row
-- triggers (balance check, cached balances) are skipped for this bulk load; the nightly run's
-- ledger proof checks every entry again.
SET LOCAL session_replication_role = replica;
CREATE TEMP TABLE seed_repayments (id UUID, account INT, plan UUID, external_ref TEXT, amount BIGINT) ON COMMIT DROP;
INSERT INTO seed_repayments
SELECT md5('rp' || i)::uuid, (i % :accounts) + 1, md5('plan' || ((i % :accounts) + 1))::uuid, 'EXT-' || lpad(i::text, 9, '0'),
       100 + (i::bigint * 7919) % 499901
       + CASE WHEN i % 40 = 20 AND i + 1 < :lines THEN 100 + ((i + 1)::bigint * 7919) % 499901 ELSE 0 END
FROM generate_series(0, :lines - 1) i WHERE i % 40 < 21;
-- A batch line pays both repayments of its own order (a plan and captured checkout of their own).
INSERT INTO credit_checkouts (credit_account_id, id, order_ref, merchant_id, amount, currency, plan_type, tenor, status,
                              captured_amount, plan_id, business_date, authorized_at, expires_at, closed_at)
SELECT md5('acct' || ((i % :accounts) + 1))::uuid, md5('bco' || i)::uuid, 'BATCH-' || lpad(i::text, 9, '0'), 'm',
       100 + (i::bigint * 7919) % 499901, 'CNY', 'interest_free', NULL, 'captured', 100 + (i::bigint * 7919) % 499901,
       md5('bplan' || i)::uuid, date :'rundate' - 30, date :'rundate' - 30, date :'rundate' - 29, date :'rundate' - 30
FROM generate_series(0, :lines - 1) i WHERE i % 40 IN (22, 23);
INSERT INTO credit_plans (credit_account_id, id, checkout_id, merchant_id, plan_type, tenor, pricing, monthly_rate,
                          rounding, currency, principal, fee_base, purchase_date, status, closed_at)
SELECT md5('acct' || ((i % :accounts) + 1))::uuid, md5('bplan' || i)::uuid, md5('bco' || i)::uuid, 'm', 'interest_free', NULL,
       NULL, NULL, 'half_even', 'CNY', 100 + (i::bigint * 7919) % 499901, 0, date :'rundate' - 30, 'paid_off', date :'rundate'
FROM generate_series(0, :lines - 1) i WHERE i % 40 IN (22, 23);
INSERT INTO seed_repayments
SELECT md5('rpb' || i || '-' || part)::uuid, (i % :accounts) + 1, md5('bplan' || i)::uuid, 'BX-' || lpad(i::text, 9, '0') || '-' || part,
       CASE WHEN part = 1 THEN (100 + (i::bigint * 7919) % 499901) / 2
            ELSE (100 + (i::bigint * 7919) % 499901) - (100 + (i::bigint * 7919) % 499901) / 2 END
FROM generate_series(0, :lines - 1) i CROSS JOIN generate_series(1, 2) part WHERE i % 40 IN (22, 23);
-- Paid as fees (cash against fee income), so the receivables and their control total stay as seeded.
INSERT INTO credit_repayments (credit_account_id, id, plan_id, external_ref, amount, currency, principal_paid, fee_paid,
                               late_fee_paid, allocation, business_date)
SELECT md5('acct' || account)::uuid, id, plan, external_ref, amount, 'CNY', 0, amount, 0, '[]', date :'rundate'
FROM seed_repayments;
INSERT INTO ledger_accounts (id, code, name, type, currency, owner_type, owner_id, normal_side, tracks_balance)
VALUES (md5('platform-cash-cny')::uuid, 'platform.cash.cny', 'Platform cash CNY', 'asset', 'CNY', 'platform', NULL, 'debit', false),
       (md5('fee-income-cny')::uuid, 'credit.fee_income.cny', 'Installment fee income CNY', 'income', 'CNY', 'platform', NULL, 'credit', false)
ON CONFLICT (code) DO NOTHING;
INSERT INTO journal_entries (id, business_date, kind, reference_type, reference_id, idempotency_ref, description)
SELECT md5('je' || id)::uuid, date :'rundate', 'credit.repayment', 'repayment', id::text, 'repayment:' || id, 'installment repayment'
FROM seed_repayments;
INSERT INTO postings (entry_id, line, account_id, amount, currency)
SELECT md5('je' || r.id)::uuid, l.line, a.id, CASE WHEN l.line = 1 THEN r.amount ELSE -r.amount END, 'CNY'
FROM seed_repayments r
CROSS JOIN (VALUES (1, 'platform.cash.cny'), (2, 'credit.fee_income.cny')) AS l(line, code)
JOIN ledger_accounts a ON a.code = l.code;
COMMIT;
ANALYZE;
