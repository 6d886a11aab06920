// BERT (Devlin et al. 2019) as HuggingFace BertModel with pooler; see zoo.hpp for the loss.

#include <string>

#include "architectures.hpp"
#include "layers.hpp"

namespace strata::models {
namespace {

constexpr std::uint64_t kVocab = 30522;
constexpr std::uint64_t kMaxPositions = 512;
constexpr std::uint64_t kTokenTypes = 2;
constexpr double kDropout = 0.1;  // hidden_dropout_prob and attention_probs_dropout_prob

struct BertConfig {
  std::uint64_t hidden, layers, heads, intermediate;
};

Act encoder_layer(GraphBuilder& b, const std::string& l, const Act& x, const BertConfig& c,
                  std::uint64_t batch, std::uint64_t seq) {
  const std::string self = l + ".attention.self";
  const Act q = linear(b, self + ".query", x, c.hidden);
  const Act k = linear(b, self + ".key", x, c.hidden);
  const Act v = linear(b, self + ".value", x, c.hidden);
  const Act ctx = attention(b, self, q, k, v,
                            AttentionShape{batch, seq, c.heads, c.hidden / c.heads, kDropout});
  Act o = linear(b, l + ".attention.output.dense", ctx, c.hidden);
  o = dropout(b, l + ".attention.output.dropout", o, kDropout);
  o = add(b, l + ".attention.output.add", o, x);
  const Act attn_out = layernorm(b, l + ".attention.output.LayerNorm", o);
  Act h = linear(b, l + ".intermediate.dense", attn_out, c.intermediate);
  h = gelu(b, l + ".intermediate.gelu", h);
  h = linear(b, l + ".output.dense", h, c.hidden);
  h = dropout(b, l + ".output.dropout", h, kDropout);
  h = add(b, l + ".output.add", h, attn_out);
  return layernorm(b, l + ".output.LayerNorm", h);
}

Losses build_bert(GraphBuilder& b, std::uint64_t batch, std::uint64_t seq, const BertConfig& c) {
  const Act ids = tokens(b, "input_ids", batch, seq);
  const Act token_types = tokens(b, "token_type_ids", batch, seq);
  const TensorId y = labels(b, batch);
  const TensorId word = b.parameter("embeddings.word_embeddings.weight", kVocab * c.hidden);
  const TensorId pos =
      b.parameter("embeddings.position_embeddings.weight", kMaxPositions * c.hidden);
  const TensorId type =
      b.parameter("embeddings.token_type_embeddings.weight", kTokenTypes * c.hidden);

  Act x = embedding(b, "embeddings.word_embeddings", ids, word, {batch, seq, c.hidden});
  const Act t =
      embedding(b, "embeddings.token_type_embeddings", token_types, type, {batch, seq, c.hidden});
  x = add(b, "embeddings.add_token_type", x, t);
  const Act p = embedding(b, "embeddings.position_embeddings", std::nullopt, pos, {seq, c.hidden});
  x = add(b, "embeddings.add_position", x, p);
  x = layernorm(b, "embeddings.LayerNorm", x);
  x = dropout(b, "embeddings.dropout", x, kDropout);

  for (std::uint64_t i = 0; i < c.layers; ++i)
    x = encoder_layer(b, "encoder.layer." + std::to_string(i), x, c, batch, seq);

  const Act first_token{x.id, {batch, c.hidden}};  // hidden_states[:, 0] is a view
  Act pooled = linear(b, "pooler.dense", first_token, c.hidden);
  pooled = tanh(b, "pooler.activation", pooled);
  return {cross_entropy(b, "loss", pooled, y)};
}

}  // namespace

Losses build_bert_base(GraphBuilder& b, std::uint64_t batch, std::uint64_t seq) {
  return build_bert(b, batch, seq, BertConfig{768, 12, 12, 3072});
}

Losses build_bert_large(GraphBuilder& b, std::uint64_t batch, std::uint64_t seq) {
  return build_bert(b, batch, seq, BertConfig{1024, 24, 16, 4096});
}

}  // namespace strata::models
