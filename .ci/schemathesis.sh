#!/usr/bin/env bash
# Schemathesis, with every check, against both OpenAPI documents of a real server on the
# given database URL (sqlite://… or postgres://…). Fails on any finding.
#
#   .ci/schemathesis.sh BINARY DATABASE_URL [MAX_EXAMPLES]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
binary="$(realpath "$1")"
database_url="$2"
examples="${3:-20}"
work="$(mktemp -d)"

cleanup() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cd "$work"
# A port below the kernel's ephemeral range (32768 and up here), which outgoing connections
# take theirs from: a random one inside it was once already held ("Address already in use").
# Another run may still hold the one picked: a server that exits at once is started again.
for attempt in 1 2 3 4 5; do
  port=$((20000 + RANDOM % 12000))
  base="http://127.0.0.1:$port"
  TENANTRY_DATABASE_URL="$database_url" "$binary" serve --bind "127.0.0.1:$port" \
    --credentials-file "$work/credentials.json" >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do
    curl -fs "$base/readyz" >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || break
    sleep 0.2
  done
  curl -fs "$base/readyz" >/dev/null 2>&1 && break
  if kill -0 "$server" 2>/dev/null || ! grep -q 'Address already in use' "$work/server.log"; then
    break
  fi
  echo "port $port was taken (attempt $attempt); trying another"
done
curl -fs "$base/readyz" >/dev/null || { cat "$work/server.log"; echo "FAIL: the server did not start"; exit 1; }

# The console script pip installed beside this python3 (a version manager's shims may not
# know it yet on a fresh machine).
st="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/schemathesis"
[ -x "$st" ] || st=schemathesis

field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$@"; }
password="$(field "$work/credentials.json" password)"
key="$(field "$work/credentials.json" apiKey)"
# The run makes thousands of requests a minute; the limiter itself stays on.
TENANTRY_DATABASE_URL="$database_url" "$binary" reseller update --code sandbox --rate-limit 1000000 >/dev/null

# A tenant with an API connection, for the Tenant API run.
token="$(curl -fs -X POST "$base/reseller/tenant" -H "Authorization: Bearer $key" \
  -H 'Content-Type: application/json' \
  -d '{"customerReference":"schemathesis","fullName":"Schemathesis AB","email":"st@example.com","defaultLanguage":"swe","withApiConnection":true}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["connection"]["token"])')"

run() {
  local document="$1"; shift
  echo "--- schemathesis: $document ($database_url, $examples examples per operation)"
  SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="$here" \
    "$st" --config-file "$here/schemathesis.toml" run "$base$document" \
    --checks all --max-examples "$examples" --phases examples,coverage,fuzzing \
    --workers 1 --seed 1 "$@"
}
# The Tenant API first: the Reseller API run may delete or cancel any tenant it can name.
run /tenant/openapi.json -H "Authorization: Bearer $token"
# Basic authentication: a key could be revoked or rotated by the run itself.
run /reseller/openapi.json -a "admin:$password" -H "X-Reseller: sandbox"
