# SIGINT ends a bench run cleanly: sessions stop, the result file is written
# and complete, marked interrupted, and its counts reconcile.
source "$(dirname "$0")/lib.bash"
"$MAILSHAKE_BIN" bench --duration 60s --progress plain --json "$work/r.json" \
  >"$work/out.txt" 2>"$work/err.txt" &
pid=$!
sleep 2
kill -INT "$pid"
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && { kill -KILL "$pid"; fail "bench still running 10 s after SIGINT"; }
wait "$pid" || true
[ -s "$work/r.json" ] || { cat "$work/err.txt" >&2; fail "no result written after SIGINT"; }
expect_eq "interrupted" "$(jq_py "$work/r.json" "d['scenarios'][0]['interrupted']")" True
s="d['scenarios'][0]"
expect_eq "reconciles" "$(jq_py "$work/r.json" "$s['attempted'] == $s['succeeded'] + $s['failed'] == sum($s['outcomes'].values())")" True
jq_py "$work/r.json" "$s['succeeded'] > 0" | grep -q True || fail "nothing succeeded before SIGINT"
expect_line "$work/err.txt" "^SIGINT: stopping"
