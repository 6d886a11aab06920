// ThreadPool: every task runs exactly once, results and exceptions come back per task.
#include "strata/core/thread_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

namespace strata {
namespace {

TEST(ThreadPool, EveryTaskRunsExactlyOnce) {
  for (std::size_t threads : {1u, 2u, 4u}) {
    constexpr int kTasks = 500;
    std::vector<std::atomic<int>> runs(kTasks);
    {
      ThreadPool pool(threads);
      EXPECT_EQ(pool.size(), threads);
      std::vector<std::future<int>> results;
      for (int i = 0; i < kTasks; ++i)
        results.push_back(pool.submit([&runs, i] {
          runs[i].fetch_add(1);
          return i * i;
        }));
      for (int i = 0; i < kTasks; ++i) EXPECT_EQ(results[i].get(), i * i);
    }
    for (int i = 0; i < kTasks; ++i) EXPECT_EQ(runs[i].load(), 1) << "task " << i;
  }
}

TEST(ThreadPool, ExceptionsComeBackThroughTheirOwnTask) {
  ThreadPool pool(2);
  std::vector<std::future<int>> results;
  for (int i = 0; i < 20; ++i)
    results.push_back(pool.submit([i]() -> int {
      if (i % 3 == 0) throw std::invalid_argument("task " + std::to_string(i) + " failed");
      return i;
    }));
  for (int i = 0; i < 20; ++i) {
    if (i % 3 == 0) {
      try {
        results[i].get();
        ADD_FAILURE() << "task " << i << " should have thrown";
      } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()), "task " + std::to_string(i) + " failed");
      }
    } else {
      EXPECT_EQ(results[i].get(), i);
    }
  }
}

TEST(ThreadPool, DestructorRunsQueuedTasksBeforeJoining) {
  std::atomic<int> done{0};
  {
    ThreadPool pool(1);
    for (int i = 0; i < 50; ++i) (void)pool.submit([&done] { done.fetch_add(1); });
  }
  EXPECT_EQ(done.load(), 50);
}

TEST(ThreadPool, ZeroThreadsMeansHardwareConcurrency) {
  ThreadPool pool(0);
  EXPECT_EQ(pool.size(), ThreadPool::hardware_threads());
  EXPECT_GE(pool.size(), 1u);
  EXPECT_EQ(pool.submit([] { return 7; }).get(), 7);
}

}  // namespace
}  // namespace strata
