#pragma once
// Step 4a of the strata planner (Note [strata planner] in
// include/strata/plan/policies/strata.hpp): reads a simulated steady-state iteration (its
// timeline) and says, for every kernel that started late, what it waited for.

#include <cstdint>
#include <utility>
#include <vector>

#include "strata/sim/report.hpp"
#include "strata/workload/workload.hpp"

namespace strata::planner {

/// @brief What a late kernel waited for last.
enum class StallCause : std::uint8_t {
  late_prefetch,  ///< a planned prefetch of `tensor` arrived after the kernel could have started
  demand_fault,   ///< `tensor` was not on the device and not coming: fetched on demand
  backpressure,   ///< nothing it needed was in flight: GPU memory had to be freed first
};

/// @brief One late kernel.
struct Stall {
  KernelId kernel = 0;
  std::int64_t wait_ns = 0;  ///< from "may start" to its start
  StallCause cause = StallCause::backpressure;
  TensorId tensor = 0;  ///< for late_prefetch and demand_fault
  /// for backpressure: tensors whose evictions finished while the kernel waited
  std::vector<TensorId> evicting;
  /// for backpressure: evictions in flight while it waited that finished after it started
  std::vector<TensorId> competing;
  /// for late_prefetch: fetches on the late fetch's track that overlapped it (shared its
  /// bandwidth), the longest overlap first, with how long each overlapped
  std::vector<std::pair<TensorId, std::int64_t>> sharing;
};

/// @brief Which timeline tracks are one GPU's in a data-parallel run: its compute track and the
/// tracks of its links' transfers (every GPU runs a copy of the workload, so tensor names alone
/// do not say whose transfer a span is).
struct GpuTracks {
  std::uint32_t compute = 0;
  std::vector<bool> transfers;  ///< by track; empty: every track but the compute tracks
};

/// @brief The stalls of the steady-state iteration in `r` (which must have a timeline) on the
/// GPU of `tracks` (default: the first GPU, every transfer), longest first (ties by kernel).
/// Throws InvalidInput if the report has no timeline of `w`.
std::vector<Stall> diagnose(const Workload& w, const sim::Report& r, const GpuTracks& tracks = {});

}  // namespace strata::planner
