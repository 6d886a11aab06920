#pragma once
/// @file tier_bench.hpp
/// @brief Measures this machine's memory tiers the way the runtime uses them: memcpy between
/// the device arena and pinned host memory (one thread, and through the Mover), and the byte
/// store's O_DIRECT writes and reads (io_uring) at several block sizes and queue depths, plus
/// the latency of one 4 KiB I/O. `strata bench` prints the results and turns them into a
/// machine preset (bench_preset.hpp).
///
/// Note [tier bench method]: each memcpy figure is the median over `memcpy_rounds` rounds of
/// `memcpy_copies` copies of `memcpy_bytes` between one HostArena block and one PinnedHost
/// block, both touched before timing; the single-thread memcpy and the Mover alternate within
/// each round so that both see the same machine. Each store figure is one pass over a fresh
/// FileByteStore of `store_bytes` with `stripe_bytes` = the block size (one I/O per block, as
/// fio's bs) and `queue_depth` = the depth: the file is written as one-block values from a host
/// buffer of block x depth bytes reused round-robin (as fio reuses its buffers), all submitted
/// at once, then read back into the zeroed buffer, which must then equal what was written. The
/// latency is the median of `latency_ios` single 4 KiB puts (then gets) at queue depth 1.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::rt {

/// @brief What to measure and how much.
struct TierBenchOptions {
  std::filesystem::path directory;         ///< where the store's file is made (O_DIRECT)
  std::uint64_t store_bytes = 2ULL << 30;  ///< file size of every store configuration
  std::vector<std::uint64_t> block_bytes = {128ULL << 10, 1ULL << 20, 4ULL << 20};
  std::vector<std::uint32_t> queue_depths = {1, 8, 32};
  std::uint32_t latency_ios = 256;            ///< 4 KiB I/Os timed one by one, each way
  std::uint64_t memcpy_bytes = 256ULL << 20;  ///< one copy's size (multiple of 4 KiB)
  std::uint32_t memcpy_copies = 4;            ///< copies per round
  std::uint32_t memcpy_rounds = 5;            ///< rounds; the median is reported
  /// Called before each step with a short description ("store 1 MiB x QD 32: write"); may be
  /// empty.
  std::function<void(std::string_view)> progress;
};

/// @brief One direction between the arena and pinned host memory.
struct MemcpyMeasurement {
  std::string direction;          ///< "arena->host" or "host->arena"
  double memcpy_bytes_per_s = 0;  ///< one thread's std::memcpy
  double mover_bytes_per_s = 0;   ///< the Mover's link (one worker thread)
};

/// @brief One byte-store configuration.
struct StoreMeasurement {
  std::uint64_t block_bytes = 0;
  std::uint32_t queue_depth = 0;
  double write_bytes_per_s = 0;
  double read_bytes_per_s = 0;
};

/// @brief Everything one run measured.
struct TierBenchResult {
  std::filesystem::path directory;
  bool direct_io = true;  ///< always true: the bench refuses buffered I/O
  std::uint64_t store_bytes = 0;
  std::uint64_t memcpy_bytes = 0;
  std::vector<MemcpyMeasurement> memcpy;  ///< arena->host, then host->arena
  std::vector<StoreMeasurement> store;    ///< in (block, depth) order of the options
  std::int64_t write_latency_ns = 0;      ///< median 4 KiB put at queue depth 1
  std::int64_t read_latency_ns = 0;       ///< median 4 KiB get at queue depth 1

  /// @brief The store measurement at (block, depth), if it was measured.
  std::optional<StoreMeasurement> find_store(std::uint64_t block_bytes,
                                             std::uint32_t queue_depth) const;
  /// @brief The direction's measurement ("arena->host", "host->arena"), if measured.
  std::optional<MemcpyMeasurement> find_memcpy(std::string_view direction) const;
};

/// @brief Bytes an unprivileged user may still write in `directory`'s file system (statvfs
/// f_bavail). Throws InvalidInput naming the directory when it is not one or cannot be queried.
std::uint64_t available_disk_bytes(const std::filesystem::path& directory);

/// @brief The first of `candidates` that is a writable directory taking O_DIRECT writes (a
/// 4 KiB probe). Throws Unsupported listing every candidate and why it was refused.
std::filesystem::path first_direct_io_directory(
    const std::vector<std::filesystem::path>& candidates);

/// @brief Checks `options` (InvalidInput naming the field and what to give) and `directory`
/// (InvalidInput when missing or not a directory; Unsupported without O_DIRECT; InvalidInput
/// when `store_bytes` exceeds half of the free space there, saying how much is free and what to
/// do). Called by run_tier_bench before it measures anything.
void check_tier_bench_options(const TierBenchOptions& options);

/// @brief Measures. See Note [tier bench method]. Throws as check_tier_bench_options, IoError
/// when an I/O fails, and InternalError when data read back differs from what was written.
TierBenchResult run_tier_bench(const TierBenchOptions& options);

}  // namespace strata::rt
