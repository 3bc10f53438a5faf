// mailshake serve: the embedded SMTP STARTTLS server as a command.

#include <csignal>
#include <cstdio>
#include <tuple>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "src/cli/cli.h"
#include "src/cli/flags.h"
#include "src/server/server.h"
#include "src/tls/tls.h"

namespace mailshake::cli {
namespace {

constexpr char kName[] = "serve";

struct Flags {
  std::vector<std::string> listen, listen_implicit;
  std::string cert, key;
  std::vector<std::string> self_signed;
  std::string hostname = "mailshake.localhost";
  std::string tls_min = "1.2", tls_max = "1.3";
  std::string ciphers, groups;
  int threads = 0;
  int max_connections = 20000;
  absl::Duration tls_timeout = absl::Seconds(10);
  absl::Duration command_timeout = absl::Seconds(60);
  absl::Duration data_timeout = absl::Seconds(120);
  int64_t max_message_size = 10 << 20;
  absl::Duration stall_after = absl::ZeroDuration(), stall_for = absl::ZeroDuration(),
                 stall_delay = absl::ZeroDuration();
  absl::Duration stats_interval = absl::ZeroDuration();
  std::string after_tls = "accept";
};

absl::Status CheckAddress(absl::string_view text) {
  return net::SocketAddress::Parse(text).status();
}

void DeclareFlags(FlagSet& flags, Flags& f) {
  flags.List("listen", &f.listen, "IP:PORT",
             "address to serve plaintext SMTP with STARTTLS on, as IP:PORT or [IPv6]:PORT "
             "(default 127.0.0.1:2525 when no --listen-implicit)",
             CheckAddress);
  flags.List("listen-implicit", &f.listen_implicit, "IP:PORT",
             "address to serve SMTP over TLS from the first byte on (as port 465 does)",
             CheckAddress);
  flags.String("cert", &f.cert, "FILE",
               absl::StrCat("PEM certificate chain, leaf first (with --key); at most ",
                            server::kMaxChainCertificates, " certificates, ",
                            server::kMaxChainOctets, " octets"),
               CheckReadableFile);
  flags.String("key", &f.key, "FILE", "PEM private key of the --cert leaf", CheckReadableFile);
  flags.List("self-signed", &f.self_signed, "TYPE",
             "generate a self-signed certificate at start: rsa2048, rsa3072, rsa4096, p256, "
             "p384 or ed25519 (default p256 when no --cert); several: the server picks per "
             "handshake what the client accepts",
             [](absl::string_view v) { return tls::ParseKeyType(v).status(); });
  flags.String("hostname", &f.hostname, "NAME",
               "the server's name in the banner, EHLO reply and self-signed certificate (a DNS "
               "name, at most 253 octets)",
               CheckDnsName);
  flags.Choice("tls-min", &f.tls_min, {"1.0", "1.1", "1.2", "1.3"},
               "lowest TLS version accepted (1.0 and 1.1 are deprecated by RFC 8996; serve "
               "them only to test legacy clients)");
  flags.Choice("tls-max", &f.tls_max, {"1.0", "1.1", "1.2", "1.3"},
               "highest TLS version accepted");
  flags.String("ciphers", &f.ciphers, "SUITES",
               "TLS 1.2 cipher suites, comma-separated standard or OpenSSL names (TLS 1.3 "
               "suites are not configurable in BoringSSL); default: BoringSSL's",
               [](absl::string_view v) { return tls::ParseCipherSuites(v).status(); });
  flags.String("groups", &f.groups, "GROUPS",
               "key-exchange groups in preference order, e.g. X25519,P-256; default: "
               "BoringSSL's",
               [](absl::string_view v) { return tls::ParseGroups(v).status(); });
  flags.Int("threads", &f.threads, 0, 1024,
            "worker threads, each with its own epoll loop (0: one per core)");
  flags.Int("max-connections", &f.max_connections, 1, 1000000,
            "connections open at once; one more is answered 421 and closed");
  flags.Duration("tls-timeout", &f.tls_timeout, absl::Milliseconds(1), absl::Hours(1),
                 "deadline for the TLS handshake");
  flags.Duration("command-timeout", &f.command_timeout, absl::Milliseconds(1), absl::Hours(1),
                 "deadline for each command line, from the previous reply (slow clients "
                 "included)");
  flags.Duration("data-timeout", &f.data_timeout, absl::Milliseconds(1), absl::Hours(24),
                 "deadline for a whole DATA body");
  flags.Int("max-message-size", &f.max_message_size, 1, int64_t{1} << 40,
            "largest message accepted, in octets (SIZE)");
  flags.Duration("stall-after", &f.stall_after, absl::ZeroDuration(), absl::Hours(24),
                 "test aid: connections accepted from this long after the start ...");
  flags.Duration("stall-for", &f.stall_for, absl::ZeroDuration(), absl::Hours(24),
                 "... and for this long get their banner --stall-delay late (to check that "
                 "open-loop latency has no coordinated omission)");
  flags.Duration("stall-delay", &f.stall_delay, absl::ZeroDuration(), absl::Hours(1),
                 "how late the stalled banners are");
  flags.Duration("stats-interval", &f.stats_interval, absl::ZeroDuration(), absl::Hours(24),
                 "print counters this often (e.g. 10s); 0: only at exit");
  flags.Choice("after-tls", &f.after_tls, {"accept", "close"},
               "what follows the handshake: accept (run the SMTP dialogue, messages are "
               "discarded) or close");
}

absl::StatusOr<std::vector<net::SocketAddress>> ParseAddresses(
    const std::vector<std::string>& texts) {
  std::vector<net::SocketAddress> out;
  for (const std::string& text : texts) {
    absl::StatusOr<net::SocketAddress> a = net::SocketAddress::Parse(text);
    if (!a.ok()) return a.status();
    out.push_back(*a);
  }
  return out;
}

}  // namespace

int RunServe(const std::vector<std::string>& argv) {
  Flags f;
  FlagSet flags(kName, "",
                "Runs the embedded SMTP server with STARTTLS and implicit TLS until SIGINT or "
                "SIGTERM.");
  DeclareFlags(flags, f);
  std::vector<std::string> args;
  if (std::optional<int> exit = flags.Parse(argv, &args)) return *exit;
  server::ServerOptions options;

  if (f.listen.empty() && f.listen_implicit.empty()) f.listen.push_back("127.0.0.1:2525");
  options.listen = *ParseAddresses(f.listen);
  options.listen_implicit = *ParseAddresses(f.listen_implicit);

  options.tls.min_version = *tls::ParseVersion(f.tls_min);
  options.tls.max_version = *tls::ParseVersion(f.tls_max);
  if (options.tls.min_version > options.tls.max_version) {
    return UsageError(kName, "--tls-min is above --tls-max");
  }
  options.tls.ciphers = f.ciphers;
  options.tls.groups = f.groups;
  if (!f.ciphers.empty() && options.tls.min_version == TLS1_3_VERSION) {
    return UsageError(kName, "--ciphers: applies to TLS 1.2 and below only; lower --tls-min");
  }

  options.hostname = f.hostname;
  if (f.cert.empty() != f.key.empty()) return UsageError(kName, "--cert and --key go together");
  if (!f.cert.empty() && !f.self_signed.empty()) {
    return UsageError(kName, "give either --cert/--key or --self-signed, not both");
  }
  std::vector<std::string> descriptions;
  if (!f.cert.empty()) {
    absl::StatusOr<tls::Credential> c = tls::LoadCredential(f.cert, f.key);
    if (!c.ok()) return UsageError(kName, absl::StrCat("--cert/--key: ", c.status().message()));
    descriptions.push_back(absl::StrCat(f.cert, " (", c->Describe().ToString(), ", SHA-256 ",
                                        c->Sha256Fingerprint(), ")"));
    options.tls.credentials.push_back(std::move(*c));
  } else {
    if (f.self_signed.empty()) f.self_signed.push_back("p256");
    for (const std::string& name : f.self_signed) {
      tls::KeyType type = *tls::ParseKeyType(name);
      absl::StatusOr<tls::Credential> c = tls::GenerateSelfSigned(type, options.hostname);
      if (!c.ok()) {
        std::fprintf(stderr, "mailshake serve: %s\n", std::string(c.status().message()).c_str());
        return 1;
      }
      descriptions.push_back(absl::StrCat("self-signed ", tls::KeyTypeName(type), " CN=",
                                          options.hostname, " (SHA-256 ",
                                          c->Sha256Fingerprint(), ")"));
      options.tls.credentials.push_back(std::move(*c));
    }
  }

  options.threads = f.threads;
  options.max_connections = f.max_connections;
  options.tls_timeout = f.tls_timeout;
  options.command_timeout = f.command_timeout;
  options.data_timeout = f.data_timeout;
  options.after_tls = f.after_tls == "close" ? server::ServerOptions::AfterTls::kClose
                                             : server::ServerOptions::AfterTls::kAccept;
  options.max_message_size = static_cast<size_t>(f.max_message_size);
  options.stall_after = f.stall_after;
  options.stall_for = f.stall_for;
  options.stall_delay = f.stall_delay;
  absl::Duration interval = f.stats_interval;
  // What Server::Start refuses is a usage error too: checked before binding.
  for (const tls::Credential& c : options.tls.credentials) {
    if (absl::Status s = server::CheckServedChain(c); !s.ok()) {
      return UsageError(kName, absl::StrCat("--cert: ", s.message()));
    }
  }

  BlockStopSignals();
  absl::StatusOr<std::unique_ptr<server::Server>> server = server::Server::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "mailshake serve: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  for (const net::SocketAddress& a : (*server)->starttls_addresses()) {
    std::printf("listening smtp://%s (STARTTLS)\n", a.ToString().c_str());
  }
  for (const net::SocketAddress& a : (*server)->implicit_tls_addresses()) {
    std::printf("listening smtps://%s (implicit TLS)\n", a.ToString().c_str());
  }
  for (const std::string& d : descriptions) std::printf("certificate %s\n", d.c_str());
  std::printf("threads %d; stop with Ctrl-C\n", (*server)->threads());
  std::fflush(stdout);

  absl::Time start = absl::Now();
  int signal = 0;
  while (signal == 0) {
    signal = WaitForStopSignal(interval > absl::ZeroDuration() ? interval : absl::Hours(24));
    if (signal == 0 && interval > absl::ZeroDuration()) {
      std::printf("[%s] %s", absl::FormatDuration(absl::Trunc(absl::Now() - start,
                                                              absl::Seconds(1))).c_str(),
                  (*server)->Stats().ToString().c_str());
      std::fflush(stdout);
    }
  }
  (*server)->Stop();
  std::printf("stopped by %s after %s\n%s", signal == SIGINT ? "SIGINT" : "SIGTERM",
              absl::FormatDuration(absl::Trunc(absl::Now() - start, absl::Milliseconds(1)))
                  .c_str(),
              (*server)->Stats().ToString().c_str());
  return 0;
}

MAILSHAKE_SUBCOMMAND("serve", "run the embedded SMTP server with STARTTLS and implicit TLS",
                     RunServe);

}  // namespace mailshake::cli
