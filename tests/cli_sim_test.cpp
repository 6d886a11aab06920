// strata sim end to end: --kernel-timing (Note [kernel timing]) and managed memory on a workload
// that fits (Note [first touch once]).
#include <gtest/gtest.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "support/paths.hpp"
#include "support/run.hpp"

namespace strata {
namespace {

using nlohmann::json;

std::int64_t iteration_ns(const std::string& args) {
  const auto r = test::run_cli("sim " + args + " --json", false);
  EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.output;
  const json j = json::parse(r.output);
  EXPECT_TRUE(j.at("feasible").get<bool>()) << args;
  return j.at("iteration_ns").get<std::int64_t>();
}

// GPT-2 at batch 32 does not fit g10-a100's 40 GiB: g10 waits for prefetches. Its kernels run
// demand-paged by default (their compute overlaps those waits), so the default is no slower
// than kernels that start once their data is in place, and --kernel-timing g10 is the default.
TEST(CliSim, KernelTimingOfAPolicyOnUnifiedMemory) {
  const std::string run = "model:gpt2 --batch 32 --machine g10-a100 --policy g10";
  const std::int64_t by_policy = iteration_ns(run);
  const std::int64_t strata = iteration_ns(run + " --kernel-timing strata");
  EXPECT_LT(by_policy, strata);
  EXPECT_EQ(iteration_ns(run + " --kernel-timing g10"), by_policy);
  // strata's own policy copies explicitly: the default is strata's timing.
  const std::string own = "model:gpt2 --batch 32 --machine g10-a100 --policy vdnn-all";
  EXPECT_EQ(iteration_ns(own), iteration_ns(own + " --kernel-timing strata"));
}

TEST(CliSim, UnknownKernelTimingIsAnErrorNamingTheChoices) {
  const auto r = test::run_cli("sim model:gpt2 --batch 2 --kernel-timing sometimes");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--kernel-timing"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("policy"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("g10"), std::string::npos) << r.output;
}

// Everything GPT-2 allocates at batch 4 fits on the GPU at once: under uvm the first iteration
// populates the pages and the steady state runs at ideal.
TEST(CliSim, UvmOnAWorkloadThatFitsRunsAtIdealInTheSteadyState) {
  const auto r =
      test::run_cli("sim model:gpt2 --batch 4 --machine g10-a100 --policy uvm --json", false);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json j = json::parse(r.output);
  EXPECT_DOUBLE_EQ(j.at("fraction_of_ideal").get<double>(), 1.0);
  EXPECT_EQ(j.at("first_touch_faults").get<std::uint64_t>(), 0u);
  const auto& times = j.at("gpus").at(0).at("iteration_times_ns");
  EXPECT_GT(times.at(0).get<std::int64_t>(), times.at(2).get<std::int64_t>())
      << "the first iteration's first touches fault";
}

// --fault-cost reaches the simulator from sim, compare and sweep alike: on a G10 trace, G10's
// executed model (faulted bytes at the link rates) gives uvm a different iteration than the
// batch model, and the same one through every command.
TEST(CliSim, FaultCostIsTheSameOptionOnSimCompareAndSweep) {
  STRATA_REQUIRE_G10();
  const std::string w = "g10:VIT-512 --machine g10-a100";
  const std::int64_t batches = iteration_ns(w + " --policy uvm");
  const std::int64_t g10 = iteration_ns(w + " --policy uvm --fault-cost g10");
  EXPECT_NE(batches, g10);
  const auto c = test::run_cli(
      "compare " + w + " --policies uvm --fault-cost g10 --no-bound --quiet --json", false);
  ASSERT_EQ(c.exit_code, 0) << c.output;
  EXPECT_EQ(json::parse(c.output).at("results").at(0).at("iteration_ns").get<std::int64_t>(), g10);
  const auto s =
      test::run_cli("sweep " + w +
                        " --over gpu-memory --values 40GiB --policies uvm --fault-cost g10 --quiet "
                        "--json",
                    false);
  ASSERT_EQ(s.exit_code, 0) << s.output;
  EXPECT_EQ(json::parse(s.output).at("results").at(0).at("iteration_ns").get<std::int64_t>(), g10);
  const auto bad = test::run_cli("compare " + w + " --fault-cost sometimes");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("--fault-cost"), std::string::npos) << bad.output;
}

}  // namespace
}  // namespace strata
