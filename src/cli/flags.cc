#include "src/cli/flags.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace mailshake::cli {

struct FlagSet::Flag {
  std::string name, help;
  std::string value_name;  // shown after the name in the help; empty for bools
  std::string range;       // what is accepted, for the help and for errors
  std::string default_text;
  bool is_bool = false;
  bool is_list = false;
  bool optional_value = false;
  std::string bare_value;
  bool set = false;
  // Parses |value| and stores it; the message names what was wrong.
  std::function<absl::Status(absl::string_view)> store;
};

namespace {

std::string Quote(absl::string_view value) {
  std::string out = "'";
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      absl::StrAppend(&out, absl::StrFormat("\\x%02x", u));
    } else {
      out.push_back(c);
    }
    if (out.size() > 80) {
      out += "...";
      break;
    }
  }
  return out + "'";
}

absl::Status Expected(absl::string_view value, absl::string_view what, absl::string_view range) {
  return absl::InvalidArgumentError(absl::StrCat(Quote(value), " ", what, "; expected ", range));
}

std::string FormatDouble(double d) { return absl::StrFormat("%g", d); }

// Strict integer syntax: optional sign, digits, nothing else.
bool ParseInt64(absl::string_view text, int64_t* out) {
  absl::string_view digits = text;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
  if (digits.empty()) return false;
  for (char c : digits) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return absl::SimpleAtoi(text, out);
}

bool ParseFiniteDouble(absl::string_view text, double* out) {
  if (text.empty() || text.size() > 64) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '.' && c != 'e' && c != 'E' &&
        c != '-' && c != '+') {
      return false;  // no "inf", "nan", hex floats or white space
    }
  }
  std::string s(text);
  char* end = nullptr;
  errno = 0;
  double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(d)) return false;
  *out = d;
  return true;
}

}  // namespace

FlagSet::FlagSet(std::string command, std::string arguments, std::string summary)
    : command_(std::move(command)), arguments_(std::move(arguments)), summary_(std::move(summary)) {}

FlagSet::~FlagSet() = default;

FlagSet::Flag* FlagSet::Add(const std::string& name, std::string help) {
  auto flag = std::make_unique<Flag>();
  flag->name = name;
  flag->help = std::move(help);
  flags_.push_back(std::move(flag));
  return flags_.back().get();
}

FlagSet::Flag* FlagSet::Find(absl::string_view name) {
  for (auto& f : flags_) {
    if (f->name == name) return f.get();
  }
  return nullptr;
}

void FlagSet::Int(const std::string& name, int64_t* out, int64_t min, int64_t max,
                  std::string help) {
  Flag* f = Add(name, std::move(help));
  f->value_name = "N";
  f->range = absl::StrCat("an integer from ", min, " to ", max);
  f->default_text = absl::StrCat(*out);
  f->store = [out, min, max, range = f->range](absl::string_view v) {
    int64_t n;
    if (!ParseInt64(v, &n)) return Expected(v, "is not an integer in range", range);
    if (n < min || n > max) return Expected(v, "is out of range", range);
    *out = n;
    return absl::OkStatus();
  };
}

void FlagSet::Int(const std::string& name, int* out, int min, int max, std::string help) {
  auto holder = std::make_shared<int64_t>(*out);
  Int(name, holder.get(), min, max, std::move(help));
  Flag* f = flags_.back().get();
  auto inner = std::move(f->store);
  f->store = [holder, inner, out](absl::string_view v) {
    absl::Status s = inner(v);
    if (s.ok()) *out = static_cast<int>(*holder);
    return s;
  };
}

void FlagSet::Double(const std::string& name, double* out, double min, double max,
                     std::string help, bool zero_too) {
  Flag* f = Add(name, std::move(help));
  f->value_name = "X";
  f->range = absl::StrCat(zero_too && min > 0 ? "0, or " : "", "a number from ",
                          FormatDouble(min), " to ", FormatDouble(max));
  f->default_text = FormatDouble(*out);
  f->store = [out, min, max, zero_too, range = f->range](absl::string_view v) {
    double d;
    if (!ParseFiniteDouble(v, &d)) return Expected(v, "is not a finite number", range);
    if (!(zero_too && d == 0) && (d < min || d > max)) {
      return Expected(v, "is out of range", range);
    }
    *out = d;
    return absl::OkStatus();
  };
}

void FlagSet::Duration(const std::string& name, absl::Duration* out, absl::Duration min,
                       absl::Duration max, std::string help) {
  Flag* f = Add(name, std::move(help));
  f->value_name = "DURATION";
  f->range = absl::StrCat("a duration from ", absl::FormatDuration(min), " to ",
                          absl::FormatDuration(max), " (e.g. 500ms, 10s, 2m)");
  f->default_text = absl::FormatDuration(*out);
  f->store = [out, min, max, range = f->range](absl::string_view v) {
    absl::Duration d;
    if (v.size() > 64 || !absl::ParseDuration(v, &d) || d == absl::InfiniteDuration() ||
        d == -absl::InfiniteDuration()) {
      return Expected(v, "is not a finite duration", range);
    }
    if (d < min || d > max) return Expected(v, "is out of range", range);
    *out = d;
    return absl::OkStatus();
  };
}

void FlagSet::String(const std::string& name, std::string* out, std::string value_name,
                     std::string help, StringCheck check) {
  Flag* f = Add(name, std::move(help));
  f->value_name = std::move(value_name);
  f->default_text = out->empty() ? "none" : *out;
  f->store = [out, check](absl::string_view v) {
    if (check) {
      if (absl::Status s = check(v); !s.ok()) return s;
    }
    *out = std::string(v);
    return absl::OkStatus();
  };
}

void FlagSet::Choice(const std::string& name, std::string* out, std::vector<std::string> choices,
                     std::string help) {
  Flag* f = Add(name, std::move(help));
  f->value_name = absl::StrJoin(choices, "|");
  f->range = absl::StrCat("one of ", absl::StrJoin(choices, ", "));
  f->default_text = *out;
  f->store = [out, choices, range = f->range](absl::string_view v) {
    if (std::find(choices.begin(), choices.end(), v) == choices.end()) {
      return Expected(v, "is not allowed", range);
    }
    *out = std::string(v);
    return absl::OkStatus();
  };
}

void FlagSet::Bool(const std::string& name, bool* out, std::string help) {
  Flag* f = Add(name, std::move(help));
  f->is_bool = true;
  f->range = "true or false";
  f->default_text = *out ? "true" : "false";
  f->store = [out](absl::string_view v) {
    std::string lower = absl::AsciiStrToLower(v);
    if (lower == "true" || lower == "1" || lower == "yes") {
      *out = true;
    } else if (lower == "false" || lower == "0" || lower == "no") {
      *out = false;
    } else {
      return Expected(v, "is not a truth value", "true or false");
    }
    return absl::OkStatus();
  };
}

void FlagSet::List(const std::string& name, std::vector<std::string>* out,
                   std::string value_name, std::string help, StringCheck check) {
  Flag* f = Add(name, std::move(help));
  f->is_list = true;
  f->value_name = std::move(value_name);
  f->default_text = out->empty() ? "none" : absl::StrJoin(*out, ",");
  auto defaults_cleared = std::make_shared<bool>(false);
  f->store = [out, check, defaults_cleared](absl::string_view v) {
    if (!*defaults_cleared) {
      out->clear();
      *defaults_cleared = true;
    }
    for (absl::string_view item : absl::StrSplit(v, ',')) {
      if (item.empty()) return absl::InvalidArgumentError(absl::StrCat(Quote(v), " has an empty item"));
      if (check) {
        if (absl::Status s = check(item); !s.ok()) return s;
      }
      out->emplace_back(item);
    }
    return absl::OkStatus();
  };
}

void FlagSet::OptionalValue(const std::string& name, std::string* out, std::string bare_value,
                            std::string value_name, std::string help, StringCheck check) {
  String(name, out, std::move(value_name), std::move(help), std::move(check));
  Flag* f = flags_.back().get();
  f->optional_value = true;
  f->bare_value = std::move(bare_value);
}

void FlagSet::Positional(size_t min, size_t max) {
  min_positional_ = min;
  max_positional_ = max;
}

bool FlagSet::WasSet(absl::string_view name) const {
  for (const auto& f : flags_) {
    if (f->name == name) return f->set;
  }
  return false;
}

std::optional<int> FlagSet::Fail(absl::string_view message) const {
  std::fprintf(stderr, "mailshake %s: %s\n", command_.c_str(), std::string(message).c_str());
  return 2;
}

std::string FlagSet::Help() const {
  std::string out = absl::StrCat("usage: mailshake ", command_, " [FLAGS]",
                                 arguments_.empty() ? "" : " ", arguments_, "\n\n", summary_,
                                 "\n\nflags:\n");
  std::vector<const Flag*> sorted;
  for (const auto& f : flags_) sorted.push_back(f.get());
  std::sort(sorted.begin(), sorted.end(),
            [](const Flag* a, const Flag* b) { return a->name < b->name; });
  for (const Flag* f : sorted) {
    std::string head = absl::StrCat("  --", f->name);
    if (f->optional_value) {
      absl::StrAppend(&head, "[=", f->value_name, "]");
    } else if (!f->value_name.empty()) {
      absl::StrAppend(&head, " ", f->value_name);
    }
    std::vector<std::string> facts;
    if (!f->range.empty() && !f->is_bool) facts.push_back(f->range);
    if (f->is_list) facts.push_back("repeatable, comma-separated");
    if (f->optional_value) facts.push_back(absl::StrCat("bare: ", f->bare_value));
    facts.push_back(absl::StrCat("default: ", f->default_text.empty() ? "\"\"" : f->default_text));
    absl::StrAppend(&out, head, "\n      ", f->help, "\n      (", absl::StrJoin(facts, "; "),
                    ")\n");
  }
  absl::StrAppend(&out, "  --help\n      print this help and exit\n");
  return out;
}

std::optional<int> FlagSet::Parse(const std::vector<std::string>& argv,
                                  std::vector<std::string>* positional) {
  // Help wins over everything else, wherever it is before "--".
  for (const std::string& word : argv) {
    if (word == "--") break;
    if (word == "--help" || word == "-h" || word == "-help") {
      std::fputs(Help().c_str(), stdout);
      return 0;
    }
  }
  struct Item {
    Flag* flag;
    std::string value;
    size_t maybe_word = SIZE_MAX;  // a word an optional-value flag may take
  };
  std::vector<Item> items;
  std::vector<std::pair<size_t, std::string>> words;  // positional, by index
  for (size_t i = 0; i < argv.size(); ++i) {
    absl::string_view word = argv[i];
    if (word == "--") {
      for (size_t j = i + 1; j < argv.size(); ++j) words.emplace_back(j, argv[j]);
      break;
    }
    if (word == "-" || !absl::StartsWith(word, "-")) {
      words.emplace_back(i, argv[i]);
      continue;
    }
    absl::string_view body = word;
    if (!absl::ConsumePrefix(&body, "--")) {
      return Fail(absl::StrCat("unknown flag ", Quote(word), " (flags are written --name; see "
                               "'mailshake ", command_, " --help')"));
    }
    size_t eq = body.find('=');
    std::string name(body.substr(0, eq));
    std::replace(name.begin(), name.end(), '_', '-');
    bool has_value = eq != absl::string_view::npos;
    std::string value = has_value ? std::string(body.substr(eq + 1)) : "";
    Flag* flag = Find(name);
    if (flag == nullptr && absl::StartsWith(name, "no-")) {
      Flag* negated = Find(name.substr(3));
      if (negated != nullptr && negated->is_bool && !has_value) {
        items.push_back({negated, "false"});
        continue;
      }
    }
    if (flag == nullptr) {
      return Fail(absl::StrCat(Quote(absl::StrCat("--", name)), " is not a flag of '", command_,
                               "' (see 'mailshake ", command_, " --help')"));
    }
    if (flag->is_bool) {
      items.push_back({flag, has_value ? value : "true"});
    } else if (has_value) {
      items.push_back({flag, value});
    } else if (flag->optional_value) {
      Item item{flag, flag->bare_value};
      if (i + 1 < argv.size() && (argv[i + 1] == "-" || !absl::StartsWith(argv[i + 1], "-"))) {
        item.maybe_word = i + 1;
        item.value = argv[i + 1];
        ++i;
      }
      items.push_back(std::move(item));
    } else {
      if (i + 1 >= argv.size()) {
        return Fail(absl::StrCat("--", name, " needs a value",
                                 flag->range.empty() ? "" : absl::StrCat(": ", flag->range)));
      }
      items.push_back({flag, argv[++i]});
    }
  }
  // Optional values give their word back, last first, while the positional
  // arguments would otherwise be too few.
  for (auto it = items.rbegin(); it != items.rend() && words.size() < min_positional_; ++it) {
    if (it->maybe_word == SIZE_MAX) continue;
    words.emplace_back(it->maybe_word, it->value);
    it->value = it->flag->bare_value;
    it->maybe_word = SIZE_MAX;
  }
  std::sort(words.begin(), words.end());
  for (Item& item : items) {
    if (item.flag->set && !item.flag->is_list) {
      return Fail(absl::StrCat("--", item.flag->name, " is given more than once"));
    }
    item.flag->set = true;
    if (absl::Status s = item.flag->store(item.value); !s.ok()) {
      return Fail(absl::StrCat("--", item.flag->name, ": ", s.message()));
    }
  }
  if (words.size() > max_positional_) {
    return Fail(max_positional_ == 0
                    ? absl::StrCat("takes no arguments, got ", Quote(words[0].second))
                    : absl::StrCat("unexpected argument ", Quote(words[max_positional_].second),
                                   " (usage: mailshake ", command_, " [FLAGS] ", arguments_,
                                   ")"));
  }
  if (words.size() < min_positional_) {
    return Fail(absl::StrCat("missing argument (usage: mailshake ", command_, " [FLAGS] ",
                             arguments_, ")"));
  }
  positional->clear();
  for (auto& [index, word] : words) positional->push_back(std::move(word));
  return std::nullopt;
}

absl::Status CheckDnsName(absl::string_view name) {
  absl::string_view n = name;
  absl::ConsumeSuffix(&n, ".");
  if (n.empty()) return absl::InvalidArgumentError("is empty; expected a DNS name");
  if (name.size() > 253 + 1 || n.size() > 253) {
    return absl::InvalidArgumentError(
        absl::StrCat("is ", name.size(), " octets; a DNS name has at most 253"));
  }
  bool all_numeric = true;
  for (absl::string_view label : absl::StrSplit(n, '.')) {
    if (label.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(Quote(name), " has an empty label"));
    }
    if (label.size() > 63) {
      return absl::InvalidArgumentError(
          absl::StrCat(Quote(name), " has a label over 63 octets"));
    }
    if (label.front() == '-' || label.back() == '-') {
      return absl::InvalidArgumentError(
          absl::StrCat(Quote(name), " has a label starting or ending with '-'"));
    }
    for (char c : label) {
      unsigned char u = static_cast<unsigned char>(c);
      if (!absl::ascii_isalnum(u) && c != '-' && c != '_') {
        return absl::InvalidArgumentError(absl::StrCat(
            Quote(name), " is not a DNS name (letters, digits, '-', '_' and '.' only)"));
      }
      if (!absl::ascii_isdigit(u)) all_numeric = false;
    }
  }
  if (all_numeric) {
    return absl::InvalidArgumentError(
        absl::StrCat(Quote(name), " is an IP address, not a DNS name"));
  }
  return absl::OkStatus();
}

StringCheck PrintableWord(size_t max_octets) {
  return [max_octets](absl::string_view v) -> absl::Status {
    if (v.empty()) return absl::InvalidArgumentError("must not be empty");
    if (v.size() > max_octets) {
      return absl::InvalidArgumentError(
          absl::StrCat("is ", v.size(), " octets; at most ", max_octets, " fit"));
    }
    for (char c : v) {
      unsigned char u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u >= 0x7f) {
        return absl::InvalidArgumentError(absl::StrCat(
            Quote(v), " contains a space, control or non-ASCII character (CR and LF would "
                      "end the SMTP line)"));
      }
    }
    return absl::OkStatus();
  };
}

absl::Status CheckPath(absl::string_view path) {
  if (path.empty()) return absl::InvalidArgumentError("must not be empty");
  for (char c : path) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat(Quote(path), " contains a control character"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckReadableFile(absl::string_view path) {
  if (absl::Status s = CheckPath(path); !s.ok()) return s;
  std::string p(path);
  struct stat st;
  if (stat(p.c_str(), &st) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read '", p, "': ", strerror(errno)));
  }
  if (S_ISDIR(st.st_mode)) return absl::InvalidArgumentError(absl::StrCat("'", p, "' is a directory"));
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat("'", p, "' is not a regular file"));
  }
  if (st.st_size > kMaxInputFileBytes) {
    return absl::InvalidArgumentError(absl::StrCat("'", p, "' is ", st.st_size,
                                                   " octets; the limit is ", kMaxInputFileBytes));
  }
  if (access(p.c_str(), R_OK) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read '", p, "': ", strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace mailshake::cli
