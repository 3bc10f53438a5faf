# shellcheck shell=bash disable=SC2034  # sourced: the variables are used by the scripts
# Shared helpers for scripts/real-servers/*. Sourced, never executed.
#
# Everything here is about running Debian's Postfix, Exim and OpenSMTPD on
# loopback with a private configuration in one state directory, so that
# mailshake can be pointed at real mail servers. Nothing here edits
# system-wide configuration.

# Where `install` unpacks the servers that apt cannot install side by side
# (they all provide mail-transport-agent). Not under the repository: the
# repository's .gitignore does not cover a cache folder, and the unpacked
# trees are machine state, not project state.
RS_CACHE="${MAILSHAKE_REAL_SERVERS_CACHE:-/var/cache/mailshake/real-servers}"
RS_EXIM_ROOT="$RS_CACHE/exim4/root"
RS_EXIM_BIN="$RS_EXIM_ROOT/usr/sbin/exim4"
RS_SMTPD_ROOT="$RS_CACHE/opensmtpd/root"
RS_SMTPD_BIN="$RS_SMTPD_ROOT/usr/sbin/smtpd"
RS_POSTFIX_BIN=/usr/sbin/postfix

# Seconds `start` waits for a banner and `stop` waits for an exit.
RS_START_TIMEOUT="${MAILSHAKE_REAL_SERVERS_START_TIMEOUT:-20}"
RS_STOP_TIMEOUT="${MAILSHAKE_REAL_SERVERS_STOP_TIMEOUT:-15}"

rs_prog="real-servers/$(basename "$0")"

rs_log() { printf '%s: %s\n' "$rs_prog" "$*" >&2; }
rs_die() { rs_log "error: $*"; exit 1; }

rs_require_root() {
  [ "$(id -u)" -eq 0 ] || rs_die "must run as root (servers drop privileges to their own users)"
}

# rs_now_ms prints the wall clock in milliseconds.
rs_now_ms() { date +%s%3N; }

# rs_port_in_use PORT succeeds when any TCP socket (listening, connected or
# in TIME_WAIT, any address) has PORT as its local port: each of them can make
# a server's bind() fail with "Address already in use".
rs_port_in_use() {
  [ -n "$(ss -Htan "sport = :$1" 2>/dev/null)" ]
}

# rs_ephemeral_range prints the kernel's ephemeral port range ("LOW HIGH"):
# the ports the kernel hands to outgoing connections (every bench client
# socket takes one), so a server port picked from it can be taken by any
# connection between the check and the bind.
rs_ephemeral_range() {
  local range
  range="$(cat /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)" || range="32768 60999"
  echo "$range"
}

# rs_pick_port prints a TCP port that no socket uses, from outside the
# kernel's ephemeral range (10000 up to its start, or above its end when the
# range starts too low), skipping the ports given as arguments. Only another
# server binding the same port between the check and our bind can still take
# it; `start` then fails with the server's log, and rerunning picks another.
rs_pick_port() {
  local tries port skip taken lo hi first last
  read -r lo hi <<<"$(rs_ephemeral_range)"
  if [ "$lo" -ge 12000 ]; then first=10000; last=$((lo - 1))
  elif [ "$hi" -le 63000 ]; then first=$((hi + 1)); last=65000
  else first=10000; last=30000  # the range covers nearly everything: best effort
  fi
  for tries in $(seq 1 200); do
    port=$((first + (RANDOM * 32768 + RANDOM) % (last - first + 1)))
    taken=0
    for skip in "$@"; do [ "$skip" = "$port" ] && taken=1; done
    [ "$taken" -eq 0 ] && ! rs_port_in_use "$port" && { echo "$port"; return 0; }
  done
  rs_die "no free loopback port found after $tries tries"
}

# rs_valid_port VALUE succeeds for a decimal TCP port 1-65535.
rs_valid_port() {
  [[ "$1" =~ ^[0-9]{1,5}$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]
}

# rs_proc_start PID prints the process start time (clock ticks since boot,
# field 22 of /proc/PID/stat). Together with the PID it names one process:
# a PID reused by a later process has a different start time.
rs_proc_start() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  # Field 2 (comm) may contain spaces and parentheses: cut after the last ')'.
  stat="${stat##*) }"
  # After comm, field 3 (state) is first; field 22 is the 20th of what
  # remains. A zombie has exited: treat it as gone.
  # shellcheck disable=SC2086  # word splitting intended
  set -- $stat
  [ "$1" != Z ] || return 1
  echo "${20}"
}

# rs_same_process PID START succeeds while PID is alive and is still the
# process that had start time START.
rs_same_process() {
  local now
  now="$(rs_proc_start "$1")" || return 1
  [ "$now" = "$2" ]
}

# rs_read_banner PORT prints the first line the server at 127.0.0.1:PORT
# sends, waiting at most 3 s. Fails when nothing arrives.
rs_read_banner() {
  # shellcheck disable=SC2016  # expanded by the inner shell
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    IFS= read -r line <&3 || exit 1
    printf "QUIT\r\n" >&3
    printf "%s\n" "${line%$'"'"'\r'"'"'}"
  ' _ "$1" 2>/dev/null
}

# rs_tcp_accepts PORT succeeds when 127.0.0.1:PORT accepts a connection.
rs_tcp_accepts() {
  # shellcheck disable=SC2016  # expanded by the inner shell
  timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

# rs_env_get FILE KEY prints the value of KEY=VALUE in FILE (first match).
# The file is parsed, never sourced: it may sit in a folder others can write.
rs_env_get() {
  local key value
  while IFS='=' read -r key value; do
    if [ "$key" = "$2" ]; then printf '%s\n' "$value"; return 0; fi
  done <"$1"
  return 1
}

# rs_kill_recorded PID START TIMEOUT sends SIGTERM to PID if it is still the
# recorded process, waits up to TIMEOUT seconds for it to exit, then sends
# SIGKILL and waits again. Succeeds when the process is gone.
rs_kill_recorded() {
  local pid="$1" start="$2" timeout="$3" deadline
  rs_same_process "$pid" "$start" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$(( $(rs_now_ms) + timeout * 1000 ))
  while rs_same_process "$pid" "$start"; do
    if [ "$(rs_now_ms)" -ge "$deadline" ]; then
      rs_log "pid $pid did not exit within ${timeout}s of SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      deadline=$(( $(rs_now_ms) + 5000 ))
      while rs_same_process "$pid" "$start"; do
        [ "$(rs_now_ms)" -ge "$deadline" ] && return 1
        sleep 0.1
      done
      return 0
    fi
    sleep 0.1
  done
}

# rs_session_members SID prints the PIDs of live processes in session SID.
rs_session_members() {
  ps -e -o pid=,sid=,stat= | awk -v sid="$1" '$2 == sid && $3 !~ /^Z/ { print $1 }'
}

# rs_wait_session_gone SID TIMEOUT waits up to TIMEOUT seconds for every
# process of session SID to exit, then sends SIGKILL to those left (they
# belong to the session a recorded server created, so they are its
# children). Succeeds when none is left.
rs_wait_session_gone() {
  local sid="$1" deadline=$(( $(rs_now_ms) + $2 * 1000 )) left
  while left="$(rs_session_members "$sid")" && [ -n "$left" ]; do
    if [ "$(rs_now_ms)" -ge "$deadline" ]; then
      rs_log "session $sid still has processes after ${2}s: $(echo "$left" | paste -sd' '); sending SIGKILL"
      # shellcheck disable=SC2086  # one PID per word
      kill -KILL $left 2>/dev/null || true
      sleep 0.5
      [ -z "$(rs_session_members "$sid")" ]
      return
    fi
    sleep 0.1
  done
}
