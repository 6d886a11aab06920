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

/// @brief Handling plus transfer of `bytes` at `bytes_per_s` on an otherwise idle link:
/// demand_fetch_latency_ns + ceil(bytes / bytes_per_s). Throws InvalidInput if bytes_per_s <= 0.
std::int64_t predicted_fault_ns(const FaultModel& f, std::uint64_t bytes, double bytes_per_s);

}  // namespace strata::sim
