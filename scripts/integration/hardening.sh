# What an attacker or a careless user does to the command line and output
# files: every numeric flag given inf/nan/huge values, foreign flags, CR LF in
# strings, bad files, output to devices, FIFOs, symlinks and pipes that
# close early. Each case must end in the documented exit status with one
# clear message, never a crash, a hang or a lost result.
source "$(dirname "$0")/lib.bash"
root="$(cd "$(dirname "$0")/../.." && pwd)"
M="$MAILSHAKE_BIN"

# usage_error WHAT REGEX CMD...: CMD must exit 2 within 10 s and say REGEX on
# stderr in one line, with nothing on stdout.
usage_error() {
  local what="$1" regex="$2"; shift 2
  local rc=0
  timeout 10 "$@" >"$work/ue.out" 2>"$work/ue.err" || rc=$?
  [ "$rc" -eq 2 ] || { cat "$work/ue.err" >&2; fail "$what: exit $rc, want 2: $*"; }
  grep -Eq -- "$regex" "$work/ue.err" || { cat "$work/ue.err" >&2; fail "$what: no /$regex/ on stderr"; }
  [ "$(wc -l <"$work/ue.err")" -le 2 ] || { cat "$work/ue.err" >&2; fail "$what: more than one message"; }
  [ ! -s "$work/ue.out" ] || fail "$what: printed on stdout: $(head -c 200 "$work/ue.out")"
}

usage_error "rate below its range" "--rate: .*0.01" "$M" bench --rate 1e-12
usage_error "resume ratio over 1" "--resume-ratio" "$M" bench --resume-ratio 1.5
usage_error "duration with handshakes" "not both" "$M" bench --duration 1s --handshakes 10

# --- flags of other subcommands, unknown flags and missing values.
usage_error "serve --json" "'--json' is not a flag of 'serve'" "$M" serve --json x
usage_error "cert --ciphers" "not a flag of 'cert'" "$M" cert --ciphers AES "$root/testdata/x509/leaf-rsa2048.pem"
usage_error "cert --groups" "not a flag of 'cert'" "$M" cert --groups X25519 "$root/testdata/x509/leaf-rsa2048.pem"
usage_error "bench --hostname" "not a flag of 'bench'" "$M" bench --hostname x
usage_error "bench --bogus" "not a flag of 'bench'" "$M" bench --bogus
usage_error "single dash" "unknown flag" "$M" bench -x
usage_error "missing value" "--duration needs a value" "$M" bench --duration
usage_error "flag twice" "more than once" "$M" bench --threads 1 --threads 2
usage_error "two targets" "unexpected argument" "$M" bench smtp://127.0.0.1:1 smtp://127.0.0.1:2
usage_error "serve argument" "takes no arguments" "$M" serve extra
usage_error "bad choice" "--verify: .*one of none, chain, name" "$M" bench --verify maybe
usage_error "bad TLS version" "--tls" "$M" bench --tls 1.4
rc=0; "$M" nosuch >/dev/null 2>"$work/nosuch.err" || rc=$?
expect_eq "unknown subcommand exit" "$rc" 2
expect_line "$work/nosuch.err" "unknown subcommand 'nosuch'"

# --- --help: exit 0, own flags only, with ranges and defaults.
for sub in bench serve cert; do
  "$M" "$sub" --help >"$work/help.$sub" 2>"$work/help.err" || fail "$sub --help exited non-zero"
  [ ! -s "$work/help.err" ] || fail "$sub --help wrote to stderr"
  expect_line "$work/help.$sub" "^usage: mailshake $sub"
done
expect_line "$work/help.bench" "^  --concurrency N"
expect_line "$work/help.bench" "an integer from 0 to 1000000; default: 0"
expect_line "$work/help.serve" "^  --hostname NAME"
expect_line "$work/help.cert" "^  --json\[=FILE\]"
! grep -q -- "--hostname" "$work/help.bench" || fail "bench --help lists serve's --hostname"
! grep -Eq -- "--(json|concurrency|servername)" "$work/help.serve" || fail "serve --help lists foreign flags"
! grep -Eq -- "--(ciphers|groups|threads)" "$work/help.cert" || fail "cert --help lists foreign flags"
! grep -q "bench:\|serve:" "$work/help.cert" || fail "cert --help has other subcommands' meanings"

# --- strings that would reach the wire or break limits.
usage_error "CR LF in --ehlo" "--ehlo: .*control" "$M" bench --ehlo $'a.test\r\nQUIT'
usage_error "space in --ehlo" "--ehlo" "$M" bench --ehlo "a b"
usage_error "--ehlo over 255" "--ehlo: .*octets" "$M" bench --ehlo "$(head -c 300 /dev/zero | tr '\0' a)"
usage_error "CR LF in --hostname" "--hostname" "$M" serve --hostname $'mx.test\r\n250 x'
usage_error "600-octet --hostname" "--hostname: .*253" "$M" serve --hostname "$(head -c 600 /dev/zero | tr '\0' a)"
usage_error "300-octet --servername" "--servername: .*253" "$M" bench --servername "$(head -c 300 /dev/zero | tr '\0' a)"
usage_error "--servername not a name" "--servername" "$M" bench --servername "a b"
usage_error "--servername literal" "--servername: .*IP" "$M" bench --servername 127.0.0.1
usage_error "LF in cert --name" "--name" "$M" cert --name $'a\nb' "$root/testdata/x509/leaf-rsa2048.pem"

# --- files named by flags.
usage_error "--ca directory" "--ca: .*directory" "$M" bench --verify chain --ca /
usage_error "--ca missing" "--ca: .*cannot read" "$M" bench --verify chain --ca "$work/none.pem"
usage_error "--ca device" "--ca: .*not a regular file" "$M" bench --verify chain --ca /dev/zero
printf 'not a certificate\n' >"$work/junk.pem"
usage_error "--ca junk" "--ca" "$M" bench --verify chain --ca "$work/junk.pem"
usage_error "--verify without --ca" "--verify: needs --ca" "$M" bench --verify name
usage_error "--cert directory" "--cert: .*directory" "$M" serve --cert / --key /
usage_error "cert FILE directory" "directory" "$M" cert /
usage_error "cert FILE missing" "cannot read" "$M" cert "$work/none.pem"
# A chain clients would refuse is refused at start.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=big.test \
  -days 2 -keyout "$work/big.key" -out "$work/leaf.pem" 2>/dev/null || fail "openssl req failed"
for _ in $(seq 1 100); do cat "$work/leaf.pem"; done >"$work/big.pem"
usage_error "oversized chain" "--cert: .*100 certificates" "$M" serve --listen 127.0.0.1:0 --cert "$work/big.pem" --key "$work/big.key"

# --- output files: one writer for all of them.
B=(bench --handshakes 20 --concurrency 2 --threads 1 --embedded-threads 1 --progress plain)
valid_json() { python3 -m json.tool "$1" >/dev/null 2>&1 || fail "$2: not valid JSON: $(head -c 300 "$1")"; }

"$M" "${B[@]}" --json /dev/null >/dev/null 2>&1 || fail "--json /dev/null failed"
[ -c /dev/null ] || fail "/dev/null is no longer a character device"

echo old >"$work/private.json"; chmod 600 "$work/private.json"
"$M" "${B[@]}" --json "$work/private.json" >/dev/null 2>&1 || fail "--json over a 0600 file failed"
expect_eq "mode kept" "$(stat -c %a "$work/private.json")" 600
valid_json "$work/private.json" "0600 file"

echo old >"$work/target.json"; ln -s target.json "$work/link.json"
"$M" "${B[@]}" --json "$work/link.json" --csv "$work/series.csv" >/dev/null 2>&1 || fail "--json via a symlink failed"
[ -L "$work/link.json" ] || fail "the symlink was replaced by a file"
valid_json "$work/target.json" "symlink target"
head -1 "$work/series.csv" | grep -q "^scenario," || fail "no CSV header"

mkfifo "$work/out.fifo"
cat "$work/out.fifo" >"$work/from_fifo.json" &
reader=$!
"$M" "${B[@]}" --json "$work/out.fifo" >/dev/null 2>&1 || fail "--json into a FIFO failed"
wait "$reader"
[ -p "$work/out.fifo" ] || fail "the FIFO was replaced"
valid_json "$work/from_fifo.json" "FIFO"

usage_error "same path twice" "--json and --csv name the same output" "$M" "${B[@]}" --json "$work/same" --csv "$work/same"
usage_error "same file via a symlink" "same output" "$M" "${B[@]}" --json "$work/target.json" --csv "$work/link.json"
usage_error "stdout twice" "same output" "$M" "${B[@]}" --json - --csv /dev/stdout
usage_error "--json directory" "--json: .*is a directory" "$M" "${B[@]}" --json "$work"
usage_error "--json in a missing directory" "--json: .*no directory" "$M" "${B[@]}" --json "$work/no/such/x.json"

# --json -: standard output holds the JSON and nothing else.
"$M" "${B[@]}" --json - 2>"$work/human.err" | python3 -m json.tool >"$work/pretty.json" \
  || fail "bench --json - | python3 -m json.tool failed"
grep -q "attempted" "$work/human.err" || fail "the human table did not go to stderr"
"$M" "${B[@]}" --csv - 2>/dev/null | head -1 | grep -q "^scenario," || fail "--csv - is not pure CSV"

# A closed pipe on stdout and stderr never loses the result file, and is no
# SIGPIPE death.
set +o pipefail
"$M" "${B[@]}" --json "$work/piped.json" 2>&1 | head -1 >/dev/null
rc=${PIPESTATUS[0]}
set -o pipefail
[ "$rc" -ne 141 ] || fail "bench died of SIGPIPE"
valid_json "$work/piped.json" "result with stdout+stderr piped into head"
set +o pipefail
"$M" "${B[@]}" --json - 2>"$work/epipe.err" | true
rc=${PIPESTATUS[0]}
set -o pipefail
[ "$rc" -eq 1 ] || fail "--json - into a closed pipe: exit $rc, want 1"
expect_line "$work/epipe.err" "bench: --json: .*closed the pipe"

# cert writes its JSON through the same writer, with --json PATH or bare.
pem="$root/testdata/x509/leaf-rsa2048.pem"
"$M" cert "$pem" --json "$work/cert.json" >/dev/null || fail "cert FILE --json PATH failed"
valid_json "$work/cert.json" "cert FILE --json PATH"
"$M" cert --json "$pem" | python3 -m json.tool >/dev/null || fail "cert --json FILE is not JSON on stdout"
"$M" cert "$pem" --json=- | python3 -m json.tool >/dev/null || fail "cert FILE --json=- is not JSON"
echo x >"$work/cert600.json"; chmod 600 "$work/cert600.json"
"$M" cert "$pem" --json "$work/cert600.json" >/dev/null || fail "cert --json over 0600 failed"
expect_eq "cert keeps mode" "$(stat -c %a "$work/cert600.json")" 600
"$M" cert "$pem" --json /dev/null >/dev/null || fail "cert --json /dev/null failed"
[ -c /dev/null ] || fail "cert turned /dev/null into a file"
usage_error "cert --json directory" "is a directory" "$M" cert "$pem" --json "$work"

# --- legacy TLS versions are documented and work end to end.
grep -q "RFC 8996" "$work/help.serve" || fail "serve --help does not document legacy versions"
grep -q "1.0" "$work/help.bench" || fail "bench --help does not document --tls 1.0"
start_server --tls-min 1.0 --tls-max 1.1
bench_run "$work/legacy.json" "smtp://127.0.0.1:$smtp_port" --tls 1.0,1.1 --handshakes 20 --concurrency 2
expect_eq "legacy handshakes" "$(jq_py "$work/legacy.json" 'd["scenarios"][0]["succeeded"]')" 20
expect_eq "legacy version reported" "$(jq_py "$work/legacy.json" 'list(d["scenarios"][0]["negotiated"]["versions"])')" "['TLSv1.1']"
stop_server

# --- hostile servers end to end (scripts/integration/hostile_smtp.py).
# start_hostile MODE ARGS...: sets hostile_pid and hostile_port.
start_hostile() {
  python3 "$root/scripts/integration/hostile_smtp.py" "$@" >"$work/hostile.out" 2>&1 &
  hostile_pid=$!
  for _ in $(seq 1 100); do grep -q "^port" "$work/hostile.out" 2>/dev/null && break; sleep 0.05; done
  hostile_port="$(sed -n 's/^port //p' "$work/hostile.out")"
  [ -n "$hostile_port" ] || fail "hostile server did not start: $(cat "$work/hostile.out")"
}
# A reply that arrives before its command (an EHLO reply and "220 Ready" in
# one segment) is a protocol violation, not a 0 ns STARTTLS.
start_hostile early-reply --connections 2
bench_run "$work/early.json" "smtp://127.0.0.1:$hostile_port" --handshakes 2 --concurrency 1 --threads 1
expect_eq "reply before its command" \
  "$(jq_py "$work/early.json" 'd["scenarios"][0]["outcomes"].get("protocol_violation:reply_before_command")')" 2
expect_eq "its RFC 8460 type" \
  "$(jq_py "$work/early.json" 'd["scenarios"][0]["outcome_rfc8460"]["protocol_violation:reply_before_command"]')" None
wait "$hostile_pid" 2>/dev/null || true
# cert --timeout is one deadline for the whole exchange: a banner trickled one
# octet every 100 ms does not hold cert past it, and the message names the
# engine's category.
start_hostile trickle --connections 1 --interval 0.1 --lifetime 20
t0=$(date +%s%N); rc=0
timeout 15 "$M" cert --timeout 1500ms "smtp://127.0.0.1:$hostile_port" >/dev/null 2>"$work/trickle.err" || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_eq "cert against a trickling server exits" "$rc" 1
[ "$ms" -lt 3000 ] || fail "cert --timeout 1500ms took $ms ms against a trickling banner"
expect_line "$work/trickle.err" "timeout:banner"
echo "cert against a trickling banner: $ms ms for --timeout 1500ms"
kill "$hostile_pid" 2>/dev/null || true; wait "$hostile_pid" 2>/dev/null || true

# --- a short run takes as long as its work, not a second more.
start=$(date +%s%N)
"$M" bench --handshakes 10 --concurrency 2 --threads 1 --embedded-threads 1 --progress off >/dev/null 2>&1 || fail "short bench failed"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -lt 900 ] || fail "a 10-handshake bench took $ms ms (the CLI waits for signals in 1 s steps?)"
echo "short bench: $ms ms"

# --- every numeric flag of every subcommand refuses non-finite, negative,
# overflowing and junk values, naming the flag and its range.
bench_numeric="threads concurrency duration handshakes warmup rate resume-ratio connect-timeout phase-timeout seed embedded-threads"
serve_numeric="threads max-connections tls-timeout command-timeout data-timeout max-message-size stall-after stall-for stall-delay stats-interval"
cert_numeric="timeout"
for sub in bench serve cert; do
  eval "flags=\$${sub}_numeric"
  for flag in $flags; do
    for value in inf nan -1 99999999999999999999999; do
      args=("$sub" "--$flag" "$value")
      [ "$sub" = cert ] && args+=("$root/testdata/x509/leaf-rsa2048.pem")
      usage_error "$sub --$flag '$value'" "--$flag" "$M" "${args[@]}"
    done
    for value in -inf; do
      usage_error "$sub --$flag='$value'" "--$flag" "$M" "$sub" "--$flag=$value" \
        $([ "$sub" = cert ] && echo "$root/testdata/x509/leaf-rsa2048.pem")
    done
  done
done
echo "hardening: ok"
