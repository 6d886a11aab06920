// The baselines against G10's published fractions of ideal (../shared/g10/README.md) on the
// g10-a100 preset. Prints the table in docs/policies.md.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>

#include "strata/analysis/vitality.hpp"
#include "strata/io/g10_trace.hpp"
#include "strata/plan/policy.hpp"
#include "strata/sim/simulator.hpp"
#include "support/g10_as_run.hpp"
#include "support/paths.hpp"

namespace strata {
namespace {

struct Published {
  double uvm, flashneuron, deepum, g10;
};

/// G10's reading of a run: it publishes the faster of the two iterations it simulates
/// (gatherKernelInfo.py: select_idx), so ideal / min(iteration 1, iteration 2).
double g10_reading(const sim::Report& r) {
  EXPECT_GE(r.iteration_times_ns.size(), 2u);
  if (r.iteration_times_ns.size() < 2) return 0;
  return static_cast<double>(r.ideal_ns) /
         static_cast<double>(std::min(r.iteration_times_ns[0], r.iteration_times_ns[1]));
}

// Under G10's fault model as G10's simulator executes it (SimOptions::fault_cost = g10; Note
// [G10's executed fault model]) and read as G10 reads its runs, the baselines within 0.10 of
// G10's published columns, and `g10` (its planner as G10 ran it) and G10's own plan replayed
// within 0.05 of G10's (docs/fidelity.md). Closer than that today, and held there so that a
// regression shows: uvm and g10-plan within 0.02, deepum within 0.03, g10 within 0.025.
TEST(PolicyFidelity, G10BaselinesAgainstPublishedFractions) {
  STRATA_REQUIRE_G10();
  const std::map<std::string, Published> published = {
      {"BERT-256", {0.371, 0.713, 0.795, 0.997}},
      {"BERT-512", {0.122, 0.223, 0.622, 0.670}},
      {"VIT-512", {0.334, 1.000, 0.833, 1.000}},
      {"VIT-1024", {0.218, 0.620, 0.565, 0.737}},
      {"Inceptionv3-1024", {0.311, 0.735, 0.921, 0.994}},
      {"ResNet152-768", {0.378, 0.880, 0.976, 0.998}},
      {"SENet154-512", {0.351, 0.906, 0.978, 1.000}}};
  const Machine m = load_machine("g10-a100", {test::source_dir() / "configs" / "machines"});
  sim::SimOptions o;
  o.fault_cost = sim::FaultCost::g10;
  std::printf("%-18s %14s %14s %14s %6s %14s\n", "workload", "uvm (G10)", "flashneuron", "deepum",
              "g10", "g10-plan (G10)");
  for (const auto& folder : test::g10_folders()) {
    const std::string name = folder.filename().string();
    const auto pub = published.find(name);
    if (pub == published.end()) continue;
    const Workload w = load_g10_folder(folder);
    const Vitality v = analyze_vitality(w);
    auto run = [&](const std::string& spec) {
      const sim::Report r = sim::run_policy(w, v, m, *make_policy(spec), o);
      EXPECT_TRUE(r.feasible) << spec << " on " << name << ": " << r.infeasible_reason;
      return g10_reading(r);
    };
    const double uvm = run("uvm"), fn = run("flashneuron"), dum = run("deepum"),
                 g10 = run(test::g10_spec_as_run(name)), plan = run("g10-plan:" + folder.string());
    std::printf("%-18s %6.3f (%.3f) %6.3f (%.3f) %6.3f (%.3f) %6.3f %6.3f (%.3f)\n", name.c_str(),
                uvm, pub->second.uvm, fn, pub->second.flashneuron, dum, pub->second.deepum, g10,
                plan, pub->second.g10);
    EXPECT_LE(std::abs(fn - pub->second.flashneuron), 0.10) << "flashneuron on " << name;
    EXPECT_LE(std::abs(dum - pub->second.deepum), 0.03) << "deepum on " << name;
    EXPECT_LE(std::abs(uvm - pub->second.uvm), 0.02) << "uvm on " << name;
    EXPECT_LE(std::abs(g10 - pub->second.g10), 0.025) << "g10 on " << name;
    EXPECT_LE(std::abs(plan - pub->second.g10), 0.02) << "g10-plan on " << name;
  }
}

// The same baselines and G10's planner under G10's per-kernel fault model as designed, with the
// measured times (SimOptions::fault_cost = measured; docs/fault_model.md, "Measured fault
// model"): the table in docs/fidelity.md, held to 0.005. Not what G10 published with: its code
// truncates the times (Note [G10's executed fault model]).
TEST(PolicyFidelity, MeasuredFaultCostOnG10Workloads) {
  STRATA_REQUIRE_G10();
  struct Row {
    double uvm, flashneuron, deepum, g10, g10_plan;
  };
  const std::map<std::string, Row> documented = {
      {"BERT-256", {0.128, 0.733, 0.794, 1.000, 0.997}},
      {"BERT-512", {0.078, 0.236, 0.612, 0.546, 0.547}},
      {"VIT-512", {0.104, 1.000, 0.790, 1.000, 1.000}},
      {"VIT-1024", {0.061, 0.619, 0.540, 0.436, 0.429}},
      {"Inceptionv3-1024", {0.249, 0.797, 0.918, 0.995, 0.974}},
      {"ResNet152-768", {0.289, 0.709, 0.977, 1.000, 0.997}},
      {"SENet154-512", {0.265, 0.898, 0.978, 1.000, 0.995}}};
  const Machine m = load_machine("g10-a100", {test::source_dir() / "configs" / "machines"});
  sim::SimOptions o;
  o.fault_cost = sim::FaultCost::measured;
  for (const auto& folder : test::g10_folders()) {
    const std::string name = folder.filename().string();
    const auto doc = documented.find(name);
    if (doc == documented.end()) continue;
    const Workload w = load_g10_folder(folder);
    const Vitality v = analyze_vitality(w);
    const auto check = [&](const std::string& spec, double expected) {
      const sim::Report r = sim::run_policy(w, v, m, *make_policy(spec), o);
      ASSERT_TRUE(r.feasible) << spec << " on " << name << ": " << r.infeasible_reason;
      EXPECT_NEAR(r.fraction_of_ideal, expected, 0.005) << spec << " on " << name;
    };
    check("uvm", doc->second.uvm);
    check("flashneuron", doc->second.flashneuron);
    check("deepum", doc->second.deepum);
    check(test::g10_spec_as_run(name), doc->second.g10);
    check("g10-plan:" + folder.string(), doc->second.g10_plan);
  }
}

}  // namespace
}  // namespace strata
