// Checks SCHEMA.md against what the writer produces: every key of the
// documented objects appears in the doc's tables, and every key in the
// tables is produced.

#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/report/report.h"
#include "src/report/test_util.h"

namespace mailshake {
namespace report {
namespace {

using KeySets = std::map<std::string, std::set<std::string>>;

std::string SchemaPath() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr || workspace == nullptr) return "src/report/SCHEMA.md";
  return absl::StrCat(srcdir, "/", workspace, "/src/report/SCHEMA.md");
}

std::string ReadSchemaDoc() {
  std::ifstream in(SchemaPath());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// ParseFieldTables returns, for each "### <object>" section under
// "## Objects", the keys in the first column of its table (rows of the form
// "| `key` | type | meaning |").
KeySets ParseFieldTables(const std::string& doc) {
  KeySets tables;
  bool in_objects = false;
  std::string object;
  for (absl::string_view line : absl::StrSplit(doc, '\n')) {
    if (absl::StartsWith(line, "## ")) {
      in_objects = line == "## Objects";
      object.clear();
      continue;
    }
    if (!in_objects) continue;
    if (absl::ConsumePrefix(&line, "### ")) {
      object = std::string(line);
      tables[object];
      continue;
    }
    if (object.empty() || !absl::ConsumePrefix(&line, "| `")) continue;
    const size_t end = line.find("` |");
    if (end == absl::string_view::npos) continue;
    tables[object].insert(std::string(line.substr(0, end)));
  }
  return tables;
}

std::set<std::string> Keys(const nlohmann::json& object) {
  std::set<std::string> keys;
  for (const auto& item : object.items()) keys.insert(item.key());
  return keys;
}

class SchemaDocTest : public ::testing::Test {
 protected:
  SchemaDocTest()
      : doc_(ReadSchemaDoc()),
        tables_(ParseFieldTables(doc_)),
        json_(ToJson(testing::SyntheticResult())) {}

  std::string doc_;
  KeySets tables_;
  nlohmann::json json_;
};

TEST_F(SchemaDocTest, DocumentsEveryObjectTheTestChecks) {
  ASSERT_FALSE(doc_.empty()) << "cannot read " << SchemaPath();
  std::set<std::string> objects;
  for (const auto& [object, keys] : tables_) {
    objects.insert(object);
    EXPECT_FALSE(keys.empty()) << object;
  }
  EXPECT_EQ(objects, (std::set<std::string>{"result", "environment", "scenario",
                                            "latency", "phase", "server",
                                            "syscalls", "server_syscalls", "disturbance",
                                            "cpu_canary", "canary_reading", "cpu_windows",
                                            "not_measured",
                                            "shard"}));
  EXPECT_THAT(doc_, ::testing::HasSubstr(std::string(kSchema)));
}

TEST_F(SchemaDocTest, TopLevelKeysMatchTheDoc) {
  EXPECT_EQ(Keys(json_), tables_["result"]);
}

TEST_F(SchemaDocTest, EnvironmentKeysMatchTheDoc) {
  EXPECT_EQ(Keys(json_["environment"]), tables_["environment"]);
}

TEST_F(SchemaDocTest, ScenarioKeysMatchTheDoc) {
  // Scenario 1 has every optional field (server, syscalls).
  EXPECT_EQ(Keys(json_["scenarios"][1]), tables_["scenario"]);
  std::set<std::string> without_server = tables_["scenario"];
  without_server.erase("server");
  without_server.erase("syscalls");
  without_server.erase("disturbance");
  without_server.erase("cpu_canary");
  without_server.erase("cpu_windows");
  EXPECT_EQ(Keys(json_["scenarios"][0]), without_server);
}

TEST_F(SchemaDocTest, LatencyPhaseAndServerKeysMatchTheDoc) {
  const nlohmann::json& scenario = json_["scenarios"][1];
  EXPECT_EQ(Keys(scenario["schedule_lag"]), tables_["latency"]);
  std::set<std::string> phase = tables_["phase"];
  phase.insert(tables_["latency"].begin(), tables_["latency"].end());
  for (const nlohmann::json& entry : scenario["phases"]) {
    EXPECT_EQ(Keys(entry), phase);
  }
  EXPECT_EQ(Keys(scenario["server"]), tables_["server"]);
  EXPECT_EQ(Keys(scenario["server"]["syscalls"]), tables_["server_syscalls"]);
  EXPECT_EQ(Keys(scenario["syscalls"]), tables_["syscalls"]);
  EXPECT_EQ(Keys(scenario["disturbance"]), tables_["disturbance"]);
  EXPECT_EQ(Keys(scenario["cpu_canary"]), tables_["cpu_canary"]);
  EXPECT_EQ(Keys(scenario["cpu_canary"]["client"]), tables_["canary_reading"]);
  EXPECT_EQ(Keys(scenario["cpu_canary"]["server"]), tables_["canary_reading"]);
  EXPECT_EQ(Keys(scenario["cpu_windows"]), tables_["cpu_windows"]);
}

TEST_F(SchemaDocTest, NotMeasuredKeysMatchTheDoc) {
  ASSERT_EQ(json_["not_measured"].size(), 1u);
  EXPECT_EQ(Keys(json_["not_measured"][0]), tables_["not_measured"]);
}

TEST_F(SchemaDocTest, ShardKeysMatchTheDoc) {
  ASSERT_TRUE(json_["shards"].is_array());
  for (const nlohmann::json& entry : json_["shards"]) {
    EXPECT_EQ(Keys(entry), tables_["shard"]);
  }
}

}  // namespace
}  // namespace report
}  // namespace mailshake
