#pragma once
/// @file file_byte_store.hpp
/// @brief The flash tier: a ByteStore over one or several files (each may sit on a
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
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/rt/byte_store.hpp"

namespace strata::rt {

/// @brief How a FileByteStore is made.
struct FileByteStoreOptions {
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

/// @brief Why O_DIRECT writes fail in `directory` (a 4 KiB probe file, removed), or nullopt
/// when they work.
std::optional<std::string> direct_io_unsupported_reason(const std::filesystem::path& directory);

/// @brief The key -> bytes store on files. See Note [byte store layout].
class FileByteStore final : public ByteStore {
 public:
  /// @brief Creates and preallocates the files. Throws InvalidInput for bad options,
  /// Unsupported where O_DIRECT or io_uring is unavailable, IoError where a file cannot be made.
  explicit FileByteStore(FileByteStoreOptions options);
  /// @brief Waits for I/Os in flight, closes and removes the files.
  ~FileByteStore() override;

  IoTicket submit_put(std::uint64_t key, const void* src, std::uint64_t bytes) override;
  IoTicket submit_get(std::uint64_t key, void* dst, std::uint64_t bytes) override;
  bool poll(IoTicket ticket) override;
  void wait(IoTicket ticket) override;
  bool erase(std::uint64_t key) override;
  bool contains(std::uint64_t key) const override;
  std::optional<std::uint64_t> size_of(std::uint64_t key) const override;
  ByteStoreStats stats() const override;
  void set_fault_injector(FaultInjector injector) override;

  /// @brief The backing files, in stripe order.
  std::vector<std::filesystem::path> files() const;
  const FileByteStoreOptions& options() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata::rt
