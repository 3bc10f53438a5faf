#ifndef MAILSHAKE_SRC_CLI_FLAGS_H_
#define MAILSHAKE_SRC_CLI_FLAGS_H_

// Per-subcommand command-line flags: the one place where flags are declared,
// parsed, range-checked and documented.
//
// Each subcommand builds its own FlagSet, binds every flag it takes to a
// variable (whose value before parsing is the default), and parses its own
// arguments. A flag that is not declared on that FlagSet (including one that
// belongs to another subcommand) is an error, and `--help` lists only the
// flags declared there, with their ranges and defaults.
//
//   int RunFoo(const std::vector<std::string>& argv) {
//     int64_t count = 10;
//     absl::Duration timeout = absl::Seconds(5);
//     FlagSet flags("foo", "[TARGET]", "what foo does");
//     flags.Int("count", &count, 1, 1000, "how many");
//     flags.Duration("timeout", &timeout, absl::Milliseconds(1), absl::Hours(1), "deadline");
//     flags.Positional(0, 1);
//     std::vector<std::string> args;
//     if (std::optional<int> exit = flags.Parse(argv, &args)) return *exit;
//     ...
//   }
//
// Syntax: `--name value` and `--name=value` are the same; `--` ends the
// flags; `-h`/`--help` prints the help on stdout and makes Parse return 0.
// Names are written with dashes (an underscore is read as a dash). A flag
// given twice is an error unless it is a list. Every error is one line on
// stderr, "mailshake SUB: --flag: what is wrong; expected RANGE", and makes
// Parse return 2.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mailshake::cli {

// A check of a string value: OK, or InvalidArgument with a message that says
// what is wrong (the flag's name is added by the caller).
using StringCheck = std::function<absl::Status(absl::string_view)>;

class FlagSet {
 public:
  // |command| is the subcommand's name ("bench"), |arguments| how its
  // positional arguments are written in the usage line, |summary| one
  // sentence for the help.
  FlagSet(std::string command, std::string arguments, std::string summary);
  ~FlagSet();
  FlagSet(const FlagSet&) = delete;
  FlagSet& operator=(const FlagSet&) = delete;

  // Each declaration binds the flag |name| (dashes, no leading "--") to
  // |*out|, which must outlive Parse; |*out|'s value now is the default.

  // An integer from |min| to |max| inclusive.
  void Int(const std::string& name, int64_t* out, int64_t min, int64_t max, std::string help);
  void Int(const std::string& name, int* out, int min, int max, std::string help);
  // A finite number from |min| to |max| inclusive (nan and inf are refused);
  // with |zero_too|, 0 is accepted as well (e.g. "0 for off").
  void Double(const std::string& name, double* out, double min, double max, std::string help,
              bool zero_too = false);
  // A duration written as absl does ("10s", "1.5m", "250ms", "0"), from |min|
  // to |max| inclusive; infinite, negative or overflowing values are refused.
  void Duration(const std::string& name, absl::Duration* out, absl::Duration min,
                absl::Duration max, std::string help);
  // Any string accepted by |check| (no check when null). |value_name| is how
  // the value is shown in the help ("NAME", "FILE").
  void String(const std::string& name, std::string* out, std::string value_name,
              std::string help, StringCheck check = nullptr);
  // One of |choices| exactly.
  void Choice(const std::string& name, std::string* out, std::vector<std::string> choices,
              std::string help);
  // `--name`, `--name=true|false|1|0|yes|no`, `--no-name`.
  void Bool(const std::string& name, bool* out, std::string help);
  // Repeatable; every occurrence may hold several comma-separated values,
  // each checked by |check|; appended to |*out| in order.
  void List(const std::string& name, std::vector<std::string>* out, std::string value_name,
            std::string help, StringCheck check = nullptr);
  // A flag whose value may be left out: bare `--name` sets |bare_value|.
  // `--name VALUE` takes the next word as its value when it does not start
  // with '-' (a lone "-" is a value) and the positional arguments stay
  // enough without it (so `cert --json FILE` keeps FILE positional while
  // `cert FILE --json OUT` writes OUT).
  void OptionalValue(const std::string& name, std::string* out, std::string bare_value,
                     std::string value_name, std::string help, StringCheck check = nullptr);

  // The number of positional arguments accepted (default 0 to 0).
  void Positional(size_t min, size_t max);

  // Parses |argv| (the words after the subcommand's name). On success fills
  // |*positional| and returns nullopt. Otherwise returns the exit status the
  // subcommand must return: 0 after printing the help to stdout, 2 after
  // printing one error line to stderr.
  std::optional<int> Parse(const std::vector<std::string>& argv,
                           std::vector<std::string>* positional);

  // Whether the flag |name| was given on the command line.
  bool WasSet(absl::string_view name) const;

  // The help text `--help` prints.
  std::string Help() const;

  // The command's name, as given to the constructor.
  const std::string& command() const { return command_; }

 private:
  struct Flag;
  Flag* Add(const std::string& name, std::string help);
  Flag* Find(absl::string_view name);
  std::optional<int> Fail(absl::string_view message) const;

  std::string command_, arguments_, summary_;
  std::vector<std::unique_ptr<Flag>> flags_;
  size_t min_positional_ = 0, max_positional_ = 0;
};

// Value checks shared by subcommands.

// A DNS host name as sent in SNI or used as a server name: 1 to 253 octets
// (a trailing dot allowed), labels of 1 to 63 letters, digits, hyphens and
// underscores, not starting or ending with a hyphen; no IP literal.
absl::Status CheckDnsName(absl::string_view name);

// A word put on an SMTP command or reply line: 1 to |max_octets| printable
// ASCII characters other than space (no CR, LF or other control characters).
StringCheck PrintableWord(size_t max_octets);

// A non-empty path without control characters.
absl::Status CheckPath(absl::string_view path);

// A path naming a readable regular file (symbolic links followed) of at most
// kMaxInputFileBytes: not a directory, device or FIFO.
inline constexpr int64_t kMaxInputFileBytes = 16 << 20;
absl::Status CheckReadableFile(absl::string_view path);

}  // namespace mailshake::cli

#endif  // MAILSHAKE_SRC_CLI_FLAGS_H_
