#include "strata/plan/plan.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "strata/analysis/vitality.hpp"
#include "strata/core/error.hpp"
#include "strata/io/g10_plan.hpp"
#include "strata/io/g10_trace.hpp"
#include "strata/io/plan_json.hpp"
#include "strata/io/text_file.hpp"
#include "strata/plan/policy.hpp"
#include "strata/plan/residency.hpp"
#include "support/paths.hpp"

namespace strata {
namespace {

using ::testing::HasSubstr;

Machine g10_machine() {
  return load_machine("g10-a100", {test::source_dir() / "configs" / "machines"});
}

/// A small workload: w0 (persistent) and a, b, c born and dying inside the iteration.
///   k0: in {w0}      out {a}
///   k1: in {a}       out {b}
///   k2: in {b, w0}   out {c}
///   k3: in {c, a}    out {}      (a's last use is k3, b's is k2, c's is k3)
Workload tiny() {
  Workload w;
  w.name = "tiny";
  const auto tensor = [&](std::string name, bool persistent) {
    Tensor t;
    t.id = static_cast<TensorId>(w.tensors.size());
    t.name = std::move(name);
    t.bytes = 4096;
    t.persistent = persistent;
    t.kind = persistent ? TensorKind::weight : TensorKind::activation;
    w.tensors.push_back(t);
  };
  tensor("w0", true);
  tensor("a", false);
  tensor("b", false);
  tensor("c", false);
  const auto kernel = [&](std::vector<TensorId> in, std::vector<TensorId> out) {
    Kernel k;
    k.id = static_cast<KernelId>(w.kernels.size());
    k.name = "k" + std::to_string(k.id);
    k.duration_ns = 1000;
    k.inputs = std::move(in);
    k.outputs = std::move(out);
    w.kernels.push_back(k);
  };
  kernel({0}, {1});
  kernel({1}, {2});
  kernel({2, 0}, {3});
  kernel({3, 1}, {});
  validate(w);
  return w;
}

Plan random_plan(std::mt19937_64& rng) {
  Plan p;
  p.name = "random " + std::to_string(rng() % 1000);
  p.policy = "test:\"quoted\" \\ ünïcode";
  p.workload = "w";
  const std::size_t kernels = 1 + rng() % 20;
  p.kernels.resize(kernels);
  const std::array tiers = {TierKind::device, TierKind::host, TierKind::ssd, TierKind::pmem};
  for (int i = 0; i < 5; ++i) p.initial[static_cast<TensorId>(rng() % 50)] = tiers[rng() % 4];
  const std::size_t actions = rng() % 60;
  for (std::size_t i = 0; i < actions; ++i) {
    const auto t = static_cast<TensorId>(rng() % 100000);
    Action a;
    switch (rng() % 4) {
      case 0: a = Action::prefetch(t); break;
      case 1: a = Action::evict(t, tiers[1 + rng() % 3]); break;
      case 2: a = Action::release(t); break;
      default: a = Action::recompute(t); break;
    }
    auto& k = p.kernels[rng() % kernels];
    (rng() % 2 ? k.before : k.after).push_back(a);
  }
  return p;
}

// ---- Plan JSON -------------------------------------------------------------------------------

TEST(PlanJson, RandomPlansRoundTripExactly) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200; ++i) {
    const Plan p = random_plan(rng);
    for (int indent : {-1, 1}) {
      const std::string text = plan_to_json(p, indent);
      const Plan back = plan_from_json(text, "mem");
      ASSERT_EQ(back, p) << text;
      EXPECT_EQ(plan_to_json(back, indent), text);
      EXPECT_TRUE(diff(p, back).empty());
    }
  }
}

TEST(PlanJson, SaveAndLoad) {
  std::mt19937_64 rng(7);
  const Plan p = random_plan(rng);
  const auto path = std::filesystem::temp_directory_path() / "strata_plan_test.json";
  save_plan_json(p, path);
  EXPECT_EQ(load_plan_json(path), p);
  std::filesystem::remove(path);
}

void expect_json_error(const std::string& text, const std::string& fragment) {
  try {
    plan_from_json(text, "p.json");
    FAIL() << "no error for " << text;
  } catch (const InvalidInput& e) {
    EXPECT_THAT(e.what(), HasSubstr("p.json")) << e.what();
    EXPECT_THAT(e.what(), HasSubstr(fragment)) << e.what();
  }
}

TEST(PlanJson, ErrorsNameTheJsonPath) {
  const std::string head =
      R"({"format":"strata.plan","version":1,"name":"n","policy":"p","workload":"w",)"
      R"("kernel_count":3,"initial":[)";
  expect_json_error("{", "p.json:1:");
  expect_json_error(R"({"format":"strata.workload"})", "$.format");
  expect_json_error(
      R"({"format":"strata.plan","version":2,"name":"n","policy":"p","workload":"w"})",
      "$.version");
  expect_json_error(head + R"({"tensor":1,"tier":"disk"}],"actions":[]})", "$.initial[0].tier");
  expect_json_error(head + R"({"tensor":1,"tier":"ssd"},{"tensor":1,"tier":"host"}],"actions":[]})",
                    "$.initial[1].tensor");
  expect_json_error(head + R"(],"actions":[{"kernel":3,"when":"before","op":"prefetch",)"
                           R"("tensor":0,"to":"device"}]})",
                    "$.actions[0].kernel is 3; the plan has 3 kernels");
  expect_json_error(head + R"(],"actions":[{"kernel":0,"when":"during","op":"prefetch",)"
                           R"("tensor":0,"to":"device"}]})",
                    "$.actions[0].when");
  expect_json_error(head + R"(],"actions":[{"kernel":0,"when":"after","op":"copy",)"
                           R"("tensor":0,"to":"device"}]})",
                    "$.actions[0].op");
  expect_json_error(head + R"(],"actions":[{"kernel":0,"when":"after","op":"evict",)"
                           R"("tensor":-1,"to":"ssd"}]})",
                    "$.actions[0].tensor");
  expect_json_error(head + R"(],"actions":[{"kernel":0,"when":"after","op":"evict","tensor":1}]})",
                    "$.actions[0].to is missing");
  expect_json_error(head + R"(],"actions":[{"kernel":0,"when":"after","op":"release",)"
                           R"("tensor":1,"to":"ssd"}]})",
                    "$.actions[0].to");
  expect_json_error(head + R"(],"actions":{}})", "$.actions must be an array");
}

// ---- validate, print, diff ---------------------------------------------------------------------

void expect_invalid(const Plan& p, const Workload& w, const Machine& m,
                    std::vector<std::string> fragments) {
  try {
    validate(p, w, m);
    FAIL() << "accepted:\n" << to_text(p, &w);
  } catch (const InvalidInput& e) {
    for (const auto& f : fragments) EXPECT_THAT(e.what(), HasSubstr(f));
  }
}

TEST(PlanValidate, AcceptsAGoodPlan) {
  const Workload w = tiny();
  const Machine m = g10_machine();
  Plan p = make_empty_plan(w, "good", "test");
  p.initial[0] = TierKind::ssd;
  p.kernels[0].before.push_back(Action::prefetch(0));              // weight back from SSD
  p.kernels[0].before.push_back(Action::prefetch(1));              // allocate a before its birth
  p.kernels[1].after.push_back(Action::evict(1, TierKind::host));  // a idle over k2
  p.kernels[2].after.push_back(Action::evict(0, TierKind::ssd));   // weight idle till next k0
  p.kernels[2].after.push_back(Action::release(2));                // b dead after k2
  p.kernels[3].before.push_back(Action::prefetch(1));              // a back for k3
  p.kernels[3].before.push_back(Action::recompute(1));             // a re-made from w0 by k0
  p.kernels[3].after.push_back(Action::release(1));
  p.kernels[3].after.push_back(Action::release(3));
  EXPECT_NO_THROW(validate(p, w, m));
  EXPECT_NO_THROW(validate(make_empty_plan(w, "e", "t"), w, m));
}

TEST(PlanValidate, CatchesEachBadCase) {
  const Workload w = tiny();
  const Machine m = g10_machine();
  const Plan empty = make_empty_plan(w, "bad", "test");
  auto with = [&](KernelId k, bool before, Action a) {
    Plan p = empty;
    (before ? p.kernels[k].before : p.kernels[k].after).push_back(a);
    return p;
  };
  {
    Plan p = empty;
    p.kernels.pop_back();
    expect_invalid(p, w, m, {"3 kernels", "has 4"});
  }
  expect_invalid(with(1, true, Action::prefetch(9)), w, m,
                 {"before kernel 1 (k1)", "tensor #9", "does not exist"});
  expect_invalid(with(2, false, Action::evict(2, TierKind::host)), w, m,
                 {"after kernel 2 (k2)", "evict b", "dead after kernel 2"});
  expect_invalid(with(3, true, Action::prefetch(2)), w, m,
                 {"before kernel 3 (k3)", "prefetch b", "dead after kernel 2"});
  expect_invalid(with(3, false, Action::recompute(1)), w, m, {"recompute a", "dead"});
  expect_invalid(with(2, true, Action::release(2)), w, m, {"release b", "still live"});
  expect_invalid(with(0, true, Action::release(0)), w, m, {"release w0", "persistent"});
  expect_invalid(with(0, true, Action::evict(0, TierKind::pmem)), w, m,
                 {"before kernel 0 (k0)", "evict w0 -> pmem", "no pmem tier"});
  expect_invalid(with(0, true, Action::evict(0, TierKind::device)), w, m, {"host, ssd or pmem"});
  expect_invalid(with(0, true, Action{ActionKind::prefetch, 0, TierKind::host}), w, m, {"device"});
  expect_invalid(with(0, true, Action{ActionKind::release, 1, TierKind::ssd}), w, m,
                 {"carries no tier"});
  expect_invalid(with(0, true, Action::recompute(0)), w, m, {"recompute w0", "persistent"});
  // c's producer k2 reads b, which is dead after k2: c cannot be recomputed before k3.
  expect_invalid(with(3, true, Action::recompute(3)), w, m,
                 {"recompute c", "its producer kernel 2 (k2) reads b", "dead after kernel 2"});
  expect_invalid(with(0, false, Action::release(1)), w, m, {"release a", "still live"});
  {
    Plan p = empty;
    p.initial[1] = TierKind::host;
    expect_invalid(p, w, m, {"initial placement of a", "only persistent"});
    p.initial = {{7, TierKind::host}};
    expect_invalid(p, w, m, {"tensor #7", "does not exist"});
    p.initial = {{0, TierKind::pmem}};
    expect_invalid(p, w, m, {"initial placement of w0", "no pmem tier"});
  }
}

TEST(PlanValidate, RecomputeNeedsAProducer) {
  Workload w = tiny();
  // x is read by k1 and never written: an input.
  Tensor x;
  x.id = 4;
  x.name = "x";
  x.bytes = 4096;
  w.tensors.push_back(x);
  w.kernels[1].inputs.push_back(4);
  const Machine m = g10_machine();
  Plan p = make_empty_plan(w, "bad", "test");
  p.kernels[1].before.push_back(Action::recompute(4));
  expect_invalid(p, w, m, {"recompute x", "no kernel writes x"});
}

TEST(PlanText, PrintsAndDiffs) {
  const Workload w = tiny();
  Plan a = make_empty_plan(w, "a", "test");
  a.initial[0] = TierKind::ssd;
  a.kernels[0].before.push_back(Action::prefetch(0));
  a.kernels[2].after.push_back(Action::release(2));
  const std::string text = to_text(a, &w);
  EXPECT_THAT(text, HasSubstr("initial: w0 in ssd\n"));
  EXPECT_THAT(text, HasSubstr("before kernel 0 (k0): prefetch w0 -> device\n"));
  EXPECT_THAT(text, HasSubstr("after kernel 2 (k2): release b\n"));
  EXPECT_THAT(to_text(a), HasSubstr("after kernel 2: release tensor #2\n"));

  Plan b = a;
  EXPECT_EQ(diff_text(a, b), "");
  b.initial.clear();
  b.kernels[0].before.clear();
  b.kernels[1].after.push_back(Action::evict(1, TierKind::host));
  // Order within a slot does not matter.
  a.kernels[3].after = {Action::release(1), Action::release(3)};
  b.kernels[3].after = {Action::release(3), Action::release(1)};
  EXPECT_EQ(diff_text(a, b, &w),
            "- initial: w0 in ssd\n"
            "+ initial: w0 in device\n"
            "- before kernel 0 (k0): prefetch w0 -> device\n"
            "+ after kernel 1 (k1): evict a -> host\n");
  EXPECT_EQ(diff(a, b).size(), 4u);
  Plan shorter = b;
  shorter.kernels.pop_back();
  EXPECT_THROW(diff(a, shorter), InvalidInput);
}

// ---- residency -------------------------------------------------------------------------------

TEST(Residency, LegalLifecycle) {
  Residency r(5);
  EXPECT_EQ(r.kind(), ResidencyState::Kind::absent);
  r.allocate(0);
  EXPECT_TRUE(r.is_resident_in(0));
  r.begin_move(2);
  EXPECT_EQ(r.state(), ResidencyState::moving(0, 2));
  EXPECT_TRUE(r.holds(0));
  EXPECT_TRUE(r.holds(2));
  EXPECT_FALSE(r.holds(1));
  r.finish_move();
  EXPECT_TRUE(r.is_resident_in(2));
  r.begin_move(0);
  r.cancel_move();
  EXPECT_TRUE(r.is_resident_in(2));
  r.begin_move(0);
  r.release();  // free requested while the copy runs
  EXPECT_EQ(r.state(), ResidencyState::releasing(2, 0));
  EXPECT_TRUE(r.holds(2));
  r.finish_move();  // free completed
  EXPECT_EQ(r.kind(), ResidencyState::Kind::released);
  r.reset();
  EXPECT_EQ(r.kind(), ResidencyState::Kind::absent);
  r.allocate(1);
  r.release();
  EXPECT_EQ(r.kind(), ResidencyState::Kind::released);
}

void expect_illegal(Residency r, const std::function<void(Residency&)>& step,
                    const std::string& from, const std::string& to) {
  try {
    step(r);
    FAIL() << "allowed from " << from;
  } catch (const InternalError& e) {
    EXPECT_THAT(e.what(), HasSubstr("tensor #7"));
    EXPECT_THAT(e.what(), HasSubstr(from));
    EXPECT_THAT(e.what(), HasSubstr(to));
  }
}

TEST(Residency, IllegalTransitionsThrowWithBothStates) {
  const Residency absent(7);
  const Residency resident(7, ResidencyState::resident(0));
  const Residency moving(7, ResidencyState::moving(0, 1));
  const Residency releasing(7, ResidencyState::releasing(0, 1));
  const Residency released(7, ResidencyState::released());
  expect_illegal(
      absent, [](Residency& r) { r.begin_move(1); }, "absent", "moving");
  expect_illegal(
      absent, [](Residency& r) { r.release(); }, "absent", "released");
  expect_illegal(
      absent, [](Residency& r) { r.finish_move(); }, "absent", "resident");
  expect_illegal(
      resident, [](Residency& r) { r.allocate(1); }, "resident(tier 0)", "resident(tier 1)");
  expect_illegal(
      resident, [](Residency& r) { r.begin_move(0); }, "resident(tier 0)",
      "moving(tier 0 -> tier 0)");
  expect_illegal(
      resident, [](Residency& r) { r.cancel_move(); }, "resident(tier 0)", "source");
  expect_illegal(
      moving, [](Residency& r) { r.begin_move(2); }, "moving(tier 0 -> tier 1)", "moving");
  expect_illegal(
      moving, [](Residency& r) { r.allocate(2); }, "moving(tier 0 -> tier 1)", "resident(tier 2)");
  expect_illegal(
      releasing, [](Residency& r) { r.cancel_move(); }, "releasing(tier 0 -> tier 1)", "source");
  expect_illegal(
      releasing, [](Residency& r) { r.release(); }, "releasing", "released");
  expect_illegal(
      released, [](Residency& r) { r.allocate(0); }, "released", "resident(tier 0)");
  expect_illegal(
      released, [](Residency& r) { r.release(); }, "released", "released");
  expect_illegal(
      released, [](Residency& r) { r.begin_move(1); }, "released", "moving");
  EXPECT_FALSE(is_legal_transition(ResidencyState::moving(0, 1), ResidencyState::resident(2)));
  EXPECT_TRUE(is_legal_transition(ResidencyState::moving(0, 1), ResidencyState::resident(1)));
}

// ---- policies --------------------------------------------------------------------------------

TEST(Policy, IdealIsEmptyAndValid) {
  const Workload w = tiny();
  const Machine m = g10_machine();
  const auto policy = make_policy("ideal");
  EXPECT_EQ(policy->name(), "ideal");
  const Plan p = policy->plan(w, analyze_vitality(w), m);
  EXPECT_EQ(p.kernels.size(), w.kernels.size());
  EXPECT_EQ(p.action_count(), 0u);
  EXPECT_TRUE(p.initial.empty());
  EXPECT_EQ(p.policy, "ideal");
  EXPECT_NO_THROW(validate(p, w, m));
}

TEST(Policy, DefaultVictimIsLeastRecentlyUsed) {
  const auto policy = make_policy("ideal");
  const std::vector<EvictionCandidate> c = {{3, 10, 500}, {1, 10, 100}, {2, 10, 100}, {0, 1, 900}};
  EXPECT_EQ(policy->choose_victim({0, 10, c}), 1u);  // oldest; tie broken by lower tensor id
  EXPECT_EQ(policy->choose_victim({0, 10, {}}), std::nullopt);
}

TEST(Policy, UnknownSpecsListTheKnownOnes) {
  try {
    make_policy("uvm-ish");
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown policy 'uvm-ish'"));
    EXPECT_THAT(e.what(), HasSubstr("ideal"));
    EXPECT_THAT(e.what(), HasSubstr("g10-plan:<folder or file>"));
  }
  EXPECT_THROW(make_policy("g10-plan:"), InvalidInput);
  EXPECT_THROW(make_policy(""), InvalidInput);
  EXPECT_EQ(make_policy("g10-plan:/x/y")->name(), "g10-plan:/x/y");
  // A missing file is reported when planning, naming the file.
  const Workload w = tiny();
  EXPECT_THROW(make_policy("g10-plan:/no/such/dir")->plan(w, analyze_vitality(w), g10_machine()),
               IoError);
}

// ---- G10 plans -------------------------------------------------------------------------------

TEST(G10Plan, EverySharedPlanParsesAndValidates) {
  STRATA_REQUIRE_G10();
  const Machine m = g10_machine();
  std::size_t starting_off_device = 0;
  for (const auto& folder : test::g10_folders()) {
    SCOPED_TRACE(folder.string());
    const Workload w = load_g10_folder(folder);
    const auto policy = make_policy("g10-plan:" + folder.string());
    const Plan p = policy->plan(w, analyze_vitality(w), m);  // validates
    // Every line became one action.
    const std::string text = read_text_file(folder / "g10_plan.txt");
    const auto lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
    EXPECT_EQ(p.action_count(), lines);
    EXPECT_GT(p.action_count(), 0u);
    // A persistent tensor starts off the device exactly when the iteration's last movement of
    // it is an eviction, and then it is prefetched before its first use.
    std::map<TensorId, ActionKind> first_move;
    for (const KernelActions& k : p.kernels)
      for (const auto* list : {&k.before, &k.after})
        for (const Action& a : *list) first_move.emplace(a.tensor, a.kind);
    for (const auto& [t, tier] : p.initial) {
      EXPECT_TRUE(w.tensors[t].persistent);
      EXPECT_NE(tier, TierKind::device);
      EXPECT_EQ(first_move.at(t), ActionKind::prefetch) << w.tensors[t].name;
    }
    starting_off_device += p.initial.size();
    // JSON round trip of a real plan.
    EXPECT_EQ(plan_from_json(plan_to_json(p), "mem"), p);
  }
  // BERT-512 and Inceptionv3-1024 evict weights across the iteration boundary.
  EXPECT_GT(starting_off_device, 0u);
}

TEST(G10Plan, MeaningOfLines) {
  const Workload w = tiny();
  const Plan p = parse_g10_plan(
      "Issued Time: 0 Tensor: 0 G:o From: Not_Known, To: In_gpu\r\n"
      "Issued Time: 0 Tensor: 1 G:x From: Not_Known, To: In_gpu\n"
      "\n"
      "Issued Time: 2 Tensor: 0 G:o From: Not_Known, To: In_ssd\n"
      "Issued Time: 2 Tensor: 1 G:x From: Not_Known, To: In_cpu\n"
      "Issued Time: 3 Tensor: 2 G:x From: Not_Known, To: Not_present\n"
      "Issued Time: 4 Tensor: 3 G:x From: Not_Known, To: Not_present\n",
      "plan.txt", [] {
        Workload x = tiny();
        for (Tensor& t : x.tensors) t.name = "tensor" + std::to_string(t.id);
        return x;
      }());
  ASSERT_EQ(p.kernels.size(), 4u);
  EXPECT_EQ(p.kernels[0].before, (std::vector{Action::prefetch(0), Action::prefetch(1)}));
  EXPECT_EQ(p.kernels[2].before,
            (std::vector{Action::evict(0, TierKind::ssd), Action::evict(1, TierKind::host)}));
  EXPECT_EQ(p.kernels[3].before, std::vector{Action::release(2)});
  EXPECT_EQ(p.kernels[3].after, std::vector{Action::release(3)});  // t == kernel count
  EXPECT_EQ(p.initial, (std::map<TensorId, TierKind>{{0, TierKind::ssd}}));
  (void)w;
}

void expect_g10_error(const std::string& line, const std::string& fragment) {
  Workload w = tiny();
  for (Tensor& t : w.tensors) t.name = "tensor" + std::to_string(t.id);
  const std::string text = "Issued Time: 0 Tensor: 1 G:x From: Not_Known, To: In_gpu\n" + line +
                           "\nIssued Time: 1 Tensor: 1 G:x From: Not_Known, To: In_gpu\n";
  try {
    parse_g10_plan(text, "dir/g10_plan.txt", w);
    FAIL() << "accepted " << line;
  } catch (const InvalidInput& e) {
    EXPECT_THAT(e.what(), HasSubstr("dir/g10_plan.txt:2: "));
    EXPECT_THAT(e.what(), HasSubstr(fragment));
  }
}

TEST(G10Plan, CorruptedLinesGiveFileAndLine) {
  expect_g10_error("Issued Time: 0 Tensor: 1 G:x From: Not_Known To: In_gpu", "comma");
  expect_g10_error("Issued Time: 0 Tensor: 1 G:x From: Not_Known, To:", "expected 'Issued Time");
  expect_g10_error("garbage", "expected 'Issued Time");
  expect_g10_error("Issued Time: x Tensor: 1 G:x From: Not_Known, To: In_gpu", "kernel index");
  expect_g10_error("Issued Time: -1 Tensor: 1 G:x From: Not_Known, To: In_gpu", "kernel index");
  expect_g10_error("Issued Time: 0 Tensor: 1x G:x From: Not_Known, To: In_gpu", "tensor number");
  expect_g10_error("Issued Time: 5 Tensor: 1 G:x From: Not_Known, To: In_gpu", "out of range");
  expect_g10_error("Issued Time: 0 Tensor: 99 G:x From: Not_Known, To: In_gpu",
                   "tensor 99 (tensor99) is not in workload 'tiny'");
  expect_g10_error("Issued Time: 0 Tensor: 1 G:y From: Not_Known, To: In_gpu", "G:o");
  expect_g10_error("Issued Time: 0 Tensor: 1 G:o From: Not_Known, To: In_gpu",
                   "G:o says tensor1 is persistent");
  expect_g10_error("Issued Time: 0 Tensor: 0 G:x From: Not_Known, To: In_gpu",
                   "G:x says tensor0 is not persistent");
  expect_g10_error("Issued Time: 0 Tensor: 1 G:x From: Somewhere, To: In_gpu", "From location");
  expect_g10_error("Issued Time: 0 Tensor: 1 G:x From: Not_Known, To: In_tape", "To location");
  expect_g10_error("Issued Time: 0 Tensor: 1 G:x From: In_gpu, To: In_gpu_least", "pin");
}

TEST(G10Plan, CorruptedSharedPlanNamesTheLine) {
  STRATA_REQUIRE_G10();
  const auto folder = test::g10_folders().front();
  const Workload w = load_g10_folder(folder);
  std::string text = read_text_file(folder / "g10_plan.txt");
  // Corrupt line 10.
  std::size_t pos = 0;
  for (int i = 0; i < 9; ++i) pos = text.find('\n', pos) + 1;
  text.insert(pos, "Issued Time: 0 Tensor: 999999999 G:x From: Not_Known, To: In_gpu\n");
  try {
    parse_g10_plan(text, "corrupt.txt", w);
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_THAT(e.what(), HasSubstr("corrupt.txt:10: tensor 999999999"));
  }
}

}  // namespace
}  // namespace strata
