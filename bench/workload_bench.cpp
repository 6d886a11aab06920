#include <benchmark/benchmark.h>

#include "strata/workload/workload.hpp"

static void BM_Producers(benchmark::State& state) {
  strata::Workload w;
  w.name = "chain";
  const auto n = static_cast<std::uint32_t>(state.range(0));
  for (std::uint32_t i = 0; i < n; ++i) {
    w.tensors.push_back({i, "t" + std::to_string(i), 4096, strata::TensorKind::activation, false});
    strata::Kernel k;
    k.id = i;
    k.name = "k" + std::to_string(i);
    if (i > 0) k.inputs = {i - 1};
    k.outputs = {i};
    w.kernels.push_back(k);
  }
  for (auto _ : state) benchmark::DoNotOptimize(strata::producers(w));
}
BENCHMARK(BM_Producers)->Arg(1 << 10)->Arg(1 << 14);
