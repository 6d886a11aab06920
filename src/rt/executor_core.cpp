#include "executor_core.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <thread>

#include "strata/core/error.hpp"
#include "strata/core/units.hpp"
#include "strata/rt/byte_store.hpp"

namespace strata::rt::detail {

namespace {

using Kind = ResidencyState::Kind;
constexpr std::uint32_t kNoSlot = 0xffffffffu;
constexpr std::uint64_t kTensorAlignmentBytes = 4096;  // O_DIRECT straight from the arena
constexpr std::int64_t kDemandPriority = 0;            // mover: demand fetches go first
constexpr std::int64_t kPlanPriority = 1;
constexpr auto kPollInterval = std::chrono::microseconds(50);

std::vector<TensorId> unique_tensors(const Kernel& k) {
  std::vector<TensorId> out;
  for (const auto* list : {&k.inputs, &k.outputs})
    for (TensorId t : *list)
      if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
  return out;
}

/// An aligned scratch buffer for initial contents of a tensor placed on the SSD tier.
struct AlignedBuffer {
  explicit AlignedBuffer(std::uint64_t bytes)
      : size(bytes),
        data(bytes == 0 ? nullptr
                        : static_cast<std::byte*>(
                              ::operator new (bytes, std::align_val_t{kTensorAlignmentBytes}))) {}
  ~AlignedBuffer() {
    if (data != nullptr) ::operator delete (data, std::align_val_t{kTensorAlignmentBytes});
  }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  std::uint64_t size;
  std::byte* data;
};

}  // namespace

ExecutionCore::ExecutionCore(const Workload& w, const Machine& m, ByteStore* store,
                             const ExecutorOptions& o, const std::atomic<bool>& cancel)
    : w_(w), m_(m), store_(store), o_(o), cancel_(cancel), t0_(std::chrono::steady_clock::now()) {
  const TierId dev = m_.gpus.at(o_.gpu).memory;
  mt_[kDev] = dev;
  cap_[kDev] = m_.tiers[dev].capacity_bytes;
  if (const auto host = m_.host_tier()) {
    mt_[kHost] = *host;
    cap_[kHost] = m_.tiers[*host].capacity_bytes;
  }
  if (const auto ssds = m_.ssd_tiers(); !ssds.empty() && store_ != nullptr) {
    mt_[kSsd] = ssds.front();
    cap_[kSsd] = m_.tiers[ssds.front()].capacity_bytes;
  }
  for (TierId t : {kHost, kSsd})
    if (mt_[t]) link_[t] = m_.link_between(dev, *mt_[t]);

  const std::uint64_t n = w_.tensors.size() + 1;
  HostArenaOptions arena;
  // Headroom for 4 KiB alignment per tensor and for fragmentation; the budget the run honours
  // is cap_[kDev] (Note [executor model]).
  constexpr std::uint64_t kTwoMiB = 2ULL << 20;
  arena.capacity_bytes =
      (cap_[kDev] + n * kTensorAlignmentBytes + cap_[kDev] / 4 + kTwoMiB - 1) / kTwoMiB * kTwoMiB;
  arena.name = "device arena (" + m_.tiers[dev].name + ")";
  arena_ = std::make_unique<HostArena>(arena);
  if (o_.prefault_arena && arena.capacity_bytes > 0) {
    void* all = arena_->allocate(arena.capacity_bytes, kTensorAlignmentBytes);
    std::memset(all, 0, arena.capacity_bytes);
    arena_->deallocate(all, arena.capacity_bytes, kTensorAlignmentBytes);
  }
  if (cap_[kHost] > 0) {
    PinnedHostOptions host;
    host.capacity_bytes = cap_[kHost] + n * (2ULL << 20);  // page (or huge page) rounding
    host.lock_pages = false;  // mlock would fault every page in on the executor's thread
    host.name = "pinned host (" + m_.tiers[*mt_[kHost]].name + ")";
    pinned_ = std::make_unique<PinnedHost>(host);
  }
  mover_ = std::make_unique<Mover>(o_.mover, store_);

  ts_.resize(w_.tensors.size());
  for (TensorId t = 0; t < ts_.size(); ++t) ts_[t].res = Residency(t);
  kernel_tensors_.reserve(w_.kernels.size());
  for (const Kernel& k : w_.kernels) kernel_tensors_.push_back(unique_tensors(k));
  dies_after_.resize(w_.kernels.size());
  std::vector<KernelId> last_use(w_.tensors.size(), 0);
  for (const Kernel& k : w_.kernels)
    for (TensorId t : kernel_tensors_[k.id]) last_use[t] = k.id;
  for (TensorId t = 0; t < w_.tensors.size(); ++t)
    if (!w_.tensors[t].persistent) dies_after_[last_use[t]].push_back(t);
  producer_ = producers(w_);

  r_.links.reserve(m_.links.size());
  for (const strata::Link& l : m_.links) r_.links.push_back({l.name, 0, 0});
}

ExecutionCore::~ExecutionCore() {
  mover_.reset();  // cancels what is queued, waits for what runs
  for (TensorId t = 0; t < ts_.size(); ++t) {
    free_memory(t, kDev);
    free_memory(t, kHost);
    if (store_ != nullptr) {
      try {
        if (store_->contains(t)) store_->erase(t);
      } catch (...) {  // a destructor must not throw; the store's own destructor cleans up
      }
    }
  }
  if (ws_ptr_ != nullptr) arena_->deallocate(ws_ptr_, item_ws_bytes_, kTensorAlignmentBytes);
  if (pinned_) release_host_cache();
}

std::int64_t ExecutionCore::now_ns() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                              t0_)
      .count();
}

void ExecutionCore::check_cancel() const {
  if (cancel_.load(std::memory_order_relaxed) || o_.stop.stop_requested())
    throw Cancelled(fmt::format(
        "executor: run cancelled at {}; every tensor still has a valid copy (copies in flight "
        "keep their source until they finish)",
        where()));
}

std::string ExecutionCore::where() const {
  if (k_ >= w_.kernels.size()) return fmt::format("iteration {}", iter_ + 1);
  return fmt::format("kernel {} ({}) of iteration {}", k_, w_.kernels[k_].name, iter_ + 1);
}

std::string ExecutionCore::tier_name(TierId tier) const {
  return mt_[tier] ? m_.tiers[*mt_[tier]].name : std::string(tier == kHost ? "host" : "ssd");
}

void ExecutionCore::hold(TierId tier, std::uint64_t bytes) {
  used_[tier] += bytes;
  if (used_[tier] > cap_[tier])
    throw InternalError(fmt::format("executor: tier {} over capacity ({} > {})", tier_name(tier),
                                    used_[tier], cap_[tier]));
  peak_[tier] = std::max(peak_[tier], used_[tier]);
}

void ExecutionCore::unhold(TierId tier, std::uint64_t bytes) {
  STRATA_EXPECTS(used_[tier] >= bytes, "executor: tier usage underflow");
  used_[tier] -= bytes;
}

std::byte* ExecutionCore::alloc_in(TierId tier, TensorId t, std::uint64_t bytes) {
  if (bytes == 0) return nullptr;
  MemoryResource& r = tier == kDev ? static_cast<MemoryResource&>(*arena_) : *pinned_;
  if (tier == kHost) {
    if (const auto it = host_cache_.find(bytes); it != host_cache_.end()) {
      std::byte* p = it->second;
      host_cache_.erase(it);
      return p;
    }
  }
  try {
    try {
      return static_cast<std::byte*>(r.allocate(bytes, kTensorAlignmentBytes));
    } catch (const OutOfMemory&) {
      if (tier != kHost || host_cache_.empty()) throw;
      release_host_cache();  // then retry once
      return static_cast<std::byte*>(r.allocate(bytes, kTensorAlignmentBytes));
    }
  } catch (const OutOfMemory& e) {
    // The budget had room (hold() passed); the resource underneath did not: fragmentation.
    throw OutOfMemory(fmt::format(
        "executor: {} fits the {} budget but the memory underneath cannot place it ({}) at {}; "
        "the arena is too fragmented for this plan: give the tier more capacity",
        w_.tensors[t].name, tier_name(tier), e.what(), where()));
  }
}

void ExecutionCore::free_memory(TensorId t, TierId tier) noexcept {
  TensorState& s = ts_[t];
  if (tier == kDev && s.dev != nullptr) {
    arena_->deallocate(s.dev, bytes_of(t), kTensorAlignmentBytes);
    s.dev = nullptr;
  } else if (tier == kHost && s.host != nullptr) {
    try {
      host_cache_.emplace(bytes_of(t), s.host);
    } catch (...) {  // no memory for the cache entry: return the block instead
      pinned_->deallocate(s.host, bytes_of(t), kTensorAlignmentBytes);
    }
    s.host = nullptr;
  } else if (tier == kSsd && store_ != nullptr) {
    try {
      store_->erase(t);
    } catch (...) {  // erase refuses only while a get is in flight, which never is here
    }
  }
}

void ExecutionCore::release_host_cache() noexcept {
  for (const auto& [bytes, p] : host_cache_) pinned_->deallocate(p, bytes, kTensorAlignmentBytes);
  host_cache_.clear();
}

void ExecutionCore::set_device_resident(TensorId t, bool on) {
  TensorState& s = ts_[t];
  if (on && s.dev_slot == kNoSlot) {
    s.dev_slot = static_cast<std::uint32_t>(device_resident_.size());
    device_resident_.push_back(t);
  } else if (!on && s.dev_slot != kNoSlot) {
    const TensorId last = device_resident_.back();
    device_resident_[s.dev_slot] = last;
    ts_[last].dev_slot = s.dev_slot;
    device_resident_.pop_back();
    s.dev_slot = kNoSlot;
  }
}

void ExecutionCore::transition_to(TensorId t, const ResidencyState& s) {
  ts_[t].res.transition(s);
  set_device_resident(t, s.kind == Kind::resident && s.from == kDev);
}

TierId ExecutionCore::local_tier(TierKind kind) const {
  switch (kind) {
    case TierKind::device: return kDev;
    case TierKind::host: return kHost;
    default: return kSsd;
  }
}

std::optional<std::uint32_t> ExecutionCore::track_of(TierId from, TierId to) const {
  const TierId other = from == kDev ? to : from;
  if (!link_[other]) return std::nullopt;
  const LinkId l = *link_[other];
  const bool forward = m_.links[l].from == *mt_[from];
  return 1 + 2 * l + (forward ? 0u : 1u);
}

// ---- copies ----

void ExecutionCore::start_copy(TensorId t, TierId to, bool fault) {
  TensorState& s = ts_[t];
  const TierId from = s.res.state().from;
  const std::uint64_t bytes = bytes_of(t);
  hold(to, bytes);
  if (bytes == 0) {  // nothing to move
    transition_to(t, ResidencyState::moving(from, to));
    transition_to(t, ResidencyState::resident(to));
    return;
  }
  const std::int64_t priority = fault ? kDemandPriority : kPlanPriority;
  try {
    if (to == kDev) {
      if (s.dev == nullptr) s.dev = alloc_in(kDev, t, bytes);  // grant() places it first
      s.copy = from == kHost ? mover_->copy(Link::host_to_arena, s.dev, s.host, bytes, priority)
                             : mover_->store_get(t, s.dev, bytes, priority);
    } else if (to == kHost) {
      s.host = alloc_in(kHost, t, bytes);
      s.copy = mover_->copy(Link::arena_to_host, s.host, s.dev, bytes, priority);
    } else {
      s.copy = mover_->store_put(t, s.dev, bytes, priority);
    }
  } catch (...) {
    if (to != kSsd) free_memory(t, to);
    unhold(to, bytes);
    throw;
  }
  transition_to(t, ResidencyState::moving(from, to));
  if (from == kDev) dev_freeing_ += bytes;
  s.copy_is_fault = fault;
  s.copy_start_ns = now_ns();
  inflight_.push_back(t);
  if (steady_) {
    const TierId other = from == kDev ? to : from;
    if (link_[other]) {
      sim::LinkTraffic& lt = r_.links[*link_[other]];
      (to == kDev ? lt.to_faster_bytes : lt.to_slower_bytes) += bytes;
    }
  }
}

void ExecutionCore::reap() {
  std::vector<TensorId> done;
  std::size_t kept = 0;
  for (const TensorId t : inflight_) {
    if (ts_[t].copy.poll())
      done.push_back(t);
    else
      inflight_[kept++] = t;
  }
  inflight_.resize(kept);
  std::optional<TensorId> failed;
  for (const TensorId t : done) {
    if (ts_[t].copy.state() != CopyState::failed)
      finish_copy(t);
    else if (!failed)
      failed = t;
    else
      inflight_.push_back(t);  // reported after the first failure, if ever
  }
  if (failed) fail_copy(*failed);
}

void ExecutionCore::finish_copy(TensorId t) {
  TensorState& s = ts_[t];
  const ResidencyState st = s.res.state();
  const std::uint64_t bytes = bytes_of(t);
  const std::int64_t now = now_ns();
  s.copy = {};
  if (st.from == kDev) dev_freeing_ -= bytes;
  if (st.kind == Kind::releasing) {
    free_memory(t, st.from);
    free_memory(t, st.to);
    unhold(st.from, bytes);
    unhold(st.to, bytes);
    transition_to(t, ResidencyState::released());
    if (s.reset_on_finish) {
      s.reset_on_finish = false;
      transition_to(t, ResidencyState::absent());
    }
  } else if (s.keep_source && st.from == kDev) {
    // Needed again while its eviction ran: keep the arena copy, drop the new one.
    free_memory(t, st.to);
    unhold(st.to, bytes);
    s.res.cancel_move();
    set_device_resident(t, true);
  } else {
    free_memory(t, st.from);
    unhold(st.from, bytes);
    transition_to(t, ResidencyState::resident(st.to));
    if (st.to == kDev) {
      s.last_access_ns = s.arrived_ns = now;
      s.arrival_seq = ++arrivals_;
    }
  }
  s.keep_source = false;
  if (o_.record_timeline && steady_)
    if (const auto track = track_of(st.from, st.to)) {
      const std::string what = st.to == kDev
                                   ? (s.copy_is_fault ? "fault " : "fetch ")
                                   : std::string("evict -> ") + (st.to == kHost ? "host " : "ssd ");
      record_span(*track, what + w_.tensors[t].name, s.copy_start_ns, now);
    }
}

void ExecutionCore::fail_copy(TensorId t) {
  TensorState& s = ts_[t];
  const ResidencyState st = s.res.state();
  const std::uint64_t bytes = bytes_of(t);
  std::string error;
  bool store_full = false;
  try {
    s.copy.wait();
    error = "the copy failed";
  } catch (const OutOfMemory& e) {
    store_full = true;
    error = e.what();
  } catch (const std::exception& e) {
    error = e.what();
  }
  s.copy = {};
  // Roll back: the destination is dropped, the source copy stays valid.
  if (st.to != kSsd) free_memory(t, st.to);
  unhold(st.to, bytes);
  if (st.from == kDev) dev_freeing_ -= bytes;
  s.keep_source = false;
  if (st.kind == Kind::releasing) {
    free_memory(t, st.from);
    unhold(st.from, bytes);
    transition_to(t, ResidencyState::released());
  } else {
    s.res.cancel_move();
    set_device_resident(t, st.from == kDev);
  }
  const std::string what = fmt::format(
      "executor: {} {} ({}) from {} to {} failed at {}: {}. The run stopped; {} is intact in {}",
      st.to == kDev ? "fetching" : "evicting", w_.tensors[t].name, format_bytes(bytes),
      tier_name(st.from), tier_name(st.to), where(), error, w_.tensors[t].name, tier_name(st.from));
  if (store_full)
    throw OutOfMemory(what +
                      "; the SSD store is full: give it more room (a larger store or a store "
                      "directory on a disk with more space) or give the host tier more capacity");
  throw IoError(what + "; check the store's disk and directory (dmesg, free space, permissions)");
}

bool ExecutionCore::try_cancel_eviction(TensorId t) {
  TensorState& s = ts_[t];
  const ResidencyState st = s.res.state();
  if (st.kind != Kind::moving || st.from != kDev) return false;
  if (!mover_->cancel(s.copy)) {
    s.keep_source = true;  // it is copying already: keep the arena copy when it finishes
    return true;
  }
  if (st.to != kSsd) free_memory(t, st.to);
  unhold(st.to, bytes_of(t));
  dev_freeing_ -= bytes_of(t);
  s.copy = {};
  s.res.cancel_move();
  set_device_resident(t, true);
  inflight_.erase(std::find(inflight_.begin(), inflight_.end(), t));
  return true;
}

void ExecutionCore::release_tensor(TensorId t) {
  TensorState& s = ts_[t];
  dequeue(t);
  const ResidencyState st = s.res.state();
  switch (st.kind) {
    case Kind::resident:
      free_memory(t, st.from);
      unhold(st.from, bytes_of(t));
      transition_to(t, ResidencyState::released());
      break;
    case Kind::moving:
      s.keep_source = false;
      s.res.release();
      set_device_resident(t, false);
      break;
    case Kind::absent:
    case Kind::releasing:
    case Kind::released: break;
  }
}

TierId ExecutionCore::victim_destination(TensorId t) {
  const std::uint64_t b = bytes_of(t);
  if (pinned_ && free_in(kHost) >= b) return kHost;
  if (mt_[kSsd] && free_in(kSsd) >= b) return kSsd;
  throw OutOfMemory(fmt::format(
      "executor: no room to evict {} ({}) at {}: host ({} free of {}) and SSD ({}) are full; "
      "give the host tier more capacity (--host-capacity) or the run an SSD store",
      w_.tensors[t].name, format_bytes(b), where(), format_bytes(free_in(kHost)),
      format_bytes(cap_[kHost]),
      mt_[kSsd] ? format_bytes(free_in(kSsd)) + " free" : std::string("none")));
}

// ---- arena space ----

void ExecutionCore::enqueue(TensorId t, bool demand) {
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

void ExecutionCore::dequeue(TensorId t) {
  TensorState& s = ts_[t];
  if (!s.queued) return;
  s.queued = false;
  s.queued_demand = false;
  queue_.erase(std::find(queue_.begin(), queue_.end(), t));
  queued_bytes_ -= bytes_of(t);
}

bool ExecutionCore::try_place(TensorId t) {
  TensorState& s = ts_[t];
  const std::uint64_t bytes = bytes_of(t);
  if (bytes == 0 || s.dev != nullptr) return true;
  try {
    s.dev = static_cast<std::byte*>(arena_->allocate(bytes, kTensorAlignmentBytes));
    return true;
  } catch (const OutOfMemory&) {
    // The budget has room but no free block is large enough: make_room evicts more.
    frag_need_bytes_ = std::max(frag_need_bytes_, bytes);
    return false;
  }
}

bool ExecutionCore::grant(TensorId t) {
  TensorState& s = ts_[t];
  if (!try_place(t)) return false;
  s.queued = false;
  queued_bytes_ -= bytes_of(t);
  const ResidencyState st = s.res.state();
  const bool demand = s.queued_demand;
  s.queued_demand = false;
  if (st.kind == Kind::absent) {
    hold(kDev, bytes_of(t));
    transition_to(t, ResidencyState::resident(kDev));
    s.last_access_ns = s.arrived_ns = now_ns();
    s.arrival_seq = ++arrivals_;
    return true;
  }
  STRATA_EXPECTS(st.kind == Kind::resident && st.from != kDev, "granted a tensor not elsewhere");
  if (demand && steady_) {
    ++r_.demand_fetches;
    r_.demand_fetch_bytes += bytes_of(t);
  }
  start_copy(t, kDev, demand);
  return true;
}

void ExecutionCore::serve_queue() {
  frag_need_bytes_ = 0;
  if (queue_.empty() && (ws_held_ || !waiting_)) return;
  if (waiting_) {
    for (std::size_t i = 0; i < queue_.size();) {
      const TensorId t = queue_[i];
      if (ts_[t].queued_demand && bytes_of(t) <= free_in(kDev) && grant(t))
        queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(i));
      else
        ++i;
    }
    if (!ws_held_ && item_ws_bytes_ <= free_in(kDev)) {
      try {
        ws_ptr_ = static_cast<std::byte*>(
            item_ws_bytes_ == 0 ? nullptr
                                : arena_->allocate(item_ws_bytes_, kTensorAlignmentBytes));
        hold(kDev, item_ws_bytes_);
        ws_held_ = true;
      } catch (const OutOfMemory&) {
        frag_need_bytes_ = std::max(frag_need_bytes_, item_ws_bytes_);
      }
    }
  }
  std::size_t i = 0;
  while (i < queue_.size()) {
    const TensorId t = queue_[i];
    if (ts_[t].queued_demand) {
      ++i;
      continue;
    }
    if (bytes_of(t) > free_in(kDev) || !grant(t)) break;
    queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(i));
  }
}

void ExecutionCore::make_room() {
  // Room for what the current item waits for (and a free block large enough), then for plan
  // prefetches (VictimRequest::for_prefetch), as the simulator asks.
  const std::uint64_t ws = waiting_ && !ws_held_ ? item_ws_bytes_ : 0;
  std::uint64_t demand_need = ws;
  for (const TensorId t : queue_)
    if (ts_[t].queued_demand) demand_need += bytes_of(t);
  const std::uint64_t need = queued_bytes_ + ws;
  const std::uint64_t have = free_in(kDev) + dev_freeing_;
  if (need <= have && (frag_need_bytes_ == 0 || dev_freeing_ > 0)) return;
  // Short of budget, or of a free block large enough (fragmentation) with nothing being freed.
  const std::uint64_t short_by = std::max(need > have ? need - have : 0, frag_need_bytes_);
  const std::uint64_t demand_short_by =
      std::max(demand_need > have ? demand_need - have : 0, frag_need_bytes_);
  std::vector<EvictionCandidate> cands;
  for (TensorId t : device_resident_) {
    const TensorState& s = ts_[t];
    if (s.pin == pin_epoch_ || s.queued) continue;
    cands.push_back({t, bytes_of(t), s.last_access_ns, s.arrived_ns, s.arrival_seq});
  }
  std::sort(cands.begin(), cands.end(), [](const EvictionCandidate& a, const EvictionCandidate& b) {
    return a.tensor < b.tensor;
  });
  for (const TensorId t :
       choose_victims(*policy_, k_, std::move(cands), demand_short_by, short_by)) {
    start_copy(t, victim_destination(t), false);
    if (steady_) {
      ++r_.victim_evictions;
      r_.victim_eviction_bytes += bytes_of(t);
    }
  }
}

void ExecutionCore::service() {
  reap();
  serve_queue();
  make_room();
}

// ---- plan and stream ----

void ExecutionCore::issue(const Action& a) {
  const TensorId t = a.tensor;
  TensorState& s = ts_[t];
  const ResidencyState st = s.res.state();
  auto ignored = [&] {
    if (steady_) ++r_.plan_actions_ignored;
  };
  switch (a.kind) {
    case ActionKind::prefetch:
      if ((st.kind == Kind::resident && st.from != kDev) || st.kind == Kind::absent) {
        if (s.queued) return ignored();
        enqueue(t, false);
      } else if (st.kind == Kind::moving && st.from == kDev) {
        if (!try_cancel_eviction(t)) ignored();
      } else {
        ignored();
      }
      break;
    case ActionKind::evict: {
      if (st.kind != Kind::resident || st.from != kDev || s.pin == pin_epoch_) return ignored();
      TierId to = local_tier(a.to);
      if (to == kDev) return ignored();
      if (free_in(to) < bytes_of(t) || (to == kHost && !pinned_)) to = victim_destination(t);
      start_copy(t, to, false);
      break;
    }
    case ActionKind::release: release_tensor(t); break;
    case ActionKind::recompute:
      if (st.kind == Kind::resident && st.from != kDev) {
        release_tensor(t);
      } else if (st.kind != Kind::released) {
        return ignored();
      }
      transition_to(t, ResidencyState::absent());
      recomputes_.push_back(t);
      break;
  }
}

bool ExecutionCore::in_place(TensorId t) const {
  if (item_recompute_) return false;
  for (const DirectAccess& d : plan_->kernels[k_].direct)
    if (d.tensor == t)
      return d.tier == TierKind::host && ts_[t].res.is_resident_in(kHost) && !ts_[t].queued;
  return false;
}

void ExecutionCore::wait_until_ready() {
  waiting_ = true;
  ws_held_ = false;
  wait_since_ns_ = now_ns();
  block_ = Block::none;
  for (;;) {
    check_cancel();
    reap();
    const std::int64_t now = now_ns();
    if (steady_) {
      const std::int64_t d = now - wait_since_ns_;
      if (block_ == Block::prefetch) r_.stall.waiting_for_prefetch_ns += d;
      if (block_ == Block::fault) r_.stall.demand_fetch_ns += d;
      if (block_ == Block::space) r_.stall.eviction_backpressure_ns += d;
    }
    wait_since_ns_ = now;
    for (TensorId t : *need_) {
      if (in_place(t)) continue;
      const ResidencyState st = ts_[t].res.state();
      if (st.kind == Kind::moving && st.from == kDev) try_cancel_eviction(t);
      const ResidencyState cur = ts_[t].res.state();
      if ((cur.kind == Kind::resident && cur.from != kDev) || cur.kind == Kind::absent)
        enqueue(t, true);
      if (cur.kind == Kind::released)
        throw InvalidInput(fmt::format(
            "plan '{}': {} needs {}, which the plan released and did not recompute before it",
            plan_->name, where(), w_.tensors[t].name));
    }
    serve_queue();
    Block block = Block::none;
    bool ready = ws_held_;
    const CopyHandle* wait_on = nullptr;
    for (TensorId t : *need_) {
      const TensorState& s = ts_[t];
      const ResidencyState st = s.res.state();
      if (st.kind == Kind::resident && st.from == kDev) continue;
      if (in_place(t)) continue;
      ready = false;
      Block b = Block::space;
      if (st.kind == Kind::moving && st.to == kDev) {
        b = s.copy_is_fault ? Block::fault : Block::prefetch;
        if (wait_on == nullptr) wait_on = &s.copy;
      }
      if (b == Block::fault || (b == Block::prefetch && block != Block::fault) ||
          block == Block::none)
        block = b;
    }
    if (!ws_held_ && block == Block::none) block = Block::space;
    if (ready) break;
    block_ = block;
    make_room();
    if (inflight_.empty()) {
      std::uint64_t need = item_ws_bytes_;
      for (TensorId t : *need_) need += bytes_of(t);
      throw OutOfMemory(fmt::format(
          "executor: {} cannot start: it needs {} in the {} tier ({} free of {}, nothing left "
          "to evict or in flight); give the fast tier more capacity",
          where(), format_bytes(need), tier_name(kDev), format_bytes(free_in(kDev)),
          format_bytes(cap_[kDev])));
    }
    if (wait_on != nullptr) {
      try {
        wait_on->wait();
      } catch (...) {  // reap() reports it with its context
      }
    } else {
      std::this_thread::sleep_for(kPollInterval);
    }
  }
  waiting_ = false;
  block_ = Block::none;
}

void ExecutionCore::fill_until(std::int64_t deadline_ns) {
  for (;;) {
    check_cancel();
    service();
    const std::int64_t now = now_ns();
    if (now >= deadline_ns) return;
    const std::int64_t slice = inflight_.empty() && queue_.empty()
                                   ? deadline_ns - now
                                   : std::min<std::int64_t>(deadline_ns - now, 100'000);
    std::this_thread::sleep_for(std::chrono::nanoseconds(slice));
  }
}

void ExecutionCore::run_item(const KernelCallbacks& cb, const Kernel& kernel,
                             std::int64_t duration_ns, bool recompute, TensorId recompute_tensor) {
  item_recompute_ = recompute;
  // A recompute reads its producer's inputs but its state updates; a kernel reads them all.
  const std::vector<TensorId> rebuilt_from =
      recompute ? recompute_inputs(kernel) : std::vector<TensorId>{};
  const std::vector<TensorId>& reads = recompute ? rebuilt_from : kernel.inputs;
  if (recompute) {
    recompute_need_.clear();
    for (TensorId in : reads) {
      if (std::find(recompute_need_.begin(), recompute_need_.end(), in) != recompute_need_.end())
        continue;
      const Kind kind = ts_[in].res.kind();
      if (kind == Kind::released || kind == Kind::releasing)
        throw InvalidInput(fmt::format(
            "plan '{}': recomputing {} before {} re-runs {} ({}), which reads {}, but the plan "
            "released {} earlier; keep it or recompute it first",
            plan_->name, w_.tensors[recompute_tensor].name, where(), kernel.id, kernel.name,
            w_.tensors[in].name, w_.tensors[in].name));
      recompute_need_.push_back(in);
    }
    recompute_need_.push_back(recompute_tensor);
    need_ = &recompute_need_;
  } else {
    need_ = &kernel_tensors_[k_];
  }
  item_ws_bytes_ = kernel.workspace_bytes;
  ++pin_epoch_;
  for (TensorId t : *need_) ts_[t].pin = pin_epoch_;
  wait_until_ready();

  const std::int64_t start = now_ns();
  const auto view = [&](TensorId t) {
    const TensorState& s = ts_[t];
    return TensorView{t, in_place(t) ? s.host : s.dev, bytes_of(t)};
  };
  in_views_.clear();
  out_views_.clear();
  for (TensorId t : reads) in_views_.push_back(view(t));
  if (recompute) {
    out_views_.push_back(view(recompute_tensor));
  } else {
    for (TensorId t : kernel.outputs) out_views_.push_back(view(t));
    for (TensorId t : kernel_tensors_[k_])
      if (in_place(t) && steady_) r_.direct_access_bytes += bytes_of(t);
  }
  cb.run(KernelCall{&kernel, iter_, recompute, in_views_, out_views_});
  const std::int64_t body_end = now_ns();
  if (o_.fill_kernel_duration) {
    // Fill to the kernel's end, less what the OS overslept earlier fills (never below the body).
    const std::int64_t target = start + duration_ns;
    const std::int64_t fill_to = std::max(body_end, target - oversleep_ns_);
    fill_until(fill_to);
    oversleep_ns_ -= std::max<std::int64_t>(0, target - fill_to);
    oversleep_ns_ += std::max<std::int64_t>(0, now_ns() - fill_to);
  } else {
    service();
  }
  const std::int64_t end = now_ns();

  for (TensorId t : *need_) ts_[t].last_access_ns = end;
  if (ws_held_) {
    if (ws_ptr_ != nullptr) arena_->deallocate(ws_ptr_, item_ws_bytes_, kTensorAlignmentBytes);
    ws_ptr_ = nullptr;
    unhold(kDev, item_ws_bytes_);
  }
  ws_held_ = false;
  if (!recompute) kernel_ns_.push_back(end - start);
  if (!steady_) return;
  if (o_.fill_kernel_duration)
    overrun_ns_ += std::max<std::int64_t>(0, body_end - start - duration_ns);
  if (recompute) {
    ++r_.recomputes;
    r_.recompute_ns += end - start;
    if (o_.record_timeline)
      record_span(0, "recompute " + w_.tensors[recompute_tensor].name, start, end);
  } else if (o_.record_timeline) {
    record_span(0, kernel.name, start, end);
  }
}

void ExecutionCore::end_kernel() {
  ++pin_epoch_;
  for (const Action& a : plan_->kernels[k_].after) issue(a);
  for (TensorId t : dies_after_[k_]) release_tensor(t);
}

void ExecutionCore::record_span(std::uint32_t track, std::string name, std::int64_t start_ns,
                                std::int64_t end_ns) {
  r_.timeline.spans.push_back(
      {track, std::move(name), start_ns - iter_start_ns_, end_ns - start_ns});
}

void ExecutionCore::run_iteration(std::uint32_t iter, const Plan& plan, const Workload& timing,
                                  const Policy& policy, const KernelCallbacks& cb, bool steady) {
  plan_ = &plan;
  timing_ = &timing;
  policy_ = &policy;
  iter_ = iter;
  steady_ = steady;
  k_ = 0;
  iter_start_ns_ = now_ns();
  kernel_ns_.clear();
  for (TensorId t = 0; t < ts_.size(); ++t) {
    if (w_.tensors[t].persistent) continue;
    TensorState& s = ts_[t];
    const Kind kind = s.res.kind();
    STRATA_EXPECTS(kind == Kind::released || kind == Kind::releasing || kind == Kind::absent,
                   "a non-persistent tensor outlived its iteration");
    if (kind == Kind::released) transition_to(t, ResidencyState::absent());
    if (kind == Kind::releasing) s.reset_on_finish = true;
  }
  for (KernelId k = 0; k < w_.kernels.size(); ++k) {
    check_cancel();
    k_ = k;
    ++pin_epoch_;
    for (TensorId t : kernel_tensors_[k]) ts_[t].pin = pin_epoch_;
    for (const Action& a : plan.kernels[k].before) issue(a);
    while (!recomputes_.empty()) {
      const TensorId t = recomputes_.front();
      recomputes_.pop_front();
      const Kernel& p = w_.kernels[producer_[t]];
      run_item(cb, p, timing.kernels[p.id].duration_ns, true, t);
    }
    run_item(cb, w_.kernels[k], timing.kernels[k].duration_ns, false, 0);
    end_kernel();
  }
  r_.iteration_times_ns.push_back(now_ns() - iter_start_ns_);
}

void ExecutionCore::place_initial(const Plan& plan, const KernelCallbacks& cb) {
  for (TensorId t = 0; t < w_.tensors.size(); ++t) {
    if (!w_.tensors[t].persistent) continue;
    const std::uint64_t bytes = bytes_of(t);
    TierId tier = local_tier(plan.initial_tier(t));
    if (free_in(tier) < bytes || (tier == kHost && !pinned_) || (tier == kSsd && !mt_[kSsd]))
      tier = victim_destination(t);
    hold(tier, bytes);
    TensorState& s = ts_[t];
    if (tier == kSsd) {
      AlignedBuffer buffer(bytes);
      if (cb.initialize) cb.initialize(t, {buffer.data, bytes});
      try {
        store_->put(t, buffer.data, bytes);
      } catch (const Error& e) {
        unhold(tier, bytes);
        throw IoError(fmt::format(
            "executor: placing {} ({}) on the SSD store before the first iteration failed: {}",
            w_.tensors[t].name, format_bytes(bytes), e.what()));
      }
    } else {
      std::byte* p = alloc_in(tier, t, bytes);
      (tier == kDev ? s.dev : s.host) = p;
      if (cb.initialize) cb.initialize(t, {p, bytes});
    }
    transition_to(t, ResidencyState::resident(tier));
  }
}

void ExecutionCore::read_tensor(TensorId t, std::span<std::byte> out) const {
  if (t >= ts_.size())
    throw InvalidInput(
        fmt::format("read_tensor: no tensor {} (the workload has {})", t, ts_.size()));
  const std::uint64_t bytes = bytes_of(t);
  if (out.size() != bytes)
    throw InvalidInput(fmt::format("read_tensor: {} holds {} bytes, the buffer {}",
                                   w_.tensors[t].name, bytes, out.size()));
  const ResidencyState st = ts_[t].res.state();
  if (st.kind == Kind::absent || st.kind == Kind::released)
    throw InvalidInput(
        fmt::format("read_tensor: {} holds no bytes now ({})", w_.tensors[t].name, to_string(st)));
  if (bytes == 0) return;
  const TierId tier = st.from;  // resident, or the source of a copy in flight (still valid)
  if (tier == kSsd) {
    store_->get(t, out.data(), bytes);
    return;
  }
  std::memcpy(out.data(), tier == kDev ? ts_[t].dev : ts_[t].host, bytes);
}

std::array<std::uint64_t, kLinkCount> ExecutionCore::mover_bytes() const {
  std::array<std::uint64_t, kLinkCount> out{};
  for (std::size_t i = 0; i < kLinkCount; ++i)
    out[i] = mover_ ? mover_->stats(static_cast<Link>(i)).bytes : 0;
  return out;
}

}  // namespace strata::rt::detail
