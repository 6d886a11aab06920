#include "strata/rt/pinned_host.hpp"

#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>

#include "strata/core/error.hpp"
#include "strata/core/units.hpp"

namespace strata::rt {

namespace {
constexpr std::uint64_t kHugePageBytes = 2ULL << 20;

std::uint64_t round_up(std::uint64_t value, std::uint64_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}
}  // namespace

PinnedHost::PinnedHost(PinnedHostOptions options)
    : options_(std::move(options)),
      page_bytes_(static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE))) {}

PinnedHost::~PinnedHost() {
  for (const auto& [ptr, mapping] : mappings_) ::munmap(ptr, mapping.mapped_bytes);
}

void* PinnedHost::allocate(std::uint64_t bytes, std::uint64_t alignment_bytes) {
  if (alignment_bytes == 0 || !std::has_single_bit(alignment_bytes) ||
      alignment_bytes > page_bytes_)
    throw InvalidInput(
        fmt::format("{}: alignment {} bytes is not a power of two up to the "
                    "page size ({} bytes)",
                    options_.name, alignment_bytes, page_bytes_));
  if (bytes == 0) return nullptr;
  const bool huge = options_.try_huge_pages && bytes >= kHugePageBytes;
  const std::uint64_t small_bytes = round_up(bytes, page_bytes_);
  const std::uint64_t huge_bytes = round_up(bytes, kHugePageBytes);

  std::lock_guard lock(mutex_);
  auto fail_capacity = [&](std::uint64_t charged) {
    throw OutOfMemory(fmt::format(
        "{}: cannot allocate {} bytes ({} charged after page rounding): capacity {} bytes, in "
        "use {} bytes in {} allocations, free {} bytes; release host buffers or raise the "
        "pinned capacity",
        options_.name, bytes, charged, options_.capacity_bytes, used_bytes_, mappings_.size(),
        options_.capacity_bytes - used_bytes_));
  };
  if (small_bytes > options_.capacity_bytes - used_bytes_) fail_capacity(small_bytes);

  void* p = MAP_FAILED;
  std::uint64_t mapped = small_bytes;
  if (huge && huge_bytes <= options_.capacity_bytes - used_bytes_) {
    p = ::mmap(nullptr, huge_bytes, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
    if (p != MAP_FAILED) {
      mapped = huge_bytes;
      ++counters_.hugetlb_mappings;
    }
  }
  if (p == MAP_FAILED) {
    p = ::mmap(nullptr, small_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
      throw OutOfMemory(fmt::format("{}: mmap of {} failed ({}); the system is out of memory",
                                    options_.name, format_bytes(small_bytes),
                                    std::strerror(errno)));
    if (huge && ::madvise(p, small_bytes, MADV_HUGEPAGE) == 0) ++counters_.thp_advised_mappings;
  }
  Mapping m{mapped, false};
  if (options_.lock_pages) {
    if (::mlock(p, mapped) == 0) {
      m.locked = true;
      ++counters_.locked_mappings;
    } else {
      const int err = errno;
      ++counters_.lock_failures;
      if (options_.require_locked) {
        ::munmap(p, mapped);
        throw OutOfMemory(fmt::format(
            "{}: mlock of {} failed ({}); raise the memlock limit (ulimit -l) or do not "
            "require locked pages",
            options_.name, format_bytes(mapped), std::strerror(err)));
      }
    }
  }
  mappings_.emplace(p, m);
  used_bytes_ += mapped;
  if (used_bytes_ > peak_used_bytes_) peak_used_bytes_ = used_bytes_;
  return p;
}

void PinnedHost::deallocate(void* ptr, std::uint64_t /*bytes*/,
                            std::uint64_t /*alignment_bytes*/) noexcept {
  if (ptr == nullptr) return;
  std::lock_guard lock(mutex_);
  const auto it = mappings_.find(ptr);
  if (it == mappings_.end()) return;
  ::munmap(ptr, it->second.mapped_bytes);  // also unlocks
  used_bytes_ -= it->second.mapped_bytes;
  mappings_.erase(it);
}

MemoryStats PinnedHost::stats() const {
  std::lock_guard lock(mutex_);
  MemoryStats m;
  m.capacity_bytes = options_.capacity_bytes;
  m.used_bytes = used_bytes_;
  m.peak_used_bytes = peak_used_bytes_;
  // Every allocation is its own mapping: anything up to the remaining budget (page-rounded).
  const std::uint64_t free_bytes = options_.capacity_bytes - used_bytes_;
  m.largest_free_block_bytes = free_bytes - free_bytes % page_bytes_;
  m.allocation_count = mappings_.size();
  return m;
}

PinnedHostCounters PinnedHost::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

}  // namespace strata::rt
