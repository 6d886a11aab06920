#pragma once
/// @file sweep_axis.hpp
/// @brief What `strata sweep` varies and the values it takes, parsed from a flag.
///
/// Values are a comma-separated list of single values and ranges. A range is
/// `start:stop:step` where the step is `x<factor>` (geometric, factor > 1) or `+<amount>`
/// (arithmetic, in the axis's unit); it includes every value up to stop (stop itself when a
/// step lands on it). Examples: `8,16,32`, `8:256:x2`, `20GiB:80GiB:+20GiB`, `1.6GB/s:12.8GB/s:x2`.
/// Sizes and rates need a unit (quantity.hpp); batch sizes and GPU counts are whole numbers
/// without one. Every value must be positive and appear once; at most kMaxSweepValues values.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata::sim {

/// @brief The quantity a sweep varies.
enum class SweepAxis : std::uint8_t {
  batch,          ///< the zoo model's batch size
  gpu_memory,     ///< every GPU's memory (machine/variants.hpp with_gpu_memory)
  host_memory,    ///< the host tier's capacity (with_host_memory)
  ssd_bandwidth,  ///< the SSD side's bandwidth (with_ssd_bandwidth)
  gpus,           ///< SimOptions::gpu_count: data-parallel GPUs sharing the machine
};

/// @brief "batch", "gpu-memory", "host-memory", "ssd-bandwidth" or "gpus".
std::string_view to_string(SweepAxis axis);
/// @brief Parses the names to_string gives; throws InvalidInput listing them.
SweepAxis parse_sweep_axis(std::string_view text);
/// @brief The axis as a plot label with its unit: "batch size (samples)", "GPU memory (GiB)".
std::string axis_label(SweepAxis axis);
/// @brief True for axes whose values are whole numbers (batch, gpus).
bool axis_is_count(SweepAxis axis);

/// @brief One value of the axis: a count, bytes, or bytes per second, and how to print it.
struct SweepValue {
  double value = 0;   ///< the count, bytes or bytes/s (exact: every size < 2^53 bytes)
  std::string label;  ///< short form: "64", "20GiB", "3.2GB/s"

  friend bool operator==(const SweepValue&, const SweepValue&) = default;
};

inline constexpr std::size_t kMaxSweepValues = 1000;

/// @brief Parses a value list for `axis` (see the file comment). Throws InvalidInput naming the
/// item at fault and the accepted form.
std::vector<SweepValue> parse_sweep_values(SweepAxis axis, std::string_view text);

}  // namespace strata::sim
