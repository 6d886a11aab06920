#include "strata/plan/policies/g10.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "g10_budget.hpp"
#include "g10_estimate.hpp"
#include "strata/core/error.hpp"
#include "strata/core/units.hpp"

namespace strata {
namespace {

using g10::Bookkeeping;
using g10::Path;
using g10::ResidentEstimate;
using g10::TransferBudget;

/// The GPU the plan is made for and the paths from its memory to the tiers below.
struct DeviceView {
  GpuId gpu = 0;
  TierId device = 0;
  std::uint64_t capacity_bytes = 0;
  std::optional<LinkId> link[2];  ///< host, ssd
  TierId tier[2] = {0, 0};        ///< host, ssd (valid where link is)
  double evict_bytes_per_ns[2] = {0, 0};
  double fetch_bytes_per_ns[2] = {0, 0};
  double shared_bytes_per_ns = 0;  ///< a bus both links cross; 0 if none
  std::uint64_t host_capacity_bytes = 0;

  bool has(Path p) const { return link[p == Path::host ? 0 : 1].has_value(); }
};

std::size_t at(Path p) { return p == Path::host ? 0 : 1; }

/// `rate_scale` multiplies every link and bus rate (G10Options::gib_per_s_rates).
DeviceView view_of(const Machine& m, double rate_scale) {
  if (m.gpus.empty())
    throw InvalidInput("policy g10: machine '" + m.name +
                       "' has no GPU; the plan is made for one GPU's memory");
  DeviceView d;
  // Plans are one GPU's view (Note [plan tiers]); plan for the smallest GPU memory.
  for (GpuId g = 0; g < m.gpus.size(); ++g) {
    const std::uint64_t cap = m.tiers[m.gpus[g].memory].capacity_bytes;
    if (g == 0 || cap < d.capacity_bytes) {
      d.gpu = g;
      d.capacity_bytes = cap;
    }
  }
  d.device = m.gpus[d.gpu].memory;
  const std::optional<TierId> lower[2] = {
      m.host_tier(),
      m.ssd_tiers().empty() ? std::nullopt : std::optional<TierId>(m.ssd_tiers().front())};
  for (std::size_t i = 0; i < 2; ++i) {
    if (!lower[i]) continue;
    d.link[i] = m.link_between(d.device, *lower[i]);
    if (!d.link[i]) continue;
    d.tier[i] = *lower[i];
    d.evict_bytes_per_ns[i] = rate_scale * uncontended_bytes_per_s(m, *d.link[i], d.device) / 1e9;
    d.fetch_bytes_per_ns[i] = rate_scale * uncontended_bytes_per_s(m, *d.link[i], *lower[i]) / 1e9;
  }
  if (d.link[0]) d.host_capacity_bytes = m.tiers[d.tier[0]].capacity_bytes;
  if (d.link[0] && d.link[1])
    for (BusId a : m.links[*d.link[0]].buses)
      for (BusId b : m.links[*d.link[1]].buses)
        if (a == b) {
          const double rate = rate_scale * m.buses[a].bytes_per_s / 1e9;
          if (d.shared_bytes_per_ns == 0 || rate < d.shared_bytes_per_ns)
            d.shared_bytes_per_ns = rate;
        }
  return d;
}

/// An inactive period in G10's kernel indexing: idle from the start of kernel `a` to the start
/// of kernel `b` (b + kernel count when it wraps around the iteration).
struct Period {
  TensorId tensor = 0;
  std::int64_t bytes = 0;
  std::size_t a = 0;
  std::size_t b = 0;
  bool looped = false;
  std::int64_t time_ns = 0;  ///< ideal duration
};

/// Kernels [from, to) of the doubled kernel axis (to <= from + n): what a period spans.
struct Span {
  std::size_t from = 0;
  std::size_t to = 0;
};

/// Whether two spans share a kernel once folded onto one iteration of n kernels.
bool overlap(Span x, Span y, std::size_t n) {
  auto pieces = [n](Span s, Span out[2]) {
    const std::size_t from = s.from % n;
    const std::size_t length = s.to - s.from;
    if (from + length <= n) {
      out[0] = {from, from + length};
      return 1;
    }
    out[0] = {from, n};
    out[1] = {0, from + length - n};
    return 2;
  };
  Span a[2], b[2];
  const int na = pieces(x, a), nb = pieces(y, b);
  for (int i = 0; i < na; ++i)
    for (int j = 0; j < nb; ++j)
      if (a[i].from < b[j].to && b[j].from < a[i].to) return true;
  return false;
}

/// What step 2 did with a chosen period.
enum class Outcome : std::uint8_t { evicted, declined, too_short };

/// Where a prefetch of an evicted, non-wrapping period may go, decided after all evictions.
struct LocalPrefetch {
  std::size_t period = 0;
  std::size_t latest = 0;  ///< where the booked fetch bandwidth starts it
  std::size_t evicted_by = 0;
};

/// Issue slot k < n is `before` kernel k; slot n is `after` the last kernel.
struct SlotAction {
  std::size_t slot = 0;
  Action action;
};

int issue_rank(ActionKind k) {
  switch (k) {
    case ActionKind::release: return 0;
    case ActionKind::evict: return 1;
    default: return 2;
  }
}

class Planner {
 public:
  Planner(const Workload& w, const Vitality& v, const Machine& m, const G10Options& o)
      : w_(w),
        v_(v),
        m_(m),
        o_(o),
        n_(w.kernels.size()),
        rate_scale_(o.gib_per_s_rates ? 1.073741824 : 1.0),
        d_(view_of(m, rate_scale_)),
        durations_(durations(w)),
        evict_(durations_, d_.evict_bytes_per_ns[0], d_.evict_bytes_per_ns[1],
               d_.shared_bytes_per_ns, bookkeeping(o)),
        fetch_(durations_, d_.fetch_bytes_per_ns[0], d_.fetch_bytes_per_ns[1],
               d_.shared_bytes_per_ns, bookkeeping(o)),
        estimate_(initial_estimate(),
                  static_cast<std::int64_t>(std::floor(
                      o.line_scale *
                      std::floor(o.memory_fraction * static_cast<double>(d_.capacity_bytes))))),
        host_bytes_(n_, 0) {
    times_.reserve(2 * n_ + 1);
    for (std::size_t k = 0; k < n_; ++k) times_.push_back(v.start_ns[k]);
    times_.push_back(v.ideal_ns);
    for (std::size_t k = 1; k <= n_; ++k)
      times_.push_back(v.ideal_ns + (k < n_ ? v.start_ns[k] : v.ideal_ns));
  }

  G10PlanResult run() {
    allocate_and_release();
    if (estimate_.over_count() > 0 && !d_.has(Path::host) && !d_.has(Path::ssd))
      throw InvalidInput(
          "policy g10: workload '" + w_.name + "' does not fit in the " +
          format_bytes(d_.capacity_bytes) + " of GPU '" + m_.gpus[d_.gpu].name + "' and machine '" +
          m_.name +
          "' has no host or SSD tier linked to it to evict to; use a machine with a host or "
          "ssd tier (e.g. the g10-a100 preset)");
    collect_periods();
    evict_greedily();
    place_prefetches();
    stats_.kernels_over_line = estimate_.over_count();
    return {build_plan(), stats_};
  }

 private:
  static Bookkeeping bookkeeping(const G10Options& o) {
    return o.g10_bookkeeping ? Bookkeeping::g10 : Bookkeeping::shared_port;
  }

  static std::vector<std::int64_t> durations(const Workload& w) {
    std::vector<std::int64_t> out;
    out.reserve(w.kernels.size());
    for (const Kernel& k : w.kernels) out.push_back(k.duration_ns);
    return out;
  }

  /// G10Options::resident_tensor, if the workload has it.
  bool is_resident(const Tensor& t) const {
    return !o_.resident_tensor.empty() && t.name == o_.resident_tensor;
  }

  // Every tensor resident at every kernel (the resident tensor twice), plus each kernel's
  // workspace.
  std::vector<std::int64_t> initial_estimate() const {
    std::int64_t all = 0;
    for (const Tensor& t : w_.tensors)
      all += static_cast<std::int64_t>(t.bytes) * (is_resident(t) ? 2 : 1);
    std::vector<std::int64_t> out(n_, all);
    for (std::size_t k = 0; k < n_; ++k)
      out[k] += static_cast<std::int64_t>(w_.kernels[k].workspace_bytes);
    return out;
  }

  /// The kernel j in [from, to) of the doubled time table with time(j) <= t < time(j + 1).
  std::optional<std::size_t> kernel_at(double t, std::size_t from, std::size_t to) const {
    if (t < 0) return std::nullopt;
    const auto it = std::upper_bound(times_.begin(), times_.end(), t, [](double x, std::int64_t y) {
      return x < static_cast<double>(y);
    });
    if (it == times_.begin() || it == times_.end()) return std::nullopt;
    const auto j = static_cast<std::size_t>(it - times_.begin()) - 1;
    if (j < from || j >= to) return std::nullopt;
    return j;
  }

  void emit(std::size_t slot, Action a) { actions_.push_back({slot, a}); }

  // Step 1: allocate each non-persistent tensor as long before its first use as allocating it
  // takes, release it after its last use (tensor order, until the estimate fits).
  void allocate_and_release() {
    for (const Tensor& t : w_.tensors) {
      if (estimate_.over_count() == 0) break;
      const TensorVitality& tv = v_.tensors[t.id];
      if (t.persistent || tv.first_use == kNoKernel || is_resident(t)) continue;
      const auto bytes = static_cast<std::int64_t>(t.bytes);
      const double start = static_cast<double>(v_.start_ns[tv.first_use]) -
                           static_cast<double>(t.bytes) * o_.allocation_ns_per_byte;
      std::size_t issue = 0;
      if (start >= 0) {
        issue = tv.first_use;
        if (const auto j = kernel_at(start, 0, tv.first_use)) issue = *j;
      }
      emit(issue, Action::prefetch(t.id));
      estimate_.add(0, issue, -bytes);
      const std::size_t death = std::size_t{tv.last_use} + 1;
      emit(death, Action::release(t.id));
      estimate_.add(death, n_, -bytes);
    }
  }

  void collect_periods() {
    for (const Tensor& t : w_.tensors)
      for (const InactivePeriod& ip : v_.tensors[t.id].inactive) {
        Period p;
        p.tensor = t.id;
        p.bytes = static_cast<std::int64_t>(t.bytes);
        p.a = (std::size_t{ip.after} + 1) % n_;
        p.b = ip.before;
        p.looped = ip.wraps && p.a > p.b;
        p.time_ns = ip.duration_ns;
        periods_.push_back(p);  // one kernel long: G10 lists it and never moves it
      }
    stats_.inactive_periods = periods_.size();
  }

  /// Bytes x time the period's eviction would take off kernels above GPU memory.
  double pressure_area(const Period& p) const {
    std::size_t lo = p.a;
    std::size_t hi = p.b + n_;
    if (!p.looped) {
      const Path half = d_.has(Path::ssd) ? Path::ssd : Path::host;
      lo = evict_.finish_forward(half, static_cast<double>(p.bytes) / 2, p.a);
      hi = fetch_.start_backward(half, static_cast<double>(p.bytes) / 2, p.b);
    }
    if (lo >= hi) return 0;
    if (p.looped && o_.wrap_time_table && p.b >= 1) {
      // G10Options::wrap_time_table: G10's reading of kernel i >= n on its time table (n + 1
      // entries, indexed modulo n + 1): the boundary kernel counts minus the iteration's time,
      // every later kernel the time of the one before it.
      const std::int64_t time =
          over_ns_[n_] - over_ns_[lo] - (over_at(0) ? v_.ideal_ns : 0) + shifted_over_ns_[p.b];
      return static_cast<double>(p.bytes) * static_cast<double>(time);
    }
    return static_cast<double>(p.bytes) * static_cast<double>(over_ns_[hi] - over_ns_[lo]);
  }

  bool over_at(std::size_t k) const {
    return estimate_.at(k) > static_cast<std::int64_t>(d_.capacity_bytes);
  }

  /// over_ns_[j]: time of the kernels before j on the doubled kernel axis whose estimate is above
  /// GPU memory (integers, so equal spans of pressure give exactly equal areas).
  void update_pressure_time() {
    const auto capacity = static_cast<std::int64_t>(d_.capacity_bytes);
    over_ns_.assign(2 * n_ + 1, 0);
    for (std::size_t j = 0; j < 2 * n_; ++j)
      over_ns_[j + 1] = over_ns_[j] + (estimate_.at(j % n_) > capacity ? durations_[j % n_] : 0);
    // shifted_over_ns_[m]: kernels 1 .. m - 1 above GPU memory, each with the time of the kernel
    // before it (G10Options::wrap_time_table).
    shifted_over_ns_.assign(n_ + 1, 0);
    for (std::size_t i = 1; i < n_; ++i)
      shifted_over_ns_[i + 1] =
          shifted_over_ns_[i] + (estimate_.at(i) > capacity ? durations_[i - 1] : 0);
  }

  // A movement's time: the fault-handling latency, the link's latencies and the bytes at the
  // planner's rate (the machine's, x rate_scale_).
  double evict_move_ns(Path p, std::int64_t bytes) const {
    return move_ns(
        uncontended_transfer_ns(m_, *d_.link[at(p)], d_.device, static_cast<std::uint64_t>(bytes)),
        bytes, d_.evict_bytes_per_ns[at(p)]);
  }
  double fetch_move_ns(Path p, std::int64_t bytes) const {
    return move_ns(uncontended_transfer_ns(m_, *d_.link[at(p)], d_.tier[at(p)],
                                           static_cast<std::uint64_t>(bytes)),
                   bytes, d_.fetch_bytes_per_ns[at(p)]);
  }
  double move_ns(std::int64_t machine_ns, std::int64_t bytes, double planned_bytes_per_ns) const {
    // machine_ns moves the bytes at the machine's rate; take back what the scale saves.
    const double saved = static_cast<double>(bytes) / planned_bytes_per_ns * (rate_scale_ - 1);
    return static_cast<double>(m_.fault.batch_latency_ns + machine_ns) - saved;
  }

  bool host_fits(std::int64_t bytes) const {
    if (!d_.has(Path::host)) return false;
    const std::int64_t peak = *std::max_element(host_bytes_.begin(), host_bytes_.end());
    return peak + bytes <= static_cast<std::int64_t>(d_.host_capacity_bytes);
  }
  void book_host(const Period& p) {
    const Span s = span(p);
    for (std::size_t j = s.from; j < s.to; ++j) host_bytes_[j % n_] += p.bytes;
  }

  void evict_to(const Period& p, Path path) {
    emit(p.a, Action::evict(p.tensor, path == Path::host ? TierKind::host : TierKind::ssd));
    ++(path == Path::host ? stats_.evicted_to_host : stats_.evicted_to_ssd);
  }

  // A non-wrapping period: book the eviction from `a` and the fetch ending at `b` on `path`.
  Outcome offload_local(std::size_t index, Path path) {
    const Period& p = periods_[index];
    const auto bytes = static_cast<double>(p.bytes);
    const std::size_t latest = fetch_.start_backward(path, bytes, p.b);
    const std::size_t evicted_by = evict_.finish_forward(path, bytes, p.a);
    if (latest <= evicted_by) {
      ++stats_.no_room;
      return Outcome::declined;
    }
    evict_to(p, path);
    fetch_.book(path, bytes, latest);
    evict_.book(path, bytes, p.a);
    if (path == Path::host) book_host(p);
    local_.push_back({index, latest, evicted_by});
    estimate_.add(evicted_by + 1, latest, -p.bytes);
    return Outcome::evicted;
  }

  // A period that wraps around the iteration: timed on the ideal clock, as G10 does.
  Outcome offload_looped(const Period& p, Path path) {
    const double evicted_at = static_cast<double>(times_[p.a]) + evict_move_ns(path, p.bytes);
    const double fetch_lead = fetch_move_ns(path, p.bytes) * (1 + o_.prefetch_margin);
    const std::size_t end = p.b + n_;
    const auto evicted_by = kernel_at(evicted_at, p.a, end);
    const auto start = kernel_at(static_cast<double>(times_[end]) - fetch_lead, p.a, end);
    if (!evicted_by || !start || *start == p.a) {
      ++stats_.no_room;
      return Outcome::declined;
    }
    evict_to(p, path);
    emit(*start % n_, Action::prefetch(p.tensor));
    if (path == Path::host) book_host(p);
    estimate_.add(*evicted_by + 1, *start, -p.bytes);
    return Outcome::evicted;
  }

  // Step 2 for one period: SSD if the period covers an SSD round trip, else host if it covers a
  // host round trip and host memory has room.
  Outcome offload(std::size_t index) {
    const Period& p = periods_[index];
    auto round_trip_ns = [&](Path path) {
      return evict_move_ns(path, p.bytes) + fetch_move_ns(path, p.bytes) * (1 + o_.prefetch_margin);
    };
    const auto idle = static_cast<double>(p.time_ns);
    if (d_.has(Path::ssd) && idle > round_trip_ns(Path::ssd)) {
      if (p.looped) return offload_looped(p, Path::ssd);
      // Go to the host instead when the SSD's eviction bandwidth is booked up to the moment the
      // eviction would ideally finish, and host memory has room.
      const double evicted_at =
          static_cast<double>(times_[p.a]) + evict_move_ns(Path::ssd, p.bytes);
      const std::size_t clear = kernel_at(evicted_at, p.a, p.b).value_or(p.b - 1);
      if (!evict_.any_room(Path::ssd, p.a, clear) && host_fits(p.bytes))
        return offload_local(index, Path::host);
      return offload_local(index, Path::ssd);
    }
    if (d_.has(Path::host) && idle > round_trip_ns(Path::host)) {
      if (!host_fits(p.bytes)) {
        ++stats_.no_room;
        return Outcome::declined;
      }
      if (p.looped) return offload_looped(p, Path::host);
      return offload_local(index, Path::host);
    }
    ++stats_.too_short;
    return Outcome::too_short;
  }

  Span span(const Period& p) const { return {p.a, p.looped ? p.b + n_ : p.b}; }

  // Step 2, as G10 runs it: every round sorts all periods by pressure area (equal non-zero
  // areas: the larger bytes x duration first; a handled period counts 0) with
  // std::sort, and handles the first. It stops when the first is already handled, when the
  // estimate fits, or after as many rounds as there are periods. Periods with no area left are
  // equal to the sort, so which of them comes first is whatever order std::sort leaves: G10
  // keeps evicting them, and reproducing its plans means keeping its order (the one vector,
  // sorted in place round after round). A period's area depends only on the kernels it spans
  // (estimate and bookings there), so after an eviction only the periods overlapping it are
  // re-evaluated. Areas only shrink, except that of a wrapping period read on G10's time table
  // (G10Options::wrap_time_table), which grows when kernel 0 falls below GPU memory; kernel 0
  // is in every wrapping span, so such a change is always an overlap (the skip of zero areas
  // misses one only if that area, which counts kernel 0 at minus the iteration's time, was
  // exactly zero).
  void evict_greedily() {
    const std::size_t count = periods_.size();
    update_pressure_time();
    std::vector<std::uint32_t> order(count);
    std::iota(order.begin(), order.end(), 0U);
    std::vector<double> area(count), tie(count);
    std::vector<char> handled(count, 0);
    const auto retire = [&](std::uint32_t i) {  // handled: it counts 0 from now on
      handled[i] = 1;
      area[i] = 0;
    };
    for (std::size_t i = 0; i < count; ++i) {
      area[i] = pressure_area(periods_[i]);
      tie[i] = static_cast<double>(periods_[i].bytes) * static_cast<double>(periods_[i].time_ns);
    }
    // G10 breaks ties of areas within 1e-6 (of bytes x time: exact equality) when both are
    // non-zero; zero areas stay equal.
    const auto before = [&](std::uint32_t x, std::uint32_t y) {
      if (area[x] != area[y]) return area[x] > area[y];
      return area[x] != 0 && tie[x] > tie[y];
    };
    for (std::size_t round = 0; round < count && estimate_.over_count() > 0; ++round) {
      std::sort(order.begin(), order.end(), before);
      const std::uint32_t head = order.front();
      if (handled[head]) break;
      const Period& p = periods_[head];
      const Span s = span(p);
      if (s.to - s.from < 2 || !estimate_.over_in(s.from, s.to)) {
        retire(head);  // one kernel long, or nothing above the line while it is idle
        continue;
      }
      const Outcome outcome = offload(head);
      if (outcome == Outcome::too_short) {
        // G10 leaves it unhandled: with area left it is first again every round (nothing more
        // is planned); with none, another period may come first.
        if (!o_.stop_at_too_short) {
          retire(head);
        } else if (area[head] > 0) {
          break;
        }
        continue;
      }
      retire(head);
      if (outcome != Outcome::evicted) continue;
      update_pressure_time();
      for (std::size_t i = 0; i < count; ++i)
        if (!handled[i] && area[i] != 0 && overlap(span(periods_[i]), s, n_))
          area[i] = pressure_area(periods_[i]);
    }
  }

  // Step 3: prefetches of non-wrapping periods, earliest booked first, each moved earlier while
  // the kernel before it is under the line (not before its eviction has finished).
  void place_prefetches() {
    std::stable_sort(
        local_.begin(), local_.end(),
        [](const LocalPrefetch& x, const LocalPrefetch& y) { return x.latest < y.latest; });
    for (const LocalPrefetch& lp : local_) {
      const Period& p = periods_[lp.period];
      std::size_t k = lp.latest;
      while (k > lp.evicted_by + 1 && estimate_.at(k - 1) + p.bytes <= estimate_.line()) --k;
      emit(k, Action::prefetch(p.tensor));
      estimate_.add(k, lp.latest, p.bytes);
    }
  }

  Plan build_plan() {
    Plan plan = make_empty_plan(w_, "g10 plan of " + w_.name, "g10");
    std::stable_sort(actions_.begin(), actions_.end(),
                     [](const SlotAction& x, const SlotAction& y) {
                       if (x.slot != y.slot) return x.slot < y.slot;
                       return issue_rank(x.action.kind) < issue_rank(y.action.kind);
                     });
    for (const SlotAction& sa : actions_) {
      if (sa.slot < n_)
        plan.kernels[sa.slot].before.push_back(sa.action);
      else
        plan.kernels[n_ - 1].after.push_back(sa.action);
    }
    // Steady state: a persistent tensor whose last movement in the iteration is an eviction
    // starts the iteration where that eviction put it.
    std::vector<std::optional<TierKind>> last(w_.tensors.size());
    for (const SlotAction& sa : actions_)
      if (sa.action.kind == ActionKind::prefetch || sa.action.kind == ActionKind::evict)
        last[sa.action.tensor] = sa.action.to;
    for (const Tensor& t : w_.tensors)
      if (t.persistent && last[t.id] && *last[t.id] != TierKind::device)
        plan.initial.emplace(t.id, *last[t.id]);
    return plan;
  }

  const Workload& w_;
  const Vitality& v_;
  const Machine& m_;
  const G10Options& o_;
  std::size_t n_;
  double rate_scale_;  ///< G10Options::gib_per_s_rates
  DeviceView d_;
  std::vector<std::int64_t> durations_;
  TransferBudget evict_;
  TransferBudget fetch_;
  ResidentEstimate estimate_;
  std::vector<std::int64_t> host_bytes_;
  std::vector<std::int64_t> times_;    ///< kernel start times over two iterations, 2n + 1 entries
  std::vector<std::int64_t> over_ns_;  ///< see update_pressure_time
  std::vector<std::int64_t> shifted_over_ns_;  ///< see update_pressure_time
  std::vector<Period> periods_;
  std::vector<LocalPrefetch> local_;
  std::vector<SlotAction> actions_;
  G10PlanStats stats_;
};

}  // namespace

G10PlanResult plan_g10(const Workload& w, const Vitality& v, const Machine& m,
                       const G10Options& options) {
  if (w.kernels.empty()) throw InvalidInput("policy g10: workload '" + w.name + "' has no kernels");
  if (v.tensors.size() != w.tensors.size() || v.start_ns.size() != w.kernels.size())
    throw InvalidInput("policy g10: the vitality analysis is not of workload '" + w.name +
                       "'; run analyze_vitality on it");
  if (!(options.memory_fraction > 0 && options.memory_fraction <= 1) ||
      !(options.line_scale > 0 && std::isfinite(options.line_scale)) ||
      !(options.prefetch_margin >= 0) || !(options.allocation_ns_per_byte >= 0))
    throw InvalidInput(
        "policy g10: options out of range; memory_fraction must be in (0, 1], line_scale "
        "positive, prefetch_margin and allocation_ns_per_byte >= 0");
  G10PlanResult r = Planner(w, v, m, options).run();
  r.plan.policy = "g10";
  validate(r.plan, w, m);
  return r;
}

G10Options parse_g10_options(std::string_view argument) {
  constexpr std::string_view kKey = "line_scale=";
  const std::string usage =
      "write g10:line_scale=<x> with x a positive number (G10's loosen_parameter; e.g. "
      "g10:line_scale=1.394, what G10's artifact uses for BERT at batch 512)";
  if (argument.substr(0, kKey.size()) != kKey)
    throw InvalidInput("policy 'g10:" + std::string(argument) + "': unknown option; " + usage);
  const std::string_view number = argument.substr(kKey.size());
  double value = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (number.empty() || ec != std::errc() || end != number.data() + number.size() || !(value > 0) ||
      !std::isfinite(value))
    throw InvalidInput("policy 'g10:" + std::string(argument) + "': '" + std::string(number) +
                       "' is not a positive number; " + usage);
  G10Options o;
  o.line_scale = value;
  return o;
}

std::string G10Policy::name() const {
  if (options_.line_scale == 1.0) return "g10";
  return fmt::format("g10:line_scale={}", options_.line_scale);
}

Plan G10Policy::plan(const Workload& w, const Vitality& v, const Machine& m) const {
  return plan_g10(w, v, m, options_).plan;
}

}  // namespace strata
