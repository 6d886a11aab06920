#pragma once
// The executor's real-time stream: per-tensor residency, arena space, plan actions, demand
// fetches and victims, mirroring sim/simulator.cpp's Stream (Note [executor model]).
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/plan/residency.hpp"
#include "strata/rt/executor.hpp"
#include "strata/rt/host_arena.hpp"
#include "strata/rt/memory_resource.hpp"
#include "strata/rt/mover.hpp"
#include "strata/rt/pinned_host.hpp"

namespace strata::rt::detail {

/// The executor's own tier numbers (Residency's TierIds); mapped to the machine's for reports.
inline constexpr TierId kDev = 0;
inline constexpr TierId kHost = 1;
inline constexpr TierId kSsd = 2;
inline constexpr std::size_t kTiers = 3;

class ExecutionCore {
 public:
  ExecutionCore(const Workload& w, const Machine& m, ByteStore* store, const ExecutorOptions& o,
                const std::atomic<bool>& cancel);
  ~ExecutionCore();
  ExecutionCore(const ExecutionCore&) = delete;
  ExecutionCore& operator=(const ExecutionCore&) = delete;

  /// Places persistent tensors where `plan` says (spilling to host, then SSD) and fills them.
  void place_initial(const Plan& plan, const KernelCallbacks& cb);
  /// Runs iteration `iter` under `plan`, filling kernels to `timing`'s durations; steady: this
  /// iteration's counters go to the report.
  void run_iteration(std::uint32_t iter, const Plan& plan, const Workload& timing,
                     const Policy& policy, const KernelCallbacks& cb, bool steady);
  void read_tensor(TensorId t, std::span<std::byte> out) const;

  /// The steady-state iteration's counters, links and timeline (tiers: whole run).
  sim::Report& report() { return r_; }
  std::vector<std::int64_t>& kernel_ns() { return kernel_ns_; }
  std::int64_t kernel_overrun_ns() const { return overrun_ns_; }
  std::array<std::uint64_t, kLinkCount> mover_bytes() const;
  /// Peak tensor bytes of each of the executor's tiers over the run.
  std::uint64_t peak_bytes(TierId tier) const { return peak_[tier]; }
  std::optional<TierId> machine_tier(TierId tier) const { return mt_[tier]; }

 private:
  enum class Block : std::uint8_t { none, prefetch, fault, space };
  struct TensorState {
    Residency res{0};
    std::int64_t last_access_ns = 0;
    std::int64_t arrived_ns = 0;    ///< when it last arrived in the arena (Recency::arrival)
    std::uint64_t arrival_seq = 0;  ///< EvictionCandidate::arrival_seq
    std::byte* dev = nullptr;       // arena block while it holds arena memory
    std::byte* host = nullptr;      // pinned block while it holds host memory
    CopyHandle copy;
    std::int64_t copy_start_ns = 0;
    bool copy_is_fault = false;
    bool keep_source = false;  // an eviction that finishes while the tensor is needed
    bool queued = false;
    bool queued_demand = false;
    bool reset_on_finish = false;
    std::uint64_t pin = 0;
    std::uint32_t dev_slot = 0xffffffffu;
  };

  std::int64_t now_ns() const;
  void check_cancel() const;
  std::string where() const;
  std::string tier_name(TierId tier) const;
  std::uint64_t bytes_of(TensorId t) const { return w_.tensors[t].bytes; }
  std::uint64_t free_in(TierId tier) const { return cap_[tier] - used_[tier]; }
  void hold(TierId tier, std::uint64_t bytes);
  void unhold(TierId tier, std::uint64_t bytes);
  std::byte* alloc_in(TierId tier, TensorId t, std::uint64_t bytes);
  void free_memory(TensorId t, TierId tier) noexcept;
  void release_host_cache() noexcept;
  void set_device_resident(TensorId t, bool on);
  void transition_to(TensorId t, const ResidencyState& s);
  TierId local_tier(TierKind kind) const;

  void start_copy(TensorId t, TierId to, bool fault);
  void reap();
  void finish_copy(TensorId t);
  [[noreturn]] void fail_copy(TensorId t);
  bool try_cancel_eviction(TensorId t);
  void release_tensor(TensorId t);
  TierId victim_destination(TensorId t);

  void enqueue(TensorId t, bool demand);
  void dequeue(TensorId t);
  void serve_queue();
  bool try_place(TensorId t);
  bool grant(TensorId t);
  void make_room();
  void service();

  void issue(const Action& a);
  void run_item(const KernelCallbacks& cb, const Kernel& kernel, std::int64_t duration_ns,
                bool recompute, TensorId recompute_tensor);
  bool in_place(TensorId t) const;
  void wait_until_ready();
  void fill_until(std::int64_t deadline_ns);
  void end_kernel();
  void record_span(std::uint32_t track, std::string name, std::int64_t start_ns,
                   std::int64_t end_ns);
  std::optional<std::uint32_t> track_of(TierId from, TierId to) const;

  const Workload& w_;
  const Machine& m_;
  ByteStore* store_;
  const ExecutorOptions& o_;
  const std::atomic<bool>& cancel_;
  std::chrono::steady_clock::time_point t0_;

  std::array<std::uint64_t, kTiers> cap_{}, used_{}, peak_{};
  std::array<std::optional<TierId>, kTiers> mt_;    // machine tier of each local tier
  std::array<std::optional<LinkId>, kTiers> link_;  // machine link between device and it
  std::unique_ptr<HostArena> arena_;
  std::unique_ptr<PinnedHost> pinned_;
  std::unique_ptr<Mover> mover_;  // destroyed first: its copies use the memory above
  /// Freed pinned blocks by size, reused by the next block of that size (tensors repeat their
  /// sizes every iteration; a fresh mapping costs a page fault per page on first copy).
  std::multimap<std::uint64_t, std::byte*> host_cache_;

  std::vector<TensorState> ts_;
  std::uint64_t arrivals_ = 0;  ///< tensors arrived in the arena so far (arrival_seq)
  std::vector<TensorId> device_resident_;
  std::vector<std::vector<TensorId>> kernel_tensors_;
  std::vector<std::vector<TensorId>> dies_after_;
  std::vector<KernelId> producer_;
  std::vector<TensorId> queue_;
  std::uint64_t queued_bytes_ = 0;
  std::uint64_t dev_freeing_ = 0;
  std::uint64_t frag_need_bytes_ = 0;  // largest request the arena could not place, this pass
  std::vector<TensorId> inflight_;     // tensors with a copy in flight, in issue order

  // the iteration
  const Plan* plan_ = nullptr;
  const Workload* timing_ = nullptr;
  const Policy* policy_ = nullptr;
  std::uint32_t iter_ = 0;
  KernelId k_ = 0;
  bool steady_ = false;
  std::int64_t iter_start_ns_ = 0;
  std::uint64_t pin_epoch_ = 0;
  std::deque<TensorId> recomputes_;

  // the item (kernel or recompute) being started or run
  bool waiting_ = false;
  bool item_recompute_ = false;
  std::vector<TensorId> recompute_need_;
  const std::vector<TensorId>* need_ = nullptr;
  std::uint64_t item_ws_bytes_ = 0;
  bool ws_held_ = false;
  std::byte* ws_ptr_ = nullptr;
  std::int64_t wait_since_ns_ = 0;
  Block block_ = Block::none;
  std::vector<TensorView> in_views_, out_views_;

  sim::Report r_;
  std::vector<std::int64_t> kernel_ns_;
  std::int64_t overrun_ns_ = 0;
  /// How late the OS woke the executor after filling kernels' time, not yet made up by filling
  /// later kernels less (Note [executor model]).
  std::int64_t oversleep_ns_ = 0;
};

}  // namespace strata::rt::detail
