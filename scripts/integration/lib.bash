# Helpers for the integration tests (sourced, not run). Every test talks only
# to 127.0.0.1, bounds every wait, and stops what it started.
set -euo pipefail

: "${MAILSHAKE_BIN:?set by scripts/test: path of the mailshake binary}"
work="$(mktemp -d /tmp/mailshake-it.XXXXXX)"
server_pid=""

cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# start_server ARGS...: starts `mailshake serve` with a STARTTLS and an
# implicit-TLS listener on free loopback ports plus ARGS, and sets
# smtp_port and smtps_port.
start_server() {
  "$MAILSHAKE_BIN" serve --listen 127.0.0.1:0 --listen-implicit 127.0.0.1:0 \
    --threads 2 "$@" >"$work/server.out" 2>"$work/server.err" &
  server_pid=$!
  for _ in $(seq 1 200); do
    grep -q "^threads" "$work/server.out" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.err" >&2; fail "server did not start"; }
    sleep 0.05
  done
  grep -q "^threads" "$work/server.out" || fail "server not ready after 10 s"
  smtp_port="$(sed -n 's/^listening smtp:\/\/127.0.0.1:\([0-9]*\) .*/\1/p' "$work/server.out" | head -1)"
  smtps_port="$(sed -n 's/^listening smtps:\/\/127.0.0.1:\([0-9]*\) .*/\1/p' "$work/server.out" | head -1)"
  [ -n "$smtp_port" ] && [ -n "$smtps_port" ] || fail "no ports in: $(cat "$work/server.out")"
}

# stop_server: SIGINT, bounded wait, and the server must exit 0 after printing
# its final counters (left in $work/server.out).
stop_server() {
  kill -INT "$server_pid"
  for _ in $(seq 1 100); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$server_pid" 2>/dev/null && fail "server still running 5 s after SIGINT"
  local rc=0
  wait "$server_pid" || rc=$?
  server_pid=""
  [ "$rc" -eq 0 ] || fail "server exited $rc: $(cat "$work/server.err")"
  grep -q "^stopped by SIGINT" "$work/server.out" || fail "no final report: $(cat "$work/server.out")"
}

# expect_line FILE REGEX: FILE must contain a line matching REGEX.
expect_line() {
  grep -Eq -e "$2" -- "$1" || { echo "--- $1:" >&2; cat "$1" >&2; fail "expected /$2/ in $1"; }
}

# jq_py FILE EXPR: evaluates a Python expression over the JSON document d in
# FILE and prints the result (integration checks of result files).
jq_py() {
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# finding FILE ID EXPR: evaluates EXPR over the finding f with id ID in the
# mailshake.probe/v1 document FILE ("missing" when there is none).
finding() {
  python3 -c 'import json,sys
d=json.load(open(sys.argv[1])); f=[x for x in d["findings"] if x["id"]==sys.argv[2]]
print(eval(sys.argv[3], {"f": f[0]}) if f else "missing")' "$1" "$2" "$3"
}

# expect_eq WHAT GOT WANT
expect_eq() {
  [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

# bench_run OUT.json ARGS...: a short `mailshake bench` writing its result
bench_run() {
  local out="$1"; shift
  "$MAILSHAKE_BIN" bench --progress off --json "$out" "$@" >"$out.txt" 2>&1 || true
  [ -s "$out" ] || { cat "$out.txt" >&2; fail "bench wrote no result: mailshake bench $*"; }
}
