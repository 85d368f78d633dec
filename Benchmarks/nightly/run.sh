#!/usr/bin/env bash
# Nightly benchmark: import N settlement lines through the streaming CSV importer, then run the
# close of business for that date with the release binary; reports wall time and peak RSS of each,
# the CPU seconds (user + sys) of the nightly command and of PostgreSQL during it, and each step's seconds.
# Also seeds INSTALLMENTS open installments (default 1,000,000: a quarter of the accounts overdue,
# every account with a stale hold) so the credit steps age them in the same run, and the repayments
# the settlement lines settle: half the lines by external reference, a tenth as groups (splits and
# batches), the rest unknown to the ledger (see gen_settlement.py).
# Usage: Benchmarks/nightly/run.sh [lines] [installments]   (defaults 1,000,000 and 1,000,000)
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
LINES="${1:-1000000}"
INSTALLMENTS="${2:-1000000}"
bench_build
trap bench_stop EXIT
bench_start
DATE=$(TZ=Asia/Shanghai date -d yesterday +%F)
CSV="$QZ_DATA/settlement.csv"
SEED_START=$(date +%s)
cp "$(dirname "$0")/seed_installments.sql" "$QZ_DATA/seed.sql" && chmod 644 "$QZ_DATA/seed.sql"
bench_psql -v accounts=$((INSTALLMENTS / 4)) -v rundate="$DATE" -v lines="$LINES" -f "$QZ_DATA/seed.sql" > /dev/null
echo "seeded $INSTALLMENTS installments in $(( $(date +%s) - SEED_START )) s" >&2
python3 "$(dirname "$0")/gen_settlement.py" "$CSV" "$LINES" "$DATE"
DB=(--data-dir "$QZ_DATA/db" --migrations "$BENCH_MIGRATIONS")
/usr/bin/time -f "%e %M" -o "$QZ_DATA/import.time" "$QZ_BIN" statements import "$CSV" --channel bench "${DB[@]}" > /dev/null 2> "$QZ_DATA/import.err"
# The night starts from checkpointed data, as after a quiet evening: otherwise the seed's few GB of
# dirty pages are written back by the checkpointer during the timed night (BENCH_CHECKPOINT=0 keeps
# the old behaviour, to compare).
[ "${BENCH_CHECKPOINT:-1}" = 1 ] && bench_psql -c "CHECKPOINT" > /dev/null
# CPU seconds of the database: its backends' time, collected by the postmaster as each exits
# (the nightly command's connections close when it ends), plus the postmaster's own.
PG_PID=$(head -1 "$QZ_DATA/db/pgdata/postmaster.pid")
pg_cpu_ticks() { awk '{print $14 + $15 + $16 + $17}' "/proc/$PG_PID/stat"; }
PG_CPU0=$(pg_cpu_ticks)
LOG_LEVEL=info /usr/bin/time -f "%e %M %U %S" -o "$QZ_DATA/nightly.time" "$QZ_BIN" nightly --date "$DATE" --report-dir "$QZ_DATA/reports" "${DB[@]}" > "$QZ_DATA/nightly.out" 2> "$QZ_DATA/nightly.err"
sleep 2  # the postmaster adds a backend's CPU when it reaps it, just after the connection closes
PG_CPU1=$(pg_cpu_ticks)
read -r IMPORT_S IMPORT_KB < "$QZ_DATA/import.time"
read -r NIGHT_S NIGHT_KB NIGHT_USER NIGHT_SYS < "$QZ_DATA/nightly.time"
NIGHT_CPU=$(awk -v u="$NIGHT_USER" -v s="$NIGHT_SYS" 'BEGIN {printf "%.1f", u + s}')
PG_CPU=$(awk -v a="$PG_CPU0" -v b="$PG_CPU1" -v t="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", (b - a) / t}')
EXC=$(bench_psql -c "SELECT count(*) FROM reconciliation_exceptions")
MATCHED=$(bench_psql -c "SELECT count(*) FROM statement_lines WHERE matched_by IS NOT NULL")
echo "benchmark=nightly settlement_lines=$LINES open_installments=$INSTALLMENTS import_s=$IMPORT_S import_peak_rss_kb=$IMPORT_KB nightly_s=$NIGHT_S nightly_peak_rss_kb=$NIGHT_KB nightly_cpu_s=$NIGHT_CPU postgres_cpu_s=$PG_CPU exceptions=$EXC matched_lines=$MATCHED"
# Seconds per step, from the run record.
echo "steps: $(bench_psql -c "SELECT string_agg(step || '=' || round(extract(epoch FROM finished_at - started_at)::numeric, 1), ' ' ORDER BY started_at) FROM nightly_steps")"
grep -E "\] " "$QZ_DATA/nightly.err" | sed 's/\x1b\[[0-9;]*m//g' >&2 || true
