#include "strata/sim/fault_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>

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

std::int64_t first_touch_latency_ns(const FaultModel& f, std::uint64_t bytes) {
  return static_cast<std::int64_t>(fault_batches(f, bytes)) * f.first_touch_batch_latency_ns;
}

std::int64_t predicted_fault_ns(const FaultModel& f, std::uint64_t bytes, double bytes_per_s) {
  if (!(bytes_per_s > 0)) throw InvalidInput("fault model: the link bandwidth must be positive");
  const double transfer_ns = std::ceil(static_cast<double>(bytes) * 1e9 / bytes_per_s);
  return demand_fetch_latency_ns(f, bytes) + static_cast<std::int64_t>(transfer_ns);
}

namespace {

/// `bytes` at `bytes_per_ns` (0 for no bytes, whatever the rate).
double time_ns(double bytes, double bytes_per_ns) { return bytes > 0 ? bytes / bytes_per_ns : 0; }

double fraction(std::uint64_t part, std::uint64_t whole) {
  return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

/// The kernel's three times, in ns (Note [measured fault model]).
struct KernelTimes {
  double t11 = 0, t10 = 0, t00 = 0;
};

/// G10's performance_model on the times `t`; `model` names it in errors ("measured", "g10").
std::int64_t performance_model_ns(std::string_view model, const FaultModel& f, const Kernel& k,
                                  KernelTimes t, const KernelFaults& faults,
                                  const FaultLinkRates& rates) {
  if (faults.input_faulted_pages > faults.input_pages ||
      faults.output_faulted_pages > faults.output_pages ||
      faults.input_ssd_pages > faults.input_faulted_pages ||
      faults.output_ssd_pages > faults.output_faulted_pages)
    throw InvalidInput(fmt::format(
        "{} fault model: kernel {}: inconsistent page counts (inputs {} faulted {} ssd {}, "
        "outputs {} faulted {} ssd {})",
        model, k.id, faults.input_pages, faults.input_faulted_pages, faults.input_ssd_pages,
        faults.output_pages, faults.output_faulted_pages, faults.output_ssd_pages));
  if (faults.input_faulted_pages == 0 && faults.output_faulted_pages == 0) return 0;
  if (!(rates.pcie_bytes_per_s > 0))
    throw InvalidInput(fmt::format("{} fault model: the PCIe rate must be positive", model));
  const bool ssd_faults = faults.input_ssd_pages > 0 || faults.output_ssd_pages > 0;
  if (ssd_faults && !(rates.ssd_bytes_per_s > 0))
    throw InvalidInput(
        fmt::format("{} fault model: SSD pages faulted but the SSD rate is not positive", model));

  // Clamped as G10 loads them (t10 >= t11, t00 >= t10).
  const double t11 = t.t11;
  const double t10 = std::max(t.t10, t11);
  const double t00 = std::max(t.t00, t10);
  const double cost_in_ns = t00 - t10;
  const double cost_out_ns = t10 - t11;
  const double page = static_cast<double>(f.page_bytes);
  const double s_in = static_cast<double>(faults.input_pages) * page;
  const double s_out = static_cast<double>(faults.output_pages) * page;
  constexpr double kUnbounded = std::numeric_limits<double>::infinity();
  // Fault bandwidths (bytes per ns) the measurements imply.
  double bw_in = cost_in_ns > 0 ? s_in / cost_in_ns : kUnbounded;
  double bw_out = cost_out_ns > 0 ? s_out / cost_out_ns : kUnbounded;

  const double r_in = fraction(faults.input_faulted_pages, faults.input_pages);
  const double r_out = fraction(faults.output_faulted_pages, faults.output_pages);
  const double q_in = fraction(faults.input_ssd_pages, faults.input_faulted_pages);
  const double q_out = fraction(faults.output_ssd_pages, faults.output_faulted_pages);

  const double latency_sum =
      static_cast<double>(f.far_fault_latency_ns) + static_cast<double>(f.ssd_fault_latency_ns);
  const double ssd_scale =
      latency_sum > 0 ? static_cast<double>(f.far_fault_latency_ns) / latency_sum : 1.0;
  const double ssd_rate = rates.ssd_bytes_per_s / 1e9;
  const double bw_ssd_in = q_in > 0 ? std::min(bw_in * ssd_scale, ssd_rate) : 0.0;
  const double bw_ssd_out = q_out > 0 ? std::min(bw_out * ssd_scale, ssd_rate) : 0.0;

  const double pcie_left = rates.pcie_bytes_per_s / 1e9 - std::max(bw_ssd_in, bw_ssd_out);
  if (!(pcie_left > 0))
    throw Unsupported(fmt::format(
        "{} fault model: kernel {}: SSD faults at {:.3g} GB/s leave no PCIe bandwidth "
        "({:.3g} GB/s) for host faults; G10's model is undefined there (an SSD link as fast as "
        "the GPU's PCIe link)",
        model, k.id, std::max(bw_ssd_in, bw_ssd_out), rates.pcie_bytes_per_s / 1e9));
  bw_in = std::min(bw_in, pcie_left);
  bw_out = std::min(bw_out, pcie_left);

  const double ssd_ns =
      time_ns(r_in * q_in * s_in, bw_ssd_in) + time_ns(r_out * q_out * s_out, bw_ssd_out);
  // G10: a side with no pages but a positive measured cost has fault bandwidth 0, its host
  // fault time 0 / 0 is NaN, and std::max keeps the SSD part alone.
  const bool host_part_undefined = (s_in == 0 && cost_in_ns > 0) || (s_out == 0 && cost_out_ns > 0);
  const double host_ns = host_part_undefined ? 0.0
                                             : time_ns(r_in * (1 - q_in) * s_in, bw_in) +
                                                   time_ns(r_out * (1 - q_out) * s_out, bw_out);
  return static_cast<std::int64_t>(std::llround(std::max(ssd_ns, host_ns)));
}

const PageFaultTimes& pf_times_of(const Kernel& k, std::string_view model) {
  if (!k.pf_times)
    throw InvalidInput(fmt::format(
        "{} fault model: kernel {} ({}) has no measured page-fault times", model, k.id, k.name));
  return *k.pf_times;
}

/// Whole seconds of `ns`, in ns: G10's integer division of cycles by the clock in Hz.
double whole_seconds_ns(std::int64_t ns) {
  constexpr std::int64_t kSecondNs = 1'000'000'000;
  return static_cast<double>(ns / kSecondNs * kSecondNs);
}

}  // namespace

std::int64_t measured_fault_ns(const FaultModel& f, const Kernel& k, const KernelFaults& faults,
                               const FaultLinkRates& rates) {
  const PageFaultTimes& pf = pf_times_of(k, "measured");
  return performance_model_ns("measured", f, k,
                              {static_cast<double>(k.duration_ns),
                               static_cast<double>(pf.input_pf_ns), static_cast<double>(pf.pf_ns)},
                              faults, rates);
}

std::int64_t g10_executed_fault_ns(const FaultModel& f, const Kernel& k, const KernelFaults& faults,
                                   const FaultLinkRates& rates) {
  const PageFaultTimes& pf = pf_times_of(k, "g10");
  return performance_model_ns("g10", f, k,
                              {whole_seconds_ns(k.duration_ns), whole_seconds_ns(pf.input_pf_ns),
                               whole_seconds_ns(pf.pf_ns)},
                              faults, rates);
}

}  // namespace strata::sim
