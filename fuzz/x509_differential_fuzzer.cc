// Differential fuzzing: mailshake's ParseCertificate against BoringSSL's
// d2i_X509 and its accessors.
//
// Both accept: version, serial, subject, issuer, validity, key and SANs
// agree, the extension counts agree, and BoringSSL decodes (X509V3_EXT_d2i,
// as BoringSSL's own fuzz/cert.cc forces) every extension we decoded.
//
// We reject, BoringSSL accepts: d2i_X509 decodes extensions and the public
// key lazily, so when our error lies inside an extension that X509V3_EXT_d2i
// cannot decode either, or inside the SubjectPublicKeyInfo and
// X509_get_pubkey fails too, both reject. Every other rejection of ours must
// match one rule of kStricterRules below: a named rule, a field prefix and
// the defect text, each stating one condition where we are stricter than
// BoringSSL API 17 on purpose (DER where it takes BER, RFC 5280 where it is
// lenient, our size limits).
//
// Both accept, accessors may differ:
//   - ec-point:         we check only the encoded point's length, not that it
//                       lies on the curve, so X509_get_pubkey may fail.
//   - rsa-key-checks:   BoringSSL's RSA public key checks (e.g. modulus size
//                       limits, even modulus, bad exponent) may refuse a key we
//                       report.

#include <arpa/inet.h>
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

#include <algorithm>
#include <climits>
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

// What a rule's check sees: the input, our message's parts, and BoringSSL's
// certificate.
struct Rejection {
  const uint8_t* data;
  size_t size;
  absl::string_view field;
  size_t offset;
  absl::string_view defect;
};

// A DER header read by hand (so that BER forms can be described too).
struct Header {
  uint8_t tag = 0;       // first identifier octet
  size_t header_len = 0;
  size_t len = 0;
  bool indefinite = false;
  bool minimal = true;   // the length is in DER's shortest form
};

bool ReadHeader(const uint8_t* data, size_t size, size_t offset, Header* h) {
  if (offset >= size) return false;
  size_t i = offset;
  h->tag = data[i++];
  if ((h->tag & 0x1f) == 0x1f) {
    while (i < size && (data[i] & 0x80)) ++i;
    if (i++ >= size) return false;
  }
  if (i >= size) return false;
  const uint8_t l = data[i++];
  h->len = l < 0x80 ? l : 0;
  h->indefinite = l == 0x80;
  h->minimal = true;
  if (l > 0x80) {
    const size_t n = l & 0x7f;
    if (n > 8 || i + n > size) return false;
    for (size_t k = 0; k < n; ++k) h->len = (h->len << 8) | data[i + k];
    // Long form: no leading zero octet, and only for 128 and more.
    h->minimal = data[i] != 0 && h->len >= 0x80;
    i += n;
  }
  h->header_len = i - offset;
  return h->indefinite || h->len <= size - i;
}

// The largest index, in any list of DER elements inside the input (the
// contents of a constructed element, or an OCTET/BIT STRING holding DER), of
// an element that starts at |offset|; -1 if none does.
long IndexInList(CBS list, const uint8_t* base, size_t offset, int depth) {
  long found = -1;
  if (depth > 64) return found;
  for (long i = 0; CBS_len(&list) > 0; ++i) {
    const size_t at = CBS_data(&list) - base;
    CBS element;
    unsigned tag;
    size_t header_len;
    if (!CBS_get_any_asn1_element(&list, &element, &tag, &header_len)) break;
    if (at == offset) found = std::max(found, i);
    if (at > offset || at + CBS_len(&element) <= offset) continue;
    CBS contents = element;
    CBS_skip(&contents, header_len);
    if (tag == CBS_ASN1_BITSTRING) CBS_skip(&contents, 1);
    if ((tag & CBS_ASN1_CONSTRUCTED) || tag == CBS_ASN1_OCTETSTRING ||
        tag == CBS_ASN1_BITSTRING) {
      found = std::max(found, IndexInList(contents, base, offset, depth + 1));
    }
  }
  return found;
}

// "more than N ...": N.
size_t LimitIn(absl::string_view defect) {
  const size_t at = defect.find("more than ");
  if (at == absl::string_view::npos) return SIZE_MAX;
  size_t n = 0;
  for (char c : defect.substr(at + 10)) {
    if (c < '0' || c > '9') break;
    n = n * 10 + (c - '0');
  }
  return n;
}

// Each check states the rule's condition on the input itself, so that our
// parser rejecting for the rule's reason where the condition does not hold
// (a limit off by one, a check that misfires) is a failure, not an excuse.
bool OverSizeLimit(const Rejection& r) {
  return r.size > mailshake::x509::kMaxCertificateBytes;
}
// The rejected element is preceded by at least N others in its list.
bool OverCountLimit(const Rejection& r) {
  CBS all;
  CBS_init(&all, r.data, r.size);
  const size_t limit = LimitIn(r.defect);
  const long index = IndexInList(all, r.data, r.offset, 0);
  return limit != SIZE_MAX && index >= 0 && static_cast<size_t>(index) >= limit;
}
bool LengthNotDer(const Rejection& r) {
  Header h;
  // (A length running past the input still has its form read.)
  ReadHeader(r.data, r.size, r.offset, &h);
  return h.indefinite || !h.minimal;
}
// ExtensionHolding returns the index of the extension whose DER element
// holds input offset |offset| after its first octet or ends there, and sets
// *|oid| and *|value| to its OID and extnValue contents; -1 if none does. It
// walks Certificate > tbsCertificate > [3] > Extensions, the same path
// d2i_X509 records extensions from. An error inside a named extension lies
// after the extension's first octet (its OID comes first); one at its very
// end is an element missing there ("missing [1] constructed (no bytes
// left)", an empty value), so an error at the boundary of two extensions
// belongs to the first. (The one error about a named extension reported at
// its first octet, "duplicate extension", is about the list, not the
// extension: callers leave it out.)
int ExtensionHolding(const uint8_t* data, size_t size, size_t offset, CBS* oid,
                     CBS* value) {
  CBS in, cert, tbs, element;
  CBS_init(&in, data, size);
  if (!CBS_get_asn1(&in, &cert, CBS_ASN1_SEQUENCE) ||
      !CBS_get_asn1(&cert, &tbs, CBS_ASN1_SEQUENCE)) {
    return -1;
  }
  while (CBS_len(&tbs) > 0) {
    unsigned tag;
    if (!CBS_get_any_asn1(&tbs, &element, &tag)) return -1;
    if (tag != (CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 3)) continue;
    CBS exts, ext;
    if (!CBS_get_asn1(&element, &exts, CBS_ASN1_SEQUENCE)) return -1;
    for (int i = 0; CBS_len(&exts) > 0; ++i) {
      const size_t begin = CBS_data(&exts) - data;
      if (!CBS_get_asn1_element(&exts, &ext, CBS_ASN1_SEQUENCE)) return -1;
      if (offset <= begin || offset > begin + CBS_len(&ext)) continue;
      CBS fields;
      const bool split =
          CBS_get_asn1(&ext, &fields, CBS_ASN1_SEQUENCE) &&
          CBS_get_asn1(&fields, oid, CBS_ASN1_OBJECT) &&
          CBS_get_optional_asn1(&fields, nullptr, nullptr, CBS_ASN1_BOOLEAN) &&
          CBS_get_asn1(&fields, value, CBS_ASN1_OCTETSTRING);
      if (!split) {
        CBS_init(oid, nullptr, 0);
        CBS_init(value, nullptr, 0);
      }
      return i;
    }
    return -1;
  }
  return -1;
}

// An SCT list extension (RFC 6962 3.3: extnValue holds one OCTET STRING)
// whose extnValue is not exactly one OCTET STRING. BoringSSL API 17 has no
// decoder for it, so it never looks inside.
bool SctListNotOneOctetString(const Rejection& r) {
  static const uint8_t kSctOid[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02};
  CBS oid, value, list;
  if (ExtensionHolding(r.data, r.size, r.offset, &oid, &value) < 0 ||
      !CBS_mem_equal(&oid, kSctOid, sizeof(kSctOid))) {
    return false;
  }
  return !CBS_get_asn1(&value, &list, CBS_ASN1_OCTETSTRING) || CBS_len(&value) != 0;
}

// A context-specific element with the constructed bit clear whose contents
// are whole DER elements: the encoding of an IMPLICIT [n] of a constructed
// type (GeneralNames, a RelativeDistinguishedName) with the bit clear.
bool PrimitiveContextHoldingElements(const Rejection& r) {
  Header h;
  if (!ReadHeader(r.data, r.size, r.offset, &h) || (h.tag & 0xe0) != 0x80 || h.len == 0) {
    return false;
  }
  CBS contents, element;
  CBS_init(&contents, r.data + r.offset + h.header_len, h.len);
  while (CBS_len(&contents) > 0) {
    if (!CBS_get_any_asn1_element(&contents, &element, nullptr, nullptr)) return false;
  }
  return true;
}

// authorityKeyIdentifier's [1] authorityCertIssuer (GeneralNames, so 0xA1)
// with the constructed bit clear (0x81): we do not recognise it and report
// the octets from there on as trailing.
bool AkiIssuerPrimitive(const Rejection& r) {
  return r.field == "tbsCertificate.extensions.authorityKeyIdentifier" && r.offset < r.size &&
         r.data[r.offset] == 0x81 && PrimitiveContextHoldingElements(r);
}

// A SEQUENCE (0x10) or SET (0x11) with the constructed bit clear.
bool PrimitiveSequenceOrSet(const Rejection& r) {
  return r.offset < r.size && (r.data[r.offset] == 0x10 || r.data[r.offset] == 0x11);
}
bool IpNotFourOrSixteen(const Rejection& r) {
  Header h;
  return ReadHeader(r.data, r.size, r.offset, &h) && h.tag == 0x87 &&
         h.len != 4 && h.len != 16;
}
bool BooleanNotDer(const Rejection& r) {
  Header h;
  if (!ReadHeader(r.data, r.size, r.offset, &h) || h.tag != 0x01) return false;
  const uint8_t* v = r.data + r.offset + h.header_len;
  return h.len != 1 || (v[0] != 0x00 && v[0] != 0xff);
}
// (|offset| is the INTEGER's first content octet.)
bool IntegerNotMinimal(const Rejection& r) {
  if (r.offset + 1 >= r.size) return false;
  const uint8_t a = r.data[r.offset], b = r.data[r.offset + 1];
  return (a == 0x00 && b < 0x80) || (a == 0xff && b >= 0x80);
}
bool SignatureUnusedBits(const Rejection& r) {
  Header h;
  return ReadHeader(r.data, r.size, r.offset, &h) && h.tag == CBS_ASN1_BITSTRING &&
         h.len >= 1 && r.data[r.offset + h.header_len] != 0;
}
// pathLenConstraint: more than 8 octets after a sign octet.
bool PathLenTooLarge(const Rejection& r) {
  Header h;
  if (!ReadHeader(r.data, r.size, r.offset, &h) || h.tag != CBS_ASN1_INTEGER) {
    return false;
  }
  size_t n = h.len;
  if (n > 1 && r.data[r.offset + h.header_len] == 0) --n;
  return n > 8;
}

// A rule excuses one rejection of ours that BoringSSL's d2i_X509 does not
// share: our message's field (the text before " at offset") starts with
// |field_prefix|, the defect (after ": ") contains |defect|, and, where the
// rule has one, |holds| confirms the condition on the input. Both texts must
// match, so a rule names one condition in one place, not a whole subtree.
struct Rule {
  const char* name;
  const char* field_prefix;
  const char* defect;
  bool (*holds)(const Rejection&) = nullptr;
};

constexpr Rule kStricterRules[] = {
    // der-length: CBS refuses BER lengths anywhere; API 17's template decoder
    // accepts them.
    {"der-length", "", "non-minimal length encoding", LengthNotDer},
    {"der-length", "", "indefinite length", LengthNotDer},
    // der-default: DEFAULT values encoded.
    {"der-default", "", "is the DEFAULT and must not be encoded"},
    {"der-default", "tbsCertificate.version", "version must be v2 or v3"},
    {"der-default", "tbsCertificate.version", "v1 is the DEFAULT"},
    // der-bitstring: X.690 11.2.2 named bit lists and padding bits.
    {"der-bitstring", "tbsCertificate.extensions.keyUsage", "trailing zero bits"},
    {"der-bitstring", "tbsCertificate.extensions.keyUsage", "no bits set"},
    {"der-bitstring", "tbsCertificate.extensions.keyUsage", "longer than 9 bits"},
    {"der-bitstring", "", "invalid BIT STRING"},
    // strings: charset and encoding of name strings (DecodeString).
    {"strings", "tbsCertificate.", "UTF8String"},
    {"strings", "tbsCertificate.", "PrintableString"},
    {"strings", "tbsCertificate.", "IA5String"},
    {"strings", "tbsCertificate.", "NumericString"},
    {"strings", "tbsCertificate.", "TeletexString"},
    {"strings", "tbsCertificate.", "BMPString"},
    {"strings", "tbsCertificate.", "UniversalString"},
    {"strings", "tbsCertificate.", "NUL"},
    {"strings", "tbsCertificate.", "unsupported string type"},
    {"strings", "tbsCertificate.", "countryName must be a 2-letter"},
    {"strings", "tbsCertificate.", "must be an IA5String"},
    // rfc5280-time: RFC 5280 4.1.2.5 forms only.
    {"rfc5280-time", "tbsCertificate.validity", "UTCTime"},
    {"rfc5280-time", "tbsCertificate.validity", "GeneralizedTime"},
    // key-syntax: SPKI checks where X509_get_pubkey still loads the key
    // (when it does not, both reject and no rule is needed).
    {"key-syntax", "tbsCertificate.subjectPublicKeyInfo",
     "parameters must be NULL"},
    {"key-syntax", "tbsCertificate.subjectPublicKeyInfo",
     "parameters must be absent"},
    {"key-syntax", "tbsCertificate.subjectPublicKeyInfo",
     "must have zero unused bits"},
    {"key-syntax", "tbsCertificate.subjectPublicKeyInfo.subjectPublicKey",
     "not a valid encoded point"},
    // der-constructed: API 17's template decoder ignores the constructed
    // bit: it takes a SET OF or SEQUENCE (OF) with the bit clear (0x11, 0x10),
    // and an IMPLICIT [n] of a constructed type with it clear (0x8n).
    {"der-constructed", "tbsCertificate.", "expected SET, found universal tag 17",
     PrimitiveSequenceOrSet},
    {"der-constructed", "tbsCertificate.", "expected SEQUENCE, found universal tag 16",
     PrimitiveSequenceOrSet},
    // ip-length: API 17 keeps an iPAddress GeneralName of any length.
    {"ip-length", "tbsCertificate.extensions.",
     "iPAddress must be 4 or 16 octets", IpNotFourOrSixteen},
    {"der-constructed", "tbsCertificate.extensions.authorityKeyIdentifier",
     "unexpected trailing bytes", AkiIssuerPrimitive},
    // (a DistributionPointName's fullName [0] or nameRelativeToCRLIssuer [1]
    // with the bit clear)
    {"der-constructed", "tbsCertificate.extensions.cRLDistributionPoints.distributionPoint",
     "expected [1] constructed, found [", PrimitiveContextHoldingElements},
    // sct-list: the contents of an extension BoringSSL does not decode.
    {"sct-list", "tbsCertificate.extensions.signedCertificateTimestampList", "",
     SctListNotOneOctetString},
    // der-boolean: API 17 reads any non-zero octet as TRUE.
    {"der-boolean", "", "BOOLEAN must be one octet, 0x00 or 0xFF, in DER",
     BooleanNotDer},
    // algorithm: AlgorithmIdentifier parameters that must be NULL/absent or
    // exactly one element, and the two copies of the algorithm agreeing.
    {"algorithm", "tbsCertificate.signature", ".parameters"},
    {"algorithm", "signatureAlgorithm", ""},
    {"algorithm", "tbsCertificate.signature.parameters", ""},
    // bounds: our size and count limits (x509.h kMax*).
    {"bounds", "certificate", "-byte limit", OverSizeLimit},
    {"bounds", "", "more than", OverCountLimit},
    {"bounds", "tbsCertificate.extensions.basicConstraints.pathLenConstraint",
     "too large", PathLenTooLarge},
    // names: empty RDNs and attribute rules.
    {"names", "tbsCertificate.", "empty RelativeDistinguishedName"},
    // unique-ids: issuer/subjectUniqueID in a v1 certificate.
    {"unique-ids", "tbsCertificate.", "only allowed in v2 and v3"},
    // der-oid: CBS refuses OIDs BoringSSL's older ASN1_OBJECT decoder keeps.
    {"der-oid", "", "OBJECT IDENTIFIER"},
    {"der-oid", "", "sub-identifier"},
    {"der-oid", "", "arc"},
    // der-integer: API 17 tolerates a non-minimal INTEGER.
    {"der-integer", "", "INTEGER is not minimally encoded", IntegerNotMinimal},
    // signature-bits: API 17 keeps a signatureValue with unused bits; no
    // signature algorithm produces one.
    {"signature-bits", "signatureValue", "BIT STRING must have zero unused bits",
     SignatureUnusedBits},
    // extension-lists: RFC 5280 SIZE (1..MAX) lists and unique entries that
    // API 17 decodes without complaint.
    {"extension-lists", "tbsCertificate.extensions", "duplicate extension"},
    {"extension-lists", "tbsCertificate.extensions", "empty Extensions SEQUENCE"},
    {"extension-lists", "tbsCertificate.extensions.", "must not be empty"},
    {"extension-lists", "tbsCertificate.extensions.", "empty "},
    {"extension-lists", "tbsCertificate.extensions.certificatePolicies",
     "appears twice"},
};

// SplitMessage splits our "FIELD at offset N: DEFECT" into its parts.
bool SplitMessage(absl::string_view message, absl::string_view* field,
                  size_t* offset, absl::string_view* defect) {
  const size_t at = message.find(" at offset ");
  if (at == absl::string_view::npos) return false;
  *field = message.substr(0, at);
  absl::string_view rest = message.substr(at + 11);
  const size_t colon = rest.find(": ");
  if (colon == absl::string_view::npos) return false;
  size_t n = 0;
  for (char c : rest.substr(0, colon)) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  *offset = n;
  *defect = rest.substr(colon + 2);
  return true;
}

// The rule excusing |message|, or nullptr. *|failed_check| names a rule
// whose texts matched but whose condition does not hold on the input.
const char* StricterRule(absl::string_view message, const uint8_t* data,
                         size_t size, const char** failed_check) {
  Rejection r{data, size, {}, 0, {}};
  *failed_check = nullptr;
  if (!SplitMessage(message, &r.field, &r.offset, &r.defect)) return nullptr;
  for (const Rule& rule : kStricterRules) {
    if (absl::StartsWith(r.field, rule.field_prefix) &&
        absl::StrContains(r.defect, rule.defect)) {
      if (rule.holds != nullptr && !rule.holds(r)) {
        *failed_check = rule.name;
        continue;
      }
      return rule.name;
    }
  }
  return nullptr;
}

// DecodesExtension reports whether BoringSSL can decode extension |i| of
// |x509| with its registered method (X509V3_EXT_d2i, which cert.cc also
// forces). Extensions BoringSSL has no method for count as decodable.
bool DecodesExtension(X509* x509, int i) {
  X509_EXTENSION* ext = X509_get_ext(x509, i);
  if (ext == nullptr) return false;
  const X509V3_EXT_METHOD* method = X509V3_EXT_get(ext);
  if (method == nullptr) return true;
  void* decoded = X509V3_EXT_d2i(ext);
  ERR_clear_error();
  if (decoded == nullptr) return false;
  if (method->it != nullptr) {
    ASN1_item_free(static_cast<ASN1_VALUE*>(decoded),
                   ASN1_ITEM_ptr(method->it));
  } else {
    method->ext_free(decoded);
  }
  return true;
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
        {
          // RFC 5280 4.2.1.6: 4 octets for IPv4, 16 for IPv6; the text is
          // the address in its usual form.
          const int len = ASN1_STRING_length(s);
          FUZZ_CHECK(len == 4 || len == 16,
                     "SAN %zu: accepted an iPAddress of %d octets as '%s'", i,
                     len, mine.value.c_str());
          char text[INET6_ADDRSTRLEN];
          FUZZ_CHECK(inet_ntop(len == 4 ? AF_INET : AF_INET6,
                               ASN1_STRING_get0_data(s), text,
                               sizeof(text)) != nullptr &&
                         mine.value == text,
                     "SAN %zu: iPAddress text '%s'", i, mine.value.c_str());
        }
        s = nullptr;
        break;
      case GEN_OTHERNAME:
        FUZZ_CHECK(mine.type == GeneralName::Type::kOther &&
                       mine.value == "otherName:" +
                                         ObjText(gn->d.otherName->type_id),
                   "SAN %zu: '%s' vs otherName %s", i, mine.value.c_str(),
                   ObjText(gn->d.otherName->type_id).c_str());
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
      absl::string_view field, defect;
      size_t offset = 0;
      // d2i_X509 decodes extensions lazily: when our rejection lies inside
      // an extension BoringSSL cannot decode either, both reject it.
      if (SplitMessage(message, &field, &offset, &defect) &&
          absl::StartsWith(field, "tbsCertificate.extensions.") &&
          defect != "duplicate extension") {
        CBS oid, value;
        const int i = ExtensionHolding(data, size, offset, &oid, &value);
        if (i >= 0 && !DecodesExtension(theirs.get(), i)) return 0;
      }
      // Likewise the public key, which d2i_X509 leaves to X509_get_pubkey.
      if (absl::StartsWith(field, "tbsCertificate.subjectPublicKeyInfo")) {
        bssl::UniquePtr<EVP_PKEY> key(X509_get_pubkey(theirs.get()));
        ERR_clear_error();
        if (key == nullptr) return 0;
      }
      const char* failed_check = nullptr;
      FUZZ_CHECK(StricterRule(message, data, size, &failed_check) != nullptr,
                 "we reject what BoringSSL accepts, under no documented rule%s%s%s: "
                 "%s",
                 failed_check ? " (the condition of rule " : "",
                 failed_check ? failed_check : "",
                 failed_check ? " does not hold)" : "", message.c_str());
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
  // Every extension we accept and decode, BoringSSL decodes too.
  FUZZ_CHECK(static_cast<size_t>(X509_get_ext_count(theirs.get())) ==
                 ours->extensions.size(),
             "%zu extensions vs BoringSSL %d", ours->extensions.size(),
             X509_get_ext_count(theirs.get()));
  for (size_t i = 0; i < ours->extensions.size(); ++i) {
    if (!ours->extensions[i].understood) continue;
    FUZZ_CHECK(DecodesExtension(theirs.get(), static_cast<int>(i)),
               "BoringSSL cannot decode extension %s, which we accepted",
               ours->extensions[i].oid.c_str());
  }
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
