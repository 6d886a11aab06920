// The executor on real memory: bytes come back bit-identical under every policy, the demand-fetch
// path counts what the simulator counts, profiling re-plans from measured times, and every fault
// (full store, failed write or read, cancellation, a working set that cannot fit) stops the run
// with a clear error and no tensor lost.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <stop_token>
#include <thread>
#include <vector>

#include "strata/analysis/vitality.hpp"
#include "strata/core/error.hpp"
#include "strata/machine/machine.hpp"
#include "strata/machine/variants.hpp"
#include "strata/plan/policy.hpp"
#include "strata/rt/executor.hpp"
#include "strata/rt/file_byte_store.hpp"
#include "strata/rt/memory_byte_store.hpp"
#include "strata/rt/replay.hpp"
#include "strata/sim/simulator.hpp"
#include "support/paths.hpp"
#include "support/rt_dirs.hpp"
#include "support/workload_builder.hpp"

namespace strata {
namespace {

constexpr std::uint64_t KiB = 1024;

Machine cpu_local(std::uint64_t fast_bytes, std::uint64_t host_bytes) {
  const Machine m =
      load_machine_file(test::source_dir() / "configs" / "machines" / "cpu-local.toml");
  return with_host_memory(with_gpu_memory(m, fast_bytes), host_bytes);
}

/// A small training step: 4 layers forward (weights w, activations a), backward (gradients g,
/// weight gradients d), then an optimizer step that updates each weight in place. 13 kernels of
/// `ns` each; peak live bytes about 1.3 MiB with 64 KiB weights and 128 KiB activations.
Workload training_step(std::int64_t ns = 100'000) {
  test::WorkloadBuilder b;
  constexpr int kLayers = 4;
  std::vector<TensorId> w, a, d;
  for (int i = 0; i < kLayers; ++i) w.push_back(b.tensor(64 * KiB, true));
  const TensorId x = b.tensor(128 * KiB);
  a.push_back(x);
  b.kernel(ns, {}, {x});  // load the batch
  for (int i = 0; i < kLayers; ++i) {
    a.push_back(b.tensor(128 * KiB));
    b.kernel(ns, {a[i], w[i]}, {a[i + 1]});
  }
  TensorId g = b.tensor(128 * KiB);
  b.kernel(ns, {a[kLayers]}, {g});  // loss
  for (int i = kLayers - 1; i >= 0; --i) {
    d.push_back(b.tensor(64 * KiB));
    const TensorId next = b.tensor(128 * KiB);
    b.kernel(ns, {g, a[i], w[i]}, {next, d.back()});
    g = next;
  }
  for (int i = 0; i < kLayers; ++i) b.kernel(ns / 4, {w[i], d[kLayers - 1 - i]}, {w[i]});
  Workload wl = b.done();
  // g's last gradient is never read: make the loop close by reading it in the last update.
  wl.kernels.back().inputs.push_back(g);
  validate(wl);
  return wl;
}

std::unique_ptr<rt::MemoryByteStore> memory_store(std::uint64_t capacity = 64ULL << 20) {
  rt::MemoryByteStoreOptions o;
  o.capacity_bytes = capacity;
  o.io_bytes = 16 * KiB;
  return std::make_unique<rt::MemoryByteStore>(o);
}

/// Every persistent tensor can be read back and holds exactly what was last written to it.
void expect_persistent_intact(const Workload& w, const rt::Executor& e,
                              const rt::ReplayKernels& replay) {
  for (const Tensor& t : w.tensors) {
    if (!t.persistent) continue;
    std::vector<std::byte> bytes(t.bytes);
    ASSERT_NO_THROW(e.read_tensor(t.id, bytes)) << t.name;
    EXPECT_TRUE(replay.holds_last_write(t.id, bytes)) << t.name << " lost or corrupted";
  }
}

rt::ExecutorOptions quick(std::uint32_t iterations = 3) {
  rt::ExecutorOptions o;
  o.iterations = iterations;
  return o;
}

TEST(RtExecutor, BytesComeBackUnderEveryPolicyOnTightCapacity) {
  const Workload w = training_step(20'000);
  const Vitality v = analyze_vitality(w);
  // Fast tier: 40% of peak live bytes, or the largest kernel's working set if that is more;
  // host 256 KiB so evictions also spill to the SSD store.
  std::uint64_t working_set = 0;
  for (const Kernel& k : w.kernels) {
    std::uint64_t bytes = 0;
    for (TensorId t : k.inputs) bytes += w.tensors[t].bytes;
    for (TensorId t : k.outputs) bytes += w.tensors[t].bytes;
    working_set = std::max(working_set, bytes);
  }
  const std::uint64_t fast = std::max(v.peak_live_bytes * 2 / 5, working_set);
  ASSERT_LT(fast, v.peak_live_bytes / 2);
  ASSERT_TRUE(sim::working_set_shortfall(w, cpu_local(fast, 256 * KiB), 0).empty());
  for (const std::string& spec : comparable_policies()) {
    SCOPED_TRACE(spec);
    const auto policy = make_policy(spec);
    auto store = memory_store();
    const bool unlimited = policy->unlimited_device_memory();
    const Machine m = cpu_local(unlimited ? rt::unlimited_fast_capacity_bytes(w) : fast, 256 * KiB);
    rt::Executor e(w, m, store.get(), quick());
    rt::ReplayKernels replay(w);
    rt::ExecutionResult r;
    ASSERT_NO_THROW(r = e.run(*policy, replay.callbacks()));
    EXPECT_TRUE(r.report.feasible);
    EXPECT_EQ(r.report.iteration_times_ns.size(), 3u);
    EXPECT_GE(r.report.iteration_ns, r.report.ideal_ns);
    EXPECT_GT(replay.bytes_checked(), 0u);
    ASSERT_EQ(r.report.tiers.size(), m.tiers.size());
    EXPECT_LE(r.report.tiers[0].peak_bytes, m.tiers[0].capacity_bytes);
    EXPECT_LE(r.report.tiers[1].peak_bytes, m.tiers[1].capacity_bytes);
    if (!unlimited) {
      std::uint64_t moved = 0;
      for (std::uint64_t b : r.mover_bytes) moved += b;
      EXPECT_GT(moved, 0u) << "a tight fast tier must move bytes";
    }
    expect_persistent_intact(w, e, replay);
  }
}

TEST(RtExecutor, BytesComeBackThroughFileStoreAndItsFilesAreRemoved) {
  STRATA_REQUIRE_DIRECT_IO_DIR(dir);
  const Workload w = training_step(20'000);
  const Vitality v = analyze_vitality(w);
  std::vector<std::filesystem::path> files;
  {
    rt::FileByteStoreOptions o;
    o.directories = {dir};
    o.capacity_bytes = 8ULL << 20;
    o.file_prefix = "strata-executor-test";
    rt::FileByteStore store(o);
    files = store.files();
    for (const auto& f : files) EXPECT_TRUE(std::filesystem::exists(f));
    const auto policy = make_policy("uvm");
    rt::Executor e(w, cpu_local(v.peak_live_bytes / 2, 128 * KiB), &store, quick());
    rt::ReplayKernels replay(w);
    const rt::ExecutionResult r = e.run(*policy, replay.callbacks());
    EXPECT_GT(r.mover_bytes[static_cast<std::size_t>(rt::Link::host_to_store)], 0u);
    EXPECT_GT(r.mover_bytes[static_cast<std::size_t>(rt::Link::store_to_host)], 0u);
    expect_persistent_intact(w, e, replay);
  }
  for (const auto& f : files) EXPECT_FALSE(std::filesystem::exists(f)) << f;
}

TEST(RtExecutor, DemandFetchPathCountsWhatTheSimulatorCounts) {
  // w is used by k0 and k3; the plan evicts it to host after k0 and never prefetches it, so k3
  // fetches it on demand in every iteration. k1 lasts 20 ms, so the eviction (256 KiB) has
  // surely ended before anything needs w again.
  test::WorkloadBuilder b;
  const TensorId wt = b.tensor(256 * KiB, true);
  const TensorId a = b.tensor(64 * KiB);
  const TensorId c = b.tensor(64 * KiB);
  b.kernel(50'000, {wt}, {a});
  b.kernel(50'000, {a}, {c});
  b.kernel(50'000, {c}, {});
  b.kernel(50'000, {wt}, {});
  const Workload w = b.done();
  const Machine m = cpu_local(1ULL << 20, 1ULL << 20);
  Plan plan = make_empty_plan(w, "evict w", "hand-made");
  plan.kernels[0].after.push_back(Action::evict(wt, TierKind::host));
  const auto policy = make_policy("uvm");

  auto store = memory_store();
  rt::Executor e(w, m, store.get(), quick());
  rt::ReplayKernels replay(w);
  // k1's body takes 20 ms of real time, whatever the OS does to filled time.
  rt::KernelCallbacks cb = replay.callbacks();
  cb.run = [&](const rt::KernelCall& call) {
    replay.run(call);
    if (call.kernel->id == 1) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  };
  const rt::ExecutionResult r = e.run(plan, *policy, cb);
  const sim::Report predicted = sim::simulate(w, analyze_vitality(w), m, plan, *policy);

  EXPECT_EQ(r.report.demand_fetches, 1u);
  EXPECT_EQ(r.report.demand_fetch_bytes, 256 * KiB);
  EXPECT_EQ(r.report.demand_fetches, predicted.demand_fetches);
  EXPECT_EQ(r.report.demand_fetch_bytes, predicted.demand_fetch_bytes);
  EXPECT_EQ(r.report.victim_evictions, predicted.victim_evictions);
  EXPECT_EQ(r.report.plan_actions_ignored, predicted.plan_actions_ignored);
  EXPECT_GT(r.report.stall.demand_fetch_ns, 0);
  ASSERT_EQ(r.report.links.size(), predicted.links.size());
  for (std::size_t l = 0; l < r.report.links.size(); ++l) {
    EXPECT_EQ(r.report.links[l].to_slower_bytes, predicted.links[l].to_slower_bytes) << l;
    EXPECT_EQ(r.report.links[l].to_faster_bytes, predicted.links[l].to_faster_bytes) << l;
  }
  expect_persistent_intact(w, e, replay);

  // With a prefetch issued before k2 the fetch is planned, not demanded (a prefetch issued
  // right before the kernel that needs it would be demanded, as in the simulator).
  Plan prefetched = plan;
  prefetched.kernels[2].before.push_back(Action::prefetch(wt));
  rt::Executor e2(w, m, store.get(), quick());
  rt::ReplayKernels replay2(w);
  rt::KernelCallbacks cb2 = replay2.callbacks();
  cb2.run = [&](const rt::KernelCall& call) {
    replay2.run(call);
    if (call.kernel->id == 1) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  };
  const rt::ExecutionResult r2 = e2.run(prefetched, *policy, cb2);
  const sim::Report predicted2 = sim::simulate(w, analyze_vitality(w), m, prefetched, *policy);
  EXPECT_EQ(r2.report.demand_fetches, 0u);
  EXPECT_EQ(predicted2.demand_fetches, 0u);
  EXPECT_EQ(r2.report.links[0].to_faster_bytes, 256 * KiB);
  EXPECT_EQ(r2.report.links[0].to_faster_bytes, predicted2.links[0].to_faster_bytes);
  EXPECT_EQ(r2.report.stall.demand_fetch_ns, 0);
  expect_persistent_intact(w, e2, replay2);
}

TEST(RtExecutor, LruVictimsWhenNothingIsPlanned) {
  const Workload w = training_step(20'000);
  const Vitality v = analyze_vitality(w);
  auto store = memory_store();
  rt::Executor e(w, cpu_local(v.peak_live_bytes / 2, 16ULL << 20), store.get(), quick());
  rt::ReplayKernels replay(w);
  const rt::ExecutionResult r = e.run(*make_policy("uvm"), replay.callbacks());
  EXPECT_GT(r.report.victim_evictions, 0u);
  EXPECT_GT(r.report.demand_fetches, 0u);
  EXPECT_LE(r.report.tiers[0].peak_bytes, v.peak_live_bytes / 2);
  expect_persistent_intact(w, e, replay);
}

TEST(RtExecutor, RecomputeReRunsTheProducer) {
  // a is produced by k0 from w, used by k1 and k3; the plan releases it after k1 and recomputes
  // it before k3.
  test::WorkloadBuilder b;
  const TensorId wt = b.tensor(64 * KiB, true);
  const TensorId a = b.tensor(64 * KiB);
  const TensorId c = b.tensor(64 * KiB);
  b.kernel(20'000, {wt}, {a});
  b.kernel(20'000, {a}, {c});
  b.kernel(20'000, {c}, {});
  b.kernel(20'000, {a, wt}, {wt});
  const Workload w = b.done();
  const Machine m = cpu_local(1ULL << 20, 1ULL << 20);
  Plan plan = make_empty_plan(w, "recompute a", "hand-made");
  plan.kernels[1].after.push_back(Action::release(a));
  plan.kernels[3].before.push_back(Action::recompute(a));
  validate(plan, w, m);
  std::vector<std::pair<KernelId, bool>> calls;
  rt::ReplayKernels replay(w);
  rt::KernelCallbacks cb = replay.callbacks();
  cb.run = [&](const rt::KernelCall& call) {
    calls.emplace_back(call.kernel->id, call.recompute);
    replay.run(call);
  };
  rt::Executor e(w, m, nullptr, quick(1));
  const rt::ExecutionResult r = e.run(plan, *make_policy("uvm"), cb);
  const std::vector<std::pair<KernelId, bool>> expected = {
      {0, false}, {1, false}, {2, false}, {0, true}, {3, false}};
  EXPECT_EQ(calls, expected);
  EXPECT_EQ(r.report.recomputes, 1u);
  EXPECT_GT(r.report.recompute_ns, 0);
  expect_persistent_intact(w, e, replay);
}

TEST(RtExecutor, ProfilingPlansTheMeasuredWorkload) {
  // The workload says every kernel takes 1 us; kernel 2 really takes 3 ms. The profiled
  // workload must say so, and the plan must be the policy's plan of the profiled workload.
  Workload w = training_step(1'000);
  const Vitality v = analyze_vitality(w);
  const Machine m = cpu_local(v.peak_live_bytes * 3 / 5, 16ULL << 20);
  rt::ReplayKernels replay(w);
  rt::KernelCallbacks cb = replay.callbacks();
  cb.run = [&](const rt::KernelCall& call) {
    replay.run(call);
    if (call.kernel->id == 2) std::this_thread::sleep_for(std::chrono::milliseconds(3));
  };
  rt::ExecutorOptions o = quick(3);
  o.profile_first_iteration = true;
  auto store = memory_store();
  rt::Executor e(w, m, store.get(), o);
  const auto policy = make_policy("strata");
  const rt::ExecutionResult r = e.run(*policy, cb);
  ASSERT_TRUE(r.profiled.has_value());
  EXPECT_GE(r.profiled->kernels[2].duration_ns, 3'000'000);
  EXPECT_LT(r.profiled->kernels[3].duration_ns, 3'000'000);
  EXPECT_EQ(r.plan, policy->plan(*r.profiled, analyze_vitality(*r.profiled), m));
  EXPECT_EQ(r.report.ideal_ns, ideal_ns(*r.profiled));
  EXPECT_EQ(r.kernel_ns.size(), w.kernels.size());
  expect_persistent_intact(w, e, replay);
}

TEST(RtExecutor, CorruptedBytesFailTheRunNamingTensorKernelAndIteration) {
  const Workload w = training_step(10'000);
  const Vitality v = analyze_vitality(w);
  rt::ReplayKernels replay(w);
  rt::KernelCallbacks cb = replay.callbacks();
  cb.run = [&](const rt::KernelCall& call) {
    replay.run(call);
    if (call.kernel->id == 1 && call.iteration == 1) call.outputs[0].data[100] ^= std::byte{1};
  };
  auto store = memory_store();
  rt::Executor e(w, cpu_local(v.peak_live_bytes / 2, 16ULL << 20), store.get(), quick());
  try {
    e.run(*make_policy("uvm"), cb);
    FAIL() << "corruption went unnoticed";
  } catch (const IoError& err) {
    const std::string what = err.what();
    EXPECT_NE(what.find(w.tensors[w.kernels[1].outputs[0]].name), std::string::npos) << what;
    EXPECT_NE(what.find("kernel 2 (k2)"), std::string::npos) << what;
    EXPECT_NE(what.find("iteration 2"), std::string::npos) << what;
  }
}

/// Runs `w` under uvm with little host memory so that evictions go to `store`; expects the run
/// to throw E with `needle` in its message and every persistent tensor intact.
template <typename E>
void expect_store_fault(rt::ByteStore& store, const std::string& needle) {
  const Workload w = training_step(10'000);
  const Vitality v = analyze_vitality(w);
  rt::Executor e(w, cpu_local(v.peak_live_bytes / 2, 64 * KiB), &store, quick());
  rt::ReplayKernels replay(w);
  try {
    e.run(*make_policy("uvm"), replay.callbacks());
    FAIL() << "the fault did not stop the run";
  } catch (const E& err) {
    const std::string what = err.what();
    EXPECT_NE(what.find(needle), std::string::npos) << what;
    EXPECT_NE(what.find("kernel"), std::string::npos) << what;
    EXPECT_NE(what.find("intact"), std::string::npos) << what;
  }
  expect_persistent_intact(w, e, replay);
}

TEST(RtExecutor, FullStoreStopsTheRunAndLosesNothing) {
  auto store = memory_store(128 * KiB);  // two activations' worth
  expect_store_fault<OutOfMemory>(*store, "store is full");
}

TEST(RtExecutor, FailedWriteStopsTheRunAndLosesNothing) {
  auto store = memory_store();
  int writes = 0;
  store->set_fault_injector(
      [&](const rt::FaultSite& s) { return s.op == rt::IoOp::write && ++writes == 7; });
  expect_store_fault<IoError>(*store, "evicting");
}

TEST(RtExecutor, FailedReadStopsTheRunAndLosesNothing) {
  auto store = memory_store();
  int reads = 0;
  store->set_fault_injector(
      [&](const rt::FaultSite& s) { return s.op == rt::IoOp::read && ++reads == 3; });
  expect_store_fault<IoError>(*store, "fetching");
}

TEST(RtExecutor, FailedFileWriteRemovesTheFiles) {
  STRATA_REQUIRE_DIRECT_IO_DIR(dir);
  std::vector<std::filesystem::path> files;
  {
    rt::FileByteStoreOptions o;
    o.directories = {dir, dir};
    o.capacity_bytes = 8ULL << 20;
    o.stripe_bytes = 64 * KiB;
    o.file_prefix = "strata-executor-fault";
    rt::FileByteStore store(o);
    files = store.files();
    int writes = 0;
    store.set_fault_injector(
        [&](const rt::FaultSite& s) { return s.op == rt::IoOp::write && ++writes == 5; });
    expect_store_fault<IoError>(store, "evicting");
  }
  for (const auto& f : files) EXPECT_FALSE(std::filesystem::exists(f)) << f;
}

TEST(RtExecutor, CancelFromAnotherThreadStopsMidIteration) {
  const Workload w = training_step(1'000'000);  // 1 ms kernels, ~11 ms per iteration
  const Vitality v = analyze_vitality(w);
  auto store = memory_store();
  rt::Executor e(w, cpu_local(v.peak_live_bytes / 2, 16ULL << 20), store.get(), quick(50));
  rt::ReplayKernels replay(w);
  std::jthread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    e.cancel();
  });
  const auto start = std::chrono::steady_clock::now();
  try {
    e.run(*make_policy("uvm"), replay.callbacks());
    FAIL() << "not cancelled";
  } catch (const Cancelled& err) {
    EXPECT_NE(std::string(err.what()).find("cancelled at kernel"), std::string::npos) << err.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  expect_persistent_intact(w, e, replay);
}

TEST(RtExecutor, StopTokenCancels) {
  const Workload w = training_step(1'000'000);
  std::stop_source source;
  rt::ExecutorOptions o = quick(50);
  o.stop = source.get_token();
  rt::Executor e(w, cpu_local(16ULL << 20, 16ULL << 20), nullptr, o);
  rt::ReplayKernels replay(w);
  rt::KernelCallbacks cb = replay.callbacks();
  cb.run = [&](const rt::KernelCall& call) {
    replay.run(call);
    if (call.iteration == 1 && call.kernel->id == 5) source.request_stop();
  };
  EXPECT_THROW(e.run(*make_policy("ideal"), cb), Cancelled);
  expect_persistent_intact(w, e, replay);
}

TEST(RtExecutor, WorkingSetLargerThanFastTierIsRefusedUpFront) {
  const Workload w = training_step();
  try {
    rt::Executor e(w, cpu_local(200 * KiB, 16ULL << 20), nullptr, quick());
    FAIL() << "accepted a fast tier smaller than a kernel's working set";
  } catch (const OutOfMemory& err) {
    const std::string what = err.what();
    EXPECT_NE(what.find("kernel 1 (k1)"), std::string::npos) << what;
    EXPECT_NE(what.find("--fast-capacity"), std::string::npos) << what;
  }
}

TEST(RtExecutor, NoRoomToEvictIsAClearError) {
  // No SSD store and a host tier too small for any victim.
  const Workload w = training_step(10'000);
  const Vitality v = analyze_vitality(w);
  rt::Executor e(w, cpu_local(v.peak_live_bytes / 2, 4 * KiB), nullptr, quick());
  rt::ReplayKernels replay(w);
  try {
    e.run(*make_policy("uvm"), replay.callbacks());
    FAIL() << "ran without room for its victims";
  } catch (const OutOfMemory& err) {
    EXPECT_NE(std::string(err.what()).find("no room to evict"), std::string::npos) << err.what();
  }
  expect_persistent_intact(w, e, replay);
}

TEST(RtExecutor, TimelineHasKernelsAndCopies) {
  const Workload w = training_step(20'000);
  const Vitality v = analyze_vitality(w);
  rt::ExecutorOptions o = quick(2);
  o.record_timeline = true;
  auto store = memory_store();
  const Machine m = cpu_local(v.peak_live_bytes / 2, 16ULL << 20);
  rt::Executor e(w, m, store.get(), o);
  rt::ReplayKernels replay(w);
  const rt::ExecutionResult r = e.run(*make_policy("uvm"), replay.callbacks());
  EXPECT_EQ(r.report.timeline.tracks.size(), 1 + 2 * m.links.size());
  std::size_t kernels = 0, copies = 0;
  for (const sim::TimelineSpan& s : r.report.timeline.spans) {
    EXPECT_GE(s.duration_ns, 0);
    (s.track == 0 ? kernels : copies) += 1;
  }
  EXPECT_EQ(kernels, w.kernels.size());
  EXPECT_GT(copies, 0u);
  EXPECT_NE(sim::timeline_to_chrome_json(r.report.timeline, "t").find("traceEvents"),
            std::string::npos);
}

TEST(RtExecutor, BadOptions) {
  const Workload w = training_step();
  const Machine m = cpu_local(16ULL << 20, 16ULL << 20);
  rt::ExecutorOptions o;
  o.iterations = 0;
  EXPECT_THROW(rt::Executor(w, m, nullptr, o), InvalidInput);
  o.iterations = 1;
  o.profile_first_iteration = true;
  EXPECT_THROW(rt::Executor(w, m, nullptr, o), InvalidInput);
  rt::Executor e(w, m, nullptr, quick(1));
  EXPECT_THROW(e.run(*make_policy("ideal"), rt::KernelCallbacks{}), InvalidInput);
}

}  // namespace
}  // namespace strata
