// How long `strata inspect` spends per G10 workload: parsing the trace, and vitality analysis.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "strata/analysis/vitality.hpp"
#include "strata/io/g10_trace.hpp"

namespace {

void register_all() {
  const std::filesystem::path root = STRATA_G10_DIR;
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) return;
  for (const auto& entry : std::filesystem::directory_iterator(root)) {
    if (!std::filesystem::exists(entry.path() / "kernels.config")) continue;
    const auto folder = entry.path();
    benchmark::RegisterBenchmark(("load_g10/" + folder.filename().string()).c_str(),
                                 [folder](benchmark::State& s) {
                                   for (auto _ : s)
                                     benchmark::DoNotOptimize(strata::load_g10_folder(folder));
                                 })
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("vitality/" + folder.filename().string()).c_str(),
                                 [folder](benchmark::State& s) {
                                   const strata::Workload w = strata::load_g10_folder(folder);
                                   for (auto _ : s)
                                     benchmark::DoNotOptimize(strata::analyze_vitality(w));
                                 })
        ->Unit(benchmark::kMillisecond);
  }
}

const int registered = (register_all(), 0);

}  // namespace
