#pragma once
/// @file uvm.hpp
/// @brief `uvm`: CUDA Unified Memory / Linux HMM demand paging. No plan: every tensor that is
/// not in GPU memory when a kernel needs it is faulted in (sim/fault_model.hpp), and room is made
/// by evicting the least recently migrated tensors (to host, then to SSD when host is full; the
/// executor decides where). Without hints the driver does not know when a tensor dies, so dead
/// tensors stay allocated and are written back like live ones (DeadTensors::kept). G10's "Base
/// UVM" baseline. See docs/policies.md.

#include "strata/plan/policy.hpp"

namespace strata {

/// @brief Demand paging with the driver's LRU eviction (Recency::arrival): an empty plan plus
/// Policy's default choose_victim.
class UvmPolicy final : public Policy {
 public:
  std::string name() const override { return "uvm"; }
  Plan plan(const Workload& w, const Vitality& v, const Machine& m) const override;
  /// Managed memory: a new tensor is populated on the GPU by page faults at its first touch.
  bool first_touch_faults() const override { return true; }
  bool demand_paged_kernels() const override { return true; }
  DeadTensors dead_tensors() const override { return DeadTensors::kept; }
};

}  // namespace strata
