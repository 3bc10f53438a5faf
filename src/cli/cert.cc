// mailshake cert: what an operator is told to check about a mail server's
// certificate, from a file or from a live server (STARTTLS or implicit TLS).

#include <openssl/ssl.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "src/cli/cli.h"
#include "src/cli/flags.h"
#include "src/io/file_io.h"
#include "src/net/address.h"
#include "src/probe/session.h"
#include "src/smtp/dialogue.h"
#include "src/tls/tls.h"
#include "src/x509/summary.h"
#include "src/x509/x509.h"

namespace mailshake::cli {
namespace {

constexpr char kName[] = "cert";
constexpr size_t kMaxFileBytes = 1 << 20;

// What a live server sent: its chain as DER, leaf first, and the handshake.
struct Fetched {
  std::vector<std::string> chain;
  tls::HandshakeInfo info;
};

// Runs banner, EHLO, STARTTLS (unless implicit) and the handshake over
// src/probe's Session (the probe's own connection logic), keeps the
// certificates the server sent, and says QUIT. Everything ends by |timeout|
// from the start.
absl::StatusOr<Fetched> FetchChain(const net::Target& target, const std::string& server_name,
                                   absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  tls::ClientConfig config;
  config.resumption = tls::ClientConfig::Resumption::kOff;
  config.server_name = server_name;
  absl::StatusOr<bssl::UniquePtr<SSL_CTX>> ctx = tls::NewClientContext(config);
  if (!ctx.ok()) return ctx.status();
  absl::StatusOr<std::unique_ptr<probe::Session>> session =
      probe::Session::Open(target.address, deadline);
  if (!session.ok()) return session.status();
  probe::Session* s = session->get();
  probe::ReachedTls reached;
  if (absl::Status r = probe::ReachTls(s, target.implicit_tls, smtp::ClientOptions(), timeout,
                                       &reached, deadline);
      !r.ok()) {
    return r;
  }
  if (absl::Status h = s->Handshake(ctx->get(), deadline); !h.ok()) return h;
  Fetched fetched;
  fetched.info = tls::ReadHandshakeInfo(s->ssl());
  fetched.chain = s->PeerChain();
  if (fetched.chain.empty()) return absl::FailedPreconditionError("the server sent no certificate");
  // The certificate is what we came for: QUIT's fate does not matter.
  if (s->Send("QUIT\r\n", "quit", deadline).ok()) (void)s->ReadReply("quit", deadline);
  return fetched;
}

}  // namespace

int RunCert(const std::vector<std::string>& argv) {
  std::string name, servername, json_path;
  absl::Duration timeout = absl::Seconds(10);
  FlagSet flags(kName, "FILE|smtp://HOST:PORT|smtps://HOST:PORT",
                "What operators check about a certificate (root issuer, name, organization, "
                "key strength, validity, SANs, signature algorithm, chain), from a PEM or DER "
                "file or a live server.");
  flags.Positional(1, 1);
  flags.String("name", &name, "NAME",
               "host name the certificate must be valid for (default: the host dialled; none "
               "for a file)",
               PrintableWord(253));
  flags.Duration("timeout", &timeout, absl::Milliseconds(1), absl::Hours(1),
                 "deadline for the whole exchange with a server (connect, SMTP, handshake)");
  flags.String("servername", &servername, "NAME",
               "SNI to send (default: the host dialled when it is a name, none for an address)",
               CheckDnsName);
  flags.OptionalValue("json", &json_path, "-", "FILE",
                      "print the summary as JSON, to standard output or to FILE", CheckPath);
  std::vector<std::string> args;
  if (std::optional<int> exit = flags.Parse(argv, &args)) return *exit;
  if (absl::Status s = io::CheckOutputPaths({{"json", json_path}}); !s.ok()) {
    return UsageError(kName, s.message());
  }
  x509::SummaryOptions options;
  std::vector<std::string> ders;
  std::optional<Fetched> fetched;
  const std::string& what = args[0];
  if (absl::StartsWith(what, "smtp://") || absl::StartsWith(what, "smtps://")) {
    absl::StatusOr<net::Target> target = net::ParseTarget(what);
    if (!target.ok()) return UsageError(kName, target.status().message());
    std::string sni = servername;
    bool literal = net::SocketAddress::FromIp(target->host, 0).ok();
    if (sni.empty() && !literal) sni = target->host;
    if (name.empty()) name = target->host;
    absl::StatusOr<Fetched> f = FetchChain(*target, sni, timeout);
    if (!f.ok()) {
      std::fprintf(stderr, "mailshake cert: %s: %s\n", target->ToString().c_str(),
                   std::string(f.status().message()).c_str());
      return 1;
    }
    fetched = std::move(*f);
    ders = fetched->chain;
  } else {
    if (flags.WasSet("servername")) return UsageError(kName, "--servername needs a server");
    if (flags.WasSet("timeout")) return UsageError(kName, "--timeout needs a server");
    if (absl::Status s = CheckReadableFile(what); !s.ok()) return UsageError(kName, s.message());
    absl::StatusOr<std::string> data = io::ReadFileBounded(what, kMaxFileBytes);
    if (!data.ok()) return UsageError(kName, data.status().message());
    if (absl::StrContains(*data, "-----BEGIN")) {
      absl::StatusOr<std::vector<std::string>> pem = x509::DecodePemCertificates(*data);
      if (!pem.ok()) {
        std::fprintf(stderr, "mailshake cert: %s: %s\n", what.c_str(),
                     std::string(pem.status().message()).c_str());
        return 1;
      }
      ders = std::move(*pem);
    } else {
      ders.push_back(std::move(*data));
    }
  }
  std::vector<x509::Certificate> chain;
  for (size_t i = 0; i < ders.size(); ++i) {
    absl::StatusOr<x509::Certificate> cert = x509::ParseCertificate(ders[i]);
    if (!cert.ok()) {
      std::fprintf(stderr, "mailshake cert: certificate %zu of %zu: %s\n", i + 1, ders.size(),
                   std::string(cert.status().message()).c_str());
      return 1;
    }
    chain.push_back(std::move(*cert));
  }
  if (!name.empty()) options.host_name = name;
  x509::Summary summary = x509::Summarize(chain, options);
  if (!json_path.empty()) {
    nlohmann::json j = x509::ToJson(summary);
    if (fetched.has_value()) {
      j["tls"] = {{"version", tls::VersionName(fetched->info.version)},
                  {"cipher_suite", tls::CipherName(fetched->info.cipher_suite)},
                  {"group", tls::GroupName(fetched->info.group)},
                  {"signature_algorithm", tls::SigalgName(fetched->info.signature_algorithm)}};
    }
    if (absl::Status s = io::WriteOutput(json_path, j.dump(2) + "\n"); !s.ok()) {
      std::fprintf(stderr, "mailshake cert: --json: %s\n", std::string(s.message()).c_str());
      return 1;
    }
  } else {
    if (fetched.has_value()) {
      std::printf("%s: %s\n\n", what.c_str(), fetched->info.ToString().c_str());
    }
    std::fputs(x509::FormatText(summary).c_str(), stdout);
  }
  return 0;
}

MAILSHAKE_SUBCOMMAND("cert",
                     "what operators check about a certificate, from a file or a live server",
                     RunCert);

}  // namespace mailshake::cli
