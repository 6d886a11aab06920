#include "strata/plan/policies/vdnn_multi.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "strata/core/error.hpp"
#include "strata/plan/policies/vdnn.hpp"

namespace strata {

namespace {

/// The GPUs of the run whose host link crosses `bus`.
std::uint32_t gpus_on_bus(const Machine& m, BusId bus, GpuId first_gpu, std::uint32_t gpu_count) {
  std::uint32_t n = 0;
  for (GpuId g = first_gpu; g < first_gpu + gpu_count; ++g) {
    const Link& l = m.links[vdnn_host_link(m, g, "vdnn-multi")];
    if (std::find(l.buses.begin(), l.buses.end(), bus) != l.buses.end()) ++n;
  }
  return n;
}

/// One prefetch being timed: the offload, its bytes and its copy time at the fair share.
struct Fetch {
  VdnnOffload offload;
  std::uint64_t bytes = 0;
  std::int64_t copy_ns = 0;
};

/// The plan for GPU `gpu` fetching at `fetch_bytes_per_s`; see Note [vdnn-multi prefetch timing].
Plan plan_for_gpu(const Workload& w, const Vitality& v, const Machine& m, GpuId gpu,
                  double fetch_bytes_per_s, const std::vector<VdnnOffload>& offloads) {
  Plan p = make_empty_plan(w, fmt::format("vdnn-multi plan of {} for GPU {}", w.name, gpu),
                           "vdnn-multi");
  const LinkId link = vdnn_host_link(m, gpu, "vdnn-multi");
  const TierId host = *m.host_tier();
  const std::int64_t latency_ns = uncontended_transfer_ns(m, link, host, 0);
  const std::uint64_t capacity_bytes = m.tiers[m.gpus[gpu].memory].capacity_bytes;

  std::vector<Fetch> fetches;
  fetches.reserve(offloads.size());
  for (const VdnnOffload& o : offloads) {
    const std::uint64_t bytes = w.tensors[o.tensor].bytes;
    const auto copy_ns =
        static_cast<std::int64_t>(std::ceil(static_cast<double>(bytes) * 1e9 / fetch_bytes_per_s));
    fetches.push_back({o, bytes, latency_ns + copy_ns});
  }

  // vDNN's one-ahead issue kernel: the latest any prefetch is issued.
  auto one_ahead = [](const VdnnOffload& o) {
    return o.needed_by > o.evict_after + 1 ? o.needed_by - 1 : o.needed_by;
  };
  // Bytes resident on the GPU at each kernel under the current issue kernels.
  std::vector<std::uint64_t> resident = v.live_bytes;
  std::vector<KernelId> issue(fetches.size());
  for (std::size_t i = 0; i < fetches.size(); ++i) {
    issue[i] = one_ahead(fetches[i].offload);
    for (KernelId k = fetches[i].offload.evict_after + 1; k < issue[i]; ++k)
      resident[k] -= fetches[i].bytes;
  }

  // Latest deadline first (ties: later-found tensor first, so the order is total).
  std::vector<std::size_t> order(fetches.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (fetches[a].offload.needed_by != fetches[b].offload.needed_by)
      return fetches[a].offload.needed_by > fetches[b].offload.needed_by;
    return a > b;
  });

  std::int64_t channel_free_until_ns = std::numeric_limits<std::int64_t>::max();
  for (const std::size_t i : order) {
    const Fetch& f = fetches[i];
    const std::int64_t finish_ns = std::min(v.start_ns[f.offload.needed_by], channel_free_until_ns);
    const std::int64_t latest_start_ns = finish_ns - f.copy_ns;
    const KernelId latest = issue[i];
    const KernelId earliest = f.offload.evict_after + 1;
    // The last kernel starting at or before latest_start_ns, within [earliest, latest].
    KernelId want = latest;
    while (want > earliest && v.start_ns[want] > latest_start_ns) --want;
    // Every kernel the tensor is now resident at in addition must keep within capacity.
    for (KernelId k = latest; k-- > want;)
      if (resident[k] + f.bytes > capacity_bytes) {
        want = k + 1;
        break;
      }
    for (KernelId k = want; k < latest; ++k) resident[k] += f.bytes;
    issue[i] = want;
    channel_free_until_ns = std::min(channel_free_until_ns, v.start_ns[want]);
  }

  // Evictions keep vDNN's timing; prefetches in one slot go out most urgent first.
  for (std::size_t i = 0; i < fetches.size(); ++i)
    p.kernels[fetches[i].offload.evict_after].after.push_back(
        Action::evict(fetches[i].offload.tensor, TierKind::host));
  std::vector<std::size_t> by_deadline(order.rbegin(), order.rend());
  for (const std::size_t i : by_deadline)
    p.kernels[issue[i]].before.push_back(Action::prefetch(fetches[i].offload.tensor));
  return p;
}

}  // namespace

double fair_share_fetch_bytes_per_s(const Machine& m, GpuId gpu, GpuId first_gpu,
                                    std::uint32_t gpu_count) {
  const LinkId link = vdnn_host_link(m, gpu, "vdnn-multi");
  const TierId host = *m.host_tier();
  double rate = uncontended_bytes_per_s(m, link, host);
  // The host tier's read side is shared by every GPU of the run.
  rate = std::min(rate, m.tiers[host].read_bytes_per_s / gpu_count);
  for (const BusId b : m.links[link].buses) {
    const Bus& bus = m.buses[b];
    const double sharers = gpus_on_bus(m, b, first_gpu, gpu_count) * (bus.full_duplex ? 1.0 : 2.0);
    rate = std::min(rate, bus.bytes_per_s / sharers);
  }
  return rate;
}

Plan VdnnMultiPolicy::plan(const Workload& w, const Vitality& v, const Machine& m) const {
  return plans(w, v, m, 0, 1).front();
}

std::vector<Plan> VdnnMultiPolicy::plans(const Workload& w, const Vitality& v, const Machine& m,
                                         GpuId first_gpu, std::uint32_t gpu_count) const {
  if (gpu_count == 0 || first_gpu + gpu_count > m.gpus.size())
    throw InvalidInput(fmt::format(
        "vdnn-multi: GPUs {} .. {} asked for, machine {} has {} GPU(s); ask for at most {}",
        first_gpu, first_gpu + gpu_count - 1, m.name, m.gpus.size(),
        m.gpus.size() > first_gpu ? m.gpus.size() - first_gpu : 0));
  for (GpuId g = first_gpu; g < first_gpu + gpu_count; ++g) vdnn_host_link(m, g, name());
  const std::vector<VdnnOffload> offloads = vdnn_offloads(w, v, VdnnLayers::all);
  std::vector<Plan> out;
  out.reserve(gpu_count);
  for (GpuId g = first_gpu; g < first_gpu + gpu_count; ++g)
    out.push_back(plan_for_gpu(w, v, m, g, fair_share_fetch_bytes_per_s(m, g, first_gpu, gpu_count),
                               offloads));
  return out;
}

}  // namespace strata
