#include "common.hpp"

#include <cstdlib>
#include <iostream>

#include "strata/core/error.hpp"
#include "strata/io/text_file.hpp"
#include "strata/plan/policy.hpp"

namespace strata::cli {
namespace {

std::filesystem::path executable_dir(const char* argv0) {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) self = std::filesystem::absolute(argv0, ec);
  return self.parent_path();
}

void add_if_dir(std::vector<std::filesystem::path>& dirs, const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return;
  const auto canonical = std::filesystem::weakly_canonical(dir, ec);
  for (const auto& d : dirs)
    if (d == canonical) return;
  dirs.push_back(canonical);
}

}  // namespace

Paths discover_paths(const char* argv0) {
  Paths p;
  const auto exe = executable_dir(argv0);
  // build/bin/strata -> the repository is two levels up; the source dir is compiled in.
  const std::vector<std::filesystem::path> repos = {exe / ".." / "..", STRATA_SOURCE_DIR};
  if (const char* dir = std::getenv("STRATA_MACHINES_DIR")) add_if_dir(p.machine_dirs, dir);
  for (const auto& repo : repos) add_if_dir(p.machine_dirs, repo / "configs" / "machines");
  if (const char* dir = std::getenv("STRATA_G10_DIR")) add_if_dir(p.g10_dirs, dir);
  for (const auto& repo : repos) add_if_dir(p.g10_dirs, repo / ".." / "shared" / "g10");
  add_if_dir(p.g10_dirs, std::filesystem::current_path() / ".." / "shared" / "g10");
  return p;
}

void add_workload_args(CLI::App& cmd, WorkloadArgs& args, std::string default_spec) {
  args.spec = std::move(default_spec);
  cmd.add_option("workload", args.spec,
                 "g10:<folder> (a G10 trace), model:<name> (the zoo), or a strata workload .json")
      ->capture_default_str();
  cmd.add_option("--batch", args.batch, "zoo models: batch size (default 8)")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--seq", args.seq, "zoo transformers: sequence length (default: the model's)")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--dtype", args.dtype,
                 "zoo models: fp32, fp16 or bf16 (16-bit = mixed precision)");
  cmd.add_option("--optimizer", args.optimizer, "zoo models: sgd or adam (default adam)");
  cmd.add_option("--machine", args.machine,
                 "machine preset or .toml file; its GPU times zoo kernels")
      ->capture_default_str();
}

LoadedWorkload load(const WorkloadArgs& args, const Paths& paths) {
  Machine machine = load_machine(args.machine, paths.machine_dirs);
  WorkloadSourceOptions options;
  options.batch = args.batch;
  options.seq = args.seq;
  if (!args.dtype.empty()) options.dtype = parse_dtype(args.dtype);
  if (!args.optimizer.empty()) options.optimizer = parse_optimizer(args.optimizer);
  if (machine.gpus.empty())
    throw InvalidInput("machine '" + machine.name + "' has no GPU to time kernels on");
  options.device = machine.gpus.front().compute;
  options.g10_dirs = paths.g10_dirs;
  Workload workload = load_workload(args.spec, options);
  return {std::move(machine), std::move(workload)};
}

std::string resolve_policy_spec(const std::string& spec, const Paths& paths) {
  constexpr std::string_view g10 = "g10-plan:";
  if (spec.rfind(g10, 0) != 0) return spec;
  const std::filesystem::path rest = spec.substr(g10.size());
  if (rest.empty() || std::filesystem::exists(rest)) return spec;
  for (const auto& dir : paths.g10_dirs)
    if (std::filesystem::exists(dir / rest)) return std::string(g10) + (dir / rest).string();
  return spec;
}

PolicyList parse_policy_list(const std::optional<std::string>& text, const Paths& paths) {
  PolicyList out;
  if (!text) {
    out.labels = comparable_policies();
  } else {
    std::string_view rest = *text;
    for (;;) {
      const std::size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      if (item.empty())
        throw InvalidInput("--policies '" + *text +
                           "': an empty policy name; give names separated by commas, e.g. "
                           "--policies ideal,uvm (see `strata sim --help` for the list)");
      for (const std::string& seen : out.labels)
        if (seen == item)
          throw InvalidInput("--policies: '" + seen + "' is listed twice; list each policy once");
      out.labels.emplace_back(item);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  for (const std::string& label : out.labels) {
    out.specs.push_back(resolve_policy_spec(label, paths));
    (void)make_policy(out.specs.back());  // an unknown name fails here, before anything runs
  }
  return out;
}

void add_policies_option(CLI::App& cmd, std::optional<std::string>& policies) {
  std::string names;
  for (const std::string& p : comparable_policies()) names += (names.empty() ? "" : ", ") + p;
  cmd.add_option("--policies", policies,
                 "comma-separated policy specs, in the order to report them (default: every "
                 "comparable policy: " +
                     names + "; g10-plan:<folder> also works)");
}

void write_output(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::cout << text;
    return;
  }
  write_text_file(path, text);
}

void add_sim_model_options(CLI::App& cmd, SimModelArgs& args) {
  cmd.add_option("--fault-cost", args.fault_cost,
                 "what a fault costs: batches (batches x the machine's batch latency, then the "
                 "transfer), measured (kernels with measured page-fault times, i.e. G10 traces, "
                 "pay G10's per-kernel model) or g10 (that model as G10's simulator executes it: "
                 "times truncated to whole seconds, so the faulted bytes at the link rates; what "
                 "docs/fidelity.md compares with G10's numbers; docs/fault_model.md)")
      ->capture_default_str()
      ->check(CLI::IsMember({"batches", "measured", "g10"}));
  cmd.add_option("--kernel-timing", args.kernel_timing,
                 "when a kernel whose data arrives late runs: policy (g10 for the policies on "
                 "Unified Memory: uvm, deepum, g10, g10-plan; strata for the others), strata (it "
                 "starts once its data is in place) or g10 (its compute overlaps the arrival: it "
                 "ends at max(first try + fault handling + duration, arrival), as G10's "
                 "simulator times it); docs/fidelity.md")
      ->capture_default_str()
      ->check(CLI::IsMember({"policy", "strata", "g10"}));
}

void apply_sim_model_options(const SimModelArgs& args, sim::SimOptions& options) {
  options.fault_cost = sim::fault_cost_from_name(args.fault_cost);
  options.kernel_timing = sim::kernel_timing_from_name(args.kernel_timing);
}

}  // namespace strata::cli
