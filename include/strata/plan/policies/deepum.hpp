#pragma once
/// @file deepum.hpp
/// @brief `deepum`: DeepUM (Jung et al., ASPLOS'23) as G10 evaluated it ("DeepUM+"): UVM demand
/// paging plus, when kernel k starts, a prefetch of every tensor kernel k + 8 uses. A fault
/// evicts by LRU; room for a prefetch is made by an LRU eviction that spares the tensors of the
/// kernels k .. k + 7 (the prefetch window), and the prefetch waits when only those are left.
/// DeepUM+ has prefetch hints only: a dead tensor stays allocated until it is chosen as a
/// victim, and is then dropped without a copy (DeadTensors::dropped_on_evict). See
/// docs/policies.md.

#include <cstdint>
#include <vector>

#include "strata/plan/policy.hpp"

namespace strata {

/// @brief UVM plus correlation prefetching `degree` kernels ahead.
///
/// Note [deepum window]: choose_victim needs to know which tensors the next `degree` kernels
/// use. plan() records that window per kernel in the policy object (a cache derived from the
/// workload only, so the same workload always gives the same victims); choose_victim falls back
/// to plain LRU for a kernel it has no window for (plan() not called, or another workload).
class DeepUmPolicy final : public Policy {
 public:
  /// @param degree how many kernels ahead to prefetch (G10's prefetch_degree: 8); >= 1
  explicit DeepUmPolicy(std::uint32_t degree = 8);
  std::string name() const override { return "deepum"; }
  Plan plan(const Workload& w, const Vitality& v, const Machine& m) const override;
  std::optional<std::size_t> choose_victim(const VictimRequest& r) const override;
  /// Managed memory, as uvm: a new tensor its prefetch has not allocated faults at first touch.
  bool first_touch_faults() const override { return true; }
  bool demand_paged_kernels() const override { return true; }
  DeadTensors dead_tensors() const override { return DeadTensors::dropped_on_evict; }

  std::uint32_t degree() const { return degree_; }

 private:
  std::uint32_t degree_;
  /// For every kernel k, the sorted unique tensors of kernels k .. k + degree - 1 (wrapping).
  mutable std::vector<std::vector<TensorId>> window_;
};

}  // namespace strata
