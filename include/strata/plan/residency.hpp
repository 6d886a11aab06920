#pragma once
/// @file residency.hpp
/// @brief Where one tensor is, as an explicit state machine with checked transitions.
///
/// Note [residency states] (after UMap's page descriptor and PyTorch's caching allocator):
///
///   absent ──allocate(t)──> resident(t) ──begin_move(u)──> moving(t→u) ──finish_move──>
///   resident(u)
///     ^                         │                             │  └──cancel_move──> resident(t)
///     │                      release                       release (free requested while a
///     │                         v                             v     copy still reads/writes)
///   reset <──────────────── released <──finish_move──── releasing(t→u)
///
/// - absent: not yet born in this iteration (or never), no memory anywhere.
/// - resident(tier): one valid copy, in `tier`.
/// - moving(from, to): a copy is in flight; memory is held in both tiers until it finishes.
/// - releasing(from, to): the tensor was freed while its copy was in flight; both tiers stay
///   held until the copy finishes (free requested ≠ free completed), then it is released.
/// - released: dead, no memory anywhere. reset() returns it to absent for the next iteration.
/// Anything else (moving a tensor that is moving, allocating a resident one, moving to the tier
/// it is in, using a released one) is a bug in the caller: InternalError naming the tensor, the
/// current state and the state asked for.
///
/// Tiers here are TierIds of the machine being simulated or run (plans use TierKind; see
/// resolve_tier in plan.hpp).

#include <cstdint>
#include <string>

#include "strata/machine/machine.hpp"
#include "strata/workload/workload.hpp"

namespace strata {

/// @brief One residency state; `from`/`to` are meaningful as documented per kind.
struct ResidencyState {
  enum class Kind : std::uint8_t { absent, resident, moving, releasing, released };
  Kind kind = Kind::absent;
  TierId from = 0;  ///< resident: its tier; moving/releasing: the source
  TierId to = 0;    ///< moving/releasing: the destination

  static ResidencyState absent() { return {Kind::absent, 0, 0}; }
  static ResidencyState resident(TierId t) { return {Kind::resident, t, 0}; }
  static ResidencyState moving(TierId from, TierId to) { return {Kind::moving, from, to}; }
  static ResidencyState releasing(TierId from, TierId to) { return {Kind::releasing, from, to}; }
  static ResidencyState released() { return {Kind::released, 0, 0}; }

  friend bool operator==(const ResidencyState&, const ResidencyState&) = default;
};

/// @brief "absent", "resident(tier 0)", "moving(tier 0 -> tier 2)", "releasing(...)", "released".
std::string to_string(const ResidencyState& s);

/// @brief Whether `from` -> `to` is one of the transitions of Note [residency states].
bool is_legal_transition(const ResidencyState& from, const ResidencyState& to);

/// @brief One tensor's residency. Small value type; a simulator keeps one per tensor.
class Residency {
 public:
  explicit Residency(TensorId tensor, ResidencyState initial = ResidencyState::absent())
      : tensor_(tensor), state_(initial) {}

  TensorId tensor() const { return tensor_; }
  const ResidencyState& state() const { return state_; }
  ResidencyState::Kind kind() const { return state_.kind; }
  /// @brief Resident in `tier` (not moving).
  bool is_resident_in(TierId tier) const {
    return state_.kind == ResidencyState::Kind::resident && state_.from == tier;
  }
  /// @brief Whether the tensor holds memory in `tier` (resident there, or either end of a copy).
  bool holds(TierId tier) const;

  /// @brief Moves to `next`; throws InternalError (tensor, both states) if it is not legal.
  void transition(const ResidencyState& next);

  void allocate(TierId tier) { transition(ResidencyState::resident(tier)); }
  /// @brief Starts a copy from the current tier to `to`.
  void begin_move(TierId to);
  /// @brief The copy finished: resident in the destination, or released if freed meanwhile.
  void finish_move();
  /// @brief The copy was abandoned: resident in the source again.
  void cancel_move();
  /// @brief Frees the tensor: released at once if resident, releasing if a copy is in flight.
  void release();
  /// @brief A released tensor becomes absent again (next iteration).
  void reset() { transition(ResidencyState::absent()); }

 private:
  TensorId tensor_;
  ResidencyState state_;
};

}  // namespace strata
