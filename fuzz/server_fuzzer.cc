// The embedded server itself (src/server), in Dovecot's fuzz-smtp-server
// style: one server worker (server/testing.h's SteppedWorker, the code a
// server thread runs) serves one end of a socketpair, and its loop is stepped
// on this thread while the harness plays the client on the other end, with
// the client side of TLS in memory (a BIO pair, as src/tls/memory_pair).
//
// Input: one flags octet, then client actions until the input ends:
//
//   op & 7   action
//   0        bytes: length, then that many octets, written to the socket
//            as they are (plaintext, or garbage inside TLS)
//   1        start the client's TLS handshake
//   2        bytes inside TLS: length, then the octets, given to SSL_write
//            (sent as plaintext while TLS has not completed)
//   3        half-close: shutdown(SHUT_WR)
//   4        idle: one octet choosing a duration (1 s, 1 h, each deadline
//            or 1 ns less) by which the worker's virtual clock moves; the
//            timers due by then fire, and idles add up
//   5        stop or resume reading the server's output
//   6        client TLS close_notify
//   7        nothing (the server is stepped, as after every action)
//
// A length is one octet, or two (big-endian) when op has its 0x80 bit set.
// With the 0x40 bit, ops 0 and 2 only hand the bytes to the socket without
// stepping the server, so they arrive together with what the next action
// sends (pipelining across actions, data and a half-close in one read).
// With the 0x20 bit, one more octet r follows the length: the bytes are
// sent 16 * (r + 1) times, up to 8 KiB (long pipelines within max_len).
// Flags: bit 0 implicit TLS (port 465) instead of STARTTLS, bit 1 the client
// offers at most TLS 1.2, bit 2 small socket buffers (partial writes, output
// backing up), bit 3 a full handshake (by default the client resumes).
//
// After every action the server and the client are stepped until neither
// moves a byte. Oracles, checked throughout and at the end:
//  - Plaintext injection and reply content: what the server sent in
//    plaintext is a prefix of what a reference ServerDialogue answers to the
//    whole plaintext stream (the reference stops at STARTTLS, so nothing
//    pipelined behind STARTTLS may be answered), followed only by TLS records
//    and only after an accepted STARTTLS; what came inside TLS is a prefix of
//    what a fresh post-STARTTLS reference dialogue answers to the bytes sent
//    inside TLS. A timeout's 421 may end either.
//  - Replies are well-formed SMTP (ReplyParser: code, continuation, CR LF,
//    line and reply limits).
//  - Bounded output queue: the server never reads input while more than
//    SteppedWorker::MaxQueuedOutputBeforeRead() octets of output wait.
//  - Deadlines, on the worker's virtual clock (exact, and no real time
//    passes): an open connection always has a deadline armed, of at most
//    the longest configured duration; a timeout closure only once its own
//    deadline's duration has passed since the deadline was armed (seen as
//    the armed deadline changing after a step); nothing overdue stays armed;
//    an idle period longer than every deadline leaves no connection open.
//  - Accounting: at the end the connection is closed and counted exactly
//    once (connections = sum of closed, open = 0), handshakes and messages
//    agree with what the client saw.

#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/sockios.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "fuzz/fuzz_check.h"
#include "src/server/server.h"
#include "src/server/testing.h"
#include "src/smtp/dialogue.h"
#include "src/smtp/reply_parser.h"
#include "src/tls/tls.h"

namespace {

using mailshake::server::ServerStats;
using mailshake::server::SteppedWorker;
namespace smtp = mailshake::smtp;
namespace tls = mailshake::tls;

constexpr char kHostname[] = "fuzz.mailshake.test";
constexpr size_t kMaxMessageSize = 32 * 1024;
const absl::Duration kTlsTimeout = absl::Seconds(5);
const absl::Duration kCommandTimeout = absl::Seconds(20);
const absl::Duration kDataTimeout = absl::Seconds(40);
const absl::Duration kNano = absl::Nanoseconds(1);
// Replies a socket with default buffers takes whole (the half-close check).
constexpr size_t kCompleteBound = 64 * 1024;
// The most reply octets one octet of client input can cause ("EHLO c" CR LF,
// 8 octets, gets about 125), with room to spare.
constexpr size_t kMaxReplyOctetsPerInputOctet = 32;
// Client-side bookkeeping is bounded too.
constexpr size_t kMaxClientPending = 4 << 20;

struct Setup {
  std::unique_ptr<SteppedWorker> worker;
  bssl::UniquePtr<SSL_CTX> client_ctx;
  bssl::UniquePtr<SSL_CTX> client_ctx12;
};

Setup* MakeSetup() {
  // Inputs grow and free buffers of up to a few hundred KiB; returning them
  // to the kernel every time costs more than the rest of an input.
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  // As mailshake's main does: the server's TLS writes go through write(2),
  // and a client gone away must be an error, not a signal.
  signal(SIGPIPE, SIG_IGN);
  auto* setup = new Setup;
  mailshake::server::ServerOptions options;
  options.hostname = kHostname;
  options.max_message_size = kMaxMessageSize;
  options.tls_timeout = kTlsTimeout;
  options.command_timeout = kCommandTimeout;
  options.data_timeout = kDataTimeout;
  absl::StatusOr<tls::Credential> credential =
      tls::GenerateSelfSigned(tls::KeyType::kEcdsaP256, kHostname);
  FUZZ_CHECK(credential.ok(), "%s", credential.status().ToString().c_str());
  options.tls.credentials.push_back(*std::move(credential));
  absl::StatusOr<std::unique_ptr<SteppedWorker>> worker = SteppedWorker::Create(options);
  FUZZ_CHECK(worker.ok(), "%s", worker.status().ToString().c_str());
  setup->worker = *std::move(worker);
  // The client keeps the newest session and offers it (flags bit 3 asks
  // for a full handshake): resumption skips the certificate and its
  // signatures, which would otherwise cost most of an input's time. Only
  // the first TLS input of a process, or one after a failed handshake,
  // therefore differs between runs, in BoringSSL and not in the server.
  tls::ClientConfig client;
  client.resumption = tls::ClientConfig::Resumption::kTicket;
  absl::StatusOr<bssl::UniquePtr<SSL_CTX>> ctx = tls::NewClientContext(client);
  FUZZ_CHECK(ctx.ok(), "%s", ctx.status().ToString().c_str());
  setup->client_ctx = *std::move(ctx);
  client.max_version = TLS1_2_VERSION;
  ctx = tls::NewClientContext(client);
  FUZZ_CHECK(ctx.ok(), "%s", ctx.status().ToString().c_str());
  setup->client_ctx12 = *std::move(ctx);
  return setup;
}

smtp::ServerOptions DialogueOptions(bool implicit_tls) {
  smtp::ServerOptions o;
  o.hostname = kHostname;
  o.starttls_offered = !implicit_tls;
  o.implicit_tls = implicit_tls;
  o.max_message_size = kMaxMessageSize;
  return o;
}

std::string TimeoutReply() {
  smtp::ServerDialogue d(DialogueOptions(false));
  std::string out;
  d.OnTimeout(&out);
  return out;
}

uint64_t SumClosed(const ServerStats& s) {
  uint64_t n = 0;
  for (const auto& [reason, count] : s.closed) n += count;
  return n;
}

uint64_t Closed(const ServerStats& s, const char* reason) {
  auto it = s.closed.find(reason);
  return it == s.closed.end() ? 0 : it->second;
}

// Unread octets the client has sent (AF_UNIX: not yet read by the server).
int OutQueue(int fd) {
  int n = 0;
  if (ioctl(fd, SIOCOUTQ, &n) != 0) return 0;
  return n;
}

int Readable(int fd) {
  int n = 0;
  if (ioctl(fd, FIONREAD, &n) != 0) return 0;
  return n;
}

// Checks that |stream| is a sequence of well-formed replies (ReplyParser,
// default limits), the last one possibly cut short.
//
// A server's output repeats a few distinct replies (a pipeline of 3,000
// EHLOs gets 3,000 identical ones, and parsing them was most of such an
// input's time), so each distinct reply is parsed once per stream: the
// stream is cut where a reply ends by RFC 5321 4.2 (a line ending in CR LF
// that is three octets long or whose fourth octet is a space); a piece
// already seen is skipped, any other goes to a fresh ReplyParser, which must
// take it whole as one reply (its verdict on a reply does not depend on the
// replies before: TakeReply leaves it ready for the next). From the first
// piece it does not take whole (a line ending it reads differently, the
// last reply cut short), the rest of the stream is parsed as one, as before.
void CheckReplies(absl::string_view stream, const char* what) {
  absl::flat_hash_set<absl::string_view> seen;
  smtp::ReplyParser parser;
  size_t start = 0;  // of the current piece
  size_t pos = 0;
  while (pos < stream.size()) {
    const size_t eol = stream.find("\r\n", pos);
    if (eol == absl::string_view::npos) break;
    const size_t line = eol - pos;
    pos = eol + 2;
    if (line != 3 && (line < 4 || stream[eol - line + 3] != ' ')) continue;
    const absl::string_view piece = stream.substr(start, pos - start);
    if (!seen.contains(piece)) {
      size_t consumed = 0;
      parser.Reset();
      const smtp::ParseResult r = parser.Feed(piece, &consumed);
      FUZZ_CHECK(r != smtp::ParseResult::kError, "%s reply malformed: %s", what,
                 parser.status().ToString().c_str());
      if (r != smtp::ParseResult::kReply || consumed != piece.size()) break;
      parser.TakeReply();
      seen.insert(piece);
    }
    start = pos;
  }
  absl::string_view rest = stream.substr(start);
  parser.Reset();
  while (!rest.empty()) {
    size_t consumed = 0;
    smtp::ParseResult r = parser.Feed(rest, &consumed);
    FUZZ_CHECK(r != smtp::ParseResult::kError, "%s reply malformed: %s", what,
               parser.status().ToString().c_str());
    rest.remove_prefix(consumed);
    if (r == smtp::ParseResult::kReply) parser.TakeReply();
  }
}

class Session {
 public:
  Session(Setup* setup, uint8_t flags)
      : setup_(setup),
        worker_(setup->worker.get()),
        implicit_(flags & 1),
        tls12_(flags & 2),
        small_buffers_(flags & 4),
        full_handshake_(flags & 8),
        shadow_(DialogueOptions(implicit_)),
        shadow_live_(!implicit_) {
    std::string banner;
    shadow_.Greet(&banner);
  }

  ~Session() {
    if (fd_ >= 0) close(fd_);
  }

  void Open() {
    before_ = worker_->Stats();
    int sv[2];
    FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0,
               "socketpair: %s", strerror(errno));
    if (small_buffers_) {
      int size = 4096;
      setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
      setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
    }
    fd_ = sv[1];
    server_fd_ = sv[0];  // the worker owns it; only queried while it is open
    worker_->Serve(sv[0], implicit_);
    FUZZ_CHECK(worker_->open() == 1, "a served connection is not open");
    NoteDeadline();
    Pump();
  }

  void RawBytes(absl::string_view bytes, bool step) {
    if (!CanSend()) return;
    to_server_.append(bytes.data(), bytes.size());
    step ? Pump() : (void)ClientTurn();
  }

  void TlsBytes(absl::string_view bytes, bool step) {
    if (!handshake_done_) {
      RawBytes(bytes, step);
      return;
    }
    if (!CanSend() || tls_dead_) return;
    app_pending_.append(bytes.data(), bytes.size());
    step ? Pump() : (void)ClientTurn();
  }

  void StartTls() {
    if (ssl_ != nullptr || !CanSend()) return;
    absl::StatusOr<bssl::UniquePtr<SSL>> ssl = tls::NewClientConnection(
        tls12_ ? setup_->client_ctx12.get() : setup_->client_ctx.get(), !full_handshake_);
    FUZZ_CHECK(ssl.ok(), "%s", ssl.status().ToString().c_str());
    ssl_ = *std::move(ssl);
    BIO* inner = nullptr;
    BIO* outer = nullptr;
    FUZZ_CHECK(BIO_new_bio_pair(&inner, 64 * 1024, &outer, 64 * 1024), "BIO pair");
    SSL_set_bio(ssl_.get(), inner, inner);
    net_.reset(outer);
    tls_from_ = wire_received_.size();
    Pump();
  }

  void HalfClose() {
    if (fd_ < 0 || half_closed_) return;
    // What the client still holds would be lost; hand it to the socket
    // first, as a kernel would.
    ClientTurn();
    uint64_t closed_before = Closed(worker_->Stats(), "client_closed");
    shutdown(fd_, SHUT_WR);
    half_closed_ = true;
    Pump();
    // The server saw the end of the stream after everything the client
    // sent, so every reply it owed is due, and a reading client with a
    // socket large enough got it all.
    if (Closed(worker_->Stats(), "client_closed") > closed_before && reading_ &&
        !small_buffers_) {
      replies_complete_ = true;
    }
  }

  void CloseNotify() {
    if (!handshake_done_ || tls_dead_ || !CanSend()) return;
    SSL_shutdown(ssl_.get());
    Pump();
  }

  void ToggleReading() {
    reading_ = !reading_;
    Pump();
  }

  void Idle(uint8_t choice) {
    // The worker's clock is virtual: a deadline is exact to the nanosecond,
    // and idles add up (a deadline passes over several of them).
    static const absl::Duration kChoices[] = {
        absl::Seconds(1),          kTlsTimeout - kNano,  kTlsTimeout,
        kCommandTimeout - kNano,   kCommandTimeout,      kDataTimeout - kNano,
        kDataTimeout,              absl::Hours(1),
    };
    absl::Duration d = kChoices[choice % (sizeof(kChoices) / sizeof(kChoices[0]))];
    ServerStats before = worker_->Stats();
    bool was_open = worker_->open() > 0;
    const absl::Duration armed_at = armed_at_;
    worker_->Idle(d);
    ShadowReads(/*check=*/false, 0, 0);
    ServerStats after = worker_->Stats();
    const absl::Duration now = worker_->Now();
    struct {
      const char* reason;
      absl::Duration deadline;
    } deadlines[] = {{"timeout_tls", kTlsTimeout},
                     {"timeout_command", kCommandTimeout},
                     {"timeout_data", kDataTimeout}};
    for (const auto& [reason, deadline] : deadlines) {
      uint64_t fired = Closed(after, reason) - Closed(before, reason);
      if (fired != 0) timed_out_ = true;
      FUZZ_CHECK(fired == 0 || now - armed_at >= deadline,
                 "%s closed the connection %s after its deadline was armed (deadline %s)",
                 reason, absl::FormatDuration(now - armed_at).c_str(),
                 absl::FormatDuration(deadline).c_str());
    }
    NoteDeadline();
    if (worker_->open() > 0) {
      FUZZ_CHECK(deadline_ > now, "a deadline %s before now is armed and did not fire",
                 absl::FormatDuration(now - deadline_).c_str());
    }
    if (was_open && d >= kDataTimeout) {
      FUZZ_CHECK(worker_->open() == 0, "still open after idling %s, past every deadline",
                 absl::FormatDuration(d).c_str());
    }
    Pump();
  }

  void Nothing() { Pump(); }

  // Closes the client, lets the server notice, and checks the accounting.
  void Finish() {
    Pump();
    close(fd_);
    fd_ = -1;
    for (int i = 0; i < 8 && worker_->open() > 0; ++i) worker_->Step();
    if (worker_->open() > 0) {
      // A server that has not noticed the close yet still must time out.
      ServerStats before = worker_->Stats();
      worker_->Idle(kDataTimeout);
      ServerStats after = worker_->Stats();
      timed_out_ |= Closed(after, "timeout_tls") + Closed(after, "timeout_command") +
                        Closed(after, "timeout_data") >
                    Closed(before, "timeout_tls") + Closed(before, "timeout_command") +
                        Closed(before, "timeout_data");
    }
    FUZZ_CHECK(worker_->open() == 0, "the connection is still open after every deadline");
    FUZZ_CHECK(worker_->QueuedOutput() == 0, "output queued for a closed connection");
    ServerStats after = worker_->Stats();
    FUZZ_CHECK(after.connections == before_.connections + 1, "connections %llu -> %llu",
               (unsigned long long)before_.connections, (unsigned long long)after.connections);
    FUZZ_CHECK(SumClosed(after) == SumClosed(before_) + 1,
               "closed connections %llu -> %llu: the connection is not counted exactly once",
               (unsigned long long)SumClosed(before_), (unsigned long long)SumClosed(after));
    FUZZ_CHECK(after.open == 0, "stats say %llu open", (unsigned long long)after.open);
    uint64_t handshakes = after.handshakes - before_.handshakes;
    FUZZ_CHECK(handshakes <= 1, "%llu handshakes on one connection",
               (unsigned long long)handshakes);
    if (!tls_received_.empty()) {
      FUZZ_CHECK(handshakes == 1, "the client got TLS data but no handshake was counted");
    }
    uint64_t resumed = after.resumed - before_.resumed;
    FUZZ_CHECK(resumed <= handshakes, "%llu resumed of %llu handshakes",
               (unsigned long long)resumed, (unsigned long long)handshakes);
    if (handshakes == 1 && handshake_done_) {
      FUZZ_CHECK((resumed == 1) == static_cast<bool>(SSL_session_reused(ssl_.get())),
                 "the server counted resumed=%llu, the client says %d",
                 (unsigned long long)resumed, SSL_session_reused(ssl_.get()));
    }
    CheckStreams();
    uint64_t messages = after.messages - before_.messages;
    FUZZ_CHECK(messages <= reference_messages_, "%llu messages counted, the reference accepted %llu",
               (unsigned long long)messages, (unsigned long long)reference_messages_);
    uint64_t discarded = after.starttls_discarded_bytes - before_.starttls_discarded_bytes;
    FUZZ_CHECK(discarded <= wire_sent_.size(), "discarded more than was sent");
    if (getenv("SERVER_FUZZER_VERBOSE") != nullptr) {
      // What a seed reached, for writing seeds.
      std::string closed;
      for (const auto& [reason, count] : after.closed) {
        if (count != Closed(before_, reason.c_str())) closed += reason;
      }
      fprintf(stderr,
              "sent %zu received %zu, tls: handshake %d sent %zu received %zu, closed %s, "
              "handshakes %llu resumed %llu messages %llu discarded %llu\n%s\n--\n%s\n",
              wire_sent_.size(), wire_received_.size(), handshake_done_, tls_app_sent_.size(),
              tls_received_.size(), closed.c_str(), (unsigned long long)handshakes, (unsigned long long)resumed,
              (unsigned long long)messages, (unsigned long long)discarded,
              wire_received_.substr(0, 300).c_str(), tls_received_.substr(0, 300).c_str());
    }
  }

 private:
  bool CanSend() const { return fd_ >= 0 && !half_closed_ && !peer_closed_; }

  // Steps the server and the client until neither moves a byte.
  void Pump() {
    // The client sends what the action queued, then server and client take
    // turns until the client moves no byte. The server's loop is
    // edge-triggered: it does all an event allows and resumes what it had to
    // stop (reading while output backs up) on the next edge, which only the
    // client's moving bytes can cause.
    if (fd_ >= 0) ClientTurn();
    for (int round = 0; round < 256; ++round) {
      // The server's turn, watching whether it read while its output was
      // backed up (the socket queries cost system calls: only then).
      size_t queued = worker_->QueuedOutput();
      bool backed_up = fd_ >= 0 && queued > SteppedWorker::MaxQueuedOutputBeforeRead();
      // The exact check below needs what the server wrote in this step only
      // when output was queued at its start.
      bool measure = fd_ >= 0 && (backed_up || (queued > 0 && ShadowCanRead()));
      int unread = backed_up ? OutQueue(fd_) : 0;
      int readable = measure ? Readable(fd_) : 0;
      worker_->Step();
      NoteDeadline();
      ShadowReads(/*check=*/true, queued,
                  measure ? static_cast<size_t>(std::max(0, Readable(fd_) - readable)) : 0);
      // Within one step the server reads chunk after chunk until more than
      // MaxQueuedOutputBeforeRead() octets wait, so the queue can exceed it
      // by what one chunk's replies take at most.
      size_t bound = std::max(queued, SteppedWorker::MaxQueuedOutputBeforeRead()) +
                     SteppedWorker::ReadChunk() * kMaxReplyOctetsPerInputOctet;
      FUZZ_CHECK(worker_->QueuedOutput() <= bound,
                 "%zu octets of output queued, more than the %zu one read allows",
                 worker_->QueuedOutput(), bound);
      if (backed_up) {
        int unread_after = OutQueue(fd_);
        int flushed = Readable(fd_) - readable;
        if (unread_after < unread) {
          size_t left = queued > static_cast<size_t>(std::max(flushed, 0))
                            ? queued - std::max(flushed, 0)
                            : 0;
          FUZZ_CHECK(left <= SteppedWorker::MaxQueuedOutputBeforeRead(),
                     "the server read input with %zu octets of output waiting", left);
        }
      }
      if (fd_ < 0 || !ClientTurn()) break;
    }
  }

  // Follows the worker's armed deadline (virtual time). Every step runs at
  // the clock's current time, so a deadline that changed was armed now.
  // (The rare re-arming that lands on the same deadline leaves |armed_at_|
  // early, which only makes the checks that use it more lenient.) An open
  // connection always has a deadline, of one of the configured durations
  // at most.
  void NoteDeadline() {
    absl::Duration d = worker_->NextDeadline();
    if (d != deadline_) {
      deadline_ = d;
      armed_at_ = worker_->Now();
    }
    if (worker_->open() > 0) {
      FUZZ_CHECK(d != absl::InfiniteDuration(), "an open connection has no deadline armed");
      FUZZ_CHECK(d - armed_at_ > absl::ZeroDuration() && d - armed_at_ <= kDataTimeout,
                 "a deadline armed for %s", absl::FormatDuration(d - armed_at_).c_str());
    }
  }

  // Whether the server may have plaintext input the shadow has not seen.
  bool ShadowCanRead() const {
    return shadow_live_ && shadow_read_ < wire_sent_.size();
  }

  // The exact output-backlog check (plaintext only). The shadow is a
  // ServerDialogue fed exactly the octets the server read (its position is
  // what the client sent minus what waits in the server's receive queue), in
  // the server's ReadChunk() pieces: a stream socket's recv returns
  // min(chunk, available), and the client writes nothing during a step.
  // Replies do not depend on the cuts, so the shadow's replies to chunk k are
  // the server's, and before reading chunk k the server had P0 + the replies
  // to chunks 0..k-1 waiting, P0 being what waited when its read loop began:
  // 0 when nothing was queued at the step's start (|queued_before|), and at
  // least |queued_before| - |written| (the octets the step wrote) otherwise.
  // Each read must find at most MaxQueuedOutputBeforeRead() waiting.
  // Called after every step; |check| false only keeps the shadow in step
  // (Idle's timers fire before its step, and a timeout closes).
  void ShadowReads(bool check, size_t queued_before, size_t written) {
    if (!ShadowCanRead()) return;
    if (worker_->open() == 0) {
      // Closed during the step: how much it read is unknown.
      shadow_live_ = false;
      return;
    }
    const size_t server_read = wire_sent_.size() - static_cast<size_t>(std::max(0, Readable(server_fd_)));
    if (server_read <= shadow_read_) return;
    size_t pending = queued_before > written ? queued_before - written : 0;
    const size_t chunk = SteppedWorker::ReadChunk();
    for (size_t k = 0; shadow_read_ < server_read; ++k) {
      if (check) {
        FUZZ_CHECK(pending <= SteppedWorker::MaxQueuedOutputBeforeRead(),
                   "the server read chunk %zu of a step (input octet %zu) with at least %zu "
                   "octets of output waiting (limit %zu)",
                   k, shadow_read_, pending, SteppedWorker::MaxQueuedOutputBeforeRead());
      }
      const size_t n = std::min(chunk, server_read - shadow_read_);
      shadow_out_.clear();
      smtp::ServerAction action =
          shadow_.Consume(absl::string_view(wire_sent_).substr(shadow_read_, n), &shadow_out_);
      shadow_read_ += n;
      pending += shadow_out_.size();
      if (action != smtp::ServerAction::kContinue) {
        // STARTTLS (later reads are TLS records) or the end of the dialogue.
        shadow_live_ = false;
        return;
      }
    }
  }

  // Returns true if the client moved a byte.
  bool ClientTurn() {
    bool moved = false;
    char buf[16384];
    while (reading_ && !peer_closed_ && wire_received_.size() < kMaxClientPending) {
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n > 0) {
        wire_received_.append(buf, static_cast<size_t>(n));
        moved = true;
        if (static_cast<size_t>(n) < sizeof(buf)) break;  // drained
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        peer_closed_ = true;
      }
      break;
    }
    if (ssl_ != nullptr && !tls_dead_) {
      // Network -> client TLS.
      while (tls_from_ < wire_received_.size()) {
        int n = BIO_write(net_.get(), wire_received_.data() + tls_from_,
                          static_cast<int>(std::min<size_t>(wire_received_.size() - tls_from_,
                                                            16384)));
        if (n <= 0) break;
        tls_from_ += static_cast<size_t>(n);
        moved = true;
      }
      if (!handshake_done_) {
        int rc = SSL_do_handshake(ssl_.get());
        if (rc == 1) {
          handshake_done_ = true;
          moved = true;
        } else {
          int err = SSL_get_error(ssl_.get(), rc);
          if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) tls_dead_ = true;
        }
      }
      if (handshake_done_ && !tls_dead_) {
        while (true) {
          int n = SSL_read(ssl_.get(), buf, sizeof(buf));
          if (n > 0) {
            tls_received_.append(buf, static_cast<size_t>(n));
            moved = true;
            continue;
          }
          int err = SSL_get_error(ssl_.get(), n);
          if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) tls_dead_ = true;
          break;
        }
        while (!app_pending_.empty() && !tls_dead_) {
          int n = SSL_write(ssl_.get(), app_pending_.data(),
                            static_cast<int>(std::min<size_t>(app_pending_.size(), 16384)));
          if (n <= 0) break;
          tls_app_sent_.append(app_pending_, 0, static_cast<size_t>(n));
          app_pending_.erase(0, static_cast<size_t>(n));
          moved = true;
        }
      }
      // Client TLS -> network.
      while (to_server_.size() < kMaxClientPending) {
        int n = BIO_read(net_.get(), buf, sizeof(buf));
        if (n <= 0) break;
        to_server_.append(buf, static_cast<size_t>(n));
        moved = true;
      }
    }
    while (!to_server_.empty() && CanSend()) {
      ssize_t n = send(fd_, to_server_.data(), to_server_.size(), MSG_NOSIGNAL);
      if (n > 0) {
        wire_sent_.append(to_server_, 0, static_cast<size_t>(n));
        to_server_.erase(0, static_cast<size_t>(n));
        moved = true;
        continue;
      }
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        peer_closed_ = true;
      }
      break;
    }
    return moved;
  }

  // Returns how much of |got| agrees with |expected| (the common prefix),
  // after setting aside a deadline's 421 (or the part of it that was
  // written) at the end of |got| when the connection timed out.
  size_t Agreeing(absl::string_view got, absl::string_view expected, bool* ends_in_timeout) const {
    static const std::string* const kTimeout = new std::string(TimeoutReply());
    auto common_prefix = [](absl::string_view a, absl::string_view b) {
      size_t limit = std::min(a.size(), b.size());
      if (a.substr(0, limit) == b.substr(0, limit)) return limit;  // the usual case
      size_t n = 0;
      while (n < limit && a[n] == b[n]) ++n;
      return n;
    };
    *ends_in_timeout = false;
    if (timed_out_) {
      for (size_t k = std::min(kTimeout->size(), got.size()); k > 0; --k) {
        absl::string_view head = got.substr(0, got.size() - k);
        if (got.substr(got.size() - k) == absl::string_view(*kTimeout).substr(0, k) &&
            common_prefix(head, expected) == head.size()) {
          *ends_in_timeout = true;
          return head.size();
        }
      }
    }
    return common_prefix(got, expected);
  }

  // The reply streams against the reference dialogues.
  void CheckStreams() {
    reference_messages_ = 0;
    // Plaintext: the server sees every octet the client wrote; the reference
    // answers all of them at once and discards what follows STARTTLS.
    bool starttls_accepted = false;
    if (!implicit_) {
      smtp::ServerDialogue ref(DialogueOptions(false));
      std::string expected;
      ref.Greet(&expected);
      starttls_accepted = ref.Consume(wire_sent_, &expected) == smtp::ServerAction::kStartTls;
      reference_messages_ += ref.counters().messages_accepted;
      absl::string_view got = wire_received_;
      bool timeout = false;
      size_t common = Agreeing(got, expected, &timeout);
      absl::string_view rest = timeout ? absl::string_view() : got.substr(common);
      if (!rest.empty()) {
        FUZZ_CHECK(starttls_accepted && common == expected.size(),
                   "plaintext reply octet %zu differs from the reference (or follows an "
                   "accepted STARTTLS): got \"%s\"",
                   common, std::string(rest.substr(0, 80)).c_str());
        FUZZ_CHECK((rest[0] == 0x15 || rest[0] == 0x16) && (rest.size() < 2 || rest[1] == 3),
                   "after the STARTTLS reply the server sent %02x, not a TLS record",
                   static_cast<unsigned char>(rest[0]));
      }
      CheckReplies(got.substr(0, common), "plaintext");
      if (replies_complete_ && !handshake_done_ && !starttls_accepted &&
          expected.size() <= kCompleteBound) {
        FUZZ_CHECK(common == expected.size(),
                   "the server closed after a half-close with %zu of %zu reply octets sent",
                   common, expected.size());
      }
    }
    // Inside TLS: a fresh dialogue after STARTTLS (RFC 3207: all state
    // forgotten), or an implicit-TLS one.
    if (tls_received_.empty() && tls_app_sent_.empty()) return;
    FUZZ_CHECK(implicit_ || starttls_accepted || tls_received_.empty(),
               "TLS replies without an accepted STARTTLS");
    smtp::ServerDialogue ref(DialogueOptions(implicit_));
    std::string expected;
    if (implicit_) {
      ref.Greet(&expected);
    } else {
      std::string scratch;
      ref.Greet(&scratch);
      FUZZ_CHECK(ref.Consume("EHLO fuzz.client\r\nSTARTTLS\r\n", &scratch) ==
                     smtp::ServerAction::kStartTls,
                 "reference STARTTLS");
      ref.OnTlsEstablished();
    }
    ref.Consume(tls_app_sent_, &expected);
    reference_messages_ += ref.counters().messages_accepted;
    absl::string_view got = tls_received_;
    bool timeout = false;
    size_t common = Agreeing(got, expected, &timeout);
    FUZZ_CHECK(timeout || common == got.size(),
               "TLS reply octet %zu differs from the reference: got \"%s\"", common,
               std::string(got.substr(common, 80)).c_str());
    CheckReplies(got.substr(0, common), "TLS");
    if (replies_complete_ && handshake_done_ && !tls_dead_ && expected.size() <= kCompleteBound) {
      FUZZ_CHECK(common == expected.size(),
                 "the server closed after a half-close with %zu of %zu TLS reply octets sent",
                 common, expected.size());
    }
  }

  Setup* setup_;
  SteppedWorker* worker_;
  const bool implicit_;
  const bool tls12_;
  const bool small_buffers_;
  const bool full_handshake_;
  ServerStats before_;
  int fd_ = -1;
  bool reading_ = true;
  bool half_closed_ = false;
  bool peer_closed_ = false;
  bool timed_out_ = false;
  bool replies_complete_ = false;  // every reply owed must have arrived
  bssl::UniquePtr<SSL> ssl_;
  bssl::UniquePtr<BIO> net_;
  bool handshake_done_ = false;
  bool tls_dead_ = false;
  size_t tls_from_ = 0;             // wire_received_ fed to the client TLS so far
  std::string to_server_;           // client octets not yet written
  std::string wire_sent_;           // every octet written to the socket
  std::string wire_received_;       // every octet read from the socket
  std::string app_pending_;         // for SSL_write
  std::string tls_app_sent_;        // accepted by SSL_write
  std::string tls_received_;        // decrypted server output
  uint64_t reference_messages_ = 0;
  int server_fd_ = -1;              // the worker's end (owned by the worker)
  smtp::ServerDialogue shadow_;     // fed what the server read, as it read it
  bool shadow_live_;                // the shadow still mirrors plaintext reads
  size_t shadow_read_ = 0;          // octets of wire_sent_ the shadow consumed
  std::string shadow_out_;
  absl::Duration deadline_ = absl::InfiniteDuration();  // armed now (virtual)
  absl::Duration armed_at_;                             // when it was armed
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Setup* setup = MakeSetup();
  if (size == 0) return 0;
  Session session(setup, data[0]);
  session.Open();
  size_t i = 1;
  auto take_length = [&](uint8_t op) -> size_t {
    size_t len = 0;
    if (op & 0x80) {
      if (i + 2 > size) return 0;
      len = (static_cast<size_t>(data[i]) << 8) | data[i + 1];
      i += 2;
    } else {
      if (i + 1 > size) return 0;
      len = data[i++];
    }
    return std::min(len, size - i);
  };
  while (i < size) {
    uint8_t op = data[i++];
    switch (op & 7) {
      case 0:
      case 2: {
        size_t repeat = 1;
        if ((op & 0x20) && i < size) repeat = 16 * (static_cast<size_t>(data[i++]) + 1);
        size_t len = take_length(op);
        absl::string_view bytes(reinterpret_cast<const char*>(data + i), len);
        i += len;
        std::string repeated;
        // At most 8 KiB in all (held actions add up to longer pipelines).
        if (!bytes.empty()) repeat = std::min(repeat, std::max<size_t>(1, (8 << 10) / bytes.size()));
        if (repeat > 1) {
          repeated.reserve(bytes.size() * repeat);
          for (size_t r = 0; r < repeat; ++r) repeated.append(bytes.data(), bytes.size());
          bytes = repeated;
        }
        bool step = (op & 0x40) == 0;
        if ((op & 7) == 0) {
          session.RawBytes(bytes, step);
        } else {
          session.TlsBytes(bytes, step);
        }
        break;
      }
      case 1:
        session.StartTls();
        break;
      case 3:
        session.HalfClose();
        break;
      case 4:
        session.Idle(i < size ? data[i++] : 0);
        break;
      case 5:
        session.ToggleReading();
        break;
      case 6:
        session.CloseNotify();
        break;
      default:
        session.Nothing();
        break;
    }
  }
  session.Finish();
  return 0;
}
