#include "strata_recompute.hpp"

#include <algorithm>

#include "strata/workload/recompute.hpp"

namespace strata::planner {

RecomputeRule::RecomputeRule(const Workload& w, const Vitality& v, bool intermediates,
                             RecomputeOps ops)
    : w_(w),
      v_(v),
      producer_(producers(w)),
      cheap_(w.kernels.size()),
      src_(w.kernels.size()),
      writers_(w.tensors.size()),
      intermediates_(intermediates) {
  for (const Kernel& k : w.kernels)
    for (TensorId t : k.outputs)
      if (writers_[t].empty() || writers_[t].back() != k.id) writers_[t].push_back(k.id);
  for (const Kernel& k : w.kernels) {
    cheap_[k.id] =
        ops == RecomputeOps::any_forward ? k.phase == Phase::forward : is_cheap_to_recompute(k);
    if (!cheap_[k.id]) continue;
    for (TensorId in : recompute_inputs(k))
      if (std::find(src_[k.id].begin(), src_[k.id].end(), in) == src_[k.id].end())
        src_[k.id].push_back(in);
  }
}

bool RecomputeRule::live_at(TensorId in, std::size_t at) const {
  return w_.tensors[in].persistent || v_.tensors[in].last_use >= at;
}

bool RecomputeRule::written_between(TensorId x, std::size_t lo, std::size_t hi) const {
  const std::vector<KernelId>& ks = writers_[x];
  const auto it = std::upper_bound(ks.begin(), ks.end(), lo);
  return it != ks.end() && *it < hi;
}

bool RecomputeRule::input_unchanged(TensorId x, KernelId p, std::size_t at) const {
  const std::vector<KernelId>& ks = writers_[x];
  return !std::binary_search(ks.begin(), ks.end(), p) && !written_between(x, p, at);
}

bool RecomputeRule::rebuildable(TensorId in, std::size_t at) const {
  const KernelId q = producer_[in];
  if (!intermediates_ || q == kNoKernel || !cheap_[q] || writers_[in].size() != 1) return false;
  for (TensorId x : src_[q])
    if (x == in || !live_at(x, at) || !input_unchanged(x, q, at)) return false;
  return true;
}

bool RecomputeRule::allowed(TensorId t, std::size_t a, std::size_t next) const {
  const std::size_t n = w_.kernels.size();
  if (t >= w_.tensors.size() || w_.tensors[t].persistent || next >= n || next < a + 2) return false;
  const KernelId p = producer_[t];
  if (p == kNoKernel || !cheap_[p] || p > a) return false;
  // Re-running p rebuilds the version of t that p wrote, from the inputs p read: t must not
  // have been rewritten since, nor any input by p itself or by the time of the recompute.
  if (written_between(t, p, a + 1)) return false;
  for (TensorId in : src_[p]) {
    if (in == t || !input_unchanged(in, p, next)) return false;
    if (!live_at(in, next) && !rebuildable(in, next)) return false;
  }
  return true;
}

std::vector<TensorId> RecomputeRule::intermediates(TensorId t, std::size_t at) const {
  std::vector<TensorId> out;
  const KernelId p = producer_[t];
  if (p == kNoKernel) return out;
  for (TensorId in : src_[p])
    if (!live_at(in, at)) out.push_back(in);
  return out;
}

std::int64_t RecomputeRule::cost_ns(TensorId t, std::size_t at) const {
  const KernelId p = producer_[t];
  if (p == kNoKernel) return 0;
  std::int64_t ns = w_.kernels[p].duration_ns;
  for (TensorId in : intermediates(t, at)) ns += w_.kernels[producer_[in]].duration_ns;
  return ns;
}

std::vector<TensorId> RecomputeRule::sources(TensorId t, std::size_t at) const {
  std::vector<TensorId> out;
  const KernelId p = producer_[t];
  if (p == kNoKernel) return out;
  auto add = [&](TensorId x) {
    if (std::find(out.begin(), out.end(), x) == out.end()) out.push_back(x);
  };
  for (TensorId in : src_[p]) {
    if (live_at(in, at)) {
      add(in);
    } else if (producer_[in] != kNoKernel) {
      for (TensorId x : src_[producer_[in]]) add(x);
    }
  }
  return out;
}

ResidencyBook::ResidencyBook(std::span<const Movement> moves, const RecomputeRule& rule,
                             std::size_t tensors, std::size_t kernels)
    : ResidencyBook(tensors, kernels) {
  for (const Movement& m : moves)
    if (m.active) add(m, rule);
}

bool ResidencyBook::covers(std::size_t from, std::size_t to, std::size_t s, std::size_t n) {
  // (from, to] unwrapped against s in the first or the next iteration.
  return (from < s && s <= to) || (from < s + n && s + n <= to);
}

bool ResidencyBook::can_be_out(TensorId t, std::size_t from, std::size_t to) const {
  for (std::size_t s : pins_[t])
    if (covers(from, to, s, n_)) return false;
  return true;
}

std::size_t ResidencyBook::first_pin(TensorId t, std::size_t from, std::size_t to) const {
  std::size_t first = to;
  for (std::size_t s : pins_[t])
    if (covers(from, to, s, n_)) first = std::min(first, from < s ? s : s + n_);
  return first;
}

bool ResidencyBook::resident_at(TensorId t, std::size_t s) const {
  for (const auto& [from, to] : out_[t])
    if (covers(from, to, s % n_, n_)) return false;
  return true;
}

bool ResidencyBook::sources_resident(std::span<const TensorId> sources, std::size_t s) const {
  return std::all_of(sources.begin(), sources.end(), [&](TensorId x) { return resident_at(x, s); });
}

void ResidencyBook::add_out(TensorId t, std::size_t from, std::size_t to) {
  out_[t].emplace_back(from, to);
}

void ResidencyBook::pin(std::span<const TensorId> sources, std::size_t s) {
  for (TensorId x : sources) pins_[x].push_back(s % n_);
}

void ResidencyBook::add(const Movement& m, const RecomputeRule& rule) {
  if (m.recompute) {
    add_out(m.tensor, m.evict_after, m.prefetch - 1);
    pin(rule.sources(m.tensor, m.prefetch), m.prefetch);
  } else if (m.evict) {
    add_out(m.tensor, m.evict_after, m.prefetch);
  }
}

void ResidencyBook::remove(const Movement& m, const RecomputeRule& rule) {
  auto erase_one = [](auto& list, const auto& value) {
    const auto it = std::find(list.begin(), list.end(), value);
    if (it != list.end()) list.erase(it);
  };
  if (!m.recompute && !m.evict) return;
  erase_one(out_[m.tensor],
            std::pair<std::size_t, std::size_t>{m.evict_after, m.prefetch - (m.recompute ? 1 : 0)});
  if (m.recompute)
    for (TensorId x : rule.sources(m.tensor, m.prefetch)) erase_one(pins_[x], m.prefetch % n_);
}

Movement recompute_movement(TensorId t, std::uint64_t bytes, std::size_t a, std::size_t next,
                            std::size_t at) {
  Movement m;
  m.tensor = t;
  m.bytes = bytes;
  m.last_use = a;
  m.next_use = next;
  m.evict_after = a;
  m.prefetch = at == 0 ? next : at;
  m.evict = false;
  m.recompute = true;
  return m;
}

bool recomputes_consistent(std::span<const Movement> moves, const RecomputeRule& rule,
                           std::size_t tensors, std::size_t kernels) {
  const ResidencyBook book(moves, rule, tensors, kernels);
  for (const Movement& m : moves)
    if (m.active && m.recompute &&
        (!rule.allowed(m.tensor, m.last_use, m.prefetch) || m.prefetch > m.next_use ||
         !book.can_be_out(m.tensor, m.evict_after, m.prefetch - 1) ||
         !book.sources_resident(rule.sources(m.tensor, m.prefetch), m.prefetch)))
      return false;
  return true;
}

}  // namespace strata::planner
