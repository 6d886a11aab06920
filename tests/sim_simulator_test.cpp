// The simulator loop: hand-built workloads with exactly known answers, then every shared G10
// workload under `ideal` and under G10's own plan.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "strata/analysis/vitality.hpp"
#include "strata/core/error.hpp"
#include "strata/io/g10_trace.hpp"
#include "strata/plan/policy.hpp"
#include "strata/sim/simulator.hpp"
#include "support/managed_policy.hpp"
#include "support/paths.hpp"
#include "support/run.hpp"
#include "support/tiny_machine.hpp"
#include "support/workload_builder.hpp"

namespace strata::sim {
namespace {

using test::tiny_machine;
using Builder = test::WorkloadBuilder;

Report sim(const Workload& w, const Machine& m, const Plan& p, SimOptions o = {}) {
  o.check_every_event = true;
  const IdealPolicy lru;  // LRU choose_victim
  return simulate(w, analyze_vitality(w), m, p, lru, o);
}

// The names the command line and the benches spell the options with.
TEST(SimSimulator, FaultCostAndKernelTimingByName) {
  EXPECT_EQ(fault_cost_from_name("batches"), FaultCost::batches);
  EXPECT_EQ(fault_cost_from_name("measured"), FaultCost::measured);
  EXPECT_EQ(fault_cost_from_name("g10"), FaultCost::g10);
  EXPECT_EQ(kernel_timing_from_name("policy"), KernelTiming::policy);
  EXPECT_EQ(kernel_timing_from_name("strata"), KernelTiming::strata);
  EXPECT_EQ(kernel_timing_from_name("g10"), KernelTiming::g10);
  try {
    fault_cost_from_name("G10");
    ADD_FAILURE() << "a name in the wrong case was accepted";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("batches, measured or g10"), std::string::npos);
  }
  EXPECT_THROW(kernel_timing_from_name(""), InvalidInput);
}

TEST(SimSimulator, IdealWithEverythingFittingIsExactlyIdeal) {
  Builder b;
  const TensorId wt = b.tensor(4096, true), x = b.tensor(8192, false), y = b.tensor(8192, false);
  b.kernel(1'000, {wt}, {x}, 4096);
  b.kernel(2'500, {x, wt}, {y});
  b.kernel(700, {y}, {x});
  const Workload w = b.done();
  const Report r = sim(w, tiny_machine(1 << 20), make_empty_plan(w, "p", "ideal"));
  ASSERT_TRUE(r.feasible) << r.infeasible_reason;
  EXPECT_EQ(r.iteration_ns, 4'200);
  EXPECT_EQ(r.ideal_ns, 4'200);
  EXPECT_EQ(r.fraction_of_ideal, 1.0);
  EXPECT_EQ(r.iteration_times_ns, (std::vector<std::int64_t>{4'200, 4'200, 4'200}));
  EXPECT_EQ(r.stall.total_ns(), 0);
  EXPECT_EQ(r.demand_fetches, 0u);
  EXPECT_EQ(r.tiers[0].peak_bytes, 4096u + 8192 + 8192);  // kernel 1: weight, x, y
}

// Managed memory (uvm-like): a kernel that brings fresh tensors into existence waits for their
// pages to be populated by first-touch faults, batches x first_touch_batch_latency; a policy
// that allocates explicitly does not, and a plan's prefetch of an unborn tensor does not.
TEST(SimSimulator, FirstTouchFaultsCostBatchesOfFirstTouchLatency) {
  Builder b;
  const TensorId x = b.tensor(4096 * 120, false), y = b.tensor(4096 * 10, false);
  b.kernel(1'000, {}, {x});   // 120 pages, 3 batches of 50
  b.kernel(2'000, {x}, {y});  // 10 pages, 1 batch
  const Workload w = b.done();
  Machine m = tiny_machine(1 << 24, 7'000, 50);
  m.fault.first_touch_batch_latency_ns = 5'000;
  const test::ManagedPolicy managed;
  SimOptions o;
  o.check_every_event = true;
  o.iterations = 1;  // everything fits, so later iterations do not fault (Note [first touch once])
  const Plan empty = make_empty_plan(w, "p", "managed");
  const Report r = simulate(w, analyze_vitality(w), m, empty, managed, o);
  ASSERT_TRUE(r.feasible) << r.infeasible_reason;
  EXPECT_EQ(r.iteration_ns, 3'000 + 3 * 5'000 + 1 * 5'000);
  EXPECT_EQ(r.stall.demand_fetch_ns, 20'000);
  EXPECT_EQ(r.first_touch_faults, 2u);
  EXPECT_EQ(r.first_touch_bytes, 4096u * 130);
  EXPECT_EQ(r.demand_fetches, 0u);
  // Explicit allocation: no first-touch cost.
  EXPECT_EQ(sim(w, m, empty, o).iteration_ns, 3'000);
  // A plan that allocates y ahead (before kernel 0) spares kernel 1 its first touch.
  Plan ahead = empty;
  ahead.kernels[0].before.push_back(Action::prefetch(y));
  const Report r2 = simulate(w, analyze_vitality(w), m, ahead, managed, o);
  EXPECT_EQ(r2.iteration_ns, 3'000 + 3 * 5'000);
  EXPECT_EQ(r2.first_touch_faults, 1u);
}

// Note [first touch once] (sim/fault_model.hpp): managed memory keeps the pages it populated.
// When everything the workload allocates fits on the device at once, fresh tensors fault only
// in the first iteration; when it does not (though each kernel's working set does), pages are
// evicted and every iteration's first touches fault again.
TEST(SimSimulator, FirstTouchFaultsRecurOnlyWhenTheWorkloadsFootprintDoesNotFit) {
  Builder b;
  const TensorId x = b.tensor(4096 * 100, false), y = b.tensor(4096 * 50, false),
                 z = b.tensor(4096 * 100, false);
  b.kernel(1'000, {}, {x});   // 2 batches of 50 pages
  b.kernel(1'000, {x}, {y});  // 1 batch
  b.kernel(1'000, {y}, {z});  // 2 batches; x is dead: peak 150 pages, footprint 250
  const Workload w = b.done();
  const test::ManagedPolicy managed;
  SimOptions o;
  o.check_every_event = true;
  const auto run = [&](std::uint64_t device_pages) {
    Machine m = tiny_machine(device_pages * 4096, 7'000, 50);
    m.fault.first_touch_batch_latency_ns = 5'000;
    return simulate(w, analyze_vitality(w), m, make_empty_plan(w, "p", "managed"), managed, o);
  };
  const Report fits = run(300);
  ASSERT_TRUE(fits.feasible) << fits.infeasible_reason;
  EXPECT_EQ(fits.iteration_times_ns, (std::vector<std::int64_t>{3'000 + 5 * 5'000, 3'000, 3'000}));
  EXPECT_EQ(fits.first_touch_faults, 0u);  // steady state
  const Report tight = run(200);           // the peak fits, everything at once does not
  ASSERT_TRUE(tight.feasible) << tight.infeasible_reason;
  EXPECT_EQ(tight.iteration_times_ns,
            (std::vector<std::int64_t>{3'000 + 5 * 5'000, 3'000 + 5 * 5'000, 3'000 + 5 * 5'000}));
  EXPECT_EQ(tight.first_touch_faults, 3u);
}

TEST(SimSimulator, PrefetchFinishesAtLatencyPlusBytesOverBandwidth) {
  Builder b;
  const TensorId a = b.tensor(4096, true), big = b.tensor(1'000'000, true);
  b.kernel(100'000, {a}, {});
  b.kernel(50'000, {big}, {});
  const Workload w = b.done();
  Plan p = make_empty_plan(w, "p", "test");
  p.initial[big] = TierKind::host;
  p.kernels[0].before.push_back(Action::prefetch(big));
  SimOptions o;
  o.iterations = 1;
  o.record_timeline = true;
  const Report r = sim(w, tiny_machine(1 << 22), p, o);
  ASSERT_TRUE(r.feasible) << r.infeasible_reason;
  // The copy ends at 1'000 + 1'000'000 ns; kernel 1 is ready at 100'000 and waits the rest.
  EXPECT_EQ(r.stall.waiting_for_prefetch_ns, 1'001'000 - 100'000);
  EXPECT_EQ(r.stall.demand_fetch_ns, 0);
  EXPECT_EQ(r.iteration_ns, 1'001'000 + 50'000);
  EXPECT_EQ(r.links[0].to_faster_bytes, 1'000'000u);
  EXPECT_EQ(r.demand_fetches, 0u);
  bool found = false;
  for (const TimelineSpan& s : r.timeline.spans)
    if (s.name == "fetch t1") {
      found = true;
      EXPECT_EQ(s.start_ns, 0);
      EXPECT_EQ(s.duration_ns, 1'001'000);
    }
  EXPECT_TRUE(found);
}

// Plan prefetches waiting for device space are admitted first in first out: one that does not
// fit holds back the later ones even when they would fit (Note [simulator model]).
// Measured against skipping or ordering by next use on the seven G10 workloads: docs/simulator.md.
TEST(SimSimulator, QueuedPrefetchThatDoesNotFitBlocksTheLaterOnes) {
  Builder b;
  const std::uint64_t mb = 1'000'000;
  const TensorId c = b.tensor(4096, true), a = b.tensor(2 * mb, false),
                 big = b.tensor(2 * mb, true), small = b.tensor(mb, true);
  b.kernel(100'000, {c}, {a});  // a fills 2 MB beside c, and dies when kernel 0 ends
  b.kernel(1'000'000, {c}, {});
  b.kernel(10'000, {small}, {});
  b.kernel(10'000, {big}, {});
  const Workload w = b.done();
  Plan p = make_empty_plan(w, "p", "test");
  p.initial[big] = TierKind::host;
  p.initial[small] = TierKind::host;
  p.kernels[0].before.push_back(Action::prefetch(big));    // 2 MB: does not fit beside a
  p.kernels[0].before.push_back(Action::prefetch(small));  // 1 MB: fits, but queued behind big
  SimOptions o;
  o.iterations = 1;
  o.record_timeline = true;
  const Report r = sim(w, tiny_machine(3 * mb + 4096), p, o);
  ASSERT_TRUE(r.feasible) << r.infeasible_reason;
  // Nothing can be evicted during kernel 0 (c and a are in use). Both copies start when a is
  // freed at 100'000 and share the link: small finishes after 1'000 + 1 MB at 0.5 byte/ns, then
  // big's second MB flows alone at 1 byte/ns. (Admitting small at 0 would end it at 1'901'000.)
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> copies;
  for (const TimelineSpan& s : r.timeline.spans)
    if (s.track != 0) copies[s.name] = {s.start_ns, s.start_ns + s.duration_ns};
  EXPECT_EQ(copies.size(), 2u);
  EXPECT_EQ(copies["fetch t3"], (std::pair<std::int64_t, std::int64_t>{100'000, 2'101'000}));
  EXPECT_EQ(copies["fetch t2"], (std::pair<std::int64_t, std::int64_t>{100'000, 3'101'000}));
  // Kernel 2 is ready at 1'100'000 and waits for small; kernel 3 (ready at 2'111'000) for big.
  EXPECT_EQ(r.stall.waiting_for_prefetch_ns, (2'101'000 - 1'100'000) + (3'101'000 - 2'111'000));
  EXPECT_EQ(r.stall.total_ns(), r.stall.waiting_for_prefetch_ns);
  EXPECT_EQ(r.iteration_ns, 3'111'000);
  EXPECT_EQ(r.victim_evictions, 0u);
  EXPECT_EQ(r.demand_fetches, 0u);
}

TEST(SimSimulator, MissingTensorIsDemandFetchedAndStallsForItsTransfer) {
  Builder b;
  const TensorId a = b.tensor(4096, true), big = b.tensor(1'000'000, true);
  b.kernel(100'000, {a}, {});
  b.kernel(50'000, {big}, {});
  const Workload w = b.done();
  Plan p = make_empty_plan(w, "p", "test");
  p.initial[big] = TierKind::host;
  SimOptions o;
  o.iterations = 1;
  // 1 MB is 245 pages of 4 KiB: one batch of 256 pages.
  const Report r = sim(w, tiny_machine(1 << 22, 45'000, 256), p, o);
  ASSERT_TRUE(r.feasible) << r.infeasible_reason;
  // fault handling + link latency + 1 MB at 1 byte/ns
  EXPECT_EQ(r.stall.demand_fetch_ns, 45'000 + 1'000 + 1'000'000);
  EXPECT_EQ(r.stall.total_ns(), r.stall.demand_fetch_ns);
  EXPECT_EQ(r.iteration_ns, 100'000 + 1'046'000 + 50'000);
  EXPECT_EQ(r.demand_fetches, 1u);
  EXPECT_EQ(r.demand_fetch_bytes, 1'000'000u);
  // In batches of 50 pages the same 245 pages take 5 batches of fault handling.
  const Report r50 = sim(w, tiny_machine(1 << 22, 45'000, 50), p, o);
  ASSERT_TRUE(r50.feasible) << r50.infeasible_reason;
  EXPECT_EQ(r50.stall.demand_fetch_ns, 5 * 45'000 + 1'000 + 1'000'000);
}

TEST(SimSimulator, EvictionWhenFullPicksTheLeastRecentlyUsed) {
  Builder b;
  const std::uint64_t mb = 1'000'000;
  const TensorId a = b.tensor(mb, true), bb = b.tensor(mb, true), c = b.tensor(mb, true),
                 d = b.tensor(mb, true);
  b.kernel(10, {bb}, {});
  b.kernel(10, {a}, {});  // a is used after bb, so bb is the least recently used
  b.kernel(10, {c}, {});
  b.kernel(10, {d}, {});
  const Workload w = b.done();
  Plan p = make_empty_plan(w, "p", "test");
  p.initial[d] = TierKind::host;
  SimOptions o;
  o.iterations = 1;
  o.record_timeline = true;
  const Report r = sim(w, tiny_machine(3 * mb), p, o);
  ASSERT_TRUE(r.feasible) << r.infeasible_reason;
  EXPECT_EQ(r.victim_evictions, 1u);
  std::vector<std::string> moves;
  for (const TimelineSpan& s : r.timeline.spans)
    if (s.track != 0) moves.push_back(s.name);
  EXPECT_EQ(moves, (std::vector<std::string>{"evict -> host t1", "fault t3"}));
  // Kernel 3 waits for the eviction (1'000 + 1 MB) then the fetch (1'000 + 1 MB).
  EXPECT_EQ(r.stall.eviction_backpressure_ns, 1'001'000);
  EXPECT_EQ(r.stall.demand_fetch_ns, 1'001'000);
  EXPECT_EQ(r.tiers[0].peak_bytes, 3 * mb);
}

TEST(SimSimulator, KernelLargerThanTheGpuIsInfeasibleNamingIt) {
  Builder b;
  const TensorId a = b.tensor(600, true), x = b.tensor(600, false);
  b.kernel(10, {a}, {});
  b.kernel(10, {a}, {x}, 100);
  const Workload w = b.done();
  const Report r = sim(w, tiny_machine(1'000), make_empty_plan(w, "p", "ideal"));
  EXPECT_FALSE(r.feasible);
  EXPECT_NE(r.infeasible_reason.find("kernel 1 (k1)"), std::string::npos) << r.infeasible_reason;
  EXPECT_NE(r.infeasible_reason.find("300 B short"), std::string::npos) << r.infeasible_reason;
  const nlohmann::json j = nlohmann::json::parse(report_to_json(r));
  EXPECT_TRUE(j["iteration_ns"].is_null());
  EXPECT_TRUE(j["fraction_of_ideal"].is_null());
  EXPECT_EQ(j["feasible"], false);
}

TEST(SimSimulator, RunsAreDeterministic) {
  Builder b;
  const std::uint64_t mb = 1'000'000;
  std::vector<TensorId> ws;
  for (int i = 0; i < 6; ++i) ws.push_back(b.tensor(mb, true));
  TensorId prev = b.tensor(mb / 2, false);
  b.kernel(1'000, {ws[0]}, {prev});
  for (int i = 1; i < 12; ++i) {
    const TensorId next = b.tensor(mb / 2, false);
    b.kernel(10'000 * i, {prev, ws[static_cast<std::size_t>(i % 6)]}, {next});
    prev = next;
  }
  const Workload w = b.done();
  Plan p = make_empty_plan(w, "p", "test");
  p.initial[ws[4]] = TierKind::host;
  p.initial[ws[5]] = TierKind::host;
  p.kernels[1].before.push_back(Action::prefetch(ws[4]));
  p.kernels[2].after.push_back(Action::evict(ws[1], TierKind::host));
  SimOptions o;
  o.record_timeline = true;
  const Report r1 = sim(w, tiny_machine(4 * mb), p, o);
  const Report r2 = sim(w, tiny_machine(4 * mb), p, o);
  ASSERT_TRUE(r1.feasible) << r1.infeasible_reason;
  EXPECT_GT(r1.stall.total_ns(), 0);
  EXPECT_EQ(r1, r2);
  EXPECT_EQ(report_to_json(r1), report_to_json(r2));
  for (const TierPeak& t : r1.tiers) EXPECT_LE(t.peak_bytes, t.capacity_bytes) << t.tier;
}

Machine g10_machine() {
  return load_machine("g10-a100", {test::source_dir() / "configs" / "machines"});
}

TEST(SimSimulator, IdealOnEveryG10WorkloadWithHugeMemoryIsExactlyIdeal) {
  STRATA_REQUIRE_G10();
  Machine m = g10_machine();
  m.tiers[m.gpus[0].memory].capacity_bytes = 1ULL << 50;
  const auto policy = make_policy("ideal");
  for (const auto& folder : test::g10_folders()) {
    SCOPED_TRACE(folder.string());
    const Workload w = load_g10_folder(folder);
    const Vitality v = analyze_vitality(w);
    const Report r = simulate(w, v, m, policy->plan(w, v, m), *policy);
    ASSERT_TRUE(r.feasible) << r.infeasible_reason;
    EXPECT_EQ(r.iteration_ns, r.ideal_ns);
    EXPECT_EQ(r.fraction_of_ideal, 1.0);
    EXPECT_EQ(r.stall.total_ns(), 0);
  }
}

TEST(SimSimulator, G10PlanOnEveryG10WorkloadCompletesWithinCapacity) {
  STRATA_REQUIRE_G10();
  const Machine m = g10_machine();
  // G10's published "G10" column (fraction of ideal), ../shared/g10/README.md.
  const std::map<std::string, double> published = {
      {"BERT-256", 0.997},    {"BERT-512", 0.670},         {"VIT-512", 1.000},
      {"VIT-1024", 0.737},    {"Inceptionv3-1024", 0.994}, {"ResNet152-768", 0.998},
      {"SENet154-512", 1.000}};
  std::printf("%-18s %10s %10s %12s %12s %12s %8s\n", "workload", "strata", "G10 paper",
              "prefetch ms", "fault ms", "backpr. ms", "faults");
  for (const auto& folder : test::g10_folders()) {
    SCOPED_TRACE(folder.string());
    const Workload w = load_g10_folder(folder);
    const Vitality v = analyze_vitality(w);
    const auto policy = make_policy("g10-plan:" + folder.string());
    const Plan p = policy->plan(w, v, m);
    const auto t0 = std::chrono::steady_clock::now();
    const Report r = simulate(w, v, m, p, *policy);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (const TierPeak& t : r.tiers) EXPECT_LE(t.peak_bytes, t.capacity_bytes) << t.tier;
    const std::string name = folder.filename().string();
    const auto pub = published.find(name);
    if (!r.feasible) {
      EXPECT_FALSE(r.infeasible_reason.empty());
      std::printf("%-18s infeasible: %s\n", name.c_str(), r.infeasible_reason.c_str());
      continue;
    }
    std::printf("%-18s %10.3f %10.3f %12.1f %12.1f %12.1f %8llu  (%.3f s)\n", name.c_str(),
                r.fraction_of_ideal, pub == published.end() ? 0.0 : pub->second,
                static_cast<double>(r.stall.waiting_for_prefetch_ns) / 1e6,
                static_cast<double>(r.stall.demand_fetch_ns) / 1e6,
                static_cast<double>(r.stall.eviction_backpressure_ns) / 1e6,
                static_cast<unsigned long long>(r.demand_fetches), secs);
    EXPECT_GT(r.fraction_of_ideal, 0.0);
    EXPECT_LE(r.fraction_of_ideal, 1.0);
    EXPECT_EQ(r.iteration_ns - r.stall.total_ns(), r.ideal_ns);
    // Fidelity (docs/fidelity.md): G10's own plan replayed within 0.05 of G10's published
    // number, under the default fault cost too.
    if (pub != published.end()) {
      EXPECT_LE(std::abs(r.fraction_of_ideal - pub->second), 0.05) << name;
    }
  }
}

TEST(SimSimulator, G10PlanNeverExceedsCapacityCheckedAtEveryEvent) {
  STRATA_REQUIRE_G10();
  const Machine m = g10_machine();
  const auto folder = test::g10_folders().front();
  const Workload w = load_g10_folder(folder);
  const Vitality v = analyze_vitality(w);
  const auto policy = make_policy("g10-plan:" + folder.string());
  SimOptions o;
  o.iterations = 2;
  o.check_every_event = true;  // re-sums every tier from the tensors' residency after each event
  const Report r = simulate(w, v, m, policy->plan(w, v, m), *policy, o);
  EXPECT_TRUE(r.feasible) << r.infeasible_reason;
}

TEST(CliSim, JsonHasTheReportKeys) {
  STRATA_REQUIRE_G10();
  const std::string name = test::g10_folders().front().filename().string();
  const auto r = test::run_cli("sim g10:" + name + " --machine g10-a100 --policy g10-plan:" + name +
                                   " --iterations 2 --json",
                               false);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = nlohmann::json::parse(r.output);
  for (const char* key : {"iteration_ns", "fraction_of_ideal", "feasible", "ideal_ns", "stall_ns",
                          "links", "tiers", "demand_fetches"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_TRUE(j["iteration_ns"].is_number_integer());
  EXPECT_EQ(j["feasible"], true);
  EXPECT_EQ(j["iterations"], 2);
}

TEST(CliSim, TimelineIsChromeTraceJson) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("strata_sim_timeline_" + std::to_string(::getpid()) + ".json");
  const auto r = test::run_cli(
      "sim model:resnet50 --batch 8 --machine g10-a100 --policy ideal "
      "--timeline '" +
      path.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(path);
  const nlohmann::json j = nlohmann::json::parse(in);
  ASSERT_TRUE(j.contains("traceEvents"));
  std::size_t complete = 0;
  for (const auto& e : j["traceEvents"])
    if (e["ph"] == "X") {
      ++complete;
      EXPECT_TRUE(e.contains("ts") && e.contains("dur") && e.contains("tid"));
    }
  EXPECT_GT(complete, 0u);
  std::filesystem::remove(path);
}

TEST(CliSim, UnknownPolicyExitsOneListingThePolicies) {
  const auto r = test::run_cli("sim model:resnet50 --policy nonsense");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("ideal"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("g10-plan:"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace strata::sim
