#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "strata/core/error.hpp"
#include "strata/models/zoo.hpp"

namespace strata {
namespace {

const ComputeDevice kDevice{"test-gpu", 20e12, 100e12, 100e12, 1.5e12, 0.8, 0.9, 2000};

Workload build(const std::string& model, std::uint32_t batch = 8, DType dtype = DType::fp32,
               Optimizer opt = Optimizer::adam, std::uint32_t seq = 0) {
  return build_model(ModelOptions{model, batch, seq, dtype, opt}, kDevice);
}

bool is_buffer(const Tensor& t) {
  auto ends_with = [&](std::string_view s) {
    return t.name.size() >= s.size() && t.name.compare(t.name.size() - s.size(), s.size(), s) == 0;
  };
  return ends_with(".running_mean") || ends_with(".running_var");
}

bool trainable(const Tensor& t) { return t.kind == TensorKind::weight && !is_buffer(t); }

std::uint64_t bytes_of(const Workload& w, bool (*pred)(const Tensor&)) {
  std::uint64_t sum = 0;
  for (const Tensor& t : w.tensors)
    if (pred(t)) sum += t.bytes;
  return sum;
}

bool is_activation(const Tensor& t) { return t.kind == TensorKind::activation; }
bool is_state(const Tensor& t) { return t.kind == TensorKind::optimizer_state; }

const std::map<std::string, std::uint64_t>& expected_parameters() {
  static const std::map<std::string, std::uint64_t> m{
      {"resnet50", 25'557'032},     {"resnet152", 60'192'808},   {"vgg16", 138'357'544},
      {"inception_v3", 27'161'264}, {"senet154", 115'088'984},   {"bert_base", 109'482'240},
      {"bert_large", 335'141'888},  {"vit_b16", 86'567'656},     {"vit_l16", 304'326'632},
      {"gpt2", 124'439'808},        {"llama_1b", 1'235'814'400}, {"llama_7b", 6'738'415'616},
      {"llama_13b", 13'015'864'320}};
  return m;
}

std::vector<std::string> all_models() {
  std::vector<std::string> out;
  for (std::string_view n : model_names()) out.emplace_back(n);
  return out;
}

TEST(Models, NamesAndDescriptions) {
  EXPECT_EQ(model_names().size(), 13u);
  for (const std::string& m : all_models()) {
    EXPECT_EQ(expected_parameters().count(m), 1u) << m;
    EXPECT_NE(describe_model(m).find(m), std::string::npos);
  }
  EXPECT_NE(describe_model("bert_base").find("128"), std::string::npos);
}

TEST(Models, ExactParameterCounts) {
  for (const auto& [model, expected] : expected_parameters()) {
    const Workload w = build(model);
    ASSERT_TRUE(w.parameters.has_value()) << model;
    EXPECT_EQ(*w.parameters, expected) << model;
    // The count agrees with the tensors: fp32 trainable weights are 4 bytes per parameter.
    EXPECT_EQ(bytes_of(w, trainable), expected * 4) << model;
  }
}

TEST(Models, ValidForEveryModelDtypeAndOptimizer) {
  for (const std::string& m : all_models())
    for (DType d : {DType::fp32, DType::fp16, DType::bf16})
      for (Optimizer o : {Optimizer::sgd, Optimizer::adam}) {
        const Workload w = build(m, 2, d, o);
        EXPECT_NO_THROW(validate(w)) << m << " " << to_string(d) << " " << to_string(o);
        for (const Kernel& k : w.kernels) EXPECT_GT(k.duration_ns, 0) << k.name;
      }
}

TEST(Models, EveryTrainableWeightHasGradientAndOptimizerKernel) {
  for (const std::string& m : all_models())
    for (Optimizer o : {Optimizer::sgd, Optimizer::adam}) {
      const Workload w = build(m, 2, DType::fp16, o);
      std::unordered_map<std::string, const Tensor*> tensors;
      std::unordered_map<std::string, const Kernel*> kernels;
      for (const Tensor& t : w.tensors) tensors[t.name] = &t;
      for (const Kernel& k : w.kernels) kernels[k.name] = &k;
      std::size_t trainable_count = 0, optimizer_kernels = 0;
      for (const Kernel& k : w.kernels) optimizer_kernels += k.phase == Phase::optimizer;
      for (const Tensor& t : w.tensors) {
        if (!trainable(t)) continue;
        ++trainable_count;
        EXPECT_TRUE(t.persistent) << t.name;
        ASSERT_EQ(tensors.count(t.name + ".grad"), 1u) << m << ": " << t.name;
        const Tensor& g = *tensors[t.name + ".grad"];
        EXPECT_EQ(g.kind, TensorKind::gradient);
        EXPECT_FALSE(g.persistent);
        const std::string kname = t.name + "." + std::string(to_string(o));
        ASSERT_EQ(kernels.count(kname), 1u) << m << ": " << kname;
        const Kernel& k = *kernels[kname];
        EXPECT_EQ(k.phase, Phase::optimizer);
        EXPECT_EQ(k.op, to_string(o));
        const TensorId master = tensors.at(t.name + ".master")->id;
        EXPECT_EQ(k.inputs[0], master);
        EXPECT_EQ(k.inputs[1], g.id);
        EXPECT_EQ(k.outputs[0], master);
        EXPECT_EQ(k.outputs.back(), t.id) << "mixed precision writes the 16-bit weight";
      }
      EXPECT_EQ(trainable_count, optimizer_kernels) << m;
    }
}

TEST(Models, OptimizerStatesPerParameter) {
  for (const std::string m : {"resnet50", "gpt2", "inception_v3"}) {
    const std::uint64_t p = expected_parameters().at(m);
    EXPECT_EQ(bytes_of(build(m, 2, DType::fp32, Optimizer::adam), is_state), p * 4 * 2) << m;
    EXPECT_EQ(bytes_of(build(m, 2, DType::fp32, Optimizer::sgd), is_state), p * 4) << m;
    // Mixed precision adds an fp32 master copy.
    EXPECT_EQ(bytes_of(build(m, 2, DType::bf16, Optimizer::adam), is_state), p * 4 * 3) << m;
    EXPECT_EQ(bytes_of(build(m, 2, DType::fp16, Optimizer::sgd), is_state), p * 4 * 2) << m;
  }
}

TEST(Models, MixedPrecisionHalvesWeightsAndActivations) {
  for (const std::string& m : all_models()) {
    const Workload full = build(m, 2, DType::fp32);
    const Workload half = build(m, 2, DType::fp16);
    EXPECT_EQ(bytes_of(half, trainable) * 2, bytes_of(full, trainable)) << m;
    const double ratio = static_cast<double>(bytes_of(half, is_activation)) /
                         static_cast<double>(bytes_of(full, is_activation));
    // Dropout masks stay 1 byte per element, so the ratio is 0.5 or a little above.
    EXPECT_GE(ratio, 0.5) << m;
    EXPECT_LT(ratio, 0.6) << m;
  }
  // Without dropout, exactly half.
  EXPECT_EQ(bytes_of(build("resnet50", 2, DType::fp16), is_activation) * 2,
            bytes_of(build("resnet50", 2, DType::fp32), is_activation));
}

TEST(Models, ActivationBytesScaleLinearlyWithBatch) {
  for (const std::string& m : all_models()) {
    const auto a4 = static_cast<std::int64_t>(bytes_of(build(m, 4), is_activation));
    const auto a8 = static_cast<std::int64_t>(bytes_of(build(m, 8), is_activation));
    const auto a12 = static_cast<std::int64_t>(bytes_of(build(m, 12), is_activation));
    EXPECT_EQ(a8 - a4, a12 - a8) << m;
    // What does not scale (position embeddings, scalar losses) is tiny.
    const std::int64_t constant = a4 - (a8 - a4);
    EXPECT_GE(constant, 0) << m;
    EXPECT_LT(constant, a4 / 100) << m;
  }
}

TEST(Models, PhasesInOrder) {
  for (const std::string& m : all_models()) {
    const Workload w = build(m, 2);
    Phase last = Phase::forward;
    std::map<Phase, int> count;
    for (const Kernel& k : w.kernels) {
      EXPECT_GE(static_cast<int>(k.phase), static_cast<int>(last)) << m << ": " << k.name;
      last = k.phase;
      ++count[k.phase];
    }
    EXPECT_GT(count[Phase::forward], 0) << m;
    EXPECT_GT(count[Phase::backward], 0) << m;
    EXPECT_GT(count[Phase::optimizer], 0) << m;
  }
}

TEST(Models, EveryForwardActivationIsReadAndEveryGradientConsumed) {
  for (const std::string& m : all_models()) {
    const Workload w = build(m, 2, DType::fp16, Optimizer::sgd);
    const std::vector<KernelId> producer = producers(w);
    std::vector<KernelId> last_reader(w.tensors.size(), kNoKernel);
    std::vector<KernelId> first_reader(w.tensors.size(), kNoKernel);
    for (const Kernel& k : w.kernels)
      for (TensorId t : k.inputs) {
        last_reader[t] = k.id;
        if (first_reader[t] == kNoKernel) first_reader[t] = k.id;
      }
    for (const Tensor& t : w.tensors) {
      if (t.kind == TensorKind::activation) {
        ASSERT_NE(producer[t.id], kNoKernel) << t.name;
        EXPECT_EQ(w.kernels[producer[t.id]].phase, Phase::forward) << t.name;
        EXPECT_NE(last_reader[t.id], kNoKernel) << m << ": " << t.name << " is never read";
        if (last_reader[t.id] != kNoKernel) {
          EXPECT_GT(last_reader[t.id], producer[t.id]) << t.name;
        }
      }
      if (t.kind == TensorKind::gradient) {
        ASSERT_NE(producer[t.id], kNoKernel) << t.name;
        EXPECT_EQ(w.kernels[producer[t.id]].phase, Phase::backward) << t.name;
        EXPECT_NE(last_reader[t.id], kNoKernel) << m << ": " << t.name << " is never read";
        if (first_reader[t.id] != kNoKernel) {
          EXPECT_GE(first_reader[t.id], producer[t.id]) << t.name << " read before written";
        }
      }
      if (t.kind == TensorKind::input) {
        EXPECT_FALSE(t.persistent) << t.name;
        EXPECT_EQ(std::count_if(w.tensors.begin(), w.tensors.end(),
                                [&](const Tensor& u) { return u.name == t.name + ".grad"; }),
                  0)
            << "inputs get no gradient: " << t.name;
      }
    }
  }
}

TEST(Models, FanOutAccumulatesGradientsInPlace) {
  // GPT-2's LM head is tied to wte: the embedding's backward adds to lm_head's gradient.
  const Workload w = build("gpt2", 2);
  TensorId wte_grad = 0;
  for (const Tensor& t : w.tensors)
    if (t.name == "transformer.wte.weight.grad") wte_grad = t.id;
  ASSERT_NE(wte_grad, 0u);
  std::vector<std::string> writers;
  for (const Kernel& k : w.kernels)
    for (TensorId t : k.outputs)
      if (t == wte_grad) writers.push_back(k.name);
  EXPECT_EQ(writers, (std::vector<std::string>{"lm_head.bwd", "transformer.wte.bwd"}));
  // Residual connections: some backward kernels read and write the same gradient.
  const Workload r = build("resnet50", 2);
  int in_place = 0;
  for (const Kernel& k : r.kernels) {
    if (k.phase != Phase::backward) continue;
    for (TensorId t : k.outputs)
      for (TensorId u : k.inputs) in_place += t == u;
  }
  EXPECT_GE(in_place, 16);  // at least one per bottleneck block
}

TEST(Models, LayerExactShapesAndNames) {
  const auto bytes = [](const Workload& w, const std::string& name) -> std::uint64_t {
    for (const Tensor& t : w.tensors)
      if (t.name == name) return t.bytes;
    ADD_FAILURE() << "no tensor " << name;
    return 0;
  };
  EXPECT_EQ(bytes(build("resnet50", 2), "layer4.2.relu3.out"), 2ull * 2048 * 7 * 7 * 4);
  EXPECT_EQ(bytes(build("resnet50", 2), "maxpool.out"), 2ull * 64 * 56 * 56 * 4);
  EXPECT_EQ(bytes(build("senet154", 2), "layer0.pool.out"), 2ull * 128 * 56 * 56 * 4);
  EXPECT_EQ(bytes(build("senet154", 2), "layer4.2.relu3.out"), 2ull * 2048 * 7 * 7 * 4);
  EXPECT_EQ(bytes(build("inception_v3", 2), "Mixed_5b.concat.out"), 2ull * 256 * 35 * 35 * 4);
  EXPECT_EQ(bytes(build("inception_v3", 2), "Mixed_7c.concat.out"), 2ull * 2048 * 8 * 8 * 4);
  EXPECT_EQ(bytes(build("inception_v3", 2), "AuxLogits.conv1.conv.out"), 2ull * 768 * 4);
  EXPECT_EQ(bytes(build("vgg16", 2), "features.30.out"), 2ull * 512 * 7 * 7 * 4);
  EXPECT_EQ(bytes(build("vit_b16", 2), "encoder.layers.encoder_layer_0.self_attention.scores.out"),
            2ull * 12 * 197 * 197 * 4);
  EXPECT_EQ(bytes(build("bert_base", 2, DType::fp16, Optimizer::adam, 64),
                  "encoder.layer.11.attention.self.softmax.out"),
            2ull * 12 * 64 * 64 * 2);
  EXPECT_EQ(bytes(build("llama_1b", 1, DType::bf16), "model.layers.0.self_attn.k_proj.out"),
            1ull * 2048 * 512 * 2);
  EXPECT_EQ(bytes(build("llama_7b", 1, DType::bf16), "lm_head.weight"), 32000ull * 4096 * 2);
  EXPECT_EQ(bytes(build("gpt2", 1), "input_ids"), 1024ull * 8);
  EXPECT_EQ(bytes(build("resnet50", 2), "layer1.0.bn1.running_mean"), 64ull * 4);
}

TEST(Models, FlopsAndRooflineTimes) {
  // ResNet-50: about 4.1 GMACs per 224x224 image; VGG-16 about 15.5.
  const auto forward_flops = [](const Workload& w) {
    std::uint64_t f = 0;
    for (const Kernel& k : w.kernels) f += k.phase == Phase::forward ? k.flops : 0;
    return static_cast<double>(f);
  };
  EXPECT_NEAR(forward_flops(build("resnet50", 1)) / 2e9, 4.1, 0.15);
  EXPECT_NEAR(forward_flops(build("vgg16", 1)) / 2e9, 15.5, 0.3);
  const Workload w = build("bert_base", 4, DType::bf16);
  for (const Kernel& k : w.kernels) {
    std::uint64_t bytes = 0;
    for (TensorId t : k.inputs) bytes += w.tensors[t].bytes;
    for (TensorId t : k.outputs) bytes += w.tensors[t].bytes;
    EXPECT_EQ(k.bytes_accessed, bytes) << k.name;
    const DType rate = k.phase == Phase::optimizer ? DType::fp32 : DType::bf16;
    EXPECT_EQ(k.duration_ns, roofline_ns(kDevice, rate, k.flops, k.bytes_accessed)) << k.name;
    EXPECT_EQ(k.workspace_bytes, 0u);
  }
}

TEST(Models, BadOptionsThrowInvalidInput) {
  auto message = [](const ModelOptions& o) -> std::string {
    try {
      build_model(o, kDevice);
    } catch (const InvalidInput& e) {
      return e.what();
    }
    return "no exception";
  };
  const std::string unknown = message(ModelOptions{"resnet18", 8, 0, DType::fp32, Optimizer::adam});
  EXPECT_NE(unknown.find("resnet18"), std::string::npos) << unknown;
  for (std::string_view n : model_names()) EXPECT_NE(unknown.find(n), std::string::npos) << n;
  EXPECT_NE(message(ModelOptions{"gpt2", 0, 0, DType::fp32, Optimizer::adam}).find("batch"),
            std::string::npos);
  EXPECT_NE(message(ModelOptions{"gpt2", 8, 1025, DType::fp32, Optimizer::adam}).find("1024"),
            std::string::npos);
  EXPECT_NE(message(ModelOptions{"bert_base", 8, 513, DType::fp32, Optimizer::adam}).find("512"),
            std::string::npos);
  EXPECT_NE(message(ModelOptions{"llama_7b", 1, 4097, DType::fp32, Optimizer::adam}).find("4096"),
            std::string::npos);
  EXPECT_NE(message(ModelOptions{"resnet50", 8, 128, DType::fp32, Optimizer::adam})
                .find("--seq applies to text transformers only"),
            std::string::npos);
  EXPECT_NE(message(ModelOptions{"vit_b16", 8, 197, DType::fp32, Optimizer::adam}).find("--seq"),
            std::string::npos);
  EXPECT_THROW(parse_optimizer("adamw"), InvalidInput);
  EXPECT_THROW(describe_model("nope"), InvalidInput);
  EXPECT_EQ(parse_optimizer("sgd"), Optimizer::sgd);
  EXPECT_EQ(parse_optimizer("adam"), Optimizer::adam);
  EXPECT_EQ(to_string(Optimizer::sgd), "sgd");
  // Sequence lengths up to the maximum are accepted.
  EXPECT_NO_THROW(build_model(ModelOptions{"gpt2", 1, 1024, DType::fp16, Optimizer::sgd}, kDevice));
  EXPECT_NO_THROW(
      build_model(ModelOptions{"bert_base", 1, 512, DType::fp16, Optimizer::sgd}, kDevice));
}

TEST(Models, DeviceWithoutRatesIsRejected) {
  ComputeDevice none = kDevice;
  none.fp16_flops_per_s = 0;
  EXPECT_THROW(build_model(ModelOptions{"resnet50", 2, 0, DType::fp16, Optimizer::adam}, none),
               InvalidInput);
  EXPECT_NO_THROW(build_model(ModelOptions{"resnet50", 2, 0, DType::fp32, Optimizer::adam}, none));
}

TEST(Models, LargestModelBuildsFast) {
  const auto start = std::chrono::steady_clock::now();
  const Workload w = build("llama_13b", 8, DType::bf16, Optimizer::adam, 2048);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 1.0);
  EXPECT_LT(w.kernels.size(), 5000u);
  EXPECT_EQ(*w.parameters, 13'015'864'320u);
}

}  // namespace
}  // namespace strata
