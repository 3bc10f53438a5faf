# The engine's own count of its system calls (mailshake.result/v1
# "syscalls") against strace's count of the same bench runs: a run of 50 and
# one of 150 handshakes (closed loop, one thread, one session in flight)
# against a `mailshake serve` in another, untraced process; the difference
# between the two runs is what 100 sessions cost, which cancels the
# process's start-up and exit. Per call the two differences must agree, and
# the per-attempt figures must stay at what the buffered engine reaches.
# Then the same for the server: `mailshake serve`'s own count (its final
# report's "syscalls:" line) against strace's count of a traced serve (one
# thread) that an untraced bench gives 20, then 60 connections; and the
# result's server.syscalls with the embedded server, against strace's count
# of the one bench process that holds client and server.
source "$(dirname "$0")/lib.bash"

command -v strace >/dev/null || fail "strace is missing (scripts/setup installs it)"
start_server --self-signed p256

# strace_c(PATH): {call: calls} from an `strace -c` summary.
cat >"$work/strace_c.py" <<'PY'
import re

def strace_c(path):
    counts = {}
    for line in open(path):
        m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$", line)
        if m and m.group(2) != "total":
            counts[m.group(2)] = int(m.group(1))
    return counts
PY

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
sys.path.insert(0, sys.argv[1])
from strace_c import strace_c
work, name, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])

def strace_counts(n):
    return strace_c(f"{work}/{n}.strace")

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

traced_server="accept,accept4,recvfrom,recvmsg,read,sendto,sendmsg,write,close,epoll_ctl,setsockopt,getsockopt,epoll_wait,epoll_pwait"

# serve_run SCHEME N: a traced serve, N sessions of an untraced bench against
# its SCHEME listener, then SIGINT; leaves $work/serve-N.{strace,out}.
serve_run() {
  local out="$work/serve-$2.out"
  strace -f -c -o "$work/serve-$2.strace" -e trace="$traced_server" \
    "$MAILSHAKE_BIN" serve --listen 127.0.0.1:0 --listen-implicit 127.0.0.1:0 --threads 1 \
    --self-signed p256 >"$out" 2>"$work/serve-$2.err" &
  local tracer=$!
  for _ in $(seq 1 200); do
    grep -q "^threads" "$out" 2>/dev/null && break
    sleep 0.05
  done
  grep -q "^threads" "$out" || fail "traced server not ready: $(cat "$work/serve-$2.err")"
  local scheme=smtp port
  [ "$1" = implicit ] && scheme=smtps
  port="$(sed -n "s/^listening $scheme:\/\/127.0.0.1:\([0-9]*\) .*/\1/p" "$out" | head -1)"
  "$MAILSHAKE_BIN" bench "$scheme://127.0.0.1:$port" --handshakes "$2" --threads 1 \
    --concurrency 1 --tls 1.3 --groups X25519 --progress off >"$work/serve-bench.out" 2>&1 ||
    { cat "$work/serve-bench.out" >&2; fail "bench against the traced server failed"; }
  # strace keeps fatal signals to itself: the signal goes to its child.
  local server
  server="$(pgrep -P "$tracer" | head -1)"
  [ -n "$server" ] || fail "no traced server process"
  kill -INT "$server"
  for _ in $(seq 1 100); do
    kill -0 "$tracer" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$tracer" 2>/dev/null && fail "traced server still running 5 s after SIGINT"
  wait "$tracer" || fail "traced server exited $?: $(cat "$work/serve-$2.err")"
  grep -q "^  syscalls: " "$out" || fail "no syscalls line in: $(cat "$out")"
}

# check_server NAME MAX_PER_CONNECTION
check_server() {
  serve_run "$1" 20
  serve_run "$1" 60
  python3 - "$work" "$1" "$2" <<'PY' || fail "server $1: the server's count differs from strace's"
import re, sys
sys.path.insert(0, sys.argv[1])
from strace_c import strace_c
work, name, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])

def strace_counts(n):
    return strace_c(f"{work}/serve-{n}.strace")

def server(n):
    text = open(f"{work}/serve-{n}.out").read()
    line = re.search(r"^  syscalls: (.*)$", text, re.M).group(1)
    return {k: int(v) for k, v in (kv.split("=") for kv in line.split())}

families = {"accept4": ["accept4", "accept"], "recv": ["recvfrom", "recvmsg", "read"],
            "send": ["sendto", "sendmsg", "write"], "epoll_wait": ["epoll_wait", "epoll_pwait"]}
a, b = strace_counts(20), strace_counts(60)
sa, sb = server(20), server(60)
bad = []
for call in sorted(sb):
    traced = sum(b.get(x, 0) - a.get(x, 0) for x in families.get(call, [call]))
    counted = sb[call] - sa[call]
    # The idle loop's wake-ups depend on how long each run took, and both
    # counts see them; the calls per connection must agree exactly.
    slack = 3 + 0.05 * counted if call == "epoll_wait" else 2
    ok = abs(traced - counted) <= slack
    print(f"server {name}: {call:<11} strace {traced:5d}  server {counted:5d}  {'ok' if ok else 'DIFFERENT'}")
    if not ok:
        bad.append(call)
connections = int(re.search(r"^connections (\d+)", open(f"{work}/serve-60.out").read(), re.M).group(1))
per = sum(v for k, v in sb.items() if k != "epoll_wait") / connections
print(f"server {name}: {per:.2f} calls per connection + {sb['epoll_wait'] / connections:.2f} "
      f"epoll_wait (server, {connections} connections)")
if per > limit:
    bad.append(f"per connection {per:.2f} > {limit}")
sys.exit(1 if bad else 0)
PY
}

# accept4, epoll_ctl, close, and one recv and one send per flight (14 and
# 11), plus room for a flight that arrives in two reads.
check_server starttls 15
check_server implicit 12

# The result's own server figure (mailshake.result/v1 server.syscalls) with
# the embedded server: client and server are one traced process, so per call
# strace's difference between a run of 50 and one of 150 sessions must equal
# the client's and the server's differences added.
embedded_run() {
  strace -f -c -o "$work/embedded-$1.strace" -e trace="$traced,accept,accept4" \
    "$MAILSHAKE_BIN" bench --handshakes "$1" --threads 1 --embedded-threads 1 --concurrency 1 \
    --tls 1.3 --groups X25519 --progress off --json "$work/embedded-$1.json" \
    >"$work/embedded-$1.out" 2>&1 || true
  [ -s "$work/embedded-$1.json" ] || { cat "$work/embedded-$1.out" >&2; fail "embedded bench wrote no result"; }
}
embedded_run 50
embedded_run 150
python3 - "$work" 15 <<'PY' || fail "embedded: the result's server count differs from strace's"
import json, sys
sys.path.insert(0, sys.argv[1])
from strace_c import strace_c
work, limit = sys.argv[1], float(sys.argv[2])

def result(n):
    s = json.load(open(f"{work}/embedded-{n}.json"))["scenarios"][0]
    assert s["outcomes"] == {"ok": n}, s["outcomes"]
    return s["syscalls"], s["server"]["syscalls"]

families = {"accept4": ["accept4", "accept"], "recv": ["recvfrom", "recvmsg", "read"],
            "send": ["sendto", "sendmsg", "write"], "epoll_wait": ["epoll_wait", "epoll_pwait"]}
a, b = strace_c(f"{work}/embedded-50.strace"), strace_c(f"{work}/embedded-150.strace")
(ca, sa), (cb, sb) = result(50), result(150)
def counted(side_a, side_b, call):
    if call == "epoll_wait":
        return side_b["epoll_wait"] - side_a["epoll_wait"]
    return side_b["calls"].get(call, 0) - side_a["calls"].get(call, 0)
bad = []
for call in sorted(set(cb["calls"]) | set(sb["calls"]) | {"epoll_wait"}):
    traced = sum(b.get(x, 0) - a.get(x, 0) for x in families.get(call, [call]))
    client, server = counted(ca, cb, call), counted(sa, sb, call)
    # Only the idle loops' wake-ups may differ (a longer run wakes more often).
    slack = 3 + 0.05 * (client + server) if call == "epoll_wait" else 2
    ok = abs(traced - client - server) <= slack
    print(f"embedded: {call:<11} strace {traced:5d}  client {client:5d} + server {server:5d}  "
          f"{'ok' if ok else 'DIFFERENT'}")
    if not ok:
        bad.append(call)
if sb["connections"] - sa["connections"] != 100:
    bad.append(f"the server counted {sb['connections'] - sa['connections']} more connections "
               f"in the longer run, not 100")
per = sb["per_connection"]
print(f"embedded: server {per:.2f} calls per connection + {sb['epoll_wait_per_connection']:.2f} "
      f"epoll_wait ({sb['connections']} connections)")
if per > limit:
    bad.append(f"server per connection {per:.2f} > {limit}")
sys.exit(1 if bad else 0)
PY
echo "ok: syscalls"
