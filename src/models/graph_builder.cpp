#include "graph_builder.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "strata/core/error.hpp"

namespace strata::models {
namespace {

constexpr TensorId kNoTensor = std::numeric_limits<TensorId>::max();

/// FLOPs per element of one optimizer step (reads and updates included).
constexpr std::uint64_t kSgdFlopsPerElement = 4;    // wd, momentum, update
constexpr std::uint64_t kAdamFlopsPerElement = 12;  // two moments, bias correction, sqrt, update
constexpr std::uint64_t kMasterCastFlopsPerElement = 1;

void push_unique(std::vector<TensorId>& list, TensorId t) {
  if (std::find(list.begin(), list.end(), t) == list.end()) list.push_back(t);
}

}  // namespace

std::uint64_t checked_mul(std::uint64_t a, std::uint64_t b) {
  std::uint64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out))
    throw InvalidInput("model too large: a tensor size or FLOP count overflows 64 bits (" +
                       std::to_string(a) + " * " + std::to_string(b) +
                       "); use a smaller batch or sequence length");
  return out;
}

std::uint64_t product(const std::vector<std::uint64_t>& dims) {
  std::uint64_t p = 1;
  for (std::uint64_t d : dims) p = checked_mul(p, d);
  return p;
}

GraphBuilder::GraphBuilder(std::string workload_name, DType dtype, Optimizer optimizer,
                           const ComputeDevice& device)
    : name_(std::move(workload_name)), dtype_(dtype), optimizer_(optimizer), device_(device) {
  w_.name = name_;
}

TensorId GraphBuilder::new_tensor(const std::string& name, std::uint64_t bytes, TensorKind kind,
                                  bool persistent) {
  STRATA_EXPECTS(!finished_, "GraphBuilder used after finish()");
  STRATA_EXPECTS(names_.insert(name).second, "duplicate tensor name '" + name + "'");
  const auto id = static_cast<TensorId>(w_.tensors.size());
  w_.tensors.push_back(Tensor{id, name, bytes, kind, persistent});
  elements_.push_back(0);
  needs_grad_.push_back(false);
  trainable_.push_back(false);
  grad_.push_back(kNoTensor);
  return id;
}

TensorId GraphBuilder::input(const std::string& name, std::uint64_t elements,
                             std::uint64_t element_bytes) {
  const TensorId id =
      new_tensor(name, checked_mul(elements, element_bytes), TensorKind::input, false);
  elements_[id] = elements;
  return id;
}

TensorId GraphBuilder::parameter(const std::string& name, std::uint64_t elements) {
  const TensorId id =
      new_tensor(name, checked_mul(elements, dtype_bytes(dtype_)), TensorKind::weight, true);
  elements_[id] = elements;
  needs_grad_[id] = true;
  trainable_[id] = true;
  params_.push_back(id);
  parameter_elements_ += elements;
  return id;
}

TensorId GraphBuilder::buffer(const std::string& name, std::uint64_t elements) {
  const TensorId id =
      new_tensor(name, checked_mul(elements, dtype_bytes(dtype_)), TensorKind::weight, true);
  elements_[id] = elements;
  return id;
}

void GraphBuilder::emit(std::string name, std::string op, Phase phase, std::uint64_t flops,
                        std::vector<TensorId> inputs, std::vector<TensorId> outputs,
                        DType rate_dtype) {
  std::uint64_t bytes = 0;
  for (TensorId t : inputs) bytes += w_.tensors[t].bytes;
  for (TensorId t : outputs) bytes += w_.tensors[t].bytes;
  Kernel k;
  k.id = static_cast<KernelId>(w_.kernels.size());
  k.name = std::move(name);
  k.op = std::move(op);
  k.phase = phase;
  k.duration_ns = roofline_ns(device_, rate_dtype, flops, bytes);
  k.flops = flops;
  k.bytes_accessed = bytes;
  k.inputs = std::move(inputs);
  k.outputs = std::move(outputs);
  w_.kernels.push_back(std::move(k));
}

std::vector<TensorId> GraphBuilder::add(OpSpec spec) {
  STRATA_EXPECTS(!spec.outputs.empty(), "op '" + spec.name + "' writes nothing");
  bool any_grad = false;
  for (TensorId t : spec.inputs) {
    STRATA_EXPECTS(t < w_.tensors.size(), "op '" + spec.name + "' reads an unknown tensor");
    any_grad = any_grad || needs_grad_[t];
  }
  std::vector<TensorId> outs;
  for (const OutputSpec& o : spec.outputs) {
    const std::uint64_t eb = o.element_bytes == 0 ? dtype_bytes(dtype_) : o.element_bytes;
    const TensorId id = new_tensor(spec.name + "." + o.suffix, checked_mul(o.elements, eb),
                                   TensorKind::activation, false);
    elements_[id] = o.elements;
    needs_grad_[id] = any_grad && o.differentiable;
    outs.push_back(id);
  }
  std::vector<TensorId> k_inputs;
  for (TensorId t : spec.inputs) push_unique(k_inputs, t);
  for (TensorId t : spec.updates) push_unique(k_inputs, t);
  std::vector<TensorId> k_outputs = outs;
  for (TensorId t : spec.updates) push_unique(k_outputs, t);
  emit(spec.name + ".fwd", spec.op, Phase::forward, spec.flops, std::move(k_inputs),
       std::move(k_outputs), dtype_);
  w_.kernels.back().state_updates = spec.updates;
  for (std::size_t i : spec.saved_outputs) {
    STRATA_EXPECTS(i < outs.size(), "op '" + spec.name + "' saves an output it does not have");
    spec.saved.push_back(outs[i]);
  }
  nodes_.push_back(Node{std::move(spec), outs});
  return outs;
}

void GraphBuilder::emit_backward(const Node& node, const std::vector<bool>& is_loss) {
  const OpSpec& s = node.spec;
  // Which inputs get a gradient, and is there any incoming gradient at all?
  std::vector<TensorId> targets;
  bool data_grad = false;
  bool param_grad = false;
  for (TensorId t : s.inputs)
    if (needs_grad_[t]) {
      push_unique(targets, t);
      (trainable_[t] ? param_grad : data_grad) = true;
    }
  if (targets.empty()) return;
  std::vector<TensorId> inputs;
  for (TensorId o : node.outputs) {
    if (grad_[o] != kNoTensor)
      push_unique(inputs, grad_[o]);
    else if (is_loss[o])
      push_unique(inputs, o);  // the loss itself stands in for the seed gradient
  }
  if (inputs.empty()) return;  // no output reaches a loss
  for (TensorId t : s.saved) push_unique(inputs, t);
  if (data_grad)
    for (TensorId t : s.saved_for_data) push_unique(inputs, t);
  std::vector<TensorId> outputs;
  for (TensorId t : targets) {
    if (grad_[t] == kNoTensor) {
      grad_[t] =
          new_tensor(w_.tensors[t].name + ".grad", checked_mul(elements_[t], dtype_bytes(dtype_)),
                     TensorKind::gradient, false);
    } else {
      push_unique(inputs, grad_[t]);  // accumulate in place
    }
    outputs.push_back(grad_[t]);
  }
  const std::uint64_t flops =
      (data_grad ? s.bwd_data_flops : 0) + (param_grad ? s.bwd_param_flops : 0);
  emit(s.name + ".bwd", s.op, Phase::backward, flops, std::move(inputs), std::move(outputs),
       dtype_);
}

void GraphBuilder::emit_optimizer(TensorId param) {
  const std::string pname = w_.tensors[param].name;  // a copy: new_tensor reallocates
  const std::uint64_t n = elements_[param];
  STRATA_EXPECTS(grad_[param] != kNoTensor,
                 "parameter '" + pname + "' is used by no op on the path to the loss");
  const bool mixed = dtype_ != DType::fp32;
  auto state = [&](const std::string& suffix) {
    return new_tensor(pname + "." + suffix, checked_mul(n, 4), TensorKind::optimizer_state, true);
  };
  const TensorId master = mixed ? state("master") : param;
  std::vector<TensorId> states;
  std::uint64_t per_element = 0;
  if (optimizer_ == Optimizer::sgd) {
    states.push_back(state("momentum_buffer"));
    per_element = kSgdFlopsPerElement;
  } else {
    states.push_back(state("exp_avg"));
    states.push_back(state("exp_avg_sq"));
    per_element = kAdamFlopsPerElement;
  }
  if (mixed) per_element += kMasterCastFlopsPerElement;
  std::vector<TensorId> inputs{master, grad_[param]};
  inputs.insert(inputs.end(), states.begin(), states.end());
  std::vector<TensorId> outputs{master};
  outputs.insert(outputs.end(), states.begin(), states.end());
  if (mixed) outputs.push_back(param);
  const std::string op(to_string(optimizer_));
  emit(pname + "." + op, op, Phase::optimizer, checked_mul(n, per_element), std::move(inputs),
       std::move(outputs), DType::fp32);
}

Workload GraphBuilder::finish(const std::vector<TensorId>& losses) {
  STRATA_EXPECTS(!finished_, "GraphBuilder::finish called twice");
  std::vector<bool> is_loss(w_.tensors.size(), false);
  for (TensorId l : losses) {
    STRATA_EXPECTS(l < w_.tensors.size(), "unknown loss tensor");
    is_loss[l] = true;
  }
  for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) emit_backward(*it, is_loss);
  for (TensorId p : params_) emit_optimizer(p);
  finished_ = true;
  w_.parameters = parameter_elements_;
  return std::move(w_);
}

}  // namespace strata::models
