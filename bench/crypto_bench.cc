// The primitives a TLS handshake and record layer are made of, so handshake
// costs in handshake_bench can be read as sums of known parts.
//
//   KeyExchange/<X25519|P-256|P-384>/<keygen|derive>
//   Sign/<algorithm>/<key> and Verify/<algorithm>/<key>   (a 32-byte message)
//   HKDF-SHA256/<extract+expand 32 bytes>
//   Seal/<AEAD>/<record bytes>                             (bytes/s)

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <openssl/aead.h>
#include <openssl/curve25519.h>
#include <openssl/digest.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/ecdh.h>
#include <openssl/evp.h>
#include <openssl/hkdf.h>
#include <openssl/nid.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "src/tls/tls.h"

namespace mailshake::bench {
namespace {

using tls::KeyType;

// BenchKey generates each key type once per process, outside timing, with the
// same code that makes the handshake benchmark's certificates.
EVP_PKEY* BenchKey(KeyType type) {
  static auto* cache = new std::map<KeyType, tls::Credential>;
  auto it = cache->find(type);
  if (it == cache->end()) {
    absl::StatusOr<tls::Credential> credential = tls::GenerateSelfSigned(type, "bench.test");
    if (!credential.ok()) abort();
    it = cache->emplace(type, *std::move(credential)).first;
  }
  return it->second.key.get();
}

// ---- Key exchange.

void X25519Keygen(benchmark::State& state) {
  uint8_t public_value[32], private_key[32];
  for (auto _ : state) {
    X25519_keypair(public_value, private_key);
    benchmark::DoNotOptimize(public_value);
  }
}

void X25519Derive(benchmark::State& state) {
  uint8_t public_a[32], private_a[32], public_b[32], private_b[32], shared[32];
  X25519_keypair(public_a, private_a);
  X25519_keypair(public_b, private_b);
  for (auto _ : state) {
    if (!X25519(shared, private_a, public_b)) {
      state.SkipWithError("X25519 failed");
      break;
    }
    benchmark::DoNotOptimize(shared);
  }
}

void EcdhKeygen(benchmark::State& state, int nid) {
  for (auto _ : state) {
    bssl::UniquePtr<EC_KEY> key(EC_KEY_new_by_curve_name(nid));
    if (key == nullptr || !EC_KEY_generate_key(key.get())) {
      state.SkipWithError("EC key generation failed");
      break;
    }
    benchmark::DoNotOptimize(key.get());
  }
}

void EcdhDerive(benchmark::State& state, int nid) {
  bssl::UniquePtr<EC_KEY> ours(EC_KEY_new_by_curve_name(nid));
  bssl::UniquePtr<EC_KEY> theirs(EC_KEY_new_by_curve_name(nid));
  if (!EC_KEY_generate_key(ours.get()) || !EC_KEY_generate_key(theirs.get())) {
    state.SkipWithError("EC key generation failed");
    return;
  }
  uint8_t shared[66];
  for (auto _ : state) {
    if (ECDH_compute_key(shared, sizeof(shared), EC_KEY_get0_public_key(theirs.get()),
                         ours.get(), nullptr) <= 0) {
      state.SkipWithError("ECDH failed");
      break;
    }
    benchmark::DoNotOptimize(shared);
  }
}

// ---- Signatures.

struct SignatureCase {
  const char* name;  // the TLS SignatureScheme it stands for
  KeyType key;
  const EVP_MD* (*md)();  // null for Ed25519
  int rsa_padding;        // RSA_PKCS1_PADDING, RSA_PKCS1_PSS_PADDING, or 0
};

bool InitContext(EVP_MD_CTX* ctx, const SignatureCase& c, bool sign) {
  EVP_PKEY_CTX* pctx = nullptr;
  EVP_PKEY* key = BenchKey(c.key);
  const EVP_MD* md = c.md != nullptr ? c.md() : nullptr;
  const int ok = sign ? EVP_DigestSignInit(ctx, &pctx, md, nullptr, key)
                      : EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, key);
  if (!ok) return false;
  if (c.rsa_padding == RSA_PKCS1_PSS_PADDING) {
    // TLS 1.3 fixes the PSS salt length to the hash length.
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, -1);
  }
  return true;
}

std::vector<uint8_t> SignOnce(const SignatureCase& c, const uint8_t* msg, size_t len) {
  bssl::ScopedEVP_MD_CTX ctx;
  size_t sig_len = 0;
  if (!InitContext(ctx.get(), c, true) || !EVP_DigestSign(ctx.get(), nullptr, &sig_len, msg, len)) {
    return {};
  }
  std::vector<uint8_t> sig(sig_len);
  if (!EVP_DigestSign(ctx.get(), sig.data(), &sig_len, msg, len)) return {};
  sig.resize(sig_len);
  return sig;
}

void Sign(benchmark::State& state, SignatureCase c) {
  BenchKey(c.key);  // generate outside the timed loop
  uint8_t msg[32];
  RAND_bytes(msg, sizeof(msg));
  std::vector<uint8_t> sig(4096 / 8 + 64);
  for (auto _ : state) {
    bssl::ScopedEVP_MD_CTX ctx;
    size_t sig_len = sig.size();
    if (!InitContext(ctx.get(), c, true) ||
        !EVP_DigestSign(ctx.get(), sig.data(), &sig_len, msg, sizeof(msg))) {
      state.SkipWithError("signing failed");
      break;
    }
    benchmark::DoNotOptimize(sig.data());
  }
}

void Verify(benchmark::State& state, SignatureCase c) {
  uint8_t msg[32];
  RAND_bytes(msg, sizeof(msg));
  const std::vector<uint8_t> sig = SignOnce(c, msg, sizeof(msg));
  if (sig.empty()) {
    state.SkipWithError("signing failed");
    return;
  }
  for (auto _ : state) {
    bssl::ScopedEVP_MD_CTX ctx;
    if (!InitContext(ctx.get(), c, false) ||
        EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), msg, sizeof(msg)) != 1) {
      state.SkipWithError("verification failed");
      break;
    }
  }
}

// ---- Key schedule and records.

void HkdfSha256(benchmark::State& state) {
  uint8_t secret[32], salt[32], out[32];
  static const uint8_t kInfo[] = "tls13 derived";
  RAND_bytes(secret, sizeof(secret));
  RAND_bytes(salt, sizeof(salt));
  for (auto _ : state) {
    if (!HKDF(out, sizeof(out), EVP_sha256(), secret, sizeof(secret), salt, sizeof(salt), kInfo,
              sizeof(kInfo) - 1)) {
      state.SkipWithError("HKDF failed");
      break;
    }
    benchmark::DoNotOptimize(out);
  }
}

void Seal(benchmark::State& state, const EVP_AEAD* (*aead_fn)()) {
  const EVP_AEAD* aead = aead_fn();
  const size_t record = static_cast<size_t>(state.range(0));
  std::vector<uint8_t> key(EVP_AEAD_key_length(aead));
  std::vector<uint8_t> nonce(EVP_AEAD_nonce_length(aead));
  std::vector<uint8_t> in(record), out(record + EVP_AEAD_max_overhead(aead));
  uint8_t ad[13] = {};  // the size of a TLS 1.2 record's additional data
  RAND_bytes(key.data(), key.size());
  RAND_bytes(in.data(), in.size());
  bssl::ScopedEVP_AEAD_CTX ctx;
  if (!EVP_AEAD_CTX_init(ctx.get(), aead, key.data(), key.size(),
                         EVP_AEAD_DEFAULT_TAG_LENGTH, nullptr)) {
    state.SkipWithError("AEAD init failed");
    return;
  }
  uint64_t counter = 0;
  for (auto _ : state) {
    // A fresh nonce per record, as TLS derives one from the sequence number.
    counter++;
    for (size_t i = 0; i < sizeof(counter) && i < nonce.size(); i++) {
      nonce[nonce.size() - 1 - i] = static_cast<uint8_t>(counter >> (8 * i));
    }
    size_t out_len = 0;
    if (!EVP_AEAD_CTX_seal(ctx.get(), out.data(), &out_len, out.size(), nonce.data(),
                           nonce.size(), in.data(), in.size(), ad, sizeof(ad))) {
      state.SkipWithError("seal failed");
      break;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(record));
}

void RegisterAll() {
  benchmark::RegisterBenchmark("KeyExchange/X25519/keygen", X25519Keygen);
  benchmark::RegisterBenchmark("KeyExchange/X25519/derive", X25519Derive);
  for (auto [name, nid] : {std::pair<const char*, int>{"P-256", NID_X9_62_prime256v1},
                           std::pair<const char*, int>{"P-384", NID_secp384r1}}) {
    benchmark::RegisterBenchmark(absl::StrCat("KeyExchange/", name, "/keygen").c_str(),
                                 EcdhKeygen, nid);
    benchmark::RegisterBenchmark(absl::StrCat("KeyExchange/", name, "/derive").c_str(),
                                 EcdhDerive, nid);
  }

  const SignatureCase signatures[] = {
      {"ecdsa_secp256r1_sha256", KeyType::kEcdsaP256, EVP_sha256, 0},
      {"ecdsa_secp384r1_sha384", KeyType::kEcdsaP384, EVP_sha384, 0},
      {"rsa_pss_rsae_sha256", KeyType::kRsa2048, EVP_sha256, RSA_PKCS1_PSS_PADDING},
      {"rsa_pss_rsae_sha256", KeyType::kRsa3072, EVP_sha256, RSA_PKCS1_PSS_PADDING},
      {"rsa_pss_rsae_sha256", KeyType::kRsa4096, EVP_sha256, RSA_PKCS1_PSS_PADDING},
      {"rsa_pkcs1_sha256", KeyType::kRsa2048, EVP_sha256, RSA_PKCS1_PADDING},
      {"rsa_pkcs1_sha256", KeyType::kRsa3072, EVP_sha256, RSA_PKCS1_PADDING},
      {"rsa_pkcs1_sha256", KeyType::kRsa4096, EVP_sha256, RSA_PKCS1_PADDING},
      {"ed25519", KeyType::kEd25519, nullptr, 0},
  };
  for (const SignatureCase& c : signatures) {
    const std::string suffix = absl::StrCat(c.name, "/", tls::KeyTypeName(c.key));
    benchmark::RegisterBenchmark(absl::StrCat("Sign/", suffix).c_str(), Sign, c)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(absl::StrCat("Verify/", suffix).c_str(), Verify, c)
        ->Unit(benchmark::kMicrosecond);
  }

  benchmark::RegisterBenchmark("HKDF-SHA256/32B", HkdfSha256);

  for (auto [name, fn] : {std::pair<const char*, const EVP_AEAD* (*)()>{"AES-128-GCM",
                                                                       EVP_aead_aes_128_gcm},
                          {"AES-256-GCM", EVP_aead_aes_256_gcm},
                          {"ChaCha20-Poly1305", EVP_aead_chacha20_poly1305}}) {
    benchmark::RegisterBenchmark(absl::StrCat("Seal/", name).c_str(), Seal, fn)
        ->Arg(16)
        ->Arg(1350)
        ->Arg(16384)
        ->ArgName("bytes");
  }
}

}  // namespace
}  // namespace mailshake::bench

int main(int argc, char** argv) {
  mailshake::bench::RegisterAll();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
