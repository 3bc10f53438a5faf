// Reader of the server's first flight (hello.h). Each Add walks the new bytes
// once: records and handshake messages are consumed by offset and the
// buffers are compacted once per call, so work stays linear in the input.

#include <openssl/bytestring.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/wire/hello.h"

namespace mailshake::wire {
namespace {

constexpr size_t kMaxExtensions = 64;
constexpr size_t kMaxMessageTypes = 32;

// SHA-256("HelloRetryRequest"), RFC 8446 4.1.3.
constexpr uint8_t kHrrRandom[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};
constexpr char kDowngrade[] = "DOWNGRD";

CBS ToCbs(absl::string_view s) {
  CBS cbs;
  CBS_init(&cbs, reinterpret_cast<const uint8_t*>(s.data()), s.size());
  return cbs;
}

std::string CbsString(const CBS& cbs) {
  return std::string(reinterpret_cast<const char*>(CBS_data(&cbs)), CBS_len(&cbs));
}

absl::Status Bad(absl::string_view what) { return absl::InvalidArgumentError(what); }

// Bit length of the big-endian unsigned integer in |cbs|.
int BitLength(CBS cbs) {
  const uint8_t* p = CBS_data(&cbs);
  size_t n = CBS_len(&cbs);
  size_t i = 0;
  while (i < n && p[i] == 0) i++;
  if (i == n) return 0;
  int top = 0;
  for (uint8_t b = p[i]; b != 0; b >>= 1) top++;
  return static_cast<int>((n - i - 1) * 8) + top;
}

}  // namespace

std::string PrintableBytes(absl::string_view bytes) {
  std::string out;
  for (char c : bytes.substr(0, 64)) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && u != '\\') {
      out.push_back(c);
    } else {
      absl::StrAppendFormat(&out, "\\x%02x", u);
    }
  }
  return out;
}

const char* ReplyKindName(ReplyKind kind) {
  switch (kind) {
    case ReplyKind::kIncomplete:
      return "incomplete";
    case ReplyKind::kServerHello:
      return "server_hello";
    case ReplyKind::kHelloRetryRequest:
      return "hello_retry_request";
    case ReplyKind::kAlert:
      return "alert";
    case ReplyKind::kSslv2:
      return "sslv2";
    case ReplyKind::kNotTls:
      return "not_tls";
    case ReplyKind::kMalformed:
      return "malformed";
    case ReplyKind::kOversized:
      return "oversized";
  }
  return "unknown";
}

const Extension* ServerHello::FindExtension(uint16_t type) const {
  for (const Extension& e : extensions) {
    if (e.type == type) return &e;
  }
  return nullptr;
}

absl::StatusOr<ServerHello> ParseServerHello(absl::string_view body) {
  ServerHello hello;
  CBS cbs = ToCbs(body), session_id;
  uint8_t compression;
  if (!CBS_get_u16(&cbs, &hello.legacy_version) ||
      !CBS_copy_bytes(&cbs, hello.random.data(), hello.random.size()) ||
      !CBS_get_u8_length_prefixed(&cbs, &session_id) || CBS_len(&session_id) > 32 ||
      !CBS_get_u16(&cbs, &hello.cipher_suite) || !CBS_get_u8(&cbs, &compression)) {
    return Bad("ServerHello truncated");
  }
  hello.session_id = CbsString(session_id);
  hello.compression_method = compression;
  hello.hello_retry_request = std::memcmp(hello.random.data(), kHrrRandom, 32) == 0;
  if (std::memcmp(hello.random.data() + 24, kDowngrade, 7) == 0) {
    if (hello.random[31] == 1) hello.downgrade_sentinel = kTls12;
    if (hello.random[31] == 0) hello.downgrade_sentinel = kTls11;
  }
  if (CBS_len(&cbs) != 0) {
    CBS exts;
    if (!CBS_get_u16_length_prefixed(&cbs, &exts) || CBS_len(&cbs) != 0) {
      return Bad("ServerHello extensions block malformed");
    }
    while (CBS_len(&exts) != 0) {
      uint16_t type;
      CBS data;
      if (!CBS_get_u16(&exts, &type) || !CBS_get_u16_length_prefixed(&exts, &data)) {
        return Bad("ServerHello extension truncated");
      }
      if (hello.extensions.size() >= kMaxExtensions) {
        return Bad("ServerHello carries more than 64 extensions");
      }
      if (hello.FindExtension(type) != nullptr) {
        return Bad(absl::StrCat("ServerHello repeats extension ", type));
      }
      hello.extensions.push_back(Extension{type, CbsString(data)});
      CBS d = data;
      switch (type) {
        case kExtSupportedVersions:
          if (!CBS_get_u16(&d, &hello.selected_version) || CBS_len(&d) != 0) {
            return Bad("supported_versions malformed");
          }
          break;
        case kExtKeyShare: {
          if (!CBS_get_u16(&d, &hello.key_share_group)) return Bad("key_share malformed");
          if (!hello.hello_retry_request) {
            CBS share;
            if (!CBS_get_u16_length_prefixed(&d, &share) || CBS_len(&share) == 0) {
              return Bad("key_share malformed");
            }
          }
          if (CBS_len(&d) != 0) return Bad("key_share malformed");
          break;
        }
        case kExtRenegotiationInfo: {
          CBS renegotiated;
          hello.renegotiation_info = true;
          hello.renegotiation_info_valid = CBS_get_u8_length_prefixed(&d, &renegotiated) &&
                                           CBS_len(&renegotiated) == 0 && CBS_len(&d) == 0;
          break;
        }
        case kExtExtendedMasterSecret:
          hello.extended_master_secret = true;
          break;
        case kExtSessionTicket:
          hello.session_ticket = true;
          break;
        case kExtStatusRequest:
          hello.status_request = true;
          break;
        case kExtAlpn: {
          CBS list, name;
          if (!CBS_get_u16_length_prefixed(&d, &list) ||
              !CBS_get_u8_length_prefixed(&list, &name) || CBS_len(&name) == 0 ||
              CBS_len(&list) != 0 || CBS_len(&d) != 0) {
            return Bad("ALPN malformed");
          }
          hello.alpn = CbsString(name);
          break;
        }
        case kExtCookie: {
          CBS cookie;
          if (!CBS_get_u16_length_prefixed(&d, &cookie) || CBS_len(&cookie) == 0 ||
              CBS_len(&d) != 0) {
            return Bad("cookie malformed");
          }
          hello.cookie = CbsString(cookie);
          break;
        }
        default:
          break;
      }
    }
  }
  hello.version = hello.selected_version != 0 ? hello.selected_version : hello.legacy_version;
  return hello;
}

absl::StatusOr<ServerKeyExchange> ParseServerKeyExchange(absl::string_view body, uint16_t version,
                                                         bool ecdhe, bool anonymous) {
  ServerKeyExchange ske;
  CBS cbs = ToCbs(body);
  if (ecdhe) {
    ske.kind = ServerKeyExchange::Kind::kEcdhe;
    uint8_t curve_type;
    if (!CBS_get_u8(&cbs, &curve_type)) return Bad("ServerKeyExchange truncated");
    if (curve_type != 3) {
      // Explicit curves (1, 2): parameters we do not decode; report the kind.
      return ske;
    }
    CBS point;
    if (!CBS_get_u16(&cbs, &ske.named_curve) || !CBS_get_u8_length_prefixed(&cbs, &point) ||
        CBS_len(&point) == 0) {
      return Bad("ECDHE ServerKeyExchange malformed");
    }
  } else {
    ske.kind = ServerKeyExchange::Kind::kDhe;
    CBS p, g, ys;
    if (!CBS_get_u16_length_prefixed(&cbs, &p) || !CBS_get_u16_length_prefixed(&cbs, &g) ||
        !CBS_get_u16_length_prefixed(&cbs, &ys)) {
      return Bad("DHE ServerKeyExchange malformed");
    }
    ske.dh_p_bits = BitLength(p);
    ske.dh_g_bits = BitLength(g);
  }
  if (anonymous) {
    if (CBS_len(&cbs) != 0) return Bad("ServerKeyExchange has trailing bytes");
    return ske;
  }
  if (version >= kTls12 && !CBS_get_u16(&cbs, &ske.signature_algorithm)) {
    return Bad("ServerKeyExchange signature algorithm missing");
  }
  CBS signature;
  if (!CBS_get_u16_length_prefixed(&cbs, &signature) || CBS_len(&cbs) != 0) {
    return Bad("ServerKeyExchange signature malformed");
  }
  ske.signature_length = CBS_len(&signature);
  return ske;
}

FlightReader::FlightReader(FlightLimits limits) : limits_(limits) {}

void FlightReader::Fail(ReplyKind kind, std::string problem) {
  // A flight that already has its ServerHello keeps that kind when the
  // problem is an over-long continuation: the evidence is the hello plus
  // |problem|. Framing errors before the hello decide the kind.
  if (flight_.hello.has_value() && kind == ReplyKind::kOversized) {
    flight_.truncated = true;
  } else {
    flight_.kind = kind;
  }
  flight_.problem = std::move(problem);
  done_ = true;
}

void FlightReader::Add(absl::string_view bytes) {
  if (done_ || bytes.empty()) return;
  if (flight_.first_bytes.size() < 64) {
    flight_.first_bytes.append(bytes.data(), std::min(bytes.size(), 64 - flight_.first_bytes.size()));
  }
  // Bytes beyond the flight limit are never buffered: what fits is read
  // (the hello may be in it), then the flight ends as oversized.
  size_t room = limits_.max_flight_bytes - std::min(received_, limits_.max_flight_bytes);
  bool over = bytes.size() > room;
  if (over) bytes = bytes.substr(0, room);
  received_ += bytes.size();
  pending_.append(bytes.data(), bytes.size());
  ProcessRecords();
  if (over && !done_) {
    Fail(ReplyKind::kOversized,
         absl::StrCat("first flight longer than ", limits_.max_flight_bytes, " bytes"));
  }
}

void FlightReader::Finish() {
  if (done_) return;
  done_ = true;
  if (flight_.kind == ReplyKind::kIncomplete && !flight_.hello.has_value() && received_ == 0) {
    return;  // nothing at all: the caller reports silence or EOF
  }
  flight_.truncated = true;
  if (!flight_.hello.has_value() && flight_.kind == ReplyKind::kIncomplete) {
    // Some bytes, no ServerHello: a truncated record or message.
    flight_.kind = ReplyKind::kMalformed;
    flight_.problem = absl::StrCat("connection ended after ", received_,
                                   " bytes without a complete ServerHello");
  }
}

void FlightReader::ProcessRecords() {
  size_t offset = 0;
  const uint8_t* p = reinterpret_cast<const uint8_t*>(pending_.data());
  while (!done_) {
    size_t left = pending_.size() - offset;
    const uint8_t* r = p + offset;
    if (flight_.record_version == 0 && left >= 1 && offset == 0) {
      // The very first bytes decide what kind of peer this is.
      if ((r[0] & 0x80) != 0) {
        if (left < 3) break;
        if (r[2] == 4 || r[2] == 0) {
          Fail(ReplyKind::kSslv2, absl::StrFormat("SSLv2 record, message type %d", r[2]));
        } else {
          Fail(ReplyKind::kNotTls, "not TLS");
        }
        return;
      }
      if (r[0] < kContentChangeCipherSpec || r[0] > kContentApplicationData) {
        Fail(ReplyKind::kNotTls, "not TLS");
        return;
      }
      if (left >= 2 && r[1] != 3) {
        Fail(ReplyKind::kNotTls, "not TLS");
        return;
      }
    }
    if (left < kRecordHeaderLength) break;
    uint8_t type = r[0];
    uint16_t version = static_cast<uint16_t>((r[1] << 8) | r[2]);
    size_t length = (static_cast<size_t>(r[3]) << 8) | r[4];
    if (r[1] != 3) {
      Fail(ReplyKind::kMalformed, absl::StrFormat("record version 0x%04x", version));
      return;
    }
    if (length > limits_.max_record_length) {
      Fail(ReplyKind::kOversized, absl::StrCat("record of ", length, " bytes"));
      return;
    }
    if (left < kRecordHeaderLength + length) break;
    if (flight_.record_version == 0) flight_.record_version = version;
    absl::string_view payload(reinterpret_cast<const char*>(r + kRecordHeaderLength), length);
    offset += kRecordHeaderLength + length;
    flight_.bytes += kRecordHeaderLength + length;
    switch (type) {
      case kContentAlert: {
        if (length < 2) {
          Fail(ReplyKind::kMalformed, "alert record shorter than 2 bytes");
          return;
        }
        Alert alert{static_cast<uint8_t>(payload[0]), static_cast<uint8_t>(payload[1])};
        if (!flight_.alert.has_value() || alert.level == 2) flight_.alert = alert;
        if (alert.level != 1 || alert.description == 0) {
          if (!flight_.hello.has_value()) flight_.kind = ReplyKind::kAlert;
          done_ = true;
        }
        break;
      }
      case kContentHandshake:
        if (length == 0) {
          Fail(ReplyKind::kMalformed, "empty handshake record");
          return;
        }
        if (handshake_.size() + length > limits_.max_handshake_message + 4 + 16384 + 2048) {
          Fail(ReplyKind::kOversized, "handshake data beyond the message limit");
          return;
        }
        handshake_.append(payload.data(), payload.size());
        ProcessHandshake();
        break;
      case kContentChangeCipherSpec:
        // Only legal before the flight ends in a resumed handshake or as a
        // TLS 1.3 compatibility record; it carries no facts.
        if (length != 1 || payload[0] != 1) {
          Fail(ReplyKind::kMalformed, "bad ChangeCipherSpec");
          return;
        }
        break;
      default:
        Fail(ReplyKind::kMalformed,
             absl::StrFormat("record type %d before the flight ended", type));
        return;
    }
  }
  pending_.erase(0, offset);
}

void FlightReader::ProcessHandshake() {
  size_t offset = 0;
  while (!done_) {
    size_t left = handshake_.size() - offset;
    if (left < 4) break;
    const uint8_t* h = reinterpret_cast<const uint8_t*>(handshake_.data() + offset);
    size_t length = (static_cast<size_t>(h[1]) << 16) | (static_cast<size_t>(h[2]) << 8) | h[3];
    if (length > limits_.max_handshake_message) {
      Fail(ReplyKind::kOversized, absl::StrCat("handshake message of ", length, " bytes"));
      return;
    }
    if (left < 4 + length) break;
    absl::string_view body(handshake_.data() + offset + 4, length);
    offset += 4 + length;
    if (!HandleMessage(h[0], body)) return;
  }
  handshake_.erase(0, offset);
}

bool FlightReader::HandleMessage(uint8_t type, absl::string_view body) {
  if (flight_.message_types.size() < kMaxMessageTypes) flight_.message_types.push_back(type);
  if (!flight_.hello.has_value()) {
    if (type != kHandshakeServerHello) {
      Fail(ReplyKind::kMalformed, absl::StrCat("handshake message ", type, " before ServerHello"));
      return false;
    }
    absl::StatusOr<ServerHello> hello = ParseServerHello(body);
    if (!hello.ok()) {
      Fail(ReplyKind::kMalformed, std::string(hello.status().message()));
      return false;
    }
    flight_.hello = std::move(*hello);
    flight_.kind = flight_.hello->hello_retry_request ? ReplyKind::kHelloRetryRequest
                                                      : ReplyKind::kServerHello;
    if (flight_.hello->hello_retry_request || flight_.hello->version >= kTls13) {
      done_ = true;  // everything after a TLS 1.3 ServerHello is encrypted
      return false;
    }
    return true;
  }
  CBS cbs = ToCbs(body);
  switch (type) {
    case kHandshakeCertificate: {
      CBS list;
      if (!CBS_get_u24_length_prefixed(&cbs, &list) || CBS_len(&cbs) != 0) {
        Fail(ReplyKind::kMalformed, "Certificate message malformed");
        return false;
      }
      while (CBS_len(&list) != 0) {
        CBS cert;
        if (!CBS_get_u24_length_prefixed(&list, &cert)) {
          Fail(ReplyKind::kMalformed, "Certificate entry truncated");
          return false;
        }
        flight_.certificate_count++;
        if (flight_.certificates.size() < limits_.max_certificates) {
          flight_.certificates.push_back(CbsString(cert));
        }
      }
      return true;
    }
    case kHandshakeCertificateStatus: {
      uint8_t status_type;
      CBS response;
      if (!CBS_get_u8(&cbs, &status_type) || status_type != 1 ||
          !CBS_get_u24_length_prefixed(&cbs, &response) || CBS_len(&cbs) != 0) {
        Fail(ReplyKind::kMalformed, "CertificateStatus malformed");
        return false;
      }
      flight_.ocsp_stapled = true;
      flight_.ocsp_response_length = CBS_len(&response);
      return true;
    }
    case kHandshakeServerKeyExchange: {
      const CipherSuiteInfo* suite = FindCipherSuite(flight_.hello->cipher_suite);
      if (suite == nullptr || (suite->key_exchange != KeyExchange::kEcdhe &&
                               suite->key_exchange != KeyExchange::kDhe)) {
        // RSA_EXPORT and unknown suites: keep the fact that one came.
        flight_.server_key_exchange = ServerKeyExchange{};
        return true;
      }
      absl::StatusOr<ServerKeyExchange> ske = ParseServerKeyExchange(
          body, flight_.hello->version, suite->key_exchange == KeyExchange::kEcdhe,
          suite->anonymous);
      if (!ske.ok()) {
        Fail(ReplyKind::kMalformed, std::string(ske.status().message()));
        return false;
      }
      flight_.server_key_exchange = *ske;
      return true;
    }
    case kHandshakeCertificateRequest:
      flight_.certificate_request = true;
      return true;
    case kHandshakeServerHelloDone:
      if (!body.empty()) {
        Fail(ReplyKind::kMalformed, "ServerHelloDone not empty");
        return false;
      }
      flight_.server_hello_done = true;
      done_ = true;
      return false;
    default:
      Fail(ReplyKind::kMalformed, absl::StrCat("unexpected handshake message ", type));
      return false;
  }
}

}  // namespace mailshake::wire
