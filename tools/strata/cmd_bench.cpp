// strata bench: measures this machine's tiers (memcpy arena<->pinned host, the byte store's
// O_DIRECT rates) and writes a machine preset from them (src/rt/tier_bench, bench_preset).
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "commands.hpp"
#include "common.hpp"
#include "strata/core/error.hpp"
#include "strata/core/quantity.hpp"
#include "strata/core/units.hpp"
#include "strata/rt/bench_preset.hpp"
#include "strata/rt/file_byte_store.hpp"
#include "strata/rt/tier_bench.hpp"

namespace strata::cli {
namespace {

constexpr std::uint64_t kGiB = 1ULL << 30;
constexpr std::uint64_t kMiB = 1ULL << 20;

std::uint64_t ram_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0)
    throw Unsupported(
        "strata bench: cannot read this machine's RAM size (sysconf); give "
        "--fast-capacity and --host-capacity");
  return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page);
}

/// A share of RAM rounded down to whole GiB (to 256 MiB below 1 GiB), at least 256 MiB.
std::uint64_t ram_share(std::uint64_t ram, std::uint64_t numerator, std::uint64_t denominator) {
  const std::uint64_t share = ram / denominator * numerator;
  if (share >= kGiB) return share / kGiB * kGiB;
  return std::max<std::uint64_t>(share / (256 * kMiB) * (256 * kMiB), 256 * kMiB);
}

std::string today() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d", &tm);
  return text;
}

std::string table(const rt::TierBenchResult& r, const rt::StoreMeasurement& used) {
  std::string t = fmt::format("memcpy between the arena and pinned host ({} per copy, median)\n",
                              format_bytes(r.memcpy_bytes));
  t += fmt::format("  {:<13} {:>14} {:>14} {:>8}\n", "direction", "memcpy (1 thr)", "Mover",
                   "ratio");
  for (const rt::MemcpyMeasurement& m : r.memcpy)
    t += fmt::format(
        "  {:<13} {:>14} {:>14} {:>8.3f}\n", m.direction, format_bytes_per_s(m.memcpy_bytes_per_s),
        format_bytes_per_s(m.mover_bytes_per_s), m.mover_bytes_per_s / m.memcpy_bytes_per_s);
  t += fmt::format("\nbyte store, O_DIRECT + io_uring, in {} ({} per configuration)\n",
                   r.directory.string(), format_bytes(r.store_bytes));
  t += fmt::format("  {:>10} {:>6} {:>12} {:>12}\n", "block", "QD", "write", "read");
  for (const rt::StoreMeasurement& s : r.store)
    t += fmt::format(
        "  {:>10} {:>6} {:>12} {:>12}{}\n", format_bytes(s.block_bytes), s.queue_depth,
        format_bytes_per_s(s.write_bytes_per_s), format_bytes_per_s(s.read_bytes_per_s),
        s.block_bytes == used.block_bytes && s.queue_depth == used.queue_depth ? "  <- preset"
                                                                               : "");
  t += fmt::format("  4 KiB at QD 1 (median latency): write {}, read {}\n",
                   format_ns(r.write_latency_ns), format_ns(r.read_latency_ns));
  return t;
}

nlohmann::json to_json(const rt::TierBenchResult& r, const rt::BenchPresetOptions& preset,
                       const std::string& out) {
  nlohmann::json j;
  j["directory"] = r.directory.string();
  j["direct_io"] = r.direct_io;
  j["store_bytes"] = r.store_bytes;
  j["memcpy_bytes"] = r.memcpy_bytes;
  j["memcpy"] = nlohmann::json::array();
  for (const rt::MemcpyMeasurement& m : r.memcpy)
    j["memcpy"].push_back({{"direction", m.direction},
                           {"memcpy_bytes_per_s", m.memcpy_bytes_per_s},
                           {"mover_bytes_per_s", m.mover_bytes_per_s}});
  j["store"] = nlohmann::json::array();
  for (const rt::StoreMeasurement& s : r.store)
    j["store"].push_back({{"block_bytes", s.block_bytes},
                          {"queue_depth", s.queue_depth},
                          {"write_bytes_per_s", s.write_bytes_per_s},
                          {"read_bytes_per_s", s.read_bytes_per_s}});
  j["write_latency_ns"] = r.write_latency_ns;
  j["read_latency_ns"] = r.read_latency_ns;
  j["preset"] = {{"name", preset.name},
                 {"file", out.empty() ? nlohmann::json() : nlohmann::json(out)},
                 {"fast_capacity_bytes", preset.fast_capacity_bytes},
                 {"host_capacity_bytes", preset.host_capacity_bytes},
                 {"ssd_capacity_bytes", preset.ssd_capacity_bytes}};
  return j;
}

}  // namespace

void add_bench(CLI::App& app) {
  struct Args {
    std::string dir;
    std::string size;
    bool quick = false;
    bool json = false;
    std::string out;
    std::string name;
    std::string fast_capacity;
    std::string host_capacity;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "Measure this machine's tiers (memcpy arena<->pinned host, the byte store's O_DIRECT reads "
      "and writes at several block sizes and queue depths) and write a machine preset");
  cmd->add_option("--dir", args->dir,
                  "directory for the byte store's file (default: the first of /var/tmp, /tmp "
                  "that takes O_DIRECT)");
  cmd->add_option("--size", args->size,
                  "file size of each store configuration, e.g. 4GiB (default 2GiB, --quick "
                  "256MiB; at most half the free space in --dir)");
  cmd->add_flag("--quick", args->quick,
                "fewer configurations (128 KiB and 1 MiB blocks at QD 1 and 32), smaller copies");
  cmd->add_flag("--json", args->json, "print the measurements as JSON instead of a table");
  cmd->add_option("--out", args->out,
                  "write a machine preset (configs/machines/ TOML) to this file; load it with "
                  "`strata sim --machine <file.toml>`");
  cmd->add_option("--name", args->name, "the preset's name (default: the --out file's stem)");
  cmd->add_option("--fast-capacity", args->fast_capacity,
                  "the preset's device arena budget, e.g. 8GiB (default: a third of RAM)");
  cmd->add_option("--host-capacity", args->host_capacity,
                  "the preset's pinned host memory, e.g. 12GiB (default: half of RAM)");
  cmd->callback([args] {
    rt::TierBenchOptions o;
    o.directory = args->dir.empty() ? rt::first_direct_io_directory({"/var/tmp", "/tmp"})
                                    : std::filesystem::path(args->dir);
    const std::uint64_t free_bytes = rt::available_disk_bytes(o.directory);
    if (const auto why = rt::direct_io_unsupported_reason(o.directory))
      throw Unsupported(fmt::format(
          "--dir '{}' does not take O_DIRECT writes ({}); give --dir a directory on a disk file "
          "system (ext4, xfs)",
          o.directory.string(), *why));
    if (args->quick) {
      o.block_bytes = {128ULL << 10, 1ULL << 20};
      o.queue_depths = {1, 32};
      o.latency_ios = 64;
      o.memcpy_bytes = 64 * kMiB;
      o.memcpy_copies = 2;
      o.memcpy_rounds = 3;
    }
    if (!args->size.empty()) {
      o.store_bytes = parse_bytes(args->size, "--size");
    } else {
      o.store_bytes = args->quick ? 256 * kMiB : 2 * kGiB;
      const std::uint64_t cap = free_bytes / 2 / (64 * kMiB) * (64 * kMiB);
      if (cap < 64 * kMiB)
        throw InvalidInput(fmt::format(
            "only {} free in '{}': the benchmark needs at least 128 MiB there; give --dir a "
            "directory on a drive with free space",
            format_bytes(free_bytes), o.directory.string()));
      if (o.store_bytes > cap) {
        std::cerr << fmt::format(
            "strata bench: {} free in {}: using --size {} instead of {} (half the free space)\n",
            format_bytes(free_bytes), o.directory.string(), format_bytes(cap),
            format_bytes(o.store_bytes));
        o.store_bytes = cap;
      }
    }
    const std::uint64_t ram = ram_bytes();
    rt::BenchPresetOptions preset;
    preset.fast_capacity_bytes = args->fast_capacity.empty()
                                     ? ram_share(ram, 1, 3)
                                     : parse_bytes(args->fast_capacity, "--fast-capacity");
    preset.host_capacity_bytes = args->host_capacity.empty()
                                     ? ram_share(ram, 1, 2)
                                     : parse_bytes(args->host_capacity, "--host-capacity");
    if (preset.fast_capacity_bytes + preset.host_capacity_bytes > ram)
      throw InvalidInput(fmt::format(
          "--fast-capacity {} and --host-capacity {} together exceed this machine's {} of RAM; "
          "give smaller capacities",
          format_bytes(preset.fast_capacity_bytes), format_bytes(preset.host_capacity_bytes),
          format_bytes(ram)));
    preset.ssd_capacity_bytes = free_bytes / kMiB * kMiB;
    preset.cpu_cores = std::max(1u, std::thread::hardware_concurrency());
    preset.name = !args->name.empty()  ? args->name
                  : !args->out.empty() ? std::filesystem::path(args->out).stem().string()
                                       : "local-measured";
    preset.note = today();

    const bool in_place = isatty(STDERR_FILENO) != 0;
    const auto start = std::chrono::steady_clock::now();
    o.progress = [in_place, start](std::string_view step) {
      const double s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const std::string line = fmt::format("[{:5.1f}s] {}", s, step);
      if (in_place)
        std::cerr << "\r\033[K" << line << std::flush;
      else
        std::cerr << line << "\n";
    };
    const rt::TierBenchResult r = rt::run_tier_bench(o);
    if (in_place) std::cerr << "\r\033[K" << std::flush;

    if (!args->out.empty()) write_output(args->out, rt::bench_preset_toml(r, preset));
    if (args->json) {
      std::cout << to_json(r, preset, args->out).dump(2) << "\n";
    } else {
      std::cout << table(r, rt::preset_store_measurement(r));
      if (!args->out.empty())
        std::cout << fmt::format(
            "\nwrote preset '{}' to {} (arena {}, host {}, disk {}); use it with "
            "`strata sim --machine {}`\n",
            preset.name, args->out, format_bytes(preset.fast_capacity_bytes),
            format_bytes(preset.host_capacity_bytes), format_bytes(preset.ssd_capacity_bytes),
            args->out);
    }
  });
}

}  // namespace strata::cli
