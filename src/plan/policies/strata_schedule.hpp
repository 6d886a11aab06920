#pragma once
// Steps 1-3 of the strata planner (Note [strata planner] in
// include/strata/plan/policies/strata.hpp): the bandwidth timeline, the Belady sweep that
// chooses which inactive periods to move and to which tier, and the prefetch lead.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "strata/analysis/vitality.hpp"
#include "strata/machine/machine.hpp"
#include "strata/plan/policies/strata.hpp"
#include "strata_moves.hpp"
#include "strata_timeline.hpp"

namespace strata::planner {

/// @brief One way out of GPU memory: a lower tier linked to the device, with the resources an
/// eviction and a fetch cross (indices into sim::machine_resources).
struct LowerPath {
  TierKind kind = TierKind::host;
  TierId tier = 0;
  LinkId link = 0;
  std::uint64_t capacity_bytes = 0;
  std::vector<ResourceIndex> evict_route, fetch_route;
  std::int64_t evict_latency_ns = 0, fetch_latency_ns = 0;
  double fetch_bytes_per_ns = 0;  ///< uncontended
};

/// @brief The device a plan is made for and its paths to the tiers below (host first).
struct DeviceView {
  GpuId gpu = 0;
  TierId device = 0;
  std::uint64_t capacity_bytes = 0;
  std::vector<LowerPath> paths;
  std::vector<double> resource_bytes_per_s;  ///< every machine resource's capacity
};

DeviceView device_view(const Machine& m, GpuId gpu);

class RecomputeRule;

/// @brief The movements the sweep chose, and what it could not fix.
struct Schedule {
  std::vector<Movement> moves;
  std::size_t periods = 0;
  std::size_t kernels_over_line = 0;
};

/// @brief Steps 1-3. With a `rule`, a period may be recomputed instead of moved (Note [strata
/// recompute] in strata_recompute.hpp); without one, every choice is a movement.
Schedule schedule(const Workload& w, const Vitality& v, const DeviceView& d, const StrataOptions& o,
                  const RecomputeRule* rule = nullptr);

/// @brief Steps 1-3 for several GPUs running copies of `w` (element i of the result is for
/// `ds[i]`): one timeline shared by all, so the buses they share carry every GPU's bookings,
/// and the host tier's capacity booked for all; see Note [strata on several GPUs] in
/// include/strata/plan/policies/strata.hpp. With one view, exactly schedule().
std::vector<Schedule> schedule_gpus(const Workload& w, const Vitality& v,
                                    std::span<const DeviceView> ds, const StrataOptions& o,
                                    const RecomputeRule* rule = nullptr);

/// @brief StrataPlanStats::eviction_bound_ns: at every kernel k, the live bytes beyond GPU
/// memory are out of it. Those evicted after the iteration began (all but persistent tensors
/// first used after k, which may have stayed out since the last iteration) left at no more than
/// the device's total eviction bandwidth, so k starts no sooner; those needed again in this
/// iteration (all but persistent tensors last used before k) come back after k starts, at no
/// more than the total fetch bandwidth, and the kernels from k on take their ideal time at
/// least. The iteration takes at least the largest such start + rest (at least the ideal).
/// With a `rule`, bytes idle over k in a period the rule may recompute are not counted (they
/// can leave and return without crossing a link), so the bound holds for plans that recompute
/// too (a recompute's own time only adds).
std::int64_t eviction_bound_ns(const Workload& w, const Vitality& v, const DeviceView& d,
                               const RecomputeRule* rule = nullptr);

}  // namespace strata::planner
