#include "src/probe/session.h"

#include <errno.h>
#include <openssl/err.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "src/outcome/outcome.h"
#include "src/tls/tls.h"

namespace mailshake::probe {
namespace {

constexpr char kCategoryUrl[] = "mailshake/outcome-category";
constexpr size_t kReadChunk = 16384;

int RemainingMs(absl::Time deadline) {
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 1 << 30));
}

absl::Status Fail(absl::StatusCode code, absl::string_view category, absl::string_view detail) {
  return WithCategory(absl::Status(code, detail), category);
}

// ErrnoFailure classifies a failed read or write in |phase|.
absl::Status ErrnoFailure(int err, absl::string_view phase) {
  std::string detail;
  switch (err) {
    case ECONNRESET:
      detail = absl::StrCat("connection reset by the server during ", phase);
      break;
    case EPIPE:
      detail = absl::StrCat("the server closed the connection during ", phase);
      break;
    default:
      detail = absl::StrCat(phase, ": ", strerror(err));
  }
  return Fail(absl::StatusCode::kUnavailable, outcome::ErrnoCategory(err, phase), detail);
}

// TlsFailure classifies a failed TLS read or write in |phase| (an alert keeps
// its name after the handshake too) and clears the error queue.
absl::Status TlsFailure(const SSL* ssl, int ssl_error, int saved_errno, absl::string_view phase) {
  if (ssl_error == SSL_ERROR_ZERO_RETURN || (ssl_error == SSL_ERROR_SYSCALL && saved_errno == 0)) {
    ERR_clear_error();
    return ErrnoFailure(EPIPE, phase);
  }
  if (ssl_error == SSL_ERROR_SYSCALL) {
    ERR_clear_error();
    return ErrnoFailure(saved_errno, phase);
  }
  const std::string category = outcome::TlsFailureCategory(ssl, ssl_error, saved_errno, phase);
  std::string detail = tls::DrainErrorQueue();
  return Fail(absl::StatusCode::kUnavailable, category,
              absl::StrCat(phase, ": ", category, detail.empty() ? "" : absl::StrCat(" (", detail, ")")));
}

absl::Status Timeout(absl::string_view phase) {
  return Fail(absl::StatusCode::kDeadlineExceeded, absl::StrCat("timeout:", phase),
              absl::StrCat("no answer from the server within the deadline (", phase, ")"));
}

std::string Escape(absl::string_view text) {
  std::string out;
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out.push_back(c);
    } else if (c == '\r') {
      out.append("\\r");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      absl::StrAppendFormat(&out, "\\x%02x", u);
    }
  }
  return out;
}

}  // namespace

std::string OutcomeCategory(const absl::Status& status) {
  if (status.ok()) return "ok";
  auto payload = status.GetPayload(kCategoryUrl);
  return payload.has_value() ? std::string(*payload) : "error";
}

absl::Status WithCategory(absl::Status status, absl::string_view category) {
  if (!status.ok()) status.SetPayload(kCategoryUrl, absl::Cord(category));
  return status;
}

void Transcript::Add(absl::string_view prefix, absl::string_view text) {
  if (lines_.size() >= kMaxLines) {
    ++dropped_;
    lines_.back() = absl::StrCat("... ", dropped_, " more lines not kept");
    return;
  }
  std::string line = absl::StrCat(prefix, Escape(text.substr(0, kMaxLineLength)));
  if (text.size() > kMaxLineLength) absl::StrAppend(&line, "... (", text.size(), " octets)");
  lines_.push_back(std::move(line));
}

void Transcript::AddReply(const smtp::Reply& reply) {
  for (size_t i = 0; i < reply.lines.size(); ++i) {
    const bool last = i + 1 == reply.lines.size();
    if (!last && i >= 8) {
      Add("S: ", absl::StrCat(reply.code, "- ... ", reply.lines.size() - i - 1, " more lines"));
      i = reply.lines.size() - 2;
      continue;
    }
    Add("S: ", absl::StrCat(reply.code, last ? " " : "-", reply.lines[i]));
  }
}

absl::StatusOr<std::unique_ptr<Session>> Session::Open(const net::SocketAddress& address,
                                                       absl::Time deadline) {
  int err = 0;
  net::UniqueFd fd = net::StartConnect(address, nullptr, &err);
  if (!fd.valid()) {
    if (err == ECONNREFUSED) {
      return Fail(absl::StatusCode::kUnavailable, "connect_refused",
                  absl::StrCat("connect to ", address.ToString(), ": connection refused"));
    }
    return Fail(absl::StatusCode::kUnavailable, "connect_error",
                absl::StrCat("connect to ", address.ToString(), ": ", strerror(err)));
  }
  std::unique_ptr<Session> session(new Session(std::move(fd)));
  if (!session->Wait(POLLOUT, deadline)) {
    return Fail(absl::StatusCode::kDeadlineExceeded, "connect_timeout",
                absl::StrCat("connect to ", address.ToString(), ": timed out"));
  }
  err = net::TakeSocketError(session->fd());
  if (err != 0) {
    return Fail(absl::StatusCode::kUnavailable,
                err == ECONNREFUSED  ? "connect_refused"
                : err == ECONNRESET ? "reset:connect"
                                    : "connect_error",
                absl::StrCat("connect to ", address.ToString(), ": ", strerror(err)));
  }
  return session;
}

bool Session::Wait(short events, absl::Time deadline) {
  for (;;) {
    pollfd p{fd_.get(), events, 0};
    const int n = poll(&p, 1, RemainingMs(deadline));
    if (n > 0) return true;
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
}

bool Session::WaitReadable(absl::Time deadline) {
  if (!pending_.empty()) return true;
  if (ssl_ != nullptr && SSL_pending(ssl_.get()) > 0) return true;
  return Wait(POLLIN, deadline);
}

absl::Status Session::Send(absl::string_view bytes, absl::string_view phase, absl::Time deadline) {
  for (absl::string_view line : absl::StrSplit(bytes, "\r\n", absl::SkipEmpty())) {
    transcript_.Add(ssl_ != nullptr ? "C (TLS): " : "C: ", line);
  }
  while (!bytes.empty()) {
    if (ssl_ != nullptr) {
      const int n = SSL_write(ssl_.get(), bytes.data(), static_cast<int>(bytes.size()));
      if (n > 0) {
        bytes.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      const int e = SSL_get_error(ssl_.get(), n);
      if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
        if (!Wait(e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN, deadline)) return Timeout(phase);
        continue;
      }
      return TlsFailure(ssl_.get(), e, errno, phase);
    }
    const ssize_t n = send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      if (!Wait(POLLOUT, deadline)) return Timeout(phase);
      continue;
    }
    return ErrnoFailure(n < 0 ? errno : EPIPE, phase);
  }
  return absl::OkStatus();
}

absl::Status Session::Fill(absl::string_view phase, absl::Time deadline) {
  char buf[kReadChunk];
  for (;;) {
    if (ssl_ != nullptr) {
      const int n = SSL_read(ssl_.get(), buf, sizeof(buf));
      if (n > 0) {
        pending_.append(buf, static_cast<size_t>(n));
        return absl::OkStatus();
      }
      const int e = SSL_get_error(ssl_.get(), n);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        if (!Wait(e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN, deadline)) return Timeout(phase);
        continue;
      }
      return TlsFailure(ssl_.get(), e, errno, phase);
    }
    const ssize_t n = recv(fd_.get(), buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) {
      pending_.append(buf, static_cast<size_t>(n));
      return absl::OkStatus();
    }
    if (n == 0) return ErrnoFailure(EPIPE, phase);
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return ErrnoFailure(errno, phase);
    if (!Wait(POLLIN, deadline)) return Timeout(phase);
  }
}

absl::StatusOr<smtp::Reply> Session::ReadReply(absl::string_view phase, absl::Time deadline) {
  for (;;) {
    size_t consumed = 0;
    const smtp::ParseResult r = parser_.Feed(pending_, &consumed);
    pending_.erase(0, consumed);
    if (r == smtp::ParseResult::kReply) {
      smtp::Reply reply = parser_.TakeReply();
      transcript_.AddReply(reply);
      return reply;
    }
    if (r == smtp::ParseResult::kError) {
      transcript_.Add("S (unparsable): ", pending_.substr(0, 64));
      return WithCategory(parser_.status(), "protocol_violation:bad_reply");
    }
    absl::Status filled = Fill(phase, deadline);
    if (!filled.ok()) return filled;
  }
}

absl::Status Session::Handshake(SSL_CTX* ctx, absl::Time deadline, bool offer_session,
                                bool allow_pending) {
  if (!pending_.empty() && !allow_pending) {
    return Fail(absl::StatusCode::kDataLoss, "protocol_violation:starttls_injection",
                absl::StrCat("the server sent ", pending_.size(),
                             " octets after its 220 to STARTTLS, before the handshake "
                             "(STARTTLS response injection)"));
  }
  pending_.clear();
  absl::StatusOr<bssl::UniquePtr<SSL>> ssl = tls::NewClientConnection(ctx, offer_session);
  if (!ssl.ok()) return WithCategory(ssl.status(), "local_resource:ssl");
  ssl_ = *std::move(ssl);
  SSL_set_fd(ssl_.get(), fd_.get());
  for (;;) {
    const int rc = SSL_do_handshake(ssl_.get());
    if (rc == 1) break;
    const int e = SSL_get_error(ssl_.get(), rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (!Wait(e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN, deadline)) {
        transcript_.Add("TLS: ", "handshake timed out");
        return Timeout("tls");
      }
      continue;
    }
    const std::string category = outcome::TlsFailureCategory(ssl_.get(), e, errno, "tls");
    absl::Status failure = tls::HandshakeFailure(ssl_.get(), rc);
    transcript_.Add("TLS: ", failure.message());
    return WithCategory(absl::Status(absl::StatusCode::kAborted, failure.message()), category);
  }
  transcript_.Add("TLS: ", tls::ReadHandshakeInfo(ssl_.get()).ToString());
  return absl::OkStatus();
}

std::vector<std::string> Session::PeerChain() const {
  std::vector<std::string> chain;
  if (ssl_ == nullptr) return chain;
  const STACK_OF(CRYPTO_BUFFER)* certs = SSL_get0_peer_certificates(ssl_.get());
  for (size_t i = 0; certs != nullptr && i < sk_CRYPTO_BUFFER_num(certs); ++i) {
    const CRYPTO_BUFFER* b = sk_CRYPTO_BUFFER_value(certs, i);
    chain.emplace_back(reinterpret_cast<const char*>(CRYPTO_BUFFER_data(b)), CRYPTO_BUFFER_len(b));
  }
  return chain;
}

absl::Status ReachTls(Session* session, bool implicit_tls, const smtp::ClientOptions& options,
                      absl::Duration per_reply, ReachedTls* out, absl::Time deadline) {
  ReachedTls& reached = *out;
  const absl::Time start = absl::Now();
  smtp::ClientOptions o = options;
  o.implicit_tls = implicit_tls;
  smtp::ClientDialogue dialogue(o);
  reached = ReachedTls();
  smtp::Step step = dialogue.Start();
  smtp::Reply last;
  for (;;) {
    const std::string phase(smtp::PhaseName(dialogue.phase()));
    switch (step.kind) {
      case smtp::Step::kStartTls:
        reached.extensions = dialogue.extensions();
        return absl::OkStatus();
      case smtp::Step::kDone:
        return absl::InternalError("the SMTP dialogue ended before STARTTLS");
      case smtp::Step::kFail: {
        return Fail(absl::StatusCode::kFailedPrecondition, smtp::FailureCategory(step, phase),
                    absl::StrCat("SMTP ", phase, ": ", smtp::FailureKindName(step.failure),
                                 step.reply_code != 0
                                     ? absl::StrCat(" (", step.reply_code, " ", last.Text(), ")")
                                     : ""));
      }
      case smtp::Step::kSend: {
        absl::Status sent =
            session->Send(step.bytes, phase, std::min(absl::Now() + per_reply, deadline));
        if (!sent.ok()) return sent;
        [[fallthrough]];
      }
      case smtp::Step::kWait: {
        absl::StatusOr<smtp::Reply> reply =
            session->ReadReply(phase, std::min(absl::Now() + per_reply, deadline));
        if (!reply.ok()) {
          if (dialogue.phase() == smtp::Phase::kBanner) reached.banner_delay = absl::Now() - start;
          return reply.status();
        }
        last = *reply;
        switch (dialogue.phase()) {
          case smtp::Phase::kBanner:
            reached.banner = last;
            reached.banner_delay = absl::Now() - start;
            break;
          case smtp::Phase::kEhlo:
            reached.ehlo = last;
            break;
          case smtp::Phase::kStartTls:
            reached.starttls = last;
            break;
          default:
            break;
        }
        // Bytes behind the reply came before what it makes us send: the
        // dialogue refuses them (reply before its command, STARTTLS
        // response injection).
        step = dialogue.OnReply(last, /*more_received=*/!session->pending().empty());
        continue;
      }
    }
  }
}

}  // namespace mailshake::probe
