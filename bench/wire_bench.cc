// The wire module's writer and reader: a ClientHello with and without key
// shares, a typical TLS 1.2 first flight, and the worst cases the reader can
// be handed (every record one byte long; a certificate list of one-byte
// entries), at growing sizes, so that linear work shows as constant bytes/s.
//
//   bazel run //bench:wire_bench -- --benchmark_counters_tabular=true

#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "src/wire/hello.h"
#include "src/wire/testing.h"

namespace mailshake::wire {
namespace {

ClientHelloSpec Spec(bool tls13) {
  ClientHelloSpec spec;
  std::vector<uint16_t> suites = SuitesForVersion(kTls12);
  spec.cipher_suites.assign(suites.begin(), suites.begin() + 64);
  spec.groups = {kGroupX25519, kGroupP256, kGroupP384};
  spec.signature_algorithms = {0x0804, 0x0403, 0x0401};
  spec.server_name = "mx.example";
  spec.renegotiation_info = spec.extended_master_secret = spec.session_ticket = true;
  if (tls13) {
    spec.supported_versions = {kTls13};
    spec.key_share_groups = {kGroupX25519};
  }
  return spec;
}

void BM_WriteClientHello(benchmark::State& state) {
  ClientHelloSpec spec = Spec(state.range(0) != 0);
  for (auto _ : state) {
    absl::StatusOr<std::string> hello = WriteClientHello(spec);
    benchmark::DoNotOptimize(hello);
  }
  state.SetLabel(state.range(0) ? "TLS 1.3, X25519 share" : "TLS 1.2, 64 suites");
  state.counters["hellos/s"] = benchmark::Counter(state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_WriteClientHello)->Arg(0)->Arg(1);

void Read(benchmark::State& state, const std::string& wire, const FlightLimits& limits) {
  for (auto _ : state) {
    FlightReader reader(limits);
    reader.Add(wire);
    reader.Finish();
    benchmark::DoNotOptimize(reader.flight().bytes);
  }
  state.SetBytesProcessed(state.iterations() * wire.size());
}

void BM_ReadTls12Flight(benchmark::State& state) {
  ServerHello sh = testing::ServerHelloFor(kTls12, 0xc02f);
  std::string hs = testing::HandshakeMessage(2, testing::EncodeServerHello(sh)) +
                   testing::HandshakeMessage(11, testing::EncodeCertificate(
                                                     {std::string(1200, 'a'), std::string(900, 'b')})) +
                   testing::HandshakeMessage(12, testing::EncodeEcdheKeyExchange(29, 0x0804)) +
                   testing::HandshakeMessage(14, "");
  Read(state, testing::Records(22, kTls12, hs), FlightLimits());
}
BENCHMARK(BM_ReadTls12Flight);

// Worst case for record handling: every record carries one byte.
void BM_ReadOneByteRecords(benchmark::State& state) {
  size_t n = static_cast<size_t>(state.range(0));
  std::string hs = testing::HandshakeMessage(
      2, testing::EncodeServerHello(testing::ServerHelloFor(kTls12, 0x002f)));
  hs += testing::HandshakeMessage(11, testing::EncodeCertificate({std::string(n, 'c')}));
  std::string wire = testing::Records(22, kTls12, hs, 1);
  FlightLimits limits;
  limits.max_flight_bytes = wire.size() + 1;
  limits.max_handshake_message = n + 64;
  Read(state, wire, limits);
  state.SetComplexityN(state.range(0));
}
BENCHMARK(BM_ReadOneByteRecords)->RangeMultiplier(4)->Range(1 << 10, 1 << 16)->Complexity();

// Worst case for the Certificate parser: one-byte certificates.
void BM_ReadTinyCertificates(benchmark::State& state) {
  std::vector<std::string> certs(static_cast<size_t>(state.range(0)), "x");
  std::string hs = testing::HandshakeMessage(
                       2, testing::EncodeServerHello(testing::ServerHelloFor(kTls12, 0x002f))) +
                   testing::HandshakeMessage(11, testing::EncodeCertificate(certs)) +
                   testing::HandshakeMessage(14, "");
  std::string wire = testing::Records(22, kTls12, hs);
  FlightLimits limits;
  limits.max_flight_bytes = wire.size() + 1;
  limits.max_handshake_message = wire.size();
  Read(state, wire, limits);
  state.SetComplexityN(state.range(0));
}
BENCHMARK(BM_ReadTinyCertificates)->RangeMultiplier(4)->Range(1 << 10, 1 << 16)->Complexity();

}  // namespace
}  // namespace mailshake::wire
