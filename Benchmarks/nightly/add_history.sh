#!/usr/bin/env bash
# add_history.sh SRC DST COPIES: a copy of the snapshot SRC (snapshot.sh prepare) at DST, with COPIES older copies
# of its ledger (add_history.sql); then SNAP=DST snapshot.sh run BUILD runs a night on it.
set -euo pipefail
SRC=$1; DST=$2; N=$3
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
rm -rf "$DST"; mkdir -p "$DST"; cp -a "$SRC/db" "$DST/db"; cp "$SRC/date" "$DST/date"
D=$DST/db
sed -i "s|^unix_socket_directories = .*|unix_socket_directories = '$D'|" "$D/pgdata/postgresql.auto.conf"
rm -f "$D/pgdata/postmaster.pid"
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$D/pgdata" -l "$D/postgres.log" -w -t 120 start > /dev/null
trap 'runuser -u postgres -- "$PGBIN/pg_ctl" -D "$D/pgdata" -m fast -w stop > /dev/null' EXIT   # also when the SQL fails
cp "$(cd "$(dirname "$0")" && pwd)/add_history.sql" /tmp/add_history.sql; chmod 644 /tmp/add_history.sql
runuser -u postgres -- psql -h "$D" -U postgres -d qianzhuang -v copies=$N -f /tmp/add_history.sql
du -sh "$DST"
