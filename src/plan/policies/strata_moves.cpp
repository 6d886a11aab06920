#include "strata_moves.hpp"

#include <algorithm>

#include "strata/core/error.hpp"
#include "strata_recompute.hpp"

namespace strata::planner {

Plan build_plan(const Workload& w, std::span<const Movement> moves, std::string name,
                std::string policy, const RecomputeRule* rule) {
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
  // recomputed just before it); intermediates once per slot, released after the kernel.
  struct Item {
    std::size_t slot;
    KernelId producer;
    TensorId tensor;
    bool intermediate;
  };
  std::vector<Item> items;
  for (const Movement* m : order) {
    if (!m->recompute) continue;
    STRATA_EXPECTS(rule != nullptr, "a recompute movement needs the recompute rule");
    const std::size_t slot = m->prefetch % n;
    items.push_back({slot, rule->producer(m->tensor), m->tensor, false});
    for (TensorId z : rule->intermediates(m->tensor, m->prefetch))
      items.push_back({slot, rule->producer(z), z, true});
  }
  std::stable_sort(items.begin(), items.end(), [](const Item& x, const Item& y) {
    if (x.slot != y.slot) return x.slot < y.slot;
    if (x.producer != y.producer) return x.producer < y.producer;
    return x.tensor < y.tensor;
  });
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Item& it = items[i];
    if (i > 0 && items[i - 1].slot == it.slot && items[i - 1].tensor == it.tensor) continue;
    plan.kernels[it.slot].before.push_back(Action::recompute(it.tensor));
    if (it.intermediate) plan.kernels[it.slot].after.push_back(Action::release(it.tensor));
  }
  return plan;
}

}  // namespace strata::planner
