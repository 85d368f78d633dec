#!/usr/bin/env bash
# One command for every benchmark: builds the release binary, starts private databases, seeds,
# and prints one table. Usage: Benchmarks/run-all.sh   (knobs: see each benchmark's run.sh)
set -uo pipefail
cd "$(dirname "$0")"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v pgbench >/dev/null || { apt-get update -qq && apt-get install -y -qq postgresql-contrib >/dev/null; }
out=$(mktemp)
./financing/run.sh 16 20 2>/dev/null | grep '^benchmark=' >> "$out"
./credit/run.sh 2>/dev/null | grep -E '^(benchmark=|HTTP|SQL|holds)' >> "$out"
./nightly/run.sh "${NIGHTLY_LINES:-1000000}" 2>/dev/null | grep '^benchmark=' >> "$out"
echo "== Qianzhuang benchmarks ($(nproc) cores; service, PostgreSQL and load generator share them)"
sed -E 's/^benchmark=([a-z]+) /\1: /; s/^(HTTP|SQL|holds)/credit: \1/' "$out" | tr -s ' '
rm -f "$out"
