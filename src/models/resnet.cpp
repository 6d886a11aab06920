// ResNet (He et al. 2016) as torchvision resnet50 / resnet152: Bottleneck v1.5 (stride on the 3x3
// conv), 224x224 input, 1000 classes.

#include <array>
#include <string>

#include "architectures.hpp"
#include "layers.hpp"

namespace strata::models {
namespace {

constexpr std::uint64_t kImage = 224;
constexpr std::uint64_t kClasses = 1000;
constexpr std::uint64_t kExpansion = 4;

Act bottleneck(GraphBuilder& b, const std::string& n, const Act& x, std::uint64_t planes,
               std::uint64_t stride, bool downsample) {
  Act out = conv2d(b, n + ".conv1", x, conv(planes, 1));
  out = relu(b, n + ".relu1", batchnorm2d(b, n + ".bn1", out));
  out = conv2d(b, n + ".conv2", out, conv(planes, 3, stride, 1));
  out = relu(b, n + ".relu2", batchnorm2d(b, n + ".bn2", out));
  out = conv2d(b, n + ".conv3", out, conv(planes * kExpansion, 1));
  out = batchnorm2d(b, n + ".bn3", out);
  Act identity = x;
  if (downsample) {
    identity = conv2d(b, n + ".downsample.0", x, conv(planes * kExpansion, 1, stride));
    identity = batchnorm2d(b, n + ".downsample.1", identity);
  }
  return relu(b, n + ".relu3", add(b, n + ".add", out, identity));
}

Losses build_resnet(GraphBuilder& b, std::uint64_t batch, const std::array<int, 4>& blocks) {
  const Act images = image_batch(b, batch, kImage);
  const TensorId y = labels(b, batch);
  Act x = conv2d(b, "conv1", images, conv(64, 7, 2, 3));
  x = relu(b, "relu", batchnorm2d(b, "bn1", x));
  x = maxpool2d(b, "maxpool", x, pool(3, 2, 1));
  std::uint64_t planes = 64;
  for (std::size_t layer = 0; layer < blocks.size(); ++layer, planes *= 2) {
    for (int i = 0; i < blocks[layer]; ++i) {
      const std::uint64_t stride = (layer > 0 && i == 0) ? 2 : 1;
      x = bottleneck(b, "layer" + std::to_string(layer + 1) + "." + std::to_string(i), x, planes,
                     stride, i == 0);
    }
  }
  x = adaptive_avgpool2d(b, "avgpool", x, 1, 1);
  const Act flat{x.id, {batch, x.shape[1]}};
  const Act logits = linear(b, "fc", flat, kClasses);
  return {cross_entropy(b, "loss", logits, y)};
}

}  // namespace

Losses build_resnet50(GraphBuilder& b, std::uint64_t batch) {
  return build_resnet(b, batch, {3, 4, 6, 3});
}

Losses build_resnet152(GraphBuilder& b, std::uint64_t batch) {
  return build_resnet(b, batch, {3, 8, 36, 3});
}

}  // namespace strata::models
