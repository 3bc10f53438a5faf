// Private to //src/probe: client-initiated renegotiation on a finished TLS 1.2
// connection (NCSC-NL 2025-05 3.4.2; internet.nl grades a server that lets
// clients renegotiate). BoringSSL clients never start a renegotiation, so
// this writes the renegotiating ClientHello itself, encrypted under the
// connection's keys (AES-GCM suites only: RFC 5288 record protection is a
// few lines), and reads the server's answer record by record: a ServerHello
// means the server renegotiates; an alert, a close, a reset or silence means
// it does not.

#ifndef MAILSHAKE_SRC_PROBE_RENEGOTIATION_H_
#define MAILSHAKE_SRC_PROBE_RENEGOTIATION_H_

#include <openssl/ssl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace mailshake::probe::internal {

// kRenegotiationCiphers is the TLS 1.2 cipher list (tls::ClientConfig syntax) a
// connection for |TryClientRenegotiation| must be made with.
inline constexpr char kRenegotiationCiphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256,ECDHE-RSA-AES128-GCM-SHA256,"
    "ECDHE-ECDSA-AES256-GCM-SHA384,ECDHE-RSA-AES256-GCM-SHA384";

struct RenegotiationAttempt {
  // "ok" when the server's answer was read (or it stayed silent until
  // |deadline|); otherwise why the attempt could not be judged
  // ("not_applicable:..." when the connection is not TLS 1.2 with an AES-GCM
  // suite, "protocol_violation:..." for a record that does not decrypt, ...).
  std::string outcome = "not_run";
  std::optional<bool> accepted;  // set when |outcome| is "ok"
  std::string detail;            // what came back, for evidence
  std::vector<std::string> evidence;
};

// TryClientRenegotiation sends a renegotiating ClientHello on |ssl|'s
// connection (socket |fd|, nothing read or written since the handshake
// finished except what the server may have sent) and reads the answer until
// |deadline|, skipping application data (an implicit-TLS banner). It never
// completes the renegotiation; the connection is unusable afterwards.
RenegotiationAttempt TryClientRenegotiation(SSL* ssl, int fd, absl::Time deadline);

}  // namespace mailshake::probe::internal

#endif  // MAILSHAKE_SRC_PROBE_RENEGOTIATION_H_
