#pragma once
/// @file compare.hpp
/// @brief Several policies on one (workload, machine), side by side: what `strata compare`
/// prints. Each policy is planned and simulated on its own pool thread; the results come back
/// in the order the policies were given, identical whatever the number of threads.
///
/// A policy that throws while being made, planning or simulating (Unsupported, InvalidInput, a
/// bug) becomes an infeasible row whose reason is the error, so one policy cannot sink the rest.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "strata/analysis/vitality.hpp"
#include "strata/core/thread_pool.hpp"
#include "strata/machine/machine.hpp"
#include "strata/sim/report.hpp"
#include "strata/sim/simulator.hpp"
#include "strata/workload/workload.hpp"

namespace strata::sim {

/// @brief make_policy(spec) then run_policy, with any exception turned into an infeasible
/// Report (reason "error: <what>"). Report::policy is `spec`; workload, machine and ideal_ns
/// are filled even when it fails.
Report run_policy_spec(const Workload& w, const Vitality& v, const Machine& m,
                       const std::string& spec, const SimOptions& options);

/// @brief The results of several policies on one workload and machine.
struct Comparison {
  std::string workload;
  std::string machine;
  std::int64_t ideal_ns = 0;  ///< sum of kernel durations
  /// the lower bound on any policy's iteration (bound/lower_bound.hpp); nullopt when not
  /// computed or when no policy can run the workload
  std::optional<std::int64_t> lower_bound_ns;
  std::vector<Report> rows;  ///< one per policy, in the order given
};

/// @brief One finished policy, for progress reports.
struct CompareTick {
  std::size_t done = 0;   ///< policies finished so far, this one included
  std::size_t total = 0;  ///< policies in the comparison
  const Report* report = nullptr;
};

/// @brief Runs every spec of `policies` on `pool` (run_policy_spec each). `progress`, if set,
/// is called after each policy finishes (in finishing order, one call at a time).
Comparison compare_policies(const Workload& w, const Vitality& v, const Machine& m,
                            const std::vector<std::string>& policies, const SimOptions& options,
                            ThreadPool& pool,
                            const std::function<void(const CompareTick&)>& progress = {});

/// @brief Bytes moved toward the device (fetches) in the steady-state iteration, all links.
std::uint64_t bytes_to_device(const Report& r);
/// @brief Bytes moved away from the device (evictions) in the steady-state iteration.
std::uint64_t bytes_from_device(const Report& r);

/// @brief A table, one row per policy: iteration time, its ratio to the lower bound (when
/// known), fraction of ideal, feasible, the stall
/// breakdown, bytes fetched and evicted, demand fetches (faults). An infeasible row shows "-"
/// and its reason is listed below the table.
std::string comparison_to_text(const Comparison& c);

/// @brief `{"results": [{"policy", "iteration_ns", "fraction_of_ideal", "feasible", "reason",
/// "ideal_ns", "stall": {...}, "bytes_to_device", "bytes_from_device", "demand_fetches",
/// "demand_fetch_bytes", "lower_bound_ns", "of_bound"}, ...]}` (of_bound = iteration / bound);
/// times and fraction are null and reason a string when infeasible, reason null when feasible.
/// Schema: docs/compare.md.
std::string comparison_to_json(const Comparison& c);

}  // namespace strata::sim
