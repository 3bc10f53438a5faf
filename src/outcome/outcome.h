// mailshake::outcome: the one vocabulary in which bench, cert and probe name
// how an attempt ended, and its mapping to RFC 8460's TLS-RPT result types.
//
// A category is "ok" or a failure such as "timeout:banner",
// "tls_alert:certificate_required" or "certificate_rejected:Hostname_mismatch"
// (the list is in README.md and src/report/SCHEMA.md). The SMTP failures come
// from smtp::FailureCategory; the ones below classify what the operating
// system and BoringSSL report, the same way in every phase: a TLS alert keeps
// its name whether it arrives during the handshake or after it.
//
//   int rc = SSL_read(ssl, buf, len);
//   int ssl_error = SSL_get_error(ssl, rc);
//   int saved_errno = errno;
//   std::string category =
//       outcome::TlsFailureCategory(ssl, ssl_error, saved_errno, "post_tls");
//   ERR_clear_error();

#ifndef MAILSHAKE_SRC_OUTCOME_OUTCOME_H_
#define MAILSHAKE_SRC_OUTCOME_OUTCOME_H_

#include <openssl/ssl.h>

#include <string>

#include "absl/strings/string_view.h"

namespace mailshake::outcome {

// ErrnoCategory names the system-call error |err| (an errno value) that ended
// an attempt in |phase| ("connect", "banner", ..., "tls", "post_tls"):
// "connect_refused", "connect_timeout" (ETIMEDOUT while connecting),
// "timeout:<phase>", "reset:<phase>", "closed_by_server:<phase>" (EPIPE),
// "local_resource:<errno name>" for a shortage on our side (EMFILE, ENOBUFS,
// ...), and otherwise "connect_error:<errno name>" while connecting or
// "io_error:<errno name>", errno names in lower case.
std::string ErrnoCategory(int err, absl::string_view phase);

// CertificateRejectedCategory returns "certificate_rejected:<reason>" for the
// X.509 verification error |x509_error| (X509_V_ERR_*), the reason being
// BoringSSL's text for it with spaces as underscores (e.g.
// "certificate_rejected:Hostname_mismatch").
std::string CertificateRejectedCategory(long x509_error);

// TlsFailureCategory names the failure of a TLS call on |ssl| (the handshake,
// or a read or write after it) that made SSL_get_error return |ssl_error|,
// |saved_errno| being errno right after the call, in |phase|. In order:
// "certificate_rejected:<reason>" when our verification refused the peer's
// chain, "tls_alert:<name>" when the peer sent an alert (e.g.
// "tls_alert:certificate_required", also after the handshake),
// "tls_error:<BoringSSL reason>" from the error queue, ErrnoCategory for a
// failed system call, and "closed_by_server:<phase>" when the peer just went
// away. |ssl| must come from tls::NewClientContext or tls::NewServerContext
// (their callbacks record alerts and verification errors). The error queue is
// read, not cleared.
std::string TlsFailureCategory(const SSL* ssl, int ssl_error, int saved_errno,
                               absl::string_view phase);

// AlertName returns the name of the TLS alert |description| as categories use
// it: BoringSSL's long name in lower case with spaces as underscores
// ("certificate_required", "handshake_failure").
std::string AlertName(uint8_t description);

// Rfc8460ResultType returns the TLS-RPT result type (RFC 8460 section 4.3)
// that a sending MTA would report for an attempt that ended in |category|,
// or "" when none applies (success, and failures that are not TLS
// negotiation failures: connecting, SMTP replies before STARTTLS, timeouts
// outside the handshake, local resources):
//   starttls_not_offered, starttls_refused:*      starttls-not-supported
//   certificate_rejected:Hostname_mismatch         certificate-host-mismatch
//   certificate_rejected:certificate_has_expired   certificate-expired
//   certificate_rejected: for an untrusted chain   certificate-not-trusted
//     (self-signed leaf or chain, unknown or missing issuer, untrusted)
//   any other certificate_rejected:*, tls_alert:*, validation-failure
//   tls_error:*, and reset:tls, timeout:tls,
//   closed_by_server:tls (the handshake failed)
absl::string_view Rfc8460ResultType(absl::string_view category);

}  // namespace mailshake::outcome

#endif  // MAILSHAKE_SRC_OUTCOME_OUTCOME_H_
