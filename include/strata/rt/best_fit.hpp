#pragma once
/// @file best_fit.hpp
/// @brief A best-fit allocator over an abstract range of offsets [0, capacity): the placement
/// logic shared by the device arena (host-backed on a CPU machine) and the byte store's extents.
///
/// Note [best fit]: free blocks are kept twice, by (size, offset) for the search and by offset
/// for coalescing. allocate() takes the smallest free block that holds the request after
/// aligning its start (ties: lowest offset), so the result is a pure function of the call
/// sequence. The alignment padding in front of a block and the tail behind it go back to the
/// free lists; free() merges a block with its free neighbours, so two adjacent free blocks never
/// exist. Fragmentation is 1 - largest free block / total free bytes (0 when nothing is free).

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>

namespace strata::rt {

/// @brief Occupancy of a best-fit range at one moment.
struct BestFitStats {
  std::uint64_t capacity_bytes = 0;
  std::uint64_t used_bytes = 0;  ///< sum of live blocks (as rounded by the allocator)
  std::uint64_t free_bytes = 0;
  std::uint64_t largest_free_block_bytes = 0;
  std::uint64_t free_block_count = 0;
  std::uint64_t live_block_count = 0;
  std::uint64_t peak_used_bytes = 0;

  /// @brief 1 - largest free block / free bytes: 0 = one free block, near 1 = shattered.
  double fragmentation() const noexcept {
    return free_bytes == 0 ? 0.0
                           : 1.0 - static_cast<double>(largest_free_block_bytes) /
                                       static_cast<double>(free_bytes);
  }
};

/// @brief Best-fit placement of blocks in [0, capacity_bytes), coalescing on free.
/// Not thread-safe; the owning resource locks.
class BestFitAllocator {
 public:
  /// @param capacity_bytes size of the range.
  /// @param granularity_bytes every block size is rounded up to a multiple of this (a power of
  /// two, >= 1); offsets are multiples of it too.
  explicit BestFitAllocator(std::uint64_t capacity_bytes, std::uint64_t granularity_bytes = 256);

  /// @brief Places a block of `bytes` (> 0) whose offset is a multiple of `alignment` (a power
  /// of two). Returns its offset, or nullopt when no free block can hold it.
  std::optional<std::uint64_t> allocate(std::uint64_t bytes, std::uint64_t alignment);
  /// @brief Frees the block at `offset`. Returns false (and changes nothing) if no live block
  /// starts there.
  bool free(std::uint64_t offset) noexcept;
  /// @brief Size of the live block at `offset` (as rounded), or nullopt.
  std::optional<std::uint64_t> block_bytes(std::uint64_t offset) const;

  /// @brief The request size as this allocator stores it (rounded up to the granularity).
  std::uint64_t rounded(std::uint64_t bytes) const noexcept;
  BestFitStats stats() const noexcept;
  std::uint64_t capacity_bytes() const noexcept { return capacity_bytes_; }
  std::uint64_t granularity_bytes() const noexcept { return granularity_bytes_; }

 private:
  void insert_free(std::uint64_t offset, std::uint64_t bytes);
  void erase_free(std::uint64_t offset, std::uint64_t bytes);

  std::uint64_t capacity_bytes_;
  std::uint64_t granularity_bytes_;
  std::uint64_t used_bytes_ = 0;
  std::uint64_t peak_used_bytes_ = 0;
  std::set<std::pair<std::uint64_t, std::uint64_t>> free_by_size_;  // (bytes, offset)
  std::map<std::uint64_t, std::uint64_t> free_by_offset_;           // offset -> bytes
  std::unordered_map<std::uint64_t, std::uint64_t> live_;           // offset -> bytes
};

}  // namespace strata::rt
