// Matrix plans: the valid cross product of TLS versions, TLS 1.2 suites,
// groups, signature algorithms, resumption modes and (against the embedded
// server) server keys, and the interleaved order trials run in.
//
//   absl::StatusOr<Axes> axes = ParseAxes(flags...);
//   Plan plan = MakePlan(*axes);
//   std::fputs(FormatPlan(plan, timing).c_str(), stderr);
//   for (int round = 0; round < trials; ++round)
//     for (size_t i : RoundOrder(plan.scenarios.size(), round, seed)) ...
//
// Invalid combinations are never planned: a TLS 1.2 suite under TLS 1.3
// (suites are TLS 1.2 only; TLS 1.3 scenarios carry suite "default"), a suite
// whose authentication does not match the server's key (ECDSA suite with an
// RSA key and the reverse; Ed25519 keys sign ECDSA suites), a TLS 1.2 ECDSA
// certificate whose curve is not the scenario's group, a signature algorithm
// the key cannot make at that version (TLS 1.3 binds ECDSA to the curve and
// drops PKCS#1 v1.5), CECPQ2 under TLS 1.2, session-id resumption under
// TLS 1.3. Against a real target the server's key is unknown: only the rules
// that do not need it apply, and the quick handshake before the trials finds
// what the target refuses.

#ifndef MAILSHAKE_SRC_LAB_PLAN_H_
#define MAILSHAKE_SRC_LAB_PLAN_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "src/tls/tls.h"

namespace mailshake {
namespace lab {

// kDefault is the value of an axis left to BoringSSL's defaults.
inline constexpr char kDefault[] = "default";

// Axes are the lists a matrix crosses, as parsed from the command line.
struct Axes {
  std::vector<uint16_t> versions;          // TLS1_2_VERSION, TLS1_3_VERSION
  std::vector<std::string> suites;         // OpenSSL names, or {kDefault}
  std::vector<std::string> groups;         // catalog names, or {kDefault}
  std::vector<std::string> sigalgs;        // RFC 8446 names, or {kDefault}
  std::vector<std::string> resumption;     // "off", "ticket", "session-id"
  std::vector<tls::KeyType> server_keys;   // embedded target only; else empty
};

// ParseAxes parses the flag values: |versions| "1.2,1.3"; |suites|,
// |groups|, |sigalgs| "all", "default" (or empty) or a comma list of names
// (suites: TLS 1.2 suites only, standard or OpenSSL names); |resumption| a
// comma list of off/ticket/session-id; |server_keys| "all" or a list of key
// types (rsa2048, p256, ...), which must be empty unless |embedded|.
// InvalidArgument names the flag ("--ciphers: ...").
absl::StatusOr<Axes> ParseAxes(absl::string_view versions, absl::string_view suites,
                               absl::string_view groups, absl::string_view sigalgs,
                               absl::string_view resumption, absl::string_view server_keys,
                               bool embedded);

// PlannedScenario is one scenario of a plan.
struct PlannedScenario {
  // E.g. "TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 X25519 default ticket rsa2048".
  std::string name;
  // "version" ("1.2"/"1.3"), "suite", "group", "sigalg", "resumption" and,
  // with the embedded target, "server_key".
  std::map<std::string, std::string> parameters;
  // 0: not set by the plan (bench --trials), the run's own TLS parameters
  // apply unchanged.
  uint16_t version = 0;
  std::string suite;       // empty for kDefault
  std::string group;       // empty for kDefault
  std::string sigalg;      // empty for kDefault
  tls::ClientConfig::Resumption resumption = tls::ClientConfig::Resumption::kOff;
  std::optional<tls::KeyType> server_key;
};

// Plan is the scenarios to run, in a fixed order (the cross product's), and
// how many combinations were dropped as invalid, with one example of each
// reason.
struct Plan {
  std::vector<PlannedScenario> scenarios;
  int invalid = 0;
  std::map<std::string, std::string> invalid_examples;  // reason -> example
};

// MakePlan returns the valid cross product of |axes|.
Plan MakePlan(const Axes& axes);

// Timing is what a plan's duration is estimated from.
struct Timing {
  int trials = 5;
  absl::Duration trial_duration = absl::Seconds(3);
  absl::Duration warmup = absl::Seconds(1);
  // Fixed cost of starting and stopping one trial (engine, embedded server,
  // the sessions in flight at the end) and of one quick handshake before the
  // trials. Calibrated, not guessed: `scripts/lab-goals plan` prints the
  // fixed cost per trial it measured, (elapsed - trials × (warm-up +
  // duration)) / trials, probes included. A 15-scenario matrix with 1 s
  // trials on the 2-core development VM (loaded by parallel builds) measured
  // 296 ms per trial with probes, i.e. 276 ms beside the 100 ms probes; the
  // previous guess of 150 ms made the plan 7.6% short.
  absl::Duration per_trial_overhead = absl::Milliseconds(280);
  absl::Duration per_probe = absl::Milliseconds(100);
  // Trials that ran on a slowed CPU (src/lab/canary.h) are run again after
  // the last round, at most this percentage of the planned trials in all
  // (rounded up) and at most kMaxSlowedRetriesPerTrial times each, so that
  // a machine that stays slow still finishes. EstimateDuration leaves them
  // out (most runs need few or none); MaxDuration counts them all.
  int slowed_retry_percent = 0;
};

inline constexpr int kMaxSlowedRetriesPerTrial = 2;

// SlowedRetryBudget returns how many re-runs of slowed trials |trials|
// planned trials allow: ceil(trials × slowed_retry_percent / 100).
int64_t SlowedRetryBudget(int64_t trials, const Timing& timing);

// EstimateDuration returns how long running |scenarios| scenarios takes with
// |timing|: one probe each, then trials × (warm-up + duration + overhead).
absl::Duration EstimateDuration(size_t scenarios, const Timing& timing);

// MaxDuration is EstimateDuration plus every re-run of a slowed trial the
// budget allows (SlowedRetryBudget), each as long as a trial.
absl::Duration MaxDuration(size_t scenarios, const Timing& timing);

// TrialDuration is one trial's warm-up + duration + fixed overhead.
absl::Duration TrialDuration(const Timing& timing);

// FormatPlan returns the plan as printed before a run: the count, the
// estimated duration, the invalid combinations dropped, one line per
// scenario.
std::string FormatPlan(const Plan& plan, const Timing& timing);

// RoundOrder returns a permutation of 0..|count|-1: the order in which round
// |round| runs the scenarios, shuffled by |seed| and |round| (deterministic:
// the same arguments give the same order on every machine).
std::vector<size_t> RoundOrder(size_t count, int round, uint64_t seed);

}  // namespace lab
}  // namespace mailshake

#endif  // MAILSHAKE_SRC_LAB_PLAN_H_
