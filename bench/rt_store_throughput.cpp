// strata's byte-store throughput, in the shape fio measures it: one file, sequential writes
// then sequential reads of `--file-bytes` in I/Os of `--block-bytes`, `--queue-depth` in
// flight, O_DIRECT through io_uring, from and into 4 KiB-aligned host memory.
// Prints "strata write_bytes_per_s=<n> read_bytes_per_s=<n>" for bench/byte_store_vs_fio.sh.
//
// Usage: rt_store_throughput --dir D [--file-bytes N] [--block-bytes B] [--queue-depth Q]
//                            [--loops L]
#include <xxhash.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <random>
#include <string>

#include "strata/rt/file_byte_store.hpp"

namespace {

struct Args {
  std::string dir;
  std::uint64_t file_bytes = 256ULL << 20;
  std::uint64_t block_bytes = 1ULL << 20;
  std::uint32_t queue_depth = 32;
  int loops = 3;
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

  void* raw = nullptr;
  if (posix_memalign(&raw, 4096, a.file_bytes) != 0) throw std::bad_alloc();
  auto* words = static_cast<std::uint64_t*>(raw);
  std::mt19937_64 rng(std::random_device{}());
  for (std::uint64_t i = 0; i < a.file_bytes / 8; ++i) words[i] = rng();
  const std::uint64_t sum = XXH3_64bits(raw, a.file_bytes);

  double write_s = 0;
  double read_s = 0;
  for (int loop = 0; loop < a.loops; ++loop) {
    store.erase(1);
    auto start = std::chrono::steady_clock::now();
    store.put(1, raw, a.file_bytes);
    write_s += seconds_since(start);
  }
  std::memset(raw, 0, a.file_bytes);
  for (int loop = 0; loop < a.loops; ++loop) {
    auto start = std::chrono::steady_clock::now();
    store.get(1, raw, a.file_bytes);
    read_s += seconds_since(start);
  }
  const bool intact = XXH3_64bits(raw, a.file_bytes) == sum;
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
