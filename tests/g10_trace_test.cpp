#include "strata/io/g10_trace.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "strata/analysis/vitality.hpp"
#include "strata/core/error.hpp"
#include "strata/io/g10_pf_times.hpp"
#include "strata/io/text_file.hpp"
#include "support/paths.hpp"

namespace strata {
namespace {

// An independent, deliberately naive reading of the same files and the definitions in the issue:
// live bytes at k = persistent bytes + bytes of non-persistent tensors with first use <= k <= last
// use. G10's kernels.config already lists each kernel's workspace as one of its output tensors
// (Note [workspace in kernels.config]), so workspace.txt adds nothing here. Shares no code with
// the importer or the analysis.
struct Expected {
  std::size_t kernels = 0, tensors = 0, persistent_tensors = 0;
  std::uint64_t persistent_bytes = 0, peak_live_bytes = 0;
  std::size_t peak_kernel = 0;
  std::int64_t ideal_ns = 0;
};

Expected independent(const std::filesystem::path& folder) {
  std::ifstream in(folder / "kernels.config");
  std::string line;
  std::map<std::string, std::uint64_t> bytes;
  std::map<std::string, bool> weight;
  std::map<std::string, std::pair<std::size_t, std::size_t>> range;  // first, last use
  std::uint64_t cycles = 0;  // exact: 1.2 has no binary floating-point representation
  std::size_t kernel = 0;
  bool any = false;
  while (std::getline(in, line)) {
    if (line.rfind("Kernel ID:", 0) == 0) {
      if (any) ++kernel;
      any = true;
    } else if (line.rfind("Execution Time:", 0) == 0) {
      cycles += std::stoull(line.substr(15));
    } else if (line.rfind("tensor", 0) == 0) {
      std::istringstream words(line);
      std::string name, w;
      words >> name;
      const auto flag = line.find("?: ");
      const auto size = line.find("Size in byte: ");
      bytes[name] = std::stoull(line.substr(size + 14));
      weight[name] = line[flag + 3] == '1';
      auto [it, fresh] = range.try_emplace(name, kernel, kernel);
      if (!fresh) it->second.second = kernel;
    }
  }
  Expected e;
  e.kernels = kernel + 1;
  e.tensors = bytes.size();
  e.ideal_ns = static_cast<std::int64_t>((cycles * 5 + 3) / 6);  // cycles / 1.2, half up
  for (const auto& [name, b] : bytes)
    if (weight[name]) {
      ++e.persistent_tensors;
      e.persistent_bytes += b;
    }
  for (std::size_t k = 0; k < e.kernels; ++k) {
    std::uint64_t live = e.persistent_bytes;
    for (const auto& [name, r] : range)
      if (!weight[name] && r.first <= k && k <= r.second) live += bytes[name];
    if (live > e.peak_live_bytes) {
      e.peak_live_bytes = live;
      e.peak_kernel = k;
    }
  }
  return e;
}

TEST(G10Trace, EveryWorkloadMatchesAnIndependentComputation) {
  STRATA_REQUIRE_G10();
  for (const auto& folder : test::g10_folders()) {
    SCOPED_TRACE(folder.string());
    const Workload w = load_g10_folder(folder);
    const Vitality v = analyze_vitality(w);
    const Expected e = independent(folder);
    EXPECT_EQ(w.name, folder.filename().string());
    EXPECT_EQ(w.kernels.size(), e.kernels);
    EXPECT_EQ(w.tensors.size(), e.tensors);
    std::size_t persistent = 0;
    for (const Tensor& t : w.tensors) persistent += t.persistent ? 1 : 0;
    EXPECT_EQ(persistent, e.persistent_tensors);
    EXPECT_EQ(v.persistent_bytes, e.persistent_bytes);
    EXPECT_EQ(v.peak_live_bytes, e.peak_live_bytes);
    EXPECT_EQ(v.peak_kernel, e.peak_kernel);
    EXPECT_EQ(v.ideal_ns, e.ideal_ns);
    EXPECT_EQ(ideal_ns(w), e.ideal_ns);
  }
}

// Note [workspace in kernels.config]: in every shared trace, each kernel with a workspace in
// workspace.txt has exactly one output tensor of kind workspace, that size rounded up to 4 KiB
// and used by no other kernel, and no scratch memory on top of its tensors.
TEST(G10Trace, EveryWorkspaceIsTheOutputTensorG10ListsForIt) {
  STRATA_REQUIRE_G10();
  for (const auto& folder : test::g10_folders()) {
    SCOPED_TRACE(folder.string());
    const Workload w = load_g10_folder(folder);
    std::ifstream ws(folder / "workspace.txt");
    std::string id, b, unit;
    std::vector<std::uint64_t> listed;
    while (ws >> id >> b >> unit) listed.push_back(std::stoull(b));
    ASSERT_EQ(listed.size(), w.kernels.size());
    std::map<TensorId, int> users;
    for (const Kernel& k : w.kernels) {
      std::set<TensorId> once(k.inputs.begin(), k.inputs.end());
      once.insert(k.outputs.begin(), k.outputs.end());
      for (TensorId t : once) ++users[t];
    }
    std::size_t workspaces = 0;
    for (const Tensor& t : w.tensors) workspaces += t.kind == TensorKind::workspace ? 1 : 0;
    std::size_t listed_nonzero = 0;
    for (std::size_t k = 0; k < w.kernels.size(); ++k) {
      EXPECT_EQ(w.kernels[k].workspace_bytes, 0u) << "kernel " << k;
      if (listed[k] == 0) continue;
      ++listed_nonzero;
      int found = 0;
      for (TensorId t : w.kernels[k].outputs) {
        if (w.tensors[t].kind != TensorKind::workspace) continue;
        ++found;
        EXPECT_EQ(w.tensors[t].bytes, (listed[k] + 4095) / 4096 * 4096) << "kernel " << k;
        EXPECT_EQ(users[t], 1) << w.tensors[t].name;
      }
      EXPECT_EQ(found, 1) << "kernel " << k;
    }
    EXPECT_EQ(workspaces, listed_nonzero);
  }
}

TEST(G10Trace, PublishedIdealTimesMatch) {
  STRATA_REQUIRE_G10();
  // ../shared/g10/README.md: ideal time of one iteration in ms, to 0.1 ms.
  const std::map<std::string, double> published_ms = {
      {"BERT-256", 7285.5},      {"BERT-512", 9832.8},          {"VIT-512", 2539.0},
      {"VIT-1024", 3266.1},      {"Inceptionv3-1024", 59312.6}, {"ResNet152-768", 109810.7},
      {"SENet154-512", 131258.5}};
  for (const auto& folder : test::g10_folders()) {
    const auto it = published_ms.find(folder.filename().string());
    if (it == published_ms.end()) continue;
    EXPECT_NEAR(static_cast<double>(ideal_ns(load_g10_folder(folder))) / 1e6, it->second, 0.051)
        << folder;
  }
}

TEST(G10Trace, CyclesToNanosecondsRoundsHalfUpExactly) {
  EXPECT_EQ(g10_cycles_to_ns(0), 0);
  EXPECT_EQ(g10_cycles_to_ns(6), 5);
  EXPECT_EQ(g10_cycles_to_ns(3), 3);                         // 2.5 -> 3
  EXPECT_EQ(g10_cycles_to_ns(1), 1);                         // 0.83 -> 1
  EXPECT_EQ(g10_cycles_to_ns(2), 2);                         // 1.67 -> 2
  EXPECT_EQ(g10_cycles_to_ns(8742558777ULL), 7285465648LL);  // BERT-256's total: ...647.5
  EXPECT_EQ(g10_cycles_to_ns(6'000'000'000'000'000'000ULL), 5'000'000'000'000'000'000LL);
}

TEST(G10Trace, KernelDurationsStayWithinOneNanosecondOfExact) {
  std::string text;
  std::mt19937_64 rng(20261122);
  std::uniform_int_distribution<std::uint64_t> cycles(0, 5'000'000);
  std::string workspace;
  std::uint64_t total = 0;
  std::vector<std::uint64_t> drawn;
  for (int k = 0; k < 200; ++k) {
    drawn.push_back(cycles(rng));
    total += drawn.back();
    text += "Kernel ID: " + std::to_string(k) +
            ", Name: Op_Forward\nExecution Time: " + std::to_string(drawn.back()) +
            "\nInput Tensors:\nOutput Tensors:\ntensor" + std::to_string(k) +
            " Is weight (global)?: 0, Size in byte: 4096, Range:0--4096\n____\n";
    workspace += std::to_string(k) + " 0 B\n";
  }
  const Workload w = parse_g10_trace(text, "k.config", workspace, "ws.txt", "random");
  for (std::size_t k = 0; k < w.kernels.size(); ++k)
    EXPECT_LE(std::abs(static_cast<double>(w.kernels[k].duration_ns) -
                       static_cast<double>(drawn[k]) / 1.2),
              1.0);
  EXPECT_EQ(ideal_ns(w), g10_cycles_to_ns(total));
}

// A small trace in G10's format, used for the bad-input tests.
constexpr std::string_view kSmall =
    "Kernel ID: 0, Name: Conv2d_Forward\n"                                      // 1
    "Parent Layer ID:3; Name:Conv2d\n"                                          // 2
    "Execution Time: 1200\n"                                                    // 3
    "(8,3,4,4)\n"                                                               // 4
    "Input Tensors:\n"                                                          // 5
    "tensor1 Is weight (global)?: 1, Size in byte: 8192, Range:0--8192\n"       // 6
    "tensor2 Is weight (global)?: 0, Size in byte: 4096, Range:8192--12288\n"   // 7
    "Output Tensors:\n"                                                         // 8
    "tensor3 Is weight (global)?: 0, Size in byte: 4096, Range:12288--16384\n"  // 9
    "______________________________\n"                                          // 10
    "Kernel ID: 1, Name: Conv2d_Backward_Weight\n"                              // 11
    "Parent Layer ID:3; Name:Conv2d\n"                                          // 12
    "Execution Time: 2400\n"                                                    // 13
    "Input Tensors:\n"                                                          // 14
    "tensor3 Is weight (global)?: 0, Size in byte: 4096, Range:12288--16384\n"  // 15
    "tensor2 Is weight (global)?: 0, Size in byte: 4096, Range:8192--12288\n"   // 16
    "Output Tensors:\n"                                                         // 17
    "tensor4 Is weight (global)?: 0, Size in byte: 8192, Range:16384--24576\n"  // 18
    "______________________________\n"                                          // 19
    "Kernel ID: 2, Name: Conv2d_Apply_Grad\n"                                   // 20
    "Parent Layer ID:3; Name:Conv2d\n"                                          // 21
    "Execution Time: 600\n"                                                     // 22
    "Input Tensors:\n"                                                          // 23
    "tensor4 Is weight (global)?: 0, Size in byte: 8192, Range:16384--24576\n"  // 24
    "tensor1 Is weight (global)?: 1, Size in byte: 8192, Range:0--8192\n"       // 25
    "Output Tensors:\n"                                                         // 26
    "tensor1 Is weight (global)?: 1, Size in byte: 8192, Range:0--8192\n"       // 27
    "______________________________\n";                                         // 28
constexpr std::string_view kSmallWorkspace = "000 64 B\n001 0 B\n002 0 B\n";

std::string error_of(std::string_view kernels, std::string_view workspace = kSmallWorkspace) {
  try {
    parse_g10_trace(kernels, "kernels.config", workspace, "workspace.txt", "small");
  } catch (const InvalidInput& e) {
    return e.what();
  }
  return "";
}

std::string replace_line(std::string_view text, int number, std::string_view with) {
  std::istringstream in{std::string(text)};
  std::string line, out;
  for (int i = 1; std::getline(in, line); ++i)
    out += (i == number ? std::string(with) : line) + "\n";
  return out;
}

TEST(G10Trace, SmallTraceReadsKindsPhasesAndWorkspace) {
  const Workload w = parse_g10_trace(kSmall, "k", kSmallWorkspace, "w", "small");
  ASSERT_EQ(w.kernels.size(), 3u);
  EXPECT_EQ(w.kernels[0].op, "Conv2d");
  EXPECT_EQ(w.kernels[0].phase, Phase::forward);
  EXPECT_EQ(w.kernels[1].phase, Phase::backward);
  EXPECT_EQ(w.kernels[2].phase, Phase::optimizer);
  EXPECT_EQ(w.kernels[0].workspace_bytes, 64u);
  EXPECT_EQ(w.kernels[0].duration_ns, 1000);
  ASSERT_EQ(w.tensors.size(), 4u);
  EXPECT_EQ(w.tensors[0].kind, TensorKind::weight);
  EXPECT_TRUE(w.tensors[0].persistent);
  EXPECT_EQ(w.tensors[1].kind, TensorKind::input);
  EXPECT_EQ(w.tensors[2].kind, TensorKind::activation);
  EXPECT_EQ(w.tensors[3].kind, TensorKind::gradient);
}

// Note [workspace in kernels.config]: a workspace that kernels.config lists as a single-use
// output of its size (rounded up to 4 KiB) is that tensor; any other workspace is scratch memory
// on top of the kernel's tensors.
TEST(G10Trace, AWorkspaceListedAsASingleUseOutputIsThatTensor) {
  const std::string with_tensor9 =
      replace_line(kSmall, 9,
                   "tensor3 Is weight (global)?: 0, Size in byte: 4096, Range:12288--16384\n"
                   "tensor9 Is weight (global)?: 0, Size in byte: 8192, Range:90000--98192");
  const auto tensor9 = [](const Workload& w) {
    for (const Tensor& t : w.tensors)
      if (t.name == "tensor9") return t;
    ADD_FAILURE() << "no tensor9";
    return Tensor{};
  };
  for (const char* bytes : {"4097", "8000", "8192"}) {  // all round up to 8192
    SCOPED_TRACE(bytes);
    const Workload w = parse_g10_trace(
        with_tensor9, "k", fmt::format("000 {} B\n001 0 B\n002 0 B\n", bytes), "w", "adopted");
    EXPECT_EQ(tensor9(w).kind, TensorKind::workspace);
    EXPECT_EQ(w.kernels[0].workspace_bytes, 0u);
    EXPECT_EQ(analyze_vitality(w).peak_live_bytes, 8192u + 4096u + 4096u + 8192u);
  }
  // A size that does not round to the tensor's: scratch on top, and tensor9 an activation.
  const Workload other =
      parse_g10_trace(with_tensor9, "k", "000 8193 B\n001 0 B\n002 0 B\n", "w", "o");
  EXPECT_EQ(tensor9(other).kind, TensorKind::activation);
  EXPECT_EQ(other.kernels[0].workspace_bytes, 8193u);
  // tensor4 has the size but kernel 2 reads it: not a workspace.
  const Workload used = parse_g10_trace(kSmall, "k", "000 0 B\n001 8192 B\n002 0 B\n", "w", "u");
  EXPECT_EQ(used.tensors[3].kind, TensorKind::gradient);
  EXPECT_EQ(used.kernels[1].workspace_bytes, 8192u);
}

// Note [G10 tensor order]: tensors are numbered by G10's own numbers, not by first appearance.
TEST(G10Trace, TensorsAreNumberedInG10sOrder) {
  const std::string text =
      "Kernel ID: 0, Name: Conv2d_Forward\nParent Layer ID:0; Name:Conv2d\nExecution Time: 12\n"
      "Input Tensors:\n"
      "tensor7 Is weight (global)?: 1, Size in byte: 4096, Range:0--4096\n"
      "tensor2 Is weight (global)?: 0, Size in byte: 4096, Range:0--4096\n"
      "Output Tensors:\n"
      "tensor5 Is weight (global)?: 0, Size in byte: 8192, Range:0--8192\n"
      "____\n"
      "Kernel ID: 1, Name: Conv2d_Backward_Input\nParent Layer ID:0; Name:Conv2d\n"
      "Execution Time: 12\nInput Tensors:\n"
      "tensor5 Is weight (global)?: 0, Size in byte: 8192, Range:0--8192\n"
      "tensor2 Is weight (global)?: 0, Size in byte: 4096, Range:0--4096\n"
      "Output Tensors:\n"
      "tensor9 Is weight (global)?: 0, Size in byte: 12288, Range:0--12288\n"
      "____\n";
  const Workload w = parse_g10_trace(text, "k", "000 0 B\n001 0 B\n", "w", "order");
  const std::vector<std::string> names = {"tensor2", "tensor5", "tensor7", "tensor9"};
  ASSERT_EQ(w.tensors.size(), names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(w.tensors[i].id, i);
    EXPECT_EQ(w.tensors[i].name, names[i]);
  }
  EXPECT_EQ(w.tensors[0].kind, TensorKind::input);
  EXPECT_EQ(w.tensors[1].kind, TensorKind::activation);
  EXPECT_EQ(w.tensors[1].bytes, 8192u);
  EXPECT_TRUE(w.tensors[2].persistent);
  EXPECT_EQ(w.tensors[3].kind, TensorKind::gradient);
  // The kernels still name the tensors the text names, under their new ids.
  EXPECT_EQ(w.kernels[0].inputs, (std::vector<TensorId>{2, 0}));
  EXPECT_EQ(w.kernels[0].outputs, (std::vector<TensorId>{1}));
  EXPECT_EQ(w.kernels[1].inputs, (std::vector<TensorId>{1, 0}));
  EXPECT_EQ(w.kernels[1].outputs, (std::vector<TensorId>{3}));
}

TEST(G10Trace, AnyCorruptedLineIsNamedByItsNumber) {
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> pick(1, 28);
  for (int trial = 0; trial < 40; ++trial) {
    const int line = pick(rng);
    const std::string message = error_of(replace_line(kSmall, line, "@@ corrupted 17 ?? @@"));
    EXPECT_NE(message.find("kernels.config:" + std::to_string(line) + ":"), std::string::npos)
        << "line " << line << ": " << message;
  }
}

TEST(G10Trace, BadValuesAreErrorsWithTheirLine) {
  struct Case {
    int line;
    std::string text;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {3, "Execution Time: -5", "kernels.config:3:"},
      {3, "Execution Time: 12x", "kernels.config:3:"},
      {3, "Execution Time: 18446744073709551615", "not a real iteration"},
      {6, "tensor1 Is weight (global)?: 2, Size in byte: 8192, Range:0--8192", "must be 0 or 1"},
      {7, "tensor2 Is weight (global)?: 0, Size in byte: 0, Range:8192--8192", "is 0 bytes"},
      {16, "tensor2 Is weight (global)?: 0, Size in byte: 8192, Range:8192--12288",
       "line 7 gave size 4096"},
      {11, "Kernel ID: 5, Name: Conv2d_Backward_Weight", "kernel id 5 where 1 was expected"},
      {7, "tensorX Is weight (global)?: 0, Size in byte: 4096, Range:8192--12288",
       "kernels.config:7:"},
  };
  for (const Case& c : cases) {
    const std::string message = error_of(replace_line(kSmall, c.line, c.text));
    EXPECT_NE(message.find(c.expect), std::string::npos) << c.text << " -> " << message;
    EXPECT_NE(message.find("kernels.config:" + std::to_string(c.line) + ":"), std::string::npos)
        << message;
  }
}

TEST(G10Trace, StructuralProblemsAreErrors) {
  EXPECT_NE(error_of(kSmall.substr(0, 120)).find("kernels.config:"),
            std::string::npos);  // truncated
  EXPECT_NE(error_of(replace_line(kSmall, 3, "Parent Layer ID:3; Name:Conv2d"))
                .find("no 'Execution Time:'"),
            std::string::npos);
  EXPECT_NE(error_of("").find("no kernel records"), std::string::npos);
  EXPECT_NE(error_of(kSmall, "000 64 B\n001 0 B\n").find("workspace.txt"), std::string::npos);
  EXPECT_NE(error_of(kSmall, "000 64 B\n002 0 B\n002 0 B\n").find("workspace.txt:2:"),
            std::string::npos);
  EXPECT_NE(error_of(kSmall, "000 64 B\n001 zero B\n002 0 B\n").find("workspace.txt:2:"),
            std::string::npos);
  EXPECT_NE(error_of(kSmall, "000 64 B\n001 0 B\n002 0 B\n003 0 B\n").find("workspace.txt:4:"),
            std::string::npos);
}

TEST(G10Trace, RandomMutationsNeverCrash) {
  std::mt19937 rng(std::random_device{}());
  const std::string alphabet = "0123456789_-:,()? \nabcdefghijklmnopqrstuvwxyzKIDN";
  for (int trial = 0; trial < 300; ++trial) {
    std::string text(kSmall);
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % text.size();
      switch (rng() % 3) {
        case 0: text[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: text.erase(at, 1 + rng() % 8); break;
        default: text.insert(at, 1, alphabet[rng() % alphabet.size()]);
      }
    }
    try {
      parse_g10_trace(text, "kernels.config", kSmallWorkspace, "workspace.txt", "mutated");
    } catch (const InvalidInput& e) {
      EXPECT_NE(std::string(e.what()).find(".config:"), std::string::npos);
    } catch (const std::exception& e) {
      // Validation of a structurally fine trace can also fail (e.g. an unused tensor); it must
      // still be InvalidInput.
      ADD_FAILURE() << "unexpected exception type: " << e.what();
    }
  }
}

TEST(G10Trace, MissingFolderAndFilesAreIoErrors) {
  EXPECT_THROW(load_g10_folder("/nonexistent/strata/folder"), IoError);
  const auto dir = std::filesystem::temp_directory_path() / "strata_g10_missing_ws";
  std::filesystem::create_directories(dir);
  write_text_file(dir / "kernels.config", kSmall);
  EXPECT_THROW(load_g10_folder(dir), IoError);  // no workspace.txt
  std::filesystem::remove_all(dir);
}

// Note [page-fault times]: a folder with input_pf_times.txt and pf_times.txt gives every kernel
// its measured times; one without the other is an error naming both files.
TEST(G10Trace, FolderPageFaultTimesAreLoadedInPairs) {
  const auto dir = std::filesystem::temp_directory_path() / "strata_g10_pf_times";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  write_text_file(dir / "kernels.config", kSmall);
  write_text_file(dir / "workspace.txt", kSmallWorkspace);
  const Workload plain = load_g10_folder(dir);
  for (const Kernel& k : plain.kernels) EXPECT_FALSE(k.pf_times.has_value());
  std::string input_pf, pf;
  for (std::size_t k = 0; k < plain.kernels.size(); ++k) {
    input_pf += fmt::format("{:04d} {}.5 ms\n", k, k + 1);
    pf += fmt::format("{:04d} {}.25 ms\n", k, 2 * k + 3);
  }
  write_text_file(dir / "pf_times.txt", pf);
  try {
    load_g10_folder(dir);
    ADD_FAILURE() << "pf_times.txt without input_pf_times.txt was accepted";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("input_pf_times.txt"), std::string::npos) << e.what();
  }
  write_text_file(dir / "input_pf_times.txt", input_pf);
  const Workload w = load_g10_folder(dir);
  ASSERT_EQ(w.kernels.size(), plain.kernels.size());
  for (std::size_t k = 0; k < w.kernels.size(); ++k) {
    ASSERT_TRUE(w.kernels[k].pf_times.has_value());
    EXPECT_EQ(w.kernels[k].pf_times->input_pf_ns,
              static_cast<std::int64_t>(k + 1) * 1'000'000 + 500'000);
    EXPECT_EQ(w.kernels[k].pf_times->pf_ns,
              static_cast<std::int64_t>(2 * k + 3) * 1'000'000 + 250'000);
  }
  std::filesystem::remove_all(dir);
}

TEST(G10Trace, SharedWorkloadsCarryTheirPageFaultTimes) {
  STRATA_REQUIRE_G10();
  for (const auto& folder : test::g10_folders()) {
    const Workload w = load_g10_folder(folder);
    const auto pf = load_g10_pf_times(folder / "pf_times.txt", w.kernels.size());
    const auto input_pf = load_g10_pf_times(folder / "input_pf_times.txt", w.kernels.size());
    for (std::size_t k = 0; k < w.kernels.size(); ++k) {
      ASSERT_TRUE(w.kernels[k].pf_times.has_value()) << folder << " kernel " << k;
      EXPECT_EQ(w.kernels[k].pf_times->pf_ns, pf[k]);
      EXPECT_EQ(w.kernels[k].pf_times->input_pf_ns, input_pf[k]);
    }
  }
}

}  // namespace
}  // namespace strata
