# bench --shard I/N with one --start-at, then merge: the merged counts and
# histograms are the sums of the parts, the shares split --handshakes exactly,
# and merge refuses missing, overlapping and foreign parts with exit 2.
source "$(dirname "$0")/lib.bash"
start_server
start_at=$(( $(date +%s) + 2 ))
pids=()
for i in 0 1 2; do
  "$MAILSHAKE_BIN" bench "smtp://127.0.0.1:$smtp_port" --threads 1 --concurrency 4 \
    --handshakes 301 --source 127.0.0.2-127.0.0.10 --shard "$i/3" --start-at "$start_at" \
    --progress off --json "$work/p$i.json" >"$work/b$i.txt" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || true; done
for i in 0 1 2; do [ -s "$work/p$i.json" ] || { cat "$work/b$i.txt" >&2; fail "share $i wrote no part"; }; done
"$MAILSHAKE_BIN" merge "$work/p0.json" "$work/p1.json" "$work/p2.json" -o "$work/run.json" \
  >"$work/merge.txt" 2>&1 || { cat "$work/merge.txt" >&2; fail "merge failed"; }
expect_eq "merged attempted" "$(jq_py "$work/run.json" "d['scenarios'][0]['attempted']")" 301
expect_eq "shares" "$(jq_py "$work/run.json" "[(s['index'], s['attempted']) for s in d['shards']]")" \
  "[(0, 101), (1, 100), (2, 100)]"
expect_eq "disjoint sources" "$(jq_py "$work/run.json" "[s['sources'] for s in d['shards']]")" \
  "['127.0.0.2-127.0.0.4', '127.0.0.5-127.0.0.7', '127.0.0.8-127.0.0.10']"
expect_eq "no shard in the merged spec" "$(jq_py "$work/run.json" "'shard' in d['spec']")" False
# Every histogram of the merged file is the bucket-wise sum of the parts'.
python3 - "$work" <<'PY' || fail "merged histograms are not the sums of the parts"
import json, sys, collections
w = sys.argv[1]
parts = [json.load(open(f"{w}/p{i}.json"))["scenarios"][0] for i in range(3)]
run = json.load(open(f"{w}/run.json"))["scenarios"][0]
def buckets(h):
    return collections.Counter({b[0]: b[1] for b in h["histogram"]["buckets"]})
for k, phase in enumerate(run["phases"]):
    want = sum((buckets(p["phases"][k]) for p in parts), collections.Counter())
    assert buckets(phase) == want, phase["name"]
    assert phase["histogram"]["count"] == sum(p["phases"][k]["histogram"]["count"] for p in parts)
assert run["outcomes"] == dict(sum((collections.Counter(p["outcomes"]) for p in parts), collections.Counter()))
assert abs(run["client_cpu_seconds"] - sum(p["client_cpu_seconds"] for p in parts)) < 1e-9
PY
rc=0; "$MAILSHAKE_BIN" merge "$work/p0.json" "$work/p2.json" -o "$work/x.json" 2>"$work/e1.txt" || rc=$?
expect_eq "missing share exit" "$rc" 2
expect_line "$work/e1.txt" "missing share 1 of 3"
rc=0; "$MAILSHAKE_BIN" merge "$work/p0.json" "$work/p1.json" "$work/p1.json" "$work/p2.json" -o "$work/x.json" 2>"$work/e2.txt" || rc=$?
expect_eq "overlap exit" "$rc" 2
expect_line "$work/e2.txt" "both hold share 1/3"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); d['spec']['concurrency']=5; json.dump(d,open(sys.argv[2],'w'))" "$work/p2.json" "$work/q2.json"
rc=0; "$MAILSHAKE_BIN" merge "$work/p0.json" "$work/p1.json" "$work/q2.json" -o "$work/x.json" 2>"$work/e3.txt" || rc=$?
expect_eq "foreign spec exit" "$rc" 2
expect_line "$work/e3.txt" "shares of different runs \(spec \"concurrency\""
[ -e "$work/x.json" ] && fail "a refused merge wrote a file"
stop_server
echo "ok: shard + merge"
