// Plan time of the `strata` policy (refinement included) per G10 workload on g10-a100, with
// what the planner did as counters. Skipped where ../shared/g10 is absent.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>

#include "g10_case.hpp"
#include "strata/analysis/vitality.hpp"
#include "strata/io/g10_trace.hpp"
#include "strata/machine/machine.hpp"
#include "strata/plan/policies/strata.hpp"

namespace {

void BM_StrataPlan(benchmark::State& state, const std::string& name) {
  const auto c = strata::bench::load_g10_case(state, name);
  if (!c) return;
  const auto& [w, v, m] = *c;
  const strata::StrataPolicy policy;
  policy.learn(w, v);
  strata::StrataPlanStats stats;
  for (auto _ : state) {
    const strata::StrataPlanResult r = strata::plan_strata(w, v, m, policy, policy.options());
    stats = r.stats;
    benchmark::DoNotOptimize(r.plan.action_count());
  }
  auto ratio = [&](std::int64_t ns) {
    return ns > 0 ? static_cast<double>(v.ideal_ns) / static_cast<double>(ns) : 1.0;
  };
  state.counters["kernels"] = static_cast<double>(w.kernels.size());
  state.counters["sims"] = stats.simulations;
  state.counters["kept"] = stats.repairs_kept;
  state.counters["tried"] = stats.repairs_tried;
  state.counters["host"] = static_cast<double>(stats.evicted_to_host);
  state.counters["ssd"] = static_cast<double>(stats.evicted_to_ssd);
  state.counters["unrefined"] = ratio(stats.unrefined_ns);
  state.counters["refined"] = ratio(stats.refined_ns);
  state.counters["bound"] = ratio(stats.eviction_bound_ns);
}

BENCHMARK_CAPTURE(BM_StrataPlan, BERT_256, std::string("BERT-256"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_StrataPlan, BERT_512, std::string("BERT-512"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_StrataPlan, VIT_512, std::string("VIT-512"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_StrataPlan, VIT_1024, std::string("VIT-1024"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_StrataPlan, Inceptionv3_1024, std::string("Inceptionv3-1024"))
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_StrataPlan, ResNet152_768, std::string("ResNet152-768"))
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_StrataPlan, SENet154_512, std::string("SENet154-512"))
    ->Unit(benchmark::kMillisecond);

}  // namespace
