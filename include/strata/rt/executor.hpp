#pragma once
/// @file executor.hpp
/// @brief Runs a Workload iteration after iteration under a Plan on real memory: the device
/// arena (HostArena on a CPU machine), pinned host memory and a ByteStore for the SSD tier, with
/// copies on the Mover. Reports in the simulator's Report shape, so predicted and measured
/// numbers print side by side.
///
/// Note [executor model]: the executor mirrors the simulator (Note [simulator model] in
/// sim/simulator.hpp) in real time, so that the simulator can predict it:
/// - Before kernel k the plan's `before[k]` actions are issued, after it `after[k]`; issuing
///   never waits. prefetch = a copy toward the arena (an unborn tensor is allocated instead);
///   evict = a copy out of the arena, whose block is freed when the copy is done; release frees
///   at once, or when an in-flight copy finishes. Hints that do not apply are ignored and counted.
/// - Kernel k starts when everything it uses is in the arena and its workspace is allocated. A
///   tensor elsewhere is fetched on demand (counted as a demand fetch); a tensor being evicted
///   has its eviction cancelled if it is still queued, or keeps its arena copy when the eviction
///   finishes; an unborn tensor is allocated.
/// - Arena space goes to the running kernel's needs first, then to plan prefetches first in,
///   first out. When requests exceed the free bytes plus the bytes of evictions in flight,
///   victims are chosen with Policy::choose_victim (LRU by default) among arena-resident tensors
///   the kernel does not use, and evicted to host if it has room, else to the SSD tier.
/// - Capacities are the machine's tier capacities, counted in tensor bytes as the simulator
///   counts them; the resources underneath get headroom for alignment and fragmentation.
/// - Stalls: the time from "kernel k may start" to its start, split by what it waited for at
///   each moment (a demand fetch, else a plan prefetch, else space).
/// - While a kernel runs (its callback, then the rest of its duration_ns when
///   ExecutorOptions::fill_kernel_duration), the executor keeps reaping finished copies and
///   granting queued prefetches, as the simulator does between events.
/// - Device <-> SSD copies go between the arena and the store directly: on a CPU machine the
///   arena is host memory, which io_uring reads and writes with O_DIRECT (the cpu-local
///   preset's dram-disk link).
/// - recompute(t) re-runs t's producer's callback (KernelCall::recompute) with t as its only
///   output and the producer's recompute_inputs() as its inputs (its state updates, such as
///   batch norm's running statistics, are neither given nor needed), before the next kernel.
/// - Direct access: an operand resident in host memory that the plan lists in `direct` is given
///   to the kernel in place (host memory is addressable on a CPU machine).
/// Faults stop the run with an Error naming the kernel, iteration and tensor: a copy that
/// failed (IoError; a full store: OutOfMemory) rolls back so that the source copy stays valid;
/// cancel() or the stop token raise Cancelled at the next check (between kernels, while
/// waiting, while a kernel's time is filled out). After a failure every persistent tensor can
/// still be read back with read_tensor().

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <vector>

#include "strata/machine/machine.hpp"
#include "strata/plan/plan.hpp"
#include "strata/plan/policy.hpp"
#include "strata/rt/mover.hpp"
#include "strata/sim/report.hpp"
#include "strata/workload/workload.hpp"

namespace strata::rt {

class ByteStore;

/// @brief One operand of a kernel as its callback sees it: the tensor's bytes where they are.
struct TensorView {
  TensorId tensor = 0;
  std::byte* data = nullptr;  ///< nullptr for a 0-byte tensor
  std::uint64_t bytes = 0;
};

/// @brief One kernel (or a recompute of a tensor's producer) to run.
struct KernelCall {
  const Kernel* kernel = nullptr;
  std::uint32_t iteration = 0;          ///< from 0
  bool recompute = false;               ///< re-running the producer of outputs[0] only
  std::span<const TensorView> inputs;   ///< for a recompute, recompute_inputs(*kernel)
  std::span<const TensorView> outputs;  ///< a tensor both read and written is in both
};

/// @brief What the executor calls. `run` must be set.
struct KernelCallbacks {
  /// Fills a persistent tensor's first contents when it is placed (before iteration 0).
  std::function<void(TensorId, std::span<std::byte>)> initialize;
  /// Runs one kernel: reads its inputs, writes its outputs. May throw to stop the run.
  std::function<void(const KernelCall&)> run;
};

/// @brief How an Executor runs.
struct ExecutorOptions {
  std::uint32_t iterations = 3;  ///< >= 1 (>= 2 with profile_first_iteration)
  GpuId gpu = 0;                 ///< whose device tier the arena plays
  /// Sentinel's profiling: iteration 0 runs with an empty plan (demand fetching) and records
  /// each kernel's real duration; the policy then plans the measured workload and the other
  /// iterations run under that plan.
  bool profile_first_iteration = false;
  /// After a kernel's callback returns, wait out the rest of its duration_ns (replay).
  bool fill_kernel_duration = true;
  bool record_timeline = false;  ///< fill the steady-state iteration's timeline
  /// Touch every page of the arena before the first iteration (as cudaMalloc'ing it up front
  /// would), so that first-touch page faults do not slow (and, with profiling, distort) the
  /// first iteration. Costs the arena's size in resident memory from the start.
  bool prefault_arena = true;
  MoverOptions mover;
  /// Called after every iteration with its index and measured time (progress output).
  std::function<void(std::uint32_t iteration, std::int64_t iteration_ns)> on_iteration;
  std::stop_token stop;  ///< a stop request cancels the run like cancel()
};

/// @brief What a run measured.
struct ExecutionResult {
  sim::Report report;  ///< the same shape (and printer) as the simulator's
  Plan plan;           ///< the plan of the steady-state iteration
  /// With profiling: the workload with every kernel's measured duration (what was planned).
  std::optional<Workload> profiled;
  /// Steady-state iteration: each kernel's measured time, from its start to its end.
  std::vector<std::int64_t> kernel_ns;
  /// Steady-state iteration: time kernels ran beyond their duration_ns (callbacks slower than
  /// the time to fill); not part of the simulator's stall breakdown.
  std::int64_t kernel_overrun_ns = 0;
  /// Whole run: bytes the mover copied per link direction (Link order).
  std::array<std::uint64_t, kLinkCount> mover_bytes{};
};

namespace detail {
class ExecutionCore;
}

/// @brief Executes plans on real memory. See Note [executor model]. One run per Executor.
class Executor {
 public:
  /// @param w the workload (validated); kernels' duration_ns are the times to fill
  /// @param m the machine whose tier capacities the run honours: device tier of
  /// `options.gpu` (the arena), its host tier (pinned host memory), its SSD tier (`store`)
  /// @param store the SSD tier (nullptr: no SSD tier); must outlive the Executor
  /// Throws OutOfMemory if a kernel's working set exceeds the device tier (naming the kernel,
  /// bytes and what to do), InvalidInput for bad options.
  Executor(Workload w, Machine m, ByteStore* store, ExecutorOptions options);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  /// @brief Plans with `policy` (after a profiling iteration if asked) and runs.
  ExecutionResult run(const Policy& policy, const KernelCallbacks& callbacks);
  /// @brief Runs `plan` (validated against the workload and machine); `policy` chooses victims.
  ExecutionResult run(const Plan& plan, const Policy& policy, const KernelCallbacks& callbacks);
  /// @brief Thread-safe: the run stops with Cancelled at its next check.
  void cancel() noexcept { cancel_requested_.store(true, std::memory_order_relaxed); }
  /// @brief Copies a tensor's current bytes (wherever it is, waiting for nothing: call it when
  /// no run is in progress, e.g. after run() returned or threw). InvalidInput if it holds none.
  void read_tensor(TensorId t, std::span<std::byte> out) const;

 private:
  ExecutionResult run_impl(const Plan* plan, const Policy& policy,
                           const KernelCallbacks& callbacks);

  Workload w_;
  Machine m_;
  ByteStore* store_;
  ExecutorOptions options_;
  std::atomic<bool> cancel_requested_{false};
  bool ran_ = false;
  std::unique_ptr<detail::ExecutionCore> core_;
};

/// @brief Fast-tier bytes with which no tensor ever has to leave it: the workload's peak live
/// bytes (analysis/vitality.hpp), what the unlimited-memory reference needs on a real arena.
std::uint64_t unlimited_fast_capacity_bytes(const Workload& w);

}  // namespace strata::rt
