#include "src/probe/renegotiation.h"

#include <errno.h>
#include <openssl/aead.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "src/wire/catalog.h"
#include "src/wire/hello.h"

namespace mailshake::probe::internal {
namespace {

constexpr size_t kExplicitNonce = 8;
// RFC 5246 6.2.3: a protected record holds at most 2^14 + 2048 octets.
constexpr size_t kMaxPayload = 16384 + 2048;
// Application data records skipped before giving up (an implicit-TLS banner
// is one or two).
constexpr int kMaxSkipped = 8;

// RFC 5288 keys of one connection.
struct Keys {
  const EVP_AEAD* aead = nullptr;
  std::string client_key, server_key, client_salt, server_salt;
};

std::optional<Keys> DeriveKeys(SSL* ssl, std::string* why) {
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
  if (cipher == nullptr) {
    *why = "no cipher suite";
    return std::nullopt;
  }
  Keys keys;
  size_t key_len = 0;
  switch (SSL_CIPHER_get_protocol_id(cipher)) {
    case 0xc02b:  // ECDHE-ECDSA-AES128-GCM-SHA256
    case 0xc02f:  // ECDHE-RSA-AES128-GCM-SHA256
      keys.aead = EVP_aead_aes_128_gcm();
      key_len = 16;
      break;
    case 0xc02c:  // ECDHE-ECDSA-AES256-GCM-SHA384
    case 0xc030:  // ECDHE-RSA-AES256-GCM-SHA384
      keys.aead = EVP_aead_aes_256_gcm();
      key_len = 32;
      break;
    default:
      *why = absl::StrCat("suite ", SSL_CIPHER_get_name(cipher), " is not AES-GCM");
      return std::nullopt;
  }
  // RFC 5246 6.3: client and server write keys, then the 4-octet implicit
  // nonces (no MAC keys for AEAD suites).
  const size_t len = SSL_get_key_block_len(ssl);
  std::string block(len, '\0');
  if (len != 2 * key_len + 8 ||
      !SSL_generate_key_block(ssl, reinterpret_cast<uint8_t*>(&block[0]), len)) {
    *why = "no key block";
    return std::nullopt;
  }
  keys.client_key = block.substr(0, key_len);
  keys.server_key = block.substr(key_len, key_len);
  keys.client_salt = block.substr(2 * key_len, 4);
  keys.server_salt = block.substr(2 * key_len + 4, 4);
  return keys;
}

void PutU64(uint64_t v, uint8_t* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(v & 0xff);
    v >>= 8;
  }
}

// AdditionalData is RFC 5246 6.2.3.3's seq_num + type + version + length.
void AdditionalData(uint64_t seq, uint8_t type, size_t length, uint8_t ad[13]) {
  PutU64(seq, ad);
  ad[8] = type;
  ad[9] = 3;
  ad[10] = 3;
  ad[11] = static_cast<uint8_t>(length >> 8);
  ad[12] = static_cast<uint8_t>(length & 0xff);
}

// Seal returns |plaintext| as one protected TLS 1.2 record of |type|, the
// explicit nonce being the sequence number.
std::optional<std::string> Seal(const Keys& keys, uint64_t seq, uint8_t type,
                                const std::string& plaintext) {
  bssl::ScopedEVP_AEAD_CTX ctx;
  if (!EVP_AEAD_CTX_init(ctx.get(), keys.aead,
                         reinterpret_cast<const uint8_t*>(keys.client_key.data()),
                         keys.client_key.size(), EVP_AEAD_DEFAULT_TAG_LENGTH, nullptr)) {
    return std::nullopt;
  }
  uint8_t nonce[12];
  std::memcpy(nonce, keys.client_salt.data(), 4);
  PutU64(seq, nonce + 4);
  uint8_t ad[13];
  AdditionalData(seq, type, plaintext.size(), ad);
  const size_t max_out = plaintext.size() + EVP_AEAD_max_overhead(keys.aead);
  std::string record(wire::kRecordHeaderLength + kExplicitNonce + max_out, '\0');
  uint8_t* out = reinterpret_cast<uint8_t*>(&record[0]);
  size_t out_len = 0;
  if (!EVP_AEAD_CTX_seal(ctx.get(), out + wire::kRecordHeaderLength + kExplicitNonce, &out_len, max_out, nonce,
                         sizeof(nonce), reinterpret_cast<const uint8_t*>(plaintext.data()),
                         plaintext.size(), ad, sizeof(ad))) {
    return std::nullopt;
  }
  const size_t payload = kExplicitNonce + out_len;
  out[0] = type;
  out[1] = 3;
  out[2] = 3;
  out[3] = static_cast<uint8_t>(payload >> 8);
  out[4] = static_cast<uint8_t>(payload & 0xff);
  std::memcpy(out + wire::kRecordHeaderLength, nonce + 4, kExplicitNonce);
  record.resize(wire::kRecordHeaderLength + payload);
  return record;
}

// Open decrypts the payload of a server record of |type|.
std::optional<std::string> Open(const Keys& keys, uint64_t seq, uint8_t type,
                                const std::string& payload) {
  const size_t overhead = EVP_AEAD_max_overhead(keys.aead);
  if (payload.size() < kExplicitNonce + overhead) return std::nullopt;
  bssl::ScopedEVP_AEAD_CTX ctx;
  if (!EVP_AEAD_CTX_init(ctx.get(), keys.aead,
                         reinterpret_cast<const uint8_t*>(keys.server_key.data()),
                         keys.server_key.size(), EVP_AEAD_DEFAULT_TAG_LENGTH, nullptr)) {
    return std::nullopt;
  }
  uint8_t nonce[12];
  std::memcpy(nonce, keys.server_salt.data(), 4);
  std::memcpy(nonce + 4, payload.data(), kExplicitNonce);
  uint8_t ad[13];
  AdditionalData(seq, type, payload.size() - kExplicitNonce - overhead, ad);
  std::string plaintext(payload.size(), '\0');
  size_t out_len = 0;
  if (!EVP_AEAD_CTX_open(ctx.get(), reinterpret_cast<uint8_t*>(&plaintext[0]), &out_len,
                         plaintext.size(), nonce, sizeof(nonce),
                         reinterpret_cast<const uint8_t*>(payload.data()) + kExplicitNonce,
                         payload.size() - kExplicitNonce, ad, sizeof(ad))) {
    return std::nullopt;
  }
  plaintext.resize(out_len);
  return plaintext;
}

int RemainingMs(absl::Time deadline) {
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 60000));
}

// What reading stopped on.
enum class Stop { kNone, kTimeout, kClosed, kReset, kError };

Stop WaitFor(int fd, short events, absl::Time deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int n = poll(&p, 1, RemainingMs(deadline));
    if (n > 0) return Stop::kNone;
    if (n < 0 && errno == EINTR) continue;
    return n == 0 ? Stop::kTimeout : Stop::kError;
  }
}

Stop SendAll(int fd, const std::string& bytes, absl::Time deadline) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n =
        send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      if (Stop s = WaitFor(fd, POLLOUT, deadline); s != Stop::kNone) return s;
      continue;
    }
    return n < 0 && errno == ECONNRESET ? Stop::kReset : Stop::kClosed;
  }
  return Stop::kNone;
}

Stop ReadExactly(int fd, size_t n, std::string* out, absl::Time deadline) {
  out->clear();
  char buf[4096];
  while (out->size() < n) {
    const ssize_t r = recv(fd, buf, std::min(sizeof(buf), n - out->size()), MSG_DONTWAIT);
    if (r > 0) {
      out->append(buf, static_cast<size_t>(r));
      continue;
    }
    if (r == 0) return Stop::kClosed;
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      if (Stop s = WaitFor(fd, POLLIN, deadline); s != Stop::kNone) return s;
      continue;
    }
    return errno == ECONNRESET ? Stop::kReset : Stop::kError;
  }
  return Stop::kNone;
}

const char* StopText(Stop stop) {
  switch (stop) {
    case Stop::kTimeout:
      return "no answer before the deadline: the server ignores it";
    case Stop::kClosed:
      return "the server closed the connection";
    case Stop::kReset:
      return "the server reset the connection";
    default:
      return "the connection failed";
  }
}

}  // namespace

RenegotiationAttempt TryClientRenegotiation(SSL* ssl, int fd, absl::Time deadline) {
  RenegotiationAttempt out;
  if (SSL_version(ssl) != TLS1_2_VERSION) {
    out.outcome = "not_applicable:not_tls12";
    out.detail = "the connection is not TLS 1.2";
    return out;
  }
  std::string why;
  std::optional<Keys> keys = DeriveKeys(ssl, &why);
  if (!keys.has_value()) {
    out.outcome = "not_applicable:suite";
    out.detail = why;
    return out;
  }
  uint8_t verify_data[64];
  const size_t verify_len = SSL_get_finished(ssl, verify_data, sizeof(verify_data));
  wire::ClientHelloSpec spec;
  spec.legacy_version = wire::kTls12;
  spec.cipher_suites = {SSL_CIPHER_get_protocol_id(SSL_get_current_cipher(ssl))};
  spec.groups = {wire::kGroupX25519, wire::kGroupP256, wire::kGroupP384};
  spec.ec_point_formats = true;
  spec.signature_algorithms = {0x0804, 0x0805, 0x0806, 0x0403, 0x0503, 0x0401, 0x0501};
  // RFC 7627 5.3: a session made with the extended master secret must be
  // renegotiated with it, or the server aborts (handshake_failure).
  spec.extended_master_secret = SSL_get_extms_support(ssl) == 1;
  spec.renegotiation_info = true;
  spec.renegotiated_connection.assign(reinterpret_cast<const char*>(verify_data),
                                      std::min(verify_len, sizeof(verify_data)));
  if (const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name); sni != nullptr) {
    spec.server_name = sni;
  }
  absl::StatusOr<std::string> hello = wire::WriteClientHelloBody(spec);
  std::optional<std::string> record;
  if (hello.ok()) record = Seal(*keys, SSL_get_write_sequence(ssl), wire::kContentHandshake, *hello);
  if (!record.has_value()) {
    out.outcome = "local_resource:renegotiation_hello";
    out.detail = hello.ok() ? "sealing the ClientHello failed" : std::string(hello.status().message());
    return out;
  }
  out.evidence.push_back(absl::StrCat("C (TLS): ClientHello renegotiating ",
                                      SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)),
                                      " with renegotiation_info (", record->size(), " octets)"));
  if (Stop s = SendAll(fd, *record, deadline); s != Stop::kNone) {
    out.outcome = "ok";
    out.accepted = false;
    out.detail = StopText(s);
    out.evidence.push_back(absl::StrCat("S: ", out.detail));
    return out;
  }
  uint64_t read_seq = SSL_get_read_sequence(ssl);
  for (int skipped = 0; skipped <= kMaxSkipped; ++skipped) {
    std::string header, payload;
    Stop s = ReadExactly(fd, wire::kRecordHeaderLength, &header, deadline);
    const size_t length = s == Stop::kNone ? (static_cast<uint8_t>(header[3]) << 8) |
                                                 static_cast<uint8_t>(header[4])
                                           : 0;
    if (s == Stop::kNone && length > kMaxPayload) {
      out.outcome = "protocol_violation:oversized_record";
      out.detail = absl::StrCat("a record of ", length, " octets");
      return out;
    }
    if (s == Stop::kNone) s = ReadExactly(fd, length, &payload, deadline);
    if (s != Stop::kNone) {
      out.outcome = s == Stop::kError ? "connect_error" : "ok";
      if (s != Stop::kError) out.accepted = false;
      out.detail = StopText(s);
      out.evidence.push_back(absl::StrCat("S: ", out.detail));
      return out;
    }
    const uint8_t type = static_cast<uint8_t>(header[0]);
    std::optional<std::string> plaintext = Open(*keys, read_seq++, type, payload);
    if (!plaintext.has_value()) {
      out.outcome = "protocol_violation:bad_record";
      out.detail = absl::StrCat("a record of type ", type, " that does not decrypt");
      out.evidence.push_back(absl::StrCat("S: ", out.detail));
      return out;
    }
    if (type == wire::kContentApplicationData) {
      out.evidence.push_back(
          absl::StrCat("S (TLS): application data, ", plaintext->size(), " octets (skipped)"));
      continue;
    }
    out.outcome = "ok";
    if (type == wire::kContentAlert && plaintext->size() >= 2) {
      out.accepted = false;
      out.detail = absl::StrCat("alert ", (*plaintext)[0] == 1 ? "warning " : "fatal ",
                                wire::AlertName(static_cast<uint8_t>((*plaintext)[1])));
    } else if (type == wire::kContentHandshake && !plaintext->empty() &&
               static_cast<uint8_t>((*plaintext)[0]) == wire::kHandshakeServerHello) {
      out.accepted = true;
      out.detail = "ServerHello: the server renegotiates";
    } else {
      out.outcome = "protocol_violation:unexpected_record";
      out.detail = absl::StrCat("a record of type ", type, " (first octet ",
                                plaintext->empty() ? -1 : static_cast<uint8_t>((*plaintext)[0]),
                                ")");
    }
    out.evidence.push_back(absl::StrCat("S (TLS): ", out.detail));
    return out;
  }
  out.outcome = "protocol_violation:unexpected_record";
  out.detail = "only application data came back";
  return out;
}

}  // namespace mailshake::probe::internal
