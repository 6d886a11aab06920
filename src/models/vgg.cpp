// VGG-16 (Simonyan & Zisserman 2015) as torchvision vgg16 (configuration D, no batch norm),
// 224x224 input, 1000 classes.

#include <string>

#include "architectures.hpp"
#include "layers.hpp"

namespace strata::models {
namespace {

constexpr std::uint64_t kImage = 224;
constexpr std::uint64_t kClasses = 1000;
constexpr std::uint64_t kHidden = 4096;
constexpr double kDropout = 0.5;
constexpr std::uint64_t kPool = 0;  // "M" in torchvision's configuration list
constexpr std::uint64_t kConfigD[] = {64,    64,  kPool, 128, 128,   kPool, 256, 256, 256,
                                      kPool, 512, 512,   512, kPool, 512,   512, 512, kPool};

}  // namespace

Losses build_vgg16(GraphBuilder& b, std::uint64_t batch) {
  const Act images = image_batch(b, batch, kImage);
  const TensorId y = labels(b, batch);
  Act x = images;
  int index = 0;  // module index inside `features`, as in the state_dict
  for (std::uint64_t v : kConfigD) {
    const std::string n = "features." + std::to_string(index);
    if (v == kPool) {
      x = maxpool2d(b, n, x, pool(2, 2));
      index += 1;
    } else {
      x = conv2d(b, n, x, conv(v, 3, 1, 1, true));
      x = relu(b, "features." + std::to_string(index + 1), x);
      index += 2;
    }
  }
  x = adaptive_avgpool2d(b, "avgpool", x, 7, 7);
  Act h{x.id, {batch, x.elements() / batch}};  // flatten is a view
  h = linear(b, "classifier.0", h, kHidden);
  h = relu(b, "classifier.1", h);
  h = dropout(b, "classifier.2", h, kDropout);
  h = linear(b, "classifier.3", h, kHidden);
  h = relu(b, "classifier.4", h);
  h = dropout(b, "classifier.5", h, kDropout);
  const Act logits = linear(b, "classifier.6", h, kClasses);
  return {cross_entropy(b, "loss", logits, y)};
}

}  // namespace strata::models
