#include "strata/plan/policies/strata.hpp"

#include <algorithm>

#include "strata/core/error.hpp"
#include "strata/core/units.hpp"
#include "strata/plan/recompute_sources.hpp"
#include "strata_moves.hpp"
#include "strata_recompute.hpp"
#include "strata_refine.hpp"
#include "strata_schedule.hpp"

namespace strata {

StrataPlanResult plan_strata(const Workload& w, const Vitality& v, const Machine& m,
                             const Policy& victims, const StrataOptions& o) {
  if (w.kernels.empty())
    throw InvalidInput("policy strata: workload '" + w.name + "' has no kernels");
  if (v.tensors.size() != w.tensors.size() || v.start_ns.size() != w.kernels.size())
    throw InvalidInput("policy strata: the vitality analysis is not of workload '" + w.name +
                       "'; run analyze_vitality on it");
  if (!(o.memory_fraction > 0 && o.memory_fraction <= 1) || !(o.prefetch_margin >= 0) ||
      !(o.max_lead >= 0))
    throw InvalidInput(
        "policy strata: options out of range; memory_fraction must be in (0, 1], prefetch_margin "
        "and max_lead >= 0");
  if (m.gpus.empty())
    throw InvalidInput("policy strata: machine '" + m.name +
                       "' has no GPU; the plan is made for one GPU's memory");
  const planner::DeviceView d = planner::device_view(m, 0);
  if (d.paths.empty() && v.peak_live_bytes > d.capacity_bytes)
    throw InvalidInput("policy strata: workload '" + w.name + "' needs " +
                       format_bytes(v.peak_live_bytes) + " but GPU '" + m.gpus[0].name +
                       "' holds " + format_bytes(d.capacity_bytes) + " and machine '" + m.name +
                       "' has no host or SSD tier linked to it to evict to; use a machine with "
                       "a host or ssd tier (e.g. the g10-a100 preset)");
  // Three sweeps: movements only, recompute of single kernels, recompute with intermediates;
  // the simulator picks (refine), or without simulations the one that leaves fewer kernels
  // over the line.
  const planner::RecomputeRule rule(w, v);
  const planner::RecomputeRule* recompute = o.recompute ? &rule : nullptr;
  planner::Schedule s = planner::schedule(w, v, d, o);
  std::vector<planner::Schedule> alts;
  if (recompute) {
    const planner::RecomputeRule single(w, v, false);
    for (const planner::RecomputeRule* r : {&single, recompute}) {
      planner::Schedule sr = planner::schedule(w, v, d, o, r);
      const bool any = std::any_of(sr.moves.begin(), sr.moves.end(),
                                   [](const planner::Movement& mv) { return mv.recompute; });
      if (any && (alts.empty() || alts.back().moves != sr.moves)) alts.push_back(std::move(sr));
    }
  }
  if (o.max_simulations == 0 || s.moves.empty())
    for (planner::Schedule& a : alts)
      if (a.kernels_over_line < s.kernels_over_line) s = std::move(a);
  if (o.max_simulations == 0 || s.moves.empty()) alts.clear();
  std::vector<std::vector<planner::Movement>> alt_moves;
  for (planner::Schedule& a : alts) alt_moves.push_back(std::move(a.moves));
  StrataPlanResult r;
  r.stats.periods = s.periods;
  r.stats.kernels_over_line = s.kernels_over_line;
  r.stats.eviction_bound_ns = planner::eviction_bound_ns(w, v, d, recompute);
  if (o.max_simulations >= 1 && !s.moves.empty()) {
    const planner::RefineResult rr =
        planner::refine(w, v, m, d, victims, s.moves, o, recompute, alt_moves);
    r.stats.simulations = rr.simulations;
    r.stats.repairs_tried = rr.repairs_tried;
    r.stats.repairs_kept = rr.repairs_kept;
    if (rr.unrefined.feasible) r.stats.unrefined_ns = rr.unrefined.iteration_ns;
    if (rr.best.feasible) r.stats.refined_ns = rr.best.iteration_ns;
  }
  for (const planner::Movement& mv : s.moves)
    if (mv.active && mv.recompute)
      ++r.stats.recomputed;
    else if (mv.active && mv.evict)
      ++(mv.to == TierKind::host ? r.stats.evicted_to_host : r.stats.evicted_to_ssd);
  r.plan = planner::build_plan(w, s.moves, "strata plan of " + w.name, "strata", &rule);
  validate(r.plan, w, m);
  validate_recompute_sources(r.plan, w);
  return r;
}

void StrataPolicy::learn(const Workload& w, const Vitality& v) const {
  kernels_ = w.kernels.size();
  uses_.assign(w.tensors.size(), {});
  persistent_.assign(w.tensors.size(), false);
  for (const Tensor& t : w.tensors) {
    uses_[t.id] = v.tensors[t.id].uses;
    persistent_[t.id] = t.persistent;
  }
}

Plan StrataPolicy::plan(const Workload& w, const Vitality& v, const Machine& m) const {
  learn(w, v);
  return plan_strata(w, v, m, *this, options_).plan;
}

std::optional<std::size_t> StrataPolicy::choose_victim(const VictimRequest& r) const {
  if (r.kernel >= kernels_) return choose_lru_victim(r);
  // Distance (in kernels) to the next use after r.kernel; never used again = farthest.
  auto distance = [&](TensorId t) -> std::size_t {
    if (t >= uses_.size()) return 0;
    const std::vector<KernelId>& u = uses_[t];
    const auto it = std::upper_bound(u.begin(), u.end(), r.kernel);
    if (it != u.end()) return *it - r.kernel;
    if (persistent_[t] && !u.empty()) return u.front() + kernels_ - r.kernel;
    return 2 * kernels_;
  };
  std::optional<std::size_t> best;
  std::size_t best_distance = 0;
  for (std::size_t i = 0; i < r.candidates.size(); ++i) {
    const EvictionCandidate& c = r.candidates[i];
    const std::size_t dist = distance(c.tensor);
    if (best) {
      const EvictionCandidate& b = r.candidates[*best];
      if (dist < best_distance) continue;
      if (dist == best_distance &&
          (c.bytes < b.bytes || (c.bytes == b.bytes && c.tensor > b.tensor)))
        continue;
    }
    best = i;
    best_distance = dist;
  }
  return best;
}

}  // namespace strata
