// strata run end to end: a tiny workload replays under a tight fast tier; a fast tier smaller
// than a kernel's working set fails with a message that says what to do.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "strata/io/workload_json.hpp"
#include "support/rt_dirs.hpp"
#include "support/run.hpp"
#include "support/workload_builder.hpp"

namespace strata {
namespace {

/// Writes a small workload (three 256 KiB weights, 512 KiB activations, 200 us kernels) as JSON.
std::filesystem::path tiny_workload_file() {
  test::WorkloadBuilder b;
  constexpr std::uint64_t KiB = 1024;
  const TensorId w0 = b.tensor(256 * KiB, true), w1 = b.tensor(256 * KiB, true),
                 w2 = b.tensor(256 * KiB, true);
  const TensorId x = b.tensor(512 * KiB), a = b.tensor(512 * KiB), c = b.tensor(512 * KiB);
  b.kernel(200'000, {}, {x});
  b.kernel(200'000, {x, w0}, {a});
  b.kernel(200'000, {a, w1}, {c});
  b.kernel(200'000, {c, w2, x}, {w0});
  b.kernel(200'000, {w1, w2}, {w1});
  const auto path = std::filesystem::temp_directory_path() /
                    ("strata-cli-run-" + std::to_string(::getpid()) + ".json");
  std::ofstream(path) << workload_to_json(b.done());
  return path;
}

TEST(CliRun, TinyWorkloadReplaysUnderATightFastTier) {
  const auto file = tiny_workload_file();
  const auto r = test::run_cli("run '" + file.string() +
                                   "' --policy uvm --fast-capacity 1600KiB --host-capacity 1MiB "
                                   "--store-dir memory --iterations 2 --json",
                               false);
  std::filesystem::remove(file);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j.at("policy"), "uvm");
  EXPECT_TRUE(j.at("feasible").get<bool>());
  EXPECT_GT(j.at("iteration_ns").get<std::int64_t>(), 0);
  EXPECT_GT(j.at("victim_evictions").get<std::uint64_t>(), 0u);
}

TEST(CliRun, TextReportAndTimelineWithFileStore) {
  const auto file = tiny_workload_file();
  const auto timeline = file.string() + ".trace.json";
  const auto r = test::run_cli("run '" + file.string() +
                               "' --policy strata --fast-capacity 1600KiB --iterations 2 "
                               "--profile --predict --timeline '" +
                               timeline + "'");
  std::filesystem::remove(file);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("iteration 1/2 (profiling)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("stalls"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("checked"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("predicted"), std::string::npos) << r.output;
  EXPECT_TRUE(std::filesystem::exists(timeline));
  std::filesystem::remove(timeline);
}

TEST(CliRun, FastTierSmallerThanAKernelFailsWithWhatToDo) {
  const auto file = tiny_workload_file();
  const auto r = test::run_cli("run '" + file.string() +
                               "' --policy uvm --fast-capacity 600KiB --store-dir memory");
  std::filesystem::remove(file);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("kernel 1 (k1)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("give the fast tier more capacity"), std::string::npos) << r.output;
}

TEST(CliRun, FastCapacityIsRequiredForABoundedPolicy) {
  const auto file = tiny_workload_file();
  const auto r = test::run_cli("run '" + file.string() + "' --policy uvm");
  std::filesystem::remove(file);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("--fast-capacity"), std::string::npos) << r.output;
}

TEST(CliRun, InterruptCancelsTheRunAndRemovesTheStoreFiles) {
  STRATA_REQUIRE_DIRECT_IO_DIR(base);
  const auto dir = base / ("strata-cli-run-interrupt-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = tiny_workload_file();
  // 1,000 iterations of at least 1 ms: interrupted once its store file exists (plus 0.2 s),
  // well before the end.
  const std::string run = "'" + test::cli_path().string() + "' run '" + file.string() +
                          "' --policy uvm --fast-capacity 1600KiB --host-capacity 300KiB "
                          "--iterations 1000 --store-dir '" +
                          dir.string() + "'";
  const std::string ls = "ls '" + dir.string() + "'";
  const std::string script = run + " 2>&1 & pid=$!; for i in $(seq 100); do " + ls +
                             " | grep -q strata-run && break; sleep 0.1; done; sleep 0.2; " + ls +
                             " | sed 's/^/during: /'; kill -INT $pid; wait $pid; echo rc=$?";
  const auto script_file = dir.string() + ".sh";
  std::ofstream(script_file) << script << "\n";
  std::string output;
  FILE* pipe = popen(("sh '" + script_file + "'").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buffer[4096];
  std::size_t n = 0;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  pclose(pipe);
  std::filesystem::remove(file);
  std::filesystem::remove(script_file);
  EXPECT_NE(output.find("during: strata-run-"), std::string::npos)
      << "the store's file should exist while the run runs:\n"
      << output;
  EXPECT_NE(output.find("cancelled at kernel"), std::string::npos) << output;
  EXPECT_NE(output.find("rc=1"), std::string::npos) << output;
  std::size_t left = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++left;
  EXPECT_EQ(left, 0u) << "store files left behind in " << dir;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace strata
