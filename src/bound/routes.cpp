#include "routes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "strata/core/error.hpp"

namespace strata::bound::detail {

RouteModel make_route_model(const Machine& m, GpuId first_gpu, std::uint32_t gpu_count) {
  if (gpu_count == 0 || first_gpu >= m.gpus.size() || gpu_count > m.gpus.size() - first_gpu)
    throw InvalidInput(fmt::format(
        "machine '{}' has {} GPU(s); a bound for GPUs {}..{} asks for more: use fewer GPUs or a "
        "machine with more (`strata machine list`)",
        m.name, m.gpus.size(), first_gpu, first_gpu + gpu_count - 1));
  RouteModel rm;
  rm.resources = sim::machine_resources(m);
  const TierId dev = m.gpus[first_gpu].memory;
  rm.device_capacity_bytes = m.tiers[dev].capacity_bytes;
  if (const auto host = m.host_tier()) rm.host_capacity_bytes = m.tiers[*host].capacity_bytes;
  rm.routes_by_gpu.resize(gpu_count);
  for (LinkId l : m.links_of(dev)) {
    const Link& link = m.links[l];
    const TierId other = link.from == dev ? link.to : link.from;
    if (m.tiers[other].kind == TierKind::device) continue;  // GPU-to-GPU: not a place to park
    Destination d;
    d.tier = other;
    d.is_ssd = m.tiers[other].kind == TierKind::ssd;
    d.direct = link.direct_access;
    rm.any_direct = rm.any_direct || link.direct_access;
    d.away = rm.routes.size();
    rm.routes.push_back(sim::route_for(m, l, dev).resources);
    d.toward = rm.routes.size();
    rm.routes.push_back(sim::route_for(m, l, other).resources);
    for (std::uint32_t i = 0; i < gpu_count; ++i) {
      const TierId gdev = m.gpus[first_gpu + i].memory;
      const std::optional<LinkId> gl = m.link_between(gdev, other);
      auto& mine = rm.routes_by_gpu[i];
      if (!gl) {  // this GPU cannot reach the tier: it adds no bytes to any resource
        mine.emplace_back();
        mine.emplace_back();
        continue;
      }
      mine.push_back(sim::route_for(m, *gl, gdev).resources);
      mine.push_back(sim::route_for(m, *gl, other).resources);
    }
    rm.destinations.push_back(d);
  }
  rm.gpus_crossing.assign(rm.routes.size(), std::vector<std::uint32_t>(rm.resources.size(), 0));
  for (const auto& mine : rm.routes_by_gpu)
    for (std::size_t ri = 0; ri < mine.size(); ++ri) {
      std::vector<sim::ResourceId> seen = mine[ri];
      std::sort(seen.begin(), seen.end());
      seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
      for (sim::ResourceId r : seen) ++rm.gpus_crossing[ri][r];
    }
  return rm;
}

double per_gpu_bytes_per_s(const RouteModel& rm, const std::vector<std::size_t>& route_indices) {
  if (route_indices.empty()) return 0;
  // GPUs crossing each resource on any of these routes.
  std::vector<std::uint32_t> sharing(rm.resources.size(), 0);
  for (const auto& mine : rm.routes_by_gpu) {
    std::vector<std::uint8_t> hit(rm.resources.size(), 0);
    for (std::size_t ri : route_indices)
      for (sim::ResourceId r : mine[ri]) hit[r] = 1;
    for (std::size_t r = 0; r < hit.size(); ++r) sharing[r] += hit[r];
  }
  const auto share = [&](sim::ResourceId r) {
    return rm.resources[r].bytes_per_s / std::max<std::uint32_t>(1, sharing[r]);
  };
  double sum = 0;
  for (std::size_t ri : route_indices) {
    double least = std::numeric_limits<double>::infinity();
    for (sim::ResourceId r : rm.routes[ri]) least = std::min(least, share(r));
    sum += least;
  }
  double common = std::numeric_limits<double>::infinity();
  for (sim::ResourceId r : rm.routes[route_indices.front()]) {
    const bool everywhere =
        std::all_of(route_indices.begin(), route_indices.end(), [&](std::size_t ri) {
          return std::find(rm.routes[ri].begin(), rm.routes[ri].end(), r) != rm.routes[ri].end();
        });
    if (everywhere) common = std::min(common, share(r));
  }
  return std::min(sum, common);
}

}  // namespace strata::bound::detail
