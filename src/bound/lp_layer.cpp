#include "lp_layer.hpp"

#include <fmt/format.h>
#include <glpk.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <utility>

namespace strata::bound::detail {

namespace {

// Units inside the LP: megabytes and milliseconds (bytes/s x 1e-9 = MB/ms), so that
// coefficients stay within a few orders of magnitude of 1.
constexpr double kBytesPerMb = 1e6;
constexpr double kNsPerMs = 1e6;

/// A stretch in which one tensor may be off the device: kernels first .. end-1 lie inside it and
/// its transfers happen in the window of slots [first, end] (Note [window slots] below).
struct Part {
  TensorId tensor = 0;
  std::uint32_t first = 0;
  std::uint32_t end = 0;
  bool away = false;    ///< leaving the device happens inside the window
  bool toward = false;  ///< coming back happens inside the window
  bool recompute = false;
  double mb = 0;
  double recompute_ms = 0;
  int column = 0;  ///< its first option column (1-based, GLPK)
};

// Note [window slots]: window (i, j), 0 <= i < j <= N, is the time from the end of kernel i-1
// (the start of the iteration for i = 0) to the start of kernel j (the end of kernel N-1 for
// j = N). It lasts at most sum(d_k, i <= k < j) + sum(sigma_k, i <= k <= min(j, N-1)), where
// sigma_k is all the time kernel k adds to its duration: the wait before it (stalls,
// recomputes) and any lengthening while it runs. With S_k = sigma_0 + ... + sigma_{k-1}
// (S_0 = 0, S_N = the iteration minus the ideal) the stall part is S_{min(j,N-1)+1} - S_i.

/// A sparse LP in GLPK's 1-based triplet form.
struct Program {
  std::vector<int> ia{0}, ja{0};
  std::vector<double> ar{0};
  struct Row {
    int type = GLP_UP;
    double lo = 0, hi = 0;
  };
  std::vector<Row> rows;
  struct Col {
    int type = GLP_LO;
    double lo = 0, hi = 0, obj = 0;
  };
  std::vector<Col> cols;

  int add_col(int type, double lo, double hi, double obj) {
    cols.push_back({type, lo, hi, obj});
    return static_cast<int>(cols.size());
  }
  int add_row(int type, double lo, double hi) {
    rows.push_back({type, lo, hi});
    return static_cast<int>(rows.size());
  }
  void put(int row, int col, double value) {
    if (value == 0) return;
    ia.push_back(row);
    ja.push_back(col);
    ar.push_back(value);
  }
  std::size_t nonzeros() const { return ar.size() - 1; }
};

struct GlpDeleter {
  void operator()(glp_prob* p) const { glp_delete_prob(p); }
};

std::string glpk_status(int ret, int status) {
  if (ret != 0) {
    switch (ret) {
      case GLP_ETMLIM: return "time limit reached";
      case GLP_EITLIM: return "iteration limit reached";
      case GLP_ESING: return "singular basis";
      case GLP_ENOPFS: return "no primal feasible solution";
      case GLP_ENODFS: return "no dual feasible solution";
      default: return fmt::format("glp_simplex returned {}", ret);
    }
  }
  switch (status) {
    case GLP_OPT: return "optimal";
    case GLP_FEAS: return "feasible, not proven optimal";
    case GLP_INFEAS: return "infeasible";
    case GLP_NOFEAS: return "no feasible solution";
    case GLP_UNBND: return "unbounded";
    default: return "undefined";
  }
}

}  // namespace

LpLayer lp_layer(const Workload& w, const Vitality& v, const RouteModel& rm,
                 const BoundOptions& options) {
  LpLayer out;
  const auto n = static_cast<std::uint32_t>(w.kernels.size());
  const double cap = static_cast<double>(rm.device_capacity_bytes);

  // Kernels whose live bytes exceed the device, and a prefix count of them.
  std::vector<double> excess_mb(n, 0);
  std::vector<std::uint32_t> excess_before(n + 1, 0);
  for (std::uint32_t k = 0; k < n; ++k) {
    const double e = static_cast<double>(v.live_bytes[k]) - cap;
    excess_mb[k] = e > 0 ? e / kBytesPerMb : 0;
    excess_before[k + 1] = excess_before[k] + (e > 0 ? 1 : 0);
  }
  if (excess_before[n] == 0) {
    out.status = "not needed: the workload fits";
    out.bound_ns = v.ideal_ns;
    return out;
  }
  if (rm.any_direct) {
    out.status =
        "skipped: the machine has direct-access links (in-place operands are not "
        "modelled in the LP)";
    return out;
  }
  if (rm.destinations.empty()) {
    out.status = "skipped: the device has no link to another tier";
    return out;
  }
  const auto has_excess = [&](std::uint32_t a, std::uint32_t b) {  // kernels a .. b-1
    return b > a && excess_before[b] > excess_before[a];
  };

  // Parts: inactive periods that contain a kernel over capacity (Note [window slots]).
  const std::vector<KernelId> producer = producers(w);
  std::vector<Part> parts;
  for (TensorId t = 0; t < w.tensors.size(); ++t) {
    const Tensor& tensor = w.tensors[t];
    const double mb = static_cast<double>(tensor.bytes) / kBytesPerMb;
    const bool can_recompute = !tensor.persistent && producer[t] != kNoKernel;
    const double rec_ms =
        can_recompute ? static_cast<double>(w.kernels[producer[t]].duration_ns) / kNsPerMs : 0;
    for (const InactivePeriod& p : v.tensors[t].inactive) {
      if (!p.wraps) {
        if (has_excess(p.after + 1, p.before))
          parts.push_back({t, p.after + 1, p.before, true, true, can_recompute, mb, rec_ms, 0});
        continue;
      }
      // Across the iteration's end: in this iteration only the eviction after the last use
      // (tail) and the fetch before the first use (head) are certain to happen.
      if (has_excess(p.after + 1, n))
        parts.push_back({t, p.after + 1, n, true, false, false, mb, 0, 0});
      if (has_excess(0, p.before)) parts.push_back({t, 0, p.before, false, true, false, mb, 0, 0});
    }
  }
  out.periods = parts.size();

  // Resources that can limit anything: each route's bottleneck, and any resource whose
  // bandwidth is below what the routes through it could carry together.
  std::vector<std::uint8_t> keep(rm.resources.size(), 0);
  {
    std::vector<double> through(rm.resources.size(), 0);
    for (std::size_t ri = 0; ri < rm.routes.size(); ++ri) {
      double least = 1e300;
      for (sim::ResourceId r : rm.routes[ri]) least = std::min(least, rm.resources[r].bytes_per_s);
      for (sim::ResourceId r : rm.routes[ri]) {
        through[r] += least * rm.gpus_crossing[ri][r];
        if (rm.resources[r].bytes_per_s == least) keep[r] = 1;
      }
    }
    for (std::size_t r = 0; r < keep.size(); ++r)
      if (rm.resources[r].bytes_per_s < through[r]) keep[r] = 1;
    // Resources with the same bandwidth crossed by the same routes give the same rows: keep one.
    for (std::size_t r = 0; r < keep.size(); ++r)
      for (std::size_t q = 0; q < r && keep[r]; ++q) {
        if (!keep[q] || rm.resources[q].bytes_per_s != rm.resources[r].bytes_per_s) continue;
        bool same = true;
        for (std::size_t ri = 0; ri < rm.routes.size() && same; ++ri)
          same = rm.gpus_crossing[ri][q] == rm.gpus_crossing[ri][r];
        if (same) keep[r] = 0;
      }
  }

  Program lp;
  // S_1 .. S_N: cumulative extra time (ms); S_0 = 0 is implicit.
  std::vector<int> s_col(n + 1, 0);
  for (std::uint32_t k = 1; k <= n; ++k) s_col[k] = lp.add_col(GLP_LO, 0, 0, k == n ? 1 : 0);
  for (std::uint32_t k = 1; k < n; ++k) {  // sigma_k = S_{k+1} - S_k >= 0
    const int row = lp.add_row(GLP_LO, 0, 0);
    lp.put(row, s_col[k + 1], 1);
    lp.put(row, s_col[k], -1);
  }
  const std::size_t options_per_part = rm.destinations.size() + 1;
  for (Part& p : parts) {
    p.column = static_cast<int>(lp.cols.size()) + 1;
    const int row = lp.add_row(GLP_UP, 0, 1);  // at most the whole tensor is off the device
    for (std::size_t o = 0; o < options_per_part; ++o) {
      const bool is_recompute = o == rm.destinations.size();
      const int col = lp.add_col(GLP_DB, 0, is_recompute && !p.recompute ? 0 : 1, 0);
      lp.put(row, col, 1);
    }
  }
  // Capacity: at the kernel with the most excess in each of `capacity_kernels` equal stretches
  // of the iteration (any subset of kernels keeps the relaxation valid), the bytes off the
  // device cover the excess. y_p = sum of p's options keeps these rows short.
  {
    const std::uint32_t stretches =
        static_cast<std::uint32_t>(std::max<std::size_t>(1, options.lp_capacity_kernels));
    std::vector<std::uint32_t> chosen;
    for (std::uint32_t s = 0; s < stretches; ++s) {
      const auto lo = static_cast<std::uint32_t>(std::uint64_t{n} * s / stretches);
      const auto hi = static_cast<std::uint32_t>(std::uint64_t{n} * (s + 1) / stretches);
      std::uint32_t best = n;
      for (std::uint32_t k = lo; k < hi; ++k)
        if (excess_mb[k] > 0 && (best == n || excess_mb[k] > excess_mb[best])) best = k;
      if (best != n) chosen.push_back(best);
    }
    std::vector<int> y_col(parts.size(), 0);
    std::vector<std::vector<std::size_t>> starting(n + 1);
    for (std::size_t i = 0; i < parts.size(); ++i) starting[parts[i].first].push_back(i);
    std::vector<std::size_t> open;
    std::size_t next = 0;
    for (std::uint32_t k = 0; k < n && next < chosen.size(); ++k) {
      for (std::size_t i : starting[k]) open.push_back(i);
      std::erase_if(open, [&](std::size_t i) { return parts[i].end <= k; });
      if (k != chosen[next]) continue;
      ++next;
      const int row = lp.add_row(GLP_LO, excess_mb[k], 0);
      for (std::size_t i : open) {
        if (y_col[i] == 0) {
          y_col[i] = lp.add_col(GLP_LO, 0, 0, 0);
          const int link = lp.add_row(GLP_FX, 0, 0);  // y_p = sum of p's options
          lp.put(link, y_col[i], -1);
          for (std::size_t o = 0; o < options_per_part; ++o)
            lp.put(link, parts[i].column + static_cast<int>(o), 1);
        }
        lp.put(row, y_col[i], parts[i].mb);
      }
    }
  }
  // Windows: each part's own, and half-overlapping windows of every power-of-two length.
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::vector<std::size_t>> windows;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const Part& p = parts[i];
    windows[{p.first, p.end}].push_back(i);
    for (std::uint32_t len = 2;; len *= 2) {
      const std::uint32_t step = len / 2;
      if (len >= n) {
        if (!(p.first == 0 && p.end == n)) windows[{0, n}].push_back(i);
        break;
      }
      if (p.end - p.first > step) continue;
      const std::uint32_t s = p.first / step * step;
      for (const std::uint32_t start : {s >= step ? s - step : s, s}) {
        const std::uint32_t stop = std::min(start + len, n);
        if (start <= p.first && p.end <= stop && !(start == p.first && stop == p.end))
          windows[{start, stop}].push_back(i);
        if (start == s) break;
      }
    }
  }
  std::vector<double> prefix_ms(n + 1, 0);
  for (std::uint32_t k = 0; k < n; ++k)
    prefix_ms[k + 1] = prefix_ms[k] + static_cast<double>(w.kernels[k].duration_ns) / kNsPerMs;
  std::size_t binding_rows = 0;  // bandwidth rows that may bind
  for (auto& [range, members] : windows) {
    std::sort(members.begin(), members.end());
    members.erase(std::unique(members.begin(), members.end()), members.end());
    const auto [i, j] = range;
    const double d_ms = prefix_ms[j] - prefix_ms[i];
    const int s_hi = s_col[std::min(j, n - 1) + 1];
    const int s_lo = i == 0 ? 0 : s_col[i];
    for (sim::ResourceId r = 0; r < rm.resources.size(); ++r) {
      if (!keep[r]) continue;
      const double bw = rm.resources[r].bytes_per_s / 1e9;  // MB per ms
      // A row that holds even with every member entirely off the device and no stall cannot
      // bind: leave it out.
      double most = 0;
      for (std::size_t pi : members) {
        const Part& p = parts[pi];
        double c_max = 0;
        for (const Destination& d : rm.destinations)
          c_max =
              std::max(c_max, static_cast<double>((p.away ? rm.gpus_crossing[d.away][r] : 0u) +
                                                  (p.toward ? rm.gpus_crossing[d.toward][r] : 0u)));
        most += c_max * p.mb;
      }
      if (most <= bw * d_ms) continue;
      ++binding_rows;
      const int row = lp.add_row(GLP_UP, 0, bw * d_ms);
      for (std::size_t pi : members) {
        const Part& p = parts[pi];
        for (std::size_t o = 0; o < rm.destinations.size(); ++o) {
          const Destination& d = rm.destinations[o];
          const double c = (p.away ? rm.gpus_crossing[d.away][r] : 0) +
                           (p.toward ? rm.gpus_crossing[d.toward][r] : 0);
          lp.put(row, p.column + static_cast<int>(o), c * p.mb);
        }
      }
      lp.put(row, s_hi, -bw);
      if (s_lo != 0) lp.put(row, s_lo, bw);
    }
    // Recomputes inside the window run in its stall time.
    int row = 0;
    for (std::size_t pi : members) {
      const Part& p = parts[pi];
      if (!p.recompute || p.recompute_ms <= 0) continue;
      if (row == 0) row = lp.add_row(GLP_UP, 0, 0);
      lp.put(row, p.column + static_cast<int>(rm.destinations.size()), p.recompute_ms);
    }
    if (row != 0) {
      lp.put(row, s_hi, -1);
      if (s_lo != 0) lp.put(row, s_lo, 1);
    }
  }
  out.windows = windows.size();
  if (binding_rows == 0) {
    // Every tensor may be off the device for all of its periods, moving within compute time
    // alone: the optimum has no stall, no recompute.
    out.status = "optimal: no bandwidth constraint can bind";
    out.bound_ns = v.ideal_ns;
    return out;
  }
  out.rows = lp.rows.size();
  out.columns = lp.cols.size();
  out.nonzeros = lp.nonzeros();
  if (lp.nonzeros() > options.max_lp_nonzeros) {
    out.status = fmt::format("skipped: {} nonzeros exceed the limit of {}", lp.nonzeros(),
                             options.max_lp_nonzeros);
    return out;
  }

  std::unique_ptr<glp_prob, GlpDeleter> prob(glp_create_prob());
  glp_set_obj_dir(prob.get(), GLP_MIN);
  glp_add_rows(prob.get(), static_cast<int>(lp.rows.size()));
  glp_add_cols(prob.get(), static_cast<int>(lp.cols.size()));
  for (std::size_t r = 0; r < lp.rows.size(); ++r)
    glp_set_row_bnds(prob.get(), static_cast<int>(r + 1), lp.rows[r].type, lp.rows[r].lo,
                     lp.rows[r].hi);
  for (std::size_t c = 0; c < lp.cols.size(); ++c) {
    const Program::Col& col = lp.cols[c];
    const int type = col.type == GLP_DB && col.hi <= col.lo ? GLP_FX : col.type;
    glp_set_col_bnds(prob.get(), static_cast<int>(c + 1), type, col.lo, col.hi);
    glp_set_obj_coef(prob.get(), static_cast<int>(c + 1), col.obj);
  }
  glp_load_matrix(prob.get(), static_cast<int>(lp.nonzeros()), lp.ia.data(), lp.ja.data(),
                  lp.ar.data());
  glp_smcp parm;
  glp_init_smcp(&parm);
  parm.msg_lev = GLP_MSG_OFF;
  parm.presolve = GLP_ON;
  parm.meth = GLP_DUALP;
  parm.tm_lim = static_cast<int>(options.lp_time_limit_s * 1000);
  const int ret = glp_simplex(prob.get(), &parm);
  const int status = ret == 0 ? glp_get_status(prob.get()) : GLP_UNDEF;
  if (ret != 0 || status != GLP_OPT) {
    out.status = "failed: " + glpk_status(ret, status);
    return out;
  }
  out.status = "optimal";
  // The simplex optimum is exact only to GLPK's tolerances (~1e-7 relative): give some back.
  const double extra_ns = glp_get_obj_val(prob.get()) * kNsPerMs * (1 - 1e-6) - 1;
  out.bound_ns = v.ideal_ns + static_cast<std::int64_t>(std::floor(std::max(0.0, extra_ns)));
  return out;
}

}  // namespace strata::bound::detail
