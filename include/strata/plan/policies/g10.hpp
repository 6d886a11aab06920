#pragma once
/// @file g10.hpp
/// @brief The `g10` policy: G10's planner (Zhang et al., MICRO'23), reimplemented on strata's
/// vitality analysis, with LRU demand paging behind the plan.
///
/// Note [g10 planner]: G10 plans one iteration ahead from each tensor's inactive periods.
/// 1. Allocation and release: every non-persistent tensor is allocated (a prefetch of an unborn
///    tensor) shortly before its first use and released right after its last use. A per-kernel
///    estimate of GPU-resident bytes starts from "every tensor resident at every kernel" and
///    drops by each tensor's bytes outside its lifetime (G10 stops once the estimate fits).
/// 2. Eviction: while some kernel's estimate exceeds `memory_fraction` of GPU memory, the
///    inactive period whose eviction removes the most memory *pressure area* (bytes x time spent
///    above GPU memory, counted between the moments half the tensor could be out and half back
///    in) is chosen next, greedily. As in G10, every round sorts all periods by area (ties:
///    bytes x duration) and takes the first; a period already handled counts 0, and planning
///    stops when the first one is handled. Periods without area left are equal to the sort, so
///    which of them comes first is the order `std::sort` leaves them in: G10 goes on evicting
///    periods that relieve no pressure, and so does this planner. A period long enough for
///    an SSD round trip goes to the SSD, unless the SSD's eviction bandwidth is already booked at
///    that point and host memory has room, when it goes to the host; one long enough only for a
///    host round trip goes to the host if host memory has room; a shorter one stays. Bandwidth is
///    booked per kernel and direction on both links (an SSD transfer also uses the PCIe port it
///    shares with the host link), and host memory per kernel. A period that wraps around the
///    iteration (a persistent tensor idle from its last use to its first use in the next iteration)
///    is timed by its ideal duration.
/// 3. Prefetch: each evicted period's prefetch starts where the booked fetch bandwidth lets it
///    finish by the next use, then moves earlier kernel by kernel while the estimate there is
///    under the line, as early as capacity allows (not before the eviction has finished).
/// Whatever the plan misses is demand-paged by the executor with LRU victims (Policy default).
/// All rates and capacities come from the Machine. What G10's artifact does that matters only
/// for reproducing its plans is reproduced by default and can be turned off (G10Options: its
/// GiB rates, its tensor 0, its time table for wrapping periods, its bandwidth arithmetic); with
/// them, and periods in G10's tensor order (Note [G10 tensor order] in io/g10_trace.cpp), the
/// planner makes exactly the evictions of G10's published plans on the shared workloads, BERT-512
/// at G10's own line for it (line_scale 1.394). Differences from G10's artifact: docs/policies.md.

#include <cstdint>
#include <string>
#include <string_view>

#include "strata/plan/policy.hpp"

namespace strata {

/// @brief The planner's own constants (G10's defaults; not properties of the machine).
struct G10Options {
  /// Plan until every kernel's estimated resident bytes are at most this fraction of GPU
  /// memory (G10: 0.99).
  double memory_fraction = 0.99;
  /// Multiplies that line (G10's `loosen_parameter`, 1 by default): the planner plans down to
  /// line_scale x memory_fraction of GPU memory, while pressure still counts above GPU memory.
  /// G10's artifact hard-codes 1.394 for BERT at batch 512 with an SSD under 6.3 GB/s, and 1.1
  /// for ViT at batch 1280 with a 6.3-6.5 GB/s SSD (src/ast.cc, transformer_parse); its
  /// published BERT-512 plan comes from 1.394. Positive; `g10:line_scale=<x>` on the command
  /// line.
  double line_scale = 1.0;
  /// Safety margin on a prefetch's lead time and a round trip, as a fraction of one movement
  /// (G10's delta_parameter: 0.5).
  double prefetch_margin = 0.5;
  /// Time to allocate one byte on the GPU, which sets how early a tensor is allocated before its
  /// first use (G10's GPU_malloc_uspB = 0.000000814 us/B).
  double allocation_ns_per_byte = 0.000814;
  /// G10's artifact stops evicting at the first chosen period that is too short for any round
  /// trip: it never marks that period as handled, so every later round picks it again and does
  /// nothing. true reproduces that (what G10's published results come from); false skips the
  /// period and goes on to the next.
  bool stop_at_too_short = true;
  /// G10's planner converts its GB/s settings with 2^30 bytes (its simulator with 10^9): it
  /// plans as if every link were 7.4 % faster than it runs. true plans at the machine's rates
  /// read the same way (x 1.073741824), which is what G10's published plans come from.
  bool gib_per_s_rates = true;
  /// G10 leaves its first tensor (`tensor0` in its traces: A0) out of allocation and release
  /// and adds its bytes once more to the estimate: it counts as resident twice at every kernel.
  /// The tensor of this name gets that treatment; empty, or a workload without such a tensor:
  /// none does.
  std::string resident_tensor = "tensor0";
  /// G10 times the pressure area of a period that wraps around the iteration on its kernel time
  /// table of n + 1 start times, indexed modulo n + 1: the first kernel of the next iteration
  /// counts minus the iteration's time (if it is above GPU memory) and every later one the time
  /// of the kernel before it. true reproduces that (what G10's published plans come from; it
  /// decides the order of near-equal areas); false times each kernel by its own duration.
  bool wrap_time_table = true;
  /// G10 books transfer bandwidth with arithmetic of its own: the host path's budget is the
  /// PCIe port's, an SSD booking counts on both, and a host booking that leaves less than the
  /// SSD's rate takes the whole excess from the SSD's budget again at each booking (its
  /// pcie2gpu_BWsim). true reproduces it (what G10's published plans come from; it matters
  /// where host traffic fills the port, as on BERT-512); false books on a shared port exactly.
  bool g10_bookkeeping = true;
};

/// @brief What the planner decided, for tests and reports.
struct G10PlanStats {
  std::size_t inactive_periods = 0;   ///< periods considered (G10 lists those one kernel long too)
  std::size_t evicted_to_host = 0;    ///< periods evicted to host memory
  std::size_t evicted_to_ssd = 0;     ///< periods evicted to the SSD
  std::size_t too_short = 0;          ///< chosen, but too short for any round trip
  std::size_t no_room = 0;            ///< chosen, but no bandwidth or host room for it
  std::size_t kernels_over_line = 0;  ///< kernels still over the line after planning
};

/// @brief A plan and how it was reached.
struct G10PlanResult {
  Plan plan;
  G10PlanStats stats;
};

/// @brief Runs the planner of Note [g10 planner] for `w` on one GPU of `m` (the smallest GPU
/// memory of the machine). Throws InvalidInput if the machine has neither a host nor an SSD tier
/// linked to the GPU while the workload does not fit in GPU memory.
G10PlanResult plan_g10(const Workload& w, const Vitality& v, const Machine& m,
                       const G10Options& options = {});

/// @brief The options of a `g10:` policy spec's argument: `line_scale=<x>` (G10Options::
/// line_scale). InvalidInput naming what to write for anything else.
G10Options parse_g10_options(std::string_view argument);

/// @brief G10's plan with LRU demand paging behind it. See Note [g10 planner].
class G10Policy final : public Policy {
 public:
  explicit G10Policy(G10Options options = {}) : options_(options) {}
  /// "g10", or "g10:line_scale=<x>" when the line is scaled.
  std::string name() const override;
  Plan plan(const Workload& w, const Vitality& v, const Machine& m) const override;
  /// G10 runs on Unified Memory with hints.
  bool demand_paged_kernels() const override { return true; }

 private:
  G10Options options_;
};

}  // namespace strata
