#include "strata_moves.hpp"

#include <algorithm>

#include "strata/core/error.hpp"

namespace strata::planner {

Plan build_plan(const Workload& w, std::span<const Movement> moves, std::string name,
                std::string policy) {
  Plan plan = make_empty_plan(w, std::move(name), std::move(policy));
  const std::size_t n = w.kernels.size();
  std::vector<const Movement*> order;
  for (const Movement& m : moves)
    if (m.active) order.push_back(&m);
  // Evictions: farthest next use first, then tensor id.
  std::stable_sort(order.begin(), order.end(), [](const Movement* x, const Movement* y) {
    if (x->next_use != y->next_use) return x->next_use > y->next_use;
    return x->tensor < y->tensor;
  });
  for (const Movement* m : order) {
    STRATA_EXPECTS(m->last_use < n && m->evict_after >= m->last_use &&
                       m->prefetch > m->evict_after && m->prefetch <= m->next_use,
                   "movement out of order");
    if (m->recompute)
      plan.kernels[m->evict_after % n].after.push_back(Action::release(m->tensor));
    else if (m->evict)
      plan.kernels[m->evict_after % n].after.push_back(Action::evict(m->tensor, m->to));
  }
  // Prefetches: soonest next use first.
  std::stable_sort(order.begin(), order.end(), [](const Movement* x, const Movement* y) {
    if (x->next_use != y->next_use) return x->next_use < y->next_use;
    return x->tensor < y->tensor;
  });
  for (const Movement* m : order) {
    if (m->recompute) continue;
    plan.kernels[m->prefetch % n].before.push_back(Action::prefetch(m->tensor));
    if (m->evict && m->evict_after < n && m->prefetch >= n && w.tensors[m->tensor].persistent)
      plan.initial[m->tensor] = m->to;
  }
  // Recomputes: after the slot's prefetches, in producer order (a recompute may read a tensor
  // recomputed just before it).
  std::vector<const Movement*> recomputes;
  for (const Movement* m : order)
    if (m->recompute) recomputes.push_back(m);
  if (!recomputes.empty()) {
    const std::vector<KernelId> producer = producers(w);
    std::stable_sort(recomputes.begin(), recomputes.end(),
                     [&](const Movement* x, const Movement* y) {
                       return producer[x->tensor] < producer[y->tensor];
                     });
    for (const Movement* m : recomputes)
      plan.kernels[m->prefetch % n].before.push_back(Action::recompute(m->tensor));
  }
  return plan;
}

}  // namespace strata::planner
