// The strata planner's repairs (src/plan/policies/strata_refine.hpp), applied to hand-built
// movements with known results.
#include "plan/policies/strata_refine.hpp"

#include <gtest/gtest.h>

#include <vector>

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

}  // namespace
}  // namespace strata::planner
