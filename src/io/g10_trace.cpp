#include "strata/io/g10_trace.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "strata/core/error.hpp"
#include "strata/io/g10_pf_times.hpp"
#include "strata/io/text_file.hpp"

namespace strata {
namespace {

/// Splits text into lines, numbering them from 1 and dropping a trailing '\r'.
class Lines {
 public:
  explicit Lines(std::string_view text) : text_(text) {}
  bool next(std::string_view& line) {
    if (pos_ >= text_.size()) return false;
    const std::size_t end = text_.find('\n', pos_);
    const std::size_t stop = end == std::string_view::npos ? text_.size() : end;
    line = text_.substr(pos_, stop - pos_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos_ = stop + 1;
    ++number_;
    return true;
  }
  int number() const { return number_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  int number_ = 0;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  s = trim(s);
  std::uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return value;
}

struct Fail {
  std::string_view source;
  [[noreturn]] void operator()(int line, const std::string& what) const {
    throw InvalidInput(std::string(source) + ":" + std::to_string(line) + ": " + what);
  }
};

/// The largest total of cycles whose nanoseconds fit std::int64_t (5/6 of it does).
constexpr std::uint64_t kMaxTotalCycles =
    static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

struct TensorRef {
  std::string name;
  bool weight = false;
  std::uint64_t bytes = 0;
};

// "tensor21 Is weight (global)?: 1, Size in byte: 36864, Range:16384--53248"
TensorRef parse_tensor_line(std::string_view line, int number, const Fail& fail) {
  constexpr std::string_view kWeight = " Is weight (global)?: ";
  constexpr std::string_view kSize = ", Size in byte: ";
  constexpr std::string_view kRange = ", Range:";
  const std::string expected =
      "; expected 'tensor<N> Is weight (global)?: <0|1>, Size in byte: <bytes>, Range:<a>--<b>'";
  const std::size_t w = line.find(kWeight);
  const std::size_t s = line.find(kSize);
  const std::size_t r = line.find(kRange);
  if (!starts_with(line, "tensor") || w == std::string_view::npos || s == std::string_view::npos ||
      r == std::string_view::npos || !(w < s && s < r))
    fail(number, "malformed tensor line '" + std::string(line) + "'" + expected);
  TensorRef ref;
  ref.name = std::string(line.substr(0, w));
  if (!parse_u64(std::string_view(ref.name).substr(6)))
    fail(number, "tensor name '" + ref.name + "' is not 'tensor<N>'" + expected);
  const std::string_view flag = trim(line.substr(w + kWeight.size(), s - w - kWeight.size()));
  if (flag != "0" && flag != "1")
    fail(number,
         "weight flag of " + ref.name + " is '" + std::string(flag) + "'; it must be 0 or 1");
  ref.weight = flag == "1";
  const auto bytes = parse_u64(line.substr(s + kSize.size(), r - s - kSize.size()));
  if (!bytes) fail(number, "size of " + ref.name + " is not a non-negative integer" + expected);
  if (*bytes == 0)
    fail(number, "size of " + ref.name + " is 0 bytes; every tensor must have a size");
  ref.bytes = *bytes;
  const std::string_view range = line.substr(r + kRange.size());
  const std::size_t dash = range.find("--");
  if (dash == std::string_view::npos || !parse_u64(range.substr(0, dash)) ||
      !parse_u64(range.substr(dash + 2)))
    fail(number, "range of " + ref.name + " is not '<a>--<b>'" + expected);
  return ref;
}

Phase phase_from_name(std::string_view name) {
  if (name.find("Apply_Grad") != std::string_view::npos) return Phase::optimizer;
  if (name.find("_Backward") != std::string_view::npos ||
      name.find("MultiGredient") != std::string_view::npos)
    return Phase::backward;
  return Phase::forward;
}

class TraceBuilder {
 public:
  TraceBuilder(Workload& w, const Fail& fail) : w_(w), fail_(fail) {}

  TensorId intern(const TensorRef& ref, int line) {
    const auto [it, inserted] =
        ids_.try_emplace(ref.name, static_cast<TensorId>(w_.tensors.size()));
    if (inserted) {
      w_.tensors.push_back({it->second, ref.name, ref.bytes,
                            ref.weight ? TensorKind::weight : TensorKind::input, ref.weight});
      first_line_.push_back(line);
    } else {
      const Tensor& t = w_.tensors[it->second];
      if (t.bytes != ref.bytes || t.persistent != ref.weight)
        fail_(line, ref.name + " has size " + std::to_string(ref.bytes) + " and weight flag " +
                        (ref.weight ? "1" : "0") + ", but line " +
                        std::to_string(first_line_[it->second]) + " gave size " +
                        std::to_string(t.bytes) + " and weight flag " + (t.persistent ? "1" : "0") +
                        "; a tensor must be described the same way everywhere");
    }
    return it->second;
  }

 private:
  Workload& w_;
  const Fail& fail_;
  std::unordered_map<std::string, TensorId> ids_;
  std::vector<int> first_line_;
};

/// Note [G10 tensor order]: tensors are numbered in G10's own order, tensor<N> by N (its
/// tensor_list), not by first appearance. Whatever iterates over tensors then goes in G10's
/// order; G10's planner sorts its periods with std::sort starting from that order, and periods
/// of equal pressure stay in the order it leaves them, so matching G10's plans needs it.
void number_in_g10_order(Workload& w) {
  const auto number = [](const std::string& name) {
    return *parse_u64(std::string_view(name).substr(6));  // checked by parse_tensor_line
  };
  std::vector<TensorId> order(w.tensors.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<TensorId>(i);
  std::stable_sort(order.begin(), order.end(), [&](TensorId x, TensorId y) {
    return number(w.tensors[x].name) < number(w.tensors[y].name);
  });
  std::vector<TensorId> new_id(order.size());
  std::vector<Tensor> tensors;
  tensors.reserve(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    new_id[order[i]] = static_cast<TensorId>(i);
    tensors.push_back(std::move(w.tensors[order[i]]));
    tensors.back().id = static_cast<TensorId>(i);
  }
  w.tensors = std::move(tensors);
  for (Kernel& k : w.kernels)
    for (auto* list : {&k.inputs, &k.outputs})
      for (TensorId& t : *list) t = new_id[t];
}

void infer_kinds(Workload& w) {
  std::vector<bool> seen(w.tensors.size(), false);
  for (const Kernel& k : w.kernels) {
    for (TensorId t : k.inputs) seen[t] = true;  // read before any write: stays `input`
    for (TensorId t : k.outputs) {
      Tensor& tensor = w.tensors[t];
      if (!seen[t] && !tensor.persistent)
        tensor.kind = k.phase == Phase::forward ? TensorKind::activation : TensorKind::gradient;
      seen[t] = true;
    }
  }
}

constexpr std::uint64_t kG10PageBytes = 4096;

/// Note [workspace in kernels.config]: G10 turns each workspace.txt entry into a tensor before it
/// writes kernels.config (its main.cc, loadWorkspaceSizes, adds `new Tensor(workspace_size)` to
/// the kernel's outputs), so G10's traces list every workspace twice: as a line of workspace.txt
/// and as an output tensor, padded to 4 KiB pages like every tensor, that no other kernel uses.
/// Counting both would hold the kernel's scratch memory twice (8.5 GB more on Inceptionv3-1024's
/// largest convolution). So a workspace that kernels.config already lists that way is that
/// tensor: it becomes TensorKind::workspace, and G10's simulator treats it as it does (an output
/// allocated when the kernel starts, free once it ends). A workspace with no such tensor (a trace
/// written by hand) is scratch memory on top of the kernel's tensors, Kernel::workspace_bytes.
void adopt_workspace(Workload& w, std::size_t kernel, std::uint64_t bytes,
                     const std::vector<std::uint32_t>& uses) {
  const std::uint64_t padded = (bytes + kG10PageBytes - 1) / kG10PageBytes * kG10PageBytes;
  for (TensorId t : w.kernels[kernel].outputs) {
    Tensor& tensor = w.tensors[t];
    if (!tensor.persistent && tensor.bytes == padded && uses[t] == 1) {
      tensor.kind = TensorKind::workspace;
      return;
    }
  }
  w.kernels[kernel].workspace_bytes = bytes;
}

void parse_workspace(Workload& w, std::string_view text, std::string_view source) {
  const Fail fail{source};
  // Kernels using each tensor (once per kernel), for Note [workspace in kernels.config].
  std::vector<std::uint32_t> uses(w.tensors.size(), 0);
  std::vector<std::size_t> last_kernel(w.tensors.size(), w.kernels.size());
  for (std::size_t k = 0; k < w.kernels.size(); ++k)
    for (const auto* list : {&w.kernels[k].inputs, &w.kernels[k].outputs})
      for (TensorId t : *list)
        if (last_kernel[t] != k) {
          last_kernel[t] = k;
          ++uses[t];
        }
  Lines lines(text);
  std::string_view line;
  std::size_t count = 0;
  while (lines.next(line)) {
    const std::string_view body = trim(line);
    if (body.empty()) continue;
    const std::size_t space = body.find(' ');
    const std::string expected = "; expected '<kernel id> <bytes> B'";
    if (space == std::string_view::npos || body.size() < 2 || body.substr(body.size() - 2) != " B")
      fail(lines.number(), "malformed line '" + std::string(body) + "'" + expected);
    const auto id = parse_u64(body.substr(0, space));
    const auto bytes = parse_u64(body.substr(space + 1, body.size() - 2 - space - 1));
    if (!id || !bytes)
      fail(lines.number(), "malformed line '" + std::string(body) + "'" + expected);
    if (*id != count)
      fail(lines.number(), "kernel id " + std::to_string(*id) + " where " + std::to_string(count) +
                               " was expected; one line per kernel, in order");
    if (count >= w.kernels.size())
      fail(lines.number(), "workspace for kernel " + std::to_string(*id) +
                               ", but kernels.config has only " + std::to_string(w.kernels.size()) +
                               " kernels");
    if (*bytes > 0) adopt_workspace(w, count, *bytes, uses);
    ++count;
  }
  if (count != w.kernels.size())
    fail(lines.number(), "has " + std::to_string(count) + " kernels, but kernels.config has " +
                             std::to_string(w.kernels.size()) + "; give one line per kernel");
}

}  // namespace

std::int64_t g10_cycles_to_ns(std::uint64_t cycles) {
  // ns = cycles / 1.2 = cycles * 5 / 6, rounded half up. With cycles = 6q + r this is
  // 5q + floor((5r + 3) / 6): exact, and free of overflow for every 64-bit cycle count.
  const std::uint64_t q = cycles / 6;
  const std::uint64_t r = cycles % 6;
  return static_cast<std::int64_t>(5 * q + (5 * r + 3) / 6);
}

Workload parse_g10_trace(std::string_view kernels_text, std::string_view kernels_source,
                         std::string_view workspace_text, std::string_view workspace_source,
                         std::string name) {
  Workload w;
  w.name = std::move(name);
  const Fail fail{kernels_source};
  TraceBuilder tensors(w, fail);
  Lines lines(kernels_text);
  std::string_view raw;
  enum class State { between, header, inputs, outputs } state = State::between;
  std::optional<std::uint64_t> cycles;
  int kernel_line = 0;
  int time_line = 0;
  std::uint64_t cumulative_cycles = 0;
  std::int64_t cumulative_ns = 0;

  auto close_kernel = [&](int line) {
    Kernel& k = w.kernels.back();
    if (!cycles)
      fail(line, "kernel " + std::to_string(k.id) + " (" + k.name + ", line " +
                     std::to_string(kernel_line) + ") has no 'Execution Time:' line");
    if (state != State::outputs)
      fail(line, "kernel " + std::to_string(k.id) + " (" + k.name +
                     ") ends before its 'Output Tensors:' line");
    if (*cycles > kMaxTotalCycles - cumulative_cycles)
      fail(time_line, "execution times add up past " + std::to_string(kMaxTotalCycles) +
                          " cycles at kernel " + std::to_string(k.id) +
                          "; that is not a real iteration");
    cumulative_cycles += *cycles;
    const std::int64_t end_ns = g10_cycles_to_ns(cumulative_cycles);
    k.duration_ns = end_ns - cumulative_ns;
    cumulative_ns = end_ns;
    state = State::between;
  };

  while (lines.next(raw)) {
    const std::string_view line = trim(raw);
    const int number = lines.number();
    if (line.empty()) continue;
    if (line.find_first_not_of('_') == std::string_view::npos) {
      if (state == State::between) fail(number, "separator line without a kernel record before it");
      close_kernel(number);
      continue;
    }
    if (starts_with(line, "Kernel ID:")) {
      if (state != State::between) close_kernel(number);
      const std::size_t comma = line.find(", Name:");
      const auto id = parse_u64(line.substr(10, comma == std::string_view::npos ? 0 : comma - 10));
      if (comma == std::string_view::npos || !id)
        fail(number, "malformed kernel header '" + std::string(line) +
                         "'; expected 'Kernel ID: <N>, Name: <name>'");
      if (*id != w.kernels.size())
        fail(number, "kernel id " + std::to_string(*id) + " where " +
                         std::to_string(w.kernels.size()) +
                         " was expected; kernels must be numbered 0, 1, 2, ... in execution order");
      Kernel k;
      k.id = static_cast<KernelId>(*id);
      k.name = std::string(trim(line.substr(comma + 7)));
      if (k.name.empty()) fail(number, "kernel " + std::to_string(*id) + " has an empty name");
      k.phase = phase_from_name(k.name);
      k.op = k.name;
      w.kernels.push_back(std::move(k));
      cycles.reset();
      kernel_line = number;
      state = State::header;
      continue;
    }
    if (state == State::between)
      fail(number, "unexpected line '" + std::string(line) +
                       "' outside a kernel record; a record starts with 'Kernel ID:'");
    Kernel& k = w.kernels.back();
    if (state == State::header &&
        (starts_with(line, "Parent OP ID:") || starts_with(line, "Parent Layer ID:"))) {
      const std::size_t n = line.find("Name:");
      if (n == std::string_view::npos) fail(number, "parent line without 'Name:'");
      const std::string_view op = trim(line.substr(n + 5));
      if (!op.empty()) k.op = std::string(op);
    } else if (state == State::header && starts_with(line, "Execution Time:")) {
      cycles = parse_u64(line.substr(15));
      time_line = number;
      if (!cycles)
        fail(number, "execution time of kernel " + std::to_string(k.id) + " ('" +
                         std::string(line.substr(15)) +
                         "') is not a non-negative integer number of cycles");
    } else if (state == State::header && line.front() == '(' && line.back() == ')') {
      // The layer's output shape: informational only.
    } else if (state == State::header && line == "Input Tensors:") {
      state = State::inputs;
    } else if (state == State::inputs && line == "Output Tensors:") {
      state = State::outputs;
    } else if ((state == State::inputs || state == State::outputs) && starts_with(line, "tensor")) {
      const TensorId id = tensors.intern(parse_tensor_line(line, number, fail), number);
      (state == State::inputs ? k.inputs : k.outputs).push_back(id);
    } else {
      fail(
          number,
          "unexpected line '" + std::string(line) + "' in kernel " + std::to_string(k.id) + " (" +
              k.name +
              "); a record is 'Kernel ID', 'Parent ... Name', 'Execution Time', an optional shape, "
              "'Input Tensors:' with tensor lines, 'Output Tensors:' with tensor lines, then a "
              "line of "
              "underscores");
    }
  }
  if (state != State::between) close_kernel(lines.number());
  if (w.kernels.empty())
    fail(lines.number(), "no kernel records found; is this a G10 kernels.config?");
  number_in_g10_order(w);
  infer_kinds(w);
  parse_workspace(w, workspace_text, workspace_source);
  validate(w);
  return w;
}

Workload load_g10_folder(const std::filesystem::path& folder) {
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec))
    throw IoError("G10 workload folder '" + folder.string() +
                  "' does not exist; give a folder holding kernels.config and workspace.txt");
  const auto kernels = folder / "kernels.config";
  const auto workspace = folder / "workspace.txt";
  std::string name = folder.filename().string();
  if (name.empty()) name = folder.parent_path().filename().string();
  Workload w = parse_g10_trace(read_text_file(kernels), kernels.string(), read_text_file(workspace),
                               workspace.string(), name);
  // Measured page-fault times, where the folder has them (Note [page-fault times]).
  const auto input_pf = folder / "input_pf_times.txt";
  const auto pf = folder / "pf_times.txt";
  const bool has_input_pf = std::filesystem::is_regular_file(input_pf, ec);
  const bool has_pf = std::filesystem::is_regular_file(pf, ec);
  if (has_input_pf != has_pf)
    throw InvalidInput("G10 workload folder '" + folder.string() + "' has " +
                       (has_pf ? pf : input_pf).filename().string() + " but not " +
                       (has_pf ? input_pf : pf).filename().string() +
                       "; measured page-fault times come in pairs: add the missing file or "
                       "remove the other");
  if (has_pf) {
    const std::vector<std::int64_t> input_pf_ns = load_g10_pf_times(input_pf, w.kernels.size());
    const std::vector<std::int64_t> pf_ns = load_g10_pf_times(pf, w.kernels.size());
    for (std::size_t k = 0; k < w.kernels.size(); ++k)
      w.kernels[k].pf_times = PageFaultTimes{input_pf_ns[k], pf_ns[k]};
  }
  return w;
}

}  // namespace strata
