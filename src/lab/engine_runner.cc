// EngineTrialRunner: trials through the engine, against a target or a fresh
// embedded server per trial.

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "src/lab/canary.h"
#include "src/lab/disturbance.h"
#include "src/lab/matrix.h"

namespace mailshake {
namespace lab {

struct EngineTrialRunner::Impl {
  engine::RunSpec base;
  Timing timing;
  std::optional<Embedded> embedded;
  Placement placement;
  std::map<tls::KeyType, tls::Credential> credentials;

  // Starts the engine on |spec| with its threads on the client's CPUs.
  absl::StatusOr<std::unique_ptr<engine::Engine>> StartEngine(const engine::RunSpec& spec) {
    absl::StatusOr<std::unique_ptr<engine::Engine>> engine =
        absl::InternalError("engine not started");
    absl::Status pinned =
        RunPinned(placement.client, [&] { engine = engine::Engine::Start(spec); });
    if (!pinned.ok()) return pinned;
    return engine;
  }

  // Checks that the threads named |prefix|* that run now are on |want|, and
  // sets |*seen| once |expected| of them were (then nothing more to check).
  // OK while none runs yet, or when |want| is empty (not pinned).
  static absl::Status CheckThreads(absl::string_view prefix, absl::string_view side,
                                   const CpuList& want, int expected, bool* seen) {
    if (*seen || want.empty()) return absl::OkStatus();
    int threads = 0;
    absl::StatusOr<CpuList> got = ThreadCpus(prefix, &threads);
    if (!got.ok()) return absl::OkStatus();
    if (*got != want) {
      return absl::InternalError(absl::StrCat("placement not applied: the ", side,
                                              " threads may run on CPUs ", FormatCpuList(*got),
                                              ", not only on ", FormatCpuList(want)));
    }
    *seen = threads >= expected;
    return absl::OkStatus();
  }

  // The spec of one run of |s|.
  engine::RunSpec SpecFor(const PlannedScenario& s) const {
    engine::RunSpec spec = base;
    if (s.version == 0) return spec;  // bench --trials: the base's TLS as given
    spec.tls.min_version = spec.tls.max_version = s.version;
    spec.tls.ciphers = s.suite;
    spec.tls.groups = s.group;
    spec.tls.sigalgs = s.sigalg;
    spec.tls.resumption = s.resumption;
    return spec;
  }

  // Starts the embedded server for |s| (when embedded) and points |spec| at
  // it. Every group is accepted so that the client's choice decides.
  absl::StatusOr<std::unique_ptr<server::Server>> StartServer(const PlannedScenario& s,
                                                              engine::RunSpec& spec) {
    if (!embedded.has_value()) return nullptr;
    if (!s.server_key.has_value()) {
      return absl::InternalError("embedded target without a server key");
    }
    server::ServerOptions so;
    so.listen.push_back(*net::SocketAddress::Parse("127.0.0.1:0"));
    so.threads = embedded->threads;
    so.max_connections = std::max(20000, spec.concurrency * 2);
    so.tls.groups = "X25519,P-256,P-384,P-521,CECPQ2";
    so.tls.credentials.push_back(credentials.at(*s.server_key));
    absl::StatusOr<std::unique_ptr<server::Server>> server =
        absl::InternalError("server not started");
    absl::Status pinned =
        RunPinned(placement.server, [&] { server = server::Server::Start(std::move(so)); });
    if (!pinned.ok()) return pinned;
    if (!server.ok()) return server.status();
    spec.target.host = "127.0.0.1";
    spec.target.address = (*server)->starttls_addresses()[0];
    spec.target.implicit_tls = false;
    spec.smtp.implicit_tls = false;
    return server;
  }
};

EngineTrialRunner::EngineTrialRunner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EngineTrialRunner::~EngineTrialRunner() = default;

absl::StatusOr<std::unique_ptr<EngineTrialRunner>> EngineTrialRunner::Create(
    const engine::RunSpec& base, const Timing& timing, std::optional<Embedded> embedded,
    const Plan& plan, const Placement& placement) {
  auto impl = std::make_unique<Impl>();
  impl->base = base;
  impl->timing = timing;
  impl->embedded = embedded;
  impl->placement = placement;
  if (embedded.has_value()) {
    for (const PlannedScenario& s : plan.scenarios) {
      if (!s.server_key.has_value() || impl->credentials.count(*s.server_key)) continue;
      absl::StatusOr<tls::Credential> cred =
          tls::GenerateSelfSigned(*s.server_key, "mailshake.localhost");
      if (!cred.ok()) return cred.status();
      impl->credentials.emplace(*s.server_key, *std::move(cred));
    }
  }
  return std::unique_ptr<EngineTrialRunner>(new EngineTrialRunner(std::move(impl)));
}

absl::Status EngineTrialRunner::RunProbe(const PlannedScenario& scenario) {
  engine::RunSpec spec = impl_->SpecFor(scenario);
  absl::StatusOr<std::unique_ptr<server::Server>> server = impl_->StartServer(scenario, spec);
  if (!server.ok()) return server.status();
  spec.threads = 1;
  spec.concurrency = 1;
  spec.handshakes = 1;
  spec.duration = absl::ZeroDuration();
  spec.warmup = absl::ZeroDuration();
  spec.rate = 0;
  absl::StatusOr<std::unique_ptr<engine::Engine>> engine = impl_->StartEngine(spec);
  if (!engine.ok()) return engine.status();
  while (!(*engine)->Wait(absl::Milliseconds(50))) {
  }
  engine::RunResult r = (*engine)->TakeResult();
  if (*server != nullptr) (*server)->Stop();
  if (r.succeeded > 0) return absl::OkStatus();
  for (const auto& [category, count] : r.outcomes.SortedByCount()) {
    if (category != report::kSuccessOutcome) return absl::UnavailableError(category);
  }
  return absl::UnavailableError("no attempt finished");
}

absl::StatusOr<report::Scenario> EngineTrialRunner::RunTrial(const PlannedScenario& scenario,
                                                             const RunControl& control) {
  engine::RunSpec spec = impl_->SpecFor(scenario);
  spec.duration = impl_->timing.trial_duration;
  spec.handshakes = 0;
  spec.warmup = impl_->timing.warmup;
  spec.cpu_window = absl::Nanoseconds(kCpuWindowNs);
  absl::StatusOr<std::unique_ptr<server::Server>> server = impl_->StartServer(scenario, spec);
  if (!server.ok()) return server.status();
  // The canary runs just before the warm-up and just after the trial, on
  // each side's CPUs (src/lab/canary.h).
  const CpuList* server_canary = ServerCanaryCpus(impl_->placement, *server != nullptr);
  report::CpuCanary canary;
  if (absl::Status s = MeasureCanarySides(impl_->placement.client, server_canary,
                                          /*after=*/false, &canary);
      !s.ok()) {
    if (*server != nullptr) (*server)->Stop();
    return s;
  }
  const MachineReading before = ReadMachine();
  absl::StatusOr<std::unique_ptr<engine::Engine>> engine = impl_->StartEngine(spec);
  if (!engine.ok()) return engine.status();
  // Read back where the threads run, once they have named themselves (their
  // masks are theirs from their creation).
  const CpuList no_cpus;
  const CpuList& server_cpus = *server != nullptr ? impl_->placement.server : no_cpus;
  const int server_threads = *server != nullptr ? (*server)->threads() : 0;
  bool server_seen = false, client_seen = false;
  absl::Status placed;
  while (!(*engine)->Wait(absl::ZeroDuration())) {
    const int stop = control.poll ? control.poll(absl::Milliseconds(20))
                                  : ((*engine)->Wait(absl::Milliseconds(20)), 0);
    if (placed.ok()) {
      placed = Impl::CheckThreads(kServerThreadPrefix, "embedded server's", server_cpus,
                                  server_threads, &server_seen);
    }
    if (placed.ok()) {
      placed = Impl::CheckThreads(kClientThreadPrefix, "client's", impl_->placement.client,
                                  spec.threads, &client_seen);
    }
    if (!placed.ok()) (*engine)->Stop(/*abort=*/true);
    if (stop != 0) (*engine)->Stop(/*abort=*/stop > 1);
  }
  engine::RunResult r = (*engine)->TakeResult();
  if (!placed.ok()) {
    if (*server != nullptr) (*server)->Stop();
    return placed;
  }
  const std::optional<report::Disturbance> disturbance = DisturbanceBetween(before, ReadMachine());
  const absl::Status canary_after =
      MeasureCanarySides(impl_->placement.client, server_canary, /*after=*/true, &canary);
  std::optional<server::ServerStats> server_stats;
  if (*server != nullptr) {
    (*server)->Stop();
    server_stats = (*server)->Stats();
  }
  report::Scenario trial =
      ScenarioFromRun(r, scenario.name, scenario.parameters, spec.rate, server_stats);
  trial.disturbance = disturbance;
  if (!canary_after.ok()) return canary_after;
  trial.cpu_canary = std::move(canary);
  return trial;
}

}  // namespace lab
}  // namespace mailshake
