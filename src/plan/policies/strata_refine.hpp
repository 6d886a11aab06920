#pragma once
// Step 4 of the strata planner (Note [strata planner] in
// include/strata/plan/policies/strata.hpp): the simulator in the loop. Simulate, trace every
// late kernel to its cause (strata_diagnose.hpp), propose one repair per cause, apply repairs in
// batches, keep a batch only if the simulated iteration got faster.
//
// Note [strata repairs]: a Repair edits the list of movements; each kind is one way out of a
// stall, so a new kind is one more enumerator, one more case in propose() and one in apply().
// Repairs that recompute (Note [strata recompute] in strata_recompute.hpp) are proposed only
// where the producer's time is below the stall and the sources are resident, and a batch that
// would break that invariant is rejected without being simulated.

#include <cstdint>
#include <span>
#include <vector>

#include "strata/analysis/vitality.hpp"
#include "strata/plan/policies/strata.hpp"
#include "strata/sim/report.hpp"
#include "strata_diagnose.hpp"
#include "strata_moves.hpp"
#include "strata_recompute.hpp"
#include "strata_schedule.hpp"

namespace strata::planner {

enum class RepairKind : std::uint8_t {
  earlier_prefetch,  ///< issue movement `move`'s prefetch at `slot` instead
  add_prefetch,      ///< add `added` (a prefetch-only movement) for a tensor that faulted
  other_tier,        ///< send movement `move`'s eviction to the other lower tier
  evict_more,        ///< add `added`, a new round trip, to free memory where a kernel waited
  drop_movement,     ///< keep movement `move`'s tensor on the device instead
  defer_eviction,    ///< issue movement `move`'s eviction after kernel `slot` instead
  recompute,         ///< release movement `move`'s tensor and recompute it before `slot` instead
  add_recompute,     ///< add `added`, a recompute round trip, where a kernel waited
  /// move recomputed movement `move`'s tensor instead: evict after its last use, prefetch before
  /// `slot`
  transfer_instead,
};

struct Repair {
  RepairKind kind = RepairKind::earlier_prefetch;
  std::size_t move = 0;
  std::size_t slot = 0;
  Movement added;
};

/// @brief Repairs for the stalls, in six groups tried one after the other (any may be empty):
/// one repair per stall (the longest stalls first: move a prefetch earlier, prefetch a faulted
/// tensor, evict one more tensor), then moving earlier the fetches that shared a late prefetch's
/// link, then deferring competing evictions, then, with a `rule`, recomputes (a late prefetch, a
/// faulted tensor, an eviction the kernel waited for, or one more idle tensor, recomputed
/// instead of moved), then switching tiers, then, with a `rule` and only when nothing stalls
/// (a recompute's time is then the plan's last cost over ideal), moving recomputed tensors
/// instead, the costliest recompute first.
std::vector<std::vector<Repair>> propose(const Workload& w, const Vitality& v, const DeviceView& d,
                                         const std::vector<Movement>& moves,
                                         const std::vector<Stall>& stalls, const StrataOptions& o,
                                         const RecomputeRule* rule = nullptr);

/// @brief Applies `r` to `moves`.
void apply(std::vector<Movement>& moves, const Repair& r, const DeviceView& d);

/// @brief The movements of every GPU of a run: element i for the GPU of view i.
using GpuMoves = std::vector<std::vector<Movement>>;

/// @brief The refinement loop; `moves` becomes the best set found. Returns the best report.
struct RefineResult {
  sim::Report unrefined;
  sim::Report best;
  std::uint32_t simulations = 0;
  std::uint32_t repairs_tried = 0;
  std::uint32_t repairs_kept = 0;
};
/// The GPUs of `ds` (consecutive, first ds[0].gpu) are simulated together, each with its own
/// movements; every GPU's stalls are diagnosed on its own tracks and repaired in its own
/// movements; a change is kept when the slowest GPU got faster, or it is as fast and the GPUs
/// together are (Note [strata on several GPUs]). With `alternatives` (other starts), all are
/// simulated first (as the budget allows) and refinement starts from the fastest, then continues
/// from the next fastest while budget is left; `unrefined` is the fastest start.
RefineResult refine(const Workload& w, const Vitality& v, const Machine& m,
                    std::span<const DeviceView> ds, const Policy& victims, GpuMoves& moves,
                    const StrataOptions& o, const RecomputeRule* rule = nullptr,
                    std::span<const GpuMoves> alternatives = {});

}  // namespace strata::planner
