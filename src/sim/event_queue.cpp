#include "strata/sim/event_queue.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "strata/core/error.hpp"

namespace strata::sim {

namespace {

constexpr std::uint64_t kSlotMask = 0xffffffffULL;

std::uint32_t slot_of(EventId id) noexcept {
  return static_cast<std::uint32_t>(id.value & kSlotMask);
}
std::uint32_t generation_of(EventId id) noexcept {
  return static_cast<std::uint32_t>(id.value >> 32);
}

}  // namespace

EventId EventQueue::schedule(TimeNs time_ns, Event event) {
  STRATA_EXPECTS(time_ns >= now_,
                 fmt::format("event scheduled at {} ns, before now ({} ns)", time_ns, now_));
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    STRATA_EXPECTS(slots_.size() < kSlotMask, "more than 2^32 - 1 pending events");
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  s.event = event;
  s.live = true;
  push_heap({time_ns, next_seq_++, slot});
  ++live_;
  ++counters_.scheduled;
  return EventId{(static_cast<std::uint64_t>(s.generation) << 32) | slot};
}

bool EventQueue::is_pending(EventId id) const noexcept {
  const std::uint32_t slot = slot_of(id);
  return slot < slots_.size() && slots_[slot].live && slots_[slot].generation == generation_of(id);
}

bool EventQueue::cancel(EventId id) noexcept {
  if (!is_pending(id)) return false;
  Slot& s = slots_[slot_of(id)];
  s.live = false;
  ++s.generation;  // the id goes stale; the slot is freed when its heap entry leaves the heap
  --live_;
  ++counters_.cancelled;
  if (heap_.size() > 64 && heap_.size() > 2 * live_) compact();
  return true;
}

TimeNs EventQueue::next_time() noexcept {
  drop_dead_top();
  return heap_.empty() ? kNeverNs : heap_.front().time_ns;
}

std::optional<FiredEvent> EventQueue::pop() noexcept {
  drop_dead_top();
  if (heap_.empty()) return std::nullopt;
  const HeapEntry e = pop_heap();
  Slot& s = slots_[e.slot];
  FiredEvent fired{e.time_ns, EventId{(static_cast<std::uint64_t>(s.generation) << 32) | e.slot},
                   s.event};
  s.live = false;
  ++s.generation;
  release_slot(e.slot);
  --live_;
  ++counters_.fired;
  now_ = e.time_ns;
  return fired;
}

void EventQueue::drop_dead_top() noexcept {
  while (!heap_.empty() && !slots_[heap_.front().slot].live) release_slot(pop_heap().slot);
}

void EventQueue::release_slot(std::uint32_t slot) noexcept {
  if (slots_[slot].generation == 0) slots_[slot].generation = 1;  // wrapped: 0 means "no event"
  free_slots_.push_back(slot);
}

void EventQueue::compact() noexcept {
  std::size_t out = 0;
  for (const HeapEntry& e : heap_) {
    if (slots_[e.slot].live)
      heap_[out++] = e;
    else
      release_slot(e.slot);
  }
  heap_.resize(out);
  // Keys (time, seq) are unique, so rebuilding the heap cannot change the pop order.
  std::make_heap(heap_.begin(), heap_.end(), later);
}

void EventQueue::push_heap(HeapEntry e) noexcept {
  std::size_t i = heap_.size();
  heap_.push_back(e);
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (!later(heap_[parent], e)) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = e;
}

EventQueue::HeapEntry EventQueue::pop_heap() noexcept {
  const HeapEntry top = heap_.front();
  const HeapEntry last = heap_.back();
  heap_.pop_back();
  const std::size_t n = heap_.size();
  if (n == 0) return top;
  std::size_t i = 0;
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && later(heap_[child], heap_[child + 1])) ++child;
    if (!later(last, heap_[child])) break;
    heap_[i] = heap_[child];
    i = child;
  }
  heap_[i] = last;
  return top;
}

void EventQueue::check_invariants() const {
  const EventQueueCounters& c = counters_;
  STRATA_EXPECTS(c.scheduled == c.fired + c.cancelled + live_,
                 fmt::format("event queue lost events: scheduled {} != fired {} + cancelled {} + "
                             "pending {}",
                             c.scheduled, c.fired, c.cancelled, live_));
  std::size_t live_in_heap = 0;
  for (const HeapEntry& e : heap_) live_in_heap += slots_[e.slot].live ? 1 : 0;
  STRATA_EXPECTS(
      live_in_heap == live_,
      fmt::format("event queue: {} live entries in the heap, {} pending", live_in_heap, live_));
  STRATA_EXPECTS(heap_.size() + free_slots_.size() == slots_.size(),
                 fmt::format("event queue: heap {} + free {} != slots {}", heap_.size(),
                             free_slots_.size(), slots_.size()));
}

void EventQueue::expect_drained() const {
  check_invariants();
  STRATA_EXPECTS(live_ == 0, fmt::format("event queue: {} events still pending at the end of the "
                                         "run (next at {} ns)",
                                         live_, heap_.empty() ? kNeverNs : heap_.front().time_ns));
}

void EventQueue::clear() noexcept {
  heap_.clear();
  slots_.clear();
  free_slots_.clear();
  live_ = 0;
  now_ = 0;
  next_seq_ = 0;
  counters_ = {};
}

void EventQueue::reserve(std::size_t n) {
  heap_.reserve(n);
  slots_.reserve(n);
  free_slots_.reserve(n);
}

}  // namespace strata::sim
