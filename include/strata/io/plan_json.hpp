#pragma once
/// @file plan_json.hpp
/// @brief strata's own plan format: versioned JSON that round-trips a Plan exactly.
///
/// {"format": "strata.plan", "version": 1, "name": ..., "policy": ..., "workload": ...,
///  "kernel_count": N,
///  "initial": [{"tensor": id, "tier": "host"}],                  (ascending tensor ids)
///  "actions": [{"kernel": k, "when": "before"|"after", "op": "prefetch"|"evict"|"release"|
///               "recompute", "tensor": id, "to": "device"|"host"|"ssd"|"pmem"}],
///  "direct": [{"kernel": k, "tensor": id, "tier": "host"|"ssd"|"pmem"}]}   (optional)
/// `actions` lists kernels ascending, each kernel's `before` actions then its `after` actions,
/// each in issue order; `to` is omitted for release. `direct` (Note [direct access] in plan.hpp)
/// lists kernels ascending, each kernel's in list order; it is written only when a plan has
/// direct accesses, so plans without them read and write exactly as before. A flat list keeps files
/// small (most kernels have no action) and line-diffable when indented. Errors name the file and
/// the JSON path of the bad value ("plan.json: $.actions[3].kernel is 1500; the plan has 1369
/// kernels").

#include <filesystem>
#include <string>
#include <string_view>

#include "strata/plan/plan.hpp"

namespace strata {

inline constexpr int kPlanFormatVersion = 1;

/// @brief Serialises a plan; `indent` < 0 gives one line.
std::string plan_to_json(const Plan& p, int indent = 1);

/// @brief Parses a plan (structure only: validate() checks it against a workload and machine);
/// `source` names it in errors.
Plan plan_from_json(std::string_view text, std::string_view source);

/// @brief Reads a plan JSON file. Throws IoError if it cannot be read.
Plan load_plan_json(const std::filesystem::path& path);

/// @brief Writes a plan JSON file (atomically). Throws IoError if it cannot be written.
void save_plan_json(const Plan& p, const std::filesystem::path& path);

}  // namespace strata
