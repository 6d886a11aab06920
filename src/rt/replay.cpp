#include "strata/rt/replay.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <cstring>

#include "strata/core/error.hpp"

namespace strata::rt {

namespace {

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t hash(std::span<const std::byte> bytes) {
  return XXH3_64bits(bytes.data(), bytes.size());
}

}  // namespace

ReplayKernels::ReplayKernels(const Workload& w)
    : w_(w), expected_(w.tensors.size(), 0), written_in_(w.tensors.size(), -1) {}

KernelCallbacks ReplayKernels::callbacks() {
  KernelCallbacks cb;
  cb.initialize = [this](TensorId t, std::span<std::byte> bytes) { initialize(t, bytes); };
  cb.run = [this](const KernelCall& call) { run(call); };
  return cb;
}

std::uint64_t ReplayKernels::content_seed(TensorId t, std::uint32_t iteration, KernelId writer) {
  return mix(mix(std::uint64_t{t} << 32 | iteration) ^ writer);
}

void ReplayKernels::fill(std::span<std::byte> bytes, std::uint64_t seed) {
  // One distinct 64-bit word per position: cheap to write, and no two positions, tensors or
  // versions share contents.
  const std::size_t words = bytes.size() / 8;
  std::byte* p = bytes.data();
  std::uint64_t x = seed;
  for (std::size_t i = 0; i < words; ++i) {
    x += 0x9e3779b97f4a7c15ULL;
    std::memcpy(p + 8 * i, &x, 8);
  }
  for (std::size_t i = 8 * words; i < bytes.size(); ++i)
    p[i] = static_cast<std::byte>(mix(seed + i) & 0xffu);
}

void ReplayKernels::write(TensorId t, std::span<std::byte> bytes, std::uint64_t seed,
                          std::uint32_t iteration) {
  fill(bytes, seed);
  expected_[t] = hash(bytes);
  written_in_[t] = iteration;
  bytes_written_ += bytes.size();
}

void ReplayKernels::initialize(TensorId t, std::span<std::byte> bytes) {
  write(t, bytes, content_seed(t, 0, kNoKernel), 0);
}

bool ReplayKernels::holds_last_write(TensorId t, std::span<const std::byte> bytes) const {
  return t < expected_.size() && written_in_[t] >= 0 && hash(bytes) == expected_[t];
}

void ReplayKernels::run(const KernelCall& call) {
  const Kernel& k = *call.kernel;
  for (const TensorView& in : call.inputs) {
    const Tensor& tensor = w_.tensors[in.tensor];
    if (!tensor.persistent && written_in_[in.tensor] != static_cast<std::int64_t>(call.iteration))
      continue;  // not written yet in this iteration: undefined contents
    const std::uint64_t got = hash({in.data, in.bytes});
    bytes_checked_ += in.bytes;
    if (got != expected_[in.tensor])
      throw IoError(fmt::format(
          "replay: {} read by kernel {} ({}){} in iteration {} does not hold what was last "
          "written to it (XXH3 {:016x}, expected {:016x}): its bytes were lost or corrupted "
          "while they were moved",
          tensor.name, k.id, k.name, call.recompute ? " (recompute)" : "", call.iteration + 1, got,
          expected_[in.tensor]));
  }
  for (const TensorView& out : call.outputs)
    write(out.tensor, {out.data, out.bytes}, content_seed(out.tensor, call.iteration, k.id),
          call.iteration);
}

}  // namespace strata::rt
