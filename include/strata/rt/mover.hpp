#pragma once
/// @file mover.hpp
/// @brief Asynchronous copies per link direction: arena <-> pinned host by worker threads
/// doing memcpy (CUDA streams on a GPU, later), host <-> byte store by io_uring.
///
/// Note [mover queues]: each link direction has its own bounded queue and its own workers, so
/// an eviction to flash never waits behind a prefetch into the arena. A queue is ordered by
/// `needed_at_ns` (the time the copy's data is needed; smaller goes first) and then by
/// submission order, so equal priorities are FIFO and runs are deterministic for one worker. A
/// submit blocks while its link's queue holds `queue_capacity` copies (back-pressure). A queued
/// copy can be cancelled; a running one finishes. Each link counts bytes, copies and busy time
/// (the sum over its workers of the time spent copying). The destructor cancels what is still
/// queued and waits for what runs.

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace strata::rt {

class ByteStore;

/// @brief A link direction between two tiers.
enum class Link : std::uint8_t { arena_to_host, host_to_arena, host_to_store, store_to_host };
inline constexpr std::size_t kLinkCount = 4;
/// @brief "arena->host", "host->arena", "host->store", "store->host".
std::string_view link_name(Link link) noexcept;

/// @brief Where a copy is.
enum class CopyState : int { queued, running, done, failed, cancelled };
std::string_view copy_state_name(CopyState state) noexcept;

/// @brief How a Mover is made.
struct MoverOptions {
  std::uint32_t queue_capacity = 256;         ///< queued copies per link before submit blocks
  std::uint32_t memcpy_threads_per_link = 1;  ///< workers on each arena<->host direction
};

/// @brief Counters of one link direction.
struct LinkStats {
  std::uint64_t bytes = 0;  ///< bytes of completed copies
  std::uint64_t copies = 0;
  std::uint64_t failed = 0;
  std::uint64_t cancelled = 0;
  std::int64_t busy_ns = 0;  ///< summed over the link's workers
};

namespace detail {
struct CopyTask;
}

/// @brief A submitted copy. Cheap to copy; the default value names nothing.
class CopyHandle {
 public:
  CopyHandle() = default;
  CopyState state() const;
  /// @brief True once the copy is done, failed or cancelled.
  bool poll() const { return state() >= CopyState::done; }
  /// @brief Blocks until it is done, failed or cancelled; returns that state, throws the
  /// copy's error (IoError, InvalidInput) if it failed.
  CopyState wait() const;
  bool valid() const noexcept { return task_ != nullptr; }
  /// @brief The position (from 0) at which its link started this copy; -1 while queued or
  /// if it never ran. Tells tests and traces the order copies actually ran in.
  std::int64_t start_index() const;

 private:
  friend class Mover;
  explicit CopyHandle(std::shared_ptr<detail::CopyTask> task) : task_(std::move(task)) {}
  std::shared_ptr<detail::CopyTask> task_;
};

/// @brief Runs copies asynchronously per link direction. See Note [mover queues].
class Mover {
 public:
  /// @param store the byte store behind the host<->store links (nullptr: those links refuse).
  explicit Mover(MoverOptions options = {}, ByteStore* store = nullptr);
  ~Mover();
  Mover(const Mover&) = delete;
  Mover& operator=(const Mover&) = delete;

  /// @brief Copies `bytes` from `src` to `dst` on an arena<->host link. Both must stay valid
  /// until the copy finishes. InvalidInput for a store link.
  CopyHandle copy(Link link, void* dst, const void* src, std::uint64_t bytes,
                  std::int64_t needed_at_ns = 0);
  /// @brief Stores `bytes` from host memory `src` under `key` (host->store).
  CopyHandle store_put(std::uint64_t key, const void* src, std::uint64_t bytes,
                       std::int64_t needed_at_ns = 0);
  /// @brief Reads `key` into host memory `dst` (store->host).
  CopyHandle store_get(std::uint64_t key, void* dst, std::uint64_t bytes,
                       std::int64_t needed_at_ns = 0);
  /// @brief Cancels a queued copy: true if it was queued and now never runs.
  bool cancel(const CopyHandle& handle);
  /// @brief Blocks until every link's queue is empty and nothing runs (a paused link with
  /// queued copies never drains: resume it first).
  void drain();
  /// @brief Holds (true) or releases (false) a link's queue: running copies finish, queued ones
  /// wait. Lets a caller queue a batch before any of it starts.
  void set_paused(Link link, bool paused);
  LinkStats stats(Link link) const;

 private:
  struct LinkQueue {
    mutable std::mutex mutex;
    std::condition_variable work;   // a copy was queued, or stop
    std::condition_variable space;  // a copy left the queue
    std::condition_variable idle;   // nothing queued or running
    std::map<std::pair<std::int64_t, std::uint64_t>, std::shared_ptr<detail::CopyTask>> queued;
    std::uint32_t running = 0;
    std::int64_t started = 0;
    bool paused = false;
    bool stop = false;
    LinkStats stats;
    std::vector<std::thread> workers;
  };
  CopyHandle submit(std::shared_ptr<detail::CopyTask> task);
  void work(Link link);
  void execute(detail::CopyTask& task);

  MoverOptions options_;
  ByteStore* store_;
  std::uint64_t next_sequence_ = 0;  // guarded by sequence_mutex_
  std::mutex sequence_mutex_;
  std::array<LinkQueue, kLinkCount> links_;
};

}  // namespace strata::rt
