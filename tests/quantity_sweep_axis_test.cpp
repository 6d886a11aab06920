// Parsing sizes, rates and counts from flags, and sweep value lists and ranges.
#include <gtest/gtest.h>

#include <functional>

#include "strata/core/error.hpp"
#include "strata/core/quantity.hpp"
#include "strata/sim/sweep_axis.hpp"

namespace strata {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InvalidInput& e) {
    return e.what();
  }
  return "(no InvalidInput thrown)";
}

TEST(Quantity, ParsesSizesRatesAndCounts) {
  EXPECT_EQ(parse_bytes("20GiB", "x"), 20ULL << 30);
  EXPECT_EQ(parse_bytes(" 1.5 GiB", "x"), 3ULL << 29);
  EXPECT_EQ(parse_bytes("512MB", "x"), 512'000'000u);
  EXPECT_EQ(parse_bytes("4096B", "x"), 4096u);
  EXPECT_DOUBLE_EQ(parse_bytes_per_s("3.2GB/s", "x"), 3.2e9);
  EXPECT_DOUBLE_EQ(parse_bytes_per_s("1GiB/s", "x"), 1073741824.0);
  EXPECT_EQ(parse_positive_count("64", "x"), 64u);
  EXPECT_EQ(compact_bytes(20ULL << 30), "20GiB");
  EXPECT_EQ(compact_bytes(3ULL << 29), "1.5GiB");
  EXPECT_EQ(compact_bytes(512ULL << 20), "512MiB");
  EXPECT_EQ(compact_bytes_per_s(3.2e9), "3.2GB/s");
}

TEST(Quantity, BadInputNamesTheFlagTheTextAndTheForm) {
  EXPECT_NE(error_of([] { parse_bytes("20Gib", "--values"); }).find("unknown unit 'Gib'"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_bytes("20Gib", "--values"); }).find("GiB"), std::string::npos);
  EXPECT_NE(error_of([] { parse_bytes("20", "--values"); }).find("needs a unit"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_bytes("0GiB", "--values"); }).find("must be positive"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_bytes("-4GiB", "--values"); }).find("must be positive"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_bytes("lots", "--values"); }).find("not a number"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_bytes("1.0000001B", "--values"); }).find("whole number"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_bytes_per_s("3.2GB", "--values"); }).find("GB/s"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_positive_count("0", "--values"); }).find("must be positive"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_positive_count("-8", "--values"); }).find("must be positive"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_positive_count("8k", "--values"); }).find("whole number"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_positive_count("8.5", "--values"); }).find("whole number"),
            std::string::npos);
}

namespace s = strata::sim;

std::vector<std::string> labels(const std::vector<s::SweepValue>& v) {
  std::vector<std::string> out;
  for (const auto& x : v) out.push_back(x.label);
  return out;
}

TEST(SweepAxis, ListsAndRanges) {
  using V = std::vector<std::string>;
  EXPECT_EQ(labels(s::parse_sweep_values(s::SweepAxis::batch, "8,16,32")), (V{"8", "16", "32"}));
  EXPECT_EQ(labels(s::parse_sweep_values(s::SweepAxis::batch, "8:256:x2")),
            (V{"8", "16", "32", "64", "128", "256"}));
  EXPECT_EQ(labels(s::parse_sweep_values(s::SweepAxis::batch, "8:40:+8")),
            (V{"8", "16", "24", "32", "40"}));
  EXPECT_EQ(labels(s::parse_sweep_values(s::SweepAxis::batch, "8:30:+8")),
            (V{"8", "16", "24"}));  // stop is a bound, not a member
  EXPECT_EQ(labels(s::parse_sweep_values(s::SweepAxis::batch, "2,8:32:x2")),
            (V{"2", "8", "16", "32"}));
  EXPECT_EQ(labels(s::parse_sweep_values(s::SweepAxis::gpu_memory, "20GiB:80GiB:+20GiB")),
            (V{"20GiB", "40GiB", "60GiB", "80GiB"}));
  EXPECT_EQ(labels(s::parse_sweep_values(s::SweepAxis::host_memory, "16GiB:128GiB:x2")),
            (V{"16GiB", "32GiB", "64GiB", "128GiB"}));
  EXPECT_EQ(labels(s::parse_sweep_values(s::SweepAxis::ssd_bandwidth, "1.6GB/s:12.8GB/s:x2")),
            (V{"1.6GB/s", "3.2GB/s", "6.4GB/s", "12.8GB/s"}));
  const auto mem = s::parse_sweep_values(s::SweepAxis::gpu_memory, "40GiB");
  EXPECT_EQ(mem.at(0).value, 40.0 * (1ULL << 30));
  EXPECT_EQ(labels(s::parse_sweep_values(s::SweepAxis::gpus, "1:8:x2")), (V{"1", "2", "4", "8"}));
}

TEST(SweepAxis, BadValuesSayWhatIsWrong) {
  auto err = [](s::SweepAxis a, const char* text) {
    return error_of([&] { s::parse_sweep_values(a, text); });
  };
  EXPECT_NE(err(s::SweepAxis::batch, "").find("empty"), std::string::npos);
  EXPECT_NE(err(s::SweepAxis::batch, "8,,16").find("empty item"), std::string::npos);
  EXPECT_NE(err(s::SweepAxis::batch, "0,8").find("must be positive"), std::string::npos);
  EXPECT_NE(err(s::SweepAxis::batch, "-8").find("must be positive"), std::string::npos);
  EXPECT_NE(err(s::SweepAxis::batch, "eight").find("whole number"), std::string::npos);
  EXPECT_NE(err(s::SweepAxis::batch, "8GiB").find("whole number"), std::string::npos);
  EXPECT_NE(err(s::SweepAxis::batch, "8,16,8").find("appears twice"), std::string::npos);
  EXPECT_NE(err(s::SweepAxis::batch, "256:8:x2").find("below start"), std::string::npos);
  EXPECT_NE(err(s::SweepAxis::batch, "8:256").find("start:stop:step"), std::string::npos);
  EXPECT_NE(err(s::SweepAxis::batch, "8:256:2").find("x<factor>"), std::string::npos);
  EXPECT_NE(err(s::SweepAxis::batch, "8:256:x1").find("factor above 1"), std::string::npos);
  EXPECT_NE(err(s::SweepAxis::batch, "8:256:x1.01").find("too small"), std::string::npos);
  EXPECT_NE(err(s::SweepAxis::batch, "1:100000:+1").find("more than"), std::string::npos);
  EXPECT_NE(err(s::SweepAxis::gpu_memory, "20").find("needs a unit"), std::string::npos);
  EXPECT_NE(err(s::SweepAxis::gpu_memory, "20Gb").find("unknown unit 'Gb'"), std::string::npos);
  EXPECT_NE(err(s::SweepAxis::gpu_memory, "20GiB:80GiB:+20").find("needs a unit"),
            std::string::npos);
  EXPECT_NE(err(s::SweepAxis::ssd_bandwidth, "0GB/s").find("must be positive"), std::string::npos);
  EXPECT_NE(error_of([] { s::parse_sweep_axis("batches"); }).find("batch, gpu-memory"),
            std::string::npos);
  EXPECT_EQ(s::parse_sweep_axis("ssd-bandwidth"), s::SweepAxis::ssd_bandwidth);
}

}  // namespace
}  // namespace strata
