// strata compare end to end: the JSON schema, determinism across --jobs, policy-list errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "strata/plan/policy.hpp"
#include "support/run.hpp"

namespace strata {
namespace {

using nlohmann::json;

TEST(CliCompare, JsonHasEveryComparablePolicyInOrder) {
  const auto r = test::run_cli("compare model:gpt2 --batch 2 --json", false);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json j = json::parse(r.output);
  ASSERT_EQ(j.size(), 1u) << "only \"results\" at the top level";
  const json& results = j.at("results");
  const std::vector<std::string> expected = comparable_policies();
  ASSERT_EQ(results.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const json& row = results[i];
    SCOPED_TRACE(expected[i]);
    EXPECT_EQ(row.at("policy"), expected[i]);
    ASSERT_TRUE(row.at("feasible").is_boolean());
    for (const char* key : {"iteration_ns", "fraction_of_ideal", "ideal_ns", "reason", "stall"})
      EXPECT_TRUE(row.contains(key)) << key;
    if (row["feasible"]) {
      EXPECT_TRUE(row["iteration_ns"].is_number_integer());
      EXPECT_GT(row["fraction_of_ideal"].get<double>(), 0.0);
      EXPECT_LE(row["fraction_of_ideal"].get<double>(), 1.0 + 1e-9);
      EXPECT_TRUE(row["reason"].is_null());
    } else {
      EXPECT_TRUE(row["iteration_ns"].is_null());
      EXPECT_TRUE(row["fraction_of_ideal"].is_null());
      EXPECT_TRUE(row["reason"].is_string());
    }
  }
  EXPECT_EQ(results[0]["policy"], "ideal");
  EXPECT_TRUE(results[0]["feasible"]);
  EXPECT_DOUBLE_EQ(results[0]["fraction_of_ideal"].get<double>(), 1.0);  // it fits: 2 samples
}

TEST(CliCompare, InfeasibleAndFailingPoliciesAreRowsWithNullsAndAReason) {
  // gpt2 at batch 128: the loss backward alone needs 49 GiB, the A100 has 40 GiB.
  const auto r = test::run_cli(
      "compare model:gpt2 --batch 128 --json --policies g10,g10-plan:/no/such/folder", false);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json results = json::parse(r.output).at("results");
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0]["policy"], "g10");
  EXPECT_EQ(results[1]["policy"], "g10-plan:/no/such/folder");
  for (const json& row : results) {
    EXPECT_FALSE(row["feasible"]);
    EXPECT_TRUE(row["iteration_ns"].is_null());
    EXPECT_TRUE(row["fraction_of_ideal"].is_null());
    EXPECT_GT(row["ideal_ns"].get<std::int64_t>(), 0);
  }
  EXPECT_NE(results[0]["reason"].get<std::string>().find("GiB short"), std::string::npos);
  EXPECT_NE(results[1]["reason"].get<std::string>().find("error:"), std::string::npos);

  const auto text =
      test::run_cli("compare model:gpt2 --batch 128 --policies g10,g10-plan:/no/such/folder");
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("infeasible:\n  g10: "), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("  g10-plan:/no/such/folder: error:"), std::string::npos);
}

TEST(CliCompare, OutputIsTheSameForAnyNumberOfJobs) {
  // Every comparable policy on a model that does not fit the 40 GiB GPU (bert_base, 512 tokens,
  // batch 64 peaks well above it), so that demand paging and planners all have work to do.
  const std::string base = "compare model:bert_base --batch 64 --seq 512";
  const auto one = test::run_cli(base + " --jobs 1 --json", false);
  const auto two = test::run_cli(base + " --jobs 2 --json", false);
  ASSERT_EQ(one.exit_code, 0) << one.output;
  EXPECT_EQ(one.output, two.output);
  const auto one_text = test::run_cli(base + " --jobs 1", false);
  const auto two_text = test::run_cli(base + " --jobs 2", false);
  EXPECT_EQ(one_text.output, two_text.output);
}

TEST(CliCompare, TwoRealPlansGiveTheSameOutputWithOneOrTwoJobs) {
  // Two policies that both simulate (ideal with demand paging, G10's own plan), so --jobs 2
  // really runs them at once whatever the registry holds.
  STRATA_REQUIRE_G10();
  const std::string name = "BERT-256";
  if (!std::filesystem::exists(test::g10_dir() / name)) GTEST_SKIP() << name << " not in g10";
  const std::string base = "compare g10:" + name + " --policies g10-plan:" + name + ",ideal";
  const auto one = test::run_cli(base + " --jobs 1 --json", false);
  const auto two = test::run_cli(base + " --jobs 2 --json", false);
  ASSERT_EQ(one.exit_code, 0) << one.output;
  EXPECT_EQ(one.output, two.output);
  const json results = json::parse(one.output).at("results");
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0]["policy"], "g10-plan:" + name);  // the order given, not the registry's
  EXPECT_TRUE(results[0]["feasible"]);
  EXPECT_TRUE(results[1]["feasible"]);
}

TEST(CliCompare, ProgressGoesToStderrAPolicyALine) {
  const std::string base = "compare model:gpt2 --batch 2 --policies ideal,uvm,g10";
  const auto both = test::run_cli(base + " --progress");
  ASSERT_EQ(both.exit_code, 0) << both.output;
  for (const char* step :
       {"strata compare: [1/3] ", "strata compare: [2/3] ", "strata compare: [3/3] "})
    EXPECT_NE(both.output.find(step), std::string::npos) << step << "\n" << both.output;
  EXPECT_NE(both.output.find(" of ideal after "), std::string::npos) << both.output;
  // stdout alone is the same with or without progress: the JSON still parses.
  const auto json_out = test::run_cli(base + " --progress --json", false);
  ASSERT_EQ(json_out.exit_code, 0);
  EXPECT_EQ(json_out.output, test::run_cli(base + " --json", false).output);
  EXPECT_EQ(json::parse(json_out.output).at("results").size(), 3u);
  // Not a terminal and no --progress (or --quiet): nothing on stderr.
  const auto quiet = test::run_cli(base + " --json");
  EXPECT_EQ(quiet.output.find("strata compare: ["), std::string::npos) << quiet.output;
  const auto q = test::run_cli(base + " --progress --quiet --json");
  EXPECT_EQ(q.output.find("strata compare: ["), std::string::npos) << q.output;
}

TEST(CliCompare, PolicyListErrorsNameTheProblem) {
  auto r = test::run_cli("compare model:gpt2 --batch 2 --policies ideal,nosuchpolicy");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("'nosuchpolicy'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("known policies: ideal"), std::string::npos) << r.output;
  r = test::run_cli("compare model:gpt2 --batch 2 --policies ''");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("empty policy name"), std::string::npos) << r.output;
  r = test::run_cli("compare model:gpt2 --batch 2 --policies ideal,,ideal");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("empty policy name"), std::string::npos) << r.output;
  r = test::run_cli("compare model:gpt2 --batch 2 --policies ideal,ideal");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("listed twice"), std::string::npos) << r.output;
}

TEST(CliCompare, MoreGpusThanTheMachineHasIsAnError) {
  const auto r = test::run_cli("compare model:gpt2 --batch 2 --machine g10-a100 --gpus 2");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("has 1 GPU"), std::string::npos) << r.output;
}

TEST(CliCompare, HelpListsCompareAndSweep) {
  const auto r = test::run_cli("--help");
  EXPECT_NE(r.output.find("compare"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("sweep"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace strata
