#include "strata/analysis/vitality.hpp"

namespace strata {
namespace {

std::size_t kind_index(TensorKind k) { return static_cast<std::size_t>(k); }

}  // namespace

Vitality analyze_vitality(const Workload& w) {
  Vitality v;
  const std::size_t n = w.kernels.size();
  v.tensors.resize(w.tensors.size());
  v.start_ns.resize(n);
  std::int64_t clock = 0;
  for (std::size_t k = 0; k < n; ++k) {
    v.start_ns[k] = clock;
    clock += w.kernels[k].duration_ns;
    for (const auto* list : {&w.kernels[k].inputs, &w.kernels[k].outputs})
      for (TensorId t : *list) {
        auto& uses = v.tensors[t].uses;
        if (uses.empty() || uses.back() != k) uses.push_back(static_cast<KernelId>(k));
      }
  }
  v.ideal_ns = clock;
  auto end_ns = [&](KernelId k) { return v.start_ns[k] + w.kernels[k].duration_ns; };

  // Live ranges as a difference array per kind: +bytes at first use, -bytes after last use.
  std::vector<std::array<std::int64_t, kTensorKindCount>> delta(
      n + 1, std::array<std::int64_t, kTensorKindCount>{});
  std::array<std::uint64_t, kTensorKindCount> persistent_by_kind{};
  for (std::size_t t = 0; t < w.tensors.size(); ++t) {
    const Tensor& tensor = w.tensors[t];
    TensorVitality& tv = v.tensors[t];
    if (tv.uses.empty()) continue;
    tv.first_use = tv.uses.front();
    tv.last_use = tv.uses.back();
    for (std::size_t i = 1; i < tv.uses.size(); ++i)
      if (tv.uses[i] > tv.uses[i - 1] + 1)
        tv.inactive.push_back(
            {tv.uses[i - 1], tv.uses[i], false, v.start_ns[tv.uses[i]] - end_ns(tv.uses[i - 1])});
    if (tensor.persistent) {
      persistent_by_kind[kind_index(tensor.kind)] += tensor.bytes;
      v.persistent_bytes += tensor.bytes;
      const std::int64_t wrap_ns = (v.ideal_ns - end_ns(tv.last_use)) + v.start_ns[tv.first_use];
      // A tensor used by every kernel, or only by the last and the first, is never idle.
      const bool idle = !(tv.last_use == n - 1 && tv.first_use == 0);
      if (idle) tv.inactive.push_back({tv.last_use, tv.first_use, true, wrap_ns});
    } else {
      const auto bytes = static_cast<std::int64_t>(tensor.bytes);
      delta[tv.first_use][kind_index(tensor.kind)] += bytes;
      delta[tv.last_use + 1][kind_index(tensor.kind)] -= bytes;
    }
  }

  v.live_bytes.resize(n);
  v.live_bytes_by_kind.resize(n);
  std::array<std::int64_t, kTensorKindCount> running{};
  for (std::size_t k = 0; k < n; ++k) {
    std::uint64_t total = 0;
    for (std::size_t kind = 0; kind < kTensorKindCount; ++kind) {
      running[kind] += delta[k][kind];
      std::uint64_t bytes = persistent_by_kind[kind] + static_cast<std::uint64_t>(running[kind]);
      if (kind == kind_index(TensorKind::workspace)) bytes += w.kernels[k].workspace_bytes;
      v.live_bytes_by_kind[k][kind] = bytes;
      total += bytes;
    }
    v.live_bytes[k] = total;
    if (total > v.peak_live_bytes) {
      v.peak_live_bytes = total;
      v.peak_kernel = static_cast<KernelId>(k);
    }
  }
  return v;
}

}  // namespace strata
