// GPT-2 small (Radford et al. 2019) as HuggingFace GPT2LMHeadModel: 12 layers, 768 hidden, 12
// heads, 1024 positions, vocab 50257, LM head tied to transformer.wte.

#include <string>

#include "architectures.hpp"
#include "layers.hpp"

namespace strata::models {
namespace {

constexpr std::uint64_t kVocab = 50257;
constexpr std::uint64_t kPositions = 1024;
constexpr std::uint64_t kHidden = 768;
constexpr std::uint64_t kLayers = 12;
constexpr std::uint64_t kHeads = 12;
constexpr double kDropout = 0.1;  // embd_pdrop, attn_pdrop, resid_pdrop

Act block(GraphBuilder& b, const std::string& l, const Act& x, std::uint64_t batch,
          std::uint64_t seq) {
  Act y = layernorm(b, l + ".ln_1", x);
  const Act qkv = linear(b, l + ".attn.c_attn", y, 3 * kHidden);  // Conv1D, same shape and math
  const Act ctx = attention(b, l + ".attn", qkv, qkv, qkv,
                            AttentionShape{batch, seq, kHeads, kHidden / kHeads, kDropout});
  Act o = linear(b, l + ".attn.c_proj", ctx, kHidden);
  o = dropout(b, l + ".attn.resid_dropout", o, kDropout);
  const Act x2 = add(b, l + ".add_1", o, x);
  y = layernorm(b, l + ".ln_2", x2);
  Act h = linear(b, l + ".mlp.c_fc", y, 4 * kHidden);
  h = gelu(b, l + ".mlp.act", h);
  h = linear(b, l + ".mlp.c_proj", h, kHidden);
  h = dropout(b, l + ".mlp.dropout", h, kDropout);
  return add(b, l + ".add_2", h, x2);
}

}  // namespace

Losses build_gpt2(GraphBuilder& b, std::uint64_t batch, std::uint64_t seq) {
  const Act ids = tokens(b, "input_ids", batch, seq);
  const TensorId y = labels(b, checked_mul(batch, seq));
  const TensorId wte = b.parameter("transformer.wte.weight", kVocab * kHidden);
  const TensorId wpe = b.parameter("transformer.wpe.weight", kPositions * kHidden);
  Act x = embedding(b, "transformer.wte", ids, wte, {batch, seq, kHidden});
  const Act p = embedding(b, "transformer.wpe", std::nullopt, wpe, {seq, kHidden});
  x = add(b, "transformer.add_wpe", x, p);
  x = dropout(b, "transformer.drop", x, kDropout);
  for (std::uint64_t i = 0; i < kLayers; ++i)
    x = block(b, "transformer.h." + std::to_string(i), x, batch, seq);
  x = layernorm(b, "transformer.ln_f", x);
  const Act logits = linear_with(b, "lm_head", x, wte, std::nullopt, kVocab);
  return {cross_entropy(b, "loss", logits, y)};
}

}  // namespace strata::models
