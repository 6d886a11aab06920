#include "strata_diagnose.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <string_view>

#include "strata/core/error.hpp"

namespace strata::planner {

namespace {

enum class SpanKind : std::uint8_t { fetch, fault, evict, other };

/// "fetch <tensor>", "fault <tensor>", "evict -> <tier> <tensor>" (sim/simulator.cpp).
SpanKind parse_span(std::string_view name, std::string_view& tensor) {
  auto rest = [&](std::string_view prefix) {
    if (name.substr(0, prefix.size()) != prefix) return false;
    tensor = name.substr(prefix.size());
    return true;
  };
  if (rest("fetch ")) return SpanKind::fetch;
  if (rest("fault ")) return SpanKind::fault;
  if (name.substr(0, 9) == "evict -> ") {
    const std::size_t space = name.find(' ', 9);
    if (space == std::string_view::npos) return SpanKind::other;
    tensor = name.substr(space + 1);
    return SpanKind::evict;
  }
  return SpanKind::other;
}

struct Arrival {
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
  SpanKind kind = SpanKind::other;
  TensorId tensor = 0;
  std::uint32_t track = 0;
};

}  // namespace

std::vector<Stall> diagnose(const Workload& w, const sim::Report& r, const GpuTracks& tracks) {
  std::vector<std::pair<std::int64_t, std::int64_t>> kernels;  // start, end
  // Compute-stream time spent recomputing before each kernel: busy, not stalled.
  std::vector<std::int64_t> recomputing;
  std::int64_t recompute_ns = 0;
  std::map<std::string_view, TensorId> ids;
  for (const Tensor& t : w.tensors) ids.emplace(t.name, t.id);
  std::vector<Arrival> arrivals;
  // Compute tracks come first, one per GPU (sim::Timeline).
  const std::size_t compute_tracks = std::max<std::size_t>(r.gpus.size(), 1);
  for (const sim::TimelineSpan& s : r.timeline.spans) {
    if (s.track == tracks.compute) {
      const std::string_view name = s.name;
      if (name.substr(0, 10) == "recompute " && ids.count(name.substr(10))) {
        recompute_ns += s.duration_ns;
        continue;
      }
      kernels.emplace_back(s.start_ns, s.start_ns + s.duration_ns);
      recomputing.push_back(recompute_ns);
      recompute_ns = 0;
      continue;
    }
    if (s.track < compute_tracks) continue;
    if (!tracks.transfers.empty() &&
        (s.track >= tracks.transfers.size() || !tracks.transfers[s.track]))
      continue;
    std::string_view tensor;
    const SpanKind kind = parse_span(s.name, tensor);
    const auto it = ids.find(tensor);
    if (kind == SpanKind::other || it == ids.end()) continue;
    arrivals.push_back({s.start_ns, s.start_ns + s.duration_ns, kind, it->second, s.track});
  }
  if (kernels.size() != w.kernels.size())
    throw InvalidInput("strata planner: the report of '" + r.workload +
                       "' has no timeline of every kernel of '" + w.name +
                       "'; simulate with record_timeline");
  std::stable_sort(arrivals.begin(), arrivals.end(),
                   [](const Arrival& x, const Arrival& y) { return x.end_ns < y.end_ns; });
  std::vector<Stall> out;
  std::int64_t prev_end = 0;
  for (std::size_t k = 0; k < kernels.size(); ++k) {
    const auto [start, end] = kernels[k];
    const std::int64_t wait = start - prev_end - recomputing[k];
    const std::int64_t from = prev_end;
    prev_end = end;
    if (wait <= 0) continue;
    const Kernel& kernel = w.kernels[k];
    auto uses = [&](TensorId t) {
      return std::find(kernel.inputs.begin(), kernel.inputs.end(), t) != kernel.inputs.end() ||
             std::find(kernel.outputs.begin(), kernel.outputs.end(), t) != kernel.outputs.end();
    };
    Stall st;
    st.kernel = static_cast<KernelId>(k);
    st.wait_ns = wait;
    const auto lo = std::lower_bound(arrivals.begin(), arrivals.end(), from,
                                     [](const Arrival& a, std::int64_t t) { return a.end_ns < t; });
    const Arrival* last = nullptr;
    for (auto it = lo; it != arrivals.end() && it->end_ns <= start; ++it) {
      if (it->kind == SpanKind::evict) {
        st.evicting.push_back(it->tensor);
      } else if (uses(it->tensor)) {
        last = &*it;
      }
    }
    if (!last)
      for (auto it = arrivals.rbegin(); it != arrivals.rend() && it->end_ns > start; ++it)
        if (it->kind == SpanKind::evict && it->start_ns < start) st.competing.push_back(it->tensor);
    if (last) {
      st.cause =
          last->kind == SpanKind::fault ? StallCause::demand_fault : StallCause::late_prefetch;
      st.tensor = last->tensor;
      if (last->kind == SpanKind::fetch)
        for (const Arrival& a : arrivals) {
          const std::int64_t overlap =
              std::min(a.end_ns, last->end_ns) - std::max(a.start_ns, last->start_ns);
          if (&a != last && a.track == last->track && a.kind == SpanKind::fetch && overlap > 0)
            st.sharing.emplace_back(a.tensor, overlap);
        }
      std::stable_sort(st.sharing.begin(), st.sharing.end(),
                       [](const auto& x, const auto& y) { return x.second > y.second; });
    }
    out.push_back(std::move(st));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Stall& x, const Stall& y) { return x.wait_ns > y.wait_ns; });
  return out;
}

}  // namespace strata::planner
