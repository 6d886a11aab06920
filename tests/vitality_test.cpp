#include "strata/analysis/vitality.hpp"

#include <gtest/gtest.h>

#include <random>

namespace strata {
namespace {

// k0: w, x -> a   (10 ns)
// k1: a -> b      (20 ns, workspace 1000)
// k2: b -> c      (30 ns)
// k3: a, c -> g   (40 ns)     a idle during k2
// k4: w, g -> w   (50 ns)     w persistent: used at 0 and 4
Workload example() {
  Workload w;
  w.name = "example";
  w.tensors = {
      {0, "w", 100, TensorKind::weight, true},      {1, "x", 10, TensorKind::input, false},
      {2, "a", 200, TensorKind::activation, false}, {3, "b", 300, TensorKind::activation, false},
      {4, "c", 400, TensorKind::activation, false}, {5, "g", 500, TensorKind::gradient, false}};
  w.kernels = {{0, "k0", "op", Phase::forward, 10, 0, 0, {0, 1}, {2}, 0, {}, {}},
               {1, "k1", "op", Phase::forward, 20, 0, 0, {2}, {3}, 1000, {}, {}},
               {2, "k2", "op", Phase::forward, 30, 0, 0, {3}, {4}, 0, {}, {}},
               {3, "k3", "op", Phase::backward, 40, 0, 0, {2, 4}, {5}, 0, {}, {}},
               {4, "k4", "op", Phase::optimizer, 50, 0, 0, {0, 5}, {0}, 0, {}, {}}};
  return w;
}

TEST(Vitality, LiveBytesFollowTheDefinition) {
  const Vitality v = analyze_vitality(example());
  // persistent 100 everywhere; x at 0; a 0..3; b 1..2; c 2..3; g 3..4; workspace 1000 at 1.
  EXPECT_EQ(v.live_bytes,
            (std::vector<std::uint64_t>{100 + 10 + 200, 100 + 200 + 300 + 1000,
                                        100 + 200 + 300 + 400, 100 + 200 + 400 + 500, 100 + 500}));
  EXPECT_EQ(v.peak_live_bytes, 1600u);
  EXPECT_EQ(v.peak_kernel, 1u);
  EXPECT_EQ(v.persistent_bytes, 100u);
  EXPECT_EQ(v.ideal_ns, 150);
  EXPECT_EQ(v.start_ns, (std::vector<std::int64_t>{0, 10, 30, 60, 100}));
  EXPECT_EQ(v.live_bytes_by_kind[1][static_cast<int>(TensorKind::workspace)], 1000u);
  EXPECT_EQ(v.live_bytes_by_kind[1][static_cast<int>(TensorKind::activation)], 500u);
}

TEST(Vitality, InactivePeriodsIncludingTheWrap) {
  const Vitality v = analyze_vitality(example());
  const TensorVitality& a = v.tensors[2];
  EXPECT_EQ(a.uses, (std::vector<KernelId>{0, 1, 3}));
  ASSERT_EQ(a.inactive.size(), 1u);
  EXPECT_EQ(a.inactive[0], (InactivePeriod{1, 3, false, 60 - 30}));
  const TensorVitality& w = v.tensors[0];
  ASSERT_EQ(w.inactive.size(), 1u);
  EXPECT_EQ(w.inactive[0],
            (InactivePeriod{0, 4, false, 100 - 10}));  // between k0 and k4 (wrap is 0 ns)
  EXPECT_TRUE(v.tensors[3].inactive.empty());
}

TEST(Vitality, PersistentTensorIdleAcrossTheIterationBoundary) {
  Workload w = example();
  w.kernels[4].inputs = {5};
  w.kernels[4].outputs = {};
  w.kernels[1].inputs.push_back(0);  // w used only by k0 and k1
  const Vitality v = analyze_vitality(w);
  ASSERT_EQ(v.tensors[0].inactive.size(), 1u);
  EXPECT_EQ(v.tensors[0].inactive[0], (InactivePeriod{1, 0, true, 150 - 30 + 0}));
}

TEST(Vitality, PeakIsTheFirstMaximumAndMatchesBruteForceOnRandomWorkloads) {
  std::mt19937 rng(std::random_device{}());
  for (int trial = 0; trial < 50; ++trial) {
    Workload w;
    w.name = "random";
    const std::uint32_t tensors = 1 + rng() % 40, kernels = 1 + rng() % 30;
    for (std::uint32_t t = 0; t < tensors; ++t)
      w.tensors.push_back(
          {t, "t" + std::to_string(t), 1 + rng() % 1000, TensorKind::activation, rng() % 5 == 0});
    for (std::uint32_t k = 0; k < kernels; ++k) {
      Kernel kernel;
      kernel.id = k;
      kernel.name = "k" + std::to_string(k);
      kernel.duration_ns = rng() % 100;
      kernel.workspace_bytes = rng() % 3 == 0 ? rng() % 500 : 0;
      for (int i = 0; i < 3; ++i)
        (rng() % 2 ? kernel.inputs : kernel.outputs).push_back(rng() % tensors);
      w.kernels.push_back(kernel);
    }
    const Vitality v = analyze_vitality(w);
    std::uint64_t peak = 0;
    std::size_t peak_at = 0;
    for (std::uint32_t k = 0; k < kernels; ++k) {
      std::uint64_t live = w.kernels[k].workspace_bytes;
      for (std::uint32_t t = 0; t < tensors; ++t) {
        bool before = false, after = false, used = false;
        for (std::uint32_t j = 0; j < kernels; ++j) {
          bool uses = false;
          for (TensorId x : w.kernels[j].inputs) uses = uses || x == t;
          for (TensorId x : w.kernels[j].outputs) uses = uses || x == t;
          if (!uses) continue;
          used = true;
          before = before || j <= k;
          after = after || j >= k;
        }
        if (w.tensors[t].persistent ? used : (before && after)) live += w.tensors[t].bytes;
      }
      ASSERT_EQ(v.live_bytes[k], live) << "kernel " << k;
      if (live > peak) {
        peak = live;
        peak_at = k;
      }
    }
    EXPECT_EQ(v.peak_live_bytes, peak);
    EXPECT_EQ(v.peak_kernel, peak_at);
  }
}

}  // namespace
}  // namespace strata
