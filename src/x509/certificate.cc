// The DER certificate parser (RFC 5280 section 4) on BoringSSL's CBS.

#include <arpa/inet.h>
#include <openssl/bytestring.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/x509/der.h"
#include "src/x509/x509.h"

namespace mailshake::x509 {
namespace {

// Named curves of id-ecPublicKey keys seen in certificates: the NIST/SEC
// prime and binary curves (RFC 5480, SEC 2), the Brainpool curves (RFC
// 5639), secp256k1 and SM2. |bits| is the field size, which also gives the
// length of an encoded point.
constexpr EcCurve kEcCurves[] = {
    {"1.2.840.10045.3.1.7", "P-256", 256, KeyType::kEcP256},
    {"1.3.132.0.34", "P-384", 384, KeyType::kEcP384},
    {"1.3.132.0.35", "P-521", 521, KeyType::kEcP521},
    {"1.2.840.10045.3.1.1", "P-192", 192, KeyType::kEcOther},
    {"1.3.132.0.33", "P-224", 224, KeyType::kEcOther},
    {"1.3.132.0.10", "secp256k1", 256, KeyType::kEcOther},
    {"1.3.132.0.31", "secp192k1", 192, KeyType::kEcOther},
    {"1.3.132.0.32", "secp224k1", 224, KeyType::kEcOther},
    {"1.3.36.3.3.2.8.1.1.1", "brainpoolP160r1", 160, KeyType::kEcOther},
    {"1.3.36.3.3.2.8.1.1.3", "brainpoolP192r1", 192, KeyType::kEcOther},
    {"1.3.36.3.3.2.8.1.1.5", "brainpoolP224r1", 224, KeyType::kEcOther},
    {"1.3.36.3.3.2.8.1.1.7", "brainpoolP256r1", 256, KeyType::kEcOther},
    {"1.3.36.3.3.2.8.1.1.9", "brainpoolP320r1", 320, KeyType::kEcOther},
    {"1.3.36.3.3.2.8.1.1.11", "brainpoolP384r1", 384, KeyType::kEcOther},
    {"1.3.36.3.3.2.8.1.1.13", "brainpoolP512r1", 512, KeyType::kEcOther},
    {"1.2.156.10197.1.301", "SM2", 256, KeyType::kEcOther},
    {"1.3.132.0.1", "K-163", 163, KeyType::kEcOther},
    {"1.3.132.0.15", "B-163", 163, KeyType::kEcOther},
    {"1.3.132.0.26", "K-233", 233, KeyType::kEcOther},
    {"1.3.132.0.27", "B-233", 233, KeyType::kEcOther},
    {"1.3.132.0.16", "K-283", 283, KeyType::kEcOther},
    {"1.3.132.0.17", "B-283", 283, KeyType::kEcOther},
    {"1.3.132.0.36", "K-409", 409, KeyType::kEcOther},
    {"1.3.132.0.37", "B-409", 409, KeyType::kEcOther},
    {"1.3.132.0.38", "K-571", 571, KeyType::kEcOther},
    {"1.3.132.0.39", "B-571", 571, KeyType::kEcOther},
};


using der::Cursor;
using der::Error;
using der::ReadElement;

constexpr unsigned kContext0 = CBS_ASN1_CONTEXT_SPECIFIC | 0;
constexpr unsigned kContext1 = CBS_ASN1_CONTEXT_SPECIFIC | 1;
constexpr unsigned kContext2 = CBS_ASN1_CONTEXT_SPECIFIC | 2;
constexpr unsigned kContext3 = CBS_ASN1_CONTEXT_SPECIFIC | 3;

absl::string_view View(const CBS& cbs) {
  return {reinterpret_cast<const char*>(CBS_data(&cbs)), CBS_len(&cbs)};
}

// --- OID tables ---------------------------------------------------------------

struct SignatureOid {
  absl::string_view oid;
  SignatureAlgorithm alg;
  bool rsa_pkcs1;  // parameters must be NULL (or, leniently, absent)
};

constexpr SignatureOid kSignatureOids[] = {
    {"1.2.840.113549.1.1.4", SignatureAlgorithm::kMd5WithRsa, true},
    {"1.2.840.113549.1.1.5", SignatureAlgorithm::kSha1WithRsa, true},
    {"1.2.840.113549.1.1.14", SignatureAlgorithm::kSha224WithRsa, true},
    {"1.2.840.113549.1.1.11", SignatureAlgorithm::kSha256WithRsa, true},
    {"1.2.840.113549.1.1.12", SignatureAlgorithm::kSha384WithRsa, true},
    {"1.2.840.113549.1.1.13", SignatureAlgorithm::kSha512WithRsa, true},
    {"1.2.840.113549.1.1.10", SignatureAlgorithm::kRsaPss, false},
    {"1.2.840.10045.4.1", SignatureAlgorithm::kEcdsaWithSha1, false},
    {"1.2.840.10045.4.3.1", SignatureAlgorithm::kEcdsaWithSha224, false},
    {"1.2.840.10045.4.3.2", SignatureAlgorithm::kEcdsaWithSha256, false},
    {"1.2.840.10045.4.3.3", SignatureAlgorithm::kEcdsaWithSha384, false},
    {"1.2.840.10045.4.3.4", SignatureAlgorithm::kEcdsaWithSha512, false},
    {"1.3.101.112", SignatureAlgorithm::kEd25519, false},
    {"1.3.101.113", SignatureAlgorithm::kEd448, false},
    {"1.2.840.10040.4.3", SignatureAlgorithm::kDsaWithSha1, false},
    {"2.16.840.1.101.3.4.3.2", SignatureAlgorithm::kDsaWithSha256, false},
};

struct NamedOid {
  absl::string_view oid;
  absl::string_view name;
};

constexpr NamedOid kHashOids[] = {
    {"1.3.14.3.2.26", "sha1"},
    {"2.16.840.1.101.3.4.2.4", "sha224"},
    {"2.16.840.1.101.3.4.2.1", "sha256"},
    {"2.16.840.1.101.3.4.2.2", "sha384"},
    {"2.16.840.1.101.3.4.2.3", "sha512"},
};

constexpr NamedOid kExtensionOids[] = {
    {"2.5.29.14", "subjectKeyIdentifier"},
    {"2.5.29.15", "keyUsage"},
    {"2.5.29.17", "subjectAltName"},
    {"2.5.29.18", "issuerAltName"},
    {"2.5.29.19", "basicConstraints"},
    {"2.5.29.30", "nameConstraints"},
    {"2.5.29.31", "cRLDistributionPoints"},
    {"2.5.29.32", "certificatePolicies"},
    {"2.5.29.33", "policyMappings"},
    {"2.5.29.35", "authorityKeyIdentifier"},
    {"2.5.29.36", "policyConstraints"},
    {"2.5.29.37", "extKeyUsage"},
    {"2.5.29.46", "freshestCRL"},
    {"2.5.29.54", "inhibitAnyPolicy"},
    {"1.3.6.1.5.5.7.1.1", "authorityInfoAccess"},
    {"1.3.6.1.5.5.7.1.11", "subjectInfoAccess"},
    {"1.3.6.1.5.5.7.1.24", "tlsFeature"},
    {"1.3.6.1.4.1.11129.2.4.2", "signedCertificateTimestampList"},
    {"1.3.6.1.4.1.11129.2.4.3", "ctPrecertificatePoison"},
};

constexpr NamedOid kEkuOids[] = {
    {"1.3.6.1.5.5.7.3.1", "serverAuth"},
    {"1.3.6.1.5.5.7.3.2", "clientAuth"},
    {"1.3.6.1.5.5.7.3.3", "codeSigning"},
    {"1.3.6.1.5.5.7.3.4", "emailProtection"},
    {"1.3.6.1.5.5.7.3.8", "timeStamping"},
    {"1.3.6.1.5.5.7.3.9", "OCSPSigning"},
    {"2.5.29.37.0", "anyExtendedKeyUsage"},
};

template <size_t N>
absl::string_view Lookup(const NamedOid (&table)[N], absl::string_view oid) {
  for (const NamedOid& entry : table) {
    if (entry.oid == oid) return entry.name;
  }
  return {};
}

struct AttributeOid {
  absl::string_view oid;
  AttributeType type;
};

constexpr AttributeOid kAttributeOids[] = {
    {"2.5.4.3", AttributeType::kCommonName},
    {"2.5.4.5", AttributeType::kSerialNumber},
    {"2.5.4.6", AttributeType::kCountry},
    {"2.5.4.7", AttributeType::kLocality},
    {"2.5.4.8", AttributeType::kStateOrProvince},
    {"2.5.4.10", AttributeType::kOrganization},
    {"2.5.4.11", AttributeType::kOrganizationalUnit},
    {"1.2.840.113549.1.9.1", AttributeType::kEmailAddress},
    {"0.9.2342.19200300.100.1.25", AttributeType::kDomainComponent},
};

// ReadAnyElement reads one element of any tag from |in|, setting |*tag| and
// |*contents|; on a malformed header it returns ReadElement's error, which
// describes the header.
absl::Status ReadAnyElement(Cursor* in, absl::string_view field, unsigned* tag,
                            CBS* contents) {
  size_t header_len;
  if (!CBS_get_any_asn1_element(&in->cbs, contents, tag, &header_len)) {
    Cursor unused;
    return ReadElement(in, 0, field, &unused);
  }
  CBS_skip(contents, header_len);
  return absl::OkStatus();
}

// --- the parser ---------------------------------------------------------------

class Parser {
 public:
  explicit Parser(absl::string_view der)
      : base_(reinterpret_cast<const uint8_t*>(der.data())) {}

  absl::Status Parse(absl::string_view der, Certificate* cert);

 private:
  Cursor Whole(absl::string_view der) const {
    Cursor c;
    CBS_init(&c.cbs, reinterpret_cast<const uint8_t*>(der.data()), der.size());
    c.base = base_;
    return c;
  }

  absl::Status ParseTbs(Cursor tbs, Certificate* cert);
  absl::Status ParseAlgorithm(Cursor* in, absl::string_view field,
                              AlgorithmIdentifier* out);
  absl::Status ParsePssParameters(Cursor params, absl::string_view field,
                                  RsaPssParameters* out);
  absl::Status ParseHashAlgorithm(Cursor* in, absl::string_view field,
                                  std::string* out);
  absl::Status ParseName(Cursor* in, absl::string_view field, Name* out);
  absl::Status ParseTime(Cursor* in, absl::string_view field, absl::Time* out);
  absl::Status ParsePublicKey(Cursor* in, PublicKey* out);
  absl::Status ParseExtensions(Cursor in, Certificate* cert);
  absl::Status ParseExtensionValue(const std::string& oid, Cursor value,
                                   absl::string_view field, Certificate* cert,
                                   bool* understood);
  absl::Status ParseGeneralNames(Cursor* in, absl::string_view field,
                                 size_t limit, std::vector<GeneralName>* out);
  absl::Status ParseGeneralName(Cursor* in, absl::string_view field,
                                GeneralName* out);
  absl::Status ParseBoolean(Cursor* in, absl::string_view field, bool* out);
  absl::Status ParsePolicyQualifier(Cursor* in, absl::string_view field);
  absl::Status ParseDisplayText(Cursor* in, absl::string_view field);

  const uint8_t* base_;
  absl::string_view tbs_signature_der_;  // tbsCertificate.signature element
};

absl::Status Parser::Parse(absl::string_view der, Certificate* cert) {
  if (der.size() > kMaxCertificateBytes) {
    return Error("certificate", 0,
                 absl::StrFormat("%d bytes is more than the %d-byte limit",
                                 der.size(), kMaxCertificateBytes));
  }
  Cursor in = Whole(der);
  Cursor body, element;
  MAILSHAKE_X509_RETURN_IF_ERROR(
      ReadElement(&in, CBS_ASN1_SEQUENCE, "certificate", &body, &element));
  MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(in, "certificate"));
  cert->der = element.view();

  Cursor tbs, tbs_element;
  MAILSHAKE_X509_RETURN_IF_ERROR(ReadElement(
      &body, CBS_ASN1_SEQUENCE, "tbsCertificate", &tbs, &tbs_element));
  cert->tbs_der = tbs_element.view();

  const size_t sig_alg_offset = body.Offset();
  Cursor sig_alg_start = body;
  MAILSHAKE_X509_RETURN_IF_ERROR(ParseAlgorithm(
      &body, "signatureAlgorithm", &cert->signature_algorithm));
  cert->signature_algorithm_der = absl::string_view(
      sig_alg_start.view().data(),
      sig_alg_start.view().size() - body.view().size());

  Cursor sig_bits, sig_element;
  MAILSHAKE_X509_RETURN_IF_ERROR(ReadElement(
      &body, CBS_ASN1_BITSTRING, "signatureValue", &sig_bits, &sig_element));
  uint8_t unused_bits;
  if (!CBS_get_u8(&sig_bits.cbs, &unused_bits) || unused_bits != 0) {
    return Error("signatureValue", sig_element.Offset(),
                 "BIT STRING must have zero unused bits");
  }
  cert->signature_value_der = sig_element.view();
  cert->signature = sig_bits.view();
  MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(body, "certificate"));

  // The TBS is parsed after the outer framing so that framing errors are
  // reported first.
  MAILSHAKE_X509_RETURN_IF_ERROR(ParseTbs(tbs, cert));
  // RFC 5280 4.1.1.2: signatureAlgorithm MUST equal tbsCertificate.signature.
  if (tbs_signature_der_ != cert->signature_algorithm_der) {
    return Error("signatureAlgorithm", sig_alg_offset,
                 "does not match tbsCertificate.signature");
  }
  return absl::OkStatus();
}

absl::Status Parser::ParseTbs(Cursor tbs, Certificate* cert) {
  // version [0] EXPLICIT Version DEFAULT v1
  if (der::PeekTag(tbs, kContext0 | CBS_ASN1_CONSTRUCTED)) {
    Cursor explicit_version, version;
    MAILSHAKE_X509_RETURN_IF_ERROR(
        ReadElement(&tbs, kContext0 | CBS_ASN1_CONSTRUCTED,
                    "tbsCertificate.version", &explicit_version));
    const size_t offset = explicit_version.Offset();
    MAILSHAKE_X509_RETURN_IF_ERROR(ReadElement(
        &explicit_version, CBS_ASN1_INTEGER, "tbsCertificate.version",
        &version));
    MAILSHAKE_X509_RETURN_IF_ERROR(
        der::ExpectEnd(explicit_version, "tbsCertificate.version"));
    uint8_t v;
    if (CBS_len(&version.cbs) != 1 || !CBS_get_u8(&version.cbs, &v) || v > 2) {
      return Error("tbsCertificate.version", offset,
                   "version must be v2 or v3 (INTEGER 1 or 2)");
    }
    if (v == 0) {
      return Error("tbsCertificate.version", offset,
                   "v1 is the DEFAULT and must not be encoded in DER");
    }
    cert->version = v + 1;
  }

  Cursor serial;
  MAILSHAKE_X509_RETURN_IF_ERROR(ReadElement(
      &tbs, CBS_ASN1_INTEGER, "tbsCertificate.serialNumber", &serial));
  MAILSHAKE_X509_RETURN_IF_ERROR(der::ValidateInteger(
      serial, "tbsCertificate.serialNumber", /*require_non_negative=*/false));
  cert->serial = serial.view();
  cert->serial_negative = (CBS_data(&serial.cbs)[0] & 0x80) != 0;

  AlgorithmIdentifier tbs_alg;
  const absl::string_view before_alg = tbs.view();
  MAILSHAKE_X509_RETURN_IF_ERROR(
      ParseAlgorithm(&tbs, "tbsCertificate.signature", &tbs_alg));
  tbs_signature_der_ =
      before_alg.substr(0, before_alg.size() - tbs.view().size());
  MAILSHAKE_X509_RETURN_IF_ERROR(
      ParseName(&tbs, "tbsCertificate.issuer", &cert->issuer));

  Cursor validity;
  MAILSHAKE_X509_RETURN_IF_ERROR(ReadElement(
      &tbs, CBS_ASN1_SEQUENCE, "tbsCertificate.validity", &validity));
  MAILSHAKE_X509_RETURN_IF_ERROR(ParseTime(
      &validity, "tbsCertificate.validity.notBefore", &cert->not_before));
  MAILSHAKE_X509_RETURN_IF_ERROR(ParseTime(
      &validity, "tbsCertificate.validity.notAfter", &cert->not_after));
  MAILSHAKE_X509_RETURN_IF_ERROR(
      der::ExpectEnd(validity, "tbsCertificate.validity"));

  MAILSHAKE_X509_RETURN_IF_ERROR(
      ParseName(&tbs, "tbsCertificate.subject", &cert->subject));
  MAILSHAKE_X509_RETURN_IF_ERROR(ParsePublicKey(&tbs, &cert->public_key));

  // issuerUniqueID [1] and subjectUniqueID [2]: v2 or v3 only; not reported.
  const unsigned unique_id_tags[] = {kContext1, kContext2};
  const absl::string_view unique_id_fields[] = {
      "tbsCertificate.issuerUniqueID", "tbsCertificate.subjectUniqueID"};
  for (int i = 0; i < 2; ++i) {
    if (!der::PeekTag(tbs, unique_id_tags[i])) continue;
    const size_t offset = tbs.Offset();
    if (cert->version < 2) {
      return Error(unique_id_fields[i], offset, "only allowed in v2 and v3");
    }
    Cursor bits;
    MAILSHAKE_X509_RETURN_IF_ERROR(
        ReadElement(&tbs, unique_id_tags[i], unique_id_fields[i], &bits));
    if (!CBS_is_valid_asn1_bitstring(&bits.cbs)) {
      return Error(unique_id_fields[i], offset, "invalid BIT STRING");
    }
  }

  if (der::PeekTag(tbs, kContext3 | CBS_ASN1_CONSTRUCTED)) {
    const size_t offset = tbs.Offset();
    if (cert->version != 3) {
      return Error("tbsCertificate.extensions", offset,
                   "extensions require a v3 certificate");
    }
    Cursor explicit_exts, exts;
    MAILSHAKE_X509_RETURN_IF_ERROR(
        ReadElement(&tbs, kContext3 | CBS_ASN1_CONSTRUCTED,
                    "tbsCertificate.extensions", &explicit_exts));
    MAILSHAKE_X509_RETURN_IF_ERROR(ReadElement(
        &explicit_exts, CBS_ASN1_SEQUENCE, "tbsCertificate.extensions", &exts));
    MAILSHAKE_X509_RETURN_IF_ERROR(
        der::ExpectEnd(explicit_exts, "tbsCertificate.extensions"));
    MAILSHAKE_X509_RETURN_IF_ERROR(ParseExtensions(exts, cert));
  }
  MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(tbs, "tbsCertificate"));
  return absl::OkStatus();
}

absl::Status Parser::ParseAlgorithm(Cursor* in, absl::string_view field,
                                    AlgorithmIdentifier* out) {
  Cursor seq;
  MAILSHAKE_X509_RETURN_IF_ERROR(
      ReadElement(in, CBS_ASN1_SEQUENCE, field, &seq));
  absl::StatusOr<std::string> oid =
      der::ReadOid(&seq, absl::StrCat(field, ".algorithm"));
  if (!oid.ok()) return oid.status();
  out->oid = *std::move(oid);
  const size_t params_offset = seq.Offset();
  const std::string params_field = absl::StrCat(field, ".parameters");
  Cursor params_element;
  MAILSHAKE_X509_RETURN_IF_ERROR(
      der::ReadOptionalParameters(&seq, params_field, &params_element));
  out->parameters = params_element.view();
  // |seq| is consumed; PSS parameters are re-read from the element.
  seq = params_element;
  for (const SignatureOid& entry : kSignatureOids) {
    if (entry.oid != out->oid) continue;
    out->algorithm = entry.alg;
    if (entry.rsa_pkcs1) {
      // RFC 4055 2.1: NULL. Absent parameters occur in the wild and are
      // harmless, so they are accepted.
      if (!seq.empty() && out->parameters != absl::string_view("\x05\x00", 2)) {
        return Error(params_field, params_offset,
                     "RSA PKCS#1 v1.5 parameters must be NULL");
      }
    } else if (entry.alg == SignatureAlgorithm::kRsaPss) {
      Cursor params;
      MAILSHAKE_X509_RETURN_IF_ERROR(
          ReadElement(&seq, CBS_ASN1_SEQUENCE, params_field, &params));
      RsaPssParameters pss;
      MAILSHAKE_X509_RETURN_IF_ERROR(
          ParsePssParameters(params, params_field, &pss));
      out->pss = pss;
    } else if (!seq.empty()) {
      return Error(params_field, params_offset,
                   absl::StrCat("parameters must be absent for ",
                                SignatureAlgorithmName(entry.alg)));
    }
    return absl::OkStatus();
  }
  out->algorithm = SignatureAlgorithm::kUnknown;
  return absl::OkStatus();
}

absl::Status Parser::ParseHashAlgorithm(Cursor* in, absl::string_view field,
                                        std::string* out) {
  Cursor seq;
  MAILSHAKE_X509_RETURN_IF_ERROR(
      ReadElement(in, CBS_ASN1_SEQUENCE, field, &seq));
  absl::StatusOr<std::string> oid = der::ReadOid(&seq, field);
  if (!oid.ok()) return oid.status();
  // RFC 4055 2.1: hash parameters are NULL or absent.
  if (!seq.empty()) {
    Cursor null;
    MAILSHAKE_X509_RETURN_IF_ERROR(
        ReadElement(&seq, CBS_ASN1_NULL, field, &null));
    if (!null.empty()) return Error(field, null.Offset(), "NULL has contents");
    MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(seq, field));
  }
  const absl::string_view name = Lookup(kHashOids, *oid);
  *out = name.empty() ? *oid : std::string(name);
  return absl::OkStatus();
}

absl::Status Parser::ParsePssParameters(Cursor params, absl::string_view field,
                                        RsaPssParameters* out) {
  const std::string hash_field = absl::StrCat(field, ".hashAlgorithm");
  if (der::PeekTag(params, kContext0 | CBS_ASN1_CONSTRUCTED)) {
    Cursor tagged;
    const size_t offset = params.Offset();
    MAILSHAKE_X509_RETURN_IF_ERROR(ReadElement(
        &params, kContext0 | CBS_ASN1_CONSTRUCTED, hash_field, &tagged));
    MAILSHAKE_X509_RETURN_IF_ERROR(
        ParseHashAlgorithm(&tagged, hash_field, &out->hash));
    MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(tagged, hash_field));
    if (out->hash == "sha1") {
      return Error(hash_field, offset,
                   "sha1 is the DEFAULT and must not be encoded in DER");
    }
  }
  const std::string mgf_field = absl::StrCat(field, ".maskGenAlgorithm");
  if (der::PeekTag(params, kContext1 | CBS_ASN1_CONSTRUCTED)) {
    Cursor tagged, mgf;
    const size_t offset = params.Offset();
    MAILSHAKE_X509_RETURN_IF_ERROR(ReadElement(
        &params, kContext1 | CBS_ASN1_CONSTRUCTED, mgf_field, &tagged));
    MAILSHAKE_X509_RETURN_IF_ERROR(
        ReadElement(&tagged, CBS_ASN1_SEQUENCE, mgf_field, &mgf));
    MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(tagged, mgf_field));
    absl::StatusOr<std::string> mgf_oid = der::ReadOid(&mgf, mgf_field);
    if (!mgf_oid.ok()) return mgf_oid.status();
    if (*mgf_oid != "1.2.840.113549.1.1.8") {
      return Error(mgf_field, offset,
                   absl::StrCat("unsupported mask generation function ",
                                *mgf_oid));
    }
    MAILSHAKE_X509_RETURN_IF_ERROR(
        ParseHashAlgorithm(&mgf, mgf_field, &out->mgf1_hash));
    MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(mgf, mgf_field));
    if (out->mgf1_hash == "sha1") {
      return Error(mgf_field, offset,
                   "mgf1SHA1 is the DEFAULT and must not be encoded in DER");
    }
  }
  const std::string salt_field = absl::StrCat(field, ".saltLength");
  if (der::PeekTag(params, kContext2 | CBS_ASN1_CONSTRUCTED)) {
    Cursor tagged, salt;
    const size_t offset = params.Offset();
    MAILSHAKE_X509_RETURN_IF_ERROR(ReadElement(
        &params, kContext2 | CBS_ASN1_CONSTRUCTED, salt_field, &tagged));
    MAILSHAKE_X509_RETURN_IF_ERROR(
        ReadElement(&tagged, CBS_ASN1_INTEGER, salt_field, &salt));
    MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(tagged, salt_field));
    MAILSHAKE_X509_RETURN_IF_ERROR(
        der::ValidateInteger(salt, salt_field, /*require_non_negative=*/true));
    absl::string_view digits = salt.view();
    if (digits.size() > 1 && digits.front() == 0) digits.remove_prefix(1);
    if (digits.size() > 8) {
      return Error(salt_field, offset, "saltLength is too large");
    }
    uint64_t value = 0;
    for (char c : digits) value = (value << 8) | static_cast<uint8_t>(c);
    if (value == 20) {
      return Error(salt_field, offset,
                   "20 is the DEFAULT and must not be encoded in DER");
    }
    out->salt_length = value;
  }
  const std::string trailer_field = absl::StrCat(field, ".trailerField");
  if (der::PeekTag(params, kContext3 | CBS_ASN1_CONSTRUCTED)) {
    Cursor tagged, trailer;
    const size_t offset = params.Offset();
    MAILSHAKE_X509_RETURN_IF_ERROR(ReadElement(
        &params, kContext3 | CBS_ASN1_CONSTRUCTED, trailer_field, &tagged));
    MAILSHAKE_X509_RETURN_IF_ERROR(
        ReadElement(&tagged, CBS_ASN1_INTEGER, trailer_field, &trailer));
    MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(tagged, trailer_field));
    return Error(trailer_field, offset,
                 "trailerField must be absent (1 is the DEFAULT and the only "
                 "defined value)");
  }
  return der::ExpectEnd(params, field);
}

absl::Status Parser::ParseName(Cursor* in, absl::string_view field, Name* out) {
  Cursor seq, element;
  MAILSHAKE_X509_RETURN_IF_ERROR(
      ReadElement(in, CBS_ASN1_SEQUENCE, field, &seq, &element));
  out->der = element.view();
  while (!seq.empty()) {
    if (out->rdns.size() == kMaxRdns) {
      return Error(field, seq.Offset(),
                   absl::StrCat("more than ", kMaxRdns, " RDNs"));
    }
    Cursor set;
    const size_t set_offset = seq.Offset();
    MAILSHAKE_X509_RETURN_IF_ERROR(
        ReadElement(&seq, CBS_ASN1_SET, field, &set));
    if (set.empty()) {
      return Error(field, set_offset, "empty RelativeDistinguishedName");
    }
    Rdn& rdn = out->rdns.emplace_back();
    while (!set.empty()) {
      if (rdn.attributes.size() == kMaxAttributesPerRdn) {
        return Error(field, set.Offset(),
                     absl::StrCat("more than ", kMaxAttributesPerRdn,
                                  " attributes in one RDN"));
      }
      Cursor atv;
      MAILSHAKE_X509_RETURN_IF_ERROR(
          ReadElement(&set, CBS_ASN1_SEQUENCE, field, &atv));
      Attribute& attr = rdn.attributes.emplace_back();
      absl::StatusOr<std::string> oid = der::ReadOid(&atv, field);
      if (!oid.ok()) return oid.status();
      attr.oid = *std::move(oid);
      for (const AttributeOid& known : kAttributeOids) {
        if (known.oid == attr.oid) attr.type = known.type;
      }
      const absl::string_view short_name = AttributeTypeShortName(attr.type);
      const std::string value_field =
          absl::StrCat(field, ".", short_name.empty() ? attr.oid : short_name);
      const size_t value_offset = atv.Offset();
      CBS value;
      unsigned tag;
      size_t header_len;
      if (!CBS_get_any_asn1_element(&atv.cbs, &value, &tag, &header_len)) {
        Cursor unused;
        return ReadElement(&atv, 0, value_field, &unused);
      }
      MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(atv, value_field));
      CBS_skip(&value, header_len);
      absl::StatusOr<std::string> decoded = der::DecodeString(tag, View(value));
      if (!decoded.ok()) {
        return Error(value_field, value_offset, decoded.status().message());
      }
      // X.520: countryName is a two-letter PrintableString.
      if (attr.type == AttributeType::kCountry &&
          (tag != CBS_ASN1_PRINTABLESTRING || decoded->size() != 2)) {
        return Error(value_field, value_offset,
                     "countryName must be a 2-letter PrintableString");
      }
      if ((attr.type == AttributeType::kEmailAddress ||
           attr.type == AttributeType::kDomainComponent) &&
          tag != CBS_ASN1_IA5STRING) {
        return Error(value_field, value_offset,
                     absl::StrCat("must be an IA5String, found ",
                                  der::DescribeTag(tag)));
      }
      attr.string_tag = tag;
      attr.value = *std::move(decoded);
    }
  }
  return absl::OkStatus();
}

absl::Status Parser::ParseTime(Cursor* in, absl::string_view field,
                               absl::Time* out) {
  const size_t offset = in->Offset();
  const unsigned tag = der::PeekTag(*in, CBS_ASN1_GENERALIZEDTIME)
                           ? CBS_ASN1_GENERALIZEDTIME
                           : CBS_ASN1_UTCTIME;
  Cursor contents;
  MAILSHAKE_X509_RETURN_IF_ERROR(ReadElement(in, tag, field, &contents));
  absl::StatusOr<absl::Time> time = der::ParseTime(tag, contents.view());
  if (!time.ok()) return Error(field, offset, time.status().message());
  *out = *time;
  return absl::OkStatus();
}

absl::Status Parser::ParsePublicKey(Cursor* in, PublicKey* out) {
  constexpr absl::string_view kField = "tbsCertificate.subjectPublicKeyInfo";
  Cursor spki, element, alg;
  MAILSHAKE_X509_RETURN_IF_ERROR(
      ReadElement(in, CBS_ASN1_SEQUENCE, kField, &spki, &element));
  out->spki_der = element.view();
  const std::string alg_field = absl::StrCat(kField, ".algorithm");
  MAILSHAKE_X509_RETURN_IF_ERROR(
      ReadElement(&spki, CBS_ASN1_SEQUENCE, alg_field, &alg));
  absl::StatusOr<std::string> oid = der::ReadOid(&alg, alg_field);
  if (!oid.ok()) return oid.status();
  out->algorithm_oid = *oid;
  Cursor params;  // the parameters element, empty when absent
  MAILSHAKE_X509_RETURN_IF_ERROR(der::ReadOptionalParameters(
      &alg, absl::StrCat(alg_field, ".parameters"), &params));

  const std::string key_field = absl::StrCat(kField, ".subjectPublicKey");
  Cursor bits;
  const size_t key_offset = spki.Offset();
  MAILSHAKE_X509_RETURN_IF_ERROR(
      ReadElement(&spki, CBS_ASN1_BITSTRING, key_field, &bits));
  MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(spki, kField));
  uint8_t unused_bits;
  if (!CBS_get_u8(&bits.cbs, &unused_bits) || unused_bits != 0) {
    return Error(key_field, key_offset,
                 "BIT STRING must have zero unused bits");
  }
  const size_t params_offset = params.Offset();
  const std::string params_field = absl::StrCat(alg_field, ".parameters");

  if (*oid == "1.2.840.113549.1.1.1" || *oid == "1.2.840.113549.1.1.10") {
    // rsaEncryption (parameters NULL) or id-RSASSA-PSS (parameters absent or
    // RSASSA-PSS-params, which restrict use but do not change the key).
    if (*oid == "1.2.840.113549.1.1.1" &&
        params.view() != absl::string_view("\x05\x00", 2)) {
      return Error(params_field, params_offset,
                   "rsaEncryption parameters must be NULL");
    }
    if (*oid == "1.2.840.113549.1.1.10" && !params.empty()) {
      Cursor pss;
      MAILSHAKE_X509_RETURN_IF_ERROR(
          ReadElement(&params, CBS_ASN1_SEQUENCE, params_field, &pss));
      RsaPssParameters unused;
      MAILSHAKE_X509_RETURN_IF_ERROR(
          ParsePssParameters(pss, params_field, &unused));
      MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(params, params_field));
    }
    Cursor rsa, modulus, exponent;
    MAILSHAKE_X509_RETURN_IF_ERROR(
        ReadElement(&bits, CBS_ASN1_SEQUENCE, key_field, &rsa));
    MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(bits, key_field));
    const std::string mod_field = absl::StrCat(key_field, ".modulus");
    const std::string exp_field = absl::StrCat(key_field, ".publicExponent");
    MAILSHAKE_X509_RETURN_IF_ERROR(
        ReadElement(&rsa, CBS_ASN1_INTEGER, mod_field, &modulus));
    MAILSHAKE_X509_RETURN_IF_ERROR(
        ReadElement(&rsa, CBS_ASN1_INTEGER, exp_field, &exponent));
    MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(rsa, key_field));
    MAILSHAKE_X509_RETURN_IF_ERROR(
        der::ValidateInteger(modulus, mod_field, true));
    MAILSHAKE_X509_RETURN_IF_ERROR(
        der::ValidateInteger(exponent, exp_field, true));
    absl::string_view m = modulus.view();
    while (!m.empty() && m.front() == 0) m.remove_prefix(1);
    if (m.empty()) return Error(mod_field, modulus.Offset(), "modulus is zero");
    int top_bits = 0;
    for (uint8_t b = static_cast<uint8_t>(m.front()); b != 0; b >>= 1) {
      ++top_bits;
    }
    out->bits = static_cast<int>((m.size() - 1) * 8) + top_bits;
    absl::string_view e = exponent.view();
    while (!e.empty() && e.front() == 0) e.remove_prefix(1);
    if (e.empty()) {
      return Error(exp_field, exponent.Offset(), "exponent is zero");
    }
    out->rsa_exponent = 0;
    if (e.size() <= 8) {
      for (char c : e) {
        out->rsa_exponent = (out->rsa_exponent << 8) | static_cast<uint8_t>(c);
      }
    }
    out->type = KeyType::kRsa;
    return absl::OkStatus();
  }

  if (*oid == "1.2.840.10045.2.1") {  // id-ecPublicKey
    if (!der::PeekTag(params, CBS_ASN1_OBJECT)) {
      return Error(params_field, params_offset,
                   "EC parameters must be a namedCurve OID (RFC 5480)");
    }
    absl::StatusOr<std::string> curve = der::ReadOid(&params, params_field);
    if (!curve.ok()) return curve.status();
    MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(params, params_field));
    out->curve_oid = *curve;
    const EcCurve* named = FindEcCurve(*curve);
    if (named == nullptr) {
      out->type = KeyType::kEcOther;
      return absl::OkStatus();
    }
    out->type = named->type;
    out->bits = named->bits;
    const size_t field_bytes = static_cast<size_t>((named->bits + 7) / 8);
    // SEC 1 2.3.3: 0x04 || X || Y, or 0x02/0x03 || X.
    const absl::string_view point = bits.view();
    const bool ok =
        !point.empty() &&
        ((point[0] == 0x04 && point.size() == 1 + 2 * field_bytes) ||
         ((point[0] == 0x02 || point[0] == 0x03) &&
          point.size() == 1 + field_bytes));
    if (!ok) {
      return Error(key_field, key_offset,
                   absl::StrCat("not a valid encoded point for ",
                                KeyTypeName(out->type)));
    }
    return absl::OkStatus();
  }

  if (*oid == "1.3.101.112" || *oid == "1.3.101.113") {
    const bool ed25519 = *oid == "1.3.101.112";
    if (!params.empty()) {
      return Error(params_field, params_offset,
                   "EdDSA parameters must be absent (RFC 8410)");
    }
    const size_t want = ed25519 ? 32 : 57;
    if (CBS_len(&bits.cbs) != want) {
      return Error(key_field, key_offset,
                   absl::StrFormat("%s key must be %d bytes, got %d",
                                   ed25519 ? "Ed25519" : "Ed448", want,
                                   CBS_len(&bits.cbs)));
    }
    out->type = ed25519 ? KeyType::kEd25519 : KeyType::kEd448;
    out->bits = ed25519 ? 256 : 456;
    return absl::OkStatus();
  }

  out->type = KeyType::kOther;
  return absl::OkStatus();
}

absl::Status Parser::ParseBoolean(Cursor* in, absl::string_view field,
                                  bool* out) {
  Cursor contents;
  const size_t offset = in->Offset();
  MAILSHAKE_X509_RETURN_IF_ERROR(
      ReadElement(in, CBS_ASN1_BOOLEAN, field, &contents));
  const absl::string_view v = contents.view();
  if (v.size() != 1 || (v[0] != 0 && static_cast<uint8_t>(v[0]) != 0xff)) {
    return Error(field, offset,
                 "BOOLEAN must be one octet, 0x00 or 0xFF, in DER");
  }
  *out = v[0] != 0;
  return absl::OkStatus();
}

absl::Status Parser::ParseExtensions(Cursor in, Certificate* cert) {
  constexpr absl::string_view kField = "tbsCertificate.extensions";
  if (in.empty()) {
    return Error(kField, in.Offset(), "empty Extensions SEQUENCE");
  }
  absl::flat_hash_set<std::string> seen_oids;
  while (!in.empty()) {
    if (cert->extensions.size() == kMaxExtensions) {
      return Error(kField, in.Offset(),
                   absl::StrCat("more than ", kMaxExtensions, " extensions"));
    }
    const size_t offset = in.Offset();
    Cursor ext, element;
    MAILSHAKE_X509_RETURN_IF_ERROR(
        ReadElement(&in, CBS_ASN1_SEQUENCE, kField, &ext, &element));
    absl::StatusOr<std::string> oid =
        der::ReadOid(&ext, absl::StrCat(kField, ".extnID"));
    if (!oid.ok()) return oid.status();
    const absl::string_view name = ExtensionName(*oid);
    const std::string field =
        absl::StrCat(kField, ".", name.empty() ? *oid : std::string(name));
    // A set, not a scan of the earlier extensions: the check stays linear
    // in the number of extensions.
    if (!seen_oids.insert(*oid).second) {
      return Error(field, offset, "duplicate extension");
    }
    Extension& out = cert->extensions.emplace_back();
    out.oid = *oid;
    out.der = element.view();
    if (der::PeekTag(ext, CBS_ASN1_BOOLEAN)) {
      const size_t bool_offset = ext.Offset();
      MAILSHAKE_X509_RETURN_IF_ERROR(
          ParseBoolean(&ext, absl::StrCat(field, ".critical"), &out.critical));
      if (!out.critical) {
        return Error(absl::StrCat(field, ".critical"), bool_offset,
                     "FALSE is the DEFAULT and must not be encoded in DER");
      }
    }
    Cursor value;
    MAILSHAKE_X509_RETURN_IF_ERROR(ReadElement(
        &ext, CBS_ASN1_OCTETSTRING, absl::StrCat(field, ".extnValue"),
        &value));
    MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(ext, field));
    out.value = value.view();
    bool understood = false;
    // |out| may move as |cert->extensions| grows; copy what is needed first.
    const std::string oid_copy = out.oid;
    MAILSHAKE_X509_RETURN_IF_ERROR(
        ParseExtensionValue(oid_copy, value, field, cert, &understood));
    cert->extensions.back().understood = understood;
  }
  return absl::OkStatus();
}

absl::Status Parser::ParseGeneralName(Cursor* in, absl::string_view field,
                                      GeneralName* out) {
  const size_t offset = in->Offset();
  unsigned tag;
  CBS contents;
  MAILSHAKE_X509_RETURN_IF_ERROR(ReadAnyElement(in, field, &tag, &contents));
  const absl::string_view bytes = View(contents);
  auto ia5 = [&](GeneralName::Type type, absl::string_view what)
      -> absl::Status {
    absl::StatusOr<std::string> s = der::DecodeString(CBS_ASN1_IA5STRING, bytes);
    if (!s.ok()) {
      return Error(field, offset, absl::StrCat(what, ": ", s.status().message()));
    }
    out->type = type;
    out->value = *std::move(s);
    return absl::OkStatus();
  };
  switch (tag) {
    case CBS_ASN1_CONTEXT_SPECIFIC | 1:
      return ia5(GeneralName::Type::kEmail, "rfc822Name");
    case CBS_ASN1_CONTEXT_SPECIFIC | 2:
      return ia5(GeneralName::Type::kDns, "dNSName");
    case CBS_ASN1_CONTEXT_SPECIFIC | 6:
      return ia5(GeneralName::Type::kUri, "uniformResourceIdentifier");
    case CBS_ASN1_CONTEXT_SPECIFIC | 7: {
      char text[INET6_ADDRSTRLEN];
      const int family = bytes.size() == 4    ? AF_INET
                         : bytes.size() == 16 ? AF_INET6
                                              : 0;
      if (family == 0) {
        return Error(field, offset,
                     absl::StrFormat("iPAddress must be 4 or 16 octets, got %d",
                                     bytes.size()));
      }
      if (inet_ntop(family, bytes.data(), text, sizeof(text)) == nullptr) {
        return Error(field, offset, "iPAddress cannot be formatted");
      }
      out->type = GeneralName::Type::kIp;
      out->value = text;
      out->ip = std::string(bytes);
      return absl::OkStatus();
    }
    case CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0: {
      // OtherName ::= SEQUENCE { type-id OBJECT IDENTIFIER,
      //                           value [0] EXPLICIT ANY DEFINED BY type-id }
      // (IMPLICIT: these are the contents of the [0]). Checked so that what
      // we accept is an OtherName a consumer can decode.
      Cursor inner{contents, base_};
      absl::StatusOr<std::string> type_id =
          der::ReadOid(&inner, absl::StrCat(field, ".otherName.type-id"));
      if (!type_id.ok()) return type_id.status();
      const std::string value_field = absl::StrCat(field, ".otherName.value");
      Cursor value, any;
      MAILSHAKE_X509_RETURN_IF_ERROR(ReadElement(
          &inner, kContext0 | CBS_ASN1_CONSTRUCTED, value_field, &value));
      MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(inner, field));
      if (value.empty()) {
        return Error(value_field, value.Offset(), "otherName value is empty");
      }
      MAILSHAKE_X509_RETURN_IF_ERROR(
          der::ReadOptionalParameters(&value, value_field, &any));
      out->value = absl::StrCat("otherName:", *type_id);
      break;
    }
    case CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 3:
      out->value = "x400Address";
      break;
    case CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 4: {
      // directoryName is an EXPLICIT Name; parse it so it is validated.
      Cursor inner{contents, base_};
      Name name;
      MAILSHAKE_X509_RETURN_IF_ERROR(ParseName(&inner, field, &name));
      MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(inner, field));
      out->value = absl::StrCat("directoryName:", name.ToString());
      break;
    }
    case CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 5: {
      // EDIPartyName ::= SEQUENCE { nameAssigner [0] DirectoryString OPTIONAL,
      //                             partyName    [1] DirectoryString }
      // (IMPLICIT; the [0] and [1] are EXPLICIT because DirectoryString is a
      // CHOICE).
      Cursor inner{contents, base_};
      std::string party;
      for (const unsigned item : {0u, 1u}) {
        const unsigned item_tag =
            CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | item;
        if (item == 0 && !der::PeekTag(inner, item_tag)) continue;
        const std::string item_field = absl::StrCat(
            field, item == 0 ? ".ediPartyName.nameAssigner"
                             : ".ediPartyName.partyName");
        Cursor explicit_item;
        MAILSHAKE_X509_RETURN_IF_ERROR(
            ReadElement(&inner, item_tag, item_field, &explicit_item));
        const size_t string_offset = explicit_item.Offset();
        CBS string;
        unsigned string_tag;
        size_t string_header;
        if (!CBS_get_any_asn1_element(&explicit_item.cbs, &string,
                                      &string_tag, &string_header)) {
          Cursor unused;
          return ReadElement(&explicit_item, 0, item_field, &unused);
        }
        MAILSHAKE_X509_RETURN_IF_ERROR(
            der::ExpectEnd(explicit_item, item_field));
        if (string_tag != CBS_ASN1_T61STRING &&
            string_tag != CBS_ASN1_PRINTABLESTRING &&
            string_tag != CBS_ASN1_UNIVERSALSTRING &&
            string_tag != CBS_ASN1_UTF8STRING &&
            string_tag != CBS_ASN1_BMPSTRING) {
          return Error(item_field, string_offset,
                       absl::StrCat("not a DirectoryString: ",
                                    der::DescribeTag(string_tag)));
        }
        CBS_skip(&string, string_header);
        absl::StatusOr<std::string> decoded =
            der::DecodeString(string_tag, View(string));
        if (!decoded.ok()) {
          return Error(item_field, string_offset, decoded.status().message());
        }
        party = *std::move(decoded);
      }
      MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(inner, field));
      out->value = absl::StrCat("ediPartyName:", party);
      break;
    }
    case CBS_ASN1_CONTEXT_SPECIFIC | 8: {
      absl::StatusOr<std::string> oid = der::OidToText(bytes);
      if (!oid.ok()) return Error(field, offset, oid.status().message());
      out->value = absl::StrCat("registeredID:", *oid);
      break;
    }
    default:
      return Error(field, offset,
                   absl::StrCat("not a GeneralName: ", der::DescribeTag(tag)));
  }
  out->type = GeneralName::Type::kOther;
  return absl::OkStatus();
}

absl::Status Parser::ParseDisplayText(Cursor* in, absl::string_view field) {
  const size_t offset = in->Offset();
  unsigned tag;
  CBS contents;
  MAILSHAKE_X509_RETURN_IF_ERROR(ReadAnyElement(in, field, &tag, &contents));
  // DisplayText ::= CHOICE { ia5String, visibleString, bmpString,
  // utf8String } (RFC 5280 4.2.1.4). VisibleString's repertoire is not
  // checked (DecodeString has no VisibleString, and nothing is reported).
  if (tag != CBS_ASN1_IA5STRING && tag != CBS_ASN1_VISIBLESTRING &&
      tag != CBS_ASN1_BMPSTRING && tag != CBS_ASN1_UTF8STRING) {
    return Error(field, offset,
                 absl::StrCat("not a DisplayText: ", der::DescribeTag(tag)));
  }
  if (tag == CBS_ASN1_VISIBLESTRING) return absl::OkStatus();
  absl::StatusOr<std::string> decoded = der::DecodeString(tag, View(contents));
  if (!decoded.ok()) return Error(field, offset, decoded.status().message());
  return absl::OkStatus();
}

absl::Status Parser::ParsePolicyQualifier(Cursor* in, absl::string_view field) {
  // PolicyQualifierInfo ::= SEQUENCE { policyQualifierId OBJECT IDENTIFIER,
  //                                    qualifier ANY DEFINED BY it }
  Cursor info;
  MAILSHAKE_X509_RETURN_IF_ERROR(
      ReadElement(in, CBS_ASN1_SEQUENCE, field, &info));
  absl::StatusOr<std::string> id = der::ReadOid(&info, field);
  if (!id.ok()) return id.status();
  const size_t offset = info.Offset();
  if (*id == "1.3.6.1.5.5.7.2.1") {  // id-qt-cps: CPSuri ::= IA5String
    Cursor uri;
    MAILSHAKE_X509_RETURN_IF_ERROR(
        ReadElement(&info, CBS_ASN1_IA5STRING, field, &uri));
    absl::StatusOr<std::string> decoded =
        der::DecodeString(CBS_ASN1_IA5STRING, uri.view());
    if (!decoded.ok()) return Error(field, offset, decoded.status().message());
  } else if (*id == "1.3.6.1.5.5.7.2.2") {  // id-qt-unotice
    // UserNotice ::= SEQUENCE { noticeRef NoticeReference OPTIONAL,
    //                           explicitText DisplayText OPTIONAL }
    // NoticeReference ::= SEQUENCE { organization DisplayText,
    //                                noticeNumbers SEQUENCE OF INTEGER }
    Cursor notice;
    MAILSHAKE_X509_RETURN_IF_ERROR(
        ReadElement(&info, CBS_ASN1_SEQUENCE, field, &notice));
    if (der::PeekTag(notice, CBS_ASN1_SEQUENCE)) {
      Cursor ref, numbers;
      MAILSHAKE_X509_RETURN_IF_ERROR(
          ReadElement(&notice, CBS_ASN1_SEQUENCE, field, &ref));
      MAILSHAKE_X509_RETURN_IF_ERROR(ParseDisplayText(&ref, field));
      MAILSHAKE_X509_RETURN_IF_ERROR(
          ReadElement(&ref, CBS_ASN1_SEQUENCE, field, &numbers));
      MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(ref, field));
      for (size_t count = 0; !numbers.empty(); ++count) {
        if (count >= kMaxListEntries) {
          return Error(field, numbers.Offset(),
                       absl::StrCat("more than ", kMaxListEntries,
                                    " noticeNumbers"));
        }
        Cursor number;
        MAILSHAKE_X509_RETURN_IF_ERROR(
            ReadElement(&numbers, CBS_ASN1_INTEGER, field, &number));
        MAILSHAKE_X509_RETURN_IF_ERROR(der::ValidateInteger(
            number, field, /*require_non_negative=*/false));
      }
    }
    if (!notice.empty()) {
      MAILSHAKE_X509_RETURN_IF_ERROR(ParseDisplayText(&notice, field));
    }
    MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(notice, field));
  } else {
    if (info.empty()) {
      return Error(field, offset, "PolicyQualifierInfo without a qualifier");
    }
    Cursor any;
    return der::ReadOptionalParameters(&info, field, &any);
  }
  return der::ExpectEnd(info, field);
}

absl::Status Parser::ParseGeneralNames(Cursor* in, absl::string_view field,
                                       size_t limit,
                                       std::vector<GeneralName>* out) {
  if (in->empty()) {
    return Error(field, in->Offset(), "GeneralNames must not be empty");
  }
  while (!in->empty()) {
    if (out->size() >= limit) {
      return Error(field, in->Offset(),
                   absl::StrCat("more than ", limit, " names"));
    }
    GeneralName name;
    MAILSHAKE_X509_RETURN_IF_ERROR(ParseGeneralName(in, field, &name));
    out->push_back(std::move(name));
  }
  return absl::OkStatus();
}

absl::Status Parser::ParseExtensionValue(const std::string& oid, Cursor value,
                                         absl::string_view field,
                                         Certificate* cert, bool* understood) {
  *understood = true;
  const size_t offset = value.Offset();
  auto list_limit = [&](size_t count, const Cursor& at) -> absl::Status {
    if (count >= kMaxListEntries) {
      return Error(field, at.Offset(),
                   absl::StrCat("more than ", kMaxListEntries, " entries"));
    }
    return absl::OkStatus();
  };

  if (oid == "2.5.29.17") {  // subjectAltName
    Cursor seq;
    MAILSHAKE_X509_RETURN_IF_ERROR(
        ReadElement(&value, CBS_ASN1_SEQUENCE, field, &seq));
    MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(value, field));
    cert->has_subject_alt_name = true;
    return ParseGeneralNames(&seq, field, kMaxSubjectAltNames,
                             &cert->subject_alt_names);
  }
  if (oid == "2.5.29.19") {  // basicConstraints
    Cursor seq;
    MAILSHAKE_X509_RETURN_IF_ERROR(
        ReadElement(&value, CBS_ASN1_SEQUENCE, field, &seq));
    MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(value, field));
    BasicConstraints bc;
    if (der::PeekTag(seq, CBS_ASN1_BOOLEAN)) {
      const size_t ca_offset = seq.Offset();
      const std::string ca_field = absl::StrCat(field, ".cA");
      MAILSHAKE_X509_RETURN_IF_ERROR(ParseBoolean(&seq, ca_field, &bc.ca));
      if (!bc.ca) {
        return Error(ca_field, ca_offset,
                     "FALSE is the DEFAULT and must not be encoded in DER");
      }
    }
    if (!seq.empty()) {
      const std::string len_field =
          absl::StrCat(field, ".pathLenConstraint");
      Cursor len;
      const size_t len_offset = seq.Offset();
      MAILSHAKE_X509_RETURN_IF_ERROR(
          ReadElement(&seq, CBS_ASN1_INTEGER, len_field, &len));
      MAILSHAKE_X509_RETURN_IF_ERROR(
          der::ValidateInteger(len, len_field, /*require_non_negative=*/true));
      absl::string_view v = len.view();
      if (v.size() > 1 && v.front() == 0) v.remove_prefix(1);
      if (v.size() > 8) {
        return Error(len_field, len_offset, "pathLenConstraint is too large");
      }
      uint64_t n = 0;
      for (char c : v) n = (n << 8) | static_cast<uint8_t>(c);
      bc.path_len = n;
      MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(seq, field));
    }
    cert->basic_constraints = bc;
    return absl::OkStatus();
  }
  if (oid == "2.5.29.15") {  // keyUsage
    Cursor bits;
    MAILSHAKE_X509_RETURN_IF_ERROR(
        ReadElement(&value, CBS_ASN1_BITSTRING, field, &bits));
    MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(value, field));
    if (!CBS_is_valid_asn1_bitstring(&bits.cbs)) {
      return Error(field, offset, "invalid BIT STRING (bad padding bits)");
    }
    const absl::string_view b = bits.view();
    // X.690 11.2.2: a named bit list drops trailing zero bits, so the last
    // octet's last used bit is set.
    if (b.size() == 1 || b.size() > 3) {
      return Error(field, offset,
                   b.size() == 1 ? "keyUsage has no bits set"
                                 : "keyUsage BIT STRING is longer than 9 bits");
    }
    const uint8_t unused = static_cast<uint8_t>(b[0]);
    const uint8_t last = static_cast<uint8_t>(b.back());
    if ((last & (1u << unused)) == 0) {
      return Error(field, offset,
                   "keyUsage BIT STRING has trailing zero bits (not DER)");
    }
    uint16_t mask = 0;
    for (unsigned bit = 0; bit < 16; ++bit) {
      if (CBS_asn1_bitstring_has_bit(&bits.cbs, bit)) mask |= 1u << bit;
    }
    cert->key_usage = mask;
    return absl::OkStatus();
  }
  if (oid == "2.5.29.37") {  // extKeyUsage
    Cursor seq;
    MAILSHAKE_X509_RETURN_IF_ERROR(
        ReadElement(&value, CBS_ASN1_SEQUENCE, field, &seq));
    MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(value, field));
    if (seq.empty()) return Error(field, offset, "empty extKeyUsage");
    while (!seq.empty()) {
      MAILSHAKE_X509_RETURN_IF_ERROR(
          list_limit(cert->extended_key_usages.size(), seq));
      absl::StatusOr<std::string> purpose = der::ReadOid(&seq, field);
      if (!purpose.ok()) return purpose.status();
      cert->extended_key_usages.push_back(*std::move(purpose));
    }
    return absl::OkStatus();
  }
  if (oid == "2.5.29.14") {  // subjectKeyIdentifier
    Cursor id;
    MAILSHAKE_X509_RETURN_IF_ERROR(
        ReadElement(&value, CBS_ASN1_OCTETSTRING, field, &id));
    MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(value, field));
    cert->subject_key_id = id.view();
    return absl::OkStatus();
  }
  if (oid == "2.5.29.35") {  // authorityKeyIdentifier
    Cursor seq;
    MAILSHAKE_X509_RETURN_IF_ERROR(
        ReadElement(&value, CBS_ASN1_SEQUENCE, field, &seq));
    MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(value, field));
    if (der::PeekTag(seq, kContext0)) {
      Cursor id;
      MAILSHAKE_X509_RETURN_IF_ERROR(ReadElement(
          &seq, kContext0, absl::StrCat(field, ".keyIdentifier"), &id));
      cert->authority_key_id = id.view();
    }
    if (der::PeekTag(seq, kContext1 | CBS_ASN1_CONSTRUCTED)) {
      const std::string issuer_field =
          absl::StrCat(field, ".authorityCertIssuer");
      Cursor names;
      MAILSHAKE_X509_RETURN_IF_ERROR(ReadElement(
          &seq, kContext1 | CBS_ASN1_CONSTRUCTED, issuer_field, &names));
      std::vector<GeneralName> unused;
      MAILSHAKE_X509_RETURN_IF_ERROR(
          ParseGeneralNames(&names, issuer_field, kMaxListEntries, &unused));
    }
    if (der::PeekTag(seq, kContext2)) {
      const std::string serial_field =
          absl::StrCat(field, ".authorityCertSerialNumber");
      Cursor serial;
      MAILSHAKE_X509_RETURN_IF_ERROR(
          ReadElement(&seq, kContext2, serial_field, &serial));
      MAILSHAKE_X509_RETURN_IF_ERROR(
          der::ValidateInteger(serial, serial_field, false));
    }
    return der::ExpectEnd(seq, field);
  }
  if (oid == "1.3.6.1.5.5.7.1.1") {  // authorityInfoAccess
    Cursor seq;
    MAILSHAKE_X509_RETURN_IF_ERROR(
        ReadElement(&value, CBS_ASN1_SEQUENCE, field, &seq));
    MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(value, field));
    if (seq.empty()) return Error(field, offset, "empty authorityInfoAccess");
    size_t count = 0;
    while (!seq.empty()) {
      MAILSHAKE_X509_RETURN_IF_ERROR(list_limit(count++, seq));
      Cursor desc;
      MAILSHAKE_X509_RETURN_IF_ERROR(
          ReadElement(&seq, CBS_ASN1_SEQUENCE, field, &desc));
      absl::StatusOr<std::string> method =
          der::ReadOid(&desc, absl::StrCat(field, ".accessMethod"));
      if (!method.ok()) return method.status();
      GeneralName location;
      MAILSHAKE_X509_RETURN_IF_ERROR(ParseGeneralName(
          &desc, absl::StrCat(field, ".accessLocation"), &location));
      MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(desc, field));
      if (location.type != GeneralName::Type::kUri) continue;
      if (*method == "1.3.6.1.5.5.7.48.1") {
        cert->ocsp_urls.push_back(std::move(location.value));
      } else if (*method == "1.3.6.1.5.5.7.48.2") {
        cert->ca_issuers_urls.push_back(std::move(location.value));
      }
    }
    return absl::OkStatus();
  }
  if (oid == "2.5.29.31") {  // cRLDistributionPoints
    Cursor seq;
    MAILSHAKE_X509_RETURN_IF_ERROR(
        ReadElement(&value, CBS_ASN1_SEQUENCE, field, &seq));
    MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(value, field));
    if (seq.empty()) return Error(field, offset, "empty cRLDistributionPoints");
    size_t count = 0;
    while (!seq.empty()) {
      MAILSHAKE_X509_RETURN_IF_ERROR(list_limit(count++, seq));
      Cursor point;
      const size_t point_offset = seq.Offset();
      MAILSHAKE_X509_RETURN_IF_ERROR(
          ReadElement(&seq, CBS_ASN1_SEQUENCE, field, &point));
      if (point.empty()) {
        return Error(field, point_offset, "empty DistributionPoint");
      }
      if (der::PeekTag(point, kContext0 | CBS_ASN1_CONSTRUCTED)) {
        const std::string name_field =
            absl::StrCat(field, ".distributionPoint");
        Cursor dp_name;
        MAILSHAKE_X509_RETURN_IF_ERROR(ReadElement(
            &point, kContext0 | CBS_ASN1_CONSTRUCTED, name_field, &dp_name));
        if (der::PeekTag(dp_name, kContext0 | CBS_ASN1_CONSTRUCTED)) {
          Cursor full;
          MAILSHAKE_X509_RETURN_IF_ERROR(ReadElement(
              &dp_name, kContext0 | CBS_ASN1_CONSTRUCTED, name_field, &full));
          std::vector<GeneralName> names;
          MAILSHAKE_X509_RETURN_IF_ERROR(
              ParseGeneralNames(&full, name_field, kMaxListEntries, &names));
          for (GeneralName& n : names) {
            if (n.type == GeneralName::Type::kUri) {
              cert->crl_urls.push_back(std::move(n.value));
            }
          }
        } else {
          // nameRelativeToCRLIssuer: a RelativeDistinguishedName, SET SIZE
          // (1..MAX) OF AttributeTypeAndValue { type OID, value ANY }.
          Cursor relative;
          const size_t relative_offset = dp_name.Offset();
          MAILSHAKE_X509_RETURN_IF_ERROR(
              ReadElement(&dp_name, kContext1 | CBS_ASN1_CONSTRUCTED,
                          name_field, &relative));
          if (relative.empty()) {
            return Error(name_field, relative_offset,
                         "empty nameRelativeToCRLIssuer");
          }
          while (!relative.empty()) {
            Cursor atv, value;
            MAILSHAKE_X509_RETURN_IF_ERROR(
                ReadElement(&relative, CBS_ASN1_SEQUENCE, name_field, &atv));
            absl::StatusOr<std::string> type = der::ReadOid(&atv, name_field);
            if (!type.ok()) return type.status();
            const size_t value_offset = atv.Offset();
            MAILSHAKE_X509_RETURN_IF_ERROR(
                der::ReadOptionalParameters(&atv, name_field, &value));
            if (value.empty()) {
              return Error(name_field, value_offset,
                           "AttributeTypeAndValue without a value");
            }
          }
        }
        MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(dp_name, name_field));
      }
      if (der::PeekTag(point, kContext1)) {
        Cursor reasons;
        const std::string reasons_field = absl::StrCat(field, ".reasons");
        MAILSHAKE_X509_RETURN_IF_ERROR(
            ReadElement(&point, kContext1, reasons_field, &reasons));
        if (!CBS_is_valid_asn1_bitstring(&reasons.cbs)) {
          return Error(reasons_field, reasons.Offset(), "invalid BIT STRING");
        }
      }
      if (der::PeekTag(point, kContext2 | CBS_ASN1_CONSTRUCTED)) {
        const std::string issuer_field = absl::StrCat(field, ".cRLIssuer");
        Cursor names;
        MAILSHAKE_X509_RETURN_IF_ERROR(ReadElement(
            &point, kContext2 | CBS_ASN1_CONSTRUCTED, issuer_field, &names));
        std::vector<GeneralName> unused;
        MAILSHAKE_X509_RETURN_IF_ERROR(
            ParseGeneralNames(&names, issuer_field, kMaxListEntries, &unused));
      }
      MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(point, field));
    }
    return absl::OkStatus();
  }
  if (oid == "2.5.29.32") {  // certificatePolicies
    Cursor seq;
    MAILSHAKE_X509_RETURN_IF_ERROR(
        ReadElement(&value, CBS_ASN1_SEQUENCE, field, &seq));
    MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(value, field));
    if (seq.empty()) return Error(field, offset, "empty certificatePolicies");
    while (!seq.empty()) {
      MAILSHAKE_X509_RETURN_IF_ERROR(list_limit(cert->policy_oids.size(), seq));
      Cursor info;
      const size_t info_offset = seq.Offset();
      MAILSHAKE_X509_RETURN_IF_ERROR(
          ReadElement(&seq, CBS_ASN1_SEQUENCE, field, &info));
      absl::StatusOr<std::string> policy =
          der::ReadOid(&info, absl::StrCat(field, ".policyIdentifier"));
      if (!policy.ok()) return policy.status();
      if (!info.empty()) {
        // policyQualifiers: SEQUENCE SIZE (1..MAX) OF PolicyQualifierInfo;
        // checked so that what we accept a consumer can decode, not reported.
        Cursor qualifiers;
        const std::string q_field = absl::StrCat(field, ".policyQualifiers");
        MAILSHAKE_X509_RETURN_IF_ERROR(
            ReadElement(&info, CBS_ASN1_SEQUENCE, q_field, &qualifiers));
        if (qualifiers.empty()) {
          return Error(q_field, info_offset, "empty policyQualifiers");
        }
        for (size_t count = 0; !qualifiers.empty(); ++count) {
          MAILSHAKE_X509_RETURN_IF_ERROR(list_limit(count, qualifiers));
          MAILSHAKE_X509_RETURN_IF_ERROR(
              ParsePolicyQualifier(&qualifiers, q_field));
        }
        MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(info, field));
      }
      if (std::find(cert->policy_oids.begin(), cert->policy_oids.end(),
                    *policy) != cert->policy_oids.end()) {
        return Error(field, info_offset,
                     absl::StrCat("policy ", *policy, " appears twice"));
      }
      cert->policy_oids.push_back(*std::move(policy));
    }
    return absl::OkStatus();
  }
  if (oid == "1.3.6.1.4.1.11129.2.4.2") {  // SCT list (RFC 6962 3.3)
    Cursor list;
    MAILSHAKE_X509_RETURN_IF_ERROR(
        ReadElement(&value, CBS_ASN1_OCTETSTRING, field, &list));
    MAILSHAKE_X509_RETURN_IF_ERROR(der::ExpectEnd(value, field));
    cert->has_sct_list = true;
    return absl::OkStatus();
  }
  *understood = false;
  return absl::OkStatus();
}

}  // namespace

// --- public functions -----------------------------------------------------------

absl::StatusOr<Certificate> ParseCertificate(absl::string_view der) {
  Certificate cert;
  Parser parser(der);
  MAILSHAKE_X509_RETURN_IF_ERROR(parser.Parse(der, &cert));
  return cert;
}

absl::string_view SignatureAlgorithmName(SignatureAlgorithm alg) {
  switch (alg) {
    case SignatureAlgorithm::kUnknown: return "unknown";
    case SignatureAlgorithm::kMd5WithRsa: return "md5WithRSAEncryption";
    case SignatureAlgorithm::kSha1WithRsa: return "sha1WithRSAEncryption";
    case SignatureAlgorithm::kSha224WithRsa: return "sha224WithRSAEncryption";
    case SignatureAlgorithm::kSha256WithRsa: return "sha256WithRSAEncryption";
    case SignatureAlgorithm::kSha384WithRsa: return "sha384WithRSAEncryption";
    case SignatureAlgorithm::kSha512WithRsa: return "sha512WithRSAEncryption";
    case SignatureAlgorithm::kRsaPss: return "rsassaPss";
    case SignatureAlgorithm::kEcdsaWithSha1: return "ecdsa-with-SHA1";
    case SignatureAlgorithm::kEcdsaWithSha224: return "ecdsa-with-SHA224";
    case SignatureAlgorithm::kEcdsaWithSha256: return "ecdsa-with-SHA256";
    case SignatureAlgorithm::kEcdsaWithSha384: return "ecdsa-with-SHA384";
    case SignatureAlgorithm::kEcdsaWithSha512: return "ecdsa-with-SHA512";
    case SignatureAlgorithm::kEd25519: return "ed25519";
    case SignatureAlgorithm::kEd448: return "ed448";
    case SignatureAlgorithm::kDsaWithSha1: return "dsa-with-SHA1";
    case SignatureAlgorithm::kDsaWithSha256: return "dsa-with-SHA256";
  }
  return "unknown";
}

bool IsWeakSignatureAlgorithm(SignatureAlgorithm alg) {
  return alg == SignatureAlgorithm::kMd5WithRsa ||
         alg == SignatureAlgorithm::kSha1WithRsa ||
         alg == SignatureAlgorithm::kEcdsaWithSha1 ||
         alg == SignatureAlgorithm::kDsaWithSha1;
}

absl::string_view AttributeTypeShortName(AttributeType type) {
  switch (type) {
    case AttributeType::kCommonName: return "CN";
    case AttributeType::kSerialNumber: return "serialNumber";
    case AttributeType::kCountry: return "C";
    case AttributeType::kLocality: return "L";
    case AttributeType::kStateOrProvince: return "ST";
    case AttributeType::kOrganization: return "O";
    case AttributeType::kOrganizationalUnit: return "OU";
    case AttributeType::kEmailAddress: return "emailAddress";
    case AttributeType::kDomainComponent: return "DC";
    case AttributeType::kOther: return "";
  }
  return "";
}

const EcCurve* FindEcCurve(absl::string_view oid) {
  for (const EcCurve& c : kEcCurves) {
    if (c.oid == oid) return &c;
  }
  return nullptr;
}

std::string KeyName(const PublicKey& key) {
  if (key.type == KeyType::kEcOther) {
    const EcCurve* c = FindEcCurve(key.curve_oid);
    if (c != nullptr) return absl::StrCat("ECDSA ", c->name);
    return absl::StrCat("ECDSA (curve ", key.curve_oid, ")");
  }
  return std::string(KeyTypeName(key.type));
}

absl::string_view KeyTypeName(KeyType type) {
  switch (type) {
    case KeyType::kRsa: return "RSA";
    case KeyType::kEcP256: return "ECDSA P-256";
    case KeyType::kEcP384: return "ECDSA P-384";
    case KeyType::kEcP521: return "ECDSA P-521";
    case KeyType::kEcOther: return "ECDSA (other curve)";
    case KeyType::kEd25519: return "Ed25519";
    case KeyType::kEd448: return "Ed448";
    case KeyType::kOther: return "other";
  }
  return "other";
}

absl::string_view ExtensionName(absl::string_view oid) {
  return Lookup(kExtensionOids, oid);
}

absl::string_view ExtendedKeyUsageName(absl::string_view oid) {
  return Lookup(kEkuOids, oid);
}

std::string ToString(const GeneralName& name) {
  switch (name.type) {
    case GeneralName::Type::kDns: return absl::StrCat("DNS:", name.value);
    case GeneralName::Type::kIp: return absl::StrCat("IP:", name.value);
    case GeneralName::Type::kEmail: return absl::StrCat("email:", name.value);
    case GeneralName::Type::kUri: return absl::StrCat("URI:", name.value);
    case GeneralName::Type::kOther: return absl::StrCat("other:", name.value);
  }
  return "";
}

std::vector<std::string> Name::Values(AttributeType type) const {
  std::vector<std::string> out;
  for (const Rdn& rdn : rdns) {
    for (const Attribute& attr : rdn.attributes) {
      if (attr.type == type) out.push_back(attr.value);
    }
  }
  return out;
}

std::string Name::Last(AttributeType type) const {
  for (auto rdn = rdns.rbegin(); rdn != rdns.rend(); ++rdn) {
    for (auto attr = rdn->attributes.rbegin(); attr != rdn->attributes.rend();
         ++attr) {
      if (attr->type == type) return attr->value;
    }
  }
  return "";
}

std::string Name::ToString() const {
  std::string out;
  for (auto rdn = rdns.rbegin(); rdn != rdns.rend(); ++rdn) {
    if (!out.empty()) out.push_back(',');
    bool first = true;
    for (const Attribute& attr : rdn->attributes) {
      if (!first) out.push_back('+');
      first = false;
      const absl::string_view short_name = AttributeTypeShortName(attr.type);
      absl::StrAppend(&out, short_name.empty() ? attr.oid : short_name, "=");
      for (size_t i = 0; i < attr.value.size(); ++i) {
        const char c = attr.value[i];
        const bool special = absl::string_view(",+\"\\<>;=").find(c) !=
                             absl::string_view::npos;
        const bool edge = (i == 0 && (c == '#' || c == ' ')) ||
                          (i + 1 == attr.value.size() && c == ' ');
        if (special || edge) out.push_back('\\');
        out.push_back(c);
      }
    }
  }
  return out;
}

namespace {

std::string FoldForCompare(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = false;
  for (char c : absl::StripAsciiWhitespace(s)) {
    if (c == ' ') {
      space = true;
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace

bool NamesEqual(const Name& a, const Name& b) {
  if (a.der == b.der) return true;
  if (a.rdns.size() != b.rdns.size()) return false;
  for (size_t i = 0; i < a.rdns.size(); ++i) {
    const std::vector<Attribute>& x = a.rdns[i].attributes;
    const std::vector<Attribute>& y = b.rdns[i].attributes;
    if (x.size() != y.size()) return false;
    for (size_t k = 0; k < x.size(); ++k) {
      if (x[k].oid != y[k].oid ||
          FoldForCompare(x[k].value) != FoldForCompare(y[k].value)) {
        return false;
      }
    }
  }
  return true;
}

std::string Certificate::SerialHex() const {
  return absl::BytesToHexString(serial);
}

bool Certificate::IsEv() const {
  return std::find(policy_oids.begin(), policy_oids.end(), kEvPolicyOid) !=
         policy_oids.end();
}

const Extension* Certificate::FindExtension(absl::string_view oid) const {
  for (const Extension& ext : extensions) {
    if (ext.oid == oid) return &ext;
  }
  return nullptr;
}

}  // namespace mailshake::x509
