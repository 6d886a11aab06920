#include "strata/io/workload_json.hpp"

#include <gtest/gtest.h>

#include <random>

#include "strata/core/error.hpp"
#include "strata/io/g10_trace.hpp"
#include "support/paths.hpp"

namespace strata {
namespace {

Workload random_workload(std::mt19937_64& rng) {
  Workload w;
  w.name = "random \"quoted\" name";
  if (rng() % 2) w.parameters = rng();
  const std::uint32_t tensors = 1 + rng() % 50;
  for (std::uint32_t t = 0; t < tensors; ++t)
    w.tensors.push_back({t, "tensor." + std::to_string(t), rng(),
                         static_cast<TensorKind>(rng() % kTensorKindCount), rng() % 2 == 0});
  for (std::uint32_t k = 0; k < 1 + rng() % 40 || k < tensors; ++k) {
    Kernel kernel{k,
                  "k" + std::to_string(k),
                  "op" + std::to_string(rng() % 5),
                  static_cast<Phase>(rng() % 3),
                  static_cast<std::int64_t>(rng() >> 1),
                  rng(),
                  rng(),
                  {},
                  {},
                  rng(),
                  {},
                  {}};
    if (rng() % 2)  // measured page-fault times on some kernels (G10 traces carry them)
      kernel.pf_times = PageFaultTimes{static_cast<std::int64_t>(rng() >> 1),
                                       static_cast<std::int64_t>(rng() >> 1)};
    kernel.inputs.push_back(k % tensors);  // every tensor used
    if (rng() % 2) kernel.outputs.push_back(static_cast<TensorId>(rng() % tensors));
    if (rng() % 4 == 0) {  // a state update (batch norm's running statistics): read and written
      kernel.outputs.push_back(k % tensors);
      kernel.state_updates.push_back(k % tensors);
    }
    w.kernels.push_back(kernel);
  }
  return w;
}

TEST(WorkloadJson, RandomWorkloadsRoundTripExactly) {
  std::mt19937_64 rng(std::random_device{}());
  for (int trial = 0; trial < 30; ++trial) {
    const Workload w = random_workload(rng);
    EXPECT_EQ(workload_from_json(workload_to_json(w), "test"), w);
    EXPECT_EQ(workload_from_json(workload_to_json(w, -1), "test"), w);
  }
}

TEST(WorkloadJson, G10WorkloadsRoundTripExactly) {
  STRATA_REQUIRE_G10();
  const Workload w = load_g10_folder(test::g10_folders().front());
  EXPECT_EQ(workload_from_json(workload_to_json(w), "test"), w);
}

std::string error_of(const std::string& text) {
  try {
    workload_from_json(text, "w.json");
  } catch (const InvalidInput& e) {
    return e.what();
  }
  return "";
}

TEST(WorkloadJson, BadInputNamesThePath) {
  const std::string good = R"({"format":"strata.workload","version":1,"name":"n",
    "tensors":[{"id":0,"name":"a","bytes":4,"kind":"activation","persistent":false}],
    "kernels":[{"id":0,"name":"k","op":"relu","phase":"forward","duration_ns":5,"flops":1,
      "bytes_accessed":8,"inputs":[],"outputs":[0],"workspace_bytes":0}]})";
  EXPECT_EQ(error_of(good), "");
  auto with = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return error_of(s);
  };
  EXPECT_NE(with("\"bytes\":4", "\"bytes\":-4").find("$.tensors[0].bytes"), std::string::npos);
  EXPECT_NE(with("\"bytes\":4,", "").find("$.tensors[0].bytes is missing"), std::string::npos);
  EXPECT_NE(with("\"activation\"", "\"activations\"").find("$.tensors[0].kind"), std::string::npos);
  EXPECT_NE(with("\"forward\"", "\"sideways\"").find("$.kernels[0].phase"), std::string::npos);
  EXPECT_NE(with("\"outputs\":[0]", "\"outputs\":[3]").find("tensor 3, which does not exist"),
            std::string::npos);
  EXPECT_NE(with("\"version\":1", "\"version\":9").find("reads version 1"), std::string::npos);
  EXPECT_NE(with("\"duration_ns\":5", "\"duration_ns\":-5").find("negative"), std::string::npos);
  EXPECT_NE(with("\"id\":0,\"name\":\"k\"", "\"id\":4,\"name\":\"k\"").find("$.kernels[0].id"),
            std::string::npos);
  EXPECT_NE(with("\"inputs\":[]", "\"inputs\":[]]").find("w.json:4:"),
            std::string::npos);  // syntax: line
  EXPECT_NE(with("\"outputs\":[0]", "\"outputs\":[]").find("used by no kernel"), std::string::npos);
  // A state update must be read and written in place; k only writes tensor 0.
  EXPECT_NE(with("\"workspace_bytes\":0", "\"workspace_bytes\":0,\"state_updates\":[0]")
                .find("not among both its inputs and its outputs"),
            std::string::npos);
  EXPECT_NE(with("\"workspace_bytes\":0", "\"workspace_bytes\":0,\"state_updates\":[7]")
                .find("tensor 7, which does not exist"),
            std::string::npos);
}

}  // namespace
}  // namespace strata
