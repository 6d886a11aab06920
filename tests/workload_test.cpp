#include "strata/workload/workload.hpp"

#include <gtest/gtest.h>

#include "strata/core/error.hpp"
#include "strata/workload/scale.hpp"
#include "support/workload_builder.hpp"

namespace strata {
namespace {

Workload two_kernels() {
  Workload w;
  w.name = "tiny";
  w.tensors = {{0, "w", 64, TensorKind::weight, true},
               {1, "x", 128, TensorKind::activation, false}};
  w.kernels = {{0, "k0", "matmul", Phase::forward, 10, 0, 0, {0}, {1}, 0, {}, {}},
               {1, "k1", "relu", Phase::forward, 5, 0, 0, {1}, {}, 0, {}, {}}};
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

TEST(Workload, AStateUpdateIsReadAndWrittenInPlace) {
  Workload w = two_kernels();
  w.kernels[0].outputs.push_back(0);  // k0 reads w and updates it in place
  w.kernels[0].state_updates = {0};
  EXPECT_NO_THROW(validate(w));
  EXPECT_EQ(recompute_inputs(w.kernels[0]), std::vector<TensorId>{});
  EXPECT_EQ(recompute_inputs(w.kernels[1]), std::vector<TensorId>{1});
  w.kernels[1].state_updates = {1};  // k1 reads x but does not write it
  try {
    validate(w);
    FAIL() << "expected InvalidInput";
  } catch (const InvalidInput& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("kernel 1 (k1)"), std::string::npos) << what;
    EXPECT_NE(what.find("'x'"), std::string::npos) << what;
    EXPECT_NE(what.find("not among both its inputs and its outputs"), std::string::npos) << what;
  }
}

TEST(Workload, ProducersAndIdeal) {
  Workload w = two_kernels();
  EXPECT_EQ(producers(w), (std::vector<KernelId>{kNoKernel, 0}));
  EXPECT_EQ(ideal_ns(w), 15);
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

TEST(ScaleWorkload, DividesSizesUpAndTimesToNearest) {
  test::WorkloadBuilder b;
  const TensorId w = b.tensor(4096, true);
  const TensorId a = b.tensor(4097);
  b.kernel(1'000, {w}, {a}, 100);
  b.kernel(15, {a}, {});
  const Workload in = b.done();
  const Workload out = scale_workload(in, 4);
  EXPECT_EQ(out.tensors[0].bytes, 1024u);
  EXPECT_EQ(out.tensors[1].bytes, 1025u);  // rounded up
  EXPECT_EQ(out.kernels[0].duration_ns, 250);
  EXPECT_EQ(out.kernels[1].duration_ns, 4);  // 3.75 to the nearest
  EXPECT_EQ(out.kernels[0].workspace_bytes, 25u);
  EXPECT_EQ(out.name, "hand-built /4");
  const Workload slower = scale_workload(in, 4, 2);
  EXPECT_EQ(slower.tensors[1].bytes, 1025u);
  EXPECT_EQ(slower.kernels[0].duration_ns, 500);
  EXPECT_EQ(slower.name, "hand-built /4 time /2");
  EXPECT_EQ(scale_workload(in, 1), in);
  EXPECT_THROW(scale_workload(in, 0), InvalidInput);
}

}  // namespace
}  // namespace strata
