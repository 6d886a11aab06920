#pragma once
/// @file sweep.hpp
/// @brief Policies across a range of one quantity (batch size, GPU memory, host memory, SSD
/// bandwidth, GPU count): what `strata sweep` runs, prints and plots.
///
/// Note [sweep early stop]: for a batch sweep whose values increase, a policy that is
/// infeasible at batch b is not run at any larger batch: a larger batch only adds bytes (every
/// activation grows with it), so what did not fit at b does not fit above it. Such cells are
/// `skipped` and count as infeasible. Workers check, before starting a cell, whether the policy
/// already failed at a smaller batch; the result is then made independent of timing by marking
/// every cell above each policy's smallest infeasible batch as skipped, whether or not it ran.
/// So results are identical for any number of threads. SweepSetup::early_stop = false runs
/// every cell.
///
/// Every (value, policy) cell is one task on the pool. For a batch sweep the workload of a value
/// is built (and its vitality analysed) once, by the first of its tasks to start, and freed when
/// the last one finishes, so a large sweep holds few workloads at once.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "strata/core/thread_pool.hpp"
#include "strata/machine/machine.hpp"
#include "strata/sim/report.hpp"
#include "strata/sim/simulator.hpp"
#include "strata/sim/sweep_axis.hpp"
#include "strata/workload/workload.hpp"

namespace strata::sim {

/// @brief What to sweep.
struct SweepSetup {
  SweepAxis axis = SweepAxis::batch;
  std::vector<SweepValue> values;     ///< parse_sweep_values; in the order to report them
  std::vector<std::string> policies;  ///< make_policy specs, in the order to report them
  Machine machine;                    ///< the base machine; variants change one resource
  std::string workload_name;          ///< how to name the workload in reports ("model:gpt2")
  /// The workload, for every axis but batch.
  Workload workload;
  /// For a batch sweep: the workload at a batch size (called from pool threads, so it must not
  /// touch shared mutable state). Required for SweepAxis::batch.
  std::function<Workload(std::uint32_t batch)> workload_at_batch;
  SimOptions options;      ///< gpu_count is replaced by the value on a gpus sweep
  bool early_stop = true;  ///< see Note [sweep early stop]
};

/// @brief One (value, policy) result.
struct SweepCell {
  Report report;         ///< infeasible (with the reason) when skipped or when it failed
  bool skipped = false;  ///< not counted as run: see Note [sweep early stop]
};

/// @brief Everything a sweep produced.
struct SweepResult {
  SweepAxis axis = SweepAxis::batch;
  std::string workload;
  std::string machine;
  std::uint32_t gpu_count = 1;  ///< GPUs of every cell (0 on a gpus sweep: the axis is the count)
  std::vector<SweepValue> values;
  std::vector<std::string> policies;
  std::vector<std::vector<SweepCell>> cells;  ///< [value][policy]
  bool early_stop = false;                    ///< whether Note [sweep early stop] applied
};

/// @brief One finished cell, for progress reports.
struct SweepTick {
  std::size_t done = 0;   ///< cells finished so far, this one included
  std::size_t total = 0;  ///< cells in the sweep
  const SweepValue* value = nullptr;
  const std::string* policy = nullptr;
  const SweepCell* cell = nullptr;
};

/// @brief Runs every (value, policy) cell on `pool`. `progress`, if set, is called after each
/// cell from a pool thread, one call at a time. Throws InvalidInput before running anything
/// when the setup cannot work: no values or policies, a batch sweep without workload_at_batch
/// or with a batch too large, more GPUs than the machine has, a machine variant that does not
/// apply (machine/variants.hpp).
SweepResult run_sweep(const SweepSetup& setup, ThreadPool& pool,
                      const std::function<void(const SweepTick&)>& progress = {});

/// @brief For each policy (in order), the index into `r.values` of the largest value whose cell
/// is feasible at >= `fraction` of ideal, or nullopt if none is.
std::vector<std::optional<std::size_t>> largest_value_at_least(const SweepResult& r,
                                                               double fraction);

/// @brief A table: one row per value, one column per policy, cells the fraction of ideal,
/// "-" for infeasible and "skip" for skipped; the reasons below; with `min_fraction`, the
/// largest value per policy that reaches it.
std::string sweep_to_text(const SweepResult& r, std::optional<double> min_fraction = {});

/// @brief One JSON object (schema: docs/compare.md): axis, values, policies, results (one per
/// cell, value-major), and with `min_fraction` the largest value per policy.
std::string sweep_to_json(const SweepResult& r, std::optional<double> min_fraction = {});

}  // namespace strata::sim
