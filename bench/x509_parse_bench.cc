// Parse throughput of the project's X.509 parser against BoringSSL's
// d2i_X509, on the committed test certificates.
//
//   bazel run -c opt //src/x509:x509_parse_bench -- --benchmark_counters_tabular=true

#include <openssl/bytestring.h>
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

// --- Worst cases --------------------------------------------------------------
// The parser must cost time linear in the certificate, whatever its shape.
// Each benchmark rebuilds leaf-rsa2048.der with one extreme (range(0) gives
// the count or depth) and reports ns_per_byte; Complexity(oN) fits the
// growth in input octets.

// Tlv encodes one DER element with a minimal length.
std::string Tlv(uint8_t tag, const std::string& contents) {
  std::string out(1, static_cast<char>(tag));
  const size_t n = contents.size();
  if (n < 0x80) {
    out.push_back(static_cast<char>(n));
  } else {
    std::string len;
    for (size_t v = n; v > 0; v >>= 8) len.insert(len.begin(), static_cast<char>(v & 0xff));
    out.push_back(static_cast<char>(0x80 | len.size()));
    out += len;
  }
  return out + contents;
}

// WithExtensions returns leaf-rsa2048.der with its extensions replaced by
// |extensions| (the contents of the Extensions SEQUENCE) and, if |rdns| is
// not empty, its subject replaced by the contents |rdns|.
std::string WithExtensions(const std::string& extensions,
                           const std::string& rdns = "") {
  const std::string der = ReadCert("leaf-rsa2048.der");
  CBS in, cert, tbs, alg, sig;
  CBS_init(&in, reinterpret_cast<const uint8_t*>(der.data()), der.size());
  if (!CBS_get_asn1(&in, &cert, CBS_ASN1_SEQUENCE) ||
      !CBS_get_asn1(&cert, &tbs, CBS_ASN1_SEQUENCE) ||
      !CBS_get_asn1_element(&cert, &alg, CBS_ASN1_SEQUENCE) ||
      !CBS_get_asn1_element(&cert, &sig, CBS_ASN1_BITSTRING)) {
    return "";
  }
  std::string tbs_out;
  for (int field = 0; CBS_len(&tbs) > 0; ++field) {
    CBS element;
    unsigned tag;
    if (!CBS_get_any_asn1_element(&tbs, &element, &tag, nullptr)) return "";
    std::string bytes(reinterpret_cast<const char*>(CBS_data(&element)),
                      CBS_len(&element));
    if (tag == (CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 3)) {
      bytes = Tlv(0xa3, Tlv(0x30, extensions));
    } else if (field == 5 && !rdns.empty()) {  // subject
      bytes = Tlv(0x30, rdns);
    }
    tbs_out += bytes;
  }
  auto view = [](const CBS& cbs) {
    return std::string(reinterpret_cast<const char*>(CBS_data(&cbs)),
                       CBS_len(&cbs));
  };
  return Tlv(0x30, Tlv(0x30, tbs_out) + view(alg) + view(sig));
}

// Extension encodes an extension with OID 1.3.6.1.4.1.55555.|arc| (or
// |oid| when given) and value |value|.
std::string Extension(size_t arc, const std::string& value,
                      const std::string& oid = "") {
  std::string id = oid;
  if (id.empty()) {
    id = std::string("\x2b\x06\x01\x04\x01\x83\xb2\x03", 8);
    id.push_back(static_cast<char>(0x80 | ((arc >> 7) & 0x7f)));
    id.push_back(static_cast<char>(arc & 0x7f));
  }
  return Tlv(0x30, Tlv(0x06, id) + Tlv(0x04, value));
}

const std::string kSanOid("\x55\x1d\x11", 3);

void ParseWorst(benchmark::State& state, const std::string& der) {
  if (der.empty()) {
    state.SkipWithError("test certificate not found (run from the workspace)");
    return;
  }
  {
    absl::StatusOr<Certificate> cert = ParseCertificate(der);
    if (!cert.ok()) {
      state.SkipWithError(std::string(cert.status().message()).c_str());
      return;
    }
  }
  for (auto _ : state) {
    absl::StatusOr<Certificate> cert = ParseCertificate(der);
    benchmark::DoNotOptimize(cert);
  }
  state.SetBytesProcessed(state.iterations() * der.size());
  state.SetComplexityN(static_cast<int64_t>(der.size()));
  state.counters["bytes"] = static_cast<double>(der.size());
  state.counters["ns_per_byte"] = benchmark::Counter(
      static_cast<double>(der.size()) * 1e-9,
      benchmark::Counter::kIsIterationInvariantRate |
          benchmark::Counter::kInvert);
}

// Most SANs: range(0) short dNSNames (the limit is kMaxSubjectAltNames).
void BM_WorstMostSans(benchmark::State& state) {
  std::string names;
  for (int64_t i = 0; i < state.range(0); ++i) {
    names += Tlv(0x82, "h" + std::to_string(i) + ".example");
  }
  ParseWorst(state, WithExtensions(Extension(0, Tlv(0x30, names), kSanOid)));
}
BENCHMARK(BM_WorstMostSans)
    ->ArgName("sans")
    ->RangeMultiplier(4)
    ->Range(16, kMaxSubjectAltNames)
    ->Complexity(benchmark::oN);

// Most extensions: range(0) distinct unknown ones (the limit is
// kMaxExtensions; duplicates are looked up in a set).
void BM_WorstMostExtensions(benchmark::State& state) {
  std::string exts;
  for (int64_t i = 0; i < state.range(0); ++i) exts += Extension(i + 128, "");
  ParseWorst(state, WithExtensions(exts));
}
BENCHMARK(BM_WorstMostExtensions)
    ->ArgName("extensions")
    ->RangeMultiplier(4)
    ->Range(16, kMaxExtensions)
    ->Complexity(benchmark::oN);

// Most RDNs: range(0) single-attribute RDNs in the subject (limit kMaxRdns).
void BM_WorstMostRdns(benchmark::State& state) {
  std::string rdns;
  for (int64_t i = 0; i < state.range(0); ++i) {
    rdns += Tlv(0x31, Tlv(0x30, Tlv(0x06, "\x55\x04\x0b") +
                                    Tlv(0x0c, "unit " + std::to_string(i))));
  }
  ParseWorst(state, WithExtensions(Extension(129, ""), rdns));
}
BENCHMARK(BM_WorstMostRdns)
    ->ArgName("rdns")
    ->RangeMultiplier(2)
    ->Range(8, kMaxRdns)
    ->Complexity(benchmark::oN);

// Deepest DER nesting: an unknown extension whose value is range(0) nested
// SEQUENCEs (the parser does not descend into unknown extensions, and
// nothing it does descend into is recursive).
void BM_WorstDeepNesting(benchmark::State& state) {
  std::string nested;
  for (int64_t i = 0; i < state.range(0); ++i) nested = Tlv(0x30, nested);
  ParseWorst(state, WithExtensions(Extension(130, nested)));
}
BENCHMARK(BM_WorstDeepNesting)
    ->ArgName("depth")
    ->RangeMultiplier(4)
    ->Range(16, 4096)
    ->Complexity(benchmark::oN);

// The largest certificate: one unknown extension filling it to range(0)
// octets (the limit is kMaxCertificateBytes).
void BM_WorstLargest(benchmark::State& state) {
  const size_t base = WithExtensions(Extension(131, "")).size();
  const size_t target = static_cast<size_t>(state.range(0));
  ParseWorst(state, WithExtensions(Extension(
                        131, std::string(target > base + 16 ? target - base - 16
                                                          : 0,
                                       'x'))));
}
BENCHMARK(BM_WorstLargest)
    ->ArgName("bytes")
    ->RangeMultiplier(4)
    ->Range(4 << 10, kMaxCertificateBytes)
    ->Complexity(benchmark::oN);

}  // namespace
}  // namespace mailshake::x509
