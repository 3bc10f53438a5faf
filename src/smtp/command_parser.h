// SMTP command parsing for the server side (RFC 5321 section 4.1, with the
// MAIL parameters of RFC 1870, RFC 6152 and RFC 6531).
//
// ParseCommand reads one command line, already split off the stream by its
// CR LF. Only CR LF ends a command line: the caller must never treat a bare
// LF (or a bare CR) as a line end, which is what makes a server immune to
// "SMTP smuggling" (CVE-2023-51766). A CR, LF or NUL left inside the line is
// a syntax error (501).
//
//   Command command;
//   CommandError error;
//   if (!ParseCommand(line, &command, &error)) {
//     out->append(error.ToReply());
//   }
//
// The parser judges one line in isolation. Whether the command is allowed at
// this point of the dialogue (503) is the dialogue's business.

#ifndef MAILSHAKE_SRC_SMTP_COMMAND_PARSER_H_
#define MAILSHAKE_SRC_SMTP_COMMAND_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace mailshake {
namespace smtp {

// kMaxCommandLine is the longest command line in octets, CR LF included
// (RFC 5321 section 4.5.3.1.4).
inline constexpr size_t kMaxCommandLine = 512;

enum class Verb {
  kEhlo,
  kHelo,
  kMail,
  kRcpt,
  kData,
  kRset,
  kNoop,
  kQuit,
  kStartTls,
  kVrfy,
  kHelp,
};

// VerbName returns the upper-case verb, e.g. "STARTTLS".
absl::string_view VerbName(Verb verb);

// Path is a reverse-path or forward-path (RFC 5321 section 4.1.2). A source
// route ("@a,@b:") is accepted and dropped, as section 4.1.1.3 allows.
struct Path {
  // is_null is true for the null reverse-path "<>" of MAIL FROM.
  bool is_null = false;
  // local_part is as written: a dot-string, or a quoted string with its
  // quotes and backslashes.
  std::string local_part;
  // domain is a domain name or an address literal with its brackets. It is
  // empty for RCPT TO:<Postmaster>.
  std::string domain;
  // non_ascii is true if the path contains UTF-8 beyond ASCII, which needs
  // the SMTPUTF8 parameter on MAIL (RFC 6531).
  bool non_ascii = false;

  // ToString returns the mailbox as "local@domain", "Postmaster" or "".
  std::string ToString() const;
};

enum class Body { kUnspecified, k7Bit, k8BitMime };

// Command is one syntactically valid command.
struct Command {
  Verb verb = Verb::kNoop;
  // argument is EHLO/HELO's domain or address literal, or the string given to
  // VRFY, NOOP or HELP (empty when absent).
  std::string argument;
  // path is MAIL's reverse-path or RCPT's forward-path.
  Path path;
  // The MAIL parameters the server implements. Any other parameter, and any
  // RCPT parameter, makes the command fail with 555.
  std::optional<uint64_t> size;    // SIZE=n (RFC 1870)
  Body body = Body::kUnspecified;  // BODY=7BIT / BODY=8BITMIME (RFC 6152)
  bool smtputf8 = false;           // SMTPUTF8 (RFC 6531)
};

// CommandError is the reply a server sends for a line it cannot accept.
struct CommandError {
  // code is 500 (unknown verb, line too long), 501 (syntax error in the
  // arguments), 502 (known command that this server does not implement) or
  // 555 (MAIL/RCPT parameter not recognized) or 553 (non-ASCII MAIL address
  // without SMTPUTF8, RFC 6531 section 3.7.4.1).
  int code = 0;
  // enhanced is the RFC 3463 code, e.g. "5.5.2".
  absl::string_view enhanced;
  // text explains the problem to a human.
  std::string text;

  // ToReply returns the complete reply line, e.g.
  // "501 5.5.4 Syntax: MAIL FROM:<address>\r\n".
  std::string ToReply() const;
};

// ParseCommand parses |line|, a command line without its CR LF. On success it
// returns true and fills |*command|; otherwise it returns false and fills
// |*error|. A line longer than kMaxCommandLine - 2 octets is rejected with
// 500 5.5.2 whatever its content. Verbs, "FROM:" and "TO:" are matched
// case-insensitively; a space after the colon of MAIL FROM: and RCPT TO: is
// tolerated, as most servers do.
bool ParseCommand(absl::string_view line, Command* command,
                  CommandError* error);

// IsValidDomain checks RFC 5321's Domain syntax (LDH labels; UTF-8 U-labels
// are accepted when |allow_utf8|), at most 255 octets.
bool IsValidDomain(absl::string_view domain, bool allow_utf8);

// IsValidAddressLiteral checks RFC 5321's address-literal including its
// brackets: "[192.0.2.1]", "[IPv6:2001:db8::1]" or "[tag:content]".
bool IsValidAddressLiteral(absl::string_view literal);

}  // namespace smtp
}  // namespace mailshake

#endif  // MAILSHAKE_SRC_SMTP_COMMAND_PARSER_H_
