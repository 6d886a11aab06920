#pragma once
/// @file cuda_mover.hpp
/// @brief Asynchronous copies between GPU memory and host memory: the Mover's arena<->host
/// links on a GPU (the host<->store links stay with rt::Mover).
///
/// Note [cuda mover]: each direction (Link::arena_to_host = device to host, Link::host_to_arena
/// = host to device) has its own non-blocking CUDA stream (never the default stream, so nothing
/// synchronises implicitly with other work), its own bounded priority queue ordered by
/// `needed_at_ns` then submission order (as rt::Mover), and one dispatcher thread that issues
/// queued copies with cudaMemcpyAsync while fewer than `max_in_flight` are on the stream; the
/// rest wait in the queue, so a copy needed sooner overtakes those queued behind it. After each
/// copy the dispatcher records the copy's CUDA event (the handle's completion event, which
/// another stream may wait on with cudaStreamWaitEvent) and enqueues a host function that marks
/// the copy done. A host buffer that is not page-locked (pageable) goes through pinned staging
/// buffers allocated at construction (`staging_chunks` of `staging_chunk_bytes` per direction),
/// chunk by chunk: the dispatcher copies a chunk into (or out of) staging on the CPU while the
/// copy engine moves the previous one; a staging chunk is reused only after its event. The API
/// never calls cudaMemcpy, cudaMalloc or cudaFree after construction. Busy time per link is
/// the union of the intervals from issue (or the previous completion) to completion, measured
/// on the host.

#include <cstdint>
#include <memory>
#include <string>

#include "strata/rt/mover.hpp"

namespace strata::rt::cuda {

/// @brief How a CudaMover is made.
struct CudaMoverOptions {
  int device = 0;
  std::uint32_t queue_capacity = 256;              ///< queued copies per link before submit blocks
  std::uint32_t max_in_flight = 4;                 ///< copies issued to a stream at once
  std::uint64_t staging_chunk_bytes = 8ULL << 20;  ///< one pinned staging chunk
  std::uint32_t staging_chunks = 2;                ///< per direction (2: double buffering)
};

/// @brief Counters of how copies were made, per direction.
struct CudaLinkCounters {
  std::uint64_t direct_copies = 0;  ///< pinned (or device) host memory: one cudaMemcpyAsync
  std::uint64_t staged_copies = 0;  ///< pageable host memory: through the staging chunks
};

namespace detail {
struct CudaCopyTask;
}

/// @brief A submitted copy. Cheap to copy; the default value names nothing.
class CudaCopyHandle {
 public:
  CudaCopyHandle() = default;
  CopyState state() const;
  /// @brief True once the copy is done, failed or cancelled.
  bool poll() const { return state() >= CopyState::done; }
  /// @brief Blocks until it is done, failed or cancelled; returns that state, throws IoError if
  /// it failed (naming the CUDA error).
  CopyState wait() const;
  bool valid() const noexcept { return task_ != nullptr; }
  /// @brief The order (from 0) in which its link issued this copy; -1 while queued.
  std::int64_t start_index() const;
  /// @brief The copy's completion event (a cudaEvent_t) once it was issued, else nullptr: a
  /// compute stream can cudaStreamWaitEvent on it instead of the host waiting.
  void* completion_event() const;

 private:
  friend class CudaMover;
  explicit CudaCopyHandle(std::shared_ptr<detail::CudaCopyTask> task) : task_(std::move(task)) {}
  std::shared_ptr<detail::CudaCopyTask> task_;
};

/// @brief Copies between device and host memory on two CUDA streams. See Note [cuda mover].
class CudaMover {
 public:
  /// @brief Creates the streams, events and pinned staging. Throws Unsupported without a GPU,
  /// InvalidInput for bad options, IoError/OutOfMemory when CUDA refuses.
  explicit CudaMover(CudaMoverOptions options = {});
  /// @brief Cancels what is queued, waits for what was issued, frees streams and staging.
  ~CudaMover();
  CudaMover(const CudaMover&) = delete;
  CudaMover& operator=(const CudaMover&) = delete;

  /// @brief Copies `bytes` from `src` to `dst`: Link::host_to_arena (host -> device) or
  /// Link::arena_to_host (device -> host). Both must stay valid until the copy finishes.
  /// InvalidInput for a store link or null pointers. Blocks while the link's queue is full.
  CudaCopyHandle copy(Link link, void* dst, const void* src, std::uint64_t bytes,
                      std::int64_t needed_at_ns = 0);
  /// @brief Cancels a queued copy: true if it was queued and now never runs.
  bool cancel(const CudaCopyHandle& handle);
  /// @brief Blocks until both links have nothing queued or in flight (a paused link with
  /// queued copies never drains).
  void drain();
  /// @brief Holds (true) or releases (false) a link's queue; issued copies still finish.
  void set_paused(Link link, bool paused);
  LinkStats stats(Link link) const;
  CudaLinkCounters counters(Link link) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata::rt::cuda
