// SMTP reply parsing for the client side (RFC 5321 section 4.2), with the
// enhanced status codes of RFC 3463 and the EHLO keywords a client acts on.
//
// ReplyParser is incremental: bytes may arrive split anywhere, and Feed stops
// right after the last line of a complete reply, so the caller can see any
// bytes the server sent beyond it. That is how the engine detects STARTTLS
// response injection (CVE-2011-0411 class): after the 220 to STARTTLS, the
// plaintext must be empty.
//
//   mailshake::smtp::ReplyParser parser;
//   absl::string_view in = ...;  // bytes from the socket
//   while (!in.empty()) {
//     size_t consumed;
//     ParseResult r = parser.Feed(in, &consumed);
//     in.remove_prefix(consumed);
//     if (r == ParseResult::kNeedMore) break;  // read more bytes
//     if (r == ParseResult::kError) return parser.status();
//     Reply reply = parser.TakeReply();
//     ...
//   }
//
// Line endings: CR LF ends a line and, for robustness, so does a bare LF (some
// servers and proxies emit those). A CR that is not immediately followed by LF
// is an error, as is a NUL byte. Other bytes, including 8-bit ones, are kept
// as reply text.

#ifndef MAILSHAKE_SRC_SMTP_REPLY_PARSER_H_
#define MAILSHAKE_SRC_SMTP_REPLY_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "src/smtp/line_assembler.h"

namespace mailshake {
namespace smtp {

// EnhancedStatus is an RFC 3463 status code, class.subject.detail.
struct EnhancedStatus {
  int status_class = 0;  // 2, 4 or 5.
  int subject = 0;       // 0 to 999.
  int detail = 0;        // 0 to 999.

  std::string ToString() const;  // e.g. "5.7.1"
  bool operator==(const EnhancedStatus& other) const {
    return status_class == other.status_class && subject == other.subject &&
           detail == other.detail;
  }
};

// Reply is one complete, syntactically valid SMTP reply.
struct Reply {
  // code is the three-digit reply code, 200 to 559.
  int code = 0;
  // enhanced is the RFC 3463 code at the start of the first line's text, if
  // there is one whose class equals the first digit of |code|. A code-like
  // prefix of another class is left in the text and not reported here.
  std::optional<EnhancedStatus> enhanced;
  // lines holds the text of each line: what follows the code and its '-' or
  // ' ' separator, without the line terminator. A bare "250" line gives "".
  std::vector<std::string> lines;
  // wire_size is the number of octets the reply occupied, terminators
  // included.
  size_t wire_size = 0;
  // long_lines counts the lines longer than ReplyLimits::max_line_length that
  // were tolerated: a deviation from RFC 5321, not an error.
  size_t long_lines = 0;

  // Class returns the first digit of the code (2 to 5).
  int Class() const { return code / 100; }
  bool IsPositive() const { return code >= 200 && code < 400; }
  // Text returns the lines joined with '\n'.
  std::string Text() const;
};

// ReplyLimits bounds what a ReplyParser accepts from an untrusted server.
struct ReplyLimits {
  // max_line_length is the longest line RFC 5321 allows, in octets, counting
  // a two-octet CR LF terminator (section 4.5.3.1.5: 512). Real servers send
  // longer EHLO lines (long AUTH or XCLIENT lists), so a line whose content
  // exceeds max_line_length - 2 octets is accepted, and counted in
  // Reply::long_lines, up to |tolerated_line_length|.
  size_t max_line_length = 512;
  // tolerated_line_length is the longest line accepted at all, counted the
  // same way (8 KiB: sixteen times the standard, still a small bound per
  // connection). A line whose content exceeds tolerated_line_length - 2
  // octets is rejected (kLineTooLong), whatever its terminator. A value below
  // max_line_length means max_line_length (no tolerance).
  size_t tolerated_line_length = 8 * 1024;
  // max_lines is the most lines one reply may have.
  size_t max_lines = 1000;
  // max_reply_size is the most octets one reply may occupy, terminators
  // included.
  size_t max_reply_size = 64 * 1024;
};

enum class ParseResult {
  kNeedMore,  // All input consumed; the reply is not complete yet.
  kReply,     // A reply is complete; get it with TakeReply().
  kError,     // The input is not a valid reply; see error() and status().
};

enum class ReplyError {
  kNone,
  kLineTooLong,    // A line exceeds ReplyLimits::tolerated_line_length.
  kTooManyLines,   // The reply has more than ReplyLimits::max_lines lines.
  kReplyTooLarge,  // The reply exceeds ReplyLimits::max_reply_size octets.
  kBadCode,        // A line does not start with a valid reply code.
  kBadSeparator,   // The code is followed by something other than '-' or ' '.
  kCodeMismatch,   // A continuation line has a different code.
  kBareCr,         // A CR not followed by LF.
  kNulByte,        // A NUL octet in a line.
};

// ReplyErrorName returns a short stable name such as "line_too_long".
absl::string_view ReplyErrorName(ReplyError error);

class ReplyParser {
 public:
  explicit ReplyParser(ReplyLimits limits = ReplyLimits());

  ReplyParser(const ReplyParser&) = delete;
  ReplyParser& operator=(const ReplyParser&) = delete;

  // Feed consumes bytes from the front of |in| and sets |*consumed| to their
  // number. It stops right after the line that completes a reply and returns
  // kReply; bytes beyond it are left for the next call. It returns kNeedMore
  // when all of |in| was consumed without completing a reply, and kError when
  // the input is invalid, having consumed up to and including the offending
  // octet (never more than a limit allows). After kError the parser stays
  // failed: further calls consume nothing and return kError until Reset().
  // Calling Feed after kReply without TakeReply discards that reply.
  ParseResult Feed(absl::string_view in, size_t* consumed);

  // TakeReply returns the reply completed by the last Feed and leaves the
  // parser ready for the next one. Call it only after Feed returned kReply.
  Reply TakeReply();

  // in_progress returns true if part of a reply has been consumed.
  bool in_progress() const;

  ReplyError error() const { return error_; }
  // status returns OK, or a DataLoss error naming the problem and the line
  // number it was found on.
  absl::Status status() const;

  // Reset forgets any partial reply and any error.
  void Reset();

 private:
  // Validates the completed line in line_ and adds it to reply_. Returns
  // kReply if it was the last line, kNeedMore if more lines follow, kError.
  ParseResult ProcessLine();
  ParseResult Fail(ReplyError error);

  ReplyLimits limits_;
  internal::LineAssembler line_;
  Reply reply_;
  bool reply_ready_ = false;
  ReplyError error_ = ReplyError::kNone;
  size_t error_line_ = 0;
};

// EhloExtensions are the service extensions an EHLO reply advertises
// (RFC 5321 section 4.1.1.1), with the parameters a client acts on.
struct EhloExtensions {
  // domain is the first word of the first line (the server's name).
  std::string domain;
  bool starttls = false;    // RFC 3207
  bool pipelining = false;  // RFC 2920
  bool size = false;        // RFC 1870
  // size_limit is SIZE's parameter when present and nonzero; SIZE without a
  // parameter, or SIZE 0, advertises no fixed limit.
  std::optional<uint64_t> size_limit;
  bool eightbitmime = false;         // RFC 6152
  bool smtputf8 = false;             // RFC 6531
  bool chunking = false;             // RFC 3030
  bool enhancedstatuscodes = false;  // RFC 2034
  bool dsn = false;                  // RFC 3461
  bool auth = false;                 // RFC 4954
  // auth_mechanisms lists the SASL mechanisms from AUTH (and the obsolete
  // "AUTH=" form), upper-cased, without duplicates, in order of appearance.
  std::vector<std::string> auth_mechanisms;
  // unknown holds, verbatim, every line after the first that is not one of
  // the keywords above with well-formed parameters.
  std::vector<std::string> unknown;
};

// ParseEhlo extracts the extensions from a positive EHLO reply. Keywords are
// matched case-insensitively. It never fails: lines it cannot interpret go to
// EhloExtensions::unknown.
EhloExtensions ParseEhlo(const Reply& reply);

// ParseEnhancedStatus parses an RFC 3463 code at the start of |text|. The code
// must be followed by a space or the end of |text|. On success it returns the
// code and sets |*length|, if not null, to the number of octets it spans.
std::optional<EnhancedStatus> ParseEnhancedStatus(absl::string_view text,
                                                  size_t* length = nullptr);

}  // namespace smtp
}  // namespace mailshake

#endif  // MAILSHAKE_SRC_SMTP_REPLY_PARSER_H_
