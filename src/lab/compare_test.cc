#include "src/lab/compare.h"
#include "src/lab/canary.h"

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/report/report.h"
#include "src/report/test_util.h"

namespace mailshake {
namespace lab {
namespace {

using ::testing::HasSubstr;

report::Result MakeResult(const std::vector<double>& per_cpu,
                          const std::string& suite = "ECDHE-RSA-AES128-GCM-SHA256") {
  report::Result r;
  r.environment.cpu_model = "AMD EPYC";
  r.environment.boringssl_api_version = 17;
  r.target = "smtp://127.0.0.1:25";
  r.spec = {{"concurrency", 64}, {"threads", 2}, {"duration_seconds", 3}};
  for (size_t i = 0; i < per_cpu.size(); ++i) {
    r.scenarios.push_back(report::testing::SuiteTrial(suite, static_cast<int>(i), per_cpu[i]));
  }
  return r;
}

SampleSet Side(const std::string& label, const report::Result& r) {
  absl::StatusOr<SampleSet> s =
      SampleSetFromResults(label, {r}, {absl::StrCat(label, "=", label, ".json")});
  EXPECT_TRUE(s.ok()) << s.status();
  return *s;
}

const MetricComparison& Find(const Comparison& c, const std::string& metric) {
  for (const MetricComparison& m : c.scenarios.at(0).metrics) {
    if (m.metric == metric) return m;
  }
  ADD_FAILURE() << "no metric " << metric;
  static MetricComparison none;
  return none;
}

TEST(CompareTest, FlagsASignificantDropOfHandshakesPerCpuSecondAsRegression) {
  SampleSet old_side = Side("old", MakeResult({3000, 3010, 2990, 3005, 2995}));
  SampleSet new_side = Side("new", MakeResult({2700, 2710, 2690, 2705, 2695}));
  absl::StatusOr<Comparison> c = Compare(old_side, new_side, CompareOptions());
  ASSERT_TRUE(c.ok()) << c.status();
  const MetricComparison& m = Find(*c, "hs_per_cpu");
  EXPECT_NEAR(*m.change, -10.0, 0.01);
  EXPECT_EQ(m.old_side.n, 5);
  EXPECT_NEAR(*m.p_value, 2.0 / 252, 1e-9);  // exact, complete separation
  EXPECT_TRUE(m.significant);
  EXPECT_TRUE(m.regression);
  EXPECT_NEAR(m.shift->estimate, -300, 1e-9);
  EXPECT_EQ(ExitStatus(*c), 1);
  ASSERT_EQ(c->regressions.size(), 1u);
  EXPECT_THAT(c->regressions[0], HasSubstr("hs_per_cpu -10.00%"));
  EXPECT_THAT(FormatComparison(*c, OutputFormat::kText), HasSubstr("REGRESSION"));
  // The Hodges-Lehmann shift with its interval, in % of the old median, in
  // the people's formats too.
  EXPECT_THAT(FormatComparison(*c, OutputFormat::kText), HasSubstr("HL shift [95%]"));
  EXPECT_THAT(FormatComparison(*c, OutputFormat::kMarkdown), HasSubstr("| -10.00 ["));
  EXPECT_THAT(c->footer, HasSubstr("Holm"));
}

TEST(CompareTest, AnImprovementIsNotARegression) {
  SampleSet old_side = Side("old", MakeResult({2700, 2710, 2690, 2705, 2695}));
  SampleSet new_side = Side("new", MakeResult({3000, 3010, 2990, 3005, 2995}));
  absl::StatusOr<Comparison> c = Compare(old_side, new_side, CompareOptions());
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(Find(*c, "hs_per_cpu").improvement);
  EXPECT_EQ(ExitStatus(*c), 0);
}

TEST(CompareTest, OverlappingTrialsAreNotSignificantAndShowATilde) {
  SampleSet old_side = Side("old", MakeResult({3000, 2900, 3100, 2950, 3050}));
  SampleSet new_side = Side("new", MakeResult({3020, 2920, 3080, 2960, 3040}));
  absl::StatusOr<Comparison> c = Compare(old_side, new_side, CompareOptions());
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(Find(*c, "hs_per_cpu").significant);
  EXPECT_EQ(ExitStatus(*c), 0);
  EXPECT_THAT(FormatComparison(*c, OutputFormat::kText), HasSubstr("~"));
}

TEST(CompareTest, ASignificantChangeBelowTheThresholdIsNoise) {
  SampleSet old_side = Side("old", MakeResult({3000, 3001, 3002, 3003, 3004}));
  SampleSet new_side = Side("new", MakeResult({2950, 2951, 2952, 2953, 2954}));
  absl::StatusOr<Comparison> c = Compare(old_side, new_side, CompareOptions());
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(Find(*c, "hs_per_cpu").significant);  // -1.7%
  EXPECT_FALSE(Find(*c, "hs_per_cpu").regression);
  EXPECT_EQ(ExitStatus(*c), 0);
}

TEST(CompareTest, FailOnChoosesTheMetricsAndLimits) {
  SampleSet old_side = Side("old", MakeResult({3000, 3010, 2990, 3005, 2995}));
  SampleSet new_side = Side("new", MakeResult({2700, 2710, 2690, 2705, 2695}));
  CompareOptions options;
  options.gates = *ParseFailOn("cpu>+15%");
  absl::StatusOr<Comparison> c = Compare(old_side, new_side, options);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(ExitStatus(*c), 0);  // -10% is within 15%
  options.gates = *ParseFailOn("rate>+3%");
  c = Compare(old_side, new_side, options);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(ExitStatus(*c), 0);  // the rate did not move
}

// One trial with every headline metric: handshakes per client CPU-second,
// handshakes/s, server CPU per handshake, and TLS and total latencies around
// |tls_us| (p50 about tls_us + 50, p99 about tls_us + 99; total twice that).
report::Scenario FullTrial(int trial, double per_cpu, double rate, double server_us,
                           double tls_us) {
  report::Scenario s =
      report::testing::SuiteTrial("ECDHE-RSA-AES128-GCM-SHA256", trial, per_cpu);
  s.measured_seconds = 1000 / rate;
  report::ServerSide server;
  server.connections = server.handshakes = 1000;
  server.cpu_seconds = server_us * 1000 / 1e6;
  s.server = server;
  for (const std::string phase : {"tls", "total"}) {
    report::PhaseLatency p{phase, {}};
    for (int i = 0; i < 100; ++i) {
      p.latency.Record(static_cast<int64_t>((tls_us + i) * 1e3 * (phase == "total" ? 2 : 1)));
    }
    s.phases.push_back(std::move(p));
  }
  return s;
}

struct Trials {
  std::vector<double> per_cpu, rate, server_us, tls_us;
};

report::Result FullResult(const Trials& t) {
  report::Result r = MakeResult({});
  for (size_t i = 0; i < t.per_cpu.size(); ++i) {
    r.scenarios.push_back(
        FullTrial(static_cast<int>(i), t.per_cpu[i], t.rate[i], t.server_us[i], t.tls_us[i]));
  }
  return r;
}

const Trials kSteady = {{3000, 3010, 2990, 3005, 2995},
                        {500, 502, 498, 501, 499},
                        {100, 101, 99, 100.5, 99.5},
                        {1000, 1010, 990, 1005, 995}};

TEST(CompareGateTest, AnAASampleWithOneOutlierTrialIsNotFlagged) {
  // The same setup twice; one trial of the second run was disturbed: 30%
  // slower, its latencies three times higher.
  const Trials disturbed = {{3002, 2998, 3008, 2992, 2100},
                            {501, 499, 503, 497, 350},
                            {100.2, 99.8, 100.8, 99.2, 130},
                            {1002, 998, 1008, 992, 3000}};
  absl::StatusOr<Comparison> c = Compare(Side("old", FullResult(kSteady)),
                                         Side("new", FullResult(disturbed)), CompareOptions());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->gate_tests, 7);  // failure_rate is 0 everywhere: not counted
  EXPECT_THAT(c->regressions, ::testing::IsEmpty());
  EXPECT_EQ(ExitStatus(*c), 0);
}

TEST(CompareGateTest, AClearShiftInFiveAgainstFiveIsFlaggedInEveryMetric) {
  Trials slower = kSteady;
  for (double& v : slower.per_cpu) v *= 0.9;
  for (double& v : slower.rate) v *= 0.9;
  for (double& v : slower.server_us) v *= 1.1;
  for (double& v : slower.tls_us) v *= 1.1;
  absl::StatusOr<Comparison> c = Compare(Side("old", FullResult(kSteady)),
                                         Side("new", FullResult(slower)), CompareOptions());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->gate_tests, 7);
  // Each test: complete separation, one-sided p = 1/252; Holm over 7 tests
  // gives 7/252 = 0.028 to the smallest.
  EXPECT_EQ(c->regressions.size(), 7u);
  EXPECT_NEAR(*Find(*c, "hs_per_cpu").gate_p, 1.0 / 252, 1e-12);
  EXPECT_NEAR(*Find(*c, "hs_per_cpu").gate_adjusted_p, 7.0 / 252, 1e-12);
  EXPECT_EQ(ExitStatus(*c), 1);
  EXPECT_THAT(c->footer, HasSubstr("one-sided"));
  EXPECT_THAT(c->footer, HasSubstr("the 7 tests are Holm-adjusted together"));
  EXPECT_THAT(c->footer, ::testing::Not(HasSubstr("the gate cannot fail")));
}

TEST(CompareGateTest, GatedMetricsAndScenariosShareOneFalseAlarmBudget) {
  // Server CPU per handshake is worse in 4 of 5 trials: alone, its
  // one-sided p against the 3% limit is P(U <= 2) = 4/252 = 0.016, a
  // regression; as one of 7 gated tests (Holm: 7 x 0.016 = 0.11) it is not.
  Trials noisy = {{3002, 2998, 3008, 2992, 3001},
                  {501, 499, 503, 497, 500},
                  {105.5, 111, 112, 113, 114},
                  {1002, 998, 1008, 992, 1001}};
  Trials old_trials = kSteady;
  old_trials.server_us = {100, 101, 102, 103, 104};
  absl::StatusOr<Comparison> c = Compare(Side("old", FullResult(old_trials)),
                                         Side("new", FullResult(noisy)), CompareOptions());
  ASSERT_TRUE(c.ok()) << c.status();
  const MetricComparison& server = Find(*c, "server_cpu_us");
  EXPECT_NEAR(*server.gate_p, 4.0 / 252, 1e-12);
  EXPECT_NEAR(*server.gate_adjusted_p, 7 * 4.0 / 252, 1e-12);
  EXPECT_FALSE(server.regression);
  EXPECT_EQ(ExitStatus(*c), 0);
  CompareOptions one;
  one.gates = *ParseFailOn("server>3%");
  c = Compare(Side("old", FullResult(old_trials)), Side("new", FullResult(noisy)), one);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->gate_tests, 1);
  EXPECT_TRUE(Find(*c, "server_cpu_us").regression);
  EXPECT_EQ(ExitStatus(*c), 1);
}

TEST(CompareGateTest, TheGateAsksForAChangeSignificantlyPastTheLimit) {
  // -4% against a 3% limit with trials spread by +-1%: past the limit, but
  // not significantly past it (the old trials moved by 3% overlap the new).
  const std::vector<double> old_cpu = {3000, 2940, 3060, 2970, 3030};
  std::vector<double> new_cpu;
  for (double v : {3000.0, 3060.0, 2940.0, 3030.0, 2970.0}) new_cpu.push_back(v * 0.96);
  absl::StatusOr<Comparison> c = Compare(Side("old", MakeResult(old_cpu)),
                                         Side("new", MakeResult(new_cpu)), CompareOptions());
  ASSERT_TRUE(c.ok()) << c.status();
  const MetricComparison& m = Find(*c, "hs_per_cpu");
  EXPECT_NEAR(*m.change, -4, 1e-9);
  EXPECT_GT(*m.gate_p, 0.05);
  EXPECT_FALSE(m.regression);
  // The same -4% with trials within +-0.1% is significantly past 3%.
  c = Compare(Side("old", MakeResult({3000, 3001, 2999, 3002, 2998})),
              Side("new", MakeResult({2880, 2881, 2879, 2882, 2878})), CompareOptions());
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(Find(*c, "hs_per_cpu").regression);
}

TEST(CompareTest, ScenariosWithDisturbedTrialsAreMarkedInEveryFormat) {
  report::Result old_r = MakeResult({3000, 3010, 2990, 3005, 2995});
  report::Result new_r = MakeResult({2700, 2710, 2690, 2705, 2695});
  for (report::Scenario& s : old_r.scenarios) s.disturbance = report::Disturbance{4, 2, 0.1, 0, 9};
  new_r.scenarios[1].disturbance = report::Disturbance{4, 2, 1.5, 0, 900};  // 18.75%
  new_r.scenarios[3].disturbance = report::Disturbance{4, 2, 0.1, 0.4, 9};  // 6.25% with steal
  absl::StatusOr<Comparison> c = Compare(Side("old", old_r), Side("new", new_r), CompareOptions());
  ASSERT_TRUE(c.ok()) << c.status();
  const ScenarioComparison& sc = c->scenarios[0];
  EXPECT_EQ(sc.old_trials, 5);
  EXPECT_EQ(sc.old_disturbed_trials, 0);  // 1.25%: not disturbed
  EXPECT_EQ(sc.new_disturbed_trials, 2);
  ASSERT_EQ(c->disturbed.size(), 1u);
  EXPECT_THAT(c->disturbed[0], HasSubstr("old 0 of 5 trials, new 2 of 5"));
  ASSERT_EQ(c->regressions.size(), 1u);
  EXPECT_THAT(c->regressions[0], HasSubstr("disturbed trials: old 0 of 5, new 2 of 5"));
  for (OutputFormat f : {OutputFormat::kText, OutputFormat::kMarkdown}) {
    const std::string out = FormatComparison(*c, f);
    EXPECT_THAT(out, HasSubstr("ECDHE-RSA-AES128-GCM-SHA256 [disturbed]"));
    EXPECT_THAT(out, HasSubstr("Disturbed trials"));
  }
  EXPECT_THAT(FormatComparison(*c, OutputFormat::kCsv), HasSubstr(",0,2,0,0\r\n"));
  nlohmann::json j = ComparisonToJson(*c);
  EXPECT_EQ(j["scenarios"][0]["new_disturbed_trials"], 2);
  EXPECT_EQ(j["scenarios"][0]["disturbed"], true);
  // Without disturbed trials nothing is marked.
  c = Compare(Side("old", old_r), Side("new", old_r), CompareOptions());
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->disturbed.empty());
  EXPECT_THAT(FormatComparison(*c, OutputFormat::kText), ::testing::Not(HasSubstr("disturbed")));
}

// Gives trial |i| of |r| a client canary of |ms| milliseconds.
void SetCanary(report::Result& r, size_t i, double ms) {
  const int64_t ns = static_cast<int64_t>(ms * 1e6);
  r.scenarios[i].cpu_canary =
      report::CpuCanary{kCanaryWorkload, report::CanaryReading{"0", ns, ns}, std::nullopt};
}

TEST(CompareTest, TrialsOnASlowedCpuAreCountedPerFileAndMarkedInEveryFormat) {
  report::Result old_r = MakeResult({3000, 3010, 2990, 3005, 2995});
  report::Result new_r = MakeResult({2700, 2710, 2690, 2705, 2695});
  for (size_t i = 0; i < 5; ++i) {
    SetCanary(old_r, i, 1.0);
    SetCanary(new_r, i, 1.3);  // all slow, alike: nothing is slowed within its run
  }
  SetCanary(old_r, 2, 1.25);  // 25% behind its run's fastest
  absl::StatusOr<Comparison> c = Compare(Side("old", old_r), Side("new", new_r), CompareOptions());
  ASSERT_TRUE(c.ok()) << c.status();
  const ScenarioComparison& sc = c->scenarios[0];
  EXPECT_EQ(sc.old_slowed_trials, 1);
  EXPECT_EQ(sc.new_slowed_trials, 0);
  // The trial, and the new side's canary 30% slower than the old's.
  ASSERT_EQ(c->slowed.size(), 2u);
  EXPECT_THAT(c->slowed[0], HasSubstr("old 1 of 5 trials, new 0 of 5"));
  EXPECT_THAT(c->slowed[1], HasSubstr("ran the CPU canary 30.0% slower in new than in old"));
  ASSERT_EQ(c->regressions.size(), 1u);
  EXPECT_THAT(c->regressions[0], HasSubstr("trials on a slowed CPU: old 1 of 5, new 0 of 5"));
  EXPECT_THAT(c->regressions[0], HasSubstr("CPU canary +30.0% in new"));
  for (OutputFormat f : {OutputFormat::kText, OutputFormat::kMarkdown}) {
    const std::string out = FormatComparison(*c, f);
    EXPECT_THAT(out, HasSubstr("ECDHE-RSA-AES128-GCM-SHA256 [slowed CPU]"));
    EXPECT_THAT(out, HasSubstr("Slowed CPUs"));
  }
  EXPECT_NEAR(*Find(*c, "canary_us").change, 30.0, 1e-9);
  EXPECT_FALSE(Find(*c, "canary_us").gate_limit.has_value());
  EXPECT_THAT(FormatComparison(*c, OutputFormat::kCsv), HasSubstr(",0,0,1,0\r\n"));
  nlohmann::json j = ComparisonToJson(*c);
  EXPECT_EQ(j["scenarios"][0]["old_slowed_trials"], 1);
  EXPECT_EQ(j["scenarios"][0]["slowed"], true);
  EXPECT_EQ(j["slowed_cuts"]["slower_than_fastest"], kCanarySlowerThanFastest);
  // The raw figure stays the headline and the gate's: the new side's 10%
  // fewer handshakes per CPU-second is a regression although its CPU ran
  // the canary 30% slower; the normalised metric is there, not gated.
  EXPECT_TRUE(Find(*c, "hs_per_cpu").regression);
  const MetricComparison& norm = Find(*c, "hs_per_cpu_norm");
  EXPECT_FALSE(norm.gate_limit.has_value());
  EXPECT_FALSE(norm.regression);
  EXPECT_NEAR(norm.old_side.median, 3005 * 1.0, 1e-6);  // 2990 x 1.25 is the largest
  EXPECT_NEAR(norm.new_side.median, 2700 * 1.3, 1e-6);
  EXPECT_FALSE(MetricInfoFor("hs_per_cpu_norm")->headline);
  // Without a canary nothing is marked and there is no normalised metric.
  c = Compare(Side("old", MakeResult({3000, 3010, 2990, 3005, 2995})),
              Side("new", MakeResult({3000, 3010, 2990, 3005, 2995})), CompareOptions());
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->slowed.empty());
  EXPECT_THAT(FormatComparison(*c, OutputFormat::kText), ::testing::Not(HasSubstr("slowed")));
  for (const MetricComparison& m : c->scenarios[0].metrics) {
    EXPECT_NE(m.metric, "hs_per_cpu_norm");
    EXPECT_NE(m.metric, "canary_us");
  }
  // Canaries within the cut of each other are not listed.
  old_r = MakeResult({3000, 3010, 2990, 3005, 2995});
  new_r = MakeResult({3000, 3010, 2990, 3005, 2995});
  for (size_t i = 0; i < 5; ++i) {
    SetCanary(old_r, i, 1.0 + 0.001 * i);
    SetCanary(new_r, i, 1.1 + 0.001 * i);  // 10% slower, significant, inside the cut
  }
  c = Compare(Side("old", old_r), Side("new", new_r), CompareOptions());
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(Find(*c, "canary_us").significant);
  EXPECT_TRUE(c->slowed.empty());
}

TEST(ParseFailOnTest, ParsesAliasesPhasesAndRejectsNonsense) {
  absl::StatusOr<std::vector<Gate>> g = ParseFailOn("cpu>+3%, p99(tls)>+10%");
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_EQ(g->size(), 2u);
  EXPECT_EQ((*g)[0].metric, "hs_per_cpu");
  EXPECT_EQ((*g)[0].limit, 3);
  EXPECT_EQ((*g)[1].metric, "p99(tls)");
  EXPECT_EQ((*g)[1].limit, 10);
  EXPECT_FALSE(ParseFailOn("cpu").ok());
  EXPECT_FALSE(ParseFailOn("bogus>3%").ok());
  EXPECT_FALSE(ParseFailOn("cpu>lots").ok());
  EXPECT_FALSE(ParseFailOn("").ok());
}

TEST(CompareTest, HolmAdjustsOverTheScenariosOfAMetric) {
  // Two scenarios, each completely separated (raw p = 2/252): Holm doubles
  // the smaller, which stays below 0.05.
  report::Result old_r = MakeResult({3000, 3010, 2990, 3005, 2995});
  report::Result new_r = MakeResult({2700, 2710, 2690, 2705, 2695});
  report::Result old_b = MakeResult({1000, 1001, 1002, 1003, 1004}, "ECDHE-ECDSA");
  report::Result new_b = MakeResult({900, 901, 902, 903, 904}, "ECDHE-ECDSA");
  for (auto& s : old_b.scenarios) old_r.scenarios.push_back(s);
  for (auto& s : new_b.scenarios) new_r.scenarios.push_back(s);
  absl::StatusOr<Comparison> c =
      Compare(Side("old", old_r), Side("new", new_r), CompareOptions());
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->scenarios.size(), 2u);
  EXPECT_NEAR(*c->scenarios[0].metrics[0].adjusted_p, 2 * 2.0 / 252, 1e-9);
  EXPECT_EQ(c->regressions.size(), 2u);
  // The geomean of two -10% changes is -10%.
  ASSERT_FALSE(c->geomean.empty());
  EXPECT_EQ(c->geomean[0].metric, "hs_per_cpu");
  EXPECT_NEAR(c->geomean[0].change, -10, 0.05);
}

TEST(CompareTest, ListsScenariosOnOneSideOnly) {
  report::Result old_r = MakeResult({1, 2, 3});
  report::Result extra = MakeResult({1, 2, 3}, "ECDHE-ECDSA");
  for (auto& s : extra.scenarios) old_r.scenarios.push_back(s);
  absl::StatusOr<Comparison> c =
      Compare(Side("old", old_r), Side("new", MakeResult({1, 2, 3})), CompareOptions());
  ASSERT_TRUE(c.ok());
  EXPECT_THAT(c->only_old, ::testing::ElementsAre("TLSv1.2 ECDHE-ECDSA"));
  EXPECT_THAT(FormatComparison(*c, OutputFormat::kMarkdown),
              HasSubstr("Only in old"));
}

TEST(CompareTest, RefusesDifferentCpuModelsUnlessForced) {
  report::Result other = MakeResult({1, 2, 3});
  other.environment.cpu_model = "Intel Xeon";
  absl::StatusOr<Comparison> c =
      Compare(Side("old", MakeResult({1, 2, 3})), Side("new", other), CompareOptions());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ExitStatusFor(c.status()), 4);
  EXPECT_THAT(c.status().message(), HasSubstr("cpu_model"));
  EXPECT_THAT(c.status().message(), HasSubstr("new.json"));
  CompareOptions force;
  force.force = true;
  c = Compare(Side("old", MakeResult({1, 2, 3})), Side("new", other), force);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->warnings.size(), 1u);
}

TEST(CompareTest, RefusesWorkChangingSpecFields) {
  report::Result other = MakeResult({1, 2, 3});
  other.spec["concurrency"] = 8;
  other.spec["duration_seconds"] = 10;  // does not change the work
  absl::Status s = CheckComparable(Side("old", MakeResult({1, 2, 3})), Side("new", other));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("spec.concurrency"));
  EXPECT_THAT(s.message(), ::testing::Not(HasSubstr("duration")));
}

TEST(CompareTest, IgnoredParametersPairScenariosThatDifferOnlyInThem) {
  report::Result a = MakeResult({1, 2, 3}, "P-256");
  report::Result b = MakeResult({1, 2, 3}, "P-384");
  EXPECT_FALSE(Compare(Side("old", a), Side("new", b), CompareOptions()).ok());
  absl::StatusOr<SampleSet> old_side = SampleSetFromResults("old", {a}, {"a"}, {"suite"});
  absl::StatusOr<SampleSet> new_side = SampleSetFromResults("new", {b}, {"b"}, {"suite"});
  ASSERT_TRUE(old_side.ok() && new_side.ok());
  absl::StatusOr<Comparison> c = Compare(*old_side, *new_side, CompareOptions());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->scenarios.size(), 1u);
}

TEST(CompareTest, EmbeddedTargetsOnDifferentPortsAreTheSameTarget) {
  report::Result a = MakeResult({1, 2, 3});
  report::Result b = MakeResult({1, 2, 3});
  a.target = "smtp://127.0.0.1:40001";
  b.target = "smtp://127.0.0.1:40002";
  EXPECT_EQ(CheckComparable(Side("old", a), Side("new", b)).code(),
            absl::StatusCode::kFailedPrecondition);
  a.spec["embedded_server"] = true;
  b.spec["embedded_server"] = true;
  EXPECT_TRUE(CheckComparable(Side("old", a), Side("new", b)).ok());
}

TEST(CompareTest, NoCommonScenarioIsAUsageError) {
  absl::StatusOr<Comparison> c = Compare(Side("old", MakeResult({1, 2, 3}, "A")),
                                         Side("new", MakeResult({1, 2, 3}, "B")),
                                         CompareOptions());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ExitStatusFor(c.status()), 2);
}

TEST(CompareTest, JsonAndCsvCarryEveryMetric) {
  absl::StatusOr<Comparison> c =
      Compare(Side("old", MakeResult({3000, 3010, 2990})),
              Side("new", MakeResult({2700, 2710, 2690})), CompareOptions());
  ASSERT_TRUE(c.ok());
  nlohmann::json j = ComparisonToJson(*c);
  EXPECT_EQ(j["schema"], "mailshake.compare/v1");
  EXPECT_EQ(j["scenarios"][0]["metrics"][0]["metric"], "hs_per_cpu");
  EXPECT_EQ(j["scenarios"][0]["metrics"][0]["old"]["n"], 3);
  // Three trials per side cannot reach significance: the footer says so.
  EXPECT_FALSE(j["scenarios"][0]["metrics"][0]["significant"].get<bool>());
  EXPECT_THAT(c->footer, HasSubstr("the gate cannot fail"));
  const std::string csv = FormatComparison(*c, OutputFormat::kCsv);
  EXPECT_THAT(csv, HasSubstr("scenario,metric,unit"));
  EXPECT_THAT(csv, HasSubstr(",hs_per_cpu,/cpu-s,3,"));
}

nlohmann::json GoogleBenchmark(double base) {
  nlohmann::json j;
  j["context"] = {{"num_cpus", 2}, {"library_build_type", "release"}};
  j["benchmarks"] = nlohmann::json::array();
  for (int i = 0; i < 5; ++i) {
    j["benchmarks"].push_back({{"name", "BM_Handshake/TLS13"},
                               {"run_name", "BM_Handshake/TLS13"},
                               {"run_type", "iteration"},
                               {"repetition_index", i},
                               {"time_unit", "us"},
                               {"cpu_time", base + i},
                               {"real_time", base + i + 1}});
  }
  j["benchmarks"].push_back({{"name", "BM_Handshake/TLS13_mean"},
                             {"run_name", "BM_Handshake/TLS13"},
                             {"run_type", "aggregate"},
                             {"aggregate_name", "mean"},
                             {"time_unit", "us"},
                             {"cpu_time", 1e9},
                             {"real_time", 1e9}});
  return j;
}

TEST(CompareTest, ComparesGoogleBenchmarkRepetitions) {
  absl::StatusOr<SampleSet> old_side =
      SampleSetFromGoogleBenchmark("old", {GoogleBenchmark(300)}, {"old=a.json"});
  absl::StatusOr<SampleSet> new_side =
      SampleSetFromGoogleBenchmark("new", {GoogleBenchmark(330)}, {"new=b.json"});
  ASSERT_TRUE(old_side.ok()) << old_side.status();
  ASSERT_TRUE(new_side.ok());
  ASSERT_EQ(old_side->scenarios.size(), 1u);
  // Aggregates are not samples.
  EXPECT_EQ(old_side->scenarios[0].metrics["cpu_time_ns"].size(), 5u);
  EXPECT_EQ(old_side->scenarios[0].metrics["cpu_time_ns"][0], 300e3);
  absl::StatusOr<Comparison> c = Compare(*old_side, *new_side, CompareOptions());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(ExitStatus(*c), 1);  // +10% CPU time
  // A result against Google Benchmark is a usage error.
  absl::Status s = CheckComparable(*old_side, Side("new", MakeResult({1, 2, 3})));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
}

std::string WriteTemp(const std::string& name, const std::string& text) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/", name);
  std::ofstream(path) << text;
  return path;
}

TEST(ReadSideTest, BadFilesGetOneMessageNamingTheFile) {
  report::Result good;
  good.scenarios.push_back(report::testing::RandomScenario("s", 0, 0, 100, 1));
  const std::string good_path = absl::StrCat(::testing::TempDir(), "/good.json");
  ASSERT_TRUE(report::WriteJsonFile(good, good_path).ok());
  std::string text;
  {
    std::ifstream in(good_path);
    std::getline(in, text);
  }
  const std::string truncated = WriteTemp("truncated.json", text.substr(0, text.size() / 2));
  const std::string foreign = WriteTemp("foreign.json", "{\"hello\": 1}");
  std::string v2 = text;
  v2.replace(v2.find("mailshake.result/v1"), 19, "mailshake.result/v2");
  const std::string newer = WriteTemp("newer.json", v2);
  report::Result empty;
  const std::string empty_path = absl::StrCat(::testing::TempDir(), "/empty.json");
  ASSERT_TRUE(report::WriteJsonFile(empty, empty_path).ok());
  const std::string gbench = WriteTemp("gbench.json", GoogleBenchmark(1).dump());

  EXPECT_TRUE(ReadSide("old", {ParseLabeledPath(good_path)}).ok());
  for (const std::string& path : {truncated, foreign, newer, empty_path}) {
    absl::StatusOr<SampleSet> s = ReadSide("old", {ParseLabeledPath(path)});
    ASSERT_FALSE(s.ok()) << path;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << path;
    EXPECT_THAT(s.status().message(), HasSubstr(path.substr(path.rfind('/') + 1)));
  }
  absl::StatusOr<SampleSet> newer_side = ReadSide("old", {ParseLabeledPath(newer)});
  EXPECT_THAT(newer_side.status().message(), HasSubstr("v2"));
  absl::StatusOr<SampleSet> mixed =
      ReadSide("old", {ParseLabeledPath(good_path), ParseLabeledPath(gbench)});
  EXPECT_EQ(mixed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(mixed.status().message(), HasSubstr("gbench.json"));
  EXPECT_FALSE(ReadSide("old", {ParseLabeledPath("/nonexistent/x.json")}).ok());
}

TEST(ParseLabeledPathTest, SplitsLabelsAndKeepsPaths) {
  LabeledPath a = ParseLabeledPath("before=runs/a.json");
  EXPECT_EQ(a.label, "before");
  EXPECT_EQ(a.path, "runs/a.json");
  LabeledPath b = ParseLabeledPath("runs/x=y.json");
  EXPECT_EQ(b.label, "x=y");
  EXPECT_EQ(b.path, "runs/x=y.json");
}

}  // namespace
}  // namespace lab
}  // namespace mailshake
