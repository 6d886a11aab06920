#pragma once
/// @file machine.hpp
/// @brief The machine model: compute devices (GPUs, or CPU sockets), memory tiers, the links
/// that move bytes between tiers, the buses those links share, and the page-fault model. Plain
/// values; loaded from TOML presets in configs/machines/ (schema: docs/machines.md).
///
/// Note [link direction]: a Link joins two tiers and is full duplex: `bytes_per_s` is available
/// in each direction at once. A transfer from `from` to `to` runs in the link's *forward*
/// direction and uses the forward direction of every Bus the link crosses; a transfer from `to`
/// to `from` runs in reverse. Links always go from the faster tier to the slower one (device,
/// then host, then pmem, then ssd; validate() checks it), so everywhere forward means "toward
/// slower storage" (an eviction) and reverse means "toward the device" (a fetch). Two GPUs'
/// evictions through one PCIe switch therefore compete on the same direction of its uplink,
/// while one GPU's eviction and another's fetch do not. A Bus that is not full duplex (a memory
/// bus) shares its bandwidth between both directions.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "strata/machine/compute_device.hpp"

namespace strata {

using TierId = std::uint32_t;
using BusId = std::uint32_t;
using LinkId = std::uint32_t;
using GpuId = std::uint32_t;

/// @brief What a memory tier is made of. `device` is a GPU's HBM or, on a CPU machine, the fast
/// DRAM arena; `pmem` is byte-addressable persistent memory (Optane-like).
enum class TierKind : std::uint8_t { device, host, ssd, pmem };

std::string_view to_string(TierKind k);
/// @brief Parses "device", "host", "ssd" or "pmem"; throws InvalidInput listing them.
TierKind parse_tier_kind(std::string_view text);

/// @brief One memory tier. Capacity and bandwidths are totals over all its drives.
struct Tier {
  std::string name;
  TierKind kind = TierKind::host;
  std::uint64_t capacity_bytes = 0;
  double read_bytes_per_s = 0;   ///< the medium's read rate (an SSD reads faster than it writes)
  double write_bytes_per_s = 0;  ///< the medium's write rate
  std::int64_t read_latency_ns = 0;
  std::int64_t write_latency_ns = 0;
  std::uint32_t drives = 1;  ///< drives striped together (an SSD tier of several NVMe drives)

  friend bool operator==(const Tier&, const Tier&) = default;
};

/// @brief A compute device and its fast memory. On a CPU machine the "GPU" is the CPU socket and
/// `memory` is its DRAM tier.
struct Gpu {
  std::string name;
  ComputeDevice compute;
  TierId memory = 0;            ///< index of its device tier in Machine::tiers
  double tf32_flops_per_s = 0;  ///< dense TF32 tensor-core rate where the device has one, else 0
  double clock_hz = 0;          ///< clock that traces count cycles in (G10: 1.2 GHz); 0 = unknown

  friend bool operator==(const Gpu&, const Gpu&) = default;
};

/// @brief A resource several links share: a PCIe switch uplink, a GPU's own PCIe port, the host
/// memory bus, the SSDs' lanes. See Note [link direction].
struct Bus {
  std::string name;
  double bytes_per_s = 0;   ///< per direction when full duplex, else for both directions together
  bool full_duplex = true;  ///< false: both directions share bytes_per_s (a memory bus)

  friend bool operator==(const Bus&, const Bus&) = default;
};

/// @brief A path between two tiers, full duplex. See Note [link direction].
struct Link {
  std::string name;
  TierId from = 0;              ///< the faster tier
  TierId to = 0;                ///< the slower tier
  double bytes_per_s = 0;       ///< per direction
  std::int64_t latency_ns = 0;  ///< fixed cost of one transfer (DMA setup, launch)
  std::vector<BusId> buses;     ///< every shared resource a transfer crosses
  /// A kernel on `from`'s device may read and write `to` in place: zero-copy over PCIe, a CPU
  /// loading from Optane.
  bool direct_access = false;

  friend bool operator==(const Link&, const Link&) = default;
};

/// @brief Demand paging: faults are serviced in batches of pages, each batch costing a fixed
/// handling latency on top of the transfer.
struct FaultModel {
  std::uint64_t page_bytes = 4096;
  std::uint32_t batch_pages = 1;      ///< pages serviced per fault batch
  std::int64_t batch_latency_ns = 0;  ///< handling latency of one batch of migrating pages
  /// handling latency of one batch of pages populated on the device at first touch (managed
  /// memory, no data to move); the preset's first_touch_batch_latency, else batch_latency
  std::int64_t first_touch_batch_latency_ns = 0;
  /// Measured fault model (kernels with Kernel::pf_times, sim/fault_model.hpp): SSD faults run
  /// at the kernel's measured fault bandwidth scaled by far_fault / (far_fault + ssd_fault)
  /// latency (G10's l_sys and l_ssd); 1 where both are 0 (the default).
  std::int64_t far_fault_latency_ns = 0;
  std::int64_t ssd_fault_latency_ns = 0;

  friend bool operator==(const FaultModel&, const FaultModel&) = default;
};

/// @brief A whole machine. Ids are indices into the vectors.
struct Machine {
  std::string name;
  std::string description;
  std::vector<Gpu> gpus;
  std::vector<Tier> tiers;
  std::vector<Bus> buses;
  std::vector<Link> links;
  FaultModel fault;

  std::optional<TierId> find_tier(std::string_view tier_name) const;
  std::optional<BusId> find_bus(std::string_view bus_name) const;
  std::optional<LinkId> find_link(std::string_view link_name) const;
  std::optional<GpuId> find_gpu(std::string_view gpu_name) const;
  /// @brief The link joining tiers a and b, in either orientation.
  std::optional<LinkId> link_between(TierId a, TierId b) const;
  /// @brief Every link that has `tier` at one end.
  std::vector<LinkId> links_of(TierId tier) const;
  /// @brief The GPU whose fast memory `tier` is, if any.
  std::optional<GpuId> gpu_of(TierId tier) const;
  /// @brief The host-memory tier (a machine has at most one), if any.
  std::optional<TierId> host_tier() const;
  std::vector<TierId> tiers_of_kind(TierKind kind) const;
  std::vector<TierId> ssd_tiers() const { return tiers_of_kind(TierKind::ssd); }

  friend bool operator==(const Machine&, const Machine&) = default;
};

/// @brief Checks every invariant the simulator and planners rely on; throws InvalidInput naming
/// the machine, the entity and what to fix: unique non-empty names, positive capacities and
/// bandwidths, non-negative latencies, valid ids, every device tier owned by exactly one GPU,
/// at most one host tier, at most one link per pair of tiers, links oriented faster → slower.
void validate(const Machine& m);

/// @brief The rate of one transfer leaving `src` over `link` with nothing else running: the
/// least of the link, every bus it crosses, the source tier's read rate and the destination
/// tier's write rate. Throws InvalidInput if `src` is not an end of the link.
double uncontended_bytes_per_s(const Machine& m, LinkId link, TierId src);

/// @brief Time of one such transfer of `bytes`: the link latency, the source's read latency and
/// the destination's write latency, plus bytes at uncontended_bytes_per_s, rounded up to ns.
std::int64_t uncontended_transfer_ns(const Machine& m, LinkId link, TierId src,
                                     std::uint64_t bytes);

/// @brief Parses a machine from TOML text (schema: docs/machines.md) and validates it. Every
/// error is InvalidInput naming `source_name`, the line (and column for syntax errors), the key
/// and what to do.
Machine parse_machine_toml(std::string_view text, const std::string& source_name);

/// @brief Reads and parses a machine file. Throws IoError if it cannot be read.
Machine load_machine_file(const std::filesystem::path& path);

/// @brief Loads a preset by name or a file by path. A string ending in ".toml" or containing '/'
/// is a path; otherwise `<dir>/<name>.toml` in the first of `preset_dirs` that has it. An unknown
/// preset throws InvalidInput listing the presets found in those directories.
Machine load_machine(std::string_view preset_or_path,
                     const std::vector<std::filesystem::path>& preset_dirs);

/// @brief Names (file stems) of the *.toml presets in `dirs`, sorted, without duplicates.
/// Directories that do not exist are skipped.
std::vector<std::string> list_presets(const std::vector<std::filesystem::path>& dirs);

/// @brief A readable multi-line description for `strata machine show`: GPUs with their rates,
/// tiers with capacity, bandwidth and latency, buses, links with the buses they cross, and the
/// fault model, in human units ("40.0 GiB", "15.75 GB/s", "12 us").
std::string describe(const Machine& m);

}  // namespace strata
