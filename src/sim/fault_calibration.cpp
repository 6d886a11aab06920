#include "strata/sim/fault_calibration.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "strata/core/error.hpp"
#include "strata/sim/fault_model.hpp"

namespace strata::sim {

std::vector<FaultSample> fault_samples(const Workload& w, std::span<const std::int64_t> pf_ns,
                                       FaultedTensors which, const Machine& m) {
  if (pf_ns.size() != w.kernels.size())
    throw InvalidInput(fmt::format("fault calibration: {} measured times for {} kernels of {}",
                                   pf_ns.size(), w.kernels.size(), w.name));
  const std::optional<TierId> host = m.host_tier();
  const std::optional<LinkId> link =
      host && !m.gpus.empty() ? m.link_between(m.gpus[0].memory, *host) : std::nullopt;
  if (!link)
    throw InvalidInput(fmt::format(
        "fault calibration: machine {} has no host tier linked to its first GPU; page faults "
        "are measured from host memory",
        m.name));
  const double bytes_per_s = uncontended_bytes_per_s(m, *link, *host);
  std::vector<FaultSample> out;
  for (const Kernel& k : w.kernels) {
    FaultSample s;
    s.kernel = k.id;
    std::vector<TensorId> seen;
    auto add = [&](TensorId t) {
      if (std::find(seen.begin(), seen.end(), t) != seen.end()) return;
      seen.push_back(t);
      const std::uint64_t b = w.tensors[t].bytes;
      s.bytes += b;
      s.batches += fault_batches(m.fault, b);
      const std::int64_t all = predicted_fault_ns(m.fault, b, bytes_per_s);
      s.predicted_ns += all;
      s.transfer_ns += all - demand_fetch_latency_ns(m.fault, b);
    };
    for (TensorId t : k.inputs) add(t);
    if (which == FaultedTensors::all)
      for (TensorId t : k.outputs) add(t);
    if (s.bytes == 0) continue;
    s.measured_ns = pf_ns[k.id] - k.duration_ns;
    out.push_back(s);
  }
  return out;
}

FaultError fault_error(std::span<const FaultSample> samples, std::int64_t min_measured_ns) {
  std::vector<double> rel;
  double predicted = 0;
  double measured = 0;
  for (const FaultSample& s : samples) {
    if (s.measured_ns < std::max<std::int64_t>(min_measured_ns, 1)) continue;
    const double meas = static_cast<double>(s.measured_ns);
    rel.push_back(std::abs(static_cast<double>(s.predicted_ns) - meas) / meas);
    predicted += static_cast<double>(s.predicted_ns);
    measured += meas;
  }
  FaultError e;
  e.samples = rel.size();
  if (rel.empty()) return e;
  std::sort(rel.begin(), rel.end());
  auto pct = [&](double q) {
    const auto i = static_cast<std::size_t>(std::floor(q * static_cast<double>(rel.size() - 1)));
    return rel[i];
  };
  e.median_rel_error = pct(0.5);
  e.p90_rel_error = pct(0.9);
  e.total_ratio = predicted / measured;
  return e;
}

std::int64_t fit_batch_latency_ns(std::span<const FaultSample> samples,
                                  std::int64_t min_measured_ns) {
  double num = 0;
  double den = 0;
  for (const FaultSample& s : samples) {
    if (s.measured_ns < std::max<std::int64_t>(min_measured_ns, 1)) continue;
    const double b = static_cast<double>(s.batches);
    num += b * static_cast<double>(s.measured_ns - s.transfer_ns);
    den += b * b;
  }
  if (den == 0) return 0;
  return std::max<std::int64_t>(0, std::llround(num / den));
}

}  // namespace strata::sim
