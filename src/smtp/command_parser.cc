#include "src/smtp/command_parser.h"

#include <cstring>
#include <limits>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace mailshake {
namespace smtp {
namespace {

constexpr size_t kMaxLocalPart = 64;  // RFC 5321 section 4.5.3.1.1
constexpr size_t kMaxDomain = 255;    // RFC 5321 section 4.5.3.1.2
constexpr size_t kMaxPath = 256;      // RFC 5321 section 4.5.3.1.3
constexpr size_t kMaxLabel = 63;      // RFC 1035 section 2.3.4

bool IsAlnum(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c));
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHigh(char c) { return static_cast<unsigned char>(c) >= 0x80; }

// IsValidUtf8 checks for well-formed UTF-8 (no overlong forms, surrogates or
// code points above U+10FFFF).
bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;  // Bounds of the second byte.
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (s.size() - i - 1 < n) return false;
    for (size_t k = 1; k <= n; ++k) {
      const unsigned char t = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (t < lo || t > hi) : (t < 0x80 || t > 0xBF)) return false;
    }
    i += n + 1;
  }
  return true;
}

bool HasHigh(absl::string_view s) {
  for (char c : s) {
    if (IsHigh(c)) return true;
  }
  return false;
}

// atext from RFC 5322 section 3.2.3.
bool IsAtext(char c) {
  return IsAlnum(c) || std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr;
}

bool ConsumeChar(absl::string_view* s, char c) {
  if (s->empty() || s->front() != c) return false;
  s->remove_prefix(1);
  return true;
}

// TakeWhile removes the longest prefix of |*s| whose octets satisfy |pred|.
template <typename Pred>
absl::string_view TakeWhile(absl::string_view* s, Pred pred) {
  size_t n = 0;
  while (n < s->size() && pred((*s)[n])) ++n;
  absl::string_view taken = s->substr(0, n);
  s->remove_prefix(n);
  return taken;
}

bool IsLdhStr(absl::string_view s) {
  if (s.empty() || !IsAlnum(s.back())) return false;
  for (char c : s) {
    if (!IsAlnum(c) && c != '-') return false;
  }
  return true;
}

bool IsIpv4(absl::string_view s) {
  size_t parts = 0;
  for (absl::string_view p : absl::StrSplit(s, '.')) {
    if (++parts > 4 || p.empty() || p.size() > 3) return false;
    int v = 0;
    for (char c : p) {
      if (!IsDigit(c)) return false;
      v = v * 10 + (c - '0');
    }
    if (v > 255) return false;
  }
  return parts == 4;
}

// CountIpv6Groups counts the 16-bit groups in a run of "h16(:h16)*",
// optionally ending with an IPv4 address (worth two groups). Returns -1 on a
// syntax error. An empty run has zero groups.
int CountIpv6Groups(absl::string_view s, bool allow_ipv4_tail) {
  if (s.empty()) return 0;
  int groups = 0;
  for (;;) {
    const size_t colon = s.find(':');
    const bool last = colon == absl::string_view::npos;
    const absl::string_view p = s.substr(0, colon);
    if (allow_ipv4_tail && last && p.find('.') != absl::string_view::npos) {
      if (!IsIpv4(p)) return -1;
      return groups + 2;
    }
    if (p.empty() || p.size() > 4) return -1;
    for (char c : p) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return -1;
    }
    ++groups;
    if (last) return groups;
    s.remove_prefix(colon + 1);
  }
}

// IsIpv6 checks RFC 5321's IPv6-addr (full, compressed, and both with an
// IPv4 tail).
bool IsIpv6(absl::string_view s) {
  const size_t gap = s.find("::");
  if (gap == absl::string_view::npos) return CountIpv6Groups(s, true) == 8;
  if (s.find("::", gap + 1) != absl::string_view::npos) return false;
  const int left = CountIpv6Groups(s.substr(0, gap), false);
  const int right = CountIpv6Groups(s.substr(gap + 2), true);
  // "::" stands for at least two groups of zeros.
  return left >= 0 && right >= 0 && left + right <= 6;
}

absl::string_view VerbSyntax(Verb verb) {
  switch (verb) {
    case Verb::kEhlo:
      return "Syntax: EHLO hostname";
    case Verb::kHelo:
      return "Syntax: HELO hostname";
    case Verb::kMail:
      return "Syntax: MAIL FROM:<address> [parameters]";
    case Verb::kRcpt:
      return "Syntax: RCPT TO:<address>";
    case Verb::kData:
      return "Syntax: DATA";
    case Verb::kRset:
      return "Syntax: RSET";
    case Verb::kNoop:
      return "Syntax: NOOP [string]";
    case Verb::kQuit:
      return "Syntax: QUIT";
    case Verb::kStartTls:
      return "Syntax: STARTTLS";
    case Verb::kVrfy:
      return "Syntax: VRFY string";
    case Verb::kHelp:
      return "Syntax: HELP [string]";
  }
  return "Syntax error";
}

struct VerbEntry {
  absl::string_view name;
  Verb verb;
};

constexpr VerbEntry kVerbs[] = {
    {"EHLO", Verb::kEhlo}, {"HELO", Verb::kHelo}, {"MAIL", Verb::kMail},
    {"RCPT", Verb::kRcpt}, {"DATA", Verb::kData}, {"RSET", Verb::kRset},
    {"NOOP", Verb::kNoop}, {"QUIT", Verb::kQuit}, {"STARTTLS", Verb::kStartTls},
    {"VRFY", Verb::kVrfy}, {"HELP", Verb::kHelp},
};

// Commands from the SMTP family that this server knows of but does not
// implement: they get 502 rather than 500.
constexpr absl::string_view kUnimplemented[] = {
    "EXPN", "AUTH", "BDAT", "ETRN", "ATRN", "TURN", "SEND", "SOML", "SAML",
};

bool Fail(CommandError* error, int code, absl::string_view enhanced,
          absl::string_view text) {
  error->code = code;
  error->enhanced = enhanced;
  error->text.assign(text.data(), text.size());  // (keeps its capacity)
  return false;
}

// Walks a path; see RFC 5321 section 4.1.2. On failure sets |*why|.
class PathReader {
 public:
  PathReader(absl::string_view* s, Path* out) : s_(s), out_(out) {}

  bool Read(bool allow_null, bool allow_postmaster, absl::string_view* why) {
    const absl::string_view start = *s_;
    if (!ConsumeChar(s_, '<')) return Why(why, "address must be in <>");
    if (allow_null && ConsumeChar(s_, '>')) {
      out_->is_null = true;
      return true;
    }
    if (!s_->empty() && s_->front() == '@' && !SkipSourceRoute()) {
      return Why(why, "bad source route");
    }
    if (!ReadLocalPart()) return Why(why, "bad local part");
    if (allow_postmaster && !s_->empty() && s_->front() == '>' &&
        absl::EqualsIgnoreCase(out_->local_part, "postmaster")) {
      s_->remove_prefix(1);
      return true;
    }
    if (!ConsumeChar(s_, '@')) return Why(why, "address has no domain");
    if (!ReadDomainOrLiteral(&out_->domain)) return Why(why, "bad domain");
    if (!ConsumeChar(s_, '>')) return Why(why, "address must end with >");
    if (out_->local_part.size() > kMaxLocalPart) {
      return Why(why, "local part longer than 64 octets");
    }
    if (start.size() - s_->size() > kMaxPath) {
      return Why(why, "path longer than 256 octets");
    }
    if (out_->non_ascii && !IsValidUtf8(out_->local_part)) {
      return Why(why, "address is not valid UTF-8");
    }
    return true;
  }

 private:
  static bool Why(absl::string_view* why, absl::string_view text) {
    *why = text;
    return false;
  }

  bool SkipSourceRoute() {
    do {
      std::string ignored;
      if (!ConsumeChar(s_, '@') || !ReadDomain(&ignored)) return false;
    } while (ConsumeChar(s_, ','));
    return ConsumeChar(s_, ':');
  }

  bool ReadLocalPart() {
    const absl::string_view start = *s_;
    if (ConsumeChar(s_, '"')) {
      for (;;) {
        if (s_->empty()) return false;
        const char c = s_->front();
        s_->remove_prefix(1);
        if (c == '"') break;
        if (c == '\\') {
          // quoted-pairSMTP = %d92 %d32-126
          if (s_->empty() || s_->front() < 32 || s_->front() > 126) {
            return false;
          }
          s_->remove_prefix(1);
        } else if (IsHigh(c)) {
          out_->non_ascii = true;
        } else if (c < 32 || c > 126) {
          return false;
        }
      }
    } else {
      // Dot-string = Atom *("." Atom), atext extended with UTF-8 (RFC 6531).
      do {
        absl::string_view atom =
            TakeWhile(s_, [](char c) { return IsAtext(c) || IsHigh(c); });
        if (atom.empty()) return false;
        if (HasHigh(atom)) out_->non_ascii = true;
      } while (ConsumeChar(s_, '.'));
    }
    const absl::string_view local = start.substr(0, start.size() - s_->size());
    out_->local_part.assign(local.data(), local.size());
    return true;
  }

  bool ReadDomain(std::string* domain) {
    absl::string_view d = TakeWhile(s_, [](char c) {
      return IsAlnum(c) || c == '-' || c == '.' || IsHigh(c);
    });
    if (!IsValidDomain(d, /*allow_utf8=*/true)) return false;
    if (HasHigh(d)) out_->non_ascii = true;
    domain->assign(d.data(), d.size());
    return true;
  }

  bool ReadDomainOrLiteral(std::string* domain) {
    if (s_->empty() || s_->front() != '[') return ReadDomain(domain);
    const size_t close = s_->find(']');
    if (close == absl::string_view::npos) return false;
    const absl::string_view literal = s_->substr(0, close + 1);
    if (!IsValidAddressLiteral(literal)) return false;
    domain->assign(literal.data(), literal.size());
    s_->remove_prefix(close + 1);
    return true;
  }

  absl::string_view* s_;
  Path* out_;
};

// ParseParameters reads " keyword[=value]" items for MAIL (|is_mail|) or
// RCPT from |s| into |*command|.
bool ParseParameters(absl::string_view s, bool is_mail, Command* command,
                     CommandError* error) {
  if (s.empty()) return true;
  if (!ConsumeChar(&s, ' ') || s.empty()) {
    return Fail(error, 501, "5.5.4", "Syntax error after the address");
  }
  bool seen_size = false, seen_body = false;
  for (absl::string_view param : absl::StrSplit(s, ' ')) {
    const size_t eq = param.find('=');
    const absl::string_view keyword = param.substr(0, eq);
    const bool has_value = eq != absl::string_view::npos;
    const absl::string_view value =
        has_value ? param.substr(eq + 1) : absl::string_view();
    // esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
    if (keyword.empty() || !IsAlnum(keyword[0]) ||
        keyword.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQR"
                                  "STUVWXYZ0123456789-") !=
            absl::string_view::npos) {
      return Fail(error, 501, "5.5.4", "Bad parameter syntax");
    }
    // esmtp-value = 1*(%d33-60 / %d62-126 / UTF8-non-ascii)
    if (has_value) {
      if (value.empty()) {
        return Fail(error, 501, "5.5.4", "Empty parameter value");
      }
      for (char c : value) {
        if (!IsHigh(c) && (c < 33 || c > 126 || c == '=')) {
          return Fail(error, 501, "5.5.4", "Bad parameter value");
        }
      }
      if (HasHigh(value) && !IsValidUtf8(value)) {
        return Fail(error, 501, "5.5.4", "Parameter value is not UTF-8");
      }
    }
    if (!is_mail) {
      return Fail(error, 555, "5.5.4",
                  absl::StrCat("Unsupported RCPT parameter ", keyword));
    }
    if (absl::EqualsIgnoreCase(keyword, "SIZE")) {
      // size-value = 1*20DIGIT (RFC 1870); values beyond 2^64-1 saturate, so
      // that the size check rejects them with 552 rather than 501.
      if (seen_size || !has_value || value.size() > 20 ||
          value.find_first_not_of("0123456789") != absl::string_view::npos) {
        return Fail(error, 501, "5.5.4", "Bad SIZE parameter");
      }
      seen_size = true;
      uint64_t n = 0;
      for (char c : value) {
        const uint64_t digit = static_cast<uint64_t>(c - '0');
        if (n > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
          n = std::numeric_limits<uint64_t>::max();
          break;
        }
        n = n * 10 + digit;
      }
      command->size = n;
    } else if (absl::EqualsIgnoreCase(keyword, "BODY")) {
      if (seen_body || !has_value) {
        return Fail(error, 501, "5.5.4", "Bad BODY parameter");
      }
      seen_body = true;
      if (absl::EqualsIgnoreCase(value, "7BIT")) {
        command->body = Body::k7Bit;
      } else if (absl::EqualsIgnoreCase(value, "8BITMIME")) {
        command->body = Body::k8BitMime;
      } else {
        return Fail(error, 555, "5.5.4",
                    "Unsupported BODY type (7BIT or 8BITMIME)");
      }
    } else if (absl::EqualsIgnoreCase(keyword, "SMTPUTF8")) {
      if (command->smtputf8 || has_value) {
        return Fail(error, 501, "5.5.4", "Bad SMTPUTF8 parameter");
      }
      command->smtputf8 = true;
    } else {
      return Fail(error, 555, "5.5.4",
                  absl::StrCat("Unsupported MAIL parameter ", keyword));
    }
  }
  return true;
}

}  // namespace

absl::string_view VerbName(Verb verb) {
  for (const VerbEntry& e : kVerbs) {
    if (e.verb == verb) return e.name;
  }
  return "?";
}

std::string Path::ToString() const {
  if (is_null) return "";
  if (domain.empty()) return local_part;
  return absl::StrCat(local_part, "@", domain);
}

std::string CommandError::ToReply() const {
  return absl::StrCat(code, " ", enhanced, " ", text, "\r\n");
}

bool IsValidDomain(absl::string_view domain, bool allow_utf8) {
  if (domain.empty() || domain.size() > kMaxDomain) return false;
  const bool high = HasHigh(domain);
  if (high && (!allow_utf8 || !IsValidUtf8(domain))) return false;
  for (absl::string_view label : absl::StrSplit(domain, '.')) {
    // sub-domain = Let-dig [Ldh-str]; a U-label may use any UTF-8 octet.
    if (label.empty() || label.size() > kMaxLabel) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!IsAlnum(c) && c != '-' && !IsHigh(c)) return false;
    }
  }
  return true;
}

bool IsValidAddressLiteral(absl::string_view literal) {
  if (literal.size() < 3 || literal.front() != '[' || literal.back() != ']') {
    return false;
  }
  const absl::string_view inner = literal.substr(1, literal.size() - 2);
  if (IsIpv4(inner)) return true;
  const size_t colon = inner.find(':');
  if (colon == absl::string_view::npos) return false;
  const absl::string_view tag = inner.substr(0, colon);
  const absl::string_view content = inner.substr(colon + 1);
  if (absl::EqualsIgnoreCase(tag, "IPv6")) return IsIpv6(content);
  // General-address-literal = Standardized-tag ":" 1*dcontent
  if (!IsLdhStr(tag) || content.empty()) return false;
  for (char c : content) {
    // dcontent = %d33-90 / %d94-126
    if (c < 33 || c > 126 || (c >= 91 && c <= 93)) return false;
  }
  return true;
}

bool ParseCommand(absl::string_view line, Command* command,
                  CommandError* error) {
  // Reset field by field rather than assigning Command(), so that a caller
  // reusing |*command| keeps its strings' capacity.
  command->verb = Verb::kNoop;
  command->argument.clear();
  command->path.is_null = false;
  command->path.local_part.clear();
  command->path.domain.clear();
  command->path.non_ascii = false;
  command->size.reset();
  command->body = Body::kUnspecified;
  command->smtputf8 = false;
  if (line.size() > kMaxCommandLine - 2) {
    return Fail(error, 500, "5.5.2", "Line too long");
  }
  // (find_first_of, not a loop of comparisons: a fuzzing build traces every
  // comparison the code makes.)
  if (line.find_first_of(absl::string_view("\r\n\0", 3)) !=
      absl::string_view::npos) {
    return Fail(error, 501, "5.5.2", "Bare CR, bare LF or NUL in command line");
  }
  const size_t space = line.find(' ');
  const absl::string_view verb_text = line.substr(0, space);
  absl::string_view rest =
      space == absl::string_view::npos ? "" : line.substr(space);
  const VerbEntry* entry = nullptr;
  for (const VerbEntry& e : kVerbs) {
    if (absl::EqualsIgnoreCase(verb_text, e.name)) entry = &e;
  }
  if (entry == nullptr) {
    for (absl::string_view name : kUnimplemented) {
      if (absl::EqualsIgnoreCase(verb_text, name)) {
        return Fail(error, 502, "5.5.1", "Command not implemented");
      }
    }
    if (verb_text.empty()) return Fail(error, 500, "5.5.2", "Bad syntax");
    return Fail(error, 500, "5.5.2", "Command not recognized");
  }
  const Verb verb = entry->verb;
  command->verb = verb;
  const auto syntax_error = [&]() {
    return Fail(error, 501, "5.5.4", VerbSyntax(verb));
  };

  switch (verb) {
    case Verb::kData:
    case Verb::kRset:
    case Verb::kQuit:
    case Verb::kStartTls:
      if (!rest.empty()) return syntax_error();
      return true;
    case Verb::kNoop:
    case Verb::kHelp:
    case Verb::kVrfy:
      if (!rest.empty()) {
        rest.remove_prefix(1);
        if (rest.empty()) return syntax_error();
        command->argument.assign(rest.data(), rest.size());
      }
      if (verb == Verb::kVrfy && command->argument.empty()) {
        return syntax_error();
      }
      return true;
    case Verb::kEhlo:
    case Verb::kHelo: {
      if (!ConsumeChar(&rest, ' ')) return syntax_error();
      const bool ok = !rest.empty() && rest.front() == '['
                          ? IsValidAddressLiteral(rest)
                          : IsValidDomain(rest, /*allow_utf8=*/false);
      if (!ok) return syntax_error();
      command->argument.assign(rest.data(), rest.size());
      return true;
    }
    case Verb::kMail:
    case Verb::kRcpt: {
      const bool is_mail = verb == Verb::kMail;
      const absl::string_view keyword = is_mail ? " FROM:" : " TO:";
      if (!absl::StartsWithIgnoreCase(rest, keyword)) return syntax_error();
      rest.remove_prefix(keyword.size());
      ConsumeChar(&rest, ' ');
      absl::string_view why;
      PathReader reader(&rest, &command->path);
      if (!reader.Read(/*allow_null=*/is_mail, /*allow_postmaster=*/!is_mail,
                       &why)) {
        return Fail(error, 501, is_mail ? "5.1.7" : "5.1.3",
                    absl::StrCat("Bad ", is_mail ? "sender" : "recipient",
                                 " address syntax: ", why));
      }
      if (!ParseParameters(rest, is_mail, command, error)) return false;
      if (is_mail && command->path.non_ascii && !command->smtputf8) {
        return Fail(error, 553, "5.6.7",
                    "Non-ASCII address requires the SMTPUTF8 parameter");
      }
      return true;
    }
  }
  return syntax_error();
}

}  // namespace smtp
}  // namespace mailshake
