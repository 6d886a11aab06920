#pragma once
/// @file scale.hpp
/// @brief A workload shrunk by a factor: what `strata run --scale N` replays so that a large
/// trace fits a small machine with the same balance of bandwidth to compute.

#include <cstdint>

#include "strata/workload/workload.hpp"

namespace strata {

/// @brief Divides every tensor's bytes, every kernel's workspace, bytes accessed and flops by
/// `factor` (rounding up, so no tensor becomes empty that was not) and every kernel's duration
/// by `time_factor` (0: by `factor`; rounded to the nearest nanosecond). The name gets " /N"
/// (" /N time /M" when the time factor differs). Factors 1 return a copy.
Workload scale_workload(const Workload& w, std::uint64_t factor, std::uint64_t time_factor = 0);

}  // namespace strata
