// strata bound: a lower bound on the iteration time of a workload on a machine.
#include <chrono>
#include <iostream>

#include "commands.hpp"
#include "common.hpp"
#include "strata/analysis/vitality.hpp"
#include "strata/bound/lower_bound.hpp"

namespace strata::cli {

void add_bound(CLI::App& app, const Paths& paths) {
  struct Args {
    WorkloadArgs workload;
    std::uint32_t gpu = 0;
    std::uint32_t gpus = 1;
    bool no_lp = false;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "bound",
      "A lower bound on the steady-state iteration time: compute, capacity-forced traffic and "
      "an LP relaxation (docs/bound.md); no policy can do better");
  add_workload_args(*cmd, args->workload, "model:bert_large");
  cmd->add_option("--gpu", args->gpu, "the first GPU of the run")->capture_default_str();
  cmd->add_option("--gpus", args->gpus,
                  "data parallel: GPUs --gpu .. --gpu + N - 1 each run a copy, sharing buses, "
                  "host and SSD")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1024u));
  cmd->add_flag("--no-lp", args->no_lp, "layers 1-2 only (skip the LP relaxation)");
  cmd->add_flag("--json", args->json,
                "print the layers as one JSON object (schema: docs/bound.md)");
  cmd->footer(
      "Examples:\n"
      "  strata bound g10:BERT-512 --machine g10-a100\n"
      "  strata bound model:vgg16 --batch 256 --machine h100x8-node --gpus 4 --json\n"
      "The time it took is printed (solve_seconds in JSON); it is the only non-deterministic "
      "number.");
  cmd->callback([args, &paths] {
    const LoadedWorkload loaded = load(args->workload, paths);
    const auto start = std::chrono::steady_clock::now();
    const Vitality vitality = analyze_vitality(loaded.workload);
    bound::BoundOptions options;
    options.gpu = args->gpu;
    options.gpu_count = args->gpus;
    options.use_lp = !args->no_lp;
    const bound::LowerBound b =
        bound::compute_lower_bound(loaded.workload, vitality, loaded.machine, options);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << (args->json ? bound::lower_bound_to_json(b, seconds)
                             : bound::lower_bound_to_text(b, seconds));
  });
}

}  // namespace strata::cli
