#pragma once
// Private to src/machine: what the TOML reader tells validation about where each entity was
// defined, so that errors found after parsing still name the file and line.

#include <cstdint>
#include <string>
#include <vector>

#include "strata/machine/machine.hpp"

namespace strata::detail {

struct MachineSourceLines {
  std::string source;
  std::uint32_t root_line = 1;
  std::uint32_t fault_line = 0;
  std::vector<std::uint32_t> gpu, tier, bus, link;  // definition line of each; 0 = unknown
};

/// validate() with file and line in every message when `lines` is given.
void validate_machine(const Machine& m, const MachineSourceLines* lines);

}  // namespace strata::detail
