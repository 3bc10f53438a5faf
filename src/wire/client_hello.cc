// ClientHello writer (hello.h). CBB only; key shares from BoringSSL's
// curve25519 and EC primitives, whose private halves are thrown away: the
// scanner never finishes a handshake it starts.

#include <openssl/bytestring.h>
#include <openssl/curve25519.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/rand.h>

#include <algorithm>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "src/wire/hello.h"

namespace mailshake::wire {
namespace {

constexpr size_t kMaxSuites = 1024;
constexpr size_t kMaxRecordPayload = 16384;

// ScopedCbb owns a CBB's heap buffer until it is finished.
class ScopedCbb {
 public:
  ScopedCbb() { CBB_zero(&cbb_); }
  ~ScopedCbb() { CBB_cleanup(&cbb_); }
  CBB* get() { return &cbb_; }

 private:
  CBB cbb_;
};

bool FinishToString(CBB* cbb, std::string* out) {
  uint8_t* data = nullptr;
  size_t len = 0;
  if (!CBB_finish(cbb, &data, &len)) return false;
  out->assign(reinterpret_cast<const char*>(data), len);
  OPENSSL_free(data);
  return true;
}

bool AddU16List(CBB* cbb, const std::vector<uint16_t>& values) {
  CBB list;
  if (!CBB_add_u16_length_prefixed(cbb, &list)) return false;
  for (uint16_t v : values) {
    if (!CBB_add_u16(&list, v)) return false;
  }
  return CBB_flush(cbb);
}

bool AddBytes(CBB* cbb, absl::string_view bytes) {
  return CBB_add_bytes(cbb, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

// Generates a public key share for |group| into |out|; false when the group
// is not one the writer supports.
bool MakeKeyShare(uint16_t group, std::string* out) {
  if (group == kGroupX25519) {
    uint8_t pub[32], priv[32];
    X25519_keypair(pub, priv);
    OPENSSL_cleanse(priv, sizeof(priv));
    out->assign(reinterpret_cast<const char*>(pub), sizeof(pub));
    return true;
  }
  int nid = group == kGroupP256   ? NID_X9_62_prime256v1
            : group == kGroupP384 ? NID_secp384r1
            : group == kGroupP521 ? NID_secp521r1
                                  : NID_undef;
  if (nid == NID_undef) return false;
  bssl::UniquePtr<EC_KEY> key(EC_KEY_new_by_curve_name(nid));
  if (!key || !EC_KEY_generate_key(key.get())) return false;
  uint8_t buf[1 + 2 * 66];
  size_t len = EC_POINT_point2oct(EC_KEY_get0_group(key.get()), EC_KEY_get0_public_key(key.get()),
                                  POINT_CONVERSION_UNCOMPRESSED, buf, sizeof(buf), nullptr);
  if (len == 0) return false;
  out->assign(reinterpret_cast<const char*>(buf), len);
  return true;
}

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("ClientHelloSpec.", field, ": ", why));
}

absl::Status Validate(const ClientHelloSpec& spec) {
  if (spec.cipher_suites.empty() && !spec.renegotiation_scsv && !spec.fallback_scsv) {
    return Invalid("cipher_suites", "empty");
  }
  if (spec.cipher_suites.size() > kMaxSuites) {
    return Invalid("cipher_suites", absl::StrCat("more than ", kMaxSuites));
  }
  if (spec.compression_methods.empty() || spec.compression_methods.size() > 255) {
    return Invalid("compression_methods", "needs 1 to 255 entries");
  }
  if (spec.session_id.size() > 32) return Invalid("session_id", "longer than 32 bytes");
  if (spec.renegotiated_connection.size() > 255) {
    return Invalid("renegotiated_connection", "longer than 255 bytes");
  }
  if (spec.server_name.size() > 255) return Invalid("server_name", "longer than 255 bytes");
  if (spec.groups.size() > 256) return Invalid("groups", "more than 256");
  if (spec.signature_algorithms.size() > 256) {
    return Invalid("signature_algorithms", "more than 256");
  }
  if (spec.supported_versions.size() > 16) return Invalid("supported_versions", "more than 16");
  for (const std::string& p : spec.alpn) {
    if (p.empty() || p.size() > 255) return Invalid("alpn", "protocol names need 1-255 bytes");
  }
  if (spec.alpn.size() > 32) return Invalid("alpn", "more than 32 protocols");
  if (spec.cookie.size() > 4096) return Invalid("cookie", "longer than 4096 bytes");
  for (uint16_t g : spec.key_share_groups) {
    if (std::find(spec.groups.begin(), spec.groups.end(), g) == spec.groups.end()) {
      return Invalid("key_share_groups", absl::StrCat("group ", g, " not in groups"));
    }
    const GroupInfo* info = FindGroup(g);
    if (info == nullptr || !info->key_share_supported) {
      return Invalid("key_share_groups", absl::StrCat("cannot make a key share for group ", g));
    }
  }
  return absl::OkStatus();
}

bool AddExtensions(CBB* hello, const ClientHelloSpec& spec) {
  CBB exts, ext, inner, inner2;
  if (!CBB_add_u16_length_prefixed(hello, &exts)) return false;
  auto open = [&](uint16_t type) {
    return CBB_add_u16(&exts, type) && CBB_add_u16_length_prefixed(&exts, &ext);
  };
  if (!spec.server_name.empty()) {
    if (!open(kExtServerName) || !CBB_add_u16_length_prefixed(&ext, &inner) ||
        !CBB_add_u8(&inner, 0) || !CBB_add_u16_length_prefixed(&inner, &inner2) ||
        !AddBytes(&inner2, spec.server_name) || !CBB_flush(&exts)) {
      return false;
    }
  }
  if (spec.ec_point_formats) {
    if (!open(kExtEcPointFormats) || !CBB_add_u8_length_prefixed(&ext, &inner) ||
        !CBB_add_u8(&inner, 0) || !CBB_flush(&exts)) {
      return false;
    }
  }
  if (!spec.groups.empty()) {
    if (!open(kExtSupportedGroups) || !AddU16List(&ext, spec.groups) || !CBB_flush(&exts)) {
      return false;
    }
  }
  if (spec.session_ticket) {
    if (!open(kExtSessionTicket) || !CBB_flush(&exts)) return false;
  }
  if (!spec.alpn.empty()) {
    if (!open(kExtAlpn) || !CBB_add_u16_length_prefixed(&ext, &inner)) return false;
    for (const std::string& p : spec.alpn) {
      if (!CBB_add_u8_length_prefixed(&inner, &inner2) || !AddBytes(&inner2, p)) return false;
    }
    if (!CBB_flush(&exts)) return false;
  }
  if (spec.status_request) {
    // status_type ocsp(1), empty responder_id_list, empty request_extensions.
    if (!open(kExtStatusRequest) || !CBB_add_u8(&ext, 1) || !CBB_add_u16(&ext, 0) ||
        !CBB_add_u16(&ext, 0) || !CBB_flush(&exts)) {
      return false;
    }
  }
  if (!spec.signature_algorithms.empty()) {
    if (!open(kExtSignatureAlgorithms) || !AddU16List(&ext, spec.signature_algorithms) ||
        !CBB_flush(&exts)) {
      return false;
    }
  }
  if (spec.extended_master_secret) {
    if (!open(kExtExtendedMasterSecret) || !CBB_flush(&exts)) return false;
  }
  if (!spec.supported_versions.empty()) {
    if (!open(kExtSupportedVersions) || !CBB_add_u8_length_prefixed(&ext, &inner)) return false;
    for (uint16_t v : spec.supported_versions) {
      if (!CBB_add_u16(&inner, v)) return false;
    }
    if (!CBB_flush(&exts)) return false;
  }
  if (!spec.key_share_groups.empty() || spec.send_empty_key_share) {
    if (!open(kExtKeyShare) || !CBB_add_u16_length_prefixed(&ext, &inner)) return false;
    for (uint16_t g : spec.key_share_groups) {
      std::string share;
      if (!MakeKeyShare(g, &share) || !CBB_add_u16(&inner, g) ||
          !CBB_add_u16_length_prefixed(&inner, &inner2) || !AddBytes(&inner2, share)) {
        return false;
      }
    }
    if (!CBB_flush(&exts)) return false;
  }
  if (!spec.cookie.empty()) {
    if (!open(kExtCookie) || !CBB_add_u16_length_prefixed(&ext, &inner) ||
        !AddBytes(&inner, spec.cookie) || !CBB_flush(&exts)) {
      return false;
    }
  }
  if (spec.renegotiation_info) {
    if (!open(kExtRenegotiationInfo) || !CBB_add_u8_length_prefixed(&ext, &inner) ||
        !AddBytes(&inner, spec.renegotiated_connection) || !CBB_flush(&exts)) {
      return false;
    }
  }
  return CBB_flush(hello);
}

}  // namespace

absl::StatusOr<std::string> WriteClientHelloBody(const ClientHelloSpec& spec) {
  if (absl::Status s = Validate(spec); !s.ok()) return s;
  std::array<uint8_t, 32> random = spec.random;
  if (std::all_of(random.begin(), random.end(), [](uint8_t b) { return b == 0; })) {
    RAND_bytes(random.data(), random.size());
  }
  ScopedCbb cbb;
  CBB body, list;
  bool ok = CBB_init(cbb.get(), 512) && CBB_add_u8(cbb.get(), kHandshakeClientHello) &&
            CBB_add_u24_length_prefixed(cbb.get(), &body) &&
            CBB_add_u16(&body, spec.legacy_version) &&
            CBB_add_bytes(&body, random.data(), random.size()) &&
            CBB_add_u8_length_prefixed(&body, &list) && AddBytes(&list, spec.session_id) &&
            CBB_add_u16_length_prefixed(&body, &list);
  for (uint16_t s : spec.cipher_suites) ok = ok && CBB_add_u16(&list, s);
  if (spec.renegotiation_scsv) ok = ok && CBB_add_u16(&list, kEmptyRenegotiationInfoScsv);
  if (spec.fallback_scsv) ok = ok && CBB_add_u16(&list, kFallbackScsv);
  ok = ok && CBB_add_u8_length_prefixed(&body, &list);
  for (uint8_t c : spec.compression_methods) ok = ok && CBB_add_u8(&list, c);
  ok = ok && CBB_flush(&body);
  if (ok && !spec.no_extensions) ok = AddExtensions(&body, spec);
  std::string out;
  if (!ok || !FinishToString(cbb.get(), &out)) {
    return absl::InternalError("ClientHello does not fit its length fields");
  }
  return out;
}

absl::StatusOr<std::string> WriteClientHello(const ClientHelloSpec& spec) {
  absl::StatusOr<std::string> message = WriteClientHelloBody(spec);
  if (!message.ok()) return message.status();
  std::string out;
  absl::string_view rest(*message);
  while (!rest.empty()) {
    size_t n = std::min(rest.size(), kMaxRecordPayload);
    out.push_back(static_cast<char>(kContentHandshake));
    out.push_back(static_cast<char>(spec.record_version >> 8));
    out.push_back(static_cast<char>(spec.record_version & 0xff));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xff));
    out.append(rest.data(), n);
    rest.remove_prefix(n);
  }
  return out;
}

}  // namespace mailshake::wire
