#pragma once
/// @file zoo.hpp
/// @brief The model zoo: layer-exact generators of one training iteration (forward, backward,
/// optimizer kernels) of 13 real architectures, at any batch size, sequence length and dtype.
///
/// Note [model zoo conventions]
///
/// Tensors
/// - Parameters: one `weight`-kind persistent tensor per PyTorch parameter, named as in the
///   reference state_dict (torchvision for resnet/vgg/inception/vit, Cadene pretrainedmodels for
///   senet154, HuggingFace transformers for bert/gpt2/llama). BatchNorm running_mean and
///   running_var are persistent `weight`-kind tensors too, but are not trainable and not counted
///   in Workload::parameters (num_batches_tracked, a scalar, is not modelled). Workload::parameters
///   is the number of trainable elements. Tied embeddings (gpt2, llama_1b) reuse one tensor.
/// - Inputs (images, token ids, token type ids, labels): kind `input`, not persistent. Images are
///   in the model dtype; token ids and labels are int64 (8 bytes per element).
/// - Every forward op writes its own `activation` tensor (`<op>.out`; dropout also writes a
///   1-byte-per-element `<op>.mask`). Free views (reshape, flatten, transpose, split of a fused
///   QKV projection, selecting the class token) are not kernels and create no tensor. Dropout
///   with p = 0 (ViT, Llama) is not a kernel. Every tensor a backward kernel needs is one of its
///   inputs (see the list of saved tensors per op in src/models/layers.cpp).
/// - Gradients (kind `gradient`, not persistent): `<param>.grad` per trainable parameter (born in
///   backward, dies after its optimizer kernel) and `<activation>.grad` per activation that needs
///   one. Nothing is computed for inputs. When a tensor fans out (residual connections, tied
///   weights, a fused QKV output read by two matmuls), the later backward kernel reads and writes
///   the existing gradient in place (accumulation): it is both input and output of that kernel.
/// - Optimizer state (kind `optimizer_state`, persistent, always fp32): sgd is SGD with momentum
///   (`<param>.momentum_buffer`); adam keeps `<param>.exp_avg` and `<param>.exp_avg_sq`. With fp16
///   or bf16 (mixed precision), parameters, activations and gradients are 16-bit and every
///   parameter has an fp32 master copy `<param>.master`.
///
/// Kernels
/// - Forward kernels `<op>.fwd` in execution order, then backward kernels `<op>.bwd` in reverse
///   order, then one optimizer kernel `<param>.sgd` / `<param>.adam` per trainable parameter in
///   the order of first use in forward (model.parameters() order except where a module registers
///   a submodule before one it runs earlier, e.g. Llama's norms, SENet's se_module). An optimizer
///   kernel reads weight (or master), grad and states and writes weight (or master) and states in
///   place; in mixed precision it also writes the 16-bit weight. `op` is the operator type: conv2d,
///   batchnorm, relu, maxpool, avgpool, linear, matmul, softmax, layernorm, rmsnorm, gelu, silu,
///   tanh, sigmoid, mul, add, concat, dropout, embedding, rope, cross_entropy, sgd, adam.
/// - FLOPs: conv 2*N*Cout*Hout*Wout*(Cin/groups)*kh*kw; linear and matmul 2*M*N*K; backward of
///   conv/linear/matmul is the forward again per gradient it computes (data and weight), so 2x
///   when both are needed; elementwise ops about 1 FLOP per element (gelu/silu a few), norms and
///   softmax a few per element. bytes_accessed is the sum of the bytes of a kernel's inputs and
///   outputs. duration_ns = roofline_ns(device, dtype, flops, bytes_accessed); optimizer kernels
///   use the fp32 rate. workspace_bytes is 0 everywhere (no principled number: cuDNN/cuBLAS
///   workspaces depend on the algorithm chosen at run time).
/// - Losses: classification models: cross_entropy over the logits and an int64 `labels` input;
///   inception_v3 trains with its auxiliary classifier (aux_logits=True), so it has two
///   cross_entropy kernels (logits and AuxLogits). gpt2/llama: LM head over every token, then
///   cross_entropy over batch*seq tokens (no shift copy). bert: BertModel with pooler; its loss
///   is a parameter-free cross_entropy over the pooled output, so the parameter count stays the
///   BertModel's. A loss kernel's backward reads the loss tensor itself as the seed gradient.
/// - Backward: an op whose inputs need no gradient has no backward kernel; the first layer's
///   backward computes only parameter gradients (its FLOPs count only those). Forward of
///   BatchNorm reads and writes its running statistics in place. Not modelled: BERT's
///   attention_mask input (masking is fused into softmax), BatchNorm num_batches_tracked,
///   inception's weighted sum of its two losses (each loss seeds backward itself), cuDNN/cuBLAS
///   workspaces, contiguous copies after transposes.
/// - Attention is the "eager" implementation: the scores tensor batch*heads*seq*seq is
///   materialised, scaling and masking are fused into the softmax kernel, and grouped K/V heads
///   (llama_1b) are read by the matmuls without a materialised repeat.
///
/// Defaults: 224x224 images (resnet, vgg, senet, vit), 299x299 for inception_v3. Sequence
/// length (ModelOptions::seq == 0): bert 128 (max 512), gpt2 1024 (max 1024), llama 2048 (max
/// 131072 for llama_1b, 4096 for llama_7b/13b). vit's sequence (197 tokens) is fixed by its input
/// and --seq does not apply to it.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "strata/core/dtype.hpp"
#include "strata/machine/compute_device.hpp"
#include "strata/workload/workload.hpp"

namespace strata {

/// @brief The optimizer whose step ends the iteration.
enum class Optimizer : std::uint8_t { sgd, adam };

/// @brief Parses "sgd" or "adam"; throws InvalidInput naming the accepted values.
Optimizer parse_optimizer(std::string_view text);

/// @brief "sgd" or "adam".
std::string_view to_string(Optimizer o);

/// @brief What to build. See Note [model zoo conventions].
struct ModelOptions {
  std::string model;          ///< one of model_names()
  std::uint32_t batch = 8;    ///< >= 1
  std::uint32_t seq = 0;      ///< text transformers: sequence length, 0 = default; else must be 0
  DType dtype = DType::fp32;  ///< fp16/bf16 = mixed precision with fp32 master weights
  Optimizer optimizer = Optimizer::adam;
};

/// @brief The models build_model knows, in a stable order.
std::vector<std::string_view> model_names();

/// @brief One line: the architecture reference and its defaults (input size or sequence length).
/// Throws InvalidInput listing the valid names for an unknown model.
std::string describe_model(std::string_view name);

/// @brief Builds one training iteration of `options.model`; kernel times are roofline_ns on
/// `device`. Throws InvalidInput for an unknown model or bad options, saying what to do.
Workload build_model(const ModelOptions& options, const ComputeDevice& device);

}  // namespace strata
