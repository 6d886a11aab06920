#pragma once
// How G10's artifact ran its planner on each shared workload (docs/policies.md, `g10`): with its
// target line x 1.394 for BERT at batch 512 with an SSD under 6.3 GB/s (its src/ast.cc,
// transformer_parse, sets loosen_parameter), at the defaults elsewhere.
#include <string>
#include <string_view>

#include "strata/plan/policies/g10.hpp"

namespace strata::test {

inline constexpr std::string_view kG10LooseWorkload = "BERT-512";
inline constexpr double kG10LooseLineScale = 1.394;

/// G10Options as G10 ran its planner on `workload` (a folder name of ../shared/g10).
inline G10Options g10_options_as_run(std::string_view workload) {
  G10Options o;
  if (workload == kG10LooseWorkload) o.line_scale = kG10LooseLineScale;
  return o;
}

/// The `--policy` spec of the same.
inline std::string g10_spec_as_run(std::string_view workload) {
  return workload == kG10LooseWorkload ? "g10:line_scale=1.394" : "g10";
}

}  // namespace strata::test
