#!/usr/bin/env bash
# Run SQLAlchemy's and Alembic's dialect compliance suites against a live OmenDB server.
#
# Starts omendb-server on a free loopback port with a temporary data directory, creates
# the database "test" with schemas test_schema and test_schema_2 (what both suites
# expect), runs each suite with its own pytest configuration, and prints passed / failed /
# skipped counts plus the main failure causes. Exits 0 even when tests fail: the counts
# are the measurement (CI decides what to do with them). Exits non-zero only when the
# server or the suites could not be run at all.
#
#   tests/compliance/run.sh [sqlalchemy|alembic ...] [-- extra pytest args]
# Env: PYTHON (default .venv/bin/python), COMPLIANCE_TIMEOUT (seconds per test, default 60),
#      COMPLIANCE_OUT (directory for junit XML and the server log; default a temp dir),
#      COMPLIANCE_DRIVER (psycopg, the default, or psycopg_async: the omendb+psycopg_async dialect),
#      OMENDB_SRC (a directory holding another omendb_server package to run as the server,
#      e.g. a snapshot of a working tree that other people are editing).
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
PER_TEST="${COMPLIANCE_TIMEOUT:-60}"
SUITES=()
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; EXTRA=("$@"); break ;;
    *) SUITES+=("$1"); shift ;;
  esac
done
[ ${#SUITES[@]} -eq 0 ] && SUITES=(sqlalchemy alembic)

WORK="$(mktemp -d -t omendb-compliance-XXXXXX)"
OUT="${COMPLIANCE_OUT:-$WORK}"
mkdir -p "$OUT"
PORT="$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
PASSWORD="compliance-$RANDOM$RANDOM"
export OMENDB_PASSWORD="$PASSWORD"
# Started from $WORK: "python -m" puts the current directory first on sys.path, which must
# not shadow OMENDB_SRC.
(cd "$WORK" && PYTHONPATH="${OMENDB_SRC:-}${PYTHONPATH:+:$PYTHONPATH}" exec "$PYTHON" -m omendb_server \
  --data-dir "$WORK/data" --host 127.0.0.1 --port "$PORT" --log-level WARNING) >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
cleanup() {
  kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  [ -z "${COMPLIANCE_OUT:-}" ] && rm -rf "$WORK/data"
}
trap cleanup EXIT

"$PYTHON" - "$PORT" "$PASSWORD" <<'PY' || { echo "omendb-server did not start:"; cat "$OUT/server.log"; exit 2; }
import sys, time, psycopg
port, password = sys.argv[1], sys.argv[2]
deadline = time.time() + 60
while True:
    try:
        c = psycopg.connect(host="127.0.0.1", port=port, user="omendb", password=password,
                            dbname="omendb", autocommit=True)
        break
    except psycopg.OperationalError:
        if time.time() > deadline:
            raise
        time.sleep(0.3)
with c:
    c.execute("CREATE DATABASE test")
with psycopg.connect(host="127.0.0.1", port=port, user="omendb", password=password,
                     dbname="test", autocommit=True) as t:
    for schema in ("test_schema", "test_schema_2"):
        t.execute(f"CREATE SCHEMA {schema}")
PY

URL="omendb+${COMPLIANCE_DRIVER:-psycopg}://omendb:$PASSWORD@127.0.0.1:$PORT/test"
STATUS=0
for suite in "${SUITES[@]}"; do
  echo "=== $suite compliance suite against $URL (server log: $OUT/server.log)"
  start=$(date +%s)
  (cd "$HERE/$suite" && "$PYTHON" -m pytest -c setup.cfg --rootdir . -q -p no:cacheprovider \
      --timeout "$PER_TEST" --dburi "$URL" --junitxml "$OUT/$suite.xml" -o junit_family=xunit1 \
      "${EXTRA[@]}" >"$OUT/$suite.log" 2>&1)
  rc=$?
  echo "    pytest exit status $rc after $(( $(date +%s) - start )) s (output: $OUT/$suite.log)"
  if [ ! -s "$OUT/$suite.xml" ]; then
    tail -30 "$OUT/$suite.log"; STATUS=2; continue
  fi
  "$PYTHON" "$HERE/summarize.py" "$suite" "$OUT/$suite.xml"
done
exit $STATUS
