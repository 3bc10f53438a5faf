#include "src/report/test_util.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "src/report/report.h"

namespace mailshake {
namespace report {
namespace testing {

const std::vector<std::string>& EnginePhaseNames() {
  static const auto* names = new std::vector<std::string>{
      "connect", "banner", "ehlo", "starttls", "tls", "post_tls", "total"};
  return *names;
}

ScenarioRecorder::ScenarioRecorder(std::string name, int trial,
                                   double target_rate) {
  scenario_.name = std::move(name);
  scenario_.trial = trial;
  scenario_.target_rate = target_rate;
  scenario_.parameters = {
      {"version", "TLSv1.3"}, {"group", "X25519"}, {"resumption", "full"}};
  for (const std::string& phase : EnginePhaseNames()) {
    scenario_.phases.push_back(PhaseLatency{phase, {}});
  }
}

void ScenarioRecorder::Success(int64_t second,
                               const std::vector<int64_t>& phase_ns,
                               const std::map<std::string, std::string>& facts,
                               int64_t lag_ns) {
  ++scenario_.attempted;
  ++scenario_.succeeded;
  scenario_.outcomes.Increment(kSuccessOutcome);
  for (size_t i = 0; i < phase_ns.size() && i < scenario_.phases.size(); ++i) {
    scenario_.phases[i].latency.Record(phase_ns[i]);
  }
  scenario_.series.RecordSuccess(second, phase_ns.back());
  for (const auto& [category, value] : facts) {
    scenario_.negotiated[category].Increment(value);
  }
  if (scenario_.target_rate > 0) scenario_.schedule_lag.Record(lag_ns);
}

void ScenarioRecorder::Failure(int64_t second, absl::string_view category,
                               int64_t lag_ns) {
  ++scenario_.attempted;
  ++scenario_.failed;
  scenario_.outcomes.Increment(category);
  scenario_.series.RecordFailure(second);
  if (scenario_.target_rate > 0) scenario_.schedule_lag.Record(lag_ns);
}

Scenario RandomScenario(std::string name, int trial, double target_rate,
                        int attempts, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::lognormal_distribution<double> phase_ms(0.0, 0.6);
  ScenarioRecorder recorder(std::move(name), trial, target_rate);
  const int64_t first_second = 1'700'000'000;
  const char* kFailures[] = {"connect_refused", "timeout:tls",
                             "tls_alert:handshake_failure"};
  const char* kGroups[] = {"X25519", "P-256", "P-384"};
  for (int i = 0; i < attempts; ++i) {
    const int64_t second = first_second + (i * 10) / attempts;
    const int64_t lag_ns = static_cast<int64_t>(unit(rng) * 200'000);
    if (unit(rng) < 0.05) {
      recorder.Failure(second, kFailures[rng() % 3], lag_ns);
      continue;
    }
    std::vector<int64_t> phases;
    int64_t total = lag_ns;
    for (size_t p = 0; p + 1 < EnginePhaseNames().size(); ++p) {
      const int64_t ns = static_cast<int64_t>(phase_ms(rng) * 1e6);
      phases.push_back(ns);
      total += ns;
    }
    phases.push_back(total);
    recorder.Success(second, phases,
                     {{"versions", unit(rng) < 0.9 ? "TLSv1.3" : "TLSv1.2"},
                      {"groups", kGroups[rng() % 3]},
                      {"cipher_suites", "TLS_AES_128_GCM_SHA256"}},
                     lag_ns);
  }
  Scenario s = std::move(recorder.scenario());
  s.measured_seconds = 10.0;
  s.client_cpu_seconds = 0.25 + 0.001 * static_cast<double>(seed % 7);
  s.client_cpu_user_seconds = 0.2;
  s.client_cpu_system_seconds = 0.05;
  s.peak_rss_bytes = 50'000'000 + static_cast<int64_t>(seed);
  s.warmup_attempts = static_cast<int64_t>(seed % 13);
  s.deviations.Add("long_reply_lines", static_cast<int64_t>(seed % 3)).IgnoreError();
  return s;
}

Scenario SuiteTrial(const std::string& suite, int trial, double per_cpu) {
  Scenario s;
  s.name = "TLSv1.2 " + suite;
  s.parameters = {{"version", "1.2"}, {"suite", suite}};
  s.trial = trial;
  s.attempted = s.succeeded = 1000;
  s.measured_seconds = 1;
  s.client_cpu_seconds = 1000 / per_cpu;
  (void)s.outcomes.Add(std::string(kSuccessOutcome), 1000);
  return s;
}

Result SyntheticResult() {
  Result result;
  result.environment.tool_version = "0.1.0";
  result.environment.git_revision = "0123456789abcdef";
  result.environment.boringssl_api_version = 17;
  result.environment.cpu_model = "Test CPU @ 3.00GHz";
  result.environment.cores = 2;
  result.environment.kernel = "6.1.0-test";
  result.environment.hostname = "bench-1";
  result.environment.start =
      absl::FromUnixNanos(int64_t{1'700'000'000'123'456'789});
  result.target = "smtp://127.0.0.1:2525";
  result.spec = {{"threads", 2}, {"concurrency", 64}, {"duration_s", 10}};
  result.scenarios.push_back(
      RandomScenario("TLSv1.3 X25519 ecdsa_secp256r1_sha256 full", 0,
                     /*target_rate=*/0, 2000, /*seed=*/1));
  Scenario open_loop =
      RandomScenario("TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 P-256 full", 1,
                     /*target_rate=*/200, 2000, /*seed=*/2);
  open_loop.parameters["version"] = "TLSv1.2";
  open_loop.interrupted = true;
  open_loop.server = ServerSide{2100, 2050, 0, 0.75};
  open_loop.server->seconds = 10.5;
  open_loop.server->syscalls =
      ServerSyscalls{Syscalls{{{"accept4", 2110}, {"recv", 6300}, {"send", 4200},
                              {"epoll_ctl", 2100}, {"close", 2100}},
                             800},
                     2100};
  open_loop.syscalls = Syscalls{{{"socket", 2000}, {"connect", 2000}, {"recv", 10000},
                                 {"send", 8000}, {"close", 2000}},
                                9000};
  open_loop.disturbance = Disturbance{10.6, 2, 0.5, 0.1, 420};
  open_loop.cpu_canary =
      CpuCanary{"fe25519-mul/test", CanaryReading{"0", 1'200'000, 1'260'000},
                CanaryReading{"1", 1'150'000, 1'140'000}};
  open_loop.cpu_windows = CpuWindows{100'000'000, {600, 700, 0}, {95'000'000, 99'000'000, 2'000'000}};
  result.scenarios.push_back(std::move(open_loop));
  result.not_measured.push_back(
      {"TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256 X25519 rsa2048",
       {{"version", "1.2"}, {"suite", "ECDHE-ECDSA-AES128-GCM-SHA256"}},
       NotMeasured::Status::kUnsupported,
       "tls_alert:handshake_failure",
       0});
  // Two shares whose counts add up to the scenarios' (scale-out runs).
  int64_t attempted = 0, succeeded = 0;
  for (const Scenario& s : result.scenarios) {
    attempted += s.attempted;
    succeeded += s.succeeded;
  }
  ShardSummary first{0, 2, "bench-1", "127.0.0.2-127.0.0.9", attempted / 2, 0, 0, 10.0, 4.5,
                     false, false};
  first.succeeded = std::min(succeeded, first.attempted);
  first.failed = first.attempted - first.succeeded;
  ShardSummary second{1,    2,    "bench-2", "127.0.0.10-127.0.0.17", attempted - first.attempted,
                      0,    0,    10.0,      4.25,                    true,
                      false};
  second.succeeded = succeeded - first.succeeded;
  second.failed = second.attempted - second.succeeded;
  result.shards = {first, second};
  return result;
}

}  // namespace testing
}  // namespace report
}  // namespace mailshake
