#pragma once
/// @file host_arena.hpp
/// @brief The device arena of a CPU machine: one budgeted host region playing the GPU memory's
/// role, carved up by a best-fit allocator (cudaMalloc'd once on a GPU in a later increment).

#include <cstdint>
#include <mutex>
#include <string>

#include "strata/rt/best_fit.hpp"
#include "strata/rt/memory_resource.hpp"

namespace strata::rt {

/// @brief How a HostArena is made.
struct HostArenaOptions {
  std::uint64_t capacity_bytes = 0;  ///< the hard budget (the "GPU memory" size)
  std::string name = "device arena (host-backed)";
};

/// @brief A fixed region of `capacity_bytes` reserved at construction (mmap, pages touched
/// lazily) with best-fit placement that coalesces freed blocks. Sizes round up to 256 bytes;
/// alignment up to 2 MiB.
class HostArena final : public MemoryResource {
 public:
  explicit HostArena(HostArenaOptions options);
  ~HostArena() override;

  void* allocate(std::uint64_t bytes,
                 std::uint64_t alignment_bytes = kDefaultAlignmentBytes) override;
  void deallocate(void* ptr, std::uint64_t bytes,
                  std::uint64_t alignment_bytes = kDefaultAlignmentBytes) noexcept override;
  MemoryStats stats() const override;
  std::string name() const override { return options_.name; }

  /// @brief The best-fit state (free blocks, fragmentation) as of now.
  BestFitStats placement() const;
  /// @brief Whether `ptr` lies inside this arena's region.
  bool owns(const void* ptr) const noexcept;

 private:
  HostArenaOptions options_;
  void* mapping_ = nullptr;
  std::byte* base_ = nullptr;
  std::uint64_t mapped_bytes_ = 0;
  mutable std::mutex mutex_;
  BestFitAllocator allocator_;
};

}  // namespace strata::rt
