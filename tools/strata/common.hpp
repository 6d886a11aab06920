#pragma once
// Shared pieces of the strata command line: where presets and traces are found, the workload
// options every command takes, and writing outputs. Flags and environment variables are read
// here and nowhere in the library.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "strata/io/workload_source.hpp"
#include "strata/machine/machine.hpp"
#include "strata/sim/simulator.hpp"
#include "strata/workload/workload.hpp"

namespace strata::cli {

/// Where things are: set once in main from argv[0] and the environment.
struct Paths {
  std::vector<std::filesystem::path> machine_dirs;  // $STRATA_MACHINES_DIR, <repo>/configs/machines
  std::vector<std::filesystem::path>
      g10_dirs;  // $STRATA_G10_DIR, <repo>/../shared/g10, ./../shared/g10
};
Paths discover_paths(const char* argv0);

/// The workload argument and the options that shape a zoo model.
struct WorkloadArgs {
  std::string spec;
  std::optional<std::uint32_t> batch;
  std::optional<std::uint32_t> seq;
  std::string dtype;
  std::string optimizer;
  std::string machine = "g10-a100";
  bool machine_given = false;
};
/// Adds `<workload>`, --batch, --seq, --dtype, --optimizer and --machine to a subcommand.
void add_workload_args(CLI::App& cmd, WorkloadArgs& args, std::string default_spec);

struct LoadedWorkload {
  Machine machine;
  Workload workload;
};
LoadedWorkload load(const WorkloadArgs& args, const Paths& paths);

/// A policy spec with a g10-plan:<name> that is not a path turned into the G10 folder of that
/// name (found where g10:<name> would be); other specs are returned as they are.
std::string resolve_policy_spec(const std::string& spec, const Paths& paths);

/// The policies a command runs: what the user typed (labels) and what make_policy gets (specs,
/// with g10-plan:<name> resolved by resolve_policy_spec).
struct PolicyList {
  std::vector<std::string> labels;
  std::vector<std::string> specs;
};
/// Parses a --policies value "a,b,c": every name trimmed, none empty or repeated, every one known
/// to make_policy (an unknown one throws InvalidInput naming it and listing the known ones).
/// nullopt (the flag was not given) means every comparable policy, in the registry's order.
PolicyList parse_policy_list(const std::optional<std::string>& text, const Paths& paths);

/// Adds --policies to a subcommand.
void add_policies_option(CLI::App& cmd, std::optional<std::string>& policies);

/// How the simulator costs faults and times kernels that wait (--fault-cost, --kernel-timing).
struct SimModelArgs {
  std::string fault_cost = "batches";
  std::string kernel_timing = "policy";
};
/// Adds --fault-cost and --kernel-timing to a subcommand.
void add_sim_model_options(CLI::App& cmd, SimModelArgs& args);
/// Sets options.fault_cost and options.kernel_timing from the parsed flags.
void apply_sim_model_options(const SimModelArgs& args, sim::SimOptions& options);

/// Writes text to a file ("-" is standard output); errors name the file.
void write_output(const std::string& path, const std::string& text);

}  // namespace strata::cli
