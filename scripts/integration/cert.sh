# `mailshake cert` prints the right facts for testdata certificates, refuses
# malformed ones with the field named, and reads a live `mailshake serve`.
source "$(dirname "$0")/lib.bash"
root="$(cd "$(dirname "$0")/../.." && pwd)"
td="$root/testdata/x509"

cert() {  # cert OUT ARGS...: runs mailshake cert, must succeed
  local out="$1"; shift
  "$MAILSHAKE_BIN" cert "$@" >"$out" 2>&1 || { cat "$out" >&2; fail "mailshake cert $* failed"; }
}

cert "$work/leaf" "$td/leaf-rsa2048.pem" --name mail.example.com
expect_line "$work/leaf" "^Key: +RSA 2048 bits"
expect_line "$work/leaf" "^Name check: +mail.example.com matches"
expect_line "$work/leaf" "^Subject alt names: .*DNS:smtp.example.com"

cert "$work/chain" "$td/chain.pem" --name smtp.example.com
expect_line "$work/chain" "^Chain: +3 certificates, in order, ends at a self-signed root"
cert "$work/mis" "$td/chain-misordered.pem"
expect_line "$work/mis" "^Warning: .*order"

for f in rsa3072:"RSA 3072" rsa4096:"RSA 4096" ecdsa-p256:"ECDSA P-256" ecdsa-p384:"ECDSA P-384" ed25519:"Ed25519"; do
  cert "$work/k" "$td/${f%%:*}.der"
  expect_line "$work/k" "^Key: +${f#*:}"
done

cert "$work/wild" "$td/wildcard.pem" --name mx.example.org
expect_line "$work/wild" "^Name check: +mx.example.org matches"
cert "$work/wild2" "$td/wildcard.pem" --name a.b.example.org
expect_line "$work/wild2" "^Name check: +a.b.example.org DOES NOT MATCH"

cert "$work/cn" "$td/cn-only.pem" --name legacy.example.com
expect_line "$work/cn" "^Name check: +legacy.example.com matches .*CN"
cert "$work/ip" "$td/ip-san.pem" --name 192.0.2.25
expect_line "$work/ip" "^Name check: +192.0.2.25 matches .*IP"

cert "$work/exp" "$td/expired.pem"
expect_line "$work/exp" "^Validity: +expired"
cert "$work/nyv" "$td/not-yet-valid.pem"
expect_line "$work/nyv" "^Validity: +not yet valid"
cert "$work/sha1" "$td/sha1.pem"
expect_line "$work/sha1" "^Warning: .*SHA-1"
cert "$work/ev" "$td/many-extensions.pem"
expect_line "$work/ev" "^EV: +yes"

if "$MAILSHAKE_BIN" cert "$td/malformed-duplicate-extension.der" >"$work/bad" 2>&1; then
  fail "a certificate with a duplicate extension was accepted"
fi
expect_line "$work/bad" "basicConstraints"

start_server --self-signed p384 --hostname mx.serve.test
cert "$work/live" "smtp://127.0.0.1:$smtp_port" --name mx.serve.test
expect_line "$work/live" "^smtp://127.0.0.1:$smtp_port: TLSv1.3 "
expect_line "$work/live" "^Key: +ECDSA P-384"
expect_line "$work/live" "^Name check: +mx.serve.test matches"
cert "$work/live465" "smtps://127.0.0.1:$smtps_port" --json
expect_line "$work/live465" '"version": "TLSv1.3"'
stop_server
