#pragma once
// Per-kernel transfer budgets for the g10 planner (Note [g10 planner] in
// include/strata/plan/policies/g10.hpp): how many bytes each of the device's two paths (to host
// memory, to the SSD) can still move during each kernel in one direction, given what earlier
// decisions booked. Both paths may cross one shared port (the GPU's PCIe link): then a byte on
// either path uses the shared budget too.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace strata::g10 {

enum class Path : std::uint8_t { host, ssd };

/// @brief How bookings on one path take room from the other.
/// - shared_port: a byte on either path uses the shared port's budget; each path has room for
///   the least of its own budget and the port's.
/// - g10: G10's arithmetic (its analysis.cc, ssd2gpu_BWsim/pcie2gpu_BWsim and the gpu2* pair):
///   the host path's budget is the port's; an SSD booking adds its bytes to the host path's
///   bookings too; a host booking fills the SSD's budget once the host path has less than the
///   SSD's rate left, by the whole excess each time (so twice for two bookings at one kernel);
///   a path filled to its budget is marked full, and one filled by an exact fit is not.
///   G10Options::g10_bookkeeping.
enum class Bookkeeping : std::uint8_t { shared_port, g10 };

/// @brief Bytes per kernel one direction can move, and what is booked.
class TransferBudget {
 public:
  /// @param durations_ns every kernel's duration
  /// @param host_bytes_per_ns, ssd_bytes_per_ns each path's rate (0: the path does not exist)
  /// @param shared_bytes_per_ns the rate of the port both paths cross; 0 if they share none
  TransferBudget(std::span<const std::int64_t> durations_ns, double host_bytes_per_ns,
                 double ssd_bytes_per_ns, double shared_bytes_per_ns,
                 Bookkeeping bookkeeping = Bookkeeping::shared_port);

  /// @brief Bytes `p` can still move during kernel k (<= 0: the kernel is full for `p`).
  double available(Path p, std::size_t k) const;
  /// @brief Whether some kernel in [from, to) has room for `p`.
  bool any_room(Path p, std::size_t from, std::size_t to) const;
  /// @brief Starting at kernel `from`, the kernel by which `bytes` have moved over `p` using the
  /// room left, skipping full kernels (the last kernel if the iteration ends first).
  std::size_t finish_forward(Path p, double bytes, std::size_t from) const;
  /// @brief Walking back from kernel `needed` - 1, the kernel at which moving `bytes` over `p`
  /// must start to be done by `needed` (kernel 0 if the iteration starts first). needed >= 1.
  std::size_t start_backward(Path p, double bytes, std::size_t needed) const;
  /// @brief Books `bytes` on `p` from kernel `from` on, as much per kernel as there is room.
  void book(Path p, double bytes, std::size_t from);

 private:
  struct Kernel {
    double capacity[2] = {0, 0};  ///< host, ssd
    double shared = 0;            ///< capacity of the shared port (infinite if none)
    double used[2] = {0, 0};
    bool full[2] = {false, false};  ///< Bookkeeping::g10 only
  };
  void book_g10(std::size_t i, double bytes, std::size_t from);
  std::vector<Kernel> kernels_;
  Bookkeeping bookkeeping_;
};

}  // namespace strata::g10
