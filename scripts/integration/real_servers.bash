# shellcheck shell=bash
# Sourced by the integration tests that run Debian's real mail servers
# (scripts/real-servers) on loopback, after lib.bash. Installs them, makes
# $work reachable by servers that drop root, stops every server started with
# start_real when the test exits, and checks the ports they were given.

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rs="$root/scripts/real-servers"
"$rs/install"
# The servers drop root: their folders under $work must be reachable by them.
chmod 755 "$work"
started=()
stop_all() {
  for d in "${started[@]}"; do "$rs/stop" "$d" >/dev/null 2>&1 || true; done
  cleanup
}
trap stop_all EXIT

# start_real NAME [START-ARGS...]: starts server NAME in $work/NAME (default
# arguments: --cert-type both --no-ipv6) and sets $dir, $smtp and $smtps
# (HOST:PORT of its STARTTLS and implicit-TLS listeners).
start_real() {
  local name="$1"; shift
  local args=("$@")
  [ "${#args[@]}" -gt 0 ] || args=(--cert-type both --no-ipv6)
  dir="$work/$name"
  "$rs/start" "$name" "$dir" "${args[@]}" >"$dir.env" 2>"$dir.err" \
    || { cat "$dir.err" >&2; fail "could not start $name"; }
  started+=("$dir")
  smtp="$(sed -n 's/^smtp=//p' "$dir.env")"
  smtps="$(sed -n 's/^smtps=//p' "$dir.env")"
  # Ports picked for us lie outside the kernel's ephemeral range, where any
  # client connection could take them before the server binds.
  local lo hi p
  read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
  for p in "${smtp##*:}" "${smtps##*:}"; do
    [ "$p" -lt "$lo" ] || [ "$p" -gt "$hi" ] \
      || fail "$name got port $p inside the ephemeral range $lo-$hi"
  done
}
