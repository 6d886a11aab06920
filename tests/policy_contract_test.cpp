// Every policy in comparable_policies() (so policies added later are covered automatically) on
// every shared G10 workload, on the g10-a100 preset: the plan validates, the run completes within
// capacity or is reported infeasible with a reason naming a kernel, it is deterministic, and the
// fraction of ideal is in (0, 1].
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "strata/analysis/vitality.hpp"
#include "strata/io/g10_trace.hpp"
#include "strata/plan/policy.hpp"
#include "strata/sim/simulator.hpp"
#include "support/paths.hpp"

namespace strata {
namespace {

const std::vector<std::string> kWorkloads = {"BERT-256",    "BERT-512",         "VIT-512",
                                             "VIT-1024",    "Inceptionv3-1024", "ResNet152-768",
                                             "SENet154-512"};

struct Loaded {
  Workload w;
  Vitality v;
};

/// Each workload is parsed once for the whole suite (parsing is most of the cost).
const Loaded& loaded(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Loaded>> cache;
  auto& slot = cache[name];
  if (!slot) {
    slot = std::make_unique<Loaded>();
    slot->w = load_g10_folder(test::g10_dir() / name);
    slot->v = analyze_vitality(slot->w);
  }
  return *slot;
}

const Machine& g10_machine() {
  static const Machine m = load_machine("g10-a100", {test::source_dir() / "configs" / "machines"});
  return m;
}

using Param = std::tuple<std::string, std::string>;  // policy spec, workload

class PolicyContract : public ::testing::TestWithParam<Param> {};

TEST_P(PolicyContract, PlansValidateAndSimulateWithinCapacityDeterministically) {
  const auto& [spec, workload] = GetParam();
  if (!std::filesystem::exists(test::g10_dir() / workload / "kernels.config"))
    GTEST_SKIP() << "G10 workload " << workload << " not found under " << test::g10_dir()
                 << " (../shared/g10 beside the repository); skipping";
  const Loaded& l = loaded(workload);
  const Machine& m = g10_machine();
  const auto policy = make_policy(spec);
  const Plan plan = policy->plan(l.w, l.v, m);
  EXPECT_NO_THROW(validate(plan, l.w, m));
  EXPECT_EQ(plan.kernels.size(), l.w.kernels.size());

  sim::SimOptions checked;
  checked.check_every_event = true;  // every tier re-summed from the tensors after every event
  const sim::Report a = sim::run_policy(l.w, l.v, m, *policy, checked);
  // A fresh policy, planned again, and run without the per-event check: the same report.
  const sim::Report b = sim::run_policy(l.w, l.v, m, *make_policy(spec));
  EXPECT_EQ(a, b) << "two runs of " << spec << " on " << workload << " differ";
  for (const sim::TierPeak& t : a.tiers) {  // the unlimited reference may hold more than there is
    if (!policy->unlimited_device_memory() || t.kind != TierKind::device) {
      EXPECT_LE(t.peak_bytes, t.capacity_bytes) << t.tier;
    }
  }
  if (!a.feasible) {
    EXPECT_NE(a.infeasible_reason.find("kernel"), std::string::npos) << a.infeasible_reason;
    return;
  }
  EXPECT_TRUE(a.infeasible_reason.empty());
  EXPECT_GT(a.fraction_of_ideal, 0.0);
  EXPECT_LE(a.fraction_of_ideal, 1.0);
  // The identity of report.hpp: recomputes (strata) and in-place access lengthen it too.
  EXPECT_EQ(a.iteration_ns - a.stall.total_ns() - a.recompute_ns - a.direct_access_ns, a.ideal_ns);
}

std::string param_name(const ::testing::TestParamInfo<Param>& info) {
  std::string s = std::get<0>(info.param) + "_" + std::get<1>(info.param);
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(EveryPolicyEveryG10Workload, PolicyContract,
                         ::testing::Combine(::testing::ValuesIn(comparable_policies()),
                                            ::testing::ValuesIn(kWorkloads)),
                         param_name);

}  // namespace
}  // namespace strata
