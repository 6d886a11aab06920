// Copies between GPU and host memory on one CUDA stream per direction; see Note [cuda mover].
#include "strata/rt/cuda/cuda_mover.hpp"

#include <cuda_runtime_api.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "cuda_check.hpp"
#include "strata/core/error.hpp"
#include "strata/core/units.hpp"
#include "strata/rt/cuda/cuda_device.hpp"

namespace strata::rt::cuda {

namespace {
using Clock = std::chrono::steady_clock;
struct Lane;
}  // namespace

namespace detail {

struct CudaCopyTask {
  Link link = Link::host_to_arena;
  std::byte* dst = nullptr;
  const std::byte* src = nullptr;
  std::uint64_t bytes = 0;
  std::int64_t needed_at_ns = 0;
  std::uint64_t sequence = 0;
  Lane* lane = nullptr;
  Clock::time_point issued_at;
  cudaEvent_t event = nullptr;  // recorded after the copy; destroyed by the dispatcher

  mutable std::mutex mutex;
  mutable std::condition_variable changed;
  CopyState state = CopyState::queued;  // guarded by mutex
  std::string error;                    // guarded by mutex
  std::int64_t start_index = -1;        // guarded by mutex

  ~CudaCopyTask() {
    if (event != nullptr) (void)cudaEventDestroy(event);
  }
};

}  // namespace detail

namespace {

using Task = detail::CudaCopyTask;

struct Lane {
  Link link = Link::host_to_arena;
  cudaStream_t stream = nullptr;
  std::vector<std::byte*> staging;
  std::vector<cudaEvent_t> staging_events;  // last use of each staging chunk

  std::mutex mutex;
  std::condition_variable work;   // queued, retired, unpaused or stop
  std::condition_variable space;  // a copy left the queue
  std::condition_variable idle;   // nothing queued or in flight
  std::map<std::pair<std::int64_t, std::uint64_t>, std::shared_ptr<Task>> queued;
  std::vector<std::shared_ptr<Task>> in_flight;
  std::vector<std::shared_ptr<Task>> retired;  // finished; released by the dispatcher thread
  std::int64_t started = 0;
  bool paused = false;
  bool stop = false;
  LinkStats stats;
  CudaLinkCounters counters;
  Clock::time_point last_completion;
  std::thread dispatcher;
};

std::size_t lane_index(Link link) { return link == Link::arena_to_host ? 0 : 1; }

void set_state(Task& task, CopyState state, std::string error = {}) {
  std::lock_guard lock(task.mutex);
  task.state = state;
  task.error = std::move(error);
  task.changed.notify_all();
}

/// Ends an issued copy. Calls no CUDA function: it also runs as a stream host function.
void complete(Lane& lane, Task* task, CopyState state, std::string error) {
  {
    std::lock_guard lock(lane.mutex);
    const auto it = std::find_if(lane.in_flight.begin(), lane.in_flight.end(),
                                 [task](const auto& t) { return t.get() == task; });
    if (it != lane.in_flight.end()) {
      lane.retired.push_back(std::move(*it));
      lane.in_flight.erase(it);
    }
    const Clock::time_point now = Clock::now();
    if (state == CopyState::done) {
      lane.stats.bytes += task->bytes;
      ++lane.stats.copies;
      const Clock::time_point from = std::max(task->issued_at, lane.last_completion);
      lane.stats.busy_ns +=
          std::chrono::duration_cast<std::chrono::nanoseconds>(now - from).count();
      lane.last_completion = now;
    } else {
      ++lane.stats.failed;
    }
    set_state(*task, state, std::move(error));
    lane.work.notify_all();
    if (lane.in_flight.empty() && lane.queued.empty()) lane.idle.notify_all();
  }
}

void CUDART_CB on_copy_done(void* data) {
  auto* task = static_cast<Task*>(data);
  complete(*task->lane, task, CopyState::done, {});
}

bool is_pageable(const void* host) {
  cudaPointerAttributes attributes{};
  const cudaError_t status = cudaPointerGetAttributes(&attributes, host);
  if (status != cudaSuccess) {
    (void)cudaGetLastError();  // older runtimes report unregistered memory as an error
    return true;
  }
  return attributes.type == cudaMemoryTypeUnregistered;
}

}  // namespace

struct CudaMover::Impl {
  CudaMoverOptions options;
  std::array<Lane, 2> lanes;
  std::mutex sequence_mutex;
  std::uint64_t next_sequence = 0;

  Lane& lane(Link link) { return lanes[lane_index(link)]; }

  /// Issues one copy (the dispatcher thread). A staged copy runs its CPU side here.
  void issue(Lane& l, const std::shared_ptr<Task>& task) {
    const bool to_device = l.link == Link::host_to_arena;
    const void* host = to_device ? static_cast<const void*>(task->src) : task->dst;
    const cudaMemcpyKind kind = to_device ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToHost;
    try {
      // The event exists before the state says running: wait() reads it under the task's lock.
      detail::check(cudaEventCreateWithFlags(&task->event, cudaEventDisableTiming),
                    "cudaEventCreateWithFlags");
      set_state(*task, CopyState::running);
      task->issued_at = Clock::now();
      const bool staged = is_pageable(host);
      {
        std::lock_guard lock(l.mutex);
        ++(staged ? l.counters.staged_copies : l.counters.direct_copies);
      }
      if (!staged) {
        detail::check(
            cudaMemcpyAsync(task->dst, task->src, task->bytes, kind, l.stream),
            fmt::format("cudaMemcpyAsync({}, {})", link_name(l.link), format_bytes(task->bytes)));
      } else if (to_device) {
        stage_to_device(l, *task);
      } else {
        stage_from_device(l, *task);
      }
      detail::check(cudaEventRecord(task->event, l.stream), "cudaEventRecord");
      if (staged && !to_device) {  // the CPU already copied the last chunk out
        complete(l, task.get(), CopyState::done, {});
        return;
      }
      detail::check(cudaLaunchHostFunc(l.stream, on_copy_done, task.get()), "cudaLaunchHostFunc");
    } catch (const Error& e) {
      complete(l, task.get(), CopyState::failed,
               fmt::format("{} copy of {} failed: {}", link_name(l.link), format_bytes(task->bytes),
                           e.what()));
    }
  }

  void stage_to_device(Lane& l, const Task& task) {
    const std::uint64_t chunk = options.staging_chunk_bytes;
    std::size_t slot = 0;
    for (std::uint64_t off = 0; off < task.bytes; off += chunk) {
      const std::uint64_t n = std::min(chunk, task.bytes - off);
      detail::check(cudaEventSynchronize(l.staging_events[slot]), "cudaEventSynchronize");
      std::memcpy(l.staging[slot], task.src + off, n);
      detail::check(
          cudaMemcpyAsync(task.dst + off, l.staging[slot], n, cudaMemcpyHostToDevice, l.stream),
          "cudaMemcpyAsync(staged host->device)");
      detail::check(cudaEventRecord(l.staging_events[slot], l.stream), "cudaEventRecord");
      slot = (slot + 1) % l.staging.size();
    }
  }

  void stage_from_device(Lane& l, const Task& task) {
    struct Pending {
      std::size_t slot;
      std::uint64_t offset;
      std::uint64_t bytes;
    };
    std::deque<Pending> pending;
    const auto drain_one = [&] {
      const Pending p = pending.front();
      pending.pop_front();
      detail::check(cudaEventSynchronize(l.staging_events[p.slot]), "cudaEventSynchronize");
      std::memcpy(task.dst + p.offset, l.staging[p.slot], p.bytes);
    };
    const std::uint64_t chunk = options.staging_chunk_bytes;
    std::size_t slot = 0;
    for (std::uint64_t off = 0; off < task.bytes; off += chunk) {
      const std::uint64_t n = std::min(chunk, task.bytes - off);
      if (pending.size() == l.staging.size()) drain_one();  // frees `slot`, the oldest
      detail::check(
          cudaMemcpyAsync(l.staging[slot], task.src + off, n, cudaMemcpyDeviceToHost, l.stream),
          "cudaMemcpyAsync(staged device->host)");
      detail::check(cudaEventRecord(l.staging_events[slot], l.stream), "cudaEventRecord");
      pending.push_back({slot, off, n});
      slot = (slot + 1) % l.staging.size();
    }
    while (!pending.empty()) drain_one();
  }

  void dispatch(Lane& l) {
    (void)cudaSetDevice(options.device);  // the current device is per thread
    for (;;) {
      std::shared_ptr<Task> task;
      std::vector<std::shared_ptr<Task>> finished;
      {
        std::unique_lock lock(l.mutex);
        const auto can_issue = [&] {
          return !l.paused && !l.queued.empty() && l.in_flight.size() < options.max_in_flight;
        };
        l.work.wait(lock, [&] { return l.stop || !l.retired.empty() || can_issue(); });
        finished.swap(l.retired);
        if (l.stop) break;
        if (can_issue()) {
          task = std::move(l.queued.begin()->second);
          l.queued.erase(l.queued.begin());
          l.in_flight.push_back(task);
          std::lock_guard task_lock(task->mutex);
          task->start_index = l.started++;
          l.space.notify_all();
        }
      }
      finished.clear();  // destroys their events here, never in a host function
      if (task) issue(l, task);
    }
  }
};

CopyState CudaCopyHandle::state() const {
  if (!task_) throw InvalidInput("CudaCopyHandle: the handle names no copy");
  std::lock_guard lock(task_->mutex);
  return task_->state;
}

CopyState CudaCopyHandle::wait() const {
  if (!task_) throw InvalidInput("CudaCopyHandle: the handle names no copy");
  std::unique_lock lock(task_->mutex);
  while (task_->state < CopyState::done) {
    // A device fault can keep the host function from ever running: look at the event too.
    if (task_->changed.wait_for(lock, std::chrono::milliseconds(100)) == std::cv_status::timeout &&
        task_->state == CopyState::running && task_->event != nullptr) {
      const cudaError_t status = cudaEventQuery(task_->event);
      if (status != cudaSuccess && status != cudaErrorNotReady)
        throw IoError(fmt::format("{} copy of {}: {}", link_name(task_->link),
                                  format_bytes(task_->bytes),
                                  detail::describe(status, "cudaEventQuery")));
    }
  }
  if (task_->state == CopyState::failed) throw IoError(task_->error);
  return task_->state;
}

std::int64_t CudaCopyHandle::start_index() const {
  if (!task_) throw InvalidInput("CudaCopyHandle: the handle names no copy");
  std::lock_guard lock(task_->mutex);
  return task_->start_index;
}

void* CudaCopyHandle::completion_event() const {
  if (!task_) throw InvalidInput("CudaCopyHandle: the handle names no copy");
  std::lock_guard lock(task_->mutex);
  return task_->state >= CopyState::running ? static_cast<void*>(task_->event) : nullptr;
}

CudaMover::CudaMover(CudaMoverOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  const auto bad = [](std::string_view what) {
    throw InvalidInput(fmt::format("CudaMover: {}", what));
  };
  if (options.queue_capacity == 0) bad("queue_capacity must be at least 1");
  if (options.max_in_flight == 0) bad("max_in_flight must be at least 1");
  if (options.staging_chunks == 0) bad("staging_chunks must be at least 1");
  if (options.staging_chunk_bytes < 4096) bad("staging_chunk_bytes must be at least 4096");
  require_device();
  detail::check(cudaSetDevice(options.device), fmt::format("cudaSetDevice({})", options.device));
  struct Cleanup {  // undo on throw
    CudaMover::Impl* impl;
    bool armed = true;
    ~Cleanup() {
      if (!armed) return;
      for (Lane& l : impl->lanes) {
        for (cudaEvent_t e : l.staging_events) (void)cudaEventDestroy(e);
        for (std::byte* p : l.staging) (void)cudaFreeHost(p);
        if (l.stream != nullptr) (void)cudaStreamDestroy(l.stream);
      }
    }
  } cleanup{impl_.get()};
  for (const Link link : {Link::arena_to_host, Link::host_to_arena}) {
    Lane& l = impl_->lane(link);
    l.link = link;
    detail::check(cudaStreamCreateWithFlags(&l.stream, cudaStreamNonBlocking),
                  "cudaStreamCreateWithFlags");
    for (std::uint32_t i = 0; i < options.staging_chunks; ++i) {
      void* p = nullptr;
      const cudaError_t status =
          cudaHostAlloc(&p, options.staging_chunk_bytes, cudaHostAllocPortable);
      if (status != cudaSuccess)
        throw OutOfMemory(fmt::format("CudaMover: pinned staging: {}; lower staging_chunk_bytes",
                                      detail::describe(status, "cudaHostAlloc")));
      l.staging.push_back(static_cast<std::byte*>(p));
      cudaEvent_t e = nullptr;
      detail::check(cudaEventCreateWithFlags(&e, cudaEventDisableTiming | cudaEventBlockingSync),
                    "cudaEventCreateWithFlags");
      l.staging_events.push_back(e);
    }
  }
  cleanup.armed = false;
  for (Lane& l : impl_->lanes) l.dispatcher = std::thread([this, &l] { impl_->dispatch(l); });
}

CudaMover::~CudaMover() {
  for (Lane& l : impl_->lanes) {
    std::lock_guard lock(l.mutex);
    for (auto& [key, task] : l.queued) {
      ++l.stats.cancelled;
      set_state(*task, CopyState::cancelled);
    }
    l.queued.clear();
    l.stop = true;
    l.work.notify_all();
    l.space.notify_all();
  }
  for (Lane& l : impl_->lanes) {
    l.dispatcher.join();
    (void)cudaStreamSynchronize(l.stream);  // issued copies and their host functions finish
    {
      std::lock_guard lock(l.mutex);
      l.retired.clear();
    }
    for (cudaEvent_t e : l.staging_events) (void)cudaEventDestroy(e);
    for (std::byte* p : l.staging) (void)cudaFreeHost(p);
    (void)cudaStreamDestroy(l.stream);
  }
}

CudaCopyHandle CudaMover::copy(Link link, void* dst, const void* src, std::uint64_t bytes,
                               std::int64_t needed_at_ns) {
  if (link != Link::arena_to_host && link != Link::host_to_arena)
    throw InvalidInput(fmt::format(
        "CudaMover: link {} is not between the GPU and host memory; use rt::Mover for the store",
        link_name(link)));
  if (bytes > 0 && (dst == nullptr || src == nullptr))
    throw InvalidInput(fmt::format("CudaMover: a {} copy of {} bytes with a null pointer",
                                   link_name(link), bytes));
  auto task = std::make_shared<Task>();
  task->link = link;
  task->dst = static_cast<std::byte*>(dst);
  task->src = static_cast<const std::byte*>(src);
  task->bytes = bytes;
  task->needed_at_ns = needed_at_ns;
  Lane& l = impl_->lane(link);
  task->lane = &l;
  if (bytes == 0) {
    task->state = CopyState::done;
    return CudaCopyHandle(task);
  }
  {
    std::lock_guard lock(impl_->sequence_mutex);
    task->sequence = impl_->next_sequence++;
  }
  std::unique_lock lock(l.mutex);
  l.space.wait(lock, [&] { return l.stop || l.queued.size() < impl_->options.queue_capacity; });
  if (l.stop) throw InvalidInput("CudaMover: copy submitted while the mover is being destroyed");
  l.queued.emplace(std::make_pair(needed_at_ns, task->sequence), task);
  l.work.notify_all();
  return CudaCopyHandle(task);
}

bool CudaMover::cancel(const CudaCopyHandle& handle) {
  if (!handle.task_) return false;
  Task& task = *handle.task_;
  Lane& l = impl_->lane(task.link);
  std::lock_guard lock(l.mutex);
  const auto it = l.queued.find({task.needed_at_ns, task.sequence});
  if (it == l.queued.end() || it->second.get() != &task) return false;
  l.queued.erase(it);
  ++l.stats.cancelled;
  set_state(task, CopyState::cancelled);
  l.space.notify_all();
  if (l.in_flight.empty() && l.queued.empty()) l.idle.notify_all();
  return true;
}

void CudaMover::drain() {
  for (Lane& l : impl_->lanes) {
    std::unique_lock lock(l.mutex);
    l.idle.wait(lock, [&] { return l.queued.empty() && l.in_flight.empty(); });
  }
}

void CudaMover::set_paused(Link link, bool paused) {
  if (link != Link::arena_to_host && link != Link::host_to_arena)
    throw InvalidInput(fmt::format("CudaMover: no link {}", link_name(link)));
  Lane& l = impl_->lane(link);
  std::lock_guard lock(l.mutex);
  l.paused = paused;
  l.work.notify_all();
}

LinkStats CudaMover::stats(Link link) const {
  if (link != Link::arena_to_host && link != Link::host_to_arena) return {};
  Lane& l = impl_->lane(link);
  std::lock_guard lock(l.mutex);
  return l.stats;
}

CudaLinkCounters CudaMover::counters(Link link) const {
  if (link != Link::arena_to_host && link != Link::host_to_arena) return {};
  Lane& l = impl_->lane(link);
  std::lock_guard lock(l.mutex);
  return l.counters;
}

}  // namespace strata::rt::cuda
