#pragma once
// A shared G10 workload (../shared/g10/<name>) with its vitality, on the g10-a100 preset: what
// the whole-run and planner benchmarks measure. Absent data skips the benchmark with a message.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <optional>
#include <string>

#include "strata/analysis/vitality.hpp"
#include "strata/io/g10_trace.hpp"
#include "strata/machine/machine.hpp"

namespace strata::bench {

struct G10Case {
  Workload w;
  Vitality v;
  Machine m;
};

/// The case, or nullopt after marking `state` skipped when the workload is not there.
inline std::optional<G10Case> load_g10_case(benchmark::State& state, const std::string& name) {
  const std::filesystem::path folder = std::filesystem::path(STRATA_G10_DIR) / name;
  if (!std::filesystem::exists(folder / "kernels.config")) {
    state.SkipWithError(("G10 workload not found at " + folder.string() + "; skipping").c_str());
    return std::nullopt;
  }
  G10Case c;
  c.w = load_g10_folder(folder);
  c.v = analyze_vitality(c.w);
  c.m =
      load_machine("g10-a100", {std::filesystem::path(STRATA_SOURCE_DIR) / "configs" / "machines"});
  return c;
}

}  // namespace strata::bench
