// SENet-154 (Hu et al. 2018) as Cadene pretrainedmodels senet154: SEBottleneck, [3, 8, 36, 3]
// blocks, groups 64, reduction 16, 3x3 stem 3->64->64->128, max pool with ceil_mode, downsample
// kernel 3 padding 1 except layer1 (kernel 1), AvgPool2d(7), dropout 0.2, 224x224 input.

#include <array>
#include <string>

#include "architectures.hpp"
#include "layers.hpp"

namespace strata::models {
namespace {

constexpr std::uint64_t kImage = 224;
constexpr std::uint64_t kClasses = 1000;
constexpr std::uint64_t kExpansion = 4;
constexpr std::uint64_t kGroups = 64;
constexpr std::uint64_t kReduction = 16;
constexpr double kDropout = 0.2;

Act se_module(GraphBuilder& b, const std::string& n, const Act& x) {
  const std::uint64_t c = x.shape[1];
  Act s = adaptive_avgpool2d(b, n + ".avg_pool", x, 1, 1);
  s = conv2d(b, n + ".fc1", s, conv(c / kReduction, 1, 1, 0, true));
  s = relu(b, n + ".relu", s);
  s = conv2d(b, n + ".fc2", s, conv(c, 1, 1, 0, true));
  s = sigmoid(b, n + ".sigmoid", s);
  return mul(b, n + ".mul", x, s);
}

struct Downsample {
  bool present;
  std::uint64_t kernel, padding;
};

Act se_bottleneck(GraphBuilder& b, const std::string& n, const Act& x, std::uint64_t planes,
                  std::uint64_t stride, const Downsample& ds) {
  Act out = conv2d(b, n + ".conv1", x, conv(planes * 2, 1));
  out = relu(b, n + ".relu1", batchnorm2d(b, n + ".bn1", out));
  Conv2dSpec grouped = conv(planes * 4, 3, stride, 1);
  grouped.groups = kGroups;
  out = conv2d(b, n + ".conv2", out, grouped);
  out = relu(b, n + ".relu2", batchnorm2d(b, n + ".bn2", out));
  out = conv2d(b, n + ".conv3", out, conv(planes * kExpansion, 1));
  out = batchnorm2d(b, n + ".bn3", out);
  Act residual = x;
  if (ds.present) {
    residual =
        conv2d(b, n + ".downsample.0", x, conv(planes * kExpansion, ds.kernel, stride, ds.padding));
    residual = batchnorm2d(b, n + ".downsample.1", residual);
  }
  out = se_module(b, n + ".se_module", out);
  return relu(b, n + ".relu3", add(b, n + ".add", out, residual));
}

}  // namespace

Losses build_senet154(GraphBuilder& b, std::uint64_t batch) {
  const Act images = image_batch(b, batch, kImage);
  const TensorId y = labels(b, batch);
  Act x = conv2d(b, "layer0.conv1", images, conv(64, 3, 2, 1));
  x = relu(b, "layer0.relu1", batchnorm2d(b, "layer0.bn1", x));
  x = conv2d(b, "layer0.conv2", x, conv(64, 3, 1, 1));
  x = relu(b, "layer0.relu2", batchnorm2d(b, "layer0.bn2", x));
  x = conv2d(b, "layer0.conv3", x, conv(128, 3, 1, 1));
  x = relu(b, "layer0.relu3", batchnorm2d(b, "layer0.bn3", x));
  x = maxpool2d(b, "layer0.pool", x, pool(3, 2, 0, true));
  constexpr std::array<int, 4> kBlocks{3, 8, 36, 3};
  std::uint64_t planes = 64;
  for (std::size_t layer = 0; layer < kBlocks.size(); ++layer, planes *= 2) {
    const std::uint64_t stride = layer == 0 ? 1 : 2;
    const Downsample ds = layer == 0 ? Downsample{true, 1, 0} : Downsample{true, 3, 1};
    for (int i = 0; i < kBlocks[layer]; ++i)
      x = se_bottleneck(b, "layer" + std::to_string(layer + 1) + "." + std::to_string(i), x, planes,
                        i == 0 ? stride : 1, i == 0 ? ds : Downsample{false, 0, 0});
  }
  x = avgpool2d(b, "avg_pool", x, pool(7, 1));
  Act h{x.id, {batch, x.elements() / batch}};  // flatten is a view
  h = dropout(b, "dropout", h, kDropout);
  const Act logits = linear(b, "last_linear", h, kClasses);
  return {cross_entropy(b, "loss", logits, y)};
}

}  // namespace strata::models
