#include "strata/sim/simulator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "strata/core/error.hpp"
#include "strata/core/units.hpp"
#include "strata/plan/residency.hpp"
#include "strata/sim/event_queue.hpp"
#include "strata/sim/fault_model.hpp"
#include "strata/sim/transfers.hpp"

namespace strata::sim {

namespace {

using Kind = ResidencyState::Kind;

constexpr std::uint32_t kEngineTick = 1;
constexpr std::uint32_t kKernelEnd = 2;
constexpr std::uint32_t kNoIndex = 0xffffffffu;

/// Unique tensors of a kernel, in first-appearance order.
std::vector<TensorId> kernel_tensors(const Kernel& k) {
  std::vector<TensorId> out;
  out.reserve(k.inputs.size() + k.outputs.size());
  for (const auto* list : {&k.inputs, &k.outputs})
    for (TensorId t : *list)
      if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
  return out;
}

/// Thrown inside the run when a tier cannot hold what it must; becomes an infeasible report.
struct Infeasible {
  std::string reason;
};

enum class Block : std::uint8_t { none, prefetch, fault, space };

class Simulation {
 public:
  Simulation(const Workload& w, const Vitality& v, const Machine& m, const Plan& plan,
             const Policy& policy, const SimOptions& o)
      : w_(w), v_(v), m_(m), plan_(plan), policy_(policy), o_(o), engine_(machine_resources(m)) {}

  Report run();

 private:
  struct TensorState {
    Residency res{0};
    std::int64_t last_access_ns = 0;
    TransferId xfer;
    bool xfer_is_fault = false;
    bool queued = false;  ///< waiting for device space
    bool queued_demand = false;
    bool reset_on_finish = false;  ///< non-persistent, released while copying across iterations
    std::uint64_t pin = 0;         ///< == pin_epoch_ while the current kernel uses it
    std::uint32_t dev_slot = kNoIndex;  ///< index in device_resident_
  };
  struct XferInfo {
    TensorId tensor = 0;
    std::uint32_t track = 0;  ///< 2 * link + (0 forward, 1 reverse)
    TimeNs start_ns = 0;
  };

  // ---- tiers and residency ----
  void hold(TierId tier, std::uint64_t bytes) {
    used_[tier] += bytes;
    if (used_[tier] > m_.tiers[tier].capacity_bytes)
      throw InternalError(fmt::format("simulator: tier {} over capacity ({} > {})",
                                      m_.tiers[tier].name, used_[tier],
                                      m_.tiers[tier].capacity_bytes));
    peak_[tier] = std::max(peak_[tier], used_[tier]);
  }
  void unhold(TierId tier, std::uint64_t bytes) {
    STRATA_EXPECTS(used_[tier] >= bytes, "tier usage underflow");
    used_[tier] -= bytes;
  }
  std::uint64_t free_in(TierId tier) const { return m_.tiers[tier].capacity_bytes - used_[tier]; }
  std::uint64_t bytes_of(TensorId t) const { return w_.tensors[t].bytes; }
  void set_device_resident(TensorId t, bool on);
  void transition_to(TensorId t, const ResidencyState& s);

  LinkId link_to_device(TierId other) const;
  void start_copy(TensorId t, TierId to, bool fault, TimeNs extra_latency_ns);
  void on_copy_done(const Completion& c);
  bool try_cancel_eviction(TensorId t);
  void release_tensor(TensorId t);
  TierId victim_destination(TensorId t);

  // ---- device space ----
  void enqueue(TensorId t, bool demand);
  void serve_queue();
  void grant(TensorId t);
  void make_room();

  // ---- plan and stream ----
  void issue(const Action& a);
  void begin_kernel(KernelId k);
  void try_start();
  void end_kernel();
  void begin_iteration();

  // ---- engine ----
  void sync_engine();
  void check_capacities(bool full) const;

  const Workload& w_;
  const Vitality& v_;
  const Machine& m_;
  const Plan& plan_;
  const Policy& policy_;
  const SimOptions& o_;

  EventQueue q_;
  TransferEngine engine_;
  EventId engine_event_;
  TimeNs engine_event_ns_ = kNeverNs;
  std::vector<XferInfo> xfers_;  ///< by transfer slot

  TierId dev_ = 0;
  std::optional<TierId> host_, ssd_;
  std::vector<std::uint64_t> used_, peak_;
  std::uint64_t dev_freeing_ = 0;  ///< device bytes of evictions in flight
  std::vector<TensorState> ts_;
  std::vector<TensorId> device_resident_;  ///< resident(dev), not moving
  std::vector<std::vector<TensorId>> kernel_tensors_;
  std::vector<std::vector<TensorId>> dies_after_;  ///< non-persistent tensors by last use

  std::vector<TensorId> queue_;  ///< waiting for device space, in request order
  std::uint64_t queued_bytes_ = 0;

  // stream
  std::uint32_t iter_ = 0;
  KernelId k_ = 0;
  bool waiting_ = false;
  bool running_ = false;
  bool done_ = false;
  bool ws_held_ = false;
  std::uint64_t pin_epoch_ = 0;
  TimeNs wait_since_ns_ = 0;
  Block block_ = Block::none;
  TimeNs iter_start_ns_ = 0;
  TimeNs kernel_start_ns_ = 0;
  bool steady_ = false;

  Report r_;
};

void Simulation::set_device_resident(TensorId t, bool on) {
  TensorState& s = ts_[t];
  if (on && s.dev_slot == kNoIndex) {
    s.dev_slot = static_cast<std::uint32_t>(device_resident_.size());
    device_resident_.push_back(t);
  } else if (!on && s.dev_slot != kNoIndex) {
    const TensorId last = device_resident_.back();
    device_resident_[s.dev_slot] = last;
    ts_[last].dev_slot = s.dev_slot;
    device_resident_.pop_back();
    s.dev_slot = kNoIndex;
  }
}

void Simulation::transition_to(TensorId t, const ResidencyState& s) {
  ts_[t].res.transition(s);
  set_device_resident(t, s.kind == Kind::resident && s.from == dev_);
}

LinkId Simulation::link_to_device(TierId other) const {
  const std::optional<LinkId> l = m_.link_between(dev_, other);
  if (!l)
    throw Unsupported(fmt::format(
        "machine {}: no direct link between {} and {}; multi-hop transfers are not simulated yet",
        m_.name, m_.tiers[dev_].name, m_.tiers[other].name));
  return *l;
}

void Simulation::start_copy(TensorId t, TierId to, bool fault, TimeNs extra_latency_ns) {
  TensorState& s = ts_[t];
  const TierId from = s.res.state().from;
  const LinkId link = link_to_device(from == dev_ ? to : from);
  Route route = route_for(m_, link, from);
  route.latency_ns += extra_latency_ns;
  const std::uint64_t bytes = bytes_of(t);
  hold(to, bytes);
  transition_to(t, ResidencyState::moving(from, to));
  if (from == dev_) dev_freeing_ += bytes;
  const TimeNs now = q_.now();
  s.xfer = engine_.start(route, bytes, now);
  s.xfer_is_fault = fault;
  const std::uint32_t slot = static_cast<std::uint32_t>(s.xfer.value & 0xffffffffu);
  if (xfers_.size() <= slot) xfers_.resize(slot + 1);
  const bool forward = m_.links[link].from == from;
  xfers_[slot] = {t, 2 * link + (forward ? 0u : 1u), now};
  if (steady_) {
    LinkTraffic& lt = r_.links[link];
    (forward ? lt.to_slower_bytes : lt.to_faster_bytes) += bytes;
  }
  sync_engine();
}

void Simulation::on_copy_done(const Completion& c) {
  const XferInfo info = xfers_[static_cast<std::uint32_t>(c.id.value & 0xffffffffu)];
  const TensorId t = info.tensor;
  TensorState& s = ts_[t];
  STRATA_EXPECTS(s.xfer == c.id, "completion of a transfer the tensor no longer owns");
  const ResidencyState st = s.res.state();
  const std::uint64_t bytes = bytes_of(t);
  unhold(st.from, bytes);
  if (st.from == dev_) dev_freeing_ -= bytes;
  s.xfer = {};
  if (st.kind == Kind::releasing) {
    unhold(st.to, bytes);
    transition_to(t, ResidencyState::released());
    if (s.reset_on_finish) {
      s.reset_on_finish = false;
      transition_to(t, ResidencyState::absent());
    }
  } else {
    transition_to(t, ResidencyState::resident(st.to));
    if (st.to == dev_) s.last_access_ns = c.finish_ns;
  }
  if (o_.record_timeline && steady_) {
    const std::string what =
        st.to == dev_
            ? (s.xfer_is_fault ? "fault " : "fetch ")
            : (std::string("evict -> ") + std::string(to_string(m_.tiers[st.to].kind)) + " ");
    r_.timeline.spans.push_back({1 + info.track, what + w_.tensors[t].name,
                                 info.start_ns - iter_start_ns_, c.finish_ns - info.start_ns});
  }
}

bool Simulation::try_cancel_eviction(TensorId t) {
  TensorState& s = ts_[t];
  const ResidencyState st = s.res.state();
  if (st.kind != Kind::moving || st.from != dev_) return false;
  if (!engine_.cancel(s.xfer, q_.now())) return false;  // finishing now: advance() reports it
  sync_engine();
  unhold(st.to, bytes_of(t));
  dev_freeing_ -= bytes_of(t);
  s.xfer = {};
  s.res.cancel_move();
  set_device_resident(t, true);
  return true;
}

void Simulation::release_tensor(TensorId t) {
  TensorState& s = ts_[t];
  if (s.queued) {
    s.queued = false;
    queue_.erase(std::find(queue_.begin(), queue_.end(), t));
    queued_bytes_ -= bytes_of(t);
  }
  const ResidencyState st = s.res.state();
  switch (st.kind) {
    case Kind::resident:
      unhold(st.from, bytes_of(t));
      transition_to(t, ResidencyState::released());
      break;
    case Kind::moving:
      s.res.release();
      set_device_resident(t, false);
      break;
    case Kind::absent:  // never born (e.g. only ever released): nothing to free
    case Kind::releasing:
    case Kind::released: break;
  }
}

TierId Simulation::victim_destination(TensorId t) {
  const std::uint64_t b = bytes_of(t);
  if (host_ && free_in(*host_) >= b) return *host_;
  if (ssd_ && free_in(*ssd_) >= b) return *ssd_;
  throw Infeasible{
      fmt::format("no room to evict {} ({}): host and SSD are full at kernel {} of iteration {}",
                  w_.tensors[t].name, format_bytes(b), k_, iter_ + 1)};
}

void Simulation::enqueue(TensorId t, bool demand) {
  TensorState& s = ts_[t];
  if (s.queued) {
    s.queued_demand = s.queued_demand || demand;
    return;
  }
  s.queued = true;
  s.queued_demand = demand;
  queue_.push_back(t);
  queued_bytes_ += bytes_of(t);
}

void Simulation::grant(TensorId t) {
  TensorState& s = ts_[t];
  s.queued = false;
  queued_bytes_ -= bytes_of(t);
  const ResidencyState st = s.res.state();
  if (st.kind == Kind::absent) {
    hold(dev_, bytes_of(t));
    transition_to(t, ResidencyState::resident(dev_));
    s.last_access_ns = q_.now();
  } else {
    STRATA_EXPECTS(st.kind == Kind::resident && st.from != dev_, "granted a tensor not elsewhere");
    const bool fault = s.queued_demand;
    if (fault && steady_) {
      ++r_.demand_fetches;
      r_.demand_fetch_bytes += bytes_of(t);
    }
    start_copy(t, dev_, fault, fault ? demand_fetch_latency_ns(m_.fault, bytes_of(t)) : 0);
  }
  s.queued_demand = false;
}

void Simulation::serve_queue() {
  if (queue_.empty() && (ws_held_ || !waiting_)) return;
  // The current kernel first: its tensors, then its workspace.
  if (waiting_) {
    for (std::size_t i = 0; i < queue_.size();) {
      const TensorId t = queue_[i];
      if (ts_[t].queued_demand && bytes_of(t) <= free_in(dev_)) {
        queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(i));
        grant(t);
      } else {
        ++i;
      }
    }
    const std::uint64_t ws = w_.kernels[k_].workspace_bytes;
    if (!ws_held_ && ws <= free_in(dev_)) {
      hold(dev_, ws);
      ws_held_ = true;
    }
  }
  // Then plan prefetches, first in first out; one that does not fit blocks the rest.
  std::size_t i = 0;
  while (i < queue_.size()) {
    const TensorId t = queue_[i];
    if (ts_[t].queued_demand) {
      ++i;
      continue;
    }
    if (bytes_of(t) > free_in(dev_)) break;
    queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(i));
    grant(t);
  }
}

void Simulation::make_room() {
  std::uint64_t need = queued_bytes_;
  if (waiting_ && !ws_held_) need += w_.kernels[k_].workspace_bytes;
  const std::uint64_t have = free_in(dev_) + dev_freeing_;
  if (need <= have) return;
  std::uint64_t short_by = need - have;
  std::vector<EvictionCandidate> cands;
  for (TensorId t : device_resident_) {
    const TensorState& s = ts_[t];
    if (s.pin == pin_epoch_ || s.queued) continue;
    cands.push_back({t, bytes_of(t), s.last_access_ns});
  }
  std::sort(cands.begin(), cands.end(), [](const EvictionCandidate& a, const EvictionCandidate& b) {
    return a.tensor < b.tensor;
  });
  while (short_by > 0 && !cands.empty()) {
    const VictimRequest req{k_, short_by, cands};
    const std::optional<std::size_t> pick = policy_.choose_victim(req);
    if (!pick) break;
    STRATA_EXPECTS(*pick < cands.size(), "choose_victim returned an index out of range");
    const TensorId t = cands[*pick].tensor;
    cands.erase(cands.begin() + static_cast<std::ptrdiff_t>(*pick));
    start_copy(t, victim_destination(t), false, 0);
    if (steady_) {
      ++r_.victim_evictions;
      r_.victim_eviction_bytes += bytes_of(t);
    }
    short_by -= std::min(short_by, bytes_of(t));
  }
}

void Simulation::issue(const Action& a) {
  const TensorId t = a.tensor;
  TensorState& s = ts_[t];
  const ResidencyState st = s.res.state();
  auto ignored = [&] {
    if (steady_) ++r_.plan_actions_ignored;
  };
  switch (a.kind) {
    case ActionKind::prefetch:
      if ((st.kind == Kind::resident && st.from != dev_) || st.kind == Kind::absent) {
        if (s.queued) return ignored();
        enqueue(t, false);
      } else if (st.kind == Kind::moving && st.from == dev_) {
        if (!try_cancel_eviction(t)) ignored();
      } else {
        ignored();
      }
      break;
    case ActionKind::evict: {
      if (st.kind != Kind::resident || st.from != dev_ || s.pin == pin_epoch_) return ignored();
      TierId to = resolve_tier(m_, o_.gpu, a.to);
      if (free_in(to) < bytes_of(t)) to = victim_destination(t);
      start_copy(t, to, false, 0);
      break;
    }
    case ActionKind::release: release_tensor(t); break;
    case ActionKind::recompute:
      throw Unsupported("the simulator does not model recompute yet (tensor " + w_.tensors[t].name +
                        ")");
  }
}

void Simulation::begin_kernel(KernelId k) {
  k_ = k;
  ++pin_epoch_;
  for (TensorId t : kernel_tensors_[k]) ts_[t].pin = pin_epoch_;
  waiting_ = true;
  ws_held_ = false;
  wait_since_ns_ = q_.now();
  block_ = Block::none;
  for (const Action& a : plan_.kernels[k].before) issue(a);
  try_start();
}

void Simulation::try_start() {
  // Stall accounting: the time since the last check goes to what blocked us then.
  const TimeNs now = q_.now();
  if (steady_) {
    const TimeNs d = now - wait_since_ns_;
    if (block_ == Block::prefetch) r_.stall.waiting_for_prefetch_ns += d;
    if (block_ == Block::fault) r_.stall.demand_fetch_ns += d;
    if (block_ == Block::space) r_.stall.eviction_backpressure_ns += d;
  }
  wait_since_ns_ = now;

  for (TensorId t : kernel_tensors_[k_]) {
    const ResidencyState st = ts_[t].res.state();
    if (st.kind == Kind::moving && st.from == dev_) try_cancel_eviction(t);
    const ResidencyState cur = ts_[t].res.state();
    if ((cur.kind == Kind::resident && cur.from != dev_) || cur.kind == Kind::absent)
      enqueue(t, true);
  }
  serve_queue();
  Block block = Block::none;
  bool ready = ws_held_;
  for (TensorId t : kernel_tensors_[k_]) {
    const TensorState& s = ts_[t];
    const ResidencyState st = s.res.state();
    if (st.kind == Kind::resident && st.from == dev_) continue;
    ready = false;
    Block b = Block::space;
    if (st.kind == Kind::moving && st.to == dev_)
      b = s.xfer_is_fault ? Block::fault : Block::prefetch;
    if (b == Block::fault || (b == Block::prefetch && block != Block::fault) ||
        block == Block::none)
      block = b;
  }
  if (!ws_held_ && block == Block::none) block = Block::space;
  if (!ready) {
    block_ = block;
    make_room();
    if (q_.empty() && engine_.idle())
      throw InternalError(fmt::format("simulator: kernel {} can never start (deadlock)", k_));
    return;
  }
  waiting_ = false;
  running_ = true;
  block_ = Block::none;
  kernel_start_ns_ = now;
  q_.schedule(now + w_.kernels[k_].duration_ns, Event{kKernelEnd, 0, k_});
  make_room();  // queued prefetches may need victims now that pins are settled
}

void Simulation::end_kernel() {
  const TimeNs now = q_.now();
  running_ = false;
  const Kernel& kernel = w_.kernels[k_];
  for (TensorId t : kernel_tensors_[k_]) ts_[t].last_access_ns = now;
  if (ws_held_) unhold(dev_, kernel.workspace_bytes);
  ws_held_ = false;
  if (o_.record_timeline && steady_)
    r_.timeline.spans.push_back(
        {0, kernel.name, kernel_start_ns_ - iter_start_ns_, now - kernel_start_ns_});
  ++pin_epoch_;  // nothing is pinned between kernels
  for (const Action& a : plan_.kernels[k_].after) issue(a);
  for (TensorId t : dies_after_[k_]) release_tensor(t);
  if (k_ + 1 < w_.kernels.size()) {
    begin_kernel(k_ + 1);
    return;
  }
  r_.iteration_times_ns.push_back(now - iter_start_ns_);
  if (iter_ + 1 == o_.iterations) {
    done_ = true;
    return;
  }
  ++iter_;
  begin_iteration();
}

void Simulation::begin_iteration() {
  iter_start_ns_ = q_.now();
  steady_ = iter_ + 1 == o_.iterations;
  for (TensorId t = 0; t < ts_.size(); ++t) {
    if (w_.tensors[t].persistent) continue;
    TensorState& s = ts_[t];
    const Kind kind = s.res.kind();
    STRATA_EXPECTS(kind == Kind::released || kind == Kind::releasing || kind == Kind::absent,
                   "a non-persistent tensor outlived its iteration");
    if (kind == Kind::released) transition_to(t, ResidencyState::absent());
    if (kind == Kind::releasing) s.reset_on_finish = true;
  }
  begin_kernel(0);
}

void Simulation::sync_engine() {
  const TimeNs next = engine_.next_event_ns();
  if (next == engine_event_ns_) return;
  if (engine_event_.valid()) q_.cancel(engine_event_);
  engine_event_ = {};
  engine_event_ns_ = next;
  if (next != kNeverNs)
    engine_event_ = q_.schedule(std::max(next, q_.now()), Event{kEngineTick, 0, 0});
}

void Simulation::check_capacities(bool full) const {
  for (TierId i = 0; i < m_.tiers.size(); ++i)
    if (used_[i] > m_.tiers[i].capacity_bytes)
      throw InternalError(fmt::format("simulator: tier {} holds {} > capacity {}", m_.tiers[i].name,
                                      used_[i], m_.tiers[i].capacity_bytes));
  if (!full) return;
  std::vector<std::uint64_t> sum(m_.tiers.size(), 0);
  for (TensorId t = 0; t < ts_.size(); ++t)
    for (TierId i = 0; i < m_.tiers.size(); ++i)
      if (ts_[t].res.holds(i)) sum[i] += bytes_of(t);
  if (ws_held_) sum[dev_] += w_.kernels[k_].workspace_bytes;
  for (TierId i = 0; i < m_.tiers.size(); ++i)
    if (sum[i] != used_[i])
      throw InternalError(fmt::format("simulator: tier {} accounting {} != sum of tensors {}",
                                      m_.tiers[i].name, used_[i], sum[i]));
}

Report Simulation::run() {
  r_.policy = policy_.name();
  r_.workload = w_.name;
  r_.machine = m_.name;
  r_.ideal_ns = v_.ideal_ns;
  r_.iterations = o_.iterations;
  for (const Link& l : m_.links) r_.links.push_back({l.name, 0, 0});
  if (o_.record_timeline) {
    r_.timeline.tracks.push_back(m_.gpus[o_.gpu].name + " compute");
    for (const Link& l : m_.links) {
      r_.timeline.tracks.push_back(l.name + " -> " + m_.tiers[l.to].name);
      r_.timeline.tracks.push_back(l.name + " -> " + m_.tiers[l.from].name);
    }
  }

  dev_ = m_.gpus[o_.gpu].memory;
  host_ = m_.host_tier();
  if (const auto ssds = m_.ssd_tiers(); !ssds.empty()) ssd_ = ssds.front();
  used_.assign(m_.tiers.size(), 0);
  peak_.assign(m_.tiers.size(), 0);
  ts_.resize(w_.tensors.size());
  kernel_tensors_.reserve(w_.kernels.size());
  for (const Kernel& k : w_.kernels) kernel_tensors_.push_back(kernel_tensors(k));
  dies_after_.resize(w_.kernels.size());
  for (TensorId t = 0; t < w_.tensors.size(); ++t) {
    ts_[t].res = Residency(t);
    if (!w_.tensors[t].persistent) dies_after_[v_.tensors[t].last_use].push_back(t);
  }

  try {
    // Persistent tensors start where the plan says; one that does not fit there spills to
    // host, then SSD, in tensor order.
    for (TensorId t = 0; t < w_.tensors.size(); ++t) {
      if (!w_.tensors[t].persistent) continue;
      TierId tier = resolve_tier(m_, o_.gpu, plan_.initial_tier(t));
      if (free_in(tier) < bytes_of(t)) tier = victim_destination(t);
      hold(tier, bytes_of(t));
      transition_to(t, ResidencyState::resident(tier));
    }
    iter_ = 0;
    begin_iteration();
    while (!done_) {
      const std::optional<FiredEvent> e = q_.pop();
      if (!e)
        throw InternalError(fmt::format("simulator: no events left at kernel {} (deadlock)", k_));
      if (e->event.kind == kEngineTick) {
        engine_event_ = {};
        engine_event_ns_ = kNeverNs;
        for (const Completion& c : engine_.advance(e->time_ns)) on_copy_done(c);
        sync_engine();
      } else if (e->event.kind == kKernelEnd) {
        end_kernel();
      }
      if (!done_) {
        serve_queue();
        if (waiting_)
          try_start();
        else
          make_room();
      }
      if (o_.check_every_event) check_capacities(true);
    }
    check_capacities(true);
    engine_.check_invariants();
  } catch (const Infeasible& e) {
    r_.feasible = false;
    r_.infeasible_reason = e.reason;
  }
  for (TierId i = 0; i < m_.tiers.size(); ++i)
    r_.tiers.push_back({m_.tiers[i].name, m_.tiers[i].kind, m_.tiers[i].capacity_bytes, peak_[i]});
  if (r_.feasible) {
    r_.iteration_ns = r_.iteration_times_ns.back();
    r_.fraction_of_ideal = r_.iteration_ns > 0 ? static_cast<double>(r_.ideal_ns) /
                                                     static_cast<double>(r_.iteration_ns)
                                               : 1.0;
  } else {
    r_.timeline = {};
  }
  return r_;
}

}  // namespace

std::string working_set_shortfall(const Workload& w, const Machine& m, GpuId gpu) {
  const Tier& dev = m.tiers[m.gpus.at(gpu).memory];
  for (const Kernel& k : w.kernels) {
    std::uint64_t bytes = k.workspace_bytes;
    for (TensorId t : kernel_tensors(k)) bytes += w.tensors[t].bytes;
    if (bytes > dev.capacity_bytes)
      return fmt::format(
          "kernel {} ({}) needs {} at once (inputs + outputs + workspace) but {} holds {}: "
          "{} short",
          k.id, k.name, format_bytes(bytes), dev.name, format_bytes(dev.capacity_bytes),
          format_bytes(bytes - dev.capacity_bytes));
  }
  return {};
}

Report simulate(const Workload& w, const Vitality& v, const Machine& m, const Plan& plan,
                const Policy& policy, const SimOptions& options) {
  if (options.iterations == 0) throw InvalidInput("simulate: iterations must be at least 1");
  if (options.gpu >= m.gpus.size())
    throw InvalidInput(fmt::format("simulate: machine {} has no GPU {} (it has {})", m.name,
                                   options.gpu, m.gpus.size()));
  if (options.gpu_count != 1)
    throw Unsupported(
        fmt::format("simulate: data-parallel runs on {} GPUs are not simulated yet; use one GPU",
                    options.gpu_count));
  validate(plan, w, m);
  const std::string shortfall = working_set_shortfall(w, m, options.gpu);
  if (!shortfall.empty()) {
    Report r;
    r.policy = policy.name();
    r.workload = w.name;
    r.machine = m.name;
    r.feasible = false;
    r.infeasible_reason = shortfall;
    r.ideal_ns = v.ideal_ns;
    r.iterations = 0;
    return r;
  }
  Simulation sim(w, v, m, plan, policy, options);
  return sim.run();
}

Report run_policy(const Workload& w, const Vitality& v, const Machine& m, const Policy& policy,
                  const SimOptions& options) {
  const Plan plan = policy.plan(w, v, m);
  return simulate(w, v, m, plan, policy, options);
}

}  // namespace strata::sim
