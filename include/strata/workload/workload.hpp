#pragma once
/// @file workload.hpp
/// @brief The IR of one training iteration, which repeats: tensors, and kernels in execution order.
///
/// Note [persistence]: persistent tensors (weights, optimizer state, and whatever else outlives
/// an iteration) exist before the first kernel and after the last; every other tensor is born at
/// its first use (normally a write) and dies after its last use. Vitality analysis
/// (analysis/vitality.hpp) derives everything else from this.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

using TensorId = std::uint32_t;
using KernelId = std::uint32_t;
inline constexpr KernelId kNoKernel = std::numeric_limits<KernelId>::max();

enum class TensorKind : std::uint8_t {
  weight,
  activation,
  gradient,
  optimizer_state,
  workspace,
  input
};
inline constexpr int kTensorKindCount = 6;

enum class Phase : std::uint8_t { forward, backward, optimizer };

std::string_view to_string(TensorKind k);
std::string_view to_string(Phase p);
/// @brief Parses a TensorKind name; throws InvalidInput listing the accepted names.
TensorKind parse_tensor_kind(std::string_view text);
/// @brief Parses a Phase name; throws InvalidInput listing the accepted names.
Phase parse_phase(std::string_view text);

/// @brief One tensor. `id` equals its index in Workload::tensors.
struct Tensor {
  TensorId id = 0;
  std::string name;
  std::uint64_t bytes = 0;
  TensorKind kind = TensorKind::activation;
  bool persistent = false;

  friend bool operator==(const Tensor&, const Tensor&) = default;
};

/// @brief A kernel's time measured with its tensors in CUDA managed memory and faulted in on
/// demand, next to its plain time (Kernel::duration_ns). G10's traces carry them
/// (input_pf_times.txt, pf_times.txt); the simulator's measured fault model uses them
/// (sim/fault_model.hpp, Note [measured fault model]). Raw measurements: they may be below the
/// plain time (noise); the model clamps them.
struct PageFaultTimes {
  /// The kernel's time in G10's "input_pf" measurement (input_pf_times.txt). G10's simulator
  /// reads (input_pf - duration) as the cost of faulting the kernel's outputs.
  std::int64_t input_pf_ns = 0;
  /// The kernel's time with every tensor faulted (pf_times.txt). G10 reads (pf - input_pf) as the
  /// cost of faulting its inputs.
  std::int64_t pf_ns = 0;

  friend bool operator==(const PageFaultTimes&, const PageFaultTimes&) = default;
};

/// @brief One kernel. `id` equals its index in Workload::kernels (execution order).
struct Kernel {
  KernelId id = 0;
  std::string name;
  /// The operator this kernel computes ("conv2d", "relu", "matmul", ... or a trace's layer name).
  std::string op;
  Phase phase = Phase::forward;
  std::int64_t duration_ns = 0;
  std::uint64_t flops = 0;
  std::uint64_t bytes_accessed = 0;
  std::vector<TensorId> inputs;
  std::vector<TensorId> outputs;
  std::uint64_t workspace_bytes = 0;
  /// Measured page-fault times where the source has them (G10 traces); absent for zoo models.
  std::optional<PageFaultTimes> pf_times;
  /// State the kernel updates in place as a side effect that its other outputs do not read:
  /// batch norm's running statistics in training (its output uses the batch's own statistics).
  /// Each is among both `inputs` and `outputs`. A recompute of the kernel, which rebuilds one of
  /// its other outputs, neither reads nor writes them (recompute_inputs()).
  std::vector<TensorId> state_updates;

  friend bool operator==(const Kernel&, const Kernel&) = default;
};

/// @brief One training iteration.
struct Workload {
  std::string name;
  std::vector<Tensor> tensors;
  std::vector<Kernel> kernels;
  /// Trainable parameter count (elements) where the source knows it (zoo models).
  std::optional<std::uint64_t> parameters;

  friend bool operator==(const Workload&, const Workload&) = default;
};

/// @brief Checks the invariants every consumer relies on; throws InvalidInput naming the kernel
/// or tensor at fault: ids equal indices, every referenced tensor exists, every tensor is used by
/// some kernel, durations are non-negative, there is at least one kernel, names are unique, and
/// every state update of a kernel is among both its inputs and its outputs.
void validate(const Workload& w);

/// @brief What a re-run of `k` that rebuilds one of its outputs reads: its inputs but its state
/// updates (Kernel::state_updates), in order.
std::vector<TensorId> recompute_inputs(const Kernel& k);

/// @brief For every tensor, the first kernel that writes it (kNoKernel if none does).
std::vector<KernelId> producers(const Workload& w);

/// @brief Sum of all kernel durations: the iteration time with unlimited fast memory.
std::int64_t ideal_ns(const Workload& w);

}  // namespace strata
