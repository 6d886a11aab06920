#include "strata/rt/host_arena.hpp"

#include <fmt/format.h>
#include <sys/mman.h>

#include <bit>
#include <cerrno>
#include <cstring>

#include "strata/core/error.hpp"
#include "strata/core/units.hpp"

namespace strata::rt {

namespace {
constexpr std::uint64_t kMaxAlignmentBytes = 2ULL << 20;  // 2 MiB: the base is aligned to it
}  // namespace

HostArena::HostArena(HostArenaOptions options)
    : options_(std::move(options)), allocator_(options_.capacity_bytes, kDefaultAlignmentBytes) {
  if (options_.capacity_bytes == 0) return;  // an empty arena: every allocation fails
  mapped_bytes_ = options_.capacity_bytes + kMaxAlignmentBytes;
  void* p = ::mmap(nullptr, mapped_bytes_, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    throw OutOfMemory(
        fmt::format("{}: cannot reserve {} of address space for the arena ({}); "
                    "lower the capacity",
                    options_.name, format_bytes(options_.capacity_bytes), std::strerror(errno)));
  ::madvise(p, mapped_bytes_, MADV_HUGEPAGE);  // advice only; failure is harmless
  const auto raw = reinterpret_cast<std::uintptr_t>(p);
  const auto aligned = (raw + kMaxAlignmentBytes - 1) & ~(kMaxAlignmentBytes - 1);
  base_ = static_cast<std::byte*>(p) + (aligned - raw);
  mapping_ = p;
}

HostArena::~HostArena() {
  if (mapping_ != nullptr) ::munmap(mapping_, mapped_bytes_);
}

void* HostArena::allocate(std::uint64_t bytes, std::uint64_t alignment_bytes) {
  if (alignment_bytes == 0 || !std::has_single_bit(alignment_bytes) ||
      alignment_bytes > kMaxAlignmentBytes)
    throw InvalidInput(fmt::format("{}: alignment {} bytes is not a power of two up to {}",
                                   options_.name, alignment_bytes, kMaxAlignmentBytes));
  if (bytes == 0) return nullptr;
  std::lock_guard lock(mutex_);
  const auto offset = allocator_.allocate(bytes, alignment_bytes);
  if (!offset) {
    const BestFitStats s = allocator_.stats();
    throw OutOfMemory(fmt::format(
        "{}: cannot allocate {} bytes ({}, alignment {}): capacity {} bytes, in use {} bytes in "
        "{} blocks, free {} bytes, largest free block {} bytes (fragmentation {:.1f}%); free "
        "tensors, evict to a slower tier or raise the capacity",
        options_.name, bytes, format_bytes(bytes), alignment_bytes, s.capacity_bytes, s.used_bytes,
        s.live_block_count, s.free_bytes, s.largest_free_block_bytes, 100.0 * s.fragmentation()));
  }
  return base_ + *offset;
}

void HostArena::deallocate(void* ptr, std::uint64_t /*bytes*/,
                           std::uint64_t /*alignment_bytes*/) noexcept {
  if (ptr == nullptr || !owns(ptr)) return;
  std::lock_guard lock(mutex_);
  allocator_.free(static_cast<std::uint64_t>(static_cast<std::byte*>(ptr) - base_));
}

bool HostArena::owns(const void* ptr) const noexcept {
  const auto* p = static_cast<const std::byte*>(ptr);
  return base_ != nullptr && p >= base_ && p < base_ + options_.capacity_bytes;
}

BestFitStats HostArena::placement() const {
  std::lock_guard lock(mutex_);
  return allocator_.stats();
}

MemoryStats HostArena::stats() const {
  const BestFitStats s = placement();
  MemoryStats m;
  m.capacity_bytes = s.capacity_bytes;
  m.used_bytes = s.used_bytes;
  m.peak_used_bytes = s.peak_used_bytes;
  m.largest_free_block_bytes = s.largest_free_block_bytes;
  m.allocation_count = s.live_block_count;
  return m;
}

}  // namespace strata::rt
