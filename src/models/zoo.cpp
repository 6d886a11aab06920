// The registry of the model zoo: names, descriptions, defaults and option checks.

#include "strata/models/zoo.hpp"

#include <array>

#include "architectures.hpp"
#include "graph_builder.hpp"
#include "strata/core/error.hpp"

namespace strata {
namespace {

using models::GraphBuilder;
using models::Losses;

struct Entry {
  std::string_view name;
  std::string_view description;
  Losses (*image)(GraphBuilder&, std::uint64_t batch);                    ///< set for image models
  Losses (*text)(GraphBuilder&, std::uint64_t batch, std::uint64_t seq);  ///< set for text models
  std::uint32_t default_seq;
  std::uint32_t max_seq;
};

constexpr std::array<Entry, 13> kModels{{
    {"resnet50", "ResNet-50 (He et al. 2016), torchvision resnet50; 224x224 images, 1000 classes",
     models::build_resnet50, nullptr, 0, 0},
    {"resnet152",
     "ResNet-152 (He et al. 2016), torchvision resnet152; 224x224 images, 1000 classes",
     models::build_resnet152, nullptr, 0, 0},
    {"vgg16", "VGG-16 (Simonyan & Zisserman 2015), torchvision vgg16; 224x224 images, 1000 classes",
     models::build_vgg16, nullptr, 0, 0},
    {"inception_v3",
     "Inception-v3 (Szegedy et al. 2016), torchvision inception_v3 with aux logits; 299x299 "
     "images, 1000 classes",
     models::build_inception_v3, nullptr, 0, 0},
    {"senet154",
     "SENet-154 (Hu et al. 2018), Cadene pretrainedmodels senet154; 224x224 images, 1000 classes",
     models::build_senet154, nullptr, 0, 0},
    {"bert_base",
     "BERT-base (Devlin et al. 2019), HuggingFace BertModel with pooler, 12x768; seq 128 "
     "(max 512)",
     nullptr, models::build_bert_base, 128, 512},
    {"bert_large",
     "BERT-large (Devlin et al. 2019), HuggingFace BertModel with pooler, 24x1024; seq 128 "
     "(max 512)",
     nullptr, models::build_bert_large, 128, 512},
    {"vit_b16",
     "ViT-B/16 (Dosovitskiy et al. 2021), torchvision vit_b_16; 224x224 images (197 tokens), "
     "1000 classes",
     models::build_vit_b16, nullptr, 0, 0},
    {"vit_l16",
     "ViT-L/16 (Dosovitskiy et al. 2021), torchvision vit_l_16; 224x224 images (197 tokens), "
     "1000 classes",
     models::build_vit_l16, nullptr, 0, 0},
    {"gpt2",
     "GPT-2 small (Radford et al. 2019), HuggingFace gpt2, tied LM head; seq 1024 (max 1024)",
     nullptr, models::build_gpt2, 1024, 1024},
    {"llama_1b",
     "Llama-3.2-1B (Meta 2024), HuggingFace LlamaForCausalLM, GQA 32/8 heads, tied embeddings; "
     "seq 2048 (max 131072)",
     nullptr, models::build_llama_1b, 2048, 131072},
    {"llama_7b",
     "Llama-2-7B (Touvron et al. 2023), HuggingFace LlamaForCausalLM; seq 2048 (max 4096)", nullptr,
     models::build_llama_7b, 2048, 4096},
    {"llama_13b",
     "Llama-2-13B (Touvron et al. 2023), HuggingFace LlamaForCausalLM; seq 2048 (max 4096)",
     nullptr, models::build_llama_13b, 2048, 4096},
}};

std::string valid_names() {
  std::string out;
  for (const Entry& e : kModels) {
    if (!out.empty()) out += ", ";
    out += e.name;
  }
  return out;
}

const Entry& find(std::string_view name) {
  for (const Entry& e : kModels)
    if (e.name == name) return e;
  throw InvalidInput("unknown model '" + std::string(name) + "': use one of " + valid_names());
}

}  // namespace

Optimizer parse_optimizer(std::string_view text) {
  if (text == "sgd") return Optimizer::sgd;
  if (text == "adam") return Optimizer::adam;
  throw InvalidInput("unknown optimizer '" + std::string(text) + "': use sgd or adam");
}

std::string_view to_string(Optimizer o) { return o == Optimizer::sgd ? "sgd" : "adam"; }

std::vector<std::string_view> model_names() {
  std::vector<std::string_view> out;
  for (const Entry& e : kModels) out.push_back(e.name);
  return out;
}

std::string describe_model(std::string_view name) {
  const Entry& e = find(name);
  return std::string(e.name) + ": " + std::string(e.description);
}

Workload build_model(const ModelOptions& options, const ComputeDevice& device) {
  const Entry& e = find(options.model);
  if (options.batch < 1)
    throw InvalidInput("model '" + options.model + "': batch must be at least 1, got 0");
  std::string name = options.model + "-b" + std::to_string(options.batch);
  std::uint32_t seq = 0;
  if (e.text != nullptr) {
    seq = options.seq == 0 ? e.default_seq : options.seq;
    if (seq > e.max_seq)
      throw InvalidInput("model '" + options.model + "': --seq " + std::to_string(seq) +
                         " exceeds its " + std::to_string(e.max_seq) + " positions; use --seq " +
                         std::to_string(e.max_seq) + " or less");
    name += "-s" + std::to_string(seq);
  } else if (options.seq != 0) {
    throw InvalidInput("model '" + options.model + "': --seq applies to text transformers only (" +
                       "bert_base, bert_large, gpt2, llama_*); leave it at 0 for " + options.model +
                       ", whose input size is fixed");
  }
  name +=
      "-" + std::string(to_string(options.dtype)) + "-" + std::string(to_string(options.optimizer));
  GraphBuilder b(name, options.dtype, options.optimizer, device);
  const Losses losses =
      e.text != nullptr ? e.text(b, options.batch, seq) : e.image(b, options.batch);
  return b.finish(losses);
}

}  // namespace strata
