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

# chromium_render PAGE NAME: loads PAGE (a file) in headless Chromium with no
# network at all (a network namespace without interfaces, a dead proxy, no
# name resolution) and dumps the DOM after load into $work/NAME.dom; the
# browser log goes to $work/NAME.log.
chromium_render() {
  local page="$1" name="$2"
  command -v chromium >/dev/null || fail "chromium is not installed (scripts/setup installs it)"
  unshare -n timeout 90 chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile-$name" --proxy-server=127.0.0.1:9 \
    --host-resolver-rules="MAP * ~NOTFOUND" --enable-logging=stderr --v=0 \
    --virtual-time-budget=5000 --dump-dom "file://$page" >"$work/$name.dom" 2>"$work/$name.log" || true
  [ -s "$work/$name.dom" ] || { tail -20 "$work/$name.log" >&2; fail "chromium dumped no DOM for $name"; }
}

# chromium_check NAME [MIN_CHARTS]: the page rendered by chromium_render
# loaded, has at least MIN_CHARTS (10) charts, every one drew (the page's
# script counts charts whose marks have a non-empty box), the browser logged
# no console message and the page recorded no script error or policy
# violation. Prints "D of C charts drew"; returns 1 with the reason otherwise.
chromium_check() {
  local name="$1" min="${2:-10}" charts drawn
  charts="$(sed -n 's/.*<body[^>]* data-charts="\([0-9]*\)".*/\1/p' "$work/$name.dom" | head -1)"
  drawn="$(sed -n 's/.*<body[^>]* data-charts-drawn="\([0-9]*\)".*/\1/p' "$work/$name.dom" | head -1)"
  [ -n "$charts" ] || { echo "page script did not run"; return 1; }
  [ "$charts" -ge "$min" ] || { echo "only $charts charts"; return 1; }
  [ "$drawn" = "$charts" ] || { echo "$drawn of $charts charts drew"; return 1; }
  if grep -q 'CONSOLE' "$work/$name.log"; then
    grep 'CONSOLE' "$work/$name.log" | head -5; return 1
  fi
  if ! grep -q '<pre id="page-errors" hidden=""></pre>' "$work/$name.dom"; then
    grep -A3 'id="page-errors"' "$work/$name.dom" | head -5; return 1
  fi
  echo "$drawn of $charts charts drew"
}

# chromium_screenshot PAGE PNG: a 1300x2400 screenshot of PAGE (a file),
# with no network, into PNG; fails when none was written.
chromium_screenshot() {
  local page="$1" png="$2"
  unshare -n timeout 90 chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --user-data-dir="$work/profile-shot-$(basename "$png" .png)" --proxy-server=127.0.0.1:9 \
    --host-resolver-rules="MAP * ~NOTFOUND" --hide-scrollbars --virtual-time-budget=5000 \
    --window-size=1300,2400 --screenshot="$png" "file://$page" >/dev/null 2>&1 || true
  [ -s "$png" ] || fail "no screenshot of $page"
}
