#pragma once
/// @file workload_source.hpp
/// @brief Turns a workload spec on the command line into a Workload.
///
/// Specs: `g10:<folder>` (a G10 trace folder: a path, or a name looked up in `g10_dirs`),
/// `model:<name>` (the model zoo, shaped by batch, seq, dtype and optimizer), or a path to a
/// strata workload JSON file (`*.json`, or `json:<path>`).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include "strata/core/dtype.hpp"
#include "strata/machine/compute_device.hpp"
#include "strata/models/zoo.hpp"
#include "strata/workload/workload.hpp"

namespace strata {

struct WorkloadSourceOptions {
  /// Zoo shape options; unset means the zoo's default. Setting one for a spec that is not a zoo
  /// model is an error (a trace's batch is fixed).
  std::optional<std::uint32_t> batch;
  std::optional<std::uint32_t> seq;
  std::optional<DType> dtype;
  std::optional<Optimizer> optimizer;
  /// The device whose roofline gives zoo kernels their time.
  ComputeDevice device;
  /// Where `g10:<name>` is looked up when <name> is not itself a folder.
  std::vector<std::filesystem::path> g10_dirs;
};

/// @brief Loads the workload a spec names; throws InvalidInput / IoError saying what to fix.
Workload load_workload(std::string_view spec, const WorkloadSourceOptions& options);

/// @brief True if the spec names a zoo model (`model:`).
bool is_model_spec(std::string_view spec);

}  // namespace strata
