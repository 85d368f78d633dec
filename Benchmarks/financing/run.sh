#!/usr/bin/env bash
# Financing benchmark: concurrent straight-through financing requests over HTTP against the
# release build. Prints throughput and p50/p99. Usage: Benchmarks/financing/run.sh [connections] [seconds]
# QZ_MIX=supplier (default): one connection per supplier, each financing its own receivables.
# QZ_MIX=shuffled: any connection finances any supplier's receivables (row-lock contention).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
CONNS="${1:-16}"; SECS="${2:-20}"; MIX="${QZ_MIX:-supplier}"
if [ "$MIX" = supplier ]; then THREADS=$CONNS; else THREADS=$(( CONNS < 4 ? CONNS : 4 )); fi
bench_build
trap bench_stop EXIT
bench_start
PLATFORM=$(bench_key platform)
PAIRS="$QZ_DATA/pairs.txt"
SUPPLIERS="${QZ_SUPPLIERS:-$CONNS}"; PER="${QZ_PER_SUPPLIER:-2400}"
echo "seeding $SUPPLIERS suppliers × $PER receivables through the API…" >&2
python3 "$(dirname "$0")/seed.py" "$QZ_URL" "$QZ_OPERATOR" "$PLATFORM" "$PAIRS" "$SUPPLIERS" "$PER" \
  "$QZ_BIN" keys create --data-dir "$QZ_DATA/db" --migrations "$BENCH_MIGRATIONS" >&2
QZ_PAIRS="$PAIRS" QZ_THREADS=$THREADS QZ_MIX="$MIX" wrk -t$THREADS -c"$CONNS" -d"${SECS}s" --latency -s "$(dirname "$0")/finance.lua" "$QZ_URL" > "$QZ_DATA/wrk.txt"
read -r P50 P99 RPS ERRS < <(wrk_summary "$QZ_DATA/wrk.txt")
APPROVED=$(bench_psql -c "SELECT count(*) FROM financing_requests WHERE status = 'approved'")
BAL=$(bench_psql -c "SELECT COALESCE(sum(amount),0) FROM postings")
echo "benchmark=financing mix=$MIX connections=$CONNS seconds=$SECS throughput_rps=$RPS p50_ms=$P50 p99_ms=$P99 non2xx=$ERRS approved=$APPROVED ledger_sum=$BAL peak_rss_kb=$(bench_peak_rss_kb)"
