#include "strata/workload/workload.hpp"

#include <gtest/gtest.h>

#include "strata/core/error.hpp"

namespace strata {
namespace {

Workload two_kernels() {
  Workload w;
  w.name = "tiny";
  w.tensors = {{0, "w", 64, TensorKind::weight, true},
               {1, "x", 128, TensorKind::activation, false}};
  w.kernels = {{0, "k0", "matmul", Phase::forward, 10, 0, 0, {0}, {1}, 0, {}},
               {1, "k1", "relu", Phase::forward, 5, 0, 0, {1}, {}, 0, {}}};
  return w;
}

TEST(Workload, ValidWorkloadPasses) { EXPECT_NO_THROW(validate(two_kernels())); }

TEST(Workload, MissingTensorIsNamed) {
  Workload w = two_kernels();
  w.kernels[1].inputs.push_back(7);
  try {
    validate(w);
    FAIL() << "expected InvalidInput";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("kernel 1 (k1)"), std::string::npos) << e.what();
  }
}

TEST(Workload, ProducersAndIdeal) {
  Workload w = two_kernels();
  EXPECT_EQ(producers(w), (std::vector<KernelId>{kNoKernel, 0}));
  EXPECT_EQ(ideal_ns(w), 15);
}

}  // namespace
}  // namespace strata
