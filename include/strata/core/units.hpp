#pragma once
/// @file units.hpp
/// @brief Human-readable sizes, times, rates and counts for terminal output.

#include <cstdint>
#include <string>

namespace strata {

/// @brief Binary units: "512 B", "4.0 KiB", "39.21 GiB".
std::string format_bytes(std::uint64_t bytes);

/// @brief "850 ns", "12.3 us", "7.285 ms", "109.81 s".
std::string format_ns(std::int64_t ns);

/// @brief Decimal rate: "15.75 GB/s".
std::string format_bytes_per_s(double bytes_per_s);

/// @brief Thousands separated: "25,557,032".
std::string format_count(std::uint64_t n);

}  // namespace strata
