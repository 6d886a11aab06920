#pragma once
/// @file byte_store.hpp
/// @brief The one interface of the runtime's key -> bytes stores (the flash tier): a put or get
/// is submitted, then polled or waited for. FileByteStore (O_DIRECT files through io_uring) and
/// MemoryByteStore (an in-memory fake that counts) implement it and pass one typed contract
/// suite (tests/rt_byte_store_test.cpp).
///
/// Contract: a put becomes visible (replacing the key's value) only when all of it was stored;
/// a failed put (IoError naming where) leaves the old value and every other key intact. A put
/// that does not fit throws OutOfMemory and changes nothing. Capacity is counted in 4 KiB
/// granules per value. A get needs the stored size. Implementations are thread-safe.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>

namespace strata::rt {

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

/// @brief A key (tensor id) -> bytes store.
class ByteStore {
 public:
  virtual ~ByteStore() = default;

  /// @brief Starts storing `bytes` from `src` under `key` (replacing its value once done).
  /// `src` must stay valid until the put completes. Throws OutOfMemory when there is no room
  /// (nothing changes), InvalidInput for a null `src` or while a get of `key` is in flight.
  virtual IoTicket submit_put(std::uint64_t key, const void* src, std::uint64_t bytes) = 0;
  /// @brief Starts reading the value of `key` into `dst` (`bytes` must be its size). Throws
  /// InvalidInput for a missing key, a wrong size or a null `dst`.
  virtual IoTicket submit_get(std::uint64_t key, void* dst, std::uint64_t bytes) = 0;
  /// @brief Whether the request finished; a finished ticket is forgotten once reported. Throws
  /// the request's IoError if it failed, InvalidInput for an unknown ticket.
  virtual bool poll(IoTicket ticket) = 0;
  /// @brief Blocks until the request finished; throws its IoError (naming where it failed).
  virtual void wait(IoTicket ticket) = 0;
  /// @brief Drops `key`'s value; false if absent. InvalidInput while a get of it is in flight.
  virtual bool erase(std::uint64_t key) = 0;
  virtual bool contains(std::uint64_t key) const = 0;
  /// @brief The stored size of `key`, or nullopt.
  virtual std::optional<std::uint64_t> size_of(std::uint64_t key) const = 0;
  virtual ByteStoreStats stats() const = 0;
  /// @brief Test-only fault-injection hook (an empty function: none), consulted for every I/O.
  virtual void set_fault_injector(FaultInjector injector) = 0;

  void put(std::uint64_t key, const void* src, std::uint64_t bytes) {
    wait(submit_put(key, src, bytes));
  }
  void get(std::uint64_t key, void* dst, std::uint64_t bytes) { wait(submit_get(key, dst, bytes)); }

 protected:
  ByteStore() = default;
  ByteStore(const ByteStore&) = delete;
  ByteStore& operator=(const ByteStore&) = delete;
};

}  // namespace strata::rt
