#pragma once
/// @file g10_plan.hpp
/// @brief Reads G10's own plan (g10_plan.txt in a G10 workload folder) into a Plan.
///
/// Format (../shared/g10/README.md), one hint per line:
///   Issued Time: <t> Tensor: <N> G:<o|x> From: <location>, To: <In_gpu|In_cpu|In_ssd|Not_present>
///
/// Note [G10 plan semantics] (read in the G10 artifact, platformxlab/G10, to reimplement):
/// - src/analysis.cc `print_prefetch_table` prints one `DataMovementHint` (src/simulationUtils.h)
///   per line after `scheduling_prefetch` has sorted them by issued_time. `From` is always
///   Not_Known for the hints of the default configuration: the simulator decides by the tensor's
///   current location, not the hint.
/// - src/simulationEvents.cc `KernelBeginEvent::execute` applies, when kernel
///   `issued_time % kernel_count` begins, every hint issued for it (`guidedTransfer`), before it
///   checks whether the kernel's tensors have arrived. So Issued Time t means "before kernel t";
///   t == kernel_count (pre-deallocation after the last kernel) wraps to before kernel 0 of the
///   next iteration, which this importer writes as "after the last kernel".
/// - `guidedTransfer`: To In_gpu allocates a tensor that is not present (pre-alloc) or starts a
///   prefetch from host or SSD; it is ignored for pages already on the GPU. To In_cpu/In_ssd
///   starts a pre-eviction of pages that are on the GPU (ignored otherwise). To Not_present frees
///   at once, wherever the pages are.
/// - `scheduling_prefetch`: a non-persistent tensor gets In_gpu at the kernel during which its
///   pre-allocation must start (at most its first use) and Not_present at its death index, the
///   kernel after its last use (`live_interval[1]`, or first use + 1 for a one-use tensor).
///   Evictions are issued at the start of an inactive period (`kernelLevel_interval[0]`),
///   prefetches at an index computed backwards from the next use against estimated PCIe/SSD
///   bandwidth. A persistent tensor's period may wrap around the iteration (evicted late,
///   prefetched early in the next iteration, index taken modulo the kernel count).
/// - The pre-alloc/pre-dealloc pass skips tensor 0 (G10's input A0), and its memory estimate
///   starts from "every tensor resident"; the plan file carries no initial placement.
///
/// Mapping: In_gpu → prefetch(device) (which allocates an unborn tensor); In_cpu → evict(host);
/// In_ssd → evict(ssd); Not_present → release. Initial placement (steady state): a persistent
/// tensor whose last movement in the iteration is an eviction starts the iteration in that
/// eviction's tier (where the previous iteration left it); every other one starts on the device.
/// G:o must match the workload tensor's persistence (G:o ⇔ `Is weight (global)?: 1`); a mismatch
/// is an error. Every error is InvalidInput "<file>:<line>: ...".

#include <filesystem>
#include <string_view>

#include "strata/plan/plan.hpp"
#include "strata/workload/workload.hpp"

namespace strata {

/// @brief Parses the text of a g10_plan.txt against the workload of the same folder; `source`
/// names it in errors. The plan is named "g10 plan of <workload>" with policy "g10-plan".
Plan parse_g10_plan(std::string_view text, std::string_view source, const Workload& w);

/// @brief Reads `<folder>/g10_plan.txt`, or `path` itself if it is a file, against `w`.
Plan load_g10_plan(const std::filesystem::path& folder_or_file, const Workload& w);

}  // namespace strata
