// The CUDA backend beyond the memory-resource contract suite: the arena's fragmentation, the
// CUDA mover (round trips through pinned and pageable memory, priorities, cancellation,
// completion events) and, without a GPU, that every constructor refuses with Unsupported.
// Tests that need a GPU skip with the reason where there is none.
#include <gtest/gtest.h>

#ifdef STRATA_HAVE_CUDA
#include <cuda_runtime_api.h>

#include <cstring>
#include <numeric>
#include <random>
#include <vector>

#include "strata/core/error.hpp"
#include "strata/rt/cuda/cuda_arena.hpp"
#include "strata/rt/cuda/cuda_device.hpp"
#include "strata/rt/cuda/cuda_mover.hpp"
#include "strata/rt/cuda/cuda_pinned_host.hpp"

namespace strata::rt::cuda {
namespace {

constexpr std::uint64_t kMiB = 1ULL << 20;

#define STRATA_REQUIRE_GPU()                                                       \
  do {                                                                             \
    if (const auto why = unavailable_reason()) GTEST_SKIP() << "no GPU: " << *why; \
  } while (false)

TEST(RtCuda, WithoutAGpuEveryConstructorIsUnsupported) {
  const auto why = unavailable_reason();
  if (!why) GTEST_SKIP() << "a GPU is present: the refusal path cannot be checked here";
  EXPECT_THROW(CudaArena({.capacity_bytes = kMiB}), Unsupported);
  EXPECT_THROW(CudaPinnedHost({.capacity_bytes = kMiB}), Unsupported);
  EXPECT_THROW(CudaMover(), Unsupported);
  try {
    require_device();
    FAIL() << "require_device() accepted a machine without a GPU";
  } catch (const Unsupported& e) {
    EXPECT_NE(std::string(e.what()).find(*why), std::string::npos) << e.what();
  }
}

TEST(RtCuda, ArenaReportsFragmentation) {
  STRATA_REQUIRE_GPU();
  CudaArena arena({.capacity_bytes = 4 * kMiB});
  std::vector<void*> blocks;
  for (int i = 0; i < 4; ++i) blocks.push_back(arena.allocate(kMiB));
  arena.deallocate(blocks[0], kMiB);
  arena.deallocate(blocks[2], kMiB);
  EXPECT_EQ(arena.stats().free_bytes(), 2 * kMiB);
  EXPECT_EQ(arena.stats().largest_free_block_bytes, kMiB);
  EXPECT_DOUBLE_EQ(arena.stats().fragmentation(), 0.5);
  EXPECT_THROW(arena.allocate(2 * kMiB), OutOfMemory);
  arena.deallocate(blocks[1], kMiB);  // coalesces [0, 3 MiB)
  EXPECT_EQ(arena.stats().largest_free_block_bytes, 3 * kMiB);
  EXPECT_TRUE(arena.owns(blocks[3]));
  arena.deallocate(blocks[3], kMiB);
  EXPECT_GE(arena.max_alignment_bytes(), 256u);
}

std::vector<std::byte> random_bytes(std::uint64_t n, std::uint64_t seed) {
  std::vector<std::byte> v(n);
  std::mt19937_64 rng(seed);
  for (auto& b : v) b = static_cast<std::byte>(rng());
  return v;
}

TEST(RtCuda, MoverRoundTripsPinnedAndPageableMemory) {
  STRATA_REQUIRE_GPU();
  CudaArena arena({.capacity_bytes = 64 * kMiB});
  CudaPinnedHost pinned({.capacity_bytes = 64 * kMiB});
  // Several staging chunks' worth plus an odd tail, so the staged path pipelines.
  CudaMover mover({.staging_chunk_bytes = 1 * kMiB, .staging_chunks = 2});
  for (const std::uint64_t bytes : {std::uint64_t{1}, std::uint64_t{4096 + 7}, 5 * kMiB + 123}) {
    SCOPED_TRACE(bytes);
    const std::vector<std::byte> data = random_bytes(bytes, bytes);
    auto* device = static_cast<std::byte*>(arena.allocate(bytes));
    // pageable -> device -> pinned -> device -> pageable
    std::vector<std::byte> pageable_out(bytes);
    auto* pin = static_cast<std::byte*>(pinned.allocate(bytes));
    auto* device2 = static_cast<std::byte*>(arena.allocate(bytes));
    EXPECT_EQ(mover.copy(Link::host_to_arena, device, data.data(), bytes).wait(), CopyState::done);
    EXPECT_EQ(mover.copy(Link::arena_to_host, pin, device, bytes).wait(), CopyState::done);
    EXPECT_EQ(std::memcmp(pin, data.data(), bytes), 0);
    EXPECT_EQ(mover.copy(Link::host_to_arena, device2, pin, bytes).wait(), CopyState::done);
    EXPECT_EQ(mover.copy(Link::arena_to_host, pageable_out.data(), device2, bytes).wait(),
              CopyState::done);
    EXPECT_EQ(pageable_out, data);
    arena.deallocate(device, bytes);
    arena.deallocate(device2, bytes);
    pinned.deallocate(pin, bytes);
  }
  EXPECT_EQ(mover.counters(Link::host_to_arena).staged_copies, 3u);
  EXPECT_EQ(mover.counters(Link::host_to_arena).direct_copies, 3u);
  EXPECT_EQ(mover.counters(Link::arena_to_host).staged_copies, 3u);
  EXPECT_EQ(mover.counters(Link::arena_to_host).direct_copies, 3u);
  const std::uint64_t total = 1 + 4096 + 7 + 5 * kMiB + 123;
  EXPECT_EQ(mover.stats(Link::host_to_arena).bytes, 2 * total);
  EXPECT_EQ(mover.stats(Link::host_to_arena).copies, 6u);
  EXPECT_GT(mover.stats(Link::host_to_arena).busy_ns, 0);
}

TEST(RtCuda, MoverIssuesSoonerNeededCopiesFirstAndCancelsQueuedOnes) {
  STRATA_REQUIRE_GPU();
  CudaArena arena({.capacity_bytes = 16 * kMiB});
  CudaPinnedHost pinned({.capacity_bytes = 16 * kMiB});
  CudaMover mover({.max_in_flight = 1});
  void* device = arena.allocate(kMiB);
  void* host = pinned.allocate(kMiB);
  mover.set_paused(Link::host_to_arena, true);
  const std::int64_t needed[] = {50, 10, 30, 10, 20};
  std::vector<CudaCopyHandle> handles;
  for (const std::int64_t t : needed)
    handles.push_back(mover.copy(Link::host_to_arena, device, host, kMiB, t));
  EXPECT_TRUE(mover.cancel(handles[2]));  // needed at 30: never runs
  EXPECT_FALSE(mover.cancel(handles[2]));
  EXPECT_EQ(handles[2].state(), CopyState::cancelled);
  EXPECT_EQ(handles[0].completion_event(), nullptr);  // not issued yet
  mover.set_paused(Link::host_to_arena, false);
  mover.drain();
  EXPECT_EQ(handles[1].start_index(), 0);  // 10, first submitted
  EXPECT_EQ(handles[3].start_index(), 1);  // 10, second
  EXPECT_EQ(handles[4].start_index(), 2);  // 20
  EXPECT_EQ(handles[0].start_index(), 3);  // 50
  EXPECT_EQ(handles[2].start_index(), -1);
  for (const std::size_t i : {0u, 1u, 3u, 4u}) {
    EXPECT_EQ(handles[i].wait(), CopyState::done);
    EXPECT_NE(handles[i].completion_event(), nullptr);
    EXPECT_EQ(cudaEventQuery(static_cast<cudaEvent_t>(handles[i].completion_event())), cudaSuccess);
  }
  EXPECT_EQ(mover.stats(Link::host_to_arena).cancelled, 1u);
  EXPECT_EQ(mover.stats(Link::host_to_arena).copies, 4u);
  arena.deallocate(device, kMiB);
  pinned.deallocate(host, kMiB);
}

TEST(RtCuda, MoverRefusesMisuse) {
  STRATA_REQUIRE_GPU();
  CudaMover mover;
  std::byte b{};
  EXPECT_THROW(mover.copy(Link::host_to_store, &b, &b, 1), InvalidInput);
  EXPECT_THROW(mover.copy(Link::host_to_arena, nullptr, &b, 1), InvalidInput);
  EXPECT_EQ(mover.copy(Link::host_to_arena, nullptr, nullptr, 0).state(), CopyState::done);
  EXPECT_THROW(CudaMover({.max_in_flight = 0}), InvalidInput);
  EXPECT_THROW(CudaArena({.capacity_bytes = kMiB}).allocate(64, 3), InvalidInput);
}

}  // namespace
}  // namespace strata::rt::cuda

#else

TEST(RtCuda, BuiltWithoutTheCudaBackend) {
  GTEST_SKIP() << "built without the CUDA backend (no nvcc found, or STRATA_CUDA=OFF)";
}

#endif
