#pragma once
/// @file pinned_host.hpp
/// @brief Pinned host memory with a capacity: on a CPU machine each allocation is its own
/// anonymous mapping, backed by huge pages where the system has them and locked where the
/// memlock limit allows (cudaHostAlloc on a GPU in a later increment).
///
/// Note [huge pages]: an allocation of at least 2 MiB first tries MAP_HUGETLB (needs reserved
/// huge pages, vm.nr_hugepages); failing that it maps normal pages and asks for transparent huge
/// pages with madvise(MADV_HUGEPAGE). mlock is tried when `lock_pages` is set; a failure
/// (RLIMIT_MEMLOCK) leaves the pages unlocked and is counted, never fatal, unless
/// `require_locked`. The capacity is charged the mapped (page-rounded) bytes.

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "strata/rt/memory_resource.hpp"

namespace strata::rt {

/// @brief How a PinnedHost resource is made.
struct PinnedHostOptions {
  std::uint64_t capacity_bytes = 0;
  bool try_huge_pages = true;   ///< MAP_HUGETLB, then MADV_HUGEPAGE
  bool lock_pages = true;       ///< try mlock on every mapping
  bool require_locked = false;  ///< an mlock failure throws OutOfMemory instead of being counted
  std::string name = "pinned host";
};

/// @brief Counters of how the mappings were made.
struct PinnedHostCounters {
  std::uint64_t hugetlb_mappings = 0;      ///< mappings on reserved huge pages
  std::uint64_t thp_advised_mappings = 0;  ///< normal mappings advised MADV_HUGEPAGE
  std::uint64_t locked_mappings = 0;
  std::uint64_t lock_failures = 0;
};

/// @brief Pinned host memory with a hard capacity; page-aligned allocations (alignment up to
/// the page size, or 2 MiB for huge-page mappings, is honoured; larger throws InvalidInput).
class PinnedHost final : public MemoryResource {
 public:
  explicit PinnedHost(PinnedHostOptions options);
  ~PinnedHost() override;

  void* allocate(std::uint64_t bytes,
                 std::uint64_t alignment_bytes = kDefaultAlignmentBytes) override;
  void deallocate(void* ptr, std::uint64_t bytes,
                  std::uint64_t alignment_bytes = kDefaultAlignmentBytes) noexcept override;
  MemoryStats stats() const override;
  std::string name() const override { return options_.name; }
  PinnedHostCounters counters() const;

 private:
  struct Mapping {
    std::uint64_t mapped_bytes = 0;
    bool locked = false;
  };
  PinnedHostOptions options_;
  std::uint64_t page_bytes_;
  mutable std::mutex mutex_;
  std::unordered_map<void*, Mapping> mappings_;
  std::uint64_t used_bytes_ = 0;
  std::uint64_t peak_used_bytes_ = 0;
  PinnedHostCounters counters_;
};

}  // namespace strata::rt
