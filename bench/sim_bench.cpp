#include <benchmark/benchmark.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "g10_case.hpp"
#include "strata/analysis/vitality.hpp"
#include "strata/io/g10_trace.hpp"
#include "strata/machine/machine.hpp"
#include "strata/plan/policies/g10.hpp"
#include "strata/sim/event_queue.hpp"
#include "strata/sim/simulator.hpp"
#include "strata/sim/transfers.hpp"

namespace {

using strata::sim::Event;
using strata::sim::EventQueue;
using strata::sim::FiredEvent;
using strata::sim::Resource;
using strata::sim::ResourceId;
using strata::sim::Route;
using strata::sim::TimeNs;
using strata::sim::TransferEngine;

// Schedule N events at random times, then pop them all.
void BM_EventQueue(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::mt19937_64 rng(42);
  std::vector<TimeNs> times(n);
  for (TimeNs& t : times) t = static_cast<TimeNs>(rng() % 1'000'000'000);
  EventQueue q;
  q.reserve(n);
  for (auto _ : state) {
    q.clear();
    for (std::size_t i = 0; i < n; ++i) q.schedule(times[i], Event{0, 0, i});
    std::uint64_t sum = 0;
    q.run([&](const FiredEvent& e) { sum += e.event.tag; });
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}
BENCHMARK(BM_EventQueue)->Arg(10'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

// k transfers at once over 8 GPUs' links sharing 4 switch uplinks and one host bus; as each
// finishes a new one starts, until 4k have run. Items = transfers completed.
void BM_Transfers(benchmark::State& state) {
  const auto k = static_cast<std::size_t>(state.range(0));
  constexpr ResourceId kGpus = 8, kSwitches = 4;
  std::vector<Resource> rs;
  for (ResourceId g = 0; g < 2 * kGpus; ++g) rs.push_back({"link", 25e9});
  for (ResourceId s = 0; s < 2 * kSwitches; ++s) rs.push_back({"switch", 50e9});
  rs.push_back({"host bus", 150e9});
  std::vector<Route> routes;
  for (ResourceId g = 0; g < kGpus; ++g)
    for (ResourceId dir = 0; dir < 2; ++dir)
      routes.push_back(
          Route{{2 * g + dir, 2 * kGpus + 2 * (g / 2) + dir, 2 * kGpus + 2 * kSwitches}, 5000});
  std::mt19937_64 rng(7);
  std::vector<std::uint64_t> sizes(4 * k);
  for (std::uint64_t& b : sizes) b = 1'000'000 + rng() % 64'000'000;
  for (auto _ : state) {
    TransferEngine e(rs);
    std::size_t started = 0, finished = 0;
    for (; started < k; ++started) e.start(routes[started % routes.size()], sizes[started], 0);
    while (finished < sizes.size()) {
      const TimeNs t = e.next_event_ns();
      for (const auto& c : e.advance(t)) {
        (void)c;
        ++finished;
        if (started < sizes.size()) {
          e.start(routes[started % routes.size()], sizes[started], t);
          ++started;
        }
      }
    }
    benchmark::DoNotOptimize(e.totals());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * sizes.size()));
}
BENCHMARK(BM_Transfers)->Arg(4)->Arg(16)->Arg(64)->Arg(256);

// The whole run of the `g10` policy on G10's SENet154-512 (2319 kernels) on g10-a100: plan, then
// simulate N iterations (the argument). Skipped where ../shared/g10 is absent.
void BM_G10PlanAndSimulateSENet154(benchmark::State& state) {
  const auto c = strata::bench::load_g10_case(state, "SENet154-512");
  if (!c) return;
  const auto& [w, v, m] = *c;
  const strata::G10Policy policy;
  strata::sim::SimOptions o;
  o.iterations = static_cast<std::uint32_t>(state.range(0));
  for (auto _ : state) {
    const strata::sim::Report r = strata::sim::run_policy(w, v, m, policy, o);
    benchmark::DoNotOptimize(r.iteration_ns);
  }
}
BENCHMARK(BM_G10PlanAndSimulateSENet154)->Arg(1)->Arg(3)->Unit(benchmark::kMillisecond);

// Planning alone, same workload and machine.
void BM_G10PlanSENet154(benchmark::State& state) {
  const auto c = strata::bench::load_g10_case(state, "SENet154-512");
  if (!c) return;
  const auto& [w, v, m] = *c;
  for (auto _ : state) benchmark::DoNotOptimize(strata::plan_g10(w, v, m).plan.action_count());
}
BENCHMARK(BM_G10PlanSENet154)->Unit(benchmark::kMillisecond);

}  // namespace
