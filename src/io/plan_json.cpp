#include "strata/io/plan_json.hpp"

#include <nlohmann/json.hpp>

#include "json_fields.hpp"
#include "strata/core/error.hpp"
#include "strata/io/text_file.hpp"

namespace strata {
namespace {

using json_io::json;
using Fields = json_io::JsonFields;

json action_json(KernelId k, const char* when, const Action& a) {
  json j = {{"kernel", k}, {"when", when}, {"op", to_string(a.kind)}, {"tensor", a.tensor}};
  if (a.kind != ActionKind::release) j["to"] = to_string(a.to);
  return j;
}

}  // namespace

std::string plan_to_json(const Plan& p, int indent) {
  json initial = json::array();
  for (const auto& [t, tier] : p.initial)
    initial.push_back({{"tensor", t}, {"tier", to_string(tier)}});
  json actions = json::array();
  for (KernelId k = 0; k < p.kernels.size(); ++k) {
    for (const Action& a : p.kernels[k].before) actions.push_back(action_json(k, "before", a));
    for (const Action& a : p.kernels[k].after) actions.push_back(action_json(k, "after", a));
  }
  json direct = json::array();
  for (KernelId k = 0; k < p.kernels.size(); ++k)
    for (const DirectAccess& d : p.kernels[k].direct)
      direct.push_back({{"kernel", k}, {"tensor", d.tensor}, {"tier", to_string(d.tier)}});
  json doc = {{"format", "strata.plan"},
              {"version", kPlanFormatVersion},
              {"name", p.name},
              {"policy", p.policy},
              {"workload", p.workload},
              {"kernel_count", p.kernels.size()},
              {"initial", std::move(initial)},
              {"actions", std::move(actions)}};
  if (!direct.empty()) doc["direct"] = std::move(direct);
  return doc.dump(indent) + "\n";
}

Plan plan_from_json(std::string_view text, std::string_view source) {
  const json doc = json_io::parse_json_document(text, source);
  const Fields top(doc, "$", source);
  if (top.get<std::string>("format") != "strata.plan")
    top.fail("$.format", "must be \"strata.plan\"; is this a strata plan file?");
  const json& version = top.at("version");
  if (!version.is_number_integer() || version.get<std::int64_t>() != kPlanFormatVersion)
    top.fail("$.version", "is " + version.dump() + "; this strata reads version " +
                              std::to_string(kPlanFormatVersion));
  Plan p;
  p.name = top.get<std::string>("name");
  p.policy = top.get<std::string>("policy");
  p.workload = top.get<std::string>("workload");
  const auto kernel_count = top.get<KernelId>("kernel_count");
  p.kernels.resize(kernel_count);

  const json& initial = top.at("initial");
  if (!initial.is_array()) top.fail("$.initial", "must be an array");
  for (std::size_t i = 0; i < initial.size(); ++i) {
    const Fields f(initial[i], "$.initial[" + std::to_string(i) + "]", source);
    const auto t = f.get<TensorId>("tensor");
    const TierKind tier = f.enumeration("tier", parse_tier_kind);
    if (!p.initial.emplace(t, tier).second)
      f.fail(f.path() + ".tensor", "is " + std::to_string(t) + ", which is placed twice");
  }

  const json& actions = top.at("actions");
  if (!actions.is_array()) top.fail("$.actions", "must be an array");
  for (std::size_t i = 0; i < actions.size(); ++i) {
    const Fields f(actions[i], "$.actions[" + std::to_string(i) + "]", source);
    const auto k = f.get<KernelId>("kernel");
    if (k >= kernel_count)
      f.fail(f.path() + ".kernel", "is " + std::to_string(k) + "; the plan has " +
                                       std::to_string(kernel_count) + " kernels");
    const std::string when = f.get<std::string>("when");
    if (when != "before" && when != "after")
      f.fail(f.path() + ".when", "is \"" + when + "\"; use \"before\" or \"after\"");
    Action a;
    a.kind = f.enumeration("op", parse_action_kind);
    a.tensor = f.get<TensorId>("tensor");
    if (a.kind == ActionKind::release) {
      if (f.has("to")) f.fail(f.path() + ".to", "must be absent: a release carries no tier");
      a.to = TierKind::device;
    } else {
      a.to = f.enumeration("to", parse_tier_kind);
    }
    auto& slot = when == "before" ? p.kernels[k].before : p.kernels[k].after;
    slot.push_back(a);
  }

  if (top.has("direct")) {
    const json& direct = top.at("direct");
    if (!direct.is_array()) top.fail("$.direct", "must be an array");
    for (std::size_t i = 0; i < direct.size(); ++i) {
      const Fields f(direct[i], "$.direct[" + std::to_string(i) + "]", source);
      const auto k = f.get<KernelId>("kernel");
      if (k >= kernel_count)
        f.fail(f.path() + ".kernel", "is " + std::to_string(k) + "; the plan has " +
                                         std::to_string(kernel_count) + " kernels");
      DirectAccess d;
      d.tensor = f.get<TensorId>("tensor");
      d.tier = f.enumeration("tier", parse_tier_kind);
      p.kernels[k].direct.push_back(d);
    }
  }
  return p;
}

Plan load_plan_json(const std::filesystem::path& path) {
  return plan_from_json(read_text_file(path), path.string());
}

void save_plan_json(const Plan& p, const std::filesystem::path& path) {
  write_text_file(path, plan_to_json(p));
}

}  // namespace strata
