#include "strata/sim/fault_model.hpp"

#include <cmath>

#include "strata/core/error.hpp"

namespace strata::sim {

std::uint64_t fault_pages(const FaultModel& f, std::uint64_t bytes) {
  if (f.page_bytes == 0)
    throw InvalidInput(
        "fault model: page_bytes is 0; set [fault] page_bytes in the machine preset");
  return bytes / f.page_bytes + (bytes % f.page_bytes != 0 ? 1 : 0);
}

std::uint64_t fault_batches(const FaultModel& f, std::uint64_t bytes) {
  if (f.batch_pages == 0)
    throw InvalidInput(
        "fault model: batch_pages is 0; set [fault] batch_pages in the machine preset");
  const std::uint64_t pages = fault_pages(f, bytes);
  return pages / f.batch_pages + (pages % f.batch_pages != 0 ? 1 : 0);
}

std::int64_t demand_fetch_latency_ns(const FaultModel& f, std::uint64_t bytes) {
  return static_cast<std::int64_t>(fault_batches(f, bytes)) * f.batch_latency_ns;
}

std::int64_t predicted_fault_ns(const FaultModel& f, std::uint64_t bytes, double bytes_per_s) {
  if (!(bytes_per_s > 0)) throw InvalidInput("fault model: the link bandwidth must be positive");
  const double transfer_ns = std::ceil(static_cast<double>(bytes) * 1e9 / bytes_per_s);
  return demand_fetch_latency_ns(f, bytes) + static_cast<std::int64_t>(transfer_ns);
}

}  // namespace strata::sim
