// The simulator beyond one GPU's copies: data-parallel GPUs sharing buses and host memory,
// recompute, and kernels reading tensors in place over a direct-access link. Hand-built
// machines and workloads with exactly known answers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "strata/analysis/vitality.hpp"
#include "strata/core/error.hpp"
#include "strata/io/g10_trace.hpp"
#include "strata/io/plan_json.hpp"
#include "strata/plan/policy.hpp"
#include "strata/sim/fault_model.hpp"
#include "strata/sim/simulator.hpp"
#include "support/paths.hpp"
#include "support/run.hpp"
#include "support/workload_builder.hpp"

namespace strata::sim {
namespace {

using ::testing::HasSubstr;

constexpr double kGBps = 1e9;
constexpr std::uint64_t kMB = 1'000'000;

enum class Buses { shared, separate };

// `gpus` GPUs, each with its own HBM and a 1 GB/s (1 byte/ns) link to one host tier and to one
// SSD tier, crossing one shared 1 GB/s bus (shared) or one bus per GPU (separate). Tiers are
// fast, so the links and buses are the only bottlenecks. Link latency `latency_ns`.
Machine node(std::uint32_t gpus, Buses buses, std::uint64_t device_bytes,
             std::uint64_t host_bytes = 1ULL << 40, std::int64_t latency_ns = 0,
             bool direct_access = false) {
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
  if (buses == Buses::shared) m.buses.push_back({"switch", 1 * kGBps, true});
  for (std::uint32_t g = 0; g < gpus; ++g) {
    if (buses == Buses::separate) m.buses.push_back({"port" + std::to_string(g), 1 * kGBps, true});
    const BusId bus = buses == Buses::shared ? 0 : g;
    const std::string n = std::to_string(g);
    m.links.push_back(
        {"hbm" + n + "<->host", g, host, 1 * kGBps, latency_ns, {bus}, direct_access});
    m.links.push_back({"hbm" + n + "<->ssd", g, ssd, 1 * kGBps, latency_ns, {bus}, false});
  }
  m.fault = {4096, 1, 0};
  validate(m);
  return m;
}

using Builder = test::WorkloadBuilder;

Report sim(const Workload& w, const Machine& m, const Plan& p, SimOptions o = {}) {
  o.check_every_event = true;
  const IdealPolicy lru;
  return simulate(w, analyze_vitality(w), m, p, lru, o);
}

Report sim_plans(const Workload& w, const Machine& m, const std::vector<Plan>& plans,
                 SimOptions o = {}) {
  o.check_every_event = true;
  o.gpu_count = static_cast<std::uint32_t>(plans.size());
  const IdealPolicy lru;
  return simulate(w, analyze_vitality(w), m, plans, lru, o);
}

std::int64_t span_duration(const Report& r, const std::string& name, std::uint32_t track) {
  for (const TimelineSpan& s : r.timeline.spans)
    if (s.name == name && s.track == track) return s.duration_ns;
  ADD_FAILURE() << "no span " << name << " on track " << track;
  return -1;
}

// A 1 MB weight starts in host memory and is prefetched before kernel 0 (100 ns), for
// kernel 1 (50 us).
struct FetchCase {
  Workload w;
  Plan plan;
  FetchCase() {
    Builder b;
    const TensorId a = b.tensor(4096, true), big = b.tensor(kMB, true);
    b.kernel(100, {a}, {});
    b.kernel(50'000, {big}, {});
    w = b.done();
    plan = make_empty_plan(w, "fetch", "test");
    plan.initial[big] = TierKind::host;
    plan.kernels[0].before.push_back(Action::prefetch(big));
  }
};

// ---- data parallel ---------------------------------------------------------------------------

TEST(SimMultiGpu, TwoGpusBehindOneBusFetchingTheSameBytesTakeTwiceAsLong) {
  const FetchCase c;
  SimOptions o;
  o.iterations = 1;
  o.record_timeline = true;
  const Machine m = node(2, Buses::shared, 4 * kMB);
  const Report one = sim(c.w, m, c.plan, o);
  o.gpu_count = 2;
  const Report two = sim(c.w, m, c.plan, o);
  ASSERT_TRUE(one.feasible && two.feasible) << one.infeasible_reason << two.infeasible_reason;
  // One GPU alone: 1 MB at 1 byte/ns. Two: the shared bus gives each half.
  EXPECT_EQ(span_duration(one, "fetch t1", 1 + 1), 1'000'000);
  EXPECT_EQ(span_duration(two, "fetch t1", 2 + 1), 2'000'000);  // gpu0's host link, reverse
  EXPECT_EQ(span_duration(two, "fetch t1", 2 + 5), 2'000'000);  // gpu1's host link, reverse
  EXPECT_EQ(one.iteration_ns, 1'000'000 + 50'000);
  EXPECT_EQ(two.iteration_ns, 2'000'000 + 50'000);
  EXPECT_EQ(two.stall.waiting_for_prefetch_ns, 2'000'000 - 100);
  ASSERT_EQ(two.gpus.size(), 2u);
  for (const GpuIteration& g : two.gpus) EXPECT_EQ(g.iteration_ns, 2'050'000) << g.gpu;
  EXPECT_EQ(two.gpus[0].gpu, "gpu0");
  EXPECT_EQ(two.gpus[1].gpu, "gpu1");
  // Traffic sums both GPUs; one compute track per GPU.
  EXPECT_EQ(two.links[0].to_faster_bytes, kMB);  // hbm0<->host
  EXPECT_EQ(two.links[2].to_faster_bytes, kMB);  // hbm1<->host
  EXPECT_EQ(two.timeline.tracks[0], "gpu0 compute");
  EXPECT_EQ(two.timeline.tracks[1], "gpu1 compute");
  EXPECT_EQ(span_duration(two, "k1", 1), 50'000);
  // The host holds both GPUs' copies of the weights.
  EXPECT_EQ(two.tiers[2].peak_bytes, 2 * kMB);
}

TEST(SimMultiGpu, GpusOnSeparateBusesDoNotInterfere) {
  const FetchCase c;
  SimOptions o;
  o.iterations = 2;
  const Machine m = node(2, Buses::separate, 4 * kMB);
  const Report one = sim(c.w, m, c.plan, o);
  o.gpu_count = 2;
  const Report two = sim(c.w, m, c.plan, o);
  ASSERT_TRUE(one.feasible && two.feasible);
  EXPECT_EQ(two.iteration_times_ns, one.iteration_times_ns);
  EXPECT_EQ(two.gpus[0].iteration_times_ns, one.iteration_times_ns);
  EXPECT_EQ(two.gpus[1].iteration_times_ns, one.iteration_times_ns);
  EXPECT_EQ(two.stall, one.stall);
}

TEST(SimMultiGpu, SwitchSharedByAGpuPairOnTheH100Node) {
  const Machine m = load_machine("h100x8-node", {test::source_dir() / "configs" / "machines"});
  Builder b;
  const std::uint64_t gb = 1'000'000'000;
  const TensorId a = b.tensor(4096, true), big = b.tensor(gb, true);
  b.kernel(1'000, {a}, {});
  b.kernel(1'000, {big}, {});
  const Workload w = b.done();
  Plan p = make_empty_plan(w, "p", "test");
  p.initial[big] = TierKind::host;
  SimOptions o;
  o.iterations = 1;
  const Report single = sim(w, m, p, o);
  o.gpu_count = 2;
  const Report pair = sim(w, m, p, o);  // gpu0 and gpu1 share pcie-switch0
  o.gpu = 1;
  const Report apart = sim(w, m, p, o);  // gpu1 and gpu2 sit behind different switches
  ASSERT_TRUE(single.feasible && pair.feasible && apart.feasible);
  const LinkId link = *m.link_between(m.gpus[0].memory, *m.host_tier());
  const std::int64_t fetch = uncontended_transfer_ns(m, link, *m.host_tier(), gb);
  const std::int64_t fault = demand_fetch_latency_ns(m.fault, gb);  // page-batched handling
  // 1 GB at 50 GB/s is 20 ms alone; two on one uplink take 40 ms each.
  EXPECT_EQ(single.stall.demand_fetch_ns, fault + fetch);
  EXPECT_EQ(apart.stall.demand_fetch_ns, fault + fetch);
  EXPECT_EQ(pair.stall.demand_fetch_ns, fault + fetch + 20'000'000);
  EXPECT_EQ(pair.demand_fetches, 2u);
}

TEST(SimMultiGpu, SharedHostCapacityIsSharedAndSpillsToSsd) {
  // Each GPU evicts a 1 MB weight after kernel 0; the host has room for one of them only.
  Builder b;
  const TensorId wt = b.tensor(kMB, true), x = b.tensor(1000, false);
  b.kernel(1'000, {wt}, {x});
  b.kernel(5'000'000, {x}, {});
  const Workload w = b.done();
  Plan p = make_empty_plan(w, "p", "test");
  p.kernels[0].after.push_back(Action::evict(wt, TierKind::host));
  SimOptions o;
  o.iterations = 1;
  o.gpu_count = 2;
  const Report r = sim(w, node(2, Buses::separate, 4 * kMB, 3 * kMB / 2), p, o);
  ASSERT_TRUE(r.feasible) << r.infeasible_reason;
  EXPECT_LE(r.tiers[2].peak_bytes, r.tiers[2].capacity_bytes);
  EXPECT_EQ(r.tiers[2].peak_bytes, kMB);       // host: gpu0's copy
  EXPECT_EQ(r.tiers[3].peak_bytes, kMB);       // ssd: gpu1's spilled there
  EXPECT_EQ(r.links[0].to_slower_bytes, kMB);  // hbm0 -> host
  EXPECT_EQ(r.links[3].to_slower_bytes, kMB);  // hbm1 -> ssd
}

TEST(SimMultiGpu, OnePlanPerGpuAndDeterministic) {
  Builder b;
  std::vector<TensorId> ws;
  for (int i = 0; i < 6; ++i) ws.push_back(b.tensor(kMB, true));
  TensorId prev = b.tensor(kMB / 2, false);
  b.kernel(1'000, {ws[0]}, {prev});
  for (int i = 1; i < 12; ++i) {
    const TensorId next = b.tensor(kMB / 2, false);
    b.kernel(10'000 * i, {prev, ws[static_cast<std::size_t>(i % 6)]}, {next});
    prev = next;
  }
  const Workload w = b.done();
  Plan p0 = make_empty_plan(w, "p0", "test");
  p0.initial[ws[4]] = TierKind::host;
  p0.initial[ws[5]] = TierKind::host;
  p0.kernels[1].before.push_back(Action::prefetch(ws[4]));
  p0.kernels[2].after.push_back(Action::evict(ws[1], TierKind::host));
  Plan p1 = p0;  // staggered: gpu1 evicts to SSD and prefetches later
  p1.kernels[2].after.back() = Action::evict(ws[1], TierKind::ssd);
  p1.kernels[1].before.clear();
  p1.kernels[3].before.push_back(Action::prefetch(ws[4]));
  SimOptions o;
  o.record_timeline = true;
  const Machine m = node(2, Buses::shared, 4 * kMB, 1ULL << 40, 1'000);
  const Report r1 = sim_plans(w, m, {p0, p1}, o);
  const Report r2 = sim_plans(w, m, {p0, p1}, o);
  ASSERT_TRUE(r1.feasible) << r1.infeasible_reason;
  EXPECT_EQ(r1, r2);
  EXPECT_EQ(report_to_json(r1), report_to_json(r2));
  ASSERT_EQ(r1.gpus.size(), 2u);
  EXPECT_NE(r1.gpus[0].iteration_times_ns, r1.gpus[1].iteration_times_ns);
  EXPECT_EQ(r1.iteration_ns, std::max(r1.gpus[0].iteration_ns, r1.gpus[1].iteration_ns));
  EXPECT_GT(r1.links[3].to_slower_bytes, 0u);  // only gpu1's plan evicts to SSD
  EXPECT_EQ(r1.links[1].to_slower_bytes, 0u);
  for (const GpuIteration& g : r1.gpus)
    EXPECT_EQ(g.iteration_ns, r1.ideal_ns + g.stall.total_ns()) << g.gpu;
  for (const TierPeak& t : r1.tiers) EXPECT_LE(t.peak_bytes, t.capacity_bytes) << t.tier;
  const nlohmann::json j = nlohmann::json::parse(report_to_json(r1));
  ASSERT_EQ(j["gpus"].size(), 2u);
  EXPECT_EQ(j["gpus"][1]["gpu"], "gpu1");
  EXPECT_EQ(j["gpus"][1]["iteration_ns"], r1.gpus[1].iteration_ns);
  EXPECT_THAT(report_to_text(r1), HasSubstr("gpu1"));
  // The wrong number of plans is an error, not a guess.
  SimOptions one = o;
  one.gpu_count = 1;
  try {
    simulate(w, analyze_vitality(w), m, std::vector<Plan>{p0, p1}, IdealPolicy(), one);
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_THAT(e.what(), HasSubstr("2 plans for 1 GPUs"));
  }
}

TEST(SimMultiGpu, MoreGpusThanTheMachineHasNamesMachineAndCount) {
  const FetchCase c;
  SimOptions o;
  o.gpu_count = 3;
  try {
    sim(c.w, node(2, Buses::shared, 4 * kMB), c.plan, o);
    FAIL() << "accepted 3 GPUs on a 2-GPU machine";
  } catch (const InvalidInput& e) {
    EXPECT_THAT(e.what(), HasSubstr("machine node has 2 GPUs"));
    EXPECT_THAT(e.what(), HasSubstr("3 GPUs from GPU 0"));
  }
  o.gpu_count = 2;
  o.gpu = 1;
  EXPECT_THROW(sim(c.w, node(2, Buses::shared, 4 * kMB), c.plan, o), InvalidInput);
}

/// A policy whose GPUs get different plans: GPU i >= 1 prefetches nothing.
class StaggeredPolicy final : public Policy {
 public:
  explicit StaggeredPolicy(Plan p) : plan_(std::move(p)) {}
  std::string name() const override { return "staggered"; }
  Plan plan(const Workload&, const Vitality&, const Machine&) const override { return plan_; }
  std::vector<Plan> plans(const Workload& w, const Vitality& v, const Machine& m, GpuId,
                          std::uint32_t gpu_count) const override {
    std::vector<Plan> out = Policy::plans(w, v, m, 0, gpu_count);
    for (std::size_t i = 1; i < out.size(); ++i) out[i].kernels[0].before.clear();
    return out;
  }

 private:
  Plan plan_;
};

TEST(SimMultiGpu, RunPolicyUsesThePolicysPlansPerGpu) {
  const FetchCase c;
  const StaggeredPolicy policy(c.plan);
  const Machine m = node(2, Buses::separate, 4 * kMB);
  EXPECT_EQ(policy.plans(c.w, analyze_vitality(c.w), m, 0, 2).size(), 2u);
  SimOptions o;
  o.iterations = 1;
  o.gpu_count = 2;
  o.check_every_event = true;
  const Report r = run_policy(c.w, analyze_vitality(c.w), m, policy, o);
  ASSERT_TRUE(r.feasible) << r.infeasible_reason;
  EXPECT_EQ(r.gpus[0].stall.waiting_for_prefetch_ns, 1'000'000 - 100);  // prefetched
  EXPECT_EQ(r.gpus[1].stall.demand_fetch_ns, 1'000'000);                // faulted in
  EXPECT_EQ(r.demand_fetches, 1u);
}

TEST(SimMultiGpu, G10PlanOnTwoGpusSharingASmallHostStaysWithinCapacity) {
  STRATA_REQUIRE_G10();
  // Two GPUs of the H100 node cut to G10's 40 GiB each, sharing a host of 10 GiB: the
  // GPUs' evictions compete for the host and spill to the NVMe tier.
  Machine m = load_machine("h100x8-node", {test::source_dir() / "configs" / "machines"});
  for (const Gpu& g : m.gpus) m.tiers[g.memory].capacity_bytes = 40ULL << 30;
  m.tiers[*m.host_tier()].capacity_bytes = 10ULL << 30;
  const auto folder = test::g10_folders().front();
  const Workload w = load_g10_folder(folder);
  const Vitality v = analyze_vitality(w);
  const auto policy = make_policy("g10-plan:" + folder.string());
  SimOptions o;
  o.iterations = 2;
  o.gpu_count = 2;
  o.check_every_event = true;  // re-sums every tier from both GPUs' residency after each event
  const Report r = run_policy(w, v, m, *policy, o);
  ASSERT_TRUE(r.feasible) << r.infeasible_reason;
  ASSERT_EQ(r.gpus.size(), 2u);
  for (const TierPeak& t : r.tiers) EXPECT_LE(t.peak_bytes, t.capacity_bytes) << t.tier;
  for (const GpuIteration& g : r.gpus)
    EXPECT_EQ(g.iteration_ns, r.ideal_ns + g.stall.total_ns()) << g.gpu;
  EXPECT_EQ(r.iteration_ns, std::max(r.gpus[0].iteration_ns, r.gpus[1].iteration_ns));
  // Together the GPUs evict 13.5 GiB to host under G10's plan, more than it holds: part of it
  // goes to the NVMe tier instead (which G10's plan alone would fill with 2 x 2.16 GiB).
  const std::uint64_t host_peak = r.tiers[*m.host_tier()].peak_bytes;
  const std::uint64_t nvme_peak = r.tiers[m.ssd_tiers().front()].peak_bytes;
  EXPECT_GT(host_peak, 9ULL << 30);
  EXPECT_GT(nvme_peak, 5ULL << 30);
}

// ---- recompute -------------------------------------------------------------------------------

// k0 makes a from the weight; k1 and k2 go on; k3 needs a again. The plan drops a after k1
// and recomputes it before k3 instead of keeping it.
struct RecomputeCase {
  Workload w;
  Plan plan;
  TensorId wt = 0, a = 0;
  explicit RecomputeCase(std::int64_t k2_ns) {
    Builder b;
    wt = b.tensor(kMB, true);
    a = b.tensor(kMB, false);
    const TensorId bb = b.tensor(1000, false), c = b.tensor(1000, false);
    b.kernel(5'000, {wt}, {a});
    b.kernel(1'000, {a}, {bb});
    b.kernel(k2_ns, {bb}, {c});
    b.kernel(3'000, {a, c}, {});
    w = b.done();
    plan = make_empty_plan(w, "recompute", "test");
    plan.kernels[1].after.push_back(Action::release(a));
    plan.kernels[3].before.push_back(Action::recompute(a));
  }
};

TEST(SimRecompute, ReRunsTheProducerOnTheStreamBeforeTheKernel) {
  const RecomputeCase c(2'000);
  SimOptions o;
  o.iterations = 2;
  o.record_timeline = true;
  const Report r = sim(c.w, node(1, Buses::separate, 4 * kMB), c.plan, o);
  ASSERT_TRUE(r.feasible) << r.infeasible_reason;
  EXPECT_EQ(r.ideal_ns, 11'000);
  EXPECT_EQ(r.iteration_ns, 11'000 + 5'000);
  EXPECT_EQ(r.recompute_ns, 5'000);
  EXPECT_EQ(r.recomputes, 1u);
  EXPECT_EQ(r.stall.total_ns(), 0);
  EXPECT_EQ(r.plan_actions_ignored, 0u);
  std::vector<std::pair<std::string, std::int64_t>> stream;
  for (const TimelineSpan& s : r.timeline.spans)
    if (s.track == 0) stream.emplace_back(s.name, s.start_ns);
  EXPECT_EQ(stream,
            (std::vector<std::pair<std::string, std::int64_t>>{
                {"k0", 0}, {"k1", 5'000}, {"k2", 6'000}, {"recompute t1", 8'000}, {"k3", 13'000}}));
}

TEST(SimRecompute, FetchesTheProducersInputsOnDemand) {
  // The weight is evicted after k0; by the time a is recomputed it is in host memory and is
  // faulted back in first (1 MB at 1 byte/ns plus 1 us latency).
  RecomputeCase c(2'000'000);
  c.plan.kernels[0].after.push_back(Action::evict(c.wt, TierKind::host));
  SimOptions o;
  o.iterations = 1;
  const Report r = sim(c.w, node(1, Buses::separate, 4 * kMB, 1ULL << 40, 1'000), c.plan, o);
  ASSERT_TRUE(r.feasible) << r.infeasible_reason;
  EXPECT_EQ(r.stall.demand_fetch_ns, 1'001'000);
  EXPECT_EQ(r.demand_fetches, 1u);
  EXPECT_EQ(r.recompute_ns, 5'000);
  EXPECT_EQ(r.iteration_ns, r.ideal_ns + 1'001'000 + 5'000);
  EXPECT_EQ(r.iteration_ns, 5'000 + 1'000 + 2'000'000 + 1'001'000 + 5'000 + 3'000);
}

TEST(SimRecompute, ValidateChecksWhenARecomputeCanRun) {
  const RecomputeCase c(2'000);
  const Machine m = node(1, Buses::separate, 4 * kMB);
  EXPECT_NO_THROW(validate(c.plan, c.w, m));
  Plan no_recompute = c.plan;
  no_recompute.kernels[3].before.clear();
  EXPECT_THROW(validate(no_recompute, c.w, m), InvalidInput);  // released while live
  Plan too_early = make_empty_plan(c.w, "early", "test");
  too_early.kernels[0].before.push_back(Action::recompute(c.a));
  try {
    validate(too_early, c.w, m);
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_THAT(e.what(), HasSubstr("has not run yet"));
  }
  // The recompute must come at or before the next use: k2 does not use a, k3 does.
  Plan late = c.plan;
  late.kernels[3].before.clear();
  late.kernels[3].after.push_back(Action::recompute(c.a));
  EXPECT_THROW(validate(late, c.w, m), InvalidInput);
}

// ---- direct access ---------------------------------------------------------------------------

// k0 (10 us) reads a 1 MB weight in place in host memory.
struct DirectCase {
  Workload w;
  Plan plan;
  explicit DirectCase(std::int64_t k0_ns) {
    Builder b;
    const TensorId big = b.tensor(kMB, true), out = b.tensor(1000, false);
    b.kernel(k0_ns, {big}, {out});
    b.kernel(1'000, {out}, {});
    w = b.done();
    plan = make_empty_plan(w, "direct", "test");
    plan.initial[big] = TierKind::host;
    plan.kernels[0].direct.push_back({big, TierKind::host});
  }
};

TEST(SimDirectAccess, KernelEndsWhenItsInPlaceBytesHaveCrossedTheLink) {
  const DirectCase c(10'000);
  SimOptions o;
  o.iterations = 2;
  o.record_timeline = true;
  const Machine m = node(1, Buses::separate, 4 * kMB, 1ULL << 40, 1'000, true);
  const Report r = sim(c.w, m, c.plan, o);
  ASSERT_TRUE(r.feasible) << r.infeasible_reason;
  // 1 us latency + 1 MB at 1 byte/ns, against 10 us of compute.
  EXPECT_EQ(r.iteration_ns, 1'001'000 + 1'000);
  EXPECT_EQ(r.direct_access_ns, 1'001'000 - 10'000);
  EXPECT_EQ(r.direct_access_bytes, kMB);
  EXPECT_EQ(r.links[0].to_faster_bytes, kMB);
  EXPECT_EQ(r.stall.total_ns(), 0);
  EXPECT_EQ(r.demand_fetches, 0u);
  EXPECT_EQ(r.tiers[0].peak_bytes, 1000u);  // the weight never occupies the device
  EXPECT_EQ(span_duration(r, "direct t0", 1 + 1), 1'001'000);
  EXPECT_EQ(r.iteration_ns, r.ideal_ns + r.stall.total_ns() + r.direct_access_ns);

  const DirectCase slow(2'000'000);
  const Report slow_kernel = sim(slow.w, m, slow.plan, o);
  EXPECT_EQ(slow_kernel.iteration_ns, 2'000'000 + 1'000);
  EXPECT_EQ(slow_kernel.direct_access_ns, 0);
}

TEST(SimDirectAccess, TwoGpusReadingInPlaceShareTheBus) {
  const DirectCase c(10'000);
  SimOptions o;
  o.iterations = 1;
  o.gpu_count = 2;
  const Report r = sim(c.w, node(2, Buses::shared, 4 * kMB, 1ULL << 40, 0, true), c.plan, o);
  ASSERT_TRUE(r.feasible) << r.infeasible_reason;
  EXPECT_EQ(r.iteration_ns, 2'000'000 + 1'000);
  EXPECT_EQ(r.direct_access_bytes, 2 * kMB);
}

TEST(SimDirectAccess, ValidateRejectsALinkWithoutDirectAccess) {
  const DirectCase c(10'000);
  try {
    validate(c.plan, c.w, node(1, Buses::separate, 4 * kMB));
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_THAT(e.what(), HasSubstr("during kernel 0 (k0): direct t0 in host"));
    EXPECT_THAT(e.what(), HasSubstr("hbm0<->host"));
    EXPECT_THAT(e.what(), HasSubstr("no direct_access"));
  }
  const Machine ok = node(1, Buses::separate, 4 * kMB, 1ULL << 40, 0, true);
  EXPECT_NO_THROW(validate(c.plan, c.w, ok));
  Plan unused = c.plan;
  unused.kernels[1].direct.push_back({0, TierKind::host});
  EXPECT_THROW(validate(unused, c.w, ok), InvalidInput);  // k1 does not use t0
  Plan on_device = c.plan;
  on_device.kernels[0].direct[0].tier = TierKind::device;
  EXPECT_THROW(validate(on_device, c.w, ok), InvalidInput);
  Plan twice = c.plan;
  twice.kernels[0].direct.push_back({0, TierKind::host});
  EXPECT_THROW(validate(twice, c.w, ok), InvalidInput);
}

TEST(SimDirectAccess, PlanJsonTextAndDiffCarryDirectAccesses) {
  const DirectCase c(10'000);
  const std::string text = plan_to_json(c.plan);
  EXPECT_THAT(text, HasSubstr("\"direct\""));
  EXPECT_EQ(plan_from_json(text, "mem"), c.plan);
  EXPECT_THAT(plan_to_json(make_empty_plan(c.w, "e", "t")), ::testing::Not(HasSubstr("direct")));
  EXPECT_THAT(to_text(c.plan, &c.w), HasSubstr("during kernel 0 (k0): direct t0 in host\n"));
  Plan b = c.plan;
  b.kernels[0].direct.clear();
  EXPECT_EQ(diff_text(c.plan, b, &c.w), "- during kernel 0 (k0): direct t0 in host\n");
  try {
    plan_from_json(R"({"format":"strata.plan","version":1,"name":"n","policy":"p","workload":"w",)"
                   R"("kernel_count":1,"initial":[],"actions":[],"direct":[{"kernel":1,"tensor":0,)"
                   R"("tier":"host"}]})",
                   "d.json");
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_THAT(e.what(), HasSubstr("d.json: $.direct[0].kernel is 1"));
  }
}

// ---- CLI ---------------------------------------------------------------------------------------

TEST(CliSim, GpusRunsDataParallelAndReportsEachGpu) {
  auto r = test::run_cli(
      "sim model:resnet50 --batch 8 --machine h100x8-node --policy ideal --gpus 3 --json", false);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = nlohmann::json::parse(r.output);
  ASSERT_EQ(j["gpus"].size(), 3u);
  EXPECT_EQ(j["gpus"][2]["gpu"], "gpu2");
  EXPECT_EQ(j["iteration_ns"], j["ideal_ns"]);
  r = test::run_cli("sim model:resnet50 --batch 8 --machine h100x8-node --gpu 4 --gpus 5");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("machine h100x8-node has 8 GPUs"));
}

}  // namespace
}  // namespace strata::sim
