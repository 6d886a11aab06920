#include "strata/plan/policy.hpp"

#include "strata/core/error.hpp"
#include "strata/io/g10_plan.hpp"

namespace strata {

std::optional<std::size_t> choose_lru_victim(const VictimRequest& r) {
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < r.candidates.size(); ++i) {
    const EvictionCandidate& c = r.candidates[i];
    if (!best) {
      best = i;
      continue;
    }
    const EvictionCandidate& b = r.candidates[*best];
    if (c.last_access_ns < b.last_access_ns ||
        (c.last_access_ns == b.last_access_ns && c.tensor < b.tensor))
      best = i;
  }
  return best;
}

std::optional<std::size_t> Policy::choose_victim(const VictimRequest& r) const {
  return choose_lru_victim(r);
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

std::vector<std::pair<std::string, std::string>> known_policies() {
  return {{"ideal", "everything on the GPU, no movement (unlimited memory reference)"},
          {"g10-plan:<folder or file>", "G10's own plan (g10_plan.txt) with LRU demand paging"}};
}

std::unique_ptr<Policy> make_policy(std::string_view spec) {
  if (spec == "ideal") return std::make_unique<IdealPolicy>();
  constexpr std::string_view g10 = "g10-plan:";
  if (spec.substr(0, g10.size()) == g10) {
    const std::string_view path = spec.substr(g10.size());
    if (path.empty())
      throw InvalidInput("policy 'g10-plan:' needs a path: g10-plan:<G10 folder or g10_plan.txt>");
    return std::make_unique<G10PlanPolicy>(std::string(path));
  }
  std::string known;
  for (const auto& [name, what] : known_policies()) known += (known.empty() ? "" : ", ") + name;
  throw InvalidInput("unknown policy '" + std::string(spec) + "'; known policies: " + known);
}

}  // namespace strata
