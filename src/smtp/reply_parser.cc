#include "src/smtp/reply_parser.h"

#include <algorithm>

#include <cstring>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace mailshake {
namespace smtp {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// ConsumeDigits takes one to |max| leading digits off |*s| into |*value|.
bool ConsumeDigits(absl::string_view* s, size_t max, int* value) {
  size_t n = 0;
  int v = 0;
  while (n < s->size() && n < max && IsDigit((*s)[n])) {
    v = v * 10 + ((*s)[n] - '0');
    ++n;
  }
  if (n == 0 || (n < s->size() && IsDigit((*s)[n]))) return false;
  s->remove_prefix(n);
  *value = v;
  return true;
}

bool ConsumeChar(absl::string_view* s, char c) {
  if (s->empty() || s->front() != c) return false;
  s->remove_prefix(1);
  return true;
}

// IsEhloKeyword checks RFC 5321's ehlo-keyword: (ALPHA / DIGIT) *(ALPHA /
// DIGIT / "-").
bool IsEhloKeyword(absl::string_view s) {
  if (s.empty() || !absl::ascii_isalnum(static_cast<unsigned char>(s[0]))) {
    return false;
  }
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') {
      return false;
    }
  }
  return true;
}

// AddAuthMechanisms appends the mechanisms of |params| not already in
// |*seen| (upper-cased). A hash set keeps the cost linear in the reply: a
// hostile 64 KiB EHLO reply can list about 30,000 mechanisms, and comparing
// each against every earlier one cost about 300 ms of client CPU.
void AddAuthMechanisms(absl::string_view params,
                       absl::flat_hash_set<std::string>* seen,
                       EhloExtensions* out) {
  for (absl::string_view mech :
       absl::StrSplit(params, ' ', absl::SkipEmpty())) {
    std::string upper = absl::AsciiStrToUpper(mech);
    if (seen->insert(upper).second) {
      out->auth_mechanisms.push_back(std::move(upper));
    }
  }
}

}  // namespace

std::string EnhancedStatus::ToString() const {
  return absl::StrCat(status_class, ".", subject, ".", detail);
}

std::string Reply::Text() const { return absl::StrJoin(lines, "\n"); }

std::optional<EnhancedStatus> ParseEnhancedStatus(absl::string_view text,
                                                  size_t* length) {
  absl::string_view s = text;
  EnhancedStatus status;
  if (!ConsumeDigits(&s, 1, &status.status_class) ||
      (status.status_class != 2 && status.status_class != 4 &&
       status.status_class != 5) ||
      !ConsumeChar(&s, '.') || !ConsumeDigits(&s, 3, &status.subject) ||
      !ConsumeChar(&s, '.') || !ConsumeDigits(&s, 3, &status.detail)) {
    return std::nullopt;
  }
  if (!s.empty() && s.front() != ' ') return std::nullopt;
  if (length != nullptr) *length = text.size() - s.size();
  return status;
}

absl::string_view ReplyErrorName(ReplyError error) {
  switch (error) {
    case ReplyError::kNone:
      return "none";
    case ReplyError::kLineTooLong:
      return "line_too_long";
    case ReplyError::kTooManyLines:
      return "too_many_lines";
    case ReplyError::kReplyTooLarge:
      return "reply_too_large";
    case ReplyError::kBadCode:
      return "bad_code";
    case ReplyError::kBadSeparator:
      return "bad_separator";
    case ReplyError::kCodeMismatch:
      return "code_mismatch";
    case ReplyError::kBareCr:
      return "bare_cr";
    case ReplyError::kNulByte:
      return "nul_byte";
  }
  return "unknown";
}

namespace {

// HardLineLength is the longest line |limits| accept at all, terminator
// included.
size_t HardLineLength(const ReplyLimits& limits) {
  return std::max(limits.max_line_length, limits.tolerated_line_length);
}

}  // namespace

ReplyParser::ReplyParser(ReplyLimits limits)
    : limits_(limits),
      line_(HardLineLength(limits) >= 2 ? HardLineLength(limits) - 2 : 0,
            internal::LineEnding::kCrlfOrLf) {}

void ReplyParser::Reset() {
  line_.Clear();
  reply_ = Reply();
  reply_ready_ = false;
  error_ = ReplyError::kNone;
  error_line_ = 0;
}

bool ReplyParser::in_progress() const {
  return !reply_ready_ && (!reply_.lines.empty() || line_.in_progress());
}

Reply ReplyParser::TakeReply() {
  Reply out = std::move(reply_);
  reply_ = Reply();
  reply_ready_ = false;
  return out;
}

ParseResult ReplyParser::Fail(ReplyError error) {
  error_ = error;
  error_line_ = reply_.lines.size() + 1;
  return ParseResult::kError;
}

absl::Status ReplyParser::status() const {
  if (error_ == ReplyError::kNone) return absl::OkStatus();
  absl::string_view what;
  switch (error_) {
    case ReplyError::kLineTooLong:
      return absl::DataLossError(absl::StrCat(
          "SMTP reply line ", error_line_, " is longer than ", HardLineLength(limits_),
          " octets (RFC 5321 4.5.3.1.5 allows ", limits_.max_line_length,
          "; longer lines are tolerated up to that bound)"));
    case ReplyError::kTooManyLines:
      return absl::DataLossError(absl::StrCat("SMTP reply has more than ",
                                              limits_.max_lines, " lines"));
    case ReplyError::kReplyTooLarge:
      return absl::DataLossError(absl::StrCat(
          "SMTP reply is larger than ", limits_.max_reply_size, " octets"));
    case ReplyError::kBadCode:
      what = "does not start with a reply code 200-559";
      break;
    case ReplyError::kBadSeparator:
      what = "has a reply code followed by neither '-' nor ' '";
      break;
    case ReplyError::kCodeMismatch:
      what = "has a reply code different from the first line's";
      break;
    case ReplyError::kBareCr:
      what = "contains a CR not followed by LF";
      break;
    case ReplyError::kNulByte:
      what = "contains a NUL octet";
      break;
    case ReplyError::kNone:
      break;
  }
  return absl::DataLossError(
      absl::StrCat("SMTP reply line ", error_line_, " ", what));
}

ParseResult ReplyParser::Feed(absl::string_view in, size_t* consumed) {
  *consumed = 0;
  if (error_ != ReplyError::kNone) return ParseResult::kError;
  if (reply_ready_) TakeReply();
  absl::string_view rest = in;
  for (;;) {
    const internal::LineAssembler::Result r = line_.Feed(&rest);
    *consumed = in.size() - rest.size();
    switch (r) {
      case internal::LineAssembler::Result::kNeedMore:
        return ParseResult::kNeedMore;
      case internal::LineAssembler::Result::kOverflow:
        return Fail(ReplyError::kLineTooLong);
      case internal::LineAssembler::Result::kBareCr:
        return Fail(ReplyError::kBareCr);
      case internal::LineAssembler::Result::kLine: {
        const ParseResult pr = ProcessLine();
        if (pr != ParseResult::kNeedMore) return pr;
        break;
      }
    }
  }
}

ParseResult ReplyParser::ProcessLine() {
  const absl::string_view line = line_.line();
  if (reply_.lines.size() >= limits_.max_lines) {
    return Fail(ReplyError::kTooManyLines);
  }
  reply_.wire_size += line.size() + line_.terminator_length();
  if (line.size() + 2 > limits_.max_line_length) ++reply_.long_lines;
  if (reply_.wire_size > limits_.max_reply_size) {
    return Fail(ReplyError::kReplyTooLarge);
  }
  if (std::memchr(line.data(), '\0', line.size()) != nullptr) {
    return Fail(ReplyError::kNulByte);
  }
  // Reply-code = %x32-35 %x30-35 %x30-39 (RFC 5321 section 4.2).
  if (line.size() < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' ||
      line[1] > '5' || !IsDigit(line[2])) {
    return Fail(ReplyError::kBadCode);
  }
  const int code =
      (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  bool last = true;
  if (line.size() > 3) {
    if (line[3] == '-') {
      last = false;
    } else if (line[3] != ' ') {
      return Fail(ReplyError::kBadSeparator);
    }
  }
  const absl::string_view text = line.size() > 3 ? line.substr(4) : "";
  if (reply_.lines.empty()) {
    reply_.code = code;
    std::optional<EnhancedStatus> enhanced = ParseEnhancedStatus(text);
    if (enhanced.has_value() && enhanced->status_class == code / 100) {
      reply_.enhanced = enhanced;
    }
  } else if (code != reply_.code) {
    return Fail(ReplyError::kCodeMismatch);
  }
  reply_.lines.emplace_back(text);
  if (!last) return ParseResult::kNeedMore;
  reply_ready_ = true;
  return ParseResult::kReply;
}

EhloExtensions ParseEhlo(const Reply& reply) {
  EhloExtensions out;
  if (reply.lines.empty()) return out;
  const absl::string_view first = reply.lines[0];
  out.domain = std::string(first.substr(0, first.find(' ')));
  absl::flat_hash_set<std::string> auth_seen;
  for (size_t i = 1; i < reply.lines.size(); ++i) {
    const absl::string_view line = reply.lines[i];
    const size_t space = line.find(' ');
    absl::string_view keyword = line.substr(0, space);
    const absl::string_view params =
        space == absl::string_view::npos ? "" : line.substr(space + 1);
    // The pre-RFC 2554 form "AUTH=PLAIN LOGIN" is still sent by servers next
    // to the standard one.
    if (absl::StartsWithIgnoreCase(keyword, "AUTH=")) {
      out.auth = true;
      AddAuthMechanisms(line.substr(5), &auth_seen, &out);
      continue;
    }
    if (!IsEhloKeyword(keyword)) {
      out.unknown.emplace_back(line);
      continue;
    }
    const bool bare = params.empty();
    if (absl::EqualsIgnoreCase(keyword, "STARTTLS") && bare) {
      out.starttls = true;
    } else if (absl::EqualsIgnoreCase(keyword, "PIPELINING") && bare) {
      out.pipelining = true;
    } else if (absl::EqualsIgnoreCase(keyword, "8BITMIME") && bare) {
      out.eightbitmime = true;
    } else if (absl::EqualsIgnoreCase(keyword, "SMTPUTF8") && bare) {
      out.smtputf8 = true;
    } else if (absl::EqualsIgnoreCase(keyword, "CHUNKING") && bare) {
      out.chunking = true;
    } else if (absl::EqualsIgnoreCase(keyword, "ENHANCEDSTATUSCODES") && bare) {
      out.enhancedstatuscodes = true;
    } else if (absl::EqualsIgnoreCase(keyword, "DSN") && bare) {
      out.dsn = true;
    } else if (absl::EqualsIgnoreCase(keyword, "AUTH")) {
      out.auth = true;
      AddAuthMechanisms(params, &auth_seen, &out);
    } else if (absl::EqualsIgnoreCase(keyword, "SIZE")) {
      uint64_t limit = 0;
      const bool digits_only =
          !params.empty() &&
          params.find_first_not_of("0123456789") == absl::string_view::npos;
      if (bare) {
        out.size = true;
      } else if (digits_only && absl::SimpleAtoi(params, &limit)) {
        out.size = true;
        if (limit != 0) out.size_limit = limit;
      } else {
        out.unknown.emplace_back(line);
      }
    } else {
      out.unknown.emplace_back(line);
    }
  }
  return out;
}

}  // namespace smtp
}  // namespace mailshake
