// The machine model's lookups, validation, transfer estimates and description. The TOML reader
// lives in machine_toml.cpp (the only file that includes toml++).

#include "strata/machine/machine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <set>
#include <utility>

#include "machine_detail.hpp"
#include "strata/core/error.hpp"

namespace strata {

namespace {

constexpr std::array<std::pair<TierKind, std::string_view>, 4> kTierKindNames{{
    {TierKind::device, "device"},
    {TierKind::host, "host"},
    {TierKind::ssd, "ssd"},
    {TierKind::pmem, "pmem"},
}};

/// Speed order used by Note [link direction]: lower is faster.
int speed_rank(TierKind k) {
  switch (k) {
    case TierKind::device: return 0;
    case TierKind::host: return 1;
    case TierKind::pmem: return 2;
    case TierKind::ssd: return 3;
  }
  return 4;
}

template <class T>
std::optional<std::uint32_t> find_by_name(const std::vector<T>& items, std::string_view name) {
  for (std::size_t i = 0; i < items.size(); ++i)
    if (items[i].name == name) return static_cast<std::uint32_t>(i);
  return std::nullopt;
}

bool positive_finite(double v) { return std::isfinite(v) && v > 0; }

// ---- validation -----------------------------------------------------------------------------

class Checker {
 public:
  Checker(const Machine& m, const detail::MachineSourceLines* lines) : m_(m), lines_(lines) {}

  [[noreturn]] void fail(std::uint32_t line, const std::string& what, const std::string& problem,
                         const std::string& fix) const {
    std::string where;
    if (lines_ != nullptr)
      where = line > 0 ? fmt::format("{}:{}: ", lines_->source, line)
                       : fmt::format("{}: ", lines_->source);
    else
      where = fmt::format("machine '{}': ", m_.name);
    throw InvalidInput(
        fmt::format("{}{}{}; {}", where, what.empty() ? "" : what + ": ", problem, fix));
  }

  std::uint32_t line_of(const std::vector<std::uint32_t> detail::MachineSourceLines::*member,
                        std::size_t i) const {
    if (lines_ == nullptr) return 0;
    const auto& v = lines_->*member;
    return i < v.size() ? v[i] : 0;
  }
  std::uint32_t gpu_line(std::size_t i) const {
    return line_of(&detail::MachineSourceLines::gpu, i);
  }
  std::uint32_t tier_line(std::size_t i) const {
    return line_of(&detail::MachineSourceLines::tier, i);
  }
  std::uint32_t bus_line(std::size_t i) const {
    return line_of(&detail::MachineSourceLines::bus, i);
  }
  std::uint32_t link_line(std::size_t i) const {
    return line_of(&detail::MachineSourceLines::link, i);
  }
  std::uint32_t root_line() const { return lines_ != nullptr ? lines_->root_line : 0; }
  std::uint32_t fault_line() const { return lines_ != nullptr ? lines_->fault_line : 0; }

  template <class T>
  void unique_names(const std::vector<T>& items, std::string_view kind,
                    std::uint32_t (Checker::*line)(std::size_t) const) const {
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::string& n = items[i].name;
      if (n.empty())
        fail((this->*line)(i), fmt::format("{} #{}", kind, i), "has no name",
             "give it a non-empty name");
      if (!seen.insert(n).second)
        fail((this->*line)(i), fmt::format("{} '{}'", kind, n), "the name is used twice",
             fmt::format("give every {} a different name", kind));
    }
  }

  void run() const {
    if (m_.name.empty()) fail(root_line(), "", "the machine has no name", "set name = \"...\"");
    unique_names(m_.tiers, "tier", &Checker::tier_line);
    unique_names(m_.buses, "bus", &Checker::bus_line);
    unique_names(m_.links, "link", &Checker::link_line);
    unique_names(m_.gpus, "gpu", &Checker::gpu_line);
    check_tiers();
    check_buses();
    check_gpus();
    check_links();
    check_fault();
  }

 private:
  void check_tiers() const {
    std::optional<std::size_t> host;
    for (std::size_t i = 0; i < m_.tiers.size(); ++i) {
      const Tier& t = m_.tiers[i];
      const std::string what = fmt::format("tier '{}'", t.name);
      const std::uint32_t line = tier_line(i);
      if (t.capacity_bytes == 0)
        fail(line, what, "capacity is 0", "give a positive capacity (e.g. capacity_gib = 40)");
      if (!positive_finite(t.read_bytes_per_s) || !positive_finite(t.write_bytes_per_s))
        fail(line, what,
             fmt::format("read/write bandwidth {}/{} B/s is not positive", t.read_bytes_per_s,
                         t.write_bytes_per_s),
             "give positive read_gb_per_s and write_gb_per_s");
      if (t.read_latency_ns < 0 || t.write_latency_ns < 0)
        fail(line, what, "a latency is negative", "give latencies >= 0");
      if (t.drives == 0) fail(line, what, "drives = 0", "give drives >= 1");
      if (t.kind == TierKind::host) {
        if (host)
          fail(line, what,
               fmt::format("a second host tier (the first is '{}')", m_.tiers[*host].name),
               "describe host memory as one tier");
        host = i;
      }
    }
  }

  void check_buses() const {
    for (std::size_t i = 0; i < m_.buses.size(); ++i) {
      const Bus& b = m_.buses[i];
      if (!positive_finite(b.bytes_per_s))
        fail(bus_line(i), fmt::format("bus '{}'", b.name),
             fmt::format("bandwidth {} B/s is not positive", b.bytes_per_s),
             "give a positive gb_per_s");
    }
  }

  void check_gpus() const {
    if (m_.gpus.empty())
      fail(root_line(), "", "the machine has no GPU (compute device)",
           "add a [[gpu]] table (on a CPU machine, the CPU socket with memory = \"<dram tier>\")");
    std::vector<int> owners(m_.tiers.size(), -1);
    for (std::size_t i = 0; i < m_.gpus.size(); ++i) {
      const Gpu& g = m_.gpus[i];
      const std::string what = fmt::format("gpu '{}'", g.name);
      const std::uint32_t line = gpu_line(i);
      if (g.memory >= m_.tiers.size())
        fail(line, what, fmt::format("memory tier id {} does not exist", g.memory),
             "point memory at one of the machine's tiers");
      const Tier& t = m_.tiers[g.memory];
      if (t.kind != TierKind::device)
        fail(line, what, fmt::format("memory tier '{}' is a {} tier", t.name, to_string(t.kind)),
             "a GPU's memory must be a tier of kind \"device\"");
      if (owners[g.memory] >= 0)
        fail(line, what,
             fmt::format("tier '{}' is already the memory of gpu '{}'", t.name,
                         m_.gpus[static_cast<std::size_t>(owners[g.memory])].name),
             "give every GPU its own device tier");
      owners[g.memory] = static_cast<int>(i);
      const ComputeDevice& c = g.compute;
      if (!positive_finite(c.fp32_flops_per_s))
        fail(line, what, "FP32 rate is not positive", "give a positive fp32_tflops");
      for (double r : {c.fp16_flops_per_s, c.bf16_flops_per_s, g.tf32_flops_per_s, g.clock_hz})
        if (!std::isfinite(r) || r < 0)
          fail(line, what, "a rate or clock is negative", "give rates and clock >= 0");
      if (!positive_finite(c.memory_bytes_per_s))
        fail(line, what, "memory bandwidth is not positive",
             "give its memory tier a positive bandwidth");
      for (double e : {c.compute_efficiency, c.memory_efficiency})
        if (!(e > 0 && e <= 1))
          fail(line, what, fmt::format("efficiency {} is outside (0, 1]", e),
               "give compute_efficiency and memory_efficiency in (0, 1]");
      if (c.kernel_overhead_ns < 0)
        fail(line, what, "kernel overhead is negative", "give kernel_overhead_us >= 0");
    }
    for (std::size_t t = 0; t < m_.tiers.size(); ++t)
      if (m_.tiers[t].kind == TierKind::device && owners[t] < 0)
        fail(tier_line(t), fmt::format("tier '{}'", m_.tiers[t].name),
             "a device tier that is no GPU's memory",
             "name it as some [[gpu]]'s memory, or give it another kind");
  }

  void check_links() const {
    std::set<std::pair<TierId, TierId>> pairs;
    for (std::size_t i = 0; i < m_.links.size(); ++i) {
      const Link& l = m_.links[i];
      const std::string what = fmt::format("link '{}'", l.name);
      const std::uint32_t line = link_line(i);
      if (l.from >= m_.tiers.size() || l.to >= m_.tiers.size())
        fail(line, what, "an end is not a tier", "join two of the machine's tiers");
      if (l.from == l.to) fail(line, what, "joins a tier to itself", "join two different tiers");
      const Tier& a = m_.tiers[l.from];
      const Tier& b = m_.tiers[l.to];
      if (speed_rank(a.kind) > speed_rank(b.kind))
        fail(line, what,
             fmt::format("goes from the {} tier '{}' to the faster {} tier '{}'", to_string(a.kind),
                         a.name, to_string(b.kind), b.name),
             "swap from and to: links go from the faster tier to the slower one "
             "(device, host, pmem, ssd)");
      if (!pairs.insert(std::minmax(l.from, l.to)).second)
        fail(line, what, fmt::format("a second link between '{}' and '{}'", a.name, b.name),
             "describe each pair of tiers with one link (it is full duplex)");
      if (!positive_finite(l.bytes_per_s))
        fail(line, what, fmt::format("bandwidth {} B/s is not positive", l.bytes_per_s),
             "give a positive gb_per_s");
      if (l.latency_ns < 0) fail(line, what, "latency is negative", "give latency_us >= 0");
      std::set<BusId> seen;
      for (BusId bus : l.buses) {
        if (bus >= m_.buses.size())
          fail(line, what, fmt::format("bus id {} does not exist", bus),
               "list only the machine's buses");
        if (!seen.insert(bus).second)
          fail(line, what, fmt::format("crosses bus '{}' twice", m_.buses[bus].name),
               "list each bus once");
      }
    }
  }

  void check_fault() const {
    const FaultModel& f = m_.fault;
    if (f.page_bytes == 0 || (f.page_bytes & (f.page_bytes - 1)) != 0)
      fail(fault_line(), "fault", fmt::format("page size {} B is not a power of two", f.page_bytes),
           "give page_bytes = 4096 or another power of two");
    if (f.batch_pages == 0) fail(fault_line(), "fault", "batch_pages = 0", "give batch_pages >= 1");
    if (f.first_touch_batch_latency_ns < 0)
      fail(fault_line(), "fault", "first-touch batch latency is negative",
           "give first_touch_batch_latency_us >= 0");
    if (f.batch_latency_ns < 0)
      fail(fault_line(), "fault", "batch latency is negative", "give batch_latency_us >= 0");
    if (f.far_fault_latency_ns < 0)
      fail(fault_line(), "fault", "far-fault latency is negative",
           "give far_fault_latency_us >= 0");
    if (f.ssd_fault_latency_ns < 0)
      fail(fault_line(), "fault", "SSD fault latency is negative",
           "give ssd_fault_latency_us >= 0");
  }

  const Machine& m_;
  const detail::MachineSourceLines* lines_;
};

// ---- human units ----------------------------------------------------------------------------

std::string human_bytes(std::uint64_t bytes) {
  constexpr std::array<std::string_view, 6> units{"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double v = static_cast<double>(bytes);
  std::size_t u = 0;
  while (v >= 1024 && u + 1 < units.size()) {
    v /= 1024;
    ++u;
  }
  return fmt::format("{:.1f} {}", v, units[u]);
}

std::string human_rate(double bytes_per_s) {
  const double gb = bytes_per_s / 1e9;
  if (gb >= 1000) return fmt::format("{:.0f} GB/s", gb);
  if (gb >= 100) return fmt::format("{:.1f} GB/s", gb);
  if (gb >= 0.1) return fmt::format("{:.2f} GB/s", gb);
  return fmt::format("{:.2f} MB/s", bytes_per_s / 1e6);
}

std::string human_ns(std::int64_t ns) {
  if (ns == 0) return "0";
  if (ns < 1000) return fmt::format("{} ns", ns);
  if (ns < 1000000) return fmt::format("{:g} us", static_cast<double>(ns) / 1e3);
  return fmt::format("{:g} ms", static_cast<double>(ns) / 1e6);
}

std::string human_flops(double flops_per_s) {
  if (flops_per_s <= 0) return "-";
  if (flops_per_s >= 1e12) return fmt::format("{:g} TFLOP/s", flops_per_s / 1e12);
  return fmt::format("{:g} GFLOP/s", flops_per_s / 1e9);
}

/// Left-aligned columns separated by two spaces, each row indented by two.
std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (width.size() <= c) width.push_back(0);
      width[c] = std::max(width[c], row[c].size());
    }
  std::string out;
  for (const auto& row : rows) {
    std::string line = " ";
    for (std::size_t c = 0; c < row.size(); ++c)
      line += fmt::format(" {:<{}}", row[c], c + 1 == row.size() ? 0 : width[c] + 1);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace

std::string_view to_string(TierKind k) {
  for (const auto& [kind, name] : kTierKindNames)
    if (kind == k) return name;
  return "?";
}

TierKind parse_tier_kind(std::string_view text) {
  for (const auto& [kind, name] : kTierKindNames)
    if (name == text) return kind;
  throw InvalidInput(
      fmt::format("unknown tier kind '{}'; use one of: device, host, ssd, pmem", text));
}

std::optional<TierId> Machine::find_tier(std::string_view n) const {
  return find_by_name(tiers, n);
}
std::optional<BusId> Machine::find_bus(std::string_view n) const { return find_by_name(buses, n); }
std::optional<LinkId> Machine::find_link(std::string_view n) const {
  return find_by_name(links, n);
}
std::optional<GpuId> Machine::find_gpu(std::string_view n) const { return find_by_name(gpus, n); }

std::optional<LinkId> Machine::link_between(TierId a, TierId b) const {
  for (std::size_t i = 0; i < links.size(); ++i)
    if ((links[i].from == a && links[i].to == b) || (links[i].from == b && links[i].to == a))
      return static_cast<LinkId>(i);
  return std::nullopt;
}

std::vector<LinkId> Machine::links_of(TierId tier) const {
  std::vector<LinkId> out;
  for (std::size_t i = 0; i < links.size(); ++i)
    if (links[i].from == tier || links[i].to == tier) out.push_back(static_cast<LinkId>(i));
  return out;
}

std::optional<GpuId> Machine::gpu_of(TierId tier) const {
  for (std::size_t i = 0; i < gpus.size(); ++i)
    if (gpus[i].memory == tier) return static_cast<GpuId>(i);
  return std::nullopt;
}

std::optional<TierId> Machine::host_tier() const {
  for (std::size_t i = 0; i < tiers.size(); ++i)
    if (tiers[i].kind == TierKind::host) return static_cast<TierId>(i);
  return std::nullopt;
}

std::vector<TierId> Machine::tiers_of_kind(TierKind kind) const {
  std::vector<TierId> out;
  for (std::size_t i = 0; i < tiers.size(); ++i)
    if (tiers[i].kind == kind) out.push_back(static_cast<TierId>(i));
  return out;
}

void detail::validate_machine(const Machine& m, const MachineSourceLines* lines) {
  Checker(m, lines).run();
}

void validate(const Machine& m) { detail::validate_machine(m, nullptr); }

double uncontended_bytes_per_s(const Machine& m, LinkId link, TierId src) {
  if (link >= m.links.size())
    throw InvalidInput(fmt::format("machine '{}' has no link id {}", m.name, link));
  const Link& l = m.links[link];
  if (src != l.from && src != l.to)
    throw InvalidInput(fmt::format("tier id {} is not an end of link '{}'", src, l.name));
  const TierId dst = src == l.from ? l.to : l.from;
  double rate =
      std::min({l.bytes_per_s, m.tiers[src].read_bytes_per_s, m.tiers[dst].write_bytes_per_s});
  for (BusId b : l.buses) rate = std::min(rate, m.buses[b].bytes_per_s);
  return rate;
}

std::int64_t uncontended_transfer_ns(const Machine& m, LinkId link, TierId src,
                                     std::uint64_t bytes) {
  const double rate = uncontended_bytes_per_s(m, link, src);
  const Link& l = m.links[link];
  const TierId dst = src == l.from ? l.to : l.from;
  return l.latency_ns + m.tiers[src].read_latency_ns + m.tiers[dst].write_latency_ns +
         static_cast<std::int64_t>(std::ceil(static_cast<double>(bytes) * 1e9 / rate));
}

std::string describe(const Machine& m) {
  std::string out = fmt::format("machine {}\n", m.name);
  if (!m.description.empty()) out += fmt::format("  {}\n", m.description);

  std::vector<std::vector<std::string>> rows{
      {"name", "memory", "fp32", "tf32", "fp16", "bf16", "mem bw", "eff c/m", "overhead", "clock"}};
  for (const Gpu& g : m.gpus) {
    const ComputeDevice& c = g.compute;
    rows.push_back({g.name, m.tiers[g.memory].name, human_flops(c.fp32_flops_per_s),
                    human_flops(g.tf32_flops_per_s), human_flops(c.fp16_flops_per_s),
                    human_flops(c.bf16_flops_per_s), human_rate(c.memory_bytes_per_s),
                    fmt::format("{:g}/{:g}", c.compute_efficiency, c.memory_efficiency),
                    human_ns(c.kernel_overhead_ns),
                    g.clock_hz > 0 ? fmt::format("{:g} GHz", g.clock_hz / 1e9) : "-"});
  }
  out += fmt::format("\nGPUs ({})\n", m.gpus.size()) + table(rows);

  rows = {{"name", "kind", "capacity", "read", "write", "read lat", "write lat", "drives"}};
  for (const Tier& t : m.tiers)
    rows.push_back({t.name, std::string(to_string(t.kind)), human_bytes(t.capacity_bytes),
                    human_rate(t.read_bytes_per_s), human_rate(t.write_bytes_per_s),
                    human_ns(t.read_latency_ns), human_ns(t.write_latency_ns),
                    std::to_string(t.drives)});
  out += fmt::format("\nTiers ({})\n", m.tiers.size()) + table(rows);

  if (!m.buses.empty()) {
    rows = {{"name", "bandwidth", "duplex"}};
    for (const Bus& b : m.buses)
      rows.push_back({b.name, human_rate(b.bytes_per_s),
                      b.full_duplex ? "full (per direction)" : "shared by both directions"});
    out += fmt::format("\nBuses ({})\n", m.buses.size()) + table(rows);
  }

  rows = {{"name", "from -> to", "bandwidth", "latency", "direct", "buses"}};
  for (const Link& l : m.links) {
    std::string buses;
    for (BusId b : l.buses) buses += (buses.empty() ? "" : ", ") + m.buses[b].name;
    rows.push_back({l.name, fmt::format("{} -> {}", m.tiers[l.from].name, m.tiers[l.to].name),
                    human_rate(l.bytes_per_s), human_ns(l.latency_ns),
                    l.direct_access ? "yes" : "no", buses.empty() ? "-" : buses});
  }
  out += fmt::format("\nLinks ({}, full duplex; bandwidth per direction)\n", m.links.size()) +
         table(rows);

  out += fmt::format(
      "\nFault model\n  page {}, {} page{} per fault batch, {} per batch ({} at first touch)\n",
      human_bytes(m.fault.page_bytes), m.fault.batch_pages, m.fault.batch_pages == 1 ? "" : "s",
      human_ns(m.fault.batch_latency_ns), human_ns(m.fault.first_touch_batch_latency_ns));
  if (m.fault.far_fault_latency_ns > 0 || m.fault.ssd_fault_latency_ns > 0)
    out +=
        fmt::format("  measured fault model: far-fault latency {}, SSD fault latency {}\n",
                    human_ns(m.fault.far_fault_latency_ns), human_ns(m.fault.ssd_fault_latency_ns));
  return out;
}

}  // namespace strata
