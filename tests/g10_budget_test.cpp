// The g10 planner's transfer budgets (src/plan/policies/g10_budget.hpp), on numbers small enough
// to check by hand: the shared-port bookkeeping and G10's own arithmetic
// (G10Options::g10_bookkeeping), which differ once host traffic fills the port.
#include "plan/policies/g10_budget.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace strata::g10 {
namespace {

// Two kernels of 10 ns; host 10 B/ns (100 B per kernel), SSD 2 B/ns (20 B), a shared port of
// 10 B/ns: G10's arrangement, where the host link is the PCIe port.
const std::vector<std::int64_t> kDurations = {10, 10};

TEST(G10Budget, SharedPortTakesEachByteOnceFromThePort) {
  TransferBudget b(kDurations, 10, 2, 10, Bookkeeping::shared_port);
  b.book(Path::host, 90, 0);
  EXPECT_DOUBLE_EQ(b.available(Path::host, 0), 10);
  EXPECT_DOUBLE_EQ(b.available(Path::ssd, 0), 10);  // the port's 10 left, under the SSD's 20
  b.book(Path::ssd, 15, 0);                         // 10 fit in kernel 0, 5 spill to kernel 1
  EXPECT_DOUBLE_EQ(b.available(Path::ssd, 0), 0);
  EXPECT_DOUBLE_EQ(b.available(Path::host, 1), 95);
  EXPECT_DOUBLE_EQ(b.available(Path::ssd, 1), 15);
  EXPECT_EQ(b.finish_forward(Path::ssd, 10, 0), 1u);
  EXPECT_TRUE(b.any_room(Path::ssd, 0, 2));
  EXPECT_FALSE(b.any_room(Path::ssd, 0, 1));
}

TEST(G10Budget, G10sArithmeticCountsAHostBookingsExcessOnTheSsdEachTime) {
  TransferBudget b(kDurations, 10, 2, 10, Bookkeeping::g10);
  // 85 B on the host: 15 left on it, under the SSD's 20, so the SSD's budget takes the excess
  // over 100 - 20 = 80: 5.
  b.book(Path::host, 85, 0);
  EXPECT_DOUBLE_EQ(b.available(Path::host, 0), 15);
  EXPECT_DOUBLE_EQ(b.available(Path::ssd, 0), 15);
  // 5 more: the excess is now 10, and G10 adds all of it again: 5 + 10 = 15 used.
  b.book(Path::host, 5, 0);
  EXPECT_DOUBLE_EQ(b.available(Path::host, 0), 10);
  EXPECT_DOUBLE_EQ(b.available(Path::ssd, 0), 5);
  // An SSD booking uses the host path's budget too, and only the SSD's own budget limits it:
  // 5 of 8 fit, which marks the SSD full and leaves the host path 5.
  b.book(Path::ssd, 8, 0);
  EXPECT_DOUBLE_EQ(b.available(Path::ssd, 0), 0);
  EXPECT_DOUBLE_EQ(b.available(Path::host, 0), 5);
  EXPECT_FALSE(b.any_room(Path::ssd, 0, 1));
  // The other 3 go to kernel 1, on both paths.
  EXPECT_DOUBLE_EQ(b.available(Path::ssd, 1), 17);
  EXPECT_DOUBLE_EQ(b.available(Path::host, 1), 97);
  // A host booking past the host budget fills both paths of the kernel.
  b.book(Path::host, 200, 1);
  EXPECT_FALSE(b.any_room(Path::host, 1, 2));
  EXPECT_FALSE(b.any_room(Path::ssd, 1, 2));
  EXPECT_TRUE(b.any_room(Path::host, 0, 2));
}

}  // namespace
}  // namespace strata::g10
