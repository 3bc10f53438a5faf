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
#include "src/lab/disturbance.h"
#include "src/lab/matrix.h"

namespace mailshake {
namespace lab {

struct EngineTrialRunner::Impl {
  engine::RunSpec base;
  Timing timing;
  std::optional<Embedded> embedded;
  std::map<tls::KeyType, tls::Credential> credentials;

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
    absl::StatusOr<std::unique_ptr<server::Server>> server = server::Server::Start(std::move(so));
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
    const Plan& plan) {
  auto impl = std::make_unique<Impl>();
  impl->base = base;
  impl->timing = timing;
  impl->embedded = embedded;
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
  absl::StatusOr<std::unique_ptr<engine::Engine>> engine = engine::Engine::Start(spec);
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
  absl::StatusOr<std::unique_ptr<server::Server>> server = impl_->StartServer(scenario, spec);
  if (!server.ok()) return server.status();
  const MachineReading before = ReadMachine();
  absl::StatusOr<std::unique_ptr<engine::Engine>> engine = engine::Engine::Start(spec);
  if (!engine.ok()) return engine.status();
  while (!(*engine)->Wait(absl::ZeroDuration())) {
    const int stop = control.poll ? control.poll(absl::Milliseconds(20))
                                  : ((*engine)->Wait(absl::Milliseconds(20)), 0);
    if (stop != 0) (*engine)->Stop(/*abort=*/stop > 1);
  }
  engine::RunResult r = (*engine)->TakeResult();
  const std::optional<report::Disturbance> disturbance = DisturbanceBetween(before, ReadMachine());
  std::optional<server::ServerStats> server_stats;
  if (*server != nullptr) {
    (*server)->Stop();
    server_stats = (*server)->Stats();
  }
  report::Scenario trial =
      ScenarioFromRun(r, scenario.name, scenario.parameters, spec.rate, server_stats);
  trial.disturbance = disturbance;
  return trial;
}

}  // namespace lab
}  // namespace mailshake
