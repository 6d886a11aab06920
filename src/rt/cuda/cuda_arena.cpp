// The GPU device arena: one cudaMalloc carved by best fit.
#include "strata/rt/cuda/cuda_arena.hpp"

#include <cuda_runtime_api.h>
#include <fmt/format.h>

#include <bit>

#include "cuda_check.hpp"
#include "strata/core/error.hpp"
#include "strata/core/units.hpp"
#include "strata/rt/cuda/cuda_device.hpp"

namespace strata::rt::cuda {

namespace {
constexpr std::uint64_t kMaxAlignmentBytes = 2ULL << 20;
}  // namespace

CudaArena::CudaArena(CudaArenaOptions options)
    : options_(std::move(options)), allocator_(options_.capacity_bytes, kDefaultAlignmentBytes) {
  require_device();
  detail::check(cudaSetDevice(options_.device), fmt::format("cudaSetDevice({})", options_.device));
  max_alignment_bytes_ = kDefaultAlignmentBytes;
  if (options_.capacity_bytes == 0) return;  // an empty arena: every allocation fails
  void* p = nullptr;
  const cudaError_t status = cudaMalloc(&p, options_.capacity_bytes);
  if (status != cudaSuccess) {
    (void)cudaGetLastError();
    std::size_t free_bytes = 0;
    std::size_t total_bytes = 0;
    (void)cudaMemGetInfo(&free_bytes, &total_bytes);
    throw OutOfMemory(fmt::format(
        "{}: {}; the GPU has {} free of {}: lower the arena capacity", options_.name,
        detail::describe(status,
                         fmt::format("cudaMalloc({})", format_bytes(options_.capacity_bytes))),
        format_bytes(free_bytes), format_bytes(total_bytes)));
  }
  base_ = static_cast<std::byte*>(p);
  const auto address = reinterpret_cast<std::uintptr_t>(p);
  max_alignment_bytes_ = std::min<std::uint64_t>(address & (~address + 1), kMaxAlignmentBytes);
}

CudaArena::~CudaArena() {
  if (base_ != nullptr) (void)cudaFree(base_);
}

void* CudaArena::allocate(std::uint64_t bytes, std::uint64_t alignment_bytes) {
  if (alignment_bytes == 0 || !std::has_single_bit(alignment_bytes) ||
      alignment_bytes > max_alignment_bytes_)
    throw InvalidInput(fmt::format("{}: alignment {} bytes is not a power of two up to {}",
                                   options_.name, alignment_bytes, max_alignment_bytes_));
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

void CudaArena::deallocate(void* ptr, std::uint64_t /*bytes*/,
                           std::uint64_t /*alignment_bytes*/) noexcept {
  if (ptr == nullptr || !owns(ptr)) return;
  std::lock_guard lock(mutex_);
  allocator_.free(static_cast<std::uint64_t>(static_cast<std::byte*>(ptr) - base_));
}

bool CudaArena::owns(const void* ptr) const noexcept {
  const auto* p = static_cast<const std::byte*>(ptr);
  return base_ != nullptr && p >= base_ && p < base_ + options_.capacity_bytes;
}

BestFitStats CudaArena::placement() const {
  std::lock_guard lock(mutex_);
  return allocator_.stats();
}

MemoryStats CudaArena::stats() const {
  const BestFitStats s = placement();
  MemoryStats m;
  m.capacity_bytes = s.capacity_bytes;
  m.used_bytes = s.used_bytes;
  m.peak_used_bytes = s.peak_used_bytes;
  m.largest_free_block_bytes = s.largest_free_block_bytes;
  m.allocation_count = s.live_block_count;
  return m;
}

}  // namespace strata::rt::cuda
