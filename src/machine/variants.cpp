#include "strata/machine/variants.hpp"

#include <fmt/format.h>

#include <cmath>

#include "strata/core/error.hpp"
#include "strata/core/units.hpp"

namespace strata {
namespace {

void require_positive_bytes(const Machine& m, std::uint64_t bytes, const char* what) {
  if (bytes == 0)
    throw InvalidInput(fmt::format("machine '{}': {} must be positive, got 0 bytes", m.name, what));
}

}  // namespace

Machine with_gpu_memory(const Machine& m, std::uint64_t capacity_bytes) {
  require_positive_bytes(m, capacity_bytes, "GPU memory");
  if (m.gpus.empty())
    throw InvalidInput("machine '" + m.name + "' has no GPU whose memory could be changed");
  Machine out = m;
  for (const Gpu& g : out.gpus) out.tiers.at(g.memory).capacity_bytes = capacity_bytes;
  out.name += " (gpu memory " + format_bytes(capacity_bytes) + ")";
  validate(out);
  return out;
}

Machine with_host_memory(const Machine& m, std::uint64_t capacity_bytes) {
  require_positive_bytes(m, capacity_bytes, "host memory");
  const std::optional<TierId> host = m.host_tier();
  if (!host)
    throw InvalidInput("machine '" + m.name +
                       "' has no host-memory tier to resize; pick a preset with one "
                       "(`strata machine list`)");
  Machine out = m;
  out.tiers[*host].capacity_bytes = capacity_bytes;
  out.name += " (host memory " + format_bytes(capacity_bytes) + ")";
  validate(out);
  return out;
}

Machine with_ssd_bandwidth(const Machine& m, double bytes_per_s) {
  if (!(bytes_per_s > 0) || !std::isfinite(bytes_per_s))
    throw InvalidInput(
        fmt::format("machine '{}': SSD bandwidth must be a positive number of "
                    "bytes per second, got {}",
                    m.name, bytes_per_s));
  const std::vector<TierId> ssds = m.ssd_tiers();
  if (ssds.empty())
    throw InvalidInput("machine '" + m.name +
                       "' has no SSD tier whose bandwidth could be changed; pick a preset with "
                       "one (`strata machine list`)");
  Machine out = m;
  for (TierId t : ssds) {
    out.tiers[t].read_bytes_per_s = bytes_per_s;
    out.tiers[t].write_bytes_per_s = bytes_per_s;
  }
  auto is_ssd = [&](TierId t) { return out.tiers[t].kind == TierKind::ssd; };
  // A bus is the SSD's own if every link crossing it ends at an SSD tier.
  std::vector<int> bus_users(out.buses.size(), 0), bus_ssd_users(out.buses.size(), 0);
  for (Link& l : out.links) {
    const bool ssd = is_ssd(l.to) || is_ssd(l.from);
    if (ssd) l.bytes_per_s = bytes_per_s;
    for (BusId b : l.buses) {
      ++bus_users[b];
      if (ssd) ++bus_ssd_users[b];
    }
  }
  for (std::size_t b = 0; b < out.buses.size(); ++b)
    if (bus_users[b] > 0 && bus_users[b] == bus_ssd_users[b])
      out.buses[b].bytes_per_s = bytes_per_s;
  out.name += " (ssd " + format_bytes_per_s(bytes_per_s) + ")";
  validate(out);
  return out;
}

}  // namespace strata
