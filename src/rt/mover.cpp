#include "strata/rt/mover.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <exception>

#include "strata/core/error.hpp"
#include "strata/rt/byte_store.hpp"

namespace strata::rt {

std::string_view link_name(Link link) noexcept {
  switch (link) {
    case Link::arena_to_host: return "arena->host";
    case Link::host_to_arena: return "host->arena";
    case Link::host_to_store: return "host->store";
    case Link::store_to_host: return "store->host";
  }
  return "?";
}

std::string_view copy_state_name(CopyState state) noexcept {
  switch (state) {
    case CopyState::queued: return "queued";
    case CopyState::running: return "running";
    case CopyState::done: return "done";
    case CopyState::failed: return "failed";
    case CopyState::cancelled: return "cancelled";
  }
  return "?";
}

namespace detail {
struct CopyTask {
  Link link = Link::arena_to_host;
  void* dst = nullptr;
  const void* src = nullptr;
  std::uint64_t bytes = 0;
  std::uint64_t key = 0;                         // store links
  std::pair<std::int64_t, std::uint64_t> order;  // (needed_at_ns, sequence)
  std::atomic<int> state{static_cast<int>(CopyState::queued)};
  std::atomic<std::int64_t> start_index{-1};
  std::exception_ptr error;  // set before state becomes failed

  void finish(CopyState s) {
    state.store(static_cast<int>(s), std::memory_order_release);
    state.notify_all();
  }
};
}  // namespace detail

CopyState CopyHandle::state() const {
  if (!task_) throw InvalidInput("mover: state() of an empty copy handle");
  return static_cast<CopyState>(task_->state.load(std::memory_order_acquire));
}

std::int64_t CopyHandle::start_index() const {
  if (!task_) throw InvalidInput("mover: start_index() of an empty copy handle");
  return task_->start_index.load(std::memory_order_acquire);
}

CopyState CopyHandle::wait() const {
  if (!task_) throw InvalidInput("mover: wait() on an empty copy handle");
  for (;;) {
    const int s = task_->state.load(std::memory_order_acquire);
    if (s >= static_cast<int>(CopyState::done)) {
      if (s == static_cast<int>(CopyState::failed)) std::rethrow_exception(task_->error);
      return static_cast<CopyState>(s);
    }
    task_->state.wait(s, std::memory_order_acquire);
  }
}

Mover::Mover(MoverOptions options, ByteStore* store) : options_(options), store_(store) {
  if (options_.queue_capacity == 0) throw InvalidInput("mover: queue_capacity must be at least 1");
  if (options_.memcpy_threads_per_link == 0 || options_.memcpy_threads_per_link > 64)
    throw InvalidInput(fmt::format("mover: memcpy_threads_per_link {} must be 1..64",
                                   options_.memcpy_threads_per_link));
  for (std::size_t i = 0; i < kLinkCount; ++i) {
    const auto link = static_cast<Link>(i);
    const bool memcpy_link = link == Link::arena_to_host || link == Link::host_to_arena;
    if (!memcpy_link && store_ == nullptr) continue;
    const std::uint32_t n = memcpy_link ? options_.memcpy_threads_per_link : 1;
    for (std::uint32_t t = 0; t < n; ++t)
      links_[i].workers.emplace_back([this, link] { work(link); });
  }
}

Mover::~Mover() {
  for (LinkQueue& q : links_) {
    std::lock_guard lock(q.mutex);
    q.stop = true;
    q.work.notify_all();
    q.space.notify_all();
  }
  for (LinkQueue& q : links_)
    for (std::thread& t : q.workers) t.join();
  for (LinkQueue& q : links_) {  // never started: cancelled
    for (auto& [order, task] : q.queued) task->finish(CopyState::cancelled);
    q.stats.cancelled += q.queued.size();
    q.queued.clear();
  }
}

CopyHandle Mover::copy(Link link, void* dst, const void* src, std::uint64_t bytes,
                       std::int64_t needed_at_ns) {
  if (link != Link::arena_to_host && link != Link::host_to_arena)
    throw InvalidInput(
        fmt::format("mover: copy() runs on arena<->host links, not {}; use "
                    "store_put/store_get",
                    link_name(link)));
  if (bytes > 0 && (dst == nullptr || src == nullptr))
    throw InvalidInput(
        fmt::format("mover: {} copy of {} bytes with a null pointer", link_name(link), bytes));
  auto task = std::make_shared<detail::CopyTask>();
  task->link = link;
  task->dst = dst;
  task->src = src;
  task->bytes = bytes;
  task->order.first = needed_at_ns;
  return submit(std::move(task));
}

CopyHandle Mover::store_put(std::uint64_t key, const void* src, std::uint64_t bytes,
                            std::int64_t needed_at_ns) {
  auto task = std::make_shared<detail::CopyTask>();
  task->link = Link::host_to_store;
  task->src = src;
  task->bytes = bytes;
  task->key = key;
  task->order.first = needed_at_ns;
  return submit(std::move(task));
}

CopyHandle Mover::store_get(std::uint64_t key, void* dst, std::uint64_t bytes,
                            std::int64_t needed_at_ns) {
  auto task = std::make_shared<detail::CopyTask>();
  task->link = Link::store_to_host;
  task->dst = dst;
  task->bytes = bytes;
  task->key = key;
  task->order.first = needed_at_ns;
  return submit(std::move(task));
}

CopyHandle Mover::submit(std::shared_ptr<detail::CopyTask> task) {
  const bool store_link = task->link == Link::host_to_store || task->link == Link::store_to_host;
  if (store_link && store_ == nullptr)
    throw InvalidInput(
        fmt::format("mover: {} copy but the mover has no byte store; pass one "
                    "to the Mover constructor",
                    link_name(task->link)));
  {
    std::lock_guard lock(sequence_mutex_);
    task->order.second = next_sequence_++;
  }
  LinkQueue& q = links_[static_cast<std::size_t>(task->link)];
  std::unique_lock lock(q.mutex);
  q.space.wait(lock, [&] { return q.stop || q.queued.size() < options_.queue_capacity; });
  if (q.stop) throw InvalidInput("mover: submit while the mover is being destroyed");
  q.queued.emplace(task->order, task);
  q.work.notify_one();
  return CopyHandle(std::move(task));
}

bool Mover::cancel(const CopyHandle& handle) {
  if (!handle.task_) return false;
  detail::CopyTask& task = *handle.task_;
  LinkQueue& q = links_[static_cast<std::size_t>(task.link)];
  std::lock_guard lock(q.mutex);
  const auto it = q.queued.find(task.order);
  if (it == q.queued.end() || it->second.get() != &task) return false;
  q.queued.erase(it);
  ++q.stats.cancelled;
  task.finish(CopyState::cancelled);
  q.space.notify_one();
  if (q.queued.empty() && q.running == 0) q.idle.notify_all();
  return true;
}

void Mover::drain() {
  for (LinkQueue& q : links_) {
    std::unique_lock lock(q.mutex);
    q.idle.wait(lock, [&] { return q.queued.empty() && q.running == 0; });
  }
}

void Mover::set_paused(Link link, bool paused) {
  LinkQueue& q = links_[static_cast<std::size_t>(link)];
  std::lock_guard lock(q.mutex);
  q.paused = paused;
  if (!paused) q.work.notify_all();
}

LinkStats Mover::stats(Link link) const {
  const LinkQueue& q = links_[static_cast<std::size_t>(link)];
  std::lock_guard lock(q.mutex);
  return q.stats;
}

void Mover::work(Link link) {
  LinkQueue& q = links_[static_cast<std::size_t>(link)];
  std::unique_lock lock(q.mutex);
  for (;;) {
    q.work.wait(lock, [&] { return q.stop || (!q.paused && !q.queued.empty()); });
    if (q.stop) return;
    auto task = std::move(q.queued.begin()->second);
    q.queued.erase(q.queued.begin());
    ++q.running;
    task->start_index.store(q.started++, std::memory_order_release);
    task->state.store(static_cast<int>(CopyState::running), std::memory_order_release);
    q.space.notify_one();
    lock.unlock();

    const auto start = std::chrono::steady_clock::now();
    CopyState outcome = CopyState::done;
    try {
      execute(*task);
    } catch (...) {
      task->error = std::current_exception();
      outcome = CopyState::failed;
    }
    const auto busy_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::steady_clock::now() - start)
                             .count();

    lock.lock();
    --q.running;
    q.stats.busy_ns += busy_ns;
    if (outcome == CopyState::done) {
      q.stats.bytes += task->bytes;
      ++q.stats.copies;
    } else {
      ++q.stats.failed;
    }
    task->finish(outcome);
    if (q.queued.empty() && q.running == 0) q.idle.notify_all();
  }
}

void Mover::execute(detail::CopyTask& task) {
  switch (task.link) {
    case Link::arena_to_host:
    case Link::host_to_arena:
      if (task.bytes > 0) std::memcpy(task.dst, task.src, task.bytes);
      return;
    case Link::host_to_store: store_->put(task.key, task.src, task.bytes); return;
    case Link::store_to_host: store_->get(task.key, task.dst, task.bytes); return;
  }
}

}  // namespace strata::rt
