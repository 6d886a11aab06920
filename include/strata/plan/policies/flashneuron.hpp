#pragma once
/// @file flashneuron.hpp
/// @brief `flashneuron`: FlashNeuron (Bae et al., FAST'21) as G10 evaluated it: offload forward
/// activations straight from the GPU to the SSD (GPUDirect Storage, no host memory) until what
/// remains fits, and prefetch them back for the backward pass. See docs/policies.md.

#include "strata/plan/policy.hpp"

namespace strata {

/// @brief Plan-ahead SSD offloading of forward activations.
///
/// Selection (as G10's artifact does it): the budget is the GPU's capacity minus every
/// persistent tensor minus the largest single-kernel working set; the candidates are the
/// non-persistent tensors that forward kernels use and the backward pass uses again, in order
/// of first use; they are offloaded one by one while the candidates' total is at least the
/// budget. Each offload is issued right after the tensor's last forward use. The prefetch back
/// is scheduled as late as possible on one serial SSD read channel (SSD bandwidth of the
/// GPU-SSD link) so that it ends by the tensor's first backward use, and never before the
/// backward pass starts. Throws InvalidInput if the machine has no SSD tier linked to the GPU.
class FlashNeuronPolicy final : public Policy {
 public:
  std::string name() const override { return "flashneuron"; }
  Plan plan(const Workload& w, const Vitality& v, const Machine& m) const override;
};

}  // namespace strata
