// The measured fault model (Note [measured fault model] in sim/fault_model.hpp): G10's per-kernel
// performance model on hand-built kernels with exactly known answers, and the simulator charging
// it (SimOptions::fault_cost = measured) on a hand-built workload.
#include <gtest/gtest.h>

#include "strata/analysis/vitality.hpp"
#include "strata/core/error.hpp"
#include "strata/plan/policy.hpp"
#include "strata/sim/fault_model.hpp"
#include "strata/sim/simulator.hpp"
#include "support/workload_builder.hpp"

namespace strata::sim {
namespace {

// A kernel of 1 ms whose measurements say: faulting its 100 input pages costs pf - input_pf =
// 4 ms, its 50 output pages input_pf - plain = 2 ms (fault bandwidth 409'600 B / 4 ms =
// 204'800 B / 2 ms = 0.1024 B/ns on both sides).
Kernel measured_kernel(std::int64_t input_pf_ns = 3'000'000, std::int64_t pf_ns = 7'000'000) {
  Kernel k;
  k.name = "k";
  k.duration_ns = 1'000'000;
  k.pf_times = PageFaultTimes{input_pf_ns, pf_ns};
  return k;
}

// G10's defaults: 4 KiB pages, l_sys 45 us, l_ssd 20 us.
FaultModel g10_fault() {
  FaultModel f;
  f.page_bytes = 4096;
  f.batch_pages = 50;
  f.batch_latency_ns = 12'300;
  f.first_touch_batch_latency_ns = 43'300;
  f.far_fault_latency_ns = 45'000;
  f.ssd_fault_latency_ns = 20'000;
  return f;
}

constexpr FaultLinkRates kG10Rates{15.754e9, 3.2e9};

KernelFaults faults(std::uint64_t in_faulted, std::uint64_t in_ssd, std::uint64_t out_faulted,
                    std::uint64_t out_ssd, std::uint64_t in_pages = 100,
                    std::uint64_t out_pages = 50) {
  return {in_pages, out_pages, in_faulted, in_ssd, out_faulted, out_ssd};
}

TEST(MeasuredFaultModel, HostFaultsCostTheirShareOfTheMeasuredTime) {
  const Kernel k = measured_kernel();
  const FaultModel f = g10_fault();
  EXPECT_EQ(measured_fault_ns(f, k, faults(0, 0, 0, 0), kG10Rates), 0);
  EXPECT_EQ(measured_fault_ns(f, k, faults(100, 0, 50, 0), kG10Rates), 6'000'000);
  EXPECT_EQ(measured_fault_ns(f, k, faults(100, 0, 0, 0), kG10Rates), 4'000'000);
  EXPECT_EQ(measured_fault_ns(f, k, faults(0, 0, 50, 0), kG10Rates), 2'000'000);
  EXPECT_EQ(measured_fault_ns(f, k, faults(25, 0, 10, 0), kG10Rates), 1'000'000 + 400'000);
}

TEST(MeasuredFaultModel, SsdFaultsRunAtTheLatencyScaledBandwidthAndOverlapHostFaults) {
  const Kernel k = measured_kernel();
  const FaultModel f = g10_fault();
  // All 100 input pages from SSD at 0.1024 x 45 / 65 B/ns: 4 ms x 65 / 45.
  EXPECT_EQ(measured_fault_ns(f, k, faults(100, 100, 0, 0), kG10Rates), 5'777'778);
  // 40 from SSD (2.311 ms), 60 from host (2.4 ms): the larger.
  EXPECT_EQ(measured_fault_ns(f, k, faults(100, 40, 0, 0), kG10Rates), 2'400'000);
  // ... plus all outputs from host (2 ms more on the host side).
  EXPECT_EQ(measured_fault_ns(f, k, faults(100, 40, 50, 0), kG10Rates), 4'400'000);
  // An SSD slower than the measured fault bandwidth caps it: 163'840 B at 0.01 B/ns.
  EXPECT_EQ(measured_fault_ns(f, k, faults(100, 40, 0, 0), FaultLinkRates{15.754e9, 0.01e9}),
            16'384'000);
  // Without latencies the SSD fault bandwidth is the measured one.
  FaultModel no_latency = f;
  no_latency.far_fault_latency_ns = 0;
  no_latency.ssd_fault_latency_ns = 0;
  EXPECT_EQ(measured_fault_ns(no_latency, k, faults(100, 100, 0, 0), kG10Rates), 4'000'000);
}

TEST(MeasuredFaultModel, PcieBandwidthCapsTheMeasuredBandwidth) {
  const FaultModel f = g10_fault();
  // No measured cost: the bytes at the PCIe rate, 614'400 B at 15.754 B/ns.
  const Kernel free_faults = measured_kernel(1'000'000, 1'000'000);
  EXPECT_EQ(measured_fault_ns(f, free_faults, faults(100, 0, 50, 0), kG10Rates), 39'000);
  // A PCIe link slower than the measured 0.1024 B/ns: 409'600 B + 204'800 B at 0.05 B/ns.
  EXPECT_EQ(
      measured_fault_ns(f, measured_kernel(), faults(100, 0, 50, 0), FaultLinkRates{0.05e9, 3.2e9}),
      12'288'000);
  // SSD faults take their rate off the PCIe link first: 0.06 - 0.03 B/ns left for host faults.
  // Host: 204'800 + 204'800 B at 0.03 B/ns; SSD: 204'800 B at 0.03 B/ns, overlapped.
  EXPECT_EQ(measured_fault_ns(f, measured_kernel(), faults(100, 50, 50, 0),
                              FaultLinkRates{0.06e9, 0.03e9}),
            13'653'333);
}

TEST(MeasuredFaultModel, MeasurementsAreClampedAsG10LoadsThem) {
  const FaultModel f = g10_fault();
  // input_pf below the plain time counts as the plain time, pf below input_pf as input_pf.
  EXPECT_EQ(
      measured_fault_ns(f, measured_kernel(500'000, 800'000), faults(100, 0, 50, 0), kG10Rates),
      39'000);
  // pf < input_pf: inputs cost nothing measured (PCIe rate: 26'000 ns), outputs 2 ms.
  EXPECT_EQ(
      measured_fault_ns(f, measured_kernel(3'000'000, 2'000'000), faults(100, 0, 50, 0), kG10Rates),
      2'026'000);
}

// G10: a side with no pages but a positive measured cost has fault bandwidth 0 B / cost = 0,
// its host fault time is 0 / 0 (NaN), and std::max keeps the SSD part alone.
TEST(MeasuredFaultModel, ASideWithNoPagesButAMeasuredCostDropsTheHostPartAsG10Does) {
  const FaultModel f = g10_fault();
  const Kernel k = measured_kernel();
  EXPECT_EQ(measured_fault_ns(f, k, faults(100, 0, 0, 0, 100, 0), kG10Rates), 0);
  EXPECT_EQ(measured_fault_ns(f, k, faults(100, 100, 0, 0, 100, 0), kG10Rates), 5'777'778);
  // With no measured output cost nothing is undefined.
  EXPECT_EQ(measured_fault_ns(f, measured_kernel(1'000'000, 5'000'000),
                              faults(100, 0, 0, 0, 100, 0), kG10Rates),
            4'000'000);
}

TEST(MeasuredFaultModel, BadInputsAreClearErrors) {
  const FaultModel f = g10_fault();
  Kernel plain = measured_kernel();
  plain.pf_times.reset();
  EXPECT_THROW(measured_fault_ns(f, plain, faults(1, 0, 0, 0), kG10Rates), InvalidInput);
  EXPECT_THROW(measured_fault_ns(f, measured_kernel(), faults(101, 0, 0, 0), kG10Rates),
               InvalidInput);
  EXPECT_THROW(measured_fault_ns(f, measured_kernel(), faults(10, 11, 0, 0), kG10Rates),
               InvalidInput);
  EXPECT_THROW(measured_fault_ns(f, measured_kernel(), faults(10, 0, 0, 0), FaultLinkRates{}),
               InvalidInput);
  EXPECT_THROW(
      measured_fault_ns(f, measured_kernel(), faults(10, 10, 0, 0), FaultLinkRates{1e9, 0}),
      InvalidInput);
  // An SSD fault rate that leaves no PCIe bandwidth: G10's model is undefined there.
  EXPECT_THROW(measured_fault_ns(f, measured_kernel(1'000'000, 1'000'000), faults(10, 5, 0, 0),
                                 FaultLinkRates{1e9, 2e9}),
               Unsupported);
}

// Note [G10's executed fault model]: the same model with every time truncated to whole seconds.
TEST(G10ExecutedFaultModel, KernelsUnderASecondPayTheFaultedBytesAtTheLinkRates) {
  const FaultModel f = g10_fault();
  const Kernel k = measured_kernel();  // 1 ms, 3 ms, 7 ms: all truncate to 0
  EXPECT_EQ(g10_executed_fault_ns(f, k, faults(0, 0, 0, 0), kG10Rates), 0);
  // 150 pages (614'400 B) at 15.754 B/ns, where the measured model charges 6 ms.
  EXPECT_EQ(g10_executed_fault_ns(f, k, faults(100, 0, 50, 0), kG10Rates), 39'000);
  EXPECT_EQ(measured_fault_ns(f, k, faults(100, 0, 50, 0), kG10Rates), 6'000'000);
  // 40 input pages from SSD at 3.2 B/ns (51'200 ns) overlap 60 from host at 15.754 - 3.2 B/ns.
  EXPECT_EQ(g10_executed_fault_ns(f, k, faults(100, 40, 0, 0), kG10Rates), 51'200);
  // First touches count as host faults: 50 output pages, 204'800 B at 15.754 B/ns.
  EXPECT_EQ(g10_executed_fault_ns(f, k, faults(0, 0, 50, 0), kG10Rates), 13'000);
}

TEST(G10ExecutedFaultModel, LongerKernelsMoveInWholeSeconds) {
  const FaultModel f = g10_fault();
  Kernel k = measured_kernel(2'600'000'000, 3'200'000'000);
  k.duration_ns = 1'500'000'000;
  // t11 = 1 s, t10 = 2 s, t00 = 3 s: all inputs cost 1 s, all outputs 1 s, as the bandwidths
  // s / 1 s (well under the PCIe rate) imply; the measured model charges 0.6 s and 1.1 s.
  EXPECT_EQ(g10_executed_fault_ns(f, k, faults(100, 0, 50, 0), kG10Rates), 2'000'000'000);
  EXPECT_EQ(g10_executed_fault_ns(f, k, faults(50, 0, 0, 0), kG10Rates), 500'000'000);
  EXPECT_EQ(measured_fault_ns(f, k, faults(100, 0, 50, 0), kG10Rates), 1'700'000'000);
  Kernel plain = measured_kernel();
  plain.pf_times.reset();
  EXPECT_THROW(g10_executed_fault_ns(f, plain, faults(1, 0, 0, 0), kG10Rates), InvalidInput);
}

// ---- the simulator ----

constexpr double kGBps = 1e9;

// One GPU and host memory joined by one link of 1 GB/s (1 byte per ns) with 1 us latency.
// With `ssd`, an SSD tier joined to the GPU by a second such link.
Machine one_link_machine(bool ssd = false) {
  Machine m;
  m.name = "one-link";
  m.tiers = {
      {"hbm", TierKind::device, 1ULL << 30, 1000 * kGBps, 1000 * kGBps, 0, 0, 1},
      {"host", TierKind::host, 1ULL << 40, 1000 * kGBps, 1000 * kGBps, 0, 0, 1},
  };
  if (ssd)
    m.tiers.push_back({"ssd", TierKind::ssd, 1ULL << 40, 1000 * kGBps, 1000 * kGBps, 0, 0, 1});
  m.gpus = {Gpu{"gpu0", {}, 0, 0, 0}};
  m.gpus[0].compute.fp32_flops_per_s = 1e13;
  m.gpus[0].compute.memory_bytes_per_s = 1000 * kGBps;
  m.links = {{"hbm<->host", 0, 1, 1 * kGBps, 1'000, {}, false}};
  if (ssd) m.links.push_back({"hbm<->ssd", 0, 2, 1 * kGBps, 1'000, {}, false});
  m.fault = g10_fault();
  m.fault.batch_latency_ns = 7'000;
  validate(m);
  return m;
}

struct Managed final : Policy {
  std::string name() const override { return "managed"; }
  Plan plan(const Workload& w, const Vitality&, const Machine&) const override {
    return make_empty_plan(w, "empty", "managed");
  }
  bool first_touch_faults() const override { return true; }
};

// One kernel reading a 100-page weight that starts on host and writing a fresh 50-page tensor.
Workload one_kernel(std::int64_t input_pf_ns, std::int64_t pf_ns) {
  test::WorkloadBuilder b;
  const TensorId weight = b.tensor(100 * 4096, true), y = b.tensor(50 * 4096, false);
  b.kernel(1'000'000, {weight}, {y});
  b.w.kernels[0].pf_times = PageFaultTimes{input_pf_ns, pf_ns};
  return b.done();
}

Report run(const Workload& w, const Policy& policy, FaultCost cost,
           TierKind weight_on = TierKind::host) {
  Plan p = make_empty_plan(w, "p", policy.name());
  p.initial[0] = weight_on;
  SimOptions o;
  o.iterations = 1;
  o.check_every_event = true;
  o.fault_cost = cost;
  return simulate(w, analyze_vitality(w), one_link_machine(weight_on == TierKind::ssd), p, policy,
                  o);
}

TEST(MeasuredFaultModel, SimulatorStartsAKernelNoEarlierThanItsMeasuredFaultTime) {
  const Workload w = one_kernel(3'000'000, 7'000'000);
  const IdealPolicy explicit_alloc;
  // The weight's 100 pages fault (4 ms); y is allocated without a fault. The bytes arrive at
  // 1'000 + 409'600 ns, the kernel starts at 4 ms and runs 1 ms.
  const Report r = run(w, explicit_alloc, FaultCost::measured);
  ASSERT_TRUE(r.feasible) << r.infeasible_reason;
  EXPECT_EQ(r.iteration_ns, 5'000'000);
  EXPECT_EQ(r.stall.demand_fetch_ns, 4'000'000);
  EXPECT_EQ(r.demand_fetches, 1u);
  EXPECT_EQ(r.links[0].to_faster_bytes, 100u * 4096);
  // Managed memory: y's first touch faults its 50 output pages too (2 ms more).
  const Managed managed;
  const Report m = run(w, managed, FaultCost::measured);
  EXPECT_EQ(m.iteration_ns, 7'000'000);
  EXPECT_EQ(m.first_touch_faults, 1u);
  EXPECT_EQ(m.stall.demand_fetch_ns, 6'000'000);
  // The default cost ignores the measurements: 2 batches x 7 us + 1 us + 409'600 ns, then 1 ms.
  EXPECT_EQ(run(w, explicit_alloc, FaultCost::batches).iteration_ns, 1'424'600);
}

TEST(MeasuredFaultModel, SimulatorChargesSsdFaultsAtTheLatencyScaledBandwidth) {
  // The weight starts on SSD: its 100 pages fault at 0.1024 x 45 / 65 B/ns, 4 ms x 65 / 45.
  const Workload w = one_kernel(3'000'000, 7'000'000);
  const IdealPolicy explicit_alloc;
  const Report r = run(w, explicit_alloc, FaultCost::measured, TierKind::ssd);
  ASSERT_TRUE(r.feasible) << r.infeasible_reason;
  EXPECT_EQ(r.iteration_ns, 5'777'778 + 1'000'000);
  EXPECT_EQ(r.links[1].to_faster_bytes, 100u * 4096);
}

TEST(G10ExecutedFaultModel, SimulatorChargesTheFaultedBytesAtThePcieRate) {
  // Times under a second: the 100 faulted pages cost 409'600 B at 1 B/ns, the same as the copy
  // itself, which also pays the link's 1 us latency; the kernel starts when the bytes are there.
  const Workload w = one_kernel(3'000'000, 7'000'000);
  const IdealPolicy explicit_alloc;
  const Report r = run(w, explicit_alloc, FaultCost::g10);
  ASSERT_TRUE(r.feasible) << r.infeasible_reason;
  EXPECT_EQ(r.iteration_ns, 1'000 + 409'600 + 1'000'000);
  // Managed memory: y's 50 first-touched pages add 204'800 ns of fault time (no bytes move).
  const Managed managed;
  EXPECT_EQ(run(w, managed, FaultCost::g10).iteration_ns, 409'600 + 204'800 + 1'000'000);
}

TEST(MeasuredFaultModel, SimulatorWaitsForTheBytesWhenTheyTakeLonger) {
  // No measured cost: the fault time is the bytes at the PCIe rate (409'600 ns), but the copy
  // also pays the link's 1 us latency, so the kernel starts when the bytes are there.
  const Workload w = one_kernel(1'000'000, 1'000'000);
  const IdealPolicy explicit_alloc;
  const Report r = run(w, explicit_alloc, FaultCost::measured);
  ASSERT_TRUE(r.feasible) << r.infeasible_reason;
  EXPECT_EQ(r.iteration_ns, 1'000 + 409'600 + 1'000'000);
}

}  // namespace
}  // namespace strata::sim
