#include "strata/sim/transfers.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

#include "strata/core/error.hpp"

namespace strata::sim {

namespace {

constexpr std::uint64_t kSlotMask = 0xffffffffULL;
constexpr double kNsPerS = 1e9;
/// Turn::queue of a transfer shared fairly (it waits in no queue).
constexpr ResourceId kFairQueue = std::numeric_limits<ResourceId>::max();

/// Whole ns needed to move `bytes` at `bytes_per_s`: rounded up, except that a quotient within
/// 1e-12 (relative) of an integer is that integer. See Note [fluid max-min transfers].
TimeNs duration_ns(double bytes, double bytes_per_s) {
  if (bytes <= 0) return 0;
  const double d = bytes * kNsPerS / bytes_per_s;
  const double nearest = std::nearbyint(d);
  const double whole = std::abs(d - nearest) <= 1e-12 * d + 1e-9 ? nearest : std::ceil(d);
  if (!(whole < 9e18)) return kNeverNs;  // also catches NaN and infinity
  return static_cast<TimeNs>(whole);
}

}  // namespace

TransferEngine::TransferEngine(std::vector<Resource> resources) : resources_(std::move(resources)) {
  for (const Resource& r : resources_)
    if (!(r.bytes_per_s > 0) || !std::isfinite(r.bytes_per_s))
      throw InvalidInput(fmt::format(
          "transfer resource '{}' has bandwidth {} B/s; give a positive, finite bytes_per_s",
          r.name, r.bytes_per_s));
  const std::size_t n = resources_.size();
  stats_.assign(n, {});
  users_.assign(n, 0);
  busy_since_.assign(n, 0);
  cap_left_.assign(n, 0);
  unfrozen_.assign(n, 0);
  csr_begin_.assign(n, 0);
}

std::uint32_t TransferEngine::slot_of(TransferId id) const noexcept {
  const auto slot = static_cast<std::uint32_t>(id.value & kSlotMask);
  const auto generation = static_cast<std::uint32_t>(id.value >> 32);
  if (slot >= slots_.size() || slots_[slot].state == State::free ||
      slots_[slot].generation != generation)
    return std::numeric_limits<std::uint32_t>::max();
  return slot;
}

double TransferEngine::remaining_at(const Transfer& x, TimeNs t) const noexcept {
  if (x.state != State::flowing) return static_cast<double>(x.bytes);
  const double left = x.remaining - x.rate * static_cast<double>(t - x.epoch_ns) / kNsPerS;
  return left > 0 ? left : 0;
}

TransferId TransferEngine::start(const Route& route, std::uint64_t bytes, TimeNs now_ns,
                                 TransferClass cls, bool in_order) {
  if (route.resources.empty())
    throw InvalidInput(
        "transfer route crosses no resource; give at least one (its rate would "
        "be unbounded)");
  for (ResourceId r : route.resources)
    if (r >= resources_.size())
      throw InvalidInput(
          fmt::format("transfer route names resource id {}, but the engine has {} "
                      "resources",
                      r, resources_.size()));
  if (route.latency_ns < 0)
    throw InvalidInput(
        fmt::format("transfer route latency {} ns is negative; give 0 or more", route.latency_ns));
  process_until(now_ns, /*inclusive=*/false);

  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    STRATA_EXPECTS(slots_.size() < kSlotMask, "more than 2^32 - 1 transfers in flight");
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Transfer& x = slots_[slot];
  x.state = State::waiting;
  x.seq = next_seq_++;
  x.cls = cls;
  x.in_order = in_order;
  x.queue = route.resources.front();
  x.bytes = bytes;
  x.start_ns = now_ns;
  x.flow_ns = now_ns + route.latency_ns;
  x.epoch_ns = x.flow_ns;
  x.remaining = static_cast<double>(bytes);
  x.rate = 0;
  x.finish_ns = kNeverNs;
  x.route.assign(route.resources.begin(), route.resources.end());
  std::sort(x.route.begin(), x.route.end());
  x.route.erase(std::unique(x.route.begin(), x.route.end()), x.route.end());
  waiting_.push_back(slot);  // seq increases, so waiting_ stays in start order
  ++in_flight_;
  ++totals_.transfers_started;
  totals_.bytes_started += bytes;
  next_change_ = std::min(next_change_, x.flow_ns);
  return TransferId{(static_cast<std::uint64_t>(x.generation) << 32) | slot};
}

bool TransferEngine::cancel(TransferId id, TimeNs now_ns) {
  process_until(now_ns, /*inclusive=*/false);
  const std::uint32_t slot = slot_of(id);
  if (slot == std::numeric_limits<std::uint32_t>::max()) return false;
  Transfer& x = slots_[slot];
  if (x.state == State::flowing && x.finish_ns <= now_ns) return false;  // finishing right now

  const double left = remaining_at(x, now_ns);
  const auto moved = static_cast<std::uint64_t>(std::floor(static_cast<double>(x.bytes) - left));
  const std::uint64_t moved_bytes = std::min(moved, x.bytes);
  ++totals_.transfers_cancelled;
  totals_.bytes_cancelled_moved += moved_bytes;
  totals_.bytes_cancelled_unmoved += x.bytes - moved_bytes;
  if (x.state == State::waiting) {
    waiting_.erase(std::find(waiting_.begin(), waiting_.end(), slot));
    release(slot);
  } else {
    for (ResourceId r : x.route) stats_[r].bytes_moved += moved_bytes;
    set_flowing(slot, false, now_ns);
    flowing_.erase(std::find(flowing_.begin(), flowing_.end(), slot));
    release(slot);
    recompute_rates(now_ns);
  }
  refresh_next_change();
  return true;
}

TimeNs TransferEngine::next_event_ns() const noexcept {
  return done_.empty() ? next_change_ : now_;
}

std::vector<Completion> TransferEngine::advance(TimeNs now_ns) {
  process_until(now_ns, /*inclusive=*/true);
  std::vector<Completion> out;
  out.swap(done_);
  return out;
}

std::vector<Completion> TransferEngine::run_to_completion() {
  std::vector<Completion> all;
  for (TimeNs t = next_event_ns(); t != kNeverNs; t = next_event_ns()) {
    std::vector<Completion> some = advance(t);
    all.insert(all.end(), some.begin(), some.end());
  }
  return all;
}

void TransferEngine::process_until(TimeNs now_ns, bool inclusive) {
  STRATA_EXPECTS(now_ns >= now_, fmt::format("transfer engine asked to go back in time, from {} "
                                             "ns to {} ns",
                                             now_, now_ns));
  while (inclusive ? next_change_ <= now_ns : next_change_ < now_ns) step(next_change_);
  now_ = now_ns;
}

void TransferEngine::step(TimeNs t) {
  now_ = t;
  batch_.clear();
  bool changed = false;

  // Finishes at t, in start order.
  std::size_t kept = 0;
  for (std::uint32_t slot : flowing_) {
    Transfer& x = slots_[slot];
    if (x.finish_ns > t) {
      flowing_[kept++] = slot;
      continue;
    }
    batch_.push_back({x.seq,
                      {TransferId{(static_cast<std::uint64_t>(x.generation) << 32) | slot},
                       x.start_ns, t, x.bytes}});
    for (ResourceId r : x.route) stats_[r].bytes_moved += x.bytes;
    ++totals_.transfers_completed;
    totals_.bytes_completed += x.bytes;
    set_flowing(slot, false, t);
    release(slot);
    changed = true;
  }
  flowing_.resize(kept);

  // Latencies ending at t: start flowing (a zero-byte transfer finishes at once).
  kept = 0;
  for (std::uint32_t slot : waiting_) {
    Transfer& x = slots_[slot];
    if (x.flow_ns > t) {
      waiting_[kept++] = slot;
      continue;
    }
    changed = true;
    if (x.bytes == 0) {
      batch_.push_back({x.seq,
                        {TransferId{(static_cast<std::uint64_t>(x.generation) << 32) | slot},
                         x.start_ns, t, 0}});
      ++totals_.transfers_completed;
      release(slot);
      continue;
    }
    x.state = State::flowing;
    x.epoch_ns = t;
    x.remaining = static_cast<double>(x.bytes);
    x.rate = 0;
    set_flowing(slot, true, t);
    const auto at =
        std::lower_bound(flowing_.begin(), flowing_.end(), x.seq,
                         [&](std::uint32_t s, std::uint64_t seq) { return slots_[s].seq < seq; });
    flowing_.insert(at, slot);
  }
  waiting_.resize(kept);

  // Completions at one time are reported in start order.
  std::sort(batch_.begin(), batch_.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [seq, c] : batch_) done_.push_back(c);
  if (changed) recompute_rates(t);
  refresh_next_change();
}

void TransferEngine::set_flowing(std::uint32_t slot, bool on, TimeNs t) {
  for (ResourceId r : slots_[slot].route) {
    if (on) {
      if (users_[r]++ == 0) busy_since_[r] = t;
    } else {
      STRATA_EXPECTS(users_[r] > 0, "transfer engine: resource user count underflow");
      if (--users_[r] == 0) stats_[r].busy_ns += t - busy_since_[r];
    }
  }
}

void TransferEngine::release(std::uint32_t slot) {
  Transfer& x = slots_[slot];
  x.state = State::free;
  if (++x.generation == 0) x.generation = 1;  // 0 would make an id equal to "no transfer"
  free_slots_.push_back(slot);
  STRATA_EXPECTS(in_flight_ > 0, "transfer engine: in-flight count underflow");
  --in_flight_;
}

void TransferEngine::recompute_rates(TimeNs t) {
  // Progressive filling (Note [fluid max-min transfers]), one group after another: by class;
  // within a class the in-order transfers by their place in their queue (every queue's first,
  // then every queue's second, ...), then the fair ones together.
  touched_.clear();
  order_.clear();
  bool one_group = true;  // one class, all fair: plain max-min, no ordering needed
  for (std::uint32_t i = 0; i < flowing_.size(); ++i) {
    const Transfer& x = slots_[flowing_[i]];
    for (ResourceId r : x.route)
      if (unfrozen_[r]++ == 0) touched_.push_back(r);
    one_group = one_group && !x.in_order && x.cls == slots_[flowing_[0]].cls;
  }
  std::sort(touched_.begin(), touched_.end());  // ties between bottlenecks go to the lowest id
  for (ResourceId r : touched_) cap_left_[r] = resources_[r].bytes_per_s;
  if (flowing_.empty()) return;
  frozen_.assign(flowing_.size(), 0);  // every transfer is in exactly one group
  if (one_group) {                     // unfrozen_ already counts the one group's transfers
    group_.resize(flowing_.size());
    std::iota(group_.begin(), group_.end(), 0U);
    fill(group_);
    rebase(t);
    return;
  }
  for (ResourceId r : touched_) unfrozen_[r] = 0;
  for (std::uint32_t i = 0; i < flowing_.size(); ++i) {
    const Transfer& x = slots_[flowing_[i]];
    order_.push_back({x.cls, x.in_order ? x.queue : kFairQueue, 0, i});
  }
  // Place in queue: flowing_ is in start order, so a stable sort by (class, queue) lists each
  // queue in start order.
  std::stable_sort(order_.begin(), order_.end(), [](const Turn& a, const Turn& b) {
    return a.cls != b.cls ? a.cls < b.cls : a.queue < b.queue;
  });
  for (std::size_t j = 0; j < order_.size(); ++j)
    if (order_[j].queue != kFairQueue && j > 0 && order_[j - 1].cls == order_[j].cls &&
        order_[j - 1].queue == order_[j].queue)
      order_[j].place = order_[j - 1].place + 1;
  // Fair transfers go after every place of their class's queues.
  for (Turn& turn : order_)
    if (turn.queue == kFairQueue) turn.place = std::numeric_limits<std::uint32_t>::max();
  std::stable_sort(order_.begin(), order_.end(), [](const Turn& a, const Turn& b) {
    return a.cls != b.cls ? a.cls < b.cls : a.place < b.place;
  });
  for (std::size_t j = 0; j < order_.size();) {
    group_.clear();
    const std::size_t first = j;
    for (; j < order_.size() && order_[j].cls == order_[first].cls &&
           order_[j].place == order_[first].place;
         ++j)
      group_.push_back(order_[j].index);
    for (std::uint32_t i : group_)
      for (ResourceId r : slots_[flowing_[i]].route) ++unfrozen_[r];
    fill(group_);
  }
  rebase(t);
}

void TransferEngine::fill(const std::vector<std::uint32_t>& group) {
  std::size_t left = group.size();
  // Per-resource lists of the group's transfers (indices into flowing_), CSR-style.
  std::uint32_t offset = 0;
  for (ResourceId r : touched_) {
    csr_begin_[r] = offset;
    offset += unfrozen_[r];
  }
  csr_.resize(offset);
  csr_fill_.assign(csr_begin_.begin(), csr_begin_.end());
  for (std::uint32_t i : group)
    for (ResourceId r : slots_[flowing_[i]].route) csr_[csr_fill_[r]++] = i;

  while (left > 0) {
    ResourceId best = 0;
    double best_share = std::numeric_limits<double>::infinity();
    for (ResourceId r : touched_) {
      if (unfrozen_[r] == 0) continue;
      const double share = std::max(cap_left_[r], 0.0) / static_cast<double>(unfrozen_[r]);
      if (share < best_share) {
        best_share = share;
        best = r;
      }
    }
    STRATA_EXPECTS(std::isfinite(best_share),
                   fmt::format("transfer engine: fair share {} B/s on resource '{}'", best_share,
                               resources_[best].name));
    for (std::uint32_t k = csr_begin_[best]; k < csr_fill_[best]; ++k) {
      const std::uint32_t i = csr_[k];
      if (frozen_[i]) continue;
      frozen_[i] = 1;
      --left;
      Transfer& x = slots_[flowing_[i]];
      x.new_rate = best_share;
      for (ResourceId r : x.route) {
        cap_left_[r] -= best_share;
        --unfrozen_[r];
      }
    }
  }
}

void TransferEngine::rebase(TimeNs t) {
  // Re-base only the transfers whose rate changed; the others keep their finish time exactly.
  for (std::uint32_t slot : flowing_) {
    Transfer& x = slots_[slot];
    if (x.new_rate == x.rate) continue;
    if (x.finish_ns <= t) continue;  // finishing at t; step(t) reports it
    x.remaining = remaining_at(x, t);
    x.epoch_ns = t;
    x.rate = x.new_rate;
    const TimeNs d = duration_ns(x.remaining, x.rate);
    x.finish_ns = d == kNeverNs ? kNeverNs : t + d;
  }
}

void TransferEngine::refresh_next_change() noexcept {
  TimeNs next = kNeverNs;
  for (std::uint32_t slot : waiting_) next = std::min(next, slots_[slot].flow_ns);
  for (std::uint32_t slot : flowing_) next = std::min(next, slots_[slot].finish_ns);
  next_change_ = next;
}

TransferInfo TransferEngine::info(TransferId id) const {
  TransferInfo out;
  const std::uint32_t slot = slot_of(id);
  if (slot == std::numeric_limits<std::uint32_t>::max()) return out;
  const Transfer& x = slots_[slot];
  out.state =
      x.state == State::waiting ? TransferInfo::State::waiting : TransferInfo::State::flowing;
  out.bytes_per_s = x.state == State::flowing ? x.rate : 0;
  out.remaining_bytes = remaining_at(x, now_);
  out.finish_ns = x.state == State::flowing ? x.finish_ns : kNeverNs;
  return out;
}

ResourceStats TransferEngine::stats(ResourceId r) const {
  if (r >= resources_.size())
    throw InvalidInput(
        fmt::format("no transfer resource id {} (the engine has {})", r, resources_.size()));
  ResourceStats s = stats_[r];
  if (users_[r] > 0) s.busy_ns += now_ - busy_since_[r];
  return s;
}

void TransferEngine::check_invariants(bool expect_idle) const {
  const TransferTotals& c = totals_;
  STRATA_EXPECTS(
      c.transfers_started == c.transfers_completed + c.transfers_cancelled + in_flight_,
      fmt::format("transfer engine lost transfers: started {} != completed {} + "
                  "cancelled {} + in flight {}",
                  c.transfers_started, c.transfers_completed, c.transfers_cancelled, in_flight_));
  std::uint64_t in_flight_bytes = 0;
  for (std::uint32_t slot : waiting_) in_flight_bytes += slots_[slot].bytes;
  for (std::uint32_t slot : flowing_) in_flight_bytes += slots_[slot].bytes;
  STRATA_EXPECTS(c.bytes_started == c.bytes_completed + c.bytes_cancelled_moved +
                                        c.bytes_cancelled_unmoved + in_flight_bytes,
                 fmt::format("transfer engine lost bytes: started {} != completed {} + cancelled "
                             "{} (moved) + {} (unmoved) + in flight {}",
                             c.bytes_started, c.bytes_completed, c.bytes_cancelled_moved,
                             c.bytes_cancelled_unmoved, in_flight_bytes));
  STRATA_EXPECTS(waiting_.size() + flowing_.size() == in_flight_,
                 "transfer engine: waiting + flowing != in flight");
  if (expect_idle)
    STRATA_EXPECTS(in_flight_ == 0 && done_.empty(),
                   fmt::format("transfer engine: {} transfers still in flight and {} completions "
                               "unreported at the end of the run",
                               in_flight_, done_.size()));
}

std::vector<Resource> machine_resources(const Machine& m) {
  std::vector<Resource> out;
  for (const Link& l : m.links) {
    out.push_back({l.name + " fwd", l.bytes_per_s});
    out.push_back({l.name + " rev", l.bytes_per_s});
  }
  for (const Bus& b : m.buses) {
    if (b.full_duplex) {
      out.push_back({b.name + " fwd", b.bytes_per_s});
      out.push_back({b.name + " rev", b.bytes_per_s});
    } else {
      out.push_back({b.name, b.bytes_per_s});
    }
  }
  for (const Tier& t : m.tiers) {
    out.push_back({t.name + " read", t.read_bytes_per_s});
    out.push_back({t.name + " write", t.write_bytes_per_s});
  }
  return out;
}

Route route_for(const Machine& m, LinkId link, TierId from) {
  if (link >= m.links.size())
    throw InvalidInput(
        fmt::format("machine '{}' has no link id {} (it has {})", m.name, link, m.links.size()));
  const Link& l = m.links[link];
  if (from != l.from && from != l.to)
    throw InvalidInput(
        fmt::format("machine '{}': tier id {} is not an end of link '{}'", m.name, from, l.name));
  const bool forward = from == l.from;
  const TierId to = forward ? l.to : l.from;
  const auto dir = static_cast<ResourceId>(forward ? 0 : 1);

  Route route;
  route.resources.push_back(static_cast<ResourceId>(2 * link) + dir);
  ResourceId bus_base = static_cast<ResourceId>(2 * m.links.size());
  std::vector<ResourceId> bus_id(m.buses.size());
  for (std::size_t b = 0; b < m.buses.size(); ++b) {
    bus_id[b] = bus_base;
    bus_base += m.buses[b].full_duplex ? 2 : 1;
  }
  for (BusId b : l.buses) {
    if (b >= m.buses.size())
      throw InvalidInput(
          fmt::format("machine '{}': link '{}' crosses bus id {}, which does not "
                      "exist",
                      m.name, l.name, b));
    route.resources.push_back(bus_id[b] + (m.buses[b].full_duplex ? dir : 0));
  }
  const ResourceId tier_base = bus_base;
  route.resources.push_back(tier_base + 2 * from);    // source read side
  route.resources.push_back(tier_base + 2 * to + 1);  // destination write side
  route.latency_ns = l.latency_ns + m.tiers[from].read_latency_ns + m.tiers[to].write_latency_ns;
  return route;
}

}  // namespace strata::sim
