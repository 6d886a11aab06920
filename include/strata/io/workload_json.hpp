#pragma once
/// @file workload_json.hpp
/// @brief strata's own workload format: versioned JSON that round-trips a Workload exactly.
///
/// {"format": "strata.workload", "version": 1, "name": ..., "parameters": N (optional),
///  "tensors": [{"id", "name", "bytes", "kind", "persistent"}],
///  "kernels": [{"id", "name", "op", "phase", "duration_ns", "flops", "bytes_accessed",
///               "inputs": [tensor ids], "outputs": [tensor ids], "workspace_bytes"}]}
/// Every integer is exact (64-bit); errors name the file and the JSON path of the bad value.

#include <filesystem>
#include <string>
#include <string_view>

#include "strata/workload/workload.hpp"

namespace strata {

inline constexpr int kWorkloadFormatVersion = 1;

/// @brief Serialises a workload; `indent` < 0 gives one line.
std::string workload_to_json(const Workload& w, int indent = 1);

/// @brief Parses and validates a workload; `source` names it in errors.
Workload workload_from_json(std::string_view text, std::string_view source);

/// @brief Reads a workload JSON file.
Workload load_workload_json(const std::filesystem::path& path);

}  // namespace strata
