#include "strata/plan/residency.hpp"

#include "strata/core/error.hpp"

namespace strata {

using Kind = ResidencyState::Kind;

std::string to_string(const ResidencyState& s) {
  const auto tier = [](TierId t) { return "tier " + std::to_string(t); };
  switch (s.kind) {
    case Kind::absent: return "absent";
    case Kind::resident: return "resident(" + tier(s.from) + ")";
    case Kind::moving: return "moving(" + tier(s.from) + " -> " + tier(s.to) + ")";
    case Kind::releasing: return "releasing(" + tier(s.from) + " -> " + tier(s.to) + ")";
    case Kind::released: return "released";
  }
  return "invalid";
}

bool is_legal_transition(const ResidencyState& a, const ResidencyState& b) {
  switch (a.kind) {
    case Kind::absent: return b.kind == Kind::resident;
    case Kind::resident:
      return (b.kind == Kind::moving && b.from == a.from && b.to != a.from) ||
             b.kind == Kind::released;
    case Kind::moving:
      return (b.kind == Kind::resident && (b.from == a.to || b.from == a.from)) ||
             (b.kind == Kind::releasing && b.from == a.from && b.to == a.to);
    case Kind::releasing: return b.kind == Kind::released;
    case Kind::released: return b.kind == Kind::absent;
  }
  return false;
}

bool Residency::holds(TierId tier) const {
  switch (state_.kind) {
    case Kind::resident: return state_.from == tier;
    case Kind::moving:
    case Kind::releasing: return state_.from == tier || state_.to == tier;
    default: return false;
  }
}

void Residency::transition(const ResidencyState& next) {
  if (!is_legal_transition(state_, next))
    throw InternalError("tensor #" + std::to_string(tensor_) + ": illegal residency transition " +
                        to_string(state_) + " -> " + to_string(next));
  state_ = next;
}

void Residency::begin_move(TierId to) {
  if (state_.kind != Kind::resident)
    throw InternalError("tensor #" + std::to_string(tensor_) + ": illegal residency transition " +
                        to_string(state_) + " -> moving(? -> tier " + std::to_string(to) +
                        "): only a resident tensor can start a copy");
  transition(ResidencyState::moving(state_.from, to));
}

void Residency::finish_move() {
  if (state_.kind == Kind::releasing) return transition(ResidencyState::released());
  if (state_.kind != Kind::moving)
    throw InternalError("tensor #" + std::to_string(tensor_) + ": illegal residency transition " +
                        to_string(state_) + " -> resident(destination): no copy is in flight");
  transition(ResidencyState::resident(state_.to));
}

void Residency::cancel_move() {
  if (state_.kind != Kind::moving)
    throw InternalError("tensor #" + std::to_string(tensor_) + ": illegal residency transition " +
                        to_string(state_) + " -> resident(source): no copy to cancel");
  transition(ResidencyState::resident(state_.from));
}

void Residency::release() {
  if (state_.kind == Kind::releasing)
    throw InternalError("tensor #" + std::to_string(tensor_) + ": illegal residency transition " +
                        to_string(state_) + " -> released: it was already released (double free)");
  if (state_.kind == Kind::moving)
    return transition(ResidencyState::releasing(state_.from, state_.to));
  transition(ResidencyState::released());
}

}  // namespace strata
