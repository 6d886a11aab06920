#pragma once
/// @file fault_calibration.hpp
/// @brief Checks the fault model (fault_model.hpp) against page-fault times measured on real
/// hardware: for every kernel, the measured extra time of faulting its tensors in on demand
/// (pf time - plain execution time) against the model's prediction for the same bytes. See
/// docs/fault_model.md for the numbers on the G10 workloads.

#include <cstdint>
#include <span>
#include <vector>

#include "strata/machine/machine.hpp"
#include "strata/workload/workload.hpp"

namespace strata::sim {

/// @brief One kernel: what faulting its tensors cost when measured, and what the model predicts.
struct FaultSample {
  KernelId kernel = 0;
  std::uint64_t bytes = 0;        ///< bytes faulted in (each distinct tensor once)
  std::uint64_t batches = 0;      ///< fault batches, summed over the tensors
  std::int64_t transfer_ns = 0;   ///< the bytes at the link's rate, summed over the tensors
  std::int64_t measured_ns = 0;   ///< pf time - execution time (may be <= 0: noise)
  std::int64_t predicted_ns = 0;  ///< sum over the tensors of predicted_fault_ns
};

/// @brief Which of a kernel's tensors were faulted in the measurement.
enum class FaultedTensors : std::uint8_t {
  all,     ///< inputs and outputs (pf_times.txt)
  inputs,  ///< inputs only (input_pf_times.txt)
};

/// @brief One sample per kernel that faults at least one byte. `pf_ns[k]` is kernel k's measured
/// time with those tensors faulted; the plain time is the workload's duration. Faults are
/// serviced one tensor after another over the GPU's link to host (gpu 0), as UVM's fault
/// handler does. Throws InvalidInput if `pf_ns` does not have one entry per kernel or the
/// machine has no host tier linked to its first GPU.
std::vector<FaultSample> fault_samples(const Workload& w, std::span<const std::int64_t> pf_ns,
                                       FaultedTensors which, const Machine& m);

/// @brief The error distribution of the samples whose measured cost is at least
/// `min_measured_ns` (smaller ones are measurement noise around the kernel time).
struct FaultError {
  std::size_t samples = 0;      ///< samples used
  double median_rel_error = 0;  ///< median of |predicted - measured| / measured
  double p90_rel_error = 0;     ///< 90th percentile of the same
  double total_ratio = 0;       ///< sum predicted / sum measured
};

FaultError fault_error(std::span<const FaultSample> samples, std::int64_t min_measured_ns);

/// @brief The batch latency that minimises the squared error of the predictions over the samples
/// with measured cost >= `min_measured_ns`, page size and batch size held at those the samples
/// were made with: the model is linear in batch_latency_ns (predicted = batches x latency +
/// transfer), so this is closed-form least squares. Rounded to whole ns, >= 0.
std::int64_t fit_batch_latency_ns(std::span<const FaultSample> samples,
                                  std::int64_t min_measured_ns);

}  // namespace strata::sim
