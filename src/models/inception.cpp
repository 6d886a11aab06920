// Inception-v3 (Szegedy et al. 2016) as torchvision inception_v3 in training mode
// (aux_logits=True, transform_input=False), 299x299 input, 1000 classes. Every BasicConv2d is
// conv (no bias) + BatchNorm + ReLU.

#include <string>

#include "architectures.hpp"
#include "layers.hpp"

namespace strata::models {
namespace {

constexpr std::uint64_t kImage = 299;
constexpr std::uint64_t kClasses = 1000;
constexpr double kDropout = 0.5;

Conv2dSpec rect(std::uint64_t out, std::uint64_t kh, std::uint64_t kw, std::uint64_t ph,
                std::uint64_t pw) {
  return Conv2dSpec{out, kh, kw, 1, 1, ph, pw, 1, false};
}
Conv2dSpec k1x7(std::uint64_t out) { return rect(out, 1, 7, 0, 3); }
Conv2dSpec k7x1(std::uint64_t out) { return rect(out, 7, 1, 3, 0); }
Conv2dSpec k1x3(std::uint64_t out) { return rect(out, 1, 3, 0, 1); }
Conv2dSpec k3x1(std::uint64_t out) { return rect(out, 3, 1, 1, 0); }

Act basic(GraphBuilder& b, const std::string& n, const Act& x, const Conv2dSpec& spec) {
  const Act c = conv2d(b, n + ".conv", x, spec);
  return relu(b, n + ".relu", batchnorm2d(b, n + ".bn", c));
}

Act pool_branch(GraphBuilder& b, const std::string& n, const Act& x, std::uint64_t out) {
  const Act p = avgpool2d(b, n + ".avg_pool", x, pool(3, 1, 1));
  return basic(b, n + ".branch_pool", p, conv(out, 1));
}

Act inception_a(GraphBuilder& b, const std::string& n, const Act& x, std::uint64_t pool_features) {
  const Act b1 = basic(b, n + ".branch1x1", x, conv(64, 1));
  Act b5 = basic(b, n + ".branch5x5_1", x, conv(48, 1));
  b5 = basic(b, n + ".branch5x5_2", b5, conv(64, 5, 1, 2));
  Act b3 = basic(b, n + ".branch3x3dbl_1", x, conv(64, 1));
  b3 = basic(b, n + ".branch3x3dbl_2", b3, conv(96, 3, 1, 1));
  b3 = basic(b, n + ".branch3x3dbl_3", b3, conv(96, 3, 1, 1));
  const Act bp = pool_branch(b, n, x, pool_features);
  return concat(b, n + ".concat", {b1, b5, b3, bp}, 1);
}

Act inception_b(GraphBuilder& b, const std::string& n, const Act& x) {
  const Act b3 = basic(b, n + ".branch3x3", x, conv(384, 3, 2));
  Act bd = basic(b, n + ".branch3x3dbl_1", x, conv(64, 1));
  bd = basic(b, n + ".branch3x3dbl_2", bd, conv(96, 3, 1, 1));
  bd = basic(b, n + ".branch3x3dbl_3", bd, conv(96, 3, 2));
  const Act bp = maxpool2d(b, n + ".max_pool", x, pool(3, 2));
  return concat(b, n + ".concat", {b3, bd, bp}, 1);
}

Act inception_c(GraphBuilder& b, const std::string& n, const Act& x, std::uint64_t c7) {
  const Act b1 = basic(b, n + ".branch1x1", x, conv(192, 1));
  Act b7 = basic(b, n + ".branch7x7_1", x, conv(c7, 1));
  b7 = basic(b, n + ".branch7x7_2", b7, k1x7(c7));
  b7 = basic(b, n + ".branch7x7_3", b7, k7x1(192));
  Act bd = basic(b, n + ".branch7x7dbl_1", x, conv(c7, 1));
  bd = basic(b, n + ".branch7x7dbl_2", bd, k7x1(c7));
  bd = basic(b, n + ".branch7x7dbl_3", bd, k1x7(c7));
  bd = basic(b, n + ".branch7x7dbl_4", bd, k7x1(c7));
  bd = basic(b, n + ".branch7x7dbl_5", bd, k1x7(192));
  const Act bp = pool_branch(b, n, x, 192);
  return concat(b, n + ".concat", {b1, b7, bd, bp}, 1);
}

Act inception_d(GraphBuilder& b, const std::string& n, const Act& x) {
  Act b3 = basic(b, n + ".branch3x3_1", x, conv(192, 1));
  b3 = basic(b, n + ".branch3x3_2", b3, conv(320, 3, 2));
  Act b7 = basic(b, n + ".branch7x7x3_1", x, conv(192, 1));
  b7 = basic(b, n + ".branch7x7x3_2", b7, k1x7(192));
  b7 = basic(b, n + ".branch7x7x3_3", b7, k7x1(192));
  b7 = basic(b, n + ".branch7x7x3_4", b7, conv(192, 3, 2));
  const Act bp = maxpool2d(b, n + ".max_pool", x, pool(3, 2));
  return concat(b, n + ".concat", {b3, b7, bp}, 1);
}

Act inception_e(GraphBuilder& b, const std::string& n, const Act& x) {
  const Act b1 = basic(b, n + ".branch1x1", x, conv(320, 1));
  const Act b3 = basic(b, n + ".branch3x3_1", x, conv(384, 1));
  const Act b3a = basic(b, n + ".branch3x3_2a", b3, k1x3(384));
  const Act b3b = basic(b, n + ".branch3x3_2b", b3, k3x1(384));
  const Act b3cat = concat(b, n + ".branch3x3_concat", {b3a, b3b}, 1);
  Act bd = basic(b, n + ".branch3x3dbl_1", x, conv(448, 1));
  bd = basic(b, n + ".branch3x3dbl_2", bd, conv(384, 3, 1, 1));
  const Act bda = basic(b, n + ".branch3x3dbl_3a", bd, k1x3(384));
  const Act bdb = basic(b, n + ".branch3x3dbl_3b", bd, k3x1(384));
  const Act bdcat = concat(b, n + ".branch3x3dbl_concat", {bda, bdb}, 1);
  const Act bp = pool_branch(b, n, x, 192);
  return concat(b, n + ".concat", {b1, b3cat, bdcat, bp}, 1);
}

Act inception_aux(GraphBuilder& b, const std::string& n, const Act& x) {
  Act a = avgpool2d(b, n + ".avg_pool", x, pool(5, 3));
  a = basic(b, n + ".conv0", a, conv(128, 1));
  a = basic(b, n + ".conv1", a, conv(768, 5));
  a = adaptive_avgpool2d(b, n + ".adaptive_avg_pool", a, 1, 1);
  const Act flat{a.id, {a.shape[0], a.shape[1]}};
  return linear(b, n + ".fc", flat, kClasses);
}

}  // namespace

Losses build_inception_v3(GraphBuilder& b, std::uint64_t batch) {
  const Act images = image_batch(b, batch, kImage);
  const TensorId y = labels(b, batch);
  Act x = basic(b, "Conv2d_1a_3x3", images, conv(32, 3, 2));
  x = basic(b, "Conv2d_2a_3x3", x, conv(32, 3));
  x = basic(b, "Conv2d_2b_3x3", x, conv(64, 3, 1, 1));
  x = maxpool2d(b, "maxpool1", x, pool(3, 2));
  x = basic(b, "Conv2d_3b_1x1", x, conv(80, 1));
  x = basic(b, "Conv2d_4a_3x3", x, conv(192, 3));
  x = maxpool2d(b, "maxpool2", x, pool(3, 2));
  x = inception_a(b, "Mixed_5b", x, 32);
  x = inception_a(b, "Mixed_5c", x, 64);
  x = inception_a(b, "Mixed_5d", x, 64);
  x = inception_b(b, "Mixed_6a", x);
  x = inception_c(b, "Mixed_6b", x, 128);
  x = inception_c(b, "Mixed_6c", x, 160);
  x = inception_c(b, "Mixed_6d", x, 160);
  x = inception_c(b, "Mixed_6e", x, 192);
  const Act aux = inception_aux(b, "AuxLogits", x);
  x = inception_d(b, "Mixed_7a", x);
  x = inception_e(b, "Mixed_7b", x);
  x = inception_e(b, "Mixed_7c", x);
  x = adaptive_avgpool2d(b, "avgpool", x, 1, 1);
  Act h{x.id, {batch, x.shape[1]}};  // flatten is a view
  h = dropout(b, "dropout", h, kDropout);
  const Act logits = linear(b, "fc", h, kClasses);
  // loss = CE(logits) + 0.4 * CE(aux); the weighted sum of two scalars is not modelled.
  const TensorId main_loss = cross_entropy(b, "loss", logits, y);
  const TensorId aux_loss = cross_entropy(b, "aux_loss", aux, y);
  return {main_loss, aux_loss};
}

}  // namespace strata::models
