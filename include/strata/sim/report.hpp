#pragma once
/// @file report.hpp
/// @brief What one simulation (and later one real run) reports: iteration time against ideal,
/// where the stalls came from, bytes per link direction, peak residency per tier, demand
/// fetches. Printed as a table (report_to_text) or JSON (report_to_json); an optional timeline
/// of the steady-state iteration is written as Chrome trace JSON (timeline_to_chrome_json).
///
/// An infeasible run (a kernel's working set does not fit the device, a tier overflows) has
/// feasible = false and a reason; its times are not numbers (JSON null, "-" in the table).
///
/// Note [report of a data-parallel run]: with several GPUs, every GPU has its own steady-state
/// iteration (Report::gpus). The report's times (iteration_ns, iteration_times_ns, stall,
/// recompute_ns, direct_access_ns) are those of the slowest GPU (the lowest index on a tie), so
/// that iteration_ns = ideal_ns + stall.total_ns() + recompute_ns + direct_access_ns holds for
/// the report as for each GPU; its counts and bytes (demand fetches, victim evictions, ignored
/// hints, recomputes, direct-access bytes, link traffic) are sums over all GPUs' steady-state
/// iterations.

#include <cstdint>
#include <string>
#include <vector>

#include "strata/machine/machine.hpp"

namespace strata::sim {

/// @brief Time the compute stream waited before kernels could start, by cause, in the
/// steady-state iteration. The three parts add up to the stream's idle time.
struct StallBreakdown {
  /// a needed tensor was on its way to the device because the plan prefetched it
  std::int64_t waiting_for_prefetch_ns = 0;
  /// a needed tensor was missing and fetched on demand (fault handling + transfer)
  std::int64_t demand_fetch_ns = 0;
  /// nothing was on its way, but device memory had to be freed first (evictions in flight)
  std::int64_t eviction_backpressure_ns = 0;

  std::int64_t total_ns() const {
    return waiting_for_prefetch_ns + demand_fetch_ns + eviction_backpressure_ns;
  }
  friend bool operator==(const StallBreakdown&, const StallBreakdown&) = default;
};

/// @brief Bytes issued over one link in the steady-state iteration, per direction.
struct LinkTraffic {
  std::string link;
  std::uint64_t to_slower_bytes = 0;  ///< forward: evictions (device -> host/ssd)
  std::uint64_t to_faster_bytes = 0;  ///< reverse: fetches (toward the device)

  friend bool operator==(const LinkTraffic&, const LinkTraffic&) = default;
};

/// @brief The most bytes a tier held at any moment of the whole run.
struct TierPeak {
  std::string tier;
  TierKind kind = TierKind::device;
  std::uint64_t capacity_bytes = 0;
  std::uint64_t peak_bytes = 0;

  friend bool operator==(const TierPeak&, const TierPeak&) = default;
};

/// @brief One span of a timeline: a kernel on the compute stream or a transfer on a link
/// direction.
struct TimelineSpan {
  std::uint32_t track = 0;  ///< index into Timeline::tracks
  std::string name;
  std::int64_t start_ns = 0;  ///< from the start of the recorded iteration
  std::int64_t duration_ns = 0;

  friend bool operator==(const TimelineSpan&, const TimelineSpan&) = default;
};

/// @brief What happened in the steady-state iteration, for Perfetto / chrome://tracing.
struct Timeline {
  /// One compute track per simulated GPU (in GPU order), then two per link (its forward and
  /// reverse direction). Times are from the start of the earliest steady-state iteration.
  std::vector<std::string> tracks;
  std::vector<TimelineSpan> spans;

  bool empty() const { return spans.empty(); }
  friend bool operator==(const Timeline&, const Timeline&) = default;
};

/// @brief One GPU's steady state in a (possibly data-parallel) run.
struct GpuIteration {
  std::string gpu;                               ///< the machine's name of the GPU
  std::int64_t iteration_ns = 0;                 ///< its steady-state (last) iteration
  std::vector<std::int64_t> iteration_times_ns;  ///< every iteration, first to last
  StallBreakdown stall;                          ///< its steady-state iteration
  std::int64_t recompute_ns = 0;                 ///< compute-stream time spent re-running producers
  std::int64_t direct_access_ns = 0;  ///< kernel time beyond compute, waiting for in-place bytes

  friend bool operator==(const GpuIteration&, const GpuIteration&) = default;
};

/// @brief The result of simulating (or running) a plan. See Note [report of a data-parallel
/// run] for how several GPUs are summarised.
struct Report {
  std::string policy;
  std::string workload;
  std::string machine;
  bool feasible = true;
  std::string infeasible_reason;  ///< names the kernel or tier and how many bytes are missing

  std::int64_t iteration_ns = 0;                 ///< steady state (the last iteration), slowest GPU
  std::int64_t ideal_ns = 0;                     ///< sum of kernel durations (unlimited memory)
  double fraction_of_ideal = 0;                  ///< ideal_ns / iteration_ns
  std::uint32_t iterations = 0;                  ///< iterations simulated
  std::vector<std::int64_t> iteration_times_ns;  ///< every iteration, first to last

  StallBreakdown stall;              ///< steady-state iteration
  std::uint64_t demand_fetches = 0;  ///< steady-state iteration: tensors faulted in
  std::uint64_t demand_fetch_bytes = 0;
  /// steady state: tensors populated on the device by first-touch faults (managed memory,
  /// Policy::first_touch_faults); their handling time is in stall.demand_fetch_ns
  std::uint64_t first_touch_faults = 0;
  std::uint64_t first_touch_bytes = 0;
  std::uint64_t victim_evictions = 0;  ///< steady state: evictions chosen by choose_victim
  std::uint64_t victim_eviction_bytes = 0;
  /// steady state: victims that were dead and dropped without a copy
  /// (DeadTensors::dropped_on_evict)
  std::uint64_t dead_drops = 0;
  std::uint64_t dead_drop_bytes = 0;
  std::uint64_t plan_actions_ignored =
      0;                          ///< steady state: hints that did not apply (G10 semantics)
  std::uint64_t recomputes = 0;   ///< steady state: tensors recomputed (plan recompute actions)
  std::int64_t recompute_ns = 0;  ///< steady state: time the stream spent recomputing
  std::uint64_t direct_access_bytes = 0;  ///< steady state: bytes kernels moved in place
  /// steady state: time kernels ran beyond their compute time, waiting for in-place bytes
  std::int64_t direct_access_ns = 0;
  std::vector<GpuIteration> gpus;  ///< one per simulated GPU, in GPU order (empty if infeasible)
  std::vector<LinkTraffic> links;  ///< steady-state iteration, one per machine link
  std::vector<TierPeak> tiers;     ///< whole run, one per machine tier

  Timeline timeline;  ///< steady-state iteration, when SimOptions::record_timeline

  friend bool operator==(const Report&, const Report&) = default;
};

/// @brief A readable table of the report (no timeline).
std::string report_to_text(const Report& r);
/// @brief One JSON object (no timeline); for an infeasible run the times are null.
std::string report_to_json(const Report& r);
/// @brief Chrome trace JSON (Perfetto-compatible): {"traceEvents": [...]} with one thread per
/// track, "X" (complete) events, ts and dur in microseconds.
std::string timeline_to_chrome_json(const Timeline& t, const std::string& process_name);

}  // namespace strata::sim
