// lower_bound_to_text / lower_bound_to_json: the bound's layers for people and for scripts.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "strata/bound/lower_bound.hpp"
#include "strata/core/units.hpp"

namespace strata::bound {

namespace {

std::string of_ideal(std::int64_t ideal_ns, std::int64_t bound_ns) {
  return bound_ns > 0
             ? fmt::format("{:.4f}", static_cast<double>(ideal_ns) / static_cast<double>(bound_ns))
             : "-";
}

}  // namespace

std::string lower_bound_to_text(const LowerBound& b, double solve_seconds) {
  std::string out = fmt::format("workload  {}\nmachine   {}{}\n\n", b.workload, b.machine,
                                b.gpu_count > 1 ? fmt::format(" ({} GPUs)", b.gpu_count) : "");
  if (!b.feasible) return out + "infeasible: " + b.infeasible_reason + "\n";
  const std::int64_t ideal = b.compute_ns;
  std::string capacity_detail = "the workload fits";
  if (b.capacity.kernel != kNoKernel)
    capacity_detail =
        fmt::format("kernel {}: {} over the device, {} recomputed, {} beyond the host; binds: {}",
                    b.capacity.kernel, format_bytes(b.capacity.excess_bytes),
                    format_bytes(b.capacity.recompute_bytes), format_bytes(b.capacity.ssd_bytes),
                    b.capacity.binding);
  const std::string lp_time = b.lp.bound_ns ? format_ns(*b.lp.bound_ns) : "-";
  const std::string lp_frac = b.lp.bound_ns ? of_ideal(ideal, *b.lp.bound_ns) : "-";
  std::string lp_detail = b.lp.status;
  if (b.lp.rows > 0)
    lp_detail += fmt::format(" ({} rows, {} columns, {} nonzeros, {} windows, {} periods)",
                             b.lp.rows, b.lp.columns, b.lp.nonzeros, b.lp.windows, b.lp.periods);
  out += fmt::format("{:<10}  {:>12}  {:>8}  {}\n", "layer", "bound", "of ideal", "detail");
  out += fmt::format("{:<10}  {:>12}  {:>8}  {}\n", "compute", format_ns(b.compute_ns), "1.0000",
                     "sum of kernel times");
  out += fmt::format("{:<10}  {:>12}  {:>8}  {}\n", "capacity", format_ns(b.capacity.bound_ns),
                     of_ideal(ideal, b.capacity.bound_ns), capacity_detail);
  out += fmt::format("{:<10}  {:>12}  {:>8}  {}\n", "lp", lp_time, lp_frac, lp_detail);
  out += fmt::format(
      "\nlower bound  {}  (ideal / bound = {}: no policy reaches a higher fraction "
      "of ideal)\n",
      format_ns(b.lower_bound_ns), of_ideal(ideal, b.lower_bound_ns));
  if (solve_seconds >= 0) out += fmt::format("computed in {:.3f} s\n", solve_seconds);
  return out;
}

std::string lower_bound_to_json(const LowerBound& b, double solve_seconds) {
  using nlohmann::json;
  json j = {{"workload", b.workload},
            {"machine", b.machine},
            {"gpus", b.gpu_count},
            {"feasible", b.feasible},
            {"reason", b.feasible ? json(nullptr) : json(b.infeasible_reason)},
            {"compute_ns", b.compute_ns},
            {"capacity",
             {{"bound_ns", b.feasible ? json(b.capacity.bound_ns) : json(nullptr)},
              {"kernel", b.capacity.kernel == kNoKernel ? json(nullptr) : json(b.capacity.kernel)},
              {"excess_bytes", b.capacity.excess_bytes},
              {"recompute_bytes", b.capacity.recompute_bytes},
              {"ssd_bytes", b.capacity.ssd_bytes},
              {"binding", b.capacity.binding}}},
            {"lp",
             {{"status", b.lp.status},
              {"bound_ns", b.lp.bound_ns ? json(*b.lp.bound_ns) : json(nullptr)},
              {"rows", b.lp.rows},
              {"columns", b.lp.columns},
              {"nonzeros", b.lp.nonzeros},
              {"windows", b.lp.windows},
              {"periods", b.lp.periods}}},
            {"lower_bound_ns", b.feasible ? json(b.lower_bound_ns) : json(nullptr)},
            {"fraction_of_ideal_at_best",
             b.feasible && b.lower_bound_ns > 0
                 ? json(static_cast<double>(b.compute_ns) / static_cast<double>(b.lower_bound_ns))
                 : json(nullptr)}};
  if (solve_seconds >= 0) j["solve_seconds"] = solve_seconds;
  return j.dump(2) + "\n";
}

}  // namespace strata::bound
