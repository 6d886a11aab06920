// strata inspect: what a workload is and how its memory behaves over one iteration.
#include <chrono>
#include <iostream>

#include "commands.hpp"
#include "common.hpp"
#include "strata/analysis/vitality.hpp"
#include "strata/core/units.hpp"
#include "strata/io/workload_json.hpp"
#include "strata/report/inspect.hpp"

namespace strata::cli {

void add_inspect(CLI::App& app, const Paths& paths) {
  struct Args {
    WorkloadArgs workload;
    bool json = false;
    std::string plot;
    std::string save;
    std::size_t top = 10;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd =
      app.add_subcommand("inspect",
                         "Summarise a workload: kernels, tensors, parameters, peak live "
                         "memory and where, ideal time, the largest tensors");
  add_workload_args(*cmd, args->workload, "model:resnet50");
  cmd->add_flag("--json", args->json, "print one JSON object instead of the table");
  cmd->add_option("--memory-plot", args->plot,
                  "write an SVG of live bytes over the iteration, by tensor kind");
  cmd->add_option("--save", args->save,
                  "also write the workload as strata JSON (round-trips exactly)");
  cmd->add_option("--top", args->top, "how many of the largest tensors to list")
      ->capture_default_str();
  cmd->footer(
      "Examples:\n"
      "  strata inspect g10:BERT-256\n"
      "  strata inspect model:bert_large --batch 32 --seq 512 --dtype bf16 --json\n"
      "  strata inspect model:llama_7b --batch 4 --memory-plot llama.svg --machine h100-80g-pcie5");
  cmd->callback([args, &paths, cmd] {
    args->workload.machine_given = cmd->count("--machine") > 0;
    const auto started = std::chrono::steady_clock::now();
    const LoadedWorkload loaded = load(args->workload, paths);
    const Vitality vitality = analyze_vitality(loaded.workload);
    if (args->json) {
      std::cout << inspect_json(loaded.workload, vitality, args->top);
    } else {
      std::cout << inspect_text(loaded.workload, vitality, args->top);
    }
    if (!args->plot.empty()) {
      std::optional<std::uint64_t> capacity;
      std::string label;
      if (args->workload.machine_given) {
        const Machine& m = loaded.machine;
        capacity = m.tiers[m.gpus.front().memory].capacity_bytes;
        label = m.gpus.front().name + " memory (" + m.name + ")";
      }
      write_output(args->plot, memory_plot_svg(loaded.workload, vitality, capacity, label));
      if (!args->json) std::cout << "\nmemory plot written to " << args->plot << "\n";
    }
    if (!args->save.empty()) {
      write_output(args->save, workload_to_json(loaded.workload));
      if (!args->json) std::cout << "workload written to " << args->save << "\n";
    }
    const auto elapsed = std::chrono::steady_clock::now() - started;
    if (!args->json)
      std::cerr << "("
                << format_ns(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count())
                << " to load and analyse)\n";
  });
}

}  // namespace strata::cli
