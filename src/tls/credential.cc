// Keys, self-signed certificates and PEM loading.

#include <errno.h>
#include <string.h>
#include <time.h>

#include <string>
#include <utility>
#include <vector>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/bytestring.h>
#include <openssl/digest.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/pem.h>
#include <openssl/pool.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/tls/tls.h"

namespace mailshake::tls {
namespace {

// The largest key LoadCredential accepts, so a hostile file cannot make a
// benchmark spend minutes in RSA arithmetic.
constexpr int kMaxRsaBits = 16384;

absl::Status BoringSslError(absl::string_view what) {
  std::string queue = DrainErrorQueue();
  return absl::InternalError(
      queue.empty() ? std::string(what) : absl::StrCat(what, ": ", queue));
}

bssl::UniquePtr<EVP_PKEY> GenerateKey(KeyType type) {
  bssl::UniquePtr<EVP_PKEY> pkey(EVP_PKEY_new());
  if (pkey == nullptr) return nullptr;
  switch (type) {
    case KeyType::kRsa2048:
    case KeyType::kRsa3072:
    case KeyType::kRsa4096: {
      const int bits = type == KeyType::kRsa2048   ? 2048
                       : type == KeyType::kRsa3072 ? 3072
                                                   : 4096;
      bssl::UniquePtr<RSA> rsa(RSA_new());
      bssl::UniquePtr<BIGNUM> e(BN_new());
      if (rsa == nullptr || e == nullptr || !BN_set_word(e.get(), RSA_F4) ||
          !RSA_generate_key_ex(rsa.get(), bits, e.get(), nullptr) ||
          !EVP_PKEY_assign_RSA(pkey.get(), rsa.release())) {
        return nullptr;
      }
      return pkey;
    }
    case KeyType::kEcdsaP256:
    case KeyType::kEcdsaP384: {
      const int nid =
          type == KeyType::kEcdsaP256 ? NID_X9_62_prime256v1 : NID_secp384r1;
      bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(nid));
      if (ec == nullptr || !EC_KEY_generate_key(ec.get()) ||
          !EVP_PKEY_assign_EC_KEY(pkey.get(), ec.release())) {
        return nullptr;
      }
      return pkey;
    }
    case KeyType::kEd25519: {
      bssl::UniquePtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
      EVP_PKEY* raw = nullptr;
      if (ctx == nullptr || !EVP_PKEY_keygen_init(ctx.get()) ||
          !EVP_PKEY_keygen(ctx.get(), &raw)) {
        return nullptr;
      }
      return bssl::UniquePtr<EVP_PKEY>(raw);
    }
  }
  return nullptr;
}

bool SetRandomSerial(X509* cert) {
  // RFC 5280 allows up to 20 octets; 16 random octets with the top bit clear
  // keep the INTEGER positive.
  uint8_t bytes[16];
  RAND_bytes(bytes, sizeof(bytes));
  bytes[0] &= 0x7f;
  bytes[0] |= 0x01 << 6;  // never a short serial
  bssl::UniquePtr<BIGNUM> bn(BN_bin2bn(bytes, sizeof(bytes), nullptr));
  if (bn == nullptr) return false;
  bssl::UniquePtr<ASN1_INTEGER> serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  return serial != nullptr && X509_set_serialNumber(cert, serial.get());
}

bool SetSubjectAltName(X509* cert, absl::string_view host_name) {
  bssl::UniquePtr<GENERAL_NAMES> names(sk_GENERAL_NAME_new_null());
  bssl::UniquePtr<GENERAL_NAME> name(GENERAL_NAME_new());
  bssl::UniquePtr<ASN1_IA5STRING> dns(ASN1_IA5STRING_new());
  if (names == nullptr || name == nullptr || dns == nullptr ||
      !ASN1_STRING_set(dns.get(), host_name.data(), host_name.size())) {
    return false;
  }
  name->type = GEN_DNS;
  name->d.dNSName = dns.release();
  if (!bssl::PushToStack(names.get(), std::move(name))) return false;
  return X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), /*crit=*/0,
                           X509V3_ADD_DEFAULT);
}

absl::StatusOr<bssl::UniquePtr<CRYPTO_BUFFER>> ToBuffer(X509* cert) {
  uint8_t* der = nullptr;
  const int len = i2d_X509(cert, &der);
  if (len <= 0) return BoringSslError("encoding a certificate");
  bssl::UniquePtr<uint8_t> owned(der);
  bssl::UniquePtr<CRYPTO_BUFFER> buffer(
      CRYPTO_BUFFER_new(der, static_cast<size_t>(len), nullptr));
  if (buffer == nullptr) return BoringSslError("allocating a certificate buffer");
  return buffer;
}

absl::StatusOr<bssl::UniquePtr<BIO>> OpenForReading(const std::string& path,
                                                    absl::string_view what) {
  bssl::UniquePtr<BIO> bio(BIO_new_file(path.c_str(), "r"));
  if (bio == nullptr) {
    const int saved_errno = errno;
    ERR_clear_error();
    return absl::NotFoundError(absl::StrCat("cannot open ", what, " file ", path, ": ",
                                            strerror(saved_errno)));
  }
  return bio;
}

// PemEndReached reports whether the last PEM read stopped because no further
// PEM block exists (normal end of file) and clears that error.
bool PemEndReached() {
  const uint32_t err = ERR_peek_last_error();
  if (ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE) {
    ERR_clear_error();
    return true;
  }
  return false;
}

absl::StatusOr<std::string> BioContents(BIO* bio) {
  const uint8_t* data = nullptr;
  size_t len = 0;
  if (!BIO_mem_contents(bio, &data, &len)) return BoringSslError("reading PEM output");
  return std::string(reinterpret_cast<const char*>(data), len);
}

}  // namespace

absl::StatusOr<KeyType> ParseKeyType(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  for (KeyType type : kAllKeyTypes) {
    if (lower == KeyTypeName(type)) return type;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown key type \"", name, "\" (want rsa2048, rsa3072, rsa4096, p256, p384 or ed25519)"));
}

absl::string_view KeyTypeName(KeyType type) {
  switch (type) {
    case KeyType::kRsa2048:
      return "rsa2048";
    case KeyType::kRsa3072:
      return "rsa3072";
    case KeyType::kRsa4096:
      return "rsa4096";
    case KeyType::kEcdsaP256:
      return "p256";
    case KeyType::kEcdsaP384:
      return "p384";
    case KeyType::kEd25519:
      return "ed25519";
  }
  return "unknown";
}

std::string KeyDescription::ToString() const {
  switch (evp_type) {
    case EVP_PKEY_RSA:
      return absl::StrCat("RSA-", bits);
    case EVP_PKEY_EC: {
      const char* curve = EC_curve_nid2nist(curve_nid);
      return curve != nullptr ? absl::StrCat("ECDSA-", curve)
                              : absl::StrCat("ECDSA-", bits, "bit");
    }
    case EVP_PKEY_ED25519:
      return "Ed25519";
    case EVP_PKEY_NONE:
      return "none";
    default:
      return absl::StrCat("key-type-", evp_type);
  }
}

std::optional<KeyType> KeyDescription::AsKeyType() const {
  if (evp_type == EVP_PKEY_RSA) {
    if (bits == 2048) return KeyType::kRsa2048;
    if (bits == 3072) return KeyType::kRsa3072;
    if (bits == 4096) return KeyType::kRsa4096;
  } else if (evp_type == EVP_PKEY_EC) {
    if (curve_nid == NID_X9_62_prime256v1) return KeyType::kEcdsaP256;
    if (curve_nid == NID_secp384r1) return KeyType::kEcdsaP384;
  } else if (evp_type == EVP_PKEY_ED25519) {
    return KeyType::kEd25519;
  }
  return std::nullopt;
}

bool KeyDescription::operator==(const KeyDescription& other) const {
  return evp_type == other.evp_type && bits == other.bits && curve_nid == other.curve_nid;
}

KeyDescription DescribeKey(const EVP_PKEY* key) {
  KeyDescription out;
  if (key == nullptr) return out;
  out.evp_type = EVP_PKEY_id(key);
  out.bits = EVP_PKEY_bits(key);
  out.curve_nid = NID_undef;
  if (out.evp_type == EVP_PKEY_EC) {
    const EC_KEY* ec = EVP_PKEY_get0_EC_KEY(key);
    if (ec != nullptr) out.curve_nid = EC_GROUP_get_curve_name(EC_KEY_get0_group(ec));
  }
  return out;
}

absl::StatusOr<KeyDescription> DescribeCertificateKey(const CRYPTO_BUFFER* cert) {
  // Certificate ::= SEQUENCE { tbsCertificate TBSCertificate, ... }
  // TBSCertificate ::= SEQUENCE { [0] EXPLICIT Version OPTIONAL, serialNumber,
  //     signature, issuer, validity, subject, subjectPublicKeyInfo, ... }
  CBS der, certificate, tbs, spki;
  CBS_init(&der, CRYPTO_BUFFER_data(cert), CRYPTO_BUFFER_len(cert));
  if (!CBS_get_asn1(&der, &certificate, CBS_ASN1_SEQUENCE) ||
      !CBS_get_asn1(&certificate, &tbs, CBS_ASN1_SEQUENCE) ||
      !CBS_get_optional_asn1(&tbs, nullptr, nullptr,
                             CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0) ||
      !CBS_get_asn1(&tbs, nullptr, CBS_ASN1_INTEGER) ||
      !CBS_get_asn1(&tbs, nullptr, CBS_ASN1_SEQUENCE) ||  // signature
      !CBS_get_asn1(&tbs, nullptr, CBS_ASN1_SEQUENCE) ||  // issuer
      !CBS_get_asn1(&tbs, nullptr, CBS_ASN1_SEQUENCE) ||  // validity
      !CBS_get_asn1(&tbs, nullptr, CBS_ASN1_SEQUENCE) ||  // subject
      !CBS_get_asn1_element(&tbs, &spki, CBS_ASN1_SEQUENCE)) {
    return absl::InvalidArgumentError("certificate is not a well-formed X.509 structure");
  }
  bssl::UniquePtr<EVP_PKEY> key(EVP_parse_public_key(&spki));
  if (key == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError("certificate carries an unsupported public key");
  }
  return DescribeKey(key.get());
}

Credential::Credential(const Credential& other) { *this = other; }

Credential& Credential::operator=(const Credential& other) {
  if (this == &other) return *this;
  key.reset();
  if (other.key != nullptr) {
    EVP_PKEY_up_ref(other.key.get());
    key.reset(other.key.get());
  }
  chain.clear();
  chain.reserve(other.chain.size());
  for (const auto& buffer : other.chain) {
    CRYPTO_BUFFER_up_ref(buffer.get());
    chain.emplace_back(buffer.get());
  }
  return *this;
}

std::string Credential::Sha256Fingerprint() const {
  if (chain.empty()) return "";
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(CRYPTO_BUFFER_data(chain[0].get()), CRYPTO_BUFFER_len(chain[0].get()), digest);
  std::string out;
  out.reserve(3 * sizeof(digest));
  for (size_t i = 0; i < sizeof(digest); i++) {
    if (i > 0) out.push_back(':');
    absl::StrAppendFormat(&out, "%02x", digest[i]);
  }
  return out;
}

absl::StatusOr<Credential> GenerateSelfSigned(KeyType type, absl::string_view host_name) {
  if (host_name.empty() || host_name.size() > 253) {
    return absl::InvalidArgumentError(
        absl::StrCat("host name for a certificate must be 1..253 octets, got ",
                     host_name.size()));
  }
  Credential credential;
  credential.key = GenerateKey(type);
  if (credential.key == nullptr) {
    return BoringSslError(absl::StrCat("generating a ", KeyTypeName(type), " key"));
  }

  bssl::UniquePtr<X509> cert(X509_new());
  bssl::UniquePtr<X509_NAME> name(X509_NAME_new());
  if (cert == nullptr || name == nullptr || !X509_set_version(cert.get(), X509_VERSION_3) ||
      !SetRandomSerial(cert.get()) ||
      !X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                                  reinterpret_cast<const uint8_t*>(host_name.data()),
                                  static_cast<int>(host_name.size()), -1, 0) ||
      !X509_set_subject_name(cert.get(), name.get()) ||
      !X509_set_issuer_name(cert.get(), name.get())) {
    return BoringSslError("building a certificate");
  }
  const time_t now = time(nullptr);
  bssl::UniquePtr<ASN1_TIME> not_before(ASN1_TIME_adj(nullptr, now, -1, 0));
  bssl::UniquePtr<ASN1_TIME> not_after(ASN1_TIME_adj(nullptr, now, 365, 0));
  if (not_before == nullptr || not_after == nullptr ||
      !X509_set1_notBefore(cert.get(), not_before.get()) ||
      !X509_set1_notAfter(cert.get(), not_after.get()) ||
      !X509_set_pubkey(cert.get(), credential.key.get()) ||
      !SetSubjectAltName(cert.get(), host_name)) {
    return BoringSslError("building a certificate");
  }
  const EVP_MD* md = type == KeyType::kEd25519 ? nullptr : EVP_sha256();
  if (!X509_sign(cert.get(), credential.key.get(), md)) {
    return BoringSslError("signing a certificate");
  }
  absl::StatusOr<bssl::UniquePtr<CRYPTO_BUFFER>> der = ToBuffer(cert.get());
  if (!der.ok()) return der.status();
  credential.chain.push_back(*std::move(der));
  return credential;
}

absl::StatusOr<Credential> LoadCredential(const std::string& cert_pem_path,
                                          const std::string& key_pem_path) {
  Credential credential;
  absl::StatusOr<bssl::UniquePtr<BIO>> cert_bio = OpenForReading(cert_pem_path, "certificate");
  if (!cert_bio.ok()) return cert_bio.status();
  bssl::UniquePtr<X509> leaf;
  for (;;) {
    bssl::UniquePtr<X509> cert(PEM_read_bio_X509(cert_bio->get(), nullptr, nullptr, nullptr));
    if (cert == nullptr) {
      if (PemEndReached()) break;
      return absl::InvalidArgumentError(
          absl::StrCat("certificate ", credential.chain.size() + 1, " in ", cert_pem_path,
                       " is not a valid PEM certificate: ", DrainErrorQueue()));
    }
    absl::StatusOr<bssl::UniquePtr<CRYPTO_BUFFER>> der = ToBuffer(cert.get());
    if (!der.ok()) return der.status();
    credential.chain.push_back(*std::move(der));
    if (leaf == nullptr) leaf = std::move(cert);
  }
  if (credential.chain.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(cert_pem_path, " holds no PEM certificate (want -----BEGIN CERTIFICATE-----)"));
  }

  absl::StatusOr<bssl::UniquePtr<BIO>> key_bio = OpenForReading(key_pem_path, "private key");
  if (!key_bio.ok()) return key_bio.status();
  credential.key.reset(PEM_read_bio_PrivateKey(key_bio->get(), nullptr, nullptr, nullptr));
  if (credential.key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(key_pem_path, " holds no usable unencrypted PEM private key: ",
                     DrainErrorQueue()));
  }
  const KeyDescription description = DescribeKey(credential.key.get());
  if (description.evp_type == EVP_PKEY_RSA && description.bits > kMaxRsaBits) {
    return absl::InvalidArgumentError(absl::StrCat("RSA key in ", key_pem_path, " has ",
                                                   description.bits, " bits; at most ",
                                                   kMaxRsaBits, " are supported"));
  }
  bssl::UniquePtr<EVP_PKEY> leaf_key(X509_get_pubkey(leaf.get()));
  if (leaf_key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the first certificate in ", cert_pem_path, " has an unsupported public key: ",
        DrainErrorQueue()));
  }
  if (EVP_PKEY_cmp(leaf_key.get(), credential.key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        "private key in ", key_pem_path, " (", description.ToString(),
        ") does not match the first certificate in ", cert_pem_path, " (",
        DescribeKey(leaf_key.get()).ToString(), ")"));
  }
  return credential;
}

absl::StatusOr<std::string> ChainToPem(const Credential& credential) {
  bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr) return BoringSslError("allocating a memory BIO");
  for (const auto& buffer : credential.chain) {
    bssl::UniquePtr<X509> cert(X509_parse_from_buffer(buffer.get()));
    if (cert == nullptr || !PEM_write_bio_X509(bio.get(), cert.get())) {
      return BoringSslError("writing a certificate as PEM");
    }
  }
  return BioContents(bio.get());
}

absl::StatusOr<std::string> PrivateKeyToPem(const Credential& credential) {
  bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || credential.key == nullptr ||
      !PEM_write_bio_PrivateKey(bio.get(), credential.key.get(), nullptr, nullptr, 0, nullptr,
                                nullptr)) {
    return BoringSslError("writing a private key as PEM");
  }
  return BioContents(bio.get());
}

}  // namespace mailshake::tls
