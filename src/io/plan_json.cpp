#include "strata/io/plan_json.hpp"

#include <nlohmann/json.hpp>

#include "strata/core/error.hpp"
#include "strata/io/text_file.hpp"

namespace strata {
namespace {

using nlohmann::json;

/// Typed access to one JSON object; every error names "<source>: <path>.<key>".
class Fields {
 public:
  Fields(const json& object, std::string path, std::string_view source)
      : object_(object), path_(std::move(path)), source_(source) {
    if (!object_.is_object()) fail(path_, "must be an object");
  }
  const json& at(const char* key) const {
    const auto it = object_.find(key);
    if (it == object_.end()) fail(path_ + "." + key, "is missing");
    return *it;
  }
  bool has(const char* key) const { return object_.contains(key); }
  std::string string(const char* key) const {
    const json& v = at(key);
    if (!v.is_string()) fail(path_ + "." + key, "must be a string");
    return v.get<std::string>();
  }
  std::uint64_t unsigned_int(const char* key, std::uint64_t max) const {
    const json& v = at(key);
    if (!v.is_number_unsigned()) fail(path_ + "." + key, "must be a non-negative integer");
    const auto x = v.get<std::uint64_t>();
    if (x > max) fail(path_ + "." + key, "is too large");
    return x;
  }
  template <typename Parse>
  auto enumeration(const char* key, Parse parse) const {
    const std::string text = string(key);
    try {
      return parse(text);
    } catch (const InvalidInput& e) {
      fail(path_ + "." + key, std::string("is invalid: ") + e.what());
    }
  }
  const std::string& path() const { return path_; }
  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw InvalidInput(std::string(source_) + ": " + where + " " + what);
  }

 private:
  const json& object_;
  std::string path_;
  std::string_view source_;
};

std::string position(std::string_view text, std::size_t byte) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return std::to_string(line) + ":" + std::to_string(column);
}

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
  json doc = {{"format", "strata.plan"},
              {"version", kPlanFormatVersion},
              {"name", p.name},
              {"policy", p.policy},
              {"workload", p.workload},
              {"kernel_count", p.kernels.size()},
              {"initial", std::move(initial)},
              {"actions", std::move(actions)}};
  return doc.dump(indent) + "\n";
}

Plan plan_from_json(std::string_view text, std::string_view source) {
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    throw InvalidInput(std::string(source) + ":" + position(text, e.byte == 0 ? 0 : e.byte - 1) +
                       ": not valid JSON (" + e.what() + ")");
  }
  const Fields top(doc, "$", source);
  if (top.string("format") != "strata.plan")
    top.fail("$.format", "must be \"strata.plan\"; is this a strata plan file?");
  const json& version = top.at("version");
  if (!version.is_number_integer() || version.get<std::int64_t>() != kPlanFormatVersion)
    top.fail("$.version", "is " + version.dump() + "; this strata reads version " +
                              std::to_string(kPlanFormatVersion));
  Plan p;
  p.name = top.string("name");
  p.policy = top.string("policy");
  p.workload = top.string("workload");
  const auto kernel_count = top.unsigned_int("kernel_count", std::numeric_limits<KernelId>::max());
  p.kernels.resize(kernel_count);

  const json& initial = top.at("initial");
  if (!initial.is_array()) top.fail("$.initial", "must be an array");
  for (std::size_t i = 0; i < initial.size(); ++i) {
    const Fields f(initial[i], "$.initial[" + std::to_string(i) + "]", source);
    const auto t =
        static_cast<TensorId>(f.unsigned_int("tensor", std::numeric_limits<TensorId>::max()));
    const TierKind tier = f.enumeration("tier", parse_tier_kind);
    if (!p.initial.emplace(t, tier).second)
      f.fail(f.path() + ".tensor", "is " + std::to_string(t) + ", which is placed twice");
  }

  const json& actions = top.at("actions");
  if (!actions.is_array()) top.fail("$.actions", "must be an array");
  for (std::size_t i = 0; i < actions.size(); ++i) {
    const Fields f(actions[i], "$.actions[" + std::to_string(i) + "]", source);
    const auto k = f.unsigned_int("kernel", std::numeric_limits<KernelId>::max());
    if (k >= kernel_count)
      f.fail(f.path() + ".kernel", "is " + std::to_string(k) + "; the plan has " +
                                       std::to_string(kernel_count) + " kernels");
    const std::string when = f.string("when");
    if (when != "before" && when != "after")
      f.fail(f.path() + ".when", "is \"" + when + "\"; use \"before\" or \"after\"");
    Action a;
    a.kind = f.enumeration("op", parse_action_kind);
    a.tensor =
        static_cast<TensorId>(f.unsigned_int("tensor", std::numeric_limits<TensorId>::max()));
    if (a.kind == ActionKind::release) {
      if (f.has("to")) f.fail(f.path() + ".to", "must be absent: a release carries no tier");
      a.to = TierKind::device;
    } else {
      a.to = f.enumeration("to", parse_tier_kind);
    }
    auto& slot = when == "before" ? p.kernels[k].before : p.kernels[k].after;
    slot.push_back(a);
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
