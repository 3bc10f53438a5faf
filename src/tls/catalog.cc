// Names of versions, cipher suites, groups and signature algorithms.

#include <string>
#include <vector>

#include <openssl/nid.h>
#include <openssl/ssl.h>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "src/tls/tls.h"

namespace mailshake::tls {
namespace {

std::string Hex16(uint16_t value) { return absl::StrFormat("0x%04x", value); }

std::vector<CipherSuite> ReadCipherSuitesFromBoringSsl() {
  std::vector<CipherSuite> suites;
  auto add = [&suites](const SSL_CIPHER* cipher) {
    const int auth = SSL_CIPHER_get_auth_nid(cipher);
    if (auth == NID_auth_psk) return;  // needs a pre-shared key; not for mail
    CipherSuite suite;
    suite.id = SSL_CIPHER_get_protocol_id(cipher);
    suite.standard_name = SSL_CIPHER_standard_name(cipher);
    suite.openssl_name = SSL_CIPHER_get_name(cipher);
    suite.min_version = SSL_CIPHER_get_min_version(cipher);
    suite.max_version = SSL_CIPHER_get_max_version(cipher);
    const int kx = SSL_CIPHER_get_kx_nid(cipher);
    suite.forward_secret = kx == NID_kx_ecdhe || kx == NID_kx_any;
    suite.auth = auth == NID_auth_rsa     ? CipherSuite::Auth::kRsa
                 : auth == NID_auth_ecdsa ? CipherSuite::Auth::kEcdsa
                                          : CipherSuite::Auth::kAny;
    suites.push_back(std::move(suite));
  };

  bssl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(TLS_method()));
  if (ctx != nullptr && SSL_CTX_set_cipher_list(ctx.get(), "ALL")) {
    const STACK_OF(SSL_CIPHER)* ciphers = SSL_CTX_get_ciphers(ctx.get());
    for (size_t i = 0; i < sk_SSL_CIPHER_num(ciphers); i++) {
      add(sk_SSL_CIPHER_value(ciphers, i));
    }
  }
  // TLS 1.3 suites are not part of cipher lists; look them up by value.
  for (uint16_t id : {0x1301, 0x1302, 0x1303}) {
    const SSL_CIPHER* cipher = SSL_get_cipher_by_value(id);
    if (cipher != nullptr) add(cipher);
  }
  return suites;
}

// SplitList splits a comma-separated list into trimmed entries. An empty list
// gives no entries; an empty entry inside a list is an error.
absl::StatusOr<std::vector<absl::string_view>> SplitList(absl::string_view list,
                                                         absl::string_view what) {
  std::vector<absl::string_view> entries;
  if (absl::StripAsciiWhitespace(list).empty()) return entries;
  size_t position = 0;
  for (absl::string_view entry : absl::StrSplit(list, ',')) {
    position++;
    entry = absl::StripAsciiWhitespace(entry);
    if (entry.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("empty entry ", position, " in ", what, " list \"", list, "\""));
    }
    entries.push_back(entry);
  }
  return entries;
}

template <typename T>
absl::Status CheckDuplicate(absl::flat_hash_set<const T*>& seen, const T* item,
                            absl::string_view entry, absl::string_view what) {
  if (!seen.insert(item).second) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " \"", entry, "\" appears more than once"));
  }
  return absl::OkStatus();
}

std::string NormalizeGroupName(absl::string_view name) {
  std::string lower = absl::AsciiStrToLower(name);
  if (lower == "secp256r1" || lower == "prime256v1" || lower == "p256") return "p-256";
  if (lower == "secp384r1" || lower == "p384") return "p-384";
  if (lower == "secp521r1" || lower == "p521") return "p-521";
  return lower;
}

}  // namespace

absl::StatusOr<uint16_t> ParseVersion(absl::string_view name) {
  std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(name));
  absl::string_view rest = lower;
  if (!absl::ConsumePrefix(&rest, "tlsv")) absl::ConsumePrefix(&rest, "tls");
  if (rest == "1.0" || rest == "1") return TLS1_VERSION;
  if (rest == "1.1") return TLS1_1_VERSION;
  if (rest == "1.2") return TLS1_2_VERSION;
  if (rest == "1.3") return TLS1_3_VERSION;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown TLS version \"", name, "\" (want 1.2 or 1.3)"));
}

std::string VersionName(uint16_t version) {
  switch (version) {
    case TLS1_VERSION:
      return "TLSv1";
    case TLS1_1_VERSION:
      return "TLSv1.1";
    case TLS1_2_VERSION:
      return "TLSv1.2";
    case TLS1_3_VERSION:
      return "TLSv1.3";
    default:
      return Hex16(version);
  }
}

const std::vector<CipherSuite>& AllCipherSuites() {
  static const std::vector<CipherSuite>* const suites =
      new std::vector<CipherSuite>(ReadCipherSuitesFromBoringSsl());
  return *suites;
}

const CipherSuite* FindCipherSuite(uint16_t id) {
  for (const CipherSuite& suite : AllCipherSuites()) {
    if (suite.id == id) return &suite;
  }
  return nullptr;
}

absl::StatusOr<std::vector<const CipherSuite*>> ParseCipherSuites(absl::string_view list) {
  absl::StatusOr<std::vector<absl::string_view>> entries = SplitList(list, "cipher suite");
  if (!entries.ok()) return entries.status();
  std::vector<const CipherSuite*> out;
  absl::flat_hash_set<const CipherSuite*> seen;
  for (absl::string_view entry : *entries) {
    const CipherSuite* found = nullptr;
    for (const CipherSuite& suite : AllCipherSuites()) {
      if (absl::EqualsIgnoreCase(entry, suite.standard_name) ||
          absl::EqualsIgnoreCase(entry, suite.openssl_name)) {
        found = &suite;
        break;
      }
    }
    if (found == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown cipher suite \"", entry,
          "\" (use a standard name such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 or "
          "BoringSSL's ECDHE-RSA-AES128-GCM-SHA256)"));
    }
    if (absl::Status s = CheckDuplicate(seen, found, entry, "cipher suite"); !s.ok()) return s;
    out.push_back(found);
  }
  return out;
}

std::string CipherName(uint16_t id) {
  const CipherSuite* suite = FindCipherSuite(id);
  return suite != nullptr ? suite->standard_name : Hex16(id);
}

const std::vector<Group>& AllGroups() {
  static const std::vector<Group>* const groups = new std::vector<Group>{
      {SSL_CURVE_X25519, "X25519", NID_X25519, false},
      {SSL_CURVE_SECP256R1, "P-256", NID_X9_62_prime256v1, false},
      {SSL_CURVE_SECP384R1, "P-384", NID_secp384r1, false},
      {SSL_CURVE_SECP521R1, "P-521", NID_secp521r1, false},
      {SSL_CURVE_CECPQ2, "CECPQ2", NID_CECPQ2, true},
  };
  return *groups;
}

absl::StatusOr<std::vector<const Group*>> ParseGroups(absl::string_view list) {
  absl::StatusOr<std::vector<absl::string_view>> entries = SplitList(list, "group");
  if (!entries.ok()) return entries.status();
  std::vector<const Group*> out;
  absl::flat_hash_set<const Group*> seen;
  for (absl::string_view entry : *entries) {
    const std::string normalized = NormalizeGroupName(entry);
    const Group* found = nullptr;
    for (const Group& group : AllGroups()) {
      if (normalized == absl::AsciiStrToLower(group.name)) found = &group;
    }
    if (found == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown group \"", entry, "\" (want X25519, P-256, P-384, P-521 or CECPQ2)"));
    }
    if (absl::Status s = CheckDuplicate(seen, found, entry, "group"); !s.ok()) return s;
    out.push_back(found);
  }
  return out;
}

std::string GroupName(uint16_t id) {
  if (id == 0) return "none";
  for (const Group& group : AllGroups()) {
    if (group.id == id) return group.name;
  }
  return Hex16(id);
}

const std::vector<SignatureAlgorithm>& AllSignatureAlgorithms() {
  static const std::vector<SignatureAlgorithm>* const sigalgs =
      new std::vector<SignatureAlgorithm>{
          {SSL_SIGN_ECDSA_SECP256R1_SHA256, "ecdsa_secp256r1_sha256", EVP_PKEY_EC,
           NID_X9_62_prime256v1, true},
          {SSL_SIGN_ECDSA_SECP384R1_SHA384, "ecdsa_secp384r1_sha384", EVP_PKEY_EC,
           NID_secp384r1, true},
          {SSL_SIGN_ECDSA_SECP521R1_SHA512, "ecdsa_secp521r1_sha512", EVP_PKEY_EC,
           NID_secp521r1, true},
          {SSL_SIGN_ED25519, "ed25519", EVP_PKEY_ED25519, NID_undef, true},
          {SSL_SIGN_RSA_PSS_RSAE_SHA256, "rsa_pss_rsae_sha256", EVP_PKEY_RSA, NID_undef, true},
          {SSL_SIGN_RSA_PSS_RSAE_SHA384, "rsa_pss_rsae_sha384", EVP_PKEY_RSA, NID_undef, true},
          {SSL_SIGN_RSA_PSS_RSAE_SHA512, "rsa_pss_rsae_sha512", EVP_PKEY_RSA, NID_undef, true},
          {SSL_SIGN_RSA_PKCS1_SHA256, "rsa_pkcs1_sha256", EVP_PKEY_RSA, NID_undef, false},
          {SSL_SIGN_RSA_PKCS1_SHA384, "rsa_pkcs1_sha384", EVP_PKEY_RSA, NID_undef, false},
          {SSL_SIGN_RSA_PKCS1_SHA512, "rsa_pkcs1_sha512", EVP_PKEY_RSA, NID_undef, false},
          {SSL_SIGN_RSA_PKCS1_SHA1, "rsa_pkcs1_sha1", EVP_PKEY_RSA, NID_undef, false},
          {SSL_SIGN_ECDSA_SHA1, "ecdsa_sha1", EVP_PKEY_EC, NID_undef, false},
      };
  return *sigalgs;
}

absl::StatusOr<std::vector<const SignatureAlgorithm*>> ParseSignatureAlgorithms(
    absl::string_view list) {
  absl::StatusOr<std::vector<absl::string_view>> entries =
      SplitList(list, "signature algorithm");
  if (!entries.ok()) return entries.status();
  std::vector<const SignatureAlgorithm*> out;
  absl::flat_hash_set<const SignatureAlgorithm*> seen;
  for (absl::string_view entry : *entries) {
    const SignatureAlgorithm* found = nullptr;
    for (const SignatureAlgorithm& sigalg : AllSignatureAlgorithms()) {
      if (absl::EqualsIgnoreCase(entry, sigalg.name)) found = &sigalg;
    }
    if (found == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown signature algorithm \"", entry,
          "\" (use RFC 8446 names such as ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256, "
          "rsa_pkcs1_sha256, ed25519)"));
    }
    if (absl::Status s = CheckDuplicate(seen, found, entry, "signature algorithm"); !s.ok()) {
      return s;
    }
    out.push_back(found);
  }
  return out;
}

std::string SigalgName(uint16_t id) {
  if (id == 0) return "none";
  for (const SignatureAlgorithm& sigalg : AllSignatureAlgorithms()) {
    if (sigalg.id == id) return sigalg.name;
  }
  return Hex16(id);
}

std::vector<uint16_t> SignatureAlgorithmsFor(const KeyDescription& key, uint16_t version,
                                             const std::vector<uint16_t>& candidates) {
  std::vector<uint16_t> out;
  for (uint16_t id : candidates) {
    for (const SignatureAlgorithm& sigalg : AllSignatureAlgorithms()) {
      if (sigalg.id != id || sigalg.evp_type != key.evp_type) continue;
      if (version >= TLS1_3_VERSION &&
          (!sigalg.tls13 ||
           (sigalg.curve_nid != NID_undef && sigalg.curve_nid != key.curve_nid))) {
        continue;
      }
      out.push_back(id);
    }
  }
  return out;
}

}  // namespace mailshake::tls
