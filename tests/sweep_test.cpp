// Sweeps: the library (run_sweep, early stop, determinism, machine variants), the SVG plot, and
// `strata sweep` end to end (largest batch, value errors).
#include "strata/sim/sweep.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "strata/core/error.hpp"
#include "strata/io/text_file.hpp"
#include "strata/machine/variants.hpp"
#include "strata/models/zoo.hpp"
#include "strata/report/sweep_plot.hpp"
#include "strata/sim/compare.hpp"
#include "support/run.hpp"

namespace strata::sim {
namespace {

using nlohmann::json;

Machine g10_a100() {
  return load_machine("g10-a100", {test::source_dir() / "configs" / "machines"});
}

SweepSetup gpt2_batch_sweep(const char* values) {
  SweepSetup s;
  s.axis = SweepAxis::batch;
  s.values = parse_sweep_values(SweepAxis::batch, values);
  s.policies = {"g10", "g10-plan:/no/such/folder"};
  s.machine = g10_a100();
  s.workload_name = "model:gpt2";
  const ComputeDevice device = s.machine.gpus.at(0).compute;
  s.workload_at_batch = [device](std::uint32_t batch) {
    ModelOptions o;
    o.model = "gpt2";
    o.batch = batch;
    return build_model(o, device);
  };
  return s;
}

TEST(Sweep, ResultsAreTheSameForAnyNumberOfThreads) {
  const SweepSetup setup = gpt2_batch_sweep("8:128:x2");
  ThreadPool one(1), three(3);
  const SweepResult a = run_sweep(setup, one);
  const SweepResult b = run_sweep(setup, three);
  ASSERT_EQ(a.cells.size(), 5u);
  for (std::size_t i = 0; i < a.cells.size(); ++i)
    for (std::size_t p = 0; p < a.policies.size(); ++p) {
      EXPECT_EQ(a.cells[i][p].skipped, b.cells[i][p].skipped) << i << " " << p;
      EXPECT_EQ(a.cells[i][p].report, b.cells[i][p].report) << i << " " << p;
    }
  EXPECT_EQ(sweep_to_json(a, 0.9), sweep_to_json(b, 0.9));
  EXPECT_EQ(sweep_to_text(a, 0.9), sweep_to_text(b, 0.9));
}

TEST(Sweep, EarlyStopSkipsLargerBatchesOnlyAfterTheFirstInfeasibleOne) {
  SweepSetup setup = gpt2_batch_sweep("16:128:x2");
  ThreadPool pool(2);
  std::size_t ticks = 0;
  const SweepResult r = run_sweep(setup, pool, [&](const SweepTick& t) {
    ++ticks;
    EXPECT_EQ(t.total, 8u);
    EXPECT_EQ(t.done, ticks);
  });
  EXPECT_EQ(ticks, 8u);
  ASSERT_TRUE(r.early_stop);
  // g10: feasible at 16, 32, 64, infeasible at 128 (a kernel needs 49 GiB).
  for (std::size_t i = 0; i < 3; ++i) EXPECT_TRUE(r.cells[i][0].report.feasible) << i;
  EXPECT_FALSE(r.cells[3][0].report.feasible);
  EXPECT_FALSE(r.cells[3][0].skipped);
  // The failing policy: its first cell ran and failed, every later one is skipped.
  EXPECT_FALSE(r.cells[0][1].skipped);
  EXPECT_NE(r.cells[0][1].report.infeasible_reason.find("error:"), std::string::npos);
  for (std::size_t i = 1; i < 4; ++i) {
    EXPECT_TRUE(r.cells[i][1].skipped) << i;
    EXPECT_FALSE(r.cells[i][1].report.feasible) << i;
  }
  // Without early stop every cell runs.
  setup.early_stop = false;
  const SweepResult all = run_sweep(setup, pool);
  EXPECT_FALSE(all.early_stop);
  for (const auto& row : all.cells)
    for (const SweepCell& c : row) EXPECT_FALSE(c.skipped);
  EXPECT_NE(all.cells[3][1].report.infeasible_reason.find("error:"), std::string::npos);
}

TEST(Sweep, MachineVariantAtTheBaseValueMatchesTheBaseMachine) {
  SweepSetup s;
  s.axis = SweepAxis::gpu_memory;
  s.values = parse_sweep_values(SweepAxis::gpu_memory, "20GiB,40GiB");
  s.policies = {"g10"};
  s.machine = g10_a100();
  ModelOptions o;
  o.model = "bert_base";
  o.batch = 64;
  o.seq = 512;
  s.workload = build_model(o, s.machine.gpus.at(0).compute);
  ThreadPool pool(2);
  const SweepResult r = run_sweep(s, pool);
  const Vitality v = analyze_vitality(s.workload);
  const Report base = run_policy_spec(s.workload, v, s.machine, "g10", {});
  ASSERT_TRUE(base.feasible);
  EXPECT_EQ(r.cells[1][0].report.iteration_ns, base.iteration_ns);
  // Half the memory: more paging, a lower fraction.
  ASSERT_TRUE(r.cells[0][0].report.feasible);
  EXPECT_LT(r.cells[0][0].report.fraction_of_ideal, base.fraction_of_ideal);
}

TEST(Sweep, SetupsThatCannotWorkAreRejectedBeforeRunning) {
  ThreadPool pool(1);
  SweepSetup s = gpt2_batch_sweep("8,16");
  s.workload_at_batch = nullptr;
  EXPECT_THROW(run_sweep(s, pool), InvalidInput);
  s = gpt2_batch_sweep("8");
  s.axis = SweepAxis::gpus;
  s.values = parse_sweep_values(SweepAxis::gpus, "1,2");  // g10-a100 has one GPU
  s.workload = s.workload_at_batch(8);
  try {
    run_sweep(s, pool);
    ADD_FAILURE() << "expected InvalidInput";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("has 1"), std::string::npos) << e.what();
  }
  s.policies.clear();
  EXPECT_THROW(run_sweep(s, pool), InvalidInput);
}

TEST(SweepPlot, OnePolylinePerPolicyALegendAndMarkedInfeasiblePoints) {
  SweepResult r;
  r.axis = SweepAxis::gpu_memory;
  r.workload = "w<1>";
  r.machine = "m";
  r.values = parse_sweep_values(SweepAxis::gpu_memory, "10GiB:40GiB:+10GiB");
  r.policies = {"ideal", "uvm", "g10"};
  r.cells.assign(4, std::vector<SweepCell>(3));
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t p = 0; p < 3; ++p) {
      Report& rep = r.cells[i][p].report;
      rep.feasible = !(p == 1 && i < 2);  // uvm infeasible at the two smallest
      rep.fraction_of_ideal = 0.25 * static_cast<double>(i + 1) / static_cast<double>(p + 1);
      if (!rep.feasible) rep.infeasible_reason = "too small";
    }
  const std::string svg = sweep_plot_svg(r);
  auto count = [&](const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = svg.find(what); at != std::string::npos; at = svg.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("<polyline"), 3u);
  EXPECT_EQ(count("class=\"infeasible\""), 2u);
  EXPECT_EQ(count("<circle"), 10u);
  const std::size_t legend = svg.find("<g class=\"legend\">");
  ASSERT_NE(legend, std::string::npos);
  for (const char* p : {">ideal<", ">uvm<", ">g10<", "infeasible / skipped"})
    EXPECT_NE(svg.find(p, legend), std::string::npos) << p;
  EXPECT_NE(svg.find("GPU memory (GiB)"), std::string::npos);
  EXPECT_NE(svg.find("fraction of ideal"), std::string::npos);
  EXPECT_NE(svg.find("w&lt;1&gt;"), std::string::npos);  // escaped
  EXPECT_EQ(svg.find("w<1>"), std::string::npos);
  // The uvm line has only its two feasible points.
  // (plain string search: std::regex trips a GCC 12 -Wmaybe-uninitialized false positive at -O1)
  const std::size_t title = svg.find("><title>uvm<");
  ASSERT_NE(title, std::string::npos);
  const std::string points_key = "<polyline class=\"policy\" points=\"";
  const std::size_t line = svg.rfind(points_key, title);
  ASSERT_NE(line, std::string::npos);
  const std::size_t begin = line + points_key.size();
  const std::size_t end = svg.find('"', begin);
  ASSERT_LT(end, title);
  EXPECT_EQ(std::count(svg.begin() + static_cast<std::ptrdiff_t>(begin),
                       svg.begin() + static_cast<std::ptrdiff_t>(end), ','),
            2);
}

TEST(CliSweep, LargestBatchAtAFractionAgreesWithSimAtThatBatchAndTheNext) {
  const auto r = test::run_cli(
      "sweep model:gpt2 --over batch --values 4:64:x2 --policies g10 --min-fraction 0.9 --json "
      "--quiet",
      false);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json j = json::parse(r.output);
  EXPECT_EQ(j["axis"], "batch");
  EXPECT_EQ(j["results"].size(), 5u);
  EXPECT_TRUE(j["results"][0]["value"].is_number_integer());  // batch sizes are counts
  EXPECT_EQ(j["results"][0]["value"], 4);
  const json largest = j["min_fraction"]["largest"]["g10"];
  ASSERT_TRUE(largest.is_object()) << r.output;
  const auto batch = largest["value"].get<std::uint32_t>();
  ASSERT_LT(batch, 64u) << "pick values so that the next one is in the sweep";
  auto fraction_at = [](std::uint32_t b) {
    const auto sim = test::run_cli(
        "sim model:gpt2 --batch " + std::to_string(b) + " --policy g10 --json", false);
    EXPECT_EQ(sim.exit_code, 0) << sim.output;
    const json s = json::parse(sim.output);
    return s["feasible"].get<bool>() ? s["fraction_of_ideal"].get<double>() : 0.0;
  };
  EXPECT_GE(fraction_at(batch), 0.9);
  EXPECT_LT(fraction_at(batch * 2), 0.9);
  // The text form says the same.
  const auto text = test::run_cli(
      "sweep model:gpt2 --over batch --values 4:64:x2 --policies g10 --min-fraction 0.9 -q");
  EXPECT_NE(text.output.find("largest batch at >= 0.9 of ideal:\n  g10"), std::string::npos)
      << text.output;
}

TEST(CliSweep, PlotFileIsWritten) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("strata_sweep_plot_" + std::to_string(::getpid()) + ".svg");
  const auto r = test::run_cli(
      "sweep model:gpt2 --over batch --values 2,4 --policies ideal -q --plot " + path.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string svg = read_text_file(path);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("batch size (samples)"), std::string::npos);
  std::filesystem::remove(path);
}

TEST(CliSweep, BadRequestsExitOneSayingWhatToDo) {
  struct Case {
    std::string args, expected;
  };
  const std::vector<Case> cases = {
      {"model:gpt2 --over batch --values 0,8", "must be positive"},
      {"model:gpt2 --over batch --values=-8", "must be positive"},
      {"model:gpt2 --over batch --values eight", "whole number"},
      {"model:gpt2 --over batch --values 8:64", "start:stop:step"},
      {"model:gpt2 --over batch --values 64:8:x2", "below start"},
      {"model:gpt2 --over gpu-memory --values 20Gib", "unknown unit 'Gib'"},
      {"model:gpt2 --over gpu-memory --values 20", "needs a unit"},
      {"model:gpt2 --over ssd-bandwidth --values 3.2GB", "GB/s"},
      {"model:gpt2 --over batches --values 8", "batch, gpu-memory"},
      {"model:gpt2 --over batch --values 8 --batch 4", "drop --batch"},
      {"model:gpt2 --over gpus --values 1,2", "has 1"},
      {"model:gpt2 --over batch --values 8 --policies ideal,bogus", "'bogus'"},
      {"model:gpt2 --over batch --values ''", "empty"},
  };
  for (const Case& c : cases) {
    const auto r = test::run_cli("sweep " + c.args + " -q");
    EXPECT_EQ(r.exit_code, 1) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.expected), std::string::npos) << c.args << "\n" << r.output;
  }
}

TEST(CliSweep, BatchOnATraceIsAClearError) {
  STRATA_REQUIRE_G10();
  const auto r = test::run_cli("sweep g10:" + test::g10_folders().front().string() +
                               " --over batch --values 8,16 -q");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("fixed batch size"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace strata::sim
