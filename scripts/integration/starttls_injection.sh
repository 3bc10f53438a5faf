# Plaintext pipelined behind STARTTLS in one write is discarded, never
# executed: the server answers STARTTLS with 220 and nothing for the NOOP.
source "$(dirname "$0")/lib.bash"
start_server --self-signed p256 --tls-timeout 2s
exec 3<>"/dev/tcp/127.0.0.1/$smtp_port"
# One write() for all three commands (dd writes each block it reads at once;
# a shell's printf may flush line by line).
printf 'EHLO client.test\r\nSTARTTLS\r\nNOOP\r\n' >"$work/payload"
dd bs=4096 status=none <"$work/payload" >&3
timeout 4 cat <&3 >"$work/replies.txt" || true
exec 3>&-
expect_line "$work/replies.txt" "^220 .*ESMTP"
expect_line "$work/replies.txt" "^250[- ]STARTTLS"
last="$(tail -1 "$work/replies.txt" | tr -d '\r')"
case "$last" in
  "220 "*) ;;
  *) cat "$work/replies.txt" >&2; fail "the injected NOOP was answered: last reply '$last'" ;;
esac
[ "$(grep -c '^250 ' "$work/replies.txt")" -eq 1 ] || fail "more than the EHLO reply was 250"
stop_server
expect_line "$work/server.out" "pipelined plaintext discarded after STARTTLS 6 bytes"
expect_line "$work/server.out" "timeout_tls=1"
