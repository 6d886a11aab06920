#include "strata/plan/policies/vdnn.hpp"

#include <fmt/format.h>

#include <cctype>
#include <vector>

#include "strata/core/error.hpp"

namespace strata {

namespace {

bool starts_with_conv(std::string_view s) {
  constexpr std::string_view conv = "conv";
  if (s.size() < conv.size()) return false;
  for (std::size_t i = 0; i < conv.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != conv[i]) return false;
  return true;
}

}  // namespace

bool is_conv_kernel(const Kernel& k) {
  return starts_with_conv(k.op.empty() ? std::string_view(k.name) : std::string_view(k.op));
}

Plan VdnnPolicy::plan(const Workload& w, const Vitality& v, const Machine& m) const {
  Plan p = make_empty_plan(w, name() + " plan of " + w.name, name());
  const std::optional<TierId> host = m.host_tier();
  if (!host || m.gpus.empty() || !m.link_between(m.gpus[0].memory, *host))
    throw InvalidInput(fmt::format(
        "{}: machine {} has no host tier linked to the GPU; vDNN offloads layer inputs to host "
        "memory over PCIe. Use a preset with a [[tier]] of kind \"host\" and a [[gpu.link]] to it",
        name(), m.name));

  KernelId first_backward = kNoKernel;
  for (const Kernel& k : w.kernels)
    if (k.phase == Phase::backward) {
      first_backward = k.id;
      break;
    }
  if (first_backward == kNoKernel) return p;

  std::vector<bool> chosen(w.tensors.size(), false);
  for (KernelId k = 0; k < first_backward; ++k) {
    const Kernel& kernel = w.kernels[k];
    if (kernel.phase != Phase::forward) continue;
    if (layers_ == VdnnLayers::conv && !is_conv_kernel(kernel)) continue;
    for (TensorId t : kernel.inputs) {
      if (chosen[t] || w.tensors[t].persistent || v.tensors[t].last_use < first_backward) continue;
      // The gap from the last forward use to the first backward use.
      const InactivePeriod* gap = nullptr;
      for (const InactivePeriod& g : v.tensors[t].inactive)
        if (!g.wraps && g.after < first_backward) gap = &g;
      if (gap == nullptr || gap->before < first_backward) continue;
      chosen[t] = true;
      p.kernels[gap->after].after.push_back(Action::evict(t, TierKind::host));
      const KernelId ahead = gap->before > gap->after + 1 ? gap->before - 1 : gap->before;
      p.kernels[ahead].before.push_back(Action::prefetch(t));
    }
  }
  return p;
}

}  // namespace strata
