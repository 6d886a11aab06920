// The strata planner's diagnosis of a simulated iteration (src/plan/policies/strata_diagnose.hpp):
// what each late kernel waited for, read from hand-built timelines with known answers.
#include "plan/policies/strata_diagnose.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "strata/sim/report.hpp"
#include "strata/workload/workload.hpp"

namespace strata::planner {
namespace {

constexpr std::int64_t kMs = 1'000'000;

// k0 and k1 (10 ms each) then k2, which reads A; B and C are read by nobody here.
Workload three_kernels() {
  Workload w;
  w.name = "three-kernels";
  for (TensorId t = 0; t < 4; ++t)
    w.tensors.push_back(Tensor{t, std::string(1, static_cast<char>('A' + t)), 1 << 20,
                               TensorKind::activation, false});
  for (KernelId k = 0; k < 3; ++k) {
    Kernel kernel;
    kernel.id = k;
    kernel.name = "k" + std::to_string(k);
    kernel.duration_ns = 10 * kMs;
    w.kernels.push_back(kernel);
  }
  w.kernels[2].inputs = {0};
  return w;
}

// Track 0 computes; tracks 1 and 2 are the two directions of one link.
sim::Report timeline(std::vector<sim::TimelineSpan> transfers, std::int64_t k2_start_ns) {
  sim::Report r;
  r.workload = "three-kernels";
  r.timeline.tracks = {"gpu0 compute", "link -> host", "link -> gpu0"};
  r.timeline.spans = {{0, "k0", 0, 10 * kMs}, {0, "k1", 10 * kMs, 10 * kMs}};
  r.timeline.spans.push_back({0, "k2", k2_start_ns, 10 * kMs});
  for (sim::TimelineSpan& s : transfers) r.timeline.spans.push_back(std::move(s));
  return r;
}

TEST(StrataDiagnose, LateFetchNamesTheFetchesThatSharedItsLinkLongestFirst) {
  const Workload w = three_kernels();
  // A arrives at 25 ms, k2 waits 5 ms for it. B's fetch overlapped A's for 10 ms and C's for
  // 2 ms on the same track; D's on the other direction and E's after A's do not share with it.
  const sim::Report r = timeline({{2, "fetch A", 15 * kMs, 10 * kMs},
                                  {2, "fetch C", 5 * kMs, 12 * kMs},
                                  {2, "fetch B", 0, 30 * kMs},
                                  {1, "evict -> host D", 15 * kMs, 10 * kMs},
                                  {2, "fetch D", 25 * kMs, 5 * kMs}},
                                 25 * kMs);
  const std::vector<Stall> stalls = diagnose(w, r);
  ASSERT_EQ(stalls.size(), 1u);
  EXPECT_EQ(stalls[0].kernel, 2u);
  EXPECT_EQ(stalls[0].wait_ns, 5 * kMs);
  EXPECT_EQ(stalls[0].cause, StallCause::late_prefetch);
  EXPECT_EQ(stalls[0].tensor, 0u);
  const std::vector<std::pair<TensorId, std::int64_t>> sharing = {{1, 10 * kMs}, {2, 2 * kMs}};
  EXPECT_EQ(stalls[0].sharing, sharing);
}

TEST(StrataDiagnose, LateFetchAloneOnItsLinkSharesWithNobody) {
  const Workload w = three_kernels();
  const sim::Report r = timeline({{2, "fetch A", 12 * kMs, 10 * kMs}}, 22 * kMs);
  const std::vector<Stall> stalls = diagnose(w, r);
  ASSERT_EQ(stalls.size(), 1u);
  EXPECT_EQ(stalls[0].cause, StallCause::late_prefetch);
  EXPECT_EQ(stalls[0].wait_ns, 2 * kMs);
  EXPECT_TRUE(stalls[0].sharing.empty());
}

TEST(StrataDiagnose, KernelOnTimeIsNoStall) {
  const Workload w = three_kernels();
  const sim::Report r = timeline({{2, "fetch A", 0, 15 * kMs}}, 20 * kMs);
  EXPECT_TRUE(diagnose(w, r).empty());
}

}  // namespace
}  // namespace strata::planner
