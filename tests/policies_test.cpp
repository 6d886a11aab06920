// The baseline policies on small hand-built workloads whose plans are known exactly, and their
// errors for machines that lack a tier they need.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>

#include "strata/analysis/vitality.hpp"
#include "strata/core/error.hpp"
#include "strata/plan/policies/deepum.hpp"
#include "strata/plan/policies/flashneuron.hpp"
#include "strata/plan/policies/sentinel.hpp"
#include "strata/plan/policies/uvm.hpp"
#include "strata/plan/policies/vdnn.hpp"
#include "strata/sim/simulator.hpp"
#include "support/workload_builder.hpp"

namespace strata {
namespace {

constexpr double kGBps = 1e9;

/// GPU memory, host and SSD, each linked to the GPU at 1 GB/s (1 byte per ns).
Machine machine(std::uint64_t device_bytes, bool with_host = true, bool with_ssd = true) {
  Machine m;
  m.name = "hand-built";
  m.tiers.push_back({"hbm", TierKind::device, device_bytes, 1000 * kGBps, 1000 * kGBps, 0, 0, 1});
  if (with_host)
    m.tiers.push_back({"host", TierKind::host, 1ULL << 40, 1000 * kGBps, 1000 * kGBps, 0, 0, 1});
  if (with_ssd)
    m.tiers.push_back({"ssd", TierKind::ssd, 1ULL << 40, 1000 * kGBps, 1000 * kGBps, 0, 0, 1});
  m.gpus = {Gpu{"gpu0", {}, 0, 0, 0}};
  m.gpus[0].compute.fp32_flops_per_s = 1e13;
  m.gpus[0].compute.memory_bytes_per_s = 1000 * kGBps;
  for (TierId t = 1; t < m.tiers.size(); ++t)
    m.links.push_back({"hbm<->" + m.tiers[t].name, 0, t, 1 * kGBps, 0, {}, false});
  m.fault = {4096, 1, 1'000};
  validate(m);
  return m;
}

using Builder = test::WorkloadBuilder;

/// A conv - relu - conv network: forward 0..4 (k0 loads the input, k4 is the loss), backward 5..7.
///   k0 load -> x0; k1 conv(x0, w0) -> x1; k2 relu(x1) -> x2; k3 conv(x2, w1) -> x3;
///   k4 loss(x3) -> g3; k5 conv_bwd(g3, x2, w1) -> g2; k6 relu_bwd(g2, x1) -> g1;
///   k7 conv_bwd(g1, x0, w0) -> g0
struct Net {
  Workload w;
  TensorId x0, x1, x2, x3, w0, w1;
};
Net conv_net(std::uint64_t act_bytes) {
  Builder b;
  Net n;
  n.w0 = b.tensor(4096, true);
  n.w1 = b.tensor(4096, true);
  n.x0 = b.tensor(act_bytes);
  n.x1 = b.tensor(act_bytes);
  n.x2 = b.tensor(act_bytes);
  n.x3 = b.tensor(act_bytes);
  const TensorId g3 = b.tensor(act_bytes), g2 = b.tensor(act_bytes), g1 = b.tensor(act_bytes),
                 g0 = b.tensor(act_bytes);
  b.kernel("LoadData", Phase::forward, {}, {n.x0});
  b.kernel("conv2d", Phase::forward, {n.x0, n.w0}, {n.x1});
  b.kernel("relu", Phase::forward, {n.x1}, {n.x2});
  b.kernel("Conv2d", Phase::forward, {n.x2, n.w1}, {n.x3});
  b.kernel("makeLoss", Phase::forward, {n.x3}, {g3});
  b.kernel("conv2d_bwd", Phase::backward, {g3, n.x2, n.w1}, {g2});
  b.kernel("relu_bwd", Phase::backward, {g2, n.x1}, {g1});
  b.kernel("conv2d_bwd", Phase::backward, {g1, n.x0, n.w0}, {g0});
  n.w = b.done();
  return n;
}

std::vector<Action> actions(const Plan& p, KernelId k, bool before) {
  return before ? p.kernels[k].before : p.kernels[k].after;
}

TEST(Policies, UvmPlanIsEmpty) {
  const Net n = conv_net(1 << 20);
  const Plan p = UvmPolicy().plan(n.w, analyze_vitality(n.w), machine(1 << 30));
  EXPECT_EQ(p.action_count(), 0u);
  EXPECT_TRUE(p.initial.empty());
  EXPECT_EQ(p.policy, "uvm");
}

TEST(Policies, VdnnConvOffloadsOnlyConvolutionInputs) {
  const Net n = conv_net(1 << 20);
  const Vitality v = analyze_vitality(n.w);
  const Plan p = VdnnPolicy(VdnnLayers::conv).plan(n.w, v, machine(1 << 30));
  validate(p, n.w, machine(1 << 30));
  // conv k1 reads x0 (used again by k7), conv k3 reads x2 (used again by k5); relu's x1 is not
  // a convolution input. Evict after the last forward use, prefetch one kernel ahead.
  EXPECT_EQ(actions(p, 1, false), std::vector<Action>{Action::evict(n.x0, TierKind::host)});
  EXPECT_EQ(actions(p, 3, false), std::vector<Action>{Action::evict(n.x2, TierKind::host)});
  EXPECT_EQ(actions(p, 6, true), std::vector<Action>{Action::prefetch(n.x0)});
  EXPECT_EQ(actions(p, 4, true), std::vector<Action>{Action::prefetch(n.x2)});
  EXPECT_EQ(p.action_count(), 4u);
}

TEST(Policies, VdnnAllAlsoOffloadsTheReluInput) {
  const Net n = conv_net(1 << 20);
  const Plan p = VdnnPolicy(VdnnLayers::all).plan(n.w, analyze_vitality(n.w), machine(1 << 30));
  EXPECT_EQ(actions(p, 2, false), std::vector<Action>{Action::evict(n.x1, TierKind::host)});
  EXPECT_EQ(actions(p, 5, true), std::vector<Action>{Action::prefetch(n.x1)});
  // x3 is last used by makeLoss and never in backward: not offloaded.
  EXPECT_EQ(p.action_count(), 6u);
}

TEST(Policies, IsConvKernelUsesOpThenName) {
  Kernel k;
  k.op = "Conv2d";
  EXPECT_TRUE(is_conv_kernel(k));
  k.op = "relu";
  k.name = "Conv2d_Forward";
  EXPECT_FALSE(is_conv_kernel(k));
  k.op.clear();
  EXPECT_TRUE(is_conv_kernel(k));
}

TEST(Policies, DeepUmPrefetchesExactlyTheTensorsOfKernelKPlusDegree) {
  const Net n = conv_net(1 << 20);
  const Vitality v = analyze_vitality(n.w);
  const DeepUmPolicy deepum(2);
  const Plan p = deepum.plan(n.w, v, machine(1 << 30));
  validate(p, n.w, machine(1 << 30));
  // before kernel 1: the tensors of kernel 3 (x2, w1 in, x3 out), in kernel order.
  EXPECT_EQ(actions(p, 1, true),
            (std::vector<Action>{Action::prefetch(n.x2), Action::prefetch(n.w1),
                                 Action::prefetch(n.x3)}));
  // before kernel 6: kernel 0 of the next iteration; only its persistent tensors (none).
  EXPECT_TRUE(actions(p, 6, true).empty());
  // before kernel 7: kernel 1 of the next iteration: w0 (x0 is not born yet).
  EXPECT_EQ(actions(p, 7, true), std::vector<Action>{Action::prefetch(n.w0)});
  // Room for a prefetch: the least recently used tensor outside the window of kernels k, k+1.
  // DeepUM+ runs on Unified Memory: recency is arrival (here in the same order as last use).
  EXPECT_EQ(deepum.recency(), Recency::arrival);
  const std::vector<EvictionCandidate> c = {{n.x0, 1, 5, 5}, {n.x2, 1, 7, 7}, {n.w0, 1, 9, 9}};
  // kernels 0, 1 use x0 and w0: x2 goes although x0 is older
  EXPECT_EQ(deepum.choose_victim({0, 1, c, true}), std::optional<std::size_t>(1));
  // kernels 5, 6 use x2 (not x0, w0): plain LRU among the rest picks x0
  EXPECT_EQ(deepum.choose_victim({5, 1, c, true}), std::optional<std::size_t>(0));
  // every candidate in the window: the prefetch waits (as G10's DeepUM+)
  const std::vector<EvictionCandidate> only_x2 = {{n.x2, 1, 7, 7}};
  EXPECT_EQ(deepum.choose_victim({5, 1, only_x2, true}), std::nullopt);
  // Room for what the kernel itself faults on: plain LRU, window or not.
  EXPECT_EQ(deepum.choose_victim({0, 1, c, false}), std::optional<std::size_t>(0));
  EXPECT_EQ(deepum.choose_victim({5, 1, only_x2, false}), std::optional<std::size_t>(0));
  EXPECT_EQ(DeepUmPolicy(8).degree(), 8u);
  EXPECT_THROW(DeepUmPolicy(0), InvalidInput);
}

// Note [recency under Unified Memory]: the policies on Unified Memory evict the tensor that
// arrived on the device longest ago (ties: the first to arrive), the others the one a kernel
// used longest ago (ties by id).
TEST(Policies, UnifiedMemoryEvictsByArrivalTheOthersByLastUse) {
  // t3 arrived first but was used last; t1 was used first but arrived last.
  const std::vector<EvictionCandidate> c = {
      {1, 8, 10, 40}, {2, 8, 20, 20}, {3, 8, 30, 5}, {4, 8, 30, 5}};
  const VictimRequest r{0, 8, c, false};
  for (const std::string spec : {"uvm", "deepum", "g10"}) {
    const std::unique_ptr<Policy> p = make_policy(spec);
    EXPECT_EQ(p->recency(), Recency::arrival) << spec;
    EXPECT_EQ(p->choose_victim(r), std::optional<std::size_t>(2)) << spec;  // t3, not t4
  }
  for (const std::string spec : {"ideal", "vdnn-all", "sentinel", "flashneuron"}) {
    const std::unique_ptr<Policy> p = make_policy(spec);
    EXPECT_EQ(p->recency(), Recency::last_access) << spec;
    EXPECT_EQ(p->choose_victim(r), std::optional<std::size_t>(0)) << spec;  // t1
  }
  EXPECT_EQ(choose_lru_victim(r, Recency::arrival), std::optional<std::size_t>(2));
  EXPECT_EQ(choose_lru_victim(r, Recency::last_access), std::optional<std::size_t>(0));
  // Arrived at the same time: the one that arrived first (arrival_seq), whatever its id; used
  // at the same time: by id.
  const std::vector<EvictionCandidate> same = {{5, 8, 30, 5, 2}, {6, 8, 30, 5, 1}};
  const VictimRequest s{0, 8, same, false};
  EXPECT_EQ(choose_lru_victim(s, Recency::arrival), std::optional<std::size_t>(1));
  EXPECT_EQ(choose_lru_victim(s, Recency::last_access), std::optional<std::size_t>(0));
}

// Note [dead tensors]: Base UVM keeps them (written back when evicted), DeepUM+ drops them when
// it evicts them, every other policy frees them at their last use.
TEST(Policies, WhatBecomesOfDeadTensors) {
  EXPECT_EQ(make_policy("uvm")->dead_tensors(), DeadTensors::kept);
  EXPECT_EQ(make_policy("deepum")->dead_tensors(), DeadTensors::dropped_on_evict);
  for (const std::string spec : {"ideal", "g10", "vdnn-all", "sentinel", "flashneuron", "strata"})
    EXPECT_EQ(make_policy(spec)->dead_tensors(), DeadTensors::freed) << spec;
}

TEST(Policies, FlashNeuronOffloadsForwardActivationsToSsdOnlyWhenTheyDoNotFit) {
  const std::uint64_t mb = 1 << 20;
  const Net n = conv_net(mb);
  const Vitality v = analyze_vitality(n.w);
  // Plenty of memory: nothing to offload.
  EXPECT_EQ(FlashNeuronPolicy().plan(n.w, v, machine(1 << 30)).action_count(), 0u);
  // Budget = capacity - weights (8 KiB) - largest working set (3 MiB + 4 KiB): with 5 MiB of
  // device memory it is 2 MiB + 36 KiB; x0, x1, x2 and g3 (4 MiB) are candidates; offloading x0
  // leaves 3 MiB, still >= budget, so x1 goes too; then 2 MiB < budget.
  const Machine m = machine(5 * mb + 12 * 4096);
  const Plan p = FlashNeuronPolicy().plan(n.w, v, m);
  validate(p, n.w, m);
  EXPECT_EQ(actions(p, 1, false), std::vector<Action>{Action::evict(n.x0, TierKind::ssd)});
  EXPECT_EQ(actions(p, 2, false), std::vector<Action>{Action::evict(n.x1, TierKind::ssd)});
  EXPECT_EQ(p.action_count(), 4u);
  const sim::Report r = sim::run_policy(n.w, v, m, FlashNeuronPolicy());
  EXPECT_TRUE(r.feasible) << r.infeasible_reason;
}

TEST(Policies, MissingTierIsAClearError) {
  const Net n = conv_net(1 << 20);
  const Vitality v = analyze_vitality(n.w);
  try {
    FlashNeuronPolicy().plan(n.w, v, machine(1 << 30, true, false));
    FAIL() << "expected InvalidInput";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("no SSD tier"), std::string::npos) << e.what();
  }
  try {
    VdnnPolicy(VdnnLayers::all).plan(n.w, v, machine(1 << 30, false, true));
    FAIL() << "expected InvalidInput";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("no host tier"), std::string::npos) << e.what();
  }
  EXPECT_THROW(SentinelPolicy().plan(n.w, v, machine(1 << 30, false, false)), InvalidInput);
}

TEST(Policies, UvmOnAMachineWithNowhereToEvictIsInfeasibleNamingTheKernel) {
  const std::uint64_t mb = 1 << 20;
  const Net n = conv_net(mb);
  const Vitality v = analyze_vitality(n.w);
  const Machine m = machine(3 * mb + 12 * 4096, false, false);
  const sim::Report r = sim::run_policy(n.w, v, m, UvmPolicy());
  EXPECT_FALSE(r.feasible);
  EXPECT_NE(r.infeasible_reason.find("kernel"), std::string::npos) << r.infeasible_reason;
}

TEST(Policies, SentinelMigratesOnlyLongLivedTensorsAtIntervalStarts) {
  // 40 kernels, intervals of 4: a long-lived activation `keep` written by kernel 0 and read by
  // kernel 39, a short-lived one per kernel pair, and a weight used by kernels 1 and 38.
  Builder b;
  const std::uint64_t mb = 1 << 20;
  const TensorId wt = b.tensor(mb, true);
  const TensorId keep = b.tensor(4 * mb);
  std::vector<TensorId> shorts;
  b.kernel("op", Phase::forward, {}, {keep});
  for (KernelId k = 1; k < 39; ++k) {
    const TensorId s = b.tensor(mb);
    shorts.push_back(s);
    std::vector<TensorId> in;
    if (k == 1 || k == 38) in.push_back(wt);
    b.kernel("op", Phase::forward, in, {s});
  }
  b.kernel("op", Phase::backward, {keep}, {});
  const Workload w = b.done();
  const Vitality v = analyze_vitality(w);
  const SentinelPolicy sentinel(4);
  EXPECT_EQ(sentinel.plan(w, v, machine(1 << 30)).action_count(), 0u);  // fits: no migration
  const Machine m = machine(6 * mb);  // peak 4 + 1 + 1 MiB over the 95% target
  const Plan p = sentinel.plan(w, v, m);
  validate(p, w, m);
  // keep: used in interval 0 and interval 9: evicted at the start of interval 1 (kernel 4),
  // prefetched at the start of interval 8 (kernel 32).
  EXPECT_EQ(actions(p, 4, true), std::vector<Action>{Action::evict(keep, TierKind::host)});
  EXPECT_EQ(actions(p, 32, true), std::vector<Action>{Action::prefetch(keep)});
  EXPECT_EQ(p.action_count(), 2u);  // short-lived tensors never move; keep alone is enough
  const sim::Report r = sim::run_policy(w, v, m, sentinel);
  EXPECT_TRUE(r.feasible) << r.infeasible_reason;
  EXPECT_THROW(SentinelPolicy(0), InvalidInput);
}

}  // namespace
}  // namespace strata
