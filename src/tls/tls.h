// mailshake::tls: everything in mailshake that touches BoringSSL's SSL API.
//
// This module owns three things:
//   - credentials: key generation, self-signed certificates, PEM loading;
//   - the name catalog: cipher suites, groups and signature algorithms by their
//     standard names, parsed from comma lists with errors that name the entry;
//   - contexts: |NewServerContext| and |NewClientContext| turn a plain config
//     value into an |SSL_CTX| built on |TLS_with_buffers_method|, and
//     |ReadHandshakeInfo| reports what a finished handshake negotiated.
//
// Certificates are kept as DER |CRYPTO_BUFFER|s, never as |X509| objects, so a
// handshake does not parse certificates unless verification asks for it.
//
// BoringSSL facts that shape this API (BoringSSL API version 17):
//   - TLS 1.3 cipher suites cannot be configured; |ciphers| below governs TLS
//     1.2 only. What a TLS 1.3 handshake negotiated is reported, never forced.
//   - TLS 1.2 with an ECDSA certificate requires the certificate's curve among
//     the groups both sides enabled; otherwise the server fails the handshake.
//   - Groups are set with |SSL_CTX_set1_curves| (there is no
//     |SSL_CTX_set1_groups_list| in this version); CECPQ2 is available.

#ifndef MAILSHAKE_SRC_TLS_TLS_H_
#define MAILSHAKE_SRC_TLS_TLS_H_

#include <stdint.h>

#include <optional>
#include <string>
#include <vector>

#include <openssl/base.h>
#include <openssl/evp.h>
#include <openssl/pool.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

// OpenSSL 3's headers (libssl-dev) share these names under /usr/include; the
// build puts BoringSSL's first (@system//:boringssl). Fail loudly if a
// translation unit ever picks up the wrong ones.
#if !defined(OPENSSL_IS_BORINGSSL) || BORINGSSL_API_VERSION < 17
#error "mailshake needs BoringSSL (android-libboringssl-dev), not OpenSSL"
#endif

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mailshake::tls {

// Key types.

enum class KeyType { kRsa2048, kRsa3072, kRsa4096, kEcdsaP256, kEcdsaP384, kEd25519 };

// kAllKeyTypes lists every |KeyType|, in declaration order.
inline constexpr KeyType kAllKeyTypes[] = {
    KeyType::kRsa2048,   KeyType::kRsa3072,   KeyType::kRsa4096,
    KeyType::kEcdsaP256, KeyType::kEcdsaP384, KeyType::kEd25519,
};

// ParseKeyType returns the key type named |name|: one of "rsa2048", "rsa3072",
// "rsa4096", "p256", "p384" or "ed25519" (case-insensitive).
absl::StatusOr<KeyType> ParseKeyType(absl::string_view name);

// KeyTypeName returns the name |ParseKeyType| accepts for |type|.
absl::string_view KeyTypeName(KeyType type);

// KeyDescription describes a public key by algorithm and strength.
struct KeyDescription {
  // evp_type is an |EVP_PKEY_*| value (|EVP_PKEY_RSA|, |EVP_PKEY_EC|,
  // |EVP_PKEY_ED25519|), or |EVP_PKEY_NONE| when no key was seen.
  int evp_type = EVP_PKEY_NONE;
  // bits is the modulus size for RSA, the field size for EC, 253 for Ed25519.
  int bits = 0;
  // curve_nid is the curve's NID for EC keys and |NID_undef| otherwise.
  int curve_nid = 0;

  // ToString returns e.g. "RSA-2048", "ECDSA-P-256", "Ed25519" or "none".
  std::string ToString() const;
  // AsKeyType returns the |KeyType| this key is an instance of, if any.
  std::optional<KeyType> AsKeyType() const;
  bool operator==(const KeyDescription& other) const;
};

// DescribeKey returns the description of |key|.
KeyDescription DescribeKey(const EVP_PKEY* key);

// DescribeCertificateKey walks the DER certificate in |cert| to its
// SubjectPublicKeyInfo and describes that key. It does not build an |X509|.
absl::StatusOr<KeyDescription> DescribeCertificateKey(const CRYPTO_BUFFER* cert);

// Credentials.

// Credential is a private key with its certificate chain, leaf first, as DER.
// Copies share the key and buffers by reference count.
struct Credential {
  Credential() = default;
  Credential(Credential&&) = default;
  Credential& operator=(Credential&&) = default;
  Credential(const Credential& other);
  Credential& operator=(const Credential& other);

  bssl::UniquePtr<EVP_PKEY> key;
  std::vector<bssl::UniquePtr<CRYPTO_BUFFER>> chain;

  // Sha256Fingerprint returns the SHA-256 of the leaf's DER in lowercase hex
  // pairs joined by ':', or "" if |chain| is empty.
  std::string Sha256Fingerprint() const;
  // KeyDescription describes |key|.
  tls::KeyDescription Describe() const { return DescribeKey(key.get()); }
};

// GenerateSelfSigned returns a fresh key of |type| and a self-signed X.509 v3
// certificate for it: subject and issuer CN=|host_name|, a SubjectAltName
// dNSName of |host_name|, a random positive 127-bit serial, validity from one
// day ago to one year from now, signed with SHA-256 (Ed25519: pure Ed25519,
// RSA: PKCS#1 v1.5). RSA-4096 generation takes seconds.
absl::StatusOr<Credential> GenerateSelfSigned(KeyType type, absl::string_view host_name);

// LoadCredential reads the PEM certificates in |cert_pem_path| (leaf first,
// then any intermediates) and the PEM private key in |key_pem_path|. It fails
// if either file holds no usable object or the key does not match the leaf.
absl::StatusOr<Credential> LoadCredential(const std::string& cert_pem_path,
                                          const std::string& key_pem_path);

// ChainToPem returns |credential|'s certificates as concatenated PEM blocks,
// leaf first; PrivateKeyToPem returns its key as unencrypted PKCS#8 PEM. Both
// are what |LoadCredential| reads.
absl::StatusOr<std::string> ChainToPem(const Credential& credential);
absl::StatusOr<std::string> PrivateKeyToPem(const Credential& credential);

// Protocol versions.

// ParseVersion maps "1.2" to |TLS1_2_VERSION| and "1.3" to |TLS1_3_VERSION|
// ("tls1.2", "TLSv1.3" and the like are accepted too).
absl::StatusOr<uint16_t> ParseVersion(absl::string_view name);

// VersionName returns "TLSv1.2", "TLSv1.3", ... or "0x%04x" for unknown values.
std::string VersionName(uint16_t version);

// The name catalog.

// CipherSuite is one cipher suite this BoringSSL build implements. The catalog
// is read from BoringSSL itself, so it lists exactly what can be negotiated.
struct CipherSuite {
  enum class Auth { kRsa, kEcdsa, kAny /* TLS 1.3 */ };
  uint16_t id = 0;
  std::string standard_name;  // "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
  std::string openssl_name;   // "ECDHE-RSA-AES256-GCM-SHA384"
  uint16_t min_version = 0;   // TLS1_2_VERSION for AEAD suites, etc.
  uint16_t max_version = 0;
  bool forward_secret = false;  // ECDHE key exchange, or any TLS 1.3 suite
  Auth auth = Auth::kAny;
};

// AllCipherSuites returns every TLS 1.2 suite (excluding PSK suites) and every
// TLS 1.3 suite BoringSSL implements, TLS 1.2 first in BoringSSL's default
// preference order. The result lives for the life of the process.
const std::vector<CipherSuite>& AllCipherSuites();

// FindCipherSuite returns the catalog entry with |id|, or null.
const CipherSuite* FindCipherSuite(uint16_t id);

// ParseCipherSuites parses a comma-separated list of suite names, each either
// the standard name or BoringSSL's name, in the order given. Empty entries,
// unknown names and duplicates are errors that name the entry.
absl::StatusOr<std::vector<const CipherSuite*>> ParseCipherSuites(absl::string_view list);

// CipherName returns the standard name of suite |id|, or "0x%04x".
std::string CipherName(uint16_t id);

// Group is a key-exchange group.
struct Group {
  uint16_t id;          // SSL_CURVE_* (the TLS NamedGroup value)
  const char* name;     // "X25519", "P-256", "P-384", "P-521", "CECPQ2"
  int nid;              // the NID |SSL_CTX_set1_curves| takes
  bool post_quantum;    // CECPQ2 (X25519 + HRSS hybrid)
};

// AllGroups returns every group BoringSSL supports for key exchange, in the
// order X25519, P-256, P-384, P-521, CECPQ2. CECPQ2 is TLS 1.3 only.
const std::vector<Group>& AllGroups();

// ParseGroups parses a comma-separated list of group names ("X25519", "P-256",
// "P-384", "P-521", "CECPQ2"; "secp256r1"/"prime256v1"-style aliases accepted,
// case-insensitive). Unknown names and duplicates are errors naming the entry.
absl::StatusOr<std::vector<const Group*>> ParseGroups(absl::string_view list);

// GroupName returns the name of group |id|, or "0x%04x".
std::string GroupName(uint16_t id);

// SignatureAlgorithm is a TLS SignatureScheme.
struct SignatureAlgorithm {
  uint16_t id;       // SSL_SIGN_*
  const char* name;  // the RFC 8446 name, e.g. "rsa_pss_rsae_sha256"
  int evp_type;      // the key type it signs with (EVP_PKEY_RSA, _EC, _ED25519)
  int curve_nid;     // for ECDSA in TLS 1.3, the curve it binds; else NID_undef
  bool tls13;        // usable in TLS 1.3 (not PKCS#1 v1.5, not SHA-1)
};

// AllSignatureAlgorithms returns every signature algorithm BoringSSL can use in
// a handshake: ECDSA, Ed25519, RSA-PSS, then the legacy PKCS#1 and SHA-1 ones.
// BoringSSL's client does not verify Ed25519 unless a sigalgs list names it.
const std::vector<SignatureAlgorithm>& AllSignatureAlgorithms();

// ParseSignatureAlgorithms parses a comma-separated list of RFC 8446 names.
// Unknown names and duplicates are errors naming the entry.
absl::StatusOr<std::vector<const SignatureAlgorithm*>> ParseSignatureAlgorithms(
    absl::string_view list);

// SigalgName returns the RFC 8446 name of |id|, or "0x%04x"; 0 gives "none".
std::string SigalgName(uint16_t id);

// SignatureAlgorithmsFor returns the ids of the algorithms in |candidates| that
// a key described by |key| can sign with at protocol |version|. TLS 1.3 binds
// ECDSA algorithms to curves and excludes PKCS#1 v1.5; TLS 1.2 does neither.
std::vector<uint16_t> SignatureAlgorithmsFor(const KeyDescription& key, uint16_t version,
                                             const std::vector<uint16_t>& candidates);

// Contexts.

// ServerConfig is what a server context is made from. Lists are the
// comma-separated names the catalog parsers accept; empty means BoringSSL's
// default.
struct ServerConfig {
  // credentials must be non-empty. With one credential it is installed on the
  // context. With several (at most one per key type makes sense), each
  // handshake picks the first, in this order, that the client can accept: a
  // signature algorithm the client verifies exists for the key, and in TLS 1.2
  // the client offers a suite authenticated by that key type.
  std::vector<Credential> credentials;
  uint16_t min_version = TLS1_2_VERSION;
  uint16_t max_version = TLS1_3_VERSION;
  // ciphers is the TLS 1.2 suite list (TLS 1.3 suites are not configurable).
  std::string ciphers;
  // groups defaults to BoringSSL's X25519, P-256, P-384: P-521 and CECPQ2 must
  // be named to be accepted.
  std::string groups;
  // sigalgs restricts the algorithms the server signs with, in preference
  // order.
  std::string sigalgs;
  // prefer_server_order makes the server pick suites and groups by its own
  // order rather than the client's.
  bool prefer_server_order = false;
  // session_tickets enables TLS 1.2 tickets and TLS 1.3 resumption. BoringSSL
  // sends TLS 1.3 NewSessionTicket messages with the server's next write (the
  // SMTP reply after the handshake), not at the end of the handshake.
  bool session_tickets = true;
  // session_cache_size bounds the server's session-ID cache; 0 disables it.
  size_t session_cache_size = 20 * 1024;
};

// NewServerContext returns a server |SSL_CTX| for |config|, using
// |TLS_with_buffers_method| and |SSL_MODE_RELEASE_BUFFERS|, with alert capture
// (see |LastAlert|) installed.
absl::StatusOr<bssl::UniquePtr<SSL_CTX>> NewServerContext(const ServerConfig& config);

// ClientConfig is what a client context is made from.
struct ClientConfig {
  enum class Verify {
    kNone,   // accept any certificate (what a benchmark client does)
    kChain,  // the chain must lead to a certificate in |trust_anchors_pem_path|
    kName,   // kChain, and the leaf must be valid for |server_name|
  };
  // Resumption: unless kOff, the context keeps the newest resumable session
  // it received and |NewClientConnection| offers it, so consecutive
  // connections from one context resume.
  enum class Resumption {
    kOff,        // never ask for tickets or offer sessions
    kTicket,     // RFC 5077 tickets (TLS 1.2) and TLS 1.3 PSK tickets
    kSessionId,  // TLS 1.2 session IDs: the client refuses RFC 5077 tickets.
                 // TLS 1.3 has only PSK resumption, which this does not stop:
                 // there it behaves as kTicket.
  };
  uint16_t min_version = TLS1_2_VERSION;
  uint16_t max_version = TLS1_3_VERSION;
  std::string ciphers;  // TLS 1.2 only
  std::string groups;   // offered in this order; a key share for the first
  std::string sigalgs;  // the algorithms the client verifies, in order
  // server_name is sent as SNI by |NewClientConnection| when non-empty.
  std::string server_name;
  Verify verify = Verify::kNone;
  std::string trust_anchors_pem_path;  // required for kChain and kName
  Resumption resumption = Resumption::kTicket;
};

// NewClientContext returns a client |SSL_CTX| for |config| on
// |TLS_with_buffers_method|. Certificates are checked by a custom verify
// callback: kNone accepts anything; kChain and kName parse the peer's chain
// into |X509| objects and run BoringSSL's X.509 verifier against the trust
// anchors (for kName with the host name check on |server_name|). A failed
// verification sends bad_certificate and is reported by |LastVerifyError|.
absl::StatusOr<bssl::UniquePtr<SSL_CTX>> NewClientContext(const ClientConfig& config);

// NewClientConnection returns a client |SSL| from |ctx| in connect state, with
// SNI set to the context's |ClientConfig::server_name|, and no BIO. When the
// context resumes sessions and |offer_session| is true, the newest saved
// session is offered; with false the handshake is a full one.
absl::StatusOr<bssl::UniquePtr<SSL>> NewClientConnection(SSL_CTX* ctx,
                                                         bool offer_session = true);

// NewServerConnection returns a server |SSL| from |ctx| in accept state.
absl::StatusOr<bssl::UniquePtr<SSL>> NewServerConnection(SSL_CTX* ctx);

// Handshake results.

// HandshakeInfo is what a finished handshake negotiated.
struct HandshakeInfo {
  uint16_t version = 0;       // TLS1_2_VERSION, TLS1_3_VERSION
  uint16_t cipher_suite = 0;  // IANA id
  uint16_t group = 0;         // SSL_CURVE_*; 0 for TLS 1.2 resumption
  // signature_algorithm is the algorithm the peer signed the handshake with,
  // as BoringSSL reports it: on a client, the server's; on a server, the
  // client's (0 without client certificates). Resumed handshakes carry the
  // value of the original one.
  uint16_t signature_algorithm = 0;
  bool resumed = false;
  // peer_key describes the peer's leaf certificate key (none if no
  // certificate was received or kept).
  KeyDescription peer_key;

  // ToString returns e.g. "TLSv1.3 TLS_AES_128_GCM_SHA256 X25519
  // ecdsa_secp256r1_sha256 ECDSA-P-256 full".
  std::string ToString() const;
};

// ReadHandshakeInfo returns the facts of |ssl|'s completed handshake.
HandshakeInfo ReadHandshakeInfo(const SSL* ssl);

// Failures.

// Alert is one TLS alert seen on a connection.
struct Alert {
  bool sent = false;  // we sent it (else we received it)
  uint8_t level = 0;  // SSL3_AL_WARNING or SSL3_AL_FATAL
  uint8_t description = 0;  // SSL_AD_*

  // ToString returns e.g. "sent fatal alert handshake_failure (40)".
  std::string ToString() const;
};

// LastAlert returns the most recent alert |ssl| sent or received, if its
// context came from |NewServerContext| or |NewClientContext|.
std::optional<Alert> LastAlert(const SSL* ssl);

// LastVerifyError returns the X.509 verification error (X509_V_ERR_*) with which
// |ssl|'s certificate check failed, or X509_V_OK.
long LastVerifyError(const SSL* ssl);

// Certificate verification (BoringSSL's X.509 verifier, not our parser).

// LoadTrustAnchors returns a store of the CA certificates in |path|: a PEM
// file, or a directory of hashed names as c_rehash and Debian's
// /etc/ssl/certs lay them out (looked up lazily, per issuer).
absl::StatusOr<bssl::UniquePtr<X509_STORE>> LoadTrustAnchors(const std::string& path);

// VerifyChain runs BoringSSL's X.509 verifier on |chain| (DER, leaf first, the
// rest as untrusted intermediates in any order) against |anchors| at the
// current time, with RFC 6125 host-name checking on |host_name| unless it is
// empty. It returns X509_V_OK or the X509_V_ERR_* value of the first failure
// (X509_V_ERR_UNSPECIFIED when a certificate does not parse or |chain| is
// empty). It never touches an |SSL|; the client verify callback uses it.
long VerifyChain(X509_STORE* anchors, const STACK_OF(CRYPTO_BUFFER)* chain,
                 absl::string_view host_name);

// DrainErrorQueue empties this thread's BoringSSL error queue and returns its
// entries, oldest first, joined by "; ", or "" if it was empty.
std::string DrainErrorQueue();

// HandshakeFailure returns an error status describing why |ssl|'s handshake
// failed after |SSL_do_handshake| returned |ret|: the SSL error, the last
// alert, any certificate verification error and the error queue (drained).
absl::Status HandshakeFailure(const SSL* ssl, int ret);

}  // namespace mailshake::tls

#endif  // MAILSHAKE_SRC_TLS_TLS_H_
