#include "src/wire/testing.h"

#include <cstring>

namespace mailshake::wire::testing {
namespace {

void U8(std::string* out, unsigned v) { out->push_back(static_cast<char>(v & 0xff)); }
void U16(std::string* out, unsigned v) {
  U8(out, v >> 8);
  U8(out, v);
}
void U24(std::string* out, size_t v) {
  U8(out, static_cast<unsigned>(v >> 16));
  U16(out, static_cast<unsigned>(v & 0xffff));
}

constexpr uint8_t kHrrRandom[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

}  // namespace

std::string EncodeServerHello(const ServerHello& hello, bool extensions_block) {
  std::string out;
  U16(&out, hello.legacy_version);
  out.append(reinterpret_cast<const char*>(hello.random.data()), hello.random.size());
  U8(&out, static_cast<unsigned>(hello.session_id.size()));
  out += hello.session_id;
  U16(&out, hello.cipher_suite);
  U8(&out, hello.compression_method);
  if (!extensions_block && hello.extensions.empty()) return out;
  std::string exts;
  for (const Extension& e : hello.extensions) {
    U16(&exts, e.type);
    U16(&exts, static_cast<unsigned>(e.data.size()));
    exts += e.data;
  }
  U16(&out, static_cast<unsigned>(exts.size()));
  return out + exts;
}

std::string HandshakeMessage(uint8_t type, absl::string_view body) {
  std::string out;
  U8(&out, type);
  U24(&out, body.size());
  out.append(body.data(), body.size());
  return out;
}

std::string Records(uint8_t type, uint16_t version, absl::string_view payload, size_t fragment) {
  std::string out;
  while (!payload.empty()) {
    size_t n = std::min(payload.size(), fragment);
    U8(&out, type);
    U16(&out, version);
    U16(&out, static_cast<unsigned>(n));
    out.append(payload.data(), n);
    payload.remove_prefix(n);
  }
  return out;
}

std::string EncodeCertificate(const std::vector<std::string>& certs) {
  std::string list;
  for (const std::string& c : certs) {
    U24(&list, c.size());
    list += c;
  }
  std::string out;
  U24(&out, list.size());
  return out + list;
}

static void AddSignature(std::string* out, uint16_t sigalg, bool signed_) {
  if (!signed_) return;
  if (sigalg != 0) U16(out, sigalg);
  U16(out, 64);
  out->append(64, '\x5a');
}

std::string EncodeEcdheKeyExchange(uint16_t curve, uint16_t sigalg, bool signed_) {
  std::string out;
  U8(&out, 3);
  U16(&out, curve);
  U8(&out, 32);
  out.append(32, '\x09');
  AddSignature(&out, sigalg, signed_);
  return out;
}

std::string EncodeDheKeyExchange(int p_bits, uint16_t sigalg, bool signed_) {
  std::string out;
  size_t p_len = static_cast<size_t>((p_bits + 7) / 8);
  std::string p(p_len, '\xff');
  int top = p_bits % 8;
  if (top != 0) p[0] = static_cast<char>((1 << top) - 1);
  U16(&out, static_cast<unsigned>(p_len));
  out += p;
  U16(&out, 1);
  U8(&out, 2);
  U16(&out, static_cast<unsigned>(p_len));
  out.append(p_len, '\x11');
  AddSignature(&out, sigalg, signed_);
  return out;
}

Extension SupportedVersionsExtension(uint16_t version) {
  std::string data;
  U16(&data, version);
  return Extension{kExtSupportedVersions, data};
}

Extension KeyShareExtension(uint16_t group, bool hello_retry_request) {
  std::string data;
  U16(&data, group);
  if (!hello_retry_request) {
    U16(&data, 32);
    data.append(32, '\x07');
  }
  return Extension{kExtKeyShare, data};
}

ServerHello ServerHelloFor(uint16_t version, uint16_t suite, bool hello_retry_request) {
  ServerHello hello;
  hello.legacy_version = version >= kTls13 ? kTls12 : version;
  if (hello_retry_request) {
    std::memcpy(hello.random.data(), kHrrRandom, 32);
  } else {
    for (size_t i = 0; i < 32; i++) hello.random[i] = static_cast<uint8_t>(i + 1);
  }
  hello.session_id.assign(32, '\x33');
  hello.cipher_suite = suite;
  if (version >= kTls13) hello.extensions.push_back(SupportedVersionsExtension(version));
  return hello;
}

}  // namespace mailshake::wire::testing
