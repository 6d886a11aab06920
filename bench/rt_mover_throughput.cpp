// Mover arena<->host copy throughput against one thread's memcpy of the same bytes.
// Each direction: `--copies` copies of `--bytes` through the mover (submitted together, waited
// together), against the same copies done by std::memcpy on this thread; the two alternate
// `--rounds` times and the medians are compared (the machine is shared and noisy). Prints both
// rates and the ratio mover/memcpy per direction.
//
// Usage: rt_mover_throughput [--bytes N] [--copies C] [--threads T] [--rounds R]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "strata/rt/host_arena.hpp"
#include "strata/rt/mover.hpp"
#include "strata/rt/pinned_host.hpp"

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) try {
  std::uint64_t bytes = 64ULL << 20;
  int copies = 8;
  std::uint32_t threads = 1;
  int rounds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--bytes")
      bytes = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--copies")
      copies = std::atoi(argv[i + 1]);
    else if (flag == "--threads")
      threads = static_cast<std::uint32_t>(std::atoi(argv[i + 1]));
    else if (flag == "--rounds")
      rounds = std::max(1, std::atoi(argv[i + 1]));
    else
      throw std::invalid_argument("unknown flag " + flag);
  }
  using namespace strata::rt;
  HostArena arena({bytes, "arena"});
  PinnedHost host({.capacity_bytes = bytes + (4ULL << 20)});
  void* device = arena.allocate(bytes, 4096);
  void* pinned = host.allocate(bytes, 4096);
  std::memset(device, 1, bytes);  // fault every page in before timing
  std::memset(pinned, 2, bytes);
  Mover mover({.queue_capacity = 1024, .memcpy_threads_per_link = threads});

  const double total = static_cast<double>(bytes) * copies;
  for (const Link link : {Link::arena_to_host, Link::host_to_arena}) {
    void* dst = link == Link::arena_to_host ? pinned : device;
    const void* src = link == Link::arena_to_host ? device : pinned;
    std::memcpy(dst, src, bytes);  // warm
    std::vector<double> memcpy_runs;
    std::vector<double> mover_runs;
    for (int r = 0; r < rounds; ++r) {
      auto start = std::chrono::steady_clock::now();
      for (int c = 0; c < copies; ++c) std::memcpy(dst, src, bytes);
      memcpy_runs.push_back(seconds_since(start));
      start = std::chrono::steady_clock::now();
      std::vector<CopyHandle> handles;
      for (int c = 0; c < copies; ++c) handles.push_back(mover.copy(link, dst, src, bytes));
      for (const CopyHandle& h : handles) h.wait();
      mover_runs.push_back(seconds_since(start));
    }
    const double memcpy_s = median(memcpy_runs);
    const double mover_s = median(mover_runs);
    std::printf("%s (median of %d): memcpy %.2f GB/s, mover %.2f GB/s, ratio mover/memcpy %.3f\n",
                std::string(link_name(link)).c_str(), rounds, total / memcpy_s / 1e9,
                total / mover_s / 1e9, memcpy_s / mover_s);
  }
  arena.deallocate(device, bytes, 4096);
  host.deallocate(pinned, bytes, 4096);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "rt_mover_throughput: %s\n", e.what());
  return 1;
}
