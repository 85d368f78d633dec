#!/usr/bin/env bash
# Shared benchmark plumbing: build the release binary, start the service on a private embedded
# PostgreSQL in a temporary directory, make keys. Source it; call bench_start / bench_stop.
set -euo pipefail
BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="/opt/swift/usr/bin:$PATH"

# QZ_BIN (and QZ_MIGRATIONS): measure another build, e.g. the previous commit's, side by side.
bench_build() {
  if [ -n "${QZ_BIN:-}" ]; then return; fi
  (cd "$BENCH_ROOT" && swift build -c release --product qianzhuang >&2)
  QZ_BIN="$BENCH_ROOT/.build/release/qianzhuang"
}
BENCH_MIGRATIONS="${QZ_MIGRATIONS:-$BENCH_ROOT/Migrations}"

# Starts `qianzhuang serve` on a fresh data dir; sets QZ_URL, QZ_DATA, QZ_PID, QZ_OPERATOR.
# QZ_POOL: the service's connection pool, by default 2 × this machine's cores (the embedded
# database runs here; see Deploy/SCALING.md §6 for why the pool follows the database's cores).
bench_start() {
  QZ_DATA="$(mktemp -d /tmp/qzb-XXXXXX)"
  chmod 755 "$QZ_DATA"
  local port="${QZ_BENCH_PORT:-18181}"
  QZ_URL="http://127.0.0.1:$port"
  (cd "$QZ_DATA" && LOG_LEVEL=warning QZ_NIGHTLY_SCHEDULE="" "$QZ_BIN" serve --data-dir "$QZ_DATA/db" --port "$port" \
      --migrations "$BENCH_MIGRATIONS" --pool-size "${QZ_POOL:-$(( 2 * $(nproc) ))}" > "$QZ_DATA/serve.out" 2> "$QZ_DATA/serve.err") &
  for _ in $(seq 1 120); do
    QZ_PID="$(pgrep -f "qianzhuang serve --data-dir $QZ_DATA/db" | head -1 || true)"
    [ -n "$QZ_PID" ] && curl -fs "$QZ_URL/readyz" >/dev/null 2>&1 && break
    sleep 0.5
  done
  curl -fs "$QZ_URL/readyz" >/dev/null || { echo "service did not become ready" >&2; cat "$QZ_DATA/serve.err" >&2; exit 1; }
  QZ_OPERATOR="$(sed -n 's/^Operator API key (shown once, keep it): //p' "$QZ_DATA/serve.out")"
  QZ_SOCKET_DIR="$QZ_DATA/db"
  export QZ_URL QZ_DATA QZ_PID QZ_OPERATOR QZ_SOCKET_DIR QZ_BIN
}

bench_key() {  # bench_key ROLE [SUPPLIER_ID]
  if [ -n "${2:-}" ]; then
    "$QZ_BIN" keys create --data-dir "$QZ_DATA/db" --migrations "$BENCH_MIGRATIONS" --role "$1" --supplier-id "$2" 2>/dev/null
  else
    "$QZ_BIN" keys create --data-dir "$QZ_DATA/db" --migrations "$BENCH_MIGRATIONS" --role "$1" 2>/dev/null
  fi
}

# Peak resident memory of the service so far (kB), from /proc.
bench_peak_rss_kb() { awk '/VmHWM/ {print $2}' "/proc/$QZ_PID/status" 2>/dev/null || echo 0; }
bench_rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$QZ_PID/status" 2>/dev/null || echo 0; }

bench_psql() { runuser -u postgres -- psql -h "$QZ_SOCKET_DIR" -U postgres -d qianzhuang -qAt "$@"; }

bench_stop() {
  if [ -n "${QZ_PID:-}" ]; then kill -TERM "$QZ_PID" 2>/dev/null || true; wait "$QZ_PID" 2>/dev/null || true; fi
  # The cluster outlives the service by its shutdown checkpoint: stop it before removing its files
  # (removing them under it failed with "pg_wal: Directory not empty" and left GBs behind in /tmp).
  if [ -n "${QZ_DATA:-}" ] && [ -z "${QZ_KEEP:-}" ] && [ -f "$QZ_DATA/db/pgdata/postmaster.pid" ]; then
    runuser -u postgres -- "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/pg_ctl" -D "$QZ_DATA/db/pgdata" -m fast -w stop > /dev/null 2>&1 || true
  fi
  [ -n "${QZ_DATA:-}" ] && [ -z "${QZ_KEEP:-}" ] && rm -rf "$QZ_DATA"
  return 0
}

# Prints "p50_ms p99_ms rps" from a wrk --latency output file.
wrk_summary() {
  python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(v, unit):
    v = float(v); return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
p = {m.group(1): ms(m.group(2), m.group(3)) for m in re.finditer(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)", text, re.M)}
rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(f"{p.get('50', float('nan')):.2f} {p.get('99', float('nan')):.2f} {float(rps.group(1)) if rps else 0:.0f} {errors.group(1) if errors else 0}")
PY
}
