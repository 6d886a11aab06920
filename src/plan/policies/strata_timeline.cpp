#include "strata_timeline.hpp"

#include <algorithm>

#include "strata/core/error.hpp"

namespace strata::planner {

BandwidthTimeline::BandwidthTimeline(std::span<const std::int64_t> start_ns,
                                     std::int64_t iteration_ns,
                                     std::vector<double> capacity_bytes_per_s)
    : n_(start_ns.size()),
      iteration_ns_(iteration_ns),
      start_ns_(start_ns.begin(), start_ns.end()) {
  STRATA_EXPECTS(n_ > 0, "a timeline needs at least one slot");
  duration_ns_.resize(n_);
  for (std::size_t j = 0; j < n_; ++j)
    duration_ns_[j] = (j + 1 < n_ ? start_ns_[j + 1] : iteration_ns_) - start_ns_[j];
  rate_per_ns_.reserve(capacity_bytes_per_s.size());
  for (double c : capacity_bytes_per_s) rate_per_ns_.push_back(c / 1e9);
  used_.assign(rate_per_ns_.size() * n_, 0.0);
}

std::int64_t BandwidthTimeline::start_ns(std::size_t j) const {
  return start_ns_[j % n_] + static_cast<std::int64_t>(j / n_) * iteration_ns_;
}

std::size_t BandwidthTimeline::first_slot_at_or_after(double t_ns, std::size_t from) const {
  std::size_t j = from;
  while (static_cast<double>(start_ns(j)) < t_ns && j < from + 2 * n_) ++j;
  return j;
}

double BandwidthTimeline::residual(std::span<const ResourceIndex> route, std::size_t j) const {
  const std::size_t s = j % n_;
  double best = -1;
  for (ResourceIndex r : route) {
    const double left = capacity(r, s) - used_[r * n_ + s];
    if (best < 0 || left < best) best = left;
  }
  return std::max(0.0, best);
}

std::optional<double> BandwidthTimeline::finish_forward(std::span<const ResourceIndex> route,
                                                        double bytes, std::size_t from,
                                                        std::size_t limit,
                                                        std::int64_t latency_ns) const {
  double left = bytes;
  for (std::size_t j = from; j < limit; ++j) {
    const std::size_t s = j % n_;
    if (duration_ns_[s] == 0) continue;
    const double res = residual(route, j);
    if (res <= 0) continue;
    if (res >= left) {
      double cap = -1;
      for (ResourceIndex r : route) cap = cap < 0 ? capacity(r, s) : std::min(cap, capacity(r, s));
      const double frac = std::clamp(1.0 - (res - left) / cap, 0.0, 1.0);
      return static_cast<double>(start_ns(j)) + frac * static_cast<double>(duration_ns_[s]) +
             static_cast<double>(latency_ns);
    }
    left -= res;
  }
  return std::nullopt;
}

std::optional<std::size_t> BandwidthTimeline::latest_start(std::span<const ResourceIndex> route,
                                                           double bytes, std::size_t deadline,
                                                           std::size_t lowest,
                                                           std::int64_t latency_ns) const {
  double acc = 0;
  // The latency is paid once: ask for the bytes the route could move in that time as well.
  double rate = -1;
  for (ResourceIndex r : route) rate = rate < 0 ? rate_per_ns_[r] : std::min(rate, rate_per_ns_[r]);
  const double need = bytes + rate * static_cast<double>(latency_ns);
  for (std::size_t j = deadline; j > lowest;) {
    --j;
    acc += residual(route, j);
    if (acc >= need) return j;
  }
  return std::nullopt;
}

BandwidthTimeline::Booking BandwidthTimeline::reserve(std::span<const ResourceIndex> route,
                                                      double bytes, std::size_t from,
                                                      std::size_t limit) {
  Booking b;
  double left = bytes;
  for (std::size_t j = from; j < limit && left > 0; ++j) {
    double take = std::min(left, residual(route, j));
    if (j + 1 == limit) take = left;
    if (take <= 0) continue;
    const std::size_t s = j % n_;
    for (ResourceIndex r : route) used_[r * n_ + s] += take;
    b.slots.emplace_back(s, take);
    left -= take;
  }
  return b;
}

void BandwidthTimeline::cancel(std::span<const ResourceIndex> route, const Booking& b) {
  for (const auto& [s, bytes] : b.slots)
    for (ResourceIndex r : route) used_[r * n_ + s] -= bytes;
}

}  // namespace strata::planner
