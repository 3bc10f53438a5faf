# The engine's own count of its system calls (mailshake.result/v1
# "syscalls") against strace's count of the same bench runs: a run of 50 and
# one of 150 handshakes (closed loop, one thread, one session in flight)
# against a `mailshake serve` in another, untraced process; the difference
# between the two runs is what 100 sessions cost, which cancels the
# process's start-up and exit. Per call the two differences must agree, and
# the per-attempt figures must stay at what the buffered engine reaches.
source "$(dirname "$0")/lib.bash"

command -v strace >/dev/null || fail "strace is missing (scripts/setup installs it)"
start_server --self-signed p256

traced="socket,bind,connect,setsockopt,getsockopt,recvfrom,recvmsg,read,sendto,sendmsg,write,close,epoll_ctl,epoll_wait,epoll_pwait"

# run TARGET N: the traced bench, leaving $work/N.json and $work/N.strace
run() {
  strace -f -c -o "$work/$2.strace" -e trace="$traced" \
    "$MAILSHAKE_BIN" bench "$1" --handshakes "$2" --threads 1 --concurrency 1 --tls 1.3 \
    --groups X25519 --progress off --json "$work/$2.json" >"$work/$2.out" 2>&1 || true
  [ -s "$work/$2.json" ] || { cat "$work/$2.out" >&2; fail "bench wrote no result for $1"; }
}

# check NAME TARGET MAX_PER_ATTEMPT
check() {
  run "$2" 50
  run "$2" 150
  python3 - "$work" "$1" "$3" <<'PY' || fail "$1: the engine's count differs from strace's"
import json, re, sys
work, name, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])

def strace_counts(n):
    counts = {}
    for line in open(f"{work}/{n}.strace"):
        m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$", line)
        if m and m.group(2) != "total":
            counts[m.group(2)] = int(m.group(1))
    return counts

def engine(n):
    s = json.load(open(f"{work}/{n}.json"))["scenarios"][0]
    assert s["outcomes"] == {"ok": n}, s["outcomes"]
    return s["syscalls"]

# strace's names for the engine's calls.
families = {"recv": ["recvfrom", "recvmsg", "read"], "send": ["sendto", "sendmsg", "write"]}
a, b = strace_counts(50), strace_counts(150)
ea, eb = engine(50), engine(150)
bad = []
for call in sorted(eb["calls"]):
    names = families.get(call, [call])
    traced = sum(b.get(x, 0) - a.get(x, 0) for x in names)
    counted = eb["calls"][call] - ea["calls"][call]
    # A few calls outside the sessions (the wake-up eventfd, exit) may differ
    # between two runs; nothing per session may.
    ok = abs(traced - counted) <= 2
    print(f"{name}: {call:<11} strace {traced:5d}  engine {counted:5d}  {'ok' if ok else 'DIFFERENT'}")
    if not ok:
        bad.append(call)
waits = sum(b.get(x, 0) - a.get(x, 0) for x in ("epoll_wait", "epoll_pwait"))
counted = eb["epoll_wait"] - ea["epoll_wait"]
ok = abs(waits - counted) <= 3 + 0.05 * counted
print(f"{name}: epoll_wait  strace {waits:5d}  engine {counted:5d}  {'ok' if ok else 'DIFFERENT'}")
if not ok:
    bad.append("epoll_wait")
per = eb["per_attempt"]
print(f"{name}: {per:.2f} calls per attempt + {eb['epoll_wait_per_attempt']:.2f} epoll_wait "
      f"(engine, 150 attempts)")
if per > limit:
    bad.append(f"per_attempt {per:.2f} > {limit}")
sys.exit(1 if bad else 0)
PY
}

# Limits: today's figures plus room for a flight that arrives in two reads.
check starttls "smtp://127.0.0.1:$smtp_port" 16
check implicit "smtps://127.0.0.1:$smtps_port" 15
check tls "tls://127.0.0.1:$smtps_port" 10
stop_server
echo "ok: syscalls"
