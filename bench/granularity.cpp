// How much of the distance between strata's baselines and G10's published numbers is the
// simulator's granularity? strata moves, faults and evicts whole tensors; G10's simulator does
// so by 4 KiB pages. This splits every tensor of a shared G10 trace into pieces of at most P MiB
// (a kernel that uses the tensor uses every piece; an action of G10's own plan on the tensor
// applies to every piece), so that LRU eviction, demand fetches and first touches happen piece
// by piece, and simulates the reactive baselines and G10's replayed plan on machine g10-a100 at
// each piece size, next to G10's published fraction of ideal. Pieces of 8 MiB are 2,048 pages:
// close to page granularity for tensors of hundreds of MiB, which is where the bytes are.
//
// Prints a Markdown table: one row per (workload, policy), one column per piece size ("whole"
// = the unsplit trace), then G10's number. docs/fidelity.md quotes it.
//
// Usage: granularity [--g10 DIR] [--pieces-mib 0,64,8] [--workloads A,B,...]
//                    [--policies uvm,deepum,g10-plan] [--kernel-timing policy|strata|g10]
//                    [--fault-cost g10|batches|measured]
//   (0 = whole tensors; g10-plan replays ../shared/g10/<workload>/g10_plan.txt; uvm and deepum
//   run on the pieces, other policies plan the whole tensors and each action applies to every
//   piece; --kernel-timing and --fault-cost as on `strata sim`, default policy and g10, as in
//   bench/fidelity.sh)
#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "list_arg.hpp"
#include "strata/analysis/vitality.hpp"
#include "strata/core/error.hpp"
#include "strata/io/g10_trace.hpp"
#include "strata/machine/machine.hpp"
#include "strata/plan/policy.hpp"
#include "strata/sim/simulator.hpp"

namespace {

using namespace strata;
using bench::split_list;

/// `w` with every tensor cut into pieces of at most `piece_bytes`; `pieces[t]` lists the
/// pieces of tensor t of `w`, in order.
struct Pieces {
  Workload w;
  std::vector<std::vector<TensorId>> of;
};

Pieces cut(const Workload& w, std::uint64_t piece_bytes) {
  Pieces out;
  out.w.name = fmt::format("{} in {} MiB pieces", w.name, piece_bytes >> 20);
  out.w.parameters = w.parameters;
  out.of.resize(w.tensors.size());
  for (const Tensor& t : w.tensors) {
    std::uint64_t left = t.bytes;
    std::size_t index = 0;
    do {
      Tensor p = t;
      p.id = static_cast<TensorId>(out.w.tensors.size());
      p.bytes = std::min(left, piece_bytes);
      p.name = fmt::format("{}#{}", t.name, index++);
      left -= p.bytes;
      out.of[t.id].push_back(p.id);
      out.w.tensors.push_back(std::move(p));
    } while (left > 0);
  }
  const auto expand = [&](const std::vector<TensorId>& ids) {
    std::vector<TensorId> e;
    for (const TensorId t : ids) e.insert(e.end(), out.of[t].begin(), out.of[t].end());
    return e;
  };
  for (const Kernel& k : w.kernels) {
    Kernel n = k;
    n.inputs = expand(k.inputs);
    n.outputs = expand(k.outputs);
    n.state_updates = expand(k.state_updates);
    out.w.kernels.push_back(std::move(n));
  }
  validate(out.w);
  return out;
}

/// `p` (a plan for the unsplit workload) with every action and initial placement applied to
/// each piece of its tensor.
Plan cut(const Plan& p, const Pieces& pieces) {
  Plan out = p;
  out.initial.clear();
  for (const auto& [t, tier] : p.initial)
    for (const TensorId q : pieces.of[t]) out.initial[q] = tier;
  for (KernelActions& ka : out.kernels) {
    if (!ka.direct.empty())
      throw Unsupported("granularity: plans with direct accesses are not split");
    for (std::vector<Action>* list : {&ka.before, &ka.after}) {
      std::vector<Action> split;
      for (const Action& a : *list)
        for (const TensorId q : pieces.of[a.tensor]) {
          Action b = a;
          b.tensor = q;
          split.push_back(b);
        }
      *list = std::move(split);
    }
  }
  return out;
}

/// G10's published fraction of ideal for `workload` in `column` of ../shared/g10/README.md.
std::string published(const std::filesystem::path& g10, const std::string& workload,
                      const std::string& policy) {
  const std::map<std::string, int> column = {
      {"uvm", 3}, {"flashneuron", 4}, {"deepum", 5}, {"g10", 6}, {"g10-plan", 6}};
  const auto c = column.find(policy);
  if (c == column.end()) return "-";
  std::ifstream in(g10 / "README.md");
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::stringstream row(line);
    for (std::string cell; std::getline(row, cell, '|');) {
      cell.erase(0, cell.find_first_not_of(' '));
      cell.erase(cell.find_last_not_of(' ') + 1);
      cells.push_back(cell);
    }
    // "| workload | ideal (ms) | Base UVM | FlashNeuron | DeepUM+ | G10 |": cells[0] is empty
    const auto at = static_cast<std::size_t>(c->second);
    if (cells.size() > at && cells[1] == workload) return cells[at];
  }
  return "-";
}

}  // namespace

int main(int argc, char** argv) try {
  std::filesystem::path g10 = std::filesystem::path(STRATA_G10_DIR);
  std::vector<std::string> pieces_mib = {"0", "64", "8"};
  std::vector<std::string> workloads = {"BERT-256",    "BERT-512",         "VIT-512",
                                        "VIT-1024",    "Inceptionv3-1024", "ResNet152-768",
                                        "SENet154-512"};
  std::vector<std::string> policies = {"uvm", "deepum", "g10-plan"};
  sim::SimOptions options;
  options.fault_cost = sim::FaultCost::g10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--g10")
      g10 = value;
    else if (flag == "--pieces-mib")
      pieces_mib = split_list(value);
    else if (flag == "--workloads")
      workloads = split_list(value);
    else if (flag == "--policies")
      policies = split_list(value);
    else if (flag == "--kernel-timing")
      options.kernel_timing = sim::kernel_timing_from_name(value);
    else if (flag == "--fault-cost")
      options.fault_cost = sim::fault_cost_from_name(value);
    else
      throw InvalidInput("unknown flag " + flag + " (see the usage at the top of granularity.cpp)");
  }
  if (argc % 2 == 0) throw InvalidInput(fmt::format("flag {} has no value", argv[argc - 1]));
  for (const std::string& mib : pieces_mib)
    if (mib.empty() || mib.find_first_not_of("0123456789") != std::string::npos || mib.size() > 9)
      throw InvalidInput("--pieces-mib: '" + mib +
                         "' is not a whole number of MiB (0 = whole tensors), e.g. 0,64,8");
  const Machine m =
      load_machine("g10-a100", {std::filesystem::path(STRATA_SOURCE_DIR) / "configs" / "machines"});

  std::string header = "| workload | policy |";
  std::string rule = "|---|---|";
  for (const std::string& p : pieces_mib) {
    header += p == "0" ? " whole |" : fmt::format(" {} MiB |", p);
    rule += "---|";
  }
  std::printf("%s G10 |\n%s---|\n", header.c_str(), rule.c_str());
  for (const std::string& name : workloads) {
    const std::filesystem::path folder = g10 / name;
    if (!std::filesystem::exists(folder / "kernels.config")) {
      std::fprintf(stderr, "granularity: %s not found; skipping it\n", folder.c_str());
      continue;
    }
    const Workload base = load_g10_folder(folder);
    const Vitality base_v = analyze_vitality(base);
    std::map<std::string, std::string> rows;
    for (const std::string& mib : pieces_mib) {
      const std::uint64_t piece = std::stoull(mib) << 20;
      const Pieces pieces = piece > 0 ? cut(base, piece) : Pieces{base, {}};
      const Vitality v = piece > 0 ? analyze_vitality(pieces.w) : base_v;
      for (const std::string& policy : policies) {
        const std::string spec = policy == "g10-plan" ? "g10-plan:" + folder.string() : policy;
        const std::unique_ptr<Policy> p = make_policy(spec);
        sim::Report r;
        // Reactive policies run on the pieces; a plan-ahead one plans the whole tensors (its
        // decisions are per tensor) and each action applies to every piece.
        const bool reactive = policy == "uvm" || policy == "deepum";
        if (!reactive && piece > 0)
          r = sim::simulate(pieces.w, v, m, cut(p->plan(base, base_v, m), pieces), *p, options);
        else
          r = sim::run_policy(pieces.w, v, m, *p, options);
        rows[policy] +=
            r.feasible ? fmt::format(" {:.3f} |", r.fraction_of_ideal) : " infeasible |";
      }
      std::fprintf(stderr, "granularity: %s at %s MiB done\n", name.c_str(), mib.c_str());
    }
    for (const std::string& policy : policies)
      std::printf("| %s | %s |%s %s |\n", name.c_str(), policy.c_str(), rows[policy].c_str(),
                  published(g10, name, policy).c_str());
    std::fflush(stdout);
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "granularity: %s\n", e.what());
  return 100;
}
