#pragma once
/// @file vdnn.hpp
/// @brief `vdnn-all` and `vdnn-conv`: vDNN (Rhu et al., MICRO'16). In the forward pass each
/// layer's input activations are offloaded to host memory once the forward pass is done with
/// them; in the backward pass they are prefetched back one layer (kernel) ahead of their use.
/// vDNN-all does this for every layer, vDNN-conv only for convolution layers. See
/// docs/policies.md.

#include <string_view>
#include <vector>

#include "strata/plan/policy.hpp"

namespace strata {

/// @brief Which layers vDNN offloads the inputs of.
enum class VdnnLayers : std::uint8_t { all, conv };

/// @brief True if kernel `k` is a convolution: its op (zoo: "conv2d"; G10 traces: the layer
/// name, "Conv2d") or, failing that, its name ("Conv2d_Forward") starts with "conv", any case.
bool is_conv_kernel(const Kernel& k);

/// @brief One tensor vDNN moves: offloaded to host after kernel `evict_after` (its last forward
/// use), needed again by kernel `needed_by` (its first backward use).
struct VdnnOffload {
  TensorId tensor = 0;
  KernelId evict_after = 0;
  KernelId needed_by = 0;
};

/// @brief The tensors vDNN offloads, in the order it finds them: every non-persistent input of a
/// selected forward kernel (all, or convolutions) that the backward pass uses again, each once.
std::vector<VdnnOffload> vdnn_offloads(const Workload& w, const Vitality& v, VdnnLayers layers);

/// @brief Throws InvalidInput (naming `policy` and the machine) unless GPU `gpu` of `m` has a
/// link to a host tier; returns that link.
LinkId vdnn_host_link(const Machine& m, GpuId gpu, std::string_view policy);

/// @brief Plan-ahead offloading of layer inputs to host memory.
///
/// For every forward kernel selected (all, or convolutions), each non-persistent input that the
/// backward pass uses again is evicted to host right after its last forward use, and prefetched
/// before the kernel that precedes its first backward use (one layer ahead). Throws InvalidInput
/// if the machine has no host tier linked to the GPU.
class VdnnPolicy final : public Policy {
 public:
  explicit VdnnPolicy(VdnnLayers layers) : layers_(layers) {}
  std::string name() const override {
    return layers_ == VdnnLayers::all ? "vdnn-all" : "vdnn-conv";
  }
  Plan plan(const Workload& w, const Vitality& v, const Machine& m) const override;

 private:
  VdnnLayers layers_;
};

}  // namespace strata
