#pragma once
/// @file recompute_sources.hpp
/// @brief A stricter check for plans that recompute: every recompute re-runs its producer from
/// inputs the plan keeps on the device.
///
/// Note [resident recompute sources]: validate() (plan.hpp) accepts a recompute whose
/// producer's inputs are alive, wherever they are; the simulator then fetches missing ones on
/// demand before re-running the producer. A planner that recomputes to save transfers should
/// never do that: validate_recompute_sources() follows where the plan leaves every tensor,
/// action by action in issue order (a tensor starts where Plan::initial puts it, or is born on
/// the device at its first use; prefetch and recompute put it on the device, evict and release
/// take it off, a kernel that uses it brings it back), and requires every input of the producer
/// of a recomputed tensor to be on the device when the recompute is issued. A prefetch issued
/// earlier counts as on the device (the recompute then waits for that transfer, never for a
/// fault). The simulator's own victim choice can still evict a source behind the plan's back;
/// that is a demand fault the simulated report counts.

#include "strata/plan/plan.hpp"
#include "strata/workload/workload.hpp"

namespace strata {

/// @brief Throws InvalidInput naming the recompute, the producer and the input the plan does
/// not keep on the device (Note [resident recompute sources]). `p` must already pass validate().
void validate_recompute_sources(const Plan& p, const Workload& w);

}  // namespace strata
