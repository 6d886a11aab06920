#pragma once
/// @file cuda_arena.hpp
/// @brief The device arena on a GPU: one cudaMalloc of `capacity_bytes` at construction, carved
/// by the same BestFitAllocator as HostArena (256-byte granules, freed blocks coalesce), so
/// fragmentation is reported the same way. Allocation and deallocation never call CUDA (no
/// cudaMalloc/cudaFree per tensor, hence no implicit device synchronisation); the memory is
/// device memory and cannot be dereferenced on the host.

#include <cstdint>
#include <mutex>
#include <string>

#include "strata/rt/best_fit.hpp"
#include "strata/rt/memory_resource.hpp"

namespace strata::rt::cuda {

/// @brief How a CudaArena is made.
struct CudaArenaOptions {
  std::uint64_t capacity_bytes = 0;  ///< the hard budget (bytes of one cudaMalloc)
  int device = 0;                    ///< CUDA device ordinal
  std::string name = "device arena (CUDA)";
};

/// @brief GPU memory with a hard capacity and best-fit placement. Alignment up to the base
/// alignment of the cudaMalloc block (at least 256 bytes; InvalidInput beyond it). Throws
/// Unsupported without a GPU, OutOfMemory when cudaMalloc or a placement fails.
class CudaArena final : public MemoryResource {
 public:
  explicit CudaArena(CudaArenaOptions options);
  ~CudaArena() override;

  void* allocate(std::uint64_t bytes,
                 std::uint64_t alignment_bytes = kDefaultAlignmentBytes) override;
  void deallocate(void* ptr, std::uint64_t bytes,
                  std::uint64_t alignment_bytes = kDefaultAlignmentBytes) noexcept override;
  MemoryStats stats() const override;
  std::string name() const override { return options_.name; }

  /// @brief The best-fit state (free blocks, fragmentation) as of now.
  BestFitStats placement() const;
  /// @brief Whether `ptr` lies inside this arena's block.
  bool owns(const void* ptr) const noexcept;
  /// @brief The largest alignment allocate() honours (that of the cudaMalloc base, <= 2 MiB).
  std::uint64_t max_alignment_bytes() const noexcept { return max_alignment_bytes_; }
  int device() const noexcept { return options_.device; }

 private:
  CudaArenaOptions options_;
  std::byte* base_ = nullptr;
  std::uint64_t max_alignment_bytes_ = 0;
  mutable std::mutex mutex_;
  BestFitAllocator allocator_;
};

}  // namespace strata::rt::cuda
