// Fuzzes wire::FlightReader, the reader of a server's first flight: the byte
// stream arrives in pieces cut where the input's header says (split_input.h)
// and must give exactly the flight it gives when fed whole.
//
// Invariants, besides split invariance:
//  - The reader never counts more bytes than FlightLimits allow, keeps at
//    most max_certificates certificates, 64 extensions, 32 message types.
//  - done() after Finish(); a ServerHello kind always has a hello, an alert
//    kind always has an alert.
//  - Round trip: a parsed ServerHello written back out by the test writer
//    (src/wire/testing.h) is byte-for-byte the message body it came from.
//
// Flags octet: bit 0 picks small FlightLimits (so the limit paths are
// reached); bit 1 also runs ParseServerHello directly on the stream (a bare
// message body) with the same round-trip oracle; bit 2 runs
// ParseServerKeyExchange on the stream (bit 3: ECDHE, bit 4: anonymous).

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/split_input.h"
#include "src/wire/hello.h"
#include "src/wire/testing.h"

namespace {

using mailshake::wire::FlightLimits;
using mailshake::wire::FlightReader;
using mailshake::wire::ReplyKind;
using mailshake::wire::ServerFlight;
using mailshake::wire::ServerHello;

std::string Summary(const ServerFlight& f) {
  std::string out = absl::StrCat(static_cast<int>(f.kind), "|", f.problem, "|", f.record_version,
                                 "|", f.bytes, "|", f.truncated, "|", f.certificate_count, "|",
                                 f.ocsp_stapled, "|", f.server_hello_done, "|",
                                 f.certificate_request, "|", f.message_types.size());
  if (f.alert) absl::StrAppend(&out, "|alert", f.alert->level, ".", f.alert->description);
  if (f.hello) {
    absl::StrAppend(&out, "|hello", f.hello->version, ".", f.hello->cipher_suite, ".",
                    f.hello->key_share_group, ".", f.hello->extensions.size());
  }
  if (f.server_key_exchange) {
    absl::StrAppend(&out, "|ske", f.server_key_exchange->named_curve, ".",
                    f.server_key_exchange->dh_p_bits, ".",
                    f.server_key_exchange->signature_algorithm);
  }
  for (const std::string& c : f.certificates) absl::StrAppend(&out, "|", c.size());
  return out;
}

// The fixed part of a ServerHello body before the extensions.
size_t FixedLength(const ServerHello& h) { return 2 + 32 + 1 + h.session_id.size() + 2 + 1; }

void CheckRoundTrip(const ServerHello& hello, absl::string_view body) {
  bool block = body.size() > FixedLength(hello);
  std::string again = mailshake::wire::testing::EncodeServerHello(hello, block);
  FUZZ_CHECK(again == body, "ServerHello re-encoded differs (%zu vs %zu bytes)", again.size(),
             body.size());
}

ServerFlight Read(const FlightLimits& limits, const std::vector<mailshake::fuzz::Chunk>& chunks,
                  absl::string_view whole, bool split) {
  FlightReader reader(limits);
  if (split) {
    for (const auto& c : chunks) reader.Add(c.bytes);
  } else {
    reader.Add(whole);
  }
  reader.Finish();
  FUZZ_CHECK(reader.done(), "not done after Finish");
  return reader.flight();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mailshake::fuzz::SplitInput input(data, size);
  FlightLimits limits;
  if (input.flags() & 1) {
    limits.max_record_length = 300;
    limits.max_flight_bytes = 2000;
    limits.max_handshake_message = 500;
    limits.max_certificates = 2;
  }
  absl::string_view stream = input.stream();
  ServerFlight whole = Read(limits, {}, stream, false);
  ServerFlight split = Read(limits, input.Chunks(), stream, true);
  FUZZ_CHECK(Summary(whole) == Summary(split), "split changes the flight:\n  %s\n  %s",
             Summary(whole).c_str(), Summary(split).c_str());
  FUZZ_CHECK(whole.bytes <= limits.max_flight_bytes, "read past the flight limit");
  FUZZ_CHECK(whole.certificates.size() <= limits.max_certificates, "kept too many certificates");
  FUZZ_CHECK(whole.message_types.size() <= 32, "kept too many message types");
  if (whole.kind == ReplyKind::kServerHello || whole.kind == ReplyKind::kHelloRetryRequest) {
    FUZZ_CHECK(whole.hello.has_value(), "hello kind without a hello");
    FUZZ_CHECK(whole.hello->extensions.size() <= 64, "kept too many extensions");
  }
  if (whole.kind == ReplyKind::kAlert) FUZZ_CHECK(whole.alert.has_value(), "alert kind, no alert");

  if (input.flags() & 2) {
    absl::StatusOr<ServerHello> hello = mailshake::wire::ParseServerHello(stream);
    if (hello.ok()) CheckRoundTrip(*hello, stream);
  }
  if (input.flags() & 4) {
    absl::StatusOr<mailshake::wire::ServerKeyExchange> ske =
        mailshake::wire::ParseServerKeyExchange(stream, 0x0303, (input.flags() & 8) != 0,
                                                (input.flags() & 16) != 0);
    if (ske.ok()) {
      FUZZ_CHECK(ske->dh_p_bits <= static_cast<int>(stream.size()) * 8, "p longer than input");
      FUZZ_CHECK(ske->signature_length <= stream.size(), "signature longer than input");
    }
  }
  return 0;
}
