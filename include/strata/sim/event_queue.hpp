#pragma once
/// @file event_queue.hpp
/// @brief The simulator's event queue: integer-nanosecond time, events ordered by (time,
/// insertion sequence), cancel by marking. Modelled on ns-3's scheduler (STYLE.md item 6).
///
/// Note [event queue]: an event is a small POD `Event` {kind, index, tag} that the simulator
/// dispatches itself (a switch on `kind`), so scheduling allocates nothing per event: the heap
/// holds 24-byte entries {time, sequence, slot} and the payload lives in a slot pool reused
/// through a free list. An EventId names a slot and that slot's generation, so cancel() is O(1)
/// (it bumps the generation and leaves a tombstone in the heap) and a stale id (the event already
/// fired or was cancelled) is harmless. Tombstones are skipped when they reach the top and the
/// heap is compacted when they outnumber live events, so a simulator that re-schedules one event
/// many times (the transfer engine's next completion) does not grow the heap. Ties in time are
/// broken by the order of schedule() calls, so a run is a pure function of its inputs.

#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

namespace strata::sim {

/// @brief Simulated time in nanoseconds since the start of the run.
using TimeNs = std::int64_t;

/// @brief A time later than any event: "never".
inline constexpr TimeNs kNeverNs = std::numeric_limits<TimeNs>::max();

/// @brief What happens at an event; the simulator gives meaning to the fields (e.g. `kind` =
/// transfer completion, `index` = GPU id, `tag` = kernel id).
struct Event {
  std::uint32_t kind = 0;
  std::uint32_t index = 0;
  std::uint64_t tag = 0;

  friend bool operator==(const Event&, const Event&) = default;
};

/// @brief Names one scheduled event. The default value names no event.
struct EventId {
  std::uint64_t value = 0;  ///< slot in the low 32 bits, generation (>= 1) in the high 32

  bool valid() const noexcept { return value != 0; }
  friend bool operator==(const EventId&, const EventId&) = default;
};

/// @brief An event taken from the queue.
struct FiredEvent {
  TimeNs time_ns = 0;
  EventId id;
  Event event;
};

/// @brief Counts for checking that nothing was lost: scheduled == fired + cancelled + pending.
struct EventQueueCounters {
  std::uint64_t scheduled = 0;
  std::uint64_t fired = 0;
  std::uint64_t cancelled = 0;
};

/// @brief A deterministic discrete-event queue. Not thread-safe; one per simulation.
class EventQueue {
 public:
  EventQueue() = default;

  /// @brief Schedules `event` at absolute `time_ns` (>= now(); an earlier time is a bug and
  /// throws InternalError). Events at equal times fire in the order they were scheduled.
  EventId schedule(TimeNs time_ns, Event event);
  /// @brief Schedules `event` `delay_ns` (>= 0) after now().
  EventId schedule_in(TimeNs delay_ns, Event event) { return schedule(now_ + delay_ns, event); }

  /// @brief Cancels a pending event in O(1). Returns false (and does nothing) if `id` already
  /// fired, was already cancelled, or names no event.
  bool cancel(EventId id) noexcept;
  /// @brief Whether `id` is scheduled and has neither fired nor been cancelled.
  bool is_pending(EventId id) const noexcept;

  /// @brief No pending (live) events.
  bool empty() const noexcept { return live_ == 0; }
  /// @brief Number of pending events.
  std::size_t size() const noexcept { return live_; }
  /// @brief Time of the last event taken (0 before the first).
  TimeNs now() const noexcept { return now_; }
  /// @brief Time of the next pending event, or kNeverNs if none. Drops tombstones on top.
  TimeNs next_time() noexcept;

  /// @brief Takes the next pending event, advancing now() to its time; nullopt if empty.
  std::optional<FiredEvent> pop() noexcept;

  /// @brief Pops one event and calls `handler(const FiredEvent&)`; the handler may schedule
  /// and cancel. Returns false if the queue was empty.
  template <class Handler>
  bool run_next(Handler&& handler) {
    std::optional<FiredEvent> e = pop();
    if (!e) return false;
    handler(*e);
    return true;
  }
  /// @brief Runs events with time <= `limit_ns` in order; returns how many ran.
  template <class Handler>
  std::uint64_t run_until(TimeNs limit_ns, Handler&& handler) {
    std::uint64_t n = 0;
    while (next_time() <= limit_ns && run_next(handler)) ++n;
    return n;
  }
  /// @brief Runs until the queue is empty; returns how many events ran.
  template <class Handler>
  std::uint64_t run(Handler&& handler) {
    return run_until(kNeverNs, std::forward<Handler>(handler));
  }

  const EventQueueCounters& counters() const noexcept { return counters_; }
  /// @brief Checks the bookkeeping (scheduled == fired + cancelled + pending, heap and slot
  /// pool agree); throws InternalError naming the counts if not.
  void check_invariants() const;
  /// @brief check_invariants() and that no event is pending: call at the end of a run.
  void expect_drained() const;

  /// @brief Drops all events and resets time and counters to zero; keeps the memory.
  void clear() noexcept;
  /// @brief Reserves room for `n` simultaneously pending events.
  void reserve(std::size_t n);

 private:
  struct HeapEntry {
    TimeNs time_ns;
    std::uint64_t seq;
    std::uint32_t slot;
  };
  struct Slot {
    Event event;
    std::uint32_t generation = 1;
    bool live = false;  ///< scheduled, not fired, not cancelled
  };

  static bool later(const HeapEntry& a, const HeapEntry& b) noexcept {
    return a.time_ns != b.time_ns ? a.time_ns > b.time_ns : a.seq > b.seq;
  }
  void push_heap(HeapEntry e) noexcept;
  HeapEntry pop_heap() noexcept;
  void drop_dead_top() noexcept;
  void compact() noexcept;
  void release_slot(std::uint32_t slot) noexcept;

  std::vector<HeapEntry> heap_;  ///< binary min-heap on (time, seq); may hold tombstones
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::size_t live_ = 0;
  TimeNs now_ = 0;
  std::uint64_t next_seq_ = 0;
  EventQueueCounters counters_;
};

}  // namespace strata::sim
