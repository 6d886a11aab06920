#pragma once
/// @file scale.hpp
/// @brief A workload shrunk by a factor: what `strata run --scale N` replays so that a large
/// trace fits a small machine with the same balance of bandwidth to compute.

#include <cstdint>

#include "strata/workload/workload.hpp"

namespace strata {

/// @brief Divides every tensor's bytes, every kernel's workspace, bytes accessed, flops and
/// duration by `factor` (sizes round up, so no tensor becomes empty that was not; durations
/// round to the nearest nanosecond). The name gets " /N". factor 1 returns a copy; 0 throws
/// InvalidInput.
Workload scale_workload(const Workload& w, std::uint64_t factor);

}  // namespace strata
