#pragma once
// The g10 planner's estimate of GPU-resident bytes at every kernel (Note [g10 planner] in
// include/strata/plan/policies/g10.hpp), with the count of kernels over the target line kept
// up to date so "does everything fit?" is O(1).

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace strata::g10 {

class ResidentEstimate {
 public:
  /// @param bytes the starting estimate per kernel
  /// @param line_bytes the target: planning stops when no kernel is above it
  ResidentEstimate(std::vector<std::int64_t> bytes, std::int64_t line_bytes);

  std::size_t size() const { return bytes_.size(); }
  std::int64_t at(std::size_t k) const { return bytes_[k]; }
  std::int64_t line() const { return line_; }
  /// @brief Kernels whose estimate is above the line.
  std::size_t over_count() const { return over_; }
  /// @brief Adds `delta` at kernels [from, to) of the iteration, wrapping: indices are taken
  /// modulo the kernel count (to may exceed it; from >= to adds nothing).
  void add(std::size_t from, std::size_t to, std::int64_t delta);
  /// @brief Whether a kernel in [from, to) (modulo the kernel count) is above the line.
  bool over_in(std::size_t from, std::size_t to) const;

 private:
  std::vector<std::int64_t> bytes_;
  std::int64_t line_ = 0;
  std::size_t over_ = 0;
};

}  // namespace strata::g10
