#pragma once
/// @file memory_resource.hpp
/// @brief The one interface of every memory tier the runtime allocates from (device arena,
/// pinned host memory), after RMM's `allocate(bytes, align)` / `deallocate(...) noexcept`.
///
/// Every implementation passes the typed contract suite in tests/rt_memory_resource_test.cpp:
/// allocations are writable, aligned, disjoint; a request beyond the capacity throws
/// strata::OutOfMemory naming the requested bytes, the capacity and what is in use, and leaves
/// the resource unchanged; deallocate returns the bytes. Resources are thread-safe.

#include <cstdint>
#include <string>

namespace strata::rt {

/// @brief The alignment a resource gives when none is asked for (that of cudaMalloc).
inline constexpr std::uint64_t kDefaultAlignmentBytes = 256;

/// @brief What a resource holds at one moment.
struct MemoryStats {
  std::uint64_t capacity_bytes = 0;
  std::uint64_t used_bytes = 0;  ///< bytes charged to live allocations (after rounding)
  std::uint64_t peak_used_bytes = 0;
  std::uint64_t largest_free_block_bytes = 0;  ///< the largest allocation that would succeed
  std::uint64_t allocation_count = 0;          ///< live allocations

  std::uint64_t free_bytes() const noexcept { return capacity_bytes - used_bytes; }
  /// @brief 1 - largest free block / free bytes (0 when nothing is free or one block is).
  double fragmentation() const noexcept {
    return free_bytes() == 0 ? 0.0
                             : 1.0 - static_cast<double>(largest_free_block_bytes) /
                                         static_cast<double>(free_bytes());
  }
};

/// @brief A memory tier with a hard capacity.
class MemoryResource {
 public:
  virtual ~MemoryResource() = default;

  /// @brief `bytes` of memory aligned to `alignment_bytes` (a power of two). `bytes` == 0 gives
  /// nullptr. Throws OutOfMemory (the resource unchanged) when the capacity cannot hold it and
  /// InvalidInput for a bad alignment.
  virtual void* allocate(std::uint64_t bytes,
                         std::uint64_t alignment_bytes = kDefaultAlignmentBytes) = 0;
  /// @brief Returns an allocation; `bytes` and `alignment_bytes` as given to allocate().
  /// nullptr is ignored. A pointer this resource did not hand out is a bug (std::terminate is
  /// not called; it is ignored and counted in no statistic).
  virtual void deallocate(void* ptr, std::uint64_t bytes,
                          std::uint64_t alignment_bytes = kDefaultAlignmentBytes) noexcept = 0;
  virtual MemoryStats stats() const = 0;
  /// @brief A short name for messages, e.g. "device arena (host-backed)".
  virtual std::string name() const = 0;

 protected:
  MemoryResource() = default;
  MemoryResource(const MemoryResource&) = delete;
  MemoryResource& operator=(const MemoryResource&) = delete;
};

}  // namespace strata::rt
