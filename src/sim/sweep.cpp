#include "strata/sim/sweep.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <limits>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "strata/analysis/vitality.hpp"
#include "strata/core/error.hpp"
#include "strata/machine/variants.hpp"
#include "strata/sim/compare.hpp"

namespace strata::sim {
namespace {

constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();

/// The machine of one value of the axis.
Machine machine_for(const SweepSetup& s, const SweepValue& v) {
  switch (s.axis) {
    case SweepAxis::gpu_memory:
      return with_gpu_memory(s.machine, static_cast<std::uint64_t>(v.value));
    case SweepAxis::host_memory:
      return with_host_memory(s.machine, static_cast<std::uint64_t>(v.value));
    case SweepAxis::ssd_bandwidth: return with_ssd_bandwidth(s.machine, v.value);
    case SweepAxis::batch:
    case SweepAxis::gpus: return s.machine;
  }
  throw InternalError("unknown sweep axis");
}

/// The workload and its analysis for one value, built by the first task that needs it and
/// dropped when the last task of the value is done.
struct ValueInputs {
  std::mutex mutex;
  std::shared_ptr<const Workload> workload;
  std::shared_ptr<const Vitality> vitality;
  std::string error;  ///< why building failed, if it did
  std::size_t remaining = 0;
};

/// Counts and sizes are whole numbers: JSON integers; rates stay numbers.
nlohmann::json value_json(SweepAxis axis, double value) {
  if (axis == SweepAxis::ssd_bandwidth) return value;
  return static_cast<std::uint64_t>(value);
}

bool increasing(const std::vector<SweepValue>& values) {
  for (std::size_t i = 1; i < values.size(); ++i)
    if (!(values[i].value > values[i - 1].value)) return false;
  return true;
}

void check_setup(const SweepSetup& s) {
  if (s.values.empty()) throw InvalidInput("sweep: no values to sweep over (--values)");
  if (s.policies.empty()) throw InvalidInput("sweep: no policies to run (--policies)");
  if (s.axis == SweepAxis::batch) {
    if (!s.workload_at_batch)
      throw InvalidInput(
          "sweep over batch: the workload's batch size is fixed; sweep batch on a zoo model "
          "(model:<name>, see `strata models`)");
    for (const SweepValue& v : s.values)
      if (v.value > std::numeric_limits<std::uint32_t>::max())
        throw InvalidInput("sweep over batch: batch " + v.label + " is too large");
  }
  if (s.axis != SweepAxis::gpus &&
      s.options.gpu + s.options.gpu_count > static_cast<std::uint64_t>(s.machine.gpus.size()))
    throw InvalidInput(fmt::format(
        "sweep: {} GPUs from GPU {} do not exist on machine '{}', which has {}; use --gpus up to "
        "{} or a machine with more (`strata machine list`)",
        s.options.gpu_count, s.options.gpu, s.machine.name, s.machine.gpus.size(),
        s.machine.gpus.size() - std::min<std::size_t>(s.options.gpu, s.machine.gpus.size())));
  if (s.axis == SweepAxis::gpus) {
    for (const SweepValue& v : s.values)
      if (v.value + s.options.gpu > static_cast<double>(s.machine.gpus.size()))
        throw InvalidInput(fmt::format(
            "sweep over gpus: {} GPUs from GPU {} do not exist on machine '{}', which has {}; "
            "use values up to {}",
            v.label, s.options.gpu, s.machine.name, s.machine.gpus.size(),
            s.machine.gpus.size() - std::min<std::size_t>(s.options.gpu, s.machine.gpus.size())));
  }
}

}  // namespace

SweepResult run_sweep(const SweepSetup& setup, ThreadPool& pool,
                      const std::function<void(const SweepTick&)>& progress) {
  check_setup(setup);
  const std::size_t n_values = setup.values.size(), n_policies = setup.policies.size();

  SweepResult result;
  result.axis = setup.axis;
  result.workload = setup.workload_name.empty() ? setup.workload.name : setup.workload_name;
  result.machine = setup.machine.name;
  result.gpu_count = setup.axis == SweepAxis::gpus ? 0 : setup.options.gpu_count;
  result.values = setup.values;
  result.policies = setup.policies;
  result.early_stop =
      setup.early_stop && setup.axis == SweepAxis::batch && increasing(setup.values);
  result.cells.assign(n_values, std::vector<SweepCell>(n_policies));

  // Everything that can be checked before running: machine variants, the shared workload.
  std::vector<Machine> machines;
  machines.reserve(n_values);
  for (const SweepValue& v : setup.values) machines.push_back(machine_for(setup, v));
  std::shared_ptr<const Workload> shared_workload;
  std::shared_ptr<const Vitality> shared_vitality;
  if (setup.axis != SweepAxis::batch) {
    shared_workload = std::make_shared<const Workload>(setup.workload);
    shared_vitality = std::make_shared<const Vitality>(analyze_vitality(*shared_workload));
  }
  std::vector<ValueInputs> inputs(n_values);
  for (ValueInputs& in : inputs) in.remaining = n_policies;

  std::vector<std::atomic<std::size_t>> first_infeasible(n_policies);
  for (auto& f : first_infeasible) f.store(kNone);
  std::mutex progress_mutex;
  std::size_t done = 0;

  auto run_cell = [&](std::size_t i, std::size_t p) {
    const SweepValue& value = setup.values[i];
    const std::string& spec = setup.policies[p];
    SweepCell cell;
    if (result.early_stop && first_infeasible[p].load() < i) {
      cell.skipped = true;
    } else {
      std::shared_ptr<const Workload> w = shared_workload;
      std::shared_ptr<const Vitality> v = shared_vitality;
      std::string error;
      if (!w) {
        std::lock_guard lock(inputs[i].mutex);
        if (!inputs[i].workload && inputs[i].error.empty()) {
          try {
            auto built = std::make_shared<const Workload>(
                setup.workload_at_batch(static_cast<std::uint32_t>(value.value)));
            inputs[i].vitality = std::make_shared<const Vitality>(analyze_vitality(*built));
            inputs[i].workload = std::move(built);
          } catch (const std::exception& e) {
            inputs[i].error = std::string("error: ") + e.what();
          }
        }
        w = inputs[i].workload;
        v = inputs[i].vitality;
        error = inputs[i].error;
      }
      if (w) {
        SimOptions options = setup.options;
        if (setup.axis == SweepAxis::gpus)
          options.gpu_count = static_cast<std::uint32_t>(value.value);
        cell.report = run_policy_spec(*w, *v, machines[i], spec, options);
      } else {
        cell.report.feasible = false;
        cell.report.infeasible_reason = error;
      }
      if (!cell.report.feasible && result.early_stop) {
        std::size_t seen = first_infeasible[p].load();
        while (i < seen && !first_infeasible[p].compare_exchange_weak(seen, i)) {
        }
      }
    }
    {
      std::lock_guard lock(inputs[i].mutex);
      if (--inputs[i].remaining == 0) {
        inputs[i].workload.reset();
        inputs[i].vitality.reset();
      }
    }
    result.cells[i][p] = std::move(cell);
    if (progress) {
      std::lock_guard lock(progress_mutex);
      ++done;
      progress(SweepTick{done, n_values * n_policies, &value, &spec, &result.cells[i][p]});
    }
  };

  std::vector<std::future<void>> futures;
  futures.reserve(n_values * n_policies);
  for (std::size_t i = 0; i < n_values; ++i)
    for (std::size_t p = 0; p < n_policies; ++p)
      futures.push_back(pool.submit([&run_cell, i, p] { run_cell(i, p); }));
  for (auto& f : futures) f.wait();
  for (auto& f : futures) f.get();

  // Make the outcome independent of timing (Note [sweep early stop]).
  for (std::size_t p = 0; p < n_policies && result.early_stop; ++p) {
    std::size_t first = kNone;
    for (std::size_t i = 0; i < n_values && first == kNone; ++i)
      if (!result.cells[i][p].skipped && !result.cells[i][p].report.feasible) first = i;
    for (std::size_t i = first == kNone ? n_values : first + 1; i < n_values; ++i)
      result.cells[i][p].skipped = true;
  }
  for (std::size_t i = 0; i < n_values; ++i) {
    for (std::size_t p = 0; p < n_policies; ++p) {
      SweepCell& cell = result.cells[i][p];
      cell.report.policy = setup.policies[p];
      if (!cell.skipped) continue;
      cell.report = Report{};
      cell.report.policy = setup.policies[p];
      cell.report.feasible = false;
      cell.report.infeasible_reason =
          "skipped: infeasible at a smaller batch (early stop; --no-early-stop runs it)";
    }
  }
  return result;
}

std::vector<std::optional<std::size_t>> largest_value_at_least(const SweepResult& r,
                                                               double fraction) {
  std::vector<std::optional<std::size_t>> out(r.policies.size());
  for (std::size_t p = 0; p < r.policies.size(); ++p)
    for (std::size_t i = 0; i < r.values.size(); ++i) {
      const Report& rep = r.cells[i][p].report;
      if (rep.feasible && rep.fraction_of_ideal >= fraction &&
          (!out[p] || r.values[i].value > r.values[*out[p]].value))
        out[p] = i;
    }
  return out;
}

std::string sweep_to_text(const SweepResult& r, std::optional<double> min_fraction) {
  const std::string axis(to_string(r.axis));
  std::vector<std::size_t> width(r.policies.size() + 1, axis.size());
  for (const SweepValue& v : r.values) width[0] = std::max(width[0], v.label.size());
  for (std::size_t p = 0; p < r.policies.size(); ++p)
    width[p + 1] = std::max<std::size_t>(r.policies[p].size(), 6);
  std::string out = fmt::format(
      "workload  {}\nmachine   {}{}\nfraction of ideal by {} (- infeasible{})\n\n", r.workload,
      r.machine, r.gpu_count > 1 ? fmt::format(" ({} GPUs, data parallel)", r.gpu_count) : "", axis,
      r.early_stop ? ", skip: not run, infeasible at a smaller batch" : "");
  out += fmt::format("{:<{}}", axis, width[0]);
  for (std::size_t p = 0; p < r.policies.size(); ++p)
    out += fmt::format("  {:>{}}", r.policies[p], width[p + 1]);
  out += "\n";
  for (std::size_t i = 0; i < r.values.size(); ++i) {
    out += fmt::format("{:<{}}", r.values[i].label, width[0]);
    for (std::size_t p = 0; p < r.policies.size(); ++p) {
      const SweepCell& c = r.cells[i][p];
      const std::string cell = c.skipped ? "skip"
                               : c.report.feasible
                                   ? fmt::format("{:.4f}", c.report.fraction_of_ideal)
                                   : "-";
      out += fmt::format("  {:>{}}", cell, width[p + 1]);
    }
    out += "\n";
  }
  bool header = false;
  for (std::size_t p = 0; p < r.policies.size(); ++p)
    for (std::size_t i = 0; i < r.values.size(); ++i) {
      const SweepCell& c = r.cells[i][p];
      if (c.skipped || c.report.feasible) continue;
      if (!header) out += "\ninfeasible:\n";
      header = true;
      out += fmt::format("  {} at {}={}: {}\n", r.policies[p], axis, r.values[i].label,
                         c.report.infeasible_reason);
    }
  if (min_fraction) {
    out += fmt::format("\nlargest {} at >= {:g} of ideal:\n", axis, *min_fraction);
    const auto best = largest_value_at_least(r, *min_fraction);
    for (std::size_t p = 0; p < r.policies.size(); ++p)
      out += fmt::format("  {:<{}}  {}\n", r.policies[p], width[0] + 8,
                         best[p] ? r.values[*best[p]].label : std::string("none of the values"));
  }
  return out;
}

std::string sweep_to_json(const SweepResult& r, std::optional<double> min_fraction) {
  using nlohmann::json;
  json values = json::array(), results = json::array();
  for (const SweepValue& v : r.values)
    values.push_back({{"value", value_json(r.axis, v.value)}, {"label", v.label}});
  for (std::size_t i = 0; i < r.values.size(); ++i)
    for (std::size_t p = 0; p < r.policies.size(); ++p) {
      const SweepCell& c = r.cells[i][p];
      const Report& rep = c.report;
      results.push_back(
          {{"value", value_json(r.axis, r.values[i].value)},
           {"label", r.values[i].label},
           {"policy", r.policies[p]},
           {"feasible", rep.feasible},
           {"skipped", c.skipped},
           {"iteration_ns", rep.feasible ? json(rep.iteration_ns) : json(nullptr)},
           {"fraction_of_ideal", rep.feasible ? json(rep.fraction_of_ideal) : json(nullptr)},
           {"ideal_ns", c.skipped ? json(nullptr) : json(rep.ideal_ns)},
           {"reason", rep.feasible ? json(nullptr) : json(rep.infeasible_reason)}});
    }
  json doc = {{"axis", std::string(to_string(r.axis))},
              {"workload", r.workload},
              {"machine", r.machine},
              {"gpus", r.gpu_count == 0 ? json(nullptr) : json(r.gpu_count)},
              {"early_stop", r.early_stop},
              {"values", std::move(values)},
              {"policies", r.policies},
              {"results", std::move(results)}};
  if (min_fraction) {
    json largest = json::object();
    const auto best = largest_value_at_least(r, *min_fraction);
    for (std::size_t p = 0; p < r.policies.size(); ++p)
      largest[r.policies[p]] = best[p]
                                   ? json{{"value", value_json(r.axis, r.values[*best[p]].value)},
                                          {"label", r.values[*best[p]].label}}
                                   : json(nullptr);
    doc["min_fraction"] = {{"fraction", *min_fraction}, {"largest", std::move(largest)}};
  }
  return doc.dump(2) + "\n";
}

}  // namespace strata::sim
