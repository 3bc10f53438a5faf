// What each TLS handshake costs without the network: a BoringSSL client and
// server joined in memory, one benchmark per scenario.
//
// Scenario names read as
//   TLS13/<group>/<signature algorithm>/<cert>cert/<full|ticket>
//   TLS12/<suite>/<group>/<signature algorithm>/<cert>cert/full
//   TLS12/<suite>/-/-/<cert>cert/<ticket|session-id>
// ("-": not part of a TLS 1.2 abbreviated handshake). Every benchmark checks,
// before it times anything, that the handshake negotiates exactly what its
// name says; a scenario that does not is reported as an error, not measured.
//
// Counters: client_us and server_us are each side's thread CPU time inside
// BoringSSL per handshake; handshakes/s is per CPU-second of the one thread
// that runs both sides (so it also counts SSL object and BIO setup).

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <openssl/ssl.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "src/tls/memory_pair.h"
#include "src/tls/tls.h"

namespace mailshake::bench {
namespace {

using tls::ClientConfig;
using tls::Credential;
using tls::HandshakeCpu;
using tls::HandshakeInfo;
using tls::KeyType;
using tls::MemoryPair;

enum class Resumption { kFull, kTicket, kSessionId };

struct Scenario {
  uint16_t version = 0;
  const tls::CipherSuite* suite = nullptr;  // TLS 1.2 only
  const tls::Group* group = nullptr;        // null: TLS 1.2 resumption
  uint16_t sigalg = 0;                      // 0: resumption
  KeyType cert = KeyType::kEcdsaP256;
  Resumption resumption = Resumption::kFull;

  std::string Name() const {
    std::string name = version == TLS1_3_VERSION ? "TLS13" : "TLS12";
    if (suite != nullptr) absl::StrAppend(&name, "/", suite->openssl_name);
    absl::StrAppend(&name, "/", group != nullptr ? group->name : "-", "/",
                    sigalg != 0 ? tls::SigalgName(sigalg) : "-", "/", CertLabel(cert), "cert/",
                    resumption == Resumption::kFull     ? "full"
                    : resumption == Resumption::kTicket ? "ticket"
                                                        : "session-id");
    return name;
  }

  static std::string CertLabel(KeyType type) {
    switch (type) {
      case KeyType::kRsa2048:
        return "RSA2048";
      case KeyType::kRsa3072:
        return "RSA3072";
      case KeyType::kRsa4096:
        return "RSA4096";
      case KeyType::kEcdsaP256:
        return "P256";
      case KeyType::kEcdsaP384:
        return "P384";
      case KeyType::kEd25519:
        return "Ed25519";
    }
    return "unknown";
  }
};

// BenchCredential generates each key type once per process, outside timing.
const Credential& BenchCredential(KeyType type) {
  static auto* cache = new std::map<KeyType, Credential>;
  auto it = cache->find(type);
  if (it == cache->end()) {
    absl::StatusOr<Credential> credential = tls::GenerateSelfSigned(type, "mx.bench.test");
    if (!credential.ok()) {
      fprintf(stderr, "cannot generate %s credential: %s\n",
              std::string(tls::KeyTypeName(type)).c_str(),
              std::string(credential.status().message()).c_str());
      abort();
    }
    it = cache->emplace(type, *std::move(credential)).first;
  }
  return it->second;
}

// GroupsFor lists the groups both sides enable: the scenario's group first,
// plus, in TLS 1.2 with an ECDSA certificate, the certificate's curve, which
// BoringSSL's client requires among the groups (the benchmark still checks
// that the scenario's group is the one negotiated).
std::string GroupsFor(const Scenario& s) {
  if (s.group == nullptr) return "";
  std::string groups = s.group->name;
  if (s.version == TLS1_2_VERSION) {
    const char* cert_curve = s.cert == KeyType::kEcdsaP256   ? "P-256"
                             : s.cert == KeyType::kEcdsaP384 ? "P-384"
                                                             : nullptr;
    if (cert_curve != nullptr && groups != cert_curve) absl::StrAppend(&groups, ",", cert_curve);
  }
  return groups;
}

// Contexts builds the two contexts for |s|.
absl::Status Contexts(const Scenario& s, bssl::UniquePtr<SSL_CTX>* client_ctx,
                      bssl::UniquePtr<SSL_CTX>* server_ctx) {
  tls::ServerConfig server;
  server.credentials.push_back(BenchCredential(s.cert));
  server.min_version = server.max_version = s.version;
  if (s.suite != nullptr) server.ciphers = s.suite->openssl_name;
  server.groups = GroupsFor(s);
  if (s.sigalg != 0) server.sigalgs = tls::SigalgName(s.sigalg);
  server.session_tickets = s.resumption != Resumption::kSessionId;

  ClientConfig client;
  client.min_version = client.max_version = s.version;
  client.ciphers = server.ciphers;
  client.groups = server.groups;
  // Resumed scenarios verify whatever the server signs with first time round.
  client.sigalgs = s.sigalg != 0 ? tls::SigalgName(s.sigalg)
                                 : "ecdsa_secp256r1_sha256,ecdsa_secp384r1_sha384,ed25519,"
                                   "rsa_pss_rsae_sha256,rsa_pkcs1_sha256";
  client.server_name = "mx.bench.test";
  client.verify = ClientConfig::Verify::kNone;
  client.resumption = s.resumption == Resumption::kFull       ? ClientConfig::Resumption::kOff
                      : s.resumption == Resumption::kTicket   ? ClientConfig::Resumption::kTicket
                                                              : ClientConfig::Resumption::kSessionId;

  absl::StatusOr<bssl::UniquePtr<SSL_CTX>> server_or = tls::NewServerContext(server);
  if (!server_or.ok()) return server_or.status();
  absl::StatusOr<bssl::UniquePtr<SSL_CTX>> client_or = tls::NewClientContext(client);
  if (!client_or.ok()) return client_or.status();
  *server_ctx = *std::move(server_or);
  *client_ctx = *std::move(client_or);
  return absl::OkStatus();
}

// CheckNegotiated returns an error unless |info| is what |s| names.
absl::Status CheckNegotiated(const Scenario& s, const HandshakeInfo& info) {
  const bool resumed = s.resumption != Resumption::kFull;
  std::string wrong;
  if (info.version != s.version) absl::StrAppend(&wrong, " version");
  if (s.suite != nullptr && info.cipher_suite != s.suite->id) absl::StrAppend(&wrong, " suite");
  if (s.group != nullptr && info.group != s.group->id) absl::StrAppend(&wrong, " group");
  if (!resumed && info.signature_algorithm != s.sigalg) absl::StrAppend(&wrong, " sigalg");
  if (info.resumed != resumed) absl::StrAppend(&wrong, " resumption");
  if (info.peer_key.AsKeyType() != s.cert) absl::StrAppend(&wrong, " certificate");
  if (wrong.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("negotiated ", info.ToString(), "; wrong:", wrong));
}

// OneHandshake runs a handshake and, for resumption scenarios, the
// post-handshake flight that carries TLS 1.3 tickets to the client.
absl::StatusOr<MemoryPair> OneHandshake(const Scenario& s, SSL_CTX* client_ctx,
                                        SSL_CTX* server_ctx, HandshakeCpu* cpu) {
  absl::StatusOr<MemoryPair> pair = MemoryPair::Create(client_ctx, server_ctx);
  if (!pair.ok()) return pair.status();
  if (absl::Status st = pair->Handshake(cpu); !st.ok()) return st;
  if (s.resumption != Resumption::kFull && s.version == TLS1_3_VERSION) {
    if (absl::Status st = pair->DeliverPostHandshake(cpu); !st.ok()) return st;
  }
  return pair;
}

void RunScenario(benchmark::State& state, const Scenario& s) {
  bssl::UniquePtr<SSL_CTX> client_ctx, server_ctx;
  if (absl::Status st = Contexts(s, &client_ctx, &server_ctx); !st.ok()) {
    state.SkipWithError(std::string(st.message()).c_str());
    return;
  }
  // Prime the session (resumption) and check the scenario, untimed.
  for (int i = 0; i < (s.resumption == Resumption::kFull ? 1 : 2); i++) {
    absl::StatusOr<MemoryPair> pair = OneHandshake(s, client_ctx.get(), server_ctx.get(), nullptr);
    absl::Status st = pair.ok() ? absl::OkStatus() : pair.status();
    if (st.ok() && (i == 1 || s.resumption == Resumption::kFull)) {
      st = CheckNegotiated(s, tls::ReadHandshakeInfo(pair->client()));
    }
    if (!st.ok()) {
      state.SkipWithError(std::string(st.message()).c_str());
      return;
    }
  }

  HandshakeCpu cpu;
  const bool want_resumed = s.resumption != Resumption::kFull;
  for (auto _ : state) {
    absl::StatusOr<MemoryPair> pair = OneHandshake(s, client_ctx.get(), server_ctx.get(), &cpu);
    if (!pair.ok()) {
      state.SkipWithError(std::string(pair.status().message()).c_str());
      break;
    }
    if ((SSL_session_reused(pair->client()) == 1) != want_resumed) {
      state.SkipWithError("resumption state changed during the run");
      break;
    }
  }
  state.counters["client_us"] =
      benchmark::Counter(static_cast<double>(cpu.client_ns) / 1e3, benchmark::Counter::kAvgIterations);
  state.counters["server_us"] =
      benchmark::Counter(static_cast<double>(cpu.server_ns) / 1e3, benchmark::Counter::kAvgIterations);
  state.counters["handshakes/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

struct CertSigalg {
  KeyType cert;
  uint16_t sigalg;
};

std::vector<Scenario> AllScenarios() {
  std::vector<Scenario> out;
  const auto& groups = tls::AllGroups();

  // TLS 1.3: group x signature algorithm (each with the key it needs).
  const CertSigalg tls13[] = {
      {KeyType::kEcdsaP256, SSL_SIGN_ECDSA_SECP256R1_SHA256},
      {KeyType::kEcdsaP384, SSL_SIGN_ECDSA_SECP384R1_SHA384},
      {KeyType::kRsa2048, SSL_SIGN_RSA_PSS_RSAE_SHA256},
      {KeyType::kRsa3072, SSL_SIGN_RSA_PSS_RSAE_SHA256},
      {KeyType::kRsa4096, SSL_SIGN_RSA_PSS_RSAE_SHA256},
      {KeyType::kEd25519, SSL_SIGN_ED25519},
  };
  for (const tls::Group& group : groups) {
    for (const CertSigalg& cs : tls13) {
      Scenario s;
      s.version = TLS1_3_VERSION;
      s.group = &group;
      s.cert = cs.cert;
      s.sigalg = cs.sigalg;
      out.push_back(s);
    }
  }
  // TLS 1.3 resumption: a PSK with (EC)DHE in each group; no signature.
  for (const tls::Group& group : groups) {
    Scenario s;
    s.version = TLS1_3_VERSION;
    s.group = &group;
    s.cert = KeyType::kEcdsaP256;
    s.resumption = Resumption::kTicket;
    out.push_back(s);
  }

  // TLS 1.2: every ECDHE suite x group (CECPQ2 is TLS 1.3 only) x the
  // signature algorithms its authentication allows.
  const CertSigalg rsa12[] = {
      {KeyType::kRsa2048, SSL_SIGN_RSA_PSS_RSAE_SHA256},
      {KeyType::kRsa2048, SSL_SIGN_RSA_PKCS1_SHA256},
      {KeyType::kRsa3072, SSL_SIGN_RSA_PSS_RSAE_SHA256},
      {KeyType::kRsa3072, SSL_SIGN_RSA_PKCS1_SHA256},
      {KeyType::kRsa4096, SSL_SIGN_RSA_PSS_RSAE_SHA256},
      {KeyType::kRsa4096, SSL_SIGN_RSA_PKCS1_SHA256},
  };
  const CertSigalg ecdsa12[] = {
      {KeyType::kEcdsaP256, SSL_SIGN_ECDSA_SECP256R1_SHA256},
      {KeyType::kEcdsaP384, SSL_SIGN_ECDSA_SECP384R1_SHA384},
      {KeyType::kEd25519, SSL_SIGN_ED25519},
  };
  for (const tls::CipherSuite& suite : tls::AllCipherSuites()) {
    if (!suite.forward_secret || suite.auth == tls::CipherSuite::Auth::kAny ||
        suite.min_version > TLS1_2_VERSION || suite.max_version < TLS1_2_VERSION) {
      continue;
    }
    const bool rsa = suite.auth == tls::CipherSuite::Auth::kRsa;
    for (const tls::Group& group : groups) {
      if (group.post_quantum) continue;
      for (const CertSigalg& cs : rsa ? std::vector<CertSigalg>(std::begin(rsa12), std::end(rsa12))
                                      : std::vector<CertSigalg>(std::begin(ecdsa12),
                                                                std::end(ecdsa12))) {
        Scenario s;
        s.version = TLS1_2_VERSION;
        s.suite = &suite;
        s.group = &group;
        s.cert = cs.cert;
        s.sigalg = cs.sigalg;
        out.push_back(s);
      }
    }
    // Abbreviated handshakes: no key exchange, no signature.
    for (Resumption mode : {Resumption::kTicket, Resumption::kSessionId}) {
      Scenario s;
      s.version = TLS1_2_VERSION;
      s.suite = &suite;
      s.cert = rsa ? KeyType::kRsa2048 : KeyType::kEcdsaP256;
      s.resumption = mode;
      out.push_back(s);
    }
  }
  return out;
}

}  // namespace
}  // namespace mailshake::bench

int main(int argc, char** argv) {
  for (const mailshake::bench::Scenario& s : mailshake::bench::AllScenarios()) {
    benchmark::RegisterBenchmark(s.Name().c_str(), mailshake::bench::RunScenario, s)
        ->Unit(benchmark::kMicrosecond);
  }
  // 235 scenarios at 0.2 s each (rather than the library's 0.5 s) keep the
  // whole default run under two minutes. The default is passed as a flag, not
  // with MinTime(), so that a user's --benchmark_min_time still wins and
  // names carry no "/min_time:" suffix.
  std::vector<char*> args(argv, argv + argc);
  static char kDefaultMinTime[] = "--benchmark_min_time=0.2";
  if (std::none_of(args.begin(), args.end(), [](const char* arg) {
        return absl::StartsWith(arg, "--benchmark_min_time");
      })) {
    args.insert(args.begin() + 1, kDefaultMinTime);
  }
  argc = static_cast<int>(args.size());
  argv = args.data();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
