#pragma once
/// @file vitality.hpp
/// @brief When every tensor is used and idle, and how many bytes are live at every kernel.
///
/// Definition used everywhere: live bytes at kernel k = bytes of all persistent tensors + bytes of
/// every other tensor whose first use <= k <= last use + workspace of kernel k. A "use" is an
/// appearance among a kernel's inputs or outputs. Times are ideal (unlimited fast memory): kernel k
/// starts at the sum of the durations before it.

#include <array>
#include <cstdint>
#include <vector>

#include "strata/workload/workload.hpp"

namespace strata {

/// @brief A stretch of the iteration in which a tensor is not used: after kernel `after` ends
/// and before kernel `before` starts. `wraps` marks a persistent tensor's period that runs past the
/// end of the iteration into the next one (then before <= after).
struct InactivePeriod {
  KernelId after = 0;
  KernelId before = 0;
  bool wraps = false;
  std::int64_t duration_ns =
      0;  ///< ideal time between the end of `after` and the start of `before`

  friend bool operator==(const InactivePeriod&, const InactivePeriod&) = default;
};

/// @brief One tensor's life in the iteration.
struct TensorVitality {
  std::vector<KernelId> uses;  ///< kernels that read or write it, ascending, each once
  KernelId first_use = kNoKernel;
  KernelId last_use = kNoKernel;
  std::vector<InactivePeriod> inactive;  ///< gaps between consecutive uses (and the wrap)
};

/// @brief The analysis of one workload.
struct Vitality {
  std::vector<TensorVitality> tensors;    ///< indexed by TensorId
  std::vector<std::int64_t> start_ns;     ///< ideal start of each kernel
  std::int64_t ideal_ns = 0;              ///< ideal iteration time
  std::vector<std::uint64_t> live_bytes;  ///< at each kernel, per the definition above
  /// live_bytes split by tensor kind (a kernel's workspace counts as `workspace`)
  std::vector<std::array<std::uint64_t, kTensorKindCount>> live_bytes_by_kind;
  std::uint64_t persistent_bytes = 0;
  std::uint64_t peak_live_bytes = 0;
  KernelId peak_kernel = 0;  ///< the first kernel at which live bytes reach the peak
};

/// @brief Analyses a validated workload in O(kernels + uses).
Vitality analyze_vitality(const Workload& w);

}  // namespace strata
