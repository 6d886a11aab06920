#include "strata/plan/policies/strata.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "strata/core/error.hpp"
#include "strata/core/units.hpp"
#include "strata/plan/recompute_sources.hpp"
#include "strata_moves.hpp"
#include "strata_recompute.hpp"
#include "strata_refine.hpp"
#include "strata_schedule.hpp"

namespace strata {

StrataGpuPlans plan_strata_gpus(const Workload& w, const Vitality& v, const Machine& m,
                                const Policy& victims, GpuId first_gpu, std::uint32_t gpu_count,
                                const StrataOptions& o) {
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
  if (gpu_count == 0 || std::uint64_t{first_gpu} + gpu_count > m.gpus.size())
    throw InvalidInput(fmt::format(
        "policy strata: GPUs {} .. {} asked for, machine '{}' has {} GPU(s); ask for at most {}",
        first_gpu, std::uint64_t{first_gpu} + gpu_count - 1, m.name, m.gpus.size(),
        m.gpus.size() > first_gpu ? m.gpus.size() - first_gpu : 0));
  std::vector<planner::DeviceView> ds;
  for (GpuId g = first_gpu; g < first_gpu + gpu_count; ++g) {
    ds.push_back(planner::device_view(m, g));
    const planner::DeviceView& d = ds.back();
    if (d.paths.empty() && v.peak_live_bytes > d.capacity_bytes)
      throw InvalidInput("policy strata: workload '" + w.name + "' needs " +
                         format_bytes(v.peak_live_bytes) + " but GPU '" + m.gpus[g].name +
                         "' holds " + format_bytes(d.capacity_bytes) + " and machine '" + m.name +
                         "' has no host or SSD tier linked to it to evict to; use a machine with "
                         "a host or ssd tier (e.g. the g10-a100 preset)");
    if (d.capacity_bytes != ds.front().capacity_bytes || d.paths.size() != ds.front().paths.size())
      throw Unsupported("policy strata: GPU '" + m.gpus[g].name + "' of machine '" + m.name +
                        "' differs from GPU '" + m.gpus[first_gpu].name +
                        "' in memory or tiers; a data-parallel plan needs alike GPUs");
  }
  // Sweeps: movements only; recompute of single kernels and with intermediates, of cheap
  // operators and of any forward kernel; the widest also with stricter cost tests. The
  // simulator picks (refine), or without simulations the one that leaves fewer kernels over
  // the line.
  auto over_line = [](const std::vector<planner::Schedule>& ss) {
    std::size_t n = 0;
    for (const planner::Schedule& s : ss) n += s.kernels_over_line;
    return n;
  };
  auto moves_of = [](std::vector<planner::Schedule>& ss) {
    planner::GpuMoves out;
    for (planner::Schedule& s : ss) out.push_back(std::move(s.moves));
    return out;
  };
  // Note [recompute producers]: the widest rule the options allow is the one refinement
  // repairs with and plans are built and checked with; the sweeps also start from the narrower
  // ones (cheap producers only; no intermediates), and the simulator picks among the starts.
  // For a movement a narrower rule chose, the wider one derives the same sources and
  // intermediates (its producer is cheap, so both rules read the same inputs).
  using planner::RecomputeOps;
  using planner::RecomputeRule;
  const RecomputeOps widest =
      o.recompute_any_forward ? RecomputeOps::any_forward : RecomputeOps::cheap;
  const RecomputeRule rule(w, v, true, widest);
  const RecomputeRule* recompute = o.recompute ? &rule : nullptr;
  std::vector<planner::Schedule> s = planner::schedule_gpus(w, v, ds, o);
  const std::size_t periods = s.front().periods;
  std::vector<std::vector<planner::Schedule>> alts;
  if (recompute) {
    const RecomputeRule single(w, v, false);
    const RecomputeRule cheap(w, v, true);
    const RecomputeRule any_single(w, v, false, RecomputeOps::any_forward);
    // The widest rule also with stricter cost tests (a quarter, a sixteenth): a recompute costs
    // its time for sure, a movement only if the link cannot hide it, and which of the two a
    // sweep should prefer depends on how busy the links are.
    auto with_cost = [&o](double divisor) {
      StrataOptions so = o;
      so.recompute_max_cost = o.recompute_max_cost / divisor;
      return so;
    };
    const StrataOptions quarter = with_cost(4);
    const StrataOptions sixteenth = with_cost(16);
    std::vector<std::pair<const RecomputeRule*, const StrataOptions*>> sweeps;
    sweeps.emplace_back(&single, &o);
    if (o.recompute_any_forward) {
      sweeps.emplace_back(&cheap, &o);
      sweeps.emplace_back(&any_single, &o);
    }
    for (const StrataOptions* so : {&o, &quarter, &sixteenth}) sweeps.emplace_back(recompute, so);
    for (const auto& [r, so] : sweeps) {
      std::vector<planner::Schedule> sr = planner::schedule_gpus(w, v, ds, *so, r);
      bool any = false;
      for (const planner::Schedule& g : sr)
        any = any || std::any_of(g.moves.begin(), g.moves.end(),
                                 [](const planner::Movement& mv) { return mv.recompute; });
      auto same = [](const std::vector<planner::Schedule>& x,
                     const std::vector<planner::Schedule>& y) {
        for (std::size_t i = 0; i < x.size(); ++i)
          if (x[i].moves != y[i].moves) return false;
        return true;
      };
      if (any && (alts.empty() || !same(alts.back(), sr))) alts.push_back(std::move(sr));
    }
  }
  planner::GpuMoves moves = moves_of(s);
  // Nothing to simulate when no sweep planned anything (the workload fits).
  const bool nothing_moves = alts.empty() && std::all_of(moves.begin(), moves.end(),
                                                         [](const auto& g) { return g.empty(); });
  // Without simulations, the start with the fewest kernels over the line.
  if (o.max_simulations == 0) {
    for (std::vector<planner::Schedule>& a : alts)
      if (over_line(a) < over_line(s)) {
        s = a;
        moves = moves_of(a);
      }
    alts.clear();
  }
  std::vector<planner::GpuMoves> alt_moves;
  for (std::vector<planner::Schedule>& a : alts) alt_moves.push_back(moves_of(a));
  StrataGpuPlans r;
  r.stats.periods = periods;
  r.stats.kernels_over_line = over_line(s);
  r.stats.eviction_bound_ns = planner::eviction_bound_ns(w, v, ds.front(), recompute);
  if (o.max_simulations >= 1 && !nothing_moves) {
    const planner::RefineResult rr =
        planner::refine(w, v, m, ds, victims, moves, o, recompute, alt_moves);
    r.stats.simulations = rr.simulations;
    r.stats.repairs_tried = rr.repairs_tried;
    r.stats.repairs_kept = rr.repairs_kept;
    if (rr.unrefined.feasible) r.stats.unrefined_ns = rr.unrefined.iteration_ns;
    if (rr.best.feasible) r.stats.refined_ns = rr.best.iteration_ns;
  }
  for (std::size_t i = 0; i < moves.size(); ++i) {
    for (const planner::Movement& mv : moves[i])
      if (mv.active && mv.recompute)
        ++r.stats.recomputed;
      else if (mv.active && mv.evict)
        ++(mv.to == TierKind::host ? r.stats.evicted_to_host : r.stats.evicted_to_ssd);
    const std::string name =
        gpu_count == 1 ? "strata plan of " + w.name
                       : fmt::format("strata plan of {} for GPU {}", w.name, first_gpu + i);
    r.plans.push_back(planner::build_plan(w, moves[i], name, "strata", &rule));
    validate(r.plans.back(), w, m);
    validate_recompute_sources(r.plans.back(), w);
  }
  return r;
}

StrataPlanResult plan_strata(const Workload& w, const Vitality& v, const Machine& m,
                             const Policy& victims, const StrataOptions& o) {
  StrataGpuPlans r = plan_strata_gpus(w, v, m, victims, 0, 1, o);
  return {std::move(r.plans.front()), r.stats};
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

std::vector<Plan> StrataPolicy::plans(const Workload& w, const Vitality& v, const Machine& m,
                                      GpuId first_gpu, std::uint32_t gpu_count) const {
  learn(w, v);
  return plan_strata_gpus(w, v, m, *this, first_gpu, gpu_count, options_).plans;
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
