#include "strata/plan/policies/deepum.hpp"

#include <algorithm>

#include "strata/core/error.hpp"

namespace strata {

namespace {

std::vector<TensorId> tensors_of(const Kernel& k) {
  std::vector<TensorId> out;
  for (const auto* list : {&k.inputs, &k.outputs})
    for (TensorId t : *list)
      if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
  return out;
}

}  // namespace

DeepUmPolicy::DeepUmPolicy(std::uint32_t degree) : degree_(degree) {
  if (degree_ == 0) throw InvalidInput("deepum: the prefetch degree must be at least 1");
}

Plan DeepUmPolicy::plan(const Workload& w, const Vitality& v, const Machine&) const {
  Plan p = make_empty_plan(w, "deepum plan of " + w.name, name());
  const std::size_t n = w.kernels.size();
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t j = (k + degree_) % n;
    const bool wraps = k + degree_ >= n;  // kernel j of the next iteration
    for (TensorId t : tensors_of(w.kernels[j])) {
      // A non-persistent tensor of the next iteration does not exist yet at kernel k of this
      // one (and this iteration's copy is already dead): nothing to prefetch.
      if (wraps && !w.tensors[t].persistent) continue;
      if (!w.tensors[t].persistent && v.tensors[t].last_use < k) continue;
      p.kernels[k].before.push_back(Action::prefetch(t));
    }
  }
  window_.assign(n, {});
  for (std::size_t k = 0; k < n; ++k) {
    std::vector<TensorId>& win = window_[k];
    for (std::size_t d = 0; d < std::min<std::size_t>(degree_, n); ++d)
      for (TensorId t : tensors_of(w.kernels[(k + d) % n])) win.push_back(t);
    std::sort(win.begin(), win.end());
    win.erase(std::unique(win.begin(), win.end()), win.end());
  }
  return p;
}

std::optional<std::size_t> DeepUmPolicy::choose_victim(const VictimRequest& r) const {
  // As G10's DeepUM+ (GPUPageTable::selectEvictPTE, EvcPolicy::DEEPUM): a fault evicts the
  // least recently used page; a prefetch evicts the least recently used outside the window and
  // waits if there is none.
  if (!r.for_prefetch || r.kernel >= window_.size()) return choose_lru_victim(r, recency());
  const std::vector<TensorId>& win = window_[r.kernel];
  return choose_lru_victim(
      r, recency(), [&win](TensorId t) { return std::binary_search(win.begin(), win.end(), t); });
}

}  // namespace strata
