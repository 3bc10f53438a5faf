// Matrix plans: axes, validity rules, duration estimate, interleaved order.

#include "src/lab/plan.h"

#include <openssl/nid.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace mailshake {
namespace lab {
namespace {

absl::Status Bad(absl::string_view flag, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", message));
}

bool IsAll(absl::string_view v) { return absl::AsciiStrToLower(v) == "all"; }
bool IsDefault(absl::string_view v) {
  return v.empty() || absl::AsciiStrToLower(v) == kDefault;
}

// What a key of |type| is, without generating one.
tls::KeyDescription Describe(tls::KeyType type) {
  tls::KeyDescription d;
  switch (type) {
    case tls::KeyType::kRsa2048:
    case tls::KeyType::kRsa3072:
    case tls::KeyType::kRsa4096:
      d.evp_type = EVP_PKEY_RSA;
      d.curve_nid = NID_undef;
      break;
    case tls::KeyType::kEcdsaP256:
      d.evp_type = EVP_PKEY_EC;
      d.curve_nid = NID_X9_62_prime256v1;
      break;
    case tls::KeyType::kEcdsaP384:
      d.evp_type = EVP_PKEY_EC;
      d.curve_nid = NID_secp384r1;
      break;
    case tls::KeyType::kEd25519:
      d.evp_type = EVP_PKEY_ED25519;
      d.curve_nid = NID_undef;
      break;
  }
  return d;
}

const tls::Group* FindGroup(const std::string& name) {
  absl::StatusOr<std::vector<const tls::Group*>> g = tls::ParseGroups(name);
  return g.ok() && g->size() == 1 ? g->front() : nullptr;
}

// Why the combination is invalid, or "" if it is valid.
std::string Invalid(uint16_t version, const std::string& suite, const std::string& group,
                    const std::string& sigalg, const std::string& resumption,
                    const std::optional<tls::KeyType>& key) {
  const bool tls12 = version == TLS1_2_VERSION;
  if (!tls12 && !IsDefault(suite)) return "TLS 1.2 suite under TLS 1.3";
  if (!tls12 && resumption == "session-id") return "session-id resumption under TLS 1.3";
  const tls::Group* g = IsDefault(group) ? nullptr : FindGroup(group);
  if (tls12 && g != nullptr && g->post_quantum) return "post-quantum group under TLS 1.2";
  const tls::CipherSuite* cs = nullptr;
  if (tls12 && !IsDefault(suite)) {
    absl::StatusOr<std::vector<const tls::CipherSuite*>> s = tls::ParseCipherSuites(suite);
    if (s.ok() && s->size() == 1) cs = s->front();
    if (cs != nullptr && !cs->forward_secret && !IsDefault(group)) {
      // RSA key exchange uses no group: one scenario, with group "default".
      return "group with a suite without ECDHE";
    }
  }
  if (!key.has_value()) return "";
  const tls::KeyDescription d = Describe(*key);
  if (cs != nullptr) {
    if (cs->auth == tls::CipherSuite::Auth::kRsa && d.evp_type != EVP_PKEY_RSA) {
      return "RSA-authenticated suite with a non-RSA key";
    }
    if (cs->auth == tls::CipherSuite::Auth::kEcdsa && d.evp_type == EVP_PKEY_RSA) {
      return "ECDSA-authenticated suite with an RSA key";
    }
  }
  if (tls12 && d.evp_type == EVP_PKEY_EC && g != nullptr && g->nid != d.curve_nid) {
    return "TLS 1.2 ECDSA certificate whose curve is not the group";
  }
  if (!IsDefault(sigalg)) {
    absl::StatusOr<std::vector<const tls::SignatureAlgorithm*>> s =
        tls::ParseSignatureAlgorithms(sigalg);
    if (s.ok() && s->size() == 1 &&
        tls::SignatureAlgorithmsFor(d, version, {s->front()->id}).empty()) {
      return "signature algorithm the key cannot make at this version";
    }
  }
  return "";
}

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

absl::StatusOr<Axes> ParseAxes(absl::string_view versions, absl::string_view suites,
                               absl::string_view groups, absl::string_view sigalgs,
                               absl::string_view resumption, absl::string_view server_keys,
                               bool embedded) {
  Axes axes;
  for (absl::string_view v : absl::StrSplit(versions, ',', absl::SkipWhitespace())) {
    absl::StatusOr<uint16_t> version = tls::ParseVersion(absl::StripAsciiWhitespace(v));
    if (!version.ok() || (*version != TLS1_2_VERSION && *version != TLS1_3_VERSION)) {
      return Bad("tls", absl::StrCat("'", v, "' is not 1.2 or 1.3"));
    }
    for (uint16_t seen : axes.versions) {
      if (seen == *version) return Bad("tls", absl::StrCat("'", v, "' given twice"));
    }
    axes.versions.push_back(*version);
  }
  if (axes.versions.empty()) return Bad("tls", "no version given");

  if (IsDefault(suites)) {
    axes.suites = {kDefault};
  } else if (IsAll(suites)) {
    for (const tls::CipherSuite& s : tls::AllCipherSuites()) {
      if (s.max_version >= TLS1_2_VERSION && s.min_version <= TLS1_2_VERSION) {
        axes.suites.push_back(s.openssl_name);
      }
    }
  } else {
    absl::StatusOr<std::vector<const tls::CipherSuite*>> parsed = tls::ParseCipherSuites(suites);
    if (!parsed.ok()) return Bad("ciphers", parsed.status().message());
    for (const tls::CipherSuite* s : *parsed) {
      if (s->max_version < TLS1_2_VERSION || s->min_version > TLS1_2_VERSION) {
        return Bad("ciphers", absl::StrCat(s->standard_name,
                                           " is not a TLS 1.2 suite (TLS 1.3 suites are not "
                                           "configurable in BoringSSL)"));
      }
      axes.suites.push_back(s->openssl_name);
    }
  }
  if (IsDefault(groups)) {
    axes.groups = {kDefault};
  } else if (IsAll(groups)) {
    for (const tls::Group& g : tls::AllGroups()) axes.groups.push_back(g.name);
  } else {
    absl::StatusOr<std::vector<const tls::Group*>> parsed = tls::ParseGroups(groups);
    if (!parsed.ok()) return Bad("groups", parsed.status().message());
    for (const tls::Group* g : *parsed) axes.groups.push_back(g->name);
  }
  if (IsDefault(sigalgs)) {
    axes.sigalgs = {kDefault};
  } else if (IsAll(sigalgs)) {
    for (const tls::SignatureAlgorithm& s : tls::AllSignatureAlgorithms()) {
      axes.sigalgs.push_back(s.name);
    }
  } else {
    absl::StatusOr<std::vector<const tls::SignatureAlgorithm*>> parsed =
        tls::ParseSignatureAlgorithms(sigalgs);
    if (!parsed.ok()) return Bad("sigalgs", parsed.status().message());
    for (const tls::SignatureAlgorithm* s : *parsed) axes.sigalgs.push_back(s->name);
  }
  for (absl::string_view r : absl::StrSplit(resumption, ',', absl::SkipWhitespace())) {
    r = absl::StripAsciiWhitespace(r);
    if (r != "off" && r != "ticket" && r != "session-id") {
      return Bad("resume", absl::StrCat("'", r, "' is not off, ticket or session-id"));
    }
    for (const std::string& seen : axes.resumption) {
      if (seen == r) return Bad("resume", absl::StrCat("'", r, "' given twice"));
    }
    axes.resumption.push_back(std::string(r));
  }
  if (axes.resumption.empty()) return Bad("resume", "no mode given");
  if (!server_keys.empty() && !embedded) {
    return Bad("embedded-certs", "applies only to the embedded target (no TARGET)");
  }
  if (embedded) {
    if (server_keys.empty()) server_keys = "p256";
    if (IsAll(server_keys)) {
      axes.server_keys.assign(std::begin(tls::kAllKeyTypes), std::end(tls::kAllKeyTypes));
    } else {
      for (absl::string_view k : absl::StrSplit(server_keys, ',', absl::SkipWhitespace())) {
        absl::StatusOr<tls::KeyType> key = tls::ParseKeyType(absl::StripAsciiWhitespace(k));
        if (!key.ok()) return Bad("embedded-certs", key.status().message());
        for (tls::KeyType seen : axes.server_keys) {
          if (seen == *key) return Bad("embedded-certs", absl::StrCat("'", k, "' given twice"));
        }
        axes.server_keys.push_back(*key);
      }
    }
    if (axes.server_keys.empty()) return Bad("embedded-certs", "no key type given");
  }
  return axes;
}

Plan MakePlan(const Axes& axes) {
  Plan plan;
  std::vector<std::optional<tls::KeyType>> keys;
  for (tls::KeyType k : axes.server_keys) keys.push_back(k);
  if (keys.empty()) keys.push_back(std::nullopt);
  for (const std::optional<tls::KeyType>& key : keys) {
    for (uint16_t version : axes.versions) {
      // TLS 1.3 does not cross the suite axis: one "default" suite.
      const std::vector<std::string> suites =
          version == TLS1_2_VERSION ? axes.suites : std::vector<std::string>{kDefault};
      for (const std::string& suite : suites) {
        for (const std::string& group : axes.groups) {
          for (const std::string& sigalg : axes.sigalgs) {
            for (const std::string& resume : axes.resumption) {
              const std::string version_name = version == TLS1_2_VERSION ? "1.2" : "1.3";
              const std::string key_name =
                  key.has_value() ? std::string(tls::KeyTypeName(*key)) : "";
              std::string name = absl::StrJoin(
                  {absl::StrCat("TLSv", version_name), suite, group, sigalg, resume}, " ");
              if (key.has_value()) absl::StrAppend(&name, " ", key_name);
              const std::string why = Invalid(version, suite, group, sigalg, resume, key);
              if (!why.empty()) {
                ++plan.invalid;
                plan.invalid_examples.emplace(why, name);
                continue;
              }
              PlannedScenario s;
              s.name = name;
              s.parameters = {{"version", version_name},
                              {"suite", suite},
                              {"group", group},
                              {"sigalg", sigalg},
                              {"resumption", resume}};
              if (key.has_value()) s.parameters["server_key"] = key_name;
              s.version = version;
              s.suite = IsDefault(suite) ? "" : suite;
              s.group = IsDefault(group) ? "" : group;
              s.sigalg = IsDefault(sigalg) ? "" : sigalg;
              s.resumption = resume == "off"      ? tls::ClientConfig::Resumption::kOff
                             : resume == "ticket" ? tls::ClientConfig::Resumption::kTicket
                                                  : tls::ClientConfig::Resumption::kSessionId;
              s.server_key = key;
              plan.scenarios.push_back(std::move(s));
            }
          }
        }
      }
    }
  }
  return plan;
}

absl::Duration TrialDuration(const Timing& timing) {
  return timing.warmup + timing.trial_duration + timing.per_trial_overhead;
}

int64_t SlowedRetryBudget(int64_t trials, const Timing& timing) {
  return (trials * timing.slowed_retry_percent + 99) / 100;
}

absl::Duration EstimateDuration(size_t scenarios, const Timing& timing) {
  const double n = static_cast<double>(scenarios);
  return n * timing.per_probe + n * timing.trials * TrialDuration(timing);
}

absl::Duration MaxDuration(size_t scenarios, const Timing& timing) {
  const int64_t trials = static_cast<int64_t>(scenarios) * timing.trials;
  return EstimateDuration(scenarios, timing) +
         SlowedRetryBudget(trials, timing) * TrialDuration(timing);
}

std::string FormatPlan(const Plan& plan, const Timing& timing) {
  const absl::Duration total = EstimateDuration(plan.scenarios.size(), timing);
  std::string out = absl::StrFormat(
      "plan: %d scenario(s) x %d trial(s) of %s (+%s warm-up), expected duration %s "
      "(%.0f s)\n",
      plan.scenarios.size(), timing.trials, absl::FormatDuration(timing.trial_duration),
      absl::FormatDuration(timing.warmup), absl::FormatDuration(absl::Trunc(total, absl::Seconds(1))),
      absl::ToDoubleSeconds(total));
  if (timing.slowed_retry_percent > 0) {
    const absl::Duration max = MaxDuration(plan.scenarios.size(), timing);
    absl::StrAppendFormat(
        &out, "  up to %s (%.0f s) if trials on a slowed CPU are run again (at most %d)\n",
        absl::FormatDuration(absl::Trunc(max, absl::Seconds(1))), absl::ToDoubleSeconds(max),
        SlowedRetryBudget(static_cast<int64_t>(plan.scenarios.size()) * timing.trials, timing));
  }
  if (plan.invalid > 0) {
    absl::StrAppendFormat(&out, "  %d invalid combination(s) not planned:\n", plan.invalid);
    for (const auto& [why, example] : plan.invalid_examples) {
      absl::StrAppendFormat(&out, "    %s (e.g. %s)\n", why, example);
    }
  }
  for (const PlannedScenario& s : plan.scenarios) absl::StrAppend(&out, "  ", s.name, "\n");
  return out;
}

std::vector<size_t> RoundOrder(size_t count, int round, uint64_t seed) {
  std::vector<size_t> order(count);
  for (size_t i = 0; i < count; ++i) order[i] = i;
  uint64_t state = seed * 0x2545f4914f6cdd1dULL + static_cast<uint64_t>(round) + 1;
  for (size_t i = count; i > 1; --i) {
    const size_t j = static_cast<size_t>(SplitMix64(state) % i);
    std::swap(order[i - 1], order[j]);
  }
  return order;
}

}  // namespace lab
}  // namespace mailshake
