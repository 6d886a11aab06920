#include "strata/rt/best_fit.hpp"

#include <fmt/format.h>

#include <bit>

#include "strata/core/error.hpp"

namespace strata::rt {

namespace {
std::uint64_t align_up(std::uint64_t value, std::uint64_t alignment) noexcept {
  return (value + alignment - 1) & ~(alignment - 1);
}
}  // namespace

BestFitAllocator::BestFitAllocator(std::uint64_t capacity_bytes, std::uint64_t granularity_bytes)
    : capacity_bytes_(capacity_bytes), granularity_bytes_(granularity_bytes) {
  if (granularity_bytes == 0 || !std::has_single_bit(granularity_bytes))
    throw InvalidInput(fmt::format(
        "best-fit allocator: granularity {} bytes is not a power of two; use e.g. 256 or 4096",
        granularity_bytes));
  // Only whole granules are placeable.
  capacity_bytes_ = capacity_bytes - capacity_bytes % granularity_bytes;
  if (capacity_bytes_ > 0) insert_free(0, capacity_bytes_);
}

std::uint64_t BestFitAllocator::rounded(std::uint64_t bytes) const noexcept {
  return align_up(bytes, granularity_bytes_);
}

void BestFitAllocator::insert_free(std::uint64_t offset, std::uint64_t bytes) {
  free_by_size_.emplace(bytes, offset);
  free_by_offset_.emplace(offset, bytes);
}

void BestFitAllocator::erase_free(std::uint64_t offset, std::uint64_t bytes) {
  free_by_size_.erase({bytes, offset});
  free_by_offset_.erase(offset);
}

std::optional<std::uint64_t> BestFitAllocator::allocate(std::uint64_t bytes,
                                                        std::uint64_t alignment) {
  STRATA_EXPECTS(bytes > 0, "best-fit allocate of 0 bytes");
  STRATA_EXPECTS(alignment > 0 && std::has_single_bit(alignment),
                 fmt::format("alignment {} is not a power of two", alignment));
  if (alignment < granularity_bytes_) alignment = granularity_bytes_;
  const std::uint64_t need = rounded(bytes);
  if (need < bytes) return std::nullopt;  // overflow
  // Smallest block first; the first one that holds the request after alignment wins.
  for (auto it = free_by_size_.lower_bound({need, 0}); it != free_by_size_.end(); ++it) {
    const auto [block_bytes, block_offset] = *it;
    const std::uint64_t start = align_up(block_offset, alignment);
    const std::uint64_t pad = start - block_offset;
    if (pad > block_bytes || block_bytes - pad < need) continue;
    erase_free(block_offset, block_bytes);
    if (pad > 0) insert_free(block_offset, pad);
    const std::uint64_t tail = block_bytes - pad - need;
    if (tail > 0) insert_free(start + need, tail);
    live_.emplace(start, need);
    used_bytes_ += need;
    if (used_bytes_ > peak_used_bytes_) peak_used_bytes_ = used_bytes_;
    return start;
  }
  return std::nullopt;
}

bool BestFitAllocator::free(std::uint64_t offset) noexcept {
  const auto live = live_.find(offset);
  if (live == live_.end()) return false;
  std::uint64_t start = offset;
  std::uint64_t bytes = live->second;
  live_.erase(live);
  used_bytes_ -= bytes;
  // Merge with the free block after, then the one before.
  if (const auto next = free_by_offset_.find(start + bytes); next != free_by_offset_.end()) {
    const std::uint64_t next_bytes = next->second;
    erase_free(next->first, next_bytes);
    bytes += next_bytes;
  }
  if (auto prev = free_by_offset_.lower_bound(start); prev != free_by_offset_.begin()) {
    --prev;
    if (prev->first + prev->second == start) {
      const auto [prev_offset, prev_bytes] = *prev;
      erase_free(prev_offset, prev_bytes);
      start = prev_offset;
      bytes += prev_bytes;
    }
  }
  insert_free(start, bytes);
  return true;
}

std::optional<std::uint64_t> BestFitAllocator::block_bytes(std::uint64_t offset) const {
  const auto it = live_.find(offset);
  if (it == live_.end()) return std::nullopt;
  return it->second;
}

BestFitStats BestFitAllocator::stats() const noexcept {
  BestFitStats s;
  s.capacity_bytes = capacity_bytes_;
  s.used_bytes = used_bytes_;
  s.free_bytes = capacity_bytes_ - used_bytes_;
  s.largest_free_block_bytes = free_by_size_.empty() ? 0 : free_by_size_.rbegin()->first;
  s.free_block_count = free_by_size_.size();
  s.live_block_count = live_.size();
  s.peak_used_bytes = peak_used_bytes_;
  return s;
}

}  // namespace strata::rt
