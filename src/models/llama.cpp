// Llama decoders as HuggingFace LlamaForCausalLM: Llama-3.2-1B (grouped-query attention, tied
// embeddings) and Llama-2-7B / 13B (multi-head attention, separate lm_head). RMSNorm, rotary
// position embeddings on q and k, SwiGLU MLP, no biases, no dropout.

#include <string>

#include "architectures.hpp"
#include "layers.hpp"

namespace strata::models {
namespace {

struct LlamaConfig {
  std::uint64_t hidden, layers, heads, kv_heads, ffn, vocab;
  bool tied;
};

Act decoder_layer(GraphBuilder& b, const std::string& l, const Act& x, const LlamaConfig& c,
                  std::uint64_t batch, std::uint64_t seq) {
  const std::uint64_t d = c.hidden / c.heads;
  const std::string sa = l + ".self_attn";
  Act y = rmsnorm(b, l + ".input_layernorm", x);
  Act q = linear(b, sa + ".q_proj", y, c.heads * d, false);
  Act k = linear(b, sa + ".k_proj", y, c.kv_heads * d, false);
  const Act v = linear(b, sa + ".v_proj", y, c.kv_heads * d, false);
  q = rope(b, sa + ".rope_q", q);
  k = rope(b, sa + ".rope_k", k);
  const Act ctx = attention(b, sa, q, k, v, AttentionShape{batch, seq, c.heads, d, 0});
  const Act o = linear(b, sa + ".o_proj", ctx, c.hidden, false);
  const Act x2 = add(b, l + ".add_1", x, o);
  y = rmsnorm(b, l + ".post_attention_layernorm", x2);
  Act gate = linear(b, l + ".mlp.gate_proj", y, c.ffn, false);
  const Act up = linear(b, l + ".mlp.up_proj", y, c.ffn, false);
  gate = silu(b, l + ".mlp.act_fn", gate);
  const Act h = mul(b, l + ".mlp.mul", gate, up);
  const Act down = linear(b, l + ".mlp.down_proj", h, c.hidden, false);
  return add(b, l + ".add_2", x2, down);
}

Losses build_llama(GraphBuilder& b, std::uint64_t batch, std::uint64_t seq, const LlamaConfig& c) {
  const Act ids = tokens(b, "input_ids", batch, seq);
  const TensorId y = labels(b, checked_mul(batch, seq));
  const TensorId embed = b.parameter("model.embed_tokens.weight", c.vocab * c.hidden);
  Act x = embedding(b, "model.embed_tokens", ids, embed, {batch, seq, c.hidden});
  for (std::uint64_t i = 0; i < c.layers; ++i)
    x = decoder_layer(b, "model.layers." + std::to_string(i), x, c, batch, seq);
  x = rmsnorm(b, "model.norm", x);
  const Act logits = c.tied ? linear_with(b, "lm_head", x, embed, std::nullopt, c.vocab)
                            : linear(b, "lm_head", x, c.vocab, false);
  return {cross_entropy(b, "loss", logits, y)};
}

}  // namespace

Losses build_llama_1b(GraphBuilder& b, std::uint64_t batch, std::uint64_t seq) {
  return build_llama(b, batch, seq, LlamaConfig{2048, 16, 32, 8, 8192, 128256, true});
}

Losses build_llama_7b(GraphBuilder& b, std::uint64_t batch, std::uint64_t seq) {
  return build_llama(b, batch, seq, LlamaConfig{4096, 32, 32, 32, 11008, 32000, false});
}

Losses build_llama_13b(GraphBuilder& b, std::uint64_t batch, std::uint64_t seq) {
  return build_llama(b, batch, seq, LlamaConfig{5120, 40, 40, 40, 13824, 32000, false});
}

}  // namespace strata::models
