#pragma once
// Recompute in the strata planner (Note [strata recompute]). A tensor idle between two uses may
// be released after the first and rebuilt before the second by re-running its producer, instead
// of being evicted and prefetched: it leaves GPU memory at once and crosses no link, at the
// price of the producer's time on the compute stream.
//
// Note [strata recompute]: which periods qualify (RecomputeRule) and the one invariant every
// plan keeps (ResidencyBook): a recompute issued before kernel s re-runs producer p of t, so
//  - t is not persistent, p is a forward kernel the rule allows (RecomputeOps: the cheap
//    operators of workload/recompute.hpp, Note [cheap ops], or any forward kernel; which pays
//    is the planner's cost test), p ran at or before the period's first use and does not read t;
//  - the rebuilt t is the version p wrote: no other kernel wrote t after p and before the
//    period, p does not write its own inputs, and no kernel writes one between p and s (an
//    optimizer step that updates a weight p reads, in-place ops, accumulations). p's state
//    updates (Kernel::state_updates: batch norm's running statistics) are not inputs here: the
//    outputs do not read them and the re-run neither reads nor writes them
//    (recompute_inputs());
//  - every non-persistent input of p is still live at s (used at s or later), and
//  - every input of p is *resident* at s: no movement of the plan has it out of GPU memory over
//    s (evicted after kernel e and prefetched before kernel f with e < s <= f, or itself
//    released for a recompute after a and recomputed before r with a < s < r). An input of p
//    that is dead by s is an *intermediate* instead (Note [recompute intermediates] in
//    plan.hpp): its own producer q, its only writer and allowed too, is re-run first from q's
//    inputs (live, unchanged and resident at s: one level), and it is released after kernel
//    s. A recompute never waits for a transfer or a fault of its inputs;
//    validate_recompute_sources (plan/recompute_sources.hpp) checks the built Plan for it.
// Chains: a source may itself be recomputed, before the same kernel s (build_plan issues
// recomputes in producer order) or earlier. A tensor need not be recomputed just before its
// next use: its recompute slot r may be earlier (to serve as a source there), and it is out of
// GPU memory only over (a, r).
// Kernel indices are unwrapped as in strata_moves.hpp; recomputed periods never wrap (only
// non-persistent tensors are recomputed).

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "strata/analysis/vitality.hpp"
#include "strata/workload/workload.hpp"
#include "strata_moves.hpp"

namespace strata::planner {

/// @brief Which producers a RecomputeRule may re-run (Note [recompute producers]).
enum class RecomputeOps : std::uint8_t {
  cheap,        ///< forward kernels of the cheap operators (workload/recompute.hpp)
  any_forward,  ///< every forward kernel: matrix products and convolutions too
};

/// @brief Which inactive periods may be recomputed, and what that costs.
class RecomputeRule {
 public:
  /// `intermediates`: whether a dead input may be rebuilt first (else every input must be live).
  RecomputeRule(const Workload& w, const Vitality& v, bool intermediates = true,
                RecomputeOps ops = RecomputeOps::cheap);

  /// @brief Whether `t`, idle after kernel `a` until kernel `next` (unwrapped), may be released
  /// after `a` and recomputed before `next` (first two conditions of Note [strata recompute]).
  bool allowed(TensorId t, std::size_t a, std::size_t next) const;
  /// @brief The compute-stream time recomputing `t` before slot `at` takes: its producer's
  /// duration plus its intermediates' producers'.
  std::int64_t cost_ns(TensorId t, std::size_t at) const;
  /// @brief What must be resident when `t` is recomputed before slot `at`: its producer's
  /// inputs live at `at` (or persistent), and the inputs of its intermediates' producers; each
  /// once.
  std::vector<TensorId> sources(TensorId t, std::size_t at) const;
  /// @brief The producer's non-persistent inputs that are dead by slot `at` and are rebuilt
  /// first (Note [strata recompute]).
  std::vector<TensorId> intermediates(TensorId t, std::size_t at) const;
  /// @brief The kernel that first writes `t` (kNoKernel if none).
  KernelId producer(TensorId t) const { return producer_[t]; }

 private:
  const Workload& w_;
  const Vitality& v_;
  std::vector<KernelId> producer_;
  std::vector<bool> cheap_;                     ///< per kernel
  std::vector<std::vector<TensorId>> src_;      ///< per kernel, deduplicated inputs
  std::vector<std::vector<KernelId>> writers_;  ///< per tensor, the kernels that write it, in order
  bool intermediates_ = true;
  /// Whether `in`, dead by slot `at`, can be rebuilt there from live, unchanged inputs by its
  /// one writer, a producer the rule allows.
  bool rebuildable(TensorId in, std::size_t at) const;
  bool live_at(TensorId in, std::size_t at) const;
  /// Whether a kernel strictly between `lo` and `hi` writes `x`.
  bool written_between(TensorId x, std::size_t lo, std::size_t hi) const;
  /// Whether input `x` of kernel `p` still holds, before slot `at`, what p read: p does not
  /// write it (in place) and no kernel after p and before `at` does.
  bool input_unchanged(TensorId x, KernelId p, std::size_t at) const;
};

/// @brief Per tensor, the stretches the plan has it out of GPU memory and the slots where a
/// recompute needs it resident (Note [strata recompute]). Slots are taken modulo the kernel
/// count, so a persistent tensor's wrapped period is checked in both iterations.
class ResidencyBook {
 public:
  ResidencyBook(std::size_t tensors, std::size_t kernels)
      : out_(tensors), pins_(tensors), n_(kernels) {}
  /// @brief Builds the book of `moves` (active ones only).
  ResidencyBook(std::span<const Movement> moves, const RecomputeRule& rule, std::size_t tensors,
                std::size_t kernels);

  /// @brief Whether taking `t` out over (from, to] leaves every recompute that needs it fine.
  bool can_be_out(TensorId t, std::size_t from, std::size_t to) const;
  /// @brief The first slot s in (from, to] at which a recompute needs `t`, or `to` if none.
  std::size_t first_pin(TensorId t, std::size_t from, std::size_t to) const;
  /// @brief Whether `t` is on the device at slot s (no recorded stretch covers it).
  bool resident_at(TensorId t, std::size_t s) const;
  /// @brief Whether recomputing a tensor with these sources before slot s keeps the invariant.
  bool sources_resident(std::span<const TensorId> sources, std::size_t s) const;

  void add_out(TensorId t, std::size_t from, std::size_t to);
  void pin(std::span<const TensorId> sources, std::size_t s);
  /// @brief Records movement `m` (its stretch out, and its sources' pins if a recompute).
  void add(const Movement& m, const RecomputeRule& rule);
  /// @brief Forgets movement `m`, recorded earlier with add().
  void remove(const Movement& m, const RecomputeRule& rule);

 private:
  static bool covers(std::size_t from, std::size_t to, std::size_t s, std::size_t n);
  std::vector<std::vector<std::pair<std::size_t, std::size_t>>> out_;
  std::vector<std::vector<std::size_t>> pins_;
  std::size_t n_;
};

/// @brief The recompute round trip of period (a, next) of `t`: released after a, recomputed
/// before `at` (next by default; a < at - 1, at <= next).
Movement recompute_movement(TensorId t, std::uint64_t bytes, std::size_t a, std::size_t next,
                            std::size_t at = 0);

/// @brief Whether every active recompute in `moves` keeps the invariant of Note [strata
/// recompute] against all the other movements.
bool recomputes_consistent(std::span<const Movement> moves, const RecomputeRule& rule,
                           std::size_t tensors, std::size_t kernels);

}  // namespace strata::planner
