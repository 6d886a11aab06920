#include "strata/sim/compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>

#include "strata/core/units.hpp"
#include "strata/plan/policy.hpp"

namespace strata::sim {

Report run_policy_spec(const Workload& w, const Vitality& v, const Machine& m,
                       const std::string& spec, const SimOptions& options) {
  Report r;
  try {
    const std::unique_ptr<Policy> policy = make_policy(spec);
    r = run_policy(w, v, m, *policy, options);
  } catch (const std::exception& e) {
    r = Report{};
    r.feasible = false;
    r.infeasible_reason = std::string("error: ") + e.what();
    r.ideal_ns = ideal_ns(w);
    r.workload = w.name;
    r.machine = m.name;
  }
  r.policy = spec;
  return r;
}

Comparison compare_policies(const Workload& w, const Vitality& v, const Machine& m,
                            const std::vector<std::string>& policies, const SimOptions& options,
                            ThreadPool& pool,
                            const std::function<void(const CompareTick&)>& progress) {
  std::vector<std::future<Report>> futures;
  futures.reserve(policies.size());
  std::mutex progress_mutex;
  std::size_t done = 0;
  for (const std::string& spec : policies)
    futures.push_back(pool.submit([&, spec] {
      Report r = run_policy_spec(w, v, m, spec, options);
      if (progress) {
        const std::lock_guard<std::mutex> lock(progress_mutex);
        progress({++done, policies.size(), &r});
      }
      return r;
    }));
  Comparison c;
  c.workload = w.name;
  c.machine = m.name;
  c.ideal_ns = ideal_ns(w);
  for (auto& f : futures) f.wait();  // nothing may outlive w, v, m and options
  for (auto& f : futures) c.rows.push_back(f.get());
  return c;
}

std::uint64_t bytes_to_device(const Report& r) {
  std::uint64_t total = 0;
  for (const LinkTraffic& l : r.links) total += l.to_faster_bytes;
  return total;
}

std::uint64_t bytes_from_device(const Report& r) {
  std::uint64_t total = 0;
  for (const LinkTraffic& l : r.links) total += l.to_slower_bytes;
  return total;
}

std::string comparison_to_text(const Comparison& c) {
  const std::vector<std::string> header = {
      "policy",       "iteration",   "/ bound", "of ideal", "feasible", "stall:prefetch",
      "stall:faults", "stall:evict", "fetched", "evicted",  "faults"};
  const auto of_bound = [&](const Report& r) {
    if (!c.lower_bound_ns || *c.lower_bound_ns <= 0) return std::string("-");
    return fmt::format(
        "{:.3f}", static_cast<double>(r.iteration_ns) / static_cast<double>(*c.lower_bound_ns));
  };
  std::vector<std::vector<std::string>> rows;
  for (const Report& r : c.rows) {
    if (!r.feasible) {
      std::vector<std::string> row(header.size(), "-");
      row[0] = r.policy;
      row[4] = "no";
      rows.push_back(std::move(row));
      continue;
    }
    rows.push_back({r.policy, format_ns(r.iteration_ns), of_bound(r),
                    fmt::format("{:.4f}", r.fraction_of_ideal), "yes",
                    format_ns(r.stall.waiting_for_prefetch_ns), format_ns(r.stall.demand_fetch_ns),
                    format_ns(r.stall.eviction_backpressure_ns), format_bytes(bytes_to_device(r)),
                    format_bytes(bytes_from_device(r)), format_count(r.demand_fetches)});
  }
  std::vector<std::size_t> width(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) {
    width[i] = header[i].size();
    for (const auto& row : rows) width[i] = std::max(width[i], row[i].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      // The policy name is left-aligned, numbers right-aligned.
      out += i == 0 ? fmt::format("{:<{}}", cells[i], width[i])
                    : fmt::format("  {:>{}}", cells[i], width[i]);
    }
    return out + "\n";
  };
  std::string out = fmt::format("workload  {}\nmachine   {}\nideal     {} per iteration\n",
                                c.workload, c.machine, format_ns(c.ideal_ns));
  out += c.lower_bound_ns
             ? fmt::format(
                   "bound     {} per iteration (no policy can be faster; ideal / bound "
                   "= {:.4f})\n\n",
                   format_ns(*c.lower_bound_ns),
                   static_cast<double>(c.ideal_ns) /
                       static_cast<double>(std::max<std::int64_t>(1, *c.lower_bound_ns)))
             : std::string("bound     - (not computed)\n\n");
  out += line(header);
  for (const auto& row : rows) out += line(row);
  bool any_infeasible = false;
  for (const Report& r : c.rows) {
    if (r.feasible) continue;
    if (!any_infeasible) out += "\ninfeasible:\n";
    any_infeasible = true;
    out += fmt::format("  {}: {}\n", r.policy, r.infeasible_reason);
  }
  out +=
      "\n/ bound is the iteration over the lower bound (`strata bound`, docs/bound.md);\n"
      "stalls are the steady-state iteration's waits (prefetch in flight, demand faults, "
      "eviction backpressure);\nfetched/evicted are bytes moved toward/away from the GPU; faults "
      "are demand fetches.\n";
  return out;
}

std::string comparison_to_json(const Comparison& c) {
  using nlohmann::json;
  json results = json::array();
  for (const Report& r : c.rows) {
    json row = {{"policy", r.policy},
                {"feasible", r.feasible},
                {"reason", r.feasible ? json(nullptr) : json(r.infeasible_reason)},
                {"ideal_ns", r.ideal_ns},
                {"lower_bound_ns", c.lower_bound_ns ? json(*c.lower_bound_ns) : json(nullptr)}};
    if (r.feasible) {
      row["iteration_ns"] = r.iteration_ns;
      row["fraction_of_ideal"] = r.fraction_of_ideal;
      row["of_bound"] =
          c.lower_bound_ns && *c.lower_bound_ns > 0
              ? json(static_cast<double>(r.iteration_ns) / static_cast<double>(*c.lower_bound_ns))
              : json(nullptr);
      row["stall"] = {{"waiting_for_prefetch_ns", r.stall.waiting_for_prefetch_ns},
                      {"demand_fetch_ns", r.stall.demand_fetch_ns},
                      {"eviction_backpressure_ns", r.stall.eviction_backpressure_ns},
                      {"total_ns", r.stall.total_ns()}};
      row["bytes_to_device"] = bytes_to_device(r);
      row["bytes_from_device"] = bytes_from_device(r);
      row["demand_fetches"] = r.demand_fetches;
      row["demand_fetch_bytes"] = r.demand_fetch_bytes;
    } else {
      row["iteration_ns"] = nullptr;
      row["fraction_of_ideal"] = nullptr;
      row["of_bound"] = nullptr;
      row["stall"] = nullptr;
      row["bytes_to_device"] = nullptr;
      row["bytes_from_device"] = nullptr;
      row["demand_fetches"] = nullptr;
      row["demand_fetch_bytes"] = nullptr;
    }
    results.push_back(std::move(row));
  }
  return json{{"results", std::move(results)}}.dump(2) + "\n";
}

}  // namespace strata::sim
