#pragma once
/// @file policy.hpp
/// @brief The Policy interface: what decides where tensors live, ahead of time and at run time.
///
/// Note [plan-ahead and reactive policies]: a policy has two halves and may use either or both.
/// - plan(): called once per workload, before simulation or execution, with the vitality
///   analysis and the machine. It returns a Plan (data): initial placement and the actions
///   issued around each kernel. A pure plan-ahead policy (vDNN, FlashNeuron, `g10-plan:`) puts
///   all its intelligence here. A purely reactive one (UVM) returns an empty plan.
/// - choose_victim(): called by the simulator/runtime whenever GPU memory must be freed and the
///   plan has not done it (a fault, or a plan that under-estimated memory): the tensor to evict
///   among the candidates resident on the device and not in use by the running kernel. The
///   default is LRU (least recently used; ties by lower tensor id), which is what UVM does and
///   what G10 falls back to. A reactive policy (DeepUM, Sentinel) overrides it.
/// Both combine: G10 is a plan with LRU demand paging behind it; UVM is an empty plan plus LRU.
/// The executor does the same for every policy: issue the plan's actions for kernel k, wait for
/// what k needs, fault in whatever is missing (calling choose_victim as often as needed), run k.
/// Where the victim goes (host if it has room, else SSD) is the executor's decision, so that
/// capacity rules live in one place.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "strata/analysis/vitality.hpp"
#include "strata/machine/machine.hpp"
#include "strata/plan/plan.hpp"
#include "strata/workload/workload.hpp"

namespace strata {

/// @brief A tensor that may be evicted from GPU memory to make room.
struct EvictionCandidate {
  TensorId tensor = 0;
  std::uint64_t bytes = 0;
  std::int64_t last_access_ns = 0;  ///< when a kernel last used it (or it arrived), sim time
  std::int64_t arrived_ns = 0;      ///< when it last arrived on the device (fetched or allocated)
  /// Counts arrivals on the device: at equal arrived_ns, the lower arrived first.
  std::uint64_t arrival_seq = 0;
};

/// @brief Which time makes a candidate recently used. Note [recency under Unified Memory]: the
/// UVM driver sees no accesses, only the pages it migrates or populates, so its LRU list is
/// ordered by when each page last arrived on the GPU (G10's simulator likewise refreshes a page
/// only when it is allocated on the GPU: GPUPageTable::allocPTE). A runtime that launches the
/// kernels itself knows every use.
enum class Recency : std::uint8_t {
  last_access,  ///< a kernel's use refreshes it (LRU)
  arrival,      ///< only arriving on the device refreshes it (the UVM driver's LRU)
};

/// @brief What becomes of a non-persistent tensor after its last use in an iteration.
/// Note [dead tensors]: a runtime that knows lifetimes frees it there. CUDA Unified Memory
/// without hints does not know it is dead: its pages stay allocated at the same addresses
/// across iterations, are evicted and written back like live ones when room is needed, and the
/// tensor's first use in the next iteration faults them back (G10's Base UVM: no
/// pre-deallocation hints, evictions to host, GPUPageTable::selectEvictPTE with
/// EvcPolicy::LRU). DeepUM+ keeps them too but its eviction knows liveness: a victim that is
/// not live (before its first use or after its last in the current iteration) is dropped
/// without a copy (EvcPolicy::DEEPUM) and populated again at its next first touch.
enum class DeadTensors : std::uint8_t {
  freed,             ///< released at its last use (the default)
  kept,              ///< stays allocated; evicted with a copy like any other tensor
  dropped_on_evict,  ///< stays allocated until chosen as a victim, then dropped without a copy
};

/// @brief What the executor needs room for, and what it may evict.
struct VictimRequest {
  KernelId kernel = 0;                            ///< the kernel about to run
  std::uint64_t bytes_needed = 0;                 ///< bytes still to free
  std::span<const EvictionCandidate> candidates;  ///< resident, not used by `kernel`, not moving
  /// The room is for plan prefetches, not for what `kernel` itself waits for. A policy may
  /// decline (nullopt) to evict for a prefetch; the prefetch then waits for room.
  bool for_prefetch = false;
};

/// @brief Decides where tensors live. See Note [plan-ahead and reactive policies].
class Policy {
 public:
  virtual ~Policy() = default;
  /// @brief The spec this policy was made from ("ideal", "g10-plan:../shared/g10/BERT-256").
  virtual std::string name() const = 0;
  /// @brief The plan for one iteration of `w` on `m` (one GPU's view; see Note [plan tiers]).
  virtual Plan plan(const Workload& w, const Vitality& v, const Machine& m) const = 0;
  /// @brief One plan per GPU for a data-parallel run on GPUs first_gpu .. first_gpu +
  /// gpu_count - 1 of `m` (element i is for GPU first_gpu + i); each GPU runs its own copy of
  /// the workload. A policy that knows the GPUs share buses may stagger them (vdnn-multi,
  /// strata). Default: gpu_count copies of plan().
  virtual std::vector<Plan> plans(const Workload& w, const Vitality& v, const Machine& m,
                                  GpuId first_gpu, std::uint32_t gpu_count) const;
  /// @brief Index into `r.candidates` of the tensor to evict next, or nullopt if there is none.
  /// Default: least recently used by recency() (smallest time, then smallest tensor id).
  virtual std::optional<std::size_t> choose_victim(const VictimRequest& r) const;
  /// @brief The recency the default choose_victim orders by: Recency::arrival for the policies
  /// on Unified Memory (demand_paged_kernels()), else Recency::last_access. Note [recency under
  /// Unified Memory].
  Recency recency() const {
    return demand_paged_kernels() ? Recency::arrival : Recency::last_access;
  }
  /// @brief What becomes of a tensor after its last use (Note [dead tensors]). Default: freed.
  virtual DeadTensors dead_tensors() const { return DeadTensors::freed; }
  /// @brief Whether GPU memory is managed (CUDA Unified Memory / HMM): a tensor the running
  /// kernel touches before anything allocated it is populated page by page on the device, each
  /// batch of faults costing the machine's fault-handling latency (sim/fault_model.hpp), as
  /// G10's simulator charges Base UVM and DeepUM+; after the first iteration only if the
  /// workload's tensors do not all fit on the device at once (Note [first touch once],
  /// docs/fault_model.md). A policy that allocates explicitly (cudaMalloc, or a plan's prefetch
  /// of an unborn tensor) returns false, the default.
  virtual bool first_touch_faults() const { return false; }
  /// @brief Whether kernels run on demand-paged memory (CUDA Unified Memory / HMM, with or
  /// without hints): a kernel is launched when its turn comes and computes on the pages that are
  /// there while the others arrive, so it ends at max(first try + fault handling + duration,
  /// arrival of its last tensor), as G10's simulator times it (sim::KernelTiming::g10). The
  /// driver swaps page by page, so an evicted tensor's room is reused while its bytes are still on
  /// their way out (Note [swap under Unified Memory] in sim/simulator.hpp), and it orders victims
  /// by Recency::arrival. A policy whose runtime copies explicitly and launches a kernel once its
  /// inputs are in place returns false, the default.
  virtual bool demand_paged_kernels() const { return false; }
  /// @brief Whether the policy is the unlimited-memory reference: sim::run_policy then gives
  /// every GPU unbounded memory, so the result is the ideal time whatever the workload's size.
  virtual bool unlimited_device_memory() const { return false; }
};

/// @brief The LRU choice behind Policy::choose_victim, for policies that extend it: the
/// candidate with the smallest time by `recency`, then the smallest tensor id.
std::optional<std::size_t> choose_lru_victim(const VictimRequest& r,
                                             Recency recency = Recency::last_access);
/// @brief LRU among the candidates `spare` does not reject (spare(tensor) == true keeps it);
/// nullopt if every candidate is spared.
std::optional<std::size_t> choose_lru_victim(const VictimRequest& r, Recency recency,
                                             const std::function<bool(TensorId)>& spare);

/// @brief The tensors to evict, in order, when the device is `demand_short_by` bytes short of
/// room for what `kernel` itself waits for and `short_by` (>= demand_short_by) short in all, the
/// rest being for plan prefetches: `policy.choose_victim` is asked for the kernel's room first,
/// then with VictimRequest::for_prefetch, each pick leaving the candidates, until the room is
/// covered, the candidates run out or the policy declines. What the simulator and the runtime
/// both evict by.
std::vector<TensorId> choose_victims(const Policy& policy, KernelId kernel,
                                     std::vector<EvictionCandidate> candidates,
                                     std::uint64_t demand_short_by, std::uint64_t short_by);

/// @brief Unlimited GPU memory: every tensor on the device all the time, no actions. The
/// reference every other policy is compared with.
class IdealPolicy final : public Policy {
 public:
  std::string name() const override { return "ideal"; }
  bool unlimited_device_memory() const override { return true; }
  Plan plan(const Workload& w, const Vitality& v, const Machine& m) const override;
};

/// @brief Replays G10's own plan (g10_plan.txt, io/g10_plan.hpp) with LRU demand paging behind
/// it, as G10's simulator does.
class G10PlanPolicy final : public Policy {
 public:
  /// @param path a G10 workload folder (its g10_plan.txt is used) or a g10_plan.txt file
  explicit G10PlanPolicy(std::string path) : path_(std::move(path)) {}
  std::string name() const override { return "g10-plan:" + path_; }
  Plan plan(const Workload& w, const Vitality& v, const Machine& m) const override;
  /// G10 runs on Unified Memory with hints.
  bool demand_paged_kernels() const override { return true; }

 private:
  std::string path_;
};

/// @brief The policy specs make_policy() knows, with a one-line description each.
std::vector<std::pair<std::string, std::string>> known_policies();

/// @brief The specs of every policy that needs no argument ("ideal", "uvm", ...), in the
/// registry's order: what `strata compare` runs by default.
std::vector<std::string> comparable_policies();

/// @brief Makes a policy from a spec: "ideal", "g10-plan:<folder or file>". An unknown spec
/// throws InvalidInput listing the known ones.
std::unique_ptr<Policy> make_policy(std::string_view spec);

}  // namespace strata
