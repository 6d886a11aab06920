// Pinned host memory from cudaHostAlloc, with a capacity.
#include "strata/rt/cuda/cuda_pinned_host.hpp"

#include <cuda_runtime_api.h>
#include <fmt/format.h>

#include <bit>

#include "cuda_check.hpp"
#include "strata/core/error.hpp"
#include "strata/core/units.hpp"
#include "strata/rt/cuda/cuda_device.hpp"

namespace strata::rt::cuda {

namespace {
constexpr std::uint64_t kPageBytes = 4096;
}  // namespace

CudaPinnedHost::CudaPinnedHost(CudaPinnedHostOptions options) : options_(std::move(options)) {
  require_device();
}

CudaPinnedHost::~CudaPinnedHost() {
  for (const auto& [p, bytes] : charged_) (void)cudaFreeHost(p);
}

void* CudaPinnedHost::allocate(std::uint64_t bytes, std::uint64_t alignment_bytes) {
  if (alignment_bytes == 0 || !std::has_single_bit(alignment_bytes) || alignment_bytes > kPageBytes)
    throw InvalidInput(fmt::format("{}: alignment {} bytes is not a power of two up to {}",
                                   options_.name, alignment_bytes, kPageBytes));
  if (bytes == 0) return nullptr;
  std::lock_guard lock(mutex_);
  const std::uint64_t free_bytes = options_.capacity_bytes - used_bytes_;
  const std::uint64_t charged =
      bytes > free_bytes ? bytes : (bytes + kPageBytes - 1) / kPageBytes * kPageBytes;
  if (bytes > free_bytes || charged > free_bytes)
    throw OutOfMemory(fmt::format(
        "{}: cannot allocate {} bytes ({} charged after page rounding): capacity {} bytes, in "
        "use {} bytes in {} allocations, free {} bytes; release host buffers or raise the "
        "pinned capacity",
        options_.name, bytes, charged, options_.capacity_bytes, used_bytes_, charged_.size(),
        free_bytes));
  void* p = nullptr;
  const cudaError_t status = cudaHostAlloc(&p, charged, cudaHostAllocPortable);
  if (status != cudaSuccess) {
    (void)cudaGetLastError();
    throw OutOfMemory(fmt::format(
        "{}: {}; the system cannot pin that much: raise the memlock limit or lower the capacity",
        options_.name,
        detail::describe(status, fmt::format("cudaHostAlloc({})", format_bytes(charged)))));
  }
  charged_.emplace(p, charged);
  used_bytes_ += charged;
  if (used_bytes_ > peak_used_bytes_) peak_used_bytes_ = used_bytes_;
  return p;
}

void CudaPinnedHost::deallocate(void* ptr, std::uint64_t /*bytes*/,
                                std::uint64_t /*alignment_bytes*/) noexcept {
  if (ptr == nullptr) return;
  std::lock_guard lock(mutex_);
  const auto it = charged_.find(ptr);
  if (it == charged_.end()) return;
  (void)cudaFreeHost(ptr);
  used_bytes_ -= it->second;
  charged_.erase(it);
}

MemoryStats CudaPinnedHost::stats() const {
  std::lock_guard lock(mutex_);
  MemoryStats m;
  m.capacity_bytes = options_.capacity_bytes;
  m.used_bytes = used_bytes_;
  m.peak_used_bytes = peak_used_bytes_;
  const std::uint64_t free_bytes = options_.capacity_bytes - used_bytes_;
  m.largest_free_block_bytes = free_bytes - free_bytes % kPageBytes;
  m.allocation_count = charged_.size();
  return m;
}

}  // namespace strata::rt::cuda
