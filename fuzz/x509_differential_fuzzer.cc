// Differential fuzzing: mailshake's ParseCertificate against BoringSSL's
// d2i_X509 and its accessors.
//
// Where the two may legitimately disagree, the difference is one of the named
// rules below; anything else aborts.
//
// We reject, BoringSSL accepts (kStricterRules; we are stricter on purpose):
//   - der-length:       non-minimal or indefinite length encodings. BoringSSL
//                       API 17's template decoder (d2i_X509) still accepts
//                       BER lengths; CBS does not (found by the replay of
//                       malformed-non-minimal-length.der).
//   - der-default:      DEFAULT values encoded (v1, critical FALSE, cA FALSE,
//                       PSS defaults).
//   - der-bitstring:    keyUsage with trailing zero bits or padding.
//   - strings:          invalid UTF-8, PrintableString/IA5/Numeric
//                       charset violations, NUL in any name string, odd
//                       BMPString, bad UniversalString, unsupported string
//                       types, countryName not 2-letter PrintableString,
//                       emailAddress/DC not IA5String.
//   - rfc5280-time:     GeneralizedTime before 2050, offsets, fractions,
//                       out-of-range fields (BoringSSL 17 is lenient on some).
//   - extension-syntax: we decode more extensions eagerly (AIA, CRLDP,
//                       policies, AKI, EKU, SAN, SCT) and reject malformed
//                       ones, duplicates, empty lists and duplicate policies;
//                       BoringSSL decodes extensions lazily.
//   - key-syntax:       SPKI checks (RSA NULL parameters, EC namedCurve only,
//                       point length, EdDSA key length, zero/negative RSA
//                       integers) that d2i_X509 defers to X509_get_pubkey.
//   - algorithm:        signature parameters that must be NULL/absent;
//                       parameters that are not exactly one element.
//   - bounds:           our size and count limits.
//   - names:            empty RDNs, RDN/attribute counts.
//   - unique-ids:       issuer/subjectUniqueID in a v1 certificate.
//
// Both accept, accessors may differ (kKeyRules):
//   - ec-point:         we check only the encoded point's length, not that it
//                       lies on the curve, so X509_get_pubkey may fail.
//   - rsa-key-checks:   BoringSSL's RSA public key checks (e.g. modulus size
//                       limits, even modulus, bad exponent) may refuse a key we
//                       report.

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/bytestring.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/mem.h>
#include <openssl/obj.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "fuzz/fuzz_check.h"
#include "src/x509/x509.h"

namespace {

using mailshake::x509::Certificate;
using mailshake::x509::GeneralName;
using mailshake::x509::KeyType;
using mailshake::x509::Name;

struct Rule {
  const char* name;
  const char* message_substring;
};

// Our error messages that mark a rule from the header comment.
constexpr Rule kStricterRules[] = {
    {"der-length", "non-minimal length encoding"},
    {"der-length", "indefinite length"},
    {"der-default", "DEFAULT"},
    {"der-default", "version must be v2 or v3"},
    {"der-bitstring", "keyUsage"},
    {"der-bitstring", "BIT STRING"},
    {"strings", "UTF8String"},
    {"strings", "PrintableString"},
    {"strings", "IA5String"},
    {"strings", "NumericString"},
    {"strings", "TeletexString"},
    {"strings", "BMPString"},
    {"strings", "UniversalString"},
    {"strings", "unsupported string type"},
    {"strings", "countryName"},
    {"strings", "must be an IA5String"},
    {"rfc5280-time", "UTCTime"},
    {"rfc5280-time", "GeneralizedTime"},
    {"extension-syntax", "tbsCertificate.extensions"},
    {"key-syntax", "tbsCertificate.subjectPublicKeyInfo"},
    {"algorithm", ".parameters"},
    {"algorithm", "signatureAlgorithm"},
    {"algorithm", "tbsCertificate.signature"},
    {"bounds", "more than"},
    {"names", "RelativeDistinguishedName"},
    {"names", "tbsCertificate.issuer"},
    {"names", "tbsCertificate.subject"},
    {"unique-ids", "UniqueID"},
    // CBS rejects OIDs BoringSSL's older ASN1_OBJECT decoder keeps.
    {"der-oid", "OBJECT IDENTIFIER"},
    // Serial numbers: BoringSSL 17 tolerates a non-minimal INTEGER.
    {"der-integer", "INTEGER is not minimally encoded"},
};

const char* StricterRule(absl::string_view message) {
  for (const Rule& rule : kStricterRules) {
    if (absl::StrContains(message, rule.message_substring)) return rule.name;
  }
  return nullptr;
}

std::string ObjText(const ASN1_OBJECT* obj) {
  char buf[256];
  const int n = OBJ_obj2txt(buf, sizeof(buf), obj, /*always_return_oid=*/1);
  if (n < 0 || static_cast<size_t>(n) >= sizeof(buf)) return "";
  return std::string(buf, n);
}

std::string ToUtf8(const ASN1_STRING* s) {
  unsigned char* out = nullptr;
  const int n = ASN1_STRING_to_UTF8(&out, s);
  if (n < 0) return "<conversion failed>";
  std::string result(reinterpret_cast<char*>(out), n);
  OPENSSL_free(out);
  return result;
}

void CompareNames(const Name& ours, const X509_NAME* theirs,
                  const char* which) {
  std::vector<const mailshake::x509::Attribute*> flat;
  for (const auto& rdn : ours.rdns) {
    for (const auto& attr : rdn.attributes) flat.push_back(&attr);
  }
  const int count = X509_NAME_entry_count(theirs);
  FUZZ_CHECK(static_cast<size_t>(count) == flat.size(),
             "%s: %zu attributes, BoringSSL %d", which, flat.size(), count);
  for (int i = 0; i < count; ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(theirs, i);
    const std::string oid = ObjText(X509_NAME_ENTRY_get_object(entry));
    FUZZ_CHECK(oid == flat[i]->oid, "%s[%d]: OID %s vs BoringSSL %s", which,
               i, flat[i]->oid.c_str(), oid.c_str());
    const std::string value = ToUtf8(X509_NAME_ENTRY_get_data(entry));
    FUZZ_CHECK(value == flat[i]->value, "%s[%d]: value '%s' vs BoringSSL '%s'",
               which, i, flat[i]->value.c_str(), value.c_str());
  }
}

void CompareSans(const Certificate& ours, X509* theirs) {
  int critical = -1;
  GENERAL_NAMES* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(theirs, NID_subject_alt_name, &critical, nullptr));
  if (!ours.has_subject_alt_name) {
    FUZZ_CHECK(names == nullptr, "BoringSSL found a SAN we did not");
    return;
  }
  FUZZ_CHECK(names != nullptr, "BoringSSL cannot decode a SAN we accepted");
  const size_t n = sk_GENERAL_NAME_num(names);
  FUZZ_CHECK(n == ours.subject_alt_names.size(), "SAN count %zu vs %zu",
             ours.subject_alt_names.size(), n);
  for (size_t i = 0; i < n; ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
    const GeneralName& mine = ours.subject_alt_names[i];
    const ASN1_STRING* s = nullptr;
    switch (gn->type) {
      case GEN_DNS:
        FUZZ_CHECK(mine.type == GeneralName::Type::kDns, "SAN %zu type", i);
        s = gn->d.dNSName;
        break;
      case GEN_EMAIL:
        FUZZ_CHECK(mine.type == GeneralName::Type::kEmail, "SAN %zu type", i);
        s = gn->d.rfc822Name;
        break;
      case GEN_URI:
        FUZZ_CHECK(mine.type == GeneralName::Type::kUri, "SAN %zu type", i);
        s = gn->d.uniformResourceIdentifier;
        break;
      case GEN_IPADD:
        FUZZ_CHECK(mine.type == GeneralName::Type::kIp, "SAN %zu type", i);
        s = gn->d.iPAddress;
        FUZZ_CHECK(mine.ip == std::string(reinterpret_cast<const char*>(
                                              ASN1_STRING_get0_data(s)),
                                          ASN1_STRING_length(s)),
                   "SAN %zu IP bytes", i);
        s = nullptr;
        break;
      default:
        FUZZ_CHECK(mine.type == GeneralName::Type::kOther, "SAN %zu type", i);
        break;
    }
    if (s != nullptr) {
      const std::string value(
          reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
          ASN1_STRING_length(s));
      FUZZ_CHECK(value == mine.value, "SAN %zu '%s' vs '%s'", i,
                 mine.value.c_str(), value.c_str());
    }
  }
  GENERAL_NAMES_free(names);
}

int64_t SecondsSinceEpoch(const ASN1_TIME* t) {
  bssl::UniquePtr<ASN1_TIME> epoch(ASN1_TIME_set(nullptr, 0));
  int days = 0, seconds = 0;
  FUZZ_CHECK(epoch != nullptr && ASN1_TIME_diff(&days, &seconds, epoch.get(), t),
             "ASN1_TIME_diff failed on a time we accepted");
  return static_cast<int64_t>(days) * 86400 + seconds;
}

void CompareKey(const Certificate& ours, X509* theirs) {
  bssl::UniquePtr<EVP_PKEY> key(X509_get_pubkey(theirs));
  const KeyType type = ours.public_key.type;
  if (key == nullptr) {
    // Rules ec-point and rsa-key-checks; every other key we understand must
    // also be one BoringSSL can load.
    FUZZ_CHECK(type == KeyType::kOther || type == KeyType::kEcOther ||
                   type == KeyType::kEcP256 || type == KeyType::kEcP384 ||
                   type == KeyType::kEcP521 || type == KeyType::kRsa ||
                   type == KeyType::kEd448,
               "BoringSSL cannot load a %s key",
               std::string(mailshake::x509::KeyTypeName(type)).c_str());
    return;
  }
  switch (EVP_PKEY_id(key.get())) {
    case EVP_PKEY_RSA: {
      FUZZ_CHECK(type == KeyType::kRsa, "key type");
      const RSA* rsa = EVP_PKEY_get0_RSA(key.get());
      FUZZ_CHECK(static_cast<int>(BN_num_bits(RSA_get0_n(rsa))) ==
                     ours.public_key.bits,
                 "RSA bits %d vs %u", ours.public_key.bits,
                 BN_num_bits(RSA_get0_n(rsa)));
      break;
    }
    case EVP_PKEY_EC:
      FUZZ_CHECK(type == KeyType::kEcP256 || type == KeyType::kEcP384 ||
                     type == KeyType::kEcP521 || type == KeyType::kEcOther,
                 "key type");
      if (type != KeyType::kEcOther) {
        FUZZ_CHECK(EVP_PKEY_bits(key.get()) == ours.public_key.bits,
                   "EC bits %d vs %d", ours.public_key.bits,
                   EVP_PKEY_bits(key.get()));
      }
      break;
    case EVP_PKEY_ED25519:
      FUZZ_CHECK(type == KeyType::kEd25519, "key type");
      break;
    default:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<Certificate> ours = mailshake::x509::ParseCertificate(input);

  const uint8_t* p = data;
  bssl::UniquePtr<X509> theirs(d2i_X509(nullptr, &p, static_cast<long>(size)));
  const bool theirs_ok = theirs != nullptr && p == data + size;
  // d2i failures leave entries on the thread's error queue; keep the first
  // for the report and drop them so runs stay independent.
  char their_error[256] = "trailing data";
  if (const uint32_t err = ERR_peek_error()) {
    ERR_error_string_n(err, their_error, sizeof(their_error));
  }
  ERR_clear_error();

  if (!ours.ok()) {
    if (theirs_ok) {
      const std::string message(ours.status().message());
      FUZZ_CHECK(StricterRule(message) != nullptr,
                 "we reject what BoringSSL accepts, under no documented rule: "
                 "%s",
                 message.c_str());
    }
    return 0;
  }
  // Framing the size limit aside, everything we accept BoringSSL accepts.
  FUZZ_CHECK(theirs_ok, "we accept what BoringSSL rejects: %s", their_error);

  FUZZ_CHECK(X509_get_version(theirs.get()) + 1 == ours->version,
             "version %d vs %ld", ours->version,
             X509_get_version(theirs.get()) + 1);
  if (!ours->serial_negative) {
    const ASN1_INTEGER* serial = X509_get0_serialNumber(theirs.get());
    absl::string_view mine = ours->serial;
    absl::string_view their(
        reinterpret_cast<const char*>(ASN1_STRING_get0_data(serial)),
        ASN1_STRING_length(serial));
    while (!mine.empty() && mine.front() == 0) mine.remove_prefix(1);
    while (!their.empty() && their.front() == 0) their.remove_prefix(1);
    FUZZ_CHECK(mine == their, "serial differs");
  }
  CompareNames(ours->subject, X509_get_subject_name(theirs.get()), "subject");
  CompareNames(ours->issuer, X509_get_issuer_name(theirs.get()), "issuer");
  CompareSans(*ours, theirs.get());
  CompareKey(*ours, theirs.get());
  FUZZ_CHECK(SecondsSinceEpoch(X509_get0_notBefore(theirs.get())) ==
                 absl::ToUnixSeconds(ours->not_before),
             "notBefore differs");
  FUZZ_CHECK(SecondsSinceEpoch(X509_get0_notAfter(theirs.get())) ==
                 absl::ToUnixSeconds(ours->not_after),
             "notAfter differs");
  ERR_clear_error();
  return 0;
}
