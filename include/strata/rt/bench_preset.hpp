#pragma once
/// @file bench_preset.hpp
/// @brief Turns a tier benchmark (tier_bench.hpp) into a machine preset in the TOML schema of
/// configs/machines/ (docs/machines.md), so `strata sim --machine <file.toml>` and the planners
/// target the machine the runtime runs on.
///
/// Note [measured preset]: the preset has the shape of cpu-local.toml. Its device tier "dram" is
/// the device arena, "host" the pinned host memory, "disk" the byte store. Links carry one rate
/// per direction, so the asymmetry lives in the tiers (uncontended_bytes_per_s takes the least
/// of the link, the source's read rate and the destination's write rate): dram reads at the
/// Mover's arena->host rate and writes at its host->arena rate, host the other way round, and
/// the links are as fast as the faster direction. The disk reads and writes at the store's rates
/// with the FileByteStore defaults (1 MiB stripes, queue depth 32: what the runtime's store
/// uses), or, where that pair was not measured, the best measured; its latencies are the 4 KiB
/// queue-depth-1 medians. The memory bus (not full duplex) carries twice the faster memcpy rate
/// (a copy reads and writes it). The compute device and the fault model are not measured: they
/// are cpu-local's assumptions (32 FP32 FLOP/cycle per core at an assumed 3.0 GHz, BF16 twice
/// that; 5 us per 4 KiB fault), scaled to the core count given. The text is deterministic.

#include <cstdint>
#include <string>

#include "strata/rt/tier_bench.hpp"

namespace strata::rt {

/// @brief What the preset says beyond the measurements.
struct BenchPresetOptions {
  std::string name = "local-measured";    ///< the preset's name (a file stem, by convention)
  std::string note;                       ///< one line for the header comment (e.g. the date)
  std::uint64_t fast_capacity_bytes = 0;  ///< the arena budget (the "GPU memory")
  std::uint64_t host_capacity_bytes = 0;  ///< pinned host memory
  std::uint64_t ssd_capacity_bytes = 0;   ///< the byte store's capacity
  std::uint32_t cpu_cores = 1;            ///< cores of the compute device
};

/// @brief The block size and queue depth whose rates go into the disk tier (FileByteStore's
/// defaults).
inline constexpr std::uint64_t kPresetStoreBlockBytes = 1ULL << 20;
inline constexpr std::uint32_t kPresetStoreQueueDepth = 32;

/// @brief The store measurement the preset uses: (kPresetStoreBlockBytes,
/// kPresetStoreQueueDepth) if measured, else the one with the highest read + write rate.
/// Throws InvalidInput when `result` holds no store measurement.
StoreMeasurement preset_store_measurement(const TierBenchResult& result);

/// @brief The preset as TOML text (see Note [measured preset]), with comments giving every
/// measured figure. Throws InvalidInput for a zero capacity, an empty name, or a result
/// without the two memcpy directions or any store measurement.
std::string bench_preset_toml(const TierBenchResult& result, const BenchPresetOptions& options);

}  // namespace strata::rt
