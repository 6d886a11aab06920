// A machine preset from a tier benchmark; see Note [measured preset] in bench_preset.hpp.
#include "strata/rt/bench_preset.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "strata/core/error.hpp"
#include "strata/core/units.hpp"

namespace strata::rt {

namespace {

constexpr std::uint64_t kMiB = 1ULL << 20;
constexpr std::uint64_t kGiB = 1ULL << 30;

/// A TOML basic string: quotes, backslashes and control characters escaped.
std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

/// "capacity_gib = 8" where exact, else MiB, else bytes.
std::string capacity_line(std::uint64_t bytes) {
  if (bytes % kGiB == 0) return fmt::format("capacity_gib = {}", bytes / kGiB);
  if (bytes % kMiB == 0) return fmt::format("capacity_mib = {}", bytes / kMiB);
  return fmt::format("capacity_bytes = {}", bytes);
}

/// GB/s with three decimals (MB/s resolution), never rounded to zero.
std::string gb(double bytes_per_s) {
  return fmt::format("{:.3f}", std::max(bytes_per_s, 1e6) / 1e9);
}

}  // namespace

StoreMeasurement preset_store_measurement(const TierBenchResult& result) {
  if (result.store.empty())
    throw InvalidInput("bench preset: the benchmark measured no byte-store configuration");
  if (auto s = result.find_store(kPresetStoreBlockBytes, kPresetStoreQueueDepth)) return *s;
  return *std::max_element(result.store.begin(), result.store.end(),
                           [](const StoreMeasurement& a, const StoreMeasurement& b) {
                             return a.read_bytes_per_s + a.write_bytes_per_s <
                                    b.read_bytes_per_s + b.write_bytes_per_s;
                           });
}

std::string bench_preset_toml(const TierBenchResult& r, const BenchPresetOptions& o) {
  if (o.name.empty()) throw InvalidInput("bench preset: the preset needs a name");
  if (o.fast_capacity_bytes == 0 || o.host_capacity_bytes == 0 || o.ssd_capacity_bytes == 0)
    throw InvalidInput(
        "bench preset: the fast, host and ssd capacities must be positive; give "
        "--fast-capacity and --host-capacity, and --dir on a drive with free space");
  const auto a2h = r.find_memcpy("arena->host");
  const auto h2a = r.find_memcpy("host->arena");
  if (!a2h || !h2a)
    throw InvalidInput("bench preset: the benchmark lacks the arena->host or host->arena memcpy");
  const StoreMeasurement disk = preset_store_measurement(r);
  const double link_memory = std::max(a2h->mover_bytes_per_s, h2a->mover_bytes_per_s);
  const double bus = 2 * std::max({a2h->memcpy_bytes_per_s, h2a->memcpy_bytes_per_s,
                                   a2h->mover_bytes_per_s, h2a->mover_bytes_per_s});
  const double link_disk = std::max(disk.read_bytes_per_s, disk.write_bytes_per_s);
  const double fp32_gflops = 32.0 * 3.0 * o.cpu_cores;

  std::string t;
  t += fmt::format("# {}: measured by `strata bench` on this machine{}.\n", o.name,
                   o.note.empty() ? "" : fmt::format(" ({})", o.note));
  t += "# The device tier \"dram\" is the runtime's device arena, \"host\" its pinned host "
       "memory,\n";
  t += "# \"disk\" its byte store (O_DIRECT files through io_uring). See docs/runtime.md.\n";
  t += "# Measured (decimal GB/s):\n";
  for (const MemcpyMeasurement& m : r.memcpy)
    t += fmt::format("#   {}: one-thread memcpy {:.3f}, Mover {:.3f} ({} copies)\n", m.direction,
                     m.memcpy_bytes_per_s / 1e9, m.mover_bytes_per_s / 1e9,
                     format_bytes(r.memcpy_bytes));
  t += fmt::format("#   byte store in {}, {} file per configuration:\n", r.directory.string(),
                   format_bytes(r.store_bytes));
  for (const StoreMeasurement& s : r.store)
    t += fmt::format("#     {:>9} x QD {:<2}: write {:.3f}, read {:.3f}{}\n",
                     format_bytes(s.block_bytes), s.queue_depth, s.write_bytes_per_s / 1e9,
                     s.read_bytes_per_s / 1e9,
                     s.block_bytes == disk.block_bytes && s.queue_depth == disk.queue_depth
                         ? "   <- used for the disk tier"
                         : "");
  t += fmt::format("#   4 KiB at QD 1 (median): write {}, read {}\n", format_ns(r.write_latency_ns),
                   format_ns(r.read_latency_ns));
  t += "# Not measured (cpu-local's assumptions): the compute rates (32 FP32 FLOP/cycle per core\n";
  t +=
      fmt::format("# x {} cores x an assumed 3.0 GHz; BF16 twice that), DRAM latency 100 ns, and\n",
                  o.cpu_cores);
  t += "# the fault model (5 us per 4 KiB page).\n";
  t += fmt::format("name = {}\n", toml_string(o.name));
  t += fmt::format("description = {}\n\n",
                   toml_string(fmt::format(
                       "measured: {} arena, {} host, disk {} GB/s read {} GB/s write",
                       format_bytes(o.fast_capacity_bytes), format_bytes(o.host_capacity_bytes),
                       gb(disk.read_bytes_per_s), gb(disk.write_bytes_per_s))));
  t += "[fault]\npage_kib = 4\nbatch_pages = 1\nbatch_latency_us = 5\n\n";
  t += fmt::format("[[bus]]\nname = \"memory\"\ngb_per_s = {}\nfull_duplex = false\n\n", gb(bus));
  t += fmt::format(
      "[[tier]]\nname = \"dram\"\nkind = \"device\"\n{}\nread_gb_per_s = {}             # Mover "
      "arena->host\nwrite_gb_per_s = {}            # Mover host->arena\nlatency_ns = 100\n\n",
      capacity_line(o.fast_capacity_bytes), gb(a2h->mover_bytes_per_s), gb(h2a->mover_bytes_per_s));
  t += fmt::format(
      "[[tier]]\nname = \"host\"\nkind = \"host\"\n{}\nread_gb_per_s = {}             # Mover "
      "host->arena\nwrite_gb_per_s = {}            # Mover arena->host\nlatency_ns = 100\n\n",
      capacity_line(o.host_capacity_bytes), gb(h2a->mover_bytes_per_s), gb(a2h->mover_bytes_per_s));
  t += fmt::format(
      "[[tier]]\nname = \"disk\"\nkind = \"ssd\"\n{}\nread_gb_per_s = {}             # {} x QD "
      "{}\nwrite_gb_per_s = {}\nread_latency_ns = {}\nwrite_latency_ns = {}\n\n",
      capacity_line(o.ssd_capacity_bytes), gb(disk.read_bytes_per_s),
      format_bytes(disk.block_bytes), disk.queue_depth, gb(disk.write_bytes_per_s),
      r.read_latency_ns, r.write_latency_ns);
  t += fmt::format(
      "[[gpu]]\nname = \"cpu0\"\nclock_ghz = 3.0\nfp32_gflops = {:.0f}\nfp16_gflops = {:.0f}\n"
      "bf16_gflops = {:.0f}\nmemory = \"dram\"\n\n",
      fp32_gflops, fp32_gflops, 2 * fp32_gflops);
  t += fmt::format(
      "[[link]]\nfrom = \"dram\"\nto = \"host\"\ngb_per_s = {}\nbuses = [\"memory\"]\n"
      "direct_access = true\n\n",
      gb(link_memory));
  t += fmt::format(
      "[[link]]\nfrom = \"dram\"\nto = \"disk\"\ngb_per_s = {}\nbuses = [\"memory\"]\n\n",
      gb(link_disk));
  t +=
      fmt::format("[[link]]\nfrom = \"host\"\nto = \"disk\"\ngb_per_s = {}\nbuses = [\"memory\"]\n",
                  gb(link_disk));
  return t;
}

}  // namespace strata::rt
