#include "g10_estimate.hpp"

#include <utility>

namespace strata::g10 {

ResidentEstimate::ResidentEstimate(std::vector<std::int64_t> bytes, std::int64_t line_bytes)
    : bytes_(std::move(bytes)), line_(line_bytes) {
  for (std::int64_t b : bytes_)
    if (b > line_) ++over_;
}

void ResidentEstimate::add(std::size_t from, std::size_t to, std::int64_t delta) {
  const std::size_t n = bytes_.size();
  for (std::size_t j = from; j < to; ++j) {
    std::int64_t& b = bytes_[j % n];
    const bool was_over = b > line_;
    b += delta;
    const bool is_over = b > line_;
    if (was_over && !is_over) --over_;
    if (!was_over && is_over) ++over_;
  }
}

bool ResidentEstimate::over_in(std::size_t from, std::size_t to) const {
  const std::size_t n = bytes_.size();
  for (std::size_t j = from; j < to; ++j)
    if (bytes_[j % n] > line_) return true;
  return false;
}

}  // namespace strata::g10
