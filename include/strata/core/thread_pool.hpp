#pragma once
/// @file thread_pool.hpp
/// @brief A small fixed-size pool of worker threads for independent jobs (one simulation per
/// policy and swept value in `strata compare` / `strata sweep`).
///
/// Tasks run first-in first-out on `size()` threads. submit() returns a std::future: a task's
/// result, or the exception it threw, comes back through its own future, so one failing task
/// never disturbs the others. The destructor finishes every queued task, then joins. The pool
/// owns no global state; make one where it is needed and pass it down.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace strata {

class ThreadPool {
 public:
  /// @brief Starts `threads` workers; 0 means one per hardware thread (at least 1).
  explicit ThreadPool(std::size_t threads = 0);
  /// @brief Runs every task still queued, then joins the workers.
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /// @brief Number of worker threads.
  std::size_t size() const { return workers_.size(); }

  /// @brief Queues `f()`; the future holds its result or the exception it threw.
  template <class F>
  auto submit(F f) -> std::future<std::invoke_result_t<F&>> {
    using R = std::invoke_result_t<F&>;
    auto task = std::make_shared<std::packaged_task<R()>>(std::move(f));
    std::future<R> result = task->get_future();
    enqueue([task] { (*task)(); });
    return result;
  }

  /// @brief The default worker count: std::thread::hardware_concurrency(), at least 1.
  static std::size_t hardware_threads();

 private:
  void enqueue(std::function<void()> job);
  void work();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace strata
