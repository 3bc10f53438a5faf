# The README's main command: `mailshake bench` with no target benchmarks the
# embedded server; its result file is valid mailshake.result/v1, its counts
# reconcile, and the server's own counts agree with the client's.
source "$(dirname "$0")/lib.bash"
bench_run "$work/r.json" --handshakes 400 --concurrency 16 --csv "$work/r.csv"
expect_eq "schema" "$(jq_py "$work/r.json" "d['schema']")" "mailshake.result/v1"
expect_eq "attempted" "$(jq_py "$work/r.json" "d['scenarios'][0]['attempted']")" 400
expect_eq "succeeded" "$(jq_py "$work/r.json" "d['scenarios'][0]['succeeded']")" 400
expect_eq "server handshakes" "$(jq_py "$work/r.json" "d['scenarios'][0]['server']['handshakes']")" 400
expect_eq "phases" "$(jq_py "$work/r.json" "[p['name'] for p in d['scenarios'][0]['phases']]")" \
  "['connect', 'banner', 'ehlo', 'starttls', 'tls', 'post_tls', 'total']"
expect_line "$work/r.csv" "^scenario,trial,unix_second,successes,failures"
expect_line "$work/r.json.txt" "attempted +400 = succeeded 400 \+ failed 0"

# Open loop: the achieved rate is reported next to the target, with the lag.
bench_run "$work/o.json" --rate 200 --duration 2s --concurrency 64
expect_eq "open-loop target" "$(jq_py "$work/o.json" "d['scenarios'][0]['target_rate']")" 200.0
jq_py "$work/o.json" "abs(d['scenarios'][0]['attempted'] - 400) <= 8" | grep -q True \
  || fail "open loop at 200/s for 2 s did not make about 400 attempts"
expect_eq "lag samples" "$(jq_py "$work/o.json" "d['scenarios'][0]['schedule_lag']['count'] == d['scenarios'][0]['attempted']")" True

# Forced TLS 1.2 parameters are what gets negotiated.
bench_run "$work/t12.json" --handshakes 50 --tls 1.2 --ciphers ECDHE-ECDSA-AES256-GCM-SHA384 --groups P-384,P-256
expect_eq "suite" "$(jq_py "$work/t12.json" "list(d['scenarios'][0]['negotiated']['cipher_suites'])")" \
  "['TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384']"
expect_eq "group" "$(jq_py "$work/t12.json" "list(d['scenarios'][0]['negotiated']['groups'])")" "['P-384']"

# Resumption: after the first full handshake per worker, tickets resume.
bench_run "$work/res.json" --handshakes 100 --threads 1 --concurrency 1 --resume ticket
jq_py "$work/res.json" "d['scenarios'][0]['negotiated']['resumption'].get('resumed', 0) >= 90" | grep -q True \
  || fail "ticket resumption did not resume"

# Bad flags: one message naming the flag, exit 2, nothing started.
set +e
"$MAILSHAKE_BIN" bench --tls 1.4 >"$work/bad.txt" 2>&1; rc=$?
set -e
expect_eq "exit status for a bad flag" "$rc" 2
expect_line "$work/bad.txt" "^mailshake bench: --tls: "

# Source-address rotation over 127.0.0.0/8 (for runs that would exhaust the
# ephemeral ports of one address).
bench_run "$work/src.json" --handshakes 200 --source 127.0.0.2-127.0.0.9
expect_eq "rotated sources" "$(jq_py "$work/src.json" "d['scenarios'][0]['succeeded']")" 200
