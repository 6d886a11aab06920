#include "strata_refine.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "strata/core/error.hpp"
#include "strata/sim/simulator.hpp"

namespace strata::planner {

namespace {

std::int64_t start_of(const Vitality& v, std::size_t j) {
  const std::size_t n = v.start_ns.size();
  return v.start_ns[j % n] + static_cast<std::int64_t>(j / n) * v.ideal_ns;
}

/// The latest unwrapped slot s in [lowest, from] with start(s) <= target_ns (lowest if none).
std::size_t slot_before(const Vitality& v, std::size_t from, std::size_t lowest, double target_ns) {
  std::size_t s = from;
  while (s > lowest && static_cast<double>(start_of(v, s)) > target_ns) --s;
  return s;
}

/// The use of `t` before kernel k (unwrapped: k itself may be k + n), or nullopt.
std::optional<std::size_t> previous_use(const Workload& w, const Vitality& v, TensorId t,
                                        std::size_t k) {
  const std::vector<KernelId>& uses = v.tensors[t].uses;
  const auto it = std::lower_bound(uses.begin(), uses.end(), static_cast<KernelId>(k));
  if (it != uses.begin()) return *(it - 1);
  if (w.tensors[t].persistent && !uses.empty() && uses.back() > k) return uses.back();
  return std::nullopt;
}

double fetch_ns(const DeviceView& d, TierKind tier, std::uint64_t bytes) {
  for (const LowerPath& p : d.paths)
    if (p.kind == tier) return static_cast<double>(bytes) / p.fetch_bytes_per_ns;
  return static_cast<double>(bytes) / d.paths.front().fetch_bytes_per_ns;
}

sim::Report simulate_moves(const Workload& w, const Vitality& v, const Machine& m,
                           std::span<const DeviceView> ds, const Policy& victims,
                           const GpuMoves& moves, const RecomputeRule* rule) {
  std::vector<Plan> plans;
  plans.reserve(moves.size());
  for (const std::vector<Movement>& mv : moves)
    plans.push_back(build_plan(w, mv, "strata plan of " + w.name, "strata", rule));
  sim::SimOptions so;
  so.gpu = ds.front().gpu;
  so.gpu_count = static_cast<std::uint32_t>(ds.size());
  so.record_timeline = true;
  // Capacity is checked at every grant regardless; the full re-sum after every event is for the
  // final simulation (the tests run it), not for each trial here.
  so.check_every_event = false;
  return sim::simulate(w, v, m, std::span<const Plan>(plans), victims, so);
}

/// The sum of the GPUs' steady-state iterations (the iteration itself on one GPU).
std::int64_t total_ns(const sim::Report& r) {
  std::int64_t t = 0;
  for (const sim::GpuIteration& g : r.gpus) t += g.iteration_ns;
  return r.gpus.empty() ? r.iteration_ns : t;
}

/// Faster: the slowest GPU's iteration first, then all GPUs' together (a repair on a GPU that is
/// not the slowest counts when it frees shared bandwidth or shortens that GPU's own iteration).
bool better(const sim::Report& a, const sim::Report& b) {
  if (!a.feasible) return false;
  if (!b.feasible) return true;
  if (a.iteration_ns != b.iteration_ns) return a.iteration_ns < b.iteration_ns;
  return total_ns(a) < total_ns(b);
}

/// GPU i's tracks of a data-parallel timeline: compute track i, then the transfer tracks of the
/// links of its memory tier (sim::Timeline: compute tracks first, then two per link).
GpuTracks gpu_tracks(const Machine& m, std::span<const DeviceView> ds, std::size_t i) {
  GpuTracks t;
  t.compute = static_cast<std::uint32_t>(i);
  if (ds.size() == 1) return t;
  t.transfers.assign(ds.size() + 2 * m.links.size(), false);
  for (std::size_t l = 0; l < m.links.size(); ++l)
    if (m.links[l].from == ds[i].device || m.links[l].to == ds[i].device) {
      t.transfers[ds.size() + 2 * l] = true;
      t.transfers[ds.size() + 2 * l + 1] = true;
    }
  return t;
}

}  // namespace

std::vector<std::vector<Repair>> propose(const Workload& w, const Vitality& v, const DeviceView& d,
                                         const std::vector<Movement>& moves,
                                         const std::vector<Stall>& stalls, const StrataOptions& o,
                                         const RecomputeRule* rule) {
  const std::size_t n = w.kernels.size();
  std::optional<ResidencyBook> book;
  if (rule) book.emplace(moves, *rule, w.tensors.size(), n);
  // Whether period (a, next) of t may be recomputed at a cost below `wait_ns`.
  // The slot at which period (a, next) of t would be recomputed (next, or earlier where another
  // recompute needs t), or 0 if it may not be recomputed at a cost below `wait_ns`.
  auto recompute_at = [&](TensorId t, std::size_t a, std::size_t next,
                          std::int64_t wait_ns) -> std::size_t {
    if (!rule) return 0;
    const std::size_t at = book->first_pin(t, a, next);
    if (!rule->allowed(t, a, at) || rule->cost_ns(t, at) >= wait_ns ||
        !book->sources_resident(rule->sources(t, at), at))
      return 0;
    return at;
  };

  std::vector<Repair> recomp;  // tried first
  // Active movements by (tensor, next use in the iteration).
  std::map<std::pair<TensorId, std::size_t>, std::size_t> by_use;
  std::map<std::pair<TensorId, std::size_t>, std::size_t> by_last;
  for (std::size_t i = 0; i < moves.size(); ++i) {
    if (!moves[i].active) continue;
    by_use[{moves[i].tensor, moves[i].next_use % n}] = i;
    by_last[{moves[i].tensor, moves[i].last_use}] = i;
  }
  // The active transfer movement of t whose prefetch may have been in flight at kernel k
  // (issued before k, for a use at k or later).
  auto in_flight = [&](TensorId t, std::size_t k) -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < moves.size(); ++i) {
      const Movement& mv = moves[i];
      if (!mv.active || mv.recompute || mv.tensor != t) continue;
      for (std::size_t ku : {k, k + n})
        if (mv.prefetch <= ku && ku <= mv.next_use) return i;
    }
    return std::nullopt;
  };
  std::vector<Repair> out;
  std::vector<Repair> shared;  // fetches that shared a late one's link, moved earlier
  std::vector<Repair> defer;   // competing evictions, deferred
  std::vector<Repair> second;  // other_tier
  for (const Stall& st : stalls) {
    const std::size_t k = st.kernel;
    if (st.cause != StallCause::backpressure) {
      const auto it = by_use.find({st.tensor, k});
      if (it != by_use.end()) {
        const Movement& mv = moves[it->second];
        if (mv.recompute) {
          out.push_back({RepairKind::drop_movement, it->second, 0, {}});
          continue;
        }
        if (const std::size_t at = recompute_at(mv.tensor, mv.last_use, mv.next_use, st.wait_ns))
          recomp.push_back({RepairKind::recompute, it->second, at, {}});
        const double target =
            static_cast<double>(start_of(v, mv.prefetch)) - 1.5 * static_cast<double>(st.wait_ns);
        const std::size_t s = slot_before(v, mv.prefetch, mv.evict_after + 1, target);
        if (s < mv.prefetch)
          out.push_back({RepairKind::earlier_prefetch, it->second, s, {}});
        else
          out.push_back({RepairKind::drop_movement, it->second, 0, {}});
        // The fetch that shared its bandwidth longest moves earlier by that overlap, so that
        // it is done (or nearly) before this one starts.
        for (const auto& [t, overlap_ns] : st.sharing) {
          const std::optional<std::size_t> i = in_flight(t, k);
          if (!i) continue;
          const Movement& c = moves[*i];
          const double at =
              static_cast<double>(start_of(v, c.prefetch)) - static_cast<double>(overlap_ns);
          const std::size_t cs = slot_before(v, c.prefetch, c.evict_after + 1, at);
          if (cs < c.prefetch) shared.push_back({RepairKind::earlier_prefetch, *i, cs, {}});
          break;
        }
        continue;
      }
      // Not planned: evicted by the simulator's victim choice. Prefetch it back in time.
      const std::optional<std::size_t> prev = previous_use(w, v, st.tensor, k);
      if (!prev) continue;
      const std::size_t next = k > *prev ? k : k + n;
      if (next < *prev + 2) continue;
      if (const std::size_t at = recompute_at(st.tensor, *prev, next, st.wait_ns))
        recomp.push_back(
            {RepairKind::add_recompute, 0, 0,
             recompute_movement(st.tensor, w.tensors[st.tensor].bytes, *prev, next, at)});
      Movement add;
      add.tensor = st.tensor;
      add.bytes = w.tensors[st.tensor].bytes;
      add.last_use = *prev;
      add.evict_after = *prev;
      add.next_use = next;
      add.evict = false;
      const double lead = std::max(1.5 * static_cast<double>(st.wait_ns),
                                   (1 + o.prefetch_margin) * fetch_ns(d, add.to, add.bytes));
      add.prefetch = slot_before(v, next, *prev + 1, static_cast<double>(start_of(v, next)) - lead);
      out.push_back({RepairKind::add_prefetch, 0, 0, add});
      continue;
    }
    // Backpressure: evictions k waited for, or that competed with them, become recomputes where
    // the producer takes less than the wait; else one more idle tensor is recomputed.
    if (rule) {
      for (const std::vector<TensorId>* list : {&st.evicting, &st.competing})
        for (TensorId t : *list)
          for (std::size_t i = 0; i < moves.size(); ++i) {
            const Movement& mv = moves[i];
            if (!mv.active || !mv.evict || mv.recompute || mv.tensor != t || mv.last_use >= k ||
                k >= mv.next_use)
              continue;
            if (const std::size_t at = recompute_at(t, mv.last_use, mv.next_use, st.wait_ns))
              recomp.push_back({RepairKind::recompute, i, at, {}});
          }
      std::optional<Movement> more;
      for (const Tensor& t : w.tensors) {
        if (t.persistent) continue;
        for (const InactivePeriod& ip : v.tensors[t.id].inactive) {
          if (!(ip.after < k && k < ip.before) || by_last.count({t.id, ip.after})) continue;
          if (more && ip.before <= more->next_use) continue;
          const std::size_t at = recompute_at(t.id, ip.after, ip.before, st.wait_ns);
          if (at > k) more = recompute_movement(t.id, t.bytes, ip.after, ip.before, at);
        }
      }
      if (more) recomp.push_back({RepairKind::add_recompute, 0, 0, *more});
    }
    // Backpressure: evictions that shared the bus with the ones k waited for, and were not done
    // when k started, go after k instead (the simulator shares bandwidth fairly; the planner's
    // timeline assumed the urgent ones first).
    for (TensorId t : st.competing)
      for (std::size_t i = 0; i < moves.size(); ++i) {
        const Movement& mv = moves[i];
        if (!mv.active || !mv.evict || mv.tensor != t) continue;
        for (std::size_t ku : {k, k + n})
          if (mv.evict_after < ku && ku < mv.prefetch) {
            defer.push_back({RepairKind::defer_eviction, i, ku, {}});
            break;
          }
      }
    // Backpressure: free memory earlier. The idle tensor with the farthest next use that no
    // movement takes out over k yet.
    std::optional<Movement> pick;
    std::int64_t pick_distance = -1;
    for (const Tensor& t : w.tensors)
      for (const InactivePeriod& ip : v.tensors[t.id].inactive) {
        const std::size_t next = ip.wraps ? std::size_t{ip.before} + n : ip.before;
        std::size_t ku = k;
        if (!(ip.after < ku && ku < next)) ku = k + n;
        if (!(ip.after < ku && ku < next) || next < std::size_t{ip.after} + 2) continue;
        if (by_last.count({t.id, ip.after})) continue;
        const std::int64_t distance = start_of(v, next) - start_of(v, ku);
        if (distance <= pick_distance) continue;
        const TierKind tier = d.paths.front().kind;
        const double lead = (1 + o.prefetch_margin) * fetch_ns(d, tier, t.bytes);
        const std::size_t s =
            slot_before(v, next, ip.after + 1, static_cast<double>(start_of(v, next)) - lead);
        if (s <= ku) continue;
        pick = Movement{};
        pick->tensor = t.id;
        pick->bytes = t.bytes;
        pick->last_use = ip.after;
        pick->evict_after = ip.after;
        pick->next_use = next;
        pick->prefetch = s;
        pick->to = tier;
        pick_distance = distance;
      }
    if (pick) out.push_back({RepairKind::evict_more, 0, 0, *pick});
    if (d.paths.size() > 1)
      for (TensorId t : st.evicting) {
        for (std::size_t i = 0; i < moves.size(); ++i)
          if (moves[i].active && moves[i].evict && moves[i].tensor == t &&
              moves[i].last_use < k + n && moves[i].next_use > k) {
            second.push_back({RepairKind::other_tier, i, 0, {}});
            break;
          }
      }
  }
  // Once nothing stalls, recomputed periods moved instead, the costliest first: evicted after
  // the last use, prefetched its transfer time (with the margin) ahead of the next use, or
  // right after the last use where the period is shorter.
  std::vector<Repair> undo;
  if (rule && stalls.empty()) {
    std::vector<std::pair<std::int64_t, std::size_t>> by_cost;
    for (std::size_t i = 0; i < moves.size(); ++i)
      if (moves[i].active && moves[i].recompute)
        by_cost.emplace_back(rule->cost_ns(moves[i].tensor, moves[i].prefetch), i);
    std::stable_sort(by_cost.begin(), by_cost.end(),
                     [](const auto& x, const auto& y) { return x.first > y.first; });
    for (const auto& [cost_ns, i] : by_cost) {
      const Movement& mv = moves[i];
      const double lead = (1 + o.prefetch_margin) * fetch_ns(d, d.paths.front().kind, mv.bytes);
      const std::size_t s = slot_before(v, mv.next_use, mv.last_use + 1,
                                        static_cast<double>(start_of(v, mv.next_use)) - lead);
      undo.push_back({RepairKind::transfer_instead, i, s, {}});
    }
  }
  std::vector<std::vector<Repair>> groups;
  for (std::vector<Repair>* g : {&out, &shared, &defer, &recomp, &second, &undo})
    groups.push_back(std::move(*g));
  return groups;
}

void apply(std::vector<Movement>& moves, const Repair& r, const DeviceView& d) {
  if ((r.kind == RepairKind::earlier_prefetch || r.kind == RepairKind::defer_eviction ||
       r.kind == RepairKind::other_tier) &&
      moves[r.move].recompute)
    return;  // a recompute has no transfer to move (a batch may hold both repairs)
  switch (r.kind) {
    // Repairs of one batch may touch one movement twice: keep it in order.
    case RepairKind::earlier_prefetch:
      moves[r.move].prefetch = std::max(r.slot, moves[r.move].evict_after + 1);
      break;
    case RepairKind::defer_eviction:
      if (r.slot < moves[r.move].prefetch) moves[r.move].evict_after = r.slot;
      break;
    case RepairKind::add_prefetch:
    case RepairKind::evict_more: moves.push_back(r.added); break;
    case RepairKind::other_tier: {
      Movement& mv = moves[r.move];
      for (const LowerPath& p : d.paths)
        if (p.kind != mv.to) {
          mv.to = p.kind;
          break;
        }
      break;
    }
    case RepairKind::drop_movement: moves[r.move].active = false; break;
    case RepairKind::recompute: {
      Movement& mv = moves[r.move];
      mv = recompute_movement(mv.tensor, mv.bytes, mv.last_use, mv.next_use, r.slot);
      break;
    }
    case RepairKind::add_recompute: moves.push_back(r.added); break;
    case RepairKind::transfer_instead: {
      Movement& mv = moves[r.move];
      if (!mv.recompute) break;
      mv.recompute = false;
      mv.evict = true;
      mv.evict_after = mv.last_use;
      mv.prefetch = r.slot;
      mv.to = d.paths.front().kind;
      break;
    }
  }
}

namespace {

/// A repair of one GPU's movements.
struct GpuRepair {
  std::size_t gpu = 0;
  Repair repair;
};

/// Every GPU's repairs for the stalls in `r`, group by group (propose()'s order), the slowest
/// GPU's first within each group; empty groups left out.
std::vector<std::vector<GpuRepair>> propose_all(const Workload& w, const Vitality& v,
                                                const Machine& m, std::span<const DeviceView> ds,
                                                const GpuMoves& moves, const sim::Report& r,
                                                const StrataOptions& o, const RecomputeRule* rule) {
  std::vector<std::size_t> order(ds.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  if (r.gpus.size() == ds.size())
    std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
      return r.gpus[x].iteration_ns > r.gpus[y].iteration_ns;
    });
  std::vector<std::vector<GpuRepair>> groups;
  for (const std::size_t i : order) {
    std::vector<std::vector<Repair>> gs =
        propose(w, v, ds[i], moves[i], diagnose(w, r, gpu_tracks(m, ds, i)), o, rule);
    if (groups.size() < gs.size()) groups.resize(gs.size());
    for (std::size_t g = 0; g < gs.size(); ++g)
      for (Repair& rep : gs[g]) groups[g].push_back({i, std::move(rep)});
  }
  std::erase_if(groups, [](const std::vector<GpuRepair>& g) { return g.empty(); });
  return groups;
}

/// One local search from `moves` (simulated as `start`): repairs in groups (propose()'s order),
/// in two passes. The first tries each group as one batch; the second goes group by group, each
/// batch halved on rejection down to single repairs (starting at half the group: the whole was
/// rejected in the first pass). A kept batch re-diagnoses and starts the first pass again, so a
/// budget of a few dozen simulations reaches every kind of repair before it is spent on repairs
/// one by one. Returns the best report; `moves` becomes its movements. Counts into `res`; stops
/// when `done()`.
template <typename Done>
sim::Report local_search(const Workload& w, const Vitality& v, const Machine& m,
                         std::span<const DeviceView> ds, const Policy& victims, GpuMoves& moves,
                         sim::Report start, const StrataOptions& o, const RecomputeRule* rule,
                         RefineResult& res, Done done) {
  sim::Report best = std::move(start);
  if (ds.front().paths.empty() || !best.feasible) return best;
  auto finished = [&] { return done() || best.fraction_of_ideal >= o.good_enough; };
  std::vector<std::vector<GpuRepair>> groups;
  bool first_pass = true;
  std::size_t g = 0;
  std::size_t offset = 0;
  std::size_t batch = 0;
  // Group g's first batch in this pass, or false if the pass has nothing to try in group g (a
  // single repair was tried in the first pass).
  auto enter = [&]() -> bool {
    const std::size_t size = groups[g].size();
    offset = 0;
    batch = first_pass ? size : (size + 1) / 2;
    return first_pass || size > 1;
  };
  // Moves g to the next group with something to try, the second pass after the first; false
  // when both passes are done.
  auto advance = [&]() -> bool {
    while (true) {
      if (++g == groups.size()) {
        if (!first_pass) return false;
        first_pass = false;
        g = 0;
      }
      if (enter()) return true;
    }
  };
  auto restart = [&] {
    groups = propose_all(w, v, m, ds, moves, best, o, rule);
    first_pass = true;
    g = 0;
    return !groups.empty() && enter();
  };
  bool more = restart();
  while (more && !finished()) {
    const std::vector<GpuRepair>& repairs = groups[g];
    if (offset >= repairs.size()) {
      more = advance();
      continue;
    }
    GpuMoves trial = moves;
    const std::size_t end = std::min(repairs.size(), offset + batch);
    for (std::size_t i = offset; i < end; ++i)
      apply(trial[repairs[i].gpu], repairs[i].repair, ds[repairs[i].gpu]);
    // A batch that leaves a recompute without resident sources is rejected unsimulated.
    bool consistent = true;
    for (std::size_t i = 0; rule && consistent && i < trial.size(); ++i)
      consistent = recomputes_consistent(trial[i], *rule, w.tensors.size(), w.kernels.size());
    sim::Report r;
    if (consistent) {
      r = simulate_moves(w, v, m, ds, victims, trial, rule);
      ++res.simulations;
      res.repairs_tried += static_cast<std::uint32_t>(end - offset);
    }
    if (consistent && better(r, best)) {
      res.repairs_kept += static_cast<std::uint32_t>(end - offset);
      moves = std::move(trial);
      best = std::move(r);
      more = restart();
    } else if (first_pass) {
      more = advance();
    } else if (batch > 1) {
      batch = (batch + 1) / 2;
    } else {
      ++offset;
    }
  }
  return best;
}

}  // namespace

RefineResult refine(const Workload& w, const Vitality& v, const Machine& m,
                    std::span<const DeviceView> ds, const Policy& victims, GpuMoves& moves,
                    const StrataOptions& o, const RecomputeRule* rule,
                    std::span<const GpuMoves> alternatives) {
  RefineResult res;
  // Every GPU's iteration is simulated: a data-parallel run costs its GPU count in kernels.
  const std::size_t kernels_per_run = w.kernels.size() * ds.size();
  auto done = [&] {
    return res.simulations >= o.max_simulations ||
           res.simulations * kernels_per_run >= o.max_simulated_kernels;
  };
  // Several starting points (movements only; with recompute), simulated while the budget
  // allows; the search starts from the fastest and, while it ends with budget left, continues
  // from the next fastest: a recompute costs compute time that another start may avoid
  // altogether.
  std::vector<GpuMoves> starts{moves};
  std::vector<sim::Report> reports{simulate_moves(w, v, m, ds, victims, moves, rule)};
  res.simulations = 1;
  for (const GpuMoves& alt : alternatives) {
    if (done()) break;
    starts.push_back(alt);
    reports.push_back(simulate_moves(w, v, m, ds, victims, alt, rule));
    ++res.simulations;
  }
  std::vector<std::size_t> order(starts.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t x, std::size_t y) { return better(reports[x], reports[y]); });
  moves = starts[order[0]];
  res.unrefined = reports[order[0]];
  res.best = local_search(w, v, m, ds, victims, moves, res.unrefined, o, rule, res, done);
  for (std::size_t i = 1; i < order.size(); ++i) {
    if (done() || !reports[order[i]].feasible ||
        (res.best.feasible && res.best.fraction_of_ideal >= o.good_enough))
      break;
    GpuMoves& other = starts[order[i]];
    sim::Report r =
        local_search(w, v, m, ds, victims, other, std::move(reports[order[i]]), o, rule, res, done);
    if (better(r, res.best)) {
      moves = std::move(other);
      res.best = std::move(r);
    }
  }
  return res;
}

}  // namespace strata::planner
