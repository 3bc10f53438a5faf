# `mailshake probe` against real servers on loopback, each in a TLS
# configuration made by scripts/real-servers/start: the findings must say
# what the configuration says (versions, accepted suites and their order,
# forward secrecy, groups, DHE size, certificate name and expiry verdicts,
# STARTTLS injection). Expected suites come from the configured OpenSSL
# cipher string, expanded by `openssl ciphers` per version and filtered by the
# certificate types served. testssl.sh is not run here: even limited to -p
# it took 129 s against one loopback Postfix on the loaded 2-core machine;
# scripts/probe-goals makes that comparison. About 1-2 minutes (most of it
# Postfix start-ups).
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/real_servers.bash"
hostile="${MAILSHAKE_HOSTILE_BIN:-$(dirname "$MAILSHAKE_BIN")/../engine/hostile_serve}"
[ -x "$hostile" ] || fail "no $hostile: bazel build //src/engine:hostile_serve (scripts/test does)"
hostile_pid=
stop_everything() {
  [ -z "$hostile_pid" ] || kill -TERM "$hostile_pid" 2>/dev/null || true
  stop_all
}
trap stop_everything EXIT

# launch NAME TAG ARGS...: starts a real server into $work/TAG in the
# background (Postfix takes ~3 s to start on an idle machine, 10 s and more on
# a loaded one: the servers start together). serve TAG waits for it and sets
# $env.
declare -A launching=()
export MAILSHAKE_REAL_SERVERS_START_TIMEOUT=120
launch() {
  local name="$1" tag="$2"; shift 2
  started+=("$work/$tag")
  "$rs/start" "$name" "$work/$tag" --no-ipv6 "$@" >"$work/$tag.env" 2>"$work/$tag.err" &
  launching[$tag]=$!
}
serve() {
  local rc=0
  wait "${launching[$1]}" || rc=$?
  [ "$rc" -eq 0 ] || { cat "$work/$1.err" >&2; fail "could not start $1 (exit $rc)"; }
  env="$work/$1/endpoints.env"
  echo "started $1: $(grep -o 'ready in [0-9]* ms' "$work/$1.err")"
}
stop() {
  local t0; t0="$(date +%s%3N)"
  "$rs/stop" "$work/$1" >/dev/null 2>&1 || true
  echo "stop $1 in $(( $(date +%s%3N) - t0 )) ms"
}
get() { sed -n "s/^$1=//p" "$env" | head -1; }

# probe WANT_EXIT TAG URL ARGS...: mailshake probe --json $work/TAG.json.
probe() {
  local want="$1" tag="$2" url="$3" rc=0 t0; shift 3
  t0="$(date +%s%3N)"
  timeout 60 "$MAILSHAKE_BIN" probe "$url" --json "$work/$tag.json" --color never "$@" \
    >"$work/$tag.out" 2>"$work/$tag.perr" || rc=$?
  [ "$rc" -eq "$want" ] || { cat "$work/$tag.out" "$work/$tag.perr" >&2; fail "$tag: probe $url $* exited $rc, want $want"; }
  echo "probe $tag: exit $rc in $(( $(date +%s%3N) - t0 )) ms"
}
# verify TAG < PYTHON: checks the probe's findings in $work/TAG.json with one
# Python process (a python3 start-up costs seconds on a loaded machine).
# PYTHON sees: v(ID) the value of finding ID ("missing" when absent), o(ID)
# its outcome, doc the document, env the server's endpoints.env,
# eq(WHAT, GOT, WANT), versions() the accepted versions, suites(VERSION) the
# accepted suites (sorted unless in server order), failing(POLICY_INDEX) the
# (id, rfc8460) of failing checks, verdict(POLICY) a policy's verdict, and expected(VERSION, CERTS) the IANA
# names OpenSSL's cipher string env["tls_ciphers"] yields for VERSION (tls1,
# tls1_1, tls1_2, tls1_3), in the string's order, keeping the suites the
# served certificate types (rsa, ecdsa, both) can authenticate.
verify() {
  python3 -c '
import json, subprocess, sys
tag, path, env_path = sys.argv[1:4]
doc = json.load(open(path))
env = dict(l.rstrip("\n").split("=", 1) for l in open(env_path) if "=" in l) if env_path else {}
F = {f["id"]: f for f in doc["findings"]}
def v(i): return F[i]["value"] if i in F else "missing"
def o(i): return F[i]["outcome"] if i in F else "missing"
bad = []
def eq(what, got, want):
    if got != want: bad.append(f"{tag}: {what}: got {got!r}, want {want!r}")
def versions():
    return [f["value"]["version"] for i, f in F.items() if i.startswith("tls.version[") and f["value"]["accepted"] is True]
def suites(version):
    s = v(f"tls.suites[{version}]")
    if s == "missing": return s
    return s["accepted"] if s["order"] == "server" else sorted(s["accepted"])
def verdict(name):
    return [p["verdict"] for p in doc["policies"] if p["name"] == name][0]
def failing(k):  # k: index into doc["policies"] (0: --policy) or a policy name
    p = doc["policies"][k] if isinstance(k, int) else [p for p in doc["policies"] if p["name"] == k][0]
    return [(c["id"], c["rfc8460"]) for c in p["checks"] if c["verdict"] == "fail"]
def expected(version, certs):
    names = subprocess.run(["openssl", "ciphers", "-stdname", "-s", "-" + version, env["tls_ciphers"]],
                           check=True, capture_output=True, text=True).stdout
    names = [l.split()[0] for l in names.splitlines() if l.strip()]
    out = []
    for n in names:
        tls13 = "_WITH_" not in n
        if (version == "tls1_3") != tls13: continue
        if certs == "rsa" and "_ECDSA_" in n: continue
        if certs == "ecdsa" and not tls13 and "_ECDSA_" not in n: continue
        out.append(n)
    return out
exec(sys.stdin.read())
if bad:
    print("\n".join(bad), file=sys.stderr); sys.exit(1)
print(f"ok: {tag}")
' "$1" "$work/$1.json" "${env:-}" || fail "$1: findings differ from the configuration (above)"
}

# Every server starts at once (OpenSMTPD below, alone: it is expected to fail
# handshakes and may be unavailable).
launch postfix modern --tls-profile modern --cert-type both
launch postfix order --tls-profile server-order --cert-type ecdsa
launch postfix legacy --tls-profile legacy --cert-type rsa
launch postfix wrongname --tls-profile modern --cert-type ecdsa --cert-name mx.other.example \
  --require-tls
launch postfix expired --tls-profile modern --cert-type rsa --cert-expired
launch postfix plain --tls-profile no-starttls
launch openssl ossl
launch exim exim --cert-type both

# --- Postfix, modern: TLS 1.2+1.3, ECDHE only, RSA and ECDSA, client order.
serve modern
probe 0 modern "smtp://$(get smtp)" --ca "$(get ca)" --name localhost --policy exchange-online
stop modern
verify modern <<'PY'
eq("server order configured", env["tls_server_order"], "no")
eq("versions", versions(), ["TLSv1.2", "TLSv1.3"])
eq("TLS 1.2 suites", suites("TLSv1.2"), sorted(expected("tls1_2", "both")))
eq("TLS 1.3 suites", suites("TLSv1.3"), sorted(expected("tls1_3", "both")))
eq("TLS 1.2 order", v("tls.suites[TLSv1.2]")["order"], "client")
eq("forward secrecy", v("tls.forward_secrecy")["all"], True)
for ver in ("TLSv1.2", "TLSv1.3"):
    eq(f"{ver} groups", sorted(v(f"tls.groups[{ver}]")["accepted"]), ["secp256r1", "x25519"])
eq("trusted", v("cert.trust")["trusted"], True)
eq("name localhost", v("cert.name[localhost]")["matched"], True)
eq("expiry", v("cert.expiry")["status"], "valid")
eq("injection", v("smtp.starttls_injection")["vulnerable"], False)
eq("mail before TLS refused", v("smtp.mail_before_tls")["refuses_without_tls"], False)
# OpenSSL's default signature algorithms let Postfix sign the TLS 1.2 key
# exchange with SHA-1 when a client offers nothing else: insufficient under
# NCSC-NL 2025-05 (as internet.nl tests it), the one check this profile fails.
eq("NCSC-NL 2025-05 failing checks", [i for i, _ in failing("ncsc-nl-2025-05")], ["kex_hash"])
eq("TLS 1.2 SHA-1 key exchange", v("tls.signature_algorithms[TLSv1.2]")["sha1_only"], True)
# OpenSSL 3 refuses client-initiated renegotiation by default.
eq("client renegotiation", v("tls.client_renegotiation")["accepted"], False)
eq("EMS", v("tls.extended_master_secret")["value"], True)
PY

# --- Postfix, server preference order (ECDSA only).
serve order
probe 0 order "smtp://$(get smtp)" --ca "$(get ca)" --name localhost
stop order
verify order <<'PY'
eq("server order configured", env["tls_server_order"], "yes")
eq("TLS 1.2 order", v("tls.suites[TLSv1.2]")["order"], "server")
eq("TLS 1.2 suites in server order", suites("TLSv1.2"), expected("tls1_2", "ecdsa"))
eq("TLS 1.3 order", v("tls.suites[TLSv1.3]")["order"], "server")
eq("TLS 1.3 suites in server order", suites("TLSv1.3"), expected("tls1_3", "ecdsa"))
eq("signature", v("tls.handshake")["signature_algorithm"], "ecdsa_secp256r1_sha256")
PY

# --- Postfix, legacy: TLS 1.0 and up, static RSA and CBC, client order, RSA.
serve legacy
probe 1 legacy "smtp://$(get smtp)" --ca "$(get ca)" --name localhost --policy exchange-online
stop legacy
verify legacy <<'PY'
eq("versions", versions(), ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"])
eq("SSLv3", v("tls.version[SSLv3]")["accepted"], False)
for ver, flag in (("TLSv1", "tls1"), ("TLSv1.1", "tls1_1"), ("TLSv1.2", "tls1_2")):
    eq(f"{ver} suites", suites(ver), sorted(expected(flag, "rsa")))
eq("TLS 1.2 order", v("tls.suites[TLSv1.2]")["order"], "client")
eq("forward secrecy", v("tls.forward_secrecy")["all"], False)
eq("static RSA is not forward secret",
   "TLSv1.2 TLS_RSA_WITH_AES_128_GCM_SHA256" in v("tls.forward_secrecy")["not_forward_secret"], True)
eq("exchange-online fails", failing(0),
   [("versions", "validation-failure"), ("forward_secrecy", "validation-failure")])
eq("NCSC-NL 2025-05 (TLS 1.0/1.1 and static RSA are insufficient)", verdict("ncsc-nl-2025-05"), "fail")
PY

# --- Postfix with a certificate for another name, then an expired one.
serve wrongname
probe 1 wrongname "smtp://$(get smtp)" --ca "$(get ca)" --name localhost --policy forced-tls:chain-and-domain
stop wrongname
verify wrongname <<'PY'
eq("name localhost", v("cert.name[localhost]")["matched"], False)
eq("name 127.0.0.1", v("cert.name[127.0.0.1]")["matched"], False)
eq("trusted", v("cert.trust")["trusted"], True)
eq("rfc8460", [r for _, r in failing(0)], ["certificate-host-mismatch"])
# smtpd_tls_security_level = encrypt (--require-tls): 530 to MAIL before STARTTLS.
eq("mail before TLS", (v("smtp.mail_before_tls")["code"], v("smtp.mail_before_tls")["refuses_without_tls"]),
   (530, True))
PY
serve expired
probe 1 expired "smtp://$(get smtp)" --ca "$(get ca)" --name localhost --policy forced-tls:chain --no-scan
stop expired
verify expired <<'PY'
eq("expiry", v("cert.expiry")["status"], "expired")
eq("trusted", v("cert.trust")["trusted"], False)
eq("rfc8460", [r for _, r in failing(0)], ["certificate-expired"])
PY

# --- Postfix without STARTTLS.
serve plain
probe 1 plain "smtp://$(get smtp)" --policy forced-tls:encryption-only
probe 0 plain-may "smtp://$(get smtp)" --policy posttls-finger:may --no-scan
stop plain
verify plain <<'PY'
eq("STARTTLS offered", v("smtp.starttls")["offered"], False)
eq("rfc8460", [r for _, r in failing(0)], ["starttls-not-supported"])
PY

# --- openssl s_server behind a STARTTLS front: DHE suites, FFDHE groups.
serve ossl
probe 0 ossl "smtp://$(get smtp)" --ca "$(get ca)" --name localhost
stop ossl
verify ossl <<'PY'
eq("versions", versions(), ["TLSv1.2", "TLSv1.3"])
eq("TLS 1.2 order", v("tls.suites[TLSv1.2]")["order"], "server")
eq("TLS 1.2 suites in server order", suites("TLSv1.2"), expected("tls1_2", "rsa"))
eq("DHE size", v("tls.dhe_size")["bits"], [3072])
eq("TLS 1.3 groups", sorted(v("tls.groups[TLSv1.3]")["accepted"]),
   sorted(g.lower() if g != "X25519" else "x25519" for g in env["tls_groups"].split(":")))
eq("TLS 1.2 groups", v("tls.groups[TLSv1.2]")["accepted"], ["x25519"])
eq("forward secrecy", v("tls.forward_secrecy")["all"], True)
# s_server -client_renegotiation answers a renegotiating ClientHello.
eq("client renegotiation", v("tls.client_renegotiation")["accepted"], True)
eq("NCSC-NL client renegotiation", [c["verdict"] for p in doc["policies"] if p["name"] == "ncsc-nl-2025-05"
                                    for c in p["checks"] if c["id"] == "client_renegotiation"], ["unknown"])
PY

# --- Exim (GnuTLS): TLS 1.2 and 1.3 only, as its priority string says.
serve exim
probe 0 exim "smtp://$(get smtp)" --ca "$(get ca)" --name localhost --policy forced-tls:chain-and-domain
stop exim
verify exim <<'PY'
eq("versions", versions(), ["TLSv1.2", "TLSv1.3"])
eq("TLS 1.2 suites complete", v("tls.suites[TLSv1.2]")["complete"], True)
eq("TLS 1.3 suites", len(v("tls.suites[TLSv1.3]")["accepted"]) >= 3, True)
eq("injection", v("smtp.starttls_injection")["vulnerable"], False)
# Exim's tls_alpn ("smtp : esmtp") selects smtp and refuses anything else
# with RFC 7301's alert (its ALPACA defence).
eq("ALPN smtp", v("tls.alpn")["smtp"], {"answer": "selected", "protocol": "smtp", "alert": None})
eq("ALPN foreign", v("tls.alpn")["foreign"]["alert"], "no_application_protocol")
PY

# --- OpenSMTPD 6.8 (OpenSSL 3): STARTTLS answered, every handshake fails.
if "$rs/start" opensmtpd "$work/smtpd" --no-ipv6 >"$work/smtpd.env" 2>"$work/smtpd.err"; then
  started+=("$work/smtpd")
  env="$work/smtpd/endpoints.env"
  probe 1 smtpd "smtp://$(get smtp)" --policy forced-tls:encryption-only
  stop smtpd
  verify smtpd <<'PY'
eq("STARTTLS reply", v("smtp.starttls")["code"], 220)
eq("handshake fails with an alert", o("tls.handshake").startswith("tls_alert:"), True)
PY
elif grep -q "mount namespace" "$work/smtpd.err"; then
  echo "opensmtpd: skipped (no mount namespaces here)"
else
  cat "$work/smtpd.err" >&2; fail "could not start opensmtpd"
fi

# --- The hostile server vulnerable to STARTTLS command injection.
"$hostile" starttls_command_injection 60 >"$work/hostile.out" 2>"$work/hostile.err" &
hostile_pid=$!
for _ in $(seq 1 100); do grep -q '^listening' "$work/hostile.out" 2>/dev/null && break; sleep 0.05; done
url="$(sed -n 's/^listening //p' "$work/hostile.out")"
[ -n "$url" ] || fail "hostile_serve did not start: $(cat "$work/hostile.err")"
probe 1 hostile "$url" --no-scan --policy exchange-online
kill -TERM "$hostile_pid"; wait "$hostile_pid" || true; hostile_pid=
env=
verify hostile <<'PY'
eq("injection", v("smtp.starttls_injection")["vulnerable"], True)
PY

echo "ok: probe against real servers"
