#pragma once
// The strata planner's bandwidth timeline (Note [strata planner] in
// include/strata/plan/policies/strata.hpp): for every resource a transfer can cross (each
// direction of each link and bus, each tier's read and write side; sim::machine_resources), the
// bytes already reserved in every slot of the iteration. A slot is one kernel's ideal span, so
// the timeline is as fine as the moments a plan can issue anything. The iteration repeats, so
// the timeline is cyclic: slot indices are "unwrapped" (slot j >= n is slot j - n of the next
// iteration, at time start(j - n) + iteration).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace strata::planner {

using ResourceIndex = std::uint32_t;

class BandwidthTimeline {
 public:
  /// @param start_ns ideal start of every kernel (n entries, ascending, first 0)
  /// @param iteration_ns ideal iteration time (> last start)
  /// @param capacity_bytes_per_s every resource's capacity, indexed by resource
  BandwidthTimeline(std::span<const std::int64_t> start_ns, std::int64_t iteration_ns,
                    std::vector<double> capacity_bytes_per_s);

  std::size_t slots() const { return n_; }
  /// @brief Start of unwrapped slot j (j may be up to 3n).
  std::int64_t start_ns(std::size_t j) const;
  /// @brief The first unwrapped slot j >= from whose start is at or after `t_ns`.
  std::size_t first_slot_at_or_after(double t_ns, std::size_t from) const;

  /// @brief Bytes the route can still move in unwrapped slot j: the least residual of its
  /// resources.
  double residual(std::span<const ResourceIndex> route, std::size_t j) const;
  /// @brief When `bytes` moving over `route` from the start of slot `from` (plus `latency_ns`)
  /// have all arrived, using only residual bandwidth, slot by slot; nullopt if they have not by
  /// the start of slot `limit` (unwrapped, exclusive).
  std::optional<double> finish_forward(std::span<const ResourceIndex> route, double bytes,
                                       std::size_t from, std::size_t limit,
                                       std::int64_t latency_ns) const;
  /// @brief The latest unwrapped slot s in [lowest, deadline) such that `bytes` started at s
  /// arrive by the start of slot `deadline` on residual bandwidth; nullopt if none.
  std::optional<std::size_t> latest_start(std::span<const ResourceIndex> route, double bytes,
                                          std::size_t deadline, std::size_t lowest,
                                          std::int64_t latency_ns) const;
  /// @brief What one reservation booked, so it can be taken back.
  struct Booking {
    std::vector<std::pair<std::size_t, double>> slots;  ///< (wrapped slot, bytes)
  };
  /// @brief Reserves `bytes` on `route` from slot `from` on, as much per slot as is left; what
  /// is still unbooked at slot `limit` (unwrapped, exclusive) is booked in slot limit - 1.
  Booking reserve(std::span<const ResourceIndex> route, double bytes, std::size_t from,
                  std::size_t limit);
  /// @brief Takes back a reservation made on the same route.
  void cancel(std::span<const ResourceIndex> route, const Booking& b);

 private:
  double capacity(ResourceIndex r, std::size_t slot) const {
    return rate_per_ns_[r] * static_cast<double>(duration_ns_[slot]);
  }
  std::size_t n_ = 0;
  std::int64_t iteration_ns_ = 0;
  std::vector<std::int64_t> start_ns_;     ///< n entries
  std::vector<std::int64_t> duration_ns_;  ///< n entries
  std::vector<double> rate_per_ns_;        ///< per resource, bytes per ns
  std::vector<double> used_;               ///< resource-major: used_[r * n + slot]
};

}  // namespace strata::planner
