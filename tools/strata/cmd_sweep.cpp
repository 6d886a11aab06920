// strata sweep: policies across a range of batch sizes, memory sizes, bandwidths or GPU counts.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <iostream>

#include "commands.hpp"
#include "common.hpp"
#include "strata/core/error.hpp"
#include "strata/core/thread_pool.hpp"
#include "strata/report/sweep_plot.hpp"
#include "strata/sim/sweep.hpp"

namespace strata::cli {
namespace {

/// Progress on stderr: one line per finished cell with an ETA from the average pace so far.
/// On a terminal the line is rewritten in place; elsewhere (--progress) one line each.
class ProgressPrinter {
 public:
  explicit ProgressPrinter(bool in_place) : in_place_(in_place) {}
  void operator()(const sim::SweepTick& t, std::string_view axis) {
    const double elapsed_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double eta_s =
        elapsed_s / static_cast<double>(t.done) * static_cast<double>(t.total - t.done);
    const std::string outcome = t.cell->skipped ? "skip"
                                : t.cell->report.feasible
                                    ? fmt::format("{:.2f}", t.cell->report.fraction_of_ideal)
                                    : "infeasible";
    const std::string line = fmt::format("[{}/{}] {}={} policy={} {}  ETA {:.0f}s", t.done, t.total,
                                         axis, t.value->label, *t.policy, outcome, eta_s);
    if (in_place_) {
      std::cerr << "\r\033[K" << line << (t.done == t.total ? "\n" : "") << std::flush;
    } else {
      std::cerr << line << "\n";
    }
  }

 private:
  bool in_place_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace

void add_sweep(CLI::App& app, const Paths& paths) {
  struct Args {
    WorkloadArgs workload;
    std::optional<std::string> policies;
    std::string over;
    std::string values;
    std::uint32_t iterations = 3;
    std::uint32_t gpus = 1;
    std::uint32_t jobs = 0;
    bool json = false;
    std::string plot;
    std::optional<double> min_fraction;
    bool no_early_stop = false;
    bool quiet = false;
    bool progress = false;
    SimModelArgs model;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "sweep",
      "Run policies across batch sizes, GPU or host memory, SSD bandwidth or GPU counts: a "
      "table of fraction of ideal, a plot, the largest value that trains well");
  add_workload_args(*cmd, args->workload, "model:resnet50");
  add_policies_option(*cmd, args->policies);
  cmd->add_option("--over", args->over,
                  "what to vary: batch (zoo models), gpu-memory, host-memory, ssd-bandwidth, gpus")
      ->required();
  cmd->add_option("--values", args->values,
                  "comma-separated values and ranges start:stop:x<factor> or start:stop:+<step>, "
                  "e.g. 8,16,32 or 8:256:x2 or 20GiB:80GiB:+20GiB or 1.6GB/s:12.8GB/s:x2")
      ->required();
  cmd->add_option("--iterations", args->iterations,
                  "iterations to simulate per cell; the last (steady state) is reported")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1000u));
  cmd->add_option("--gpus", args->gpus,
                  "data parallel: GPUs 0..N-1 each run a copy, sharing host, SSD and buses "
                  "(every axis but gpus)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--jobs,-j", args->jobs,
                  "cells simulated at once (default 0: one per hardware thread)")
      ->capture_default_str();
  add_sim_model_options(*cmd, args->model);
  cmd->add_flag("--json", args->json, "print the results as one JSON object (docs/compare.md)");
  cmd->add_option("--plot", args->plot,
                  "write an SVG of fraction of ideal against the swept value, a line per policy");
  cmd->add_option("--min-fraction", args->min_fraction,
                  "report, per policy, the largest value that runs at >= this fraction of ideal")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("--no-early-stop", args->no_early_stop,
                "batch sweeps: keep running a policy at larger batches after it was infeasible");
  cmd->add_flag("--quiet,-q", args->quiet, "no progress on stderr");
  cmd->add_flag("--progress", args->progress,
                "progress on stderr even when it is not a terminal (one line per cell)");
  cmd->footer(
      "Examples:\n"
      "  strata sweep model:gpt2 --over batch --values 4:64:x2 --min-fraction 0.9\n"
      "  strata sweep model:bert_large --batch 32 --seq 512 --over gpu-memory \\\n"
      "      --values 10GiB:80GiB:+10GiB --plot mem.svg\n"
      "  strata sweep g10:BERT-256 --over ssd-bandwidth --values 1.6GB/s:25.6GB/s:x2\n"
      "  strata sweep model:vgg16 --machine a100x4-pcie-switch --gpus 4 --over batch \\\n"
      "      --values 128:2048:+128 --policies vdnn-all,vdnn-multi,strata --min-fraction 0.9\n"
      "Batch sweeps stop running a policy once it is infeasible at a batch (larger batches only "
      "need more\nmemory); those cells show 'skip'. Progress goes to stderr on a terminal.");
  cmd->callback([args, &paths] {
    const sim::SweepAxis axis = sim::parse_sweep_axis(args->over);
    sim::SweepSetup setup;
    setup.axis = axis;
    setup.values = sim::parse_sweep_values(axis, args->values);
    const PolicyList policies = parse_policy_list(args->policies, paths);
    setup.policies = policies.specs;
    setup.options.iterations = args->iterations;
    if (axis == sim::SweepAxis::gpus && args->gpus != 1)
      throw InvalidInput("--over gpus sweeps the GPU count; drop --gpus");
    setup.options.gpu_count = args->gpus;
    apply_sim_model_options(args->model, setup.options);
    setup.early_stop = !args->no_early_stop;
    if (axis == sim::SweepAxis::batch) {
      if (!is_model_spec(args->workload.spec))
        throw InvalidInput("--over batch: '" + args->workload.spec +
                           "' has a fixed batch size; sweep batch on a zoo model "
                           "(model:<name>, see `strata models`), or sweep another axis");
      if (args->workload.batch)
        throw InvalidInput("--over batch sweeps the batch size; drop --batch");
      WorkloadArgs first = args->workload;
      first.batch = static_cast<std::uint32_t>(setup.values.front().value);
      LoadedWorkload loaded = load(first, paths);  // checks every other option once, up front
      setup.machine = std::move(loaded.machine);
      // "gpt2-b4-s1024-fp32-adam" -> "gpt2-bN-s1024-fp32-adam": the batch is what varies.
      setup.workload_name = loaded.workload.name;
      const std::string batch_part = "-b" + std::to_string(*first.batch) + "-";
      if (const auto at = setup.workload_name.find(batch_part); at != std::string::npos)
        setup.workload_name.replace(at, batch_part.size(), "-bN-");
      setup.workload_at_batch = [base = args->workload, &paths](std::uint32_t batch) {
        WorkloadArgs at = base;
        at.batch = batch;
        return load(at, paths).workload;
      };
    } else {
      LoadedWorkload loaded = load(args->workload, paths);
      setup.machine = std::move(loaded.machine);
      setup.workload = std::move(loaded.workload);
    }
    const std::size_t cells = setup.values.size() * setup.policies.size();
    ThreadPool pool(std::max<std::size_t>(
        1, std::min<std::size_t>(args->jobs == 0 ? ThreadPool::hardware_threads() : args->jobs,
                                 cells)));
    const bool show = !args->quiet && (args->progress || ::isatty(STDERR_FILENO));
    ProgressPrinter printer(!args->progress);
    const std::string axis_name(sim::to_string(axis));
    sim::SweepResult result =
        sim::run_sweep(setup, pool,
                       show ? std::function<void(const sim::SweepTick&)>(
                                  [&](const sim::SweepTick& t) { printer(t, axis_name); })
                            : std::function<void(const sim::SweepTick&)>());
    result.policies = policies.labels;
    std::cout << (args->json ? sim::sweep_to_json(result, args->min_fraction)
                             : sim::sweep_to_text(result, args->min_fraction));
    if (!args->plot.empty()) {
      write_output(args->plot, sweep_plot_svg(result));
      if (!args->json) std::cout << "plot written to " << args->plot << "\n";
    }
  });
}

}  // namespace strata::cli
