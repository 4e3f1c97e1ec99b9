#!/usr/bin/env bash
# A streaming replica of the machine's PostgreSQL for the replica tests: a second cluster on
# port 5433, made with `pg_basebackup -R` from the primary on 5432, in hot standby. Prints the
# URL to set as TENANTRY_TEST_REPLICA_URL. Idempotent: a replica already answering is kept.
# `replica.sh stop` stops it: left streaming, it replays every write of the primary (its
# startup process took ~9.5% of a core during a `cargo xtask bench --only webhooks` run after
# CI), a load no later benchmark on the machine should carry.
set -euo pipefail

PORT="${TENANTRY_REPLICA_PORT:-5433}"
DIR="${TENANTRY_REPLICA_DIR:-/tmp/tenantry-replica}"
URL="postgres://postgres@127.0.0.1:$PORT/postgres"
version=$(ls /etc/postgresql | head -n1)
bin="/usr/lib/postgresql/$version/bin"

if [ "${1:-}" = "stop" ]; then
  runuser -u postgres -- "$bin/pg_ctl" -D "$DIR" stop -m fast >/dev/null 2>&1 || true
  exit 0
fi

if [ "$(psql -h 127.0.0.1 -p "$PORT" -U postgres -Atc 'SELECT pg_is_in_recovery()' 2>/dev/null)" = "t" ]; then
  echo "$URL"
  exit 0
fi

# The primary must accept replication connections from loopback.
hba="/etc/postgresql/$version/main/pg_hba.conf"
if ! grep -Eq '^host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32' "$hba"; then
  echo "host replication all 127.0.0.1/32 trust" >> "$hba"
  pg_ctlcluster --skip-systemctl-redirect "$version" main reload >&2
fi

runuser -u postgres -- "$bin/pg_ctl" -D "$DIR" stop -m immediate >/dev/null 2>&1 || true
rm -rf "$DIR"
mkdir -p "$DIR"
chown postgres "$DIR"
chmod 700 "$DIR"
runuser -u postgres -- "$bin/pg_basebackup" -h 127.0.0.1 -p 5432 -U postgres -D "$DIR" -R -X stream >&2
# Debian keeps the primary's configuration outside its data directory: the copy needs its own.
cat > "$DIR/postgresql.conf" <<CONF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '/tmp'
hot_standby = on
max_connections = 200
CONF
cp "$hba" "$DIR/pg_hba.conf"
touch "$DIR/pg_ident.conf"
chown postgres "$DIR"/*.conf
runuser -u postgres -- "$bin/pg_ctl" -D "$DIR" -l "$DIR.log" -w start >&2
[ "$(psql -h 127.0.0.1 -p "$PORT" -U postgres -Atc 'SELECT pg_is_in_recovery()')" = "t" ] || {
  echo "the replica on port $PORT is not in recovery" >&2
  exit 1
}
echo "$URL"
