#include "src/cli/flags.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace mailshake::cli {
namespace {

// A FlagSet with one flag of each kind, bound to public members.
struct Fixture {
  int64_t count = 5;
  int small = 1;
  double ratio = 0.5;
  double rate = 0;
  absl::Duration timeout = absl::Seconds(10);
  std::string name = "default";
  std::string mode = "a";
  bool verbose = false;
  std::vector<std::string> listen;
  std::string json;
  FlagSet flags{"test", "[ARG]", "a test command"};
  std::vector<std::string> args;

  explicit Fixture(size_t min_positional = 0, size_t max_positional = 1) {
    flags.Int("count", &count, 0, 1000, "count");
    flags.Int("small", &small, 1, 8, "small");
    flags.Double("ratio", &ratio, 0, 1, "ratio");
    flags.Double("rate", &rate, 0.01, 1e6, "rate", /*zero_too=*/true);
    flags.Duration("timeout", &timeout, absl::Milliseconds(1), absl::Hours(1), "timeout");
    flags.String("name", &name, "NAME", "name", CheckDnsName);
    flags.Choice("mode", &mode, {"a", "b"}, "mode");
    flags.Bool("verbose", &verbose, "verbose");
    flags.List("listen", &listen, "ADDR", "listen");
    flags.OptionalValue("json", &json, "-", "FILE", "json");
    flags.Positional(min_positional, max_positional);
  }
  std::optional<int> Parse(std::vector<std::string> argv) { return flags.Parse(argv, &args); }
};

TEST(FlagSetTest, SpaceAndEqualsFormsAreTheSame) {
  Fixture f;
  EXPECT_EQ(f.Parse({"--count", "7", "--ratio=0.25", "--timeout", "250ms", "--mode=b"}),
            std::nullopt);
  EXPECT_EQ(f.count, 7);
  EXPECT_EQ(f.ratio, 0.25);
  EXPECT_EQ(f.timeout, absl::Milliseconds(250));
  EXPECT_EQ(f.mode, "b");
}

TEST(FlagSetTest, DefaultsStayWhenNotGiven) {
  Fixture f;
  EXPECT_EQ(f.Parse({}), std::nullopt);
  EXPECT_EQ(f.count, 5);
  EXPECT_EQ(f.timeout, absl::Seconds(10));
  EXPECT_FALSE(f.flags.WasSet("count"));
}

TEST(FlagSetTest, UnknownFlagIsUsageError) {
  Fixture f;
  EXPECT_EQ(f.Parse({"--ciphers", "x"}), 2);
  Fixture g;
  EXPECT_EQ(g.Parse({"-x"}), 2);
}

TEST(FlagSetTest, HelpExitsZeroAndListsOnlyOwnFlagsWithRanges) {
  Fixture f;
  EXPECT_EQ(f.Parse({"--count", "bad", "--help"}), 0);
  std::string help = f.flags.Help();
  EXPECT_NE(help.find("--count N"), std::string::npos);
  EXPECT_NE(help.find("an integer from 0 to 1000"), std::string::npos);
  EXPECT_NE(help.find("default: 10s"), std::string::npos);
  EXPECT_EQ(help.find("--ciphers"), std::string::npos);
}

TEST(FlagSetTest, RefusesNonFiniteAndOutOfRangeNumbers) {
  for (const char* v : {"inf", "-inf", "nan", "NaN", "1e400", "0x10", " 1", "1 ", "", "1.5.2",
                        "2", "-0.1"}) {
    Fixture f;
    EXPECT_EQ(f.Parse({"--ratio", v}), 2) << v;
  }
  for (const char* v : {"1e-12", "-1", "2e6"}) {
    Fixture f;
    EXPECT_EQ(f.Parse({"--rate", v}), 2) << v;
  }
  Fixture zero;
  EXPECT_EQ(zero.Parse({"--rate", "0"}), std::nullopt);
  Fixture ok;
  EXPECT_EQ(ok.Parse({"--rate", "0.01"}), std::nullopt);
}

TEST(FlagSetTest, RefusesIntegerOverflowAndJunk) {
  for (const char* v : {"9223372036854775808", "99999999999999999999", "-1", "1001", "1e3",
                        "1.0", "10k", "+", "abc"}) {
    Fixture f;
    EXPECT_EQ(f.Parse({"--count", v}), 2) << v;
  }
  Fixture narrow;
  EXPECT_EQ(narrow.Parse({"--small", "4294967297"}), 2);  // would wrap to 1 as an int
  EXPECT_EQ(narrow.small, 1);
}

TEST(FlagSetTest, RefusesInfiniteNegativeAndOverflowingDurations) {
  for (const char* v : {"inf", "-inf", "nan", "-1s", "0", "2h", "99999999999999999999h",
                        "10", "1e400s"}) {
    Fixture f;
    EXPECT_EQ(f.Parse({"--timeout", v}), 2) << v;
  }
}

TEST(FlagSetTest, GivenTwiceIsAnErrorExceptForLists) {
  Fixture f;
  EXPECT_EQ(f.Parse({"--count", "1", "--count=2"}), 2);
  Fixture g;
  EXPECT_EQ(g.Parse({"--listen", "a,b", "--listen=c"}), std::nullopt);
  EXPECT_EQ(g.listen, (std::vector<std::string>{"a", "b", "c"}));
  Fixture h;
  EXPECT_EQ(h.Parse({"--listen", "a,,b"}), 2);
}

TEST(FlagSetTest, MissingValueIsUsageError) {
  Fixture f;
  EXPECT_EQ(f.Parse({"--count"}), 2);
}

TEST(FlagSetTest, ChoiceAcceptsOnlyListedValues) {
  Fixture f;
  EXPECT_EQ(f.Parse({"--mode", "c"}), 2);
  EXPECT_EQ(f.mode, "a");
}

TEST(FlagSetTest, BoolForms) {
  Fixture f;
  EXPECT_EQ(f.Parse({"--verbose"}), std::nullopt);
  EXPECT_TRUE(f.verbose);
  Fixture g;
  EXPECT_EQ(g.Parse({"--verbose=false"}), std::nullopt);
  EXPECT_FALSE(g.verbose);
  Fixture h;
  EXPECT_EQ(h.Parse({"--verbose=maybe"}), 2);
}

TEST(FlagSetTest, OptionalValueTakesNextWordOnlyWhenPositionalsStayEnough) {
  Fixture bare(1, 1);
  EXPECT_EQ(bare.Parse({"--json", "cert.pem"}), std::nullopt);
  EXPECT_EQ(bare.json, "-");
  EXPECT_EQ(bare.args, (std::vector<std::string>{"cert.pem"}));

  Fixture after(1, 1);
  EXPECT_EQ(after.Parse({"cert.pem", "--json", "out.json"}), std::nullopt);
  EXPECT_EQ(after.json, "out.json");
  EXPECT_EQ(after.args, (std::vector<std::string>{"cert.pem"}));

  Fixture equals(1, 1);
  EXPECT_EQ(equals.Parse({"--json=out.json", "cert.pem"}), std::nullopt);
  EXPECT_EQ(equals.json, "out.json");

  Fixture last(1, 1);
  EXPECT_EQ(last.Parse({"cert.pem", "--json"}), std::nullopt);
  EXPECT_EQ(last.json, "-");

  Fixture dash(1, 1);
  EXPECT_EQ(dash.Parse({"cert.pem", "--json", "-"}), std::nullopt);
  EXPECT_EQ(dash.json, "-");
}

TEST(FlagSetTest, PositionalCountsAreChecked) {
  Fixture f(1, 1);
  EXPECT_EQ(f.Parse({}), 2);
  Fixture g(0, 1);
  EXPECT_EQ(g.Parse({"a", "b"}), 2);
  Fixture h(0, 2);
  EXPECT_EQ(h.Parse({"--", "--count", "-x"}), std::nullopt);
  EXPECT_EQ(h.args, (std::vector<std::string>{"--count", "-x"}));
}

TEST(FlagSetTest, UnderscoreIsReadAsDash) {
  int64_t v = 0;
  FlagSet flags("t", "", "t");
  flags.Int("max-connections", &v, 0, 10, "m");
  std::vector<std::string> args;
  EXPECT_EQ(flags.Parse({"--max_connections=3"}, &args), std::nullopt);
  EXPECT_EQ(v, 3);
}

TEST(CheckDnsNameTest, AcceptsNamesAndRefusesTheRest) {
  EXPECT_TRUE(CheckDnsName("mx.example.com").ok());
  EXPECT_TRUE(CheckDnsName("mx.example.com.").ok());
  EXPECT_TRUE(CheckDnsName("_smtp.example").ok());
  EXPECT_FALSE(CheckDnsName("").ok());
  EXPECT_FALSE(CheckDnsName(std::string(300, 'a')).ok());
  EXPECT_FALSE(CheckDnsName(std::string(64, 'a') + ".com").ok());
  EXPECT_FALSE(CheckDnsName("a..b").ok());
  EXPECT_FALSE(CheckDnsName("-a.b").ok());
  EXPECT_FALSE(CheckDnsName("mx.example.com\r\nQUIT").ok());
  EXPECT_FALSE(CheckDnsName("a b").ok());
  EXPECT_FALSE(CheckDnsName("127.0.0.1").ok());
  std::string long_ok;
  for (int i = 0; i < 4; ++i) long_ok += std::string(62, 'a') + ".";
  long_ok.pop_back();  // 251 octets
  EXPECT_TRUE(CheckDnsName(long_ok).ok());
}

TEST(PrintableWordTest, RefusesControlCharactersAndLength) {
  StringCheck check = PrintableWord(10);
  EXPECT_TRUE(check("mx.test").ok());
  EXPECT_TRUE(check("[127.0.0.1]").ok() == false);  // 11 octets
  EXPECT_FALSE(check("a\r\nQUIT").ok());
  EXPECT_FALSE(check("a\tb").ok());
  EXPECT_FALSE(check("a b").ok());
  EXPECT_FALSE(check("").ok());
  EXPECT_FALSE(check("\xc3\xa9").ok());
}

TEST(CheckReadableFileTest, RefusesDirectoriesAndMissingFiles) {
  EXPECT_FALSE(CheckReadableFile("/").ok());
  EXPECT_FALSE(CheckReadableFile("/nonexistent/file").ok());
  EXPECT_FALSE(CheckReadableFile("/dev/zero").ok());
  EXPECT_NE(CheckReadableFile("/").message().find("directory"), absl::string_view::npos);
}

}  // namespace
}  // namespace mailshake::cli
