#pragma once
/// @file architectures.hpp
/// @brief Private to the zoo: one builder per model. Each adds its inputs, parameters and
/// forward ops to the GraphBuilder and returns the loss tensors; zoo.cpp checks the options,
/// calls finish() and owns the registry.

#include <cstdint>
#include <vector>

#include "graph_builder.hpp"

namespace strata::models {

using Losses = std::vector<TensorId>;

Losses build_resnet50(GraphBuilder& b, std::uint64_t batch);
Losses build_resnet152(GraphBuilder& b, std::uint64_t batch);
Losses build_vgg16(GraphBuilder& b, std::uint64_t batch);
Losses build_inception_v3(GraphBuilder& b, std::uint64_t batch);
Losses build_senet154(GraphBuilder& b, std::uint64_t batch);
Losses build_vit_b16(GraphBuilder& b, std::uint64_t batch);
Losses build_vit_l16(GraphBuilder& b, std::uint64_t batch);
Losses build_bert_base(GraphBuilder& b, std::uint64_t batch, std::uint64_t seq);
Losses build_bert_large(GraphBuilder& b, std::uint64_t batch, std::uint64_t seq);
Losses build_gpt2(GraphBuilder& b, std::uint64_t batch, std::uint64_t seq);
Losses build_llama_1b(GraphBuilder& b, std::uint64_t batch, std::uint64_t seq);
Losses build_llama_7b(GraphBuilder& b, std::uint64_t batch, std::uint64_t seq);
Losses build_llama_13b(GraphBuilder& b, std::uint64_t batch, std::uint64_t seq);

}  // namespace strata::models
