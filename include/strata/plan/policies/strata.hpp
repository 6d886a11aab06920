#pragma once
/// @file strata.hpp
/// @brief The `strata` policy: strata's own planner. It schedules every movement against the
/// residual bandwidth of each resource it crosses, splits evictions between host and SSD, and
/// refines the plan with the simulator in the loop. Behind the plan, victims are chosen by
/// farthest next use instead of LRU.
///
/// Note [strata planner]: four steps (docs/planner.md has the prose and a worked example).
/// 1. Timeline. The iteration is cut into slots, one per kernel's ideal span. For every
///    resource of the machine (each direction of each link and bus, each tier's read and write
///    side; sim::machine_resources) the planner keeps the bytes reserved in every slot. A
///    transfer's route is the simulator's own (sim::route_for), so a host and an SSD transfer
///    that share a PCIe port compete there and nowhere else, and an SSD that writes slower than
///    it reads is booked at its write rate for evictions and its read rate for prefetches. The
///    timeline is cyclic: a persistent tensor's idle period may run into the next iteration.
/// 2. Choice (a Belady sweep). Kernels are visited in order; while the estimated device bytes
///    at kernel k exceed the line (GPU memory x memory_fraction), the planner takes, among the
///    inactive periods spanning k, the one whose next use is farthest away (the most memory
///    freed per byte moved), to whichever lower tier frees it over k for longer: the eviction
///    is booked as soon as possible after the last use, the prefetch as late as the residual
///    fetch bandwidth allows before the next use (with `prefetch_margin` spare). First only
///    periods out of GPU memory by k on the ideal clock count; if k is still over, a second pass
///    takes periods whose eviction ends later (k will wait, but the eviction bandwidth is busy
///    from the last use on). Host capacity is booked per slot.
/// 3. Prefetch lead. Each prefetch then moves earlier while the memory estimate has room, up
///    to `max_lead` times its own transfer time, so contention the timeline could not foresee
///    has slack to absorb.
/// 4. Refinement (the simulator in the loop). The plan is simulated with a timeline; every
///    stalled kernel is traced to its cause (a late prefetch, a demand fault of a tensor, or
///    eviction backpressure) and repairs are proposed in groups: (a) move the prefetch earlier
///    (or drop a movement whose prefetch cannot move), prefetch a faulted tensor back in time,
///    evict one more idle tensor; (b) defer evictions that competed for the bus with the ones
///    the kernel waited for; (c) send an eviction to the other tier. A group is applied as one
///    batch and re-simulated; a batch is kept only if the iteration got faster, else halved
///    down to single repairs. It stops when nothing improves, at ideal, or at the budget.
///    With recompute on, a period may also be released and its tensor recomputed by re-running
///    its forward producer from resident, unchanged sources (Note [strata recompute] in
///    src/plan/policies/strata_recompute.hpp): the sweep runs once with movements only and once
///    per recompute rule (cheap operators or any forward kernel; single-kernel recomputes or
///    with intermediates), refinement starts from the fastest and continues from the next
///    while budget is left, and (r) turns a late prefetch,
///    a faulted tensor or an eviction a kernel waited for into a recompute where the producer
///    takes less than the stall (tried after (a) and (b), before (c)).
/// Everything is deterministic (no clock, no randomness); rates and capacities come from the
/// Machine only.
///
/// Note [strata on several GPUs]: in a data-parallel run every GPU runs its own copy of the
/// workload, and GPUs behind one PCIe switch share its uplink (and the host's memory bus, the
/// SSD lanes). A plan made for one GPU and copied to all assumes bandwidth each GPU only gets a
/// share of, so the copies' prefetches all miss their deadlines together. plan_strata_gpus
/// plans the GPUs jointly instead:
/// - one bandwidth timeline for all of them: a GPU's own port is a resource only its transfers
///   cross, the switch uplink one that every GPU's transfers book, so a slot of the uplink that
///   GPU 0 booked is not there for GPU 1; the host tier's capacity is booked for all GPUs too;
/// - the sweep visits kernels in order and, at each kernel, lets each GPU in turn bring it
///   under its line, the GPU that goes first rotating with the kernel, so that no GPU always
///   gets the bandwidth first. A later GPU finds the slots right after a tensor's last use
///   taken and chooses differently (another tensor whose eviction can still finish in time, the
///   other tier, a recompute, a later slot): the GPUs' transfers are staggered by construction,
///   each against deadlines it can meet on what the others left;
/// - refinement simulates all GPUs together, diagnoses each GPU's stalls on its own timeline
///   tracks (its compute track, its links' transfer tracks), proposes repairs to that GPU's
///   movements (the slowest GPU's first) and keeps a batch when the slowest GPU got faster, or
///   it is as fast and the GPUs' iterations summed are shorter.
/// With one GPU this is exactly the single-GPU planner. The budget counts every GPU's kernels
/// simulated, so a 4-GPU run gets a quarter of the simulations.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "strata/plan/policy.hpp"

namespace strata {

/// @brief The planner's own knobs (not properties of the machine).
struct StrataOptions {
  /// Plan until every kernel's estimated device bytes are at most this fraction of GPU memory.
  double memory_fraction = 0.99;
  /// A prefetch is booked as if it moved (1 + prefetch_margin) x its bytes.
  double prefetch_margin = 0.25;
  /// A prefetch moves earlier while memory has room, up to this many times its own uncontended
  /// transfer time ahead of its use.
  double max_lead = 3.0;
  /// Refinement: at most this many simulations (the first, of the unrefined plan, included);
  /// 0 = no simulation at all, 1 = simulate but do not repair.
  std::uint32_t max_simulations = 64;
  /// Refinement budget in simulated kernels (simulations x kernels per iteration), so that a
  /// larger workload gets fewer simulations: planning time stays bounded, deterministically.
  std::uint64_t max_simulated_kernels = 60'000;
  /// Refinement stops early once the plan is this close to ideal (fraction of ideal).
  double good_enough = 0.999999;
  /// Recompute tensors instead of moving them where that is cheaper (Note [strata recompute] in
  /// src/plan/policies/strata_recompute.hpp; docs/planner.md). false: movements only.
  bool recompute = true;
  /// With recompute: any forward kernel may be re-run, matrix products and convolutions too
  /// (Note [recompute producers] in src/plan/policies/strata.cpp), where the cost tests find it
  /// cheaper than the transfer; false: only the cheap operators of workload/recompute.hpp.
  bool recompute_any_forward = true;
  /// The sweep recomputes a period only if its producer takes at most this fraction of the
  /// tensor's uncontended transfer time on the fastest path (refinement compares with stalls).
  /// The widest rule sweeps three times, with this, a quarter and a sixteenth of it, and the
  /// simulator picks.
  double recompute_max_cost = 1.0;
};

/// @brief What the planner decided and how refinement went, for tests, benches and docs.
struct StrataPlanStats {
  std::size_t periods = 0;            ///< inactive periods considered
  std::size_t evicted_to_host = 0;    ///< movements to host in the final plan
  std::size_t evicted_to_ssd = 0;     ///< movements to the SSD in the final plan
  std::size_t recomputed = 0;         ///< periods recomputed instead of moved in the final plan
  std::size_t kernels_over_line = 0;  ///< kernels the sweep could not bring under the line
  std::uint32_t simulations = 0;      ///< simulator runs during refinement
  std::uint32_t repairs_tried = 0;    ///< repairs proposed and simulated (in batches)
  std::uint32_t repairs_kept = 0;     ///< repairs in batches that made the iteration faster
  std::int64_t unrefined_ns = 0;      ///< simulated iteration time before refinement (0: none)
  std::int64_t refined_ns = 0;        ///< after refinement (0: none)
  /// Lower bound on the iteration time from transfer bandwidth: the bytes that must have left
  /// GPU memory before some kernel, at the device's total eviction bandwidth, then those of them
  /// needed again, at its total fetch bandwidth (docs/planner.md; recomputable bytes excluded
  /// when recompute is on).
  std::int64_t eviction_bound_ns = 0;
};

/// @brief A plan and how it was reached.
struct StrataPlanResult {
  Plan plan;
  StrataPlanStats stats;
};

/// @brief Plans for several GPUs (element i for GPU first_gpu + i) and how they were reached;
/// the stats' counts are sums over the GPUs, the times the slowest GPU's.
struct StrataGpuPlans {
  std::vector<Plan> plans;
  StrataPlanStats stats;
};

class StrataPolicy;

/// @brief Runs the planner of Note [strata planner] for `w` on GPU 0 of `m`. `victims` is the
/// policy whose choose_victim the refinement's simulations use (normally the StrataPolicy that
/// calls this). Throws InvalidInput if the workload does not fit in GPU memory and the machine
/// has neither a host nor an SSD tier linked to the GPU.
StrataPlanResult plan_strata(const Workload& w, const Vitality& v, const Machine& m,
                             const Policy& victims, const StrataOptions& options = {});

/// @brief The planner for a data-parallel run on GPUs first_gpu .. first_gpu + gpu_count - 1
/// of `m`, each running a copy of `w`: Note [strata on several GPUs]. With one GPU, the plan of
/// plan_strata for that GPU. Throws InvalidInput for GPUs the machine lacks, Unsupported for GPUs
/// that differ in memory or tiers.
StrataGpuPlans plan_strata_gpus(const Workload& w, const Vitality& v, const Machine& m,
                                const Policy& victims, GpuId first_gpu, std::uint32_t gpu_count,
                                const StrataOptions& options = {});

/// @brief strata's planner with farthest-next-use demand paging behind it.
///
/// Note [strata victims]: when the simulator must free GPU memory the plan did not free, the
/// victim is the candidate whose next use (after the waiting kernel, wrapping around the
/// iteration for persistent tensors) is farthest away, ties by larger size, then lower id
/// (Belady's choice; LRU only for a kernel plan() has not seen). plan() records each tensor's
/// uses in the policy object for that, as DeepUmPolicy records its window.
class StrataPolicy final : public Policy {
 public:
  explicit StrataPolicy(StrataOptions options = {}) : options_(options) {}
  std::string name() const override { return "strata"; }
  Plan plan(const Workload& w, const Vitality& v, const Machine& m) const override;
  /// @brief One plan per GPU, made together (Note [strata on several GPUs]).
  std::vector<Plan> plans(const Workload& w, const Vitality& v, const Machine& m, GpuId first_gpu,
                          std::uint32_t gpu_count) const override;
  std::optional<std::size_t> choose_victim(const VictimRequest& r) const override;

  /// @brief Records the uses choose_victim needs (plan() calls it).
  void learn(const Workload& w, const Vitality& v) const;
  const StrataOptions& options() const { return options_; }

 private:
  StrataOptions options_;
  mutable std::size_t kernels_ = 0;
  mutable std::vector<std::vector<KernelId>> uses_;  ///< per tensor, ascending
  mutable std::vector<bool> persistent_;
};

}  // namespace strata
