#pragma once
/// @file sentinel.hpp
/// @brief `sentinel`: Sentinel (Ren et al., HPCA'21), adapted to a GPU with host memory and SSD
/// below it. It profiles one iteration (here: the vitality analysis plays the profile), manages
/// tensors rather than pages, keeps short-lived tensors in a reserved region of fast memory, and
/// migrates long-lived tensors at interval boundaries (an interval is a run of whole layers),
/// prefetching at the start of the interval before the one that needs them. See
/// docs/policies.md.

#include <cstdint>

#include "strata/plan/policy.hpp"

namespace strata {

/// @brief Interval-based tensor migration from a one-iteration profile.
///
/// - Short-lived tensors (non-persistent, first to last use within `interval_kernels` kernels)
///   never move: they live in the reserved fast region.
/// - Every other tensor's idle periods that leave at least one whole interval between the
///   interval of the use before and the interval of the use after are migration candidates:
///   evicted at the start of the interval after its use, prefetched at the start of the interval
///   before its next use. Largest (bytes x idle time) first, a candidate is taken only while the
///   profile's device footprint somewhere in its idle range is still above the target (95% of
///   GPU memory); no migration at all when the whole iteration fits.
/// - Evictions go to host while the migrated bytes fit there, then to SSD.
class SentinelPolicy final : public Policy {
 public:
  /// @param interval_kernels kernels (layers) per migration interval; >= 1
  explicit SentinelPolicy(std::uint32_t interval_kernels = 16);
  std::string name() const override { return "sentinel"; }
  Plan plan(const Workload& w, const Vitality& v, const Machine& m) const override;

 private:
  std::uint32_t interval_kernels_;
};

}  // namespace strata
