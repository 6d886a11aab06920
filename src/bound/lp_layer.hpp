#pragma once
// Layer 3 of the lower bound (Note [lower bound layers]): the LP relaxation, solved with GLPK.
// Internal to src/bound.
#include "routes.hpp"
#include "strata/analysis/vitality.hpp"
#include "strata/bound/lower_bound.hpp"
#include "strata/workload/workload.hpp"

namespace strata::bound::detail {

/// Builds and solves the LP (docs/bound.md, "Layer 3"); never throws for a solver failure,
/// which is reported in LpLayer::status.
LpLayer lp_layer(const Workload& w, const Vitality& v, const RouteModel& rm,
                 const BoundOptions& options);

}  // namespace strata::bound::detail
