#include "layers.hpp"

#include <utility>

#include "strata/core/error.hpp"

// Note [saved tensors]: what each op's backward kernel reads besides its output gradient, as in
// PyTorch autograd: conv2d and linear x, and W when the input needs a gradient (not for the
// first layer over the images); batchnorm x, gamma; relu y; maxpool x, y (y stands in for the
// indices); avgpool, adaptive avgpool, concat, add, rope nothing; gelu, silu x; tanh, sigmoid y;
// mul both operands; dropout its mask; layernorm, rmsnorm x, gamma; softmax y; matmul both
// operands; embedding the ids; cross_entropy the logits and labels.

namespace strata::models {
namespace {

using std::uint64_t;

// FLOPs per element (forward, backward) of the memory-bound ops.
constexpr uint64_t kReluFwd = 1, kReluBwd = 1;
constexpr uint64_t kGeluFwd = 8, kGeluBwd = 12;  // tanh/erf approximation
constexpr uint64_t kSiluFwd = 4, kSiluBwd = 6;
constexpr uint64_t kTanhFwd = 4, kTanhBwd = 2;
constexpr uint64_t kSigmoidFwd = 4, kSigmoidBwd = 2;
constexpr uint64_t kAddFwd = 1, kAddBwd = 1;
constexpr uint64_t kMulFwd = 1, kMulBwd = 2;
constexpr uint64_t kDropoutFwd = 2, kDropoutBwd = 1;
constexpr uint64_t kBatchNormFwd = 7, kBatchNormBwd = 10;
constexpr uint64_t kLayerNormFwd = 7, kLayerNormBwd = 10;
constexpr uint64_t kRmsNormFwd = 4, kRmsNormBwd = 7;
constexpr uint64_t kSoftmaxFwd = 5, kSoftmaxBwd = 4;
constexpr uint64_t kCrossEntropyFwd = 5, kCrossEntropyBwd = 3;
constexpr uint64_t kRopeFwd = 3, kRopeBwd = 3;

uint64_t mul3(uint64_t a, uint64_t b, uint64_t c) { return checked_mul(checked_mul(a, b), c); }

void expect_rank(const Act& x, std::size_t rank, const std::string& name) {
  STRATA_EXPECTS(x.shape.size() == rank,
                 "layer '" + name + "' expects a rank-" + std::to_string(rank) + " input");
}

/// An op spec with its identity and FLOPs; the caller adds outputs and saved tensors.
OpSpec make_op(const std::string& name, const char* op, std::vector<TensorId> inputs,
               uint64_t flops, uint64_t bwd_data_flops, uint64_t bwd_param_flops) {
  OpSpec s;
  s.name = name;
  s.op = op;
  s.inputs = std::move(inputs);
  s.flops = flops;
  s.bwd_data_flops = bwd_data_flops;
  s.bwd_param_flops = bwd_param_flops;
  return s;
}

/// Adds `spec` with one differentiable output of `shape` in the model dtype.
Act single(GraphBuilder& b, OpSpec spec, std::vector<uint64_t> shape) {
  spec.outputs = {OutputSpec{"out", product(shape), 0, true}};
  return Act{b.add(std::move(spec))[0], std::move(shape)};
}

Act unary(GraphBuilder& b, const std::string& name, const char* op, const Act& x, uint64_t fwd,
          uint64_t bwd, bool saves_output) {
  const uint64_t n = x.elements();
  OpSpec s = make_op(name, op, {x.id}, checked_mul(n, fwd), checked_mul(n, bwd), 0);
  if (saves_output)
    s.saved_outputs = {0};
  else
    s.saved = {x.id};
  return single(b, std::move(s), x.shape);
}

uint64_t pooled(uint64_t in, uint64_t k, uint64_t s, uint64_t p, bool ceil_mode) {
  STRATA_EXPECTS(in + 2 * p >= k, "pooling window larger than its padded input");
  uint64_t out = (in + 2 * p - k + (ceil_mode ? s - 1 : 0)) / s + 1;
  if (ceil_mode && (out - 1) * s >= in + p) --out;  // PyTorch: last window starts inside
  return out;
}

std::vector<uint64_t> pooled_shape(const Act& x, const Pool2dSpec& p) {
  return {x.shape[0], x.shape[1], pooled(x.shape[2], p.kh, p.sh, p.ph, p.ceil_mode),
          pooled(x.shape[3], p.kw, p.sw, p.pw, p.ceil_mode)};
}

}  // namespace

Conv2dSpec conv(uint64_t out_channels, uint64_t k, uint64_t s, uint64_t p, bool bias) {
  return Conv2dSpec{out_channels, k, k, s, s, p, p, 1, bias};
}

Pool2dSpec pool(uint64_t k, uint64_t s, uint64_t p, bool ceil_mode) {
  return Pool2dSpec{k, k, s, s, p, p, ceil_mode};
}

Act conv2d(GraphBuilder& b, const std::string& name, const Act& x, const Conv2dSpec& c) {
  expect_rank(x, 4, name);
  const uint64_t n = x.shape[0], cin = x.shape[1], h = x.shape[2], w = x.shape[3];
  STRATA_EXPECTS(cin % c.groups == 0 && c.out_channels % c.groups == 0,
                 "conv '" + name + "': channels not divisible by groups");
  STRATA_EXPECTS(h + 2 * c.ph >= c.kh && w + 2 * c.pw >= c.kw,
                 "conv '" + name + "': kernel larger than its padded input");
  const uint64_t ho = (h + 2 * c.ph - c.kh) / c.sh + 1;
  const uint64_t wo = (w + 2 * c.pw - c.kw) / c.sw + 1;
  const TensorId weight =
      b.parameter(name + ".weight", mul3(c.out_channels, cin / c.groups, checked_mul(c.kh, c.kw)));
  std::vector<TensorId> inputs{x.id, weight};
  const uint64_t out_elems = mul3(n, c.out_channels, checked_mul(ho, wo));
  const uint64_t flops = checked_mul(2, mul3(out_elems, cin / c.groups, checked_mul(c.kh, c.kw)));
  uint64_t bias_flops = 0;
  if (c.bias) {
    inputs.push_back(b.parameter(name + ".bias", c.out_channels));
    bias_flops = out_elems;
  }
  OpSpec s = make_op(name, "conv2d", inputs, flops + bias_flops, flops, flops + bias_flops);
  s.saved = {x.id};  // for the weight gradient
  s.saved_for_data = {weight};
  return single(b, std::move(s), {n, c.out_channels, ho, wo});
}

Act batchnorm2d(GraphBuilder& b, const std::string& name, const Act& x) {
  expect_rank(x, 4, name);
  const uint64_t c = x.shape[1], n = x.elements();
  const TensorId gamma = b.parameter(name + ".weight", c);
  const TensorId beta = b.parameter(name + ".bias", c);
  const TensorId mean = b.buffer(name + ".running_mean", c);
  const TensorId var = b.buffer(name + ".running_var", c);
  OpSpec s = make_op(name, "batchnorm", {x.id, gamma, beta}, checked_mul(n, kBatchNormFwd),
                     checked_mul(n, kBatchNormBwd), checked_mul(n, 2));
  s.updates = {mean, var};
  s.saved = {x.id, gamma};
  return single(b, std::move(s), x.shape);
}

Act maxpool2d(GraphBuilder& b, const std::string& name, const Act& x, const Pool2dSpec& p) {
  expect_rank(x, 4, name);
  std::vector<uint64_t> shape = pooled_shape(x, p);
  OpSpec s = make_op(name, "maxpool", {x.id}, mul3(product(shape), p.kh, p.kw), x.elements(), 0);
  s.saved = {x.id};
  s.saved_outputs = {0};
  return single(b, std::move(s), std::move(shape));
}

Act avgpool2d(GraphBuilder& b, const std::string& name, const Act& x, const Pool2dSpec& p) {
  expect_rank(x, 4, name);
  std::vector<uint64_t> shape = pooled_shape(x, p);
  const uint64_t flops = mul3(product(shape), p.kh, p.kw);
  return single(b, make_op(name, "avgpool", {x.id}, flops, flops, 0), std::move(shape));
}

Act adaptive_avgpool2d(GraphBuilder& b, const std::string& name, const Act& x, uint64_t oh,
                       uint64_t ow) {
  expect_rank(x, 4, name);
  return single(b, make_op(name, "avgpool", {x.id}, x.elements(), x.elements(), 0),
                {x.shape[0], x.shape[1], oh, ow});
}

Act concat(GraphBuilder& b, const std::string& name, const std::vector<Act>& xs, std::size_t dim) {
  STRATA_EXPECTS(!xs.empty() && dim < xs[0].shape.size(), "concat '" + name + "': bad inputs");
  std::vector<uint64_t> shape = xs[0].shape;
  shape[dim] = 0;
  std::vector<TensorId> inputs;
  for (const Act& x : xs) {
    STRATA_EXPECTS(x.shape.size() == shape.size(), "concat '" + name + "': rank mismatch");
    shape[dim] += x.shape[dim];
    inputs.push_back(x.id);
  }
  return single(b, make_op(name, "concat", inputs, 0, 0, 0), std::move(shape));
}

Act relu(GraphBuilder& b, const std::string& name, const Act& x) {
  return unary(b, name, "relu", x, kReluFwd, kReluBwd, true);
}
Act gelu(GraphBuilder& b, const std::string& name, const Act& x) {
  return unary(b, name, "gelu", x, kGeluFwd, kGeluBwd, false);
}
Act silu(GraphBuilder& b, const std::string& name, const Act& x) {
  return unary(b, name, "silu", x, kSiluFwd, kSiluBwd, false);
}
Act tanh(GraphBuilder& b, const std::string& name, const Act& x) {
  return unary(b, name, "tanh", x, kTanhFwd, kTanhBwd, true);
}
Act sigmoid(GraphBuilder& b, const std::string& name, const Act& x) {
  return unary(b, name, "sigmoid", x, kSigmoidFwd, kSigmoidBwd, true);
}
Act softmax(GraphBuilder& b, const std::string& name, const Act& x) {
  return unary(b, name, "softmax", x, kSoftmaxFwd, kSoftmaxBwd, true);
}

Act add(GraphBuilder& b, const std::string& name, const Act& x, const Act& y) {
  const uint64_t n = x.elements();
  return single(b,
                make_op(name, "add", {x.id, y.id}, checked_mul(n, kAddFwd), checked_mul(n, kAddBwd),
                        checked_mul(n, kAddBwd)),
                x.shape);
}

Act mul(GraphBuilder& b, const std::string& name, const Act& x, const Act& y) {
  const uint64_t n = x.elements();
  OpSpec s = make_op(name, "mul", {x.id, y.id}, checked_mul(n, kMulFwd), checked_mul(n, kMulBwd),
                     checked_mul(n, kMulBwd));
  s.saved = {x.id, y.id};
  return single(b, std::move(s), x.shape);
}

Act dropout(GraphBuilder& b, const std::string& name, const Act& x, double p) {
  if (p == 0) return x;
  const uint64_t n = x.elements();
  OpSpec s =
      make_op(name, "dropout", {x.id}, checked_mul(n, kDropoutFwd), checked_mul(n, kDropoutBwd), 0);
  s.outputs = {OutputSpec{"out", n, 0, true}, OutputSpec{"mask", n, kMaskBytes, false}};
  s.saved_outputs = {1};
  return Act{b.add(std::move(s))[0], x.shape};
}

Act linear(GraphBuilder& b, const std::string& name, const Act& x, uint64_t out_features,
           bool bias) {
  const TensorId weight = b.parameter(name + ".weight", checked_mul(out_features, x.shape.back()));
  std::optional<TensorId> bias_id;
  if (bias) bias_id = b.parameter(name + ".bias", out_features);
  return linear_with(b, name, x, weight, bias_id, out_features);
}

Act linear_with(GraphBuilder& b, const std::string& name, const Act& x, TensorId weight,
                std::optional<TensorId> bias, uint64_t out_features) {
  const uint64_t in = x.shape.back();
  const uint64_t rows = x.elements() / in;
  const uint64_t flops = checked_mul(2, mul3(rows, in, out_features));
  std::vector<TensorId> inputs{x.id, weight};
  uint64_t bias_flops = 0;
  if (bias) {
    inputs.push_back(*bias);
    bias_flops = checked_mul(rows, out_features);
  }
  std::vector<uint64_t> shape = x.shape;
  shape.back() = out_features;
  OpSpec s = make_op(name, "linear", inputs, flops + bias_flops, flops, flops + bias_flops);
  s.saved = {x.id};  // for the weight gradient
  s.saved_for_data = {weight};
  return single(b, std::move(s), std::move(shape));
}

Act layernorm(GraphBuilder& b, const std::string& name, const Act& x) {
  const uint64_t d = x.shape.back(), n = x.elements();
  const TensorId gamma = b.parameter(name + ".weight", d);
  const TensorId beta = b.parameter(name + ".bias", d);
  OpSpec s = make_op(name, "layernorm", {x.id, gamma, beta}, checked_mul(n, kLayerNormFwd),
                     checked_mul(n, kLayerNormBwd), checked_mul(n, 2));
  s.saved = {x.id, gamma};
  return single(b, std::move(s), x.shape);
}

Act rmsnorm(GraphBuilder& b, const std::string& name, const Act& x) {
  const uint64_t d = x.shape.back(), n = x.elements();
  const TensorId gamma = b.parameter(name + ".weight", d);
  OpSpec s = make_op(name, "rmsnorm", {x.id, gamma}, checked_mul(n, kRmsNormFwd),
                     checked_mul(n, kRmsNormBwd), n);
  s.saved = {x.id, gamma};
  return single(b, std::move(s), x.shape);
}

Act matmul(GraphBuilder& b, const std::string& name, const Act& x, const Act& y,
           std::vector<uint64_t> out_shape, uint64_t flops) {
  // Backward: one matmul of the same size per operand.
  OpSpec s = make_op(name, "matmul", {x.id, y.id}, flops, checked_mul(2, flops), 0);
  s.saved = {x.id, y.id};
  return single(b, std::move(s), std::move(out_shape));
}

Act embedding(GraphBuilder& b, const std::string& name, std::optional<Act> ids, TensorId weight,
              std::vector<uint64_t> out_shape) {
  std::vector<TensorId> inputs;
  if (ids) inputs.push_back(ids->id);
  inputs.push_back(weight);
  // Forward is a gather (no math); backward scatter-adds one row per looked-up id.
  OpSpec s = make_op(name, "embedding", inputs, 0, 0, product(out_shape));
  if (ids) s.saved = {ids->id};
  return single(b, std::move(s), std::move(out_shape));
}

Act rope(GraphBuilder& b, const std::string& name, const Act& x) {
  const uint64_t n = x.elements();
  return single(
      b, make_op(name, "rope", {x.id}, checked_mul(n, kRopeFwd), checked_mul(n, kRopeBwd), 0),
      x.shape);
}

Act attention(GraphBuilder& b, const std::string& prefix, const Act& q, const Act& k, const Act& v,
              const AttentionShape& a) {
  const uint64_t flops = checked_mul(2, mul3(mul3(a.batch, a.heads, a.seq), a.seq, a.head_dim));
  Act scores = matmul(b, prefix + ".scores", q, k, {a.batch, a.heads, a.seq, a.seq}, flops);
  Act probs = softmax(b, prefix + ".softmax", scores);
  probs = dropout(b, prefix + ".dropout", probs, a.dropout);
  return matmul(b, prefix + ".context", probs, v, {a.batch, a.seq, a.heads * a.head_dim}, flops);
}

TensorId cross_entropy(GraphBuilder& b, const std::string& name, const Act& logits,
                       TensorId labels) {
  const uint64_t n = logits.elements();
  OpSpec s = make_op(name, "cross_entropy", {logits.id, labels}, checked_mul(n, kCrossEntropyFwd),
                     checked_mul(n, kCrossEntropyBwd), 0);
  s.saved = {logits.id, labels};
  s.outputs = {OutputSpec{"out", 1, 0, true}};
  return b.add(std::move(s))[0];
}

}  // namespace strata::models

namespace strata::models {

Act image_batch(GraphBuilder& b, std::uint64_t batch, std::uint64_t size) {
  std::vector<std::uint64_t> shape{batch, 3, size, size};
  return Act{b.input("images", product(shape), dtype_bytes(b.dtype())), std::move(shape)};
}

TensorId labels(GraphBuilder& b, std::uint64_t rows) {
  return b.input("labels", rows, kInt64Bytes);
}

Act tokens(GraphBuilder& b, const std::string& name, std::uint64_t batch, std::uint64_t seq) {
  return Act{b.input(name, checked_mul(batch, seq), kInt64Bytes), {batch, seq}};
}

}  // namespace strata::models
