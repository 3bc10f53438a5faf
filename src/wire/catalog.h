#ifndef MAILSHAKE_SRC_WIRE_CATALOG_H_
#define MAILSHAKE_SRC_WIRE_CATALOG_H_

// The IANA catalog the probe speaks from: TLS cipher suites in real use,
// named groups and signature schemes, with the attributes policies judge by.
// Unlike src/tls's catalog (what BoringSSL implements), this one lists what
// servers may accept, whether or not any library here can complete a
// handshake with it. Entries are constant data with static storage.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace mailshake::wire {

// Protocol versions as they appear on the wire.
inline constexpr uint16_t kSsl3 = 0x0300;
inline constexpr uint16_t kTls10 = 0x0301;
inline constexpr uint16_t kTls11 = 0x0302;
inline constexpr uint16_t kTls12 = 0x0303;
inline constexpr uint16_t kTls13 = 0x0304;

// VersionName returns "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3" or
// "0xHHHH" for anything else (static storage for the known ones; the unknown
// ones use a small thread-local buffer, valid until the next call).
const char* VersionName(uint16_t version);

// Key exchange of a suite. TLS 1.3 suites carry kAny: the group is negotiated
// separately and is always ephemeral.
enum class KeyExchange : uint8_t {
  kAny,       // TLS 1.3
  kRsa,       // static RSA key transport
  kDh,        // static (EC)DH: DH_RSA/DH_DSS
  kEcdh,      // static ECDH_RSA/ECDH_ECDSA
  kDhe,
  kEcdhe,
  kPsk,
  kDhePsk,
  kEcdhePsk,
  kRsaPsk,
  kSrp,
  kKrb5,
};

// Authentication of a suite's server.
enum class Authentication : uint8_t {
  kAny,  // TLS 1.3: chosen by the certificate and signature algorithm
  kRsa,
  kDss,
  kEcdsa,
  kPsk,
  kAnonymous,  // no authentication at all (DH_anon, ECDH_anon)
  kKrb5,
};

enum class Cipher : uint8_t {
  kNull,
  kRc4_40,
  kRc4_128,
  kRc2_40,
  kDes40,
  kDes,
  k3Des,
  kIdea,
  kSeed,
  kAes128,
  kAes256,
  kCamellia128,
  kCamellia256,
  kAria128,
  kAria256,
  kChaCha20,
  kSm4,
};

enum class CipherMode : uint8_t {
  kNone,    // NULL cipher
  kStream,  // RC4
  kCbc,
  kGcm,
  kCcm,
  kCcm8,
  kPoly1305,  // ChaCha20-Poly1305
};

// The record MAC; AEAD suites carry kAead (their PRF hash is |prf_hash|).
enum class Mac : uint8_t { kAead, kMd5, kSha1, kSha256, kSha384, kNull };

enum class Hash : uint8_t { kNone, kMd5, kSha1, kSha224, kSha256, kSha384, kSha512, kIntrinsic };

// CipherSuiteInfo is one IANA cipher suite.
struct CipherSuiteInfo {
  uint16_t id;
  const char* iana_name;     // "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
  const char* openssl_name;  // "ECDHE-RSA-AES128-GCM-SHA256"; "" when OpenSSL has none
  KeyExchange key_exchange;
  Authentication authentication;
  Cipher cipher;
  CipherMode mode;
  Mac mac;
  uint16_t min_version;  // first version that may negotiate it
  uint16_t max_version;  // last version that may negotiate it
  bool export_grade;     // EXPORT (40/56-bit) suite
  bool null_cipher;      // no encryption
  bool anonymous;        // no server authentication

  // True when every key exchange of the suite is ephemeral (DHE, ECDHE, any
  // TLS 1.3 suite).
  bool forward_secret() const;
  // True for GCM, CCM, CCM_8 and ChaCha20-Poly1305.
  bool aead() const;
  // Symmetric key length in bits (0 for NULL; effective bits for EXPORT).
  int cipher_bits() const;
};

// CipherSuites returns the whole catalog, ordered by id. It never changes at
// run time. TLS 1.3 suites have min_version == max_version == kTls13; SSL 3.0
// suites have min_version == kSsl3.
absl::Span<const CipherSuiteInfo> CipherSuites();

// FindCipherSuite returns the entry with |id|, or null when it is not in the
// catalog (callers print such ids as hex).
const CipherSuiteInfo* FindCipherSuite(uint16_t id);

// FindCipherSuiteByName returns the entry whose IANA or OpenSSL name equals
// |name| (case-insensitively), or null.
const CipherSuiteInfo* FindCipherSuiteByName(absl::string_view name);

// SuitesForVersion returns the ids of the catalog's suites that |version| can
// negotiate, in catalog order (by id).
// Signalling values (SCSVs) are never included.
std::vector<uint16_t> SuitesForVersion(uint16_t version);

// Signalling cipher suite values (RFC 5746, RFC 7507).
inline constexpr uint16_t kEmptyRenegotiationInfoScsv = 0x00ff;
inline constexpr uint16_t kFallbackScsv = 0x5600;

enum class GroupKind : uint8_t {
  kEcdhe,   // elliptic curve (incl. X25519/X448 and brainpool)
  kFfdhe,   // RFC 7919 finite-field group
  kHybrid,  // post-quantum hybrid (e.g. X25519MLKEM768)
  kPostQuantum,
};

// GroupInfo is one IANA TLS named group (supported_groups codepoint).
struct GroupInfo {
  uint16_t id;
  const char* name;          // IANA name: "x25519", "secp256r1", "ffdhe2048", "X25519MLKEM768"
  const char* openssl_name;  // OpenSSL's: "X25519", "P-256", "ffdhe2048", "" when none
  GroupKind kind;
  int bits;                  // classical security size: curve bits or FFDHE modulus bits
  uint16_t min_version;      // brainpoolP*r1tls13 and the PQ groups are TLS 1.3 only
  uint16_t max_version;      // brainpoolP*r1 (26-28) and the deprecated curves: TLS 1.2 at most
  // True when WriteClientHello can put a real key share for this group
  // (generated with BoringSSL's primitives) into a TLS 1.3 ClientHello.
  bool key_share_supported;
};

// Groups returns the catalog of named groups, ordered by id.
absl::Span<const GroupInfo> Groups();

// FindGroup returns the entry with |id|, or null.
const GroupInfo* FindGroup(uint16_t id);

// FindGroupByName returns the entry whose IANA or OpenSSL name equals |name|
// (case-insensitively), or null.
const GroupInfo* FindGroupByName(absl::string_view name);

// SignatureSchemeInfo is one TLS SignatureScheme (TLS 1.3 names; in TLS 1.2
// the same codepoints are the (hash, signature) pairs of RFC 5246).
struct SignatureSchemeInfo {
  uint16_t id;
  const char* name;  // "rsa_pss_rsae_sha256", "ecdsa_secp256r1_sha256", "rsa_pkcs1_sha1"
  Hash hash;         // kIntrinsic for ed25519/ed448
  bool tls13_allowed;  // false for PKCS#1 v1.5, SHA-1, SHA-224, MD5, DSA in TLS 1.3 handshakes
};

// SignatureSchemes returns the catalog of signature schemes, ordered by id.
absl::Span<const SignatureSchemeInfo> SignatureSchemes();

// FindSignatureScheme returns the entry with |id|, or null.
const SignatureSchemeInfo* FindSignatureScheme(uint16_t id);

// SuiteName, GroupName and SignatureSchemeName return the IANA name of
// |id| ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "x25519",
// "rsa_pss_rsae_sha256"), or "0xHHHH" when the catalog does not list it. They
// are the one way reports name codepoints.
std::string SuiteName(uint16_t id);
std::string GroupName(uint16_t id);
std::string SignatureSchemeName(uint16_t id);

// AlertName returns the RFC name of TLS alert |description|
// ("handshake_failure", "protocol_version"), or "alert_N" in a thread-local
// buffer for unknown ones.
const char* AlertName(uint8_t description);

}  // namespace mailshake::wire

#endif  // MAILSHAKE_SRC_WIRE_CATALOG_H_
