-- The night's preparation, the two parts that read the ledger and the alias view (ReconciliationStore.prepareRun,
-- same settings, same SQL as its first two CTEs), under EXPLAIN ANALYZE, rolled back:
--   psql -h <socket dir> -U postgres -d qianzhuang -v d=<the snapshot's date> -f Benchmarks/nightly/explain_preparation.sql
\timing on
BEGIN;
SET LOCAL work_mem = '256MB';
SET LOCAL enable_nestloop = off;
SET LOCAL enable_mergejoin = off;
SET LOCAL jit = off;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING ON)
WITH cash AS (
    SELECT e.id AS entry_id, p.currency::text AS currency, e.reference_type, e.reference_id, sum(p.amount)::bigint AS amount,
           e.kind, e.business_date
    FROM journal_entries e
    JOIN postings p ON p.entry_id = e.id
    JOIN ledger_accounts la ON la.id = p.account_id AND la.code LIKE 'platform.cash.%'
    WHERE e.business_date BETWEEN (:'d'::date - 1) AND :'d'::date
      AND NOT EXISTS (SELECT 1 FROM reconciled_items r WHERE r.entry_id = e.id)
    GROUP BY e.id, p.currency
    HAVING sum(p.amount) <> 0
), aliased AS (
    SELECT c.entry_id, c.currency, array_agg(a.alias ORDER BY a.rank, a.alias) AS aliases
    FROM cash c JOIN reconciliation_aliases a ON a.reference_type = c.reference_type AND a.reference_id = c.reference_id
    WHERE a.alias IS NOT NULL AND a.alias <> '' AND a.alias <> c.reference_id
    GROUP BY c.entry_id, c.currency
)
SELECT (SELECT count(*) FROM cash), (SELECT count(*) FROM aliased);
ROLLBACK;
SELECT relname, n_live_tup FROM pg_stat_user_tables WHERE relname IN ('credit_repayments','credit_checkouts','credit_plans','credit_refunds','receivables','payment_orders','reconciliation_batch_refs','journal_entries','postings') ORDER BY 1;
