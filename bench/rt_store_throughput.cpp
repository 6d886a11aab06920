// strata's byte-store throughput, in the shape fio measures it: one file, sequential writes
// then sequential reads of `--file-bytes` in I/Os of `--block-bytes`, `--queue-depth` in
// flight, O_DIRECT through io_uring, from and into 4 KiB-aligned host memory.
// Prints "strata write_bytes_per_s=<n> read_bytes_per_s=<n>" for bench/byte_store_vs_fio.sh.
//
// With --buffer-bytes M (< N), the file is written as N / B values of one block each (keys
// 0..), all submitted at once, from and into a host buffer of M bytes reused round-robin, as fio
// reuses its iodepth x bs buffers; without it, one value of N bytes from an N-byte buffer.
// Either way the buffer's XXH3 after the reads must equal its XXH3 before the writes.
//
// Usage: rt_store_throughput --dir D [--file-bytes N] [--block-bytes B] [--queue-depth Q]
//                            [--loops L] [--buffer-bytes M]
#include <xxhash.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <random>
#include <string>
#include <vector>

#include "strata/rt/file_byte_store.hpp"

namespace {

struct Args {
  std::string dir;
  std::uint64_t file_bytes = 256ULL << 20;
  std::uint64_t block_bytes = 1ULL << 20;
  std::uint32_t queue_depth = 32;
  int loops = 3;
  std::uint64_t buffer_bytes = 0;  // 0: the file size
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--dir")
      a.dir = value;
    else if (flag == "--file-bytes")
      a.file_bytes = std::strtoull(value, nullptr, 10);
    else if (flag == "--block-bytes")
      a.block_bytes = std::strtoull(value, nullptr, 10);
    else if (flag == "--queue-depth")
      a.queue_depth = static_cast<std::uint32_t>(std::strtoul(value, nullptr, 10));
    else if (flag == "--buffer-bytes")
      a.buffer_bytes = std::strtoull(value, nullptr, 10);
    else if (flag == "--loops")
      a.loops = std::atoi(value);
    else
      throw std::invalid_argument("unknown flag " + flag +
                                  " (see the usage at the top of rt_store_throughput.cpp)");
  }
  if (a.dir.empty()) throw std::invalid_argument("--dir is required");
  return a;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) try {
  const Args a = parse(argc, argv);
  strata::rt::FileByteStoreOptions o;
  o.directories = {a.dir};
  o.capacity_bytes = a.file_bytes;
  o.stripe_bytes = a.block_bytes;  // one I/O per block, as fio's bs
  o.queue_depth = a.queue_depth;
  o.file_prefix = "strata-bench-store";
  strata::rt::FileByteStore store(o);

  const bool blocks = a.buffer_bytes > 0 && a.buffer_bytes < a.file_bytes;
  const std::uint64_t buffer_bytes = blocks ? a.buffer_bytes : a.file_bytes;
  if (blocks && (a.file_bytes % a.block_bytes != 0 || buffer_bytes % a.block_bytes != 0))
    throw std::invalid_argument(
        "--file-bytes and --buffer-bytes must be multiples of --block-bytes");
  void* raw = nullptr;
  if (posix_memalign(&raw, 4096, buffer_bytes) != 0) throw std::bad_alloc();
  auto* words = static_cast<std::uint64_t*>(raw);
  std::mt19937_64 rng(std::random_device{}());
  for (std::uint64_t i = 0; i < buffer_bytes / 8; ++i) words[i] = rng();
  const std::uint64_t sum = XXH3_64bits(raw, buffer_bytes);
  auto* base = static_cast<std::byte*>(raw);
  const std::uint64_t values = blocks ? a.file_bytes / a.block_bytes : 1;
  const std::uint64_t value_bytes = blocks ? a.block_bytes : a.file_bytes;
  std::vector<strata::rt::IoTicket> tickets(values);

  double write_s = 0;
  double read_s = 0;
  for (int loop = 0; loop < a.loops; ++loop) {
    for (std::uint64_t k = 0; k < values; ++k) store.erase(k);
    auto start = std::chrono::steady_clock::now();
    for (std::uint64_t k = 0; k < values; ++k)
      tickets[k] = store.submit_put(k, base + (k * value_bytes) % buffer_bytes, value_bytes);
    for (const auto t : tickets) store.wait(t);
    write_s += seconds_since(start);
  }
  std::memset(raw, 0, buffer_bytes);
  for (int loop = 0; loop < a.loops; ++loop) {
    auto start = std::chrono::steady_clock::now();
    for (std::uint64_t k = 0; k < values; ++k)
      tickets[k] = store.submit_get(k, base + (k * value_bytes) % buffer_bytes, value_bytes);
    for (const auto t : tickets) store.wait(t);
    read_s += seconds_since(start);
  }
  const bool intact = XXH3_64bits(raw, buffer_bytes) == sum;
  std::free(raw);
  if (!intact) {
    std::fprintf(stderr, "rt_store_throughput: read-back checksum mismatch\n");
    return 1;
  }
  const double total = static_cast<double>(a.file_bytes) * a.loops;
  std::printf("strata write_bytes_per_s=%.0f read_bytes_per_s=%.0f\n", total / write_s,
              total / read_s);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "rt_store_throughput: %s\n", e.what());
  return 1;
}
