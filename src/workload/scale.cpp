#include "strata/workload/scale.hpp"

#include <fmt/format.h>

#include "strata/core/error.hpp"

namespace strata {

Workload scale_workload(const Workload& w, std::uint64_t factor, std::uint64_t time_factor) {
  if (factor == 0) throw InvalidInput("scale: the factor must be at least 1 (1 = unchanged)");
  if (time_factor == 0) time_factor = factor;
  Workload out = w;
  if (factor == 1 && time_factor == 1) return out;
  const auto up = [factor](std::uint64_t v) { return v / factor + (v % factor != 0 ? 1 : 0); };
  const auto n = static_cast<std::int64_t>(time_factor);
  for (Tensor& t : out.tensors) t.bytes = up(t.bytes);
  for (Kernel& k : out.kernels) {
    k.workspace_bytes = up(k.workspace_bytes);
    k.bytes_accessed = up(k.bytes_accessed);
    k.flops = up(k.flops);
    k.duration_ns = (k.duration_ns + n / 2) / n;
  }
  out.name = time_factor == factor ? fmt::format("{} /{}", w.name, factor)
                                   : fmt::format("{} /{} time /{}", w.name, factor, time_factor);
  return out;
}

}  // namespace strata
