#include "strata/machine/compute_device.hpp"

#include <algorithm>
#include <cmath>

#include "strata/core/error.hpp"

namespace strata {

double peak_flops_per_s(const ComputeDevice& device, DType dtype) {
  switch (dtype) {
    case DType::fp32: return device.fp32_flops_per_s;
    case DType::fp16: return device.fp16_flops_per_s;
    case DType::bf16: return device.bf16_flops_per_s;
  }
  return 0;
}

std::int64_t roofline_ns(const ComputeDevice& device, DType dtype, std::uint64_t flops,
                         std::uint64_t bytes_accessed) {
  const double flops_per_s = peak_flops_per_s(device, dtype) * device.compute_efficiency;
  const double bytes_per_s = device.memory_bytes_per_s * device.memory_efficiency;
  if (!(flops_per_s > 0) || !(bytes_per_s > 0))
    throw InvalidInput("compute device '" + device.name + "' has no positive " +
                       std::string(to_string(dtype)) +
                       " FLOP rate or memory bandwidth; set them in the machine preset");
  const double seconds = std::max(static_cast<double>(flops) / flops_per_s,
                                  static_cast<double>(bytes_accessed) / bytes_per_s);
  return device.kernel_overhead_ns + static_cast<std::int64_t>(std::ceil(seconds * 1e9));
}

}  // namespace strata
