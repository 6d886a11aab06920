#include "capacity_layer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace strata::bound::detail {

namespace {

/// A tensor that may be recomputed instead of kept: its bytes and its producer's time.
struct Recomputable {
  TensorId tensor = 0;
  double bytes = 0;
  double ns_per_byte = 0;
};

/// Nanoseconds to move `bytes` at `bytes_per_s`; infinite when nothing can move them.
double move_ns(double bytes, double bytes_per_s) {
  if (bytes <= 0) return 0;
  if (bytes_per_s <= 0) return std::numeric_limits<double>::infinity();
  return bytes / bytes_per_s * 1e9;
}

/// Crossings of a link when `bytes` are off the device, the cheapest first: `one_way` bytes
/// cross once in this iteration (a persistent tensor before its first use or after its last,
/// or any tensor on a machine with in-place access), the rest twice (out, then back).
double crossings(double bytes, double one_way) {
  const double once = std::min(bytes, one_way);
  return once + 2 * std::max(0.0, bytes - once);
}

}  // namespace

CapacityLayer capacity_layer(const Workload& w, const Vitality& v, const RouteModel& rm,
                             std::uint32_t gpu_count) {
  CapacityLayer out;
  out.bound_ns = v.ideal_ns;
  out.binding = "compute";
  const std::size_t n = w.kernels.size();
  const double cap = static_cast<double>(rm.device_capacity_bytes);
  const double gpus = gpu_count;
  const double host = static_cast<double>(rm.host_capacity_bytes);

  std::vector<std::size_t> all, away, toward, ssd_all, ssd_away, ssd_toward;
  for (const Destination& d : rm.destinations) {
    all.insert(all.end(), {d.away, d.toward});
    away.push_back(d.away);
    toward.push_back(d.toward);
    if (!d.is_ssd) continue;
    ssd_all.insert(ssd_all.end(), {d.away, d.toward});
    ssd_away.push_back(d.away);
    ssd_toward.push_back(d.toward);
  }
  // Both directions together: each direction's own limit, and what they share (a half-duplex
  // bus).
  const double link_bps = std::min(per_gpu_bytes_per_s(rm, away) + per_gpu_bytes_per_s(rm, toward),
                                   per_gpu_bytes_per_s(rm, all));
  const double ssd_bps =
      std::min(per_gpu_bytes_per_s(rm, ssd_away) + per_gpu_bytes_per_s(rm, ssd_toward),
               per_gpu_bytes_per_s(rm, ssd_all));

  // Per kernel: bytes of the kernel's own operands, and persistent bytes outside their first..last
  // use (one crossing each).
  std::vector<double> used(n, 0), one_way(n, 0);
  std::vector<std::uint32_t> mark(w.tensors.size(), 0xffffffffu);
  for (KernelId k = 0; k < n; ++k)
    for (const auto* list : {&w.kernels[k].inputs, &w.kernels[k].outputs})
      for (TensorId t : *list)
        if (mark[t] != k) {
          mark[t] = k;
          used[k] += static_cast<double>(w.tensors[t].bytes);
        }
  std::vector<double> diff(n + 1, 0);
  std::vector<Recomputable> recomputable;
  const std::vector<KernelId> producer = producers(w);
  for (TensorId t = 0; t < w.tensors.size(); ++t) {
    const TensorVitality& tv = v.tensors[t];
    const double b = static_cast<double>(w.tensors[t].bytes);
    if (w.tensors[t].persistent) {
      diff[0] += b;
      diff[tv.first_use] -= b;
      diff[tv.last_use + 1] += b;
      diff[n] -= b;
    } else if (producer[t] != kNoKernel) {
      const double cost = static_cast<double>(w.kernels[producer[t]].duration_ns);
      recomputable.push_back({t, b, b > 0 ? cost / b : 0});
    }
  }
  std::stable_sort(
      recomputable.begin(), recomputable.end(),
      [](const Recomputable& a, const Recomputable& b) { return a.ns_per_byte < b.ns_per_byte; });
  double run = 0;
  for (std::size_t k = 0; k < n; ++k) {
    run += diff[k];
    one_way[k] = run;
  }

  const double ideal = static_cast<double>(v.ideal_ns);
  std::vector<double> rec_bytes, rec_cost;  // cheapest first, for one kernel (prefix sums)
  for (KernelId k = 0; k < n; ++k) {
    const double live = static_cast<double>(v.live_bytes[k]);
    const double excess = live - cap;
    if (excess <= 0) continue;
    // On a machine with in-place access an operand may stay off the device too, and a byte off
    // the device may cross only once (read in place at its next use).
    const double workspace = static_cast<double>(w.kernels[k].workspace_bytes);
    const double once = rm.any_direct ? live - workspace : one_way[k];
    // Recomputable tensors live at k and not used by it, cheapest per byte first.
    rec_bytes.assign(1, 0);
    rec_cost.assign(1, 0);
    for (const Recomputable& r : recomputable) {
      const TensorVitality& tv = v.tensors[r.tensor];
      if (k <= tv.first_use || k >= tv.last_use ||
          std::binary_search(tv.uses.begin(), tv.uses.end(), k))
        continue;
      rec_bytes.push_back(rec_bytes.back() + r.bytes);
      rec_cost.push_back(rec_cost.back() + r.bytes * r.ns_per_byte);
      if (rec_bytes.back() >= excess) break;
    }
    const double r_max = std::min(excess, rec_bytes.back());
    // f(r): compute with r bytes recomputed (cheapest first); g(r): moving the rest.
    const auto f = [&](double r) {
      const auto it = std::lower_bound(rec_bytes.begin(), rec_bytes.end(), r);
      if (it == rec_bytes.begin()) return ideal;
      const std::size_t i = static_cast<std::size_t>(it - rec_bytes.begin());
      const double slope = (rec_cost[i] - rec_cost[i - 1]) / (rec_bytes[i] - rec_bytes[i - 1]);
      return ideal + rec_cost[i - 1] + (r - rec_bytes[i - 1]) * slope;
    };
    const auto g = [&](double r) {
      const double moved = excess - r;
      const double links = move_ns(crossings(moved, once), link_bps);
      const double on_ssd = std::max(0.0, gpus * moved - host) / gpus;
      return std::max(links, move_ns(crossings(on_ssd, once), ssd_bps));
    };
    double best = 0;
    std::string binding;
    double r_at = 0;
    if (f(0) >= g(0)) {
      best = f(0);
      binding = "compute";
    } else if (f(r_max) <= g(r_max)) {
      best = g(r_max);
      r_at = r_max;
    } else {
      double lo = 0, hi = r_max;  // f(lo) < g(lo), f(hi) > g(hi)
      for (int i = 0; i < 100 && hi - lo > 0.5; ++i) {
        const double mid = (lo + hi) / 2;
        (f(mid) < g(mid) ? lo : hi) = mid;
      }
      best = std::max(f(lo), g(hi));  // <= max(f, g) everywhere (docs/bound.md)
      r_at = lo;
      binding = "compute+recompute";
    }
    if (binding.empty()) {
      const double moved = excess - r_at;
      const double on_ssd = std::max(0.0, gpus * moved - host) / gpus;
      binding =
          move_ns(crossings(on_ssd, once), ssd_bps) > move_ns(crossings(moved, once), link_bps)
              ? "ssd"
              : "links";
    }
    const double floor_ns = std::isinf(best) ? 9.0e18 : std::floor(best);
    const auto bound_ns = static_cast<std::int64_t>(floor_ns);
    if (bound_ns > out.bound_ns) {
      const double moved = excess - r_at;
      out.bound_ns = bound_ns;
      out.kernel = k;
      out.excess_bytes = static_cast<std::uint64_t>(excess);
      out.recompute_bytes = static_cast<std::uint64_t>(r_at);
      out.ssd_bytes = static_cast<std::uint64_t>(std::max(0.0, gpus * moved - host) / gpus);
      out.binding = binding;
    }
  }
  return out;
}

}  // namespace strata::bound::detail
