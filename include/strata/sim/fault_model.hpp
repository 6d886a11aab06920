#pragma once
/// @file fault_model.hpp
/// @brief What a demand fetch (a GPU page fault on a tensor that is not in device memory) costs,
/// as UVM handles it and G10's simulator models it: the tensor is split into pages of
/// FaultModel::page_bytes, faults are serviced in batches of FaultModel::batch_pages, and every
/// batch costs FaultModel::batch_latency_ns of handling (CPU far-fault latency) on top of moving
/// its bytes over the link. See docs/fault_model.md for the calibration against the page-fault
/// times measured on an A100 (../shared/g10/*/pf_times.txt).
///
/// Note [fault handling and transfer]: the handling latency is what this file computes; the
/// bytes themselves move through the simulator's transfer engine at the link's bandwidth, after
/// the handling latency (Route::latency_ns). predicted_fault_ns() adds the two for one fault
/// alone on an idle link, which is what the calibration compares with the measurements.

#include <cstdint>

#include "strata/machine/machine.hpp"
#include "strata/workload/workload.hpp"

namespace strata::sim {

/// @brief Pages a fetch of `bytes` touches: ceil(bytes / page_bytes). Throws InvalidInput if
/// page_bytes is 0.
std::uint64_t fault_pages(const FaultModel& f, std::uint64_t bytes);

/// @brief Fault batches a fetch of `bytes` needs: ceil(pages / batch_pages). Throws
/// InvalidInput if batch_pages is 0.
std::uint64_t fault_batches(const FaultModel& f, std::uint64_t bytes);

/// @brief Handling latency of a demand fetch of `bytes`: fault_batches x batch_latency_ns
/// (0 for 0 bytes). The transfer time is not included (Note [fault handling and transfer]).
std::int64_t demand_fetch_latency_ns(const FaultModel& f, std::uint64_t bytes);

/// @brief Handling latency of populating `bytes` of a new tensor on the device at its first
/// touch (managed memory, Policy::first_touch_faults): fault_batches x
/// first_touch_batch_latency_ns; nothing is transferred.
std::int64_t first_touch_latency_ns(const FaultModel& f, std::uint64_t bytes);

/// @brief Handling plus transfer of `bytes` at `bytes_per_s` on an otherwise idle link:
/// demand_fetch_latency_ns + ceil(bytes / bytes_per_s). Throws InvalidInput if bytes_per_s <= 0.
std::int64_t predicted_fault_ns(const FaultModel& f, std::uint64_t bytes, double bytes_per_s);

/// Note [measured fault model]: where a kernel carries measured page-fault times
/// (Kernel::pf_times: G10's traces), its faults cost what G10's simulator charges
/// (platformxlab/G10, src/simulationEvents.cc, performance_model), not batches x latency. With
/// t11 = the plain time, t10 = input_pf, t00 = pf, clamped as G10 loads them (t10 >= t11,
/// t00 >= t10): faulting all the kernel's input pages costs t00 - t10 and all its output pages
/// t10 - t11, i.e. fault bandwidths bw_in = s_in / (t00 - t10) and bw_out = s_out / (t10 - t11)
/// (unbounded where the cost is 0), s = pages x page_bytes. SSD faults run at
/// bw x far_fault / (far_fault + ssd_fault) latency, capped by the SSD link's rate; host
/// faults at bw capped by the PCIe rate minus the larger SSD fault rate in use. Then
///   cpu = r_in (1 - q_in) s_in / bw_in + r_out (1 - q_out) s_out / bw_out
///   ssd = r_in q_in s_in / bw_ssd_in + r_out q_out s_out / bw_ssd_out
///   fault time = max(cpu, ssd)
/// where r is the fraction of the side's pages faulted (not on the device, not already on
/// their way) and q the fraction of those coming from SSD; pages populated at first touch
/// count as host faults. As in G10, a side with no pages but a positive measured cost
/// makes the host part undefined (0 / 0) and G10 then keeps only the SSD part; strata does
/// the same (measured_fault_ns). The fault time includes moving the bytes: the simulator
/// starts the kernel no earlier than the fault time after it first tried, and moves the faulted
/// bytes over the links meanwhile with no per-batch latency (docs/fault_model.md).

/// Note [G10's executed fault model]: G10's simulator passes the three times to its model as
/// `cycles / GPU_frequency_Hz * 1000` (KernelBeginEvent::getPageFaultTime), where both operands
/// are integers (`long` cycles, `unsigned long` Hz): the division truncates every time to whole
/// seconds before it becomes milliseconds. For a kernel whose times are all under a second
/// (nearly every kernel of the seven shared workloads) t00 = t10 = t11 = 0, both measured costs
/// are 0, and the model reduces to the faulted bytes at the PCIe rate (less the SSD fault rate
/// in use) and at the SSD rate: no per-fault latency at all. For longer kernels the times move in
/// whole seconds. That is the model behind G10's published numbers; FaultCost::g10 reproduces it
/// (g10_executed_fault_ns) next to the model as designed (measured_fault_ns, FaultCost::measured).

/// @brief What one kernel faulted, in pages (Note [measured fault model]). A tensor that is
/// both an input and an output counts as an input only, as in G10.
struct KernelFaults {
  std::uint64_t input_pages = 0;           ///< all pages of the kernel's inputs
  std::uint64_t output_pages = 0;          ///< all pages of its outputs that are not inputs
  std::uint64_t input_faulted_pages = 0;   ///< input pages faulted (host, SSD or first touch)
  std::uint64_t input_ssd_pages = 0;       ///< of those, from SSD
  std::uint64_t output_faulted_pages = 0;  ///< output pages faulted
  std::uint64_t output_ssd_pages = 0;      ///< of those, from SSD
};

/// @brief The rates the measured model caps fault bandwidth with.
struct FaultLinkRates {
  double pcie_bytes_per_s = 0;  ///< the GPU's PCIe link to host (G10's BW_pcie)
  double ssd_bytes_per_s = 0;   ///< the GPU's link to SSD (G10's BW_ssd); 0 if none
};

/// @brief Fault time of kernel `k` (Note [measured fault model]), rounded to whole ns; 0 when
/// nothing was faulted. Throws InvalidInput if `k` has no pf_times, if a faulted count exceeds
/// its total or an SSD count its faulted count, or if the PCIe rate is not positive (or the SSD
/// rate while SSD pages are faulted).
std::int64_t measured_fault_ns(const FaultModel& f, const Kernel& k, const KernelFaults& faults,
                               const FaultLinkRates& rates);

/// @brief The same model with the kernel's times truncated to whole seconds, as G10's simulator
/// executes it (Note [G10's executed fault model]). Same errors as measured_fault_ns.
std::int64_t g10_executed_fault_ns(const FaultModel& f, const Kernel& k, const KernelFaults& faults,
                                   const FaultLinkRates& rates);

}  // namespace strata::sim
