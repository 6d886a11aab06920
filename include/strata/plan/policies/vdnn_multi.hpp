#pragma once
/// @file vdnn_multi.hpp
/// @brief `vdnn-multi`: vDNN-all's offloads (Rhu et al., MICRO'16) on data-parallel GPUs that
/// share PCIe buses, with each prefetch issued early enough to arrive by its deadline at the
/// GPU's fair share of the buses it crosses (the multi-GPU PCIe-contention idea of Kim et al.,
/// FAS*W'18). See docs/policies.md.
///
/// Note [vdnn-multi prefetch timing]: vDNN issues every prefetch one kernel ahead of its use,
/// which is late when the copy takes longer than that kernel, and later still when the GPUs
/// behind one PCIe switch fetch at the same time and split its uplink. vdnn-multi keeps vDNN's
/// choice of what to offload and when (right after the last forward use), and moves only the
/// prefetches. For GPU g it takes the fair-share fetch rate: the least of the uncontended rate
/// of its host link and, for every bus the link crosses, the bus's bandwidth divided by the
/// number of the run's GPUs whose host link crosses it too (twice that for a bus that is not
/// full duplex, where evictions use the same bandwidth). Each prefetch's deadline is the ideal
/// start of its first backward use. Walking the prefetches from the latest deadline down, each
/// must finish by its deadline and before the next one starts on the GPU's share of the bus
/// (one copy at a time, latest possible start), so the bytes queued behind it are accounted
/// for. It is issued before the last kernel whose ideal start is at or before that latest
/// start, never later than vDNN's one-ahead kernel and never before the kernel after its
/// eviction. Moving a prefetch earlier keeps the tensor on the GPU for longer; a move that would
/// push the plan's resident bytes (vitality's live bytes less the tensors offloaded at that
/// kernel) over the GPU's capacity at some kernel is shortened until it fits. With one GPU the
/// share is the whole link, and no prefetch is issued later than vdnn-all's.

#include <cstdint>
#include <string>
#include <vector>

#include "strata/plan/policy.hpp"

namespace strata {

/// @brief vDNN-all with deadline-driven, contention-aware prefetch timing per GPU. See Note
/// [vdnn-multi prefetch timing]. Throws InvalidInput if a GPU has no link to a host tier.
class VdnnMultiPolicy final : public Policy {
 public:
  std::string name() const override { return "vdnn-multi"; }
  /// @brief The plan for GPU 0 running alone.
  Plan plan(const Workload& w, const Vitality& v, const Machine& m) const override;
  /// @brief One plan per GPU, each timed against that GPU's fair share of the buses it shares
  /// with the other GPUs of the run.
  std::vector<Plan> plans(const Workload& w, const Vitality& v, const Machine& m, GpuId first_gpu,
                          std::uint32_t gpu_count) const override;
};

/// @brief The fetch rate (host → device) GPU `gpu` can count on while GPUs first_gpu ..
/// first_gpu + gpu_count - 1 all fetch at once: see Note [vdnn-multi prefetch timing].
double fair_share_fetch_bytes_per_s(const Machine& m, GpuId gpu, GpuId first_gpu,
                                    std::uint32_t gpu_count);

}  // namespace strata
