#include "strata/plan/policies/sentinel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "strata/core/error.hpp"

namespace strata {

namespace {

struct Migration {
  TensorId tensor = 0;
  KernelId evict_before = 0;     ///< first kernel of the interval after the use
  KernelId prefetch_before = 0;  ///< first kernel of the interval before the next use
  double weight = 0;             ///< bytes x idle ns: what migrating it saves
};

}  // namespace

SentinelPolicy::SentinelPolicy(std::uint32_t interval_kernels)
    : interval_kernels_(interval_kernels) {
  if (interval_kernels_ == 0) throw InvalidInput("sentinel: interval_kernels must be at least 1");
}

Plan SentinelPolicy::plan(const Workload& w, const Vitality& v, const Machine& m) const {
  Plan p = make_empty_plan(w, "sentinel plan of " + w.name, name());
  if (m.gpus.empty()) throw InvalidInput(fmt::format("sentinel: machine {} has no GPU", m.name));
  const TierId dev = m.gpus[0].memory;
  const std::optional<TierId> host = m.host_tier();
  const auto ssds = m.ssd_tiers();
  const bool host_ok = host && m.link_between(dev, *host);
  const bool ssd_ok = !ssds.empty() && m.link_between(dev, ssds.front());
  if (!host_ok && !ssd_ok)
    throw InvalidInput(fmt::format(
        "sentinel: machine {} has no host or SSD tier linked to the GPU to migrate tensors to; "
        "add a [[tier]] of kind \"host\" or \"ssd\" and a [[gpu.link]] to it",
        m.name));

  const std::uint64_t capacity = m.tiers[dev].capacity_bytes;
  const std::uint64_t target = capacity / 20 * 19;
  std::vector<std::int64_t> footprint(v.live_bytes.begin(), v.live_bytes.end());
  auto over = [&](KernelId k) { return footprint[k] > static_cast<std::int64_t>(target); };
  if (std::none_of(footprint.begin(), footprint.end(),
                   [&](std::int64_t b) { return b > static_cast<std::int64_t>(target); }))
    return p;

  const std::size_t n = w.kernels.size();
  const std::size_t intervals = (n + interval_kernels_ - 1) / interval_kernels_;
  auto interval_of = [&](KernelId k) { return k / interval_kernels_; };
  auto first_of = [&](std::size_t i) {
    return static_cast<KernelId>((i % intervals) * interval_kernels_);
  };

  std::vector<Migration> cands;
  for (TensorId t = 0; t < w.tensors.size(); ++t) {
    const TensorVitality& tv = v.tensors[t];
    if (!w.tensors[t].persistent && tv.last_use - tv.first_use < interval_kernels_) continue;
    for (const InactivePeriod& g : tv.inactive) {
      const std::size_t a = interval_of(g.after);
      const std::size_t b = interval_of(g.before) + (g.wraps ? intervals : 0);
      if (b < a + 3) continue;  // needs one whole interval away from the device
      cands.push_back({t, first_of(a + 1), first_of(b - 1),
                       static_cast<double>(w.tensors[t].bytes) *
                           static_cast<double>(std::max<std::int64_t>(g.duration_ns, 1))});
    }
  }
  std::sort(cands.begin(), cands.end(), [](const Migration& x, const Migration& y) {
    return x.weight != y.weight
               ? x.weight > y.weight
               : (x.tensor != y.tensor ? x.tensor < y.tensor : x.evict_before < y.evict_before);
  });

  // Kernels the tensor is away from the device: evict_before .. prefetch_before - 1, wrapping.
  auto for_range = [&](const Migration& c, auto&& f) {
    for (KernelId k = c.evict_before; k != c.prefetch_before;
         k = static_cast<KernelId>((k + 1) % n))
      f(k);
  };
  std::uint64_t host_bytes = 0;
  std::vector<Migration> chosen;
  std::vector<TierKind> dest;
  for (const Migration& c : cands) {
    bool helps = false;
    for_range(c, [&](KernelId k) { helps = helps || over(k); });
    if (!helps) continue;
    const std::uint64_t bytes = w.tensors[c.tensor].bytes;
    TierKind to = TierKind::ssd;
    if (host_ok && (host_bytes + bytes <= m.tiers[*host].capacity_bytes || !ssd_ok)) {
      to = TierKind::host;
      host_bytes += bytes;
    }
    for_range(c, [&](KernelId k) { footprint[k] -= static_cast<std::int64_t>(bytes); });
    chosen.push_back(c);
    dest.push_back(to);
  }
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    p.kernels[chosen[i].evict_before].before.push_back(Action::evict(chosen[i].tensor, dest[i]));
    p.kernels[chosen[i].prefetch_before].before.push_back(Action::prefetch(chosen[i].tensor));
  }
  // Within a slot: evictions first (they make room), then prefetches, each by tensor id.
  for (KernelActions& ka : p.kernels)
    std::sort(ka.before.begin(), ka.before.end(), [](const Action& x, const Action& y) {
      return x.kind != y.kind ? x.kind == ActionKind::evict : x.tensor < y.tensor;
    });
  return p;
}

}  // namespace strata
