#pragma once
/// @file transfers.hpp
/// @brief The transfer engine: a fluid-flow model of byte transfers sharing bandwidth max-min
/// fairly over a set of resources (link directions, bus directions, tiers' read and write).
///
/// Note [fluid max-min transfers]: a transfer crosses a Route, a set of resources each with a
/// capacity in bytes per second. After a fixed latency its bytes flow at a rate; the rates of all
/// flowing transfers are the max-min fair allocation over all resources, computed by progressive
/// filling: raise every unfrozen rate together until some resource is full, freeze the transfers
/// crossing it at its fair share, repeat. Transfers come in priority classes (TransferClass,
/// lower first): each class is filled over what the classes before it left, so a later class
/// gets only the bandwidth the earlier ones cannot use (none while they saturate a resource it
/// crosses). Within a class a transfer is either fair (the default) or in order: in-order
/// transfers queue behind the earlier in-order transfers of their class whose route starts with
/// the same resource (a link direction, say), as pages do in a driver's FIFO queue. The first of
/// every queue is filled together, then the second of every queue over what is left, and so on;
/// the class's fair transfers share what remains after that. With one class of fair transfers
/// this is plain max-min fairness. Rates are recomputed only when the set of flowing transfers
/// changes (a start's latency ends, a transfer finishes or is cancelled), so between changes
/// every rate is constant and each transfer's completion time is known. The engine does not
/// own a clock or an event queue: the simulator asks next_event_ns(), schedules one
/// event there, and calls advance(t) when it fires (re-scheduling after any start or cancel).
///
/// Rounding: completion times are rounded up to the next whole ns, except that a quotient
/// within 1e-12 (relative) of an integer is taken as that integer, so exact cases (1 GB at
/// 1 GB/s = 1e9 ns, three equal transfers sharing a bus) give exact integers despite the last
/// bit of floating-point error. A transfer's remaining bytes are re-based only when its own rate
/// changes, so a transfer unaffected by a change keeps its completion time bit for bit.
/// Completion credits the transfer's full integer byte count to each resource; a cancel credits
/// the bytes moved so far, rounded down. Everything iterates in a fixed order (resources by id,
/// transfers by start order), so the same calls give the same results bit for bit.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "strata/machine/machine.hpp"
#include "strata/sim/event_queue.hpp"

namespace strata::sim {

using ResourceId = std::uint32_t;
/// A transfer's priority class: lower classes get their bandwidth first (Note [fluid max-min
/// transfers]).
using TransferClass = std::uint8_t;

/// @brief Something of fixed bandwidth that transfers share: one direction of a link, one
/// direction of a full-duplex bus, a half-duplex bus, a tier's read or write side.
struct Resource {
  std::string name;
  double bytes_per_s = 0;  ///< positive and finite

  friend bool operator==(const Resource&, const Resource&) = default;
};

/// @brief What a transfer crosses, and the fixed latency before its bytes flow.
struct Route {
  std::vector<ResourceId> resources;  ///< non-empty; duplicates count once
  TimeNs latency_ns = 0;              ///< >= 0

  friend bool operator==(const Route&, const Route&) = default;
};

/// @brief Names one transfer. The default value names none.
struct TransferId {
  std::uint64_t value = 0;  ///< slot in the low 32 bits, generation (>= 1) in the high 32

  bool valid() const noexcept { return value != 0; }
  friend bool operator==(const TransferId&, const TransferId&) = default;
};

/// @brief A finished transfer, as advance() reports it.
struct Completion {
  TransferId id;
  TimeNs start_ns = 0;   ///< when start() was called
  TimeNs finish_ns = 0;  ///< when its last byte arrived
  std::uint64_t bytes = 0;
};

/// @brief Per-resource accounting for reports.
struct ResourceStats {
  std::uint64_t bytes_moved = 0;  ///< by completed transfers, plus cancelled ones' moved bytes
  TimeNs busy_ns = 0;             ///< time with at least one transfer flowing through it
};

/// @brief Engine-wide byte accounting: started == completed + cancelled_moved +
/// cancelled_unmoved + in flight.
struct TransferTotals {
  std::uint64_t transfers_started = 0;
  std::uint64_t transfers_completed = 0;
  std::uint64_t transfers_cancelled = 0;
  std::uint64_t bytes_started = 0;
  std::uint64_t bytes_completed = 0;
  std::uint64_t bytes_cancelled_moved = 0;
  std::uint64_t bytes_cancelled_unmoved = 0;
};

/// @brief The state of one transfer, for inspection and tests.
struct TransferInfo {
  enum class State : std::uint8_t { unknown, waiting, flowing } state = State::unknown;
  double bytes_per_s = 0;       ///< current rate (0 while waiting out the latency)
  double remaining_bytes = 0;   ///< at the engine's current time
  TimeNs finish_ns = kNeverNs;  ///< predicted completion at current rates
};

/// @brief Fluid-flow, max-min fair transfer engine. See Note [fluid max-min transfers].
/// Not thread-safe; one per simulation. Time never goes backwards: every call's `now_ns` must
/// be >= the previous one (InternalError otherwise).
class TransferEngine {
 public:
  /// @brief Throws InvalidInput if a capacity is not positive and finite.
  explicit TransferEngine(std::vector<Resource> resources);

  /// @brief Starts moving `bytes` over `route` at `now_ns`, in priority class `cls`: in order
  /// behind the class's earlier transfers whose route starts with the same resource if
  /// `in_order`, else sharing fairly. Bytes start flowing at now_ns + route.latency_ns. Throws
  /// InvalidInput for an empty route, an unknown resource or a negative latency.
  TransferId start(const Route& route, std::uint64_t bytes, TimeNs now_ns, TransferClass cls = 0,
                   bool in_order = false);

  /// @brief Stops a transfer at `now_ns`; the rest share its bandwidth from then on. Returns
  /// false if it is not in flight (unknown, already finished — including one finishing at
  /// exactly `now_ns`, which advance() still reports — or already cancelled).
  bool cancel(TransferId id, TimeNs now_ns);

  /// @brief The earliest time something changes (a latency ends or a transfer finishes), or
  /// kNeverNs. If a completion is waiting to be reported, the engine's current time.
  TimeNs next_event_ns() const noexcept;

  /// @brief Moves time to `now_ns`, processing every change up to it in order, and returns the
  /// transfers finished by then (including any found by start()/cancel() at the same time),
  /// in order of finish time, then start order.
  std::vector<Completion> advance(TimeNs now_ns);

  /// @brief Runs every transfer to completion; returns them all (tests, quick estimates).
  std::vector<Completion> run_to_completion();

  /// @brief The engine's current time (the latest `now_ns` it was given).
  TimeNs now() const noexcept { return now_; }
  /// @brief Transfers started and neither finished nor cancelled.
  std::size_t in_flight() const noexcept { return in_flight_; }
  bool idle() const noexcept { return in_flight_ == 0 && done_.empty(); }
  TransferInfo info(TransferId id) const;

  const std::vector<Resource>& resources() const noexcept { return resources_; }
  /// @brief Stats of one resource; busy time is counted up to now().
  ResourceStats stats(ResourceId r) const;
  const TransferTotals& totals() const noexcept { return totals_; }
  /// @brief Checks the byte and transfer accounting; throws InternalError if it does not add
  /// up. With `expect_idle`, also that nothing is still in flight (end of a run).
  void check_invariants(bool expect_idle = false) const;

 private:
  enum class State : std::uint8_t { free, waiting, flowing };
  struct Transfer {
    std::uint32_t generation = 1;
    State state = State::free;
    std::uint64_t seq = 0;  ///< start order
    TransferClass cls = 0;
    bool in_order = false;
    ResourceId queue = 0;  ///< the route's first resource, as given
    std::uint64_t bytes = 0;
    TimeNs start_ns = 0;
    TimeNs flow_ns = 0;    ///< when bytes start flowing (start + latency)
    TimeNs epoch_ns = 0;   ///< when `remaining` was last re-based
    double remaining = 0;  ///< bytes left at epoch_ns
    double rate = 0;       ///< bytes per second since epoch_ns
    double new_rate = 0;   ///< scratch for the rate computation
    TimeNs finish_ns = kNeverNs;
    std::vector<ResourceId> route;  ///< sorted, unique; capacity kept when the slot is reused
  };

  std::uint32_t slot_of(TransferId id) const noexcept;
  void process_until(TimeNs now_ns, bool inclusive);
  void step(TimeNs t);
  void recompute_rates(TimeNs t);
  /// Progressive filling of `group` (indices into flowing_) over cap_left_; unfrozen_ must count,
  /// per resource, the group's transfers crossing it, and comes back all zero.
  void fill(const std::vector<std::uint32_t>& group);
  void rebase(TimeNs t);
  void set_flowing(std::uint32_t slot, bool on, TimeNs t);
  double remaining_at(const Transfer& x, TimeNs t) const noexcept;
  void release(std::uint32_t slot);
  void refresh_next_change() noexcept;

  std::vector<Resource> resources_;
  std::vector<ResourceStats> stats_;
  std::vector<std::uint32_t> users_;  ///< flowing transfers per resource
  std::vector<TimeNs> busy_since_;

  std::vector<Transfer> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::vector<std::uint32_t> waiting_;  ///< slots in latency, in start order
  std::vector<std::uint32_t> flowing_;  ///< slots flowing, in start order
  std::vector<Completion> done_;        ///< finished, not yet reported by advance()
  std::size_t in_flight_ = 0;
  TimeNs now_ = 0;
  TimeNs next_change_ = kNeverNs;  ///< earliest flow start or finish among in-flight transfers
  std::uint64_t next_seq_ = 0;
  TransferTotals totals_;

  // Scratch for recompute_rates(), kept to avoid allocating.
  std::vector<double> cap_left_;
  std::vector<std::uint32_t> unfrozen_;
  std::vector<std::uint32_t> csr_begin_;
  std::vector<std::uint32_t> csr_fill_;
  std::vector<std::uint32_t> csr_;
  std::vector<ResourceId> touched_;
  std::vector<std::uint8_t> frozen_;
  /// When a flowing transfer is filled: its class, its queue (or none), its place in it.
  struct Turn {
    TransferClass cls;
    ResourceId queue;
    std::uint32_t place;
    std::uint32_t index;  ///< into flowing_
  };
  std::vector<Turn> order_;
  std::vector<std::uint32_t> group_;
  std::vector<std::pair<std::uint64_t, Completion>> batch_;  ///< (start seq, completion)
};

/// @brief The resources of a machine, in this order: for each link, its forward then reverse
/// direction; for each bus, forward then reverse if full duplex, else one for both; for each
/// tier, its read then write side. route_for() uses the same layout.
std::vector<Resource> machine_resources(const Machine& m);

/// @brief The route of a transfer leaving tier `from` over `link` (either end): the link's
/// direction, each bus it crosses in that direction, `from`'s read side and the other end's
/// write side; latency = link latency + source read latency + destination write latency (as in
/// uncontended_transfer_ns). Throws InvalidInput for a bad link id or a tier not on the link.
Route route_for(const Machine& m, LinkId link, TierId from);

}  // namespace strata::sim
