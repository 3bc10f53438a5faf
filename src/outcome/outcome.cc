#include "src/outcome/outcome.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <string.h>

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "src/tls/tls.h"

namespace mailshake::outcome {
namespace {

std::string ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  return absl::AsciiStrToLower(name != nullptr ? name : "unknown");
}

}  // namespace

std::string ErrnoCategory(int err, absl::string_view phase) {
  const bool connecting = phase == "connect";
  switch (err) {
    case ECONNREFUSED:
      return "connect_refused";
    case ETIMEDOUT:
      return connecting ? "connect_timeout" : absl::StrCat("timeout:", phase);
    case ECONNRESET:
      return absl::StrCat("reset:", phase);
    case EPIPE:
      return absl::StrCat("closed_by_server:", phase);
    case EADDRNOTAVAIL:
    case EADDRINUSE:
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
      return absl::StrCat("local_resource:", ErrnoName(err));
    default:
      return absl::StrCat(connecting ? "connect_error:" : "io_error:", ErrnoName(err));
  }
}

std::string CertificateRejectedCategory(long x509_error) {
  return absl::StrCat("certificate_rejected:",
                      absl::StrReplaceAll(X509_verify_cert_error_string(x509_error), {{" ", "_"}}));
}

std::string AlertName(uint8_t description) {
  return absl::StrReplaceAll(absl::AsciiStrToLower(SSL_alert_desc_string_long(description)),
                             {{" ", "_"}});
}

std::string TlsFailureCategory(const SSL* ssl, int ssl_error, int saved_errno,
                               absl::string_view phase) {
  const long verify = tls::LastVerifyError(ssl);
  if (verify != X509_V_OK) return CertificateRejectedCategory(verify);
  const std::optional<tls::Alert> alert = tls::LastAlert(ssl);
  if (alert.has_value() && !alert->sent) {
    return absl::StrCat("tls_alert:", AlertName(alert->description));
  }
  if (const uint32_t packed = ERR_peek_error(); packed != 0) {
    const char* reason = ERR_reason_error_string(packed);
    return absl::StrCat("tls_error:", reason != nullptr ? reason : "unknown");
  }
  if (ssl_error == SSL_ERROR_SYSCALL && saved_errno != 0) {
    return ErrnoCategory(saved_errno, phase);
  }
  return absl::StrCat("closed_by_server:", phase);
}

absl::string_view Rfc8460ResultType(absl::string_view category) {
  if (category == "starttls_not_offered" || absl::StartsWith(category, "starttls_refused:")) {
    return "starttls-not-supported";
  }
  if (absl::StartsWith(category, "certificate_rejected:")) {
    // One source for the reasons: the same function that names them.
    static const struct {
      long error;
      absl::string_view type;
    } kTypes[] = {
        {X509_V_ERR_HOSTNAME_MISMATCH, "certificate-host-mismatch"},
        {X509_V_ERR_IP_ADDRESS_MISMATCH, "certificate-host-mismatch"},
        {X509_V_ERR_CERT_HAS_EXPIRED, "certificate-expired"},
        {X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, "certificate-not-trusted"},
        {X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, "certificate-not-trusted"},
        {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, "certificate-not-trusted"},
        {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, "certificate-not-trusted"},
        {X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, "certificate-not-trusted"},
        {X509_V_ERR_CERT_UNTRUSTED, "certificate-not-trusted"},
        {X509_V_ERR_CERT_REJECTED, "certificate-not-trusted"},
    };
    for (const auto& t : kTypes) {
      if (category == CertificateRejectedCategory(t.error)) return t.type;
    }
    return "validation-failure";
  }
  if (absl::StartsWith(category, "tls_alert:") || absl::StartsWith(category, "tls_error:") ||
      category == "reset:tls" || category == "timeout:tls" || category == "closed_by_server:tls") {
    return "validation-failure";
  }
  return "";
}

}  // namespace mailshake::outcome
