#include "strata/sim/report.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "strata/core/units.hpp"

namespace strata::sim {

namespace {

std::string percent_of(std::int64_t part, std::int64_t whole) {
  if (whole <= 0) return "";
  return fmt::format(" ({:.1f}%)", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

}  // namespace

std::string report_to_text(const Report& r) {
  std::string out;
  out += fmt::format("policy      {}\nworkload    {}\nmachine     {}\n", r.policy, r.workload,
                     r.machine);
  if (!r.feasible) {
    out += fmt::format("feasible    no: {}\n", r.infeasible_reason);
    return out;
  }
  out += fmt::format("iteration   {} (steady state, iteration {} of {})\n",
                     format_ns(r.iteration_ns), r.iterations, r.iterations);
  out += fmt::format("ideal       {}\n", format_ns(r.ideal_ns));
  out += fmt::format("of ideal    {:.4f}\n", r.fraction_of_ideal);
  out += fmt::format("stalls      {}{}\n", format_ns(r.stall.total_ns()),
                     percent_of(r.stall.total_ns(), r.iteration_ns));
  out += fmt::format("  waiting for prefetch   {}\n", format_ns(r.stall.waiting_for_prefetch_ns));
  out += fmt::format("  demand fetch (faults)  {}\n", format_ns(r.stall.demand_fetch_ns));
  out += fmt::format("  eviction backpressure  {}\n", format_ns(r.stall.eviction_backpressure_ns));
  out += fmt::format("demand fetches    {} ({})\n", format_count(r.demand_fetches),
                     format_bytes(r.demand_fetch_bytes));
  if (r.first_touch_faults > 0)
    out += fmt::format("first touches     {} ({}) populated by page faults\n",
                       format_count(r.first_touch_faults), format_bytes(r.first_touch_bytes));
  out += fmt::format("victim evictions  {} ({})\n", format_count(r.victim_evictions),
                     format_bytes(r.victim_eviction_bytes));
  if (r.dead_drops > 0)
    out += fmt::format("dead victims      {} ({}) dropped without a copy\n",
                       format_count(r.dead_drops), format_bytes(r.dead_drop_bytes));
  out += fmt::format("ignored hints     {}\n", format_count(r.plan_actions_ignored));
  if (r.recomputes > 0)
    out += fmt::format("recomputes        {} ({})\n", format_count(r.recomputes),
                       format_ns(r.recompute_ns));
  if (r.direct_access_bytes > 0)
    out += fmt::format("direct access     {} (kernels {} longer)\n",
                       format_bytes(r.direct_access_bytes), format_ns(r.direct_access_ns));
  if (r.gpus.size() > 1) {
    out += "GPUs (steady-state iteration; the report's times are the slowest GPU's)\n";
    for (const GpuIteration& g : r.gpus)
      out += fmt::format("  {:<24} {:>12}  stalls {:>12}\n", g.gpu, format_ns(g.iteration_ns),
                         format_ns(g.stall.total_ns()));
  }
  out += "links (steady-state iteration)\n";
  for (const LinkTraffic& l : r.links)
    out += fmt::format("  {:<24} to slower {:>12}  to faster {:>12}\n", l.link,
                       format_bytes(l.to_slower_bytes), format_bytes(l.to_faster_bytes));
  out += "tiers (peak over the run)\n";
  for (const TierPeak& t : r.tiers)
    out += fmt::format("  {:<24} {:>12} of {:>12}\n", t.tier, format_bytes(t.peak_bytes),
                       format_bytes(t.capacity_bytes));
  if (r.iteration_times_ns.size() > 1) {
    out += "iterations ";
    for (std::int64_t t : r.iteration_times_ns) out += " " + format_ns(t);
    out += "\n";
  }
  return out;
}

std::string report_to_json(const Report& r) {
  using nlohmann::json;
  json links = json::array();
  for (const LinkTraffic& l : r.links)
    links.push_back({{"link", l.link},
                     {"to_slower_bytes", l.to_slower_bytes},
                     {"to_faster_bytes", l.to_faster_bytes}});
  json tiers = json::array();
  for (const TierPeak& t : r.tiers)
    tiers.push_back({{"tier", t.tier},
                     {"kind", to_string(t.kind)},
                     {"capacity_bytes", t.capacity_bytes},
                     {"peak_bytes", t.peak_bytes}});
  const auto stall_json = [](const StallBreakdown& s) {
    return json{{"total", s.total_ns()},
                {"waiting_for_prefetch", s.waiting_for_prefetch_ns},
                {"demand_fetch", s.demand_fetch_ns},
                {"eviction_backpressure", s.eviction_backpressure_ns}};
  };
  json doc = {{"format", "strata.report"},
              {"version", 1},
              {"policy", r.policy},
              {"workload", r.workload},
              {"machine", r.machine},
              {"feasible", r.feasible},
              {"infeasible_reason", r.feasible ? json(nullptr) : json(r.infeasible_reason)},
              {"ideal_ns", r.ideal_ns},
              {"iterations", r.iterations}};
  if (r.feasible) {
    doc["iteration_ns"] = r.iteration_ns;
    doc["fraction_of_ideal"] = r.fraction_of_ideal;
    doc["iteration_times_ns"] = r.iteration_times_ns;
    doc["stall_ns"] = stall_json(r.stall);
    doc["recompute_ns"] = r.recompute_ns;
    doc["direct_access_ns"] = r.direct_access_ns;
    json gpus = json::array();
    for (const GpuIteration& g : r.gpus)
      gpus.push_back({{"gpu", g.gpu},
                      {"iteration_ns", g.iteration_ns},
                      {"iteration_times_ns", g.iteration_times_ns},
                      {"stall_ns", stall_json(g.stall)},
                      {"recompute_ns", g.recompute_ns},
                      {"direct_access_ns", g.direct_access_ns}});
    doc["gpus"] = gpus;
  } else {
    doc["iteration_ns"] = nullptr;
    doc["fraction_of_ideal"] = nullptr;
    doc["iteration_times_ns"] = nullptr;
    doc["stall_ns"] = nullptr;
    doc["recompute_ns"] = nullptr;
    doc["direct_access_ns"] = nullptr;
    doc["gpus"] = nullptr;
  }
  doc["demand_fetches"] = r.demand_fetches;
  doc["demand_fetch_bytes"] = r.demand_fetch_bytes;
  doc["first_touch_faults"] = r.first_touch_faults;
  doc["first_touch_bytes"] = r.first_touch_bytes;
  doc["victim_evictions"] = r.victim_evictions;
  doc["victim_eviction_bytes"] = r.victim_eviction_bytes;
  doc["dead_drops"] = r.dead_drops;
  doc["dead_drop_bytes"] = r.dead_drop_bytes;
  doc["plan_actions_ignored"] = r.plan_actions_ignored;
  doc["recomputes"] = r.recomputes;
  doc["direct_access_bytes"] = r.direct_access_bytes;
  doc["links"] = links;
  doc["tiers"] = tiers;
  return doc.dump(2) + "\n";
}

std::string timeline_to_chrome_json(const Timeline& t, const std::string& process_name) {
  using nlohmann::json;
  json events = json::array();
  events.push_back(
      {{"name", "process_name"}, {"ph", "M"}, {"pid", 0}, {"args", {{"name", process_name}}}});
  for (std::size_t i = 0; i < t.tracks.size(); ++i) {
    events.push_back({{"name", "thread_name"},
                      {"ph", "M"},
                      {"pid", 0},
                      {"tid", i},
                      {"args", {{"name", t.tracks[i]}}}});
    events.push_back({{"name", "thread_sort_index"},
                      {"ph", "M"},
                      {"pid", 0},
                      {"tid", i},
                      {"args", {{"sort_index", i}}}});
  }
  for (const TimelineSpan& s : t.spans)
    events.push_back({{"name", s.name},
                      {"ph", "X"},
                      {"pid", 0},
                      {"tid", s.track},
                      {"ts", static_cast<double>(s.start_ns) / 1000.0},
                      {"dur", static_cast<double>(s.duration_ns) / 1000.0}});
  return json{{"traceEvents", events}, {"displayTimeUnit", "ns"}}.dump() + "\n";
}

}  // namespace strata::sim
