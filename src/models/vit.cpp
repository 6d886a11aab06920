// Vision Transformer (Dosovitskiy et al. 2021) as torchvision vit_b_16 / vit_l_16: 224x224,
// 16x16 patches (196 + class token = 197 tokens), 1000-way head; dropout and attention dropout
// are 0 in torchvision, so no dropout kernels.

#include <string>

#include "architectures.hpp"
#include "layers.hpp"

namespace strata::models {
namespace {

constexpr std::uint64_t kImage = 224;
constexpr std::uint64_t kPatch = 16;
constexpr std::uint64_t kClasses = 1000;

struct VitConfig {
  std::uint64_t hidden, layers, heads, mlp;
};

Act encoder_block(GraphBuilder& b, const std::string& l, const Act& x, const VitConfig& c,
                  std::uint64_t batch, std::uint64_t seq) {
  const Act y = layernorm(b, l + ".ln_1", x);
  const std::string sa = l + ".self_attention";
  const TensorId in_w = b.parameter(sa + ".in_proj_weight", 3 * c.hidden * c.hidden);
  const TensorId in_b = b.parameter(sa + ".in_proj_bias", 3 * c.hidden);
  const Act qkv = linear_with(b, sa + ".in_proj", y, in_w, in_b, 3 * c.hidden);
  const Act ctx =
      attention(b, sa, qkv, qkv, qkv, AttentionShape{batch, seq, c.heads, c.hidden / c.heads, 0});
  const Act o = linear(b, sa + ".out_proj", ctx, c.hidden);
  const Act x2 = add(b, l + ".add_1", o, x);
  Act h = layernorm(b, l + ".ln_2", x2);
  h = linear(b, l + ".mlp.0", h, c.mlp);
  h = gelu(b, l + ".mlp.1", h);
  h = linear(b, l + ".mlp.3", h, c.hidden);
  return add(b, l + ".add_2", h, x2);
}

Losses build_vit(GraphBuilder& b, std::uint64_t batch, const VitConfig& c) {
  const Act images = image_batch(b, batch, kImage);
  const TensorId y = labels(b, batch);
  const std::uint64_t patches = (kImage / kPatch) * (kImage / kPatch);
  const std::uint64_t seq = patches + 1;
  const TensorId class_token = b.parameter("class_token", c.hidden);
  const Act p = conv2d(b, "conv_proj", images, conv(c.hidden, kPatch, kPatch, 0, true));
  const Act patch_tokens{p.id, {batch, patches, c.hidden}};  // reshape + permute: views
  Act x =
      concat(b, "concat_class_token", {Act{class_token, {batch, 1, c.hidden}}, patch_tokens}, 1);
  const TensorId pos = b.parameter("encoder.pos_embedding", seq * c.hidden);
  x = add(b, "encoder.add_pos_embedding", x, Act{pos, {seq, c.hidden}});
  for (std::uint64_t i = 0; i < c.layers; ++i)
    x = encoder_block(b, "encoder.layers.encoder_layer_" + std::to_string(i), x, c, batch, seq);
  x = layernorm(b, "encoder.ln", x);
  const Act cls{x.id, {batch, c.hidden}};  // x[:, 0] is a view
  const Act logits = linear(b, "heads.head", cls, kClasses);
  return {cross_entropy(b, "loss", logits, y)};
}

}  // namespace

Losses build_vit_b16(GraphBuilder& b, std::uint64_t batch) {
  return build_vit(b, batch, VitConfig{768, 12, 12, 3072});
}

Losses build_vit_l16(GraphBuilder& b, std::uint64_t batch) {
  return build_vit(b, batch, VitConfig{1024, 24, 16, 4096});
}

}  // namespace strata::models
