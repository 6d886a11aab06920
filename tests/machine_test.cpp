#include "strata/machine/machine.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "strata/core/error.hpp"

namespace strata {
namespace {

const std::filesystem::path kPresetDir =
    std::filesystem::path(STRATA_SOURCE_DIR) / "configs" / "machines";

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

Machine preset(std::string_view name) { return load_machine(name, {kPresetDir}); }

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InvalidInput& e) {
    return e.what();
  }
  return "(no InvalidInput thrown)";
}

TEST(MachinePresets, EveryPresetLoadsValidatesAndDescribes) {
  const std::vector<std::string> names = list_presets({kPresetDir});
  for (const char* expected : {"g10-a100", "a100-80g-pcie4", "h100-80g-pcie5", "h100x8-node",
                               "a100x4-pcie-switch", "h200", "dram-optane", "cpu-local"})
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    const Machine m = preset(name);
    EXPECT_EQ(m.name, name);
    EXPECT_NO_THROW(validate(m));
    EXPECT_FALSE(m.description.empty());
    const std::string text = describe(m);
    EXPECT_NE(text.find(name), std::string::npos);
    EXPECT_NE(text.find("Fault model"), std::string::npos);
    // Every GPU's memory is a device tier that some link connects to the rest of the machine.
    for (const Gpu& g : m.gpus) {
      EXPECT_EQ(m.tiers[g.memory].kind, TierKind::device);
      EXPECT_FALSE(m.links_of(g.memory).empty()) << g.name;
      EXPECT_EQ(m.gpu_of(g.memory), m.find_gpu(g.name));
    }
  }
}

TEST(MachinePresets, PathAndPresetNameLoadTheSame) {
  EXPECT_EQ(preset("h200"), load_machine((kPresetDir / "h200.toml").string(), {}));
  EXPECT_EQ(preset("h200"), load_machine_file(kPresetDir / "h200.toml"));
}

TEST(MachinePresets, G10MatchesG10sConfigurationExactly) {
  const Machine m = preset("g10-a100");
  ASSERT_EQ(m.gpus.size(), 1u);
  const Gpu& gpu = m.gpus[0];
  const Tier& hbm = m.tiers[gpu.memory];
  // G10 reads GB as 2^30 for capacities (simulationComponents.cc) ...
  EXPECT_EQ(hbm.capacity_bytes, 40ull << 30);
  ASSERT_TRUE(m.host_tier());
  const Tier& host = m.tiers[*m.host_tier()];
  EXPECT_EQ(host.capacity_bytes, 128ull << 30);
  // ... and as 1e9 for bandwidths.
  const auto host_link = m.link_between(gpu.memory, *m.host_tier());
  ASSERT_TRUE(host_link);
  EXPECT_DOUBLE_EQ(m.links[*host_link].bytes_per_s, 15.754e9);
  ASSERT_EQ(m.ssd_tiers().size(), 1u);
  const TierId ssd = m.ssd_tiers()[0];
  EXPECT_DOUBLE_EQ(m.tiers[ssd].read_bytes_per_s, 3.2e9);
  EXPECT_DOUBLE_EQ(m.tiers[ssd].write_bytes_per_s, 3.2e9);
  EXPECT_EQ(m.tiers[ssd].read_latency_ns, 12'000);
  EXPECT_EQ(m.tiers[ssd].write_latency_ns, 16'000);
  // GPU-SSD direct, sharing the GPU's one PCIe port with the host link; no host-SSD path.
  const auto ssd_link = m.link_between(gpu.memory, ssd);
  ASSERT_TRUE(ssd_link);
  EXPECT_DOUBLE_EQ(m.links[*ssd_link].bytes_per_s, 3.2e9);
  EXPECT_FALSE(m.link_between(*m.host_tier(), ssd));
  const auto port = m.find_bus("gpu0-pcie");
  ASSERT_TRUE(port);
  EXPECT_DOUBLE_EQ(m.buses[*port].bytes_per_s, 15.754e9);
  EXPECT_EQ(m.links[*host_link].buses, std::vector<BusId>{*port});
  EXPECT_EQ(m.links[*ssd_link].buses, std::vector<BusId>{*port});
  EXPECT_EQ(m.links[*host_link].latency_ns, 0);
  // Fault model and clock.
  EXPECT_EQ(m.fault.page_bytes, 4096u);
  EXPECT_EQ(m.fault.batch_pages, 50u);
  EXPECT_EQ(m.fault.batch_latency_ns, 12'300);      // calibrated, docs/fault_model.md
  EXPECT_EQ(m.fault.far_fault_latency_ns, 45'000);  // system_latency_us (measured fault model)
  EXPECT_EQ(m.fault.ssd_fault_latency_ns, 20'000);  // SSD_latency_us
  EXPECT_DOUBLE_EQ(gpu.clock_hz, 1.2e9);
  // A100 rates.
  EXPECT_DOUBLE_EQ(gpu.compute.fp32_flops_per_s, 19.5e12);
  EXPECT_DOUBLE_EQ(gpu.tf32_flops_per_s, 156e12);
  EXPECT_DOUBLE_EQ(gpu.compute.fp16_flops_per_s, 312e12);
  EXPECT_DOUBLE_EQ(gpu.compute.bf16_flops_per_s, 312e12);
  EXPECT_DOUBLE_EQ(gpu.compute.memory_bytes_per_s, 1555e9);
  // Transfer estimates: 1 GB from the SSD to the GPU takes the SSD's read latency plus 1/3.2 s.
  EXPECT_DOUBLE_EQ(uncontended_bytes_per_s(m, *ssd_link, ssd), 3.2e9);
  EXPECT_EQ(uncontended_transfer_ns(m, *ssd_link, ssd, 1'000'000'000), 12'000 + 312'500'000);
  EXPECT_EQ(uncontended_transfer_ns(m, *ssd_link, gpu.memory, 3'200), 16'000 + 1'000);
  EXPECT_THROW(uncontended_bytes_per_s(m, *ssd_link, *m.host_tier()), InvalidInput);
}

TEST(MachinePresets, FourA100sShareOneSwitchUplink) {
  const Machine m = preset("a100x4-pcie-switch");
  ASSERT_EQ(m.gpus.size(), 4u);
  const TierId host = m.host_tier().value();
  const TierId nvme = m.ssd_tiers().at(0);
  const auto uplink = m.find_bus("pcie-switch");
  ASSERT_TRUE(uplink);
  EXPECT_DOUBLE_EQ(m.buses[*uplink].bytes_per_s, 25e9);
  for (const Gpu& g : m.gpus) {
    SCOPED_TRACE(g.name);
    EXPECT_EQ(m.tiers[g.memory].capacity_bytes, 40ull << 30);
    // Both the host link and GPUDirect Storage cross the GPU's own port and the one uplink.
    for (TierId lower : {host, nvme}) {
      const auto link = m.link_between(g.memory, lower);
      ASSERT_TRUE(link);
      EXPECT_FALSE(m.links[*link].direct_access);
      const auto& buses = m.links[*link].buses;
      EXPECT_NE(std::find(buses.begin(), buses.end(), *uplink), buses.end());
      EXPECT_NE(std::find(buses.begin(), buses.end(), m.find_bus(g.name + "-pcie").value()),
                buses.end());
    }
  }
}

TEST(MachinePresets, H100NodeHasEightGpusInSwitchPairs) {
  const Machine m = preset("h100x8-node");
  ASSERT_EQ(m.gpus.size(), 8u);
  const TierId host = m.host_tier().value();
  // The shared switch bus of each GPU's host link (its pcie-switch* bus).
  std::vector<BusId> switch_of;
  for (std::size_t i = 0; i < m.gpus.size(); ++i) {
    const Gpu& g = m.gpus[i];
    EXPECT_EQ(g.name, "gpu" + std::to_string(i));
    EXPECT_EQ(m.tiers[g.memory].name, g.name + "-hbm");
    EXPECT_EQ(m.tiers[g.memory].capacity_bytes, 80ull << 30);
    const auto link = m.link_between(g.memory, host);
    ASSERT_TRUE(link);
    EXPECT_TRUE(m.links[*link].direct_access);
    std::vector<BusId> switches;
    for (BusId b : m.links[*link].buses)
      if (m.buses[b].name.starts_with("pcie-switch")) switches.push_back(b);
    ASSERT_EQ(switches.size(), 1u) << g.name;
    switch_of.push_back(switches[0]);
    // The GPUDirect Storage path crosses the same switch.
    const auto gds = m.link_between(g.memory, m.ssd_tiers().at(0));
    ASSERT_TRUE(gds);
    const auto& gds_buses = m.links[*gds].buses;
    EXPECT_NE(std::find(gds_buses.begin(), gds_buses.end(), switches[0]), gds_buses.end());
  }
  for (std::size_t i = 0; i < 8; ++i)
    for (std::size_t j = 0; j < 8; ++j)
      EXPECT_EQ(switch_of[i] == switch_of[j], i / 2 == j / 2) << i << " " << j;
  // Eight striped NVMe drives with their own lanes.
  const Tier& nvme = m.tiers[m.ssd_tiers().at(0)];
  EXPECT_EQ(nvme.drives, 8u);
  EXPECT_DOUBLE_EQ(nvme.read_bytes_per_s, 8 * 7.0e9);
  EXPECT_GT(nvme.read_bytes_per_s, nvme.write_bytes_per_s);
  EXPECT_TRUE(m.find_bus("nvme-lanes"));
  EXPECT_GE(static_cast<double>(m.tiers[host].capacity_bytes), 2048 * kGiB);
}

TEST(MachinePresets, CpuMachinesUseDramAsTheDeviceTier) {
  const Machine optane = preset("dram-optane");
  const Gpu& cpu = optane.gpus.at(0);
  EXPECT_EQ(optane.tiers[cpu.memory].name, "dram");
  const auto pmem = optane.tiers_of_kind(TierKind::pmem);
  ASSERT_EQ(pmem.size(), 1u);
  EXPECT_LT(optane.tiers[pmem[0]].write_bytes_per_s, optane.tiers[pmem[0]].read_bytes_per_s);
  const auto link = optane.link_between(pmem[0], cpu.memory);
  ASSERT_TRUE(link);
  EXPECT_TRUE(optane.links[*link].direct_access);
  // Evicting to Optane is bound by its write rate, fetching by its read rate.
  EXPECT_DOUBLE_EQ(uncontended_bytes_per_s(optane, *link, cpu.memory), 13.9e9);
  EXPECT_DOUBLE_EQ(uncontended_bytes_per_s(optane, *link, pmem[0]), 39.4e9);

  const Machine local = preset("cpu-local");
  EXPECT_EQ(local.tiers[local.gpus.at(0).memory].kind, TierKind::device);
  EXPECT_TRUE(local.host_tier());
  EXPECT_EQ(local.ssd_tiers().size(), 1u);
}

TEST(MachineLoad, UnknownPresetListsThePresets) {
  const std::string msg = error_of([] { preset("h900"); });
  EXPECT_NE(msg.find("unknown machine preset 'h900'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("g10-a100"), std::string::npos) << msg;
  EXPECT_NE(msg.find("h100x8-node"), std::string::npos) << msg;
  EXPECT_NE(msg.find(kPresetDir.string()), std::string::npos) << msg;
  EXPECT_THROW(load_machine("no/such/machine.toml", {kPresetDir}), IoError);
  EXPECT_THROW(load_machine_file("/nonexistent.toml"), IoError);
}

// A small valid machine; the bad inputs below change one line of it (1-based line numbers).
const std::vector<std::string> kBase = {
    R"(name = "bad")",                                   // 1
    R"([fault])",                                        // 2
    R"(page_bytes = 4096)",                              // 3
    R"(batch_pages = 1)",                                // 4
    R"(batch_latency_us = 10)",                          // 5
    R"([[tier]])",                                       // 6
    R"(name = "host")",                                  // 7
    R"(kind = "host")",                                  // 8
    R"(capacity_gib = 16)",                              // 9
    R"(gb_per_s = 20)",                                  // 10
    R"([[gpu]])",                                        // 11
    R"(name = "gpu0")",                                  // 12
    R"(fp32_tflops = 10)",                               // 13
    R"(memory = { capacity_gib = 8, gb_per_s = 900 })",  // 14
    R"([[gpu.link]])",                                   // 15
    R"(to = "host")",                                    // 16
    R"(gb_per_s = 12)",                                  // 17
};

std::string base_with(std::size_t line, const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < kBase.size(); ++i) {
    if (i + 1 == line) {
      out += text;
      if (!text.empty()) out += "\n";
    } else {
      out += kBase[i] + "\n";
    }
  }
  if (line > kBase.size()) out += text + "\n";
  return out;
}

TEST(MachineToml, BaseIsValid) {
  const Machine m = parse_machine_toml(base_with(0, ""), "bad.toml");
  EXPECT_EQ(m.gpus.size(), 1u);
  EXPECT_EQ(m.tiers[m.gpus[0].memory].name, "gpu0-hbm");
  EXPECT_EQ(m.links.at(0).name, "gpu0-hbm<->host");
  EXPECT_EQ(m.fault.far_fault_latency_ns, 0);  // measured fault model: SSD scale 1 by default
  EXPECT_EQ(m.fault.ssd_fault_latency_ns, 0);
}

struct BadCase {
  const char* what;
  std::size_t line_to_change;  // replaced by `text`; past the end: appended
  std::string text;
  std::string expected_location;  // "bad.toml:<line>:"
  std::string expected_text;
};

TEST(MachineToml, BadInputsNameFileLineKeyAndFix) {
  const std::vector<BadCase> cases = {
      {"unknown key", 18, "colour = \"red\"", "bad.toml:18:", "unknown key 'colour'"},
      {"misspelt required key", 10, "read_gbps = 20",
       "bad.toml:10:", "did you mean 'read_gb_per_s'"},
      {"missing field", 8, "", "bad.toml:6:", "missing required key 'kind'"},
      {"missing bandwidth", 17, "", "bad.toml:15:", "missing required key"},
      {"negative bandwidth", 17, "gb_per_s = -12",
       "bad.toml:17:", "gb_per_s = -12 is not positive"},
      {"zero bandwidth", 10, "gb_per_s = 0", "bad.toml:10:", "gb_per_s = 0 is not positive"},
      {"zero capacity", 9, "capacity_gib = 0", "bad.toml:9:", "capacity_gib = 0 is not positive"},
      {"unknown tier reference", 16, "to = \"ssd\"", "bad.toml:16:", "to = \"ssd\" is not a tier"},
      {"unknown bus reference", 18, "buses = [\"pcie9\"]",
       "bad.toml:18:", "bus 'pcie9' is not defined"},
      {"syntax error", 13, "fp32_tflops = = 10", "bad.toml:13:", "TOML syntax error"},
      {"wrong type (string for number)", 9, "capacity_gib = \"16\"",
       "bad.toml:9:", "capacity_gib is a string, expected a number"},
      {"wrong type (number for table)", 14, "memory = 8",
       "bad.toml:14:", "memory is an integer, expected a table or a tier name"},
      {"wrong type (float for integer)", 4, "batch_pages = 1.5",
       "bad.toml:4:", "batch_pages is a floating-point number, expected an integer"},
      {"two units for one quantity", 10, "gb_per_s = 20\nmb_per_s = 20000",
       "bad.toml:11:", "both gb_per_s and mb_per_s are given"},
      {"efficiency out of range", 13, "fp32_tflops = 10\ncompute_efficiency = 1.5",
       "bad.toml:14:", "compute_efficiency = 1.5 is outside (0, 1]"},
      {"page size not a power of two", 3, "page_bytes = 5000", "bad.toml:2:", "power of two"},
      {"negative SSD fault latency", 5, "batch_latency_us = 10\nssd_fault_latency_us = -1",
       "bad.toml:6:", "ssd_fault_latency_us = -1 is not zero or more"},
      {"missing [fault]", 2, "[faults]", "bad.toml:2:", "unknown key 'faults'"},
      {"unknown tier kind", 8, "kind = \"tape\"",
       "bad.toml:8:", "kind = \"tape\" is not a tier kind"},
      {"duplicate tier name", 18,
       "[[tier]]\nname = \"host\"\nkind = \"ssd\"\ncapacity_gib = 1\ngb_per_s = 1",
       "bad.toml:18:", "tier 'host': the name is used twice"},
      {"link from slower to faster", 18,
       "[[link]]\nfrom = \"host\"\nto = \"gpu0-hbm\"\ngb_per_s = 1",
       "bad.toml:18:", "swap from and to"},
      {"{switch} without a switch", 18, "buses = [\"{switch}\"]",
       "bad.toml:18:", "uses {switch} but the GPU has no switch"},
      {"gpu memory names a host tier", 14, "memory = \"host\"",
       "bad.toml:14:", "memory tier 'host' is a host tier"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string text = base_with(c.line_to_change, c.text);
    const std::string msg = error_of([&] { parse_machine_toml(text, "bad.toml"); });
    EXPECT_EQ(msg.rfind(c.expected_location, 0), 0u) << msg << "\n--- input ---\n" << text;
    EXPECT_NE(msg.find(c.expected_text), std::string::npos) << msg;
    EXPECT_NE(msg.find("; "), std::string::npos) << "no advice in: " << msg;
  }
}

TEST(MachineToml, MissingFaultTableIsReported) {
  std::string text;
  for (std::size_t i = 0; i < kBase.size(); ++i)
    if (i < 1 || i > 4) text += kBase[i] + "\n";
  const std::string msg = error_of([&] { parse_machine_toml(text, "bad.toml"); });
  EXPECT_EQ(msg.rfind("bad.toml:1:", 0), 0u) << msg;
  EXPECT_NE(msg.find("no [fault] table"), std::string::npos) << msg;
}

TEST(MachineToml, CountExpandsGpusWithTheirOwnTiersLinksAndSwitches) {
  const std::string text = R"(name = "pair"
[fault]
page_kib = 64
batch_pages = 16
batch_latency_us = 20
[[bus]]
name = "sw"
count = 2
gb_per_s = 25
[[tier]]
name = "host"
kind = "host"
capacity_gib = 64
gb_per_s = 100
[[gpu]]
count = 4
fp32_tflops = 10
memory = { capacity_gib = 16, gb_per_s = 800 }
pcie_gb_per_s = 25
switch = ["sw0", "sw0", "sw1", "sw1"]
[[gpu.link]]
name = "{gpu}-up"
to = "host"
gb_per_s = 25
buses = ["{gpu}-pcie", "{switch}"]
)";
  const Machine m = parse_machine_toml(text, "pair.toml");
  ASSERT_EQ(m.gpus.size(), 4u);
  EXPECT_EQ(m.fault.page_bytes, 65536u);
  for (std::size_t i = 0; i < 4; ++i) {
    const auto link = m.find_link("gpu" + std::to_string(i) + "-up");
    ASSERT_TRUE(link);
    const Link& l = m.links[*link];
    EXPECT_EQ(l.from, m.gpus[i].memory);
    ASSERT_EQ(l.buses.size(), 2u);
    EXPECT_EQ(m.buses[l.buses[0]].name, "gpu" + std::to_string(i) + "-pcie");
    EXPECT_EQ(m.buses[l.buses[1]].name, i < 2 ? "sw0" : "sw1");
  }
}

TEST(MachineValidate, HandBuiltMachinesAreChecked) {
  Machine m = parse_machine_toml(base_with(0, ""), "bad.toml");
  EXPECT_NO_THROW(validate(m));

  Machine orphan = m;
  orphan.tiers.push_back({"stray", TierKind::device, 1 << 20, 1e9, 1e9, 0, 0, 1});
  std::string msg = error_of([&] { validate(orphan); });
  EXPECT_NE(msg.find("machine 'bad': tier 'stray'"), std::string::npos) << msg;

  Machine twice = m;
  twice.links.push_back(twice.links[0]);
  twice.links.back().name = "again";
  msg = error_of([&] { validate(twice); });
  EXPECT_NE(msg.find("a second link between"), std::string::npos) << msg;

  Machine slow = m;
  slow.links[0].bytes_per_s = 0;
  EXPECT_THROW(validate(slow), InvalidInput);

  Machine no_gpu = m;
  no_gpu.gpus.clear();
  no_gpu.tiers.pop_back();  // the GPU's HBM, now orphaned
  no_gpu.links.clear();
  msg = error_of([&] { validate(no_gpu); });
  EXPECT_NE(msg.find("no GPU"), std::string::npos) << msg;
}

TEST(MachineKinds, RoundTrip) {
  for (TierKind k : {TierKind::device, TierKind::host, TierKind::ssd, TierKind::pmem})
    EXPECT_EQ(parse_tier_kind(to_string(k)), k);
  EXPECT_THROW(parse_tier_kind("tape"), InvalidInput);
}

}  // namespace
}  // namespace strata
