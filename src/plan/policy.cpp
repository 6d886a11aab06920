#include "strata/plan/policy.hpp"

#include <algorithm>
#include <tuple>

#include "strata/core/error.hpp"
#include "strata/io/g10_plan.hpp"
#include "strata/plan/policies/deepum.hpp"
#include "strata/plan/policies/flashneuron.hpp"
#include "strata/plan/policies/g10.hpp"
#include "strata/plan/policies/sentinel.hpp"
#include "strata/plan/policies/strata.hpp"
#include "strata/plan/policies/uvm.hpp"
#include "strata/plan/policies/vdnn.hpp"
#include "strata/plan/policies/vdnn_multi.hpp"

namespace strata {

std::optional<std::size_t> choose_lru_victim(const VictimRequest& r, Recency recency,
                                             const std::function<bool(TensorId)>& spare) {
  const auto time_of = [recency](const EvictionCandidate& c) {
    return recency == Recency::arrival ? c.arrived_ns : c.last_access_ns;
  };
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < r.candidates.size(); ++i) {
    const EvictionCandidate& c = r.candidates[i];
    if (spare && spare(c.tensor)) continue;
    if (!best) {
      best = i;
      continue;
    }
    const EvictionCandidate& b = r.candidates[*best];
    // Ties: by arrival order under Recency::arrival (the driver's list is in arrival order),
    // then by tensor id.
    const auto key = [&](const EvictionCandidate& x) {
      return std::tuple(time_of(x), recency == Recency::arrival ? x.arrival_seq : 0, x.tensor);
    };
    if (key(c) < key(b)) best = i;
  }
  return best;
}

std::optional<std::size_t> choose_lru_victim(const VictimRequest& r, Recency recency) {
  return choose_lru_victim(r, recency, nullptr);
}

std::vector<TensorId> choose_victims(const Policy& policy, KernelId kernel,
                                     std::vector<EvictionCandidate> candidates,
                                     std::uint64_t demand_short_by, std::uint64_t short_by) {
  std::vector<TensorId> victims;
  std::uint64_t freed = 0;
  for (const bool for_prefetch : {false, true}) {
    const std::uint64_t target = for_prefetch ? short_by : demand_short_by;
    while (freed < target && !candidates.empty()) {
      const std::optional<std::size_t> pick =
          policy.choose_victim({kernel, target - freed, candidates, for_prefetch});
      if (!pick) break;
      STRATA_EXPECTS(*pick < candidates.size(), "choose_victim returned an index out of range");
      victims.push_back(candidates[*pick].tensor);
      freed += candidates[*pick].bytes;
      candidates.erase(candidates.begin() + static_cast<std::ptrdiff_t>(*pick));
    }
  }
  return victims;
}

std::optional<std::size_t> Policy::choose_victim(const VictimRequest& r) const {
  return choose_lru_victim(r, recency());
}

std::vector<Plan> Policy::plans(const Workload& w, const Vitality& v, const Machine& m, GpuId,
                                std::uint32_t gpu_count) const {
  return std::vector<Plan>(gpu_count, plan(w, v, m));
}

Plan IdealPolicy::plan(const Workload& w, const Vitality&, const Machine&) const {
  return make_empty_plan(w, "ideal plan of " + w.name, name());
}

Plan G10PlanPolicy::plan(const Workload& w, const Vitality&, const Machine& m) const {
  Plan p = load_g10_plan(path_, w);
  p.policy = name();
  validate(p, w, m);
  return p;
}

namespace {

/// One row per policy spec: the name (a prefix ending in ':' takes an argument), what it is,
/// and how to make it. Policies live in their own files; each adds one row here.
struct PolicyEntry {
  std::string_view name;  ///< "ideal", or "g10-plan:" for a spec with an argument
  std::string_view usage;
  std::string_view description;
  std::unique_ptr<Policy> (*make)(std::string_view argument);
};

std::unique_ptr<Policy> make_g10_plan(std::string_view path) {
  if (path.empty())
    throw InvalidInput("policy 'g10-plan:' needs a path: g10-plan:<G10 folder or g10_plan.txt>");
  return std::make_unique<G10PlanPolicy>(std::string(path));
}

constexpr PolicyEntry kPolicies[] = {
    {"ideal", "ideal", "everything on the GPU, no movement (unlimited memory reference)",
     [](std::string_view) -> std::unique_ptr<Policy> { return std::make_unique<IdealPolicy>(); }},
    {"uvm", "uvm", "CUDA Unified Memory / HMM demand paging, LRU eviction to host then SSD",
     [](std::string_view) -> std::unique_ptr<Policy> { return std::make_unique<UvmPolicy>(); }},
    {"deepum", "deepum", "DeepUM+: uvm plus prefetching kernel k+8's tensors at kernel k",
     [](std::string_view) -> std::unique_ptr<Policy> { return std::make_unique<DeepUmPolicy>(); }},
    {"flashneuron", "flashneuron",
     "FlashNeuron: offload forward activations GPU->SSD until the rest fits, prefetch for backward",
     [](std::string_view) -> std::unique_ptr<Policy> {
       return std::make_unique<FlashNeuronPolicy>();
     }},
    {"vdnn-all", "vdnn-all", "vDNN-all: offload every layer's inputs to host, prefetch one ahead",
     [](std::string_view) -> std::unique_ptr<Policy> {
       return std::make_unique<VdnnPolicy>(VdnnLayers::all);
     }},
    {"vdnn-conv", "vdnn-conv", "vDNN-conv: offload convolution inputs to host, prefetch one ahead",
     [](std::string_view) -> std::unique_ptr<Policy> {
       return std::make_unique<VdnnPolicy>(VdnnLayers::conv);
     }},
    {"vdnn-multi", "vdnn-multi",
     "vDNN-all on GPUs sharing PCIe: prefetches timed to deadlines at the bus's fair share",
     [](std::string_view) -> std::unique_ptr<Policy> {
       return std::make_unique<VdnnMultiPolicy>();
     }},
    {"sentinel", "sentinel",
     "Sentinel: profile-driven tensor migration per interval of layers, short-lived kept on GPU",
     [](std::string_view) -> std::unique_ptr<Policy> {
       return std::make_unique<SentinelPolicy>();
     }},
    {"g10", "g10", "G10's planner: evict inactive periods by pressure, prefetch early, LRU paging",
     [](std::string_view) -> std::unique_ptr<Policy> { return std::make_unique<G10Policy>(); }},
    {"g10:", "g10:line_scale=<x>",
     "g10 planning down to x times its usual line (G10's loosen_parameter; its artifact uses "
     "1.394 for BERT at batch 512)",
     [](std::string_view argument) -> std::unique_ptr<Policy> {
       return std::make_unique<G10Policy>(parse_g10_options(argument));
     }},
    {"strata", "strata",
     "strata's planner: bandwidth timeline per resource, host+SSD, simulator-refined, Belady "
     "paging",
     [](std::string_view) -> std::unique_ptr<Policy> { return std::make_unique<StrataPolicy>(); }},
    {"g10-plan:", "g10-plan:<folder or file>",
     "G10's own plan (g10_plan.txt) with LRU demand paging", make_g10_plan},
};

bool takes_argument(std::string_view name) { return !name.empty() && name.back() == ':'; }

}  // namespace

std::vector<std::pair<std::string, std::string>> known_policies() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const PolicyEntry& e : kPolicies) out.emplace_back(e.usage, e.description);
  return out;
}

std::vector<std::string> comparable_policies() {
  std::vector<std::string> out;
  for (const PolicyEntry& e : kPolicies)
    if (!takes_argument(e.name)) out.emplace_back(e.name);
  return out;
}

std::unique_ptr<Policy> make_policy(std::string_view spec) {
  for (const PolicyEntry& e : kPolicies) {
    if (takes_argument(e.name) ? spec.substr(0, e.name.size()) == e.name : spec == e.name)
      return e.make(spec.substr(std::min(spec.size(), e.name.size())));
  }
  std::string known;
  for (const PolicyEntry& e : kPolicies)
    known += (known.empty() ? "" : ", ") + std::string(e.usage);
  throw InvalidInput("unknown policy '" + std::string(spec) + "'; known policies: " + known);
}

}  // namespace strata
