#pragma once
// Private to the CUDA backend: turning a cudaError_t into a strata error.
#include <cuda_runtime_api.h>

#include <string>
#include <string_view>

namespace strata::rt::cuda::detail {

/// "cudaMalloc(1.0 GiB) failed: out of memory (cudaErrorMemoryAllocation)".
std::string describe(cudaError_t status, std::string_view call);

/// Throws IoError naming `call` and the CUDA error unless `status` is cudaSuccess.
void check(cudaError_t status, std::string_view call);

}  // namespace strata::rt::cuda::detail
