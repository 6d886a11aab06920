#include "strata/io/g10_plan.hpp"

#include <charconv>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "strata/core/error.hpp"
#include "strata/io/text_file.hpp"

namespace strata {
namespace {

constexpr std::string_view kFormat =
    "expected 'Issued Time: <kernel> Tensor: <N> G:<o|x> From: <location>, To: "
    "<In_gpu|In_cpu|In_ssd|Not_present>'";

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

bool parse_u64(std::string_view s, std::uint64_t& value) {
  if (s.empty()) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool known_location(std::string_view s) {
  return s == "Not_Known" || s == "Not_present" || s == "In_gpu" || s == "In_cpu" ||
         s == "In_ssd" || s == "In_gpu_least";
}

}  // namespace

Plan parse_g10_plan(std::string_view text, std::string_view source, const Workload& w) {
  std::unordered_map<std::string_view, TensorId> by_name;
  by_name.reserve(w.tensors.size());
  for (const Tensor& t : w.tensors) by_name.emplace(t.name, t.id);
  const std::size_t n = w.kernels.size();

  Plan p = make_empty_plan(w, "g10 plan of " + w.name, "g10-plan");
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const auto fail = [&](const std::string& what) -> void {
      throw InvalidInput(std::string(source) + ":" + std::to_string(line_no) + ": " + what);
    };
    const std::vector<std::string_view> words = split_words(line);
    if (words.empty()) continue;
    if (words.size() != 10 || words[0] != "Issued" || words[1] != "Time:" ||
        words[3] != "Tensor:" || words[6] != "From:" || words[8] != "To:")
      fail(std::string(kFormat) + ", got '" + std::string(line) + "'");
    std::uint64_t issued = 0, number = 0;
    if (!parse_u64(words[2], issued))
      fail("Issued Time '" + std::string(words[2]) + "' is not a kernel index");
    if (!parse_u64(words[4], number))
      fail("Tensor '" + std::string(words[4]) + "' is not a tensor number");
    if (words[5] != "G:o" && words[5] != "G:x")
      fail("'" + std::string(words[5]) + "' should be G:o (persistent) or G:x (not persistent)");
    std::string_view from = words[7];
    if (from.empty() || from.back() != ',')
      fail("'From: " + std::string(from) + "' should end with a comma");
    from.remove_suffix(1);
    if (!known_location(from))
      fail("unknown From location '" + std::string(from) +
           "'; G10 writes Not_Known, Not_present, In_gpu, In_cpu, In_ssd or In_gpu_least");
    const std::string_view to = words[9];

    if (issued > n)
      fail("Issued Time " + std::to_string(issued) + " is out of range: workload '" + w.name +
           "' has " + std::to_string(n) + " kernels (0.." + std::to_string(n - 1) + ", or " +
           std::to_string(n) + " for the end of the iteration)");
    const std::string name = "tensor" + std::to_string(number);
    const auto it = by_name.find(name);
    if (it == by_name.end())
      fail("tensor " + std::to_string(number) + " (" + name + ") is not in workload '" + w.name +
           "'; is this plan from another folder?");
    const Tensor& t = w.tensors[it->second];
    const bool global = words[5] == "G:o";
    if (global != t.persistent)
      fail(std::string(words[5]) + " says " + name + " is " + (global ? "" : "not ") +
           "persistent, but the workload says it is " + (t.persistent ? "" : "not ") +
           "(Is weight (global)?: " + (t.persistent ? "1" : "0") + ")");

    Action a;
    if (to == "In_gpu")
      a = Action::prefetch(t.id);
    else if (to == "In_cpu")
      a = Action::evict(t.id, TierKind::host);
    else if (to == "In_ssd")
      a = Action::evict(t.id, TierKind::ssd);
    else if (to == "Not_present")
      a = Action::release(t.id);
    else if (to == "In_gpu_least")
      fail("LRU pin hints (To: In_gpu_least, G10's TOLERANT eviction policy) are not supported");
    else
      fail("unknown To location '" + std::string(to) +
           "'; use In_gpu, In_cpu, In_ssd or Not_present");
    if (issued < n)
      p.kernels[issued].before.push_back(a);
    else
      p.kernels[n - 1].after.push_back(a);
  }

  // Steady-state initial placement: where the last movement of the iteration leaves each
  // persistent tensor (see Note [G10 plan semantics]).
  std::vector<std::optional<TierKind>> last(w.tensors.size());
  for (const KernelActions& k : p.kernels)
    for (const auto* list : {&k.before, &k.after})
      for (const Action& a : *list)
        if (a.kind == ActionKind::prefetch || a.kind == ActionKind::evict) last[a.tensor] = a.to;
  for (const Tensor& t : w.tensors)
    if (t.persistent && last[t.id] && *last[t.id] != TierKind::device)
      p.initial.emplace(t.id, *last[t.id]);
  return p;
}

Plan load_g10_plan(const std::filesystem::path& folder_or_file, const Workload& w) {
  std::error_code ec;
  const std::filesystem::path file = std::filesystem::is_directory(folder_or_file, ec)
                                         ? folder_or_file / "g10_plan.txt"
                                         : folder_or_file;
  return parse_g10_plan(read_text_file(file), file.string(), w);
}

}  // namespace strata
