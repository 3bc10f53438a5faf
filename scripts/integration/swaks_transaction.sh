# swaks --tls completes a whole transaction (EHLO, STARTTLS, EHLO, MAIL, RCPT,
# DATA, QUIT) against `mailshake serve`, and the server counts the message.
source "$(dirname "$0")/lib.bash"
start_server --self-signed p256
timeout 30 swaks --server "127.0.0.1:$smtp_port" --tls --timeout 10 \
  --from sender@client.test --to rcpt@mx.test --helo client.test \
  --body "hello from the integration test" >"$work/swaks.out" 2>&1 \
  || { cat "$work/swaks.out" >&2; fail "swaks failed"; }
expect_line "$work/swaks.out" "<-  220 .*Ready to start TLS"
expect_line "$work/swaks.out" "<~  250 .*"
expect_line "$work/swaks.out" "<~  221 "
# Implicit TLS (port-465 style) too.
timeout 30 swaks --server "127.0.0.1:$smtps_port" --tlsc --timeout 10 \
  --from sender@client.test --to rcpt@mx.test >"$work/swaks465.out" 2>&1 \
  || { cat "$work/swaks465.out" >&2; fail "swaks --tlsc failed"; }
stop_server
expect_line "$work/server.out" "messages 2,"
expect_line "$work/server.out" "closed:.*quit=2"
