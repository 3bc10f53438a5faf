#include <dirent.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/report/report.h"
#include "src/report/test_util.h"

namespace mailshake {
namespace report {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(d);
  return names;
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// Reject expects FromJson(|doc|) to fail with InvalidArgument and a message
// containing every one of |parts|.
void ExpectRejected(const json& doc, const std::vector<std::string>& parts) {
  absl::StatusOr<Result> result = FromJson(doc);
  ASSERT_FALSE(result.ok()) << "accepted: " << doc.dump().substr(0, 200);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  for (const std::string& part : parts) {
    EXPECT_THAT(std::string(result.status().message()), HasSubstr(part));
  }
}

class JsonTest : public ::testing::Test {
 protected:
  JsonTest() : result_(testing::SyntheticResult()), doc_(ToJson(result_)) {}

  json& ScenarioJson(int i) { return doc_["scenarios"][i]; }

  Result result_;
  json doc_;
};

TEST_F(JsonTest, WritesSchemaStringAndEveryScenario) {
  EXPECT_EQ(doc_["schema"], "mailshake.result/v1");
  ASSERT_EQ(doc_["scenarios"].size(), 2u);
  EXPECT_EQ(ScenarioJson(0)["name"], result_.scenarios[0].name);
  EXPECT_EQ(ScenarioJson(0)["attempted"], 2000);
  EXPECT_EQ(doc_["environment"]["start"], "2023-11-14T22:13:20.123456789Z");
}

TEST_F(JsonTest, RoundTripPreservesEverything) {
  absl::StatusOr<Result> back = FromJson(doc_);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->environment, result_.environment);
  EXPECT_EQ(back->target, result_.target);
  EXPECT_EQ(back->spec, result_.spec);
  ASSERT_EQ(back->scenarios.size(), result_.scenarios.size());
  for (size_t i = 0; i < result_.scenarios.size(); ++i) {
    const Scenario& a = result_.scenarios[i];
    const Scenario& b = back->scenarios[i];
    EXPECT_EQ(b.name, a.name);
    EXPECT_EQ(b.parameters, a.parameters);
    EXPECT_EQ(b.trial, a.trial);
    EXPECT_EQ(b.attempted, a.attempted);
    EXPECT_EQ(b.failed, a.failed);
    EXPECT_EQ(b.interrupted, a.interrupted);
    EXPECT_EQ(b.measured_seconds, a.measured_seconds);
    EXPECT_EQ(b.client_cpu_seconds, a.client_cpu_seconds);
    EXPECT_EQ(b.target_rate, a.target_rate);
    EXPECT_EQ(b.outcomes.SortedByCount(), a.outcomes.SortedByCount());
    ASSERT_EQ(b.phases.size(), a.phases.size());
    for (size_t p = 0; p < a.phases.size(); ++p) {
      EXPECT_EQ(b.phases[p].name, a.phases[p].name);
      EXPECT_EQ(b.phases[p].latency.Buckets(), a.phases[p].latency.Buckets());
      EXPECT_EQ(b.phases[p].latency.ValueAtPercentile(99.9),
                a.phases[p].latency.ValueAtPercentile(99.9));
    }
    EXPECT_EQ(b.schedule_lag.Buckets(), a.schedule_lag.Buckets());
    EXPECT_EQ(b.series.seconds().size(), a.series.seconds().size());
    EXPECT_EQ(b.negotiated.size(), a.negotiated.size());
    EXPECT_EQ(b.server.has_value(), a.server.has_value());
  }
  // And everything else, field by field, through the serialized form.
  EXPECT_EQ(ToJson(*back), doc_);
}

TEST_F(JsonTest, FileRoundTripIsAtomicAndLeavesNoTemporaryFile) {
  const std::string dir = TempPath("file_round_trip");
  ASSERT_EQ(system(absl::StrCat("mkdir -p ", dir).c_str()), 0);
  const std::string path = dir + "/result.json";
  ASSERT_TRUE(WriteJsonFile(result_, path).ok());
  ASSERT_TRUE(WriteJsonFile(result_, path).ok());  // Replaces the file.
  EXPECT_THAT(ListDir(dir), ::testing::ElementsAre("result.json"));
  absl::StatusOr<Result> back = ReadJsonFile(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(ToJson(*back), doc_);
}

TEST_F(JsonTest, WriteRefusesInvalidResultAndKeepsTheOldFile) {
  const std::string path = TempPath("keep_old.json");
  WriteText(path, "old contents");
  result_.scenarios[0].failed += 1;
  absl::Status status = WriteJsonFile(result_, path);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr(path));
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  EXPECT_EQ(contents.str(), "old contents");
}

TEST_F(JsonTest, WriteIntoMissingDirectoryNamesThePath) {
  absl::Status status =
      WriteJsonFile(result_, TempPath("no/such/dir/result.json"));
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(status.message()), HasSubstr("no/such/dir"));
}

TEST_F(JsonTest, RejectsWrongSchemaString) {
  doc_["schema"] = "foo";
  ExpectRejected(doc_,
                 {"not a mailshake result", "\"foo\"", "mailshake.result/v1"});
  doc_.erase("schema");
  ExpectRejected(doc_, {"not a mailshake result", "missing field \"schema\""});
  doc_["schema"] = 1;
  ExpectRejected(doc_, {"\"schema\" must be a string"});
  for (const char* malformed :
       {"mailshake.result/v", "mailshake.result/vX", "mailshake.result/v1.",
        "mailshake.result/v1.x", "mailshake.result/v-1",
        "mailshake.result/v1 "}) {
    doc_["schema"] = malformed;
    ExpectRejected(doc_, {"malformed result schema"});
  }
}

TEST_F(JsonTest, RejectsUnknownMajorVersionWithClearMessage) {
  doc_["schema"] = "mailshake.result/v2";
  absl::StatusOr<Result> result = FromJson(doc_);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(),
            "unsupported result schema mailshake.result/v2 (this mailshake "
            "reads v1)");
  doc_["schema"] = "mailshake.result/v0";
  ExpectRejected(doc_, {"unsupported result schema mailshake.result/v0"});
  doc_["schema"] = "mailshake.result/v10.3";
  ExpectRejected(doc_, {"unsupported result schema mailshake.result/v10.3"});
}

TEST_F(JsonTest, AcceptsMinorVersionAndIgnoresUnknownFields) {
  doc_["schema"] = "mailshake.result/v1.7";
  doc_["added_in_v1_7"] = {{"anything", 1}};
  ScenarioJson(0)["new_scenario_field"] = "x";
  ScenarioJson(0)["phases"][0]["p99_99_ns"] = 5;
  doc_["environment"]["numa_nodes"] = 1;
  absl::StatusOr<Result> result = FromJson(doc_);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->scenarios.size(), 2u);
}

TEST_F(JsonTest, RejectsMissingTopLevelAndEnvironmentFields) {
  for (const char* key : {"environment", "target", "spec", "scenarios"}) {
    json doc = doc_;
    doc.erase(key);
    ExpectRejected(doc, {absl::StrCat("missing field \"", key, "\"")});
  }
  for (const auto& item : doc_["environment"].items()) {
    json doc = doc_;
    doc["environment"].erase(item.key());
    ExpectRejected(doc, {"environment",
                         absl::StrCat("missing field \"", item.key(), "\"")});
  }
}

TEST_F(JsonTest, WritesTheRfc8460ResultTypeOfEachFailureCategory) {
  const json& types = ScenarioJson(0)["outcome_rfc8460"];
  ASSERT_TRUE(types.is_object());
  EXPECT_FALSE(types.contains("ok"));
  for (const auto& [category, count] : result_.scenarios[0].outcomes.SortedByCount()) {
    if (category != "ok") EXPECT_TRUE(types.contains(category)) << category;
  }
  EXPECT_EQ(types["tls_alert:handshake_failure"], "validation-failure");
  EXPECT_TRUE(types["connect_refused"].is_null());
}

TEST_F(JsonTest, DeviationsRoundTripAndFilesWithoutThemStillRead) {
  result_.scenarios[0].deviations = stats::CounterMap();
  ASSERT_TRUE(result_.scenarios[0].deviations.Add("long_reply_lines", 7).ok());
  absl::StatusOr<Result> back = FromJson(ToJson(result_));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->scenarios[0].deviations.Get("long_reply_lines"), 7);
  json old = ToJson(result_);
  for (json& s : old["scenarios"]) {
    s.erase("deviations");
    s.erase("outcome_rfc8460");
  }
  absl::StatusOr<Result> read = FromJson(old);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->scenarios[0].deviations.Total(), 0);
}

TEST_F(JsonTest, RejectsMissingScenarioFieldsNamingTheScenario) {
  for (const auto& item : ScenarioJson(1).items()) {
    // Optional: server, syscalls and deviations (added within v1);
    // outcome_rfc8460 is derived and ignored.
    if (item.key() == "server" || item.key() == "syscalls" || item.key() == "name") continue;
    if (item.key() == "disturbance" || item.key() == "cpu_canary") continue;
    if (item.key() == "cpu_windows") continue;
    if (item.key() == "deviations" || item.key() == "outcome_rfc8460") continue;
    json doc = doc_;
    doc["scenarios"][1].erase(item.key());
    ExpectRejected(doc, {"scenarios[1]", result_.scenarios[1].name,
                         absl::StrCat("missing field \"", item.key(), "\"")});
  }
  json doc = doc_;
  doc["scenarios"][1].erase("name");
  ExpectRejected(doc, {"scenarios[1]", "missing field \"name\""});
  for (const auto& item : ScenarioJson(1)["server"].items()) {
    // Added within v1.
    if (item.key() == "seconds" || item.key() == "handshake_rate" || item.key() == "syscalls") {
      continue;
    }
    json doc = doc_;
    doc["scenarios"][1]["server"].erase(item.key());
    ExpectRejected(
        doc, {"server", absl::StrCat("missing field \"", item.key(), "\"")});
  }
  for (const auto& item : ScenarioJson(0)["phases"][2].items()) {
    json doc = doc_;
    doc["scenarios"][0]["phases"][2].erase(item.key());
    ExpectRejected(
        doc, {"phases[2]", absl::StrCat("missing field \"", item.key(), "\"")});
  }
}

TEST_F(JsonTest, SyscallsRoundTripAndTheirDerivedFiguresAreChecked) {
  ASSERT_TRUE(result_.scenarios[1].syscalls.has_value());
  absl::StatusOr<Result> back = FromJson(doc_);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_TRUE(back->scenarios[1].syscalls.has_value());
  EXPECT_EQ(back->scenarios[1].syscalls->calls, result_.scenarios[1].syscalls->calls);
  EXPECT_EQ(back->scenarios[1].syscalls->epoll_wait, result_.scenarios[1].syscalls->epoll_wait);
  EXPECT_FALSE(back->scenarios[0].syscalls.has_value());

  json old = doc_;
  old["scenarios"][1].erase("syscalls");  // files written before it was counted
  EXPECT_TRUE(FromJson(old).ok());

  for (const char* key : {"calls", "total", "epoll_wait", "per_attempt"}) {
    json doc = doc_;
    doc["scenarios"][1]["syscalls"].erase(key);
    ExpectRejected(doc, {"syscalls", absl::StrCat("missing field \"", key, "\"")});
  }
  json wrong_total = doc_;
  wrong_total["scenarios"][1]["syscalls"]["total"] = 1;
  ExpectRejected(wrong_total, {"total"});
  json wrong_rate = doc_;
  wrong_rate["scenarios"][1]["syscalls"]["per_attempt"] = 1000.0;
  ExpectRejected(wrong_rate, {"per_attempt"});
}

TEST_F(JsonTest, ServerSyscallsRoundTripAndTheirDerivedFiguresAreChecked) {
  ASSERT_TRUE(result_.scenarios[1].server->syscalls.has_value());
  const ServerSyscalls& want = *result_.scenarios[1].server->syscalls;
  const json& sc = doc_["scenarios"][1]["server"]["syscalls"];
  EXPECT_EQ(sc["total"], want.counted.Total());
  EXPECT_NEAR(sc["per_connection"].get<double>(),
              static_cast<double>(want.counted.Total()) / want.connections, 1e-9);
  absl::StatusOr<Result> back = FromJson(doc_);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_TRUE(back->scenarios[1].server->syscalls.has_value());
  const ServerSyscalls& got = *back->scenarios[1].server->syscalls;
  EXPECT_EQ(got.counted.calls, want.counted.calls);
  EXPECT_EQ(got.counted.epoll_wait, want.counted.epoll_wait);
  EXPECT_EQ(got.connections, want.connections);

  json old = doc_;
  old["scenarios"][1]["server"].erase("syscalls");  // files written before it was counted
  absl::StatusOr<Result> read = FromJson(old);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_FALSE(read->scenarios[1].server->syscalls.has_value());

  for (const char* key : {"calls", "total", "epoll_wait", "connections", "per_connection",
                          "epoll_wait_per_connection"}) {
    json doc = doc_;
    doc["scenarios"][1]["server"]["syscalls"].erase(key);
    ExpectRejected(doc, {"server", "syscalls", absl::StrCat("missing field \"", key, "\"")});
  }
  json wrong_total = doc_;
  wrong_total["scenarios"][1]["server"]["syscalls"]["total"] = 1;
  ExpectRejected(wrong_total, {"total"});
  json wrong_rate = doc_;
  wrong_rate["scenarios"][1]["server"]["syscalls"]["per_connection"] = 1000.0;
  ExpectRejected(wrong_rate, {"per_connection"});
  json negative = doc_;
  negative["scenarios"][1]["server"]["syscalls"]["calls"]["recv"] = -1;
  ExpectRejected(negative, {"recv"});
}

TEST_F(JsonTest, DisturbanceRoundTripsAndItsShareIsChecked) {
  ASSERT_TRUE(result_.scenarios[1].disturbance.has_value());
  absl::StatusOr<Result> back = FromJson(doc_);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_TRUE(back->scenarios[1].disturbance.has_value());
  const Disturbance& d = *back->scenarios[1].disturbance;
  EXPECT_EQ(d.seconds, 10.6);
  EXPECT_EQ(d.cpus, 2);
  EXPECT_EQ(d.other_cpu_seconds, 0.5);
  EXPECT_EQ(d.steal_seconds, 0.1);
  EXPECT_EQ(d.involuntary_switches, 420);
  EXPECT_NEAR(doc_["scenarios"][1]["disturbance"]["other_share"].get<double>(), 0.6 / 21.2,
              1e-12);
  EXPECT_FALSE(back->scenarios[0].disturbance.has_value());

  json old = doc_;
  old["scenarios"][1].erase("disturbance");  // files written before it was read
  EXPECT_TRUE(FromJson(old).ok());
  for (const char* key : {"seconds", "cpus", "other_cpu_seconds", "steal_seconds",
                          "involuntary_switches", "other_share"}) {
    json doc = doc_;
    doc["scenarios"][1]["disturbance"].erase(key);
    ExpectRejected(doc, {"disturbance", absl::StrCat("missing field \"", key, "\"")});
  }
  json wrong = doc_;
  wrong["scenarios"][1]["disturbance"]["other_share"] = 0.5;
  ExpectRejected(wrong, {"other_share"});
  json negative = doc_;
  negative["scenarios"][1]["disturbance"]["steal_seconds"] = -1;
  ExpectRejected(negative, {"steal_seconds"});
}

TEST_F(JsonTest, CpuCanaryRoundTripsAndIsChecked) {
  ASSERT_TRUE(result_.scenarios[1].cpu_canary.has_value());
  absl::StatusOr<Result> back = FromJson(doc_);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_TRUE(back->scenarios[1].cpu_canary.has_value());
  const CpuCanary& c = *back->scenarios[1].cpu_canary;
  EXPECT_EQ(c.workload, "fe25519-mul/test");
  EXPECT_EQ(c.client.cpus, "0");
  EXPECT_EQ(c.client.before_ns, 1'200'000);
  EXPECT_EQ(c.client.after_ns, 1'260'000);
  ASSERT_TRUE(c.server.has_value());
  EXPECT_EQ(c.server->cpus, "1");
  EXPECT_EQ(c.server->before_ns, 1'150'000);
  EXPECT_EQ(c.server->after_ns, 1'140'000);
  EXPECT_FALSE(back->scenarios[0].cpu_canary.has_value());

  json old = doc_;
  old["scenarios"][1].erase("cpu_canary");  // files written before it was measured
  EXPECT_TRUE(FromJson(old).ok());
  json no_server = doc_;
  no_server["scenarios"][1]["cpu_canary"].erase("server");  // server not pinned apart
  back = FromJson(no_server);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_FALSE(back->scenarios[1].cpu_canary->server.has_value());
  for (const char* key : {"workload", "client"}) {
    json doc = doc_;
    doc["scenarios"][1]["cpu_canary"].erase(key);
    ExpectRejected(doc, {"cpu_canary", absl::StrCat("missing field \"", key, "\"")});
  }
  for (const char* key : {"cpus", "before_ns", "after_ns"}) {
    json doc = doc_;
    doc["scenarios"][1]["cpu_canary"]["server"].erase(key);
    ExpectRejected(doc, {"cpu_canary", "server", absl::StrCat("missing field \"", key, "\"")});
  }
  json negative = doc_;
  negative["scenarios"][1]["cpu_canary"]["client"]["after_ns"] = -1;
  ExpectRejected(negative, {"after_ns"});
  json wrong = doc_;
  wrong["scenarios"][1]["cpu_canary"]["client"]["before_ns"] = "fast";
  ExpectRejected(wrong, {"before_ns"});
}

TEST_F(JsonTest, CpuWindowsRoundTripAndAreChecked) {
  ASSERT_TRUE(result_.scenarios[1].cpu_windows.has_value());
  absl::StatusOr<Result> back = FromJson(doc_);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_TRUE(back->scenarios[1].cpu_windows.has_value());
  const CpuWindows& w = *back->scenarios[1].cpu_windows;
  EXPECT_EQ(w.window_ns, 100'000'000);
  EXPECT_EQ(w.successes, (std::vector<int64_t>{600, 700, 0}));
  EXPECT_EQ(w.client_cpu_ns, (std::vector<int64_t>{95'000'000, 99'000'000, 2'000'000}));
  EXPECT_FALSE(back->scenarios[0].cpu_windows.has_value());

  json old = doc_;
  old["scenarios"][1].erase("cpu_windows");  // files written before they were recorded
  EXPECT_TRUE(FromJson(old).ok());
  for (const char* key : {"window_ns", "successes", "client_cpu_ns"}) {
    json doc = doc_;
    doc["scenarios"][1]["cpu_windows"].erase(key);
    ExpectRejected(doc, {"cpu_windows", absl::StrCat("missing field \"", key, "\"")});
  }
  json negative = doc_;
  negative["scenarios"][1]["cpu_windows"]["client_cpu_ns"][1] = -5;
  ExpectRejected(negative, {"cpu_windows", "client_cpu_ns", "[1]"});
  json not_array = doc_;
  not_array["scenarios"][1]["cpu_windows"]["successes"] = 3;
  ExpectRejected(not_array, {"cpu_windows", "successes"});
  json uneven = doc_;
  uneven["scenarios"][1]["cpu_windows"]["successes"].push_back(1);
  ExpectRejected(uneven, {"cpu_windows", "one length"});
  json zero = doc_;
  zero["scenarios"][1]["cpu_windows"]["window_ns"] = 0;
  ExpectRejected(zero, {"cpu_windows", "window_ns"});
  json too_many = doc_;
  too_many["scenarios"][1]["cpu_windows"]["successes"][0] = result_.scenarios[1].succeeded;
  ExpectRejected(too_many, {"cpu_windows.successes sum to", "more than"});
  json huge = doc_;
  huge["scenarios"][1]["cpu_windows"]["successes"] = json::array();
  huge["scenarios"][1]["cpu_windows"]["client_cpu_ns"] = json::array();
  for (int64_t i = 0; i <= kMaxCpuWindows; ++i) {
    huge["scenarios"][1]["cpu_windows"]["successes"].push_back(0);
    huge["scenarios"][1]["cpu_windows"]["client_cpu_ns"].push_back(0);
  }
  ExpectRejected(huge, {"cpu_windows", "at most 100000"});
}

TEST_F(JsonTest, ReadsServerSidesWrittenBeforeTheirRateWasRecorded) {
  json doc = doc_;
  doc["scenarios"][1]["server"].erase("seconds");
  doc["scenarios"][1]["server"].erase("handshake_rate");
  absl::StatusOr<Result> back = FromJson(doc);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->scenarios[1].server->seconds, 0);
  EXPECT_FALSE(ServerHandshakeRate(*back->scenarios[1].server).has_value());
}

TEST_F(JsonTest, ServerCpuComesWithTheRateItWasTakenAt) {
  const json& server = ScenarioJson(1)["server"];
  EXPECT_DOUBLE_EQ(server["seconds"].get<double>(), 10.5);
  EXPECT_DOUBLE_EQ(server["handshake_rate"].get<double>(), 2050 / 10.5);
  json doc = doc_;
  doc["scenarios"][1]["server"]["handshake_rate"] = 1;
  ExpectRejected(doc, {"handshake_rate", "handshakes / seconds"});
}

TEST_F(JsonTest, RejectsNegativeCounts) {
  for (const char* key :
       {"attempted", "succeeded", "failed", "warmup_attempts", "trial"}) {
    json doc = doc_;
    doc["scenarios"][0][key] = -1;
    ExpectRejected(doc, {absl::StrCat("\"", key, "\" is -1"), "negative"});
  }
  json doc = doc_;
  doc["scenarios"][0]["outcomes"]["ok"] = -5;
  ExpectRejected(doc, {"outcomes", "negative"});
  doc = doc_;
  doc["scenarios"][0]["measured_seconds"] = -0.5;
  ExpectRejected(doc, {"measured_seconds", "zero or more"});
  doc = doc_;
  doc["scenarios"][1]["server"]["handshakes"] = -3;
  ExpectRejected(doc, {"handshakes", "negative"});
}

TEST_F(JsonTest, RejectsCountsOfTheWrongType) {
  json doc = doc_;
  doc["scenarios"][0]["attempted"] = 2000.0;
  ExpectRejected(doc,
                 {"\"attempted\" must be an integer", "floating-point number"});
  doc = doc_;
  doc["scenarios"][0]["succeeded"] = "1900";
  ExpectRejected(doc, {"\"succeeded\" must be an integer", "string"});
  doc = doc_;
  doc["scenarios"][0]["interrupted"] = 0;
  ExpectRejected(doc, {"\"interrupted\" must be true or false"});
  doc = doc_;
  doc["scenarios"][0]["parameters"]["group"] = 25;
  ExpectRejected(doc, {"parameter \"group\" must be a string"});
  doc = doc_;
  doc["scenarios"] = json::object();
  ExpectRejected(doc, {"\"scenarios\" must be an array"});
}

TEST_F(JsonTest, RejectsAttemptedThatIsNotSucceededPlusFailed) {
  const std::string name = result_.scenarios[0].name;
  const int64_t attempted = ScenarioJson(0)["attempted"];
  ScenarioJson(0)["attempted"] = attempted + 1;
  ExpectRejected(doc_,
                 {"scenarios[0]", name, "must equal succeeded", "+ failed"});
}

TEST_F(JsonTest, RejectsOutcomesThatDoNotSumToAttempted) {
  ScenarioJson(1)["outcomes"]["connect_refused"] =
      ScenarioJson(1)["outcomes"]["connect_refused"].get<int64_t>() + 1;
  ExpectRejected(doc_, {"scenarios[1]", result_.scenarios[1].name,
                        "outcome counts add up to"});
}

TEST_F(JsonTest, RejectsSuccessOutcomeThatDiffersFromSucceeded) {
  // Move one count from "ok" to a failure category: the sum still matches.
  ScenarioJson(0)["outcomes"]["ok"] =
      ScenarioJson(0)["outcomes"]["ok"].get<int64_t>() - 1;
  ScenarioJson(0)["outcomes"]["timeout:tls"] =
      ScenarioJson(0)["outcomes"]["timeout:tls"].get<int64_t>() + 1;
  ExpectRejected(doc_, {"outcome \"ok\" counts"});
}

TEST_F(JsonTest, RejectsSeriesThatDoesNotReconcile) {
  json& second = ScenarioJson(0)["series"]["seconds"][0];
  second["failures"] = second["failures"].get<int64_t>() + 1;
  ExpectRejected(doc_, {"per-second series counts"});
}

TEST_F(JsonTest, RejectsNegotiatedFactsBeyondSuccesses) {
  ScenarioJson(0)["negotiated"]["versions"]["TLSv1.0"] = 1;
  ExpectRejected(doc_, {"negotiated \"versions\" counts"});
}

TEST_F(JsonTest, RejectsScheduleLagThatDoesNotMatchTheLoop) {
  // Closed loop with lag values: take the open-loop scenario's lag.
  ScenarioJson(0)["schedule_lag"] = ScenarioJson(1)["schedule_lag"];
  ExpectRejected(doc_, {"closed loop", "schedule lag"});
  doc_ = ToJson(result_);
  ScenarioJson(1)["target_rate"] = 0;
  ExpectRejected(doc_, {"closed loop", "schedule lag"});
}

TEST_F(JsonTest, RejectsBadHistograms) {
  json doc = doc_;
  doc["scenarios"][0]["phases"][1]["histogram"]["buckets"][0][0] = 1000000007;
  ExpectRejected(doc, {"phases[1]", "histogram"});
  doc = doc_;
  doc["scenarios"][0]["phases"][1]["histogram"]["buckets"] = "none";
  ExpectRejected(doc, {"phases[1]", "histogram", "buckets"});
  doc = doc_;
  doc["scenarios"][0]["phases"][0]["count"] = 1;
  ExpectRejected(doc, {"phases[0]", "\"count\"", "histogram holds"});
  doc = doc_;
  doc["scenarios"][0]["phases"][0]["max_ns"] = 1;
  ExpectRejected(doc, {"phases[0]", "max_ns"});
  doc = doc_;
  doc["scenarios"][0]["phases"][0]["p90_ns"] =
      doc["scenarios"][0]["phases"][0]["p50_ns"].get<int64_t>() - 1;
  ExpectRejected(doc, {"phases[0]", "p90_ns", "must not decrease"});
  doc = doc_;
  doc["scenarios"][1]["schedule_lag"]["histogram"]["significant_digits"] = 9;
  ExpectRejected(doc, {"schedule_lag", "significant_digits"});
  doc = doc_;
  doc["scenarios"][0]["series"]["seconds"][0]["latency"]["count"] = 0;
  ExpectRejected(doc, {"series"});
  // Phases of one scenario must share a config.
  doc = doc_;
  json& phase = doc["scenarios"][0]["phases"][3];
  absl::StatusOr<stats::LatencyHistogram> other =
      stats::LatencyHistogram::Create(stats::HistogramConfig{2, 1'000'000});
  ASSERT_TRUE(other.ok());
  phase["histogram"] = other->ToJson();
  phase["count"] = 0;
  phase["max_ns"] = 0;
  phase["mean_ns"] = 0;
  phase["p50_ns"] = phase["p90_ns"] = phase["p99_ns"] = phase["p99_9_ns"] = 0;
  ExpectRejected(doc, {"different histogram config"});
}

TEST_F(JsonTest, RejectsDerivedFiguresThatDisagreeWithCounts) {
  json doc = doc_;
  doc["scenarios"][0]["handshake_rate"] =
      doc["scenarios"][0]["handshake_rate"].get<double>() * 1.01;
  ExpectRejected(doc, {"handshake_rate", "succeeded / measured_seconds"});
  doc = doc_;
  doc["scenarios"][0]["measured_seconds"] = 0;
  ExpectRejected(doc, {"must be null"});
  doc = doc_;
  doc["scenarios"][1]["server"]["cpu_us_per_handshake"] = 1;
  ExpectRejected(doc, {"cpu_us_per_handshake"});
}

TEST_F(JsonTest, NullDerivedFiguresWhenNothingWasMeasured) {
  result_.scenarios[0].measured_seconds = 0;
  result_.scenarios[0].client_cpu_seconds = 0;
  result_.scenarios[0].client_cpu_user_seconds = 0;
  result_.scenarios[0].client_cpu_system_seconds = 0;
  json doc = ToJson(result_);
  EXPECT_TRUE(doc["scenarios"][0]["handshake_rate"].is_null());
  EXPECT_TRUE(
      doc["scenarios"][0]["handshakes_per_client_cpu_second"].is_null());
  EXPECT_TRUE(FromJson(doc).ok());
}

TEST_F(JsonTest, RejectsRepeatedScenario) {
  doc_.erase("shards");  // their sum would not include the added scenario
  doc_["scenarios"].push_back(ScenarioJson(0));
  ExpectRejected(doc_, {"scenarios[2] repeats scenarios[0]", "merge"});
  // A different trial of the same scenario is fine.
  doc_["scenarios"][2]["trial"] = 5;
  EXPECT_TRUE(FromJson(doc_).ok());
}

TEST_F(JsonTest, NotMeasuredScenariosRoundTripAndOldFilesLackThem) {
  absl::StatusOr<Result> back = FromJson(doc_);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->not_measured.size(), 1u);
  EXPECT_EQ(back->not_measured[0].status, NotMeasured::Status::kUnsupported);
  EXPECT_EQ(back->not_measured[0].reason, "tls_alert:handshake_failure");
  // A file written before the field existed is still read.
  doc_.erase("not_measured");
  back = FromJson(doc_);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->not_measured.empty());
}

TEST_F(JsonTest, RejectsUnknownNotMeasuredStatus) {
  doc_["not_measured"][0]["status"] = "skipped";
  ExpectRejected(doc_, {"not_measured[0]", "status", "skipped"});
  doc_["not_measured"][0]["status"] = "target_failed";
  doc_["not_measured"][0]["trials_done"] = -1;
  ExpectRejected(doc_, {"not_measured[0]", "trials_done"});
}

TEST_F(JsonTest, SeveralTrialsOfOneScenarioShareNameAndParameters) {
  Scenario second = result_.scenarios[0];
  second.trial = 1;
  result_.scenarios.push_back(second);
  result_.shards.clear();  // they add up to the fixture's scenarios only
  absl::StatusOr<Result> back = FromJson(ToJson(result_));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->scenarios.size(), 3u);
  EXPECT_EQ(back->scenarios[2].trial, 1);
}

TEST_F(JsonTest, ShardsRoundTripAndMustAddUpToTheScenarios) {
  absl::StatusOr<Result> back = FromJson(doc_);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->shards.size(), 2u);
  EXPECT_EQ(back->shards[1].host, "bench-2");
  EXPECT_EQ(ToJson(*back), doc_);
  json doc = doc_;
  doc["shards"][0]["attempted"] = doc["shards"][0]["attempted"].get<int64_t>() + 1;
  doc["shards"][0]["failed"] = doc["shards"][0]["failed"].get<int64_t>() + 1;
  ExpectRejected(doc, {"shards", "attempted sums to"});
  doc = doc_;
  doc["shards"][1]["index"] = 0;
  ExpectRejected(doc, {"shards[1]", "repeats"});
  doc = doc_;
  doc["shards"][1]["index"] = 2;
  ExpectRejected(doc, {"shards[1]", "not below count"});
  doc = doc_;
  doc["shards"][0]["handshake_rate"] = 1.0;
  ExpectRejected(doc, {"handshake_rate"});
  doc = doc_;
  doc.erase("shards");
  EXPECT_TRUE(FromJson(doc).ok());
}

TEST_F(JsonTest, RejectsEmptyScenarioNameAndBadStartTime) {
  json doc = doc_;
  doc["scenarios"][0]["name"] = "";
  ExpectRejected(doc, {"empty name"});
  doc = doc_;
  doc["environment"]["start"] = "yesterday";
  ExpectRejected(doc, {"\"start\"", "RFC 3339"});
}

TEST(ReadJsonFileTest, ReportsInvalidJsonWithPosition) {
  const std::string path = TempPath("invalid.json");
  WriteText(path, "{\"schema\": \"mailshake.result/v1\",\n \"target\": }");
  absl::StatusOr<Result> result = ReadJsonFile(path);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("not valid JSON"));
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("line 2"));
}

TEST(ReadJsonFileTest, RejectsDeepNesting) {
  const std::string path = TempPath("deep.json");
  WriteText(path, std::string(100000, '[') + std::string(100000, ']'));
  absl::StatusOr<Result> result = ReadJsonFile(path);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("nested more than 64 levels"));
}

TEST(ReadJsonFileTest, MissingFileIsNotFoundAndNamesThePath) {
  const std::string path = TempPath("does-not-exist.json");
  absl::StatusOr<Result> result = ReadJsonFile(path);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr(path));
}

TEST(ReadJsonFileTest, ErrorsInContentNameTheFile) {
  const std::string path = TempPath("v2.json");
  WriteText(path, "{\"schema\": \"mailshake.result/v2\"}");
  absl::StatusOr<Result> result = ReadJsonFile(path);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(),
            absl::StrCat(path,
                         ": unsupported result schema mailshake.result/v2 "
                         "(this mailshake reads v1)"));
}

}  // namespace
}  // namespace report
}  // namespace mailshake
