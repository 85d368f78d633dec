#!/usr/bin/env bash
# Checkout authorization + capture: HTTP (wrk against the release build) versus the equivalent SQL
# transaction (pgbench) on the same PostgreSQL database, same concurrency.
#
#   Benchmarks/credit/run.sh            # DURATION=20 CONNECTIONS=32 ACCOUNTS=5000 by default
#
# Needs: swift, PostgreSQL server binaries (initdb, pg_ctl, psql, pgbench) and wrk (Debian: apt-get
# install postgresql wrk). Starts its own PostgreSQL on 127.0.0.1:$PGPORT in a temporary directory
# and the service on 127.0.0.1:$HTTP_PORT, and stops both on exit.
#
# One "checkout" = POST /v1/checkouts (authorize) followed by POST /v1/checkouts/{id}/capture, each
# with its own Idempotency-Key. The pgbench script (checkout.sql) issues the same statements the
# service issues for those two requests: idempotency claim and completion, the authorization
# transaction, and the capture transaction with its plan, schedule, audit and ledger posting. So
# the ratio measures what HTTP, JSON, Swift and the connection pool cost on top of PostgreSQL.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
ACCOUNTS=${ACCOUNTS:-5000}
PGPORT=${PGPORT:-55432}
HTTP_PORT=${HTTP_PORT:-18080}
# pgbench query modes to compare with, each for DURATION seconds. prepared: statements parsed and
# planned once per connection (the database's ceiling); extended: parsed and planned every time,
# as PostgresNIO sends unnamed statements (the same protocol work the service asks of the server).
PGBENCH_MODES=${PGBENCH_MODES-prepared extended}
WORK=$(mktemp -d /tmp/qz-credit-bench.XXXXXX)
chmod 755 "$WORK"

PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
for tool in "$PGBIN/initdb" "$PGBIN/pg_ctl" "$PGBIN/pgbench" "$PGBIN/psql"; do
    [ -x "$tool" ] || { echo "missing $tool (install postgresql)" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "missing wrk (apt-get install wrk)" >&2; exit 1; }

# initdb and postgres refuse to run as root: run them as the postgres user then.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
    as_pg "$PGBIN/pg_ctl" -D "$WORK/pgdata" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# QZ_BIN / QZ_MIGRATIONS: measure another build (e.g. the previous commit's, side by side) with its
# own migrations; by default this tree's release build.
if [ -n "${QZ_BIN:-}" ]; then
    BIN="$QZ_BIN"
else
    echo "== building release"
    (cd "$ROOT" && swift build -c release --product qianzhuang 2>&1 | tail -1)
    BIN="$(cd "$ROOT" && swift build -c release --show-bin-path)/qianzhuang"
fi
MIGRATIONS=${QZ_MIGRATIONS:-$ROOT/Migrations}
# Against an external database the service requires a personal-data key; a throwaway one here.
export QZ_PII_KEY=${QZ_PII_KEY:-bench-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}

# CPU seconds (user + system) used so far by a process; for the postmaster also by its exited
# children, plus every live child (the backends, WAL writer, checkpointer...).
TICKS=$(getconf CLK_TCK)
cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
postgres_cpu() {
    local pm total=0 t
    pm=$(head -1 "$WORK/pgdata/postmaster.pid")
    total=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat")
    for child in $(pgrep -P "$pm"); do t=$(cpu_of "$child"); total=$((total + t)); done
    echo "$total"
}

# POOL_SIZE: the service's connection pool, by default 4 × this machine's cores, where PostgreSQL
# runs (the best of 4, 8 and 32 here; see README.md). pgbench has no pool: one backend per client.
# STATEMENT_STATS=1 loads pg_stat_statements and prints, after each phase, the statements that took
# the most server time (where the database spends its effort). PG_OPTIONS adds server settings.
STATS_OPTS=""
[ "${STATEMENT_STATS:-0}" = 1 ] && STATS_OPTS="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
statement_stats() {
    [ "${STATEMENT_STATS:-0}" = 1 ] || return 0
    echo "-- top statements by server time ($1)"
    "$PGBIN/psql" -q -P pager=off qianzhuang -c "
        SELECT calls, round(total_exec_time::numeric, 0) AS total_ms, round(mean_exec_time::numeric, 3) AS mean_ms,
               round(total_plan_time::numeric, 0) AS plan_ms, left(regexp_replace(query, '\s+', ' ', 'g'), 110) AS query
        FROM pg_stat_statements ORDER BY total_exec_time + total_plan_time DESC LIMIT 20"
    "$PGBIN/psql" -q qianzhuang -c "SELECT pg_stat_statements_reset()" >/dev/null
}

echo "== starting PostgreSQL on 127.0.0.1:$PGPORT"
[ "$(id -u)" = 0 ] && chown postgres "$WORK"
as_pg "$PGBIN/initdb" -D "$WORK/pgdata" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$WORK/pgdata" -l "$WORK/postgres.log" -w start -o \
    "-c listen_addresses=127.0.0.1 -p $PGPORT -k $WORK -c max_connections=200 -c shared_buffers=256MB -c synchronous_commit=${SYNCHRONOUS_COMMIT:-on} $STATS_OPTS ${PG_OPTIONS:-}" >/dev/null
export PGHOST=127.0.0.1 PGPORT PGUSER=postgres
"$PGBIN/psql" -q -c "CREATE DATABASE qianzhuang" postgres
[ "${STATEMENT_STATS:-0}" = 1 ] && "$PGBIN/psql" -q -c "CREATE EXTENSION pg_stat_statements" qianzhuang
DB_URL="postgres://postgres@127.0.0.1:$PGPORT/qianzhuang?sslmode=disable"

echo "== starting the service (release) on 127.0.0.1:$HTTP_PORT"
QZ_NIGHTLY_SCHEDULE="" LOG_LEVEL=${LOG_LEVEL:-warning} "$BIN" serve --database-url "$DB_URL" --migrations "$MIGRATIONS" \
    --pool-size "${POOL_SIZE:-$(( 4 * $(nproc) ))}" --host 127.0.0.1 --port "$HTTP_PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
    curl -fs "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null 2>&1 && break
    sleep 0.5
done
curl -fs "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null || { echo "service did not start:"; cat "$WORK/server.log"; exit 1; }
KEY=$("$BIN" keys create --role platform --label bench --database-url "$DB_URL" --migrations "$MIGRATIONS" 2>/dev/null)

echo "== seeding $ACCOUNTS credit accounts"
"$PGBIN/psql" -q -v ON_ERROR_STOP=1 -v accounts="$ACCOUNTS" qianzhuang <<'SQL'
-- Benchmark accounts with a large limit so no checkout is declined; bench_accounts maps 1..N to ids for pgbench.
CREATE TABLE bench_accounts (n INT PRIMARY KEY, id UUID NOT NULL);
INSERT INTO bench_accounts SELECT g, gen_random_uuid() FROM generate_series(1, :accounts) g;
INSERT INTO credit_accounts (id, product_id, national_id_hmac, national_id_last4, phone_hmac, phone_masked, currency,
                             credit_limit, status, score, score_reasons, score_detail, features, opened_on)
SELECT id, '00000000-0000-4000-8000-000000000001', sha256(('bench-n-' || n)::bytea), '0000',
       sha256(('bench-p-' || n)::bytea), '138****0000', 'CNY', 100000000000000, 'active', 820, '{}', '[]', '{}', current_date
FROM bench_accounts;
-- Steady state: the consumers have bought before and the merchants are known, so their ledger
-- accounts exist (the service still checks each one the first time it meets it after a start).
INSERT INTO ledger_accounts (id, code, name, type, currency, owner_type, owner_id, normal_side, tracks_balance)
SELECT gen_random_uuid(), 'credit.' || id || '.receivable', 'Consumer loan receivable ' || id, 'asset', 'CNY',
       'credit_account', id::text, 'debit', true FROM bench_accounts;
INSERT INTO ledger_accounts (id, code, name, type, currency, owner_type, owner_id, normal_side, tracks_balance)
SELECT gen_random_uuid(), 'credit.merchant.m-' || m || '.payable.cny', 'Payable to merchant m-' || m || ' for credit purchases', 'liability', 'CNY',
       'seller', 'm-' || m, 'credit', true FROM generate_series(0, 63) m;
SQL
"$PGBIN/psql" -Atq -c "SELECT id FROM bench_accounts ORDER BY n" qianzhuang >"$WORK/accounts.txt"
CALLER=$("$PGBIN/psql" -Atq -c "SELECT id FROM api_keys WHERE label = 'bench'" qianzhuang)
"$PGBIN/psql" -q -c "VACUUM ANALYZE" qianzhuang
statement_stats "setup"

echo "== warm-up (3 s)"
QZ_KEY="$KEY" QZ_ACCOUNTS="$WORK/accounts.txt" QZ_RUN="warm" \
    wrk -t "$THREADS" -c "$CONNECTIONS" -d 3s -s "$HERE/checkout.lua" "http://127.0.0.1:$HTTP_PORT" >/dev/null

# Each phase starts from a fresh checkpoint and vacuumed tables, so neither inherits the other's
# dirty pages, WAL full-page images or dead rows (without this, runs varied by a quarter).
settle() { "$PGBIN/psql" -q -c "CHECKPOINT" -c "VACUUM ANALYZE" qianzhuang; }
settle
echo "== HTTP: wrk -t $THREADS -c $CONNECTIONS -d ${DURATION}s"
SVC_CPU0=$(cpu_of "$SERVER_PID"); PG_CPU0=$(postgres_cpu)
# PERF_DATA=<file>: also sample the service's stacks during this phase (perf record; it costs the
# service some CPU, so take the numbers of such a run as a profile, not as a measurement).
[ -n "${PERF_DATA:-}" ] && perf record -q -F 499 -g -p "$SERVER_PID" -o "$PERF_DATA" -- sleep "$DURATION" >/dev/null 2>&1 &
QZ_KEY="$KEY" QZ_ACCOUNTS="$WORK/accounts.txt" QZ_RUN="run" \
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --latency -s "$HERE/checkout.lua" \
    "http://127.0.0.1:$HTTP_PORT" | tee "$WORK/wrk.txt"
SVC_CPU1=$(cpu_of "$SERVER_PID"); PG_CPU1=$(postgres_cpu)
statement_stats "HTTP"

: >"$WORK/pgbench-results.txt"
for MODE in $PGBENCH_MODES; do
    settle
    echo "== SQL: pgbench -M $MODE -c $CONNECTIONS -j $THREADS -T $DURATION (same statements, same database)"
    (cd "$WORK" && rm -f pgb.* && "$PGBIN/pgbench" -n -M "$MODE" -c "$CONNECTIONS" -j "$THREADS" -T "$DURATION" \
        -D naccounts="$ACCOUNTS" -D caller="$CALLER" -f "$HERE/checkout.sql" -l --log-prefix=pgb qianzhuang) \
        | tee "$WORK/pgbench-$MODE.txt"
    TPS=$(awk '/^tps = / {print $3}' "$WORK/pgbench-$MODE.txt" | tail -1)
    # pgbench -l: column 3 is the transaction's latency in microseconds.
    read -r P50 P99 < <(cat "$WORK"/pgb.* | awk '{print $3}' | sort -n | awk '
        {v[NR] = $1} END {i50 = int(NR * 0.50); i99 = int(NR * 0.99); if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1;
                          printf "%.2f %.2f\n", v[i50] / 1000, v[i99] / 1000}')
    echo "$MODE $TPS $P50 $P99" >>"$WORK/pgbench-results.txt"
    statement_stats "pgbench -M $MODE"
done

HTTP_CHECKOUTS=$(awk '/^checkouts_per_second/ {print $2}' "$WORK/wrk.txt")
HTTP_P50=$(awk '/^request_p50_ms/ {print $2}' "$WORK/wrk.txt")
HTTP_P99=$(awk '/^request_p99_ms/ {print $2}' "$WORK/wrk.txt")
HTTP_ERRORS=$(awk '/^non_2xx/ {print $2}' "$WORK/wrk.txt")
CHECKOUTS_DONE=$(awk '/^captures/ {print $2}' "$WORK/wrk.txt")
CPU_LINE=$(awk -v s0="$SVC_CPU0" -v s1="$SVC_CPU1" -v p0="$PG_CPU0" -v p1="$PG_CPU1" -v n="${CHECKOUTS_DONE:-0}" -v hz="$TICKS" 'BEGIN {
    if (n <= 0) { print "n/a"; exit }
    s = (s1 - s0) * 1000 / hz / n; p = (p1 - p0) * 1000 / hz / n
    printf "%.3f ms (service %.3f + PostgreSQL %.3f) over %d checkouts", s + p, s, p, n }')
# The minimal one-commit reference checkout (../shared/bench/ceiling.sh), in the same run.
CEILING_SH=${CEILING_SH:-$ROOT/../shared/bench/ceiling.sh}
CEILING_TPS=""
if [ "${SKIP_CEILING:-0}" != 1 ] && [ -f "$CEILING_SH" ]; then
    echo "== reference: $CEILING_SH (minimal one-commit checkout, $CONNECTIONS clients)"
    CEILING_TPS=$(CLIENTS="$CONNECTIONS" DURATION="$DURATION" bash "$CEILING_SH" | tee "$WORK/ceiling.txt" | awk '/^ceiling_tps/ {print $2}')
    cat "$WORK/ceiling.txt"
fi
CONSISTENT=$("$PGBIN/psql" -Atq qianzhuang -c "
    SELECT (SELECT count(*) FROM credit_accounts a WHERE a.held <> (SELECT COALESCE(sum(amount), 0) FROM credit_checkouts c
             WHERE c.credit_account_id = a.id AND c.status = 'authorized')) = 0
       AND (SELECT COALESCE(sum(amount), 0) FROM postings) = 0")

echo
echo "== result (checkouts = authorize + capture)"
printf "HTTP (wrk, %s connections):     %10.1f checkouts/s   request p50 %s ms   p99 %s ms   non-2xx %s\n" \
    "$CONNECTIONS" "$HTTP_CHECKOUTS" "$HTTP_P50" "$HTTP_P99" "${HTTP_ERRORS:-0}"
while read -r MODE TPS P50 P99; do
    printf "SQL  (pgbench -M %-8s %s clients): %8.1f checkouts/s   checkout p50 %s ms   p99 %s ms   ratio HTTP/pgbench %.2f\n" \
        "$MODE," "$CONNECTIONS" "$TPS" "$P50" "$P99" "$(awk -v h="$HTTP_CHECKOUTS" -v p="$TPS" 'BEGIN { print h / p }')"
done <"$WORK/pgbench-results.txt"
echo "CPU per checkout: $CPU_LINE"
[ -n "$CEILING_TPS" ] && printf "reference one-commit checkout (ceiling.sh, %s clients): %.1f/s   ratio HTTP/reference %.2f\n" \
    "$CONNECTIONS" "$CEILING_TPS" "$(awk -v h="$HTTP_CHECKOUTS" -v p="$CEILING_TPS" 'BEGIN { print h / p }')"
echo "holds match and ledger sums to zero: $CONSISTENT"
