#pragma once
// What the strata planner decides, before it becomes a Plan (Note [strata planner] in
// include/strata/plan/policies/strata.hpp): a list of round trips, one per inactive period it
// moves. Kernel indices are "unwrapped": a period that runs past the end of the iteration has
// next_use >= kernel count, and so may its prefetch slot.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "strata/plan/plan.hpp"
#include "strata/workload/workload.hpp"

namespace strata::planner {

/// @brief Evict a tensor after one use, bring it back before the next.
struct Movement {
  TensorId tensor = 0;
  std::uint64_t bytes = 0;
  std::size_t last_use = 0;     ///< the use before the idle period (< kernel count)
  std::size_t next_use = 0;     ///< unwrapped, > last_use + 1
  std::size_t evict_after = 0;  ///< unwrapped slot whose `after` issues the eviction, in
                                ///< [last_use, prefetch)
  std::size_t prefetch = 0;     ///< unwrapped slot whose `before` issues the prefetch, in
                                ///< (last_use, next_use]
  TierKind to = TierKind::host;
  /// false: prefetch only, for a tensor the simulator's victim choice evicts (a repair)
  bool evict = true;
  bool active = true;  ///< false: dropped by a repair, kept so indices stay stable
  /// true: release after `evict_after`, recompute before `prefetch` (next_use, or earlier where
  /// another recompute reads it) instead of moving; `evict` and `to` are unused (Note [strata
  /// recompute] in strata_recompute.hpp)
  bool recompute = false;

  friend bool operator==(const Movement&, const Movement&) = default;
};

/// @brief The Plan of a set of movements: evictions in `after` of their last use (farthest next
/// use first), prefetches in `before` of their slot (soonest next use first, so the simulator's
/// first-in first-out admission serves the most urgent first), and persistent tensors whose
/// prefetch falls in the next iteration starting there. A recompute movement is a release in
/// `after` of its last use and a recompute in `before` of its `prefetch` slot, after the
/// prefetches, recomputes of one slot in producer order.
class RecomputeRule;

/// A recompute whose producer reads a tensor dead by then also recomputes that intermediate
/// first and releases it after the kernel (`rule` says which; required if any movement
/// recomputes).
Plan build_plan(const Workload& w, std::span<const Movement> moves, std::string name,
                std::string policy, const RecomputeRule* rule = nullptr);

}  // namespace strata::planner
