#include "strata/report/inspect.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <numeric>

#include "strata/core/units.hpp"

namespace strata {
namespace {

struct Totals {
  std::array<std::size_t, 3> kernels_by_phase{};
  std::array<std::uint64_t, kTensorKindCount> bytes_by_kind{};
  std::array<std::size_t, kTensorKindCount> tensors_by_kind{};
  std::size_t persistent_tensors = 0;
};

Totals totals(const Workload& w) {
  Totals t;
  for (const Kernel& k : w.kernels) ++t.kernels_by_phase[static_cast<std::size_t>(k.phase)];
  for (const Tensor& tensor : w.tensors) {
    t.bytes_by_kind[static_cast<std::size_t>(tensor.kind)] += tensor.bytes;
    ++t.tensors_by_kind[static_cast<std::size_t>(tensor.kind)];
    if (tensor.persistent) ++t.persistent_tensors;
  }
  return t;
}

std::vector<TensorId> largest(const Workload& w, std::size_t top) {
  std::vector<TensorId> ids(w.tensors.size());
  std::iota(ids.begin(), ids.end(), 0);
  const std::size_t n = std::min(top, ids.size());
  std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(n), ids.end(),
                    [&](TensorId a, TensorId b) {
                      return w.tensors[a].bytes != w.tensors[b].bytes
                                 ? w.tensors[a].bytes > w.tensors[b].bytes
                                 : a < b;
                    });
  ids.resize(n);
  return ids;
}

std::int64_t longest_idle_ns(const TensorVitality& tv) {
  std::int64_t best = 0;
  for (const InactivePeriod& p : tv.inactive) best = std::max(best, p.duration_ns);
  return best;
}

}  // namespace

std::string inspect_text(const Workload& w, const Vitality& v, std::size_t top) {
  const Totals t = totals(w);
  const Kernel& peak = w.kernels[v.peak_kernel];
  std::string out;
  auto line = [&](std::string_view label, const std::string& value) {
    out += fmt::format("  {:<13}{}\n", label, value);
  };
  out += fmt::format("{}\n", w.name);
  line("kernels",
       fmt::format("{:>14}   forward {} · backward {} · optimizer {}",
                   format_count(w.kernels.size()), format_count(t.kernels_by_phase[0]),
                   format_count(t.kernels_by_phase[1]), format_count(t.kernels_by_phase[2])));
  line("tensors",
       fmt::format("{:>14}   persistent {} ({})", format_count(w.tensors.size()),
                   format_count(t.persistent_tensors), format_bytes(v.persistent_bytes)));
  if (w.parameters) line("parameters", fmt::format("{:>14}", format_count(*w.parameters)));
  line("ideal time",
       fmt::format("{:>14}   per iteration, unlimited fast memory", format_ns(v.ideal_ns)));
  line("peak live", fmt::format("{:>14}   at kernel {} ({}, {}, starts at {})",
                                format_bytes(v.peak_live_bytes), v.peak_kernel, peak.name,
                                to_string(peak.phase), format_ns(v.start_ns[v.peak_kernel])));

  out += fmt::format("\n  {:<17}{:>8}{:>14}{:>14}\n", "memory by kind", "tensors", "all tensors",
                     "live at peak");
  for (std::size_t kind = 0; kind < kTensorKindCount; ++kind) {
    const std::uint64_t at_peak = v.live_bytes_by_kind[v.peak_kernel][kind];
    if (t.tensors_by_kind[kind] == 0 && at_peak == 0) continue;
    out += fmt::format("  {:<17}{:>8}{:>14}{:>14}\n", to_string(static_cast<TensorKind>(kind)),
                       format_count(t.tensors_by_kind[kind]), format_bytes(t.bytes_by_kind[kind]),
                       format_bytes(at_peak));
  }

  const auto ids = largest(w, top);
  if (!ids.empty()) {
    out += fmt::format("\n  {:<40}{:<16}{:>12}  {:<15}{:>14}\n", "largest tensors", "kind", "size",
                       "used (kernels)", "longest idle");
    for (TensorId id : ids) {
      const Tensor& tensor = w.tensors[id];
      const TensorVitality& tv = v.tensors[id];
      std::string name =
          tensor.name.size() > 38 ? "…" + tensor.name.substr(tensor.name.size() - 37) : tensor.name;
      out += fmt::format("  {:<40}{:<16}{:>12}  {:<15}{:>14}\n", name,
                         std::string(to_string(tensor.kind)) + (tensor.persistent ? "*" : ""),
                         format_bytes(tensor.bytes),
                         fmt::format("{}..{} ×{}", tv.first_use, tv.last_use, tv.uses.size()),
                         format_ns(longest_idle_ns(tv)));
    }
    out += "  (* persistent: lives across iterations; its idle time wraps around the iteration)\n";
  }
  return out;
}

std::string inspect_json(const Workload& w, const Vitality& v, std::size_t top) {
  using nlohmann::json;
  const Totals t = totals(w);
  json by_phase = json::object();
  for (std::size_t p = 0; p < 3; ++p)
    by_phase[std::string(to_string(static_cast<Phase>(p)))] = t.kernels_by_phase[p];
  json by_kind = json::object();
  json peak_by_kind = json::object();
  for (std::size_t kind = 0; kind < kTensorKindCount; ++kind) {
    const std::string name(to_string(static_cast<TensorKind>(kind)));
    by_kind[name] = t.bytes_by_kind[kind];
    peak_by_kind[name] = v.live_bytes_by_kind[v.peak_kernel][kind];
  }
  json tensors = json::array();
  for (TensorId id : largest(w, top)) {
    const TensorVitality& tv = v.tensors[id];
    tensors.push_back({{"name", w.tensors[id].name},
                       {"kind", to_string(w.tensors[id].kind)},
                       {"persistent", w.tensors[id].persistent},
                       {"bytes", w.tensors[id].bytes},
                       {"first_use", tv.first_use},
                       {"last_use", tv.last_use},
                       {"uses", tv.uses.size()},
                       {"longest_idle_ns", longest_idle_ns(tv)}});
  }
  json doc = {{"name", w.name},
              {"kernels", w.kernels.size()},
              {"tensors", w.tensors.size()},
              {"persistent_tensors", t.persistent_tensors},
              {"persistent_bytes", v.persistent_bytes},
              {"peak_live_bytes", v.peak_live_bytes},
              {"peak_kernel", v.peak_kernel},
              {"peak_kernel_name", w.kernels[v.peak_kernel].name},
              {"ideal_ns", v.ideal_ns},
              {"parameters", w.parameters ? json(*w.parameters) : json(nullptr)},
              {"kernels_by_phase", by_phase},
              {"bytes_by_kind", by_kind},
              {"peak_bytes_by_kind", peak_by_kind},
              {"largest_tensors", tensors}};
  return doc.dump(2) + "\n";
}

}  // namespace strata
