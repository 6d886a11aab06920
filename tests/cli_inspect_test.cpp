// End-to-end: the strata binary as a user runs it.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "strata/io/text_file.hpp"
#include "support/run.hpp"

namespace strata {
namespace {

using nlohmann::json;

TEST(CliInspect, G10JsonHasTheKeysTheIssueNames) {
  STRATA_REQUIRE_G10();
  const auto folder = test::g10_folders().front();
  const auto r = test::run_cli("inspect g10:" + folder.string() + " --json", false);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json j = json::parse(r.output);
  for (const char* key : {"kernels", "tensors", "persistent_tensors", "persistent_bytes",
                          "peak_live_bytes", "peak_kernel", "ideal_ns", "parameters"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_TRUE(j["ideal_ns"].is_number_integer());
  EXPECT_TRUE(j["parameters"].is_null());
}

TEST(CliInspect, G10WorkloadByNameIsFoundInTheSharedFolder) {
  STRATA_REQUIRE_G10();
  const auto name = test::g10_folders().front().filename().string();
  const auto r = test::run_cli("inspect g10:" + name, true);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("peak live"), std::string::npos) << r.output;
}

TEST(CliInspect, CorruptedTraceExitsNonZeroNamingTheLine) {
  STRATA_REQUIRE_G10();
  const auto folder = test::g10_folders().front();
  const auto dir =
      std::filesystem::temp_directory_path() / ("strata_cli_corrupt_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string text = read_text_file(folder / "kernels.config");
  // Corrupt line 1000: find its start and replace its content.
  std::size_t pos = 0;
  for (int line = 1; line < 1000; ++line) pos = text.find('\n', pos) + 1;
  const std::size_t end = text.find('\n', pos);
  text.replace(pos, end - pos, "Execution Time: banana");
  write_text_file(dir / "kernels.config", text);
  std::filesystem::copy_file(folder / "workspace.txt", dir / "workspace.txt");
  const auto r = test::run_cli("inspect g10:" + dir.string());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("kernels.config:1000:"), std::string::npos) << r.output;
  std::filesystem::remove_all(dir);
}

TEST(CliInspect, BadWorkloadSpecsSayWhatToDo) {
  auto r = test::run_cli("inspect nonsense");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("use g10:<folder>"), std::string::npos) << r.output;
  r = test::run_cli("inspect g10:NoSuchWorkload");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("not found"), std::string::npos) << r.output;
  r = test::run_cli("inspect model:resnet51");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("resnet50"), std::string::npos) << r.output;  // lists the valid names
  r = test::run_cli("inspect missing-file.json");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("missing-file.json"), std::string::npos) << r.output;
  r = test::run_cli("inspect model:resnet50 --machine no-such-machine");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("g10-a100"), std::string::npos) << r.output;  // lists the presets
  r = test::run_cli("inspect model:resnet50 --dtype fp64");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("fp32, fp16 or bf16"), std::string::npos) << r.output;
  r = test::run_cli("inspect model:resnet50 --batch 0");
  EXPECT_NE(r.exit_code, 0);
}

TEST(CliInspect, BatchOnATraceIsRejected) {
  STRATA_REQUIRE_G10();
  const auto r =
      test::run_cli("inspect g10:" + test::g10_folders().front().string() + " --batch 4");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("--batch shapes model: workloads only"), std::string::npos) << r.output;
}

TEST(CliInspect, SaveRoundTripsAndPlotIsSvg) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("strata_cli_save_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto saved = (dir / "w.json").string(), plot = (dir / "m.svg").string();
  auto r = test::run_cli(
      "inspect model:resnet50 --batch 4 --json --save " + saved + " --memory-plot " + plot, false);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json direct = json::parse(r.output);
  r = test::run_cli("inspect " + saved + " --json", false);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  json reread = json::parse(r.output);
  EXPECT_EQ(direct, reread);
  const std::string svg = read_text_file(plot);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find("activation"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(CliInspect, LargestSharedWorkloadInWellUnderASecond) {
  STRATA_REQUIRE_G10();
#if defined(STRATA_SANITIZED) || !defined(NDEBUG)
  GTEST_SKIP() << "timing is checked in optimised, unsanitised builds only";
#endif
  std::filesystem::path largest;
  std::uintmax_t size = 0;
  for (const auto& f : test::g10_folders())
    if (std::filesystem::file_size(f / "kernels.config") > size) {
      size = std::filesystem::file_size(f / "kernels.config");
      largest = f;
    }
  const auto start = std::chrono::steady_clock::now();
  const auto r = test::run_cli("inspect g10:" + largest.string() + " --json", false);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_LT(seconds, 0.5) << largest;
}

}  // namespace
}  // namespace strata
