#pragma once
/// @file plan.hpp
/// @brief A Plan: where every tensor starts and which data movements are issued around each
/// kernel. Plain data: printed, saved as JSON (io/plan_json.hpp), diffed, simulated, executed.
///
/// Note [plan tiers]: a plan names tiers by TierKind (device, host, ssd, pmem), not by TierId.
/// A plan is made for one GPU's iteration; `device` is the memory of whichever GPU runs it,
/// `host` the machine's host tier, `ssd`/`pmem` the machine's tier of that kind (the first one
/// where there are several; SSD striping lives inside one Tier). This keeps a plan portable
/// between machines with the same kinds of tiers (G10's own plans say only "In_cpu"/"In_ssd"),
/// lets one plan drive every GPU of a data-parallel node, and makes diffs between plans made for
/// different presets meaningful. resolve_tier() turns a kind into the TierId a simulator uses.
///
/// Note [plan action timing]: actions in `before` of kernel k are issued when kernel k is about
/// to start (after kernel k-1 ended), in list order; actions in `after` are issued as soon as
/// kernel k ends, before kernel k+1's `before`. Issuing starts a movement; it does not wait for
/// it. Kernel k waits only for the tensors it uses. `after` of the last kernel is the end of the
/// iteration; the next iteration starts from where this one left every persistent tensor.
///
/// Action meanings (`to` is where the tensor ends up):
/// - prefetch(t, device): bring t into GPU memory; for a tensor not yet born, allocate it there.
/// - evict(t, host|ssd|pmem): copy t out of GPU memory and free it there when the copy is done.
/// - release(t): t is dead; free it wherever it is (no copy). `to` is unused and must be device.
/// - recompute(t): re-run t's producer instead of fetching t; t ends up in GPU memory. It runs
///   on the compute stream before the next kernel (the kernel of a `before` list, the one after
///   the kernel of an `after` list). A tensor that will be recomputed may be released while it
///   is still live: validate() accepts a release before the tensor's last use only if a
///   recompute of it follows, at or before its next use.
///
/// Note [recompute intermediates]: a recompute re-runs one producer, so its inputs must be live.
/// One exception makes two-kernel recomputes possible (batch norm then ReLU, from the
/// convolution output that is still live): in `before` of kernel k, a tensor already dead may be
/// recomputed if a later recompute in the same list reads it and `after` of k releases it. It
/// then exists only while k's recomputes run and k itself runs.
///
/// Note [direct access]: `KernelActions::direct` lists tensors the kernel reads (and, if it
/// writes them, writes) in place in a slower tier over a link with `direct_access` (zero-copy
/// host memory over PCIe, a CPU loading from Optane) instead of having them in device memory.
/// If the tensor is resident in that tier when the kernel starts, it stays there and its bytes
/// cross the link while the kernel runs; otherwise (on the device, or elsewhere) it is treated
/// as an ordinary operand.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "strata/machine/machine.hpp"
#include "strata/workload/workload.hpp"

namespace strata {

enum class ActionKind : std::uint8_t { prefetch, evict, release, recompute };

std::string_view to_string(ActionKind k);
/// @brief Parses "prefetch", "evict", "release" or "recompute"; throws InvalidInput listing them.
ActionKind parse_action_kind(std::string_view text);

/// @brief One data movement. See Note [plan action timing].
struct Action {
  ActionKind kind = ActionKind::prefetch;
  TensorId tensor = 0;
  TierKind to = TierKind::device;

  static Action prefetch(TensorId t) { return {ActionKind::prefetch, t, TierKind::device}; }
  static Action evict(TensorId t, TierKind to) { return {ActionKind::evict, t, to}; }
  static Action release(TensorId t) { return {ActionKind::release, t, TierKind::device}; }
  static Action recompute(TensorId t) { return {ActionKind::recompute, t, TierKind::device}; }

  friend bool operator==(const Action&, const Action&) = default;
  friend auto operator<=>(const Action&, const Action&) = default;
};

/// @brief A kernel reads (and writes, if it is an output) `tensor` in place in `tier`. See
/// Note [direct access].
struct DirectAccess {
  TensorId tensor = 0;
  TierKind tier = TierKind::host;  ///< never device

  friend bool operator==(const DirectAccess&, const DirectAccess&) = default;
  friend auto operator<=>(const DirectAccess&, const DirectAccess&) = default;
};

/// @brief The actions issued around one kernel.
struct KernelActions {
  std::vector<Action> before;        ///< issued when the kernel is about to start
  std::vector<Action> after;         ///< issued when the kernel has ended
  std::vector<DirectAccess> direct;  ///< operands accessed in place while it runs

  bool empty() const { return before.empty() && after.empty() && direct.empty(); }
  friend bool operator==(const KernelActions&, const KernelActions&) = default;
};

/// @brief A whole plan for one iteration of one workload.
struct Plan {
  std::string name;      ///< free-form label ("g10 plan of BERT-256")
  std::string policy;    ///< the policy spec that made it ("ideal", "g10-plan:...")
  std::string workload;  ///< name of the workload it was made for
  /// Where persistent tensors start the iteration; a tensor not listed starts on the device.
  /// Only persistent tensors may appear (the others do not exist before their first use).
  std::map<TensorId, TierKind> initial;
  /// One entry per kernel of the workload, in execution order.
  std::vector<KernelActions> kernels;

  /// @brief The tier `t` starts the iteration in (device unless `initial` says otherwise).
  TierKind initial_tier(TensorId t) const;
  /// @brief Number of actions over all kernels (direct accesses not included).
  std::size_t action_count() const;
  /// @brief Number of direct accesses over all kernels.
  std::size_t direct_count() const;

  friend bool operator==(const Plan&, const Plan&) = default;
};

/// @brief An empty plan for `w`: everything on the device, one empty KernelActions per kernel.
Plan make_empty_plan(const Workload& w, std::string name, std::string policy);

/// @brief Checks a plan against the workload and machine it is meant for; throws InvalidInput
/// naming the kernel and tensor at fault: wrong kernel count, tensors that do not exist,
/// non-persistent tensors in `initial`, tiers the machine lacks, prefetch not to the device,
/// evict to the device, release with a tier, recompute of a tensor with no producer, of a
/// persistent one, of one whose producer reads it, before its producer ran, or while one of
/// the producer's non-persistent inputs is already dead (unless recomputed earlier in the same
/// list), moving (prefetch/evict/recompute) a non-persistent tensor after its last use (except a
/// recompute intermediate, Note [recompute intermediates]), releasing it before its last use has
/// ended unless a recompute of it follows at or before its next use, releasing a persistent tensor,
/// and a direct access to a tensor the kernel does not use, listed twice, on the device, or over a
/// link without `direct_access` from any GPU's memory (Note [direct access]).
void validate(const Plan& p, const Workload& w, const Machine& m);

/// @brief The TierId of `kind` as seen from `gpu`: its own memory for device, the host tier,
/// or the first tier of that kind. Throws InvalidInput if the machine has none.
TierId resolve_tier(const Machine& m, GpuId gpu, TierKind kind);

/// @brief One line per action: "before kernel 12 (Conv2d_Forward): evict tensor9 -> ssd".
/// Initial placements first ("initial: tensor9 in ssd"). With a workload, kernel and tensor
/// names are printed; without, ids ("kernel 12", "tensor #9"). Direct accesses print as
/// "during kernel 12 (Conv2d_Forward): direct tensor9 in host".
std::string to_text(const Plan& p, const Workload* w = nullptr);

/// @brief One difference between two plans: an action (or initial placement) present in one
/// and not the other. Actions in one slot are compared as multisets (order within a slot is
/// ignored: issue order within a slot does not change what is moved).
struct PlanDifference {
  enum class Side : std::uint8_t { only_in_a, only_in_b };
  enum class Slot : std::uint8_t { initial, before, after, direct };
  Side side = Side::only_in_a;
  Slot slot = Slot::before;
  KernelId kernel = 0;  ///< unused for Slot::initial
  /// For Slot::initial: tensor and `to` = its initial tier; for Slot::direct: tensor and `to`
  /// = the tier accessed in place (kind prefetch, unused).
  Action action;

  friend bool operator==(const PlanDifference&, const PlanDifference&) = default;
};

/// @brief Differences between two plans of the same workload, ordered by slot (initial first,
/// then kernels ascending, before ahead of after ahead of direct). Throws InvalidInput if the
/// kernel counts differ.
std::vector<PlanDifference> diff(const Plan& a, const Plan& b);

/// @brief diff() as text: "- before kernel 3: evict tensor9 -> ssd" / "+ during kernel 3:
/// direct tensor9 in host"; "" if equal.
std::string diff_text(const Plan& a, const Plan& b, const Workload* w = nullptr);

}  // namespace strata
