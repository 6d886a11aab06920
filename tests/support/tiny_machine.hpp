#pragma once
// One GPU and host memory joined by one link of 1 GB/s (1 byte per ns) with 1 us latency; the
// tiers are fast so the link is the only bottleneck. For simulator tests with exact answers.
#include <cstdint>

#include "strata/machine/machine.hpp"

namespace strata::test {

inline Machine tiny_machine(std::uint64_t device_bytes, std::int64_t fault_latency_ns = 0,
                            std::uint32_t fault_batch_pages = 1) {
  constexpr double kGBps = 1e9;
  Machine m;
  m.name = "tiny";
  m.tiers = {
      {"hbm", TierKind::device, device_bytes, 1000 * kGBps, 1000 * kGBps, 0, 0, 1},
      {"host", TierKind::host, 1ULL << 40, 1000 * kGBps, 1000 * kGBps, 0, 0, 1},
  };
  m.gpus = {Gpu{"gpu0", {}, 0, 0, 0}};
  m.gpus[0].compute.fp32_flops_per_s = 1e13;
  m.gpus[0].compute.memory_bytes_per_s = 1000 * kGBps;
  m.links = {{"hbm<->host", 0, 1, 1 * kGBps, 1'000, {}, false}};
  m.fault = {4096, fault_batch_pages, fault_latency_ns};
  validate(m);
  return m;
}

}  // namespace strata::test
