#pragma once
/// @file compute_device.hpp
/// @brief A compute device's peak rates and the roofline that turns FLOPs and bytes into time.

#include <cstdint>
#include <string>

#include "strata/core/dtype.hpp"

namespace strata {

/// @brief Peak rates of one compute device (a GPU, or a CPU socket) and how much of them real
/// kernels reach. Values come from a machine preset (configs/machines/*.toml).
struct ComputeDevice {
  std::string name;
  double fp32_flops_per_s = 0;          ///< dense FP32 (TF32 tensor cores where a preset says so)
  double fp16_flops_per_s = 0;          ///< dense FP16 tensor-core rate
  double bf16_flops_per_s = 0;          ///< dense BF16 tensor-core rate
  double memory_bytes_per_s = 0;        ///< device memory bandwidth
  double compute_efficiency = 1.0;      ///< fraction of peak FLOP/s real kernels reach, (0, 1]
  double memory_efficiency = 1.0;       ///< fraction of peak bandwidth real kernels reach, (0, 1]
  std::int64_t kernel_overhead_ns = 0;  ///< fixed launch cost added to every kernel

  friend bool operator==(const ComputeDevice&, const ComputeDevice&) = default;
};

/// @brief Peak FLOP/s of `device` for math in `dtype`.
double peak_flops_per_s(const ComputeDevice& device, DType dtype);

/// @brief Roofline time of a kernel: overhead + max(compute time, memory time), rounded up to
/// whole nanoseconds. Throws InvalidInput if the device has a non-positive rate.
std::int64_t roofline_ns(const ComputeDevice& device, DType dtype, std::uint64_t flops,
                         std::uint64_t bytes_accessed);

}  // namespace strata
