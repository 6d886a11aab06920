#include "strata/plan/recompute_sources.hpp"

#include <string>
#include <vector>

#include "strata/core/error.hpp"

namespace strata {

void validate_recompute_sources(const Plan& p, const Workload& w) {
  STRATA_EXPECTS(p.kernels.size() == w.kernels.size(), "plan and workload differ in kernel count");
  const std::vector<KernelId> producer = producers(w);
  // Planned location: on the device or not. Non-persistent tensors are born on the device.
  std::vector<bool> on(w.tensors.size(), true);
  for (const auto& [t, tier] : p.initial)
    if (t < on.size()) on[t] = tier == TierKind::device;
  auto label = [&](KernelId k) {
    return "kernel " + std::to_string(k) + " (" + w.kernels[k].name + ")";
  };
  auto issue = [&](const Action& a, KernelId k, bool before) {
    switch (a.kind) {
      case ActionKind::prefetch: on[a.tensor] = true; break;
      case ActionKind::evict:
      case ActionKind::release: on[a.tensor] = false; break;
      case ActionKind::recompute: {
        const KernelId prod = producer[a.tensor];
        if (prod != kNoKernel)
          for (TensorId in : recompute_inputs(w.kernels[prod]))
            if (!on[in])
              throw InvalidInput(
                  "plan '" + p.name + "': " + std::string(before ? "before " : "after ") +
                  label(k) + ": recompute " + w.tensors[a.tensor].name + " re-runs " + label(prod) +
                  ", which reads " + w.tensors[in].name +
                  ", but the plan has moved it off the device by then; prefetch it earlier, "
                  "keep it on the device, or move " +
                  w.tensors[a.tensor].name + " instead");
        on[a.tensor] = true;
        break;
      }
    }
  };
  for (KernelId k = 0; k < p.kernels.size(); ++k) {
    for (const Action& a : p.kernels[k].before) issue(a, k, true);
    for (TensorId t : w.kernels[k].inputs) on[t] = true;
    for (TensorId t : w.kernels[k].outputs) on[t] = true;
    for (const Action& a : p.kernels[k].after) issue(a, k, false);
  }
}

}  // namespace strata
