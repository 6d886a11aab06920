// Whether a CUDA device is there, and CUDA errors as strata errors.
#include "strata/rt/cuda/cuda_device.hpp"

#include <fmt/format.h>

#include "cuda_check.hpp"
#include "strata/core/error.hpp"

namespace strata::rt::cuda {

namespace detail {

std::string describe(cudaError_t status, std::string_view call) {
  return fmt::format("{} failed: {} ({})", call, cudaGetErrorString(status),
                     cudaGetErrorName(status));
}

void check(cudaError_t status, std::string_view call) {
  if (status != cudaSuccess) throw IoError(describe(status, call));
}

}  // namespace detail

std::optional<std::string> unavailable_reason() noexcept {
  try {
    int count = 0;
    const cudaError_t status = cudaGetDeviceCount(&count);
    if (status != cudaSuccess) {
      (void)cudaGetLastError();  // do not leave the error for the next call to find
      return detail::describe(status, "cudaGetDeviceCount");
    }
    if (count == 0) return std::string("cudaGetDeviceCount found no CUDA device");
    return std::nullopt;
  } catch (...) {
    return std::string("cannot query CUDA devices");
  }
}

void require_device() {
  if (const auto why = unavailable_reason())
    throw Unsupported(fmt::format(
        "no usable CUDA GPU ({}); run on a machine with an NVIDIA GPU and driver, or use the CPU "
        "runtime (HostArena, PinnedHost, Mover)",
        *why));
}

}  // namespace strata::rt::cuda
