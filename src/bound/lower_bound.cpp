#include "strata/bound/lower_bound.hpp"

#include <algorithm>

#include "capacity_layer.hpp"
#include "lp_layer.hpp"
#include "routes.hpp"
#include "strata/sim/simulator.hpp"

namespace strata::bound {

LowerBound compute_lower_bound(const Workload& w, const Vitality& v, const Machine& m,
                               const BoundOptions& options) {
  const detail::RouteModel rm = detail::make_route_model(m, options.gpu, options.gpu_count);
  LowerBound b;
  b.workload = w.name;
  b.machine = m.name;
  b.gpu_count = options.gpu_count;
  b.compute_ns = v.ideal_ns;
  b.fits = v.peak_live_bytes <= rm.device_capacity_bytes;
  for (std::uint32_t i = 0; i < options.gpu_count && b.feasible; ++i) {
    const std::string shortfall = sim::working_set_shortfall(w, m, options.gpu + i);
    if (!shortfall.empty()) {
      b.feasible = false;
      b.infeasible_reason = shortfall;
    }
  }
  if (!b.feasible) {
    b.capacity.bound_ns = 0;
    b.capacity.binding = "infeasible";
    b.lp.status = "skipped: infeasible";
    return b;
  }
  b.capacity = detail::capacity_layer(w, v, rm, options.gpu_count);
  if (options.use_lp)
    b.lp = detail::lp_layer(w, v, rm, options);
  else
    b.lp.status = "skipped: not asked for";
  b.lower_bound_ns = std::max(b.compute_ns, b.capacity.bound_ns);
  if (b.lp.bound_ns) b.lower_bound_ns = std::max(b.lower_bound_ns, *b.lp.bound_ns);
  return b;
}

}  // namespace strata::bound
