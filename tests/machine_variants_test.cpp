// Machine variants: copies with GPU memory, host memory or SSD bandwidth changed.
#include <gtest/gtest.h>

#include "strata/core/error.hpp"
#include "strata/machine/variants.hpp"

namespace strata {
namespace {

const std::filesystem::path kPresetDir =
    std::filesystem::path(STRATA_SOURCE_DIR) / "configs" / "machines";
constexpr std::uint64_t kGiB = 1ULL << 30;

Machine preset(std::string_view name) { return load_machine(name, {kPresetDir}); }

TEST(MachineVariants, GpuMemoryChangesEveryGpuAndNothingElse) {
  const Machine base = preset("h100x8-node");
  const Machine m = with_gpu_memory(base, 24 * kGiB);
  ASSERT_EQ(m.gpus.size(), 8u);
  for (const Gpu& g : m.gpus) EXPECT_EQ(m.tiers[g.memory].capacity_bytes, 24 * kGiB);
  Machine back = m;
  for (const Gpu& g : back.gpus) back.tiers[g.memory].capacity_bytes = 80 * kGiB;
  back.name = base.name;
  EXPECT_EQ(back, base);  // only the capacities (and the name) changed
  EXPECT_NE(m.name.find("gpu memory 24.00 GiB"), std::string::npos) << m.name;
  EXPECT_EQ(base.tiers[base.gpus[0].memory].capacity_bytes, 80 * kGiB);  // input untouched
}

TEST(MachineVariants, HostMemoryChangesTheHostTier) {
  const Machine base = preset("g10-a100");
  const Machine m = with_host_memory(base, 32 * kGiB);
  EXPECT_EQ(m.tiers[*m.host_tier()].capacity_bytes, 32 * kGiB);
  EXPECT_EQ(m.tiers[m.gpus[0].memory].capacity_bytes, 40 * kGiB);
}

TEST(MachineVariants, SsdBandwidthReachesTierLinksAndOwnLanesButNotSharedBuses) {
  const Machine base = preset("h100x8-node");
  const Machine m = with_ssd_bandwidth(base, 20e9);
  const TierId nvme = m.ssd_tiers().at(0);
  EXPECT_EQ(m.tiers[nvme].read_bytes_per_s, 20e9);
  EXPECT_EQ(m.tiers[nvme].write_bytes_per_s, 20e9);
  for (const Link& l : m.links) {
    if (l.to == nvme) {
      EXPECT_EQ(l.bytes_per_s, 20e9) << l.name;
    }
  }
  EXPECT_EQ(m.buses[*m.find_bus("nvme-lanes")].bytes_per_s, 20e9);
  EXPECT_EQ(m.buses[*m.find_bus("pcie-switch0")].bytes_per_s,
            base.buses[*base.find_bus("pcie-switch0")].bytes_per_s);
  EXPECT_EQ(m.buses[*m.find_bus("gpu0-pcie")].bytes_per_s,
            base.buses[*base.find_bus("gpu0-pcie")].bytes_per_s);
  // The host link is not an SSD link.
  const LinkId host_link = *m.link_between(m.gpus[0].memory, *m.host_tier());
  EXPECT_EQ(m.links[host_link].bytes_per_s, base.links[host_link].bytes_per_s);

  // G10's machine: the one SSD rate is the knob G10 sweeps.
  const Machine g10 = with_ssd_bandwidth(preset("g10-a100"), 6.4e9);
  const LinkId ssd_link = *g10.link_between(g10.gpus[0].memory, g10.ssd_tiers().at(0));
  EXPECT_EQ(g10.links[ssd_link].bytes_per_s, 6.4e9);
  EXPECT_EQ(uncontended_bytes_per_s(g10, ssd_link, g10.gpus[0].memory), 6.4e9);
}

TEST(MachineVariants, ImpossibleChangesSayWhatIsWrong) {
  const Machine base = preset("g10-a100");
  EXPECT_THROW(with_gpu_memory(base, 0), InvalidInput);
  EXPECT_THROW(with_host_memory(base, 0), InvalidInput);
  EXPECT_THROW(with_ssd_bandwidth(base, 0), InvalidInput);
  EXPECT_THROW(with_ssd_bandwidth(base, -1e9), InvalidInput);
  Machine stripped = base;
  std::erase_if(stripped.links,
                [&](const Link& l) { return stripped.tiers[l.to].kind == TierKind::ssd; });
  const TierId ssd = stripped.ssd_tiers().at(0);
  stripped.tiers[ssd].kind = TierKind::pmem;  // no SSD tier left
  try {
    with_ssd_bandwidth(stripped, 1e9);
    ADD_FAILURE() << "expected InvalidInput";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("no SSD tier"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace strata
