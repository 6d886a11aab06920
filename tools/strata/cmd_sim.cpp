// strata sim: simulate a policy's plan for a workload on a machine and report the iteration.
#include <iostream>

#include "commands.hpp"
#include "common.hpp"
#include "strata/analysis/vitality.hpp"
#include "strata/core/error.hpp"
#include "strata/plan/policy.hpp"
#include "strata/sim/simulator.hpp"

namespace strata::cli {

void add_sim(CLI::App& app, const Paths& paths) {
  struct Args {
    WorkloadArgs workload;
    std::string policy = "ideal";
    std::uint32_t iterations = 3;
    std::uint32_t gpu = 0;
    std::uint32_t gpus = 1;
    bool json = false;
    std::string timeline;
    SimModelArgs model;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "sim",
      "Simulate a policy's plan for a workload on a machine: iteration time against "
      "ideal, stalls, traffic per link, peak memory per tier");
  add_workload_args(*cmd, args->workload, "model:resnet50");
  std::string policies;
  for (const auto& [name, what] : known_policies()) policies += "\n  " + name + ": " + what;
  cmd->add_option("--policy", args->policy, "who decides where tensors live:" + policies)
      ->capture_default_str();
  cmd->add_option("--iterations", args->iterations,
                  "iterations to simulate; the last (steady state) is reported")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1000u));
  cmd->add_option("--gpu", args->gpu,
                  "which GPU of the machine runs the plan (the first of --gpus)")
      ->capture_default_str();
  cmd->add_option("--gpus", args->gpus,
                  "data parallel: GPUs --gpu .. --gpu + N - 1 each run their own copy of the "
                  "workload, sharing host, SSD and buses (no all-reduce is modelled)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1024u));
  add_sim_model_options(*cmd, args->model);
  cmd->add_flag("--json", args->json, "print the report as one JSON object");
  cmd->add_option("--timeline", args->timeline,
                  "write the steady-state iteration as Chrome trace JSON (open in Perfetto)");
  cmd->footer(
      "Examples:\n"
      "  strata sim g10:BERT-256 --machine g10-a100 --policy g10-plan:BERT-256\n"
      "  strata sim g10:VIT-1024 --policy ideal --json\n"
      "  strata sim g10:ResNet152-768 --policy g10-plan:ResNet152-768 --timeline r.json\n"
      "  strata sim model:resnet50 --batch 256 --machine h100x8-node --gpus 8\n"
      "A g10-plan:<name> that is not a path is looked up in the G10 folders, like g10:<name>.");
  cmd->callback([args, &paths] {
    const LoadedWorkload loaded = load(args->workload, paths);
    const std::string spec = resolve_policy_spec(args->policy, paths);
    const std::unique_ptr<Policy> policy = make_policy(spec);
    const Vitality vitality = analyze_vitality(loaded.workload);
    sim::SimOptions options;
    options.iterations = args->iterations;
    options.gpu = args->gpu;
    options.gpu_count = args->gpus;
    options.record_timeline = !args->timeline.empty();
    apply_sim_model_options(args->model, options);
    const sim::Report report =
        sim::run_policy(loaded.workload, vitality, loaded.machine, *policy, options);
    std::cout << (args->json ? sim::report_to_json(report) : sim::report_to_text(report));
    if (!args->timeline.empty()) {
      if (!report.feasible) throw InvalidInput("no timeline: the run is infeasible");
      write_output(args->timeline, sim::timeline_to_chrome_json(
                                       report.timeline, report.policy + " on " + report.workload));
      if (!args->json) std::cout << "timeline written to " << args->timeline << "\n";
    }
  });
}

}  // namespace strata::cli
