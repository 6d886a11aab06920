// The baselines against G10's published fractions of ideal (../shared/g10/README.md) on the
// g10-a100 preset. Prints the table in docs/policies.md.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>

#include "strata/analysis/vitality.hpp"
#include "strata/io/g10_trace.hpp"
#include "strata/plan/policy.hpp"
#include "strata/sim/simulator.hpp"
#include "support/paths.hpp"

namespace strata {
namespace {

struct Published {
  double uvm, flashneuron, deepum;
};

TEST(PolicyFidelity, G10BaselinesAgainstPublishedFractions) {
  STRATA_REQUIRE_G10();
  const std::map<std::string, Published> published = {
      {"BERT-256", {0.371, 0.713, 0.795}},         {"BERT-512", {0.122, 0.223, 0.622}},
      {"VIT-512", {0.334, 1.000, 0.833}},          {"VIT-1024", {0.218, 0.620, 0.565}},
      {"Inceptionv3-1024", {0.311, 0.735, 0.921}}, {"ResNet152-768", {0.378, 0.880, 0.976}},
      {"SENet154-512", {0.351, 0.906, 0.978}}};
  // Where strata is known to miss G10's column by more than 0.10 (docs/fidelity.md): uvm is
  // 0.12-0.19 slower than G10's Base UVM on the transformers (neither the fault cost, nor
  // keeping dead tensors, nor page granularity closes it), and deepum 0.14 faster on VIT-1024
  // (its k+8 prefetch allocates fresh tensors without a fault). uvm is held to 0.20 and deepum
  // to 0.15 there, so that a change that widens the gap is still caught.
  const std::set<std::string> uvm_known_gap = {"BERT-256", "VIT-512", "VIT-1024"};
  const std::set<std::string> deepum_known_gap = {"VIT-1024"};
  const Machine m = load_machine("g10-a100", {test::source_dir() / "configs" / "machines"});
  std::printf("%-18s %14s %14s %14s\n", "workload", "uvm (G10)", "flashneuron", "deepum");
  for (const auto& folder : test::g10_folders()) {
    const std::string name = folder.filename().string();
    const auto pub = published.find(name);
    if (pub == published.end()) continue;
    const Workload w = load_g10_folder(folder);
    const Vitality v = analyze_vitality(w);
    auto run = [&](const char* spec) {
      const sim::Report r = sim::run_policy(w, v, m, *make_policy(spec));
      EXPECT_TRUE(r.feasible) << spec << " on " << name << ": " << r.infeasible_reason;
      return r.fraction_of_ideal;
    };
    const double uvm = run("uvm"), fn = run("flashneuron"), dum = run("deepum");
    std::printf("%-18s %6.3f (%.3f) %6.3f (%.3f) %6.3f (%.3f)\n", name.c_str(), uvm,
                pub->second.uvm, fn, pub->second.flashneuron, dum, pub->second.deepum);
    EXPECT_LE(std::abs(fn - pub->second.flashneuron), 0.10) << "flashneuron on " << name;
    EXPECT_LE(std::abs(dum - pub->second.deepum), deepum_known_gap.count(name) ? 0.15 : 0.10)
        << "deepum on " << name;
    EXPECT_LE(std::abs(uvm - pub->second.uvm), uvm_known_gap.count(name) ? 0.20 : 0.10)
        << "uvm on " << name;
  }
}

// The same baselines and G10's planner under G10's per-kernel fault model (SimOptions::
// fault_cost = measured; docs/fault_model.md, "Measured fault model"): the table in
// docs/fidelity.md, held to 0.005. Not the default: it moves the table away from G10 overall.
TEST(PolicyFidelity, MeasuredFaultCostOnG10Workloads) {
  STRATA_REQUIRE_G10();
  struct Row {
    double uvm, flashneuron, deepum, g10, g10_plan;
  };
  const std::map<std::string, Row> documented = {
      {"BERT-256", {0.154, 0.733, 0.861, 1.000, 1.000}},
      {"BERT-512", {0.111, 0.236, 0.567, 0.529, 0.526}},
      {"VIT-512", {0.116, 1.000, 0.902, 1.000, 1.000}},
      {"VIT-1024", {0.077, 0.586, 0.697, 0.988, 0.723}},
      {"Inceptionv3-1024", {0.380, 0.786, 0.853, 0.984, 0.944}},
      {"ResNet152-768", {0.446, 0.699, 0.955, 1.000, 0.982}},
      {"SENet154-512", {0.420, 0.886, 0.959, 1.000, 0.980}}};
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
    check("g10", doc->second.g10);
    check("g10-plan:" + folder.string(), doc->second.g10_plan);
  }
}

}  // namespace
}  // namespace strata
