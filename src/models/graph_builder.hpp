#pragma once
/// @file graph_builder.hpp
/// @brief Private to the zoo: records forward ops and derives the backward and optimizer kernels.
///
/// A model adds parameters, inputs and forward ops in execution order; each forward op becomes a
/// kernel at once. finish() then walks the ops in reverse and emits one backward kernel per op
/// that has a gradient to propagate (it reads the gradients of the op's outputs and the tensors
/// the op saved, and writes or accumulates the gradients of the inputs that need one), then one
/// optimizer kernel per trainable parameter. See Note [model zoo conventions] in zoo.hpp.

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "strata/core/dtype.hpp"
#include "strata/machine/compute_device.hpp"
#include "strata/models/zoo.hpp"
#include "strata/workload/workload.hpp"

namespace strata::models {

inline constexpr std::uint64_t kInt64Bytes = 8;  ///< token ids and labels
inline constexpr std::uint64_t kMaskBytes = 1;   ///< dropout masks (bool)

/// @brief a * b, throwing InvalidInput when a shape or FLOP count does not fit in 64 bits.
std::uint64_t checked_mul(std::uint64_t a, std::uint64_t b);

/// @brief Product of `dims`, checked.
std::uint64_t product(const std::vector<std::uint64_t>& dims);

/// @brief A tensor and its logical shape (NCHW for feature maps, (batch, seq, hidden) or
/// (rows, features) for transformers).
struct Act {
  TensorId id = 0;
  std::vector<std::uint64_t> shape;
  std::uint64_t elements() const { return product(shape); }
};

/// @brief One new tensor a forward op writes.
struct OutputSpec {
  std::string suffix = "out";  ///< tensor name = op name + "." + suffix
  std::uint64_t elements = 0;
  std::uint64_t element_bytes = 0;  ///< 0: the model dtype
  bool differentiable = true;       ///< false for dropout masks and other non-float outputs
};

/// @brief One forward op.
struct OpSpec {
  std::string name;               ///< e.g. "layer1.0.conv1"; kernels are name.fwd and name.bwd
  std::string op;                 ///< operator type, e.g. "conv2d"
  std::vector<TensorId> inputs;   ///< every tensor forward reads
  std::vector<TensorId> updates;  ///< tensors forward reads and writes in place (BN running stats)
  std::vector<OutputSpec> outputs;
  std::uint64_t flops = 0;                 ///< forward
  std::uint64_t bwd_data_flops = 0;        ///< backward, to produce the gradients of non-parameters
  std::uint64_t bwd_param_flops = 0;       ///< backward, to produce the gradients of parameters
  std::vector<TensorId> saved;             ///< forward inputs the backward kernel reads
  std::vector<std::size_t> saved_outputs;  ///< indices into `outputs` the backward kernel reads
  std::vector<TensorId> saved_for_data;    ///< read only when a non-parameter gradient is computed
};

/// @brief Builds one Workload; one builder per build_model call, sharing nothing.
class GraphBuilder {
 public:
  GraphBuilder(std::string workload_name, DType dtype, Optimizer optimizer,
               const ComputeDevice& device);

  DType dtype() const { return dtype_; }

  /// @brief A batch input (images, token ids, labels): kind input, no gradient.
  TensorId input(const std::string& name, std::uint64_t elements, std::uint64_t element_bytes);
  /// @brief A trainable parameter in the model dtype; counted in Workload::parameters.
  TensorId parameter(const std::string& name, std::uint64_t elements);
  /// @brief A non-trainable persistent buffer (BatchNorm running statistics).
  TensorId buffer(const std::string& name, std::uint64_t elements);

  /// @brief Adds a forward op and its kernel; returns the ids of its outputs in spec order.
  std::vector<TensorId> add(OpSpec spec);

  /// @brief Emits the backward kernels (seeded from `losses`) and the optimizer kernels and
  /// returns the workload. The builder must not be used afterwards.
  Workload finish(const std::vector<TensorId>& losses);

 private:
  struct Node {
    OpSpec spec;
    std::vector<TensorId> outputs;
  };

  TensorId new_tensor(const std::string& name, std::uint64_t bytes, TensorKind kind,
                      bool persistent);
  void emit(std::string name, std::string op, Phase phase, std::uint64_t flops,
            std::vector<TensorId> inputs, std::vector<TensorId> outputs, DType rate_dtype);
  void emit_backward(const Node& node, const std::vector<bool>& is_loss);
  void emit_optimizer(TensorId param);

  std::string name_;
  DType dtype_;
  Optimizer optimizer_;
  ComputeDevice device_;
  Workload w_;
  std::unordered_set<std::string> names_;
  std::vector<std::uint64_t> elements_;  ///< per tensor
  std::vector<bool> needs_grad_;         ///< per tensor
  std::vector<bool> trainable_;          ///< per tensor
  std::vector<TensorId> grad_;           ///< per tensor, kNoTensor until a backward writes it
  std::vector<TensorId> params_;         ///< trainable parameters in creation order
  std::uint64_t parameter_elements_ = 0;
  std::vector<Node> nodes_;
  bool finished_ = false;
};

}  // namespace strata::models
