#include "strata/core/quantity.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>
#include <utility>

#include "strata/core/error.hpp"
#include "strata/core/units.hpp"

namespace strata {
namespace {

constexpr std::array<std::pair<std::string_view, double>, 9> kByteUnits = {{
    {"B", 1},
    {"KB", 1e3},
    {"MB", 1e6},
    {"GB", 1e9},
    {"TB", 1e12},
    {"KiB", 1024.0},
    {"MiB", 1024.0 * 1024},
    {"GiB", 1024.0 * 1024 * 1024},
    {"TiB", 1024.0 * 1024 * 1024 * 1024},
}};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string unit_list(std::string_view suffix) {
  std::string out;
  for (const auto& [name, factor] : kByteUnits)
    out += (out.empty() ? "" : ", ") + std::string(name) + std::string(suffix);
  return out;
}

/// Splits "20GiB" into 20 and "GiB"; the number must be finite.
std::pair<double, std::string_view> split_number(std::string_view text, std::string_view what,
                                                 std::string_view example) {
  const std::string_view t = trim(text);
  double value = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc() || !std::isfinite(value))
    throw InvalidInput(
        fmt::format("{}: '{}' is not a number; write it like {}", what, text, example));
  return {value, trim(std::string_view(end, static_cast<std::size_t>(t.data() + t.size() - end)))};
}

void require_positive(double value, std::string_view text, std::string_view what) {
  if (!(value > 0)) throw InvalidInput(fmt::format("{}: '{}' must be positive", what, text));
}

double scaled(std::string_view text, std::string_view what, std::string_view suffix,
              std::string_view example) {
  const auto [value, unit] = split_number(text, what, example);
  require_positive(value, text, what);
  if (unit.empty())
    throw InvalidInput(fmt::format("{}: '{}' needs a unit ({}); write it like {}", what, text,
                                   unit_list(suffix), example));
  for (const auto& [name, factor] : kByteUnits) {
    if (unit == std::string(name) + std::string(suffix)) return value * factor;
  }
  throw InvalidInput(fmt::format("{}: '{}' has an unknown unit '{}'; use one of {}", what, text,
                                 unit, unit_list(suffix)));
}

}  // namespace

std::uint64_t parse_bytes(std::string_view text, std::string_view what) {
  const double bytes = scaled(text, what, "", "20GiB or 512MB");
  if (bytes >= 18e18) throw InvalidInput(fmt::format("{}: '{}' is too large", what, text));
  if (bytes != std::floor(bytes))
    throw InvalidInput(fmt::format("{}: '{}' is not a whole number of bytes", what, text));
  return static_cast<std::uint64_t>(bytes);
}

double parse_bytes_per_s(std::string_view text, std::string_view what) {
  return scaled(text, what, "/s", "3.2GB/s");
}

std::uint64_t parse_positive_count(std::string_view text, std::string_view what) {
  const std::string_view t = trim(text);
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (!t.empty() && t.front() == '-')
    throw InvalidInput(fmt::format("{}: '{}' must be positive", what, text));
  if (ec != std::errc() || end != t.data() + t.size())
    throw InvalidInput(
        fmt::format("{}: '{}' is not a whole number (no unit); write it like 64", what, text));
  if (value == 0) throw InvalidInput(fmt::format("{}: '{}' must be positive", what, text));
  return value;
}

std::string compact_bytes(std::uint64_t bytes) {
  constexpr std::array<std::pair<const char*, std::uint64_t>, 4> kBinary = {{
      {"TiB", 1ULL << 40},
      {"GiB", 1ULL << 30},
      {"MiB", 1ULL << 20},
      {"KiB", 1ULL << 10},
  }};
  for (const auto& [name, factor] : kBinary) {
    if (bytes < factor) continue;
    const double v = static_cast<double>(bytes) / static_cast<double>(factor);
    // Exact to a hundredth of the unit ("1.5GiB"), else fall through to a smaller unit.
    if (std::abs(v * 100 - std::round(v * 100)) < 1e-9) return fmt::format("{:g}{}", v, name);
  }
  if (bytes < 1024) return fmt::format("{}B", bytes);
  std::string s = format_bytes(bytes);
  std::erase(s, ' ');
  return s;
}

std::string compact_bytes_per_s(double bytes_per_s) {
  if (bytes_per_s >= 1e12) return fmt::format("{:g}TB/s", bytes_per_s / 1e12);
  if (bytes_per_s >= 1e9) return fmt::format("{:g}GB/s", bytes_per_s / 1e9);
  if (bytes_per_s >= 1e6) return fmt::format("{:g}MB/s", bytes_per_s / 1e6);
  return fmt::format("{:g}B/s", bytes_per_s);
}

}  // namespace strata
