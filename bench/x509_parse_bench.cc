// Parse throughput of the project's X.509 parser against BoringSSL's
// d2i_X509, on the committed test certificates.
//
//   bazel run -c opt //src/x509:x509_parse_bench -- --benchmark_counters_tabular=true

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <sstream>
#include <string>

#include "benchmark/benchmark.h"
#include "src/x509/x509.h"

namespace mailshake::x509 {
namespace {

std::string ReadCert(const std::string& name) {
  for (const std::string& dir :
       {std::string("testdata/x509/"), std::string("../testdata/x509/")}) {
    std::ifstream in(dir + name, std::ios::binary);
    if (in) {
      std::ostringstream out;
      out << in.rdbuf();
      return out.str();
    }
  }
  return "";
}

const char* const kCerts[] = {"leaf-rsa2048.der", "ecdsa-p256.der",
                              "many-extensions.der", "root-ca.der"};

void BM_MailshakeParse(benchmark::State& state) {
  const std::string der = ReadCert(kCerts[state.range(0)]);
  if (der.empty()) {
    state.SkipWithError("test certificate not found (run from the workspace)");
    return;
  }
  for (auto _ : state) {
    absl::StatusOr<Certificate> cert = ParseCertificate(der);
    benchmark::DoNotOptimize(cert);
    if (!cert.ok()) state.SkipWithError("parse failed");
  }
  state.SetLabel(kCerts[state.range(0)]);
  state.counters["certs/s"] =
      benchmark::Counter(state.iterations(), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(state.iterations() * der.size());
}

void BM_BoringSslD2iX509(benchmark::State& state) {
  const std::string der = ReadCert(kCerts[state.range(0)]);
  if (der.empty()) {
    state.SkipWithError("test certificate not found (run from the workspace)");
    return;
  }
  for (auto _ : state) {
    const uint8_t* p = reinterpret_cast<const uint8_t*>(der.data());
    bssl::UniquePtr<X509> x509(d2i_X509(nullptr, &p, der.size()));
    if (!x509) state.SkipWithError("d2i_X509 failed");
    // d2i_X509 decodes extensions lazily; force the work our parser does.
    benchmark::DoNotOptimize(X509_get_key_usage(x509.get()));
  }
  state.SetLabel(kCerts[state.range(0)]);
  state.counters["certs/s"] =
      benchmark::Counter(state.iterations(), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(state.iterations() * der.size());
}

BENCHMARK(BM_MailshakeParse)->DenseRange(0, 3)->ArgName("cert");
BENCHMARK(BM_BoringSslD2iX509)->DenseRange(0, 3)->ArgName("cert");

}  // namespace
}  // namespace mailshake::x509
