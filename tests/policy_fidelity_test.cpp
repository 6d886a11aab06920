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
  // Where strata's deepum is known to be more than 0.10 above G10's DeepUM+ (docs/policies.md:
  // these two fit, or nearly fit, in GPU memory; G10's UVM-based baselines still fault on the
  // first touch of every new tensor's pages, strata allocates an unborn tensor without a fault).
  const std::set<std::string> deepum_known_gap = {"VIT-512", "VIT-1024"};
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
    if (deepum_known_gap.count(name) == 0)
      EXPECT_LE(std::abs(dum - pub->second.deepum), 0.10) << "deepum on " << name;
    else
      EXPECT_GT(dum, pub->second.deepum) << "deepum on " << name;
    // strata's uvm charges no first-touch faults: it is faster than G10's Base UVM everywhere
    // (docs/policies.md), never slower.
    EXPECT_GT(uvm, pub->second.uvm) << "uvm on " << name;
  }
}

}  // namespace
}  // namespace strata
