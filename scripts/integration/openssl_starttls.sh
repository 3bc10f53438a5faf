# openssl s_client -starttls smtp against `mailshake serve`: TLS 1.2 and 1.3,
# with an RSA and an ECDSA certificate; the negotiated version, suite and
# group must be the ones asked for, and the server must count them.
source "$(dirname "$0")/lib.bash"

run_client() {  # run_client OUT ARGS...
  local out="$1"; shift
  echo QUIT | timeout 15 openssl s_client -starttls smtp -connect "127.0.0.1:$smtp_port" \
    -brief "$@" >"$out" 2>&1 || true
}

for cert in p256 rsa2048; do
  start_server --self-signed "$cert"
  if [ "$cert" = p256 ]; then auth=ECDSA; else auth=RSA; fi

  run_client "$work/13.out" -tls1_3 -groups X25519
  expect_line "$work/13.out" "^Protocol version: TLSv1.3"
  expect_line "$work/13.out" "^Ciphersuite: TLS_(AES_128_GCM_SHA256|AES_256_GCM_SHA384|CHACHA20_POLY1305_SHA256)"
  expect_line "$work/13.out" "^Server Temp Key: X25519"

  run_client "$work/13p384.out" -tls1_3 -groups P-384
  expect_line "$work/13p384.out" "^Server Temp Key: ECDH, secp384r1"

  run_client "$work/12.out" -tls1_2 -groups P-256 -cipher "ECDHE-$auth-AES128-GCM-SHA256"
  expect_line "$work/12.out" "^Protocol version: TLSv1.2"
  expect_line "$work/12.out" "^Ciphersuite: ECDHE-$auth-AES128-GCM-SHA256"
  expect_line "$work/12.out" "^Server Temp Key: ECDH, prime256v1"

  run_client "$work/12c.out" -tls1_2 -groups X25519:P-256 -cipher "ECDHE-$auth-CHACHA20-POLY1305"
  expect_line "$work/12c.out" "^Ciphersuite: ECDHE-$auth-CHACHA20-POLY1305"

  stop_server
  expect_line "$work/server.out" "handshakes 4 "
  expect_line "$work/server.out" "versions:.*TLSv1.2=2.*TLSv1.3=2"
  expect_line "$work/server.out" "groups:.*P-384=1"
  echo "ok: $cert"
done
