// The `strata` policy on several GPUs sharing a bus (Note [strata on several GPUs]): a
// hand-built pair of GPUs behind one uplink where the single-GPU plan, copied to both, makes
// both GPUs wait for the shared bus and the joint plan staggers the transfers so neither does;
// every plan valid and feasible on random workloads drawn fresh each run; one GPU unchanged;
// bad GPU ranges.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "strata/analysis/vitality.hpp"
#include "strata/core/error.hpp"
#include "strata/plan/policies/strata.hpp"
#include "strata/sim/simulator.hpp"
#include "support/workload_builder.hpp"

namespace strata {
namespace {

constexpr std::uint64_t kGiB = 1ULL << 30;
constexpr std::int64_t kMs = 1'000'000;

// `gpus` GPUs of `device_bytes` each, a 16 GB/s link from each to one host tier, every link
// crossing one 16 GB/s full-duplex bus (a PCIe switch uplink): one GPU alone moves 1 GiB in
// 67.1 ms, two at once take 134.2 ms. Fast tiers, no latencies.
Machine switch_node(std::uint32_t gpus, std::uint64_t device_bytes) {
  Machine m;
  m.name = "switch-node";
  for (std::uint32_t g = 0; g < gpus; ++g) {
    const std::string n = std::to_string(g);
    m.tiers.push_back({"hbm" + n, TierKind::device, device_bytes, 1e13, 1e13, 0, 0, 1});
    Gpu gpu{"gpu" + n, {}, g, 0, 0};
    gpu.compute.fp32_flops_per_s = 1e13;
    gpu.compute.memory_bytes_per_s = 1e13;
    m.gpus.push_back(gpu);
  }
  m.tiers.push_back({"host", TierKind::host, 1ULL << 40, 1e13, 1e13, 0, 0, 1});
  m.buses.push_back({"switch", 16e9, true});
  for (std::uint32_t g = 0; g < gpus; ++g)
    m.links.push_back({"hbm" + std::to_string(g) + "<->host", g, gpus, 16e9, 0, {0}, false});
  m.fault = {4096, 50, 12'300};
  validate(m);
  return m;
}

// A 2.5 GiB GPU; A, C and B of 1 GiB each; s (4 KiB, persistent) read by the 100 ms kernels.
//   k0 1 ms writes A | k1 100 ms reads s | k2 1 ms writes C | k3 100 ms reads s |
//   k4 1 ms writes B | k5 100 ms reads B | k6 100 ms reads s | k7 1 ms reads A |
//   k8 100 ms reads s | k9 1 ms reads C
// At k4 and k5 A, C and B are live (3 GiB): 1 GiB must be out. One GPU alone evicts C (the
// farthest next use) during k3 and brings it back during k8, both hidden. Two GPUs doing the
// same share the uplink: each eviction takes 134 ms of a 100 ms kernel, so k4 waits, and so
// does k9 for the prefetches. Staggered, one GPU moves C (k3 and k8) and the other A (out during
// k1, back during k6): every transfer alone on the uplink, both GPUs at ideal.
Workload staggered_workload() {
  test::WorkloadBuilder b;
  const TensorId a = b.tensor(kGiB), c = b.tensor(kGiB), bb = b.tensor(kGiB);
  const TensorId s = b.tensor(4096, true);
  b.kernel(1 * kMs, {}, {a});
  b.kernel(100 * kMs, {s}, {});
  b.kernel(1 * kMs, {}, {c});
  b.kernel(100 * kMs, {s}, {});
  b.kernel(1 * kMs, {}, {bb});
  b.kernel(100 * kMs, {bb}, {});
  b.kernel(100 * kMs, {s}, {});
  b.kernel(1 * kMs, {a}, {});
  b.kernel(100 * kMs, {s}, {});
  b.kernel(1 * kMs, {c}, {});
  return b.done();
}

sim::Report simulate_plans(const Workload& w, const Vitality& v, const Machine& m,
                           const std::vector<Plan>& plans, const Policy& p) {
  sim::SimOptions o;
  o.gpu_count = static_cast<std::uint32_t>(plans.size());
  o.check_every_event = true;
  return sim::simulate(w, v, m, std::span<const Plan>(plans), p, o);
}

TEST(PolicyStrataGpus, StaggersTheGpusTransfersOnASharedUplink) {
  const Workload w = staggered_workload();
  const Vitality v = analyze_vitality(w);
  const Machine m = switch_node(2, 5 * kGiB / 2);
  const StrataPolicy policy;

  // One GPU alone: at ideal, moving C.
  const sim::Report one = sim::run_policy(w, v, m, policy);
  ASSERT_TRUE(one.feasible) << one.infeasible_reason;
  EXPECT_EQ(one.iteration_ns, v.ideal_ns);

  // The single-GPU plan copied to both GPUs: both wait for the shared uplink.
  const Plan single = policy.plan(w, v, m);
  const sim::Report copied = simulate_plans(w, v, m, {single, single}, policy);
  ASSERT_TRUE(copied.feasible) << copied.infeasible_reason;
  ASSERT_EQ(copied.gpus.size(), 2u);
  EXPECT_GT(copied.gpus[0].iteration_ns, v.ideal_ns + 20 * kMs);
  EXPECT_GT(copied.gpus[1].iteration_ns, v.ideal_ns + 20 * kMs);

  // Planned together: the plans differ (staggered) and neither GPU waits.
  const std::vector<Plan> plans = policy.plans(w, v, m, 0, 2);
  ASSERT_EQ(plans.size(), 2u);
  EXPECT_NE(plans[0].kernels, plans[1].kernels);
  const sim::Report joint = simulate_plans(w, v, m, plans, policy);
  ASSERT_TRUE(joint.feasible) << joint.infeasible_reason;
  EXPECT_EQ(joint.gpus[0].iteration_ns, v.ideal_ns);
  EXPECT_EQ(joint.gpus[1].iteration_ns, v.ideal_ns);
  EXPECT_EQ(joint.iteration_ns, v.ideal_ns);
  // What run_policy reports for the data-parallel run is the same.
  sim::SimOptions o;
  o.gpu_count = 2;
  EXPECT_EQ(sim::run_policy(w, v, m, policy, o).iteration_ns, v.ideal_ns);
}

TEST(PolicyStrataGpus, OneGpuIsThePlanOfPlan) {
  const Workload w = staggered_workload();
  const Vitality v = analyze_vitality(w);
  const Machine m = switch_node(3, 5 * kGiB / 2);
  const StrataPolicy policy;
  const std::vector<Plan> plans = policy.plans(w, v, m, 1, 1);
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_EQ(plans[0], policy.plan(w, v, m));
}

TEST(PolicyStrataGpus, GpusTheMachineLacksAreInvalidInput) {
  const Workload w = staggered_workload();
  const Vitality v = analyze_vitality(w);
  const Machine m = switch_node(2, 5 * kGiB / 2);
  try {
    StrataPolicy().plans(w, v, m, 1, 2);
    FAIL() << "GPUs 1..2 of a 2-GPU machine were accepted";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("switch-node"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("at most 1"), std::string::npos) << e.what();
  }
  EXPECT_THROW(StrataPolicy().plans(w, v, m, 0, 0), InvalidInput);
}

// Random chains of kernels over random tensors on 2 or 3 GPUs sharing the uplink, memory a
// fraction of the peak: every GPU's plan validates, the run is feasible with capacity checked
// at every event, and the planner is deterministic.
TEST(PolicyStrataGpus, RandomWorkloadsValidFeasibleDeterministic) {
  std::random_device rd;
  const unsigned seed = rd();
  std::mt19937_64 rng(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  for (int round = 0; round < 12; ++round) {
    test::WorkloadBuilder b;
    const int tensors = std::uniform_int_distribution<int>(4, 10)(rng);
    std::vector<TensorId> ids;
    for (int i = 0; i < tensors; ++i)
      ids.push_back(
          b.tensor(std::uniform_int_distribution<std::uint64_t>(64, 512)(rng) << 20, i == 0));
    std::uniform_int_distribution<std::size_t> pick(0, ids.size() - 1);
    const int kernels = std::uniform_int_distribution<int>(8, 24)(rng);
    std::uint64_t largest = 0;
    for (int k = 0; k < kernels; ++k) {
      std::vector<TensorId> in{ids[pick(rng)]}, out{ids[pick(rng)]};
      if (in == out) out.clear();
      std::uint64_t bytes = 0;
      for (TensorId t : in) bytes += b.w.tensors[t].bytes;
      for (TensorId t : out) bytes += b.w.tensors[t].bytes;
      largest = std::max(largest, bytes);
      b.kernel(std::uniform_int_distribution<std::int64_t>(1, 80)(rng) * kMs, in, out);
    }
    // Every tensor used at least once, so that each has a life.
    for (TensorId t : ids) b.kernel(kMs, {}, {t});
    const Workload w = b.done();
    const Vitality v = analyze_vitality(w);
    const std::uint64_t device =
        std::max(largest + (64 << 20), v.peak_live_bytes * 3 / 5 + (64 << 20));
    const auto gpus = static_cast<std::uint32_t>(2 + round % 2);
    const Machine m = switch_node(gpus, device);
    SCOPED_TRACE("round " + std::to_string(round) + ", " + std::to_string(gpus) + " GPUs");
    const StrataPolicy policy;
    const std::vector<Plan> plans = policy.plans(w, v, m, 0, gpus);
    ASSERT_EQ(plans.size(), gpus);
    for (const Plan& p : plans) EXPECT_NO_THROW(validate(p, w, m));
    const sim::Report joint = simulate_plans(w, v, m, plans, policy);
    ASSERT_TRUE(joint.feasible) << joint.infeasible_reason;
    EXPECT_GE(joint.iteration_ns, v.ideal_ns);
    EXPECT_EQ(policy.plans(w, v, m, 0, gpus), plans);
  }
}

}  // namespace
}  // namespace strata
