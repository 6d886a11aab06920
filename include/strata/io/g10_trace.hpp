#pragma once
/// @file g10_trace.hpp
/// @brief Reads a G10 workload folder (kernels.config + workspace.txt) into a Workload.
///
/// Format: ../shared/g10/README.md. Kernel time in ns is cycles / 1.2 (a 1.2 GHz clock).
/// Note [cumulative rounding]: durations are integer nanoseconds, so each kernel gets
/// round(C_k / 1.2) - round(C_{k-1} / 1.2), where C_k is the cumulative cycle count through kernel
/// k (round half up). Every kernel is within 1 ns of its exact time and the iteration's ideal time
/// is exactly round(total cycles / 1.2).
///
/// Tensor kinds: `Is weight (global)?: 1` → weight, persistent. Other tensors: written first by a
/// forward kernel → activation; by a backward or optimizer kernel → gradient; never written
/// before they are read in forward → input. Phases come from kernel names: `*Apply_Grad*` →
/// optimizer, `*_Backward*` and `*MultiGredient*` → backward, all else (forward ops, LoadData,
/// makeLoss) → forward.

#include <filesystem>
#include <string_view>

#include "strata/workload/workload.hpp"

namespace strata {

/// @brief Parses the text of a kernels.config and of a workspace.txt. `kernels_source` and
/// `workspace_source` name them in error messages ("<source>:<line>: ...").
Workload parse_g10_trace(std::string_view kernels_text, std::string_view kernels_source,
                         std::string_view workspace_text, std::string_view workspace_source,
                         std::string name);

/// @brief Reads `<folder>/kernels.config` and `<folder>/workspace.txt`; the workload is named
/// after the folder. Note [page-fault times]: where the folder also holds input_pf_times.txt and
/// pf_times.txt (G10's measured page-fault times, io/g10_pf_times.hpp), every kernel gets them as
/// Kernel::pf_times; one without the other is InvalidInput. Throws IoError if a file cannot be
/// read, InvalidInput for bad content.
Workload load_g10_folder(const std::filesystem::path& folder);

/// @brief Converts G10 GPU cycles (1.2 GHz) to nanoseconds, rounding half up.
std::int64_t g10_cycles_to_ns(std::uint64_t cycles);

}  // namespace strata
