# `mailshake probe` against `mailshake serve` on loopback: the facts, the
# verdicts and the exit statuses (0 pass, 1 fail, 2 usage, 3 not probed).
source "$(dirname "$0")/lib.bash"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
  -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>"$work/openssl.err" \
  || { cat "$work/openssl.err" >&2; fail "openssl req"; }
start_server --cert "$work/cert.pem" --key "$work/key.pem"

probe() {  # probe WANT_EXIT ARGS...: runs mailshake probe, checks its exit status
  local want="$1" rc=0; shift
  timeout 60 "$MAILSHAKE_BIN" probe "$@" >"$work/probe.out" 2>"$work/probe.err" || rc=$?
  [ "$rc" -eq "$want" ] || { cat "$work/probe.out" "$work/probe.err" >&2; fail "probe $* exited $rc, want $want"; }
}

# A trusted certificate for the name: every forced-TLS mode passes.
probe 0 "smtp://127.0.0.1:$smtp_port" --ca "$work/cert.pem" --name localhost \
  --policy forced-tls:chain-and-domain --json "$work/good.json"
expect_eq "schema" "$(jq_py "$work/good.json" 'd["schema"]')" "mailshake.probe/v1"
expect_eq "starttls" "$(finding "$work/good.json" smtp.starttls 'f["severity"]')" "ok"
expect_eq "injection" "$(finding "$work/good.json" smtp.starttls_injection 'f["value"]["vulnerable"]')" "False"
expect_eq "pipelining" "$(finding "$work/good.json" smtp.pipelining 'f["value"]["correct"]')" "True"
expect_eq "trust" "$(finding "$work/good.json" cert.trust 'f["value"]["trusted"]')" "True"
expect_eq "name" "$(finding "$work/good.json" 'cert.name[localhost]' 'f["value"]["matched"]')" "True"
expect_eq "ip name" "$(finding "$work/good.json" 'cert.name[127.0.0.1]' 'f["value"]["matched"]')" "True"
expect_eq "resumption" "$(finding "$work/good.json" tls.resumption 'f["value"]["resumed"]')" "True"
expect_eq "verdict" "$(jq_py "$work/good.json" 'd["verdict"]["result"]')" "pass"
if [ "$(jq_py "$work/good.json" 'd["scan_status"]')" = ok ]; then
  expect_eq "TLS 1.3" "$(finding "$work/good.json" 'tls.version[TLSv1.3]' 'f["value"]["accepted"]')" "True"
  expect_eq "TLS 1.0" "$(finding "$work/good.json" 'tls.version[TLSv1]' 'f["value"]["accepted"]')" "False"
fi

# The terminal report starts with the verdict.
probe 0 "smtp://127.0.0.1:$smtp_port" --ca "$work/cert.pem" --policy forced-tls:chain --color never
expect_line "$work/probe.out" "^PASS  smtp://127.0.0.1:$smtp_port under forced-tls:chain"

# The system roots do not know this certificate: chain validation fails with
# the RFC 8460 result type, encryption alone passes.
probe 1 "smtp://127.0.0.1:$smtp_port" --policy forced-tls:chain --json "$work/untrusted.json" --no-scan
expect_eq "rfc8460" "$(jq_py "$work/untrusted.json" '[c["rfc8460"] for c in d["policies"][0]["checks"] if c["verdict"]=="fail"][0]')" "certificate-not-trusted"
probe 0 "smtp://127.0.0.1:$smtp_port" --policy forced-tls:encryption-only --no-scan

# Output files follow the one writer's rules (src/io): --html - puts the page
# on standard output and the report on standard error; a regular file is
# replaced and keeps its mode; a directory, or one path for two outputs, is
# bad usage before anything runs.
probe 0 "smtp://127.0.0.1:$smtp_port" --policy forced-tls:encryption-only --no-scan --html -
head -c 15 "$work/probe.out" | grep -q '<!DOCTYPE html>' || fail "--html - wrote no page to stdout"
expect_line "$work/probe.err" "^PASS"
install -m 600 /dev/null "$work/mode.html"
probe 0 "smtp://127.0.0.1:$smtp_port" --policy forced-tls:encryption-only --no-scan \
  --html "$work/mode.html" --json "$work/mode.json"
expect_eq "--html keeps the file's mode" "$(stat -c %a "$work/mode.html")" 600
grep -q 'id="findings"' "$work/mode.html" || fail "--html FILE has no findings section"
probe 2 "smtp://127.0.0.1:$smtp_port" --no-scan --json "$work"
probe 2 "smtp://127.0.0.1:$smtp_port" --no-scan --json "$work/same" --html "$work/same"
[ -e "$work/same" ] && fail "bad usage still wrote $work/same"

# Implicit TLS.
probe 0 "smtps://127.0.0.1:$smtps_port" --ca "$work/cert.pem" --policy forced-tls:chain --no-scan

# Nothing listening: not probed. Bad usage: 2.
stop_server
probe 3 "smtp://127.0.0.1:$smtp_port" --connect-timeout 2s --no-scan
expect_line "$work/probe.out" "^NOT PROBED"
probe 2 "smtp://127.0.0.1:$smtp_port" --policy pci
probe 2 "http://127.0.0.1:$smtp_port"
echo "probe: ok"
