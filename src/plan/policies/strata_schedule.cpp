#include "strata_schedule.hpp"

#include <algorithm>
#include <cmath>

#include "strata/core/error.hpp"
#include "strata/sim/transfers.hpp"
#include "strata_recompute.hpp"

namespace strata::planner {

namespace {

std::vector<ResourceIndex> route_of(const Machine& m, LinkId link, TierId from,
                                    std::int64_t& latency_ns) {
  const sim::Route r = sim::route_for(m, link, from);
  latency_ns = r.latency_ns;
  return {r.resources.begin(), r.resources.end()};
}

/// An inactive period in unwrapped kernel indices: idle after `a`, used again at `next`.
struct Period {
  TensorId tensor = 0;
  std::uint64_t bytes = 0;
  std::size_t a = 0;
  std::size_t next = 0;
};

/// The sweep of one GPU. Several GPUs' sweeps share one timeline (the buses they share are
/// resources of it) and the host tier's bookings; see Note [strata on several GPUs].
class Sweep {
 public:
  Sweep(const Workload& w, const Vitality& v, const DeviceView& d, const StrataOptions& o,
        const RecomputeRule* rule, BandwidthTimeline& timeline, std::vector<std::uint64_t>& host)
      : w_(w),
        v_(v),
        d_(d),
        o_(o),
        n_(w.kernels.size()),
        timeline_(timeline),
        mem_(v.live_bytes.begin(), v.live_bytes.end()),
        host_(host),
        line_(static_cast<double>(d.capacity_bytes) * o.memory_fraction),
        rule_(rule),
        book_(w.tensors.size(), n_),
        moves_of_(w.tensors.size()) {
    collect();
  }

  /// Step 2 at kernel k.
  void step(std::size_t k) {
    if (over(k)) relieve(k);
  }

  /// Step 3, then the result.
  Schedule finish() {
    lead();
    Schedule s;
    s.periods = periods_.size();
    for (std::size_t k = 0; k < n_; ++k) s.kernels_over_line += over(k) ? 1 : 0;
    for (const Chosen& c : chosen_) s.moves.push_back(c.move);
    return s;
  }

 private:
  struct Chosen {
    Movement move;
    std::size_t path = 0;
    std::size_t out_by = 0;  ///< unwrapped slot from which the tensor is out of GPU memory
    BandwidthTimeline::Booking fetch;
  };

  bool over(std::size_t k) const { return static_cast<double>(mem_[k]) > line_; }

  void collect() {
    for (const Tensor& t : w_.tensors)
      for (const InactivePeriod& ip : v_.tensors[t.id].inactive) {
        const std::size_t next = ip.wraps ? std::size_t{ip.before} + n_ : ip.before;
        if (next < std::size_t{ip.after} + 2) continue;  // idle for less than one kernel
        periods_.push_back({t.id, t.bytes, ip.after, next});
      }
    taken_.assign(periods_.size(), false);
  }

  bool host_room(const LowerPath& p, std::size_t from, std::size_t to, std::uint64_t bytes) const {
    if (p.kind != TierKind::host) return true;  // SSD capacity is checked by the simulator
    for (std::size_t j = from; j < to; ++j)
      if (host_[j % n_] + bytes > p.capacity_bytes) return false;
    return true;
  }

  /// What moving `pr` over path `pi` would free, for kernel `ku` (unwrapped).
  struct Option {
    std::size_t out_by = 0;    ///< first slot the tensor is out
    std::size_t prefetch = 0;  ///< slot its prefetch is issued
  };
  /// `late`: the eviction may finish after ku (ku will wait for it; the bandwidth is kept busy).
  std::optional<Option> try_path(const Period& pr, std::size_t pi, std::size_t ku,
                                 bool late) const {
    const LowerPath& p = d_.paths[pi];
    const auto bytes = static_cast<double>(pr.bytes);
    const auto done = timeline_.finish_forward(p.evict_route, bytes, pr.a + 1,
                                               late ? pr.next : ku + 1, p.evict_latency_ns);
    if (!done) return std::nullopt;
    const std::size_t out_by = timeline_.first_slot_at_or_after(*done, pr.a + 1);
    if (out_by > ku && !late) return std::nullopt;
    const auto start =
        timeline_.latest_start(p.fetch_route, bytes * (1 + o_.prefetch_margin), pr.next,
                               std::max(ku, out_by) + 1, p.fetch_latency_ns);
    if (!start) return std::nullopt;
    if (!book_.can_be_out(pr.tensor, pr.a, *start)) return std::nullopt;
    if (!host_room(p, pr.a + 1, pr.next, pr.bytes)) return std::nullopt;
    return Option{std::min(out_by, ku), *start};
  }

  void take(std::size_t index, std::size_t pi, const Option& opt) {
    const Period& pr = periods_[index];
    const LowerPath& p = d_.paths[pi];
    taken_[index] = true;
    const auto bytes = static_cast<double>(pr.bytes);
    timeline_.reserve(p.evict_route, bytes, pr.a + 1, pr.next);
    Chosen c;
    c.move.tensor = pr.tensor;
    c.move.bytes = pr.bytes;
    c.move.last_use = pr.a;
    c.move.next_use = pr.next;
    c.move.evict_after = pr.a;
    c.move.prefetch = opt.prefetch;
    c.move.to = p.kind;
    c.path = pi;
    c.out_by = opt.out_by;
    c.fetch = timeline_.reserve(p.fetch_route, bytes, opt.prefetch, pr.next);
    if (p.kind == TierKind::host)
      for (std::size_t j = pr.a + 1; j < pr.next; ++j) host_[j % n_] += pr.bytes;
    for (std::size_t j = opt.out_by; j < opt.prefetch; ++j) mem_[j % n_] -= pr.bytes;
    book_.add_out(pr.tensor, pr.a, opt.prefetch);
    moves_of_[pr.tensor].push_back(chosen_.size());
    chosen_.push_back(std::move(c));
  }

  // Recompute instead of moving (Note [strata recompute]) where the rule allows it, it keeps
  // every recompute's sources resident, and the producer takes at most recompute_max_cost of
  // the tensor's uncontended transfer time on the fastest path.
  bool try_recompute(std::size_t index, std::size_t k) {
    if (!rule_) return false;
    const Period& pr = periods_[index];
    // Recomputed before its next use, or earlier where another recompute needs it as a source.
    const std::size_t at = book_.first_pin(pr.tensor, pr.a, pr.next);
    if (!rule_->allowed(pr.tensor, pr.a, at)) return false;
    const double transfer_ns = static_cast<double>(pr.bytes) / d_.paths.front().fetch_bytes_per_ns;
    if (static_cast<double>(rule_->cost_ns(pr.tensor, at)) > o_.recompute_max_cost * transfer_ns)
      return false;
    std::vector<std::pair<std::size_t, std::size_t>> pulls;
    if (!sources_ready(pr.tensor, at, k, 0, pulls)) return false;
    for (const auto& [i, slot] : pulls) apply_pull(i, slot);
    taken_[index] = true;
    moves_of_[pr.tensor].push_back(chosen_.size());
    Chosen c;
    c.move = recompute_movement(pr.tensor, pr.bytes, pr.a, pr.next, at);
    c.out_by = pr.a + 1;
    for (std::size_t j = pr.a + 1; j < at; ++j) mem_[j] -= pr.bytes;
    book_.add(c.move, *rule_);
    chosen_.push_back(std::move(c));
    return true;
  }

  // Whether every source of t is resident at slot s, or can be made so: a source recomputed
  // later is recomputed at s instead (its own sources likewise, a few levels deep); a source
  // evicted over s is prefetched before s instead, if the fetch bandwidth allows it after
  // kernel k (kernels up to k keep their memory estimate). The changes go to `pulls`:
  // (index into chosen_, new slot of its recompute or prefetch).
  bool sources_ready(TensorId t, std::size_t s, std::size_t k, int depth,
                     std::vector<std::pair<std::size_t, std::size_t>>& pulls) const {
    for (TensorId x : rule_->sources(t, s)) {
      if (book_.resident_at(x, s)) continue;
      if (depth >= 3) return false;
      std::optional<std::size_t> found;
      for (std::size_t i : moves_of_[x]) {
        const Movement& mv = chosen_[i].move;
        if (mv.evict_after < s && s <= mv.prefetch) found = i;
      }
      if (!found) return false;
      for (const auto& pull : pulls)
        if (pull.first == *found) return false;
      const Chosen& c = chosen_[*found];
      const Movement& mv = c.move;
      if (mv.recompute) {
        if (!rule_->allowed(x, mv.evict_after, s) || !book_.can_be_out(x, mv.evict_after, s - 1))
          return false;
        pulls.emplace_back(*found, s);
        if (!sources_ready(x, s, k, depth + 1, pulls)) return false;
        continue;
      }
      const LowerPath& p = d_.paths[c.path];
      const std::size_t lowest = std::max({k + 1, c.out_by + 1, mv.evict_after + 1});
      if (lowest >= s) return false;
      const auto start = timeline_.latest_start(
          p.fetch_route, static_cast<double>(mv.bytes) * (1 + o_.prefetch_margin), s, lowest,
          p.fetch_latency_ns);
      if (!start || *start >= s) return false;
      pulls.emplace_back(*found, *start);
    }
    return true;
  }

  void apply_pull(std::size_t i, std::size_t slot) {
    Chosen& c = chosen_[i];
    Movement& mv = c.move;
    book_.remove(mv, *rule_);
    for (std::size_t j = slot; j < mv.prefetch; ++j) mem_[j % n_] += mv.bytes;
    if (!mv.recompute) {
      const LowerPath& p = d_.paths[c.path];
      timeline_.cancel(p.fetch_route, c.fetch);
      c.fetch = timeline_.reserve(p.fetch_route, static_cast<double>(mv.bytes), slot, mv.next_use);
    }
    mv.prefetch = slot;
    book_.add(mv, *rule_);
  }

  // Step 2 at kernel k: farthest next use first, until k is under the line.
  void relieve(std::size_t k) {
    struct Cand {
      std::int64_t distance_ns;
      std::size_t index;
      std::size_t ku;
    };
    std::vector<Cand> cands;
    for (std::size_t i = 0; i < periods_.size(); ++i) {
      if (taken_[i]) continue;
      const Period& pr = periods_[i];
      for (std::size_t ku : {k, k + n_})
        if (pr.a < ku && ku < pr.next) {
          cands.push_back({timeline_.start_ns(pr.next) - timeline_.start_ns(ku), i, ku});
          break;
        }
    }
    std::sort(cands.begin(), cands.end(), [&](const Cand& x, const Cand& y) {
      if (x.distance_ns != y.distance_ns) return x.distance_ns > y.distance_ns;
      const Period& px = periods_[x.index];
      const Period& py = periods_[y.index];
      if (px.bytes != py.bytes) return px.bytes > py.bytes;
      return x.index < y.index;
    });
    // First only periods out of GPU memory by k on the ideal clock; then, if k is still over,
    // periods whose eviction ends later: k will wait for them, but the bandwidth stays busy
    // from the last use on instead of idling until the simulator evicts a victim at k.
    for (const bool late : {false, true})
      for (const Cand& c : cands) {
        if (!over(k)) return;
        if (taken_[c.index]) continue;
        // A recompute that passes the cost test is taken before any movement: it frees the
        // memory from the last use on and leaves the bandwidth to the periods that cannot be
        // recomputed. (Trying movements first and recomputing only where none is out by k
        // measured worse on BERT-512, 0.971 against 0.975, and about equal elsewhere.)
        if (try_recompute(c.index, k)) continue;
        std::optional<Option> best;
        std::size_t best_path = 0;
        for (std::size_t pi = 0; pi < d_.paths.size(); ++pi) {
          const std::optional<Option> opt = try_path(periods_[c.index], pi, c.ku, late);
          if (!opt) continue;
          // Longer out of GPU memory wins; the first path (host) on ties.
          if (!best || opt->prefetch - opt->out_by > best->prefetch - best->out_by) {
            best = opt;
            best_path = pi;
          }
        }
        if (best)
          take(c.index, best_path, *best);
        else if (!late)
          try_recompute(c.index, k);
      }
  }

  // Step 3: prefetches move earlier while memory has room, up to max_lead transfer times.
  void lead() {
    std::vector<std::size_t> order(chosen_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
      return chosen_[x].move.prefetch < chosen_[y].move.prefetch;
    });
    for (std::size_t i : order) {
      Chosen& c = chosen_[i];
      if (c.move.recompute) continue;
      const LowerPath& p = d_.paths[c.path];
      const double lead_ns = o_.max_lead * static_cast<double>(c.move.bytes) / p.fetch_bytes_per_ns;
      const auto need_ns = static_cast<double>(timeline_.start_ns(c.move.next_use));
      std::size_t s = c.move.prefetch;
      while (s > c.out_by + 1 &&
             need_ns - static_cast<double>(timeline_.start_ns(s - 1)) <= lead_ns &&
             static_cast<double>(mem_[(s - 1) % n_] + c.move.bytes) <= line_)
        --s;
      if (s == c.move.prefetch) continue;
      for (std::size_t j = s; j < c.move.prefetch; ++j) mem_[j % n_] += c.move.bytes;
      timeline_.cancel(p.fetch_route, c.fetch);
      c.fetch =
          timeline_.reserve(p.fetch_route, static_cast<double>(c.move.bytes), s, c.move.next_use);
      c.move.prefetch = s;
    }
  }

  const Workload& w_;
  const Vitality& v_;
  const DeviceView& d_;
  const StrataOptions& o_;
  std::size_t n_;
  BandwidthTimeline& timeline_;
  std::vector<std::uint64_t> mem_;
  std::vector<std::uint64_t>& host_;  ///< host bytes booked per slot, by every GPU
  double line_;
  std::vector<Period> periods_;
  std::vector<bool> taken_;
  std::vector<Chosen> chosen_;
  const RecomputeRule* rule_;  ///< nullptr: move only
  ResidencyBook book_;
  std::vector<std::vector<std::size_t>> moves_of_;  ///< per tensor, indices into chosen_
};

}  // namespace

DeviceView device_view(const Machine& m, GpuId gpu) {
  DeviceView d;
  d.gpu = gpu;
  d.device = m.gpus.at(gpu).memory;
  d.capacity_bytes = m.tiers[d.device].capacity_bytes;
  for (const sim::Resource& r : sim::machine_resources(m))
    d.resource_bytes_per_s.push_back(r.bytes_per_s);
  std::vector<TierId> lower;
  if (const auto h = m.host_tier()) lower.push_back(*h);
  for (TierId t : m.ssd_tiers()) {
    lower.push_back(t);
    break;  // plans name tiers by kind: the first SSD (Note [plan tiers])
  }
  for (TierId t : m.tiers_of_kind(TierKind::pmem)) {
    lower.push_back(t);
    break;
  }
  for (TierId t : lower) {
    const std::optional<LinkId> link = m.link_between(d.device, t);
    if (!link) continue;
    LowerPath p;
    p.kind = m.tiers[t].kind;
    p.tier = t;
    p.link = *link;
    p.capacity_bytes = m.tiers[t].capacity_bytes;
    p.evict_route = route_of(m, *link, d.device, p.evict_latency_ns);
    p.fetch_route = route_of(m, *link, t, p.fetch_latency_ns);
    p.fetch_bytes_per_ns = uncontended_bytes_per_s(m, *link, t) / 1e9;
    d.paths.push_back(std::move(p));
  }
  return d;
}

Schedule schedule(const Workload& w, const Vitality& v, const DeviceView& d, const StrataOptions& o,
                  const RecomputeRule* rule) {
  return std::move(schedule_gpus(w, v, std::span<const DeviceView>(&d, 1), o, rule).front());
}

std::vector<Schedule> schedule_gpus(const Workload& w, const Vitality& v,
                                    std::span<const DeviceView> ds, const StrataOptions& o,
                                    const RecomputeRule* rule) {
  if (ds.empty()) throw InvalidInput("strata planner: no GPU to plan for");
  const DeviceView& d = ds.front();
  if (d.paths.empty() || v.peak_live_bytes <= d.capacity_bytes) {
    Schedule s;
    for (std::uint64_t b : v.live_bytes)
      s.kernels_over_line +=
          static_cast<double>(b) > static_cast<double>(d.capacity_bytes) * o.memory_fraction ? 1
                                                                                             : 0;
    if (v.peak_live_bytes <= d.capacity_bytes) s.kernels_over_line = 0;
    return std::vector<Schedule>(ds.size(), s);
  }
  // One timeline and one host booking for all GPUs; kernel by kernel, each GPU in turn brings
  // k under its line, the GPU that goes first rotating with k (Note [strata on several GPUs]).
  BandwidthTimeline timeline(v.start_ns, v.ideal_ns, d.resource_bytes_per_s);
  std::vector<std::uint64_t> host(w.kernels.size(), 0);
  std::vector<Sweep> sweeps;
  sweeps.reserve(ds.size());
  for (const DeviceView& dv : ds) sweeps.emplace_back(w, v, dv, o, rule, timeline, host);
  for (std::size_t k = 0; k < w.kernels.size(); ++k)
    for (std::size_t i = 0; i < sweeps.size(); ++i) sweeps[(k + i) % sweeps.size()].step(k);
  std::vector<Schedule> out;
  out.reserve(sweeps.size());
  for (Sweep& sw : sweeps) out.push_back(sw.finish());
  return out;
}

namespace {

/// The most bytes per ns the device can move over these routes at once: the paths' rates,
/// capped by any resource every route crosses.
double total_rate_per_ns(const DeviceView& d, std::vector<ResourceIndex> LowerPath::*route) {
  double rate = 0;
  for (const LowerPath& p : d.paths) {
    double r = -1;
    for (ResourceIndex i : p.*route)
      r = r < 0 ? d.resource_bytes_per_s[i] : std::min(r, d.resource_bytes_per_s[i]);
    rate += r;
  }
  for (std::size_t i = 0; i < d.resource_bytes_per_s.size(); ++i) {
    bool all = true;
    for (const LowerPath& p : d.paths)
      all = all && std::find((p.*route).begin(), (p.*route).end(), i) != (p.*route).end();
    if (all) rate = std::min(rate, d.resource_bytes_per_s[i]);
  }
  return rate / 1e9;
}

}  // namespace

std::int64_t eviction_bound_ns(const Workload& w, const Vitality& v, const DeviceView& d,
                               const RecomputeRule* rule) {
  if (d.paths.empty()) return v.ideal_ns;
  const double evict_rate = total_rate_per_ns(d, &LowerPath::evict_route);
  const double fetch_rate = total_rate_per_ns(d, &LowerPath::fetch_route);
  const std::size_t n = w.kernels.size();
  // Persistent tensors first used after kernel k may have stayed out since the last iteration;
  // those last used before k may stay out until the next.
  std::vector<std::uint64_t> later(n + 1, 0), done(n + 1, 0);
  for (const Tensor& t : w.tensors)
    if (t.persistent && v.tensors[t.id].first_use != kNoKernel) {
      later[v.tensors[t.id].first_use] += t.bytes;
      done[v.tensors[t.id].last_use + 1] += t.bytes;
    }
  for (std::size_t k = n; k > 0; --k) later[k - 1] += later[k];
  for (std::size_t k = 1; k <= n; ++k) done[k] += done[k - 1];
  // Bytes that may leave by recompute: idle over k in a period the rule allows (difference array).
  std::vector<std::int64_t> freeable(n + 1, 0);
  if (rule)
    for (const Tensor& t : w.tensors)
      for (const InactivePeriod& ip : v.tensors[t.id].inactive)
        if (!ip.wraps && rule->allowed(t.id, ip.after, ip.before)) {
          freeable[ip.after + 1] += static_cast<std::int64_t>(t.bytes);
          freeable[ip.before] -= static_cast<std::int64_t>(t.bytes);
        }
  std::int64_t freeable_k = 0;
  std::int64_t bound = v.ideal_ns;
  auto beyond = [](std::uint64_t live, std::uint64_t keep) {
    return live > keep ? static_cast<double>(live - keep) : 0.0;
  };
  for (std::size_t k = 0; k < n; ++k) {
    freeable_k += freeable[k];
    const auto spare = d.capacity_bytes + static_cast<std::uint64_t>(freeable_k);
    // Out of GPU memory at k and evicted since the iteration began: k starts no sooner.
    const double evicted = beyond(v.live_bytes[k], spare + later[k + 1]);
    const double start_ns =
        std::max(static_cast<double>(v.start_ns[k]), std::ceil(evicted / evict_rate));
    // Out of GPU memory at k and needed again in this iteration: fetched after k starts.
    const double fetched = beyond(v.live_bytes[k], spare + done[k]);
    const double rest_ns =
        std::max(static_cast<double>(v.ideal_ns - v.start_ns[k]), std::ceil(fetched / fetch_rate));
    bound = std::max(bound, static_cast<std::int64_t>(start_ns + rest_ns));
  }
  return bound;
}

}  // namespace strata::planner
