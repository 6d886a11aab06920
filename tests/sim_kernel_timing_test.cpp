// Note [kernel timing] (sim/simulator.hpp): under KernelTiming::g10 a kernel that waits for its
// data computes meanwhile and ends at max(first try + fault handling + duration, arrival of its
// last tensor); under KernelTiming::strata it starts once its data is in place. Hand-built
// workloads with exact answers, the stall accounting that goes with it, and which policies run
// demand-paged by default.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "strata/analysis/vitality.hpp"
#include "strata/plan/policy.hpp"
#include "strata/sim/simulator.hpp"
#include "support/managed_policy.hpp"
#include "support/tiny_machine.hpp"
#include "support/workload_builder.hpp"

namespace strata::sim {
namespace {

// One GPU and host joined by a 1 GB/s link (1 byte per ns) with 1 us latency; 1 GiB of device
// memory; faults in batches of 50 pages.
Machine one_link_machine() { return test::tiny_machine(1ULL << 30, 0, 50); }

/// A policy that is the LRU default with demand_paged_kernels() as given.
struct Paged final : Policy {
  explicit Paged(bool paged) : paged_(paged) {}
  std::string name() const override { return paged_ ? "paged" : "explicit"; }
  Plan plan(const Workload& w, const Vitality&, const Machine&) const override {
    return make_empty_plan(w, "empty", name());
  }
  bool demand_paged_kernels() const override { return paged_; }
  bool paged_;
};

/// Kernel 0 (100 us) then kernel 1 (`second_ns`) reading a 1 MB weight that starts on host and
/// is prefetched before kernel 0: it arrives at 1 us + 1 ms, while kernel 1 waits from 100 us.
struct LateWeight {
  Workload w;
  Plan plan;
};

LateWeight late_weight(std::int64_t second_ns) {
  test::WorkloadBuilder b;
  const TensorId small = b.tensor(4096, true), big = b.tensor(1'000'000, true);
  b.kernel(100'000, {small}, {});
  b.kernel(second_ns, {big}, {});
  LateWeight c{b.done(), {}};
  c.plan = make_empty_plan(c.w, "late", "test");
  c.plan.initial[big] = TierKind::host;
  c.plan.kernels[0].before.push_back(Action::prefetch(big));
  c.plan.kernels[1].after.push_back(Action::evict(big, TierKind::host));  // same every iteration
  return c;
}

Report run(const LateWeight& c, KernelTiming timing, const Policy& policy) {
  SimOptions o;
  o.iterations = 1;
  o.kernel_timing = timing;
  o.check_every_event = true;
  return simulate(c.w, analyze_vitality(c.w), one_link_machine(), c.plan, policy, o);
}

constexpr std::int64_t kArrivalNs = 1'000 + 1'000'000;

TEST(SimKernelTiming, StrataStartsAKernelWhenItsDataHasArrived) {
  const Paged p(false);
  const Report r = run(late_weight(400'000), KernelTiming::strata, p);
  ASSERT_TRUE(r.feasible) << r.infeasible_reason;
  EXPECT_EQ(r.iteration_ns, kArrivalNs + 400'000);
  EXPECT_EQ(r.stall.waiting_for_prefetch_ns, kArrivalNs - 100'000);
  EXPECT_EQ(r.stall.total_ns(), r.iteration_ns - r.ideal_ns);
}

TEST(SimKernelTiming, G10EndsAShortKernelWhenItsDataArrives) {
  const Paged p(false);
  const Report r = run(late_weight(400'000), KernelTiming::g10, p);
  ASSERT_TRUE(r.feasible) << r.infeasible_reason;
  EXPECT_EQ(r.iteration_ns, kArrivalNs);  // its 400 us of compute hid under the 1 ms wait
  EXPECT_EQ(r.stall.waiting_for_prefetch_ns, kArrivalNs - 100'000 - 400'000);
  EXPECT_EQ(r.stall.demand_fetch_ns, 0);
  EXPECT_EQ(r.stall.eviction_backpressure_ns, 0);
  EXPECT_EQ(r.stall.total_ns(), r.iteration_ns - r.ideal_ns);
}

TEST(SimKernelTiming, G10HidesTheWholeWaitUnderALongKernel) {
  const Paged p(false);
  const Report r = run(late_weight(2'000'000), KernelTiming::g10, p);
  ASSERT_TRUE(r.feasible) << r.infeasible_reason;
  EXPECT_EQ(r.iteration_ns, 100'000 + 2'000'000);
  EXPECT_EQ(r.stall.total_ns(), 0);
  EXPECT_EQ(r.fraction_of_ideal, 1.0);
}

// Fault handling is owed on top of the compute, as G10 adds page_faulted_time to the kernel's
// time: first touches of fresh tensors under managed memory cost the same under both timings
// when nothing else is awaited.
TEST(SimKernelTiming, FirstTouchHandlingAddsToTheComputeUnderBoth) {
  test::WorkloadBuilder b;
  const TensorId x = b.tensor(4096 * 120, false), y = b.tensor(4096 * 10, false);
  b.kernel(1'000, {}, {x});   // 3 batches of 50 pages
  b.kernel(2'000, {x}, {y});  // 1 batch
  const Workload w = b.done();
  Machine m = one_link_machine();
  m.fault.first_touch_batch_latency_ns = 5'000;
  const test::ManagedPolicy managed;
  for (const KernelTiming timing : {KernelTiming::strata, KernelTiming::g10}) {
    SimOptions o;
    o.kernel_timing = timing;
    o.check_every_event = true;
    o.iterations = 1;  // it all fits: only the first iteration's first touches fault
    const Plan empty = make_empty_plan(w, "p", "managed");
    const Report r = simulate(w, analyze_vitality(w), m, empty, managed, o);
    ASSERT_TRUE(r.feasible) << r.infeasible_reason;
    EXPECT_EQ(r.iteration_ns, 3'000 + 4 * 5'000);
    EXPECT_EQ(r.stall.demand_fetch_ns, 4 * 5'000);
    EXPECT_EQ(r.stall.total_ns(), r.iteration_ns - r.ideal_ns);
  }
}

// The default, KernelTiming::policy, follows Policy::demand_paged_kernels().
TEST(SimKernelTiming, PolicyTimingFollowsDemandPagedKernels) {
  const LateWeight c = late_weight(400'000);
  const Paged paged(true), explicit_copies(false);
  EXPECT_EQ(run(c, KernelTiming::policy, paged).iteration_ns, kArrivalNs);
  EXPECT_EQ(run(c, KernelTiming::policy, explicit_copies).iteration_ns, kArrivalNs + 400'000);
  EXPECT_EQ(run(c, KernelTiming::strata, paged).iteration_ns, kArrivalNs + 400'000);
}

// The policies on Unified Memory (G10's baselines and G10 itself) are demand-paged; the ones
// with explicit copies are not.
TEST(SimKernelTiming, ManagedMemoryPoliciesAreDemandPaged) {
  for (const std::string spec : {"uvm", "deepum", "g10", "g10-plan:BERT-256"})
    EXPECT_TRUE(make_policy(spec)->demand_paged_kernels()) << spec;
  for (const std::string spec :
       {"ideal", "strata", "vdnn-all", "vdnn-conv", "vdnn-multi", "sentinel", "flashneuron"})
    EXPECT_FALSE(make_policy(spec)->demand_paged_kernels()) << spec;
}

}  // namespace
}  // namespace strata::sim
