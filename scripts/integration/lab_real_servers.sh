# A small matrix against Postfix and Exim on loopback (RSA and ECDSA
# certificates), run twice each, compared: same server = comparable (too few
# trials to flag anything), Postfix against Exim = different targets (exit 4).
# Each server's comparison is drawn (compare --html) and rendered in headless
# Chromium without a console error, every chart drawn; pages and screenshots
# are kept under results/. Scenarios a server refuses are recorded as
# unsupported. About 1-2 minutes.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/real_servers.bash"
outdir="${MAILSHAKE_TEST_OUTPUTS:-$root/results/integration}/lab_real_servers"

matrix() {  # matrix URL OUT
  local rc=0
  "$MAILSHAKE_BIN" matrix "$1" --tls 1.2,1.3 \
    --ciphers ECDHE-ECDSA-AES128-GCM-SHA256,ECDHE-RSA-AES128-GCM-SHA256 --groups X25519,P-256 \
    --trials 2 --trial-duration 500ms --warmup 100ms --threads 1 --concurrency 4 \
    --progress off --json "$2" >"$2.out" 2>"$2.err" || rc=$?
  [ "$rc" -eq 0 ] || { cat "$2.err" "$2.out" >&2; fail "matrix $1 exited $rc"; }
}

for server in postfix exim; do
  start_real "$server"
  matrix "smtp://$smtp" "$work/$server-1.json"
  matrix "smtp://$smtp" "$work/$server-2.json"
  "$rs/stop" "$dir" >/dev/null 2>&1 || true
  # Both certificate types were used: RSA and ECDSA peer keys were seen.
  keys="$(jq_py "$work/$server-1.json" "sorted(set(k for s in d['scenarios'] for k in s['negotiated']['peer_keys']))")"
  case "$keys" in *ECDSA*RSA*) ;; *) fail "$server: peer keys $keys" ;; esac
  n="$(jq_py "$work/$server-1.json" "len(d['scenarios'])")"
  u="$(jq_py "$work/$server-1.json" "len(d['not_measured'])")"
  # 6 planned scenarios x 2 trials: each measured twice or recorded once.
  expect_eq "$server scenarios accounted for" "$(( n / 2 + u ))" 6
  rc=0
  "$MAILSHAKE_BIN" compare "$work/$server-1.json" "$work/$server-2.json" \
    --html "$work/$server-compare.html" >"$work/$server.cmp" || rc=$?
  expect_eq "$server A/A compare exit" "$rc" 0
  expect_line "$work/$server.cmp" "hs_per_cpu"
  chromium_render "$work/$server-compare.html" "$server-compare"
  chromium_check "$server-compare" >"$work/$server-check.txt" \
    || fail "$server compare page: $(cat "$work/$server-check.txt")"
  grep -q '<section id="compare">' "$work/$server-compare.dom" || fail "$server: no compare view drawn"
  mkdir -p "$outdir"
  cp "$work/$server-compare.html" "$outdir/"
  chromium_screenshot "$work/$server-compare.html" "$outdir/$server-compare.png"
  echo "ok: $server comparison drawn ($(cat "$work/$server-check.txt"))"
  echo "ok: $server ($((n / 2)) scenarios measured, $u not measured)"
done
rc=0
"$MAILSHAKE_BIN" compare "$work/postfix-1.json" "$work/exim-1.json" 2>"$work/x.err" >/dev/null || rc=$?
expect_eq "postfix vs exim exit" "$rc" 4
expect_line "$work/x.err" "target differs"
echo "ok: lab against real servers"
