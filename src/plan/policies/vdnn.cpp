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

std::vector<VdnnOffload> vdnn_offloads(const Workload& w, const Vitality& v, VdnnLayers layers) {
  std::vector<VdnnOffload> out;
  KernelId first_backward = kNoKernel;
  for (const Kernel& k : w.kernels)
    if (k.phase == Phase::backward) {
      first_backward = k.id;
      break;
    }
  if (first_backward == kNoKernel) return out;

  std::vector<bool> chosen(w.tensors.size(), false);
  for (KernelId k = 0; k < first_backward; ++k) {
    const Kernel& kernel = w.kernels[k];
    if (kernel.phase != Phase::forward) continue;
    if (layers == VdnnLayers::conv && !is_conv_kernel(kernel)) continue;
    for (TensorId t : kernel.inputs) {
      if (chosen[t] || w.tensors[t].persistent || v.tensors[t].last_use < first_backward) continue;
      // The gap from the last forward use to the first backward use.
      const InactivePeriod* gap = nullptr;
      for (const InactivePeriod& g : v.tensors[t].inactive)
        if (!g.wraps && g.after < first_backward) gap = &g;
      if (gap == nullptr || gap->before < first_backward) continue;
      chosen[t] = true;
      out.push_back({t, gap->after, gap->before});
    }
  }
  return out;
}

LinkId vdnn_host_link(const Machine& m, GpuId gpu, std::string_view policy) {
  const std::optional<TierId> host = m.host_tier();
  std::optional<LinkId> link;
  if (host && gpu < m.gpus.size()) link = m.link_between(m.gpus[gpu].memory, *host);
  if (!link)
    throw InvalidInput(fmt::format(
        "{}: machine {} has no host tier linked to GPU {}; vDNN offloads layer inputs to host "
        "memory over PCIe. Use a preset with a [[tier]] of kind \"host\" and a [[gpu.link]] to it",
        policy, m.name, gpu));
  return *link;
}

Plan VdnnPolicy::plan(const Workload& w, const Vitality& v, const Machine& m) const {
  Plan p = make_empty_plan(w, name() + " plan of " + w.name, name());
  vdnn_host_link(m, 0, name());
  for (const VdnnOffload& o : vdnn_offloads(w, v, layers_)) {
    p.kernels[o.evict_after].after.push_back(Action::evict(o.tensor, TierKind::host));
    // One layer (kernel) ahead of the first backward use.
    const KernelId ahead = o.needed_by > o.evict_after + 1 ? o.needed_by - 1 : o.needed_by;
    p.kernels[ahead].before.push_back(Action::prefetch(o.tensor));
  }
  return p;
}

}  // namespace strata
