# tls://HOST:PORT (a bare TLS handshake, no SMTP) against `openssl s_server`
# and against the implicit-TLS listener of `mailshake serve`: every attempt
# succeeds, only the connect and tls phases are timed, and the servers count
# the handshakes.
source "$(dirname "$0")/lib.bash"

# openssl s_server: one connection at a time, a fresh P-256 certificate;
# -www so that it never reads its stdin.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj /CN=tls.test -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
n=20
timeout 60 openssl s_server -accept 127.0.0.1:0 -cert "$work/cert.pem" -key "$work/key.pem" \
  -naccept "$n" -tls1_3 -www </dev/null >"$work/s_server.out" 2>"$work/s_server.err" &
server_pid=$!
for _ in $(seq 1 200); do
  grep -q "^ACCEPT" "$work/s_server.out" 2>/dev/null && break
  sleep 0.05
done
port="$(sed -n 's/^ACCEPT 127.0.0.1:\([0-9]*\)$/\1/p' "$work/s_server.out")"
[ -n "$port" ] || fail "openssl s_server did not start: $(cat "$work/s_server.err")"

bench_run "$work/s_server.json" "tls://127.0.0.1:$port" --handshakes "$n" --threads 1 \
  --concurrency 1 --tls 1.3 --groups X25519
expect_eq "s_server succeeded" "$(jq_py "$work/s_server.json" 'd["scenarios"][0]["succeeded"]')" "$n"
expect_eq "s_server outcomes" "$(jq_py "$work/s_server.json" 'd["scenarios"][0]["outcomes"]')" "{'ok': $n}"
expect_eq "target" "$(jq_py "$work/s_server.json" 'd["target"]')" "tls://127.0.0.1:$port"
expect_eq "phases timed" \
  "$(jq_py "$work/s_server.json" '[p["name"] for p in d["scenarios"][0]["phases"] if p["count"]]')" \
  "['connect', 'tls', 'total']"
expect_eq "peer key" "$(jq_py "$work/s_server.json" 'd["scenarios"][0]["negotiated"]["peer_keys"]')" \
  "{'ECDSA-P-256': $n}"
# s_server exits by itself after -naccept connections.
for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$server_pid" 2>/dev/null && fail "s_server still running after $n connections"
server_pid=""
echo "ok: openssl s_server"

# mailshake serve's implicit-TLS listener: the client closes after the
# handshake, without waiting for the banner.
start_server --self-signed rsa2048
bench_run "$work/serve.json" "tls://127.0.0.1:$smtps_port" --handshakes 200 --threads 1 \
  --concurrency 4 --tls 1.3 --groups X25519
expect_eq "serve outcomes" "$(jq_py "$work/serve.json" 'd["scenarios"][0]["outcomes"]')" "{'ok': 200}"
expect_eq "serve peer key" "$(jq_py "$work/serve.json" 'd["scenarios"][0]["negotiated"]["peer_keys"]')" \
  "{'RSA-2048': 200}"
stop_server
expect_line "$work/server.out" "handshakes 200 "
echo "ok: mailshake serve (implicit TLS listener)"
