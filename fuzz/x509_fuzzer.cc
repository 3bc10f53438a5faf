// Fuzzes ParseCertificate. Every input must either be rejected with a
// "<field> at offset N: <defect>" error whose offset lies inside the input,
// or be accepted with every DER span inside its parent, the top-level spans
// reassembling the input, FindExtension finding each extension, and every
// consumer (summary, text, JSON, host-name matching) working on the result:
// the summary of the certificate alone or followed by itself (in order
// exactly when self-issued), matching the name dialled (its first iPAddress
// SAN when it has one).

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "fuzz/fuzz_check.h"
#include "src/x509/summary.h"
#include "src/x509/x509.h"

namespace {

using mailshake::x509::Certificate;

bool Inside(absl::string_view child, absl::string_view parent) {
  return child.data() >= parent.data() &&
         child.data() + child.size() <= parent.data() + parent.size();
}

void CheckRejection(const absl::Status& status, size_t size) {
  const absl::string_view message = status.message();
  FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument, "%s",
             std::string(message).c_str());
  const size_t at = message.find(" at offset ");
  FUZZ_CHECK(at != absl::string_view::npos && at > 0, "%s",
             std::string(message).c_str());
  absl::string_view rest = message.substr(at + 11);
  const size_t colon = rest.find(':');
  FUZZ_CHECK(colon != absl::string_view::npos, "%s",
             std::string(message).c_str());
  size_t offset = 0;
  FUZZ_CHECK(absl::SimpleAtoi(rest.substr(0, colon), &offset), "%s",
             std::string(message).c_str());
  FUZZ_CHECK(offset <= size, "offset %zu beyond input of %zu bytes", offset,
             size);
}

void CheckSpans(const Certificate& cert, absl::string_view input) {
  FUZZ_CHECK(cert.der.data() == input.data() && cert.der.size() == input.size(),
             "certificate span is not the input");
  // tbs, signatureAlgorithm and signatureValue follow the outer header back
  // to back and end exactly at the end of the input.
  const size_t body = cert.tbs_der.size() + cert.signature_algorithm_der.size() +
                      cert.signature_value_der.size();
  FUZZ_CHECK(body < input.size(), "body larger than input");
  const size_t header = input.size() - body;
  FUZZ_CHECK(header >= 2 && header <= 6, "outer header of %zu bytes", header);
  FUZZ_CHECK(cert.tbs_der.data() == input.data() + header, "tbs misplaced");
  FUZZ_CHECK(cert.signature_algorithm_der.data() ==
                 cert.tbs_der.data() + cert.tbs_der.size(),
             "signatureAlgorithm does not follow tbs");
  FUZZ_CHECK(cert.signature_value_der.data() ==
                 cert.signature_algorithm_der.data() +
                     cert.signature_algorithm_der.size(),
             "signatureValue does not follow signatureAlgorithm");
  FUZZ_CHECK(absl::StrCat(input.substr(0, header), cert.tbs_der,
                          cert.signature_algorithm_der,
                          cert.signature_value_der) == input,
             "spans do not reassemble the input");
  FUZZ_CHECK(Inside(cert.signature, cert.signature_value_der), "signature");
  FUZZ_CHECK(cert.tbs_der[0] == 0x30 && cert.issuer.der[0] == 0x30 &&
                 cert.subject.der[0] == 0x30 &&
                 cert.public_key.spki_der[0] == 0x30,
             "a SEQUENCE span does not start with a SEQUENCE tag");
  FUZZ_CHECK(Inside(cert.issuer.der, cert.tbs_der), "issuer");
  FUZZ_CHECK(Inside(cert.subject.der, cert.tbs_der), "subject");
  FUZZ_CHECK(Inside(cert.public_key.spki_der, cert.tbs_der), "spki");
  FUZZ_CHECK(Inside(cert.serial, cert.tbs_der) && !cert.serial.empty(),
             "serial");
  FUZZ_CHECK(cert.issuer.der.data() < cert.subject.der.data(),
             "issuer after subject");
  FUZZ_CHECK(cert.subject.der.data() + cert.subject.der.size() <=
                 cert.public_key.spki_der.data(),
             "subject overlaps spki");
  FUZZ_CHECK(cert.extensions.size() <= mailshake::x509::kMaxExtensions,
             "too many extensions");
  FUZZ_CHECK(cert.subject_alt_names.size() <=
                 mailshake::x509::kMaxSubjectAltNames,
             "too many SANs");
  const char* previous_end = cert.public_key.spki_der.data() +
                             cert.public_key.spki_der.size();
  for (size_t i = 0; i < cert.extensions.size(); ++i) {
    const mailshake::x509::Extension& ext = cert.extensions[i];
    FUZZ_CHECK(Inside(ext.der, cert.tbs_der), "extension %s", ext.oid.c_str());
    FUZZ_CHECK(Inside(ext.value, ext.der), "extension value %s",
               ext.oid.c_str());
    FUZZ_CHECK(ext.der.data() >= previous_end, "extensions out of order");
    previous_end = ext.der.data() + ext.der.size();
    // OIDs are unique (no duplicate accepted), so each extension is the one
    // FindExtension finds for its OID.
    FUZZ_CHECK(cert.FindExtension(ext.oid) == &ext,
               "duplicate %s accepted, or FindExtension found another",
               ext.oid.c_str());
  }
  // FindExtension and the decoded fields agree on which extensions exist.
  FUZZ_CHECK((cert.FindExtension("2.5.29.17") != nullptr) ==
                     cert.has_subject_alt_name &&
                 (cert.FindExtension("2.5.29.19") != nullptr) ==
                     cert.basic_constraints.has_value(),
             "FindExtension disagrees with the subjectAltName or "
             "basicConstraints field");
  if (cert.subject_key_id) {
    FUZZ_CHECK(Inside(*cert.subject_key_id, cert.tbs_der), "ski");
  }
  if (cert.authority_key_id) {
    FUZZ_CHECK(Inside(*cert.authority_key_id, cert.tbs_der), "aki");
  }
  FUZZ_CHECK(cert.version >= 1 && cert.version <= 3, "version %d",
             cert.version);
  FUZZ_CHECK(cert.extensions.empty() || cert.version == 3,
             "extensions in a v%d certificate", cert.version);
}

// SelfMatchChecked says whether the harness checks that SAN |i| of |count|
// (DNS or IP) matches itself. Each check walks the SANs before it, so checking
// every one is quadratic: a 1024-name certificate cost ~10 ms per run, most
// of a campaign. Lists up to kAllSelfMatches are checked whole; longer ones
// at their first and last kSelfMatchWindow names (which walks every SAN
// before them) and at a window that moves with the input (|salt|), so that
// across a campaign every position is checked.
constexpr size_t kAllSelfMatches = 192;
constexpr size_t kSelfMatchWindow = 64;
bool SelfMatchChecked(size_t i, size_t count, size_t salt) {
  if (count <= kAllSelfMatches) return true;
  const size_t start = salt % count;
  return i < kSelfMatchWindow || i + kSelfMatchWindow >= count ||
         (i >= start && i < start + kSelfMatchWindow);
}

// CheckConsumers checks the summary of |chain| (the parsed certificate,
// alone or followed by a second parse of it) and host-name matching on its
// first certificate.
void CheckConsumers(const std::vector<Certificate>& chain, size_t salt) {
  using mailshake::x509::GeneralName;
  const Certificate& cert = chain.front();
  mailshake::x509::SummaryOptions options;
  options.now = absl::FromUnixSeconds(1800000000);
  // The name dialled: the first iPAddress SAN's address when there is one,
  // which the summary must report as matched by that SAN.
  const GeneralName* ip_san = nullptr;
  for (const GeneralName& name : cert.subject_alt_names) {
    if (name.type == GeneralName::Type::kIp) {
      ip_san = &name;
      break;
    }
  }
  options.host_name = ip_san != nullptr ? ip_san->value : "mail.example.com";
  const mailshake::x509::Summary summary =
      chain.size() == 1 ? mailshake::x509::Summarize(cert, options)
                        : mailshake::x509::Summarize(chain, options);
  FUZZ_CHECK(!mailshake::x509::FormatText(summary).empty(), "empty text");
  // dump() throws on invalid UTF-8; every string we produce must be valid.
  FUZZ_CHECK(!mailshake::x509::ToJson(summary).dump().empty(), "empty JSON");
  if (ip_san != nullptr) {
    FUZZ_CHECK(summary.name_match.has_value() && summary.name_match->matched &&
                   summary.name_match->source ==
                       mailshake::x509::NameMatchSource::kSanIp,
               "the summary does not match %s to its iPAddress SAN",
               ip_san->value.c_str());
  }
  // A certificate followed by itself is in order exactly when it issued
  // itself; the root issuer is the last certificate's issuer.
  const bool self_signed = mailshake::x509::IsSelfSigned(cert);
  const bool ordered = chain.size() == 1 || self_signed;
  const bool warned =
      std::find_if(summary.warnings.begin(), summary.warnings.end(),
                   [](const std::string& w) {
                     return absl::StartsWith(w, "chain is not in order");
                   }) != summary.warnings.end();
  FUZZ_CHECK(summary.chain_length == chain.size() &&
                 summary.chain_ordered == ordered && warned == !ordered &&
                 summary.self_signed == self_signed &&
                 summary.chain_ends_at_root == self_signed &&
                 summary.root_issuer == chain.back().issuer.ToString(),
             "chain of %zu: ordered %d (want %d), warned %d, ends at root %d, "
             "self-signed %d",
             chain.size(), summary.chain_ordered, ordered, warned,
             summary.chain_ends_at_root, self_signed);

  const size_t count = cert.subject_alt_names.size();
  for (size_t i = 0; i < count; ++i) {
    const mailshake::x509::GeneralName& name = cert.subject_alt_names[i];
    const bool check_match = SelfMatchChecked(i, count, salt);
    if (name.type == mailshake::x509::GeneralName::Type::kIp) {
      FUZZ_CHECK(name.ip.size() == 4 || name.ip.size() == 16, "ip size");
      FUZZ_CHECK(!check_match ||
                     mailshake::x509::MatchHostName(cert, name.value).matched,
                 "IP SAN %s does not match itself", name.value.c_str());
      continue;
    }
    if (name.type != mailshake::x509::GeneralName::Type::kDns || !check_match) {
      continue;
    }
    // A presented name that is a valid reference matches itself.
    if (mailshake::x509::MatchDnsPattern(name.value, name.value) &&
        !mailshake::x509::ParseIpAddress(name.value).has_value()) {
      FUZZ_CHECK(mailshake::x509::MatchHostName(cert, name.value).matched,
                 "DNS SAN %s does not match itself", name.value.c_str());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<Certificate> cert = mailshake::x509::ParseCertificate(input);
  if (!cert.ok()) {
    CheckRejection(cert.status(), size);
    return 0;
  }
  CheckSpans(*cert, input);
  // (The salt: a cheap mix of the input's length and last octets.)
  size_t salt = size;
  for (size_t i = size > 8 ? size - 8 : 0; i < size; ++i) salt = salt * 131 + data[i];
  // Parsing is a pure function of the bytes, wherever they live.
  const std::string copy(input);
  absl::StatusOr<Certificate> again = mailshake::x509::ParseCertificate(copy);
  FUZZ_CHECK(again.ok(), "second parse failed");
  FUZZ_CHECK(again->subject.ToString() == cert->subject.ToString() &&
                 again->issuer.ToString() == cert->issuer.ToString() &&
                 again->subject_alt_names.size() ==
                     cert->subject_alt_names.size(),
             "second parse differs");
  // The consumers see the certificate alone or, for half the inputs, as a
  // chain of two: it and its second parse.
  std::vector<Certificate> chain;
  chain.push_back(*std::move(cert));
  if (salt % 2 == 0) chain.push_back(*std::move(again));
  CheckConsumers(chain, salt);
  return 0;
}
