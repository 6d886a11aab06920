#include "strata/sim/sweep_axis.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>

#include "strata/core/error.hpp"
#include "strata/core/quantity.hpp"

namespace strata::sim {
namespace {

constexpr std::array<std::pair<SweepAxis, std::string_view>, 5> kAxes = {{
    {SweepAxis::batch, "batch"},
    {SweepAxis::gpu_memory, "gpu-memory"},
    {SweepAxis::host_memory, "host-memory"},
    {SweepAxis::ssd_bandwidth, "ssd-bandwidth"},
    {SweepAxis::gpus, "gpus"},
}};

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    const std::size_t at = text.find(sep);
    out.push_back(trim(text.substr(0, at)));
    if (at == std::string_view::npos) return out;
    text.remove_prefix(at + 1);
  }
}

/// One value of the axis from its text.
SweepValue parse_one(SweepAxis axis, std::string_view text, std::string_view what) {
  switch (axis) {
    case SweepAxis::batch:
    case SweepAxis::gpus: {
      const std::uint64_t n = parse_positive_count(text, what);
      if (n > 1'000'000'000) throw InvalidInput(fmt::format("{}: '{}' is too large", what, text));
      return {static_cast<double>(n), std::to_string(n)};
    }
    case SweepAxis::gpu_memory:
    case SweepAxis::host_memory: {
      const std::uint64_t b = parse_bytes(text, what);
      if (b >= (1ULL << 53)) throw InvalidInput(fmt::format("{}: '{}' is too large", what, text));
      return {static_cast<double>(b), compact_bytes(b)};
    }
    case SweepAxis::ssd_bandwidth: {
      const double r = parse_bytes_per_s(text, what);
      return {r, compact_bytes_per_s(r)};
    }
  }
  throw InternalError("unknown sweep axis");
}

/// A value computed by a range, rounded to what the axis can hold.
SweepValue make_value(SweepAxis axis, double v) {
  switch (axis) {
    case SweepAxis::batch:
    case SweepAxis::gpus: {
      const double n = std::round(v);
      return {n, fmt::format("{:.0f}", n)};
    }
    case SweepAxis::gpu_memory:
    case SweepAxis::host_memory: {
      const double b = std::round(v);
      return {b, compact_bytes(static_cast<std::uint64_t>(b))};
    }
    case SweepAxis::ssd_bandwidth: return {v, compact_bytes_per_s(v)};
  }
  throw InternalError("unknown sweep axis");
}

void expand_range(SweepAxis axis, std::string_view item, std::vector<SweepValue>& out) {
  const std::vector<std::string_view> parts = split(item, ':');
  const std::string what = fmt::format("--values range '{}'", item);
  if (parts.size() != 3 || parts[2].empty())
    throw InvalidInput(fmt::format(
        "{}: a range is start:stop:step with step x<factor> or +<amount>, like 8:256:x2 or "
        "20GiB:80GiB:+20GiB",
        what));
  const SweepValue start = parse_one(axis, parts[0], what + " start");
  const SweepValue stop = parse_one(axis, parts[1], what + " stop");
  if (stop.value < start.value)
    throw InvalidInput(fmt::format("{}: stop {} is below start {}; give the smaller value first",
                                   what, stop.label, start.label));
  const std::string_view step = parts[2];
  const bool geometric = step.front() == 'x' || step.front() == '*';
  if (!geometric && step.front() != '+')
    throw InvalidInput(
        fmt::format("{}: step '{}' must be x<factor> (multiply) or +<amount> (add), like x2 or +8",
                    what, step));
  double factor = 0, amount = 0;
  if (geometric) {
    const std::string_view f = step.substr(1);
    char* end = nullptr;
    const std::string f_text(f);
    factor = std::strtod(f_text.c_str(), &end);
    if (f_text.empty() || *end != '\0' || !std::isfinite(factor) || !(factor > 1))
      throw InvalidInput(fmt::format("{}: step '{}' needs a factor above 1, like x2", what, step));
  } else {
    amount = parse_one(axis, step.substr(1), what + " step").value;
  }
  const double tolerance = stop.value * 1e-9;
  double v = start.value;
  SweepValue previous = make_value(axis, v);
  out.push_back(previous);
  for (;;) {
    v = geometric ? v * factor : v + amount;
    if (v > stop.value + tolerance) break;
    SweepValue next = make_value(axis, std::min(v, stop.value));
    if (next.value <= previous.value)
      throw InvalidInput(fmt::format("{}: step '{}' is too small to reach a new value after {}",
                                     what, step, previous.label));
    if (out.size() >= kMaxSweepValues)
      throw InvalidInput(
          fmt::format("{}: more than {} values; use a larger step", what, kMaxSweepValues));
    out.push_back(next);
    previous = std::move(next);
  }
}

}  // namespace

std::string_view to_string(SweepAxis axis) {
  for (const auto& [a, name] : kAxes)
    if (a == axis) return name;
  return "?";
}

SweepAxis parse_sweep_axis(std::string_view text) {
  std::string names;
  for (const auto& [a, name] : kAxes) {
    if (name == text) return a;
    names += (names.empty() ? "" : ", ") + std::string(name);
  }
  throw InvalidInput(fmt::format("--over: unknown axis '{}'; use one of {}", text, names));
}

std::string axis_label(SweepAxis axis) {
  switch (axis) {
    case SweepAxis::batch: return "batch size (samples)";
    case SweepAxis::gpu_memory: return "GPU memory (GiB)";
    case SweepAxis::host_memory: return "host memory (GiB)";
    case SweepAxis::ssd_bandwidth: return "SSD bandwidth (GB/s)";
    case SweepAxis::gpus: return "GPUs (data parallel)";
  }
  return "?";
}

bool axis_is_count(SweepAxis axis) { return axis == SweepAxis::batch || axis == SweepAxis::gpus; }

std::vector<SweepValue> parse_sweep_values(SweepAxis axis, std::string_view text) {
  if (trim(text).empty())
    throw InvalidInput("--values: the list is empty; give values like 8,16,32 or a range 8:256:x2");
  std::vector<SweepValue> out;
  for (std::string_view item : split(text, ',')) {
    if (item.empty())
      throw InvalidInput(fmt::format("--values '{}': an empty item (two commas in a row?)", text));
    if (item.find(':') != std::string_view::npos) {
      expand_range(axis, item, out);
    } else {
      out.push_back(parse_one(axis, item, fmt::format("--values item '{}'", item)));
    }
    if (out.size() > kMaxSweepValues)
      throw InvalidInput(
          fmt::format("--values: more than {} values; sweep fewer", kMaxSweepValues));
  }
  for (std::size_t i = 0; i < out.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (out[i].value == out[j].value)
        throw InvalidInput(
            fmt::format("--values: {} appears twice; list each value once", out[i].label));
  return out;
}

}  // namespace strata::sim
