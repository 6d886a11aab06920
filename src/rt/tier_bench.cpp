// Measures the arena<->host memcpy rates and the byte store's O_DIRECT rates; see
// Note [tier bench method] in tier_bench.hpp.
#include "strata/rt/tier_bench.hpp"

#include <fmt/format.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include "strata/core/error.hpp"
#include "strata/core/units.hpp"
#include "strata/rt/file_byte_store.hpp"
#include "strata/rt/host_arena.hpp"
#include "strata/rt/mover.hpp"
#include "strata/rt/pinned_host.hpp"

namespace strata::rt {

namespace {

constexpr std::uint64_t kPageBytes = 4096;

using Clock = std::chrono::steady_clock;

std::int64_t ns_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
}

double rate(std::uint64_t bytes, std::int64_t ns) {
  return static_cast<double>(bytes) / (static_cast<double>(std::max<std::int64_t>(ns, 1)) * 1e-9);
}

template <class T>
T median(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void report(const TierBenchOptions& o, std::string_view step) {
  if (o.progress) o.progress(step);
}

/// A 4 KiB-aligned heap buffer.
struct AlignedBuffer {
  explicit AlignedBuffer(std::uint64_t bytes) : bytes_(bytes) {
    void* raw = nullptr;
    if (posix_memalign(&raw, kPageBytes, std::max<std::uint64_t>(bytes, kPageBytes)) != 0)
      throw OutOfMemory(
          fmt::format("strata bench: cannot allocate a {} staging buffer; give a "
                      "smaller size",
                      format_bytes(bytes)));
    data_.reset(static_cast<std::byte*>(raw));
  }
  std::byte* data() const { return data_.get(); }
  std::uint64_t bytes() const { return bytes_; }

 private:
  struct Free {
    void operator()(std::byte* p) const noexcept { std::free(p); }
  };
  std::unique_ptr<std::byte, Free> data_;
  std::uint64_t bytes_;
};

/// Deterministic, non-repeating contents (an xorshift stream), so a lost I/O shows.
void fill_pattern(std::byte* data, std::uint64_t bytes, std::uint64_t seed) {
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (std::uint64_t i = 0; i + 8 <= bytes; i += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    std::memcpy(data + i, &x, 8);
  }
}

std::vector<MemcpyMeasurement> measure_memcpy(const TierBenchOptions& o) {
  const std::uint64_t bytes = o.memcpy_bytes;
  HostArena arena({.capacity_bytes = bytes, .name = "bench arena"});
  PinnedHost host({.capacity_bytes = bytes + (2ULL << 20), .name = "bench pinned host"});
  struct Blocks {
    HostArena& arena;
    PinnedHost& host;
    std::uint64_t bytes;
    void* device = nullptr;
    void* pinned = nullptr;
    ~Blocks() {
      arena.deallocate(device, bytes, kPageBytes);
      host.deallocate(pinned, bytes, kPageBytes);
    }
  } blocks{arena, host, bytes};
  blocks.device = arena.allocate(bytes, kPageBytes);
  blocks.pinned = host.allocate(bytes, kPageBytes);
  std::memset(blocks.device, 1, bytes);  // fault every page in before timing
  std::memset(blocks.pinned, 2, bytes);
  Mover mover({.queue_capacity = std::max<std::uint32_t>(o.memcpy_copies, 1)});

  std::vector<MemcpyMeasurement> out;
  const std::uint64_t total = bytes * o.memcpy_copies;
  for (const Link link : {Link::arena_to_host, Link::host_to_arena}) {
    const std::string direction(link_name(link));
    report(o, fmt::format("memcpy {}: {} x {} x {} rounds", direction, format_bytes(bytes),
                          o.memcpy_copies, o.memcpy_rounds));
    void* dst = link == Link::arena_to_host ? blocks.pinned : blocks.device;
    const void* src = link == Link::arena_to_host ? blocks.device : blocks.pinned;
    std::memcpy(dst, src, bytes);  // warm
    std::vector<std::int64_t> memcpy_ns;
    std::vector<std::int64_t> mover_ns;
    for (std::uint32_t r = 0; r < o.memcpy_rounds; ++r) {
      auto start = Clock::now();
      for (std::uint32_t c = 0; c < o.memcpy_copies; ++c) std::memcpy(dst, src, bytes);
      memcpy_ns.push_back(ns_since(start));
      start = Clock::now();
      std::vector<CopyHandle> handles;
      for (std::uint32_t c = 0; c < o.memcpy_copies; ++c)
        handles.push_back(mover.copy(link, dst, src, bytes));
      for (const CopyHandle& h : handles) h.wait();
      mover_ns.push_back(ns_since(start));
    }
    out.push_back({direction, rate(total, median(memcpy_ns)), rate(total, median(mover_ns))});
  }
  return out;
}

FileByteStoreOptions store_options(const TierBenchOptions& o, std::uint64_t capacity_bytes,
                                   std::uint64_t block_bytes, std::uint32_t depth) {
  FileByteStoreOptions s;
  s.directories = {o.directory};
  s.capacity_bytes = capacity_bytes;
  s.stripe_bytes = block_bytes;  // one I/O per block
  s.queue_depth = depth;
  s.file_prefix = "strata-bench";
  return s;
}

StoreMeasurement measure_store(const TierBenchOptions& o, std::uint64_t block_bytes,
                               std::uint32_t depth) {
  const std::string label = fmt::format("store {} x QD {}", format_bytes(block_bytes), depth);
  FileByteStore store(store_options(o, o.store_bytes, block_bytes, depth));
  const std::uint64_t values = o.store_bytes / block_bytes;
  const std::uint64_t buffer_bytes = block_bytes * std::min<std::uint64_t>(depth, values);
  AlignedBuffer buffer(buffer_bytes);
  AlignedBuffer expected(buffer_bytes);
  fill_pattern(expected.data(), buffer_bytes, block_bytes + depth);
  std::memcpy(buffer.data(), expected.data(), buffer_bytes);
  std::vector<IoTicket> tickets(values);
  auto memory = [&](std::uint64_t k) { return buffer.data() + (k * block_bytes) % buffer_bytes; };

  report(o, fmt::format("{}: write {}", label, format_bytes(values * block_bytes)));
  auto start = Clock::now();
  for (std::uint64_t k = 0; k < values; ++k)
    tickets[k] = store.submit_put(k, memory(k), block_bytes);
  for (const IoTicket t : tickets) store.wait(t);
  const std::int64_t write_ns = ns_since(start);

  std::memset(buffer.data(), 0, buffer_bytes);
  report(o, fmt::format("{}: read {}", label, format_bytes(values * block_bytes)));
  start = Clock::now();
  for (std::uint64_t k = 0; k < values; ++k)
    tickets[k] = store.submit_get(k, memory(k), block_bytes);
  for (const IoTicket t : tickets) store.wait(t);
  const std::int64_t read_ns = ns_since(start);
  if (std::memcmp(buffer.data(), expected.data(), buffer_bytes) != 0)
    throw InternalError(fmt::format(
        "strata bench: {} in {}: the bytes read back differ from those written; the byte store "
        "or the file system lost data, report this with the file system type",
        label, o.directory.string()));
  const std::uint64_t total = values * block_bytes;
  return {block_bytes, depth, rate(total, write_ns), rate(total, read_ns)};
}

void measure_latency(const TierBenchOptions& o, TierBenchResult& out) {
  const std::uint64_t ios = std::max<std::uint32_t>(o.latency_ios, 1);
  report(o, fmt::format("store 4 KiB x QD 1 latency: {} writes, {} reads", ios, ios));
  FileByteStore store(store_options(o, ios * kPageBytes, kPageBytes, 1));
  AlignedBuffer buffer(kPageBytes);
  fill_pattern(buffer.data(), kPageBytes, 7);
  std::vector<std::int64_t> write_ns;
  std::vector<std::int64_t> read_ns;
  for (std::uint64_t k = 0; k < ios; ++k) {
    const auto start = Clock::now();
    store.put(k, buffer.data(), kPageBytes);
    write_ns.push_back(ns_since(start));
  }
  for (std::uint64_t k = 0; k < ios; ++k) {
    const auto start = Clock::now();
    store.get(k, buffer.data(), kPageBytes);
    read_ns.push_back(ns_since(start));
  }
  out.write_latency_ns = median(write_ns);
  out.read_latency_ns = median(read_ns);
}

}  // namespace

std::optional<StoreMeasurement> TierBenchResult::find_store(std::uint64_t block,
                                                            std::uint32_t depth) const {
  for (const StoreMeasurement& s : store)
    if (s.block_bytes == block && s.queue_depth == depth) return s;
  return std::nullopt;
}

std::optional<MemcpyMeasurement> TierBenchResult::find_memcpy(std::string_view direction) const {
  for (const MemcpyMeasurement& m : memcpy)
    if (m.direction == direction) return m;
  return std::nullopt;
}

std::uint64_t available_disk_bytes(const std::filesystem::path& directory) {
  std::error_code ec;
  if (!std::filesystem::is_directory(directory, ec))
    throw InvalidInput(
        fmt::format("'{}' is not a directory; give --dir an existing directory on "
                    "the drive to measure",
                    directory.string()));
  struct statvfs fs {};
  if (statvfs(directory.c_str(), &fs) != 0)
    throw InvalidInput(
        fmt::format("cannot query the free space of '{}': {}; give --dir another "
                    "directory",
                    directory.string(), std::strerror(errno)));
  return static_cast<std::uint64_t>(fs.f_bavail) * static_cast<std::uint64_t>(fs.f_frsize);
}

std::filesystem::path first_direct_io_directory(
    const std::vector<std::filesystem::path>& candidates) {
  std::string reasons;
  for (const auto& dir : candidates) {
    std::error_code ec;
    std::optional<std::string> why;
    if (!std::filesystem::is_directory(dir, ec))
      why = "not a directory";
    else
      why = direct_io_unsupported_reason(dir);
    if (!why) return dir;
    reasons += fmt::format("{}{}: {}", reasons.empty() ? "" : "; ", dir.string(), *why);
  }
  throw Unsupported(
      fmt::format("no directory takes O_DIRECT writes ({}); give --dir a "
                  "directory on a disk file system (ext4, xfs, btrfs)",
                  reasons.empty() ? "no candidates" : reasons));
}

void check_tier_bench_options(const TierBenchOptions& o) {
  const auto need = [](bool ok, std::string_view problem) {
    if (!ok) throw InvalidInput(fmt::format("strata bench: {}", problem));
  };
  need(!o.block_bytes.empty(), "no block sizes to measure; give at least one");
  need(!o.queue_depths.empty(), "no queue depths to measure; give at least one");
  for (const std::uint64_t b : o.block_bytes)
    need(b > 0 && b % kPageBytes == 0,
         fmt::format("block size {} B is not a positive multiple of 4 KiB (O_DIRECT needs it)", b));
  for (const std::uint32_t d : o.queue_depths)
    need(d >= 1 && d <= 4096, fmt::format("queue depth {} is outside [1, 4096]", d));
  const std::uint64_t largest_block = *std::max_element(o.block_bytes.begin(), o.block_bytes.end());
  need(o.store_bytes >= largest_block,
       fmt::format("--size {} is smaller than the largest block ({}); give a larger --size",
                   format_bytes(o.store_bytes), format_bytes(largest_block)));
  need(o.memcpy_bytes > 0 && o.memcpy_bytes % kPageBytes == 0,
       "the memcpy size must be a positive multiple of 4 KiB");
  need(o.memcpy_copies >= 1 && o.memcpy_rounds >= 1, "memcpy copies and rounds must be >= 1");

  const std::uint64_t free_bytes = available_disk_bytes(o.directory);
  if (const auto why = direct_io_unsupported_reason(o.directory))
    throw Unsupported(
        fmt::format("strata bench: --dir '{}' does not take O_DIRECT writes ({}); "
                    "give --dir a directory on a disk file system (ext4, xfs)",
                    o.directory.string(), *why));
  if (o.store_bytes > free_bytes / 2)
    throw InvalidInput(fmt::format(
        "strata bench: --size {} is more than half of the {} free in '{}'; give --size {} or "
        "less, or --dir on a drive with more free space",
        format_bytes(o.store_bytes), format_bytes(free_bytes), o.directory.string(),
        format_bytes(free_bytes / 2 / kPageBytes * kPageBytes)));
}

TierBenchResult run_tier_bench(const TierBenchOptions& options) {
  check_tier_bench_options(options);
  TierBenchResult out;
  out.directory = options.directory;
  out.store_bytes = options.store_bytes;
  out.memcpy_bytes = options.memcpy_bytes;
  out.memcpy = measure_memcpy(options);
  for (const std::uint64_t block : options.block_bytes)
    for (const std::uint32_t depth : options.queue_depths)
      out.store.push_back(measure_store(options, block, depth));
  measure_latency(options, out);
  return out;
}

}  // namespace strata::rt
