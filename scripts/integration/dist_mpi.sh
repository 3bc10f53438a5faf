# bench --distributed under mpirun (OpenMPI, one host, loopback only) against a
# separate `mailshake serve`: the merged result is exact (it equals the merge
# of the ranks' own parts), counts match the --shard + merge path, open-loop
# rate is held, a killed rank leaves an interrupted result naming it, and
# SIGINT on mpirun stops every rank with a complete file.
#
# scripts/test builds both binaries and sets MAILSHAKE_BIN and
# MAILSHAKE_MPI_BIN; by hand:
#   MAILSHAKE_BIN=... MAILSHAKE_MPI_BIN=$(scripts/mailshake --mpi-binary) bash scripts/integration/dist_mpi.sh
source "$(dirname "$0")/lib.bash"
: "${MAILSHAKE_MPI_BIN:?the MPI build: bazel build //:mailshake_mpi (scripts/mailshake --mpi-binary)}"
command -v mpirun >/dev/null || fail "mpirun missing (scripts/setup installs openmpi-bin)"
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# One host, shared memory; a dead rank must not take the job down.
mpi=(mpirun --oversubscribe --mca btl self,vader --enable-recovery)
start_server
target="smtp://127.0.0.1:$smtp_port"

# 1. Two ranks, a fixed number of handshakes, split source ranges.
common=(--threads 1 --concurrency 8 --handshakes 600 --source 127.0.0.2-127.0.0.21 --seed 5
        --progress off)
timeout 60 "${mpi[@]}" -n 2 "$MAILSHAKE_MPI_BIN" bench "$target" --distributed "${common[@]}" \
  --json "$work/mpi2.json" --rank-json "$work/rank" >"$work/mpi2.txt" 2>&1 \
  || { cat "$work/mpi2.txt" >&2; fail "mpirun -n 2 failed"; }
s="d['scenarios'][0]"
expect_eq "attempted" "$(jq_py "$work/mpi2.json" "$s['attempted']")" 600
expect_eq "ranks" "$(jq_py "$work/mpi2.json" "[(r['index'], r['attempted'], r['lost']) for r in d['shards']]")" \
  "[(0, 300, False), (1, 300, False)]"
expect_eq "sum over ranks" "$(jq_py "$work/mpi2.json" "sum(r['attempted'] for r in d['shards']) == $s['attempted']")" True
# The ranks' own parts, merged by `mailshake merge`, give the very same
# scenario: the MPI reduction is the exact merge of every rank's samples.
"$MAILSHAKE_BIN" merge "$work/rank.0.json" "$work/rank.1.json" -o "$work/ranks-merged.json" \
  >/dev/null 2>"$work/m.txt" || { cat "$work/m.txt" >&2; fail "merge of rank parts failed"; }
python3 - "$work/mpi2.json" "$work/ranks-merged.json" <<'PY' || fail "MPI result differs from the merge of its ranks"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert a["scenarios"] == b["scenarios"], "scenarios differ"
assert [dict(r, host="") for r in a["shards"]] == [dict(r, host="") for r in b["shards"]]
PY
# Disjoint sources: each rank used only its own half of the 20 addresses.
expect_eq "source split" "$(jq_py "$work/mpi2.json" "[r['sources'] for r in d['shards']]")" \
  "['127.0.0.2-127.0.0.11', '127.0.0.12-127.0.0.21']"

# 2. The same spec and seed through --shard + merge: identical counts.
at=$(( $(date +%s) + 2 ))
shard_pids=()
for i in 0 1; do
  "$MAILSHAKE_BIN" bench "$target" "${common[@]}" --shard "$i/2" --start-at "$at" \
    --json "$work/sh$i.json" >"$work/sh$i.txt" 2>&1 &
  shard_pids+=($!)
done
for p in "${shard_pids[@]}"; do wait "$p" || true; done
"$MAILSHAKE_BIN" merge "$work/sh0.json" "$work/sh1.json" -o "$work/sh.json" >/dev/null 2>&1 \
  || fail "shard merge failed"
counts="[(r['index'], r['attempted']) for r in d['shards']] + [sorted($s['outcomes'].items())]"
expect_eq "shard path counts" "$(jq_py "$work/sh.json" "$counts")" "$(jq_py "$work/mpi2.json" "$counts")"

# 3. Three ranks on two cores, open loop at 300/s for 5 s: 1500 attempts.
timeout 60 "${mpi[@]}" -n 3 "$MAILSHAKE_MPI_BIN" bench "$target" --distributed --threads 1 \
  --rate 300 --duration 5s --progress off --json "$work/mpi3.json" >"$work/mpi3.txt" 2>&1 \
  || { cat "$work/mpi3.txt" >&2; fail "mpirun -n 3 failed"; }
expect_eq "ranks" "$(jq_py "$work/mpi3.json" "len(d['shards'])")" 3
expect_eq "target rate" "$(jq_py "$work/mpi3.json" "$s['target_rate']")" 300.0
rate_ok="abs($s['attempted'] / 5.0 - 300) / 300 <= 0.01"
expect_eq "open-loop rate within 1% ($(jq_py "$work/mpi3.json" "$s['attempted']") attempts)" \
  "$(jq_py "$work/mpi3.json" "$rate_ok")" True
expect_eq "all ok" "$(jq_py "$work/mpi3.json" "$s['failed']")" 0

# 4. Rank 2 killed mid-run: an interrupted, valid result that names it.
"${mpi[@]}" -n 3 "$MAILSHAKE_MPI_BIN" bench "$target" --distributed --threads 1 --rate 200 \
  --duration 6s --progress off --json "$work/kill.json" >"$work/kill.txt" 2>&1 &
mpirun_pid=$!
victim=""
for _ in $(seq 1 100); do
  for p in $(pgrep -P "$mpirun_pid" || true); do
    tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=2" && victim=$p
  done
  [ -n "$victim" ] && break
  sleep 0.1
done
[ -n "$victim" ] || { kill -KILL "$mpirun_pid"; fail "rank 2 not found"; }
sleep 3
kill -KILL "$victim"
for _ in $(seq 1 300); do kill -0 "$mpirun_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$mpirun_pid" 2>/dev/null && { kill -KILL "$mpirun_pid"; fail "mpirun still running 30 s after the kill"; }
wait "$mpirun_pid" || true
[ -s "$work/kill.json" ] || { cat "$work/kill.txt" >&2; fail "no result after a rank died"; }
expect_eq "interrupted" "$(jq_py "$work/kill.json" "$s['interrupted']")" True
expect_eq "lost rank" "$(jq_py "$work/kill.json" "[r['index'] for r in d['shards'] if r['lost']]")" "[2]"
expect_eq "others measured" "$(jq_py "$work/kill.json" "$s['attempted'] >= 600")" True
expect_line "$work/kill.txt" "rank 2 delivered no result"

# 5. SIGINT on mpirun stops every rank; rank 0 still writes a complete file.
"${mpi[@]}" -n 2 "$MAILSHAKE_MPI_BIN" bench "$target" --distributed --threads 1 --concurrency 4 \
  --duration 60s --progress off --json "$work/int.json" >"$work/int.txt" 2>&1 &
mpirun_pid=$!
sleep 4
kill -INT "$mpirun_pid"
for _ in $(seq 1 150); do kill -0 "$mpirun_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$mpirun_pid" 2>/dev/null && { kill -KILL "$mpirun_pid"; fail "mpirun still running 15 s after SIGINT"; }
wait "$mpirun_pid" || true
[ -s "$work/int.json" ] || { cat "$work/int.txt" >&2; fail "no result after SIGINT"; }
expect_eq "interrupted" "$(jq_py "$work/int.json" "$s['interrupted']")" True
expect_eq "both ranks" "$(jq_py "$work/int.json" "[(r['index'], r['lost'], r['interrupted']) for r in d['shards']]")" \
  "[(0, False, True), (1, False, True)]"
expect_eq "reconciles" "$(jq_py "$work/int.json" "$s['attempted'] == $s['succeeded'] + $s['failed'] > 0")" True
stop_server
echo "ok: mpi bench"
