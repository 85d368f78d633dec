#!/usr/bin/env bash
# Side-by-side nights on one seeded database. BUILD is a directory holding a release `qianzhuang` and its `Migrations/`.
# snapshot.sh prepare BUILD LINES INSTALLMENTS : run.sh's seed + file + import with BUILD, kept stopped in $SNAP
# snapshot.sh run BUILD                         : one night of BUILD on a fresh copy of the snapshot; prints one line
#   (PG_CONF="name = value" appends settings to that copy's postgresql.auto.conf;
#    TOP_STATEMENTS=N loads pg_stat_statements and prints the N statements that took PostgreSQL longest)
set -euo pipefail
SNAP=${SNAP:-/var/tmp/qz-nightly-snapshot}
HERE=$(cd "$(dirname "$0")" && pwd)
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
case "$1" in
prepare)
  BIN=$2; LINES=$3; INSTALLMENTS=$4
  export QZ_BIN=$BIN/qianzhuang QZ_MIGRATIONS=$BIN/Migrations QZ_KEEP=1
  cd "$HERE"
  source ../lib.sh
  bench_start
  DATE=$(TZ=Asia/Shanghai date -d yesterday +%F)
  cp seed_installments.sql "$QZ_DATA/seed.sql" && chmod 644 "$QZ_DATA/seed.sql"
  t0=$(date +%s)
  bench_psql -v accounts=$((INSTALLMENTS / 4)) -v rundate="$DATE" -v lines="$LINES" -f "$QZ_DATA/seed.sql" > /dev/null
  echo "seeded in $(( $(date +%s) - t0 )) s"
  python3 gen_settlement.py "$QZ_DATA/settlement.csv" "$LINES" "$DATE"
  /usr/bin/time -f "import %e s %M kB" "$QZ_BIN" statements import "$QZ_DATA/settlement.csv" --channel bench --data-dir "$QZ_DATA/db" --migrations "$QZ_MIGRATIONS" > /dev/null
  bench_stop
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$QZ_DATA/db/pgdata" -m fast -w stop 2>/dev/null || true
  rm -rf "$SNAP"; mkdir -p "$SNAP"; mv "$QZ_DATA/db" "$SNAP/db"; echo "$DATE" > "$SNAP/date"; rm -rf "$QZ_DATA"
  du -sh "$SNAP"
  ;;
run)
  BIN=$2; D=${SNAP}-run
  rm -rf "$D"; cp -a "$SNAP/db" "$D"
  sed -i "s|^unix_socket_directories = .*|unix_socket_directories = '$D'|" "$D/pgdata/postgresql.auto.conf"
  # PG_CONF: extra settings for this run's cluster, one per line (to measure a setting on its own).
  [ -n "${PG_CONF:-}" ] && printf '%s\n' "$PG_CONF" >> "$D/pgdata/postgresql.auto.conf"
  [ -n "${TOP_STATEMENTS:-}" ] && printf "shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track = all\n" >> "$D/pgdata/postgresql.auto.conf"
  rm -f "$D/pgdata/postmaster.pid"
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$D/pgdata" -l "$D/postgres.log" -w -t 120 start > /dev/null
  psql() { runuser -u postgres -- psql -h "$D" -U postgres -d qianzhuang -qAt -c "$1"; }
  [ -n "${TOP_STATEMENTS:-}" ] && psql "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset(); SELECT pg_stat_reset_shared('wal')" > /dev/null
  DATE=$(cat "$SNAP/date")
  PG_PID=$(head -1 "$D/pgdata/postmaster.pid")
  ticks() { awk '{print $14 + $15 + $16 + $17}' "/proc/$PG_PID/stat"; }
  c0=$(ticks)
  LOG_LEVEL=info /usr/bin/time -f "%e %M %U %S" -o "$D/nightly.time" $BIN/qianzhuang nightly --date "$DATE" --report-dir "$D/reports" --data-dir "$D" --migrations $BIN/Migrations > "$D/nightly.out" 2> "$D/nightly.err" || { echo "nightly failed"; tail -5 "$D/nightly.err"; }
  sleep 2
  c1=$(ticks)
  read -r S KB U SY < "$D/nightly.time"
  echo "$(basename "$BIN") night=${S}s rss=${KB}kB nightly_cpu=$(awk -v u=$U -v s=$SY 'BEGIN{printf "%.1f", u+s}')s pg_cpu=$(awk -v a=$c0 -v b=$c1 -v t=$(getconf CLK_TCK) 'BEGIN{printf "%.1f",(b-a)/t}')s exc=$(psql 'SELECT count(*) FROM reconciliation_exceptions') matched=$(psql 'SELECT count(*) FROM statement_lines WHERE matched_by IS NOT NULL') load=$(cut -d' ' -f1 /proc/loadavg)"
  echo "  steps: $(psql "SELECT string_agg(step || '=' || round(extract(epoch FROM finished_at - started_at)::numeric, 1), ' ' ORDER BY position) FROM nightly_steps")"
  [ -n "${TOP_STATEMENTS:-}" ] && psql "SELECT round(total_exec_time::numeric / 1000, 1) || ' s  ' || calls || ' calls  ' || rows || ' rows  '
      || round(wal_bytes / 1048576) || ' MB WAL (' || wal_fpi || ' full pages)  ' || left(regexp_replace(query, '\s+', ' ', 'g'), 160) FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT ${TOP_STATEMENTS}"
  [ -n "${TOP_STATEMENTS:-}" ] && echo "  WAL of the night: $(psql "SELECT round(wal_bytes / 1048576) || ' MB, ' || wal_fpi || ' full pages, ' || wal_records || ' records' FROM pg_stat_wal")"
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$D/pgdata" -m fast -w stop > /dev/null
  ;;
esac
