#pragma once
/// @file variants.hpp
/// @brief Copies of a machine with one resource changed: what `strata sweep` explores.
///
/// Each function returns a validated copy; the input is not modified. A change the machine
/// cannot take (no host tier, no SSD, a zero size) throws InvalidInput naming the machine and
/// what to do. The copy's name gets a suffix saying what changed ("g10-a100 (gpu memory 20.00
/// GiB)") so reports stay self-describing.

#include <cstdint>

#include "strata/machine/machine.hpp"

namespace strata {

/// @brief Every GPU's own memory (its device tier) holds `capacity_bytes`.
Machine with_gpu_memory(const Machine& m, std::uint64_t capacity_bytes);

/// @brief The host-memory tier holds `capacity_bytes`. Throws if the machine has no host tier.
Machine with_host_memory(const Machine& m, std::uint64_t capacity_bytes);

/// @brief The SSD side runs at `bytes_per_s`: every SSD tier reads and writes at that rate (in
/// total over its drives), every link to an SSD tier carries it per direction, and every bus
/// crossed only by links to SSD tiers (the drives' own lanes) carries it too. Buses shared with
/// other links (a GPU's PCIe port, a switch uplink) keep their rate and still bound the SSD
/// path, as they would on the real machine. This is G10's SSD_PCIe_bandwidth_GBps knob.
/// Throws if the machine has no SSD tier.
Machine with_ssd_bandwidth(const Machine& m, double bytes_per_s);

}  // namespace strata
