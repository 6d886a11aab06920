#include "strata/plan/plan.hpp"

#include <algorithm>
#include <array>

#include "strata/core/error.hpp"

namespace strata {
namespace {

constexpr std::array<std::string_view, 4> kActionNames = {"prefetch", "evict", "release",
                                                          "recompute"};

std::string kernel_label(KernelId k, const Workload* w) {
  std::string s = "kernel " + std::to_string(k);
  if (w && k < w->kernels.size()) s += " (" + w->kernels[k].name + ")";
  return s;
}

std::string tensor_label(TensorId t, const Workload* w) {
  if (w && t < w->tensors.size()) return w->tensors[t].name;
  return "tensor #" + std::to_string(t);
}

std::string action_text(const Action& a, const Workload* w) {
  std::string s = std::string(to_string(a.kind)) + " " + tensor_label(a.tensor, w);
  if (a.kind == ActionKind::prefetch || a.kind == ActionKind::evict)
    s += " -> " + std::string(to_string(a.to));
  return s;
}

/// First and last kernel that use each tensor (kNoKernel if unused).
struct Uses {
  std::vector<KernelId> first, last;
};
Uses uses_of(const Workload& w) {
  Uses u{std::vector<KernelId>(w.tensors.size(), kNoKernel),
         std::vector<KernelId>(w.tensors.size(), kNoKernel)};
  for (const Kernel& k : w.kernels)
    for (const auto* list : {&k.inputs, &k.outputs})
      for (TensorId t : *list) {
        if (t >= w.tensors.size()) continue;
        if (u.first[t] == kNoKernel) u.first[t] = k.id;
        u.last[t] = k.id;
      }
  return u;
}

}  // namespace

std::string_view to_string(ActionKind k) { return kActionNames.at(static_cast<std::size_t>(k)); }

ActionKind parse_action_kind(std::string_view text) {
  for (std::size_t i = 0; i < kActionNames.size(); ++i)
    if (kActionNames[i] == text) return static_cast<ActionKind>(i);
  throw InvalidInput("unknown plan action '" + std::string(text) +
                     "': use prefetch, evict, release or recompute");
}

TierKind Plan::initial_tier(TensorId t) const {
  const auto it = initial.find(t);
  return it == initial.end() ? TierKind::device : it->second;
}

std::size_t Plan::action_count() const {
  std::size_t n = 0;
  for (const KernelActions& k : kernels) n += k.before.size() + k.after.size();
  return n;
}

Plan make_empty_plan(const Workload& w, std::string name, std::string policy) {
  Plan p;
  p.name = std::move(name);
  p.policy = std::move(policy);
  p.workload = w.name;
  p.kernels.resize(w.kernels.size());
  return p;
}

void validate(const Plan& p, const Workload& w, const Machine& m) {
  const std::string where = "plan '" + p.name + "' for workload '" + w.name + "': ";
  if (p.kernels.size() != w.kernels.size())
    throw InvalidInput(where + "has actions for " + std::to_string(p.kernels.size()) +
                       " kernels but the workload has " + std::to_string(w.kernels.size()) +
                       "; was the plan made for another workload?");
  const auto need_tier = [&](TierKind kind, const std::string& at) {
    if (m.tiers_of_kind(kind).empty())
      throw InvalidInput(where + at + ": the machine '" + m.name + "' has no " +
                         std::string(to_string(kind)) + " tier; use a machine that has one");
  };
  for (const auto& [t, tier] : p.initial) {
    if (t >= w.tensors.size())
      throw InvalidInput(where + "initial placement names tensor #" + std::to_string(t) +
                         ", which does not exist (the workload has " +
                         std::to_string(w.tensors.size()) + " tensors)");
    if (!w.tensors[t].persistent)
      throw InvalidInput(where + "initial placement of " + w.tensors[t].name +
                         ": only persistent tensors exist at iteration start");
    need_tier(tier, "initial placement of " + w.tensors[t].name);
  }
  const Uses uses = uses_of(w);
  const std::vector<KernelId> producer = producers(w);
  for (KernelId k = 0; k < p.kernels.size(); ++k) {
    for (const bool before : {true, false}) {
      const auto& list = before ? p.kernels[k].before : p.kernels[k].after;
      for (const Action& a : list) {
        const std::string at =
            std::string(before ? "before " : "after ") + kernel_label(k, &w) + ": ";
        if (a.tensor >= w.tensors.size())
          throw InvalidInput(where + at + std::string(to_string(a.kind)) + " names tensor #" +
                             std::to_string(a.tensor) +
                             ", which does not exist (the workload has " +
                             std::to_string(w.tensors.size()) + " tensors)");
        const Tensor& t = w.tensors[a.tensor];
        const std::string what = at + action_text(a, &w);
        switch (a.kind) {
          case ActionKind::prefetch:
          case ActionKind::recompute:
            if (a.to != TierKind::device)
              throw InvalidInput(where + what + ": a " + std::string(to_string(a.kind)) +
                                 " always ends on the device; its tier must be device");
            break;
          case ActionKind::evict:
            if (a.to == TierKind::device)
              throw InvalidInput(where + what + ": an eviction must go to host, ssd or pmem");
            break;
          case ActionKind::release:
            if (a.to != TierKind::device)
              throw InvalidInput(where + what + " (to " + std::string(to_string(a.to)) +
                                 "): a release frees the tensor and carries no tier");
            break;
        }
        need_tier(a.to, what);
        if (a.kind == ActionKind::recompute) {
          if (t.persistent)
            throw InvalidInput(where + what + ": " + t.name +
                               " is persistent; only tensors born in the iteration can be "
                               "recomputed");
          if (producer[a.tensor] == kNoKernel)
            throw InvalidInput(where + what + ": no kernel writes " + t.name +
                               ", so it cannot be recomputed");
        }
        if (t.persistent) {
          if (a.kind == ActionKind::release)
            throw InvalidInput(where + what + ": " + t.name +
                               " is persistent and lives across iterations; evict it instead");
          continue;
        }
        const KernelId last = uses.last[a.tensor];
        if (a.kind == ActionKind::release) {
          // Freed once its last use has ended: before kernel last+1 or after kernel last.
          const bool ok = before ? k > last : k >= last;
          if (!ok)
            throw InvalidInput(where + what + ": " + t.name + " is still live (last used by " +
                               kernel_label(last, &w) + "); release it after that kernel");
        } else {
          // Moved while it can still be used: before kernel <= last or after kernel < last.
          const bool ok = before ? k <= last : k < last;
          if (!ok)
            throw InvalidInput(where + what + ": " + t.name + " is dead after " +
                               kernel_label(last, &w) +
                               " (its last use); release it instead of moving it");
        }
      }
    }
  }
}

TierId resolve_tier(const Machine& m, GpuId gpu, TierKind kind) {
  if (kind == TierKind::device) {
    if (gpu >= m.gpus.size())
      throw InvalidInput("machine '" + m.name + "' has no GPU " + std::to_string(gpu));
    return m.gpus[gpu].memory;
  }
  const std::vector<TierId> tiers = m.tiers_of_kind(kind);
  if (tiers.empty())
    throw InvalidInput("machine '" + m.name + "' has no " + std::string(to_string(kind)) +
                       " tier; a plan that uses one needs a machine that has one");
  return tiers.front();
}

std::string to_text(const Plan& p, const Workload* w) {
  std::string out = "plan '" + p.name + "' (policy " + p.policy + ", workload " + p.workload +
                    ", " + std::to_string(p.kernels.size()) + " kernels, " +
                    std::to_string(p.action_count()) + " actions)\n";
  for (const auto& [t, tier] : p.initial)
    out += "initial: " + tensor_label(t, w) + " in " + std::string(to_string(tier)) + "\n";
  for (KernelId k = 0; k < p.kernels.size(); ++k) {
    for (const Action& a : p.kernels[k].before)
      out += "before " + kernel_label(k, w) + ": " + action_text(a, w) + "\n";
    for (const Action& a : p.kernels[k].after)
      out += "after " + kernel_label(k, w) + ": " + action_text(a, w) + "\n";
  }
  return out;
}

std::vector<PlanDifference> diff(const Plan& a, const Plan& b) {
  if (a.kernels.size() != b.kernels.size())
    throw InvalidInput("cannot diff plan '" + a.name + "' (" + std::to_string(a.kernels.size()) +
                       " kernels) with plan '" + b.name + "' (" + std::to_string(b.kernels.size()) +
                       " kernels): they are for different workloads");
  using Side = PlanDifference::Side;
  using Slot = PlanDifference::Slot;
  std::vector<PlanDifference> out;
  // Initial placements, with the device default made explicit on both sides.
  std::map<TensorId, std::pair<TierKind, TierKind>> initial;
  for (const auto& [t, tier] : a.initial) initial[t] = {tier, b.initial_tier(t)};
  for (const auto& [t, tier] : b.initial) initial[t] = {a.initial_tier(t), tier};
  for (const auto& [t, tiers] : initial) {
    if (tiers.first == tiers.second) continue;
    out.push_back({Side::only_in_a, Slot::initial, 0, {ActionKind::prefetch, t, tiers.first}});
    out.push_back({Side::only_in_b, Slot::initial, 0, {ActionKind::prefetch, t, tiers.second}});
  }
  const auto slot_diff = [&](std::vector<Action> x, std::vector<Action> y, Slot slot, KernelId k) {
    std::sort(x.begin(), x.end());
    std::sort(y.begin(), y.end());
    std::vector<Action> only_x, only_y;
    std::set_difference(x.begin(), x.end(), y.begin(), y.end(), std::back_inserter(only_x));
    std::set_difference(y.begin(), y.end(), x.begin(), x.end(), std::back_inserter(only_y));
    for (const Action& act : only_x) out.push_back({Side::only_in_a, slot, k, act});
    for (const Action& act : only_y) out.push_back({Side::only_in_b, slot, k, act});
  };
  for (KernelId k = 0; k < a.kernels.size(); ++k) {
    slot_diff(a.kernels[k].before, b.kernels[k].before, Slot::before, k);
    slot_diff(a.kernels[k].after, b.kernels[k].after, Slot::after, k);
  }
  return out;
}

std::string diff_text(const Plan& a, const Plan& b, const Workload* w) {
  std::string out;
  for (const PlanDifference& d : diff(a, b)) {
    out += d.side == PlanDifference::Side::only_in_a ? "- " : "+ ";
    switch (d.slot) {
      case PlanDifference::Slot::initial:
        out += "initial: " + tensor_label(d.action.tensor, w) + " in " +
               std::string(to_string(d.action.to));
        break;
      case PlanDifference::Slot::before:
        out += "before " + kernel_label(d.kernel, w) + ": " + action_text(d.action, w);
        break;
      case PlanDifference::Slot::after:
        out += "after " + kernel_label(d.kernel, w) + ": " + action_text(d.action, w);
        break;
    }
    out += "\n";
  }
  return out;
}

}  // namespace strata
