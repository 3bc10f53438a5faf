// mailshake bench: the handshake benchmark. With no target it starts the
// embedded server in-process on a loopback port and measures that.

#include <sys/resource.h>
#include <unistd.h>

#include <cinttypes>
#include <limits>
#include <map>
#include <csignal>
#include <fstream>
#include <cstdlib>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/ascii.h"
#include "absl/time/time.h"
#include "src/cli/cli.h"
#include "src/cli/flags.h"
#include <nlohmann/json.hpp>

#include "src/dist/merge.h"
#include "src/dist/mpi.h"
#include "src/dist/split.h"
#include "src/engine/engine.h"
#include "src/io/file_io.h"
#include "src/html/html.h"
#include "src/lab/canary.h"
#include "src/lab/disturbance.h"
#include "src/lab/matrix.h"
#include "src/lab/placement.h"
#include "src/lab/plan.h"
#include "src/report/report.h"
#include "src/server/server.h"
#include "src/tls/tls.h"

namespace mailshake::cli {
namespace {

constexpr char kName[] = "bench";
constexpr int kMaxThreads = 1024;
constexpr int kMaxConcurrency = 1000000;
constexpr int64_t kMaxHandshakes = int64_t{1} << 40;

// Parses --tls: comma-separated versions, each named once.
absl::StatusOr<std::vector<uint16_t>> ParseVersionList(absl::string_view text) {
  std::vector<uint16_t> versions;
  for (absl::string_view v : absl::StrSplit(text, ',')) {
    absl::StatusOr<uint16_t> version = tls::ParseVersion(v);
    if (!version.ok() || v != absl::StripAsciiWhitespace(v) || v.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", v, "' is not a TLS version; expected 1.0, 1.1, 1.2 or 1.3, comma-separated"));
    }
    versions.push_back(*version);
  }
  return versions;
}

// Parses --start-at: RFC 3339 or Unix seconds.
absl::StatusOr<absl::Time> ParseStartAt(absl::string_view text) {
  int64_t unix_seconds = 0;
  absl::Time t;
  std::string error;
  if (absl::SimpleAtoi(text, &unix_seconds)) return absl::FromUnixSeconds(unix_seconds);
  if (absl::ParseTime(absl::RFC3339_full, text, &t, &error)) return t;
  return absl::InvalidArgumentError(
      absl::StrCat("'", text, "' is neither RFC 3339 (2026-12-01T22:00:00Z) nor Unix seconds"));
}

// The flags as given (defaults here), before they become a RunSpec.
struct Flags {
  int threads = 0;
  int concurrency = 0;
  absl::Duration duration = absl::Seconds(10);
  int64_t handshakes = 0;
  absl::Duration warmup = absl::ZeroDuration();
  double rate = 0;
  std::string arrivals = "constant";
  std::string tls = "1.2,1.3";
  std::string ciphers, groups, sigalgs;
  std::string resume = "off";
  double resume_ratio = 1.0;
  std::string verify = "none";
  std::string ca;
  std::string servername;
  std::string ehlo = "mailshake.invalid";
  std::string after_tls = "quit";
  std::string source;
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration phase_timeout = absl::Seconds(10);
  std::string close = "rst";
  bool quickack = false;
  std::string json, csv, html;
  std::string progress = "auto";
  int64_t seed = 1;
  std::string embedded_cert = "p256";
  int embedded_threads = 0;
  int trials = 1;
  int slowed_retries = lab::Timing().slowed_retry_percent;
  std::string affinity;  // empty: auto with --trials, off otherwise
  std::string shard, start_at, rank_json;
  bool distributed = false, mpi = false;
};

struct Options {
  engine::RunSpec spec;   // what this process runs (its share when sharded)
  engine::RunSpec whole;  // the whole run's spec, as the user asked for it
  std::optional<dist::ShardId> shard;
  bool distributed = false;
  Flags flags;
  std::string json_path, csv_path, html_path, progress;
  bool embedded = false;
  tls::KeyType embedded_key = tls::KeyType::kEcdsaP256;
  int embedded_threads = 0;  // resolved: never 0
  lab::Placement placement;
};

absl::Status Bad(absl::string_view flag, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", message));
}

// Declares bench's flags on |flags|, bound to |f|.
void DeclareFlags(FlagSet& flags, Flags& f) {
  flags.Positional(0, 1);
  flags.Int("threads", &f.threads, 0, kMaxThreads,
            "client worker threads, each with its own epoll loop (0: one per core, or per CPU "
            "of --affinity's client list)");
  flags.String("affinity", &f.affinity, "auto|off|CLIENT[:SERVER]",
               "CPU placement (lists as taskset -c: 0-3,6): client threads on CLIENT, embedded "
               "server threads on SERVER; auto: without a target, the two on disjoint halves of "
               "the allowed cores (2 CPUs or more), with a target nothing pinned (default: auto "
               "with --trials, off otherwise)",
               lab::CheckAffinityValue);
  flags.Int("concurrency", &f.concurrency, 0, kMaxConcurrency,
            "sessions in flight over all threads: fixed in closed loop, a cap in open loop "
            "(0: 64 per thread)");
  flags.Duration("duration", &f.duration, absl::Milliseconds(1), absl::Hours(24 * 7),
                 "how long to measure, after --warmup (not with --handshakes)");
  flags.Int("handshakes", &f.handshakes, 0, kMaxHandshakes,
            "stop after this many attempts instead of after --duration (0: use --duration)");
  flags.Duration("warmup", &f.warmup, absl::ZeroDuration(), absl::Hours(24),
                 "run this long first without recording");
  flags.Double("rate", &f.rate, 0.01, 10e6,
               "open loop: start this many sessions per second on schedule, latency measured "
               "from the scheduled start (no coordinated omission); 0: closed loop",
               /*zero_too=*/true);
  flags.Choice("arrivals", &f.arrivals, {"constant", "poisson"}, "open-loop arrival process");
  flags.String("tls", &f.tls, "VERSIONS",
               "TLS versions to offer, comma-separated: 1.2, 1.3, or the deprecated 1.0 and 1.1 "
               "(RFC 8996; offered only when named, for measuring legacy servers; the "
               "negotiated version is reported)",
               [](absl::string_view v) { return ParseVersionList(v).status(); });
  flags.String("ciphers", &f.ciphers, "SUITES",
               "TLS 1.2 cipher suites to offer, exactly, comma-separated standard or OpenSSL "
               "names (TLS 1.3 suites are not configurable in BoringSSL and are reported as "
               "negotiated); default: BoringSSL's",
               [](absl::string_view v) { return tls::ParseCipherSuites(v).status(); });
  flags.String("groups", &f.groups, "GROUPS",
               "key-exchange groups in preference order, e.g. X25519,P-256; default: "
               "BoringSSL's",
               [](absl::string_view v) { return tls::ParseGroups(v).status(); });
  flags.String("sigalgs", &f.sigalgs, "ALGS",
               "signature algorithms to accept from the server, in order (e.g. "
               "ecdsa_secp256r1_sha256,rsa_pss_rsae_sha256); default: BoringSSL's",
               [](absl::string_view v) { return tls::ParseSignatureAlgorithms(v).status(); });
  flags.Choice("resume", &f.resume, {"off", "ticket", "session-id"},
               "session resumption: off, ticket (RFC 5077 / TLS 1.3 PSK) or session-id "
               "(TLS 1.2)");
  flags.Double("resume-ratio", &f.resume_ratio, 0, 1,
               "share of sessions that offer a saved session");
  flags.Choice("verify", &f.verify, {"none", "chain", "name"},
               "server certificate check: none, chain (to --ca) or name (chain and host name)");
  flags.String("ca", &f.ca, "FILE", "PEM file of trusted roots for --verify chain|name",
               CheckReadableFile);
  flags.String("servername", &f.servername, "NAME",
               "SNI to send (default: the target's host when it is a name, none for an "
               "address)",
               CheckDnsName);
  flags.String("ehlo", &f.ehlo, "NAME", "the name sent with EHLO (at most 255 octets)",
               PrintableWord(255));
  flags.Choice("after-tls", &f.after_tls, {"quit", "ehlo", "mail"},
               "what follows the handshake: quit, ehlo (EHLO again, then QUIT) or mail (a small "
               "message through MAIL/RCPT/DATA, then QUIT)");
  flags.String("source", &f.source, "ADDRESSES",
               "source addresses to rotate over, e.g. 127.0.0.2-127.0.0.250 (spreads "
               "connections over more 4-tuples than one address has ports)",
               [](absl::string_view v) { return net::ParseSourceAddresses(v).status(); });
  flags.Duration("connect-timeout", &f.connect_timeout, absl::Milliseconds(1), absl::Hours(1),
                 "deadline for the TCP connect");
  flags.Duration("phase-timeout", &f.phase_timeout, absl::Milliseconds(1), absl::Hours(1),
                 "deadline for each later phase (banner, EHLO, STARTTLS, handshake, ...)");
  flags.Choice("close", &f.close, {"rst", "fin"},
               "how the client closes: rst (SO_LINGER 0, no TIME_WAIT left behind; a "
               "client that closes after the server uses FIN, as it keeps none either) or fin");
  flags.Bool("quickack", &f.quickack,
             "set TCP_QUICKACK on the client's sockets (never delay an ACK): separates a "
             "server's TLS cost from a Nagle/delayed-ACK stall of ~40 ms in some phase");
  flags.String("json", &f.json, "FILE",
               "write the result (mailshake.result/v1) to FILE; '-': standard output, and "
               "everything else goes to standard error",
               CheckPath);
  flags.String("csv", &f.csv, "FILE",
               "write the per-second time series to FILE ('-': standard output)", CheckPath);
  flags.String("html", &f.html, "FILE",
               "write this run's report page (as `mailshake report` draws it) to FILE",
               CheckPath);
  flags.Choice("progress", &f.progress, {"auto", "plain", "off"},
               "progress once a second on stderr: auto (redrawn line on a terminal, plain "
               "lines otherwise), plain or off");
  flags.Int("seed", &f.seed, 0, std::numeric_limits<int64_t>::max(),
            "seed for Poisson arrivals");
  flags.Choice("embedded-cert", &f.embedded_cert,
               {"rsa2048", "rsa3072", "rsa4096", "p256", "p384", "ed25519"},
               "without a target: the embedded server's self-signed key type");
  flags.Int("trials", &f.trials, 1, 1000,
            "run the benchmark this many times (each --warmup then --duration) and keep "
            "every trial in one result, the unit of statistics for `mailshake compare`");
  flags.Int("slowed-retries", &f.slowed_retries, 0, 100,
            "with --trials: run trials that ran on a slowed CPU (their CPU speed canary was "
            "slower than the run's fastest) again after the last, at most this percentage of "
            "the trials in all (0: never)");
  flags.Int("embedded-threads", &f.embedded_threads, 0, kMaxThreads,
            "without a target: embedded server threads (0: one per core, or per CPU of "
            "--affinity's server list)");
  flags.String("shard", &f.shard, "I/N",
               "run share I (0-based) of N of this spec: closed loop splits --concurrency, open "
               "loop --rate; --handshakes and --source split exactly; merge the parts with "
               "'mailshake merge'",
               [](absl::string_view v) { return dist::ParseShardId(v).status(); });
  flags.String("start-at", &f.start_at, "TIME",
               "start measuring at this wall-clock time (RFC 3339, e.g. 2026-12-01T22:00:00Z, "
               "or Unix seconds), so that shards started apart run together",
               [](absl::string_view v) { return ParseStartAt(v).status(); });
  flags.Bool("distributed", &f.distributed,
             "run under mpirun: every rank runs its share of the spec, rank 0 writes one merged "
             "result (needs the MPI build, //:mailshake_mpi)");
  flags.Bool("mpi", &f.mpi, "the same as --distributed");
  flags.String("rank-json", &f.rank_json, "PREFIX",
               "with --distributed: every rank also writes its own part to PREFIX.RANK.json "
               "(parts that 'mailshake merge' turns into the same result)",
               CheckPath);
}

// Turns the flags into a RunSpec, checking everything before anything starts.
absl::StatusOr<Options> ParseOptions(const FlagSet& flags, const Flags& f,
                                     const std::vector<std::string>& args) {
  Options o;
  o.flags = f;
  engine::RunSpec& spec = o.spec;
  if (args.empty()) {
    // The embedded server listens on 127.0.0.1; its port is known once it
    // runs.
    o.embedded = true;
    spec.target.host = "127.0.0.1";
    spec.target.address = *net::SocketAddress::Parse("127.0.0.1:0");
  } else {
    absl::StatusOr<net::Target> target = net::ParseTarget(args[0]);
    if (!target.ok()) return target.status();
    spec.target = *target;
  }
  absl::StatusOr<lab::Placement> placement = lab::PlacementForThisProcess(
      f.affinity.empty() ? (f.trials > 1 ? "auto" : "off") : f.affinity, o.embedded);
  if (!placement.ok()) return Bad("affinity", placement.status().message());
  o.placement = *placement;
  spec.threads = lab::ThreadsFor(f.threads, o.placement.client);
  spec.concurrency = f.concurrency == 0 ? 64 * spec.threads : f.concurrency;
  if (f.concurrency != 0 && f.concurrency < spec.threads) {
    if (f.threads != 0) return Bad("concurrency", "must be at least --threads");
    spec.threads = f.concurrency;  // fewer sessions than cores: one thread each
  }
  spec.handshakes = f.handshakes;
  if (spec.handshakes > 0 && spec.concurrency > spec.handshakes) {
    // More sessions in flight than attempts in all would only cost memory
    // and descriptors.
    spec.concurrency = static_cast<int>(spec.handshakes);
    spec.threads = std::min(spec.threads, spec.concurrency);
  }
  if (flags.WasSet("handshakes") && flags.WasSet("duration") && f.handshakes > 0) {
    return absl::InvalidArgumentError("give --duration or --handshakes, not both");
  }
  spec.duration = f.handshakes > 0 ? absl::ZeroDuration() : f.duration;
  spec.warmup = f.warmup;
  spec.rate = f.rate;
  spec.arrivals = f.arrivals == "poisson" ? engine::RunSpec::Arrivals::kPoisson
                                          : engine::RunSpec::Arrivals::kConstant;

  std::vector<uint16_t> versions = *ParseVersionList(f.tls);
  spec.tls.min_version = *std::min_element(versions.begin(), versions.end());
  spec.tls.max_version = *std::max_element(versions.begin(), versions.end());
  spec.tls.ciphers = f.ciphers;
  if (!spec.tls.ciphers.empty() && spec.tls.min_version == TLS1_3_VERSION) {
    return Bad("ciphers", "applies to TLS 1.2 and below only; add --tls 1.2");
  }
  spec.tls.groups = f.groups;
  spec.tls.sigalgs = f.sigalgs;
  if (f.resume == "off") {
    spec.tls.resumption = tls::ClientConfig::Resumption::kOff;
  } else if (f.resume == "ticket") {
    spec.tls.resumption = tls::ClientConfig::Resumption::kTicket;
  } else {
    spec.tls.resumption = tls::ClientConfig::Resumption::kSessionId;
    if (spec.tls.min_version == TLS1_3_VERSION) {
      return Bad("resume", "session-id resumption exists in TLS 1.2 only; add --tls 1.2");
    }
  }
  spec.resume_ratio = f.resume_ratio;
  spec.tls.trust_anchors_pem_path = f.ca;
  if (f.verify == "none") {
    spec.tls.verify = tls::ClientConfig::Verify::kNone;
    if (!f.ca.empty()) return Bad("ca", "is used by --verify chain|name only");
  } else {
    spec.tls.verify = f.verify == "chain" ? tls::ClientConfig::Verify::kChain
                                          : tls::ClientConfig::Verify::kName;
    if (f.ca.empty()) return Bad("verify", "needs --ca FILE");
  }
  spec.tls.server_name = f.servername;

  spec.smtp.ehlo_name = f.ehlo;
  spec.smtp.after_tls = f.after_tls == "ehlo"   ? smtp::ClientOptions::kEhlo
                        : f.after_tls == "mail" ? smtp::ClientOptions::kMail
                                                : smtp::ClientOptions::kQuit;
  if (!f.source.empty()) spec.sources = *net::ParseSourceAddresses(f.source);
  spec.connect_timeout = f.connect_timeout;
  spec.phase_timeout = f.phase_timeout;
  spec.close_with_rst = f.close == "rst";
  spec.quickack = f.quickack;
  spec.seed = static_cast<uint64_t>(f.seed);

  o.json_path = f.json;
  o.csv_path = f.csv;
  o.html_path = f.html;
  if (absl::Status s = io::CheckOutputPaths(
          {{"json", o.json_path}, {"csv", o.csv_path}, {"html", o.html_path}});
      !s.ok()) {
    return s;
  }
  o.progress = f.progress;
  o.embedded_key = *tls::ParseKeyType(f.embedded_cert);
  o.embedded_threads = lab::ThreadsFor(f.embedded_threads, o.placement.server);
  if (!o.embedded) {
    if (flags.WasSet("embedded-cert") || flags.WasSet("embedded-threads")) {
      return absl::InvalidArgumentError(
          "--embedded-cert and --embedded-threads apply only without a target");
    }
    spec.smtp.implicit_tls = spec.target.implicit_tls;
    if (spec.tls.server_name.empty() &&
        !net::SocketAddress::FromIp(spec.target.host, 0).ok()) {
      spec.tls.server_name = spec.target.host;  // SNI carries names, never literals
    }
  }
  // Everything the engine and the TLS layer check themselves is checked now,
  // before any start (the trust anchors are loaded once here).
  engine::RunSpec probe = spec;
  probe.smtp.implicit_tls = probe.target.implicit_tls;
  if (absl::Status s = probe.Validate(); !s.ok()) return s;
  if (absl::StatusOr<bssl::UniquePtr<SSL_CTX>> ctx = tls::NewClientContext(spec.tls); !ctx.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(spec.tls.verify != tls::ClientConfig::Verify::kNone ? "--ca: " : "",
                     ctx.status().message()));
  }
  o.whole = spec;

  // Scale-out: which share of the spec this process runs, and when.
  o.distributed = f.distributed || f.mpi;
  if (!f.shard.empty()) {
    if (o.distributed) return Bad("shard", "not with --distributed (the MPI rank is the share)");
    o.shard = *dist::ParseShardId(f.shard);
  }
  if (!f.rank_json.empty() && !o.distributed) return Bad("rank-json", "needs --distributed");
  if ((o.shard.has_value() || o.distributed) && o.embedded) {
    return Bad(o.distributed ? "distributed" : "shard",
               "needs a target (each share would measure its own embedded server)");
  }
  if (o.shard.has_value()) {
    absl::StatusOr<engine::RunSpec> share = dist::ShareOf(o.whole, *o.shard);
    if (!share.ok()) return Bad("shard", share.status().message());
    spec = *share;
  }
  if (!f.start_at.empty()) {
    if (o.distributed) return Bad("start-at", "not with --distributed (rank 0 sets the start)");
    spec.start_at = *ParseStartAt(f.start_at);
    if (spec.start_at < absl::Now() - absl::Seconds(1)) {
      return Bad("start-at", absl::StrCat(absl::FormatTime(absl::RFC3339_sec, spec.start_at,
                                                           absl::UTCTimeZone()),
                                          " is in the past"));
    }
  }
  return o;
}

// The run holds one descriptor per session in flight, as many again on the
// embedded server's side, and a few for loops and listeners: refuse to start
// a run the open-file limit (already raised as far as allowed) cannot hold.
absl::Status CheckDescriptorLimit(const Options& o) {
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return absl::OkStatus();
  int64_t in_flight = o.spec.concurrency;
  int64_t need = in_flight * (o.embedded ? 2 : 1) + 64 + 4 * o.spec.threads;
  if (need > static_cast<int64_t>(rl.rlim_cur)) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "--concurrency ", in_flight, " needs about ", need, " open files",
        o.embedded ? " (client and embedded server in this process)" : "",
        " but the limit is ", rl.rlim_cur,
        "; lower --concurrency or raise the limit (ulimit -n)"));
  }
  return absl::OkStatus();
}

std::string Ms(int64_t ns) { return absl::StrFormat("%.3g", ns / 1e6); }


void DrawProgress(const engine::Progress& p, bool tty, double last_rate) {
  std::string line = absl::StrFormat(
      "%5.1fs %s%8.0f hs/s  ok %-9d err %-7d in flight %-6d p50 %s ms  p99 %s ms",
      absl::ToDoubleSeconds(p.elapsed), p.warming_up ? "(warm-up) " : "", last_rate,
      p.succeeded, p.failed, p.in_flight, Ms(p.p50_ns), Ms(p.p99_ns));
  if (tty) {
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

// The run's specification as it goes into the result file.
nlohmann::json SpecToJson(const Options& o) {
  const engine::RunSpec& spec = o.whole;
  auto verify = [&] {
    switch (spec.tls.verify) {
      case tls::ClientConfig::Verify::kNone: return "none";
      case tls::ClientConfig::Verify::kChain: return "chain";
      case tls::ClientConfig::Verify::kName: return "name";
    }
    return "none";
  };
  nlohmann::json j = {
      {"threads", spec.threads},
      {"concurrency", spec.concurrency},
      {"duration_seconds", absl::ToDoubleSeconds(spec.duration)},
      {"handshakes", spec.handshakes},
      {"warmup_seconds", absl::ToDoubleSeconds(spec.warmup)},
      {"rate", spec.rate},
      {"arrivals", spec.arrivals == engine::RunSpec::Arrivals::kPoisson ? "poisson" : "constant"},
      {"tls", o.flags.tls},
      {"ciphers", spec.tls.ciphers},
      {"groups", spec.tls.groups},
      {"sigalgs", spec.tls.sigalgs},
      {"resume", o.flags.resume},
      {"resume_ratio", spec.resume_ratio},
      {"servername", spec.tls.server_name},
      {"verify", verify()},
      {"ehlo", spec.smtp.ehlo_name},
      {"after_tls", o.flags.after_tls},
      {"source_addresses", spec.sources.size()},
      {"connect_timeout_seconds", absl::ToDoubleSeconds(spec.connect_timeout)},
      {"phase_timeout_seconds", absl::ToDoubleSeconds(spec.phase_timeout)},
      {"close", spec.close_with_rst ? "rst" : "fin"},
      {"quickack", spec.quickack},
      {"seed", spec.seed},
      {"embedded_server", o.embedded},
  };
  if (o.embedded) {
    j["embedded_cert"] = std::string(tls::KeyTypeName(o.embedded_key));
    j["embedded_threads"] = o.embedded_threads;
  }
  for (const auto& [key, value] : lab::PlacementSpec(o.placement)) j[key] = value;
  if (o.shard.has_value()) j["shard"] = {{"index", o.shard->index}, {"count", o.shard->count}};
  return j;
}

// The parameters and name of bench's one scenario.
std::map<std::string, std::string> BenchParameters(const Options& o) {
  auto or_default = [](const std::string& v) { return v.empty() ? std::string("default") : v; };
  return {{"version", o.flags.tls},
          {"suite", or_default(o.spec.tls.ciphers)},
          {"group", or_default(o.spec.tls.groups)},
          {"sigalg", or_default(o.spec.tls.sigalgs)},
          {"resumption", o.flags.resume}};
}

std::string BenchName(std::map<std::string, std::string> p) {
  return absl::StrCat("TLS ", p["version"], " suites=", p["suite"], " groups=", p["group"],
                      " sigalgs=", p["sigalg"], " resume=", p["resumption"]);
}

// One scenario from a run: the parameters as asked, the engine's recorders.
report::Scenario ToScenario(const Options& o, const engine::RunResult& r,
                            const std::optional<server::ServerStats>& server) {
  std::map<std::string, std::string> parameters = BenchParameters(o);
  return lab::ScenarioFromRun(r, BenchName(parameters), parameters, o.spec.rate, server);
}

// Writes --json (a file, or "-" for standard output); false on error, which
// it reports.
bool WriteJson(const Options& o, const report::Result& result) {
  if (o.json_path.empty()) return true;
  absl::Status s = report::WriteJsonFile(result, o.json_path);
  if (s.ok()) return true;
  std::fprintf(stderr, "mailshake bench: --json: %s\n", std::string(s.message()).c_str());
  return false;
}

// The result file's content for what this process measured.
report::Result BuildResult(const Options& o, const engine::RunResult& r,
                           const std::optional<server::ServerStats>& server) {
  report::Result result;
  const char* revision = std::getenv("MAILSHAKE_GIT_REVISION");
  result.environment = report::DetectEnvironment(kMailshakeVersion, revision ? revision : "",
                                                 BORINGSSL_API_VERSION);
  result.environment.start = r.start;
  result.target = o.spec.target.ToString();
  result.spec = SpecToJson(o);
  result.scenarios.push_back(ToScenario(o, r, server));
  // Read once the result is built, so that it covers the merge too.
  result.scenarios.back().peak_rss_bytes = lab::PeakRssBytes();
  if (o.shard.has_value()) {
    result.shards.push_back(dist::SummarizeShare(result, o.shard->index, o.shard->count,
                                                 result.environment.hostname));
    if (!o.spec.sources.empty()) {
      result.shards.back().sources =
          o.spec.sources.size() == 1
              ? o.spec.sources.front().IpString()
              : absl::StrCat(o.spec.sources.front().IpString(), "-",
                             o.spec.sources.back().IpString());
    }
  }
  return result;
}

// Prints the summary and writes the files asked for. Exit status: 0 when
// every attempt succeeded, 3 when some failed or a share was lost (the
// result is complete either way), 1 when the result could not be written.
int OutputResult(const Options& o, const report::Result& result) {
  // Files first: whatever happens to the terminal or a pipe afterwards, the
  // result is written. When a machine-readable output goes to standard
  // output, the human table goes to standard error.
  int rc = 0;
  if (!WriteJson(o, result)) rc = 1;
  if (!o.csv_path.empty()) {
    if (absl::Status s = report::WriteCsvFile(result, o.csv_path); !s.ok()) {
      std::fprintf(stderr, "mailshake bench: --csv: %s\n", std::string(s.message()).c_str());
      rc = 1;
    }
  }
  if (!o.html_path.empty()) {
    absl::Status s = html::WriteReport(o.html_path, html::RenderReport({{"bench", result}}));
    if (!s.ok()) {
      std::fprintf(stderr, "mailshake bench: --html: %s\n", std::string(s.message()).c_str());
      rc = 1;
    }
  }
  PrintForHumans(report::FormatTable(result), {o.json_path, o.csv_path, o.html_path});
  bool incomplete = false;
  for (const report::Scenario& s : result.scenarios) incomplete = incomplete || s.failed > 0;
  for (const report::ShardSummary& s : result.shards) incomplete = incomplete || s.lost;
  if (rc == 0 && incomplete) rc = 3;
  return rc;
}

// bench --trials N: the one-scenario case of a matrix (src/lab), so trials
// run and are kept exactly as matrix's are.
int RunBenchTrials(Options& o) {
  lab::PlannedScenario scenario;
  scenario.parameters = BenchParameters(o);
  scenario.name = BenchName(scenario.parameters);
  if (o.embedded) scenario.server_key = o.embedded_key;
  lab::Plan plan;
  plan.scenarios.push_back(scenario);
  lab::MatrixOptions options;
  options.timing.trials = o.flags.trials;
  options.timing.trial_duration = o.spec.duration;
  options.timing.warmup = o.spec.warmup;
  options.timing.slowed_retry_percent = o.flags.slowed_retries;
  options.seed = o.spec.seed;
  std::optional<lab::EngineTrialRunner::Embedded> embedded;
  if (o.embedded) embedded = lab::EngineTrialRunner::Embedded{o.embedded_threads};
  absl::StatusOr<std::unique_ptr<lab::EngineTrialRunner>> runner =
      lab::EngineTrialRunner::Create(o.spec, options.timing, embedded, plan, o.placement);
  if (!runner.ok()) {
    std::fprintf(stderr, "mailshake bench: %s\n", std::string(runner.status().message()).c_str());
    return 1;
  }
  int signals = 0;
  lab::RunControl control;
  control.poll = [&signals](absl::Duration wait) {
    if (WaitForStopSignal(wait) != 0) {
      ++signals;
      std::fprintf(stderr, "\nstopping; finished trials are written (again to abort)\n");
    }
    return std::min(signals, 2);
  };
  if (o.progress != "off") {
    control.progress = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  }
  control.warning = [](const std::string& line) {
    std::fprintf(stderr, "mailshake bench: warning: %s\n", line.c_str());
  };
  std::fprintf(stderr, "placement: %s\n", lab::DescribePlacement(o.placement).c_str());
  report::Result result;
  const char* revision = std::getenv("MAILSHAKE_GIT_REVISION");
  result.environment = report::DetectEnvironment(kMailshakeVersion, revision ? revision : "",
                                                 BORINGSSL_API_VERSION);
  result.target = o.spec.target.ToString();
  lab::MatrixOutcome outcome = lab::RunMatrix(plan, options, **runner, control);
  result.spec = SpecToJson(o);
  result.spec["trials"] = o.flags.trials;
  result.spec["slowed_retry_percent"] = o.flags.slowed_retries;
  result.spec["slowed_retries"] = outcome.slowed_retries;
  result.scenarios = std::move(outcome.scenarios);
  result.not_measured = std::move(outcome.not_measured);
  int rc = outcome.interrupted || outcome.target_failed || !result.not_measured.empty() ? 3 : 0;
  if (!WriteJson(o, result)) rc = 1;
  PrintForHumans(lab::FormatSummary(result), {o.json_path});
  return rc;
}

// Runs the engine on |spec|, its threads pinned to |cpus| (none: not
// pinned), to its end, or until SIGINT/SIGTERM stops it (the first signal
// with a grace for sessions in flight, unless |abort_at_once|; the second
// aborts them). Calls |tick| about once a second.
absl::StatusOr<engine::RunResult> Drive(const engine::RunSpec& spec, const lab::CpuList& cpus,
                                        bool abort_at_once,
                                        const std::function<void(const engine::Progress&)>& tick) {
  absl::StatusOr<std::unique_ptr<engine::Engine>> engine = absl::InternalError("not started");
  if (absl::Status s = lab::RunPinned(cpus, [&] { engine = engine::Engine::Start(spec); });
      !s.ok()) {
    return s;
  }
  if (!engine.ok()) return engine.status();
  int signals = 0;
  absl::Time next_tick = absl::Now() + absl::Seconds(1);
  while (!(*engine)->Wait(absl::ZeroDuration())) {
    // Short waits, so the end of a short run is noticed at once; |tick| is
    // still called once a second.
    int sig = WaitForStopSignal(std::min(absl::Milliseconds(10), next_tick - absl::Now()));
    if (sig != 0) {
      ++signals;
      bool abort = abort_at_once || signals > 1;
      std::fprintf(stderr, "\n%s: %s\n", sig == SIGINT ? "SIGINT" : "SIGTERM",
                   abort ? "aborting sessions in flight"
                         : "stopping; sessions in flight get a short grace (again to abort them)");
      (*engine)->Stop(abort);
    }
    if (sig == 0 && absl::Now() < next_tick) continue;
    next_tick = absl::Now() + absl::Seconds(1);
    tick((*engine)->GetProgress());
  }
  return (*engine)->TakeResult();
}

// The fingerprint every rank's spec must share with rank 0's.
std::string SpecFingerprint(const Options& o) {
  return absl::StrCat(o.whole.target.ToString(), " ", o.whole.target.address.ToString(), " ",
                      SpecToJson(o).dump());
}

// bench --distributed: this process is one MPI rank. Every rank parses the
// same command line; rank 0 broadcasts its spec and every rank checks that
// its own is the same, then runs its share from a start rank 0 sets. Rank 0
// shows progress from the others' reports, collects their results, merges
// them exactly and writes the one result.
int RunDistributed(Options& o) {
  absl::StatusOr<std::unique_ptr<dist::MpiRun>> mpi = dist::MpiRun::Init();
  if (!mpi.ok()) return UsageError(kName, mpi.status().message());
  dist::MpiRun& run = **mpi;
  const bool root = run.rank() == 0;
  auto fail = [&](absl::string_view message) {
    std::fprintf(stderr, "mailshake bench: rank %d: %s\n", run.rank(),
                 std::string(message).c_str());
    return 1;
  };
  absl::StatusOr<std::string> agreed = run.Broadcast(SpecFingerprint(o));
  if (!agreed.ok()) return fail(agreed.status().message());
  if (*agreed != SpecFingerprint(o)) {
    return fail("this rank's spec differs from rank 0's (same binary and arguments on every host?)");
  }
  o.shard = dist::ShardId{run.rank(), run.size()};
  absl::StatusOr<engine::RunSpec> share = dist::ShareOf(o.whole, *o.shard);
  if (!share.ok()) {
    if (root) UsageError(kName, absl::StrCat("--distributed: ", share.status().message()));
    return 2;
  }
  o.spec = *share;
  if (root) {
    std::fprintf(stderr, "%d ranks; rank 0 on %s\n", run.size(), run.host().c_str());
  }
  absl::StatusOr<absl::Time> start = run.AgreeOnStart(absl::Milliseconds(500));
  if (!start.ok()) return fail(start.status().message());
  o.spec.start_at = *start;

  bool tty = o.progress == "auto" ? isatty(STDERR_FILENO) : false;
  bool show = root && o.progress != "off";
  int64_t last_ok = 0;
  absl::Time last = absl::Now();
  // mpirun kills the ranks one second after it forwards a signal
  // (odls_base_sigkill_timeout): stop at once, so the results still travel.
  absl::StatusOr<engine::RunResult> measured =
      Drive(o.spec, o.placement.client, /*abort_at_once=*/true, [&](const engine::Progress& mine) {
        if (!root) {
          run.PostProgress({mine.succeeded, mine.failed, mine.in_flight});
          return;
        }
        dist::RankProgress others = run.PollProgress();
        if (!show) return;
        engine::Progress p = mine;
        p.succeeded += others.succeeded;
        p.failed += others.failed;
        p.in_flight += others.in_flight;
        p.p50_ns = p.p99_ns = 0;  // percentiles come with the merged result
        absl::Time now = absl::Now();
        double rate = (p.succeeded - last_ok) / absl::ToDoubleSeconds(now - last);
        last_ok = p.succeeded;
        last = now;
        DrawProgress(p, tty, rate);
      });
  if (show && tty) std::fprintf(stderr, "\n");
  if (!measured.ok()) return fail(measured.status().message());
  report::Result mine = BuildResult(o, *measured, std::nullopt);
  mine.shards[0].host = run.host();
  if (std::string prefix = o.flags.rank_json; !prefix.empty()) {
    absl::Status s = report::WriteJsonFile(mine, absl::StrCat(prefix, ".", run.rank(), ".json"));
    if (!s.ok()) fail(absl::StrCat("--rank-json: ", s.message()));
  }
  if (!root) {
    absl::Status sent = run.SendPart(report::ToJson(mine).dump(), absl::Seconds(60));
    if (!sent.ok()) return fail(sent.message());
    run.AwaitVerdict(absl::Seconds(10));
    return 0;
  }
  std::vector<dist::Part> parts;
  parts.push_back({"rank 0", std::move(mine)});
  for (auto& [rank, text] : run.CollectParts(absl::Seconds(5))) {
    nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    absl::StatusOr<report::Result> part = report::FromJson(json);
    if (!part.ok()) {
      std::fprintf(stderr, "mailshake bench: rank %d sent an unreadable result: %s\n", rank,
                   std::string(part.status().message()).c_str());
      continue;
    }
    parts.push_back({absl::StrCat("rank ", rank), std::move(*part)});
  }
  dist::MergeOptions options;
  options.allow_missing = true;
  absl::StatusOr<report::Result> merged = dist::MergeShards(parts, options);
  if (!merged.ok()) return fail(merged.status().message());
  merged->environment.hostname = run.host();
  bool lost = false;
  for (const report::ShardSummary& s : merged->shards) {
    if (!s.lost) continue;
    lost = true;
    std::fprintf(stderr,
                 "mailshake bench: rank %d delivered no result (died or stopped answering); the "
                 "run is interrupted and lacks its share\n",
                 s.index);
  }
  run.SendVerdict(lost);
  o.shard.reset();  // the merged result is the whole run
  return OutputResult(o, *merged);
}

}  // namespace

int RunBench(const std::vector<std::string>& argv) {
  Flags f;
  FlagSet flags(kName, "[smtp://HOST:PORT | smtps://HOST:PORT | tls://HOST:PORT]",
                "Measures STARTTLS and TLS handshakes against a mail server (default: the "
                "embedded one, started in this process on loopback).");
  DeclareFlags(flags, f);
  std::vector<std::string> args;
  if (std::optional<int> exit = flags.Parse(argv, &args)) return *exit;
  absl::StatusOr<Options> parsed = ParseOptions(flags, f, args);
  if (!parsed.ok()) {
    // Under mpirun every rank parses the same line: one message is enough.
    const char* rank = std::getenv("OMPI_COMM_WORLD_RANK");
    if (rank != nullptr && std::string(rank) != "0") return 2;
    return UsageError(kName, parsed.status().message());
  }
  Options& o = *parsed;
  engine::RunSpec& spec = o.spec;
  if (f.trials > 1) {
    if (spec.handshakes > 0) {
      return UsageError(kName, "--trials runs each trial for --duration; not with --handshakes");
    }
    if (!o.csv_path.empty()) return UsageError(kName, "--csv is not written with --trials");
    if (o.shard.has_value() || o.distributed) {
      return UsageError(kName, "--trials is not sharded; run the trials with one process");
    }
    BlockStopSignals();
    return RunBenchTrials(o);
  }

  if (absl::Status s = CheckDescriptorLimit(o); !s.ok()) {
    std::fprintf(stderr, "mailshake bench: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  BlockStopSignals();
  if (o.distributed) return RunDistributed(o);
  std::unique_ptr<server::Server> embedded;
  if (o.embedded) {
    server::ServerOptions so;
    so.listen.push_back(*net::SocketAddress::Parse("127.0.0.1:0"));
    so.threads = o.embedded_threads;
    so.max_connections = std::max(20000, spec.concurrency * 2);
    absl::StatusOr<tls::Credential> cred = tls::GenerateSelfSigned(o.embedded_key, so.hostname);
    if (!cred.ok()) {
      std::fprintf(stderr, "mailshake bench: %s\n", std::string(cred.status().message()).c_str());
      return 1;
    }
    so.tls.credentials.push_back(std::move(*cred));
    absl::StatusOr<std::unique_ptr<server::Server>> s = absl::InternalError("not started");
    if (absl::Status pinned = lab::RunPinned(o.placement.server,
                                             [&] { s = server::Server::Start(std::move(so)); });
        !pinned.ok()) {
      s = pinned;
    }
    if (!s.ok()) {
      std::fprintf(stderr, "mailshake bench: embedded server: %s\n",
                   std::string(s.status().message()).c_str());
      return 1;
    }
    embedded = std::move(*s);
    spec.target.host = "127.0.0.1";
    spec.target.address = embedded->starttls_addresses()[0];
    spec.target.implicit_tls = false;
    spec.smtp.implicit_tls = false;
    std::fprintf(stderr,
                 "no target given: benchmarking the embedded server at %s (self-signed %s, "
                 "%d server threads, in this process)\n",
                 spec.target.ToString().c_str(),
                 std::string(tls::KeyTypeName(o.embedded_key)).c_str(), embedded->threads());
  }
  std::fprintf(stderr, "%s: %s, %d threads, %s, %s\n", spec.target.ToString().c_str(),
               spec.rate > 0 ? absl::StrFormat("open loop at %.0f/s", spec.rate).c_str()
                             : absl::StrFormat("closed loop, %d in flight", spec.concurrency).c_str(),
               spec.threads,
               spec.handshakes > 0 ? absl::StrCat(spec.handshakes, " handshakes").c_str()
                                   : absl::FormatDuration(spec.duration).c_str(),
               o.flags.tls.c_str());

  if (spec.start_at > absl::Now()) {
    std::fprintf(stderr, "waiting for the start at %s\n",
                 absl::FormatTime(absl::RFC3339_full, spec.start_at, absl::UTCTimeZone()).c_str());
    // Interruptible until shortly before; the engine waits out the rest.
    while (absl::Now() < spec.start_at - absl::Milliseconds(100)) {
      absl::Duration left = spec.start_at - absl::Milliseconds(100) - absl::Now();
      if (WaitForStopSignal(std::min(left, absl::Seconds(1))) != 0) {
        std::fprintf(stderr, "mailshake bench: stopped before the start; nothing measured\n");
        return 1;
      }
    }
  }
  bool tty = o.progress == "auto" ? isatty(STDERR_FILENO) : false;
  bool show = o.progress != "off";
  int64_t last_ok = 0;
  absl::Time last = absl::Now();
  if (o.placement.pinned() || !o.placement.note.empty()) {
    std::fprintf(stderr, "placement: %s\n", lab::DescribePlacement(o.placement).c_str());
  }
  // The CPU speed canary (src/lab/canary.h) around the run: one run has
  // no fastest of its own to hold it against, so only a change between
  // before and after can tell.
  const lab::CpuList* server_canary_cpus = lab::ServerCanaryCpus(o.placement, embedded != nullptr);
  report::CpuCanary canary;
  absl::Status canary_ok =
      lab::MeasureCanarySides(o.placement.client, server_canary_cpus, /*after=*/false, &canary);
  const lab::MachineReading machine_before = lab::ReadMachine();
  absl::StatusOr<engine::RunResult> result =
      Drive(spec, o.placement.client, /*abort_at_once=*/false, [&](const engine::Progress& p) {
        if (!show) return;
        absl::Time now = absl::Now();
        double rate = (p.succeeded - last_ok) / absl::ToDoubleSeconds(now - last);
        last_ok = p.succeeded;
        last = now;
        DrawProgress(p, tty, rate);
      });
  if (show && tty) std::fprintf(stderr, "\n");
  if (!result.ok()) {
    std::fprintf(stderr, "mailshake bench: %s\n", std::string(result.status().message()).c_str());
    return 1;
  }
  const std::optional<report::Disturbance> disturbance =
      lab::DisturbanceBetween(machine_before, lab::ReadMachine());
  if (canary_ok.ok()) {
    canary_ok =
        lab::MeasureCanarySides(o.placement.client, server_canary_cpus, /*after=*/true, &canary);
  }
  std::optional<server::ServerStats> server_stats;
  if (embedded != nullptr) {
    embedded->Stop();
    server_stats = embedded->Stats();
  }
  report::Result built = BuildResult(o, *result, server_stats);
  built.scenarios.back().disturbance = disturbance;
  if (disturbance.has_value() && lab::IsDisturbed(*disturbance)) {
    std::fprintf(stderr, "mailshake bench: warning: the run was disturbed: %s\n",
                 lab::DescribeDisturbance(*disturbance).c_str());
  }
  if (canary_ok.ok()) {
    built.scenarios.back().cpu_canary = canary;
    const lab::CanaryVerdict verdict = lab::JudgeCanary(canary, lab::CanaryBaseline());
    if (verdict.slowed) {
      std::fprintf(stderr, "mailshake bench: warning: the run was on a slowed CPU: %s\n",
                   verdict.why.c_str());
    }
  }
  return OutputResult(o, built);
}

MAILSHAKE_SUBCOMMAND(
    "bench",
    "measure STARTTLS and TLS handshakes against a mail server (default: the embedded one)",
    RunBench);

}  // namespace mailshake::cli
