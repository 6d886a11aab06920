// What the simulator does for the policies on Unified Memory, on hand-built workloads with exact
// answers: Note [swap under Unified Memory] (sim/simulator.hpp: a victim's room is reused while
// its bytes leave; a tensor populated in place gets the room as it is vacated), Note [faults
// first under Unified Memory] (faults before prefetches on a shared link) and Note [dead
// tensors] (plan/policy.hpp: kept and written back, or dropped when evicted).
#include <gtest/gtest.h>

#include <string>

#include "strata/analysis/vitality.hpp"
#include "strata/plan/policy.hpp"
#include "strata/sim/simulator.hpp"
#include "support/tiny_machine.hpp"
#include "support/workload_builder.hpp"

namespace strata::sim {
namespace {

/// An empty plan, the default victims, and the two properties under test.
struct TestPolicy final : Policy {
  TestPolicy(bool paged, DeadTensors dead) : paged_(paged), dead_(dead) {}
  std::string name() const override { return paged_ ? "paged" : "explicit"; }
  Plan plan(const Workload& w, const Vitality&, const Machine&) const override {
    return make_empty_plan(w, "empty", name());
  }
  bool demand_paged_kernels() const override { return paged_; }
  DeadTensors dead_tensors() const override { return dead_; }
  bool paged_;
  DeadTensors dead_;
};

// 1 MB of device memory; host behind one 1 GB/s link (1 byte per ns each way) with 1 us latency;
// no fault-handling latency.
Machine small_device() { return test::tiny_machine(1'000'000); }

Report run(const Workload& w, const Plan& p, const Policy& policy, std::uint32_t iterations = 1) {
  SimOptions o;
  o.iterations = iterations;
  o.kernel_timing = KernelTiming::strata;  // kernels start once their data is in place
  o.check_every_event = true;
  return simulate(w, analyze_vitality(w), small_device(), p, policy, o);
}

// Weights a (tensor 0) and b (tensor 1) of 600 kB: a on the device, b on host. Kernel 0
// (100 us) uses a, kernel 1 (100 us) uses b, which needs a's room.
struct TwoWeights {
  TensorId a = 0, b = 0;
  Workload w;
  Plan plan;
};

TwoWeights two_weights() {
  test::WorkloadBuilder wb;
  TwoWeights c;
  c.a = wb.tensor(600'000, true);
  c.b = wb.tensor(600'000, true);
  wb.kernel(100'000, {c.a}, {});
  wb.kernel(100'000, {c.b}, {});
  c.w = wb.done();
  c.plan = make_empty_plan(c.w, "p", "test");
  c.plan.initial[c.b] = TierKind::host;
  return c;
}

TEST(SimUnifiedMemory, AFetchReusesAVictimsRoomWhileItsBytesLeave) {
  const TwoWeights c = two_weights();
  const Workload& w = c.w;
  const Plan& p = c.plan;
  // Swap: a leaves toward host while b arrives: b is there at 100 + 1 + 600 us.
  const Report swap = run(w, p, TestPolicy(true, DeadTensors::freed));
  ASSERT_TRUE(swap.feasible) << swap.infeasible_reason;
  EXPECT_EQ(swap.iteration_ns, 701'000 + 100'000);
  EXPECT_EQ(swap.victim_evictions, 1u);
  EXPECT_EQ(swap.links[0].to_slower_bytes, 600'000u);
  EXPECT_EQ(swap.links[0].to_faster_bytes, 600'000u);
  // Explicit copies: b's fetch waits until a is out at 701 us.
  const Report copies = run(w, p, TestPolicy(false, DeadTensors::freed));
  EXPECT_EQ(copies.iteration_ns, 701'000 + 601'000 + 100'000);
}

// The same with the plan evicting a before kernel 1 and prefetching b: under Unified Memory a
// plan's eviction swaps too; with explicit copies b's prefetch waits for a to be out.
TEST(SimUnifiedMemory, APlansEvictionSwapsToo) {
  TwoWeights c = two_weights();
  const Workload& w = c.w;
  Plan& p = c.plan;
  p.kernels[1].before = {Action::evict(c.a, TierKind::host), Action::prefetch(c.b)};
  p.kernels[1].after = {Action::evict(c.b, TierKind::host), Action::prefetch(c.a)};
  const Report swap = run(w, p, TestPolicy(true, DeadTensors::freed));
  ASSERT_TRUE(swap.feasible) << swap.infeasible_reason;
  EXPECT_EQ(swap.iteration_ns, 701'000 + 100'000);
  EXPECT_EQ(swap.victim_evictions, 0u);
  const Report copies = run(w, p, TestPolicy(false, DeadTensors::freed));
  EXPECT_EQ(copies.iteration_ns, 701'000 + 601'000 + 100'000);
}

// A prefetch hint for a tensor whose eviction is in flight: with explicit copies it cancels the
// eviction; under Unified Memory the hint is ignored (G10's guidedTransfer skips pages in
// transfer) and the kernel that needs the tensor waits for the plan's eviction to finish, then
// faults it back.
TEST(SimUnifiedMemory, APrefetchOfATensorBeingEvictedIsIgnored) {
  test::WorkloadBuilder wb;
  const TensorId a = wb.tensor(600'000, true);
  wb.kernel(100'000, {a}, {});
  wb.kernel(100'000, {}, {});
  wb.kernel(100'000, {a}, {});
  const Workload w = wb.done();
  Plan p = make_empty_plan(w, "p", "test");
  p.kernels[0].after = {Action::evict(a, TierKind::host)};
  p.kernels[1].before = {Action::prefetch(a)};
  const Report paged = run(w, p, TestPolicy(true, DeadTensors::freed));
  ASSERT_TRUE(paged.feasible) << paged.infeasible_reason;
  EXPECT_EQ(paged.plan_actions_ignored, 1u);
  // a leaves from 100 us to 701 us, comes back by 1'302 us; kernel 2 then runs 100 us.
  EXPECT_EQ(paged.iteration_ns, 1'402'000);
  EXPECT_EQ(paged.demand_fetches, 1u);
  const Report copies = run(w, p, TestPolicy(false, DeadTensors::freed));
  EXPECT_EQ(copies.plan_actions_ignored, 0u);
  EXPECT_EQ(copies.iteration_ns, 300'000);
}

// Note [faults first under Unified Memory]: weights a and b (400 kB each, both fit) start on
// host; the plan prefetches b as kernel 0 begins, and kernel 0 faults a in at the same time.
// Under Unified Memory the fault has the link to itself (a arrives at 1 + 400 us) and the
// prefetch gets it afterwards (b at 801 us, when kernel 1 can start); explicit copies share it,
// both arriving at 801 us.
// Weights a and b of 400 kB (both fit), on host at the start; `kernels` adds the kernels.
template <class AddKernels>
TwoWeights two_on_host(AddKernels kernels) {
  test::WorkloadBuilder wb;
  TwoWeights c;
  c.a = wb.tensor(400'000, true);
  c.b = wb.tensor(400'000, true);
  kernels(wb, c.a, c.b);
  c.w = wb.done();
  c.plan = make_empty_plan(c.w, "p", "test");
  c.plan.initial[c.a] = TierKind::host;
  c.plan.initial[c.b] = TierKind::host;
  return c;
}

TEST(SimUnifiedMemory, AFaultGoesBeforeAPrefetch) {
  TwoWeights c = two_on_host([](test::WorkloadBuilder& wb, TensorId a, TensorId b) {
    wb.kernel(100'000, {a}, {});
    wb.kernel(100'000, {b}, {});
  });
  const Workload& w = c.w;
  Plan& p = c.plan;
  p.kernels[0].before = {Action::prefetch(c.b)};
  const Report paged = run(w, p, TestPolicy(true, DeadTensors::freed));
  ASSERT_TRUE(paged.feasible) << paged.infeasible_reason;
  EXPECT_EQ(paged.demand_fetches, 1u);
  EXPECT_EQ(paged.iteration_ns, 801'000 + 100'000);
  const Report copies = run(w, p, TestPolicy(false, DeadTensors::freed));
  EXPECT_EQ(copies.iteration_ns, 801'000 + 100'000 + 100'000);
}

// Note [faults first under Unified Memory]: prefetches go in the order the plan issues them.
// a and b (400 kB each) start on host and are both prefetched as kernel 0 (500 us) begins;
// kernel 1 needs a, kernel 2 b. In order, a is there at 401 us and b at 801 us; shared fairly,
// both arrive at 801 us.
TEST(SimUnifiedMemory, PrefetchesArriveInTheOrderTheyWereIssued) {
  TwoWeights c = two_on_host([](test::WorkloadBuilder& wb, TensorId a, TensorId b) {
    wb.kernel(500'000, {}, {});
    wb.kernel(100'000, {a}, {});
    wb.kernel(100'000, {b}, {});
  });
  const Workload& w = c.w;
  Plan& p = c.plan;
  p.kernels[0].before = {Action::prefetch(c.a), Action::prefetch(c.b)};
  const Report paged = run(w, p, TestPolicy(true, DeadTensors::freed));
  ASSERT_TRUE(paged.feasible) << paged.infeasible_reason;
  // a at 401 us: kernel 1 runs 500-600 us; b at 801 us: kernel 2 runs 801-901 us.
  EXPECT_EQ(paged.iteration_ns, 901'000);
  EXPECT_EQ(paged.demand_fetches, 0u);
  // Fair: both at 801 us; kernel 1 runs 801-901, kernel 2 901-1001.
  const Report copies = run(w, p, TestPolicy(false, DeadTensors::freed));
  EXPECT_EQ(copies.iteration_ns, 1'001'000);
}

// Weight a (600 kB) on the device; kernel 1 writes a fresh 600 kB tensor c, populated in place.
TEST(SimUnifiedMemory, APopulatedTensorGetsTheRoomAsTheVictimVacatesIt) {
  test::WorkloadBuilder wb;
  const TensorId a = wb.tensor(600'000, true), c = wb.tensor(600'000);
  wb.kernel(100'000, {a}, {});
  wb.kernel(100'000, {}, {c});
  const Workload w = wb.done();
  const Plan p = make_empty_plan(w, "p", "test");
  // 400 kB are free; the other 200 kB are a's first 200 kB out, at 100 + 1 + 200 us.
  const Report swap = run(w, p, TestPolicy(true, DeadTensors::freed));
  ASSERT_TRUE(swap.feasible) << swap.infeasible_reason;
  EXPECT_EQ(swap.iteration_ns, 301'000 + 100'000);
  EXPECT_EQ(swap.stall.eviction_backpressure_ns, 201'000);
  // Explicit copies: c waits for all of a, out at 701 us.
  const Report copies = run(w, p, TestPolicy(false, DeadTensors::freed));
  EXPECT_EQ(copies.iteration_ns, 701'000 + 100'000);
}

// Kernel 0 writes x, kernel 1 reads it, kernel 2 writes y; x and y are 600 kB each, so only one
// fits on the 1 MB device. Two iterations; the second is reported.
Workload x_then_y() {
  test::WorkloadBuilder wb;
  const TensorId x = wb.tensor(600'000), y = wb.tensor(600'000);
  wb.kernel(100'000, {}, {x});
  wb.kernel(100'000, {x}, {});
  wb.kernel(100'000, {}, {y});
  return wb.done();
}

TEST(SimUnifiedMemory, KeptDeadTensorsAreWrittenBackAndFaultedBackAtTheirNextUse) {
  const Workload w = x_then_y();
  const Plan p = make_empty_plan(w, "p", "test");
  const Report freed = run(w, p, TestPolicy(false, DeadTensors::freed), 2);
  ASSERT_TRUE(freed.feasible) << freed.infeasible_reason;
  EXPECT_EQ(freed.iteration_ns, 300'000);
  EXPECT_EQ(freed.victim_evictions, 0u);
  // Kept: y (dead since the last iteration) is written back to make room for x, which is faulted
  // back from host; then x goes back out for y, which comes back too. 601 us per copy.
  const Report kept = run(w, p, TestPolicy(false, DeadTensors::kept), 2);
  ASSERT_TRUE(kept.feasible) << kept.infeasible_reason;
  EXPECT_EQ(kept.iteration_ns, 4 * 601'000 + 300'000);
  EXPECT_EQ(kept.victim_evictions, 2u);
  EXPECT_EQ(kept.demand_fetches, 2u);
  EXPECT_EQ(kept.dead_drops, 0u);
  EXPECT_EQ(kept.links[0].to_slower_bytes, 1'200'000u);
  EXPECT_EQ(kept.links[0].to_faster_bytes, 1'200'000u);
}

TEST(SimUnifiedMemory, DeadVictimsAreDroppedWithoutACopy) {
  const Workload w = x_then_y();
  const Plan p = make_empty_plan(w, "p", "test");
  // y is dead before its first use at kernel 2 and x after its last at kernel 1: each is
  // dropped when the other needs its room, and populated again at its next first use.
  const Report dropped = run(w, p, TestPolicy(false, DeadTensors::dropped_on_evict), 2);
  ASSERT_TRUE(dropped.feasible) << dropped.infeasible_reason;
  EXPECT_EQ(dropped.iteration_ns, 300'000);
  EXPECT_EQ(dropped.dead_drops, 2u);
  EXPECT_EQ(dropped.dead_drop_bytes, 1'200'000u);
  EXPECT_EQ(dropped.victim_evictions, 0u);
  EXPECT_EQ(dropped.demand_fetches, 0u);
  EXPECT_EQ(dropped.links[0].to_slower_bytes + dropped.links[0].to_faster_bytes, 0u);
}

// A live victim is never dropped: weight a (600 kB, used by kernels 0 and 2) makes room for
// kernel 1's fresh tensor c, so it is written back; c, dead after kernel 1, is dropped for a.
TEST(SimUnifiedMemory, LiveVictimsAreWrittenBackEvenWhenDeadOnesWouldBeDropped) {
  test::WorkloadBuilder wb;
  const TensorId a = wb.tensor(600'000, true), c = wb.tensor(600'000);
  wb.kernel(100'000, {a}, {});
  wb.kernel(100'000, {}, {c});
  wb.kernel(100'000, {a}, {});
  const Workload w = wb.done();
  const Report r =
      run(w, make_empty_plan(w, "p", "test"), TestPolicy(false, DeadTensors::dropped_on_evict));
  ASSERT_TRUE(r.feasible) << r.infeasible_reason;
  EXPECT_EQ(r.victim_evictions, 1u);  // a, for c
  EXPECT_EQ(r.links[0].to_slower_bytes, 600'000u);
  EXPECT_EQ(r.dead_drops, 1u);  // c, dead after kernel 1, for a
  EXPECT_EQ(r.demand_fetches, 1u);
}

}  // namespace
}  // namespace strata::sim
