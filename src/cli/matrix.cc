// mailshake matrix: every valid combination of TLS parameters against one
// target, in interleaved trials (src/lab), into one result file.

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "src/cli/cli.h"
#include "src/cli/flags.h"
#include "src/html/html.h"
#include "src/io/file_io.h"
#include "src/lab/matrix.h"
#include "src/lab/placement.h"
#include "src/lab/plan.h"
#include "src/report/report.h"

namespace mailshake::cli {
namespace {

constexpr char kName[] = "matrix";

int RunMatrixCommand(const std::vector<std::string>& argv) {
  std::string versions = "1.2,1.3", ciphers = "default", groups = "default",
              sigalgs = "default", resume = "off", embedded_certs, json, html_path,
              progress = "auto", affinity = "auto";
  int trials = 5, threads = 0, concurrency = 0, embedded_threads = 0;
  int slowed_retries = lab::Timing().slowed_retry_percent;
  absl::Duration trial_duration = absl::Seconds(3), warmup = absl::Seconds(1);
  absl::Duration connect_timeout = absl::Seconds(5), phase_timeout = absl::Seconds(10);
  int64_t seed = 1;
  double max_failure = 0.1;
  double rate = 0;
  std::string arrivals = "constant";
  bool plan_only = false;
  FlagSet flags(kName, "[smtp://HOST:PORT | smtps://HOST:PORT]",
                "Measures every valid combination of TLS versions, TLS 1.2 suites, groups, "
                "signature algorithms, resumption modes and (embedded target) server keys, "
                "in interleaved trials, into one mailshake.result/v1 file.");
  flags.Positional(0, 1);
  flags.String("tls", &versions, "VERSIONS", "TLS versions, each its own scenarios: 1.2, 1.3");
  flags.String("ciphers", &ciphers, "all|default|SUITES",
               "TLS 1.2 suites, each its own scenario (TLS 1.3 suites are not configurable)");
  flags.String("groups", &groups, "all|default|GROUPS", "key-exchange groups, each its own scenario");
  flags.String("sigalgs", &sigalgs, "all|default|ALGS",
               "signature algorithms the client accepts, each its own scenario");
  flags.String("resume", &resume, "MODES", "resumption modes: off, ticket, session-id");
  flags.String("embedded-certs", &embedded_certs, "all|KEYS",
               "without a target: the embedded server's key types (rsa2048, rsa3072, rsa4096, "
               "p256, p384, ed25519), each its own scenarios (default p256)");
  flags.Int("embedded-threads", &embedded_threads, 0, 1024,
            "without a target: embedded server threads (0: one per core, or per CPU of "
            "--affinity's server list)");
  flags.Int("trials", &trials, 1, 1000, "trials per scenario (the unit of statistics)");
  flags.Int("slowed-retries", &slowed_retries, 0, 100,
            "run trials that ran on a slowed CPU (their CPU speed canary was slower than the "
            "run's fastest) again after the last round, at most this percentage of the trials "
            "in all (0: never)");
  flags.Duration("trial-duration", &trial_duration, absl::Milliseconds(100), absl::Hours(1),
                 "measured time of one trial");
  flags.Duration("warmup", &warmup, absl::ZeroDuration(), absl::Hours(1),
                 "unrecorded run before each trial");
  flags.Int("seed", &seed, 0, std::numeric_limits<int64_t>::max(),
            "shuffles the order of scenarios within each round and seeds Poisson arrivals");
  flags.Int("threads", &threads, 0, 1024,
            "client worker threads (0: one per core, or per CPU of --affinity's client list)");
  flags.String("affinity", &affinity, "auto|off|CLIENT[:SERVER]",
               "CPU placement (lists as taskset -c: 0-3,6): client threads on CLIENT, embedded "
               "server threads on SERVER; auto: without a target, the two on disjoint halves of "
               "the allowed cores (2 CPUs or more), with a target nothing pinned",
               lab::CheckAffinityValue);
  flags.Int("concurrency", &concurrency, 0, 1000000,
            "sessions in flight over all threads: fixed in closed loop, a cap in open loop "
            "(0: 64 per thread)");
  flags.Double("rate", &rate, 0.01, 10e6,
               "open loop: every trial starts this many sessions per second on schedule, "
               "latency measured from the scheduled start (as bench --rate); 0: closed loop",
               /*zero_too=*/true);
  flags.Choice("arrivals", &arrivals, {"constant", "poisson"},
               "open-loop arrival process (poisson draws from --seed)");
  flags.Duration("connect-timeout", &connect_timeout, absl::Milliseconds(1), absl::Hours(1),
                 "deadline for the TCP connect");
  flags.Duration("phase-timeout", &phase_timeout, absl::Milliseconds(1), absl::Hours(1),
                 "deadline for each later phase");
  flags.Double("max-failures", &max_failure, 0, 1,
               "a trial with more than this fraction of failed attempts means the target "
               "broke down: the trial is reported, not kept",
               /*zero_too=*/true);
  flags.String("json", &json, "FILE", "write the result (mailshake.result/v1) to FILE",
               CheckPath);
  flags.String("html", &html_path, "FILE",
               "write the report page (as `mailshake report` draws it: the matrix view and "
               "every chart) to FILE",
               CheckPath);
  flags.Choice("progress", &progress, {"auto", "plain", "off"}, "progress line on stderr");
  flags.Bool("plan-only", &plan_only, "print the plan and its expected duration, run nothing");
  std::vector<std::string> args;
  if (std::optional<int> exit = flags.Parse(argv, &args)) return *exit;

  if (absl::Status s = io::CheckOutputPaths({{"json", json}, {"html", html_path}}); !s.ok()) {
    return UsageError(kName, s.message());
  }
  const bool embedded = args.empty();
  absl::StatusOr<lab::Placement> placement = lab::PlacementForThisProcess(affinity, embedded);
  if (!placement.ok()) {
    return UsageError(kName, absl::StrCat("--affinity: ", placement.status().message()));
  }
  absl::StatusOr<lab::Axes> axes =
      lab::ParseAxes(versions, ciphers, groups, sigalgs, resume, embedded_certs, embedded);
  if (!axes.ok()) return UsageError(kName, axes.status().message());
  lab::Plan plan = lab::MakePlan(*axes);
  if (plan.scenarios.empty()) {
    return UsageError(kName, absl::StrCat("no valid combination in the plan (",
                                          plan.invalid, " invalid ones)"));
  }
  lab::MatrixOptions options;
  options.timing.trials = trials;
  options.timing.trial_duration = trial_duration;
  options.timing.warmup = warmup;
  options.timing.slowed_retry_percent = slowed_retries;
  options.seed = static_cast<uint64_t>(seed);
  options.max_failure_fraction = max_failure;
  std::fputs(lab::FormatPlan(plan, options.timing).c_str(), stderr);
  if (plan_only) return 0;

  engine::RunSpec spec;
  if (embedded) {
    spec.target.host = "127.0.0.1";
    spec.target.address = *net::SocketAddress::Parse("127.0.0.1:0");
  } else {
    absl::StatusOr<net::Target> target = net::ParseTarget(args[0]);
    if (!target.ok()) return UsageError(kName, target.status().message());
    spec.target = *target;
    spec.smtp.implicit_tls = spec.target.implicit_tls;
    if (!net::SocketAddress::FromIp(spec.target.host, 0).ok()) {
      spec.tls.server_name = spec.target.host;
    }
  }
  spec.threads = lab::ThreadsFor(threads, placement->client);
  embedded_threads = lab::ThreadsFor(embedded_threads, placement->server);
  spec.concurrency = concurrency == 0 ? 64 * spec.threads : concurrency;
  if (spec.concurrency < spec.threads) spec.threads = spec.concurrency;
  spec.connect_timeout = connect_timeout;
  spec.phase_timeout = phase_timeout;
  spec.rate = rate;
  spec.arrivals = arrivals == "poisson" ? engine::RunSpec::Arrivals::kPoisson
                                        : engine::RunSpec::Arrivals::kConstant;
  spec.seed = static_cast<uint64_t>(seed);
  spec.tls.verify = tls::ClientConfig::Verify::kNone;

  BlockStopSignals();
  std::optional<lab::EngineTrialRunner::Embedded> embedded_options;
  if (embedded) embedded_options = lab::EngineTrialRunner::Embedded{embedded_threads};
  std::fprintf(stderr, "placement: %s\n", lab::DescribePlacement(*placement).c_str());
  absl::StatusOr<std::unique_ptr<lab::EngineTrialRunner>> runner =
      lab::EngineTrialRunner::Create(spec, options.timing, embedded_options, plan, *placement);
  if (!runner.ok()) {
    std::fprintf(stderr, "mailshake matrix: %s\n", std::string(runner.status().message()).c_str());
    return 1;
  }
  const bool tty = progress == "auto" && isatty(STDERR_FILENO);
  int signals = 0;
  lab::RunControl control;
  control.poll = [&signals](absl::Duration wait) {
    const int sig = WaitForStopSignal(wait);
    if (sig != 0) {
      ++signals;
      std::fprintf(stderr, "\n%s: %s\n", sig == SIGINT ? "SIGINT" : "SIGTERM",
                   signals == 1 ? "stopping after this trial's sessions in flight; finished "
                                  "trials are written (again to abort)"
                                : "aborting");
    }
    return signals == 0 ? 0 : (signals == 1 ? 1 : 2);
  };
  if (progress != "off") {
    control.progress = [tty](const std::string& line) {
      if (tty) {
        std::fprintf(stderr, "\r\033[K%s", line.c_str());
      } else {
        std::fprintf(stderr, "%s\n", line.c_str());
      }
      std::fflush(stderr);
    };
  }
  control.warning = [tty, &progress](const std::string& line) {
    std::fprintf(stderr, "%smailshake matrix: warning: %s\n",
                 tty && progress != "off" ? "\r\033[K" : "", line.c_str());
  };
  report::Result result;
  const char* revision = std::getenv("MAILSHAKE_GIT_REVISION");
  result.environment = report::DetectEnvironment(kMailshakeVersion, revision ? revision : "",
                                                 BORINGSSL_API_VERSION);
  result.target = embedded ? "embedded" : spec.target.ToString();
  lab::MatrixOutcome outcome = lab::RunMatrix(plan, options, **runner, control);
  if (tty && progress != "off") std::fprintf(stderr, "\n");
  result.spec = {{"command", "matrix"},
                 {"tls", versions},
                 {"ciphers", ciphers},
                 {"groups", groups},
                 {"sigalgs", sigalgs},
                 {"resume", resume},
                 {"embedded_server", embedded},
                 {"embedded_certs", embedded ? embedded_certs : ""},
                 {"trials", trials},
                 {"trial_duration_seconds", absl::ToDoubleSeconds(trial_duration)},
                 {"warmup_seconds", absl::ToDoubleSeconds(warmup)},
                 {"seed", seed},
                 {"threads", spec.threads},
                 {"concurrency", spec.concurrency},
                 {"rate", spec.rate},
                 {"arrivals", arrivals},
                 {"verify", "none"},
                 {"after_tls", "quit"},
                 {"close", "rst"},
                 {"planned_seconds",
                  absl::ToDoubleSeconds(lab::EstimateDuration(plan.scenarios.size(),
                                                              options.timing))},
                 {"max_planned_seconds",
                  absl::ToDoubleSeconds(lab::MaxDuration(plan.scenarios.size(), options.timing))},
                 {"slowed_retry_percent", slowed_retries},
                 {"slowed_retries", outcome.slowed_retries},
                 {"slowed_retry_seconds",
                  absl::ToDoubleSeconds(outcome.slowed_retries *
                                        lab::TrialDuration(options.timing))},
                 {"elapsed_seconds", absl::ToDoubleSeconds(outcome.elapsed)}};
  if (embedded) result.spec["embedded_threads"] = embedded_threads;
  for (const auto& [key, value] : lab::PlacementSpec(*placement)) result.spec[key] = value;
  result.scenarios = std::move(outcome.scenarios);
  result.not_measured = std::move(outcome.not_measured);
  int rc = outcome.interrupted || outcome.target_failed ? 3 : 0;
  if (!json.empty()) {
    absl::Status s = report::WriteJsonFile(result, json);
    if (!s.ok()) {
      std::fprintf(stderr, "mailshake matrix: --json: %s\n", std::string(s.message()).c_str());
      rc = 1;
    }
  }
  if (!html_path.empty()) {
    absl::Status s = html::WriteReport(html_path, html::RenderReport({{"matrix", result}}));
    if (!s.ok()) {
      std::fprintf(stderr, "mailshake matrix: --html: %s\n", std::string(s.message()).c_str());
      rc = 1;
    }
  }
  PrintForHumans(lab::FormatSummary(result), {json, html_path});
  std::fprintf(stderr, "matrix finished in %.1f s (plan said %.1f s%s)\n",
               absl::ToDoubleSeconds(outcome.elapsed),
               absl::ToDoubleSeconds(
                   lab::EstimateDuration(plan.scenarios.size(), options.timing) +
                   outcome.slowed_retries * lab::TrialDuration(options.timing)),
               outcome.slowed_retries > 0
                   ? absl::StrFormat(" with the %d trial(s) run again", outcome.slowed_retries)
                         .c_str()
                   : "");
  if (outcome.target_failed) std::fprintf(stderr, "mailshake matrix: the target kept failing\n");
  return rc;
}

}  // namespace

MAILSHAKE_SUBCOMMAND("matrix",
                     "measure every valid TLS combination against a target in interleaved "
                     "trials",
                     RunMatrixCommand);

}  // namespace mailshake::cli
