// strata bench: the tier benchmark's measurements, the preset written from them (loads,
// validates, carries each direction's rate), and the errors for a bad directory or size.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "strata/core/error.hpp"
#include "strata/machine/machine.hpp"
#include "strata/rt/bench_preset.hpp"
#include "strata/rt/tier_bench.hpp"
#include "support/rt_dirs.hpp"
#include "support/run.hpp"

namespace strata {
namespace {

constexpr std::uint64_t kMiB = 1ULL << 20;
constexpr std::uint64_t kGiB = 1ULL << 30;

/// A scratch directory removed at the end of the test.
struct ScratchDir {
  explicit ScratchDir(const std::filesystem::path& parent) {
    path = parent / ("strata-bench-test-" + std::to_string(::getpid()) + "-" +
                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::filesystem::path path;
};

rt::TierBenchResult made_up_result() {
  rt::TierBenchResult r;
  r.directory = "/var/tmp";
  r.store_bytes = 64 * kMiB;
  r.memcpy_bytes = 64 * kMiB;
  r.memcpy = {{"arena->host", 12e9, 10e9}, {"host->arena", 6e9, 5e9}};
  r.store = {{128ULL << 10, 1, 0.4e9, 0.6e9},
             {1ULL << 20, 32, 1.0e9, 3.0e9},
             {4ULL << 20, 32, 1.5e9, 3.5e9}};
  r.write_latency_ns = 51'000;
  r.read_latency_ns = 55'000;
  return r;
}

rt::BenchPresetOptions preset_options() {
  rt::BenchPresetOptions o;
  o.name = "measured-test";
  o.fast_capacity_bytes = 8 * kGiB;
  o.host_capacity_bytes = 12 * kGiB + 512 * kMiB;
  o.ssd_capacity_bytes = 64 * kGiB + 4096;
  o.cpu_cores = 2;
  return o;
}

double rate_from(const Machine& m, std::string_view from, std::string_view to) {
  const TierId src = *m.find_tier(from);
  const TierId dst = *m.find_tier(to);
  return uncontended_bytes_per_s(m, *m.link_between(src, dst), src);
}

TEST(RtBenchPreset, CarriesEachDirectionsRateAndTheCapacitiesExactly) {
  const rt::TierBenchResult r = made_up_result();
  const std::string toml = rt::bench_preset_toml(r, preset_options());
  const Machine m = parse_machine_toml(toml, "measured-test.toml");
  EXPECT_EQ(m.name, "measured-test");
  ASSERT_EQ(m.gpus.size(), 1u);
  EXPECT_DOUBLE_EQ(m.gpus[0].compute.fp32_flops_per_s, 192e9);  // 2 cores, as cpu-local
  EXPECT_EQ(m.tiers[*m.find_tier("dram")].capacity_bytes, 8 * kGiB);
  EXPECT_EQ(m.tiers[*m.find_tier("host")].capacity_bytes, 12 * kGiB + 512 * kMiB);
  EXPECT_EQ(m.tiers[*m.find_tier("disk")].capacity_bytes, 64 * kGiB + 4096);
  // The Mover's rates per direction, and the store's at 1 MiB x QD 32 (not the faster 4 MiB).
  EXPECT_DOUBLE_EQ(rate_from(m, "dram", "host"), 10e9);
  EXPECT_DOUBLE_EQ(rate_from(m, "host", "dram"), 5e9);
  EXPECT_DOUBLE_EQ(rate_from(m, "disk", "host"), 3e9);
  EXPECT_DOUBLE_EQ(rate_from(m, "host", "disk"), 1e9);
  EXPECT_DOUBLE_EQ(rate_from(m, "disk", "dram"), 3e9);
  EXPECT_EQ(m.tiers[*m.find_tier("disk")].read_latency_ns, 55'000);
  EXPECT_EQ(m.tiers[*m.find_tier("disk")].write_latency_ns, 51'000);
  EXPECT_EQ(rt::bench_preset_toml(r, preset_options()), toml) << "deterministic";
}

TEST(RtBenchPreset, WithoutTheDefaultStoreConfigurationUsesTheBestMeasured) {
  rt::TierBenchResult r = made_up_result();
  r.store.erase(r.store.begin() + 1);  // no 1 MiB x QD 32
  const rt::StoreMeasurement s = rt::preset_store_measurement(r);
  EXPECT_EQ(s.block_bytes, 4ULL << 20);
  const Machine m = parse_machine_toml(rt::bench_preset_toml(r, preset_options()), "p.toml");
  EXPECT_DOUBLE_EQ(rate_from(m, "disk", "host"), 3.5e9);
  EXPECT_DOUBLE_EQ(rate_from(m, "host", "disk"), 1.5e9);
}

TEST(RtBenchPreset, RefusesMissingMeasurementsAndZeroCapacities) {
  rt::BenchPresetOptions o = preset_options();
  o.fast_capacity_bytes = 0;
  EXPECT_THROW(rt::bench_preset_toml(made_up_result(), o), InvalidInput);
  rt::TierBenchResult r = made_up_result();
  r.store.clear();
  EXPECT_THROW(rt::bench_preset_toml(r, preset_options()), InvalidInput);
  r = made_up_result();
  r.memcpy.pop_back();
  EXPECT_THROW(rt::bench_preset_toml(r, preset_options()), InvalidInput);
}

TEST(RtTierBench, MeasuresPositivePlausibleRatesOnASmallFile) {
  STRATA_REQUIRE_DIRECT_IO_DIR(dir);
  // A directory of its own: tests run in parallel and others leave files in `dir` meanwhile.
  const ScratchDir scratch(dir);
  rt::TierBenchOptions o;
  o.directory = scratch.path;
  o.store_bytes = 8 * kMiB;
  o.block_bytes = {128ULL << 10, 1ULL << 20};
  o.queue_depths = {1, 8};
  o.latency_ios = 8;
  o.memcpy_bytes = 8 * kMiB;
  o.memcpy_copies = 2;
  o.memcpy_rounds = 1;
  int steps = 0;
  o.progress = [&steps](std::string_view) { ++steps; };
  const rt::TierBenchResult r = rt::run_tier_bench(o);
  EXPECT_GT(steps, 0);
  ASSERT_EQ(r.memcpy.size(), 2u);
  for (const auto& m : r.memcpy) {
    EXPECT_GT(m.memcpy_bytes_per_s, 1e8) << m.direction;  // any machine copies > 100 MB/s
    EXPECT_LT(m.memcpy_bytes_per_s, 1e13) << m.direction;
    EXPECT_GT(m.mover_bytes_per_s, 1e8) << m.direction;
    EXPECT_LT(m.mover_bytes_per_s, 1e13) << m.direction;
  }
  ASSERT_EQ(r.store.size(), 4u);
  EXPECT_EQ(r.store[1].block_bytes, 128ULL << 10);
  EXPECT_EQ(r.store[1].queue_depth, 8u);
  for (const auto& s : r.store) {
    EXPECT_GT(s.write_bytes_per_s, 1e6);
    EXPECT_LT(s.write_bytes_per_s, 1e12);
    EXPECT_GT(s.read_bytes_per_s, 1e6);
    EXPECT_LT(s.read_bytes_per_s, 1e12);
  }
  EXPECT_GT(r.write_latency_ns, 0);
  EXPECT_GT(r.read_latency_ns, 0);
  EXPECT_LT(r.read_latency_ns, 1'000'000'000);
  // No store file is left behind.
  for (const auto& entry : std::filesystem::directory_iterator(scratch.path))
    ADD_FAILURE() << "left behind: " << entry.path();
}

TEST(RtTierBench, RefusesBadDirectoriesAndSizes) {
  rt::TierBenchOptions o;
  o.directory = "/no/such/strata/dir";
  try {
    rt::check_tier_bench_options(o);
    FAIL() << "a missing directory was accepted";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("/no/such/strata/dir"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--dir"), std::string::npos) << e.what();
  }
  STRATA_REQUIRE_DIRECT_IO_DIR(dir);
  o.directory = dir;
  o.store_bytes = 1ULL << 62;
  try {
    rt::check_tier_bench_options(o);
    FAIL() << "a size beyond the free space was accepted";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("free"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("give --size"), std::string::npos) << e.what();
  }
  o.store_bytes = 8 * kMiB;
  o.block_bytes = {5000};
  EXPECT_THROW(rt::check_tier_bench_options(o), InvalidInput);
  EXPECT_THROW(rt::first_direct_io_directory({"/no/such/strata/dir"}), Unsupported);
}

TEST(CliBench, QuickWritesAPresetThatSimAccepts) {
  STRATA_REQUIRE_DIRECT_IO_DIR(dir);
  ScratchDir scratch(dir);
  const auto preset = scratch.path / "bench-test.toml";
  const auto r = test::run_cli(
      "bench --quick --size 16MiB --json --fast-capacity 2GiB "
      "--host-capacity 3GiB --dir '" +
          scratch.path.string() + "' --out '" + preset.string() + "'",
      false);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j.at("store").size(), 4u);  // 128 KiB and 1 MiB at QD 1 and 32
  EXPECT_EQ(j.at("preset").at("name"), "bench-test");
  const Machine m = load_machine_file(preset);  // parses and validates
  EXPECT_EQ(m.name, "bench-test");
  EXPECT_EQ(m.tiers[*m.find_tier("dram")].capacity_bytes, 2 * kGiB);
  EXPECT_EQ(m.tiers[*m.find_tier("host")].capacity_bytes, 3 * kGiB);
  for (const auto& s : j.at("store")) {
    if (s.at("block_bytes") != 1u << 20 || s.at("queue_depth") != 32) continue;
    EXPECT_NEAR(rate_from(m, "disk", "host"), s.at("read_bytes_per_s").get<double>(), 1e6);
    EXPECT_NEAR(rate_from(m, "host", "disk"), s.at("write_bytes_per_s").get<double>(), 1e6);
  }
  for (const auto& t : m.tiers) {
    EXPECT_GT(t.read_bytes_per_s, 1e6) << t.name;
    EXPECT_GT(t.write_bytes_per_s, 1e6) << t.name;
  }
  const auto sim = test::run_cli("sim model:resnet50 --batch 2 --policy ideal --machine '" +
                                 preset.string() + "'");
  EXPECT_EQ(sim.exit_code, 0) << sim.output;
  EXPECT_NE(sim.output.find("bench-test"), std::string::npos) << sim.output;
}

TEST(CliBench, BadDirIsAClearError) {
  auto r = test::run_cli("bench --quick --dir /no/such/strata/dir");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("'/no/such/strata/dir' is not a directory"), std::string::npos)
      << r.output;
  r = test::run_cli("bench --quick --size 1000TiB");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("give --size"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace strata
