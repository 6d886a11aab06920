#pragma once
/// @file recompute.hpp
/// @brief Which kernels are cheap enough to re-run instead of moving their output: the
/// per-kernel "recomputable" attribute the planners read.
///
/// Note [cheap ops]: a kernel is cheap to recompute when it runs in the forward pass and its
/// operator is memory-bound elementwise or normalisation work whose time is a few passes over
/// its operands: activations (relu, gelu, silu, tanh, sigmoid), dropout (a real framework
/// replays the saved RNG state), normalisations (batchnorm, layernorm, rmsnorm), elementwise
/// arithmetic (add, subtract, multiply/mul, divide, sqrt, power, scale), softmax, rope and sum.
/// Convolutions, matrix products (linear, dot, matmul), pooling, concatenation, embeddings and
/// losses are not. The attribute is derived, not stored, so no workload source has to supply it:
/// - zoo workloads (src/models) name the operator in Kernel::op ("relu", "batchnorm", ...);
/// - G10 traces (io/g10_trace.hpp) put the parent layer's name in Kernel::op ("Relu", "Add",
///   "BatchNorm2d", "SoftmaxBasic", "Dot", "Conv2d") and the kernel's in Kernel::name
///   ("ReLU_Forward", "Add_Forward", "Divide_Forward", "Scale_Forward"); the kernel name's
///   prefix before the first '_' is matched as well, so a "Relu" op with a "ReLU_Forward"
///   kernel and an "Add" op with an "Add_MultiGredient" kernel (a backward accumulation,
///   excluded by its phase) are classified alike.
/// Matching is case-insensitive, ignores a trailing dimension suffix ("batchnorm2d",
/// "BatchNorm1d"), and is exact otherwise: "conv2d_relu" (a fused kernel) is not cheap.
/// Whether a recompute pays off is still the planner's decision: it compares the kernel's
/// duration_ns with the transfer it replaces.

#include <string_view>

#include "strata/workload/workload.hpp"

namespace strata {

/// @brief Whether `op` (an operator or kernel-name prefix, any case) is one of the cheap
/// operators of Note [cheap ops].
bool is_cheap_op(std::string_view op);

/// @brief Whether re-running `k` to rebuild one of its outputs is cheap (Note [cheap ops]): a
/// forward kernel whose op, or whose name up to the first '_', is a cheap operator.
bool is_cheap_to_recompute(const Kernel& k);

}  // namespace strata
