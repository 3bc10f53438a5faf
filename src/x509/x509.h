// X.509 certificates as mail servers present them: a strict DER parser built
// on BoringSSL's CBS, PEM loading, chain order checks and RFC 6125 / RFC 9525
// host-name matching.
//
// Certificates arrive from untrusted servers, so parsing is exact and bounded:
//
//   absl::StatusOr<Certificate> cert = ParseCertificate(der);
//   if (!cert.ok()) {
//     // e.g. "tbsCertificate.validity.notAfter at offset 173:
//     //       GeneralizedTime has fractional seconds"
//   }
//
// A Certificate refers into the bytes it was parsed from (every
// absl::string_view member is a span of the input), so those bytes must
// outlive it. CertificateChain owns its bytes for the common case of loading
// a file.

#ifndef MAILSHAKE_SRC_X509_X509_H_
#define MAILSHAKE_SRC_X509_X509_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace mailshake::x509 {

// Input bounds. Anything larger is rejected with an error that names the
// limit.
inline constexpr size_t kMaxCertificateBytes = 64 * 1024;
inline constexpr size_t kMaxExtensions = 256;
inline constexpr size_t kMaxSubjectAltNames = 1024;
inline constexpr size_t kMaxRdns = 64;
inline constexpr size_t kMaxAttributesPerRdn = 16;
// Applies to each list inside an extension: EKU OIDs, policies, their
// qualifiers and notice numbers, access descriptions, distribution points
// and their names.
inline constexpr size_t kMaxListEntries = 64;
inline constexpr size_t kMaxPemCertificates = 64;
inline constexpr size_t kMaxPemBytes = 4 * 1024 * 1024;

// --- Algorithms -------------------------------------------------------------

enum class SignatureAlgorithm {
  kUnknown,
  kMd5WithRsa,
  kSha1WithRsa,
  kSha224WithRsa,
  kSha256WithRsa,
  kSha384WithRsa,
  kSha512WithRsa,
  kRsaPss,
  kEcdsaWithSha1,
  kEcdsaWithSha224,
  kEcdsaWithSha256,
  kEcdsaWithSha384,
  kEcdsaWithSha512,
  kEd25519,
  kEd448,
  kDsaWithSha1,
  kDsaWithSha256,
};

// SignatureAlgorithmName returns the conventional name of |alg|, e.g.
// "sha256WithRSAEncryption", "ecdsa-with-SHA256", "rsassaPss", "ed25519", or
// "unknown".
absl::string_view SignatureAlgorithmName(SignatureAlgorithm alg);

// IsWeakSignatureAlgorithm reports whether |alg| hashes with MD5 or SHA-1,
// which no CA may use any more.
bool IsWeakSignatureAlgorithm(SignatureAlgorithm alg);

// RsaPssParameters are the decoded RSASSA-PSS-params (RFC 4055), with the
// DEFAULTs filled in when absent.
struct RsaPssParameters {
  std::string hash = "sha1";       // "sha1", "sha256", ... or the OID
  std::string mgf1_hash = "sha1";  // hash inside MGF1
  uint64_t salt_length = 20;
};

struct AlgorithmIdentifier {
  std::string oid;  // dotted form
  SignatureAlgorithm algorithm = SignatureAlgorithm::kUnknown;
  // Whole parameters element (tag and length included); empty when absent.
  absl::string_view parameters;
  std::optional<RsaPssParameters> pss;  // set for kRsaPss
};

// --- Names ------------------------------------------------------------------

enum class AttributeType {
  kCommonName,          // 2.5.4.3
  kSerialNumber,        // 2.5.4.5
  kCountry,             // 2.5.4.6
  kLocality,            // 2.5.4.7
  kStateOrProvince,     // 2.5.4.8
  kOrganization,        // 2.5.4.10
  kOrganizationalUnit,  // 2.5.4.11
  kEmailAddress,        // 1.2.840.113549.1.9.1
  kDomainComponent,     // 0.9.2342.19200300.100.1.25
  kOther,
};

// AttributeTypeShortName returns "CN", "serialNumber", "C", "L", "ST", "O",
// "OU", "emailAddress", "DC", or "" for kOther.
absl::string_view AttributeTypeShortName(AttributeType type);

struct Attribute {
  AttributeType type = AttributeType::kOther;
  std::string oid;    // dotted form, always set
  unsigned string_tag = 0;  // universal tag the value was encoded with
  std::string value;  // decoded to UTF-8
};

// A relative distinguished name: one or more attributes (multi-valued RDNs
// have several). The SET OF order is kept as encoded, not re-sorted.
struct Rdn {
  std::vector<Attribute> attributes;
};

struct Name {
  absl::string_view der;  // the whole Name SEQUENCE element
  std::vector<Rdn> rdns;

  // Values returns every value of attributes of |type|, in encoded order.
  std::vector<std::string> Values(AttributeType type) const;
  // Last returns the last (most specific) value of |type|, or "".
  std::string Last(AttributeType type) const;
  // ToString renders the name most-specific first, RFC 4514 style
  // ("CN=mail.example.com,O=Example,C=US"; "+" joins multi-valued RDNs;
  // ",+\"\\<>;=" and leading '#'/space and trailing space are escaped).
  std::string ToString() const;
};

// NamesEqual compares two Names as RFC 5280 7.1 permits without a full
// LDAP StringPrep: identical DER, or the same RDN structure, attribute types
// and values where values compare equal after ASCII case folding and
// collapsing runs of spaces (so a PrintableString and a UTF8String of the
// same text are equal).
bool NamesEqual(const Name& a, const Name& b);

// --- Public key ---------------------------------------------------------------

enum class KeyType {
  kRsa,     // rsaEncryption or id-RSASSA-PSS keys
  kEcP256,
  kEcP384,
  kEcP521,
  kEcOther,  // a named curve other than the three above (see EcCurve)
  kEd25519,
  kEd448,
  kOther,
};

// KeyTypeName returns "RSA", "ECDSA P-256", "ECDSA P-384", "ECDSA P-521",
// "ECDSA (other curve)", "Ed25519", "Ed448" or "other".
absl::string_view KeyTypeName(KeyType type);

// EcCurve is a named curve of an EC key: its OID, its name ("P-224",
// "brainpoolP256r1", "K-283", ...), its field size in bits and the KeyType
// keys on it get.
struct EcCurve {
  const char* oid;
  const char* name;
  int bits;
  KeyType type;
};

// FindEcCurve returns the curve whose namedCurve OID is |oid| (dotted), or
// null for a curve the parser does not know.
const EcCurve* FindEcCurve(absl::string_view oid);

struct PublicKey {
  absl::string_view spki_der;  // the whole SubjectPublicKeyInfo element
  std::string algorithm_oid;
  KeyType type = KeyType::kOther;
  // RSA modulus length, the curve's field size (256 for P-256 and
  // brainpoolP256r1, 521 for P-521, ...), 256 for Ed25519, 456 for Ed448; 0
  // when unknown.
  int bits = 0;
  // RSA public exponent; 0 if it does not fit in 64 bits.
  uint64_t rsa_exponent = 0;
  std::string curve_oid;  // EC keys only
};

// KeyName names |key| for people: KeyTypeName, except that EC keys on a
// curve other than P-256/384/521 are named by their curve ("ECDSA
// brainpoolP256r1", "ECDSA P-224"), or by its OID when FindEcCurve does not
// know it ("ECDSA (curve 1.2.3.4)").
std::string KeyName(const PublicKey& key);

// --- Extensions -------------------------------------------------------------

struct GeneralName {
  enum class Type { kDns, kIp, kEmail, kUri, kOther };
  Type type = Type::kOther;
  // dNSName, rfc822Name, URI as encoded (IA5); iPAddress in text form
  // (RFC 5952 for IPv6); for kOther a description such as "otherName" or
  // "directoryName".
  std::string value;
  // The 4 or 16 address octets for kIp.
  std::string ip;
};

// ToString renders |name| as "DNS:mx.example.com", "IP:192.0.2.1",
// "email:...", "URI:..." or "other:<kind>".
std::string ToString(const GeneralName& name);

struct Extension {
  std::string oid;
  bool critical = false;
  absl::string_view der;    // the whole Extension SEQUENCE element
  absl::string_view value;  // the contents of extnValue
  // True for the extensions this parser decodes into Certificate fields;
  // false for unknown ones (their OID and criticality are all we report).
  bool understood = false;
};

// ExtensionName returns a name for well-known extension OIDs
// ("subjectAltName", "nameConstraints", ...) or "" when unknown.
absl::string_view ExtensionName(absl::string_view oid);

struct BasicConstraints {
  bool ca = false;
  std::optional<uint64_t> path_len;
};

// keyUsage bits (RFC 5280 4.2.1.3), as a bit mask: bit N of the BIT STRING
// is (1 << N).
enum KeyUsageBit : uint16_t {
  kDigitalSignature = 1 << 0,
  kNonRepudiation = 1 << 1,
  kKeyEncipherment = 1 << 2,
  kDataEncipherment = 1 << 3,
  kKeyAgreement = 1 << 4,
  kKeyCertSign = 1 << 5,
  kCrlSign = 1 << 6,
  kEncipherOnly = 1 << 7,
  kDecipherOnly = 1 << 8,
};

// ExtendedKeyUsageName returns "serverAuth", "clientAuth", "codeSigning",
// "emailProtection", "timeStamping", "OCSPSigning", "anyExtendedKeyUsage" for
// those OIDs, or "" for others.
absl::string_view ExtendedKeyUsageName(absl::string_view oid);

// The CA/Browser Forum's EV policy OID.
inline constexpr absl::string_view kEvPolicyOid = "2.23.140.1.1";

// --- Certificate --------------------------------------------------------------

struct Certificate {
  // DER spans into the parsed input.
  absl::string_view der;                      // the whole certificate
  absl::string_view tbs_der;                  // tbsCertificate element
  absl::string_view signature_algorithm_der;  // outer AlgorithmIdentifier
  absl::string_view signature_value_der;      // signatureValue BIT STRING
  absl::string_view signature;  // its bits (unused-bits octet removed)

  int version = 1;  // 1, 2 or 3
  // Serial number content octets as encoded (two's complement, minimal).
  absl::string_view serial;
  bool serial_negative = false;
  AlgorithmIdentifier signature_algorithm;  // equal to the tbs copy
  Name issuer;
  Name subject;
  absl::Time not_before;
  absl::Time not_after;
  PublicKey public_key;

  // Every extension in encoded order, understood or not.
  std::vector<Extension> extensions;

  // Decoded extensions.
  bool has_subject_alt_name = false;
  std::vector<GeneralName> subject_alt_names;
  std::optional<BasicConstraints> basic_constraints;
  std::optional<uint16_t> key_usage;  // KeyUsageBit mask
  std::vector<std::string> extended_key_usages;  // OIDs
  std::optional<absl::string_view> subject_key_id;
  std::optional<absl::string_view> authority_key_id;
  std::vector<std::string> ocsp_urls;
  std::vector<std::string> ca_issuers_urls;
  std::vector<std::string> crl_urls;
  std::vector<std::string> policy_oids;
  bool has_sct_list = false;

  // SerialHex returns the serial as lower-case hex of its content octets,
  // colon-free ("00c0ffee00000001").
  std::string SerialHex() const;
  // IsEv reports whether the certificate asserts the CA/B Forum EV policy.
  bool IsEv() const;
  // FindExtension returns the extension with |oid| or null.
  const Extension* FindExtension(absl::string_view oid) const;
};

// ParseCertificate parses one DER certificate occupying all of |der|. It
// enforces DER (minimal lengths and integers, BOOLEAN TRUE as 0xFF, DEFAULT
// values omitted), RFC 5280 times, the bounds above, known-extension syntax,
// and rejects duplicate extensions and trailing bytes. It does not check the
// signature. The result points into |der|, which must outlive it. Errors are
// InvalidArgument and name the field path and byte offset.
absl::StatusOr<Certificate> ParseCertificate(absl::string_view der);

// --- PEM ----------------------------------------------------------------------

// DecodePemCertificates returns the DER of every "-----BEGIN CERTIFICATE-----"
// block in |pem|, in order. Text outside blocks is ignored; lines may end in
// CRLF; other PEM block types are skipped. Errors: no CERTIFICATE block,
// a block without its END line, invalid base64 (naming the block and line),
// input over kMaxPemBytes, or more than kMaxPemCertificates blocks.
absl::StatusOr<std::vector<std::string>> DecodePemCertificates(
    absl::string_view pem);

// --- Chains -------------------------------------------------------------------

// IsIssuedBy reports whether |parent| names |child|'s issuer: child.issuer
// equals parent.subject (NamesEqual) and, when child has an authority key
// identifier and parent a subject key identifier, the two are equal. The
// signature is not verified.
bool IsIssuedBy(const Certificate& child, const Certificate& parent);

// IsSelfSigned reports whether |cert| is self-issued in the RFC 5280 sense
// used for roots: subject equals issuer and, when both key identifiers are
// present, they are equal.
bool IsSelfSigned(const Certificate& cert);

struct ChainAnalysis {
  // Every certificate is issued by the next one (trivially true for one).
  bool ordered = true;
  // Indices i for which chain[i] is not issued by chain[i + 1].
  std::vector<size_t> broken_links;
  // The last certificate is self-signed (the chain includes its root).
  bool ends_at_self_signed_root = false;
  // The first certificate is self-signed.
  bool leaf_self_signed = false;
};

// AnalyzeChain checks the order of |chain| as a server sends it: leaf first,
// each certificate followed by its issuer. An empty chain is not ordered.
ChainAnalysis AnalyzeChain(absl::Span<const Certificate> chain);

// CertificateChain owns the bytes of a list of parsed certificates. It is
// move-only because its Certificates point into its own buffers.
class CertificateChain {
 public:
  // FromPem decodes and parses every CERTIFICATE block of |pem|. An error
  // names the block (1-based) that failed.
  static absl::StatusOr<CertificateChain> FromPem(absl::string_view pem);
  // FromDer parses each of |ders|.
  static absl::StatusOr<CertificateChain> FromDer(std::vector<std::string> ders);
  // FromFileContents accepts PEM (if the text contains "-----BEGIN") or a
  // single DER certificate.
  static absl::StatusOr<CertificateChain> FromFileContents(
      absl::string_view contents);

  CertificateChain(CertificateChain&&) = default;
  CertificateChain& operator=(CertificateChain&&) = default;
  CertificateChain(const CertificateChain&) = delete;
  CertificateChain& operator=(const CertificateChain&) = delete;

  absl::Span<const Certificate> certificates() const { return certificates_; }
  const Certificate& leaf() const { return certificates_.front(); }
  size_t size() const { return certificates_.size(); }

 private:
  CertificateChain() = default;
  // Moving a vector keeps its elements (and their heap buffers) in place, so
  // the spans in |certificates_| stay valid across moves.
  std::vector<std::string> ders_;
  std::vector<Certificate> certificates_;
};

// --- Host names (RFC 6125 / RFC 9525) ---------------------------------------

enum class NameMatchSource { kNone, kSanDns, kSanIp, kSubjectCommonName };

struct NameMatchResult {
  bool matched = false;
  NameMatchSource source = NameMatchSource::kNone;
  std::string presented;  // the identifier that matched
  // Why nothing matched, for operators ("certificate has no DNS name
  // matching ..."); empty when matched.
  std::string reason;
};

// MatchDnsPattern reports whether the presented DNS identifier |pattern|
// matches the reference host name |host|. Both are ASCII; a trailing dot is
// ignored on each; comparison is case-insensitive; any byte outside
// printable ASCII, an empty label or a label over 63 octets means no match.
// A wildcard is recognised only as the entire left-most label ("*.a.b"); it
// matches exactly one non-empty label, and only when at least two labels
// follow it, so "*.com" never matches. Without a public suffix list
// "*.co.uk" cannot be told from "*.example.com" and is accepted. A '*'
// anywhere else ("f*.a.b", "*.*.a.b", "a.*.b") never matches anything, and a
// |host| containing '*' matches nothing.
bool MatchDnsPattern(absl::string_view pattern, absl::string_view host);

// ParseIpAddress returns the 4 or 16 octets of an IPv4 dotted-quad or IPv6
// literal (no brackets, no zone), or nullopt.
std::optional<std::string> ParseIpAddress(absl::string_view text);

// MatchHostName checks |reference| (what the client dialled) against |cert|:
// an IP literal only against SAN iPAddress entries; a DNS name against SAN
// dNSName entries, and against the last subject CN only when the certificate
// has no dNSName at all.
NameMatchResult MatchHostName(const Certificate& cert,
                              absl::string_view reference);

// NameRules names the host-name rules a mail client applies; each is what one
// kind of sender does with the name it checks (the reference identifier).
enum class NameRules {
  // RFC 9525: subjectAltName only (dNSName for a name, iPAddress for an IP
  // literal), never the subject CN; a wildcard only as the whole left-most
  // label, standing for exactly one label (|MatchDnsPattern|).
  kRfc9525,
  // RFC 6125 as most TLS libraries still apply it: RFC 9525, plus the last
  // subject CN when the certificate has no dNSName at all (|MatchHostName|).
  kRfc6125,
  // MTA-STS (RFC 8461 4.1, 4.2): the certificate must carry a dNSName valid
  // for the MX host under RFC 9525. The reference may also be a policy "mx"
  // pattern "*.example.net": it matches when some dNSName is a host that
  // pattern allows (one label under example.net) or is that same wildcard.
  kMtaSts,
  // Postfix's matcher: a certificate wildcard "*.example.com" stands for one
  // or more labels ("a.b.example.com" matches), a reference ".example.com"
  // ("dot-nexthop") matches any name below example.com in the certificate,
  // and the CN counts when there is no dNSName.
  kPostfix,
  // An Exchange connector's TlsDomain: "contoso.com" must appear as a name in
  // the certificate (subjectAltName or CN); "*.contoso.com" matches
  // contoso.com itself and any name below it (a presented wildcard
  // "*.contoso.com" too).
  kExchangeTlsDomain,
};

// ParseNameRules accepts "rfc9525", "rfc6125", "mta-sts", "postfix" and
// "exchange" (case-insensitive).
absl::StatusOr<NameRules> ParseNameRules(absl::string_view name);

// NameRulesName returns the name |ParseNameRules| accepts for |rules|.
absl::string_view NameRulesName(NameRules rules);

// MatchName checks |reference| against |cert| under |rules|. For kRfc6125 it
// is |MatchHostName|. An IP literal is matched against iPAddress SANs only,
// under every rule.
NameMatchResult MatchName(const Certificate& cert, absl::string_view reference,
                          NameRules rules);

}  // namespace mailshake::x509

#endif  // MAILSHAKE_SRC_X509_X509_H_
