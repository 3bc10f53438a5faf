// mailshake serve: the embedded SMTP STARTTLS server as a command.

#include <csignal>
#include <cstdio>
#include <tuple>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "src/cli/cli.h"
#include "src/server/server.h"
#include "src/tls/tls.h"

ABSL_FLAG(std::vector<std::string>, listen, {},
          "address to serve plaintext SMTP with STARTTLS on, as IP:PORT or [IPv6]:PORT; "
          "repeatable and comma-separated (default 127.0.0.1:2525 when no --listen-implicit)");
ABSL_FLAG(std::vector<std::string>, listen_implicit, {},
          "address to serve SMTP over TLS from the first byte on (as port 465 does); "
          "repeatable");
ABSL_FLAG(std::string, cert, "", "PEM certificate chain, leaf first (with --key)");
ABSL_FLAG(std::string, key, "", "PEM private key of the --cert leaf");
ABSL_FLAG(std::string, self_signed, "",
          "generate a self-signed certificate at start: rsa2048, rsa3072, rsa4096, p256, p384 "
          "or ed25519 (default p256 when no --cert); comma-separated for several, the server "
          "picks per handshake what the client accepts");
ABSL_FLAG(std::string, hostname, "mailshake.localhost",
          "the server's name in the banner, EHLO reply and self-signed certificate");
ABSL_FLAG(std::string, tls_min, "1.2", "lowest TLS version accepted: 1.2 or 1.3");
ABSL_FLAG(std::string, tls_max, "1.3", "highest TLS version accepted: 1.2 or 1.3");
ABSL_FLAG(int, max_connections, 20000,
          "connections open at once; one more is answered 421 and closed");
ABSL_FLAG(absl::Duration, tls_timeout, absl::Seconds(10), "deadline for the TLS handshake");
ABSL_FLAG(absl::Duration, command_timeout, absl::Seconds(60),
          "deadline for each command line, from the previous reply (slow clients included)");
ABSL_FLAG(absl::Duration, data_timeout, absl::Seconds(120), "deadline for a whole DATA body");
ABSL_FLAG(int64_t, max_message_size, 10 << 20, "largest message accepted, in octets (SIZE)");
ABSL_FLAG(absl::Duration, stall_after, absl::ZeroDuration(),
          "test aid: connections accepted from this long after the start ...");
ABSL_FLAG(absl::Duration, stall_for, absl::ZeroDuration(),
          "... and for this long get their banner --stall-delay late (to check that open-loop "
          "latency has no coordinated omission)");
ABSL_FLAG(absl::Duration, stall_delay, absl::ZeroDuration(), "how late the stalled banners are");
ABSL_FLAG(absl::Duration, stats_interval, absl::ZeroDuration(),
          "print counters this often (e.g. 10s); 0: only at exit");

namespace mailshake::cli {
namespace {

constexpr char kName[] = "serve";

absl::StatusOr<std::vector<net::SocketAddress>> ParseAddresses(
    const std::vector<std::string>& texts, absl::string_view flag) {
  std::vector<net::SocketAddress> out;
  for (const std::string& text : texts) {
    absl::StatusOr<net::SocketAddress> a = net::SocketAddress::Parse(text);
    if (!a.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", a.status().message()));
    }
    out.push_back(*a);
  }
  return out;
}

}  // namespace

int RunServe(const std::vector<std::string>& args) {
  if (!args.empty()) return UsageError(kName, absl::StrCat("unexpected argument '", args[0], "'"));
  server::ServerOptions options;

  std::vector<std::string> listen = absl::GetFlag(FLAGS_listen);
  std::vector<std::string> listen_implicit = absl::GetFlag(FLAGS_listen_implicit);
  if (listen.empty() && listen_implicit.empty()) listen.push_back("127.0.0.1:2525");
  absl::StatusOr<std::vector<net::SocketAddress>> plain = ParseAddresses(listen, "listen");
  if (!plain.ok()) return UsageError(kName, plain.status().message());
  absl::StatusOr<std::vector<net::SocketAddress>> implicit =
      ParseAddresses(listen_implicit, "listen-implicit");
  if (!implicit.ok()) return UsageError(kName, implicit.status().message());
  options.listen = *plain;
  options.listen_implicit = *implicit;

  for (const auto& [flag, value, field] :
       {std::tuple{"tls-min", absl::GetFlag(FLAGS_tls_min), &options.tls.min_version},
        std::tuple{"tls-max", absl::GetFlag(FLAGS_tls_max), &options.tls.max_version}}) {
    absl::StatusOr<uint16_t> v = tls::ParseVersion(value);
    if (!v.ok()) return UsageError(kName, absl::StrCat("--", flag, ": ", v.status().message()));
    *field = *v;
  }
  if (options.tls.min_version > options.tls.max_version) {
    return UsageError(kName, "--tls-min is above --tls-max");
  }
  options.tls.ciphers = absl::GetFlag(FLAGS_ciphers);
  options.tls.groups = absl::GetFlag(FLAGS_groups);
  if (!options.tls.ciphers.empty()) {
    if (auto c = tls::ParseCipherSuites(options.tls.ciphers); !c.ok()) {
      return UsageError(kName, absl::StrCat("--ciphers: ", c.status().message()));
    }
  }
  if (!options.tls.groups.empty()) {
    if (auto g = tls::ParseGroups(options.tls.groups); !g.ok()) {
      return UsageError(kName, absl::StrCat("--groups: ", g.status().message()));
    }
  }

  options.hostname = absl::GetFlag(FLAGS_hostname);
  std::string cert = absl::GetFlag(FLAGS_cert);
  std::string key = absl::GetFlag(FLAGS_key);
  std::string self_signed = absl::GetFlag(FLAGS_self_signed);
  if (cert.empty() != key.empty()) return UsageError(kName, "--cert and --key go together");
  if (!cert.empty() && !self_signed.empty()) {
    return UsageError(kName, "give either --cert/--key or --self-signed, not both");
  }
  std::vector<std::string> descriptions;
  if (!cert.empty()) {
    absl::StatusOr<tls::Credential> c = tls::LoadCredential(cert, key);
    if (!c.ok()) return UsageError(kName, absl::StrCat("--cert/--key: ", c.status().message()));
    descriptions.push_back(absl::StrCat(cert, " (", c->Describe().ToString(), ", SHA-256 ",
                                        c->Sha256Fingerprint(), ")"));
    options.tls.credentials.push_back(std::move(*c));
  } else {
    if (self_signed.empty()) self_signed = "p256";
    for (absl::string_view name : absl::StrSplit(self_signed, ',', absl::SkipEmpty())) {
      absl::StatusOr<tls::KeyType> type = tls::ParseKeyType(name);
      if (!type.ok()) {
        return UsageError(kName, absl::StrCat("--self-signed: ", type.status().message()));
      }
      absl::StatusOr<tls::Credential> c = tls::GenerateSelfSigned(*type, options.hostname);
      if (!c.ok()) return UsageError(kName, c.status().message());
      descriptions.push_back(absl::StrCat("self-signed ", tls::KeyTypeName(*type), " CN=",
                                          options.hostname, " (SHA-256 ",
                                          c->Sha256Fingerprint(), ")"));
      options.tls.credentials.push_back(std::move(*c));
    }
  }

  options.threads = absl::GetFlag(FLAGS_threads);
  if (options.threads < 0) return UsageError(kName, "--threads must be 0 or more");
  options.max_connections = absl::GetFlag(FLAGS_max_connections);
  if (options.max_connections < 1) return UsageError(kName, "--max-connections must be >= 1");
  options.tls_timeout = absl::GetFlag(FLAGS_tls_timeout);
  options.command_timeout = absl::GetFlag(FLAGS_command_timeout);
  options.data_timeout = absl::GetFlag(FLAGS_data_timeout);
  for (const auto& [flag, d] : {std::pair{"tls-timeout", options.tls_timeout},
                                std::pair{"command-timeout", options.command_timeout},
                                std::pair{"data-timeout", options.data_timeout}}) {
    if (d <= absl::ZeroDuration()) {
      return UsageError(kName, absl::StrCat("--", flag, " must be positive"));
    }
  }
  std::string after_tls = absl::GetFlag(FLAGS_after_tls);
  if (after_tls.empty() || after_tls == "accept") {
    options.after_tls = server::ServerOptions::AfterTls::kAccept;
  } else if (after_tls == "close") {
    options.after_tls = server::ServerOptions::AfterTls::kClose;
  } else {
    return UsageError(kName, "--after-tls must be 'accept' or 'close'");
  }
  int64_t max_message = absl::GetFlag(FLAGS_max_message_size);
  if (max_message < 1) return UsageError(kName, "--max-message-size must be positive");
  options.max_message_size = static_cast<size_t>(max_message);
  options.stall_after = absl::GetFlag(FLAGS_stall_after);
  options.stall_for = absl::GetFlag(FLAGS_stall_for);
  options.stall_delay = absl::GetFlag(FLAGS_stall_delay);
  if (options.stall_after < absl::ZeroDuration() || options.stall_for < absl::ZeroDuration() ||
      options.stall_delay < absl::ZeroDuration()) {
    return UsageError(kName, "--stall-after, --stall-for and --stall-delay must be >= 0");
  }
  absl::Duration interval = absl::GetFlag(FLAGS_stats_interval);
  if (interval < absl::ZeroDuration()) return UsageError(kName, "--stats-interval must be >= 0");

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

}  // namespace mailshake::cli
