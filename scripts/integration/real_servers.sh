# `mailshake bench` against real mail servers from Debian on loopback:
# Postfix and Exim must give zero failures with the parameters asked for
# (TLS 1.2 and 1.3, RSA and ECDSA), and Debian's OpenSMTPD 6.8, whose TLS is
# broken against OpenSSL 3, must show up as handshake failures after a 220 to
# STARTTLS, in the right category.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/real_servers.bash"

check_clean() {  # check_clean FILE WHAT: zero failures, N attempts
  local n
  expect_eq "$2 failed" "$(jq_py "$1" "d['scenarios'][0]['failed']")" 0
  n="$(jq_py "$1" "d['scenarios'][0]['succeeded']")"
  [ "$n" -gt 0 ] || fail "$2: nothing succeeded"
}

for server in postfix exim; do
  start_real "$server"
  bench_run "$work/$server-13.json" "smtp://$smtp" --handshakes 60 --concurrency 4 --threads 1 --tls 1.3
  check_clean "$work/$server-13.json" "$server TLS 1.3"
  expect_eq "$server TLS 1.3 version" "$(jq_py "$work/$server-13.json" "list(d['scenarios'][0]['negotiated']['versions'])")" "['TLSv1.3']"

  bench_run "$work/$server-12e.json" "smtp://$smtp" --handshakes 60 --concurrency 4 --threads 1 \
    --tls 1.2 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256 --groups P-256
  check_clean "$work/$server-12e.json" "$server TLS 1.2 ECDSA"
  expect_eq "$server TLS 1.2 ECDSA suite" \
    "$(jq_py "$work/$server-12e.json" "list(d['scenarios'][0]['negotiated']['cipher_suites'])")" \
    "['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256']"

  bench_run "$work/$server-12r.json" "smtp://$smtp" --handshakes 60 --concurrency 4 --threads 1 \
    --tls 1.2 --ciphers ECDHE-RSA-AES256-GCM-SHA384 --groups X25519
  check_clean "$work/$server-12r.json" "$server TLS 1.2 RSA"
  expect_eq "$server TLS 1.2 RSA key" \
    "$(jq_py "$work/$server-12r.json" "list(d['scenarios'][0]['negotiated']['peer_keys'])")" \
    "['RSA-2048']"

  bench_run "$work/$server-465.json" "smtps://$smtps" --handshakes 40 --concurrency 4 --threads 1
  check_clean "$work/$server-465.json" "$server implicit TLS"
  echo "ok: $server"
done

start_real opensmtpd
bench_run "$work/opensmtpd.json" "smtp://$smtp" --handshakes 20 --concurrency 2 --threads 1
expect_eq "opensmtpd succeeded" "$(jq_py "$work/opensmtpd.json" "d['scenarios'][0]['succeeded']")" 0
expect_eq "opensmtpd outcomes" "$(jq_py "$work/opensmtpd.json" "list(d['scenarios'][0]['outcomes'].items())")" \
  "[('tls_alert:internal_error', 20)]"
echo "ok: opensmtpd fails every handshake with tls_alert:internal_error"
