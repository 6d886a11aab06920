#pragma once
// A policy on managed memory for simulator tests: an empty plan, LRU victims, and first-touch
// faults (Policy::first_touch_faults); its kernels wait for their data unless a test asks for
// KernelTiming::g10.
#include <string>

#include "strata/plan/policy.hpp"

namespace strata::test {

struct ManagedPolicy final : Policy {
  std::string name() const override { return "managed"; }
  Plan plan(const Workload& w, const Vitality&, const Machine&) const override {
    return make_empty_plan(w, "empty", "managed");
  }
  bool first_touch_faults() const override { return true; }
};

}  // namespace strata::test
