// The lower bound (bound/lower_bound.hpp): exact answers on hand-built workloads, and never above
// any policy's simulated steady-state iteration (G10 workloads, random tight workloads).
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>

#include "strata/analysis/vitality.hpp"
#include "strata/bound/lower_bound.hpp"
#include "strata/core/error.hpp"
#include "strata/io/g10_trace.hpp"
#include "strata/machine/machine.hpp"
#include "strata/plan/policy.hpp"
#include "strata/sim/compare.hpp"
#include "strata/sim/simulator.hpp"
#include "support/paths.hpp"
#include "support/workload_builder.hpp"

namespace strata {
namespace {

constexpr double kGBps = 1e9;

// `gpus` GPUs, each with its own HBM of `device_bytes` and 1 GB/s (1 byte/ns) links without
// latency to a host and an SSD tier, through one bus per GPU or one bus all GPUs share (1 GB/s
// per direction). Tiers are fast: links and buses are the only bottlenecks.
Machine node(std::uint32_t gpus, bool shared_bus, std::uint64_t device_bytes,
             std::uint64_t host_bytes = 1ULL << 40) {
  Machine m;
  m.name = "node";
  for (std::uint32_t g = 0; g < gpus; ++g) {
    const std::string n = std::to_string(g);
    m.tiers.push_back(
        {"hbm" + n, TierKind::device, device_bytes, 1000 * kGBps, 1000 * kGBps, 0, 0, 1});
    Gpu gpu{"gpu" + n, {}, g, 0, 0};
    gpu.compute.fp32_flops_per_s = 1e13;
    gpu.compute.memory_bytes_per_s = 1000 * kGBps;
    m.gpus.push_back(gpu);
  }
  const TierId host = gpus, ssd = gpus + 1;
  m.tiers.push_back({"host", TierKind::host, host_bytes, 1000 * kGBps, 1000 * kGBps, 0, 0, 1});
  m.tiers.push_back({"ssd", TierKind::ssd, 1ULL << 40, 1000 * kGBps, 1000 * kGBps, 0, 0, 1});
  if (shared_bus) m.buses.push_back({"switch", 1 * kGBps, true});
  for (std::uint32_t g = 0; g < gpus; ++g) {
    if (!shared_bus) m.buses.push_back({"port" + std::to_string(g), 1 * kGBps, true});
    const BusId bus = shared_bus ? 0 : g;
    const std::string n = std::to_string(g);
    m.links.push_back({"hbm" + n + "<->host", g, host, 1 * kGBps, 0, {bus}, false});
    m.links.push_back({"hbm" + n + "<->ssd", g, ssd, 1 * kGBps, 0, {bus}, false});
  }
  m.fault = {4096, 1, 0};
  validate(m);
  return m;
}

bound::LowerBound bound_of(const Workload& w, const Machine& m, std::uint32_t gpus = 1) {
  bound::BoundOptions o;
  o.gpu_count = gpus;
  return bound::compute_lower_bound(w, analyze_vitality(w), m, o);
}

// k0 (5 us) reads A (1000 B, an input: nothing produces it, so it cannot be recomputed); k1
// (10 ns) writes B (1000 B); k2 (10 ns) reads A. With 1000 B of device memory A must be off
// the device while k1 runs: out and back (1000 B each way, at once) inside the window from k0's
// end to k2's start, which lasts k1's 10 ns plus stalls.
Workload one_forced_out() {
  test::WorkloadBuilder b;
  const TensorId a = b.tensor(1000), bb = b.tensor(1000);
  b.kernel(5'000, {a}, {});
  b.kernel(10, {}, {bb});
  b.kernel(10, {a}, {});
  return b.done();
}

TEST(Bound, FittingWorkloadIsBoundedByComputeAlone) {
  const Workload w = one_forced_out();
  const bound::LowerBound b = bound_of(w, node(1, false, 1 << 20));
  ASSERT_TRUE(b.feasible);
  EXPECT_EQ(b.compute_ns, 5'020);
  EXPECT_EQ(b.capacity.bound_ns, 5'020);
  EXPECT_EQ(b.lower_bound_ns, 5'020);
  EXPECT_EQ(b.lp.status, "not needed: the workload fits");
}

TEST(Bound, OneTensorForcedOutCostsItsBytesOverTheLink) {
  const Workload w = one_forced_out();
  const bound::LowerBound b = bound_of(w, node(1, false, 1000));
  ASSERT_TRUE(b.feasible) << b.infeasible_reason;
  EXPECT_EQ(b.lp.status, "optimal");
  // 5000 + 10 compute outside the window, then 1000 B at 1 B/ns in each direction at once.
  ASSERT_TRUE(b.lp.bound_ns.has_value());
  EXPECT_NEAR(static_cast<double>(*b.lp.bound_ns), 5'010 + 1'000, 3);
  EXPECT_EQ(b.lower_bound_ns, *b.lp.bound_ns);
  // Layer 2 alone: 2000 B of crossings at 2 B/ns (both directions) hide behind the compute.
  EXPECT_EQ(b.capacity.bound_ns, 5'020);
}

TEST(Bound, TwoGpusOnOneBusDoubleTheTransferTime) {
  const Workload w = one_forced_out();
  const bound::LowerBound one = bound_of(w, node(2, true, 1000), 1);
  const bound::LowerBound two = bound_of(w, node(2, true, 1000), 2);
  const bound::LowerBound apart = bound_of(w, node(2, false, 1000), 2);
  EXPECT_NEAR(static_cast<double>(one.lower_bound_ns), 6'010, 3);
  EXPECT_NEAR(static_cast<double>(two.lower_bound_ns), 5'010 + 2'000, 3);
  EXPECT_NEAR(static_cast<double>(apart.lower_bound_ns), 6'010, 3);
}

TEST(Bound, KernelThatCannotFitIsInfeasible) {
  const Workload w = one_forced_out();
  const bound::LowerBound b = bound_of(w, node(1, false, 999));  // k0 needs 1000 B
  EXPECT_FALSE(b.feasible);
  EXPECT_NE(b.infeasible_reason.find("k0"), std::string::npos) << b.infeasible_reason;
}

TEST(Bound, MoreGpusThanTheMachineHasIsInvalidInput) {
  const Workload w = one_forced_out();
  EXPECT_THROW(bound_of(w, node(1, false, 1000), 2), InvalidInput);
}

/// Every comparable policy's steady-state iteration is at least the bound.
void expect_bound_below_every_policy(const Workload& w, const Machine& m, std::uint32_t gpus,
                                     const std::string& what) {
  const Vitality v = analyze_vitality(w);
  bound::BoundOptions o;
  o.gpu_count = gpus;
  const bound::LowerBound b = bound::compute_lower_bound(w, v, m, o);
  sim::SimOptions so;
  so.gpu_count = gpus;
  for (const std::string& spec : comparable_policies()) {
    const sim::Report r = sim::run_policy_spec(w, v, m, spec, so);
    if (!r.feasible) continue;
    if (spec == "ideal" && !b.feasible) continue;
    if (spec == "ideal" && !b.fits) continue;  // unlimited memory: only bounded when it fits
    ASSERT_TRUE(b.feasible) << what << ": " << spec
                            << " ran what the bound calls infeasible: " << b.infeasible_reason;
    EXPECT_LE(b.lower_bound_ns, r.iteration_ns)
        << what << ", policy " << spec << ": bound (compute " << b.compute_ns << ", capacity "
        << b.capacity.bound_ns << ", lp " << (b.lp.bound_ns ? *b.lp.bound_ns : -1) << " "
        << b.lp.status << ") above the simulated iteration";
  }
}

TEST(Bound, NeverAboveAnyPolicyOnRandomTightWorkloads) {
  for (std::uint32_t seed = 1; seed <= 40; ++seed) {
    std::mt19937 rng(seed);
    test::WorkloadBuilder b;
    const auto pick = [&](int lo, int hi) {
      return std::uniform_int_distribution<int>(lo, hi)(rng);
    };
    const int weights = pick(1, 4);
    std::vector<TensorId> live;
    std::vector<TensorId> ws;
    for (int i = 0; i < weights; ++i)
      ws.push_back(b.tensor(static_cast<std::uint64_t>(pick(1, 8)) * 4096, true));
    const int kernels = pick(6, 14);
    for (int k = 0; k < kernels; ++k) {
      std::vector<TensorId> in;
      if (!live.empty())
        in.push_back(live[static_cast<std::size_t>(pick(0, static_cast<int>(live.size()) - 1))]);
      if (pick(0, 1) == 1) in.push_back(ws[static_cast<std::size_t>(pick(0, weights - 1))]);
      std::sort(in.begin(), in.end());
      in.erase(std::unique(in.begin(), in.end()), in.end());
      const TensorId out = b.tensor(static_cast<std::uint64_t>(pick(1, 16)) * 4096);
      live.push_back(out);
      b.kernel(pick(1, 40) * 1'000, in, {out});
    }
    for (TensorId w : ws)  // every weight is used
      b.kernel(pick(1, 40) * 1'000, {w, live.back()}, {});
    const Workload w = b.done();
    const Vitality v = analyze_vitality(w);
    std::uint64_t largest_ws = 0;
    for (const Kernel& k : w.kernels) {
      std::uint64_t need = k.workspace_bytes;
      for (const auto* list : {&k.inputs, &k.outputs})
        for (TensorId t : *list) need += w.tensors[t].bytes;
      largest_ws = std::max(largest_ws, need);
    }
    const std::uint64_t device = std::max<std::uint64_t>(
        largest_ws,
        largest_ws + (v.peak_live_bytes - largest_ws) * static_cast<std::uint64_t>(pick(0, 3)) / 8);
    const std::uint32_t gpus = seed % 4 == 0 ? 2 : 1;
    const Machine m = node(2, seed % 2 == 0, device, seed % 3 == 0 ? device : 1ULL << 40);
    expect_bound_below_every_policy(w, m, gpus,
                                    "seed " + std::to_string(seed) + " (" + std::to_string(gpus) +
                                        " GPU(s), device " + std::to_string(device) + " B)");
  }
}

class BoundG10 : public ::testing::TestWithParam<std::string> {};

TEST_P(BoundG10, NeverAboveAnyPolicy) {
  const std::filesystem::path dir = test::g10_dir() / GetParam();
  if (!std::filesystem::exists(dir / "kernels.config"))
    GTEST_SKIP() << "G10 workload " << GetParam() << " not found under " << test::g10_dir()
                 << " (../shared/g10 beside the repository); skipping";
  const Workload w = load_g10_folder(dir);
  const Machine m = load_machine("g10-a100", {test::source_dir() / "configs" / "machines"});
  expect_bound_below_every_policy(w, m, 1, GetParam() + " on g10-a100");
}

INSTANTIATE_TEST_SUITE_P(EveryG10Workload, BoundG10,
                         ::testing::Values("BERT-256", "BERT-512", "VIT-512", "VIT-1024",
                                           "Inceptionv3-1024", "ResNet152-768", "SENet154-512"),
                         [](const auto& p) {
                           std::string n = p.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace strata
