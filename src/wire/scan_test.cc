// The scanner against `openssl s_server` (OpenSSL 3) on loopback, configured
// with known versions, suites, groups and preference, and against hostile
// peers (silence, garbage, resets) from a tiny in-test server.

#include "src/wire/scan.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "src/net/address.h"
#include "src/net/socket.h"
#include "src/tls/tls.h"
#include "src/wire/testing.h"

extern char** environ;

namespace mailshake::wire {
namespace {

// Connects to 127.0.0.1:|port| by |deadline|.
absl::StatusOr<net::UniqueFd> ConnectLoopback(uint16_t port, absl::Time deadline) {
  net::SocketAddress address = net::SocketAddress::FromIpv4(0x7f000001, port);
  int error = 0;
  net::UniqueFd fd = net::StartConnect(address, nullptr, &error);
  if (!fd.valid()) return absl::UnavailableError(absl::StrCat("connect: ", strerror(error)));
  pollfd pfd{fd.get(), POLLOUT, 0};
  int ms = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
  if (poll(&pfd, 1, ms < 0 ? 0 : ms) != 1) return absl::DeadlineExceededError("connect timeout");
  if (int e = net::TakeSocketError(fd.get()); e != 0) {
    return absl::UnavailableError(absl::StrCat("connect: ", strerror(e)));
  }
  return fd;
}

uint16_t FreePort() {
  absl::StatusOr<net::UniqueFd> l =
      net::Listen(net::SocketAddress::FromIpv4(0x7f000001, 0), 1, false);
  EXPECT_TRUE(l.ok());
  return net::LocalAddress(l->get())->port();
}

std::string TempDir() {
  const char* t = std::getenv("TEST_TMPDIR");
  return t != nullptr ? t : "/tmp";
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

// OpenSslServer runs `timeout 120 openssl s_server` with |args| on a free
// loopback port; the destructor kills it (it also dies by itself).
class OpenSslServer {
 public:
  explicit OpenSslServer(std::vector<std::string> args) : port_(FreePort()) {
    std::vector<std::string> argv = {"timeout", "120", "openssl", "s_server", "-accept",
                                     absl::StrCat("127.0.0.1:", port_), "-quiet"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (std::string& a : argv) cargv.push_back(&a[0]);
    cargv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    // The machine's openssl.cnf would raise the floor (MinProtocol, SECLEVEL).
    std::vector<std::string> env = {"OPENSSL_CONF=/dev/null", "PATH=/usr/bin:/bin"};
    std::vector<char*> cenv;
    for (std::string& e : env) cenv.push_back(&e[0]);
    cenv.push_back(nullptr);
    int rc = posix_spawnp(&pid_, "timeout", &actions, nullptr, cargv.data(), cenv.data());
    posix_spawn_file_actions_destroy(&actions);
    EXPECT_EQ(rc, 0);
    // Wait until it listens.
    for (int i = 0; i < 200; i++) {
      absl::StatusOr<net::UniqueFd> fd =
          ConnectLoopback(port_, absl::Now() + absl::Milliseconds(100));
      if (fd.ok()) {
        ready_ = true;
        break;
      }
      usleep(20000);
    }
  }
  ~OpenSslServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool ready() const { return ready_; }
  uint16_t port() const { return port_; }

 private:
  uint16_t port_;
  pid_t pid_ = -1;
  bool ready_ = false;
};

class Credentials {
 public:
  Credentials() {
    dir_ = TempDir();
    absl::StatusOr<tls::Credential> rsa = tls::GenerateSelfSigned(tls::KeyType::kRsa2048, "mx.test");
    EXPECT_TRUE(rsa.ok());
    cert_ = dir_ + "/rsa.crt";
    key_ = dir_ + "/rsa.key";
    WriteFile(cert_, *tls::ChainToPem(*rsa));
    WriteFile(key_, *tls::PrivateKeyToPem(*rsa));
    dh_ = dir_ + "/ffdhe2048.pem";
    std::string cmd = "OPENSSL_CONF=/dev/null openssl genpkey -genparam -algorithm DH "
                      "-pkeyopt dh_param:ffdhe2048 -out " + dh_ + " 2>/dev/null";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
  }
  std::vector<std::string> Args() const { return {"-cert", cert_, "-key", key_}; }
  const std::string& dh() const { return dh_; }

 private:
  std::string dir_, cert_, key_, dh_;
};

const Credentials& Creds() {
  static const Credentials* c = new Credentials();
  return *c;
}

ScanOptions OptionsFor(uint16_t port) {
  ScanOptions o;
  o.connect = [port](absl::Time deadline) { return ConnectLoopback(port, deadline); };
  o.server_name = "mx.test";
  o.connect_timeout = absl::Seconds(2);
  o.read_timeout = absl::Seconds(2);
  return o;
}

const VersionFinding& Version(const ScanResult& r, uint16_t v) {
  for (const VersionFinding& f : r.versions) {
    if (f.version == v) return f;
  }
  static VersionFinding none;
  return none;
}

const SuiteFinding* Suites(const ScanResult& r, uint16_t v) {
  for (const SuiteFinding& f : r.suites) {
    if (f.version == v) return &f;
  }
  return nullptr;
}

const GroupFinding* GroupsAt(const ScanResult& r, uint16_t v) {
  for (const GroupFinding& f : r.groups) {
    if (f.version == v) return &f;
  }
  return nullptr;
}

std::string Describe(const ScanResult& r) {
  std::string out;
  for (const Exchange& e : r.exchanges) {
    absl::StrAppend(&out, e.index, " ", e.purpose, ": ", OutcomeName(e.outcome), " ", e.detail,
                    " v=", VersionName(e.version), absl::StrFormat(" suite=0x%04x", e.cipher_suite),
                    " group=", e.group, "\n");
  }
  return out;
}

TEST(ScanTest, ModernServerWithServerPreference) {
  std::vector<std::string> args = Creds().Args();
  for (const char* a :
       {"-no_tls1", "-no_tls1_1", "-cipher",
        "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256",
        "-ciphersuites", "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256", "-groups",
        "P-256:X25519", "-serverpref"}) {
    args.push_back(a);
  }
  OpenSslServer server(args);
  ASSERT_TRUE(server.ready());
  absl::StatusOr<ScanResult> r = Scan(OptionsFor(server.port()));
  ASSERT_TRUE(r.ok()) << r.status();
  SCOPED_TRACE(Describe(*r));
  EXPECT_FALSE(r->aborted) << r->abort_reason;
  EXPECT_TRUE(r->conditions.empty());
  EXPECT_EQ(Version(*r, kSsl3).accepted, Tri::kNo);
  EXPECT_EQ(Version(*r, kTls10).accepted, Tri::kNo);
  EXPECT_EQ(Version(*r, kTls11).accepted, Tri::kNo);
  EXPECT_EQ(Version(*r, kTls12).accepted, Tri::kYes);
  EXPECT_EQ(Version(*r, kTls13).accepted, Tri::kYes);
  const SuiteFinding* s12 = Suites(*r, kTls12);
  ASSERT_NE(s12, nullptr);
  EXPECT_EQ(s12->order, Preference::kServer);
  EXPECT_EQ(s12->accepted, (std::vector<uint16_t>{0xcca8, 0xc030, 0xc02f}));
  EXPECT_TRUE(s12->complete);
  const SuiteFinding* s13 = Suites(*r, kTls13);
  ASSERT_NE(s13, nullptr);
  EXPECT_EQ(s13->order, Preference::kServer);
  EXPECT_EQ(s13->accepted, (std::vector<uint16_t>{0x1302, 0x1303}));
  const GroupFinding* g13 = GroupsAt(*r, kTls13);
  ASSERT_NE(g13, nullptr);
  // OpenSSL names the HelloRetryRequest group from its own list.
  EXPECT_EQ(g13->accepted, (std::vector<uint16_t>{23, 29}));
  EXPECT_EQ(g13->order, Preference::kServer);
  EXPECT_EQ(g13->preferred, 23);
  const GroupFinding* g12 = GroupsAt(*r, kTls12);
  ASSERT_NE(g12, nullptr);
  EXPECT_EQ(g12->accepted, (std::vector<uint16_t>{23, 29}));
  EXPECT_EQ(g12->order, Preference::kServer);
  ASSERT_EQ(r->signature_algorithms.size(), 2u);
  const SignatureFinding& sig12 = r->signature_algorithms[0];
  EXPECT_EQ(sig12.version, kTls12);
  EXPECT_EQ(sig12.accepts_sha1, Tri::kNo);
  EXPECT_EQ(sig12.sha1_only, Tri::kNo);
  EXPECT_FALSE(sig12.accepted.empty());
  const SignatureFinding& sig13 = r->signature_algorithms[1];
  EXPECT_EQ(sig13.version, kTls13);
  // An RSA key signs TLS 1.3 handshakes with RSA-PSS (rsae) only.
  EXPECT_EQ(sig13.accepted, (std::vector<uint16_t>{0x0804, 0x0805, 0x0806}));
  EXPECT_EQ(sig13.sha1_only, Tri::kNo);
  EXPECT_EQ(r->secure_renegotiation.value, Tri::kYes);
  EXPECT_EQ(r->extended_master_secret.value, Tri::kYes);
  EXPECT_EQ(r->compression.value, Tri::kNo);
  // s_server without -alpn ignores ALPN, whatever is offered.
  EXPECT_EQ(r->alpn_smtp.answer, AlpnAnswer::kIgnored);
  EXPECT_EQ(r->alpn_foreign.answer, AlpnAnswer::kIgnored);
  EXPECT_EQ(r->fallback_scsv.value, Tri::kYes);
  EXPECT_EQ(r->certificates.size(), 1u);
  EXPECT_TRUE(r->dh_p_bits.empty());
  std::printf("modern s_server scan: %zu exchanges in %s (connections=1)\n", r->exchanges.size(),
              absl::FormatDuration(r->elapsed).c_str());
}

TEST(ScanTest, LegacyServerWithDheAndClientPreference) {
  std::vector<std::string> args = Creds().Args();
  for (const std::string& a :
       {std::string("-min_protocol"), std::string("TLSv1"), std::string("-no_tls1_3"),
        std::string("-cipher"),
        std::string("DHE-RSA-AES128-SHA:AES128-SHA:ECDHE-RSA-AES256-SHA:CAMELLIA128-SHA:"
                    "ARIA128-GCM-SHA256:@SECLEVEL=0"),
        std::string("-dhparam"), Creds().dh(), std::string("-alpn"), std::string("h2")}) {
    args.push_back(a);
  }
  OpenSslServer server(args);
  ASSERT_TRUE(server.ready());
  absl::StatusOr<ScanResult> r = Scan(OptionsFor(server.port()));
  ASSERT_TRUE(r.ok()) << r.status();
  SCOPED_TRACE(Describe(*r));
  EXPECT_FALSE(r->aborted) << r->abort_reason;
  // s_server -alpn h2 refuses "smtp" with no_application_protocol (as Exim
  // does) and selects h2 when offered: an HTTP/2 endpoint, not SMTP.
  EXPECT_EQ(r->alpn_smtp.answer, AlpnAnswer::kRefused);
  EXPECT_EQ(r->alpn_smtp.alert, 120);
  EXPECT_EQ(r->alpn_foreign.answer, AlpnAnswer::kSelected);
  EXPECT_EQ(r->alpn_foreign.protocol, "h2");
  EXPECT_EQ(Version(*r, kSsl3).accepted, Tri::kNo);
  EXPECT_EQ(Version(*r, kTls13).accepted, Tri::kNo);
  for (uint16_t v : {kTls10, kTls11, kTls12}) {
    EXPECT_EQ(Version(*r, v).accepted, Tri::kYes) << VersionName(v);
    const SuiteFinding* s = Suites(*r, v);
    ASSERT_NE(s, nullptr) << VersionName(v);
    std::set<uint16_t> expected = {0x0033, 0x002f, 0xc014, 0x0041};
    if (v == kTls12) expected.insert(0xc050);  // ARIA-GCM is TLS 1.2 only
    EXPECT_EQ(std::set<uint16_t>(s->accepted.begin(), s->accepted.end()), expected)
        << VersionName(v);
    EXPECT_EQ(s->order, Preference::kClient) << VersionName(v);
  }
  EXPECT_EQ(r->dh_p_bits, std::vector<uint16_t>{2048});
  EXPECT_EQ(r->fallback_scsv.value, Tri::kYes);
  const GroupFinding* g12 = GroupsAt(*r, kTls12);
  ASSERT_NE(g12, nullptr);
  EXPECT_EQ(g12->order, Preference::kClient);
  // OpenSSL 3.0's default curves.
  EXPECT_EQ(std::set<uint16_t>(g12->accepted.begin(), g12->accepted.end()),
            (std::set<uint16_t>{23, 24, 25, 29, 30}));
  ASSERT_EQ(r->signature_algorithms.size(), 1u);
  EXPECT_EQ(r->signature_algorithms[0].sha1_only, Tri::kYes);  // SECLEVEL=0
  EXPECT_EQ(r->signature_algorithms[0].accepts_sha1, Tri::kYes);
}

TEST(ScanTest, DheSuitesAndFfdheGroupsInServerOrder) {
  std::vector<std::string> args = Creds().Args();
  for (const std::string& a :
       {std::string("-no_tls1"), std::string("-no_tls1_1"), std::string("-cipher"),
        std::string("DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256"),
        std::string("-ciphersuites"), std::string("TLS_AES_128_GCM_SHA256"), std::string("-groups"),
        std::string("ffdhe3072:ffdhe2048:X25519"), std::string("-serverpref"),
        std::string("-dhparam"), Creds().dh()}) {
    args.push_back(a);
  }
  OpenSslServer server(args);
  ASSERT_TRUE(server.ready());
  absl::StatusOr<ScanResult> r = Scan(OptionsFor(server.port()));
  ASSERT_TRUE(r.ok()) << r.status();
  SCOPED_TRACE(Describe(*r));
  EXPECT_FALSE(r->aborted) << r->abort_reason;
  const SuiteFinding* s12 = Suites(*r, kTls12);
  ASSERT_NE(s12, nullptr);
  EXPECT_EQ(s12->accepted, (std::vector<uint16_t>{0x009f, 0xccaa, 0x009e}));
  EXPECT_EQ(s12->order, Preference::kServer);
  EXPECT_EQ(r->dh_p_bits, std::vector<uint16_t>{2048});
  const SuiteFinding* s13 = Suites(*r, kTls13);
  ASSERT_NE(s13, nullptr);
  EXPECT_EQ(s13->accepted, std::vector<uint16_t>{0x1301});
  const GroupFinding* g13 = GroupsAt(*r, kTls13);
  ASSERT_NE(g13, nullptr);
  EXPECT_EQ(g13->accepted, (std::vector<uint16_t>{257, 256, 29}));
  EXPECT_EQ(g13->order, Preference::kServer);
  // No ECDHE suite at TLS 1.2: no curve to enumerate there.
  EXPECT_EQ(GroupsAt(*r, kTls12)->accepted.size(), 0u);
}

TEST(ScanTest, ParallelConnectionsFindTheSameAnswers) {
  std::vector<std::string> args = Creds().Args();
  for (const char* a : {"-cipher", "ECDHE-RSA-AES256-GCM-SHA384:AES128-SHA:ECDHE-RSA-AES128-SHA",
                        "-serverpref", "-min_protocol", "TLSv1.2"}) {
    args.push_back(a);
  }
  OpenSslServer server(args);
  ASSERT_TRUE(server.ready());
  ScanOptions o = OptionsFor(server.port());
  absl::StatusOr<ScanResult> one = Scan(o);
  o.connections = 4;
  absl::StatusOr<ScanResult> four = Scan(o);
  ASSERT_TRUE(one.ok() && four.ok());
  SCOPED_TRACE(Describe(*four));
  for (uint16_t v : {kSsl3, kTls10, kTls11, kTls12, kTls13}) {
    EXPECT_EQ(Version(*one, v).accepted, Version(*four, v).accepted) << VersionName(v);
  }
  ASSERT_NE(Suites(*four, kTls12), nullptr);
  EXPECT_EQ(Suites(*four, kTls12)->accepted, (std::vector<uint16_t>{0xc030, 0x002f, 0xc013}));
  EXPECT_EQ(Suites(*one, kTls12)->accepted, Suites(*four, kTls12)->accepted);
  EXPECT_EQ(Suites(*one, kTls13)->accepted.size(), Suites(*four, kTls13)->accepted.size());
}

// The inodes of this process's TCP sockets that a descriptor still holds,
// from the kernel's tables: a socket whose last descriptor was closed is
// orphaned (FIN_WAIT, TIME_WAIT) and listed with inode 0. Reading the tables
// touches no descriptor, so it cannot race with the scanner's own closes.
std::set<ino_t> HeldTcpSocketInodes() {
  std::set<ino_t> held;
  for (const char* table : {"/proc/self/net/tcp", "/proc/self/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string field;
      for (int i = 0; i < 10 && (fields >> field); i++) {
      }
      ino_t inode = 0;
      if (!field.empty() && absl::SimpleAtoi(field, &inode) && inode != 0) held.insert(inode);
    }
  }
  return held;
}

// InFlightCounter wraps a Connector and records, at each new connection, how
// many connections it returned earlier are still held open (by their socket
// inodes, read while the descriptor is still the wrapper's own) plus how many
// other connects are under way. The scanner calls it from all of its
// connection threads at once, so every field is guarded by mu_.
class InFlightCounter {
 public:
  Connector Wrap(Connector inner) {
    return [this, inner](absl::Time deadline) -> absl::StatusOr<net::UniqueFd> {
      {
        // The table is read under the lock, so a thread that closed its last
        // socket and is now connecting is counted once: in the table, or in
        // connecting_, never in both.
        std::lock_guard<std::mutex> lock(mu_);
        const std::set<ino_t> held = HeldTcpSocketInodes();
        int open = connecting_;
        for (ino_t inode : returned_) open += held.count(inode);
        max_open_ = std::max(max_open_, open);
        connecting_++;
      }
      absl::StatusOr<net::UniqueFd> fd = inner(deadline);
      struct stat st;
      const bool have_inode = fd.ok() && fstat(fd->get(), &st) == 0;
      std::lock_guard<std::mutex> lock(mu_);
      connecting_--;
      if (have_inode) returned_.push_back(st.st_ino);
      connections_++;
      return fd;
    };
  }
  // The most connections open at once, counting the one being opened.
  int max_in_flight() const {
    std::lock_guard<std::mutex> lock(mu_);
    return max_open_ + 1;
  }
  int connections() const {
    std::lock_guard<std::mutex> lock(mu_);
    return connections_;
  }

 private:
  mutable std::mutex mu_;  // not absl::Mutex: Debian's Abseil is not built for TSan
  std::vector<ino_t> returned_;
  int connecting_ = 0;
  int max_open_ = 0;
  int connections_ = 0;
};

TEST(ScanTest, ConnectionsInFlightNeverExceedTheOption) {
  std::vector<std::string> args = Creds().Args();
  for (const char* a : {"-cipher", "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA", "-min_protocol", "TLSv1.2"}) {
    args.push_back(a);
  }
  OpenSslServer server(args);
  ASSERT_TRUE(server.ready());
  for (int connections : {1, 3}) {
    SCOPED_TRACE(connections);
    InFlightCounter counter;
    ScanOptions o = OptionsFor(server.port());
    o.connections = connections;
    o.connect = counter.Wrap(o.connect);
    absl::StatusOr<ScanResult> r = Scan(o);
    ASSERT_TRUE(r.ok());
    EXPECT_GT(counter.connections(), 20);
    // The default (1) is gentle: one connection at a time, never two.
    EXPECT_LE(counter.max_in_flight(), connections);
    if (connections > 1) EXPECT_GT(counter.max_in_flight(), 1);  // the counter can see overlap
  }
}

// What `openssl ciphers -V -s -tls1_2 CIPHERS` lists: (id, OpenSSL name) in
// OpenSSL's order for |cipher_string| (TLS 1.3 suites left out).
std::vector<std::pair<uint16_t, std::string>> OpenSslCipherList(const std::string& cipher_string) {
  std::string cmd = "OPENSSL_CONF=/dev/null openssl ciphers -V -s -tls1_2 '" + cipher_string + "'";
  FILE* p = popen(cmd.c_str(), "r");
  std::vector<std::pair<uint16_t, std::string>> out;
  if (p == nullptr) return out;
  char line[512];
  while (std::fgets(line, sizeof(line), p) != nullptr) {
    unsigned hi, lo;
    char name[128];
    if (std::sscanf(line, " 0x%x,0x%x - %127s", &hi, &lo, name) == 3 && hi != 0x13) {
      out.emplace_back(static_cast<uint16_t>(hi << 8 | lo), name);
    }
  }
  pclose(p);
  return out;
}

// Every TLS 1.2 suite OpenSSL 3 has for an RSA certificate, in server order:
// the scan must find exactly OpenSSL's own list, in its order, and the
// catalog must know each suite by OpenSSL's name.
TEST(ScanTest, FindsOpenSslsWholeSuiteListInItsOrder) {
  const std::string ciphers = "ALL:!PSK:!SRP:!aECDSA:!aDSS:@SECLEVEL=0";
  std::vector<std::pair<uint16_t, std::string>> expected = OpenSslCipherList(ciphers);
  ASSERT_GT(expected.size(), 40u);
  std::vector<uint16_t> ids;
  for (const auto& [id, name] : expected) {
    const CipherSuiteInfo* info = FindCipherSuite(id);
    ASSERT_NE(info, nullptr) << name;
    EXPECT_STREQ(info->openssl_name, name.c_str());
    ids.push_back(id);
  }
  std::vector<std::string> args = Creds().Args();
  for (const std::string& a : {std::string("-min_protocol"), std::string("TLSv1.2"),
                               std::string("-no_tls1_3"), std::string("-cipher"), ciphers,
                               std::string("-serverpref")}) {
    args.push_back(a);
  }
  OpenSslServer server(args);
  ASSERT_TRUE(server.ready());
  absl::StatusOr<ScanResult> r = Scan(OptionsFor(server.port()));
  ASSERT_TRUE(r.ok()) << r.status();
  SCOPED_TRACE(Describe(*r));
  EXPECT_TRUE(r->conditions.empty());
  const SuiteFinding* s12 = Suites(*r, kTls12);
  ASSERT_NE(s12, nullptr);
  EXPECT_TRUE(s12->complete);
  EXPECT_EQ(s12->order, Preference::kServer);
  EXPECT_EQ(s12->accepted, ids);
  std::printf("whole-list s_server scan: %zu suites, %zu exchanges in %s (connections=1)\n",
              ids.size(), r->exchanges.size(), absl::FormatDuration(r->elapsed).c_str());
}

TEST(ScanTest, RejectsBadOptions) {
  ScanOptions o;
  EXPECT_FALSE(Scan(o).ok());
  o = OptionsFor(1);
  o.connections = 0;
  EXPECT_FALSE(Scan(o).ok());
  o = OptionsFor(1);
  o.versions = {0x0305};
  EXPECT_FALSE(Scan(o).ok());
}

// A hostile peer on loopback: |reply| is written after the ClientHello
// arrives (empty: silence until closed; "RST": reset; "DRIBBLE:x": x one
// byte every 50 ms; "CLOSE:x": x, then an orderly close).
class HostilePeer {
 public:
  explicit HostilePeer(std::string reply) : reply_(std::move(reply)) {
    absl::StatusOr<net::UniqueFd> l =
        net::Listen(net::SocketAddress::FromIpv4(0x7f000001, 0), 16, false);
    EXPECT_TRUE(l.ok());
    listener_ = std::move(*l);
    port_ = net::LocalAddress(listener_.get())->port();
    thread_ = std::thread([this] { Serve(); });
  }
  ~HostilePeer() {
    stop_ = true;
    thread_.join();
  }
  uint16_t port() const { return port_; }

 private:
  void Serve() {
    std::vector<net::UniqueFd> open;
    while (!stop_) {
      pollfd pfd{listener_.get(), POLLIN, 0};
      if (poll(&pfd, 1, 20) != 1) continue;
      net::UniqueFd fd(net::AcceptNonBlocking(listener_.get()));
      if (!fd.valid()) continue;
      char buf[4096];
      pollfd in{fd.get(), POLLIN, 0};
      poll(&in, 1, 1000);
      (void)!recv(fd.get(), buf, sizeof(buf), 0);
      absl::string_view reply = reply_;
      if (reply_ == "RST") {
        net::SetLingerZero(fd.get());
        continue;  // closing sends RST
      }
      if (absl::ConsumePrefix(&reply, "DRIBBLE:")) {
        // A tarpit: one byte every 50 ms until the client goes away.
        for (char c : reply) {
          if (stop_ || send(fd.get(), &c, 1, MSG_NOSIGNAL) != 1) break;
          usleep(50000);
        }
        continue;
      }
      const bool close_after = absl::ConsumePrefix(&reply, "CLOSE:");
      if (!reply.empty()) (void)!send(fd.get(), reply.data(), reply.size(), MSG_NOSIGNAL);
      if (close_after) continue;     // orderly close right after the reply
      open.push_back(std::move(fd));  // keep silent peers open
    }
  }

  std::string reply_;
  net::UniqueFd listener_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

ScanResult ScanHostile(const std::string& reply) {
  HostilePeer peer(reply);
  ScanOptions o = OptionsFor(peer.port());
  o.read_timeout = absl::Milliseconds(200);
  absl::StatusOr<ScanResult> r = Scan(o);
  EXPECT_TRUE(r.ok());
  return *r;
}

void ExpectNothingAccepted(const ScanResult& r) {
  for (const VersionFinding& v : r.versions) {
    EXPECT_NE(v.accepted, Tri::kYes) << VersionName(v.version);
  }
  EXPECT_TRUE(r.suites.empty());
}

TEST(ScanHostileTest, SilenceIsATimeoutAndStopsTheScan) {
  absl::Time t0 = absl::Now();
  ScanResult r = ScanHostile("");
  ExpectNothingAccepted(r);
  EXPECT_TRUE(r.aborted);
  ASSERT_FALSE(r.exchanges.empty());
  EXPECT_EQ(r.exchanges[0].outcome, Outcome::kTimeout);
  EXPECT_LT(absl::Now() - t0, absl::Seconds(5));
}

TEST(ScanHostileTest, SmtpReplyIsNotTls) {
  ScanResult r = ScanHostile("421 4.7.0 Try again later\r\n");
  ExpectNothingAccepted(r);
  ASSERT_FALSE(r.exchanges.empty());
  EXPECT_EQ(r.exchanges[0].outcome, Outcome::kNotTls);
  EXPECT_NE(r.exchanges[0].detail.find("421"), std::string::npos);
  EXPECT_EQ(Version(r, kTls13).accepted, Tri::kUnknown);
}

TEST(ScanHostileTest, ResetIsReported) {
  ScanResult r = ScanHostile("RST");
  ExpectNothingAccepted(r);
  ASSERT_FALSE(r.exchanges.empty());
  EXPECT_EQ(r.exchanges[0].outcome, Outcome::kReset);
}

TEST(ScanHostileTest, OversizedRecordIsReported) {
  ScanResult r = ScanHostile(std::string("\x16\x03\x03\xff\xff", 5) + std::string(1000, 'a'));
  ExpectNothingAccepted(r);
  EXPECT_EQ(r.exchanges[0].outcome, Outcome::kOversized);
}

TEST(ScanHostileTest, TruncatedRecordThenCloseIsMalformed) {
  // A record header promising 100 bytes, 10 of them, then EOF.
  ScanResult r = ScanHostile(std::string("CLOSE:\x16\x03\x03\x00\x64", 11) + std::string(10, 'a'));
  ExpectNothingAccepted(r);
  ASSERT_FALSE(r.exchanges.empty());
  EXPECT_EQ(r.exchanges[0].outcome, Outcome::kMalformed) << Describe(r);
  EXPECT_NE(r.exchanges[0].detail.find("15 bytes"), std::string::npos) << r.exchanges[0].detail;
}

TEST(ScanHostileTest, AlertIsARefusalNotAnError) {
  // handshake_failure (40), fatal: the answer to every hello.
  ScanResult r = ScanHostile(std::string("CLOSE:\x15\x03\x03\x00\x02\x02\x28", 13));
  ExpectNothingAccepted(r);
  ASSERT_FALSE(r.exchanges.empty());
  for (const Exchange& e : r.exchanges) {
    EXPECT_EQ(e.outcome, Outcome::kAlert) << Describe(r);
    ASSERT_TRUE(e.alert.has_value()) << Describe(r);
    EXPECT_EQ(e.alert->description, 40) << Describe(r);
  }
  // A refusal is an answer, not silence: the scan is not aborted.
  EXPECT_FALSE(r.aborted);
}

TEST(ScanHostileTest, TarpitNeverCountsAsAccepted) {
  // A valid TLS 1.2 answer, but dribbled slower than the read deadline.
  std::string flight = testing::Records(
      22, kTls12,
      testing::HandshakeMessage(2, testing::EncodeServerHello(testing::ServerHelloFor(kTls12, 0xc02f))) +
          testing::HandshakeMessage(14, ""));
  absl::Time t0 = absl::Now();
  ScanResult r = ScanHostile("DRIBBLE:" + flight);
  ExpectNothingAccepted(r);
  ASSERT_FALSE(r.exchanges.empty());
  EXPECT_EQ(r.exchanges[0].outcome, Outcome::kTimeout);
  EXPECT_TRUE(r.aborted);
  EXPECT_LT(absl::Now() - t0, absl::Seconds(5));
}

TEST(ScanHostileTest, RefusedConnectionsAbortQuickly) {
  ScanOptions o = OptionsFor(FreePort());
  absl::StatusOr<ScanResult> r = Scan(o);
  ASSERT_TRUE(r.ok());
  ExpectNothingAccepted(*r);
  EXPECT_TRUE(r->aborted);
  EXPECT_EQ(r->exchanges[0].outcome, Outcome::kConnectFailed);
  EXPECT_EQ(static_cast<int>(r->exchanges.size()), o.max_consecutive_conditions);
}

}  // namespace
}  // namespace mailshake::wire
