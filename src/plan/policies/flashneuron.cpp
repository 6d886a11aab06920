#include "strata/plan/policies/flashneuron.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "strata/core/error.hpp"

namespace strata {

namespace {

struct Offload {
  TensorId tensor = 0;
  KernelId evict_after = 0;  ///< its last forward use
  KernelId next_use = 0;     ///< its first backward use
  KernelId prefetch_at = 0;  ///< before this kernel
};

/// The kernel whose ideal span contains `t_ns` (the last one starting at or before it).
KernelId kernel_at(const Vitality& v, double t_ns) {
  const auto it =
      std::upper_bound(v.start_ns.begin(), v.start_ns.end(), t_ns,
                       [](double t, std::int64_t s) { return t < static_cast<double>(s); });
  if (it == v.start_ns.begin()) return 0;
  return static_cast<KernelId>(it - v.start_ns.begin() - 1);
}

}  // namespace

Plan FlashNeuronPolicy::plan(const Workload& w, const Vitality& v, const Machine& m) const {
  Plan p = make_empty_plan(w, "flashneuron plan of " + w.name, name());
  const auto ssds = m.ssd_tiers();
  if (ssds.empty() || m.gpus.empty())
    throw InvalidInput(fmt::format(
        "flashneuron: machine {} has no SSD tier; FlashNeuron offloads activations from the GPU "
        "straight to an SSD. Use a preset with an [[tier]] of kind \"ssd\" linked to the GPU",
        m.name));
  const TierId dev = m.gpus[0].memory;
  const std::optional<LinkId> link = m.link_between(dev, ssds.front());
  if (!link)
    throw InvalidInput(fmt::format(
        "flashneuron: machine {} has no direct link between {} and {}; FlashNeuron needs "
        "GPU-SSD direct transfers (add a [[gpu.link]] to the SSD)",
        m.name, m.tiers[dev].name, m.tiers[ssds.front()].name));

  // The first backward kernel plays G10's "makeLoss" kernel; without one there is no backward
  // pass to offload for.
  KernelId first_backward = kNoKernel;
  for (const Kernel& k : w.kernels)
    if (k.phase == Phase::backward) {
      first_backward = k.id;
      break;
    }
  if (first_backward == kNoKernel) return p;

  std::uint64_t max_working_set = 0;
  for (const Kernel& k : w.kernels) {
    std::uint64_t bytes = k.workspace_bytes;
    std::vector<TensorId> seen;
    for (const auto* list : {&k.inputs, &k.outputs})
      for (TensorId t : *list)
        if (std::find(seen.begin(), seen.end(), t) == seen.end()) {
          seen.push_back(t);
          bytes += w.tensors[t].bytes;
        }
    max_working_set = std::max(max_working_set, bytes);
  }
  const std::uint64_t capacity = m.tiers[dev].capacity_bytes;
  const std::uint64_t reserved = v.persistent_bytes + max_working_set;
  if (reserved >= capacity) return p;  // nothing can help; the simulator reports what is short
  const std::uint64_t budget = capacity - reserved;

  // Candidates: forward-used non-persistent tensors that the backward pass uses again.
  std::vector<TensorId> candidates;
  std::vector<bool> seen(w.tensors.size(), false);
  std::uint64_t total = 0;
  for (KernelId k = 0; k < first_backward; ++k)
    for (const auto* list : {&w.kernels[k].inputs, &w.kernels[k].outputs})
      for (TensorId t : *list) {
        if (seen[t] || w.tensors[t].persistent || v.tensors[t].last_use < first_backward) continue;
        seen[t] = true;
        candidates.push_back(t);
        total += w.tensors[t].bytes;
      }

  std::vector<Offload> offloads;
  for (TensorId t : candidates) {
    if (total < budget) break;
    const TensorVitality& tv = v.tensors[t];
    // The gap that starts at the last forward use and ends at the first backward use.
    const InactivePeriod* gap = nullptr;
    for (const InactivePeriod& g : tv.inactive)
      if (!g.wraps && g.after < first_backward) gap = &g;
    if (gap == nullptr || gap->before < first_backward) continue;
    offloads.push_back({t, gap->after, gap->before, gap->before});
    total -= w.tensors[t].bytes;
  }

  // Prefetch back as late as possible on one serial SSD read channel, latest use first.
  const double ssd_bytes_per_s = uncontended_bytes_per_s(m, *link, ssds.front());
  std::sort(offloads.begin(), offloads.end(), [](const Offload& a, const Offload& b) {
    return a.next_use != b.next_use ? a.next_use > b.next_use : a.tensor > b.tensor;
  });
  double channel_free_ns = 1e300;  // the channel is busy from here on (ideal time)
  for (Offload& o : offloads) {
    const double end_ns = std::min(static_cast<double>(v.start_ns[o.next_use]), channel_free_ns);
    const double start_ns =
        end_ns - static_cast<double>(w.tensors[o.tensor].bytes) * 1e9 / ssd_bytes_per_s;
    channel_free_ns = start_ns;
    const KernelId earliest = std::max<KernelId>(first_backward, o.evict_after + 1);
    o.prefetch_at = std::clamp(kernel_at(v, start_ns), earliest, o.next_use);
  }
  std::sort(offloads.begin(), offloads.end(),
            [](const Offload& a, const Offload& b) { return a.tensor < b.tensor; });
  for (const Offload& o : offloads) {
    p.kernels[o.evict_after].after.push_back(Action::evict(o.tensor, TierKind::ssd));
    p.kernels[o.prefetch_at].before.push_back(Action::prefetch(o.tensor));
  }
  return p;
}

}  // namespace strata
