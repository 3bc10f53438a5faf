#include "src/lab/plan.h"

#include <algorithm>
#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mailshake {
namespace lab {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

bool Planned(const Plan& plan, const std::string& name) {
  for (const PlannedScenario& s : plan.scenarios) {
    if (s.name == name) return true;
  }
  return false;
}

TEST(PlanTest, NeverPlansASuiteWhoseAuthenticationDoesNotMatchTheKey) {
  absl::StatusOr<Axes> axes =
      ParseAxes("1.2", "ECDHE-ECDSA-AES128-GCM-SHA256,ECDHE-RSA-AES128-GCM-SHA256", "P-256",
                "default", "off", "p256,rsa2048", /*embedded=*/true);
  ASSERT_TRUE(axes.ok()) << axes.status();
  Plan plan = MakePlan(*axes);
  EXPECT_TRUE(Planned(plan, "TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256 P-256 default off p256"));
  EXPECT_TRUE(Planned(plan, "TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 P-256 default off rsa2048"));
  EXPECT_FALSE(Planned(plan, "TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256 P-256 default off rsa2048"));
  EXPECT_FALSE(Planned(plan, "TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 P-256 default off p256"));
  EXPECT_EQ(plan.scenarios.size(), 2u);
  EXPECT_EQ(plan.invalid, 2);
  EXPECT_EQ(plan.scenarios[0].parameters.at("server_key"), "p256");
}

TEST(PlanTest, Tls12EcdsaCertificateNeedsItsCurveAsTheGroup) {
  Plan plan = MakePlan(*ParseAxes("1.2,1.3", "ECDHE-ECDSA-AES128-GCM-SHA256", "X25519,P-256",
                                  "default", "off", "p256", true));
  EXPECT_FALSE(Planned(plan, "TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256 X25519 default off p256"));
  EXPECT_TRUE(Planned(plan, "TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256 P-256 default off p256"));
  // TLS 1.3 takes no suite and any group.
  EXPECT_TRUE(Planned(plan, "TLSv1.3 default X25519 default off p256"));
  EXPECT_TRUE(Planned(plan, "TLSv1.3 default P-256 default off p256"));
  EXPECT_EQ(plan.scenarios.size(), 3u);
}

TEST(PlanTest, SignatureAlgorithmsMustFitTheKeyAndVersion) {
  Plan plan = MakePlan(*ParseAxes("1.3", "default", "X25519",
                                  "ecdsa_secp256r1_sha256,ecdsa_secp384r1_sha384,"
                                  "rsa_pss_rsae_sha256,rsa_pkcs1_sha256",
                                  "off", "p256,rsa2048", true));
  std::set<std::string> names;
  for (const PlannedScenario& s : plan.scenarios) names.insert(s.name);
  EXPECT_EQ(names, (std::set<std::string>{
                       "TLSv1.3 default X25519 ecdsa_secp256r1_sha256 off p256",
                       "TLSv1.3 default X25519 rsa_pss_rsae_sha256 off rsa2048"}));
}

TEST(PlanTest, SessionIdAndPostQuantumRulesAndRealTargets) {
  Plan plan = MakePlan(*ParseAxes("1.2,1.3", "default", "X25519,CECPQ2", "default",
                                  "off,session-id", "", /*embedded=*/false));
  EXPECT_TRUE(Planned(plan, "TLSv1.2 default X25519 default session-id"));
  EXPECT_FALSE(Planned(plan, "TLSv1.3 default X25519 default session-id"));
  EXPECT_FALSE(Planned(plan, "TLSv1.2 default CECPQ2 default off"));
  EXPECT_TRUE(Planned(plan, "TLSv1.3 default CECPQ2 default off"));
  EXPECT_EQ(plan.scenarios[0].parameters.count("server_key"), 0u);
}

TEST(PlanTest, AllExpandsToTheCatalog) {
  Plan plan = MakePlan(*ParseAxes("1.2", "all", "X25519,P-256", "default", "off",
                                  "p256,rsa2048", true));
  size_t ecdhe = 0;
  for (const PlannedScenario& s : plan.scenarios) {
    ecdhe += s.suite.find("ECDHE") == 0 ? 1 : 0;
    EXPECT_TRUE(s.suite.find("ECDHE-ECDSA") != 0 || s.group == "P-256") << s.name;
  }
  EXPECT_GT(ecdhe, 4u);
}

TEST(ParseAxesTest, RejectsBadValuesNamingTheFlag) {
  EXPECT_THAT(ParseAxes("1.4", "", "", "", "off", "", false).status().message(),
              HasSubstr("--tls"));
  EXPECT_THAT(ParseAxes("1.3", "TLS_AES_128_GCM_SHA256", "", "", "off", "", false)
                  .status()
                  .message(),
              HasSubstr("--ciphers"));
  EXPECT_THAT(ParseAxes("1.3", "", "X448", "", "off", "", false).status().message(),
              HasSubstr("--groups"));
  EXPECT_THAT(ParseAxes("1.3", "", "", "", "sometimes", "", false).status().message(),
              HasSubstr("--resume"));
  EXPECT_THAT(ParseAxes("1.3", "", "", "", "off", "p256", false).status().message(),
              HasSubstr("--embedded-certs"));
  EXPECT_THAT(ParseAxes("1.3", "", "", "", "off", "dsa", true).status().message(),
              HasSubstr("--embedded-certs"));
}

TEST(RoundOrderTest, IsADeterministicPermutationThatChangesWithRoundAndSeed) {
  std::vector<size_t> a = RoundOrder(10, 0, 1);
  std::vector<size_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(sorted[i], i);
  EXPECT_EQ(a, RoundOrder(10, 0, 1));
  EXPECT_NE(a, RoundOrder(10, 1, 1));
  EXPECT_NE(a, RoundOrder(10, 0, 2));
}

Timing FiveTrialsOf3s() {
  Timing t;
  t.trials = 5;
  t.trial_duration = absl::Seconds(3);
  t.warmup = absl::Seconds(1);
  t.per_trial_overhead = absl::Milliseconds(100);
  t.per_probe = absl::Milliseconds(50);
  return t;
}

TEST(EstimateDurationTest, CountsProbesWarmUpTrialsAndOverhead) {
  Timing t = FiveTrialsOf3s();
  EXPECT_EQ(EstimateDuration(4, t), absl::Milliseconds(4 * 50 + 4 * 5 * 4100));
  Plan plan = MakePlan(*ParseAxes("1.3", "", "X25519,P-256", "", "off", "", false));
  EXPECT_THAT(FormatPlan(plan, t), HasSubstr("2 scenario(s) x 5 trial(s)"));
}

TEST(EstimateDurationTest, MaxDurationCountsEverySlowedRetryTheBudgetAllows) {
  Timing t = FiveTrialsOf3s();
  t.slowed_retry_percent = 20;
  EXPECT_EQ(SlowedRetryBudget(20, t), 4);
  EXPECT_EQ(SlowedRetryBudget(21, t), 5);  // rounded up
  EXPECT_EQ(SlowedRetryBudget(1, t), 1);
  EXPECT_EQ(MaxDuration(4, t), EstimateDuration(4, t) + 4 * absl::Milliseconds(4100));
  Plan plan = MakePlan(*ParseAxes("1.3", "", "X25519,P-256", "", "off", "", false));
  EXPECT_THAT(FormatPlan(plan, t), HasSubstr("at most 2)"));
  t.slowed_retry_percent = 0;
  EXPECT_EQ(SlowedRetryBudget(20, t), 0);
  EXPECT_EQ(MaxDuration(4, t), EstimateDuration(4, t));
  EXPECT_THAT(FormatPlan(plan, t), Not(HasSubstr("slowed")));
}

}  // namespace
}  // namespace lab
}  // namespace mailshake
