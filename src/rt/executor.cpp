#include "strata/rt/executor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "executor_core.hpp"
#include "strata/analysis/vitality.hpp"
#include "strata/core/error.hpp"
#include "strata/sim/simulator.hpp"

namespace strata::rt {

Executor::Executor(Workload w, Machine m, ByteStore* store, ExecutorOptions options)
    : w_(std::move(w)), m_(std::move(m)), store_(store), options_(std::move(options)) {
  validate(w_);
  if (options_.iterations == 0) throw InvalidInput("executor: iterations must be at least 1");
  if (options_.profile_first_iteration && options_.iterations < 2)
    throw InvalidInput(
        "executor: profiling needs at least 2 iterations (one profiled, then the planned ones)");
  if (options_.gpu >= m_.gpus.size())
    throw InvalidInput(fmt::format("executor: machine {} has no GPU {} (it has {})", m_.name,
                                   options_.gpu, m_.gpus.size()));
  const std::string shortfall = sim::working_set_shortfall(w_, m_, options_.gpu);
  if (!shortfall.empty())
    throw OutOfMemory(fmt::format(
        "executor: {}; give the fast tier more capacity (--fast-capacity) or scale the workload "
        "down (--scale)",
        shortfall));
}

Executor::~Executor() = default;

ExecutionResult Executor::run(const Policy& policy, const KernelCallbacks& callbacks) {
  return run_impl(nullptr, policy, callbacks);
}

ExecutionResult Executor::run(const Plan& plan, const Policy& policy,
                              const KernelCallbacks& callbacks) {
  if (options_.profile_first_iteration)
    throw InvalidInput("executor: a given plan cannot be combined with profiling; run(policy)");
  validate(plan, w_, m_);
  return run_impl(&plan, policy, callbacks);
}

void Executor::read_tensor(TensorId t, std::span<std::byte> out) const {
  if (!core_) throw InvalidInput("read_tensor: nothing has run yet, so no tensor holds bytes");
  core_->read_tensor(t, out);
}

ExecutionResult Executor::run_impl(const Plan* given, const Policy& policy,
                                   const KernelCallbacks& callbacks) {
  if (ran_) throw InvalidInput("executor: run() was called before; make a new Executor");
  ran_ = true;
  if (!callbacks.run) throw InvalidInput("executor: KernelCallbacks::run is not set");
  const bool profile = options_.profile_first_iteration;

  ExecutionResult result;
  if (given != nullptr) {
    result.plan = *given;
  } else if (!profile) {
    result.plan = policy.plan(w_, analyze_vitality(w_), m_);
    validate(result.plan, w_, m_);
  }
  const Plan profiling_plan = make_empty_plan(w_, "profiling iteration", policy.name());
  core_ = std::make_unique<detail::ExecutionCore>(w_, m_, store_, options_, cancel_requested_);
  core_->place_initial(profile ? profiling_plan : result.plan, callbacks);

  std::int64_t ideal = ideal_ns(w_);
  for (std::uint32_t i = 0; i < options_.iterations; ++i) {
    if (profile && i == 1) {
      // Sentinel: plan the rest from what the first iteration measured.
      Workload measured = w_;
      const std::vector<std::int64_t>& times = core_->kernel_ns();
      for (KernelId k = 0; k < measured.kernels.size(); ++k)
        measured.kernels[k].duration_ns = times[k];
      result.plan = policy.plan(measured, analyze_vitality(measured), m_);
      validate(result.plan, measured, m_);
      ideal = ideal_ns(measured);
      result.profiled = std::move(measured);
    }
    const Plan& plan = profile && i == 0 ? profiling_plan : result.plan;
    core_->run_iteration(i, plan, w_, policy, callbacks, i + 1 == options_.iterations);
    if (options_.on_iteration) options_.on_iteration(i, core_->report().iteration_times_ns.back());
  }

  sim::Report& r = core_->report();
  r.policy = policy.name();
  r.workload = w_.name;
  r.machine = m_.name;
  r.feasible = true;
  r.iterations = options_.iterations;
  r.iteration_ns = r.iteration_times_ns.back();
  r.ideal_ns = ideal;
  r.fraction_of_ideal =
      r.iteration_ns > 0 ? static_cast<double>(ideal) / static_cast<double>(r.iteration_ns) : 1.0;
  r.gpus = {{m_.gpus[options_.gpu].name, r.iteration_ns, r.iteration_times_ns, r.stall,
             r.recompute_ns, r.direct_access_ns}};
  for (TierId i = 0; i < m_.tiers.size(); ++i) {
    std::uint64_t peak = 0;
    for (TierId local = 0; local < detail::kTiers; ++local)
      if (core_->machine_tier(local) == i) peak += core_->peak_bytes(local);
    r.tiers.push_back({m_.tiers[i].name, m_.tiers[i].kind, m_.tiers[i].capacity_bytes, peak});
  }
  if (options_.record_timeline) {
    r.timeline.tracks.push_back(m_.gpus[options_.gpu].name + " compute");
    for (const strata::Link& l : m_.links) {
      r.timeline.tracks.push_back(l.name + " -> " + m_.tiers[l.to].name);
      r.timeline.tracks.push_back(l.name + " -> " + m_.tiers[l.from].name);
    }
  }
  result.report = r;
  result.kernel_ns = core_->kernel_ns();
  result.kernel_overrun_ns = core_->kernel_overrun_ns();
  result.mover_bytes = core_->mover_bytes();
  return result;
}

std::uint64_t unlimited_fast_capacity_bytes(const Workload& w) {
  return analyze_vitality(w).peak_live_bytes;
}

}  // namespace strata::rt
