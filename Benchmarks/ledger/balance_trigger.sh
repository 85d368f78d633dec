#!/bin/bash
# Benchmarks/ledger/balance_trigger.sh [ROUNDS] [ENTRIES_PER_STATEMENT] [STATEMENTS]
#
# The cached-balance trigger the ledger ships (0001 + 0007: a PL/pgSQL call and a one-row UPDATE per
# posting) against a candidate that applies one sum per account per INSERT statement (a statement
# trigger over the transition table, rows locked in id order; defined below, not shipped). Two
# databases in one throwaway cluster, alternated ROUNDS times (default 3); pgbench prints each round's
# average latency per statement.
# * `... 3` (1,000 entries per statement, 125 statements) is the shape of a night's late-fee batches: each entry a posting
#   to its own consumer's owned account and one to a platform account, a transaction per statement
#   (CreditLedgerBatch).
# * `... 3 1 5000` is the hot paths' shape: one entry (two postings) per transaction, as a capture posts.
# Measured (session 15, Benchmarks/nightly/README.md): the candidate is 8-13% faster at 1,000 entries and
# 8-18% slower at one, so the ledger keeps the row trigger.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-3}
per=${2:-1000}
statements=${3:-125}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
dir=$(mktemp -d /tmp/qz-trigger.XXXXXX); chown postgres "$dir"
port=${PORT:-55439}
runuser -u postgres -- "$bin/initdb" -D "$dir/data" -A trust >/dev/null
runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -o "-p $port -k $dir -c jit=off -c fsync=off -c shared_buffers=512MB" \
    -l "$dir/log" start >/dev/null
trap 'runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" stop -m fast >/dev/null; rm -rf "$dir"' EXIT
psql() { command psql -h "$dir" -p "$port" -U postgres -q -v ON_ERROR_STOP=1 "$@"; }
for db in per_posting per_statement; do
    psql -d postgres -c "CREATE DATABASE $db"
    migrations="0001_ledger.sql 0007_ledger_guard_when.sql"
    for m in $migrations; do psql -d "$db" -f "$here/Migrations/$m"; done
    if [ "$db" = per_statement ]; then psql -d "$db" <<'SQL'
DROP TRIGGER postings_apply_balance ON postings;
CREATE FUNCTION ledger_apply_postings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM ledger_accounts
    WHERE tracks_balance AND id IN (SELECT account_id FROM new_postings)
    ORDER BY id
    FOR NO KEY UPDATE;
    UPDATE ledger_accounts a SET balance = a.balance + s.total
    FROM (SELECT account_id, sum(amount) AS total FROM new_postings GROUP BY account_id) s
    WHERE a.id = s.account_id AND a.tracks_balance;
    RETURN NULL;
END $$;
CREATE TRIGGER postings_apply_balance AFTER INSERT ON postings
    REFERENCING NEW TABLE AS new_postings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_apply_postings();
SQL
    fi
    psql -d "$db" <<'SQL'
INSERT INTO ledger_accounts (id, code, name, type, currency, owner_type, owner_id, normal_side, tracks_balance)
SELECT gen_random_uuid(), 'credit.c-' || g || '.receivable', 'r', 'asset', 'CNY', 'credit_account', 'c-' || g, 'debit', true
FROM generate_series(0, 124999) g;
INSERT INTO ledger_accounts (id, code, name, type, currency, owner_type, normal_side, tracks_balance)
VALUES (gen_random_uuid(), 'credit.late_fee_income.cny', 'i', 'income', 'CNY', 'platform', 'credit', false);
VACUUM ANALYZE ledger_accounts;
SQL
done
cat > "$dir/batch.sql" <<SQL
\\set b random(0, $(( 125000 / per - 1 )))
BEGIN;
WITH e AS (
    INSERT INTO journal_entries (id, business_date, kind, reference_type, reference_id)
    SELECT gen_random_uuid(), '2026-11-26', 'credit.late_fee', 'bench', (:b * $per + g)::text FROM generate_series(0, $(( per - 1 ))) g
    RETURNING id, reference_id
), t AS (
    SELECT e.id AS entry_id, 1::smallint AS line, 'credit.c-' || e.reference_id || '.receivable' AS code, 500::bigint AS amount FROM e
    UNION ALL SELECT e.id, 2::smallint, 'credit.late_fee_income.cny', -500 FROM e
)
INSERT INTO postings (entry_id, line, account_id, amount, currency)
SELECT t.entry_id, t.line, a.id, t.amount, 'CNY' FROM t JOIN ledger_accounts a ON a.code = t.code ORDER BY a.id;
COMMIT;
SQL
chmod 644 "$dir/batch.sql"
for round in $(seq "$rounds"); do
    for db in per_posting per_statement; do
        latency=$(pgbench -h "$dir" -p "$port" -U postgres -n -f "$dir/batch.sql" -t "$statements" "$db" 2>/dev/null | awk '/latency average/ {print $4}')
        echo "round $round $db: $latency ms per statement of $per entries"
    done
done
for db in per_posting per_statement; do
    psql -d "$db" -At -c "SELECT '$db: ' || count(*) || ' owned accounts, each cached balance = its postings: ' || bool_and(a.balance = coalesce(s.total, 0))
        FROM ledger_accounts a LEFT JOIN (SELECT account_id, sum(amount) total FROM postings GROUP BY account_id) s ON s.account_id = a.id
        WHERE a.tracks_balance"
done
