# mailshake matrix, bench --trials and compare against the embedded server:
# the plan drops invalid combinations, every trial lands in one result file,
# SIGINT keeps the finished trials, compare gates and refuses bad input with
# the documented exit statuses; --affinity pins the client and the embedded
# server where the file says. About 35 s.
source "$(dirname "$0")/lib.bash"

m() { "$MAILSHAKE_BIN" "$@"; }

# The plan: ECDSA suite with an RSA key and the reverse are never planned.
m matrix --plan-only --tls 1.2 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256,ECDHE-RSA-AES128-GCM-SHA256 \
  --groups P-256 --embedded-certs p256,rsa2048 --trials 2 --trial-duration 500ms --warmup 100ms \
  >"$work/plan.out" 2>&1 || fail "plan-only failed: $(cat "$work/plan.out")"
expect_line "$work/plan.out" "^plan: 2 scenario\(s\) x 2 trial\(s\)"
expect_line "$work/plan.out" "2 invalid combination"
expect_line "$work/plan.out" "ECDSA-authenticated suite with an RSA key"

# A small matrix: 3 scenarios x 2 trials, one result file.
rc=0
m matrix --tls 1.2,1.3 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256 --groups P-256 \
  --embedded-certs p256 --sigalgs default --resume off,ticket --trials 2 --trial-duration 400ms \
  --warmup 100ms --threads 1 --concurrency 4 --progress plain --json "$work/a.json" \
  >"$work/a.out" 2>"$work/a.err" || rc=$?
expect_eq "matrix exit" "$rc" 0
expect_eq "entries" "$(jq_py "$work/a.json" "len(d['scenarios'])")" 8
expect_eq "trials of one scenario" \
  "$(jq_py "$work/a.json" "sorted(s['trial'] for s in d['scenarios'] if s['name']=='TLSv1.3 default P-256 default ticket p256')")" "[0, 1]"
expect_eq "server key in parameters" \
  "$(jq_py "$work/a.json" "sorted(set(s['parameters']['server_key'] for s in d['scenarios']))")" "['p256']"
expect_eq "server side per trial" \
  "$(jq_py "$work/a.json" "all(s['server']['handshakes'] >= s['succeeded'] > 0 for s in d['scenarios'])")" True
expect_line "$work/a.err" "scenarios [0-9]+/4, trials [0-9]+/8, ETA"
expect_line "$work/a.out" "hs/client-cpu-s"
# Interleaved: every trial 0 is written before any trial 1.
expect_eq "interleaved" "$(jq_py "$work/a.json" "[s['trial'] for s in d['scenarios']] == sorted(s['trial'] for s in d['scenarios'])")" True

# CPU placement (--affinity, default auto against the embedded server): the
# file records disjoint client and server CPU lists on 2 CPUs or more, and
# the threads really run there (read from /proc from outside the process).
cpus=$(python3 -c 'import os; print(len(os.sched_getaffinity(0)))')
if [ "$cpus" -ge 2 ]; then
  expect_eq "placement recorded" "$(jq_py "$work/a.json" "(d['spec']['affinity'], d['spec']['cpus_client'] != '', d['spec']['cpus_server'] != '')")" "('auto', True, True)"
  expect_eq "placement disjoint" "$(python3 - "$work/a.json" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))["spec"]
def cpus(text):
    out = set()
    for part in text.split(","):
        a, _, b = part.partition("-")
        out |= set(range(int(a), int(b or a) + 1))
    return out
print(not (cpus(spec["cpus_client"]) & cpus(spec["cpus_server"])))
PY
)" True
  expect_line "$work/a.err" "^placement: client on CPUs? [0-9]"
  first=$(python3 -c 'import os; print(min(os.sched_getaffinity(0)))')
  last=$(python3 -c 'import os; print(max(os.sched_getaffinity(0)))')
  "$MAILSHAKE_BIN" bench --trials 2 --duration 1500ms --warmup 0s --concurrency 4 --progress off \
    --affinity "$last:$first" --json "$work/pin.json" >/dev/null 2>"$work/pin.err" &
  pid=$!
  seen=""
  for _ in $(seq 1 60); do
    sleep 0.1
    seen=$(python3 - "$pid" <<'PY'
import os, sys
task = "/proc/%s/task" % sys.argv[1]
found = {}
try:
    for tid in os.listdir(task):
        comm = open("%s/%s/comm" % (task, tid)).read().strip()
        side = "client" if comm.startswith("ms-bench-") else "server" if comm.startswith("ms-serve-") else None
        if side:
            found.setdefault(side, set()).update(os.sched_getaffinity(int(tid)))
except (FileNotFoundError, ProcessLookupError):
    pass
if len(found) == 2:
    print("client=%s server=%s" % (sorted(found["client"]), sorted(found["server"])))
PY
)
    [ -n "$seen" ] && break
  done
  rc=0; wait "$pid" || rc=$?
  expect_eq "pinned bench exit" "$rc" 0
  expect_eq "threads where --affinity put them" "$seen" "client=[$last] server=[$first]"
  expect_eq "pinned spec" "$(jq_py "$work/pin.json" "(d['spec']['affinity'], d['spec']['cpus_client'], d['spec']['cpus_server'], d['spec']['threads'], d['spec']['embedded_threads'])")" "('$last:$first', '$last', '$first', 1, 1)"
  # A different placement changes the work: compare refuses it (exit 4).
  python3 - "$work/a.json" "$work/moved.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["spec"]["cpus_client"], d["spec"]["cpus_server"] = d["spec"]["cpus_server"], d["spec"]["cpus_client"]
json.dump(d, open(sys.argv[2], "w"))
PY
fi
# Bad placements: one message naming --affinity, exit 2, nothing run.
for bad in "0:99999" "x" "0:1:2" "$cpus-$((cpus + 8))"; do
  rc=0; m matrix --tls 1.3 --trials 1 --affinity "$bad" --progress off >/dev/null 2>"$work/aff.err" || rc=$?
  expect_eq "--affinity $bad exit" "$rc" 2
  expect_line "$work/aff.err" "--affinity"
done
expect_line "$work/aff.err" "not among the CPUs this process may use"
rc=0; m bench smtp://127.0.0.1:1 --affinity 0:0 --duration 100ms 2>"$work/aff.err" >/dev/null || rc=$?
expect_eq "--affinity server list with a target exit" "$rc" 2
expect_line "$work/aff.err" "--affinity.*external"
# One allowed CPU (taskset): auto pins nothing and says why; a list outside
# the allowed set is refused.
if command -v taskset >/dev/null; then
  one=$(python3 -c 'import os; print(min(os.sched_getaffinity(0)))')
  rc=0; taskset -c "$one" "$MAILSHAKE_BIN" bench --trials 2 --duration 200ms --warmup 0s \
    --concurrency 2 --progress off --json "$work/one.json" >/dev/null 2>"$work/one.err" || rc=$?
  expect_eq "one-CPU bench exit" "$rc" 0
  expect_line "$work/one.err" "placement: not pinned \(auto: this process may use only CPU $one"
  expect_eq "one-CPU spec" "$(jq_py "$work/one.json" "(d['spec']['cpus_client'], d['spec']['cpus_server'], d['spec']['threads'])")" "('', '', 1)"
  rc=0; taskset -c "$one" "$MAILSHAKE_BIN" bench --trials 2 --affinity "$one:$((one + 1))" \
    2>"$work/one.err" >/dev/null || rc=$?
  expect_eq "CPU outside the allowed set exit" "$rc" 2
  expect_line "$work/one.err" "--affinity: CPU $((one + 1)) is not among the CPUs this process may use \($one\)"
fi
rc=0; m bench --trials 2 --duration 200ms --warmup 0s --threads 1 --concurrency 2 --affinity off \
  --progress off --json "$work/off.json" >/dev/null 2>&1 || rc=$?
expect_eq "unpinned bench exit" "$rc" 0
expect_eq "unpinned spec" "$(jq_py "$work/off.json" "(d['spec']['affinity'], d['spec']['cpus_client'], d['spec']['cpus_server'])")" "('off', '', '')"

# Open loop: every trial runs on schedule at --rate, and the file says so.
m matrix --tls 1.3 --groups X25519,P-256 --embedded-certs p256 --trials 1 --trial-duration 1s \
  --warmup 200ms --threads 1 --concurrency 16 --rate 200 --arrivals poisson --seed 7 \
  --progress off --json "$work/open.json" >/dev/null 2>"$work/open.err" || fail "open-loop matrix"
expect_eq "open-loop spec" "$(jq_py "$work/open.json" "(d['spec']['rate'], d['spec']['arrivals'])")" "(200.0, 'poisson')"
expect_eq "open-loop target per scenario" \
  "$(jq_py "$work/open.json" "sorted(set(s['target_rate'] for s in d['scenarios']))")" "[200.0]"
expect_eq "open-loop rate kept" \
  "$(jq_py "$work/open.json" "all(150 <= s['attempt_rate'] <= 250 for s in d['scenarios'])")" True

# The same again, and compare: 2 trials per side cannot reach significance.
m matrix --tls 1.2,1.3 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256 --groups P-256 \
  --embedded-certs p256 --resume off,ticket --trials 2 --trial-duration 400ms --warmup 100ms \
  --threads 1 --concurrency 4 --progress off --json "$work/b.json" >/dev/null 2>&1 || fail "second matrix"
rc=0; m compare "old=$work/a.json" "new=$work/b.json" --format markdown >"$work/cmp.md" || rc=$?
expect_eq "compare A/A exit" "$rc" 0
expect_line "$work/cmp.md" "^\| scenario \| metric \| old \| new \|"
expect_line "$work/cmp.md" "Holm"
rc=0; m compare "$work/a.json" "$work/b.json" --format json >"$work/cmp.json" || rc=$?
expect_eq "compare json exit" "$rc" 0
expect_eq "compare json scenarios" "$(jq_py "$work/cmp.json" "len(d['scenarios'])")" 4
expect_eq "compare json disturbed counts" "$(jq_py "$work/cmp.json" "all(s['old_trials'] == 2 and 0 <= s['new_disturbed_trials'] <= 2 for s in d['scenarios'])")" True

# bench --trials: the one-scenario case, 5 trials in one file.
rc=0
m bench --trials 5 --duration 300ms --warmup 100ms --threads 1 --concurrency 4 --progress off \
  --json "$work/t.json" >"$work/t.out" 2>&1 || rc=$?
expect_eq "bench --trials exit" "$rc" 0
expect_eq "bench trials" "$(jq_py "$work/t.json" "[s['trial'] for s in d['scenarios']]")" "[0, 1, 2, 3, 4]"
# Each trial carries what the rest of the machine did meanwhile, and the
# warning lines name exactly the trials whose share is past 5%.
expect_eq "disturbance per trial" "$(jq_py "$work/t.json" "all(s['disturbance']['seconds'] > 0.3 and s['disturbance']['cpus'] >= 1 for s in d['scenarios'])")" True
expect_eq "disturbed warnings" "$(grep -c 'was disturbed' "$work/t.out" || true)" \
  "$(jq_py "$work/t.json" "sum(1 for s in d['scenarios'] if s['disturbance']['other_share'] > 0.05)")"

# Bad input: one message naming the file, exit 2; a matrix against a bench
# file of another work shape is not comparable (exit 4) unless --force.
head -c 300 "$work/a.json" >"$work/truncated.json"
rc=0; m compare "$work/truncated.json" "$work/b.json" 2>"$work/bad.err" || rc=$?
expect_eq "truncated exit" "$rc" 2
expect_line "$work/bad.err" "truncated.json"
echo '{"context":{},"benchmarks":[{"name":"BM_x","run_type":"iteration","cpu_time":1,"real_time":1,"time_unit":"ns"}]}' >"$work/gb.json"
rc=0; m compare "$work/a.json,$work/gb.json" "$work/b.json" 2>"$work/mix.err" || rc=$?
expect_eq "mixed exit" "$rc" 2
expect_line "$work/mix.err" "gb.json"
python3 - "$work/b.json" "$work/v2.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["schema"] = "mailshake.result/v2"
json.dump(d, open(sys.argv[2], "w"))
PY
rc=0; m compare "$work/a.json" "$work/v2.json" 2>"$work/v2.err" || rc=$?
expect_eq "newer major exit" "$rc" 2
expect_line "$work/v2.err" "v2.json.*v2"
python3 - "$work/b.json" "$work/other.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["spec"]["concurrency"] = 99
json.dump(d, open(sys.argv[2], "w"))
PY
rc=0; m compare "$work/a.json" "$work/other.json" 2>"$work/nc.err" || rc=$?
expect_eq "not comparable exit" "$rc" 4
expect_line "$work/nc.err" "spec.concurrency"
rc=0; m compare --force "$work/a.json" "$work/other.json" >/dev/null 2>&1 || rc=$?
expect_eq "forced exit" "$rc" 0
if [ -f "$work/moved.json" ]; then
  rc=0; m compare "$work/a.json" "$work/moved.json" 2>"$work/moved.err" || rc=$?
  expect_eq "other placement exit" "$rc" 4
  expect_line "$work/moved.err" "spec.cpus_client"
fi

# SIGINT mid-matrix: the finished trials are written, the rest listed.
# (the binary itself in the background: a function would run in a subshell
# that ignores SIGINT)
"$MAILSHAKE_BIN" matrix --tls 1.3 --groups X25519,P-256 --trials 5 --trial-duration 1s --warmup 0s \
  --threads 1 --concurrency 4 --progress off --json "$work/int.json" >/dev/null 2>&1 &
pid=$!
sleep 2.6
kill -INT "$pid"
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && { kill -KILL "$pid"; fail "matrix still running 10 s after SIGINT"; }
rc=0; wait "$pid" || rc=$?
expect_eq "interrupted exit" "$rc" 3
n="$(jq_py "$work/int.json" "len(d['scenarios'])")"
[ "$n" -ge 1 ] && [ "$n" -lt 10 ] || fail "interrupted matrix kept $n trials"
expect_eq "not measured" "$(jq_py "$work/int.json" "sorted(set(x['status'] for x in d['not_measured']))")" "['interrupted']"
expect_eq "no interrupted trial kept" "$(jq_py "$work/int.json" "any(s['interrupted'] for s in d['scenarios'])")" False
echo "ok: lab matrix, bench --trials, compare"
