// The strata planner's repairs (src/plan/policies/strata_refine.hpp), applied to hand-built
// movements with known results.
#include "plan/policies/strata_refine.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "strata/analysis/vitality.hpp"

namespace strata::planner {
namespace {

DeviceView host_then_ssd() {
  DeviceView d;
  d.paths.push_back(LowerPath{TierKind::host, 1, 0, 1ULL << 40, {}, {}, 0, 0, 16.0});
  d.paths.push_back(LowerPath{TierKind::ssd, 2, 1, 1ULL << 42, {}, {}, 0, 0, 3.2});
  return d;
}

TEST(StrataRepair, TransferInsteadTurnsARecomputeIntoARoundTripOverTheFirstPath) {
  const DeviceView d = host_then_ssd();
  std::vector<Movement> moves = {recompute_movement(7, 4096, 3, 12, 11)};
  apply(moves, {RepairKind::transfer_instead, 0, 9, {}}, d);
  Movement expected;
  expected.tensor = 7;
  expected.bytes = 4096;
  expected.last_use = 3;
  expected.next_use = 12;
  expected.evict_after = 3;
  expected.prefetch = 9;
  expected.to = TierKind::host;
  EXPECT_EQ(moves[0], expected);
  // A movement that is a transfer already is left alone.
  const std::vector<Movement> before = moves;
  apply(moves, {RepairKind::transfer_instead, 0, 5, {}}, d);
  EXPECT_EQ(moves, before);
}

TEST(StrataRepair, OtherTierAndEarlierPrefetchLeaveARecomputeAlone) {
  const DeviceView d = host_then_ssd();
  std::vector<Movement> moves = {recompute_movement(2, 1 << 20, 1, 8, 8)};
  const std::vector<Movement> before = moves;
  apply(moves, {RepairKind::other_tier, 0, 0, {}}, d);
  apply(moves, {RepairKind::earlier_prefetch, 0, 4, {}}, d);
  EXPECT_EQ(moves, before);
}

// k0 writes A and B, k1-k4 (10 ms each) read only the weight s, k5 reads A and B: both are
// moved out after k0 and fetched back, B's fetch issued before k3, A's before k4.
struct TwoFetches {
  Workload w;
  Vitality v;
  std::vector<Movement> moves;
};

TwoFetches two_fetches() {
  TwoFetches c;
  c.w.name = "two-fetches";
  c.w.tensors = {Tensor{0, "A", 1 << 20, TensorKind::activation, false},
                 Tensor{1, "B", 1 << 20, TensorKind::activation, false},
                 Tensor{2, "s", 4096, TensorKind::weight, true}};
  for (KernelId k = 0; k < 6; ++k) {
    Kernel kernel;
    kernel.id = k;
    kernel.name = "k" + std::to_string(k);
    kernel.duration_ns = 10'000'000;
    kernel.inputs = {2};
    c.w.kernels.push_back(kernel);
  }
  c.w.kernels[0].outputs = {0, 1};
  c.w.kernels[5].inputs = {0, 1, 2};
  validate(c.w);
  c.v = analyze_vitality(c.w);
  for (const auto& [t, prefetch] : {std::pair<TensorId, std::size_t>{0, 4}, {1, 3}}) {
    Movement m;
    m.tensor = t;
    m.bytes = 1 << 20;
    m.last_use = 0;
    m.evict_after = 0;
    m.next_use = 5;
    m.prefetch = prefetch;
    c.moves.push_back(m);
  }
  return c;
}

TEST(StrataRepair, TheFetchThatSharedALatePrefetchsLinkMovesEarlierByTheOverlap) {
  const TwoFetches c = two_fetches();
  Stall st;
  st.kernel = 5;
  st.wait_ns = 2'000'000;
  st.cause = StallCause::late_prefetch;
  st.tensor = 0;
  st.sharing = {{1, 15'000'000}};  // B's fetch overlapped A's for 15 ms
  const auto groups = propose(c.w, c.v, host_then_ssd(), c.moves, {st}, StrataOptions{});
  ASSERT_GE(groups.size(), 2u);
  // A itself: 1.5 x the wait earlier, before k3 (starts at 30 ms <= 40 - 3 ms).
  ASSERT_EQ(groups[0].size(), 1u);
  EXPECT_EQ(groups[0][0].kind, RepairKind::earlier_prefetch);
  EXPECT_EQ(groups[0][0].move, 0u);
  EXPECT_EQ(groups[0][0].slot, 3u);
  // B: 15 ms before k3 (30 ms) is 15 ms, so before k1 (10 ms).
  ASSERT_EQ(groups[1].size(), 1u);
  EXPECT_EQ(groups[1][0].kind, RepairKind::earlier_prefetch);
  EXPECT_EQ(groups[1][0].move, 1u);
  EXPECT_EQ(groups[1][0].slot, 1u);
  // A sharing fetch that no movement of the plan issued (a demand fetch) has nothing to move.
  std::vector<Movement> only_a = {c.moves[0]};
  const auto alone = propose(c.w, c.v, host_then_ssd(), only_a, {st}, StrataOptions{});
  ASSERT_GE(alone.size(), 2u);
  EXPECT_TRUE(alone[1].empty());
}

}  // namespace
}  // namespace strata::planner
