// strata run: replay a workload on this machine's real memory under a policy's plan, every byte
// read, checked and written, and report what was measured in the shape `strata sim` prints.
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "commands.hpp"
#include "common.hpp"
#include "strata/analysis/vitality.hpp"
#include "strata/core/error.hpp"
#include "strata/core/quantity.hpp"
#include "strata/core/units.hpp"
#include "strata/machine/variants.hpp"
#include "strata/plan/policy.hpp"
#include "strata/rt/executor.hpp"
#include "strata/rt/file_byte_store.hpp"
#include "strata/rt/memory_byte_store.hpp"
#include "strata/rt/replay.hpp"
#include "strata/sim/simulator.hpp"
#include "strata/workload/scale.hpp"

namespace strata::cli {
namespace {

// SIGINT/SIGTERM during a run: a flag the watcher thread turns into Executor::cancel(), so the
// run stops cleanly and the store's files are removed.
volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void on_interrupt(int /*signal*/) { g_interrupted = 1; }

/// Catches SIGINT and SIGTERM into g_interrupted while it lives (from the start of the command,
/// so that an early signal is not lost).
class InterruptFlag {
 public:
  InterruptFlag() {
    g_interrupted = 0;
    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);
  }
  ~InterruptFlag() {
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
  }
  InterruptFlag(const InterruptFlag&) = delete;
  InterruptFlag& operator=(const InterruptFlag&) = delete;
};

/// Cancels `executor` once g_interrupted is set (also if it already was), until destroyed.
class InterruptWatcher {
 public:
  explicit InterruptWatcher(rt::Executor& executor) {
    thread_ = std::jthread([&executor](std::stop_token stop) {
      while (!stop.stop_requested()) {
        if (g_interrupted != 0) {
          executor.cancel();
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
  }
  ~InterruptWatcher() {
    thread_.request_stop();
    thread_.join();
  }
  InterruptWatcher(const InterruptWatcher&) = delete;
  InterruptWatcher& operator=(const InterruptWatcher&) = delete;

 private:
  std::jthread thread_;
};

struct Args {
  WorkloadArgs workload;
  std::string policy = "strata";
  std::string fast_capacity;
  std::string host_capacity;
  std::string store_capacity;
  std::uint64_t scale = 1;
  std::uint64_t time_scale = 0;
  bool predict = false;
  std::uint32_t iterations = 3;
  std::string store_dir;
  bool profile = false;
  bool json = false;
  std::string timeline;
};

void run(const Args& args, const Paths& paths) {
  const InterruptFlag interrupt;
  LoadedWorkload loaded = load(args.workload, paths);
  const Workload w = scale_workload(loaded.workload, args.scale, args.time_scale);
  const std::string spec = resolve_policy_spec(args.policy, paths);
  const std::unique_ptr<Policy> policy = make_policy(spec);

  Machine m = loaded.machine;
  std::uint64_t fast = 0;
  if (policy->unlimited_device_memory()) {
    fast = rt::unlimited_fast_capacity_bytes(w);  // nothing has to leave: the reference run
    if (!args.fast_capacity.empty())
      std::cerr << fmt::format(
          "strata run: policy '{}' is the unlimited-memory reference: the fast tier is the "
          "workload's peak live bytes ({}), not --fast-capacity\n",
          args.policy, format_bytes(fast));
  } else {
    if (args.fast_capacity.empty())
      throw InvalidInput(fmt::format(
          "strata run: give --fast-capacity (the fast tier's budget, e.g. 2GiB); policy '{}' "
          "needs a bound (only an unlimited policy such as 'ideal' sizes it itself)",
          args.policy));
    fast = parse_bytes(args.fast_capacity, "--fast-capacity");
  }
  m = with_gpu_memory(m, fast);
  if (!args.host_capacity.empty())
    m = with_host_memory(m, parse_bytes(args.host_capacity, "--host-capacity"));

  // The SSD tier: a FileByteStore in --store-dir (default: the system's temporary directory),
  // or an in-memory one with --store-dir memory. Only live tensors are ever stored, so it never
  // needs more than the peak live bytes (plus a 4 KiB granule per tensor).
  std::unique_ptr<rt::ByteStore> store;
  if (!m.ssd_tiers().empty()) {
    std::uint64_t capacity =
        rt::unlimited_fast_capacity_bytes(w) + 4096 * std::uint64_t{w.tensors.size()};
    capacity = std::min(std::max<std::uint64_t>(capacity, 4096),
                        m.tiers[m.ssd_tiers().front()].capacity_bytes);
    if (!args.store_capacity.empty())
      capacity = parse_bytes(args.store_capacity, "--store-capacity");
    if (args.store_dir == "memory") {
      rt::MemoryByteStoreOptions o;
      o.capacity_bytes = capacity;
      store = std::make_unique<rt::MemoryByteStore>(o);
    } else {
      rt::FileByteStoreOptions o;
      o.directories = {args.store_dir.empty() ? std::filesystem::temp_directory_path()
                                              : std::filesystem::path(args.store_dir)};
      o.capacity_bytes = capacity;
      o.file_prefix = "strata-run";
      store = std::make_unique<rt::FileByteStore>(o);
    }
  }

  rt::ExecutorOptions options;
  options.iterations = args.iterations;
  options.profile_first_iteration = args.profile;
  options.record_timeline = !args.timeline.empty();
  options.on_iteration = [&args](std::uint32_t i, std::int64_t ns) {
    std::cerr << fmt::format("strata run: iteration {}/{}{}: {}\n", i + 1, args.iterations,
                             args.profile && i == 0 ? " (profiling)" : "", format_ns(ns));
  };
  rt::Executor executor(w, m, store.get(), options);
  rt::ReplayKernels replay(w);
  rt::ExecutionResult result;
  {
    InterruptWatcher watcher(executor);
    result = executor.run(*policy, replay.callbacks());
  }
  std::optional<sim::Report> predicted;
  if (args.predict) {
    // The simulator on the same machine, workload (as planned) and plan.
    const Workload& planned = result.profiled ? *result.profiled : w;
    sim::SimOptions so;
    so.iterations = args.iterations;
    predicted = sim::simulate(planned, analyze_vitality(planned), m, result.plan, *policy, so);
  }
  if (args.json && predicted) {
    std::cout << "{\"measured\": " << sim::report_to_json(result.report)
              << ", \"predicted\": " << sim::report_to_json(*predicted) << "}\n";
  } else {
    std::cout << (args.json ? sim::report_to_json(result.report)
                            : sim::report_to_text(result.report));
  }
  if (!args.json)
    std::cout << fmt::format(
        "measured    kernels over their time {}; {} checked, {} written; fast tier {}{}\n",
        format_ns(result.kernel_overrun_ns), format_bytes(replay.bytes_checked()),
        format_bytes(replay.bytes_written()), format_bytes(fast),
        args.scale > 1 ? fmt::format(", workload scaled /{}", args.scale) : std::string());
  if (!args.json && predicted)
    std::cout << fmt::format(
        "predicted   {} by the simulator (same machine, workload and plan): measured / "
        "predicted = {:.3f}\n",
        predicted->feasible ? format_ns(predicted->iteration_ns) : "infeasible",
        predicted->feasible ? static_cast<double>(result.report.iteration_ns) /
                                  static_cast<double>(predicted->iteration_ns)
                            : 0.0);
  if (!args.timeline.empty()) {
    write_output(args.timeline,
                 sim::timeline_to_chrome_json(
                     result.report.timeline,
                     result.report.policy + " on " + result.report.workload + " (measured)"));
    if (!args.json) std::cout << "timeline written to " << args.timeline << "\n";
  }
}

}  // namespace

void add_run(CLI::App& app, const Paths& paths) {
  auto args = std::make_shared<Args>();
  args->workload.machine = "cpu-local";
  CLI::App* cmd = app.add_subcommand(
      "run",
      "Replay a workload on this machine's memory under a policy's plan: every kernel reads and "
      "checks every input byte, writes every output byte, then waits out its time; prints the "
      "measured report in the shape of `strata sim`");
  add_workload_args(*cmd, args->workload, "model:resnet50");
  std::string policies;
  for (const auto& [name, what] : known_policies()) policies += "\n  " + name + ": " + what;
  cmd->add_option("--policy", args->policy, "who decides where tensors live:" + policies)
      ->capture_default_str();
  cmd->add_option("--fast-capacity", args->fast_capacity,
                  "the fast tier's budget (the arena playing GPU memory), e.g. 2GiB; required "
                  "unless the policy is unlimited (ideal)");
  cmd->add_option("--host-capacity", args->host_capacity,
                  "the host tier's capacity (default: the machine's)");
  cmd->add_option("--scale", args->scale,
                  "divide every size and time by N, keeping the balance of bandwidth to compute")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 20));
  cmd->add_option("--time-scale", args->time_scale,
                  "divide kernel times by M instead of N (kernels that cannot touch their bytes "
                  "in their scaled time on this CPU need a smaller M)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 20));
  cmd->add_flag("--predict", args->predict,
                "also simulate the same plan on the same machine and workload, and print the "
                "prediction beside the measurement");
  cmd->add_option("--iterations", args->iterations,
                  "iterations to run; the last (steady state) is reported")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1000u));
  cmd->add_option("--store-dir", args->store_dir,
                  "directory for the SSD tier's files (O_DIRECT; removed at exit; default: the "
                  "temporary directory), or 'memory' for an in-memory store");
  cmd->add_option("--store-capacity", args->store_capacity,
                  "the SSD store's size (default: the peak live bytes, at most the tier's)");
  cmd->add_flag("--profile", args->profile,
                "measure the first iteration's kernel times (demand fetching), then plan the "
                "rest from them");
  cmd->add_flag("--json", args->json, "print the report as one JSON object");
  cmd->add_option("--timeline", args->timeline,
                  "write the measured steady-state iteration as Chrome trace JSON");
  cmd->footer(
      "The machine (--machine, default cpu-local; a preset or .toml file, e.g. one written by "
      "`strata bench`) gives the tiers' bandwidths for planning; --fast-capacity and "
      "--host-capacity replace its device and host capacities.\n"
      "Examples:\n"
      "  strata run g10:BERT-256 --scale 16 --policy strata --fast-capacity 600MiB\n"
      "  strata run g10:BERT-256 --scale 16 --policy ideal\n"
      "  strata run model:gpt2 --batch 2 --policy uvm --fast-capacity 512MiB --profile");
  cmd->callback([args, &paths] { run(*args, paths); });
}

}  // namespace strata::cli
