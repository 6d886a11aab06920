#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <tuple>
#include <vector>

#include "strata/core/error.hpp"
#include "strata/sim/event_queue.hpp"

namespace strata::sim {
namespace {

Event ev(std::uint32_t kind, std::uint32_t index = 0, std::uint64_t tag = 0) {
  return Event{kind, index, tag};
}

TEST(SimEventQueue, EmptyQueue) {
  EventQueue q;
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(q.now(), 0);
  EXPECT_EQ(q.next_time(), kNeverNs);
  EXPECT_FALSE(q.pop().has_value());
  EXPECT_FALSE(q.cancel(EventId{}));
  q.expect_drained();
}

TEST(SimEventQueue, PopsInTimeOrderAndAdvancesNow) {
  EventQueue q;
  q.schedule(30, ev(3));
  q.schedule(10, ev(1));
  q.schedule(20, ev(2));
  EXPECT_EQ(q.size(), 3u);
  EXPECT_EQ(q.next_time(), 10);
  for (std::uint32_t k = 1; k <= 3; ++k) {
    const auto e = q.pop();
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->event.kind, k);
    EXPECT_EQ(e->time_ns, 10 * static_cast<TimeNs>(k));
    EXPECT_EQ(q.now(), 10 * static_cast<TimeNs>(k));
  }
  EXPECT_TRUE(q.empty());
  q.expect_drained();
}

TEST(SimEventQueue, TiesBrokenByInsertionOrder) {
  EventQueue q;
  for (std::uint32_t i = 0; i < 100; ++i) q.schedule(i % 2 == 0 ? 5 : 7, ev(0, i));
  std::vector<std::uint32_t> order;
  q.run([&](const FiredEvent& e) { order.push_back(e.event.index); });
  ASSERT_EQ(order.size(), 100u);
  for (std::size_t i = 0; i < 50; ++i) {
    EXPECT_EQ(order[i], 2 * i) << i;           // every event at 5, in insertion order
    EXPECT_EQ(order[50 + i], 2 * i + 1) << i;  // then every event at 7
  }
  q.expect_drained();
}

TEST(SimEventQueue, EventsScheduledAtNowDuringHandlerRunAfterEarlierOnes) {
  EventQueue q;
  q.schedule(10, ev(1));
  q.schedule(10, ev(2));
  std::vector<std::uint32_t> order;
  q.run([&](const FiredEvent& e) {
    order.push_back(e.event.kind);
    if (e.event.kind == 1) q.schedule(q.now(), ev(3));  // same time, later sequence
  });
  EXPECT_EQ(order, (std::vector<std::uint32_t>{1, 2, 3}));
}

TEST(SimEventQueue, CancelByMarking) {
  EventQueue q;
  const EventId a = q.schedule(10, ev(1));
  const EventId b = q.schedule(20, ev(2));
  const EventId c = q.schedule(30, ev(3));
  EXPECT_TRUE(q.is_pending(b));
  EXPECT_TRUE(q.cancel(b));
  EXPECT_FALSE(q.is_pending(b));
  EXPECT_FALSE(q.cancel(b));  // twice: no-op
  EXPECT_EQ(q.size(), 2u);
  EXPECT_TRUE(q.cancel(a));
  EXPECT_EQ(q.next_time(), 30);  // tombstones on top are skipped
  const auto e = q.pop();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->event.kind, 3u);
  EXPECT_EQ(e->id, c);
  EXPECT_FALSE(q.cancel(c));  // already fired
  EXPECT_FALSE(q.pop().has_value());
  EXPECT_EQ(q.counters().scheduled, 3u);
  EXPECT_EQ(q.counters().fired, 1u);
  EXPECT_EQ(q.counters().cancelled, 2u);
  q.expect_drained();
}

TEST(SimEventQueue, StaleIdDoesNotCancelTheSlotsNextEvent) {
  EventQueue q;
  const EventId a = q.schedule(1, ev(1));
  ASSERT_TRUE(q.pop().has_value());
  const EventId b = q.schedule(2, ev(2));  // reuses a's slot
  EXPECT_NE(a, b);
  EXPECT_FALSE(q.cancel(a));
  EXPECT_TRUE(q.is_pending(b));
  EXPECT_EQ(q.pop()->event.kind, 2u);
}

TEST(SimEventQueue, SchedulingInThePastIsABug) {
  EventQueue q;
  q.schedule(100, ev(1));
  q.pop();
  EXPECT_THROW(q.schedule(99, ev(2)), InternalError);
  EXPECT_NO_THROW(q.schedule(100, ev(2)));
  EXPECT_NO_THROW(q.schedule_in(0, ev(3)));
}

TEST(SimEventQueue, ExpectDrainedFailsWithPendingEvents) {
  EventQueue q;
  q.schedule(5, ev(1));
  EXPECT_THROW(q.expect_drained(), InternalError);
  q.check_invariants();
}

TEST(SimEventQueue, RunUntilStopsAtLimit) {
  EventQueue q;
  for (TimeNs t : {5, 10, 10, 15, 20}) q.schedule(t, ev(0));
  int n = 0;
  EXPECT_EQ(q.run_until(10, [&](const FiredEvent&) { ++n; }), 3u);
  EXPECT_EQ(n, 3);
  EXPECT_EQ(q.now(), 10);
  EXPECT_EQ(q.size(), 2u);
}

// Random schedules and cancels, with rescheduling from handlers; the pop order must equal a
// stable sort of the surviving events by time (stable = insertion order on ties).
TEST(SimEventQueue, RandomSchedulesPopInSortedOrder) {
  std::mt19937_64 rng(12345);
  for (int round = 0; round < 20; ++round) {
    EventQueue q;
    struct Ref {
      TimeNs t;
      std::uint64_t seq;
      std::uint64_t tag;
    };
    std::vector<Ref> ref;
    std::vector<EventId> ids;
    std::uniform_int_distribution<TimeNs> time(0, round % 2 == 0 ? 50 : 1'000'000);
    const int n = 2000;
    for (int i = 0; i < n; ++i) {
      const TimeNs t = time(rng);
      ids.push_back(q.schedule(t, ev(0, 0, static_cast<std::uint64_t>(i))));
      ref.push_back({t, static_cast<std::uint64_t>(i), static_cast<std::uint64_t>(i)});
    }
    // Cancel about a third, some twice.
    std::vector<bool> cancelled(n, false);
    for (int i = 0; i < n; ++i) {
      if (rng() % 3 == 0) {
        EXPECT_TRUE(q.cancel(ids[i]));
        cancelled[i] = true;
      }
      if (cancelled[i] && rng() % 2 == 0) {
        EXPECT_FALSE(q.cancel(ids[i]));  // repeat: no-op
      }
    }
    std::erase_if(ref, [&](const Ref& r) { return cancelled[r.tag]; });
    std::stable_sort(ref.begin(), ref.end(), [](const Ref& a, const Ref& b) { return a.t < b.t; });
    EXPECT_EQ(q.size(), ref.size());
    q.check_invariants();
    std::size_t i = 0;
    q.run([&](const FiredEvent& e) {
      ASSERT_LT(i, ref.size());
      EXPECT_EQ(e.time_ns, ref[i].t);
      EXPECT_EQ(e.event.tag, ref[i].tag);
      ++i;
    });
    EXPECT_EQ(i, ref.size());
    q.expect_drained();
  }
}

// A simulator pattern: one "next completion" event re-scheduled thousands of times must not
// grow the heap (tombstones are compacted) and must still fire last-scheduled-wins.
TEST(SimEventQueue, ManyReschedulesStayCompact) {
  EventQueue q;
  EventId pending;
  for (int i = 0; i < 100000; ++i) {
    q.cancel(pending);
    pending = q.schedule(1'000'000 - i, ev(1, 0, static_cast<std::uint64_t>(i)));
  }
  EXPECT_EQ(q.size(), 1u);
  q.check_invariants();
  const auto e = q.pop();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->event.tag, 99999u);
  EXPECT_EQ(e->time_ns, 1'000'000 - 99999);
  q.expect_drained();
}

TEST(SimEventQueue, ClearResets) {
  EventQueue q;
  q.schedule(5, ev(1));
  q.pop();
  q.schedule(7, ev(2));
  q.clear();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.now(), 0);
  EXPECT_EQ(q.counters().scheduled, 0u);
  q.expect_drained();
}

}  // namespace
}  // namespace strata::sim
