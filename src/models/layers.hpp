#pragma once
/// @file layers.hpp
/// @brief Private to the zoo: the layers models are made of. Each adds its parameters (named
/// `<name>.weight`, `<name>.bias` as in PyTorch) and one forward op to a GraphBuilder and returns
/// the output with its shape. Feature maps are NCHW; linear layers and norms act on the last dim.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "graph_builder.hpp"

namespace strata::models {

// ---- convolutional networks -------------------------------------------------------------------

struct Conv2dSpec {
  std::uint64_t out_channels = 0;
  std::uint64_t kh = 1, kw = 1;
  std::uint64_t sh = 1, sw = 1;
  std::uint64_t ph = 0, pw = 0;
  std::uint64_t groups = 1;
  bool bias = false;
};

/// @brief Square kernel k, stride s, padding p.
Conv2dSpec conv(std::uint64_t out_channels, std::uint64_t k, std::uint64_t s = 1,
                std::uint64_t p = 0, bool bias = false);

Act conv2d(GraphBuilder& b, const std::string& name, const Act& x, const Conv2dSpec& spec);
/// @brief BatchNorm2d in training mode: weight, bias, running_mean, running_var.
Act batchnorm2d(GraphBuilder& b, const std::string& name, const Act& x);

struct Pool2dSpec {
  std::uint64_t kh = 1, kw = 1;
  std::uint64_t sh = 1, sw = 1;
  std::uint64_t ph = 0, pw = 0;
  bool ceil_mode = false;
};
Pool2dSpec pool(std::uint64_t k, std::uint64_t s, std::uint64_t p = 0, bool ceil_mode = false);

Act maxpool2d(GraphBuilder& b, const std::string& name, const Act& x, const Pool2dSpec& spec);
Act avgpool2d(GraphBuilder& b, const std::string& name, const Act& x, const Pool2dSpec& spec);
/// @brief AdaptiveAvgPool2d to (oh, ow) (PyTorch's start/end index rule).
Act adaptive_avgpool2d(GraphBuilder& b, const std::string& name, const Act& x, std::uint64_t oh,
                       std::uint64_t ow);
/// @brief Concatenation along `dim`.
Act concat(GraphBuilder& b, const std::string& name, const std::vector<Act>& xs, std::size_t dim);

// ---- elementwise --------------------------------------------------------------------------------

Act relu(GraphBuilder& b, const std::string& name, const Act& x);
Act gelu(GraphBuilder& b, const std::string& name, const Act& x);
Act silu(GraphBuilder& b, const std::string& name, const Act& x);
Act tanh(GraphBuilder& b, const std::string& name, const Act& x);
Act sigmoid(GraphBuilder& b, const std::string& name, const Act& x);
/// @brief x + y; y may broadcast into x (a bias, position embeddings). Output has x's shape.
Act add(GraphBuilder& b, const std::string& name, const Act& x, const Act& y);
/// @brief x * y; y may broadcast into x (SE channel scales). Output has x's shape.
Act mul(GraphBuilder& b, const std::string& name, const Act& x, const Act& y);
/// @brief Dropout with probability p; p == 0 is not a kernel and returns x.
Act dropout(GraphBuilder& b, const std::string& name, const Act& x, double p);

// ---- transformers -------------------------------------------------------------------------------

/// @brief y = x W^T + b over the last dim of x, with parameters `<name>.weight` [+ `.bias`].
Act linear(GraphBuilder& b, const std::string& name, const Act& x, std::uint64_t out_features,
           bool bias = true);
/// @brief Linear with existing parameters (tied weights, unusual parameter names).
Act linear_with(GraphBuilder& b, const std::string& name, const Act& x, TensorId weight,
                std::optional<TensorId> bias, std::uint64_t out_features);
/// @brief LayerNorm over the last dim: `<name>.weight`, `<name>.bias`.
Act layernorm(GraphBuilder& b, const std::string& name, const Act& x);
/// @brief RMSNorm over the last dim: `<name>.weight`.
Act rmsnorm(GraphBuilder& b, const std::string& name, const Act& x);
/// @brief Softmax over the last dim (attention scaling and masking fused in).
Act softmax(GraphBuilder& b, const std::string& name, const Act& x);
/// @brief A batched matmul of activations with the given FLOPs and output shape.
Act matmul(GraphBuilder& b, const std::string& name, const Act& x, const Act& y,
           std::vector<std::uint64_t> out_shape, std::uint64_t flops);
/// @brief Lookup of rows of `weight` ([rows, dim]). With ids, one row per id; without, positions
/// 0..count-1 (position embeddings, generated from an arange rather than read).
Act embedding(GraphBuilder& b, const std::string& name, std::optional<Act> ids, TensorId weight,
              std::vector<std::uint64_t> out_shape);
/// @brief Rotary position embedding applied to x (q or k); backward rotates back.
Act rope(GraphBuilder& b, const std::string& name, const Act& x);

/// @brief Shape of one attention.
struct AttentionShape {
  std::uint64_t batch = 0, seq = 0, heads = 0, head_dim = 0;
  double dropout = 0;  ///< on the attention probabilities
};
/// @brief Eager attention core: scores = q k^T, softmax, dropout, context = probs v, with q, k and
/// v read from the given tensors (views of a fused projection count once). Returns the context
/// as (batch, seq, heads*head_dim). Ops are `<prefix>.scores`, `.softmax`, `.dropout`, `.context`.
Act attention(GraphBuilder& b, const std::string& prefix, const Act& q, const Act& k, const Act& v,
              const AttentionShape& shape);

// ---- losses -------------------------------------------------------------------------------------

/// @brief Mean cross-entropy over rows of `logits` (last dim = classes) with int64 `labels`.
/// Returns the scalar loss.
TensorId cross_entropy(GraphBuilder& b, const std::string& name, const Act& logits,
                       TensorId labels);

}  // namespace strata::models

namespace strata::models {

// ---- inputs -------------------------------------------------------------------------------------

/// @brief The `images` input, (batch, 3, size, size) in the model dtype.
Act image_batch(GraphBuilder& b, std::uint64_t batch, std::uint64_t size);
/// @brief The int64 `labels` input, one per row.
TensorId labels(GraphBuilder& b, std::uint64_t rows);
/// @brief An int64 token input (`input_ids`, `token_type_ids`) of shape (batch, seq).
Act tokens(GraphBuilder& b, const std::string& name, std::uint64_t batch, std::uint64_t seq);

}  // namespace strata::models
