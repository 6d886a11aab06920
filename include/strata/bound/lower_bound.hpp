#pragma once
/// @file lower_bound.hpp
/// @brief A lower bound on the steady-state iteration time of a workload on a machine: no plan
/// of any policy, simulated (sim/simulator.hpp), can have a shorter steady-state iteration.
///
/// Note [lower bound layers]: three layers, each a valid bound on its own; the result is their
/// maximum (docs/bound.md argues each step).
/// 1. compute: the sum of kernel durations (every kernel runs, one after the other).
/// 2. capacity: at every kernel whose live bytes exceed the device, the excess is off the device
///    when the kernel starts; each such byte crossed (or will cross) a link in this iteration
///    unless its tensor is recomputed, which costs its producer's time. Against the capacity of
///    the resources every route from the device crosses (shared by every GPU of the run that
///    crosses them), and against the SSD routes for what the host cannot hold.
/// 3. lp: a linear-programming relaxation (GLPK): one variable per inactive period of each
///    tensor and place it may go (host, SSD, recomputed), capacity at every kernel, one stall
///    variable per kernel, and bytes <= bandwidth x (compute + stalls) over a family of windows.
///    Minimises the total stall. Skipped (and said so) when the machine has direct-access links
///    or the program is too large; a solver failure is reported and layers 1-2 stand.
/// Everything is optimistic where the model is uncertain: a bound that is too low is honest,
/// one that is too high is a bug.

#include <cstdint>
#include <optional>
#include <string>

#include "strata/analysis/vitality.hpp"
#include "strata/machine/machine.hpp"
#include "strata/workload/workload.hpp"

namespace strata::bound {

/// @brief What to bound and how hard to try.
struct BoundOptions {
  GpuId gpu = 0;                ///< the first GPU of the run
  std::uint32_t gpu_count = 1;  ///< data parallel: GPUs gpu .. gpu + gpu_count - 1, same workload
  bool use_lp = true;           ///< layer 3 on (false: layers 1-2 only)
  std::size_t max_lp_nonzeros = 4'000'000;  ///< above this the LP is skipped, not attempted
  double lp_time_limit_s = 10;              ///< GLPK's simplex time limit
  /// capacity rows of the LP: the kernel with the most excess in each of this many equal
  /// stretches of the iteration
  std::size_t lp_capacity_kernels = 128;
};

/// @brief Layer 2's result: the kernel where it binds and what binds there.
struct CapacityLayer {
  std::int64_t bound_ns = 0;          ///< >= compute
  KernelId kernel = kNoKernel;        ///< where it binds (kNoKernel: the workload fits)
  std::uint64_t excess_bytes = 0;     ///< live bytes over the device's capacity there
  std::uint64_t recompute_bytes = 0;  ///< of which the optimum recomputes
  std::uint64_t ssd_bytes = 0;        ///< of which the host cannot hold (per GPU)
  std::string binding;                ///< "compute", "links", "ssd" or "compute+recompute"
};

/// @brief Layer 3's result.
struct LpLayer {
  /// "optimal", "skipped: <why>", "failed: <GLPK status>", "not needed: the workload fits"
  std::string status;
  std::optional<std::int64_t> bound_ns;  ///< set when status is "optimal"
  std::size_t rows = 0;
  std::size_t columns = 0;
  std::size_t nonzeros = 0;
  std::size_t windows = 0;  ///< time windows with a bandwidth constraint
  std::size_t periods = 0;  ///< inactive periods (parts) that may leave the device
};

/// @brief The lower bound of one (workload, machine, GPUs).
struct LowerBound {
  std::string workload;
  std::string machine;
  std::uint32_t gpu_count = 1;
  /// false when some kernel's own working set exceeds the device: no policy can run it
  bool feasible = true;
  std::string infeasible_reason;
  /// every kernel's live bytes fit the device: no tensor need ever leave it
  bool fits = true;
  std::int64_t compute_ns = 0;      ///< layer 1
  CapacityLayer capacity;           ///< layer 2
  LpLayer lp;                       ///< layer 3
  std::int64_t lower_bound_ns = 0;  ///< max of the layers (0 when infeasible)
};

/// @brief Computes every layer. Throws InvalidInput for GPUs the machine lacks (naming the
/// machine and the count). Deterministic: the same inputs give the same bound.
LowerBound compute_lower_bound(const Workload& w, const Vitality& v, const Machine& m,
                               const BoundOptions& options = {});

/// @brief The layers as a table ("layer  bound  of ideal  detail"), with the LP's size and
/// status; `solve_seconds` (wall time, not deterministic) is printed when >= 0.
std::string lower_bound_to_text(const LowerBound& b, double solve_seconds = -1);

/// @brief `{"workload", "machine", "gpus", "feasible", "reason", "compute_ns", "capacity":
/// {...}, "lp": {...}, "lower_bound_ns"}` (schema: docs/bound.md); `solve_seconds` is added when
/// >= 0.
std::string lower_bound_to_json(const LowerBound& b, double solve_seconds = -1);

}  // namespace strata::bound
