// The `strata` policy: strata's own planner. A hand-built case whose optimum is known (the
// plan hides every transfer behind compute), refinement never making a plan worse (on the
// shared G10 workloads and on random small workloads drawn fresh each run), determinism,
// capacity, and `strata` at least as fast as `g10` on every shared G10 workload.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <random>
#include <string>

#include "strata/analysis/vitality.hpp"
#include "strata/core/error.hpp"
#include "strata/io/g10_trace.hpp"
#include "strata/plan/policies/g10.hpp"
#include "strata/plan/policies/strata.hpp"
#include "strata/plan/policies/uvm.hpp"
#include "strata/plan/policy.hpp"
#include "strata/sim/simulator.hpp"
#include "support/g10_as_run.hpp"
#include "support/paths.hpp"

namespace strata {
namespace {

constexpr std::uint64_t kGiB = 1ULL << 30;
constexpr std::int64_t kMs = 1'000'000;

// A GPU with `device_bytes`, host memory over one 16 GB/s link (no latencies, fast tiers).
Machine one_link_machine(std::uint64_t device_bytes) {
  Machine m;
  m.name = "one-link";
  m.tiers.push_back({"hbm", TierKind::device, device_bytes, 1e13, 1e13, 0, 0, 1});
  m.tiers.push_back({"host", TierKind::host, 1ULL << 40, 1e13, 1e13, 0, 0, 1});
  m.gpus = {Gpu{"gpu0", {}, 0, 0, 0}};
  m.gpus[0].compute.fp32_flops_per_s = 1e13;
  m.gpus[0].compute.memory_bytes_per_s = 1e13;
  m.links.push_back({"hbm<->host", 0, 1, 16e9, 0, {}, false});
  m.fault = {4096, 50, 12'300};
  validate(m);
  return m;
}

Kernel kernel(KernelId id, std::int64_t ms, std::vector<TensorId> in, std::vector<TensorId> out) {
  Kernel k;
  k.id = id;
  k.name = "k" + std::to_string(id);
  k.duration_ns = ms * kMs;
  k.inputs = std::move(in);
  k.outputs = std::move(out);
  return k;
}

// Two 1 GiB tensors on a 1.5 GiB GPU with one 16 GB/s link (1 GiB moves in 67.1 ms). A is
// written by k0 and read by k5; B is written by k2 and read by k3; s (4 KiB, persistent) is read
// by the 100 ms kernels k1 and k4. B cannot be allocated at k2 unless A has left during k1, and
// A cannot come back before B dies after k3: the only schedule without a stall evicts A after
// k0 (hidden by k1) and prefetches it before k4 (hidden by k4).
Workload two_tensors() {
  Workload w;
  w.name = "two-tensors";
  w.tensors = {Tensor{0, "A", kGiB, TensorKind::activation, false},
               Tensor{1, "B", kGiB, TensorKind::activation, false},
               Tensor{2, "s", 4096, TensorKind::weight, true}};
  w.kernels = {kernel(0, 1, {}, {0}),   kernel(1, 100, {2}, {}), kernel(2, 1, {}, {1}),
               kernel(3, 100, {1}, {}), kernel(4, 100, {2}, {}), kernel(5, 1, {0}, {})};
  validate(w);
  return w;
}

TEST(PolicyStrata, RegisteredAndNamed) {
  const auto p = make_policy("strata");
  EXPECT_EQ(p->name(), "strata");
  const auto specs = comparable_policies();
  EXPECT_NE(std::find(specs.begin(), specs.end(), "strata"), specs.end());
}

TEST(PolicyStrata, TwoTensorsOneLinkOverlapsEveryTransferWithCompute) {
  const Workload w = two_tensors();
  const Vitality v = analyze_vitality(w);
  const Machine m = one_link_machine(3 * kGiB / 2);
  const StrataPolicy policy;
  const Plan plan = policy.plan(w, v, m);
  // Exactly the known optimum: evict A after k0, prefetch it before k4, nothing else.
  Plan expected = make_empty_plan(w, plan.name, "strata");
  expected.kernels[0].after = {Action::evict(0, TierKind::host)};
  expected.kernels[4].before = {Action::prefetch(0)};
  EXPECT_EQ(plan, expected) << to_text(plan, &w);
  sim::SimOptions o;
  o.check_every_event = true;
  const sim::Report r = sim::simulate(w, v, m, plan, policy, o);
  ASSERT_TRUE(r.feasible) << r.infeasible_reason;
  EXPECT_EQ(r.iteration_ns, r.ideal_ns);
  EXPECT_EQ(r.stall.total_ns(), 0);
  EXPECT_EQ(r.demand_fetches, 0u);
  // Without the plan the same case stalls: the case needs planning.
  const sim::Report uvm = sim::run_policy(w, v, m, UvmPolicy{}, o);
  ASSERT_TRUE(uvm.feasible);
  EXPECT_GT(uvm.iteration_ns, r.iteration_ns);
}

// A GPU of 2.5 GiB whose 32 GB/s port carries a 16 GB/s link to host memory and a 16 GB/s link
// to an SSD (GPUDirect) at once. k0 writes A and C (1 GiB each), k1 (100 ms) reads s, k2 writes
// B1 and B2 (1 GiB each), k3 (100 ms) reads them, k4 (100 ms) reads s, k5 reads A and C. A and
// C must both leave during k1 and come back during k4: over the host link alone that is 134 ms
// of a 100 ms kernel each way; one to host and one to the SSD at once, 67 ms.
TEST(PolicyStrata, HostAndSsdTogetherMoveBytesSooner) {
  Workload w;
  w.name = "host-and-ssd";
  w.tensors = {Tensor{0, "A", kGiB, TensorKind::activation, false},
               Tensor{1, "C", kGiB, TensorKind::activation, false},
               Tensor{2, "B1", kGiB, TensorKind::activation, false},
               Tensor{3, "B2", kGiB, TensorKind::activation, false},
               Tensor{4, "s", 4096, TensorKind::weight, true}};
  w.kernels = {kernel(0, 1, {}, {0, 1}),   kernel(1, 100, {4}, {}), kernel(2, 1, {}, {2, 3}),
               kernel(3, 100, {2, 3}, {}), kernel(4, 100, {4}, {}), kernel(5, 1, {0, 1}, {})};
  validate(w);
  const Vitality v = analyze_vitality(w);
  Machine both;
  both.name = "host-and-ssd";
  both.tiers.push_back({"hbm", TierKind::device, 5 * kGiB / 2, 1e13, 1e13, 0, 0, 1});
  both.tiers.push_back({"host", TierKind::host, 1ULL << 40, 1e13, 1e13, 0, 0, 1});
  both.tiers.push_back({"ssd", TierKind::ssd, 1ULL << 40, 16e9, 16e9, 0, 0, 1});
  both.gpus = {Gpu{"gpu0", {}, 0, 0, 0}};
  both.gpus[0].compute.fp32_flops_per_s = 1e13;
  both.gpus[0].compute.memory_bytes_per_s = 1e13;
  both.buses.push_back({"gpu0-pcie", 32e9, true});
  both.links.push_back({"hbm<->host", 0, 1, 16e9, 0, {0}, false});
  both.links.push_back({"hbm<->ssd", 0, 2, 16e9, 0, {0}, false});
  both.fault = {4096, 50, 12'300};
  validate(both);
  Machine host_only = both;
  host_only.links.pop_back();
  host_only.tiers.pop_back();
  validate(host_only);

  sim::SimOptions o;
  o.check_every_event = true;
  StrataOptions moves_only;  // about movements: re-running the 1 ms k0 would avoid them all
  moves_only.recompute = false;
  const StrataPolicy policy(moves_only);
  const sim::Report r = sim::run_policy(w, v, both, policy, o);
  ASSERT_TRUE(r.feasible) << r.infeasible_reason;
  EXPECT_EQ(r.iteration_ns, v.ideal_ns);
  const StrataPlanResult planned = plan_strata(w, v, both, policy, policy.options());
  EXPECT_EQ(planned.stats.evicted_to_host, 1u) << to_text(planned.plan, &w);
  EXPECT_EQ(planned.stats.evicted_to_ssd, 1u) << to_text(planned.plan, &w);
  // Host alone: both tensors queue on one link and the kernels after them wait.
  const sim::Report slow = sim::run_policy(w, v, host_only, policy, o);
  ASSERT_TRUE(slow.feasible) << slow.infeasible_reason;
  EXPECT_GT(slow.iteration_ns, v.ideal_ns + 30 * kMs);
}

TEST(PolicyStrata, NoLowerTierAndTooBigIsInvalidInput) {
  const Workload w = two_tensors();
  const Vitality v = analyze_vitality(w);
  Machine m = one_link_machine(3 * kGiB / 2);
  m.links.clear();
  m.tiers.pop_back();
  EXPECT_THROW(StrataPolicy{}.plan(w, v, m), InvalidInput);
}

TEST(PolicyStrata, VictimIsTheFarthestNextUse) {
  const Workload w = two_tensors();
  const Vitality v = analyze_vitality(w);
  const StrataPolicy policy;
  policy.learn(w, v);
  // At k1: A is next used at k5 (4 ahead), s at k4 (3 ahead). A goes.
  const EvictionCandidate c[] = {{2, 4096, 0}, {0, kGiB, 5}};
  EXPECT_EQ(policy.choose_victim({1, 1, c}), std::optional<std::size_t>(1));
  // At k4 (s pinned by the kernel, so not a candidate): only A.
  const EvictionCandidate only_a[] = {{0, kGiB, 5}};
  EXPECT_EQ(policy.choose_victim({4, 1, only_a}), std::optional<std::size_t>(0));
}

// A random training-like chain: forward layers, backward in reverse, optimizer updates.
Workload random_workload(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> layers_d(3, 9);
  std::uniform_int_distribution<std::uint64_t> mb(8, 256);
  std::uniform_int_distribution<std::int64_t> ms(1, 40);
  const int layers = layers_d(rng);
  Workload w;
  w.name = "random";
  auto tensor = [&](std::string name, TensorKind kind, bool persistent) {
    const auto id = static_cast<TensorId>(w.tensors.size());
    w.tensors.push_back({id, std::move(name), mb(rng) * 1'000'000, kind, persistent});
    return id;
  };
  std::vector<TensorId> act, wt, grad_w;
  act.push_back(tensor("input", TensorKind::input, true));
  for (int l = 0; l < layers; ++l) {
    wt.push_back(tensor("w" + std::to_string(l), TensorKind::weight, true));
    act.push_back(tensor("a" + std::to_string(l), TensorKind::activation, false));
  }
  auto add = [&](std::vector<TensorId> in, std::vector<TensorId> out) {
    const auto id = static_cast<KernelId>(w.kernels.size());
    w.kernels.push_back(kernel(id, ms(rng), std::move(in), std::move(out)));
  };
  for (int l = 0; l < layers; ++l) add({act[l], wt[l]}, {act[l + 1]});
  TensorId g = tensor("g_out", TensorKind::gradient, false);
  add({act[layers]}, {g});
  for (int l = layers - 1; l >= 0; --l) {
    const TensorId gi = tensor("g" + std::to_string(l), TensorKind::gradient, false);
    grad_w.push_back(tensor("gw" + std::to_string(l), TensorKind::gradient, false));
    add({g, act[l], wt[l]}, {gi, grad_w.back()});
    g = gi;
  }
  for (int l = 0; l < layers; ++l) add({wt[l], grad_w[layers - 1 - l]}, {wt[l]});
  validate(w);
  return w;
}

// Refinement keeps a change only if the simulated iteration gets faster, so the refined plan is
// never slower than the unrefined one. Fresh workloads every run (the seed is printed).
TEST(PolicyStrata, RefinementNeverMakesRandomWorkloadsWorse) {
  const std::uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  Machine base = one_link_machine(kGiB);
  int stalled = 0;
  int refined = 0;
  for (int round = 0; round < 12; ++round) {
    const Workload w = random_workload(rng);
    const Vitality v = analyze_vitality(w);
    std::uint64_t working_set = 0;
    for (const Kernel& k : w.kernels) {
      std::uint64_t b = 0;
      for (TensorId t : k.inputs) b += w.tensors[t].bytes;
      for (TensorId t : k.outputs) b += w.tensors[t].bytes;
      working_set = std::max(working_set, b);
    }
    std::uniform_real_distribution<double> squeeze(0.4, 0.9);
    Machine m = base;
    m.tiers[0].capacity_bytes = std::max<std::uint64_t>(
        working_set + 1,
        static_cast<std::uint64_t>(squeeze(rng) * static_cast<double>(v.peak_live_bytes)));
    const StrataPolicy policy;
    policy.learn(w, v);
    StrataOptions unrefined = policy.options();
    unrefined.max_simulations = 1;
    const StrataPlanResult a = plan_strata(w, v, m, policy, unrefined);
    const StrataPlanResult b = plan_strata(w, v, m, policy, policy.options());
    sim::SimOptions o;
    o.check_every_event = true;
    const sim::Report ra = sim::simulate(w, v, m, a.plan, policy, o);
    const sim::Report rb = sim::simulate(w, v, m, b.plan, policy, o);
    ASSERT_TRUE(ra.feasible) << ra.infeasible_reason;
    ASSERT_TRUE(rb.feasible) << rb.infeasible_reason;
    EXPECT_LE(rb.iteration_ns, ra.iteration_ns) << "round " << round;
    if (b.stats.simulations > 0) {
      EXPECT_EQ(rb.iteration_ns, b.stats.refined_ns) << "round " << round;
      // The fastest start (a is the first one, unsimulated alternatives aside).
      EXPECT_LE(b.stats.unrefined_ns, ra.iteration_ns) << "round " << round;
      EXPECT_LE(b.stats.refined_ns, b.stats.unrefined_ns) << "round " << round;
    }
    EXPECT_EQ(plan_strata(w, v, m, policy, policy.options()).plan, b.plan) << "round " << round;
    if (ra.iteration_ns > ra.ideal_ns) ++stalled;
    if (b.stats.simulations > 1) ++refined;
  }
  std::printf("random workloads: %d of 12 stalled before refinement, %d refined\n", stalled,
              refined);
}

// Every shared G10 workload on g10-a100: the plan validates, the simulation stays within every
// tier's capacity (checked after every event), refinement never made it worse, planning twice
// gives the same plan, and strata is at least as fast as g10.
TEST(PolicyStrata, EverySharedG10WorkloadAtLeastAsFastAsG10) {
  STRATA_REQUIRE_G10();
  const Machine m = load_machine("g10-a100", {test::source_dir() / "configs" / "machines"});
  // G10's published fractions of ideal (../shared/g10/README.md).
  const std::map<std::string, double> published = {
      {"BERT-256", 0.997},    {"BERT-512", 0.670},         {"VIT-512", 1.000},
      {"VIT-1024", 0.737},    {"Inceptionv3-1024", 0.994}, {"ResNet152-768", 0.998},
      {"SENet154-512", 1.000}};
  double sum = 0;
  std::size_t count = 0;
  for (const auto& folder : test::g10_folders()) {
    const Workload w = load_g10_folder(folder);
    const Vitality v = analyze_vitality(w);
    const StrataPolicy policy;
    policy.learn(w, v);
    const StrataPlanResult r = plan_strata(w, v, m, policy, policy.options());
    EXPECT_NO_THROW(validate(r.plan, w, m)) << w.name;
    sim::SimOptions o;
    o.check_every_event = true;
    const sim::Report s = sim::simulate(w, v, m, r.plan, policy, o);
    ASSERT_TRUE(s.feasible) << w.name << ": " << s.infeasible_reason;
    for (const sim::TierPeak& t : s.tiers) EXPECT_LE(t.peak_bytes, t.capacity_bytes) << w.name;
    if (r.stats.simulations > 0) {
      EXPECT_LE(r.stats.refined_ns, r.stats.unrefined_ns) << w.name;
      EXPECT_EQ(s.iteration_ns, r.stats.refined_ns) << w.name;
    }
    EXPECT_GE(s.iteration_ns, r.stats.eviction_bound_ns) << w.name << ": below the lower bound";
    EXPECT_EQ(policy.plan(w, v, m), r.plan) << w.name << ": not deterministic";
    // G10's planner as G10 ran it (BERT-512 at its line x 1.394: support/g10_as_run.hpp).
    const sim::Report g10 = sim::run_policy(w, v, m, G10Policy{test::g10_options_as_run(w.name)});
    ASSERT_TRUE(g10.feasible) << w.name;
    EXPECT_LE(s.iteration_ns, g10.iteration_ns) << w.name;
    if (const auto it = published.find(w.name); it != published.end()) {
      // Published to three decimals: compare at that precision.
      EXPECT_GE(s.fraction_of_ideal + 0.0005, it->second) << w.name << ": below G10's paper";
      sum += s.fraction_of_ideal;
      ++count;
    }
    std::printf("%-18s strata %.4f  g10 %.4f  bound %.4f  unrefined %.4f  sims %u  kept %u/%u\n",
                w.name.c_str(), s.fraction_of_ideal, g10.fraction_of_ideal,
                static_cast<double>(v.ideal_ns) / static_cast<double>(r.stats.eviction_bound_ns),
                r.stats.unrefined_ns > 0
                    ? static_cast<double>(v.ideal_ns) / static_cast<double>(r.stats.unrefined_ns)
                    : 1.0,
                r.stats.simulations, r.stats.repairs_kept, r.stats.repairs_tried);
  }
  if (count == published.size()) {
    std::printf("mean over the seven: %.4f\n", sum / static_cast<double>(count));
    EXPECT_GE(sum / static_cast<double>(count), 0.97);
  }
}

}  // namespace
}  // namespace strata
