// strata compare: every policy on one workload and machine, side by side.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <iostream>

#include "commands.hpp"
#include "common.hpp"
#include "strata/analysis/vitality.hpp"
#include "strata/bound/lower_bound.hpp"
#include "strata/core/error.hpp"
#include "strata/core/thread_pool.hpp"
#include "strata/sim/compare.hpp"

namespace strata::cli {

void add_compare(CLI::App& app, const Paths& paths) {
  struct Args {
    WorkloadArgs workload;
    std::optional<std::string> policies;
    std::uint32_t iterations = 3;
    std::uint32_t gpus = 1;
    std::uint32_t jobs = 0;
    bool json = false;
    bool no_bound = false;
    bool quiet = false;
    bool progress = false;
    SimModelArgs model;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "compare",
      "Plan and simulate several policies on one workload and machine, side by side: iteration "
      "time, fraction of ideal, stalls, traffic, faults");
  add_workload_args(*cmd, args->workload, "model:bert_large");
  add_policies_option(*cmd, args->policies);
  cmd->add_option("--iterations", args->iterations,
                  "iterations to simulate per policy; the last (steady state) is reported")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1000u));
  cmd->add_option("--gpus", args->gpus,
                  "data parallel: GPUs 0..N-1 each run a copy, sharing host, SSD and buses")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--jobs,-j", args->jobs,
                  "policies simulated at once (default 0: one per hardware thread)")
      ->capture_default_str();
  add_sim_model_options(*cmd, args->model);
  cmd->add_flag("--no-bound", args->no_bound,
                "do not compute the lower bound (`strata bound`) shown next to every row");
  cmd->add_flag("--quiet,-q", args->quiet, "no progress on stderr");
  cmd->add_flag("--progress", args->progress,
                "progress on stderr even when it is not a terminal (one line per policy)");
  cmd->add_flag("--json", args->json,
                "print {\"results\": [...]}, one object per policy (schema: docs/compare.md)");
  cmd->footer(
      "Examples:\n"
      "  strata compare model:bert_large --batch 32 --seq 512 --machine g10-a100\n"
      "  strata compare g10:BERT-256 --policies ideal,g10-plan:BERT-256 --json\n"
      "A policy that fails (unsupported here, a bad plan) is an infeasible row with the error as "
      "its reason;\nthe output is the same for any --jobs.");
  cmd->callback([args, &paths] {
    const PolicyList policies = parse_policy_list(args->policies, paths);
    const LoadedWorkload loaded = load(args->workload, paths);
    if (args->gpus > loaded.machine.gpus.size())
      throw InvalidInput("--gpus " + std::to_string(args->gpus) + ": machine '" +
                         loaded.machine.name + "' has " +
                         std::to_string(loaded.machine.gpus.size()) +
                         " GPU(s); use fewer or a machine with more (`strata machine list`)");
    const Vitality vitality = analyze_vitality(loaded.workload);
    sim::SimOptions options;
    options.iterations = args->iterations;
    options.gpu_count = args->gpus;
    apply_sim_model_options(args->model, options);
    ThreadPool pool(std::max<std::size_t>(
        1, std::min<std::size_t>(args->jobs == 0 ? ThreadPool::hardware_threads() : args->jobs,
                                 policies.specs.size())));
    // Progress on stderr, a line per finished policy: rewritten in place on a terminal (and
    // cleared at the end, so that the table stands alone), one line each with --progress.
    const bool show = !args->quiet && (args->progress || ::isatty(STDERR_FILENO));
    const bool in_place = !args->progress;
    const auto start = std::chrono::steady_clock::now();
    auto tick = [&](const sim::CompareTick& t) {
      const double elapsed_s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const sim::Report& r = *t.report;
      const std::string line = fmt::format(
          "strata compare: [{}/{}] {} {} after {:.1f} s", t.done, t.total, r.policy,
          r.feasible ? fmt::format("{:.4f} of ideal", r.fraction_of_ideal) : "infeasible",
          elapsed_s);
      if (in_place)
        std::cerr << "\r\033[K" << line << (t.done == t.total ? "\r\033[K" : "") << std::flush;
      else
        std::cerr << line << "\n";
    };
    sim::Comparison c = sim::compare_policies(
        loaded.workload, vitality, loaded.machine, policies.specs, options, pool,
        show ? std::function<void(const sim::CompareTick&)>(tick)
             : std::function<void(const sim::CompareTick&)>());
    for (std::size_t i = 0; i < c.rows.size(); ++i) c.rows[i].policy = policies.labels[i];
    if (!args->no_bound) {
      bound::BoundOptions bo;
      bo.gpu_count = args->gpus;
      const bound::LowerBound b =
          bound::compute_lower_bound(loaded.workload, vitality, loaded.machine, bo);
      if (b.feasible) c.lower_bound_ns = b.lower_bound_ns;
    }
    std::cout << (args->json ? sim::comparison_to_json(c) : sim::comparison_to_text(c));
  });
}

}  // namespace strata::cli
