// The result of a mailshake run and its persistent form.
//
// A Result is what a run measured, per scenario (one combination of TLS
// version, suite, group, signature algorithm and resumption mode, possibly
// run for several trials), together with where and how it was measured. It
// is written as `mailshake.result/v1` JSON (documented in
// src/report/SCHEMA.md), as a per-second CSV and as a terminal summary.
//
// The JSON form keeps every histogram's raw buckets next to its percentiles,
// so result files from several processes or machines can be read back and
// merged without loss (MergeScenarios), and compared later.
//
// Example:
//
//   report::Result result;
//   result.environment = report::DetectEnvironment("0.1", "abc123", 17);
//   result.target = "smtp://mx.example.net:25";
//   result.spec = SpecToJson(spec);
//   result.scenarios.push_back(ScenarioFromEngine(run_result));
//   absl::Status s = report::WriteJsonFile(result, "out.json");
//   std::fputs(report::FormatTable(result).c_str(), stdout);
//
// Every count in a Result reconciles (see Validate); FromJson refuses files
// where they do not.

#ifndef MAILSHAKE_SRC_REPORT_REPORT_H_
#define MAILSHAKE_SRC_REPORT_REPORT_H_

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "src/stats/stats.h"

namespace mailshake {
namespace report {

// kSchema is the schema string this code writes. Readers accept
// "mailshake.result/v1" and "mailshake.result/v1.<minor>" (a later writer of
// the same major that added fields) and refuse every other major.
inline constexpr absl::string_view kSchema = "mailshake.result/v1";
inline constexpr int kSchemaMajor = 1;

// kSuccessOutcome is the outcome key that counts successful attempts; every
// other key of Scenario::outcomes is a failure category.
inline constexpr absl::string_view kSuccessOutcome = "ok";

// Environment describes the machine and build that produced a result.
struct Environment {
  std::string tool_version;
  std::string git_revision;
  int boringssl_api_version = 0;
  // The CPU's model name (empty when the kernel does not say).
  std::string cpu_model;
  // CPUs this process may run on.
  int cores = 0;
  // The kernel release (uname -r) and the host name (uname -n).
  std::string kernel;
  std::string hostname;
  // Wall-clock start of the run.
  absl::Time start = absl::UnixEpoch();

  friend bool operator==(const Environment& a, const Environment& b);
  friend bool operator!=(const Environment& a, const Environment& b) {
    return !(a == b);
  }
};

// DetectEnvironment returns the Environment of this process and machine, with
// |start| set to now: the CPU model from /proc/cpuinfo, the CPUs in this
// process's affinity mask, and the kernel release and host name from
// uname(2). The version strings and |boringssl_api_version| are taken as
// given, so that this package does not depend on the TLS library. Facts that
// cannot be read are left empty (or 0 cores); it never fails.
Environment DetectEnvironment(absl::string_view tool_version,
                              absl::string_view git_revision,
                              int boringssl_api_version);

// PhaseLatency is the latency distribution of one phase of an attempt
// ("connect", "banner", ..., "total"), over successful attempts, in
// nanoseconds.
struct PhaseLatency {
  std::string name;
  stats::LatencyHistogram latency;
};

// Syscalls is what mailshake bench counted of its own system calls: for each
// attempt, every call on its connection from socket() to close() (epoll_ctl
// included; BoringSSL makes none, it reads and writes the engine's buffers),
// summed over the scenario's |attempted|; and apart from them the load
// threads' epoll_wait calls over the measured window, each of which serves
// every session in flight.
struct Syscalls {
  // Call name ("socket", "bind", "connect", "setsockopt", "getsockopt",
  // "recv", "send", "close", "epoll_ctl") -> count. recv and send stand for
  // their whole families (recv, recvfrom, read; send, sendto, write).
  std::map<std::string, int64_t> calls;
  int64_t epoll_wait = 0;

  int64_t Total() const;
};

// ServerSyscalls is what the embedded server counted of its own system calls:
// for each finished connection (closed, or rejected over capacity), every call
// on its descriptor from accept4 to close, plus the listeners' accept4 calls
// that found no connection; and apart from them the worker loops'
// epoll_wait calls, each of which serves every connection of its thread.
struct ServerSyscalls {
  // counted.calls names "accept4", "recv", "send", "close", "epoll_ctl",
  // "setsockopt", "getsockopt" (recv and send stand for their families, as
  // in Syscalls); counted.epoll_wait is the loops' count.
  Syscalls counted;
  // Connections whose calls are in |counted|: the denominator of the
  // per-connection figures.
  int64_t connections = 0;
};

// ServerSyscallsPerConnection returns counted.Total() / connections, and
// ServerEpollWaitsPerConnection the same for epoll_wait; nullopt without
// counts or connections.
std::optional<double> ServerSyscallsPerConnection(const ServerSyscalls& syscalls);
std::optional<double> ServerEpollWaitsPerConnection(const ServerSyscalls& syscalls);

// ServerSide is what the embedded server reported when it was the target:
// enough to state the server's CPU cost per handshake.
struct ServerSide {
  int64_t connections = 0;  // accepted
  int64_t handshakes = 0;   // completed TLS handshakes, warm-up included
  int64_t resumed = 0;      // of which resumed
  double cpu_seconds = 0;   // CPU time of the server's threads
  // The same split into user time (TLS and SMTP work) and system time (the
  // kernel's TCP work); their sum is at most |cpu_seconds|, 0 when unknown.
  double cpu_user_seconds = 0;
  double cpu_system_seconds = 0;
  // Wall-clock seconds that the counts and CPU above cover (the server's
  // life), so that its CPU per handshake comes with the rate it was taken
  // at; 0 when unknown (files written before it was recorded).
  double seconds = 0;
  // What the server counted of its own system calls, when it counted them
  // (absent from older files).
  std::optional<ServerSyscalls> syscalls;
};

// ServerHandshakeRate returns handshakes / seconds of |server|, or nullopt
// when its seconds are unknown. CPU per handshake depends on the rate
// (idle wake-ups cost CPU too): relate CPU figures only at the same rate.
std::optional<double> ServerHandshakeRate(const ServerSide& server);

// Disturbance is what the rest of the machine did while one trial ran, from
// /proc/stat and getrusage read at the trial's start and end: CPU used
// outside the measuring process competes with it for cores, caches and
// memory bandwidth and shifts every figure of the trial. (A target on the
// same machine, other than the embedded server, counts as outside.)
struct Disturbance {
  // Wall-clock seconds between the two readings.
  double seconds = 0;
  // CPUs the machine has (the cpuN lines of /proc/stat).
  int cpus = 0;
  // Busy CPU time of the whole machine (user, nice, system, irq, softirq)
  // less the measuring process's own CPU time, at least 0.
  double other_cpu_seconds = 0;
  // Time the hypervisor ran something else on the machine's virtual CPUs.
  double steal_seconds = 0;
  // Times the measuring process's threads were preempted (ru_nivcsw).
  int64_t involuntary_switches = 0;
};

// OtherCpuShare returns (other_cpu_seconds + steal_seconds) / (seconds ×
// cpus): the share of the machine's CPU capacity that went elsewhere during
// the trial; nullopt when seconds or cpus is 0.
std::optional<double> OtherCpuShare(const Disturbance& disturbance);

// CanaryReading is one side's CPU speed canary (src/lab/canary.h): the
// thread CPU time of a fixed, CPU-bound reference workload run on that
// side's CPUs just before the trial's warm-up and just after its end. A
// vCPU that the host slows (contention, frequency) takes longer for the
// same work, in the guest's own CPU time, without any steal showing.
struct CanaryReading {
  // The CPUs it ran on, as the spec's cpus_client/cpus_server write them
  // ("0", "2-3"); "" when that side was not pinned.
  std::string cpus;
  // Thread CPU nanoseconds of the workload before and after the trial.
  int64_t before_ns = 0;
  int64_t after_ns = 0;
};

// CpuCanary is the canary of one trial, per side.
struct CpuCanary {
  // The workload and its version, e.g. "fe25519-mul-4x16384/v1": readings
  // of different workloads are never judged against each other.
  std::string workload;
  // On the client's CPUs (the engine's), and on the embedded server's when
  // it ran on CPUs of its own.
  CanaryReading client;
  std::optional<CanaryReading> server;
};

// CpuWindows is how a trial's client cost moved within it: its measured
// window cut into windows of |window_ns| from the end of warm-up, and per
// window the successes recorded and the client threads' CPU time spent
// (engine::RunSpec::cpu_window). The last window holds the drain after the
// trial's end. |successes| and |client_cpu_ns| have the same length, at
// most kMaxCpuWindows, and the successes sum to at most the scenario's
// |succeeded|.
inline constexpr int64_t kMaxCpuWindows = 100000;
struct CpuWindows {
  int64_t window_ns = 0;
  std::vector<int64_t> successes;
  std::vector<int64_t> client_cpu_ns;
};

// Scenario is one trial of one combination of TLS parameters.
//
// Its counts reconcile (Validate checks each of these):
//   attempted == succeeded + failed;
//   outcomes sum to attempted and outcomes[kSuccessOutcome] == succeeded;
//   the series' successes sum to succeeded and its failures to failed;
//   each phase holds at most |succeeded| values (phases time successes only);
//   each negotiated counter sums to at most |succeeded|;
//   open loop (target_rate > 0): schedule_lag holds one value per attempt;
//   closed loop (target_rate == 0): schedule_lag is empty.
struct Scenario {
  // A human-readable name, e.g. "TLSv1.3 X25519 ecdsa_secp256r1_sha256 full".
  std::string name;
  // The parameters that define the scenario, as asked for: "version",
  // "suite", "group", "sigalg", "resumption", ...
  std::map<std::string, std::string> parameters;
  // 0-based trial number among repeated runs of the same scenario.
  int trial = 0;

  int64_t attempted = 0;
  int64_t succeeded = 0;
  int64_t failed = 0;
  // Attempts started during warm-up: run, not counted anywhere else.
  int64_t warmup_attempts = 0;
  // The user stopped the run before its planned end.
  bool interrupted = false;

  // Seconds from the end of warm-up to the last recorded outcome.
  double measured_seconds = 0;
  // CPU time of the client's load threads over the measured window (warm-up
  // excluded), the window of |succeeded| and of HandshakeRate: CPU figures
  // only compare at the same rate.
  double client_cpu_seconds = 0;
  // The same split into user and system time; their sum is at most
  // |client_cpu_seconds|, 0 when unknown.
  double client_cpu_user_seconds = 0;
  double client_cpu_system_seconds = 0;
  // Peak resident memory of the measuring process in bytes (VmHWM; with the
  // embedded server it is in the same process), read once the result was
  // built (the run, the merge and the result model; not the text of the
  // output files), 0 when unknown.
  int64_t peak_rss_bytes = 0;
  // Open loop: target attempts per second. 0 means closed loop.
  double target_rate = 0;

  // kSuccessOutcome and the failure categories ("connect_refused",
  // "timeout:banner", "tls_alert:handshake_failure", ...), with counts.
  stats::CounterMap outcomes;
  // Deviations from the standards the client tolerated, by name, with
  // counts: "long_reply_lines" (reply lines longer than RFC 5321's 512
  // octets, accepted up to 8 KiB). Empty when there were none, and in files
  // written before it existed.
  stats::CounterMap deviations;
  // Per-phase latency of successful attempts, in phase order. All phases use
  // one histogram config.
  std::vector<PhaseLatency> phases;
  // Per wall-clock second (Unix seconds): outcomes and total latency.
  stats::TimeSeries series;
  // Open loop: how late each attempt started against its schedule (ns).
  stats::LatencyHistogram schedule_lag;
  // Facts negotiated by successful handshakes, by category: "versions",
  // "cipher_suites", "groups", "signature_algorithms", "resumption",
  // "peer_keys".
  std::map<std::string, stats::CounterMap> negotiated;
  // Set when the target was the embedded server.
  std::optional<ServerSide> server;
  // Set when the engine counted its system calls (mailshake bench).
  std::optional<Syscalls> syscalls;
  // Set when the machine's load was read around the run (bench, matrix).
  std::optional<Disturbance> disturbance;
  // Set when the CPU speed canary ran around the trial (bench --trials,
  // matrix).
  std::optional<CpuCanary> cpu_canary;
  // Set when the trial recorded its cost per window (bench --trials,
  // matrix).
  std::optional<CpuWindows> cpu_windows;
};

// HandshakeRate returns succeeded / measured_seconds, or nullopt when nothing
// was measured. AttemptRate is the same for attempted, and
// HandshakesPerClientCpuSecond divides succeeded by client_cpu_seconds.
std::optional<double> HandshakeRate(const Scenario& scenario);
std::optional<double> AttemptRate(const Scenario& scenario);
std::optional<double> HandshakesPerClientCpuSecond(const Scenario& scenario);
// SyscallsPerAttempt returns syscalls->Total() / attempted, and
// EpollWaitsPerAttempt the same for epoll_wait; nullopt without syscalls or
// attempts.
std::optional<double> SyscallsPerAttempt(const Scenario& scenario);
std::optional<double> EpollWaitsPerAttempt(const Scenario& scenario);

// Validate returns OK if |scenario| satisfies the invariants documented on
// Scenario and its fields are in range (non-negative counts, finite
// non-negative durations and rates, a non-empty name, distinct non-empty
// phase names sharing one histogram config), and InvalidArgument naming the
// scenario and the broken invariant otherwise.
absl::Status Validate(const Scenario& scenario);

// NotMeasured is a scenario of a plan (mailshake matrix) that has no trial in
// Result::scenarios, or lost some: why, and what the target answered.
struct NotMeasured {
  std::string name;
  std::map<std::string, std::string> parameters;
  // kUnsupported: one quick handshake before the trials failed, so the
  // scenario was never run. kTargetFailed: a trial's attempts started failing
  // (the target broke down mid-matrix); that trial and the scenario's later
  // ones are left out, earlier trials stay in Result::scenarios.
  // kInterrupted: the user stopped the run before the scenario's trials were
  // done.
  enum class Status { kUnsupported, kTargetFailed, kInterrupted };
  Status status = Status::kUnsupported;
  // The failure category that decided it ("tls_alert:handshake_failure",
  // "connect_refused", ...), or a sentence; may be empty for kInterrupted.
  std::string reason;
  // Trials of the scenario that are in Result::scenarios.
  int trials_done = 0;
};

// NotMeasuredStatusName returns "unsupported", "target_failed" or
// "interrupted".
absl::string_view NotMeasuredStatusName(NotMeasured::Status status);

// ShardSummary is one share of a run that several processes made together
// (`bench --shard I/N` parts merged, or the ranks of an MPI run): enough to
// see an unbalanced or sick share next to the exact merged totals. Its
// counts are summed over the share's scenarios.
struct ShardSummary {
  int index = 0;  // 0-based share (MPI rank), below |count|
  int count = 1;  // shares in the run
  std::string host;  // host name of the process that ran it
  // The share's source addresses, "FIRST-LAST" of its contiguous slice (or
  // the one address); empty when the kernel chose.
  std::string sources;
  int64_t attempted = 0;
  int64_t succeeded = 0;
  int64_t failed = 0;
  double measured_seconds = 0;
  double client_cpu_seconds = 0;
  bool interrupted = false;
  // The share delivered nothing (its process died or stopped answering):
  // its counts are 0 and the run's totals lack what it measured.
  bool lost = false;
};

// Result is everything one mailshake invocation measured.
struct Result {
  Environment environment;
  // The target as the user named it ("smtp://mx.example.net:25").
  std::string target;
  // The run specification as the command line built it; opaque here, but it
  // must be a JSON object.
  nlohmann::json spec = nlohmann::json::object();
  std::vector<Scenario> scenarios;
  // Scenarios of the plan that were not (fully) measured; empty for bench.
  std::vector<NotMeasured> not_measured;
  // Scale-out runs only (empty otherwise): one entry per share, by index.
  // The shares' |attempted| sum to the scenarios' |attempted|.
  std::vector<ShardSummary> shards;
};

// ToJson returns the `mailshake.result/v1` form of |result|, as SCHEMA.md
// describes it. It does not validate |result|; WriteJsonFile does.
nlohmann::json ToJson(const Result& result);

// FromJson parses a `mailshake.result/v1` document, validating every field
// it reads, every histogram, the derived figures against the counts they
// derive from, and each scenario with Validate; a scenario may not appear
// twice with the same name, parameters and trial. Fields it does not know are
// ignored. A schema of another major version is refused with
// "unsupported result schema mailshake.result/v2 (this mailshake reads v1)".
absl::StatusOr<Result> FromJson(const nlohmann::json& json);

// WriteJsonFile validates |result| and writes its JSON form to |path| with
// io::WriteOutput ("-" is standard output; a regular file is replaced
// atomically, keeping its mode; devices and FIFOs are written directly). On
// error a regular file at |path| is untouched.
absl::Status WriteJsonFile(const Result& result, const std::string& path);

// ReadJsonDocument reads the file at |path| (at most 256 MiB) and parses it
// as JSON nested at most 64 deep, without interpreting it (for readers that
// first decide what kind of document it is). Errors name the file.
absl::StatusOr<nlohmann::json> ReadJsonDocument(const std::string& path);

// ReadJsonFile reads and parses the file at |path| with ReadJsonDocument and
// FromJson. Errors name the file.
absl::StatusOr<Result> ReadJsonFile(const std::string& path);

// kCsvHeader is the first line WriteCsvFile writes, without its newline.
inline constexpr absl::string_view kCsvHeader =
    "scenario,trial,unix_second,successes,failures,p50_us,p90_us,p99_us,"
    "max_us";

// FormatCsv returns the per-second time series of every scenario as CSV
// (RFC 4180, "\r\n" line ends): kCsvHeader, then one row per scenario and
// recorded second, in scenario order and ascending seconds. Latencies are
// those of the second's successes, in microseconds with three decimals;
// they are empty when the second had no success in the histogram's range.
std::string FormatCsv(const Result& result);

// WriteCsvFile writes FormatCsv(|result|) to |path| with io::WriteOutput, as
// WriteJsonFile does.
absl::Status WriteCsvFile(const Result& result, const std::string& path);

// FormatTable returns a terminal summary of |result|: for each scenario its
// counts (attempted = succeeded + failed), handshake rate, handshakes per
// client CPU-second, per-phase latency percentiles (p50, p90, p99, p99.9,
// max) in milliseconds to three significant digits, failure categories by
// descending count, the negotiated facts with their counts and, for open
// loop, the target against the achieved rate and the schedule lag. Columns
// are aligned with spaces; there are no terminal escapes.
std::string FormatTable(const Result& result);

// FormatSignificant returns |v| with three significant digits in fixed
// notation ("0.0512", "1.23", "45.6", "789"); values of 1000 and more keep
// all their integer digits ("12346"). Non-finite values give "-".
std::string FormatSignificant(double v);

// MergeScenarios returns the scenario that |a| and |b| make together when
// they ran concurrently (in different processes or on different machines)
// with the same name, parameters and trial: counts, outcomes, histograms,
// series and negotiated facts add up exactly as if one recorder had seen
// everything; CPU seconds and target rates add; the measured time is the
// longer of the two; interrupted if either was. Server-side figures add up,
// and must be present in both or neither. It returns InvalidArgument if the
// two do not describe the same scenario (name, parameters, trial, phase
// names, histogram configs, open against closed loop) or if either fails
// Validate, and InvalidArgument or OutOfRange if a count would overflow.
absl::StatusOr<Scenario> MergeScenarios(const Scenario& a, const Scenario& b);

}  // namespace report
}  // namespace mailshake

#endif  // MAILSHAKE_SRC_REPORT_REPORT_H_
