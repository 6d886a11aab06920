// Recompute in the `strata` planner (Note [strata recompute], docs/planner.md "Recompute"):
// which kernels are cheap (Note [cheap ops]), the worked example whose optimum is known (release
// a ReLU output and re-run the ReLU instead of moving it), the check that recompute sources are
// resident, refinement with recompute never making a random plan worse, and recompute on the
// shared G10 workloads.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>

#include "strata/analysis/vitality.hpp"
#include "strata/core/error.hpp"
#include "strata/io/g10_trace.hpp"
#include "strata/plan/policies/strata.hpp"
#include "strata/plan/recompute_sources.hpp"
#include "strata/sim/simulator.hpp"
#include "strata/workload/recompute.hpp"
#include "support/paths.hpp"

namespace strata {
namespace {

constexpr std::uint64_t kGiB = 1ULL << 30;
constexpr std::int64_t kMs = 1'000'000;

// A GPU with `device_bytes`, host memory over one 16 GB/s link (no latencies, fast tiers).
Machine one_link_machine(std::uint64_t device_bytes) {
  Machine m;
  m.name = "one-link";
  m.tiers.push_back({"hbm", TierKind::device, device_bytes, 1e13, 1e13, 0, 0, 1});
  m.tiers.push_back({"host", TierKind::host, 1ULL << 40, 1e13, 1e13, 0, 0, 1});
  m.gpus = {Gpu{"gpu0", {}, 0, 0, 0}};
  m.gpus[0].compute.fp32_flops_per_s = 1e13;
  m.gpus[0].compute.memory_bytes_per_s = 1e13;
  m.links.push_back({"hbm<->host", 0, 1, 16e9, 0, {}, false});
  m.fault = {4096, 50, 12'300};
  validate(m);
  return m;
}

Kernel kernel(KernelId id, std::string op, Phase phase, std::int64_t ms, std::vector<TensorId> in,
              std::vector<TensorId> out) {
  Kernel k;
  k.id = id;
  k.name = "k" + std::to_string(id) + "_" + op;
  k.op = std::move(op);
  k.phase = phase;
  k.duration_ns = ms * kMs;
  k.inputs = std::move(in);
  k.outputs = std::move(out);
  return k;
}

TEST(CheapOps, ZooAndG10NamesMapAlike) {
  for (const char* op : {"relu", "gelu", "batchnorm", "layernorm", "dropout", "add", "softmax",
                         "Relu", "BatchNorm2d", "SoftmaxBasic", "Divide", "Scale", "Power"})
    EXPECT_TRUE(is_cheap_op(op)) << op;
  for (const char* op : {"conv2d", "Conv2d", "linear", "Dot", "matmul", "BatchMatMul", "maxpool",
                         "GatherV2", "concat", "conv2d_relu", ""})
    EXPECT_FALSE(is_cheap_op(op)) << op;
  Kernel k = kernel(0, "Relu", Phase::forward, 1, {}, {});
  k.name = "ReLU_Forward";
  EXPECT_TRUE(is_cheap_to_recompute(k));
  k.op = "Add";  // a G10 kernel whose parent op says little: the kernel name decides
  k.name = "Add_MultiGredient";
  k.phase = Phase::backward;
  EXPECT_FALSE(is_cheap_to_recompute(k)) << "backward kernels are not recomputed";
  k.op = "Dot";
  k.name = "Linear_Forward";
  k.phase = Phase::forward;
  EXPECT_FALSE(is_cheap_to_recompute(k));
}

// The worked example of docs/planner.md: a 1.5 GiB GPU, one 16 GB/s link. X (256 MiB) is
// written by a convolution k0 and read by the ReLU k1 and by k5; A = relu(X) (1 GiB) is read by
// k2 and k5; B (1 GiB) is written by k3 and read by k4 (10 ms). Over k3 and k4, X + A + B =
// 2.25 GiB: A must leave. Moving it takes 67 ms each way, far longer than the 12 ms between its
// uses, so any movement stalls; re-running the 1 ms ReLU from X (which stays for k5) costs 1 ms.
Workload relu_chain() {
  Workload w;
  w.name = "relu-chain";
  w.tensors = {Tensor{0, "X", kGiB / 4, TensorKind::activation, false},
               Tensor{1, "A", kGiB, TensorKind::activation, false},
               Tensor{2, "B", kGiB, TensorKind::activation, false}};
  w.kernels = {kernel(0, "conv2d", Phase::forward, 1, {}, {0}),
               kernel(1, "relu", Phase::forward, 1, {0}, {1}),
               kernel(2, "conv2d", Phase::forward, 1, {1}, {}),
               kernel(3, "conv2d", Phase::forward, 1, {}, {2}),
               kernel(4, "conv2d", Phase::forward, 10, {2}, {}),
               kernel(5, "conv2d", Phase::backward, 1, {0, 1}, {})};
  validate(w);
  return w;
}

TEST(PolicyStrataRecompute, WorkedExampleRecomputesTheReluInsteadOfMovingIt) {
  const Workload w = relu_chain();
  const Vitality v = analyze_vitality(w);
  const Machine m = one_link_machine(3 * kGiB / 2);
  const StrataPolicy policy;
  policy.learn(w, v);
  const StrataPlanResult r = plan_strata(w, v, m, policy, policy.options());
  Plan expected = make_empty_plan(w, r.plan.name, "strata");
  expected.kernels[2].after = {Action::release(1)};
  expected.kernels[5].before = {Action::recompute(1)};
  EXPECT_EQ(r.plan, expected) << to_text(r.plan, &w);
  EXPECT_EQ(r.stats.recomputed, 1u);
  EXPECT_NO_THROW(validate_recompute_sources(r.plan, w));
  sim::SimOptions o;
  o.check_every_event = true;
  const sim::Report s = sim::simulate(w, v, m, r.plan, policy, o);
  ASSERT_TRUE(s.feasible) << s.infeasible_reason;
  EXPECT_EQ(s.recomputes, 1u);
  EXPECT_EQ(s.recompute_ns, 1 * kMs);
  EXPECT_EQ(s.iteration_ns, v.ideal_ns + 1 * kMs) << "ideal plus one ReLU";
  EXPECT_EQ(s.demand_fetches, 0u);
  EXPECT_GE(s.iteration_ns, r.stats.eviction_bound_ns);
  // Movements only: A goes to host and back, and the iteration waits for the link.
  StrataOptions moves_only = policy.options();
  moves_only.recompute = false;
  const StrataPlanResult plain = plan_strata(w, v, m, policy, moves_only);
  EXPECT_EQ(plain.stats.recomputed, 0u);
  const sim::Report sp = sim::simulate(w, v, m, plain.plan, policy, o);
  ASSERT_TRUE(sp.feasible);
  EXPECT_GT(sp.iteration_ns, s.iteration_ns + 50 * kMs);
  std::printf("relu-chain: ideal %.1f ms, recompute %.1f ms, moves only %.1f ms\n",
              static_cast<double>(v.ideal_ns) / 1e6, static_cast<double>(s.iteration_ns) / 1e6,
              static_cast<double>(sp.iteration_ns) / 1e6);
}

// Re-running a producer rebuilds the version of the tensor it wrote. Here k1 rewrites A in place
// (A += Y) after k0 wrote it, so re-running k0 (1 ms, no inputs, cheap) would bring back the
// wrong A: A has to cross the link instead (planned or faulted), and the iteration waits for it.
// Same pressure as relu_chain: A has to leave over k3-k4.
TEST(PolicyStrataRecompute, ATensorWrittenTwiceIsNotRebuiltFromItsFirstWriter) {
  Workload w;
  w.name = "in-place";
  w.tensors = {Tensor{0, "Y", kGiB / 4, TensorKind::activation, false},
               Tensor{1, "A", kGiB, TensorKind::activation, false},
               Tensor{2, "B", kGiB, TensorKind::activation, false}};
  w.kernels = {kernel(0, "relu", Phase::forward, 1, {}, {1}),
               kernel(1, "add", Phase::forward, 1, {0}, {1}),
               kernel(2, "conv2d", Phase::forward, 1, {1}, {}),
               kernel(3, "conv2d", Phase::forward, 1, {}, {2}),
               kernel(4, "conv2d", Phase::forward, 10, {2}, {}),
               kernel(5, "conv2d", Phase::backward, 1, {0, 1}, {})};
  validate(w);
  const Vitality v = analyze_vitality(w);
  const Machine m = one_link_machine(3 * kGiB / 2);
  const StrataPolicy policy;
  const Plan p = policy.plan(w, v, m);
  for (const KernelActions& ka : p.kernels)
    for (const Action& a : ka.before)
      EXPECT_FALSE(a.kind == ActionKind::recompute && a.tensor == 1) << to_text(p, &w);
  sim::SimOptions o;
  o.check_every_event = true;
  const sim::Report r = sim::simulate(w, v, m, p, policy, o);
  ASSERT_TRUE(r.feasible) << r.infeasible_reason;
  EXPECT_EQ(r.recomputes, 0u);
  EXPECT_GT(r.iteration_ns, v.ideal_ns + 50 * kMs) << "A crosses the link, as it must";
}

// With only the cheap operators allowed (recompute_any_forward = false), a convolution is never
// re-run, however short.
TEST(PolicyStrataRecompute, OnlyCheapOpsMovesAConvolutionsOutput) {
  Workload w = relu_chain();
  w.kernels[1].op = "conv2d";  // same shape, but the producer is a convolution
  w.kernels[1].name = "k1_conv2d";
  const Vitality v = analyze_vitality(w);
  const Machine m = one_link_machine(3 * kGiB / 2);
  StrataOptions cheap_only;
  cheap_only.recompute_any_forward = false;
  const StrataPolicy policy(cheap_only);
  const Plan p = policy.plan(w, v, m);
  for (const KernelActions& ka : p.kernels)
    for (const Action& a : ka.before) EXPECT_NE(a.kind, ActionKind::recompute);
}

// With any forward kernel allowed (the default), the choice is by cost: the same 1 ms
// convolution is re-run instead of moving A (67 ms each way around a 12 ms gap), but one that
// takes longer than the movement's stall is not, and A is moved.
TEST(PolicyStrataRecompute, AnyForwardKernelIsRecomputedOnlyWhereItCostsLessThanMoving) {
  Workload w = relu_chain();
  w.kernels[1].op = "conv2d";
  w.kernels[1].name = "k1_conv2d";
  const Machine m = one_link_machine(3 * kGiB / 2);
  const StrataPolicy policy;
  sim::SimOptions o;
  o.check_every_event = true;
  {
    const Vitality v = analyze_vitality(w);
    const sim::Report r = sim::run_policy(w, v, m, policy, o);
    ASSERT_TRUE(r.feasible) << r.infeasible_reason;
    EXPECT_EQ(r.recomputes, 1u);
    EXPECT_EQ(r.iteration_ns, v.ideal_ns + 1 * kMs) << "ideal plus one convolution";
  }
  w.kernels[1].duration_ns = 400 * kMs;  // far above the ~110 ms the movement stalls
  const Vitality v = analyze_vitality(w);
  const sim::Report r = sim::run_policy(w, v, m, policy, o);
  ASSERT_TRUE(r.feasible) << r.infeasible_reason;
  EXPECT_EQ(r.recomputes, 0u);
  EXPECT_GT(r.iteration_ns, v.ideal_ns) << "A moved, and the link makes the kernels wait";
  EXPECT_LT(r.iteration_ns, v.ideal_ns + 400 * kMs);
}

TEST(RecomputeSources, AnEvictedSourceIsNamed) {
  const Workload w = relu_chain();
  const Machine m = one_link_machine(3 * kGiB / 2);
  Plan p = make_empty_plan(w, "bad", "test");
  p.kernels[2].after = {Action::release(1), Action::evict(0, TierKind::host)};
  p.kernels[5].before = {Action::recompute(1)};
  ASSERT_NO_THROW(validate(p, w, m)) << "valid as a plan: the simulator would fetch X";
  try {
    validate_recompute_sources(p, w);
    ADD_FAILURE() << "an evicted source passed";
  } catch (const InvalidInput& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("recompute A"), std::string::npos) << what;
    EXPECT_NE(what.find("reads X"), std::string::npos) << what;
  }
  // Prefetched back in time (issued before the recompute): fine.
  p.kernels[4].before = {Action::prefetch(0)};
  EXPECT_NO_THROW(validate_recompute_sources(p, w));
}

// relu_chain with a batch norm in the ReLU's place: k1 reads X and the running statistics R
// (persistent) and writes A and R in place. A re-run of k1 that rebuilds A must not update R a
// second time; it need not, when R is a state update (Kernel::state_updates): A does not depend
// on R, so the recompute neither reads nor writes it. Without that, k1 writes one of its own
// inputs, and re-running it is not allowed.
Workload bn_chain(bool r_is_state) {
  Workload w;
  w.name = "bn-chain";
  w.tensors = {Tensor{0, "X", kGiB / 4, TensorKind::activation, false},
               Tensor{1, "A", kGiB, TensorKind::activation, false},
               Tensor{2, "B", kGiB, TensorKind::activation, false},
               Tensor{3, "R", 4096, TensorKind::weight, true}};
  w.kernels = {kernel(0, "conv2d", Phase::forward, 1, {}, {0}),
               kernel(1, "batchnorm", Phase::forward, 1, {0, 3}, {1, 3}),
               kernel(2, "conv2d", Phase::forward, 1, {1}, {}),
               kernel(3, "conv2d", Phase::forward, 1, {}, {2}),
               kernel(4, "conv2d", Phase::forward, 10, {2}, {}),
               kernel(5, "conv2d", Phase::backward, 1, {0, 1}, {})};
  if (r_is_state) w.kernels[1].state_updates = {3};
  validate(w);
  return w;
}

TEST(PolicyStrataRecompute, ABatchNormIsReRunWithoutItsRunningStatistics) {
  const Machine m = one_link_machine(3 * kGiB / 2);
  sim::SimOptions o;
  o.check_every_event = true;
  const Workload w = bn_chain(true);
  EXPECT_EQ(recompute_inputs(w.kernels[1]), std::vector<TensorId>{0});
  const Vitality v = analyze_vitality(w);
  const StrataPolicy policy;
  const Plan p = policy.plan(w, v, m);
  EXPECT_NO_THROW(validate_recompute_sources(p, w));
  const sim::Report r = sim::simulate(w, v, m, p, policy, o);
  ASSERT_TRUE(r.feasible) << r.infeasible_reason;
  EXPECT_EQ(r.recomputes, 1u) << to_text(p, &w);
  EXPECT_EQ(r.iteration_ns, v.ideal_ns + 1 * kMs) << "ideal plus one batch norm";
  // The recompute does not need R on the device: a plan that moved R away then is fine.
  Plan moved = p;
  moved.kernels[2].after.push_back(Action::evict(3, TierKind::host));
  ASSERT_NO_THROW(validate(moved, w, m));
  EXPECT_NO_THROW(validate_recompute_sources(moved, w));
  const sim::Report rm = sim::simulate(w, v, m, moved, policy, o);
  ASSERT_TRUE(rm.feasible) << rm.infeasible_reason;
  EXPECT_EQ(rm.demand_fetches, 0u) << "R is not fetched for the recompute";

  // R an ordinary input that k1 also writes: k1 is not re-run, A crosses the link.
  const Workload plain = bn_chain(false);
  const Vitality vp = analyze_vitality(plain);
  const Plan pp = policy.plan(plain, vp, m);
  const sim::Report rp = sim::simulate(plain, vp, m, pp, policy, o);
  ASSERT_TRUE(rp.feasible) << rp.infeasible_reason;
  EXPECT_EQ(rp.recomputes, 0u) << to_text(pp, &plain);
  EXPECT_GT(rp.iteration_ns, vp.ideal_ns + 50 * kMs);
  Plan forced = moved;
  EXPECT_THROW(validate_recompute_sources(forced, plain), InvalidInput)
      << "re-running k1 there would read R, which the plan moved away";
}

// conv -> batchnorm -> relu, as the zoo's CNNs build them: the ReLU's backward reads its output
// A, so the batch-norm output Z dies after the forward ReLU, while the convolution output C
// lives on (the batch norm's backward reads it). A can still be rebuilt before k5 by re-running
// the batch norm (Z from C) and then the ReLU (Note [recompute intermediates]).
Workload bn_relu_chain() {
  Workload w;
  w.name = "bn-relu-chain";
  w.tensors = {Tensor{0, "C", kGiB / 4, TensorKind::activation, false},
               Tensor{1, "Z", kGiB / 4, TensorKind::activation, false},
               Tensor{2, "A", kGiB, TensorKind::activation, false},
               Tensor{3, "B", kGiB, TensorKind::activation, false}};
  w.kernels = {kernel(0, "conv2d", Phase::forward, 1, {}, {0}),
               kernel(1, "batchnorm", Phase::forward, 1, {0}, {1}),
               kernel(2, "relu", Phase::forward, 1, {1}, {2}),
               kernel(3, "conv2d", Phase::forward, 1, {}, {3}),
               kernel(4, "conv2d", Phase::forward, 10, {3}, {}),
               kernel(5, "relu", Phase::backward, 1, {2}, {}),
               kernel(6, "batchnorm", Phase::backward, 1, {0}, {})};
  validate(w);
  return w;
}

TEST(RecomputeIntermediates, ADeadInputIsRebuiltFirstAndReleasedAfter) {
  const Workload w = bn_relu_chain();
  const Machine m = one_link_machine(3 * kGiB / 2);
  Plan p = make_empty_plan(w, "chain", "test");
  p.kernels[2].after = {Action::release(2)};
  p.kernels[5].before = {Action::recompute(2)};
  EXPECT_THROW(validate(p, w, m), InvalidInput) << "Z is dead by k5";
  p.kernels[5].before = {Action::recompute(1), Action::recompute(2)};
  EXPECT_THROW(validate(p, w, m), InvalidInput) << "Z rebuilt but never released";
  p.kernels[5].after = {Action::release(1)};
  EXPECT_NO_THROW(validate(p, w, m));
  EXPECT_NO_THROW(validate_recompute_sources(p, w));
  p.kernels[5].before = {Action::recompute(2), Action::recompute(1)};
  EXPECT_THROW(validate(p, w, m), InvalidInput) << "Z must come first";
  // The planner finds it: the iteration costs one batch norm and one ReLU more than ideal.
  const Vitality v = analyze_vitality(w);
  const StrataPolicy policy;
  policy.learn(w, v);
  const StrataPlanResult r = plan_strata(w, v, m, policy, policy.options());
  p.kernels[5].before = {Action::recompute(1), Action::recompute(2)};
  p.name = r.plan.name;
  p.policy = "strata";
  EXPECT_EQ(r.plan, p) << to_text(r.plan, &w);
  sim::SimOptions o;
  o.check_every_event = true;
  const sim::Report s = sim::simulate(w, v, m, r.plan, policy, o);
  ASSERT_TRUE(s.feasible) << s.infeasible_reason;
  EXPECT_EQ(s.recomputes, 2u);
  EXPECT_EQ(s.iteration_ns, v.ideal_ns + 2 * kMs);
  EXPECT_EQ(s.demand_fetches, 0u);
}

// A random training-like chain in which every forward layer is a convolution followed by a cheap
// op (relu or batchnorm), backward in reverse reading both, then optimizer updates.
Workload random_cheap_workload(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> layers_d(2, 6);
  std::uniform_int_distribution<std::uint64_t> mb(8, 256);
  std::uniform_int_distribution<std::int64_t> ms(1, 40);
  std::bernoulli_distribution coin(0.5);
  const int layers = layers_d(rng);
  Workload w;
  w.name = "random-cheap";
  auto tensor = [&](std::string name, TensorKind kind, bool persistent) {
    const auto id = static_cast<TensorId>(w.tensors.size());
    w.tensors.push_back({id, std::move(name), mb(rng) * 1'000'000, kind, persistent});
    return id;
  };
  auto add = [&](std::string op, Phase phase, std::vector<TensorId> in, std::vector<TensorId> out) {
    const auto id = static_cast<KernelId>(w.kernels.size());
    w.kernels.push_back(kernel(id, std::move(op), phase, ms(rng), std::move(in), std::move(out)));
  };
  std::vector<TensorId> x{tensor("input", TensorKind::input, true)}, pre, wt, grad_w;
  for (int l = 0; l < layers; ++l) {
    const std::string s = std::to_string(l);
    wt.push_back(tensor("w" + s, TensorKind::weight, true));
    pre.push_back(tensor("c" + s, TensorKind::activation, false));
    x.push_back(tensor("a" + s, TensorKind::activation, false));
    add("conv2d", Phase::forward, {x[l], wt[l]}, {pre[l]});
    add(coin(rng) ? "relu" : "batchnorm", Phase::forward, {pre[l]}, {x[l + 1]});
  }
  TensorId g = tensor("g_out", TensorKind::gradient, false);
  add("cross_entropy", Phase::forward, {x[layers]}, {g});
  for (int l = layers - 1; l >= 0; --l) {
    const std::string s = std::to_string(l);
    const TensorId gp = tensor("gc" + s, TensorKind::gradient, false);
    add("relu", Phase::backward, {g, pre[l], x[l + 1]}, {gp});
    const TensorId gi = tensor("g" + s, TensorKind::gradient, false);
    grad_w.push_back(tensor("gw" + s, TensorKind::gradient, false));
    add("conv2d", Phase::backward, {gp, x[l], wt[l]}, {gi, grad_w.back()});
    g = gi;
  }
  for (int l = 0; l < layers; ++l)
    add("sgd", Phase::optimizer, {wt[l], grad_w[layers - 1 - l]}, {wt[l]});
  validate(w);
  return w;
}

// Refinement (with recompute repairs) keeps a change only if the simulated iteration gets
// faster: never slower than the unrefined plan, and every recompute's sources stay resident.
// Fresh workloads every run (the seed is printed).
TEST(PolicyStrataRecompute, RefinementNeverMakesRandomWorkloadsWorse) {
  const std::uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  int with_recompute = 0;
  for (int round = 0; round < 12; ++round) {
    const Workload w = random_cheap_workload(rng);
    const Vitality v = analyze_vitality(w);
    std::uint64_t working_set = 0;
    for (const Kernel& k : w.kernels) {
      std::uint64_t b = 0;
      for (TensorId t : k.inputs) b += w.tensors[t].bytes;
      for (TensorId t : k.outputs) b += w.tensors[t].bytes;
      working_set = std::max(working_set, b);
    }
    std::uniform_real_distribution<double> squeeze(0.4, 0.9);
    const Machine m = one_link_machine(std::max<std::uint64_t>(
        working_set + 1,
        static_cast<std::uint64_t>(squeeze(rng) * static_cast<double>(v.peak_live_bytes))));
    const StrataPolicy policy;
    policy.learn(w, v);
    StrataOptions unrefined = policy.options();
    unrefined.max_simulations = 2;  // both sweeps simulated, the faster kept, no repair
    const StrataPlanResult a = plan_strata(w, v, m, policy, unrefined);
    const StrataPlanResult b = plan_strata(w, v, m, policy, policy.options());
    StrataOptions plain = policy.options();
    plain.recompute = false;
    const StrataPlanResult c = plan_strata(w, v, m, policy, plain);
    sim::SimOptions o;
    o.check_every_event = true;
    const sim::Report ra = sim::simulate(w, v, m, a.plan, policy, o);
    const sim::Report rb = sim::simulate(w, v, m, b.plan, policy, o);
    const sim::Report rc = sim::simulate(w, v, m, c.plan, policy, o);
    ASSERT_TRUE(ra.feasible && rb.feasible && rc.feasible) << "round " << round;
    EXPECT_LE(rb.iteration_ns, ra.iteration_ns) << "round " << round;
    EXPECT_NO_THROW(validate_recompute_sources(b.plan, w)) << "round " << round;
    EXPECT_GE(rb.iteration_ns, b.stats.eviction_bound_ns) << "round " << round;
    // Recompute only adds choices the simulator must confirm: never slower than the unrefined
    // movements-only plan, which is one of the two starting points.
    if (c.stats.simulations > 0) {
      EXPECT_LE(rb.iteration_ns, c.stats.unrefined_ns) << round;
    }
    if (b.stats.simulations > 0) {
      EXPECT_EQ(rb.iteration_ns, b.stats.refined_ns) << round;
    }
    if (rb.recomputes > 0) ++with_recompute;
  }
  std::printf("random cheap workloads: %d of 12 plans recompute\n", with_recompute);
}

// Every shared G10 workload on g10-a100: every recompute of the plan has resident sources
// (Note [resident recompute sources]) and the simulator runs each one (none is an ignored hint).
TEST(PolicyStrataRecompute, SharedG10WorkloadsRecomputeFromResidentSources) {
  STRATA_REQUIRE_G10();
  const Machine m = load_machine("g10-a100", {test::source_dir() / "configs" / "machines"});
  for (const auto& folder : test::g10_folders()) {
    const Workload w = load_g10_folder(folder);
    const Vitality v = analyze_vitality(w);
    const StrataPolicy policy;
    policy.learn(w, v);
    const StrataPlanResult r = plan_strata(w, v, m, policy, policy.options());
    EXPECT_NO_THROW(validate_recompute_sources(r.plan, w)) << w.name;
    const sim::Report s = sim::simulate(w, v, m, r.plan, policy);
    ASSERT_TRUE(s.feasible) << w.name;
    // Every recompute action runs (none is an ignored hint): the periods recomputed, and the
    // intermediates rebuilt on the way (Note [recompute intermediates]).
    std::size_t actions = 0;
    for (const KernelActions& ka : r.plan.kernels)
      for (const Action& act : ka.before) actions += act.kind == ActionKind::recompute ? 1 : 0;
    EXPECT_EQ(s.recomputes, actions) << w.name;
    EXPECT_GE(actions, r.stats.recomputed) << w.name;
    std::printf("%-18s recomputed %zu periods, %.1f ms of recompute, fraction %.4f\n",
                w.name.c_str(), r.stats.recomputed, static_cast<double>(s.recompute_ns) / 1e6,
                s.fraction_of_ideal);
  }
}

}  // namespace
}  // namespace strata
