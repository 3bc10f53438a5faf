# mailshake report renders result files as one self-contained page, and a
# real browser (Debian's chromium, headless, in a network namespace with no
# interface, from a file URL) draws it without a console error: every chart
# has marks with a non-empty box, the page's script records no error or
# policy violation, and the screenshots are kept under results/. A small
# matrix, run twice, gives the matrix view (matrix --html) and the compare
# view (report OLD NEW, compare OLD NEW --html), drawn the same way. Bad input is
# one message naming the file, exit 2. A page with a planted violation must
# be caught, so the browser check can fail. `probe --html` against `mailshake
# serve` writes the probe page, drawn the same way.
source "$(dirname "$0")/lib.bash"
command -v chromium >/dev/null || fail "chromium is not installed (scripts/setup installs it)"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
outdir="${MAILSHAKE_TEST_OUTPUTS:-$repo/results/integration}/report_chromium"
mkdir -p "$outdir"

# Three runs: closed loop, open loop, and a target that refuses everything.
bench_run "$work/closed.json" --handshakes 300 --concurrency 8
bench_run "$work/open.json" --rate 100 --duration 2s --concurrency 16 --embedded-cert rsa2048
bench_run "$work/refused.json" --handshakes 20 --concurrency 2 smtp://127.0.0.1:1
# A result whose strings are hostile markup.
python3 - "$work/closed.json" "$work/hostile.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
evil = '</script><img src=x onerror=alert(1)><svg onload=alert(2)>'
d['target'] = evil
d['environment']['hostname'] = evil
s = d['scenarios'][0]
s['name'] = evil
s['parameters'][evil] = evil
s['negotiated']['groups'] = {evil: sum(s['negotiated']['groups'].values())}
json.dump(d, open(sys.argv[2], 'w'))
PY

"$MAILSHAKE_BIN" report "$work/closed.json" "$work/open.json" "$work/refused.json" \
  "$work/hostile.json" -o "$work/report.html" 2>"$work/report.err" || {
  cat "$work/report.err" >&2; fail "mailshake report failed"; }
[ -s "$work/report.html" ] || fail "no page written"
grep -q "<img" "$work/report.html" && fail "a hostile string became markup"
[ "$(grep -o "<script" "$work/report.html" | wc -l)" = 1 ] || fail "more than the page's own script"

# bench --html writes the same kind of page directly.
"$MAILSHAKE_BIN" bench --progress off --handshakes 100 --concurrency 4 --html "$work/bench.html" \
  >"$work/bench.out" 2>&1 || { cat "$work/bench.out" >&2; fail "bench --html failed"; }
grep -q '<svg class="chart"' "$work/bench.html" || fail "bench --html wrote no chart"

# A small matrix, twice: matrix --html draws the matrix view; report and
# compare --html draw the compare view of the two runs.
matrix_args=(--tls 1.3 --groups X25519,P-256 --embedded-certs p256,rsa2048 --trials 3
  --trial-duration 300ms --warmup 100ms --concurrency 8 --progress off)
"$MAILSHAKE_BIN" matrix "${matrix_args[@]}" --json "$work/m1.json" --html "$work/matrix.html" \
  >"$work/m1.out" 2>&1 || { cat "$work/m1.out" >&2; fail "matrix --html failed"; }
"$MAILSHAKE_BIN" matrix "${matrix_args[@]}" --seed 2 --json "$work/m2.json" \
  >"$work/m2.out" 2>&1 || { cat "$work/m2.out" >&2; fail "second matrix failed"; }
"$MAILSHAKE_BIN" report "$work/m1.json" "$work/m2.json" -o "$work/report2.html" 2>"$work/report2.err" \
  || { cat "$work/report2.err" >&2; fail "report OLD NEW failed"; }
set +e
"$MAILSHAKE_BIN" compare "$work/m1.json" "$work/m2.json" --html "$work/compare.html" >"$work/compare.out" 2>&1
rc=$?
set -e
[ "$rc" = 0 ] || [ "$rc" = 1 ] || { cat "$work/compare.out" >&2; fail "compare --html exited $rc"; }
grep -q '<section id="matrix">' "$work/matrix.html" || fail "matrix --html has no matrix view"
for page in report2 compare; do
  grep -q '<section id="compare">' "$work/$page.html" || fail "$page: no compare view"
  grep -q 'class="whisker \(worse\|better\|same\)"' "$work/$page.html" || fail "$page: no change drawn"
done

chromium_render "$work/report.html" report
chromium_check report >"$work/check.txt" || fail "report page: $(cat "$work/check.txt")"
grep -c '<polyline' "$work/report.dom" | grep -qv '^0$' || fail "no lines in the drawn DOM"
cat "$work/check.txt"

# The matrix and compare views, drawn: their charts count among the drawn.
for page in matrix report2 compare; do
  chromium_render "$work/$page.html" "$page"
  chromium_check "$page" >"$work/check-$page.txt" || fail "$page page: $(cat "$work/check-$page.txt")"
  echo "$page: $(cat "$work/check-$page.txt")"
done
grep -q '<section id="matrix">' "$work/matrix.dom" || fail "matrix view not in the drawn DOM"
grep -q '<circle class="s0"' "$work/matrix.dom" || fail "no matrix dots in the drawn DOM"
for page in report2 compare; do
  grep -q '<section id="compare">' "$work/$page.dom" || fail "$page: compare view not in the DOM"
done

# probe --html: the probe page of `mailshake serve` (verdict, policies, the
# suites-by-level and findings-by-severity charts), drawn the same way. The
# JSON written in the same run holds the same verdict.
start_server
set +e
"$MAILSHAKE_BIN" probe "smtp://127.0.0.1:$smtp_port" --policy ncsc-nl-2025-05 --color never \
  --html "$work/probe.html" --json "$work/probe.json" >"$work/probe.out" 2>&1
rc=$?
set -e
stop_server
[ "$rc" = 0 ] || [ "$rc" = 1 ] || { cat "$work/probe.out" >&2; fail "probe --html exited $rc"; }
verdict="$(jq_py "$work/probe.json" 'd["verdict"]["result"]')"
grep -q "<span class=\"verdict $verdict\">" "$work/probe.html" || fail "probe page verdict is not $verdict"
grep -q '<section id="levels">' "$work/probe.html" || fail "probe page has no suites-by-level section"
chromium_render "$work/probe.html" probe
chromium_check probe 2 >"$work/check-probe.txt" || fail "probe page: $(cat "$work/check-probe.txt")"
echo "probe: $(cat "$work/check-probe.txt")"
grep -q 'class="lv-' "$work/probe.dom" || fail "no level bars in the drawn probe page"

# The screenshots people look at.
shot() {
  chromium_screenshot "$work/$1.html" "$outdir/$1.png"
  cp "$work/$1.html" "$outdir/$1.html"
}
shot report
shot matrix
shot compare
shot probe

# Negative control: a planted inline script and image are refused by the
# page's policy, and chromium_check sees it.
sed 's|</body>|<script>planted()</script><img src="http://192.0.2.1/x.png"></body>|' \
  "$work/report.html" >"$work/planted.html"
chromium_render "$work/planted.html" planted
chromium_check planted >"$work/planted.txt" && fail "a planted policy violation went unnoticed"

# Bad input: one message naming the file, exit 2.
printf '{"schema": "mailshake.result/v1", "environment": {' >"$work/truncated.json"
printf '{"context": {"library_build_type": "release"}, "benchmarks": []}' >"$work/gbench.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["scenarios"]=[]; json.dump(d, open(sys.argv[2],"w"))' \
  "$work/closed.json" "$work/empty.json"
for bad in truncated gbench empty; do
  set +e
  "$MAILSHAKE_BIN" report "$work/closed.json" "$work/$bad.json" -o "$work/bad.html" >"$work/$bad.out" 2>&1
  rc=$?
  set -e
  expect_eq "exit status for $bad input" "$rc" 2
  [ "$(wc -l <"$work/$bad.out")" = 1 ] || fail "$bad: not one line: $(cat "$work/$bad.out")"
  expect_line "$work/$bad.out" "^mailshake report: .*$bad.json"
done
[ -e "$work/bad.html" ] && fail "a page was written despite bad input"
echo "report_chromium: ok (screenshots report.png, matrix.png, compare.png, probe.png in $outdir)"
