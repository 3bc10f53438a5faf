// mailshake probe: what a sending mail server gets from this one, and whether
// a policy allows it. The work is src/probe's; this file turns flags into
// ProbeOptions and prints.

#include <unistd.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/cli/cli.h"
#include "src/cli/flags.h"
#include "src/html/probe_page.h"
#include "src/io/file_io.h"
#include "src/net/address.h"
#include "src/probe/policy.h"
#include "src/probe/probe.h"
#include "src/probe/render.h"
#include "src/x509/x509.h"

namespace mailshake::cli {
namespace {

constexpr char kName[] = "probe";

// Exit statuses of probe (README): the chosen policy passes, fails, bad
// usage, or the target could not be probed.
constexpr int kPass = 0;
constexpr int kFail = 1;
constexpr int kNotProbed = 3;

absl::Status CheckPolicy(absl::string_view name) {
  for (const std::string& p : probe::PolicyNames()) {
    if (p == name) return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown policy; expected one of ", absl::StrJoin(probe::PolicyNames(), ", ")));
}

absl::Status CheckRules(absl::string_view name) { return x509::ParseNameRules(name).status(); }

}  // namespace

int RunProbe(const std::vector<std::string>& argv) {
  std::string policy = "exchange-online", rules = "rfc9525", host_rules = "rfc9525";
  std::string ca = "/etc/ssl/certs", servername, json_path, html_path, color = "auto";
  std::vector<std::string> names;
  int connections = 1;
  bool scan = true;
  absl::Duration connect_timeout = absl::Seconds(5), reply_timeout = absl::Seconds(10);
  absl::Duration tarpit = absl::Seconds(3);
  FlagSet flags(kName, "smtp://HOST:PORT|smtps://HOST:PORT",
                "What a sending mail server gets from this one (STARTTLS, versions, suites, "
                "groups, certificate, injection) with the evidence, and whether --policy allows "
                "it. Exit status: 0 pass, 1 fail, 2 bad usage, 3 not probed.");
  flags.Positional(1, 1);
  std::vector<std::string> policy_choices = probe::PolicyNames();
  flags.Choice("policy", &policy, policy_choices, "the policy whose verdict sets the exit status");
  flags.List("name", &names, "NAME",
             "another name the certificate must be valid for (a partner's TlsDomain, an "
             "MTA-STS mx pattern, a Postfix nexthop), checked under --rules",
             PrintableWord(253));
  flags.Choice("rules", &rules, {"rfc9525", "rfc6125", "mta-sts", "postfix", "exchange"},
               "name rules for --name");
  flags.Choice("host-rules", &host_rules, {"rfc9525", "rfc6125", "mta-sts", "postfix", "exchange"},
               "name rules for the host dialled");
  flags.String("ca", &ca, "FILE|DIR",
               "trust anchors: a PEM file or a hashed directory (default /etc/ssl/certs)",
               CheckPath);
  flags.String("servername", &servername, "NAME",
               "SNI to send (default: the host dialled when it is a name, none for an address)",
               CheckDnsName);
  flags.Int("connections", &connections, 1, 16,
            "connections in flight at once during the TLS scan (gentle by default)");
  flags.Bool("scan", &scan, "run the TLS scan (versions, suites, groups, ...); --no-scan skips it");
  flags.Duration("connect-timeout", &connect_timeout, absl::Milliseconds(10), absl::Minutes(5),
                 "deadline for each TCP connect");
  flags.Duration("reply-timeout", &reply_timeout, absl::Milliseconds(10), absl::Minutes(5),
                 "deadline for each SMTP reply, TLS handshake and ClientHello answer");
  flags.Duration("tarpit", &tarpit, absl::Milliseconds(1), absl::Minutes(5),
                 "a banner slower than this is reported as a tarpit");
  flags.OptionalValue("json", &json_path, "-", "FILE",
                      "write mailshake.probe/v1 JSON to FILE or standard output (the report "
                      "then goes to standard error)",
                      CheckPath);
  flags.OptionalValue("html", &html_path, "-", "FILE",
                      "write the probe page (self-contained HTML: verdict, policies, charts, "
                      "findings with evidence) to FILE or standard output",
                      CheckPath);
  flags.Choice("color", &color, {"auto", "always", "never"}, "colour in the terminal report");
  std::vector<std::string> args;
  if (std::optional<int> exit = flags.Parse(argv, &args)) return *exit;
  if (absl::Status s = CheckPolicy(policy); !s.ok()) return UsageError(kName, s.message());
  if (absl::Status s = io::CheckOutputPaths({{"json", json_path}, {"html", html_path}});
      !s.ok()) {
    return UsageError(kName, s.message());
  }
  for (const std::string& r : {rules, host_rules}) {
    if (absl::Status s = CheckRules(r); !s.ok()) return UsageError(kName, s.message());
  }
  if (!absl::StartsWith(args[0], "smtp://") && !absl::StartsWith(args[0], "smtps://")) {
    return UsageError(kName, "the target is smtp://HOST:PORT or smtps://HOST:PORT");
  }
  absl::StatusOr<net::Target> target = net::ParseTarget(args[0]);
  if (!target.ok()) return UsageError(kName, target.status().message());

  probe::ProbeOptions options;
  options.target = *target;
  options.host_rules = *x509::ParseNameRules(host_rules);
  for (const std::string& n : names) {
    options.names.push_back({n, *x509::ParseNameRules(rules)});
  }
  options.trust_anchors = ca;
  options.server_name = servername;
  if (servername.empty() && !net::SocketAddress::FromIp(target->host, 0).ok()) {
    options.server_name = target->host;
  }
  options.deadlines.connect = connect_timeout;
  options.deadlines.reply = reply_timeout;
  options.deadlines.tarpit = tarpit;
  options.scan = scan;
  options.connections = connections;
  absl::StatusOr<probe::ProbeReport> report = probe::Probe(options);
  if (!report.ok()) return UsageError(kName, report.status().message());

  probe::Outputs out;
  out.tool_version = kMailshakeVersion;
  out.report = *std::move(report);
  out.findings = probe::Findings(out.report);
  const wire::ScanResult* scanned = out.report.scan.has_value() ? &*out.report.scan : nullptr;
  out.policies.push_back(*probe::Judge(policy, out.report, scanned));
  for (const std::string& p : probe::PolicyNames()) {
    if (p != policy) out.policies.push_back(*probe::Judge(p, out.report, scanned));
  }

  FILE* text = io::IsStandardOutput(json_path) || io::IsStandardOutput(html_path) ? stderr : stdout;
  const bool tty = color == "always" || (color == "auto" && isatty(fileno(text)));
  std::fputs(probe::FormatText(out, tty).c_str(), text);
  if (!json_path.empty()) {
    std::fflush(text);
    if (absl::Status s = io::WriteOutput(json_path, probe::ToJson(out).dump() + "\n"); !s.ok()) {
      std::fprintf(stderr, "mailshake probe: --json: %s\n", std::string(s.message()).c_str());
      return kNotProbed;
    }
  }
  if (!html_path.empty()) {
    std::fflush(text);
    if (absl::Status s = io::WriteOutput(html_path, html::RenderProbePage(out)); !s.ok()) {
      std::fprintf(stderr, "mailshake probe: --html: %s\n", std::string(s.message()).c_str());
      return kNotProbed;
    }
  }
  if (!probe::Probed(out.report)) return kNotProbed;
  return out.policies[0].verdict == probe::Verdict::kPass ? kPass : kFail;
}

MAILSHAKE_SUBCOMMAND("probe",
                     "what a sending server gets from a mail server, with evidence, judged by a "
                     "policy",
                     RunProbe);

}  // namespace mailshake::cli
