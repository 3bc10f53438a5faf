// mailshake cert: what an operator is told to check about a mail server's
// certificate, from a file or from a live server (STARTTLS or implicit TLS).

#include <errno.h>
#include <fcntl.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
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
#include "src/net/socket.h"
#include "src/smtp/dialogue.h"
#include "src/smtp/reply_parser.h"
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

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open '", path, "'"));
  std::string data(kMaxFileBytes + 1, '\0');
  in.read(data.data(), data.size());
  data.resize(in.gcount());
  if (data.size() > kMaxFileBytes) {
    return absl::InvalidArgumentError(absl::StrCat("'", path, "' is larger than 1 MiB"));
  }
  return data;
}

// Connects with a deadline and leaves the socket blocking with send and
// receive timeouts, so that every later step is bounded too.
absl::StatusOr<net::UniqueFd> Connect(const net::SocketAddress& address, absl::Duration timeout) {
  int err = 0;
  net::UniqueFd fd = net::StartConnect(address, nullptr, &err);
  if (!fd.valid()) {
    return absl::UnavailableError(absl::StrCat("connect to ", address.ToString(), ": ", strerror(err)));
  }
  pollfd p{fd.get(), POLLOUT, 0};
  int rc = poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  if (rc == 0) return absl::DeadlineExceededError(absl::StrCat("connect to ", address.ToString(), ": timed out"));
  err = net::TakeSocketError(fd.get());
  if (err != 0) {
    return absl::UnavailableError(absl::StrCat("connect to ", address.ToString(), ": ", strerror(err)));
  }
  fcntl(fd.get(), F_SETFL, fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  timeval tv = absl::ToTimeval(timeout);
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  return fd;
}

// Runs banner, EHLO, STARTTLS (unless implicit) and the handshake, keeps the
// certificates the server sent, and says QUIT.
absl::StatusOr<Fetched> FetchChain(const net::Target& target, const std::string& server_name,
                                   absl::Duration timeout) {
  absl::StatusOr<net::UniqueFd> fd = Connect(target.address, timeout);
  if (!fd.ok()) return fd.status();
  smtp::ClientOptions options;
  options.implicit_tls = target.implicit_tls;
  smtp::ClientDialogue dialogue(options);
  smtp::ReplyParser parser;
  tls::ClientConfig config;
  config.resumption = tls::ClientConfig::Resumption::kOff;
  config.server_name = server_name;
  absl::StatusOr<bssl::UniquePtr<SSL_CTX>> ctx = tls::NewClientContext(config);
  if (!ctx.ok()) return ctx.status();
  bssl::UniquePtr<SSL> ssl;
  Fetched fetched;
  std::string pending;
  smtp::Step step = dialogue.Start();
  for (;;) {
    switch (step.kind) {
      case smtp::Step::kDone:
        return fetched;
      case smtp::Step::kFail:
        if (!fetched.chain.empty()) return fetched;  // the certificate is what we came for
        return absl::FailedPreconditionError(absl::StrCat(
            "SMTP ", smtp::PhaseName(dialogue.phase()), ": ", smtp::FailureKindName(step.failure),
            step.reply_code != 0 ? absl::StrCat(" (", step.reply_code, ")") : ""));
      case smtp::Step::kSend: {
        int n = ssl ? SSL_write(ssl.get(), step.bytes.data(), static_cast<int>(step.bytes.size()))
                    : static_cast<int>(send(fd->get(), step.bytes.data(), step.bytes.size(), MSG_NOSIGNAL));
        if (n != static_cast<int>(step.bytes.size())) {
          if (!fetched.chain.empty()) return fetched;
          return absl::UnavailableError("the server closed the connection");
        }
        [[fallthrough]];
      }
      case smtp::Step::kWait: {
        for (;;) {
          size_t consumed = 0;
          smtp::ParseResult r = parser.Feed(pending, &consumed);
          pending.erase(0, consumed);
          if (r == smtp::ParseResult::kReply) break;
          if (r == smtp::ParseResult::kError) return parser.status();
          char buf[4096];
          int n = ssl ? SSL_read(ssl.get(), buf, sizeof(buf))
                      : static_cast<int>(recv(fd->get(), buf, sizeof(buf), 0));
          if (n <= 0) {
            if (!fetched.chain.empty()) return fetched;
            return absl::UnavailableError(absl::StrCat(
                "SMTP ", smtp::PhaseName(dialogue.phase()),
                n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? ": timed out"
                                                                    : ": connection closed"));
          }
          pending.append(buf, n);
        }
        step = dialogue.OnReply(parser.TakeReply(), /*more_received=*/!pending.empty());
        continue;
      }
      case smtp::Step::kStartTls: {
        absl::StatusOr<bssl::UniquePtr<SSL>> s = tls::NewClientConnection(ctx->get(), false);
        if (!s.ok()) return s.status();
        ssl = std::move(*s);
        SSL_set_fd(ssl.get(), fd->get());
        int rc = SSL_do_handshake(ssl.get());
        if (rc != 1) return tls::HandshakeFailure(ssl.get(), rc);
        fetched.info = tls::ReadHandshakeInfo(ssl.get());
        const STACK_OF(CRYPTO_BUFFER)* certs = SSL_get0_peer_certificates(ssl.get());
        for (size_t i = 0; certs != nullptr && i < sk_CRYPTO_BUFFER_num(certs); ++i) {
          const CRYPTO_BUFFER* b = sk_CRYPTO_BUFFER_value(certs, i);
          fetched.chain.emplace_back(reinterpret_cast<const char*>(CRYPTO_BUFFER_data(b)),
                                     CRYPTO_BUFFER_len(b));
        }
        if (fetched.chain.empty()) {
          return absl::FailedPreconditionError("the server sent no certificate");
        }
        step = dialogue.OnTlsEstablished();
        continue;
      }
    }
  }
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
    absl::StatusOr<std::string> data = ReadFile(what);
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
