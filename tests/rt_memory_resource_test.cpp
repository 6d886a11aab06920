// One contract suite run against every rt::MemoryResource (STYLE.md item 7), plus the
// best-fit allocator's placement and fragmentation.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "strata/core/error.hpp"
#include "strata/rt/best_fit.hpp"
#include "strata/rt/host_arena.hpp"
#include "strata/rt/pinned_host.hpp"
#ifdef STRATA_HAVE_CUDA
#include <cuda_runtime_api.h>

#include "strata/rt/cuda/cuda_arena.hpp"
#include "strata/rt/cuda/cuda_device.hpp"
#include "strata/rt/cuda/cuda_pinned_host.hpp"
#endif

namespace strata::rt {
namespace {

constexpr std::uint64_t kMiB = 1ULL << 20;

// A factory makes the resource, says why it cannot (nullopt: it can), and writes and reads its
// memory: host resources directly, device memory through the CUDA runtime.
struct HostMemoryAccess {
  static std::optional<std::string> unavailable() { return std::nullopt; }
  static void fill(std::byte* p, std::byte value, std::uint64_t bytes) {
    std::memset(p, static_cast<int>(value), bytes);
  }
  static std::byte at(const std::byte* p) { return *p; }
};

struct HostArenaFactory : HostMemoryAccess {
  static std::unique_ptr<MemoryResource> make(std::uint64_t capacity_bytes) {
    return std::make_unique<HostArena>(HostArenaOptions{capacity_bytes, "test arena"});
  }
};
struct PinnedHostFactory : HostMemoryAccess {
  static std::unique_ptr<MemoryResource> make(std::uint64_t capacity_bytes) {
    PinnedHostOptions o;
    o.capacity_bytes = capacity_bytes;
    o.name = "test pinned";
    return std::make_unique<PinnedHost>(o);
  }
};

#ifdef STRATA_HAVE_CUDA
struct CudaArenaFactory {
  static std::optional<std::string> unavailable() { return cuda::unavailable_reason(); }
  static std::unique_ptr<MemoryResource> make(std::uint64_t capacity_bytes) {
    return std::make_unique<cuda::CudaArena>(
        cuda::CudaArenaOptions{.capacity_bytes = capacity_bytes, .name = "test cuda arena"});
  }
  // Tests may synchronise; the runtime's code paths may not (docs/runtime.md).
  static void fill(std::byte* p, std::byte value, std::uint64_t bytes) {
    ASSERT_EQ(cudaMemset(p, static_cast<int>(value), bytes), cudaSuccess);
  }
  static std::byte at(const std::byte* p) {
    std::byte b{};
    EXPECT_EQ(cudaMemcpy(&b, p, 1, cudaMemcpyDeviceToHost), cudaSuccess);
    return b;
  }
};
struct CudaPinnedHostFactory : HostMemoryAccess {
  static std::optional<std::string> unavailable() { return cuda::unavailable_reason(); }
  static std::unique_ptr<MemoryResource> make(std::uint64_t capacity_bytes) {
    return std::make_unique<cuda::CudaPinnedHost>(
        cuda::CudaPinnedHostOptions{.capacity_bytes = capacity_bytes, .name = "test cuda pinned"});
  }
};
#endif

template <typename Factory>
class RtMemoryResourceContract : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const auto why = Factory::unavailable()) GTEST_SKIP() << "no GPU: " << *why;
  }
};
TYPED_TEST_SUITE_P(RtMemoryResourceContract);

TYPED_TEST_P(RtMemoryResourceContract, AllocationsAreWritableAlignedAndDisjoint) {
  auto r = TypeParam::make(8 * kMiB);
  std::vector<std::pair<std::byte*, std::uint64_t>> blocks;
  const std::uint64_t sizes[] = {1, 255, 4096, 5000, 65536, 1 * kMiB + 3};
  for (std::uint64_t s : sizes) {
    for (std::uint64_t align : {std::uint64_t{256}, std::uint64_t{4096}}) {
      auto* p = static_cast<std::byte*>(r->allocate(s, align));
      ASSERT_NE(p, nullptr);
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % align, 0u) << s << " " << align;
      TypeParam::fill(p, static_cast<std::byte>(blocks.size() + 1), s);
      blocks.emplace_back(p, s);
    }
  }
  for (std::size_t i = 0; i < blocks.size(); ++i) {  // nothing overwrote anything
    const auto [p, s] = blocks[i];
    EXPECT_EQ(TypeParam::at(p), static_cast<std::byte>(i + 1));
    EXPECT_EQ(TypeParam::at(p + s - 1), static_cast<std::byte>(i + 1));
    for (std::size_t j = i + 1; j < blocks.size(); ++j) {
      const auto [q, t] = blocks[j];
      EXPECT_TRUE(p + s <= q || q + t <= p) << "blocks " << i << " and " << j << " overlap";
    }
  }
  EXPECT_EQ(r->stats().allocation_count, blocks.size());
  EXPECT_GE(r->stats().used_bytes, 2 * (1 + 255 + 4096 + 5000 + 65536 + kMiB + 3));
  for (const auto& [p, s] : blocks) r->deallocate(p, s);
  EXPECT_EQ(r->stats().used_bytes, 0u);
  EXPECT_EQ(r->stats().allocation_count, 0u);
  EXPECT_GE(r->stats().peak_used_bytes, 2 * kMiB);
}

TYPED_TEST_P(RtMemoryResourceContract, ZeroBytesGiveNullAndNullIsIgnored) {
  auto r = TypeParam::make(kMiB);
  EXPECT_EQ(r->allocate(0), nullptr);
  r->deallocate(nullptr, 0);
  EXPECT_EQ(r->stats().used_bytes, 0u);
}

TYPED_TEST_P(RtMemoryResourceContract, BadAlignmentIsInvalidInput) {
  auto r = TypeParam::make(kMiB);
  EXPECT_THROW(r->allocate(64, 3), InvalidInput);
  EXPECT_THROW(r->allocate(64, 0), InvalidInput);
}

TYPED_TEST_P(RtMemoryResourceContract, BeyondCapacityIsOutOfMemoryNamingSizesAndChangesNothing) {
  auto r = TypeParam::make(4 * kMiB);
  void* a = r->allocate(3 * kMiB);
  const MemoryStats before = r->stats();
  try {
    r->allocate(2 * kMiB);
    FAIL() << "expected OutOfMemory";
  } catch (const OutOfMemory& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(std::to_string(2 * kMiB)), std::string::npos) << what;  // requested
    EXPECT_NE(what.find(std::to_string(4 * kMiB)), std::string::npos) << what;  // capacity
    EXPECT_NE(what.find(std::to_string(before.used_bytes)), std::string::npos) << what;  // in use
    EXPECT_NE(what.find(r->name()), std::string::npos) << what;
  }
  EXPECT_THROW(r->allocate(~std::uint64_t{0} - 100), OutOfMemory);
  const MemoryStats after = r->stats();
  EXPECT_EQ(after.used_bytes, before.used_bytes);
  EXPECT_EQ(after.allocation_count, before.allocation_count);
  r->deallocate(a, 3 * kMiB);
  void* b = r->allocate(4 * kMiB);  // the whole capacity, once freed
  EXPECT_NE(b, nullptr);
  EXPECT_THROW(r->allocate(1), OutOfMemory);
  r->deallocate(b, 4 * kMiB);
}

TYPED_TEST_P(RtMemoryResourceContract, RandomChurnKeepsContentsAndAccounts) {
  auto r = TypeParam::make(16 * kMiB);
  std::mt19937_64 rng(std::random_device{}());
  struct Block {
    std::byte* p;
    std::uint64_t bytes;
    std::byte fill;
  };
  std::vector<Block> live;
  std::uint64_t ooms = 0;
  for (int step = 0; step < 400; ++step) {
    if (!live.empty() && rng() % 3 == 0) {
      const std::size_t i = rng() % live.size();
      const Block b = live[i];
      EXPECT_EQ(TypeParam::at(b.p), b.fill);
      EXPECT_EQ(TypeParam::at(b.p + b.bytes / 2), b.fill);
      EXPECT_EQ(TypeParam::at(b.p + b.bytes - 1), b.fill);
      r->deallocate(b.p, b.bytes);
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
      continue;
    }
    const std::uint64_t bytes = 1 + rng() % (2 * kMiB);
    try {
      auto* p = static_cast<std::byte*>(r->allocate(bytes));
      const auto fill = static_cast<std::byte>(rng() % 251 + 1);
      TypeParam::fill(p, fill, bytes);
      live.push_back({p, bytes, fill});
    } catch (const OutOfMemory&) {
      ++ooms;
    }
    std::uint64_t requested = 0;
    for (const Block& b : live) requested += b.bytes;
    const MemoryStats s = r->stats();
    EXPECT_GE(s.used_bytes, requested);
    EXPECT_LE(s.used_bytes, s.capacity_bytes);
    EXPECT_EQ(s.allocation_count, live.size());
    EXPECT_LE(s.largest_free_block_bytes, s.free_bytes());
  }
  for (const Block& b : live) r->deallocate(b.p, b.bytes);
  EXPECT_EQ(r->stats().used_bytes, 0u);
  EXPECT_EQ(r->stats().fragmentation(), 0.0);
}

REGISTER_TYPED_TEST_SUITE_P(RtMemoryResourceContract, AllocationsAreWritableAlignedAndDisjoint,
                            ZeroBytesGiveNullAndNullIsIgnored, BadAlignmentIsInvalidInput,
                            BeyondCapacityIsOutOfMemoryNamingSizesAndChangesNothing,
                            RandomChurnKeepsContentsAndAccounts);
#ifdef STRATA_HAVE_CUDA
using Resources =
    ::testing::Types<HostArenaFactory, PinnedHostFactory, CudaArenaFactory, CudaPinnedHostFactory>;
#else
using Resources = ::testing::Types<HostArenaFactory, PinnedHostFactory>;
#endif
INSTANTIATE_TYPED_TEST_SUITE_P(Rt, RtMemoryResourceContract, Resources);

TEST(RtBestFit, PicksTheSmallestBlockThatFitsAndCoalesces) {
  BestFitAllocator a(1024, 64);
  const auto x = a.allocate(128, 64);  // [0,128)
  const auto y = a.allocate(64, 64);   // [128,192)
  const auto z = a.allocate(256, 64);  // [192,448)
  const auto w = a.allocate(64, 64);   // [448,512)
  ASSERT_TRUE(x && y && z && w);
  EXPECT_EQ(*x, 0u);
  EXPECT_EQ(*z, 192u);
  a.free(*x);  // free: [0,128) [192..448) later, [512,1024)
  a.free(*z);
  // 100 bytes -> 128: the 128-byte hole is the best fit, not the 256 or the 512 tail.
  EXPECT_EQ(a.allocate(100, 64).value(), 0u);
  // 200 -> 256: the 256-byte hole at 192.
  EXPECT_EQ(a.allocate(200, 64).value(), 192u);
  BestFitStats s = a.stats();
  EXPECT_EQ(s.free_block_count, 1u);
  EXPECT_EQ(s.largest_free_block_bytes, 512u);
  EXPECT_DOUBLE_EQ(s.fragmentation(), 0.0);
  // Free alternate blocks: 128 + 256 + 512 free, apart; largest 512 of 896.
  a.free(0);
  a.free(192);
  s = a.stats();
  EXPECT_EQ(s.free_bytes, 896u);
  EXPECT_EQ(s.free_block_count, 3u);
  EXPECT_NEAR(s.fragmentation(), 1.0 - 512.0 / 896.0, 1e-12);
  EXPECT_FALSE(a.allocate(600, 64).has_value());  // 896 free, but not in one piece
  // Freeing the separators coalesces everything into one block.
  a.free(*y);
  a.free(*w);
  s = a.stats();
  EXPECT_EQ(s.free_block_count, 1u);
  EXPECT_EQ(s.largest_free_block_bytes, 1024u);
  EXPECT_FALSE(a.free(12345));
}

TEST(RtBestFit, AlignmentPaddingReturnsToTheFreeList) {
  BestFitAllocator a(8192, 256);
  ASSERT_EQ(a.allocate(256, 256).value(), 0u);
  const auto big = a.allocate(1000, 4096);
  ASSERT_TRUE(big);
  EXPECT_EQ(*big, 4096u);
  EXPECT_EQ(a.stats().used_bytes, 256u + 1024u);
  EXPECT_EQ(a.allocate(3840, 256).value(), 256u);  // the padding [256, 4096) is usable
}

TEST(RtHostArena, ReportsFragmentation) {
  HostArena arena({4 * kMiB, "arena"});
  std::vector<void*> blocks;
  for (int i = 0; i < 4; ++i) blocks.push_back(arena.allocate(kMiB));
  arena.deallocate(blocks[0], kMiB);
  arena.deallocate(blocks[2], kMiB);
  const MemoryStats s = arena.stats();
  EXPECT_EQ(s.free_bytes(), 2 * kMiB);
  EXPECT_EQ(s.largest_free_block_bytes, kMiB);
  EXPECT_DOUBLE_EQ(s.fragmentation(), 0.5);
  try {
    arena.allocate(2 * kMiB);
    FAIL();
  } catch (const OutOfMemory& e) {
    EXPECT_NE(std::string(e.what()).find("fragmentation 50.0%"), std::string::npos) << e.what();
  }
  arena.deallocate(blocks[1], kMiB);
  EXPECT_EQ(arena.allocate(3 * kMiB), blocks[0]);  // coalesced
}

TEST(RtPinnedHost, FallsBackCleanlyWithoutHugePagesOrMemlock) {
  PinnedHostOptions o;
  o.capacity_bytes = 64 * kMiB;
  PinnedHost pinned(o);
  void* p = pinned.allocate(32 * kMiB);  // more than a default 8 MiB memlock limit
  std::memset(p, 1, 32 * kMiB);
  const PinnedHostCounters c = pinned.counters();
  EXPECT_EQ(c.hugetlb_mappings + c.thp_advised_mappings, 1u);
  EXPECT_EQ(c.locked_mappings + c.lock_failures, 1u);
  pinned.deallocate(p, 32 * kMiB);
}

}  // namespace
}  // namespace strata::rt
