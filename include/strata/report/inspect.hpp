#pragma once
/// @file inspect.hpp
/// @brief What `strata inspect` prints: a summary of a workload and its vitality.

#include <cstdint>
#include <optional>
#include <string>

#include "strata/analysis/vitality.hpp"
#include "strata/workload/workload.hpp"

namespace strata {

/// @brief A readable multi-line summary: counts, parameters, persistent bytes, peak and where,
/// ideal time, memory by kind, the largest tensors. `top` is how many tensors to list.
std::string inspect_text(const Workload& w, const Vitality& v, std::size_t top = 10);

/// @brief The same as one JSON object. Keys: name, kernels, tensors, persistent_tensors,
/// persistent_bytes, peak_live_bytes, peak_kernel, ideal_ns, parameters (null if unknown),
/// kernels_by_phase, bytes_by_kind, peak_bytes_by_kind, largest_tensors.
std::string inspect_json(const Workload& w, const Vitality& v, std::size_t top = 10);

/// @brief An SVG picture of live bytes over the iteration (ideal time), stacked by tensor kind,
/// with the phases shaded and the peak marked; a line at `capacity_bytes` if given.
std::string memory_plot_svg(const Workload& w, const Vitality& v,
                            std::optional<std::uint64_t> capacity_bytes = std::nullopt,
                            std::string capacity_label = {});

}  // namespace strata
