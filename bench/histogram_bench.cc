// Micro-benchmarks for the load engine's hot path (Record) and its end-of-run
// work (Merge, percentiles, JSON).
//
//   bazel run //src/stats:histogram_bench -- --benchmark_counters_tabular=true

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <nlohmann/json.hpp>

#include "benchmark/benchmark.h"
#include "src/stats/stats.h"

namespace mailshake {
namespace stats {
namespace {

// Handshake-like latencies: log-uniform over 10 us .. 100 ms. Precomputed so
// the benchmark measures recording, not random number generation.
std::vector<int64_t> Latencies(size_t n) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> exponent(4.0, 8.0);
  std::vector<int64_t> values(n);
  for (int64_t& v : values) {
    v = static_cast<int64_t>(std::pow(10.0, exponent(rng)));
  }
  return values;
}

LatencyHistogram Filled(int digits, size_t n) {
  LatencyHistogram h = *LatencyHistogram::Create({digits, 3'600'000'000'000});
  for (int64_t v : Latencies(n)) h.Record(v);
  return h;
}

void BM_Record(benchmark::State& state) {
  const int digits = static_cast<int>(state.range(0));
  LatencyHistogram h = *LatencyHistogram::Create({digits, 3'600'000'000'000});
  const std::vector<int64_t> values = Latencies(4096);
  size_t i = 0;
  for (auto _ : state) {
    h.Record(values[i]);
    i = (i + 1) & 4095;
  }
  benchmark::DoNotOptimize(h.Count());
  state.counters["records"] = benchmark::Counter(
      static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Record)->ArgName("digits")->Arg(2)->Arg(3)->Arg(4);

void BM_PhaseRecord(benchmark::State& state) {
  PhaseHistograms phases = *PhaseHistograms::Create(8, {});
  const std::vector<int64_t> values = Latencies(4096);
  size_t i = 0;
  for (auto _ : state) {
    phases.Record(static_cast<int>(i & 7), values[i]);
    i = (i + 1) & 4095;
  }
  benchmark::DoNotOptimize(phases.phase(0).Count());
  state.counters["records"] = benchmark::Counter(
      static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PhaseRecord);

void BM_TimeSeriesRecord(benchmark::State& state) {
  TimeSeries series;
  const std::vector<int64_t> values = Latencies(4096);
  size_t i = 0;
  int64_t second = 1'700'000'000;
  for (auto _ : state) {
    series.RecordSuccess(second, values[i]);
    i = (i + 1) & 4095;
    if (i == 0) ++second;  // A new second every 4096 records.
  }
  benchmark::DoNotOptimize(series.seconds().size());
  state.counters["records"] = benchmark::Counter(
      static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_TimeSeriesRecord);

// Merging one worker's histogram into the total, as at the end of a run.
// Cost depends on the span of values recorded, not on how many.
void BM_Merge(benchmark::State& state) {
  const int digits = static_cast<int>(state.range(0));
  const LatencyHistogram worker = Filled(digits, 100'000);
  LatencyHistogram total = *LatencyHistogram::Create(worker.config());
  for (auto _ : state) {
    benchmark::DoNotOptimize(total.Merge(worker));
  }
  state.counters["merges"] = benchmark::Counter(
      static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Merge)->ArgName("digits")->Arg(2)->Arg(3)->Arg(4);

void BM_ValueAtPercentile(benchmark::State& state) {
  const LatencyHistogram h = Filled(3, 100'000);
  for (auto _ : state) {
    benchmark::DoNotOptimize(h.ValueAtPercentile(99.9));
  }
}
BENCHMARK(BM_ValueAtPercentile);

void BM_JsonRoundTrip(benchmark::State& state) {
  const LatencyHistogram h = Filled(3, 100'000);
  for (auto _ : state) {
    const std::string text = h.ToJson().dump();
    benchmark::DoNotOptimize(
        LatencyHistogram::FromJson(nlohmann::json::parse(text)));
  }
}
BENCHMARK(BM_JsonRoundTrip);

}  // namespace
}  // namespace stats
}  // namespace mailshake
