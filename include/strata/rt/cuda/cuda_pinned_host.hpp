#pragma once
/// @file cuda_pinned_host.hpp
/// @brief Pinned (page-locked) host memory from cudaHostAlloc, with a hard capacity: the host
/// tier on a GPU machine, which the GPU's copy engines read and write by DMA.

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "strata/rt/memory_resource.hpp"

namespace strata::rt::cuda {

/// @brief How a CudaPinnedHost is made.
struct CudaPinnedHostOptions {
  std::uint64_t capacity_bytes = 0;
  std::string name = "pinned host (CUDA)";
};

/// @brief One cudaHostAlloc per allocation (cudaHostAllocPortable), charged its size rounded up
/// to 4 KiB; alignment up to 4 KiB (cudaHostAlloc gives page-aligned memory; InvalidInput
/// beyond). Throws Unsupported without a GPU, OutOfMemory beyond the capacity or when
/// cudaHostAlloc fails (the memlock limit, or memory).
class CudaPinnedHost final : public MemoryResource {
 public:
  explicit CudaPinnedHost(CudaPinnedHostOptions options);
  ~CudaPinnedHost() override;

  void* allocate(std::uint64_t bytes,
                 std::uint64_t alignment_bytes = kDefaultAlignmentBytes) override;
  void deallocate(void* ptr, std::uint64_t bytes,
                  std::uint64_t alignment_bytes = kDefaultAlignmentBytes) noexcept override;
  MemoryStats stats() const override;
  std::string name() const override { return options_.name; }

 private:
  CudaPinnedHostOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<void*, std::uint64_t> charged_;  // pointer -> bytes charged
  std::uint64_t used_bytes_ = 0;
  std::uint64_t peak_used_bytes_ = 0;
};

}  // namespace strata::rt::cuda
