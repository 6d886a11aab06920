#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "strata/core/error.hpp"
#include "strata/sim/event_queue.hpp"
#include "strata/sim/transfers.hpp"

namespace strata::sim {
namespace {

constexpr double kGBps = 1e9;  // 1 GB/s = 1 byte per ns

Route route(std::vector<ResourceId> rs, TimeNs latency_ns = 0) {
  return Route{std::move(rs), latency_ns};
}

TimeNs finish_of(const std::vector<Completion>& done, TransferId id) {
  for (const Completion& c : done)
    if (c.id == id) return c.finish_ns;
  ADD_FAILURE() << "transfer not completed";
  return -1;
}

// The simulator pattern: one pending event for the engine, re-scheduled after every change.
struct Driver {
  EventQueue queue;
  TransferEngine engine;
  EventId pending;
  std::vector<Completion> done;

  explicit Driver(std::vector<Resource> rs) : engine(std::move(rs)) {}
  void reschedule() {
    queue.cancel(pending);
    const TimeNs t = engine.next_event_ns();
    pending = t == kNeverNs ? EventId{} : queue.schedule(t, Event{1, 0, 0});
  }
  template <class OnDone>
  void run(OnDone&& on_done) {
    reschedule();
    queue.run([&](const FiredEvent& e) {
      ASSERT_EQ(e.event.kind, 1u);
      pending = {};
      for (const Completion& c : engine.advance(e.time_ns)) {
        done.push_back(c);
        on_done(c);
      }
      reschedule();
    });
    queue.expect_drained();
    engine.check_invariants(/*expect_idle=*/true);
  }
};

TEST(SimTransfers, OneLinkTwoSequentialTransfersExactTimes) {
  // 1 GB/s, 5 us latency: 1e9 bytes take 5'000 + 1'000'000'000 ns.
  Driver d({{"link", 1 * kGBps}});
  const Route r = route({0}, 5000);
  const TransferId a = d.engine.start(r, 1'000'000'000, 0);
  TransferId b;
  d.run([&](const Completion& c) {
    if (c.id == a) {
      b = d.engine.start(r, 250'000'000, c.finish_ns);
      d.reschedule();
    }
  });
  ASSERT_EQ(d.done.size(), 2u);
  EXPECT_EQ(d.done[0].finish_ns, 1'000'005'000);
  EXPECT_EQ(d.done[1].id, b);
  EXPECT_EQ(d.done[1].start_ns, 1'000'005'000);
  EXPECT_EQ(d.done[1].finish_ns, 1'000'005'000 + 5'000 + 250'000'000);
  // Busy only while bytes flow, not during the latencies.
  EXPECT_EQ(d.engine.stats(0).busy_ns, 1'250'000'000);
  EXPECT_EQ(d.engine.stats(0).bytes_moved, 1'250'000'000u);
}

TEST(SimTransfers, FairSharingAmongEqualTransfers) {
  for (int n : {1, 2, 4}) {
    SCOPED_TRACE(n);
    TransferEngine e({{"bus", 4 * kGBps}});
    std::vector<TransferId> ids;
    for (int i = 0; i < n; ++i) ids.push_back(e.start(route({0}), 1'000'000'000, 0));
    e.advance(0);  // the latency-free starts begin flowing at 0
    for (TransferId id : ids) {
      EXPECT_DOUBLE_EQ(e.info(id).bytes_per_s, 4 * kGBps / n);
      EXPECT_EQ(e.info(id).finish_ns, n * 250'000'000);
    }
    const std::vector<Completion> done = e.run_to_completion();
    ASSERT_EQ(done.size(), static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      EXPECT_EQ(done[i].id, ids[i]);  // simultaneous completions in start order
      EXPECT_EQ(done[i].finish_ns, n * 250'000'000);
    }
    EXPECT_EQ(e.stats(0).busy_ns, n * 250'000'000);
    e.check_invariants(true);
  }
}

TEST(SimTransfers, ThreeWaySplitIsStillExact) {
  // 1e9 / 3 is not a double exactly; completion must still be 3e9 ns, not 3e9 + 1.
  TransferEngine e({{"bus", 1 * kGBps}});
  for (int i = 0; i < 3; ++i) e.start(route({0}), 1'000'000'000, 0);
  for (const Completion& c : e.run_to_completion()) EXPECT_EQ(c.finish_ns, 3'000'000'000);
}

TEST(SimTransfers, FractionalNanosecondsRoundUp) {
  TransferEngine e({{"fast", 3 * kGBps}});  // 3 bytes per ns
  const TransferId one = e.start(route({0}), 1, 0);
  const TransferId four = e.start(route({0}, 10), 4, 0);
  const std::vector<Completion> done = e.run_to_completion();
  EXPECT_EQ(finish_of(done, one), 1);        // 1/3 ns -> 1
  EXPECT_EQ(finish_of(done, four), 10 + 2);  // 4/3 ns -> 2, after 10 ns latency
}

TEST(SimTransfers, UnequalTransfersShortFinishesFirstThenLongSpeedsUp) {
  TransferEngine e({{"bus", 1 * kGBps}});
  const TransferId small = e.start(route({0}), 1'000'000'000, 0);
  const TransferId large = e.start(route({0}), 3'000'000'000, 0);
  const std::vector<Completion> done = e.run_to_completion();
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0].id, small);
  // Both at 0.5 GB/s until small is done at 2 s; large has 2e9 left at 1 GB/s.
  EXPECT_EQ(done[0].finish_ns, 2'000'000'000);
  EXPECT_EQ(done[1].id, large);
  EXPECT_EQ(done[1].finish_ns, 4'000'000'000);
}

TEST(SimTransfers, MaxMinWithTwoResources) {
  // Resource 0: a 10 GB/s bus; resource 1: a 2 GB/s link. T1 crosses both and is limited to
  // 2 GB/s by the link; T2 and T3 cross only the bus and share the remaining 8 GB/s.
  TransferEngine e({{"bus", 10 * kGBps}, {"slow link", 2 * kGBps}});
  const TransferId t1 = e.start(route({0, 1}), 2'000'000'000, 0);
  const TransferId t2 = e.start(route({0}), 4'000'000'000, 0);
  const TransferId t3 = e.start(route({0}), 12'000'000'000, 0);
  e.advance(0);
  EXPECT_DOUBLE_EQ(e.info(t1).bytes_per_s, 2 * kGBps);
  EXPECT_DOUBLE_EQ(e.info(t2).bytes_per_s, 4 * kGBps);
  EXPECT_DOUBLE_EQ(e.info(t3).bytes_per_s, 4 * kGBps);
  const std::vector<Completion> done = e.run_to_completion();
  EXPECT_EQ(finish_of(done, t1), 1'000'000'000);
  EXPECT_EQ(finish_of(done, t2), 1'000'000'000);
  // T3 moved 4e9 by 1 s, then has the bus alone: 8e9 at 10 GB/s = 0.8 s.
  EXPECT_EQ(finish_of(done, t3), 1'800'000'000);
  EXPECT_EQ(e.stats(0).bytes_moved, 18'000'000'000u);
  EXPECT_EQ(e.stats(1).bytes_moved, 2'000'000'000u);
  EXPECT_EQ(e.stats(0).busy_ns, 1'800'000'000);
  EXPECT_EQ(e.stats(1).busy_ns, 1'000'000'000);
}

TEST(SimTransfers, ALaterClassWaitsWhileAnEarlierOneSaturatesTheResource) {
  TransferEngine e({{"bus", 1 * kGBps}});
  const TransferId later = e.start(route({0}), 1'000'000'000, 0, /*cls=*/1);
  const TransferId first = e.start(route({0}), 1'000'000'000, 0, /*cls=*/0);
  e.advance(0);
  EXPECT_DOUBLE_EQ(e.info(first).bytes_per_s, 1 * kGBps);
  EXPECT_DOUBLE_EQ(e.info(later).bytes_per_s, 0);
  const std::vector<Completion> done = e.run_to_completion();
  EXPECT_EQ(finish_of(done, first), 1'000'000'000);
  EXPECT_EQ(finish_of(done, later), 2'000'000'000);
}

TEST(SimTransfers, ALaterClassGetsWhatTheEarlierOneLeaves) {
  // First (class 0) crosses the 2 GB/s link only. Of class 1, `both` crosses the bus and the
  // link (nothing left on the link: 0) and `bus` the 10 GB/s bus alone (all of it). Once
  // `first` is done at 1 s, class 1 shares max-min: `both` 2 GB/s, `bus` the other 8.
  TransferEngine e({{"bus", 10 * kGBps}, {"link", 2 * kGBps}});
  const TransferId first = e.start(route({1}), 2'000'000'000, 0, 0);
  const TransferId both = e.start(route({0, 1}), 2'000'000'000, 0, 1);
  const TransferId bus = e.start(route({0}), 18'000'000'000, 0, 1);
  e.advance(0);
  EXPECT_DOUBLE_EQ(e.info(first).bytes_per_s, 2 * kGBps);
  EXPECT_DOUBLE_EQ(e.info(both).bytes_per_s, 0);
  EXPECT_DOUBLE_EQ(e.info(bus).bytes_per_s, 10 * kGBps);
  const std::vector<Completion> done = e.run_to_completion();
  EXPECT_EQ(finish_of(done, first), 1'000'000'000);
  EXPECT_EQ(finish_of(done, both), 2'000'000'000);
  // bus: 10e9 by 1 s, 8e9 in the next second, then done: 18e9 at 2 s.
  EXPECT_EQ(finish_of(done, bus), 2'000'000'000);
}

TEST(SimTransfers, AnEarlierClassStartingTakesTheBandwidthAtOnce) {
  // A class-1 transfer has the bus alone for 0.5 s (0.5e9 moved); a class-0 one arrives and
  // takes it all for 1 s; the first moves its last 0.5e9 after that.
  Driver d({{"bus", 1 * kGBps}});
  const TransferId a = d.engine.start(route({0}), 1'000'000'000, 0, 1);
  TransferId b;
  d.queue.schedule(500'000'000, Event{2, 0, 0});
  d.reschedule();
  d.queue.run([&](const FiredEvent& e) {
    if (e.event.kind == 2) {
      b = d.engine.start(route({0}), 1'000'000'000, e.time_ns, 0);
    } else {
      d.pending = {};
      for (const Completion& c : d.engine.advance(e.time_ns)) d.done.push_back(c);
    }
    d.reschedule();
  });
  EXPECT_EQ(finish_of(d.done, b), 1'500'000'000);
  EXPECT_EQ(finish_of(d.done, a), 2'000'000'000);
  d.engine.check_invariants(/*expect_idle=*/true);
}

TEST(SimTransfers, InOrderTransfersOfAQueueGoOneAfterAnother) {
  TransferEngine e({{"bus", 1 * kGBps}});
  const TransferId a = e.start(route({0}), 1'000'000'000, 0, 0, /*in_order=*/true);
  const TransferId b = e.start(route({0}), 1'000'000'000, 0, 0, /*in_order=*/true);
  e.advance(0);
  EXPECT_DOUBLE_EQ(e.info(a).bytes_per_s, 1 * kGBps);
  EXPECT_DOUBLE_EQ(e.info(b).bytes_per_s, 0);
  const std::vector<Completion> done = e.run_to_completion();
  EXPECT_EQ(finish_of(done, a), 1'000'000'000);
  EXPECT_EQ(finish_of(done, b), 2'000'000'000);
}

TEST(SimTransfers, TheHeadsOfTwoQueuesShareMaxMinThenTheirFollowersAndTheFairOnesGetTheRest) {
  // Queue A starts at link A (2 GB/s), queue B at link B (10 GB/s); both cross the 10 GB/s bus.
  // The heads share max-min: A1 its link's 2, B1 the bus's other 8. A2 and B2, second in their
  // queues, find their link or the bus full: 0. A fair transfer on link B alone gets link B's
  // remaining 2.
  TransferEngine e({{"link A", 2 * kGBps}, {"link B", 10 * kGBps}, {"bus", 10 * kGBps}});
  const TransferId a1 = e.start(route({0, 2}), 2'000'000'000, 0, 0, true);
  const TransferId b1 = e.start(route({1, 2}), 8'000'000'000, 0, 0, true);
  const TransferId a2 = e.start(route({0, 2}), 1'000'000'000, 0, 0, true);
  const TransferId b2 = e.start(route({1, 2}), 1'000'000'000, 0, 0, true);
  const TransferId fair = e.start(route({1}), 2'000'000'000, 0, 0, false);
  e.advance(0);
  EXPECT_DOUBLE_EQ(e.info(a1).bytes_per_s, 2 * kGBps);
  EXPECT_DOUBLE_EQ(e.info(b1).bytes_per_s, 8 * kGBps);
  EXPECT_DOUBLE_EQ(e.info(a2).bytes_per_s, 0);
  EXPECT_DOUBLE_EQ(e.info(b2).bytes_per_s, 0);
  EXPECT_DOUBLE_EQ(e.info(fair).bytes_per_s, 2 * kGBps);
  const std::vector<Completion> done = e.run_to_completion();
  // All of a1, b1 and fair finish at 1 s; then a2 (2 GB/s) and b2 (the bus's other 8) run as
  // heads: b2 at 1.125 s; a2 has link A to itself until 1.5 s.
  EXPECT_EQ(finish_of(done, a1), 1'000'000'000);
  EXPECT_EQ(finish_of(done, b1), 1'000'000'000);
  EXPECT_EQ(finish_of(done, fair), 1'000'000'000);
  EXPECT_EQ(finish_of(done, b2), 1'125'000'000);
  EXPECT_EQ(finish_of(done, a2), 1'500'000'000);
}

TEST(SimTransfers, LatencyPhaseUsesNoBandwidth) {
  TransferEngine e({{"bus", 1 * kGBps}});
  const TransferId a = e.start(route({0}), 1'000'000'000, 0);
  const TransferId b = e.start(route({0}, 500'000'000), 500'000'000, 0);
  e.advance(1);
  EXPECT_EQ(e.info(b).state, TransferInfo::State::waiting);
  EXPECT_DOUBLE_EQ(e.info(a).bytes_per_s, 1 * kGBps);
  // A alone for 0.5 s (0.5e9 moved), then both at 0.5 GB/s: each needs 1 s more.
  const std::vector<Completion> done = e.run_to_completion();
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0].id, a);
  EXPECT_EQ(done[1].id, b);
  EXPECT_EQ(done[0].finish_ns, 1'500'000'000);
  EXPECT_EQ(done[1].finish_ns, 1'500'000'000);
}

TEST(SimTransfers, ZeroByteTransferFinishesAfterItsLatency) {
  TransferEngine e({{"bus", 1 * kGBps}});
  const TransferId z = e.start(route({0}, 700), 0, 100);
  EXPECT_EQ(e.next_event_ns(), 800);
  const std::vector<Completion> done = e.advance(800);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].id, z);
  EXPECT_EQ(done[0].finish_ns, 800);
  EXPECT_EQ(e.stats(0).busy_ns, 0);
  e.check_invariants(true);
}

TEST(SimTransfers, CancelFreesBandwidthAndCreditsMovedBytes) {
  TransferEngine e({{"bus", 1 * kGBps}});
  const TransferId a = e.start(route({0}), 1'000'000'000, 0);
  const TransferId b = e.start(route({0}), 1'000'000'000, 0);
  EXPECT_TRUE(e.advance(500'000'000).empty());
  EXPECT_DOUBLE_EQ(e.info(b).remaining_bytes, 750'000'000);
  EXPECT_TRUE(e.cancel(b, 500'000'000));
  EXPECT_FALSE(e.cancel(b, 500'000'000));
  EXPECT_EQ(e.info(b).state, TransferInfo::State::unknown);
  // A has 7.5e8 left and now the whole bus.
  EXPECT_EQ(e.info(a).finish_ns, 1'250'000'000);
  const std::vector<Completion> done = e.run_to_completion();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].finish_ns, 1'250'000'000);
  EXPECT_FALSE(e.cancel(a, 1'250'000'000));
  EXPECT_EQ(e.stats(0).bytes_moved, 1'250'000'000u);
  EXPECT_EQ(e.totals().bytes_cancelled_moved, 250'000'000u);
  EXPECT_EQ(e.totals().bytes_cancelled_unmoved, 750'000'000u);
  EXPECT_EQ(e.totals().transfers_cancelled, 1u);
  e.check_invariants(true);
}

TEST(SimTransfers, CancelAtTheFinishTimeIsTooLate) {
  TransferEngine e({{"bus", 1 * kGBps}});
  const TransferId a = e.start(route({0}), 1'000'000'000, 0);
  const TransferId b = e.start(route({0}, 2'000'000'000), 1, 0);
  EXPECT_FALSE(e.cancel(a, 1'000'000'000));  // finishing now: advance() reports it
  EXPECT_EQ(e.next_event_ns(), 1'000'000'000);
  const std::vector<Completion> done = e.advance(1'000'000'000);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].id, a);
  EXPECT_TRUE(e.cancel(b, 1'000'000'000));
  e.check_invariants(true);
}

TEST(SimTransfers, CancelWhileWaitingMovesNothing) {
  TransferEngine e({{"bus", 1 * kGBps}});
  const TransferId a = e.start(route({0}, 1000), 5000, 0);
  EXPECT_TRUE(e.cancel(a, 10));
  EXPECT_EQ(e.next_event_ns(), kNeverNs);
  EXPECT_EQ(e.totals().bytes_cancelled_unmoved, 5000u);
  e.check_invariants(true);
}

TEST(SimTransfers, BadInputAndTimeTravel) {
  EXPECT_THROW(TransferEngine({{"dead", 0}}), InvalidInput);
  EXPECT_THROW(TransferEngine({{"nan", std::nan("")}}), InvalidInput);
  TransferEngine e({{"bus", 1 * kGBps}});
  EXPECT_THROW(e.start(route({}), 1, 0), InvalidInput);
  EXPECT_THROW(e.start(route({1}), 1, 0), InvalidInput);
  EXPECT_THROW(e.start(route({0}, -1), 1, 0), InvalidInput);
  e.advance(100);
  EXPECT_THROW(e.start(route({0}), 1, 99), InternalError);
  EXPECT_THROW(e.stats(7), InvalidInput);
}

// A machine with one GPU, host memory and an SSD; the GPU-host link crosses a "pcie" bus whose
// duplex is the parameter. Tiers are fast so the link and bus are the bottlenecks.
Machine small_machine(bool pcie_full_duplex) {
  Machine m;
  m.name = "small";
  m.tiers = {
      {"hbm", TierKind::device, 1ULL << 34, 1000 * kGBps, 1000 * kGBps, 0, 0, 1},
      {"host", TierKind::host, 1ULL << 36, 100 * kGBps, 100 * kGBps, 0, 0, 1},
      {"ssd", TierKind::ssd, 1ULL << 40, 4 * kGBps, 2 * kGBps, 10'000, 20'000, 1},
  };
  m.gpus = {Gpu{"gpu0", {}, 0, 0, 0}};
  m.gpus[0].compute.fp32_flops_per_s = 1e13;
  m.buses = {{"pcie", 16 * kGBps, pcie_full_duplex}};
  m.links = {
      {"hbm<->host", 0, 1, 16 * kGBps, 1'000, {0}, false},
      {"host<->ssd", 1, 2, 8 * kGBps, 0, {}, false},
  };
  return m;
}

TEST(SimTransfers, MachineResourceLayoutAndRoutes) {
  const Machine m = small_machine(true);
  const std::vector<Resource> rs = machine_resources(m);
  // 2 links x 2 directions, 1 full-duplex bus x 2, 3 tiers x (read, write).
  ASSERT_EQ(rs.size(), 4u + 2u + 6u);
  EXPECT_EQ(rs[0].name, "hbm<->host fwd");
  EXPECT_EQ(rs[5].name, "pcie rev");
  EXPECT_EQ(rs[10].name, "ssd read");
  const Route evict = route_for(m, 0, 0);
  EXPECT_EQ(evict.resources, (std::vector<ResourceId>{0, 4, 6, 9}));
  EXPECT_EQ(evict.latency_ns, 1'000);
  const Route fetch = route_for(m, 0, 1);
  EXPECT_EQ(fetch.resources, (std::vector<ResourceId>{1, 5, 8, 7}));
  const Route to_ssd = route_for(m, 1, 1);
  EXPECT_EQ(to_ssd.latency_ns, 20'000);  // the SSD's write latency
  EXPECT_THROW(route_for(m, 5, 0), InvalidInput);
  EXPECT_THROW(route_for(m, 1, 0), InvalidInput);
  EXPECT_EQ(machine_resources(small_machine(false)).size(), 4u + 1u + 6u);
}

TEST(SimTransfers, SingleTransferMatchesUncontendedEstimate) {
  const Machine m = small_machine(true);
  for (LinkId l = 0; l < m.links.size(); ++l)
    for (TierId src : {m.links[l].from, m.links[l].to}) {
      SCOPED_TRACE(m.links[l].name + " from " + m.tiers[src].name);
      TransferEngine e(machine_resources(m));
      e.start(route_for(m, l, src), 3'000'000'017, 0);
      const std::vector<Completion> done = e.run_to_completion();
      ASSERT_EQ(done.size(), 1u);
      EXPECT_EQ(done[0].finish_ns, uncontended_transfer_ns(m, l, src, 3'000'000'017));
    }
}

TEST(SimTransfers, FullDuplexDirectionsDoNotShareHalfDuplexDo) {
  for (bool full : {true, false}) {
    SCOPED_TRACE(full ? "full duplex" : "half duplex");
    const Machine m = small_machine(full);
    TransferEngine e(machine_resources(m));
    const TransferId evict = e.start(route_for(m, 0, 0), 16'000'000'000, 0);
    const TransferId fetch = e.start(route_for(m, 0, 1), 16'000'000'000, 0);
    const std::vector<Completion> done = e.run_to_completion();
    const TimeNs expect = 1'000 + (full ? 1'000'000'000 : 2'000'000'000);
    EXPECT_EQ(finish_of(done, evict), expect);
    EXPECT_EQ(finish_of(done, fetch), expect);
  }
  // Same direction always shares.
  const Machine m = small_machine(true);
  TransferEngine e(machine_resources(m));
  e.start(route_for(m, 0, 0), 16'000'000'000, 0);
  e.start(route_for(m, 0, 0), 16'000'000'000, 0);
  for (const Completion& c : e.run_to_completion()) EXPECT_EQ(c.finish_ns, 2'000'001'000);
}

TEST(SimTransfers, SsdReadFasterThanWrite) {
  const Machine m = small_machine(true);
  TransferEngine e(machine_resources(m));
  // host -> ssd is limited by the SSD's 2 GB/s write side; ssd -> host by its 4 GB/s read.
  const TransferId write = e.start(route_for(m, 1, 1), 4'000'000'000, 0);
  const TransferId read = e.start(route_for(m, 1, 2), 4'000'000'000, 0);
  const std::vector<Completion> done = e.run_to_completion();
  EXPECT_EQ(finish_of(done, write), 20'000 + 2'000'000'000);
  EXPECT_EQ(finish_of(done, read), 10'000 + 1'000'000'000);
}

struct Scenario {
  std::vector<Resource> resources;
  struct Op {
    TimeNs at;
    bool cancel;
    std::size_t target;  // index of the transfer to cancel
    Route route;
    std::uint64_t bytes;
    TransferClass cls;
    bool in_order;
  };
  std::vector<Op> ops;  // sorted by time
};

Scenario random_scenario(std::uint64_t seed, int transfers) {
  std::mt19937_64 rng(seed);
  Scenario s;
  const int nres = 2 + static_cast<int>(rng() % 8);
  for (int r = 0; r < nres; ++r)
    s.resources.push_back({"r" + std::to_string(r), (1 + static_cast<double>(rng() % 64)) * 0.5e9});
  TimeNs t = 0;
  for (int i = 0; i < transfers; ++i) {
    t += static_cast<TimeNs>(rng() % 2'000'000);
    Route r;
    const int len = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < len; ++k) r.resources.push_back(static_cast<ResourceId>(rng() % nres));
    r.latency_ns = static_cast<TimeNs>(rng() % 3) * 1000;
    const auto cls = static_cast<TransferClass>(rng() % 3);
    s.ops.push_back({t, false, 0, r, rng() % 50'000'000, cls, rng() % 2 == 0});
    if (rng() % 5 == 0)
      s.ops.push_back({t + static_cast<TimeNs>(rng() % 5'000'000),
                       true,
                       static_cast<std::size_t>(i),
                       {},
                       0,
                       0,
                       false});
  }
  std::stable_sort(s.ops.begin(), s.ops.end(),
                   [](const Scenario::Op& a, const Scenario::Op& b) { return a.at < b.at; });
  return s;
}

struct Outcome {
  std::vector<Completion> done;
  std::vector<ResourceStats> stats;
  TransferTotals totals;
  std::vector<TransferId> ids;
  std::vector<bool> cancelled;
};

Outcome play(const Scenario& s) {
  TransferEngine e(s.resources);
  Outcome out;
  for (const Scenario::Op& op : s.ops) {
    // Process every engine event before this op, as a simulator would.
    while (e.next_event_ns() < op.at) {
      std::vector<Completion> some = e.advance(e.next_event_ns());
      out.done.insert(out.done.end(), some.begin(), some.end());
    }
    if (op.cancel) {
      if (op.target < out.ids.size() && e.cancel(out.ids[op.target], op.at))
        out.cancelled[op.target] = true;
    } else {
      out.ids.push_back(e.start(op.route, op.bytes, op.at, op.cls, op.in_order));
      out.cancelled.push_back(false);
    }
  }
  std::vector<Completion> rest = e.run_to_completion();
  out.done.insert(out.done.end(), rest.begin(), rest.end());
  e.check_invariants(true);
  for (ResourceId r = 0; r < s.resources.size(); ++r) out.stats.push_back(e.stats(r));
  out.totals = e.totals();
  return out;
}

TEST(SimTransfers, DeterministicForSameInputs) {
  const Scenario s = random_scenario(7, 300);
  const Outcome a = play(s);
  const Outcome b = play(s);
  ASSERT_EQ(a.done.size(), b.done.size());
  for (std::size_t i = 0; i < a.done.size(); ++i) {
    EXPECT_EQ(a.done[i].id, b.done[i].id);
    EXPECT_EQ(a.done[i].finish_ns, b.done[i].finish_ns);
  }
  for (std::size_t r = 0; r < a.stats.size(); ++r) {
    EXPECT_EQ(a.stats[r].bytes_moved, b.stats[r].bytes_moved);
    EXPECT_EQ(a.stats[r].busy_ns, b.stats[r].busy_ns);
  }
}

TEST(SimTransfers, RandomStressConservesBytesAndRespectsRates) {
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    SCOPED_TRACE(seed);
    const Scenario s = random_scenario(seed, 200);
    const Outcome o = play(s);
    // Every transfer either completed or was cancelled, exactly once.
    std::vector<const Scenario::Op*> starts;
    for (const Scenario::Op& op : s.ops)
      if (!op.cancel) starts.push_back(&op);
    std::size_t cancelled = 0;
    for (bool c : o.cancelled) cancelled += c ? 1 : 0;
    ASSERT_EQ(o.done.size() + cancelled, starts.size());
    EXPECT_EQ(o.totals.bytes_started, o.totals.bytes_completed + o.totals.bytes_cancelled_moved +
                                          o.totals.bytes_cancelled_unmoved);
    // Completions come out in time order, never before bytes / (route's slowest resource).
    std::vector<std::uint64_t> expected_bytes(s.resources.size(), 0);
    for (std::size_t i = 1; i < o.done.size(); ++i)
      EXPECT_LE(o.done[i - 1].finish_ns, o.done[i].finish_ns);
    for (const Completion& c : o.done) {
      // Ids are unique within a run: a slot's generation changes when it is reused.
      const std::size_t k =
          static_cast<std::size_t>(std::find(o.ids.begin(), o.ids.end(), c.id) - o.ids.begin());
      ASSERT_LT(k, starts.size());
      EXPECT_FALSE(o.cancelled[k]);
      EXPECT_EQ(c.start_ns, starts[k]->at);
      EXPECT_EQ(c.bytes, starts[k]->bytes);
      const Route& r = starts[k]->route;
      double max_rate = 1e300;
      for (ResourceId id : r.resources) max_rate = std::min(max_rate, s.resources[id].bytes_per_s);
      const double lower = static_cast<double>(c.start_ns + r.latency_ns) +
                           static_cast<double>(c.bytes) * 1e9 / max_rate;
      EXPECT_GE(static_cast<double>(c.finish_ns), std::floor(lower));
      std::vector<ResourceId> uniq = r.resources;
      std::sort(uniq.begin(), uniq.end());
      uniq.erase(std::unique(uniq.begin(), uniq.end()), uniq.end());
      for (ResourceId id : uniq) expected_bytes[id] += c.bytes;
    }
    // Per-resource bytes: completed transfers' bytes plus cancelled transfers' moved bytes,
    // and never more than capacity x busy time (up to rounding).
    for (std::size_t r = 0; r < s.resources.size(); ++r) {
      EXPECT_GE(o.stats[r].bytes_moved, expected_bytes[r]);
      if (cancelled == 0) {
        EXPECT_EQ(o.stats[r].bytes_moved, expected_bytes[r]);
      }
      const double cap_bytes =
          s.resources[r].bytes_per_s * static_cast<double>(o.stats[r].busy_ns) / 1e9;
      EXPECT_LE(static_cast<double>(o.stats[r].bytes_moved), cap_bytes * (1 + 1e-9) + 1);
    }
  }
}

}  // namespace
}  // namespace strata::sim
