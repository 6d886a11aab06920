#include "strata/sim/simulator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "strata/core/error.hpp"
#include "strata/core/units.hpp"
#include "strata/machine/variants.hpp"
#include "strata/plan/residency.hpp"
#include "strata/sim/event_queue.hpp"
#include "strata/sim/fault_model.hpp"
#include "strata/sim/transfers.hpp"

namespace strata::sim {

namespace {

using Kind = ResidencyState::Kind;

/// Note [faults first under Unified Memory]: the transfer classes.
constexpr TransferClass kFirst = 0;
constexpr TransferClass kAfterFaults = 1;
constexpr std::uint32_t kEngineTick = 1;
constexpr std::uint32_t kKernelEnd = 2;  ///< Event::index = the stream
/// first-touch faults (or a measured kernel's faults) handled; Event::index = the stream
constexpr std::uint32_t kTouchDone = 3;
/// device room came free without a transfer ending (a swap started, a dead victim dropped, a
/// swap vacated enough for a tensor to populate): serve the device queue again
constexpr std::uint32_t kWake = 4;
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

/// One transfer in the engine, by its slot.
struct XferInfo {
  TensorId tensor = 0;
  std::uint32_t stream = 0;  ///< which GPU's stream owns it
  std::uint32_t track = 0;   ///< 2 * link + (0 forward, 1 reverse)
  TimeNs start_ns = 0;
  bool direct = false;  ///< a kernel's in-place access, not a copy
};

/// What all GPUs of a run share: the clock, the transfer engine (links, buses, tiers' read and
/// write sides) and the bytes held in every tier.
struct Shared {
  explicit Shared(const Machine& m, std::uint32_t streams)
      : engine(machine_resources(m)),
        used(m.tiers.size(), 0),
        peak(m.tiers.size(), 0),
        track_base(streams) {}

  /// Keeps one event scheduled at the engine's next change.
  void sync_engine() {
    const TimeNs next = engine.next_event_ns();
    if (next == engine_event_ns) return;
    if (engine_event.valid()) q.cancel(engine_event);
    engine_event = {};
    engine_event_ns = next;
    if (next != kNeverNs)
      engine_event = q.schedule(std::max(next, q.now()), Event{kEngineTick, 0, 0});
  }

  EventQueue q;
  TransferEngine engine;
  EventId engine_event;
  TimeNs engine_event_ns = kNeverNs;
  std::vector<XferInfo> xfers;  ///< by transfer slot
  std::vector<std::uint64_t> used, peak;
  std::uint32_t track_base;  ///< timeline: compute tracks first, then link directions
};

/// A direct access of one kernel, resolved to the machine.
struct DirectOperand {
  TensorId tensor = 0;
  TierId tier = 0;
  bool reads = false;
  bool writes = false;
};

/// One GPU running its copy of the workload under its plan: its compute stream, its device
/// tier and every tensor's residency as that GPU sees it.
class Stream {
 public:
  Stream(const Workload& w, const Vitality& v, const Machine& m, const Plan& plan,
         const Policy& policy, const SimOptions& o, Shared& sh, std::uint32_t index);

  void place_initial();
  void begin_iteration();
  /// After every event: finish what has ended, serve the device queue, try to start.
  void step();
  void on_kernel_event() { compute_done_ = true; }
  void on_touch_done() { touching_ = false; }
  void on_transfer_done(const Completion& c, const XferInfo& info);
  bool done() const { return done_; }
  /// Adds the bytes this stream's tensors (and workspace) hold in each tier to `sum`.
  void sum_holdings(std::vector<std::uint64_t>& sum) const;
  TimeNs steady_start_ns() const { return iter_start_ns_; }
  Report& report() { return r_; }
  GpuId gpu() const { return gpu_; }

 private:
  /// Why a copy moves: Note [faults first under Unified Memory] ranks them, and a kernel that
  /// needs a tensor cancels a victim's eviction but not the plan's (Note [swap under Unified
  /// Memory]).
  enum class Copy : std::uint8_t { demand_fetch, prefetch, plan_eviction, victim_eviction };
  struct TensorState {
    Residency res{0};
    std::int64_t last_access_ns = 0;
    std::int64_t arrived_ns = 0;    ///< when it last arrived on the device (Recency::arrival)
    std::uint64_t arrival_seq = 0;  ///< EvictionCandidate::arrival_seq
    TransferId xfer;
    Copy xfer_why = Copy::prefetch;  ///< of xfer
    bool queued = false;             ///< waiting for device space
    bool queued_demand = false;
    bool reset_on_finish = false;  ///< non-persistent, released while copying across iterations
    /// evicting as a swap (Note [swap under Unified Memory]): its device room is already free
    bool room_released = false;
    std::uint64_t pin = 0;              ///< == pin_epoch_ while the current kernel uses it
    std::uint32_t dev_slot = kNoIndex;  ///< index in device_resident_
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
  /// Bytes that swaps in flight have given room for but not yet sent (Note [swap under Unified
  /// Memory]): device room a tensor or workspace populated in place cannot take yet.
  std::uint64_t unsent_swap_bytes() const;
  /// Each swap in flight, in swaps_ order: bytes it has still to send now, and its rate.
  struct SwapFlow {
    double remaining_bytes = 0;
    double bytes_per_ns = 0;
  };
  std::vector<SwapFlow> swap_flows() const;
  /// Device room for populating in place, given unsent_swap_bytes().
  std::uint64_t free_to_populate(std::uint64_t unsent) const {
    const std::uint64_t free = free_in(dev_);
    return free > unsent ? free - unsent : 0;
  }
  /// Device room for tensor t: a fetch may take swapped room at once, a tensor populated in
  /// place only what the swaps have vacated.
  std::uint64_t room_for(TensorId t, std::uint64_t unsent) const {
    return ts_[t].res.kind() == Kind::absent ? free_to_populate(unsent) : free_in(dev_);
  }
  void wake_when_populatable(std::uint64_t bytes, std::uint64_t unsent);
  std::uint64_t bytes_of(TensorId t) const { return w_.tensors[t].bytes; }
  void set_device_resident(TensorId t, bool on);
  void transition_to(TensorId t, const ResidencyState& s);
  std::string where() const;

  LinkId link_to_device(TierId other) const;
  void start_copy(TensorId t, TierId to, Copy why, TimeNs extra_latency_ns);
  void on_copy_done(const Completion& c, const XferInfo& info);
  bool try_cancel_eviction(TensorId t);
  void release_tensor(TensorId t);
  TierId victim_destination(TensorId t);
  /// Whether t is live at the current kernel: persistent, or between its first and last use in
  /// the iteration (G10's Tensor::is_alive).
  bool live(TensorId t) const {
    return w_.tensors[t].persistent ||
           (v_.tensors[t].first_use <= k_ && k_ <= v_.tensors[t].last_use);
  }
  void sync_engine() { sh_.sync_engine(); }

  // ---- device space ----
  void enqueue(TensorId t, bool demand);
  void dequeue(TensorId t);
  void serve_queue();
  void grant(TensorId t);
  void make_room();

  // ---- plan and stream ----
  void issue(const Action& a);
  void begin_kernel(KernelId k);
  void charge_measured_faults();
  void start_item();
  bool in_place(TensorId t) const;
  void start_direct(const DirectOperand& d);
  void try_start();
  void settle_overlapped_stalls(TimeNs end_ns);
  /// The report's stall reason for what blocked (not Block::none).
  TimeNs& stall_for(Block b) {
    return b == Block::prefetch ? r_.stall.waiting_for_prefetch_ns
           : b == Block::fault  ? r_.stall.demand_fetch_ns
                                : r_.stall.eviction_backpressure_ns;
  }
  void finish_item();
  void finish_recompute();
  void end_kernel();
  void record_span(std::uint32_t track, std::string name, TimeNs start_ns, TimeNs end_ns);

  const Workload& w_;
  const Vitality& v_;
  const Machine& m_;
  const Plan& plan_;
  const Policy& policy_;
  const SimOptions& o_;
  Shared& sh_;
  EventQueue& q_;
  TransferEngine& engine_;
  std::vector<std::uint64_t>& used_;
  std::vector<std::uint64_t>& peak_;
  const std::uint32_t index_;  ///< this stream among the run's
  /// KernelTiming::g10 for this run (Note [kernel timing] in simulator.hpp)
  const bool overlap_arrival_;
  /// Note [first touch once]: under managed memory, whether a fresh tensor's first touch still
  /// faults after the first iteration (everything the workload allocates does not fit on the
  /// device at once)
  bool touches_every_iteration_ = false;
  /// Note [swap under Unified Memory]: evictions give their device room back as they start
  const bool swap_evictions_;
  std::uint64_t arrivals_ = 0;  ///< tensors arrived on the device so far (arrival_seq)
  const DeadTensors dead_;      ///< Note [dead tensors] in plan/policy.hpp
  bool first_touches() const {
    return policy_.first_touch_faults() && (iter_ == 0 || touches_every_iteration_);
  }
  const GpuId gpu_;

  TierId dev_ = 0;
  std::optional<TierId> host_, ssd_;
  std::uint64_t dev_freeing_ = 0;  ///< device bytes of evictions in flight
  /// swaps in flight (Note [swap under Unified Memory]): their room is free for fetches, whose
  /// bytes arrive as the victims' leave; a tensor populated in place gets it as it is vacated
  std::vector<TensorId> swaps_;
  TimeNs next_wake_ns_ = kNeverNs;  ///< a kWake this stream has pending
  std::vector<TensorState> ts_;
  std::vector<TensorId> device_resident_;  ///< resident(dev), not moving
  std::vector<std::vector<TensorId>> kernel_tensors_;
  std::vector<std::vector<TensorId>> dies_after_;   ///< non-persistent tensors by last use
  std::vector<std::vector<DirectOperand>> direct_;  ///< per kernel
  std::vector<KernelId> producer_;

  std::vector<TensorId> queue_;  ///< waiting for device space, in request order
  std::uint64_t queued_bytes_ = 0;

  // stream
  std::uint32_t iter_ = 0;
  KernelId k_ = 0;
  bool waiting_ = false;
  bool running_ = false;
  bool compute_done_ = false;         ///< the running item's compute time has passed
  std::uint32_t direct_pending_ = 0;  ///< in-place accesses of the running kernel in flight
  bool done_ = false;
  bool ws_held_ = false;
  std::uint64_t pin_epoch_ = 0;
  TimeNs wait_since_ns_ = 0;
  Block block_ = Block::none;
  /// first-touch fault handling the current item still owes before it may start, and whether
  /// that handling is under way (a kTouchDone event is pending)
  TimeNs touch_pending_ns_ = 0;
  /// KernelTiming::g10 (Note [kernel timing]): when the current item first tried to start, the
  /// fault handling it owes, and the stalls accounted to it so far (prefetch, fault, space)
  TimeNs item_first_try_ns_ = 0;
  TimeNs item_handling_ns_ = 0;
  std::array<TimeNs, 3> item_stall_ns_{};
  bool touching_ = false;
  /// the current item is a kernel with measured page-fault times (Note [measured fault model]
  /// in sim/fault_model.hpp), and whether its fault time has been charged yet
  bool item_measured_ = false;
  bool measured_charged_ = false;
  FaultLinkRates fault_rates_;
  TimeNs iter_start_ns_ = 0;
  TimeNs kernel_start_ns_ = 0;
  bool steady_ = false;

  // the item the stream runs next: a recompute (before kernel k_) or kernel k_ itself
  std::deque<TensorId> recomputes_;  ///< issued, not yet run, in issue order
  bool item_recompute_ = false;
  TensorId item_tensor_ = 0;  ///< the tensor a recompute item produces
  std::vector<TensorId> recompute_need_;
  const std::vector<TensorId>* need_ = nullptr;  ///< tensors the item needs on the device
  std::uint64_t item_ws_bytes_ = 0;
  std::int64_t item_duration_ns_ = 0;

  Report r_;  ///< this GPU's share; the Simulation merges them
};

Stream::Stream(const Workload& w, const Vitality& v, const Machine& m, const Plan& plan,
               const Policy& policy, const SimOptions& o, Shared& sh, std::uint32_t index)
    : w_(w),
      v_(v),
      m_(m),
      plan_(plan),
      policy_(policy),
      o_(o),
      sh_(sh),
      q_(sh.q),
      engine_(sh.engine),
      used_(sh.used),
      peak_(sh.peak),
      index_(index),
      overlap_arrival_(o.kernel_timing == KernelTiming::g10 ||
                       (o.kernel_timing == KernelTiming::policy && policy.demand_paged_kernels())),
      swap_evictions_(policy.demand_paged_kernels()),
      dead_(policy.dead_tensors()),
      gpu_(o.gpu + index) {
  dev_ = m_.gpus[gpu_].memory;
  host_ = m_.host_tier();
  if (const auto ssds = m_.ssd_tiers(); !ssds.empty()) ssd_ = ssds.front();
  for (const std::optional<TierId>& tier : {host_, ssd_}) {
    if (!tier) continue;
    const std::optional<LinkId> l = m_.link_between(dev_, *tier);
    if (!l) continue;
    (tier == host_ ? fault_rates_.pcie_bytes_per_s : fault_rates_.ssd_bytes_per_s) =
        m_.links[*l].bytes_per_s;
  }
  r_.links.reserve(m_.links.size());
  for (const Link& l : m_.links) r_.links.push_back({l.name, 0, 0});
  ts_.resize(w_.tensors.size());
  kernel_tensors_.reserve(w_.kernels.size());
  for (const Kernel& k : w_.kernels) kernel_tensors_.push_back(kernel_tensors(k));
  dies_after_.resize(w_.kernels.size());
  for (TensorId t = 0; t < w_.tensors.size(); ++t) {
    ts_[t].res = Residency(t);
    if (!w_.tensors[t].persistent) dies_after_[v_.tensors[t].last_use].push_back(t);
  }
  direct_.resize(w_.kernels.size());
  for (KernelId k = 0; k < w_.kernels.size(); ++k) {
    const Kernel& kernel = w_.kernels[k];
    for (const DirectAccess& d : plan_.kernels[k].direct) {
      const auto has = [&](const std::vector<TensorId>& list) {
        return std::find(list.begin(), list.end(), d.tensor) != list.end();
      };
      const TierId tier = resolve_tier(m_, gpu_, d.tier);
      link_to_device(tier);  // Unsupported if there is none (validate() requires one)
      direct_[k].push_back({d.tensor, tier, has(kernel.inputs), has(kernel.outputs)});
    }
  }
  producer_ = producers(w_);
  // Note [first touch once]: managed memory keeps the pages it has populated; if every tensor
  // of the workload (and the largest workspace) fits on the device at once, nothing is ever
  // evicted, every page populated in the first iteration is still there in the next, and
  // fresh tensors fault only in the first iteration. G10's Base UVM, which never frees a
  // tensor, behaves so; a caching allocator that reuses the same blocks every iteration too.
  std::uint64_t footprint = 0, workspace = 0;
  for (const Tensor& t : w_.tensors) footprint += t.bytes;
  for (const Kernel& k : w_.kernels) workspace = std::max(workspace, k.workspace_bytes);
  touches_every_iteration_ = footprint + workspace > m_.tiers[dev_].capacity_bytes;
}

std::string Stream::where() const {
  return fmt::format("kernel {} of iteration {}{}", k_, iter_ + 1,
                     o_.gpu_count > 1 ? " on " + m_.gpus[gpu_].name : std::string());
}

void Stream::set_device_resident(TensorId t, bool on) {
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

void Stream::transition_to(TensorId t, const ResidencyState& s) {
  ts_[t].res.transition(s);
  set_device_resident(t, s.kind == Kind::resident && s.from == dev_);
}

LinkId Stream::link_to_device(TierId other) const {
  const std::optional<LinkId> l = m_.link_between(dev_, other);
  if (!l)
    throw Unsupported(fmt::format(
        "machine {}: no direct link between {} and {}; multi-hop transfers are not simulated yet",
        m_.name, m_.tiers[dev_].name, m_.tiers[other].name));
  return *l;
}

void Stream::start_copy(TensorId t, TierId to, Copy why, TimeNs extra_latency_ns) {
  TensorState& s = ts_[t];
  const TierId from = s.res.state().from;
  const LinkId link = link_to_device(from == dev_ ? to : from);
  Route route = route_for(m_, link, from);
  route.latency_ns += extra_latency_ns;
  const std::uint64_t bytes = bytes_of(t);
  hold(to, bytes);
  transition_to(t, ResidencyState::moving(from, to));
  if (from == dev_ && swap_evictions_) {
    // Note [swap under Unified Memory]: the room is free now; serve the queue again without
    // waiting for the bytes.
    unhold(dev_, bytes);
    swaps_.push_back(t);
    s.room_released = true;
    q_.schedule(q_.now(), Event{kWake, index_, k_});
  } else if (from == dev_) {
    dev_freeing_ += bytes;
  }
  const TimeNs now = q_.now();
  // Note [faults first under Unified Memory]; explicit copies are one class, sharing fairly.
  const bool first = !swap_evictions_ || why == Copy::demand_fetch || why == Copy::plan_eviction;
  s.xfer = engine_.start(route, bytes, now, first ? kFirst : kAfterFaults,
                         /*in_order=*/swap_evictions_);
  s.xfer_why = why;
  const std::uint32_t slot = static_cast<std::uint32_t>(s.xfer.value & 0xffffffffu);
  if (sh_.xfers.size() <= slot) sh_.xfers.resize(slot + 1);
  const bool forward = m_.links[link].from == from;
  sh_.xfers[slot] = {t, index_, 2 * link + (forward ? 0u : 1u), now, false};
  if (steady_) {
    LinkTraffic& lt = r_.links[link];
    (forward ? lt.to_slower_bytes : lt.to_faster_bytes) += bytes;
  }
  sync_engine();
}

void Stream::on_transfer_done(const Completion& c, const XferInfo& info) {
  if (!info.direct) return on_copy_done(c, info);
  STRATA_EXPECTS(direct_pending_ > 0, "an in-place access finished with none in flight");
  --direct_pending_;
  if (o_.record_timeline && steady_)
    record_span(sh_.track_base + info.track, "direct " + w_.tensors[info.tensor].name,
                info.start_ns, c.finish_ns);
}

void Stream::on_copy_done(const Completion& c, const XferInfo& info) {
  const TensorId t = info.tensor;
  TensorState& s = ts_[t];
  STRATA_EXPECTS(s.xfer == c.id, "completion of a transfer the tensor no longer owns");
  const ResidencyState st = s.res.state();
  const std::uint64_t bytes = bytes_of(t);
  if (s.room_released) {
    s.room_released = false;
    swaps_.erase(std::find(swaps_.begin(), swaps_.end(), t));
  } else {
    unhold(st.from, bytes);
    if (st.from == dev_) dev_freeing_ -= bytes;
  }
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
    if (st.to == dev_) {
      s.last_access_ns = s.arrived_ns = c.finish_ns;
      s.arrival_seq = ++arrivals_;
    }
  }
  if (o_.record_timeline && steady_) {
    const std::string what =
        st.to == dev_
            ? (s.xfer_why == Copy::demand_fetch ? "fault " : "fetch ")
            : (std::string("evict -> ") + std::string(to_string(m_.tiers[st.to].kind)) + " ");
    record_span(sh_.track_base + info.track, what + w_.tensors[t].name, info.start_ns, c.finish_ns);
  }
}

void Stream::record_span(std::uint32_t track, std::string name, TimeNs start_ns, TimeNs end_ns) {
  // Absolute times; the Simulation shifts them to the earliest steady-state start.
  r_.timeline.spans.push_back({track, std::move(name), start_ns, end_ns - start_ns});
}

bool Stream::try_cancel_eviction(TensorId t) {
  TensorState& s = ts_[t];
  const ResidencyState st = s.res.state();
  if (st.kind != Kind::moving || st.from != dev_) return false;
  // A swap's room may have been taken already; then the tensor comes back once it is out.
  if (s.room_released && free_in(dev_) < bytes_of(t)) return false;
  if (!engine_.cancel(s.xfer, q_.now())) return false;  // finishing now: advance() reports it
  sync_engine();
  unhold(st.to, bytes_of(t));
  if (s.room_released) {
    hold(dev_, bytes_of(t));
    s.room_released = false;
    swaps_.erase(std::find(swaps_.begin(), swaps_.end(), t));
  } else {
    dev_freeing_ -= bytes_of(t);
  }
  s.xfer = {};
  s.res.cancel_move();
  set_device_resident(t, true);
  return true;
}

std::vector<Stream::SwapFlow> Stream::swap_flows() const {
  // Rates are constant between engine events: extrapolate from the engine's time to now.
  const double since_s = static_cast<double>(q_.now() - engine_.now()) / 1e9;
  std::vector<SwapFlow> flows;
  flows.reserve(swaps_.size());
  for (const TensorId t : swaps_) {
    const TransferInfo x = engine_.info(ts_[t].xfer);
    flows.push_back(
        {std::max(0.0, x.remaining_bytes - x.bytes_per_s * since_s), x.bytes_per_s / 1e9});
  }
  return flows;
}

std::uint64_t Stream::unsent_swap_bytes() const {
  double unsent = 0;
  for (const SwapFlow& f : swap_flows()) unsent += f.remaining_bytes;
  return static_cast<std::uint64_t>(std::ceil(unsent));
}

void Stream::wake_when_populatable(std::uint64_t bytes, std::uint64_t unsent) {
  // Note [swap under Unified Memory]: a tensor waiting to be populated in room that swaps are
  // still vacating gets it when enough of their bytes have left; wake the stream then (a new
  // estimate is made if rates change before).
  const std::uint64_t free = free_in(dev_);
  if (bytes > free || swaps_.empty()) return;  // needs victims, or nothing to wait for
  const std::uint64_t have = free_to_populate(unsent);
  if (bytes <= have) return;
  const double deficit = static_cast<double>(bytes - have);
  // (ns until it has sent all it has left, bytes left, bytes per ns) of each flowing swap
  std::vector<std::array<double, 3>> flows;
  for (const SwapFlow& f : swap_flows()) {
    // done, or not flowing yet (an engine event wakes us)
    if (f.remaining_bytes <= 0 || f.bytes_per_ns <= 0) continue;
    flows.push_back({f.remaining_bytes / f.bytes_per_ns, f.remaining_bytes, f.bytes_per_ns});
  }
  std::sort(flows.begin(), flows.end());
  // The bytes sent grow piecewise linearly: at the sum of the rates until the first flow ends,
  // then without it, and so on.
  double rate = 0, sent_by_done = 0;
  for (const auto& f : flows) rate += f[2];
  double wait_ns = -1;
  for (const auto& [end_ns, rem, r] : flows) {
    if (sent_by_done + rate * end_ns >= deficit) {
      wait_ns = (deficit - sent_by_done) / rate;
      break;
    }
    sent_by_done += rem;
    rate -= r;
  }
  if (wait_ns < 0) return;  // the flowing swaps do not vacate enough; their ends wake us
  const TimeNs at = q_.now() + std::max<TimeNs>(1, static_cast<TimeNs>(std::ceil(wait_ns - 1e-6)));
  if (next_wake_ns_ != kNeverNs && next_wake_ns_ >= q_.now() && next_wake_ns_ <= at) return;
  next_wake_ns_ = at;
  q_.schedule(at, Event{kWake, index_, k_});
}

void Stream::dequeue(TensorId t) {
  TensorState& s = ts_[t];
  if (!s.queued) return;
  s.queued = false;
  s.queued_demand = false;
  queue_.erase(std::find(queue_.begin(), queue_.end(), t));
  queued_bytes_ -= bytes_of(t);
}

void Stream::release_tensor(TensorId t) {
  TensorState& s = ts_[t];
  dequeue(t);
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

TierId Stream::victim_destination(TensorId t) {
  const std::uint64_t b = bytes_of(t);
  if (host_ && free_in(*host_) >= b) return *host_;
  if (ssd_ && free_in(*ssd_) >= b) return *ssd_;
  throw Infeasible{fmt::format("no room to evict {} ({}): host and SSD are full at {}",
                               w_.tensors[t].name, format_bytes(b), where())};
}

void Stream::enqueue(TensorId t, bool demand) {
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

void Stream::grant(TensorId t) {
  TensorState& s = ts_[t];
  s.queued = false;
  queued_bytes_ -= bytes_of(t);
  const ResidencyState st = s.res.state();
  if (st.kind == Kind::absent) {
    hold(dev_, bytes_of(t));
    transition_to(t, ResidencyState::resident(dev_));
    s.last_access_ns = s.arrived_ns = q_.now();
    s.arrival_seq = ++arrivals_;
    if (s.queued_demand && first_touches()) {
      // A measured kernel's first touches are in its measured fault time instead.
      if (!item_measured_) {
        const TimeNs touch_ns = first_touch_latency_ns(m_.fault, bytes_of(t));
        (overlap_arrival_ ? item_handling_ns_ : touch_pending_ns_) += touch_ns;
      }
      if (steady_) {
        ++r_.first_touch_faults;
        r_.first_touch_bytes += bytes_of(t);
      }
    }
  } else {
    STRATA_EXPECTS(st.kind == Kind::resident && st.from != dev_, "granted a tensor not elsewhere");
    const bool fault = s.queued_demand;
    if (fault && steady_) {
      ++r_.demand_fetches;
      r_.demand_fetch_bytes += bytes_of(t);
    }
    TimeNs handling_ns =
        fault && !item_measured_ ? demand_fetch_latency_ns(m_.fault, bytes_of(t)) : 0;
    if (overlap_arrival_) {  // Note [kernel timing]: handling is owed by the kernel, the bytes
      item_handling_ns_ += handling_ns;  // flow meanwhile
      handling_ns = 0;
    }
    start_copy(t, dev_, fault ? Copy::demand_fetch : Copy::prefetch, handling_ns);
  }
  s.queued_demand = false;
}

void Stream::serve_queue() {
  if (queue_.empty() && (ws_held_ || !waiting_)) return;
  // No time passes here, so what the swaps have not yet vacated is the same all pass long.
  const std::uint64_t unsent = swaps_.empty() ? 0 : unsent_swap_bytes();
  // The smallest tensor or workspace refused only for want of vacated room: wake when it fits.
  std::uint64_t refused = 0;
  const auto refuse = [&](std::uint64_t bytes) {
    if (unsent > 0 && bytes <= free_in(dev_) && (refused == 0 || bytes < refused)) refused = bytes;
  };
  // The current item first: its tensors, then its workspace.
  if (waiting_) {
    for (std::size_t i = 0; i < queue_.size();) {
      const TensorId t = queue_[i];
      if (ts_[t].queued_demand && bytes_of(t) <= room_for(t, unsent)) {
        queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(i));
        grant(t);
      } else {
        if (ts_[t].queued_demand) refuse(bytes_of(t));
        ++i;
      }
    }
    if (!ws_held_ && item_ws_bytes_ <= free_to_populate(unsent)) {
      hold(dev_, item_ws_bytes_);
      ws_held_ = true;
    } else if (!ws_held_) {
      refuse(item_ws_bytes_);
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
    if (bytes_of(t) > room_for(t, unsent)) {
      refuse(bytes_of(t));
      break;
    }
    queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(i));
    grant(t);
  }
  if (refused > 0) wake_when_populatable(refused, unsent);
}

void Stream::make_room() {
  // Room for what the current item waits for (its demand fetches, allocations, workspace), then
  // for plan prefetches (VictimRequest::for_prefetch).
  std::uint64_t demand_need = waiting_ && !ws_held_ ? item_ws_bytes_ : 0;
  for (const TensorId t : queue_)
    if (ts_[t].queued_demand) demand_need += bytes_of(t);
  const std::uint64_t need = queued_bytes_ + (waiting_ && !ws_held_ ? item_ws_bytes_ : 0);
  const std::uint64_t have = free_in(dev_) + dev_freeing_;
  if (need <= have) return;
  std::vector<EvictionCandidate> cands;
  for (TensorId t : device_resident_) {
    const TensorState& s = ts_[t];
    if (s.pin == pin_epoch_ || s.queued) continue;
    cands.push_back({t, bytes_of(t), s.last_access_ns, s.arrived_ns, s.arrival_seq});
  }
  std::sort(cands.begin(), cands.end(), [](const EvictionCandidate& a, const EvictionCandidate& b) {
    return a.tensor < b.tensor;
  });
  const std::uint64_t demand_short_by = demand_need > have ? demand_need - have : 0;
  for (const TensorId t :
       choose_victims(policy_, k_, std::move(cands), demand_short_by, need - have)) {
    if (dead_ == DeadTensors::dropped_on_evict && !live(t)) {
      // Note [dead tensors]: dropped without a copy; its next use populates it again.
      unhold(dev_, bytes_of(t));
      transition_to(t, ResidencyState::released());
      transition_to(t, ResidencyState::absent());
      q_.schedule(q_.now(), Event{kWake, index_, k_});
      if (steady_) {
        ++r_.dead_drops;
        r_.dead_drop_bytes += bytes_of(t);
      }
      continue;
    }
    start_copy(t, victim_destination(t), Copy::victim_eviction, 0);
    if (steady_) {
      ++r_.victim_evictions;
      r_.victim_eviction_bytes += bytes_of(t);
    }
  }
}

void Stream::issue(const Action& a) {
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
        // Under Unified Memory a hint for pages in transfer is ignored (Note [swap under
        // Unified Memory]); the kernel that needs the tensor cancels the eviction or fetches it
        // back once it is out. Elsewhere a prefetch cancels the eviction.
        if (swap_evictions_ || !try_cancel_eviction(t)) ignored();
      } else {
        ignored();
      }
      break;
    case ActionKind::evict: {
      if (st.kind != Kind::resident || st.from != dev_ || s.pin == pin_epoch_) return ignored();
      TierId to = resolve_tier(m_, gpu_, a.to);
      if (free_in(to) < bytes_of(t)) to = victim_destination(t);
      start_copy(t, to, Copy::plan_eviction, 0);
      break;
    }
    case ActionKind::release: release_tensor(t); break;
    case ActionKind::recompute:
      // Recompute instead of fetching: drop any copy elsewhere; the stream re-runs the
      // producer before the next kernel, allocating t on the device.
      if (st.kind == Kind::resident && st.from != dev_) {
        release_tensor(t);
      } else if (st.kind != Kind::released) {
        return ignored();  // on the device, on its way, or not produced yet
      }
      transition_to(t, ResidencyState::absent());
      recomputes_.push_back(t);
      break;
  }
}

void Stream::begin_kernel(KernelId k) {
  k_ = k;
  ++pin_epoch_;
  for (TensorId t : kernel_tensors_[k]) ts_[t].pin = pin_epoch_;
  for (const Action& a : plan_.kernels[k].before) issue(a);
  start_item();
}

void Stream::start_item() {
  if (!recomputes_.empty()) {
    const TensorId t = recomputes_.front();
    recomputes_.pop_front();
    const Kernel& p = w_.kernels[producer_[t]];
    item_recompute_ = true;
    item_tensor_ = t;
    recompute_need_.clear();
    for (TensorId in : recompute_inputs(p)) {
      if (std::find(recompute_need_.begin(), recompute_need_.end(), in) != recompute_need_.end())
        continue;
      const Kind kind = ts_[in].res.kind();
      if (kind == Kind::released || kind == Kind::releasing)
        throw InvalidInput(fmt::format(
            "plan '{}': recomputing {} before {} re-runs {} ({}), which reads {}, but the plan "
            "released {} earlier; keep it or recompute it first",
            plan_.name, w_.tensors[t].name, where(), p.id, p.name, w_.tensors[in].name,
            w_.tensors[in].name));
      recompute_need_.push_back(in);
    }
    recompute_need_.push_back(t);
    need_ = &recompute_need_;
    item_ws_bytes_ = p.workspace_bytes;
    item_duration_ns_ = p.duration_ns;
  } else {
    item_recompute_ = false;
    need_ = &kernel_tensors_[k_];
    item_ws_bytes_ = w_.kernels[k_].workspace_bytes;
    item_duration_ns_ = w_.kernels[k_].duration_ns;
  }
  item_measured_ = o_.fault_cost != FaultCost::batches && !item_recompute_ &&
                   w_.kernels[k_].pf_times.has_value();
  measured_charged_ = false;
  ++pin_epoch_;
  for (TensorId t : *need_) ts_[t].pin = pin_epoch_;
  waiting_ = true;
  ws_held_ = false;
  wait_since_ns_ = q_.now();
  item_first_try_ns_ = q_.now();
  item_handling_ns_ = 0;
  item_stall_ns_ = {};
  block_ = Block::none;
  try_start();
}

void Stream::charge_measured_faults() {
  // Note [measured fault model]: what the kernel faults is decided when it first tries to start,
  // as in G10 (KernelBeginEvent::execute): a tensor not on the device and not on its way
  // (a prefetch in flight or waiting for room, an eviction that will be cancelled) is faulted.
  measured_charged_ = true;
  const Kernel& kernel = w_.kernels[k_];
  KernelFaults f;
  const auto count = [&](TensorId t, bool input) {
    const std::uint64_t pages = fault_pages(m_.fault, bytes_of(t));
    (input ? f.input_pages : f.output_pages) += pages;
    if (in_place(t) || ts_[t].queued) return;
    const ResidencyState st = ts_[t].res.state();
    const bool elsewhere = st.kind == Kind::resident && st.from != dev_;
    const bool first_touch = st.kind == Kind::absent && first_touches();
    if (!elsewhere && !first_touch) return;
    (input ? f.input_faulted_pages : f.output_faulted_pages) += pages;
    if (elsewhere && ssd_ && st.from == *ssd_)
      (input ? f.input_ssd_pages : f.output_ssd_pages) += pages;
  };
  // Each distinct tensor once; one that is both read and written counts as an input, as in G10.
  for (TensorId t : kernel_tensors_[k_])
    count(t, std::find(kernel.inputs.begin(), kernel.inputs.end(), t) != kernel.inputs.end());
  const TimeNs fault_ns = o_.fault_cost == FaultCost::g10
                              ? g10_executed_fault_ns(m_.fault, kernel, f, fault_rates_)
                              : measured_fault_ns(m_.fault, kernel, f, fault_rates_);
  if (fault_ns <= 0) return;
  if (overlap_arrival_) {  // Note [kernel timing]: owed, not waited for
    item_handling_ns_ += fault_ns;
    return;
  }
  // The kernel may not start before its fault time has passed; the faulted bytes move over the
  // links meanwhile (grant() starts them with no per-batch latency).
  q_.schedule(q_.now() + fault_ns, Event{kTouchDone, index_, k_});
  touching_ = true;
}

bool Stream::in_place(TensorId t) const {
  if (item_recompute_ || direct_[k_].empty()) return false;
  for (const DirectOperand& d : direct_[k_])
    if (d.tensor == t) return ts_[t].res.is_resident_in(d.tier) && !ts_[t].queued;
  return false;
}

void Stream::start_direct(const DirectOperand& d) {
  const LinkId link = link_to_device(d.tier);
  const TimeNs now = q_.now();
  const std::uint64_t bytes = bytes_of(d.tensor);
  for (const bool read : {true, false}) {
    if (read ? !d.reads : !d.writes) continue;
    const TierId from = read ? d.tier : dev_;
    const TransferId id = engine_.start(route_for(m_, link, from), bytes, now);
    const std::uint32_t slot = static_cast<std::uint32_t>(id.value & 0xffffffffu);
    if (sh_.xfers.size() <= slot) sh_.xfers.resize(slot + 1);
    const bool forward = m_.links[link].from == from;
    sh_.xfers[slot] = {d.tensor, index_, 2 * link + (forward ? 0u : 1u), now, true};
    ++direct_pending_;
    if (steady_) {
      LinkTraffic& lt = r_.links[link];
      (forward ? lt.to_slower_bytes : lt.to_faster_bytes) += bytes;
      r_.direct_access_bytes += bytes;
    }
  }
  sync_engine();
}

void Stream::try_start() {
  // Stall accounting: the time since the last check goes to what blocked us then.
  const TimeNs now = q_.now();
  if (steady_) {
    const TimeNs d = now - wait_since_ns_;
    if (block_ != Block::none) {
      stall_for(block_) += d;
      item_stall_ns_[static_cast<std::size_t>(block_) - 1] += d;
    }
  }
  wait_since_ns_ = now;

  if (item_measured_ && !measured_charged_) charge_measured_faults();
  for (TensorId t : *need_) {
    if (in_place(t)) continue;
    const ResidencyState st = ts_[t].res.state();
    // Note [swap under Unified Memory]: the plan's evictions run their course.
    if (st.kind == Kind::moving && st.from == dev_ &&
        !(swap_evictions_ && ts_[t].xfer_why == Copy::plan_eviction))
      try_cancel_eviction(t);
    const ResidencyState cur = ts_[t].res.state();
    if ((cur.kind == Kind::resident && cur.from != dev_) || cur.kind == Kind::absent)
      enqueue(t, true);
    if (cur.kind == Kind::released)
      throw InvalidInput(fmt::format(
          "plan '{}': {} needs {}, which the plan released and did not recompute before it",
          plan_.name, where(), w_.tensors[t].name));
  }
  serve_queue();
  Block block = Block::none;
  bool ready = ws_held_;
  for (TensorId t : *need_) {
    const TensorState& s = ts_[t];
    const ResidencyState st = s.res.state();
    if (st.kind == Kind::resident && st.from == dev_) continue;
    if (in_place(t)) continue;
    ready = false;
    Block b = Block::space;
    if (st.kind == Kind::moving && st.to == dev_)
      b = s.xfer_why == Copy::demand_fetch ? Block::fault : Block::prefetch;
    if (b == Block::fault || (b == Block::prefetch && block != Block::fault) ||
        block == Block::none)
      block = b;
  }
  if (!ws_held_ && block == Block::none) block = Block::space;
  if (ready && (touching_ || touch_pending_ns_ > 0)) {
    // Everything is in place, but pages populated by first touch are still being faulted in.
    if (!touching_) {
      q_.schedule(now + touch_pending_ns_, Event{kTouchDone, index_, k_});
      touching_ = true;
      touch_pending_ns_ = 0;
    }
    block_ = Block::fault;
    return;
  }
  if (!ready) {
    block_ = block;
    make_room();
    if (q_.empty() && engine_.idle())
      throw InternalError(fmt::format("simulator: {} can never start (deadlock)", where()));
    return;
  }
  waiting_ = false;
  running_ = true;
  compute_done_ = false;
  block_ = Block::none;
  kernel_start_ns_ = now;
  TimeNs end_ns = now + item_duration_ns_;
  if (overlap_arrival_) {
    // Note [kernel timing]: the compute overlaps the wait for its data.
    end_ns = std::max(now, item_first_try_ns_ + item_handling_ns_ + item_duration_ns_);
    kernel_start_ns_ = end_ns - item_duration_ns_;
    if (steady_) settle_overlapped_stalls(end_ns);
  }
  if (!item_recompute_)
    for (const DirectOperand& d : direct_[k_])
      if (in_place(d.tensor)) start_direct(d);
  q_.schedule(end_ns, Event{kKernelEnd, index_, k_});
  make_room();  // queued prefetches may need victims now that pins are settled
}

void Stream::settle_overlapped_stalls(TimeNs end_ns) {
  // Under KernelTiming::g10 the item's stall is what its end adds to its compute time; the
  // waits accounted while it tried to start overlap its compute by the difference. Take that
  // back from the reasons in proportion, or charge the handling the wait did not cover as
  // fault time.
  const TimeNs stall = end_ns - item_first_try_ns_ - item_duration_ns_;
  TimeNs accounted = 0;
  for (const TimeNs d : item_stall_ns_) accounted += d;
  if (stall >= accounted) {
    stall_for(Block::fault) += stall - accounted;
    return;
  }
  const TimeNs excess = accounted - stall;
  std::array<TimeNs, 3> share{};
  TimeNs taken = 0;
  for (std::size_t i = 0; i < share.size(); ++i) {
    share[i] =
        static_cast<TimeNs>(static_cast<double>(excess) * static_cast<double>(item_stall_ns_[i]) /
                            static_cast<double>(accounted));
    share[i] = std::min(share[i], item_stall_ns_[i]);
    taken += share[i];
  }
  for (std::size_t i = 0; i < share.size() && taken < excess; ++i) {  // the rounding left over
    const TimeNs more = std::min(excess - taken, item_stall_ns_[i] - share[i]);
    share[i] += more;
    taken += more;
  }
  for (const Block b : {Block::prefetch, Block::fault, Block::space})
    stall_for(b) -= share[static_cast<std::size_t>(b) - 1];
}

void Stream::step() {
  if (done_) return;
  if (running_ && compute_done_ && direct_pending_ == 0) finish_item();
  if (done_) return;
  serve_queue();
  if (waiting_)
    try_start();
  else
    make_room();
}

void Stream::finish_item() {
  running_ = false;
  compute_done_ = false;
  if (item_recompute_)
    finish_recompute();
  else
    end_kernel();
}

void Stream::finish_recompute() {
  const TimeNs now = q_.now();
  for (TensorId t : recompute_need_) ts_[t].last_access_ns = now;
  if (ws_held_) unhold(dev_, item_ws_bytes_);
  ws_held_ = false;
  if (steady_) {
    ++r_.recomputes;
    r_.recompute_ns += now - kernel_start_ns_;
    if (o_.record_timeline)
      record_span(index_, "recompute " + w_.tensors[item_tensor_].name, kernel_start_ns_, now);
  }
  start_item();
}

void Stream::end_kernel() {
  const TimeNs now = q_.now();
  const Kernel& kernel = w_.kernels[k_];
  for (TensorId t : kernel_tensors_[k_]) ts_[t].last_access_ns = now;
  if (ws_held_) unhold(dev_, kernel.workspace_bytes);
  ws_held_ = false;
  if (steady_) {
    r_.direct_access_ns += now - kernel_start_ns_ - kernel.duration_ns;
    if (o_.record_timeline) record_span(index_, kernel.name, kernel_start_ns_, now);
  }
  ++pin_epoch_;  // nothing is pinned between kernels
  for (const Action& a : plan_.kernels[k_].after) issue(a);
  if (dead_ == DeadTensors::freed)
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

void Stream::begin_iteration() {
  iter_start_ns_ = q_.now();
  steady_ = iter_ + 1 == o_.iterations;
  for (TensorId t = 0; t < ts_.size(); ++t) {
    if (w_.tensors[t].persistent) continue;
    TensorState& s = ts_[t];
    const Kind kind = s.res.kind();
    // Note [dead tensors]: a policy that keeps them finds them where the last iteration left
    // them (its first use faults them back, or populates them if they were dropped).
    STRATA_EXPECTS(dead_ != DeadTensors::freed || kind == Kind::released ||
                       kind == Kind::releasing || kind == Kind::absent,
                   "a non-persistent tensor outlived its iteration");
    if (kind == Kind::released) transition_to(t, ResidencyState::absent());
    if (kind == Kind::releasing) s.reset_on_finish = true;
  }
  begin_kernel(0);
}

void Stream::place_initial() {
  // Persistent tensors start where the plan says; one that does not fit there spills to host,
  // then SSD, in tensor order.
  for (TensorId t = 0; t < w_.tensors.size(); ++t) {
    if (!w_.tensors[t].persistent) continue;
    TierId tier = resolve_tier(m_, gpu_, plan_.initial_tier(t));
    if (free_in(tier) < bytes_of(t)) tier = victim_destination(t);
    hold(tier, bytes_of(t));
    transition_to(t, ResidencyState::resident(tier));
  }
}

void Stream::sum_holdings(std::vector<std::uint64_t>& sum) const {
  for (TensorId t = 0; t < ts_.size(); ++t) {
    const ResidencyState& st = ts_[t].res.state();
    if (st.kind == Kind::resident) sum[st.from] += bytes_of(t);
    if (st.kind == Kind::moving || st.kind == Kind::releasing) {
      if (!ts_[t].room_released) sum[st.from] += bytes_of(t);
      sum[st.to] += bytes_of(t);
    }
  }
  if (ws_held_) sum[dev_] += item_ws_bytes_;
}

/// A whole run: one Stream per GPU over one Shared clock, engine and set of tiers.
class Simulation {
 public:
  /// `plans[i]` is GPU o.gpu + i's plan.
  Simulation(const Workload& w, const Vitality& v, const Machine& m,
             const std::vector<const Plan*>& plans, const Policy& policy, const SimOptions& o)
      : w_(w), v_(v), m_(m), policy_(policy), o_(o), sh_(m, o.gpu_count) {
    for (std::uint32_t i = 0; i < o.gpu_count; ++i)
      streams_.push_back(std::make_unique<Stream>(w, v, m, *plans[i], policy, o, sh_, i));
  }

  Report run();

 private:
  void check_capacities(bool full) const;
  bool all_done() const {
    return std::all_of(streams_.begin(), streams_.end(), [](const auto& s) { return s->done(); });
  }
  void merge(Report& r);

  const Workload& w_;
  const Vitality& v_;
  const Machine& m_;
  const Policy& policy_;
  const SimOptions& o_;
  Shared sh_;
  std::vector<std::unique_ptr<Stream>> streams_;
};

void Simulation::check_capacities(bool full) const {
  const std::vector<std::uint64_t>& used = sh_.used;
  for (TierId i = 0; i < m_.tiers.size(); ++i)
    if (used[i] > m_.tiers[i].capacity_bytes)
      throw InternalError(fmt::format("simulator: tier {} holds {} > capacity {}", m_.tiers[i].name,
                                      used[i], m_.tiers[i].capacity_bytes));
  if (!full) return;
  std::vector<std::uint64_t> sum(m_.tiers.size(), 0);
  for (const auto& s : streams_) s->sum_holdings(sum);
  for (TierId i = 0; i < m_.tiers.size(); ++i)
    if (sum[i] != used[i])
      throw InternalError(fmt::format("simulator: tier {} accounting {} != sum of tensors {}",
                                      m_.tiers[i].name, used[i], sum[i]));
}

void Simulation::merge(Report& r) {
  // Times are the slowest GPU's, counts and bytes the sum over GPUs (Note [report of a
  // data-parallel run]).
  std::size_t slowest = 0;
  for (std::size_t i = 0; i < streams_.size(); ++i) {
    const Report& s = streams_[i]->report();
    r.gpus.push_back({m_.gpus[streams_[i]->gpu()].name, s.iteration_times_ns.back(),
                      s.iteration_times_ns, s.stall, s.recompute_ns, s.direct_access_ns});
    if (r.gpus[i].iteration_ns > r.gpus[slowest].iteration_ns) slowest = i;
    r.demand_fetches += s.demand_fetches;
    r.demand_fetch_bytes += s.demand_fetch_bytes;
    r.first_touch_faults += s.first_touch_faults;
    r.first_touch_bytes += s.first_touch_bytes;
    r.victim_evictions += s.victim_evictions;
    r.victim_eviction_bytes += s.victim_eviction_bytes;
    r.dead_drops += s.dead_drops;
    r.dead_drop_bytes += s.dead_drop_bytes;
    r.plan_actions_ignored += s.plan_actions_ignored;
    r.recomputes += s.recomputes;
    r.direct_access_bytes += s.direct_access_bytes;
    for (std::size_t l = 0; l < r.links.size(); ++l) {
      r.links[l].to_slower_bytes += s.links[l].to_slower_bytes;
      r.links[l].to_faster_bytes += s.links[l].to_faster_bytes;
    }
  }
  const GpuIteration& g = r.gpus[slowest];
  r.iteration_ns = g.iteration_ns;
  r.iteration_times_ns = g.iteration_times_ns;
  r.stall = g.stall;
  r.recompute_ns = g.recompute_ns;
  r.direct_access_ns = g.direct_access_ns;
  r.fraction_of_ideal = r.iteration_ns > 0
                            ? static_cast<double>(r.ideal_ns) / static_cast<double>(r.iteration_ns)
                            : 1.0;
  if (!o_.record_timeline) return;
  TimeNs origin = kNeverNs;
  for (const auto& s : streams_) origin = std::min(origin, s->steady_start_ns());
  for (const auto& s : streams_)
    for (TimelineSpan span : s->report().timeline.spans) {
      span.start_ns -= origin;
      r.timeline.spans.push_back(std::move(span));
    }
}

Report Simulation::run() {
  Report r;
  r.policy = policy_.name();
  r.workload = w_.name;
  r.machine = m_.name;
  r.ideal_ns = v_.ideal_ns;
  r.iterations = o_.iterations;
  for (const Link& l : m_.links) r.links.push_back({l.name, 0, 0});
  if (o_.record_timeline) {
    for (const auto& s : streams_) r.timeline.tracks.push_back(m_.gpus[s->gpu()].name + " compute");
    for (const Link& l : m_.links) {
      r.timeline.tracks.push_back(l.name + " -> " + m_.tiers[l.to].name);
      r.timeline.tracks.push_back(l.name + " -> " + m_.tiers[l.from].name);
    }
  }

  try {
    for (auto& s : streams_) s->place_initial();
    for (auto& s : streams_) s->begin_iteration();
    while (!all_done()) {
      const std::optional<FiredEvent> e = sh_.q.pop();
      if (!e) throw InternalError("simulator: no events left before every GPU finished (deadlock)");
      if (e->event.kind == kEngineTick) {
        sh_.engine_event = {};
        sh_.engine_event_ns = kNeverNs;
        for (const Completion& c : sh_.engine.advance(e->time_ns)) {
          const XferInfo info = sh_.xfers[static_cast<std::uint32_t>(c.id.value & 0xffffffffu)];
          streams_[info.stream]->on_transfer_done(c, info);
        }
        sh_.sync_engine();
      } else if (e->event.kind == kKernelEnd) {
        streams_[e->event.index]->on_kernel_event();
      } else if (e->event.kind == kTouchDone) {
        streams_[e->event.index]->on_touch_done();
      }  // kWake: nothing to record; the steps below serve the queue
      for (auto& s : streams_) s->step();
      if (o_.check_every_event) check_capacities(true);
    }
    check_capacities(true);
    sh_.engine.check_invariants();
  } catch (const Infeasible& e) {
    r.feasible = false;
    r.infeasible_reason = e.reason;
  }
  for (TierId i = 0; i < m_.tiers.size(); ++i)
    r.tiers.push_back(
        {m_.tiers[i].name, m_.tiers[i].kind, m_.tiers[i].capacity_bytes, sh_.peak[i]});
  if (r.feasible) {
    merge(r);
  } else {
    r.timeline = {};
  }
  return r;
}

/// Validates, checks every GPU's working set, and runs.
Report simulate_plans(const Workload& w, const Vitality& v, const Machine& m,
                      const std::vector<const Plan*>& plans, const Policy& policy,
                      const SimOptions& options) {
  for (std::size_t i = 0; i < plans.size(); ++i)
    if (i == 0 || plans[i] != plans[i - 1]) validate(*plans[i], w, m);
  for (std::uint32_t i = 0; i < options.gpu_count; ++i) {
    const std::string shortfall = working_set_shortfall(w, m, options.gpu + i);
    if (shortfall.empty()) continue;
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
  Simulation sim(w, v, m, plans, policy, options);
  return sim.run();
}

/// Checks the options against the machine; throws InvalidInput naming the machine.
void check_options(const Machine& m, const SimOptions& o) {
  if (o.iterations == 0) throw InvalidInput("simulate: iterations must be at least 1");
  if (o.gpu_count == 0) throw InvalidInput("simulate: gpu_count must be at least 1");
  if (o.gpu >= m.gpus.size())
    throw InvalidInput(fmt::format("simulate: machine {} has no GPU {} (it has {})", m.name, o.gpu,
                                   m.gpus.size()));
  if (std::uint64_t{o.gpu} + o.gpu_count > m.gpus.size())
    throw InvalidInput(fmt::format(
        "simulate: {} GPUs from GPU {} need GPUs {}..{}, but machine {} has {} GPU{}; use "
        "fewer GPUs or a machine with more",
        o.gpu_count, o.gpu, o.gpu, std::uint64_t{o.gpu} + o.gpu_count - 1, m.name, m.gpus.size(),
        m.gpus.size() == 1 ? "" : "s"));
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

FaultCost fault_cost_from_name(std::string_view name) {
  if (name == "batches") return FaultCost::batches;
  if (name == "measured") return FaultCost::measured;
  if (name == "g10") return FaultCost::g10;
  throw InvalidInput(fmt::format("unknown fault cost '{}': choose batches, measured or g10", name));
}

KernelTiming kernel_timing_from_name(std::string_view name) {
  if (name == "policy") return KernelTiming::policy;
  if (name == "strata") return KernelTiming::strata;
  if (name == "g10") return KernelTiming::g10;
  throw InvalidInput(fmt::format("unknown kernel timing '{}': choose policy, strata or g10", name));
}

Report simulate(const Workload& w, const Vitality& v, const Machine& m, std::span<const Plan> plans,
                const Policy& policy, const SimOptions& options) {
  check_options(m, options);
  if (plans.size() != options.gpu_count)
    throw InvalidInput(fmt::format("simulate: {} plans for {} GPUs; give one plan per GPU",
                                   plans.size(), options.gpu_count));
  std::vector<const Plan*> ptrs;
  for (const Plan& p : plans) ptrs.push_back(&p);
  return simulate_plans(w, v, m, ptrs, policy, options);
}

Report simulate(const Workload& w, const Vitality& v, const Machine& m, const Plan& plan,
                const Policy& policy, const SimOptions& options) {
  check_options(m, options);
  return simulate_plans(w, v, m, std::vector<const Plan*>(options.gpu_count, &plan), policy,
                        options);
}

Report run_policy(const Workload& w, const Vitality& v, const Machine& m, const Policy& policy,
                  const SimOptions& options) {
  check_options(m, options);
  // The unlimited-memory reference runs on a copy of `m` with as much GPU memory as the
  // workload could ever want, and reports against `m`'s own name and capacities.
  const bool unbounded = policy.unlimited_device_memory();
  const Machine target = unbounded ? with_gpu_memory(m, std::uint64_t{1} << 62) : Machine{};
  const Machine& run_on = unbounded ? target : m;
  const std::vector<Plan> plans = policy.plans(w, v, run_on, options.gpu, options.gpu_count);
  Report r = simulate(w, v, run_on, plans, policy, options);
  if (unbounded) {
    r.machine = m.name;
    for (std::size_t i = 0; i < r.tiers.size() && i < m.tiers.size(); ++i)
      r.tiers[i].capacity_bytes = m.tiers[i].capacity_bytes;
  }
  return r;
}

}  // namespace strata::sim
