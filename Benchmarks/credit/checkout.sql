-- pgbench script: the SQL the service runs for one checkout (authorize + capture), statement for
-- statement (as pg_stat_statements shows them with STATEMENT_STATS=1), so pgbench measures the
-- database ceiling for the same work. Variables: naccounts,
-- caller (the API key id the idempotency records belong to). Run with -M prepared.
\set aid random(1, :naccounts)
\set r random(1, 1000000000000)
\set merchant random(0, 63)

-- POST /v1/checkouts: one transaction. The Idempotency-Key claim is its first statement.
BEGIN;
WITH wait AS (SELECT set_config('lock_timeout', '2s', true))
INSERT INTO idempotency_keys (caller_id, idempotency_key, method, route, request_hash, state)
SELECT :caller::uuid, 'pgb-a-' || :client_id || '-' || :r, 'POST', 'v1/checkouts /v1/checkouts', sha256(('a' || :r)::bytea), 'in_flight' FROM wait
ON CONFLICT (caller_id, idempotency_key) DO NOTHING RETURNING 1;
-- The authorization: lock the account (and see whether anything is overdue), then one statement.
SELECT a.id, a.product_id, a.national_id_last4, a.phone_masked, a.currency, a.credit_limit, a.held,
       a.principal_outstanding, a.status, a.score, a.score_reasons, a.score_detail::text, a.days_past_due, a.bucket,
       a.opened_on::text, a.charged_off_on::text,
       EXISTS (SELECT 1 FROM credit_installments i WHERE i.credit_account_id = a.id AND i.status = 'open'
               AND i.due_date < current_date - (SELECT p.grace_days FROM credit_products p WHERE p.id = a.product_id))
FROM credit_accounts a WHERE a.id = (SELECT id FROM bench_accounts WHERE n = :aid) FOR UPDATE OF a;
WITH ref AS (
    INSERT INTO credit_unique_refs (ref, kind, credit_account_id, object_id)
    VALUES ('pgb-' || :client_id || '-' || :r, 'order', (SELECT id FROM bench_accounts WHERE n = :aid),
            md5('c' || :client_id || ':' || :r)::uuid)
), checkout AS (
    INSERT INTO credit_checkouts (credit_account_id, id, order_ref, merchant_id, amount, currency, plan_type, tenor, status,
                                  business_date, authorized_at, expires_at)
    VALUES ((SELECT id FROM bench_accounts WHERE n = :aid), md5('c' || :client_id || ':' || :r)::uuid,
            'pgb-' || :client_id || '-' || :r, 'm-' || :merchant, 10000, 'CNY', 'installments', 3, 'authorized',
            current_date, now(), now() + interval '72 hours')
), audit AS (
    INSERT INTO audit_events (actor, action, object_type, object_id, detail, request_id)
    VALUES ('platform:' || :caller, 'credit.checkout.authorized', 'checkout', md5('c' || :client_id || ':' || :r),
            '{"amount": "100.00", "currency": "CNY"}'::jsonb, md5('q' || :r))
)
UPDATE credit_accounts SET held = held + 10000, updated_at = now() WHERE id = (SELECT id FROM bench_accounts WHERE n = :aid);
-- The stored answer, last statement before COMMIT.
UPDATE idempotency_keys SET state = 'completed', response_status = 201, response_body = convert_to(repeat('x', 620), 'UTF8'),
       completed_at = now()
WHERE caller_id = :caller::uuid AND idempotency_key = 'pgb-a-' || :client_id || '-' || :r;
COMMIT;

-- POST /v1/checkouts/{id}/capture: one transaction, the claim first.
BEGIN;
WITH wait AS (SELECT set_config('lock_timeout', '2s', true))
INSERT INTO idempotency_keys (caller_id, idempotency_key, method, route, request_hash, state)
SELECT :caller::uuid, 'pgb-c-' || :client_id || '-' || :r, 'POST', 'v1/checkouts/{id}/capture', sha256(('c' || :r)::bytea), 'in_flight' FROM wait
ON CONFLICT (caller_id, idempotency_key) DO NOTHING RETURNING 1;
-- The capture: lock the account (found through the checkout) then the checkout; one statement
-- writes plan and schedule, closes the checkout and moves the hold; one posts the ledger entry. The
-- ledger accounts exist already (seeded: a returning consumer, a known merchant), so, like the
-- service once it has met them, this script does not try to open them.
SELECT a.id, a.product_id, a.national_id_last4, a.phone_masked, a.currency, a.credit_limit, a.held,
       a.principal_outstanding, a.status, a.score, a.score_reasons, a.score_detail::text, a.days_past_due, a.bucket,
       a.opened_on::text, a.charged_off_on::text,
       EXISTS (SELECT 1 FROM credit_installments i WHERE i.credit_account_id = a.id AND i.status = 'open'
               AND i.due_date < current_date - (SELECT p.grace_days FROM credit_products p WHERE p.id = a.product_id))
FROM credit_accounts a WHERE a.id = (SELECT credit_account_id FROM credit_checkouts WHERE id = md5('c' || :client_id || ':' || :r)::uuid) FOR UPDATE OF a;
SELECT c.id, c.credit_account_id, c.order_ref, c.merchant_id, c.amount, c.currency, c.plan_type, c.tenor, c.status,
       c.decline_reasons::text, c.captured_amount, c.plan_id, c.business_date::text, c.authorized_at, c.expires_at
FROM credit_checkouts c
WHERE c.credit_account_id = (SELECT id FROM bench_accounts WHERE n = :aid) AND c.id = md5('c' || :client_id || ':' || :r)::uuid
FOR UPDATE;
WITH plan AS (
    INSERT INTO credit_plans (credit_account_id, id, checkout_id, merchant_id, plan_type, tenor, pricing, monthly_rate,
                              rounding, currency, principal, fee_base, purchase_date, status, converted_from)
    VALUES ((SELECT id FROM bench_accounts WHERE n = :aid), md5('p' || :client_id || ':' || :r)::uuid,
            md5('c' || :client_id || ':' || :r)::uuid, 'm-' || :merchant, 'installments', 3, 'flat_monthly_fee', 0.006,
            'half_even', 'CNY', 10000, 10000, current_date, 'active', NULL)
), installments AS (
INSERT INTO credit_installments (credit_account_id, plan_id, number, due_date, currency, principal, fee, status)
SELECT (SELECT id FROM bench_accounts WHERE n = :aid), md5('p' || :client_id || ':' || :r)::uuid, t.number,
       (current_date + make_interval(months => t.number))::date, 'CNY', t.principal, t.fee, 'open'
FROM unnest(ARRAY[1, 2, 3], ARRAY[3333, 3333, 3334]::bigint[], ARRAY[60, 60, 60]::bigint[]) AS t(number, principal, fee)
), checkout AS (
    UPDATE credit_checkouts SET status = 'captured', captured_amount = 10000, plan_id = md5('p' || :client_id || ':' || :r)::uuid,
           closed_at = now()
    WHERE credit_account_id = (SELECT id FROM bench_accounts WHERE n = :aid) AND id = md5('c' || :client_id || ':' || :r)::uuid
      AND status = 'authorized'
), audit AS (
    INSERT INTO audit_events (actor, action, object_type, object_id, detail, request_id)
    VALUES ('platform:' || :caller, 'credit.checkout.captured', 'checkout', md5('c' || :client_id || ':' || :r),
            '{"captured": "100.00"}'::jsonb, md5('s' || :r))
)
UPDATE credit_accounts SET held = held - 10000, principal_outstanding = principal_outstanding + 10000, updated_at = now()
WHERE id = (SELECT id FROM bench_accounts WHERE n = :aid);
WITH inserted AS (
    INSERT INTO journal_entries (id, business_date, kind, reference_type, reference_id, idempotency_ref, description)
    VALUES (md5('e' || :client_id || ':' || :r)::uuid, current_date, 'credit.capture', 'checkout', md5('c' || :client_id || ':' || :r),
            'capture:' || md5('c' || :client_id || ':' || :r)::uuid, 'credit purchase captured')
    ON CONFLICT (idempotency_ref) DO NOTHING RETURNING id
)
INSERT INTO postings (entry_id, line, account_id, amount, currency)
SELECT inserted.id, t.line, a.id, t.amount, 'CNY'
FROM inserted, (VALUES (1::smallint, 'credit.' || (SELECT id FROM bench_accounts WHERE n = :aid) || '.receivable', 10000::bigint),
             (2::smallint, 'credit.merchant.m-' || :merchant || '.payable.cny', -10000::bigint)) AS t(line, code, amount)
JOIN ledger_accounts a ON a.code = t.code
ORDER BY a.id
RETURNING entry_id;
UPDATE idempotency_keys SET state = 'completed', response_status = 200, response_body = convert_to(repeat('x', 640), 'UTF8'),
       completed_at = now()
WHERE caller_id = :caller::uuid AND idempotency_key = 'pgb-c-' || :client_id || '-' || :r;
COMMIT;
