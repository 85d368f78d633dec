-- Adds older history to a COPY of the benchmark's database (snapshot.sh prepare, then copy SNAP/db):
-- :copies more copies of every journal entry (with its postings) and every repayment, each copy dated
-- 7 * k days earlier, so none falls in the night's window. The ledger triggers are skipped
-- (session_replication_role = replica, superuser only): never run this on a database you keep.
--   psql -h <socket dir> -U postgres -d qianzhuang -v copies=4 -f Benchmarks/nightly/add_history.sql
\timing on
SET session_replication_role = replica;   -- throwaway copy: skip the ledger triggers for the bulk copy
BEGIN;
CREATE TEMP TABLE m AS SELECT id AS old_id, gen_random_uuid() AS new_id, g AS k
FROM journal_entries, generate_series(1, :copies) g;
INSERT INTO journal_entries (id, business_date, kind, reference_type, reference_id, idempotency_ref, description, created_at)
SELECT m.new_id, e.business_date - 7 * m.k, e.kind, e.reference_type, e.reference_id || '-h' || m.k, NULL, e.description, e.created_at
FROM m JOIN journal_entries e ON e.id = m.old_id;
INSERT INTO postings (entry_id, line, account_id, amount, currency)
SELECT m.new_id, p.line, p.account_id, p.amount, p.currency FROM m JOIN postings p ON p.entry_id = m.old_id;
INSERT INTO credit_repayments SELECT (jsonb_populate_record(r, jsonb_build_object('id', gen_random_uuid(), 'external_ref', r.external_ref || '-h' || g))).*
FROM credit_repayments r, generate_series(1, :copies) g;
COMMIT;
VACUUM ANALYZE journal_entries; VACUUM ANALYZE postings; VACUUM ANALYZE credit_repayments;
SELECT relname, n_live_tup FROM pg_stat_user_tables WHERE relname IN ('journal_entries','postings','credit_repayments') ORDER BY 1;
