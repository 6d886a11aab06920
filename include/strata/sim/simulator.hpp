#pragma once
/// @file simulator.hpp
/// @brief Executes a Plan for a Workload on one GPU of a Machine and reports how long the
/// steady-state iteration takes and why.
///
/// Note [simulator model]: one compute stream per GPU runs the kernels in order, iteration
/// after iteration (SimOptions::iterations; the last is the steady state that is reported).
/// - Before kernel k starts, the plan's `before[k]` actions are issued; when it ends, its
///   `after[k]`. Issuing never waits. prefetch = a transfer from the tensor's tier to the device
///   over the link between them (route_for); an unborn tensor is allocated on the device
///   instead. evict = a transfer device -> host/ssd; the device copy is freed when it completes
///   (Residency `moving` holds both tiers until then). release frees at once, or when an
///   in-flight copy finishes. Hints that do not apply (evict of a tensor not on the device,
///   prefetch of one already there or on its way) are ignored and counted, as in G10.
/// - Kernel k starts when every tensor it reads or writes is resident on the device and its
///   workspace is allocated. A tensor on another tier is fetched on demand (a fault: handling
///   per batch of pages, sim/fault_model.hpp, plus the transfer, tensor-granular; or, with
///   FaultCost::measured and a kernel with measured times, the kernel starts no earlier than its
///   measured fault time after it first tried: Note [measured fault model]); a tensor
///   being evicted has its eviction cancelled; an unborn tensor is allocated. That is
///   KernelTiming::strata; under KernelTiming::g10 (the default for the policies on Unified
///   Memory, Policy::demand_paged_kernels) the kernel's compute overlaps the wait instead and it
///   ends at max(first try + fault handling + duration, arrival of its data): Note [kernel
///   timing] at KernelTiming.
/// - Device space is granted to requests in order: the running kernel's needs first, then plan
///   prefetches first-in first-out (a prefetch that does not fit waits, blocking later ones).
///   When requests exceed free space plus space already being freed, victims are chosen with
///   Policy::choose_victim among device-resident tensors that are neither moving nor used by the
///   current kernel nor waiting for space, and evicted to host if it has room, else to SSD.
/// - Non-persistent tensors are born on the device at first use and released after their last
///   use if the plan has not released them. Persistent tensors start where Plan::initial says.
/// - Stalls: the time from "kernel k may start" (k-1 ended, before[k] issued) to its start is
///   split by what it waited for at each moment: a demand fetch in flight, else a plan prefetch
///   in flight, else space (eviction backpressure; a demand fetch waiting for room counts here).
/// - Capacities are never exceeded: every grant checks them; with SimOptions::check_every_event
///   (default: on in debug builds) all tiers are re-summed and checked after every event, and
///   always at the end. A kernel whose own working set exceeds the device is infeasible.
/// - recompute(t) (Note [plan action timing]) re-runs t's producer on the compute stream before
///   the next kernel, for the producer's duration_ns: it waits, like a kernel, until the
///   producer's inputs are on the device (fetched on demand if not, counted as stalls) and t is
///   allocated there; any copy of t elsewhere is dropped. Only t is materialised (a producer's
///   other outputs are not rewritten). Its time is Report::recompute_ns.
/// - Direct access (Note [direct access] in plan.hpp): an operand resident in the tier the plan
///   names stays there; when the kernel starts, its bytes start crossing the link (toward the
///   device for an input, away for an output, both for one that is both) as transfers sharing
///   links and buses with everything else; the kernel ends at max(compute time, last such
///   transfer). The extra time is Report::direct_access_ns; the bytes count as link traffic.
/// - Data parallel (SimOptions::gpu_count > 1): every GPU runs its own copy of the workload
///   under its own plan: its own stream, device tier and residency of every tensor. Host and
///   SSD tiers (capacity included), links' buses and tiers' read/write sides are shared through
///   one transfer engine. Gradient all-reduce between GPUs is not modelled. See Note [report of
///   a data-parallel run] for what the report says.
/// - Dead tensors (Note [dead tensors] in plan/policy.hpp): freed at their last use, or, for a
///   policy that keeps them (uvm, deepum), left where they are across iterations: evicted with
///   a copy like any other, or dropped when chosen as a victim while not live.
/// Deterministic: no hash-map iteration, no wall clock; ties go by tensor id and issue order,
/// and GPUs are stepped in index order after every event.
///
/// Note [swap under Unified Memory]: the UVM driver makes room page by page: in one batch it
/// evicts a page and maps the incoming one in its frame, the evicted bytes crossing the link
/// toward host while the incoming ones cross toward the device (G10's BatcherEvent:
/// processAlloc evicts through selectEvictPTE and frees the frame at once, "PCIe transfer
/// instant"). Waiting for a whole victim tensor to be written out before any of its room is
/// reused would serialise the two directions. So under a policy on Unified Memory
/// (Policy::demand_paged_kernels) every eviction from the device, a victim's or the plan's (G10
/// frees pre-evicted pages batch by batch too), gives its device room back when it starts; its
/// bytes still flow to host or SSD at the link's rate and are accounted there. A fetch may take
/// that room at once (its bytes arrive as the evicted ones leave); a tensor or workspace
/// populated in place only as the evicted bytes vacate it (the stream wakes when enough have
/// left). The device tier counts the frames mapped, which never exceed its capacity. A prefetch
/// hint for a tensor on its way out is ignored (G10's guidedTransfer skips pages in transfer).
/// A kernel that needs a tensor the plan is evicting waits for the eviction to finish and then
/// faults the tensor back: G10 marks pre-evicted pages in transfer from the hint on, and a kernel
/// waits for pages in transfer. A victim's eviction, though, the kernel cancels, taking the room
/// back if it is still free (or else it finds the tensor once it is out): the driver takes a
/// victim page by page, only as many as the incoming pages need, so a victim tensor is mostly
/// still there when it is wanted again, where strata evicts a victim whole.
///
/// Note [faults first under Unified Memory]: the UVM driver services faults before prefetch
/// hints, and each kind of request in the order it came. G10's batcher fills every 50-page batch
/// from FIFO queues of pages in a fixed order: the plan's pre-evictions, then faulted pages, then
/// prefetches (BatcherEvent::execute: processPreevict, processPFFetch, processAlloc,
/// processPrefetch), so a fault never shares the link with a prefetch, a victim's pages go out
/// only in what the pre-evictions leave, and the pages of an earlier prefetch go before those of
/// a later one. Under a policy on Unified Memory demand fetches and the plan's evictions are
/// therefore one transfer class and prefetches and victim evictions a later one, every copy in
/// order behind the earlier ones of its class on its link direction (TransferClass, in_order;
/// Note [fluid max-min transfers]). Explicit copies (the other policies) are one class, sharing
/// max-min fairly, as copies on a runtime's copy engines may.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "strata/analysis/vitality.hpp"
#include "strata/machine/machine.hpp"
#include "strata/plan/plan.hpp"
#include "strata/plan/policy.hpp"
#include "strata/sim/report.hpp"
#include "strata/workload/workload.hpp"

namespace strata::sim {

/// @brief What a demand fetch (and a first touch under managed memory) costs.
enum class FaultCost : std::uint8_t {
  /// batches x the machine's batch latency, then the transfer (sim/fault_model.hpp); the default
  batches,
  /// kernels with measured page-fault times (Kernel::pf_times, G10 traces) pay G10's
  /// per-kernel performance model (Note [measured fault model] in sim/fault_model.hpp); other
  /// kernels and recomputes pay `batches`
  measured,
  /// as `measured`, with the kernel's times truncated to whole seconds as G10's simulator
  /// executes its model (Note [G10's executed fault model] in sim/fault_model.hpp): for kernels
  /// under a second, the faulted bytes at the link rates and no per-fault latency
  g10,
};

/// @brief When a kernel whose data arrives late runs. Note [kernel timing]:
/// - strata: a kernel starts when every tensor it uses is in place (and any fault handling it
///   owes is done) and then runs for its duration: what an explicit runtime does, whose kernels
///   wait on the copies they depend on.
/// - g10: a kernel's compute overlaps the arrival of its data; it ends at
///   max(first try + fault handling + duration, arrival of its last tensor), as G10's simulator
///   schedules a kernel that waited for pages (KernelBeginEvent: first_scheduled_time +
///   page_faulted_time, or the time all pages have arrived if later). Demand paging behaves so
///   when warps keep computing on pages already present while others fault. Fault handling
///   (first touches, demand fetches' per-batch latency, or the measured model's fault time) is
///   owed on top of the compute; the faulted bytes flow meanwhile. Its stalls are what the end
///   adds to the compute time; the waits that overlapped compute are taken back from their
///   reasons in proportion.
/// - policy (the default): g10 for a policy with Policy::demand_paged_kernels() (uvm, deepum,
///   g10, g10-plan), strata for the others.
enum class KernelTiming : std::uint8_t { policy, strata, g10 };

/// @brief The FaultCost named "batches", "measured" or "g10" (the command line's spelling);
/// InvalidInput naming the choices for any other name.
FaultCost fault_cost_from_name(std::string_view name);
/// @brief The KernelTiming named "policy", "strata" or "g10"; InvalidInput otherwise.
KernelTiming kernel_timing_from_name(std::string_view name);

struct SimOptions {
  std::uint32_t iterations = 3;  ///< >= 1; the last is the steady state reported
  GpuId gpu = 0;                 ///< which GPU of the machine runs the plan
  /// Data parallel: GPUs gpu .. gpu + gpu_count - 1 each run their own copy of the workload,
  /// sharing the host, SSDs and buses. 1 = one GPU.
  std::uint32_t gpu_count = 1;
  bool record_timeline = false;  ///< fill Report::timeline for the steady-state iteration
  /// Not the default: on the seven G10 workloads the measured model moves strata further from
  /// G10's published fractions overall (docs/fault_model.md, "Measured fault model").
  FaultCost fault_cost = FaultCost::batches;
  KernelTiming kernel_timing = KernelTiming::policy;
#ifdef NDEBUG
  bool check_every_event = false;
#else
  bool check_every_event = true;  ///< re-check every tier's capacity after every event
#endif
};

/// @brief The working-set check alone: the first kernel whose inputs + outputs + workspace
/// exceed the GPU's memory, as a reason string; empty if every kernel fits.
std::string working_set_shortfall(const Workload& w, const Machine& m, GpuId gpu);

/// @brief Simulates `plan` (made by `policy` for `w`) on GPU `options.gpu` of `m`, or the same
/// plan on each of `options.gpu_count` GPUs. Throws InvalidInput for options the machine cannot
/// serve (a GPU it lacks, more GPUs than it has, naming the machine) and for a plan that does
/// not validate against the workload and machine, and Unsupported for what the model does not
/// cover yet (a tier with no direct link to the device). An infeasible run is a Report with
/// feasible = false, not an exception.
Report simulate(const Workload& w, const Vitality& v, const Machine& m, const Plan& plan,
                const Policy& policy, const SimOptions& options = {});

/// @brief Data parallel: `plans[i]` runs on GPU options.gpu + i; plans.size() must equal
/// options.gpu_count (InvalidInput otherwise).
Report simulate(const Workload& w, const Vitality& v, const Machine& m, std::span<const Plan> plans,
                const Policy& policy, const SimOptions& options = {});

/// @brief Plans with `policy` (Policy::plans, one plan per GPU) and simulates the plans: what
/// `strata sim`, `compare` and `sweep` run for one (workload, machine, policy).
Report run_policy(const Workload& w, const Vitality& v, const Machine& m, const Policy& policy,
                  const SimOptions& options = {});

}  // namespace strata::sim
