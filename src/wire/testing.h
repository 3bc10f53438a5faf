#ifndef MAILSHAKE_SRC_WIRE_TESTING_H_
#define MAILSHAKE_SRC_WIRE_TESTING_H_

// A tiny writer of server-side handshake messages, for tests and the fuzz
// round-trip oracle only (testonly). It writes what it is given, valid or not.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "src/wire/hello.h"

namespace mailshake::wire::testing {

// EncodeServerHello returns the ServerHello body for |hello|'s wire fields
// (legacy_version, random, session_id, cipher_suite, compression_method and
// |extensions| in order); the derived fields are ignored. With
// |extensions_block| false and no extensions, the extensions length is left out.
std::string EncodeServerHello(const ServerHello& hello, bool extensions_block = true);

// HandshakeMessage frames |body| as handshake message |type| (4-byte header).
std::string HandshakeMessage(uint8_t type, absl::string_view body);

// Records splits |payload| into records of |type| and |version| carrying at
// most |fragment| bytes each.
std::string Records(uint8_t type, uint16_t version, absl::string_view payload,
                    size_t fragment = 16384);

// EncodeCertificate returns a TLS 1.2 Certificate body with |certs|.
std::string EncodeCertificate(const std::vector<std::string>& certs);

// EncodeEcdheKeyExchange / EncodeDheKeyExchange return ServerKeyExchange
// bodies with a dummy public value and signature; |sigalg| 0 leaves the
// algorithm out (TLS <= 1.1), |signed_| false leaves the signature out
// (anonymous suites).
std::string EncodeEcdheKeyExchange(uint16_t curve, uint16_t sigalg, bool signed_ = true);
std::string EncodeDheKeyExchange(int p_bits, uint16_t sigalg, bool signed_ = true);

// Extension helpers.
Extension SupportedVersionsExtension(uint16_t version);
Extension KeyShareExtension(uint16_t group, bool hello_retry_request);

// ServerHelloFor returns a ServerHello value with a fixed random (or the HRR
// magic when |hello_retry_request|), a 32-byte session id, |version| as
// legacy_version (0x0303 and a supported_versions extension for TLS 1.3) and
// |suite|.
ServerHello ServerHelloFor(uint16_t version, uint16_t suite, bool hello_retry_request = false);

}  // namespace mailshake::wire::testing

#endif  // MAILSHAKE_SRC_WIRE_TESTING_H_
