// PEM loading and CertificateChain.

#include <openssl/base64.h>

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/x509/der.h"
#include "src/x509/x509.h"

namespace mailshake::x509 {
namespace {

constexpr absl::string_view kBegin = "-----BEGIN ";
constexpr absl::string_view kEnd = "-----END ";
constexpr absl::string_view kDashes = "-----";

// Returns the label of a "-----BEGIN label-----" / "-----END label-----"
// line, or nullopt if |line| is not one.
std::optional<absl::string_view> BoundaryLabel(absl::string_view line,
                                              absl::string_view prefix) {
  if (!absl::StartsWith(line, prefix) || !absl::EndsWith(line, kDashes) ||
      line.size() < prefix.size() + kDashes.size()) {
    return std::nullopt;
  }
  return line.substr(prefix.size(),
                     line.size() - prefix.size() - kDashes.size());
}

bool IsBase64Char(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '+' ||
         c == '/' || c == '=';
}

}  // namespace

absl::StatusOr<std::vector<std::string>> DecodePemCertificates(
    absl::string_view pem) {
  if (pem.size() > kMaxPemBytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "PEM input is %d bytes, more than the %d-byte limit", pem.size(),
        kMaxPemBytes));
  }
  std::vector<std::string> out;
  std::optional<absl::string_view> open_label;  // inside a block when set
  size_t open_line = 0;
  std::string base64;
  size_t line_number = 0;
  while (!pem.empty()) {
    const size_t newline = pem.find('\n');
    absl::string_view line = pem.substr(0, newline);
    pem.remove_prefix(newline == absl::string_view::npos ? pem.size()
                                                        : newline + 1);
    ++line_number;
    line = absl::StripAsciiWhitespace(line);  // also drops a CR

    if (!open_label.has_value()) {
      if (std::optional<absl::string_view> label = BoundaryLabel(line, kBegin)) {
        open_label = label;
        open_line = line_number;
        base64.clear();
      }
      continue;
    }
    if (std::optional<absl::string_view> label = BoundaryLabel(line, kEnd)) {
      if (*label != *open_label) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "PEM line %d: END %s does not close BEGIN %s from line %d",
            line_number, *label, *open_label, open_line));
      }
      if (*label == "CERTIFICATE") {
        if (out.size() == kMaxPemCertificates) {
          return absl::InvalidArgumentError(absl::StrCat(
              "more than ", kMaxPemCertificates, " PEM certificates"));
        }
        size_t max_len;
        if (!EVP_DecodedLength(&max_len, base64.size())) {
          return absl::InvalidArgumentError(absl::StrFormat(
              "PEM certificate %d (line %d): base64 length %d is not a "
              "multiple of 4",
              out.size() + 1, open_line, base64.size()));
        }
        std::string der(max_len, '\0');
        size_t len = 0;
        if (!EVP_DecodeBase64(reinterpret_cast<uint8_t*>(der.data()), &len,
                              max_len,
                              reinterpret_cast<const uint8_t*>(base64.data()),
                              base64.size())) {
          return absl::InvalidArgumentError(absl::StrFormat(
              "PEM certificate %d (line %d): invalid base64 (bad padding or "
              "length)",
              out.size() + 1, open_line));
        }
        der.resize(len);
        if (der.empty()) {
          return absl::InvalidArgumentError(absl::StrFormat(
              "PEM certificate %d (line %d) is empty", out.size() + 1,
              open_line));
        }
        out.push_back(std::move(der));
      }
      open_label.reset();
      continue;
    }
    if (BoundaryLabel(line, kBegin).has_value()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "PEM line %d: BEGIN inside the %s block opened on line %d",
          line_number, *open_label, open_line));
    }
    if (*open_label != "CERTIFICATE") continue;
    for (char c : line) {
      if (!IsBase64Char(c)) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "PEM certificate %d, line %d: invalid base64 character 0x%02x",
            out.size() + 1, line_number, static_cast<unsigned char>(c)));
      }
    }
    if (base64.size() + line.size() > 2 * kMaxCertificateBytes) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "PEM certificate %d (line %d) is larger than the %d-byte limit",
          out.size() + 1, open_line, kMaxCertificateBytes));
    }
    absl::StrAppend(&base64, line);
  }
  if (open_label.has_value()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "PEM block %s opened on line %d has no END line (truncated?)",
        *open_label, open_line));
  }
  if (out.empty()) {
    return absl::InvalidArgumentError(
        "no -----BEGIN CERTIFICATE----- block found");
  }
  return out;
}

absl::StatusOr<CertificateChain> CertificateChain::FromDer(
    std::vector<std::string> ders) {
  if (ders.empty()) {
    return absl::InvalidArgumentError("no certificates");
  }
  CertificateChain chain;
  chain.ders_ = std::move(ders);
  chain.certificates_.reserve(chain.ders_.size());
  for (size_t i = 0; i < chain.ders_.size(); ++i) {
    absl::StatusOr<Certificate> cert = ParseCertificate(chain.ders_[i]);
    if (!cert.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "certificate ", i + 1, " of ", chain.ders_.size(), ": ",
          cert.status().message()));
    }
    chain.certificates_.push_back(*std::move(cert));
  }
  return chain;
}

absl::StatusOr<CertificateChain> CertificateChain::FromPem(
    absl::string_view pem) {
  absl::StatusOr<std::vector<std::string>> ders = DecodePemCertificates(pem);
  if (!ders.ok()) return ders.status();
  return FromDer(*std::move(ders));
}

absl::StatusOr<CertificateChain> CertificateChain::FromFileContents(
    absl::string_view contents) {
  if (absl::StrContains(contents, "-----BEGIN")) return FromPem(contents);
  std::vector<std::string> ders;
  ders.emplace_back(contents);
  return FromDer(std::move(ders));
}

// --- chains -------------------------------------------------------------------

bool IsIssuedBy(const Certificate& child, const Certificate& parent) {
  if (!NamesEqual(child.issuer, parent.subject)) return false;
  if (child.authority_key_id.has_value() &&
      parent.subject_key_id.has_value() &&
      *child.authority_key_id != *parent.subject_key_id) {
    return false;
  }
  return true;
}

bool IsSelfSigned(const Certificate& cert) { return IsIssuedBy(cert, cert); }

ChainAnalysis AnalyzeChain(absl::Span<const Certificate> chain) {
  ChainAnalysis result;
  if (chain.empty()) {
    result.ordered = false;
    return result;
  }
  for (size_t i = 0; i + 1 < chain.size(); ++i) {
    if (!IsIssuedBy(chain[i], chain[i + 1])) {
      result.ordered = false;
      result.broken_links.push_back(i);
    }
  }
  result.leaf_self_signed = IsSelfSigned(chain.front());
  result.ends_at_self_signed_root = IsSelfSigned(chain.back());
  return result;
}

}  // namespace mailshake::x509
