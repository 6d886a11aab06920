#include "g10_budget.hpp"

#include <algorithm>
#include <limits>

namespace strata::g10 {
namespace {

std::size_t index(Path p) { return p == Path::host ? 0 : 1; }

}  // namespace

TransferBudget::TransferBudget(std::span<const std::int64_t> durations_ns, double host_bytes_per_ns,
                               double ssd_bytes_per_ns, double shared_bytes_per_ns,
                               Bookkeeping bookkeeping)
    : bookkeeping_(bookkeeping) {
  kernels_.resize(durations_ns.size());
  for (std::size_t k = 0; k < durations_ns.size(); ++k) {
    const auto d = static_cast<double>(durations_ns[k]);
    Kernel& kernel = kernels_[k];
    kernel.capacity[0] = host_bytes_per_ns * d;
    kernel.capacity[1] = ssd_bytes_per_ns * d;
    kernel.shared =
        shared_bytes_per_ns > 0 ? shared_bytes_per_ns * d : std::numeric_limits<double>::infinity();
  }
}

double TransferBudget::available(Path p, std::size_t k) const {
  const Kernel& kernel = kernels_[k];
  const std::size_t i = index(p);
  if (bookkeeping_ == Bookkeeping::g10)
    return kernel.full[i] ? 0.0 : kernel.capacity[i] - kernel.used[i];
  const double own = kernel.capacity[i] - kernel.used[i];
  const double shared = kernel.shared - kernel.used[0] - kernel.used[1];
  return std::min(own, shared);
}

bool TransferBudget::any_room(Path p, std::size_t from, std::size_t to) const {
  for (std::size_t k = from; k < to && k < kernels_.size(); ++k)
    if (bookkeeping_ == Bookkeeping::g10 ? !kernels_[k].full[index(p)] : available(p, k) > 0)
      return true;
  return false;
}

std::size_t TransferBudget::finish_forward(Path p, double bytes, std::size_t from) const {
  const std::size_t n = kernels_.size();
  std::size_t k = std::min(from, n - 1);
  for (double rest = bytes;; ++k) {
    rest -= std::max(0.0, available(p, k));
    if (rest <= 0 || k == n - 1) return k;
  }
}

std::size_t TransferBudget::start_backward(Path p, double bytes, std::size_t needed) const {
  if (needed == 0) return 0;
  std::size_t k = std::min(needed, kernels_.size()) - 1;
  for (double rest = bytes;; --k) {
    rest -= std::max(0.0, available(p, k));
    if (rest <= 0 || k == 0) return k;
  }
}

void TransferBudget::book_g10(std::size_t i, double bytes, std::size_t from) {
  const std::size_t n = kernels_.size();
  for (std::size_t k = from; k < n && bytes > 0; ++k) {
    Kernel& x = kernels_[k];
    if (x.full[i]) continue;
    double* used = x.used;
    const double* cap = x.capacity;
    if (i == 1) {  // SSD: its own budget, and the same bytes on the host path's
      if (bytes + used[1] > cap[1]) {
        const double take = cap[1] - used[1];
        bytes -= take;
        used[0] += take;
        used[1] = cap[1];
        x.full[1] = true;
      } else {
        used[1] += bytes;
        used[0] += bytes;
        bytes = 0;
      }
      if (used[0] >= cap[0]) x.full[0] = true;
    } else if (bytes + used[0] > cap[0]) {  // host, past its budget: both paths full
      bytes -= cap[0] - used[0];
      used[0] = cap[0];
      x.full[0] = true;
      used[1] = cap[1];
      x.full[1] = true;
    } else {  // host: the whole excess over (host budget - SSD budget) lands on the SSD's
      used[0] += bytes;
      bytes = 0;
      if (used[0] >= cap[0] - cap[1]) {
        used[1] += used[0] - (cap[0] - cap[1]);
        if (used[1] >= cap[1]) {
          used[1] = cap[1];
          x.full[1] = true;
        }
      }
    }
  }
}

void TransferBudget::book(Path p, double bytes, std::size_t from) {
  const std::size_t i = index(p);
  if (bookkeeping_ == Bookkeeping::g10) return book_g10(i, bytes, from);
  for (std::size_t k = from; k < kernels_.size() && bytes > 0; ++k) {
    const double take = std::min(bytes, available(p, k));
    if (take <= 0) continue;
    kernels_[k].used[i] += take;
    bytes -= take;
  }
}

}  // namespace strata::g10
