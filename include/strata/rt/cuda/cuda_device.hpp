#pragma once
/// @file cuda_device.hpp
/// @brief Whether this process can use a CUDA GPU. Built only with the CUDA backend
/// (STRATA_HAVE_CUDA; CMake option STRATA_CUDA). Headers of the backend include no CUDA header,
/// so code that uses them compiles with the host compiler alone.

#include <optional>
#include <string>

namespace strata::rt::cuda {

/// @brief Why no CUDA device can be used ("cudaGetDeviceCount failed: ...", "no CUDA device"),
/// or nullopt when at least one is there. Never throws.
std::optional<std::string> unavailable_reason() noexcept;

/// @brief Throws strata::Unsupported with unavailable_reason() and what to do, if any.
void require_device();

}  // namespace strata::rt::cuda
