#pragma once
// Layer 2 of the lower bound (Note [lower bound layers]): bytes that capacity forces off the
// device at one kernel, against the routes' bandwidth, with recomputation as the alternative.
// Internal to src/bound.
#include "routes.hpp"
#include "strata/analysis/vitality.hpp"
#include "strata/bound/lower_bound.hpp"
#include "strata/workload/workload.hpp"

namespace strata::bound::detail {

/// The best of the per-kernel bounds (docs/bound.md, "Layer 2"); bound_ns >= the ideal time.
CapacityLayer capacity_layer(const Workload& w, const Vitality& v, const RouteModel& rm,
                             std::uint32_t gpu_count);

}  // namespace strata::bound::detail
