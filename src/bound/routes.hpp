#pragma once
// The routes bytes may take off one GPU's device and back, as the simulator's transfer engine
// sees them (sim::route_for), with how many GPUs of a data-parallel run share each resource.
// Internal to src/bound.
#include <cstdint>
#include <vector>

#include "strata/machine/machine.hpp"
#include "strata/sim/transfers.hpp"

namespace strata::bound::detail {

/// One place a tensor may go while it is off the device, and the two routes to it.
struct Destination {
  TierId tier = 0;         ///< as seen from the first GPU of the run
  bool is_ssd = false;     ///< an SSD tier (what the host cannot hold goes here)
  bool direct = false;     ///< its link lets kernels access it in place
  std::size_t away = 0;    ///< route index: device -> tier (an eviction)
  std::size_t toward = 0;  ///< route index: tier -> device (a fetch)
};

/// Every route of the first GPU, and for each route and resource how many GPUs of the run cross
/// that resource on their own copy of the route.
struct RouteModel {
  std::vector<sim::Resource> resources;
  std::vector<Destination> destinations;
  std::vector<std::vector<sim::ResourceId>> routes;  ///< the first GPU's, by route index
  /// gpus_crossing[route][resource]: GPUs of the run whose own copy of `route` crosses it
  std::vector<std::vector<std::uint32_t>> gpus_crossing;
  /// per GPU of the run, per route index, the resources of that GPU's copy of the route
  std::vector<std::vector<std::vector<sim::ResourceId>>> routes_by_gpu;
  bool any_direct = false;
  std::uint64_t device_capacity_bytes = 0;
  std::uint64_t host_capacity_bytes = 0;  ///< 0 when the machine has no host tier
};

/// Throws InvalidInput when the run's GPUs are not all in the machine.
RouteModel make_route_model(const Machine& m, GpuId first_gpu, std::uint32_t gpu_count);

/// Bytes per second one GPU can move, averaged over the run's GPUs moving the same bytes at
/// once, over the routes `route_indices` together: the least of the sum of each route's
/// bottleneck share and every resource all of them cross (each resource's bandwidth divided by
/// the GPUs that cross it on any of these routes). 0 when the list is empty.
double per_gpu_bytes_per_s(const RouteModel& rm, const std::vector<std::size_t>& route_indices);

}  // namespace strata::bound::detail
