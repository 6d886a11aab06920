#pragma once
/// @file quantity.hpp
/// @brief Parsing sizes, rates and counts typed by a person ("20GiB", "3.2GB/s", "64"): the
/// inverse of units.hpp, for flags. Every error is InvalidInput naming `what` (the flag or
/// setting), the text, and the accepted form.

#include <cstdint>
#include <string>
#include <string_view>

namespace strata {

/// @brief A positive size with a unit: B, KB, MB, GB, TB (decimal) or KiB, MiB, GiB, TiB
/// (binary); "20GiB", "1.5 TB". The unit is required and case-sensitive; the result must be a
/// whole, positive number of bytes.
std::uint64_t parse_bytes(std::string_view text, std::string_view what);

/// @brief A positive rate with a unit: B/s, KB/s, MB/s, GB/s, TB/s (decimal) or KiB/s, MiB/s,
/// GiB/s, TiB/s (binary); "3.2GB/s".
double parse_bytes_per_s(std::string_view text, std::string_view what);

/// @brief A positive whole number with no unit: "64".
std::uint64_t parse_positive_count(std::string_view text, std::string_view what);

/// @brief Short forms for labels: "20GiB", "1.5GiB", "512MiB" (exact where a binary unit
/// divides the size), else format_bytes without the space.
std::string compact_bytes(std::uint64_t bytes);
/// @brief "3.2GB/s", "500MB/s".
std::string compact_bytes_per_s(double bytes_per_s);

}  // namespace strata
