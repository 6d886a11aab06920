#include "strata/plan/policies/uvm.hpp"

namespace strata {

Plan UvmPolicy::plan(const Workload& w, const Vitality&, const Machine&) const {
  return make_empty_plan(w, "uvm plan of " + w.name, name());
}

}  // namespace strata
