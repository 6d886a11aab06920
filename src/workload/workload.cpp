#include "strata/workload/workload.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <unordered_set>

#include "strata/core/error.hpp"

namespace strata {
namespace {

constexpr std::array<std::string_view, kTensorKindCount> kKindNames = {
    "weight", "activation", "gradient", "optimizer_state", "workspace", "input"};
constexpr std::array<std::string_view, 3> kPhaseNames = {"forward", "backward", "optimizer"};

std::string kernel_label(const Kernel& k) {
  return "kernel " + std::to_string(k.id) + " (" + k.name + ")";
}

}  // namespace

std::string_view to_string(TensorKind k) { return kKindNames.at(static_cast<std::size_t>(k)); }
std::string_view to_string(Phase p) { return kPhaseNames.at(static_cast<std::size_t>(p)); }

TensorKind parse_tensor_kind(std::string_view text) {
  for (std::size_t i = 0; i < kKindNames.size(); ++i)
    if (kKindNames[i] == text) return static_cast<TensorKind>(i);
  throw InvalidInput("unknown tensor kind '" + std::string(text) +
                     "': use weight, activation, gradient, optimizer_state, workspace or input");
}

Phase parse_phase(std::string_view text) {
  for (std::size_t i = 0; i < kPhaseNames.size(); ++i)
    if (kPhaseNames[i] == text) return static_cast<Phase>(i);
  throw InvalidInput("unknown phase '" + std::string(text) +
                     "': use forward, backward or optimizer");
}

void validate(const Workload& w) {
  const std::string where = "workload '" + w.name + "': ";
  if (w.kernels.empty())
    throw InvalidInput(where + "has no kernels; a workload needs at least one");
  std::unordered_set<std::string_view> names;
  for (std::size_t i = 0; i < w.tensors.size(); ++i) {
    const Tensor& t = w.tensors[i];
    if (t.id != i)
      throw InvalidInput(where + "tensor '" + t.name + "' has id " + std::to_string(t.id) +
                         " at index " + std::to_string(i) + "; ids must equal their index");
    if (t.name.empty()) throw InvalidInput(where + "tensor " + std::to_string(i) + " has no name");
    if (!names.insert(t.name).second)
      throw InvalidInput(where + "two tensors are named '" + t.name + "'; names must be unique");
  }
  std::vector<bool> used(w.tensors.size(), false);
  for (std::size_t i = 0; i < w.kernels.size(); ++i) {
    const Kernel& k = w.kernels[i];
    if (k.id != i)
      throw InvalidInput(where + kernel_label(k) + " is at index " + std::to_string(i) +
                         "; kernel ids must equal their position in execution order");
    if (k.duration_ns < 0)
      throw InvalidInput(where + kernel_label(k) + " has negative duration " +
                         std::to_string(k.duration_ns) + " ns");
    if (k.pf_times && (k.pf_times->input_pf_ns < 0 || k.pf_times->pf_ns < 0))
      throw InvalidInput(where + kernel_label(k) + " has a negative measured page-fault time (" +
                         std::to_string(k.pf_times->input_pf_ns) + " ns input_pf, " +
                         std::to_string(k.pf_times->pf_ns) +
                         " ns pf); measured times must be >= 0");
    for (const auto* list : {&k.inputs, &k.outputs})
      for (TensorId t : *list) {
        if (t >= w.tensors.size())
          throw InvalidInput(where + kernel_label(k) + " references tensor id " +
                             std::to_string(t) + ", but the workload has only " +
                             std::to_string(w.tensors.size()) + " tensors");
        used[t] = true;
      }
    for (TensorId t : k.state_updates) {
      const bool read = std::find(k.inputs.begin(), k.inputs.end(), t) != k.inputs.end();
      const bool written = std::find(k.outputs.begin(), k.outputs.end(), t) != k.outputs.end();
      if (!read || !written)
        throw InvalidInput(where + kernel_label(k) + " lists tensor id " + std::to_string(t) +
                           " among its state updates, but " +
                           (t < w.tensors.size() ? "'" + w.tensors[t].name + "'" : "it") +
                           " is not among both its inputs and its outputs; a state update is "
                           "read and written in place");
    }
  }
  for (std::size_t i = 0; i < used.size(); ++i)
    if (!used[i])
      throw InvalidInput(where + "tensor '" + w.tensors[i].name +
                         "' is used by no kernel; remove it or reference it");
}

std::vector<TensorId> recompute_inputs(const Kernel& k) {
  std::vector<TensorId> out;
  for (TensorId t : k.inputs)
    if (std::find(k.state_updates.begin(), k.state_updates.end(), t) == k.state_updates.end())
      out.push_back(t);
  return out;
}

std::vector<KernelId> producers(const Workload& w) {
  std::vector<KernelId> out(w.tensors.size(), kNoKernel);
  for (const Kernel& k : w.kernels)
    for (TensorId t : k.outputs)
      if (out[t] == kNoKernel) out[t] = k.id;
  return out;
}

std::int64_t ideal_ns(const Workload& w) {
  std::int64_t sum = 0;
  for (const Kernel& k : w.kernels) sum += k.duration_ns;
  return sum;
}

}  // namespace strata
