#pragma once
/// @file replay.hpp
/// @brief Kernels for replaying any workload on real memory: each reads every byte of its
/// inputs and checks them, writes every byte of its outputs, so that a lost or corrupted tensor
/// cannot go unnoticed (`strata run`).
///
/// Note [replay contents]: every write of tensor t by kernel k in iteration i fills t with a
/// deterministic pattern of seed content_seed(t, i, k) (a persistent tensor's first contents use
/// kernel kNoKernel, iteration 0) and remembers its XXH3-64. A read hashes every byte and
/// compares: a mismatch throws IoError naming the tensor, the kernel and the iteration. A
/// recompute re-runs the producer in the same iteration, so it writes the same contents. A
/// non-persistent tensor read before anything wrote it in this iteration is not checked (its
/// contents are undefined, as on a GPU).

#include <cstdint>
#include <span>
#include <vector>

#include "strata/rt/executor.hpp"
#include "strata/workload/workload.hpp"

namespace strata::rt {

/// @brief Checksummed kernel bodies for the Executor. See Note [replay contents]. Not
/// thread-safe (the executor calls it from one thread).
class ReplayKernels {
 public:
  explicit ReplayKernels(const Workload& w);

  /// @brief Callbacks bound to this object (which must outlive the run).
  KernelCallbacks callbacks();
  /// @brief A persistent tensor's first contents.
  void initialize(TensorId t, std::span<std::byte> bytes);
  /// @brief Checks every input, then writes every output.
  void run(const KernelCall& call);

  /// @brief Whether `bytes` hold what was last written to `t` (false if nothing was).
  bool holds_last_write(TensorId t, std::span<const std::byte> bytes) const;
  std::uint64_t bytes_checked() const { return bytes_checked_; }
  std::uint64_t bytes_written() const { return bytes_written_; }

  /// @brief The seed of the contents kernel `writer` writes to `t` in `iteration`.
  static std::uint64_t content_seed(TensorId t, std::uint32_t iteration, KernelId writer);
  /// @brief Fills `bytes` with the pattern of `seed`.
  static void fill(std::span<std::byte> bytes, std::uint64_t seed);

 private:
  void write(TensorId t, std::span<std::byte> bytes, std::uint64_t seed, std::uint32_t iteration);

  const Workload& w_;
  std::vector<std::uint64_t> expected_;   // XXH3-64 of the last write
  std::vector<std::int64_t> written_in_;  // iteration of the last write; -1: never
  std::uint64_t bytes_checked_ = 0;
  std::uint64_t bytes_written_ = 0;
};

}  // namespace strata::rt
