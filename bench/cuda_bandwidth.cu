// Host<->device copy bandwidth on this GPU, and how much of the copy time overlaps compute.
//
// For each direction (host->device, device->host), `--copies` copies of `--bytes`, median of
// `--rounds`:
//   plain-pinned     a plain cudaMemcpy loop from/to cudaHostAlloc memory (the baseline)
//   plain-pageable   the same loop from/to malloc'd (pageable) memory
//   mover-pinned     strata's CudaMover (its own stream, events) from/to pinned memory
//   mover-pageable   CudaMover from/to pageable memory (through its pinned staging)
// Overlap: a compute kernel on its own stream sized to take about as long as the host->device
// copies; the copies (CudaMover, pinned) and the kernel are timed alone and together. The
// fraction of copy time hidden under compute is (copy + kernel - together) / copy.
// Prints "no GPU: skipped (<why>)" and exits 0 where there is no usable GPU.
//
// Usage: cuda_bandwidth [--bytes N] [--copies C] [--rounds R]
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "strata/rt/cuda/cuda_arena.hpp"
#include "strata/rt/cuda/cuda_device.hpp"
#include "strata/rt/cuda/cuda_mover.hpp"
#include "strata/rt/cuda/cuda_pinned_host.hpp"

namespace {

using Clock = std::chrono::steady_clock;

void check(cudaError_t status, const char* call) {
  if (status != cudaSuccess)
    throw std::runtime_error(std::string(call) + " failed: " + cudaGetErrorString(status));
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/// Busy arithmetic on `n` floats, `iterations` dependent FMAs each: compute that uses no copy
/// engine and little memory bandwidth.
__global__ void busy_kernel(float* data, std::uint64_t n, int iterations) {
  const std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  float x = data[i];
  for (int k = 0; k < iterations; ++k) x = x * 1.000001f + 0.5f;
  data[i] = x;
}

struct Args {
  std::uint64_t bytes = 256ULL << 20;
  int copies = 8;
  int rounds = 5;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--bytes")
      a.bytes = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--copies")
      a.copies = std::max(1, std::atoi(argv[i + 1]));
    else if (flag == "--rounds")
      a.rounds = std::max(1, std::atoi(argv[i + 1]));
    else
      throw std::invalid_argument("unknown flag " + flag +
                                  " (usage: cuda_bandwidth [--bytes N] [--copies C] [--rounds R])");
  }
  return a;
}

}  // namespace

int main(int argc, char** argv) try {
  using namespace strata::rt;
  const Args a = parse(argc, argv);
  if (const auto why = cuda::unavailable_reason()) {
    std::printf("no GPU: skipped (%s)\n", why->c_str());
    return 0;
  }
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
  std::printf("GPU: %s, %d copy engines; %d x %.0f MiB copies, median of %d rounds\n", prop.name,
              prop.asyncEngineCount, a.copies, static_cast<double>(a.bytes) / (1 << 20), a.rounds);

  cuda::CudaArena arena({.capacity_bytes = 2 * a.bytes + (64ULL << 20)});
  cuda::CudaPinnedHost pinned_host({.capacity_bytes = a.bytes + (1ULL << 20)});
  void* device = arena.allocate(a.bytes, 4096);
  void* pinned = pinned_host.allocate(a.bytes, 4096);
  std::vector<std::byte> pageable(a.bytes);
  std::memset(pinned, 1, a.bytes);
  std::memset(pageable.data(), 2, a.bytes);
  cuda::CudaMover mover;
  const double total = static_cast<double>(a.bytes) * a.copies;

  for (const Link link : {Link::host_to_arena, Link::arena_to_host}) {
    const bool to_device = link == Link::host_to_arena;
    const cudaMemcpyKind kind = to_device ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToHost;
    for (const bool use_pinned : {true, false}) {
      void* host = use_pinned ? pinned : static_cast<void*>(pageable.data());
      void* dst = to_device ? device : host;
      const void* src = to_device ? host : device;
      std::vector<double> plain_s;
      std::vector<double> mover_s;
      for (int r = 0; r < a.rounds; ++r) {
        auto start = Clock::now();
        for (int c = 0; c < a.copies; ++c) check(cudaMemcpy(dst, src, a.bytes, kind), "cudaMemcpy");
        plain_s.push_back(seconds_since(start));
        start = Clock::now();
        std::vector<cuda::CudaCopyHandle> handles;
        for (int c = 0; c < a.copies; ++c) handles.push_back(mover.copy(link, dst, src, a.bytes));
        for (const auto& h : handles) h.wait();
        mover_s.push_back(seconds_since(start));
      }
      const double plain = total / median(plain_s) / 1e9;
      const double moved = total / median(mover_s) / 1e9;
      std::printf(
          "%-11s %-8s plain cudaMemcpy %7.2f GB/s   CudaMover %7.2f GB/s   mover/plain %.3f\n",
          std::string(link_name(link)).c_str(), use_pinned ? "pinned" : "pageable", plain, moved,
          moved / plain);
    }
  }

  // Overlap: a kernel on its own stream against host->device copies through the mover.
  const std::uint64_t n = a.bytes / sizeof(float);
  auto* data = static_cast<float*>(arena.allocate(a.bytes, 4096));
  cudaStream_t compute = nullptr;
  check(cudaStreamCreateWithFlags(&compute, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
  check(cudaMemsetAsync(data, 0, a.bytes, compute), "cudaMemsetAsync");
  const unsigned blocks = static_cast<unsigned>((n + 255) / 256);
  const auto run_kernel = [&](int iterations) {
    busy_kernel<<<blocks, 256, 0, compute>>>(data, n, iterations);
    check(cudaGetLastError(), "busy_kernel launch");
  };
  const auto run_copies = [&] {
    std::vector<cuda::CudaCopyHandle> handles;
    for (int c = 0; c < a.copies; ++c)
      handles.push_back(mover.copy(Link::host_to_arena, device, pinned, a.bytes));
    for (const auto& h : handles) h.wait();
  };
  auto start = Clock::now();
  run_copies();
  const double copy_s = seconds_since(start);
  // Size the kernel to the copy time: time 64 iterations, scale.
  run_kernel(64);
  check(cudaStreamSynchronize(compute), "cudaStreamSynchronize");
  start = Clock::now();
  run_kernel(64);
  check(cudaStreamSynchronize(compute), "cudaStreamSynchronize");
  const double per_64 = seconds_since(start);
  const int iterations = std::max(64, static_cast<int>(64 * copy_s / std::max(per_64, 1e-6)));
  std::vector<double> copy_alone, kernel_alone, together;
  for (int r = 0; r < a.rounds; ++r) {
    start = Clock::now();
    run_copies();
    copy_alone.push_back(seconds_since(start));
    start = Clock::now();
    run_kernel(iterations);
    check(cudaStreamSynchronize(compute), "cudaStreamSynchronize");
    kernel_alone.push_back(seconds_since(start));
    start = Clock::now();
    run_kernel(iterations);
    run_copies();
    check(cudaStreamSynchronize(compute), "cudaStreamSynchronize");
    together.push_back(seconds_since(start));
  }
  const double c = median(copy_alone), k = median(kernel_alone), t = median(together);
  const double hidden = std::clamp((c + k - t) / c, 0.0, 1.0);
  std::printf(
      "overlap: copies %.2f ms, kernel %.2f ms, together %.2f ms: %.1f%% of the copy "
      "time overlaps compute\n",
      c * 1e3, k * 1e3, t * 1e3, 100.0 * hidden);
  check(cudaStreamDestroy(compute), "cudaStreamDestroy");
  arena.deallocate(data, a.bytes, 4096);
  arena.deallocate(device, a.bytes, 4096);
  pinned_host.deallocate(pinned, a.bytes, 4096);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "cuda_bandwidth: %s\n", e.what());
  return 1;
}
