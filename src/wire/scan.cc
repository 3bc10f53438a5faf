#include "src/wire/scan.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace mailshake::wire {

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kServerHello: return "server_hello";
    case Outcome::kHelloRetryRequest: return "hello_retry_request";
    case Outcome::kAlert: return "alert";
    case Outcome::kClosed: return "closed";
    case Outcome::kReset: return "reset";
    case Outcome::kTimeout: return "timeout";
    case Outcome::kConnectFailed: return "connect_failed";
    case Outcome::kSslv2: return "sslv2";
    case Outcome::kNotTls: return "not_tls";
    case Outcome::kMalformed: return "malformed";
    case Outcome::kOversized: return "oversized";
    case Outcome::kWriteFailed: return "write_failed";
  }
  return "unknown";
}

const char* AlpnAnswerName(AlpnAnswer answer) {
  switch (answer) {
    case AlpnAnswer::kUnknown: return "unknown";
    case AlpnAnswer::kIgnored: return "ignored";
    case AlpnAnswer::kSelected: return "selected";
    case AlpnAnswer::kRefused: return "refused";
  }
  return "unknown";
}

const char* TriName(Tri tri) {
  switch (tri) {
    case Tri::kYes: return "yes";
    case Tri::kNo: return "no";
    case Tri::kUnknown: return "unknown";
  }
  return "unknown";
}

const char* PreferenceName(Preference preference) {
  switch (preference) {
    case Preference::kServer: return "server";
    case Preference::kClient: return "client";
    case Preference::kUnknown: return "unknown";
  }
  return "unknown";
}

namespace {

// Milliseconds until |deadline| for poll(), at least 0.
int PollMillis(absl::Time deadline) {
  absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(absl::ToInt64Milliseconds(left + absl::Milliseconds(1)));
}

}  // namespace

Outcome ExchangeHello(int fd, absl::string_view hello, absl::Time deadline,
                      const FlightLimits& limits, ServerFlight* flight, std::string* detail) {
  detail->clear();
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  size_t written = 0;
  while (written < hello.size()) {
    ssize_t n = send(fd, hello.data() + written, hello.size() - written, MSG_NOSIGNAL);
    if (n > 0) {
      written += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd pfd{fd, POLLOUT, 0};
      int ms = PollMillis(deadline);
      if (ms == 0 || poll(&pfd, 1, ms) == 0) {
        *detail = "deadline passed while writing the ClientHello";
        *flight = ServerFlight{};
        return Outcome::kTimeout;
      }
      continue;
    }
    *detail = absl::StrCat("write: ", strerror(errno));
    *flight = ServerFlight{};
    return errno == ECONNRESET || errno == EPIPE ? Outcome::kReset : Outcome::kWriteFailed;
  }
  FlightReader reader(limits);
  char buf[16384];
  bool reset = false, eof = false, timeout = false;
  while (!reader.done()) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n > 0) {
      reader.Add(absl::string_view(buf, static_cast<size_t>(n)));
      continue;
    }
    if (n == 0) {
      eof = true;
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd pfd{fd, POLLIN, 0};
      int ms = PollMillis(deadline);
      if (ms == 0 || poll(&pfd, 1, ms) == 0) {
        timeout = true;
        break;
      }
      continue;
    }
    reset = true;
    *detail = absl::StrCat("read: ", strerror(errno));
    break;
  }
  reader.Finish();
  *flight = reader.flight();
  switch (flight->kind) {
    case ReplyKind::kServerHello:
      if (flight->truncated && detail->empty()) {
        *detail = flight->problem.empty()
                      ? std::string(timeout ? "flight incomplete at the deadline"
                                            : "connection ended inside the flight")
                      : flight->problem;
      }
      return Outcome::kServerHello;
    case ReplyKind::kHelloRetryRequest:
      return Outcome::kHelloRetryRequest;
    case ReplyKind::kAlert:
      *detail = AlertName(flight->alert->description);
      return Outcome::kAlert;
    case ReplyKind::kSslv2:
      *detail = flight->problem;
      return Outcome::kSslv2;
    case ReplyKind::kNotTls:
      *detail = "not TLS: " + PrintableBytes(flight->first_bytes);
      return Outcome::kNotTls;
    case ReplyKind::kMalformed:
      if (detail->empty()) *detail = flight->problem;
      if (reset) return Outcome::kReset;
      if (timeout) return Outcome::kTimeout;
      return Outcome::kMalformed;
    case ReplyKind::kOversized:
      *detail = flight->problem;
      return Outcome::kOversized;
    case ReplyKind::kIncomplete:
      break;
  }
  if (reset) return Outcome::kReset;
  if (eof) {
    *detail = "connection closed without a reply";
    return Outcome::kClosed;
  }
  *detail = "no reply before the deadline";
  return Outcome::kTimeout;
}

namespace {

constexpr size_t kChunk = 64;
constexpr uint8_t kAlertProtocolVersion = 70;
constexpr uint8_t kAlertInappropriateFallback = 86;

bool IsTlsAnswer(Outcome o) {
  return o == Outcome::kServerHello || o == Outcome::kHelloRetryRequest;
}

// A refusal is a clear "no": an alert, or a close without a word (some
// servers answer what they do not support that way).
bool IsRefusal(Outcome o) { return o == Outcome::kAlert || o == Outcome::kClosed; }

// Conditions are outcomes that say nothing about what the server accepts.
bool IsCondition(Outcome o) { return !IsTlsAnswer(o) && !IsRefusal(o); }

bool Contains(const std::vector<uint16_t>& v, uint16_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

void Remove(std::vector<uint16_t>* v, uint16_t x) {
  v->erase(std::remove(v->begin(), v->end(), x), v->end());
}

std::vector<uint16_t> FirstN(const std::vector<uint16_t>& v, size_t n) {
  return std::vector<uint16_t>(v.begin(), v.begin() + std::min(n, v.size()));
}

// The catalog groups a hello at |version| may offer (EC curves only with
// |ec_only|).
std::vector<uint16_t> GroupsValidAt(uint16_t version, bool ec_only);

// What one exchange returned to the step that asked for it.
struct Reply {
  int index = -1;
  Outcome outcome = Outcome::kTimeout;
  ServerFlight flight;
  bool aborted = false;  // not attempted: the scan was stopped

  const ServerHello* hello() const {
    return IsTlsAnswer(outcome) && flight.hello.has_value() ? &*flight.hello : nullptr;
  }
};

AlpnFinding AlpnOf(const Reply& r) {
  AlpnFinding f;
  f.evidence = r.index;
  if (const ServerHello* hello = r.hello()) {
    f.answer = hello->alpn.empty() ? AlpnAnswer::kIgnored : AlpnAnswer::kSelected;
    f.protocol = hello->alpn;
  } else if (r.outcome == Outcome::kAlert && r.flight.alert.has_value()) {
    f.answer = AlpnAnswer::kRefused;
    f.alert = r.flight.alert->description;
  }
  return f;
}

class Scanner {
 public:
  explicit Scanner(const ScanOptions& options) : options_(options), start_(absl::Now()) {}

  ScanResult Run();

 private:
  Reply Exchange1(std::string purpose, const ClientHelloSpec& spec);
  void Abort(std::string reason);  // requires mu_
  bool aborted() {
    std::lock_guard<std::mutex> lock(mu_);
    return result_.aborted;
  }
  ClientHelloSpec BaseHello(uint16_t version) const;
  std::vector<uint16_t> GroupsFor(uint16_t version, bool ec_only) const;

  void EnumerateSuites(uint16_t version, VersionFinding* vf, SuiteFinding* sf);
  void FindSuiteOrder(SuiteFinding* sf);
  void EnumerateGroups13(const SuiteFinding& suites, GroupFinding* gf);
  void EnumerateGroups12(const SuiteFinding& suites, GroupFinding* gf);
  void EnumerateSignatures12(const SuiteFinding& suites, SignatureFinding* sig);
  void EnumerateSignatures13(const SuiteFinding& suites, const GroupFinding& groups,
                             SignatureFinding* sig);
  void CheckExtras(const std::vector<SuiteFinding>& suites);
  void RunTasks(std::vector<std::function<void()>> tasks);

  const ScanOptions& options_;
  const absl::Time start_;
  std::mutex mu_;
  ScanResult result_;  // exchanges, conditions, aborted: guarded by mu_
  int consecutive_conditions_ = 0;
  // The first complete TLS <= 1.2 flight per version (facts, certificates).
  std::map<uint16_t, Reply> first_flight_;
};

void Scanner::Abort(std::string reason) {
  if (result_.aborted) return;
  result_.aborted = true;
  result_.abort_reason = std::move(reason);
}

Reply Scanner::Exchange1(std::string purpose, const ClientHelloSpec& spec) {
  Reply reply;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (static_cast<int>(result_.exchanges.size()) >= options_.max_exchanges) {
      Abort(absl::StrCat("exchange limit of ", options_.max_exchanges, " reached"));
    } else if (absl::Now() - start_ > options_.total_budget) {
      Abort(absl::StrCat("time budget of ", absl::FormatDuration(options_.total_budget),
                         " spent"));
    }
    if (result_.aborted) {
      reply.aborted = true;
      return reply;
    }
  }
  Exchange ex;
  ex.purpose = std::move(purpose);
  ex.offered_version =
      spec.supported_versions.empty() ? spec.legacy_version : spec.supported_versions[0];
  ex.offered_suites = spec.cipher_suites;
  ex.offered_groups = spec.groups;
  ex.offered_key_shares = spec.key_share_groups;
  ex.offered_signature_algorithms = spec.signature_algorithms;
  absl::Time t0 = absl::Now();
  absl::StatusOr<std::string> hello = WriteClientHello(spec);
  if (!hello.ok()) {
    ex.outcome = Outcome::kWriteFailed;
    ex.detail = std::string(hello.status().message());
  } else {
    absl::StatusOr<net::UniqueFd> fd = options_.connect(t0 + options_.connect_timeout);
    if (!fd.ok()) {
      ex.outcome = Outcome::kConnectFailed;
      ex.detail = std::string(fd.status().message());
    } else {
      ex.outcome = ExchangeHello(fd->get(), *hello, absl::Now() + options_.read_timeout,
                                 options_.limits, &reply.flight, &ex.detail);
      const ServerFlight& f = reply.flight;
      ex.alert = f.alert;
      if (f.hello.has_value()) {
        ex.version = f.hello->version;
        ex.cipher_suite = f.hello->cipher_suite;
        ex.group = f.hello->key_share_group;
        ex.downgrade_sentinel = f.hello->downgrade_sentinel;
      }
      if (f.server_key_exchange.has_value()) {
        if (f.server_key_exchange->named_curve != 0) ex.group = f.server_key_exchange->named_curve;
        ex.signature_algorithm = f.server_key_exchange->signature_algorithm;
        ex.dh_p_bits = f.server_key_exchange->dh_p_bits;
      }
      ex.flight_complete = f.server_hello_done;
      if (IsTlsAnswer(ex.outcome) && !Contains(spec.cipher_suites, ex.cipher_suite)) {
        // A server that picks what was not offered is broken; never count
        // its choice as "accepted".
        ex.outcome = Outcome::kMalformed;
        ex.detail = absl::StrFormat("server chose suite 0x%04x, which was not offered",
                                    ex.cipher_suite);
      }
    }
  }
  ex.elapsed = absl::Now() - t0;
  reply.outcome = ex.outcome;
  std::lock_guard<std::mutex> lock(mu_);
  ex.index = static_cast<int>(result_.exchanges.size());
  reply.index = ex.index;
  if (IsCondition(ex.outcome)) {
    result_.conditions.push_back(ex.index);
    if (++consecutive_conditions_ >= options_.max_consecutive_conditions) {
      Abort(absl::StrCat(consecutive_conditions_,
                         " consecutive exchanges without a TLS answer; last: ",
                         OutcomeName(ex.outcome), " (", ex.detail, ")"));
    }
  } else {
    consecutive_conditions_ = 0;
  }
  result_.exchanges.push_back(std::move(ex));
  return reply;
}

std::vector<uint16_t> Scanner::GroupsFor(uint16_t version, bool ec_only) const {
  return GroupsValidAt(version, ec_only);
}

std::vector<uint16_t> GroupsValidAt(uint16_t version, bool ec_only) {
  std::vector<uint16_t> out;
  for (const GroupInfo& g : Groups()) {
    if (g.min_version <= version && version <= g.max_version &&
        (!ec_only || g.kind == GroupKind::kEcdhe)) {
      out.push_back(g.id);
    }
  }
  return out;
}

ClientHelloSpec Scanner::BaseHello(uint16_t version) const {
  return DefaultHello(version, options_.server_name);
}

void Scanner::EnumerateSuites(uint16_t version, VersionFinding* vf, SuiteFinding* sf) {
  vf->version = version;
  sf->version = version;
  std::vector<uint16_t> all = SuitesForVersion(version);
  bool refused = false, condition = false, stop = false;
  for (size_t start = 0; start < all.size() && !stop; start += kChunk) {
    std::vector<uint16_t> chunk(all.begin() + start,
                                all.begin() + std::min(all.size(), start + kChunk));
    int number = static_cast<int>(start / kChunk) + 1;
    while (!chunk.empty()) {
      ClientHelloSpec spec = BaseHello(version);
      spec.cipher_suites = chunk;
      Reply r = Exchange1(absl::StrCat("suites ", VersionName(version), " chunk ", number), spec);
      if (r.aborted) {
        condition = stop = true;
        break;
      }
      sf->evidence.push_back(r.index);
      if (const ServerHello* h = r.hello()) {
        if (h->version != version) {
          // The server went below what was offered: it does not speak
          // |version| (RFC 5246 E.1, RFC 8446 4.2.1).
          refused = stop = true;
          if (vf->evidence < 0) vf->evidence = r.index;
          break;
        }
        sf->accepted.push_back(h->cipher_suite);
        Remove(&chunk, h->cipher_suite);
        if (vf->evidence < 0 || vf->accepted != Tri::kYes) vf->evidence = r.index;
        vf->accepted = Tri::kYes;
        if (version < kTls13 && r.flight.server_hello_done) {
          std::lock_guard<std::mutex> lock(mu_);
          if (!first_flight_.count(version)) first_flight_[version] = r;
        }
        continue;
      }
      if (IsRefusal(r.outcome)) {
        refused = true;
        if (vf->evidence < 0) vf->evidence = r.index;
        if (r.outcome == Outcome::kAlert && r.flight.alert.has_value() &&
            r.flight.alert->description == kAlertProtocolVersion && sf->accepted.empty()) {
          stop = true;  // the version itself is refused
        }
        break;
      }
      condition = true;
      if (vf->evidence < 0) vf->evidence = r.index;
      break;
    }
  }
  if (vf->accepted != Tri::kYes) vf->accepted = refused && !condition ? Tri::kNo : Tri::kUnknown;
  sf->complete = !condition;
}

void Scanner::FindSuiteOrder(SuiteFinding* sf) {
  if (sf->accepted.size() < 2) return;
  std::vector<uint16_t> forward = FirstN(sf->accepted, kChunk);
  std::vector<uint16_t> backward(forward.rbegin(), forward.rend());
  std::string name = VersionName(sf->version);
  ClientHelloSpec spec = BaseHello(sf->version);
  spec.cipher_suites = forward;
  Reply a = Exchange1(absl::StrCat("suite order ", name, " forward"), spec);
  spec = BaseHello(sf->version);
  spec.cipher_suites = backward;
  Reply b = Exchange1(absl::StrCat("suite order ", name, " reversed"), spec);
  for (const Reply* r : {&a, &b}) {
    if (r->index >= 0) sf->evidence.push_back(r->index);
  }
  if (a.hello() == nullptr || b.hello() == nullptr) return;
  uint16_t pa = a.hello()->cipher_suite, pb = b.hello()->cipher_suite;
  if (pa != pb) {
    if (pa == forward[0] && pb == backward[0]) sf->order = Preference::kClient;
    return;
  }
  // Server order: its choice from what is left, one by one.
  std::vector<uint16_t> ordered = {pa};
  std::vector<uint16_t> left = forward;
  Remove(&left, pa);
  while (left.size() > 1) {
    spec = BaseHello(sf->version);
    spec.cipher_suites = left;
    Reply r = Exchange1(absl::StrCat("suite order ", name, " rank ", ordered.size() + 1), spec);
    if (r.index >= 0) sf->evidence.push_back(r.index);
    if (r.hello() == nullptr) return;  // leave the order unknown
    ordered.push_back(r.hello()->cipher_suite);
    Remove(&left, r.hello()->cipher_suite);
  }
  ordered.insert(ordered.end(), left.begin(), left.end());
  for (uint16_t s : sf->accepted) {
    if (!Contains(ordered, s)) ordered.push_back(s);  // beyond the first 64
  }
  sf->accepted = ordered;
  sf->order = Preference::kServer;
}

// TLS 1.3: no key share at all, so the server must name its group in a
// HelloRetryRequest; remove it and ask again.
void Scanner::EnumerateGroups13(const SuiteFinding& suites, GroupFinding* gf) {
  gf->version = kTls13;
  std::vector<uint16_t> candidates = GroupsFor(kTls13, false);
  auto ask = [&](const std::vector<uint16_t>& groups, const std::string& purpose) {
    ClientHelloSpec spec = BaseHello(kTls13);
    spec.cipher_suites = suites.accepted;
    spec.groups = groups;
    spec.key_share_groups.clear();
    spec.send_empty_key_share = true;
    Reply r = Exchange1(purpose, spec);
    if (r.index >= 0) gf->evidence.push_back(r.index);
    return r;
  };
  std::vector<uint16_t> left = candidates;
  bool condition = false;
  while (!left.empty()) {
    Reply r = ask(left, absl::StrCat("groups TLSv1.3 rank ", gf->accepted.size() + 1));
    const ServerHello* h = r.hello();
    if (h != nullptr && h->key_share_group != 0 && Contains(left, h->key_share_group)) {
      gf->accepted.push_back(h->key_share_group);
      Remove(&left, h->key_share_group);
      continue;
    }
    condition = r.aborted || !IsRefusal(r.outcome);
    break;
  }
  gf->complete = !condition;
  if (!gf->accepted.empty()) gf->preferred = gf->accepted[0];
  if (gf->accepted.size() >= 2) {
    std::vector<uint16_t> backward(gf->accepted.rbegin(), gf->accepted.rend());
    Reply r = ask(backward, "groups TLSv1.3 reversed");
    if (const ServerHello* h = r.hello()) {
      if (h->key_share_group == gf->accepted[0]) gf->order = Preference::kServer;
      if (h->key_share_group == backward[0]) gf->order = Preference::kClient;
    }
  }
}

// TLS <= 1.2: ECDHE suites only, and read the curve off ServerKeyExchange.
void Scanner::EnumerateGroups12(const SuiteFinding& suites, GroupFinding* gf) {
  gf->version = suites.version;
  std::vector<uint16_t> ecdhe;
  for (uint16_t id : suites.accepted) {
    const CipherSuiteInfo* info = FindCipherSuite(id);
    if (info != nullptr && info->key_exchange == KeyExchange::kEcdhe) ecdhe.push_back(id);
  }
  if (ecdhe.empty()) return;
  ecdhe = FirstN(ecdhe, kChunk);
  std::string name = VersionName(suites.version);
  auto ask = [&](const std::vector<uint16_t>& groups, const std::string& purpose) {
    ClientHelloSpec spec = BaseHello(suites.version);
    spec.cipher_suites = ecdhe;
    spec.groups = groups;
    Reply r = Exchange1(purpose, spec);
    if (r.index >= 0) gf->evidence.push_back(r.index);
    return r;
  };
  std::vector<uint16_t> left = GroupsFor(suites.version, true);
  bool condition = false;
  while (!left.empty()) {
    Reply r = ask(left, absl::StrCat("groups ", name, " rank ", gf->accepted.size() + 1));
    const ServerHello* h = r.hello();
    uint16_t curve = r.flight.server_key_exchange.has_value()
                         ? r.flight.server_key_exchange->named_curve
                         : 0;
    if (h != nullptr && curve != 0 && Contains(left, curve)) {
      gf->accepted.push_back(curve);
      Remove(&left, curve);
      continue;
    }
    condition = r.aborted || !IsRefusal(r.outcome);
    break;
  }
  gf->complete = !condition;
  if (!gf->accepted.empty()) gf->preferred = gf->accepted[0];
  if (gf->accepted.size() >= 2) {
    std::vector<uint16_t> backward(gf->accepted.rbegin(), gf->accepted.rend());
    Reply r = ask(backward, absl::StrCat("groups ", name, " reversed"));
    if (r.flight.server_key_exchange.has_value()) {
      uint16_t curve = r.flight.server_key_exchange->named_curve;
      if (curve == gf->accepted[0]) gf->order = Preference::kServer;
      if (curve == backward[0]) gf->order = Preference::kClient;
    }
  }
}

void Scanner::EnumerateSignatures12(const SuiteFinding& suites, SignatureFinding* sig) {
  sig->version = suites.version;
  std::vector<uint16_t> signed_fs;
  for (uint16_t id : suites.accepted) {
    const CipherSuiteInfo* info = FindCipherSuite(id);
    if (info != nullptr && info->forward_secret() && !info->anonymous) signed_fs.push_back(id);
  }
  if (signed_fs.empty()) return;
  signed_fs = FirstN(signed_fs, kChunk);
  auto ask = [&](const std::vector<uint16_t>& algs, const std::string& purpose) {
    ClientHelloSpec spec = BaseHello(suites.version);
    spec.cipher_suites = signed_fs;
    spec.signature_algorithms = algs;
    Reply r = Exchange1(purpose, spec);
    if (r.index >= 0) sig->evidence.push_back(r.index);
    return r;
  };
  std::vector<uint16_t> left;
  for (const SignatureSchemeInfo& s : SignatureSchemes()) left.push_back(s.id);
  while (!left.empty()) {
    Reply r = ask(left, absl::StrCat("signature algorithms TLSv1.2 rank ", sig->accepted.size() + 1));
    uint16_t alg = r.flight.server_key_exchange.has_value()
                       ? r.flight.server_key_exchange->signature_algorithm
                       : 0;
    if (r.hello() != nullptr && alg != 0 && Contains(left, alg)) {
      sig->accepted.push_back(alg);
      Remove(&left, alg);
      continue;
    }
    break;
  }
  sig->accepts_sha1 = Tri::kNo;
  for (uint16_t a : sig->accepted) {
    const SignatureSchemeInfo* info = FindSignatureScheme(a);
    if (info != nullptr && info->hash == Hash::kSha1) sig->accepts_sha1 = Tri::kYes;
  }
  Reply r = ask({0x0201, 0x0203, 0x0202}, "signature algorithms TLSv1.2 SHA-1 only");
  if (r.hello() != nullptr && r.flight.server_key_exchange.has_value()) {
    sig->sha1_only = Tri::kYes;
  } else if (IsRefusal(r.outcome)) {
    sig->sha1_only = Tri::kNo;
  }
}

// TLS 1.3 signs in the encrypted CertificateVerify, so only acceptance can
// be seen: each scheme is offered alone, with a key share for a group the
// server accepts so that no HelloRetryRequest comes before its choice.
void Scanner::EnumerateSignatures13(const SuiteFinding& suites, const GroupFinding& groups,
                                    SignatureFinding* sig) {
  sig->version = kTls13;
  uint16_t share = 0;
  for (uint16_t g : groups.accepted) {
    const GroupInfo* info = FindGroup(g);
    if (info != nullptr && info->key_share_supported) {
      share = g;
      break;
    }
  }
  if (share == 0) return;
  auto ask = [&](const std::vector<uint16_t>& algs, const std::string& purpose) {
    ClientHelloSpec spec = BaseHello(kTls13);
    spec.cipher_suites = suites.accepted;
    spec.groups = {share};
    spec.key_share_groups = {share};
    spec.signature_algorithms = algs;
    Reply r = Exchange1(purpose, spec);
    if (r.index >= 0) sig->evidence.push_back(r.index);
    return r;
  };
  for (const SignatureSchemeInfo& s : SignatureSchemes()) {
    if (!s.tls13_allowed) continue;
    Reply r = ask({s.id}, absl::StrCat("signature algorithms TLSv1.3 ", s.name));
    if (r.aborted) return;
    if (r.outcome == Outcome::kServerHello) {
      sig->accepted.push_back(s.id);
    }
  }
  Reply r = ask({0x0201, 0x0203}, "signature algorithms TLSv1.3 SHA-1 only");
  if (r.outcome == Outcome::kServerHello) {
    sig->sha1_only = Tri::kYes;
    sig->accepts_sha1 = Tri::kYes;
  } else if (IsRefusal(r.outcome)) {
    sig->sha1_only = Tri::kNo;
    sig->accepts_sha1 = Tri::kNo;
  }
}

void Scanner::CheckExtras(const std::vector<SuiteFinding>& suites) {
  // Facts from the first complete flight of the highest TLS <= 1.2 version.
  const Reply* flight = nullptr;
  uint16_t version = 0;
  for (auto it = first_flight_.rbegin(); it != first_flight_.rend(); ++it) {
    flight = &it->second;
    version = it->first;
    break;
  }
  if (flight != nullptr && flight->flight.hello.has_value()) {
    const ServerHello& h = *flight->flight.hello;
    auto fact = [&](bool yes) { return Fact{yes ? Tri::kYes : Tri::kNo, flight->index}; };
    result_.secure_renegotiation = fact(h.renegotiation_info_valid);
    result_.extended_master_secret = fact(h.extended_master_secret);
    result_.session_ticket = fact(h.session_ticket);
    result_.ocsp_stapling = fact(flight->flight.ocsp_stapled);
    result_.certificates = flight->flight.certificates;
    // Compression: offer DEFLATE first.
    const SuiteFinding* sf = nullptr;
    for (const SuiteFinding& s : suites) {
      if (s.version == version) sf = &s;
    }
    if (sf != nullptr && !sf->accepted.empty()) {
      ClientHelloSpec spec = BaseHello(version);
      spec.cipher_suites = FirstN(sf->accepted, kChunk);
      spec.compression_methods = {1, 0};
      Reply r = Exchange1(absl::StrCat("compression ", VersionName(version)), spec);
      if (const ServerHello* hello = r.hello()) {
        result_.compression = Fact{hello->compression_method != 0 ? Tri::kYes : Tri::kNo, r.index};
      }
      spec.compression_methods = {0};
      spec.alpn = {"smtp"};
      result_.alpn_smtp = AlpnOf(Exchange1(absl::StrCat("ALPN smtp ", VersionName(version)), spec));
      spec.alpn = {"h2", "http/1.1"};
      result_.alpn_foreign =
          AlpnOf(Exchange1(absl::StrCat("ALPN h2, http/1.1 ", VersionName(version)), spec));
    }
  }
  // TLS_FALLBACK_SCSV: offer the second-highest accepted version with it.
  std::vector<const SuiteFinding*> accepted;
  for (const SuiteFinding& s : suites) {
    if (!s.accepted.empty()) accepted.push_back(&s);
  }
  std::sort(accepted.begin(), accepted.end(),
            [](const SuiteFinding* a, const SuiteFinding* b) { return a->version > b->version; });
  if (accepted.size() >= 2 && accepted[1]->version >= kTls10) {
    ClientHelloSpec spec = BaseHello(accepted[1]->version);
    spec.cipher_suites = FirstN(accepted[1]->accepted, kChunk);
    spec.fallback_scsv = true;
    Reply r = Exchange1(absl::StrCat("fallback SCSV ", VersionName(accepted[1]->version)), spec);
    if (r.outcome == Outcome::kAlert && r.flight.alert.has_value() &&
        r.flight.alert->description == kAlertInappropriateFallback) {
      result_.fallback_scsv = Fact{Tri::kYes, r.index};
    } else if (r.hello() != nullptr) {
      result_.fallback_scsv = Fact{Tri::kNo, r.index};
    }
  }
}

void Scanner::RunTasks(std::vector<std::function<void()>> tasks) {
  size_t workers = std::min<size_t>(static_cast<size_t>(options_.connections), tasks.size());
  if (workers <= 1) {
    for (auto& t : tasks) t();
    return;
  }
  std::mutex next_mu;
  size_t next = 0;
  std::vector<std::thread> threads;
  for (size_t i = 0; i < workers; i++) {
    threads.emplace_back([&] {
      for (;;) {
        size_t mine;
        {
          std::lock_guard<std::mutex> lock(next_mu);
          if (next == tasks.size()) return;
          mine = next++;
        }
        tasks[mine]();
      }
    });
  }
  for (auto& t : threads) t.join();
}

ScanResult Scanner::Run() {
  const std::vector<uint16_t>& versions = options_.versions;
  std::vector<VersionFinding> vfs(versions.size());
  std::vector<SuiteFinding> sfs(versions.size());
  // Versions from the highest down: a dead server is found at the first step.
  std::vector<std::function<void()>> tasks;
  for (size_t i = versions.size(); i-- > 0;) {
    tasks.push_back([this, i, &versions, &vfs, &sfs] {
      if (options_.enumerate_suites) {
        EnumerateSuites(versions[i], &vfs[i], &sfs[i]);
      }
    });
  }
  RunTasks(std::move(tasks));
  tasks.clear();
  std::vector<GroupFinding> groups(sfs.size());
  std::vector<SignatureFinding> sigs(sfs.size());
  std::vector<bool> has_groups(sfs.size()), has_sigs(sfs.size());
  // Groups and signature algorithms at TLS 1.3 and at the highest TLS <= 1.2.
  int best12 = -1;
  for (size_t i = 0; i < sfs.size(); i++) {
    if (!sfs[i].accepted.empty() && sfs[i].version < kTls13 && sfs[i].version >= kTls10 &&
        (best12 < 0 || sfs[i].version > sfs[best12].version)) {
      best12 = static_cast<int>(i);
    }
  }
  // Order finding reorders |accepted| while the group and signature steps,
  // possibly on other threads, read their own copy.
  std::vector<SuiteFinding> snapshot = sfs;
  for (size_t i = 0; i < sfs.size(); i++) {
    if (sfs[i].accepted.empty()) continue;
    SuiteFinding* order = &sfs[i];
    const SuiteFinding* sf = &snapshot[i];
    if (options_.find_server_order) tasks.push_back([this, order] { FindSuiteOrder(order); });
    if (options_.enumerate_groups && sf->version == kTls13) {
      has_groups[i] = true;
      tasks.push_back([this, sf, g = &groups[i]] { EnumerateGroups13(*sf, g); });
    }
    if (static_cast<int>(i) == best12) {
      if (options_.enumerate_groups) {
        has_groups[i] = true;
        tasks.push_back([this, sf, g = &groups[i]] { EnumerateGroups12(*sf, g); });
      }
      if (options_.enumerate_signature_algorithms && sf->version == kTls12) {
        has_sigs[i] = true;
        tasks.push_back([this, sf, s = &sigs[i]] { EnumerateSignatures12(*sf, s); });
      }
    }
  }
  RunTasks(std::move(tasks));
  tasks.clear();
  std::vector<SignatureFinding> sigs13(sfs.size());
  for (size_t i = 0; i < sfs.size(); i++) {
    if (options_.enumerate_signature_algorithms && sfs[i].version == kTls13 &&
        !sfs[i].accepted.empty() && has_groups[i]) {
      EnumerateSignatures13(snapshot[i], groups[i], &sigs13[i]);
      sigs[i] = sigs13[i];
      has_sigs[i] = true;
    }
  }
  if (options_.check_extras && !aborted()) CheckExtras(sfs);
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < versions.size(); i++) {
    result_.versions.push_back(vfs[i]);
    if (!sfs[i].accepted.empty()) result_.suites.push_back(sfs[i]);
    if (has_groups[i]) result_.groups.push_back(groups[i]);
    if (has_sigs[i]) result_.signature_algorithms.push_back(sigs[i]);
  }
  std::set<uint16_t> dh;
  for (const Exchange& e : result_.exchanges) {
    if (e.dh_p_bits > 0) {
      if (dh.insert(static_cast<uint16_t>(e.dh_p_bits)).second && result_.dh_evidence < 0) {
        result_.dh_evidence = e.index;
      }
    }
  }
  result_.dh_p_bits.assign(dh.begin(), dh.end());
  result_.elapsed = absl::Now() - start_;
  return std::move(result_);
}

}  // namespace

ClientHelloSpec DefaultHello(uint16_t version, absl::string_view server_name) {
  ClientHelloSpec s;
  if (version == kSsl3) {
    s.record_version = kSsl3;
    s.legacy_version = kSsl3;
    s.no_extensions = true;
    s.renegotiation_scsv = true;
    return s;
  }
  s.record_version = kTls10;
  s.server_name = std::string(server_name);
  for (const SignatureSchemeInfo& sig : SignatureSchemes()) {
    s.signature_algorithms.push_back(sig.id);
  }
  s.groups = GroupsValidAt(version, false);
  if (version >= kTls13) {
    s.legacy_version = kTls12;
    s.supported_versions = {version};
    s.key_share_groups = {kGroupX25519};
    s.session_id.assign(32, '\0');
    RAND_bytes(reinterpret_cast<uint8_t*>(&s.session_id[0]), 32);
  } else {
    s.legacy_version = version;
    s.ec_point_formats = true;
    s.renegotiation_info = true;
    s.extended_master_secret = true;
    s.session_ticket = true;
    s.status_request = true;
  }
  return s;
}

absl::StatusOr<ScanResult> Scan(const ScanOptions& options) {
  if (!options.connect) return absl::InvalidArgumentError("ScanOptions.connect is not set");
  if (options.connections < 1 || options.connections > 64) {
    return absl::InvalidArgumentError("ScanOptions.connections must be in 1..64");
  }
  for (uint16_t v : options.versions) {
    if (v < kSsl3 || v > kTls13) {
      return absl::InvalidArgumentError(absl::StrCat("ScanOptions.versions: unknown version ", v));
    }
  }
  Scanner scanner(options);
  return scanner.Run();
}

}  // namespace mailshake::wire
