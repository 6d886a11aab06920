#include "strata/plan/plan.hpp"

#include <algorithm>
#include <array>
#include <optional>

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

std::string direct_text(const DirectAccess& d, const Workload* w) {
  return "direct " + tensor_label(d.tensor, w) + " in " + std::string(to_string(d.tier));
}

/// Where an action sits in issue order: slot 2k for before[k], 2k+1 for after[k], then its
/// index in the list.
struct IssuePos {
  std::size_t slot = 0;
  std::size_t index = 0;
  friend auto operator<=>(const IssuePos&, const IssuePos&) = default;
};

/// Whether a kernel uses tensor t (reads or writes it).
bool uses_tensor(const Kernel& k, TensorId t) {
  return std::find(k.inputs.begin(), k.inputs.end(), t) != k.inputs.end() ||
         std::find(k.outputs.begin(), k.outputs.end(), t) != k.outputs.end();
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

/// For a release of a still-live tensor t at (kernel k, before/after, index): whether a
/// recompute of t is issued after it and no later than before[j], j being t's next use.
bool recomputed_before_next_use(const Plan& p, const Workload& w, TensorId t, KernelId k,
                                bool before, std::size_t index) {
  const IssuePos release{2 * std::size_t{k} + (before ? 0 : 1), index};
  KernelId next = before ? k : k + 1;
  while (next < w.kernels.size() && !uses_tensor(w.kernels[next], t)) ++next;
  if (next >= w.kernels.size()) return false;
  for (KernelId q = k; q <= next; ++q) {
    for (const bool b : {true, false}) {
      if (q == next && !b) break;
      const auto& list = b ? p.kernels[q].before : p.kernels[q].after;
      for (std::size_t i = 0; i < list.size(); ++i)
        if (list[i].kind == ActionKind::recompute && list[i].tensor == t &&
            IssuePos{2 * std::size_t{q} + (b ? 0 : 1), i} > release)
          return true;
    }
  }
  return false;
}

/// Whether list[index] (a recompute of t, in `before` of kernel k) is an intermediate of a
/// recompute chain (Note [recompute intermediates]): a later recompute in the same list re-runs
/// a producer that reads t, and after[k] releases t.
bool recompute_intermediate(const Plan& p, const Workload& w, const std::vector<KernelId>& producer,
                            KernelId k, std::size_t index) {
  const auto& list = p.kernels[k].before;
  const TensorId t = list[index].tensor;
  bool read = false;
  for (std::size_t j = index + 1; j < list.size() && !read; ++j) {
    if (list[j].kind != ActionKind::recompute || producer[list[j].tensor] == kNoKernel) continue;
    const auto& in = w.kernels[producer[list[j].tensor]].inputs;
    read = std::find(in.begin(), in.end(), t) != in.end();
  }
  if (!read) return false;
  for (const Action& a : p.kernels[k].after)
    if (a.kind == ActionKind::release && a.tensor == t) return true;
  return false;
}

/// Whether a recompute of t is issued in list[0, index) of `before` kernel k.
bool recomputed_earlier_in(const std::vector<Action>& list, std::size_t index, TensorId t) {
  for (std::size_t j = 0; j < index; ++j)
    if (list[j].kind == ActionKind::recompute && list[j].tensor == t) return true;
  return false;
}

/// Checks KernelActions::direct of every kernel (Note [direct access]).
void validate_direct(const Plan& p, const Workload& w, const Machine& m, const std::string& where) {
  for (KernelId k = 0; k < p.kernels.size(); ++k) {
    const auto& list = p.kernels[k].direct;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const DirectAccess& d = list[i];
      const std::string at = "during " + kernel_label(k, &w) + ": ";
      if (d.tensor >= w.tensors.size())
        throw InvalidInput(where + at + "direct access names tensor #" + std::to_string(d.tensor) +
                           ", which does not exist (the workload has " +
                           std::to_string(w.tensors.size()) + " tensors)");
      const std::string what = at + direct_text(d, &w);
      if (!uses_tensor(w.kernels[k], d.tensor))
        throw InvalidInput(where + what + ": the kernel does not read or write " +
                           w.tensors[d.tensor].name);
      for (std::size_t j = 0; j < i; ++j)
        if (list[j].tensor == d.tensor)
          throw InvalidInput(where + what + ": listed twice for this kernel");
      if (d.tier == TierKind::device)
        throw InvalidInput(where + what +
                           ": a direct access reads a slower tier in place; name host, ssd "
                           "or pmem");
      const std::vector<TierId> tiers = m.tiers_of_kind(d.tier);
      if (tiers.empty())
        throw InvalidInput(where + what + ": the machine '" + m.name + "' has no " +
                           std::string(to_string(d.tier)) + " tier; use a machine that has one");
      for (const Gpu& g : m.gpus) {
        const std::optional<LinkId> l = m.link_between(g.memory, tiers.front());
        if (!l)
          throw InvalidInput(where + what + ": machine '" + m.name + "' has no link between " +
                             m.tiers[g.memory].name + " and " + m.tiers[tiers.front()].name +
                             "; access it in place only over a direct link");
        if (!m.links[*l].direct_access)
          throw InvalidInput(where + what + ": link " + m.links[*l].name + " of machine '" +
                             m.name +
                             "' has no direct_access, so kernels cannot read over it in place; "
                             "prefetch the tensor instead");
      }
    }
  }
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

std::size_t Plan::direct_count() const {
  std::size_t n = 0;
  for (const KernelActions& k : kernels) n += k.direct.size();
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
      for (std::size_t index = 0; index < list.size(); ++index) {
        const Action& a = list[index];
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
          const Kernel& prod = w.kernels[producer[a.tensor]];
          const KernelId runs_before = before ? k : k + 1;
          if (runs_before <= prod.id)
            throw InvalidInput(where + what + ": " + t.name + " is first produced by " +
                               kernel_label(prod.id, &w) +
                               ", which has not run yet; recompute it after that kernel");
          if (std::find(prod.inputs.begin(), prod.inputs.end(), a.tensor) != prod.inputs.end())
            throw InvalidInput(where + what + ": its producer " + kernel_label(prod.id, &w) +
                               " also reads " + t.name +
                               ", so re-running it needs the tensor itself; fetch it instead");
          for (TensorId in : recompute_inputs(prod)) {
            if (in >= w.tensors.size() || w.tensors[in].persistent) continue;
            if (uses.last[in] < runs_before && !(before && recomputed_earlier_in(list, index, in)))
              throw InvalidInput(where + what + ": its producer " + kernel_label(prod.id, &w) +
                                 " reads " + w.tensors[in].name + ", which is dead after " +
                                 kernel_label(uses.last[in], &w) +
                                 "; recompute earlier or keep the tensor instead");
          }
        }
        if (t.persistent) {
          if (a.kind == ActionKind::release)
            throw InvalidInput(where + what + ": " + t.name +
                               " is persistent and lives across iterations; evict it instead");
          continue;
        }
        const KernelId last = uses.last[a.tensor];
        if (a.kind == ActionKind::release) {
          // Freed once its last use has ended: before kernel last+1 or after kernel last; or
          // earlier if a recompute of it follows, at or before its next use.
          const bool ok = before ? k > last : k >= last;
          if (!ok && !recomputed_before_next_use(p, w, a.tensor, k, before, index))
            throw InvalidInput(where + what + ": " + t.name + " is still live (last used by " +
                               kernel_label(last, &w) +
                               "); release it after that kernel, or recompute it before its "
                               "next use");
        } else {
          // Moved while it can still be used: before kernel <= last or after kernel < last; or
          // recomputed as an intermediate of a recompute chain.
          const bool ok =
              (before ? k <= last : k < last) || (before && a.kind == ActionKind::recompute &&
                                                  recompute_intermediate(p, w, producer, k, index));
          if (!ok)
            throw InvalidInput(where + what + ": " + t.name + " is dead after " +
                               kernel_label(last, &w) +
                               " (its last use); release it instead of moving it");
        }
      }
    }
  }
  validate_direct(p, w, m, where);
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
                    std::to_string(p.action_count()) + " actions" +
                    (p.direct_count() ? ", " + std::to_string(p.direct_count()) + " direct" : "") +
                    ")\n";
  for (const auto& [t, tier] : p.initial)
    out += "initial: " + tensor_label(t, w) + " in " + std::string(to_string(tier)) + "\n";
  for (KernelId k = 0; k < p.kernels.size(); ++k) {
    for (const Action& a : p.kernels[k].before)
      out += "before " + kernel_label(k, w) + ": " + action_text(a, w) + "\n";
    for (const Action& a : p.kernels[k].after)
      out += "after " + kernel_label(k, w) + ": " + action_text(a, w) + "\n";
    for (const DirectAccess& d : p.kernels[k].direct)
      out += "during " + kernel_label(k, w) + ": " + direct_text(d, w) + "\n";
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
    const auto as_actions = [](const std::vector<DirectAccess>& list) {
      std::vector<Action> as;
      for (const DirectAccess& d : list) as.push_back({ActionKind::prefetch, d.tensor, d.tier});
      return as;
    };
    slot_diff(as_actions(a.kernels[k].direct), as_actions(b.kernels[k].direct), Slot::direct, k);
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
      case PlanDifference::Slot::direct:
        out += "during " + kernel_label(d.kernel, w) + ": " +
               direct_text({d.action.tensor, d.action.to}, w);
        break;
    }
    out += "\n";
  }
  return out;
}

}  // namespace strata
