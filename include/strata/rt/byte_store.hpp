#pragma once
/// @file byte_store.hpp
/// @brief The flash tier: a key -> bytes store over one or several files (each may sit on a
/// different drive), written and read with O_DIRECT through io_uring.
///
/// Note [byte store layout]: the store is one logical address space of `capacity_bytes`,
/// striped round-robin over its files in units of `stripe_bytes`: logical offset L lies in
/// stripe s = L / stripe_bytes, in file s % files, at file offset (s / files) * stripe_bytes +
/// L % stripe_bytes. A put places the value in an extent found by best fit (4 KiB granules, so
/// every extent starts on an O_DIRECT boundary) and splits it into I/Os that never cross a
/// stripe, up to `queue_depth` of them in flight. An I/O whose caller memory is 4 KiB aligned and
/// whole goes straight from/to the caller; the unaligned tail (or an unaligned buffer) goes
/// through an aligned staging buffer, zero-padded to 4 KiB on write. A put becomes visible (and
/// frees the value it replaces) only when all its I/Os succeeded, so a failed put loses
/// nothing. Files are created at construction (preallocated) and removed by the destructor.
///
/// Progress is driven by callers: submit_*() queues and starts I/Os; poll()/wait() reap
/// completions and start the rest. The kernel moves the bytes meanwhile. Thread-safe.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace strata::rt {

/// @brief How a ByteStore is made.
struct ByteStoreOptions {
  /// One backing file per entry, created in that directory (repeat a directory for several
  /// files on one drive). At least one.
  std::vector<std::filesystem::path> directories;
  std::uint64_t capacity_bytes = 0;         ///< bytes the store may hold (4 KiB granules)
  std::uint64_t stripe_bytes = 1ULL << 20;  ///< striping unit and largest I/O (multiple of 4 KiB)
  std::uint32_t queue_depth = 32;           ///< I/Os in flight at most
  /// Where a file system refuses O_DIRECT: false (default) throws Unsupported; true uses
  /// buffered I/O instead (the page cache then holds the data too).
  bool allow_buffered_fallback = false;
  std::string file_prefix = "strata-store";
};

/// @brief A submitted put or get. The default value names nothing.
struct IoTicket {
  std::uint64_t id = 0;
};

/// @brief Which way an I/O goes.
enum class IoOp { read, write };

/// @brief One I/O about to be issued, as a fault injector sees it.
struct FaultSite {
  IoOp op;
  const std::filesystem::path* file;
  std::uint64_t file_offset;
  std::uint64_t bytes;
};

/// @brief Test-only: return true to make that I/O fail with EIO instead of being issued.
using FaultInjector = std::function<bool(const FaultSite&)>;

/// @brief Counters since construction.
struct ByteStoreStats {
  std::uint64_t capacity_bytes = 0;
  std::uint64_t stored_bytes = 0;  ///< sum of the values' sizes
  std::uint64_t stored_keys = 0;
  std::uint64_t largest_free_extent_bytes = 0;
  std::uint64_t bytes_written = 0;  ///< value bytes of successful puts
  std::uint64_t bytes_read = 0;     ///< value bytes of successful gets
  std::uint64_t direct_ios = 0;     ///< I/Os straight from/to caller memory
  std::uint64_t staged_ios = 0;     ///< I/Os through a staging buffer
  std::uint64_t failed_requests = 0;
  bool direct_io = true;  ///< false where allow_buffered_fallback was used
};

/// @brief Why O_DIRECT writes fail in `directory` (a 4 KiB probe file, removed), or nullopt
/// when they work.
std::optional<std::string> direct_io_unsupported_reason(const std::filesystem::path& directory);

/// @brief The key -> bytes store on files. See Note [byte store layout].
class ByteStore {
 public:
  /// @brief Creates and preallocates the files. Throws InvalidInput for bad options,
  /// Unsupported where O_DIRECT or io_uring is unavailable, IoError where a file cannot be made.
  explicit ByteStore(ByteStoreOptions options);
  /// @brief Waits for I/Os in flight, closes and removes the files.
  ~ByteStore();
  ByteStore(const ByteStore&) = delete;
  ByteStore& operator=(const ByteStore&) = delete;

  /// @brief Starts storing `bytes` from `src` under `key` (replacing its value once done).
  /// `src` must stay valid until the put completes. Throws OutOfMemory when no free extent
  /// holds it (nothing changes), InvalidInput when a get of `key` is in flight.
  IoTicket submit_put(std::uint64_t key, const void* src, std::uint64_t bytes);
  /// @brief Starts reading the value of `key` into `dst` (`bytes` must be its size). Throws
  /// InvalidInput for a missing key or a wrong size.
  IoTicket submit_get(std::uint64_t key, void* dst, std::uint64_t bytes);
  /// @brief Whether the request finished; rethrows its IoError if it failed (then, like wait(),
  /// forgets the ticket). A finished ticket is forgotten once poll() returned true.
  bool poll(IoTicket ticket);
  /// @brief Blocks until the request finished; throws its IoError (naming file and offset).
  void wait(IoTicket ticket);

  void put(std::uint64_t key, const void* src, std::uint64_t bytes) {
    wait(submit_put(key, src, bytes));
  }
  void get(std::uint64_t key, void* dst, std::uint64_t bytes) { wait(submit_get(key, dst, bytes)); }
  /// @brief Drops `key`'s value; false if absent. InvalidInput while a get of it is in flight.
  bool erase(std::uint64_t key);
  bool contains(std::uint64_t key) const;
  /// @brief The stored size of `key`, or nullopt.
  std::optional<std::uint64_t> size_of(std::uint64_t key) const;

  ByteStoreStats stats() const;
  /// @brief The backing files, in stripe order.
  std::vector<std::filesystem::path> files() const;
  const ByteStoreOptions& options() const noexcept;

  /// @brief Test-only fault-injection hook (empty function: none). Consulted for every I/O.
  void set_fault_injector(FaultInjector injector);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata::rt
