// The mover: checksummed copies over every link direction, priority order, cancellation,
// bounded queues, failures, per-link counters.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <numeric>
#include <random>
#include <thread>
#include <vector>

#include "strata/core/error.hpp"
#include "strata/rt/file_byte_store.hpp"
#include "strata/rt/host_arena.hpp"
#include "strata/rt/memory_byte_store.hpp"
#include "strata/rt/mover.hpp"
#include "strata/rt/pinned_host.hpp"
#include "support/rt_dirs.hpp"

namespace strata::rt {
namespace {

constexpr std::uint64_t kMiB = 1ULL << 20;

std::uint64_t checksum(const void* p, std::uint64_t bytes) {
  return XXH3_64bits(p, static_cast<std::size_t>(bytes));
}

void fill_random(std::mt19937_64& rng, void* p, std::uint64_t bytes) {
  auto* b = static_cast<std::byte*>(p);
  for (std::uint64_t i = 0; i < bytes; ++i) b[i] = static_cast<std::byte>(rng());
}

TEST(RtMover, ArenaHostStoreRoundTripsAreBitIdentical) {
  STRATA_REQUIRE_DIRECT_IO_DIR(dir);
  const std::uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  HostArena arena({16 * kMiB, "arena"});
  PinnedHost host({.capacity_bytes = 16 * kMiB});
  FileByteStoreOptions so;
  so.directories = {dir, dir};
  so.capacity_bytes = 16 * kMiB;
  so.stripe_bytes = 128 * 1024;
  so.file_prefix = "strata-rt-mover-test";
  FileByteStore store(so);
  Mover mover({}, &store);

  struct Tensor {
    std::uint64_t bytes;
    void* device;
    void* staging;
    std::uint64_t sum;
  };
  std::vector<Tensor> tensors;
  for (int i = 0; i < 8; ++i) {
    const std::uint64_t bytes = 1 + rng() % kMiB;
    Tensor t{bytes, arena.allocate(bytes), host.allocate(bytes), 0};
    fill_random(rng, t.device, bytes);
    t.sum = checksum(t.device, bytes);
    tensors.push_back(t);
  }
  // Evict: arena -> host -> store, then clobber both copies.
  std::vector<CopyHandle> h;
  for (const Tensor& t : tensors)
    h.push_back(mover.copy(Link::arena_to_host, t.staging, t.device, t.bytes));
  for (auto& c : h) EXPECT_EQ(c.wait(), CopyState::done);
  h.clear();
  for (std::uint64_t k = 0; k < tensors.size(); ++k)
    h.push_back(mover.store_put(k, tensors[k].staging, tensors[k].bytes));
  for (auto& c : h) EXPECT_EQ(c.wait(), CopyState::done);
  h.clear();
  for (const Tensor& t : tensors) {
    std::memset(t.device, 0, t.bytes);
    std::memset(t.staging, 0, t.bytes);
  }
  // Prefetch back: store -> host -> arena.
  for (std::uint64_t k = 0; k < tensors.size(); ++k)
    h.push_back(mover.store_get(k, tensors[k].staging, tensors[k].bytes));
  for (auto& c : h) EXPECT_EQ(c.wait(), CopyState::done);
  h.clear();
  for (const Tensor& t : tensors)
    h.push_back(mover.copy(Link::host_to_arena, t.device, t.staging, t.bytes));
  for (auto& c : h) EXPECT_EQ(c.wait(), CopyState::done);
  std::uint64_t total = 0;
  for (const Tensor& t : tensors) {
    EXPECT_EQ(checksum(t.device, t.bytes), t.sum);
    total += t.bytes;
  }
  for (std::size_t l = 0; l < kLinkCount; ++l) {
    const LinkStats s = mover.stats(static_cast<Link>(l));
    EXPECT_EQ(s.bytes, total) << link_name(static_cast<Link>(l));
    EXPECT_EQ(s.copies, tensors.size());
    EXPECT_GT(s.busy_ns, 0);
  }
  for (const Tensor& t : tensors) {
    arena.deallocate(t.device, t.bytes);
    host.deallocate(t.staging, t.bytes);
  }
}

TEST(RtMover, SoonerNeededCopiesGoFirst) {
  std::mt19937_64 rng(std::random_device{}());
  Mover mover;
  constexpr int kCopies = 24;
  std::vector<std::vector<std::byte>> src(kCopies, std::vector<std::byte>(4096, std::byte{1}));
  std::vector<std::vector<std::byte>> dst(kCopies, std::vector<std::byte>(4096));
  std::vector<std::int64_t> needed(kCopies);
  for (auto& n : needed) n = static_cast<std::int64_t>(rng() % 8);  // ties too
  mover.set_paused(Link::host_to_arena, true);
  std::vector<CopyHandle> h;
  for (int i = 0; i < kCopies; ++i)
    h.push_back(mover.copy(Link::host_to_arena, dst[i].data(), src[i].data(), 4096, needed[i]));
  for (const auto& c : h) EXPECT_EQ(c.state(), CopyState::queued);
  mover.set_paused(Link::host_to_arena, false);
  for (const auto& c : h) EXPECT_EQ(c.wait(), CopyState::done);
  std::vector<int> expected(kCopies);
  std::iota(expected.begin(), expected.end(), 0);
  std::stable_sort(expected.begin(), expected.end(),
                   [&](int a, int b) { return needed[a] < needed[b]; });
  for (int pos = 0; pos < kCopies; ++pos)
    EXPECT_EQ(h[expected[pos]].start_index(), pos) << "copy " << expected[pos];
}

TEST(RtMover, CancelledCopiesNeverRun) {
  Mover mover;
  std::vector<std::byte> src(64 * 1024, std::byte{7});
  std::vector<std::vector<std::byte>> dst(6, std::vector<std::byte>(src.size()));
  mover.set_paused(Link::arena_to_host, true);
  std::vector<CopyHandle> h;
  for (auto& d : dst)
    h.push_back(mover.copy(Link::arena_to_host, d.data(), src.data(), src.size()));
  EXPECT_TRUE(mover.cancel(h[1]));
  EXPECT_TRUE(mover.cancel(h[4]));
  EXPECT_FALSE(mover.cancel(h[4]));  // already cancelled
  mover.set_paused(Link::arena_to_host, false);
  mover.drain();
  for (std::size_t i = 0; i < dst.size(); ++i) {
    const bool cancelled = i == 1 || i == 4;
    EXPECT_EQ(h[i].wait(), cancelled ? CopyState::cancelled : CopyState::done) << i;
    EXPECT_EQ(dst[i][0], cancelled ? std::byte{0} : std::byte{7}) << i;
  }
  EXPECT_FALSE(mover.cancel(h[0]));  // done: too late
  const LinkStats s = mover.stats(Link::arena_to_host);
  EXPECT_EQ(s.cancelled, 2u);
  EXPECT_EQ(s.copies, 4u);
  EXPECT_EQ(s.bytes, 4 * src.size());
}

TEST(RtMover, FullQueueBlocksTheSubmitter) {
  Mover mover({.queue_capacity = 2});
  std::vector<std::byte> a(1024, std::byte{1}), b(1024), c(1024), d(1024);
  mover.set_paused(Link::host_to_arena, true);
  mover.copy(Link::host_to_arena, b.data(), a.data(), a.size());
  mover.copy(Link::host_to_arena, c.data(), a.data(), a.size());
  std::atomic<bool> submitted{false};
  std::thread t([&] {
    mover.copy(Link::host_to_arena, d.data(), a.data(), a.size());
    submitted = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(submitted.load());  // the queue is full and paused
  mover.set_paused(Link::host_to_arena, false);
  t.join();
  EXPECT_TRUE(submitted.load());
  mover.drain();
  EXPECT_EQ(d[0], std::byte{1});
}

TEST(RtMover, StoreFailuresReachTheHandle) {
  MemoryByteStore store({.capacity_bytes = kMiB});
  Mover mover({}, &store);
  std::vector<std::byte> v(5000, std::byte{9});
  EXPECT_THROW(mover.store_get(42, v.data(), v.size()).wait(), InvalidInput);  // missing key
  store.set_fault_injector([](const FaultSite&) { return true; });
  EXPECT_THROW(mover.store_put(1, v.data(), v.size()).wait(), IoError);
  store.set_fault_injector({});
  EXPECT_EQ(mover.store_put(1, v.data(), v.size()).wait(), CopyState::done);
  EXPECT_EQ(mover.stats(Link::store_to_host).failed, 1u);
  EXPECT_EQ(mover.stats(Link::host_to_store).failed, 1u);
  EXPECT_EQ(mover.stats(Link::host_to_store).copies, 1u);
}

TEST(RtMover, MisuseIsInvalidInput) {
  Mover mover;
  std::vector<std::byte> v(16);
  EXPECT_THROW(mover.store_put(1, v.data(), v.size()), InvalidInput);  // no store
  EXPECT_THROW(mover.copy(Link::host_to_store, v.data(), v.data(), 16), InvalidInput);
  EXPECT_THROW(mover.copy(Link::host_to_arena, nullptr, v.data(), 16), InvalidInput);
  EXPECT_THROW(Mover({.queue_capacity = 0}), InvalidInput);
  EXPECT_THROW(CopyHandle().wait(), InvalidInput);
}

}  // namespace
}  // namespace strata::rt
