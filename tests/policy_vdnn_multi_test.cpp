// vdnn-multi: vDNN-all's offloads with prefetches timed to their deadlines at each GPU's fair
// share of the PCIe buses it shares with the other GPUs of a data-parallel run. A hand-built
// pair of GPUs behind one bus where vDNN's one-ahead prefetch is late and vdnn-multi's is not,
// and VGG-16 on the 8-GPU preset.
#include <gtest/gtest.h>

#include "strata/analysis/vitality.hpp"
#include "strata/core/error.hpp"
#include "strata/machine/machine.hpp"
#include "strata/models/zoo.hpp"
#include "strata/plan/policies/vdnn.hpp"
#include "strata/plan/policies/vdnn_multi.hpp"
#include "strata/sim/simulator.hpp"
#include "support/paths.hpp"

namespace strata {
namespace {

constexpr double kGBps = 1e9;
constexpr std::uint64_t kMB = 1'000'000;
constexpr std::int64_t kMs = 1'000'000;

// `gpus` GPUs, each with ample HBM and a 1 GB/s (1 byte per ns) link to one host tier, every
// link crossing one 1 GB/s full-duplex bus (a PCIe switch uplink). Tiers are fast, latencies 0,
// so the bus is the only bottleneck.
Machine switch_node(std::uint32_t gpus) {
  Machine m;
  m.name = "switch-node";
  for (std::uint32_t g = 0; g < gpus; ++g) {
    const std::string n = std::to_string(g);
    m.tiers.push_back(
        {"hbm" + n, TierKind::device, 1ULL << 30, 1000 * kGBps, 1000 * kGBps, 0, 0, 1});
    Gpu gpu{"gpu" + n, {}, g, 0, 0};
    gpu.compute.fp32_flops_per_s = 1e13;
    gpu.compute.memory_bytes_per_s = 1000 * kGBps;
    m.gpus.push_back(gpu);
  }
  m.tiers.push_back({"host", TierKind::host, 1ULL << 40, 1000 * kGBps, 1000 * kGBps, 0, 0, 1});
  m.buses.push_back({"switch", 1 * kGBps, true});
  for (std::uint32_t g = 0; g < gpus; ++g)
    m.links.push_back({"hbm" + std::to_string(g) + "<->host", g, gpus, 1 * kGBps, 0, {0}, false});
  validate(m);
  return m;
}

// Forward k0 (1 ms) writes a (1.5 MB); k1 (1 ms) reads a; k2 (4 ms) and backward k3 (2 ms),
// k4 (1 ms) run without it; backward k5 reads a again. vDNN offloads a after k1 (2 ms) and
// prefetches it before k4 (8 ms) for k5 (9 ms): 1.5 ms alone, 3 ms when two GPUs share the
// bus. Two GPUs: vdnn-all stalls 2 ms, vdnn-multi issues it before k3 (6 ms) and stalls 0.
Workload late_prefetch_workload() {
  Workload w;
  w.name = "late-prefetch";
  auto tensor = [&](std::uint64_t bytes) {
    const auto id = static_cast<TensorId>(w.tensors.size());
    w.tensors.push_back({id, "t" + std::to_string(id), bytes, TensorKind::activation, false});
    return id;
  };
  auto kernel = [&](Phase phase, std::int64_t ns, std::vector<TensorId> in,
                    std::vector<TensorId> out) {
    Kernel k;
    k.id = static_cast<KernelId>(w.kernels.size());
    k.name = "k" + std::to_string(k.id);
    k.phase = phase;
    k.duration_ns = ns;
    k.inputs = std::move(in);
    k.outputs = std::move(out);
    w.kernels.push_back(k);
  };
  const TensorId a = tensor(1'500'000), b = tensor(kMB), c = tensor(kMB), d = tensor(kMB),
                 e = tensor(kMB), g = tensor(kMB);
  kernel(Phase::forward, 1 * kMs, {}, {a});
  kernel(Phase::forward, 1 * kMs, {a}, {b});
  kernel(Phase::forward, 4 * kMs, {b}, {c});
  kernel(Phase::backward, 2 * kMs, {c}, {d});
  kernel(Phase::backward, 1 * kMs, {d}, {e});
  kernel(Phase::backward, 1 * kMs, {a, e}, {g});
  validate(w);
  return w;
}

sim::Report run(const Workload& w, const Machine& m, const Policy& p, std::uint32_t gpus) {
  sim::SimOptions o;
  o.gpu_count = gpus;
  return sim::run_policy(w, analyze_vitality(w), m, p, o);
}

TEST(VdnnMulti, FairShareSplitsTheSharedBusAmongTheGpusOnIt) {
  const Machine m = switch_node(3);
  EXPECT_DOUBLE_EQ(fair_share_fetch_bytes_per_s(m, 0, 0, 1), 1 * kGBps);
  EXPECT_DOUBLE_EQ(fair_share_fetch_bytes_per_s(m, 0, 0, 2), 0.5 * kGBps);
  EXPECT_DOUBLE_EQ(fair_share_fetch_bytes_per_s(m, 2, 0, 3), 1 * kGBps / 3);
  EXPECT_DOUBLE_EQ(fair_share_fetch_bytes_per_s(m, 2, 2, 1), 1 * kGBps);
}

TEST(VdnnMulti, IssuesThePrefetchEarlyEnoughForTheSharedBus) {
  const Workload w = late_prefetch_workload();
  const Vitality v = analyze_vitality(w);
  const Machine m = switch_node(2);
  const Plan all = VdnnPolicy(VdnnLayers::all).plan(w, v, m);
  ASSERT_EQ(all.kernels[4].before, std::vector<Action>{Action::prefetch(0)});  // one ahead

  const std::vector<Plan> two = VdnnMultiPolicy().plans(w, v, m, 0, 2);
  ASSERT_EQ(two.size(), 2u);
  for (const Plan& p : two) {
    validate(p, w, m);
    EXPECT_EQ(p.kernels[1].after, std::vector<Action>{Action::evict(0, TierKind::host)});
    // Deadline 9 ms, 3 ms at half the bus: latest start 6 ms, the start of k3.
    EXPECT_EQ(p.kernels[3].before, std::vector<Action>{Action::prefetch(0)});
    EXPECT_EQ(p.action_count(), 2u);
  }
  // Alone, 1.5 ms is needed: latest start 7.5 ms, so k3 (6 ms) again, not k4 (8 ms).
  EXPECT_EQ(VdnnMultiPolicy().plan(w, v, m).kernels[3].before,
            std::vector<Action>{Action::prefetch(0)});
}

TEST(VdnnMulti, TwoGpusOnOneBusMeetTheDeadlineWhereVdnnAllStalls) {
  const Workload w = late_prefetch_workload();
  const Machine m = switch_node(2);
  const sim::Report all = run(w, m, VdnnPolicy(VdnnLayers::all), 2);
  const sim::Report multi = run(w, m, VdnnMultiPolicy(), 2);
  ASSERT_TRUE(all.feasible) << all.infeasible_reason;
  ASSERT_TRUE(multi.feasible) << multi.infeasible_reason;
  // vdnn-all: both GPUs fetch 1.5 MB from 8 ms at 0.5 byte/ns, done at 11 ms; k5 wanted 9 ms.
  for (const sim::GpuIteration& g : all.gpus)
    EXPECT_EQ(g.stall.waiting_for_prefetch_ns, 2 * kMs) << "gpu " << g.gpu;
  EXPECT_EQ(all.iteration_ns, 12 * kMs);  // ideal 10 ms + 2 ms
  for (const sim::GpuIteration& g : multi.gpus) EXPECT_EQ(g.stall.total_ns(), 0) << "gpu " << g.gpu;
  EXPECT_EQ(multi.iteration_ns, multi.ideal_ns);
  EXPECT_EQ(multi.ideal_ns, 10 * kMs);
}

TEST(VdnnMulti, OneGpuIsNoWorseThanVdnnAll) {
  const Workload w = late_prefetch_workload();
  const Machine m = switch_node(1);
  const sim::Report all = run(w, m, VdnnPolicy(VdnnLayers::all), 1);
  const sim::Report multi = run(w, m, VdnnMultiPolicy(), 1);
  EXPECT_EQ(all.stall.waiting_for_prefetch_ns, kMs / 2);  // 8 ms + 1.5 ms against 9 ms
  EXPECT_EQ(multi.stall.total_ns(), 0);
}

TEST(VdnnMulti, PrefetchesNoEarlierThanCapacityAllows) {
  // With room for the live tensors and nothing more, a cannot come back before vDNN's kernel.
  const Workload w = late_prefetch_workload();
  const Vitality v = analyze_vitality(w);
  Machine m = switch_node(2);
  for (Tier& t : m.tiers)
    if (t.kind == TierKind::device) t.capacity_bytes = 2 * kMB;
  const std::vector<Plan> two = VdnnMultiPolicy().plans(w, v, m, 0, 2);
  EXPECT_EQ(two[0].kernels[4].before, std::vector<Action>{Action::prefetch(0)});
}

TEST(VdnnMulti, ErrorsNameTheMachineAndWhatToDo) {
  const Workload w = late_prefetch_workload();
  const Vitality v = analyze_vitality(w);
  try {
    VdnnMultiPolicy().plans(w, v, switch_node(2), 1, 2);
    FAIL() << "expected InvalidInput";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("switch-node"), std::string::npos) << e.what();
  }
  Machine no_host = switch_node(1);
  no_host.links.clear();
  EXPECT_THROW(VdnnMultiPolicy().plan(w, v, no_host), InvalidInput);
}

TEST(VdnnMulti, Vgg16OnFourH100sIsNoSlowerThanVdnnAll) {
  const Machine m = load_machine("h100x8-node", {test::source_dir() / "configs" / "machines"});
  const Workload w = build_model(ModelOptions{"vgg16", 1536}, m.gpus[0].compute);
  const Vitality v = analyze_vitality(w);
  ASSERT_GT(v.peak_live_bytes, m.tiers[m.gpus[0].memory].capacity_bytes) << "must not fit";
  sim::SimOptions o;
  o.gpu_count = 4;
  const sim::Report all = sim::run_policy(w, v, m, VdnnPolicy(VdnnLayers::all), o);
  const sim::Report multi = sim::run_policy(w, v, m, VdnnMultiPolicy(), o);
  ASSERT_TRUE(all.feasible) << all.infeasible_reason;
  ASSERT_TRUE(multi.feasible) << multi.infeasible_reason;
  EXPECT_LE(multi.iteration_ns, all.iteration_ns);
  EXPECT_LT(multi.stall.waiting_for_prefetch_ns, all.stall.waiting_for_prefetch_ns);
}

}  // namespace
}  // namespace strata
