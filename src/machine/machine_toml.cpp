// Reads machine presets (TOML, schema in docs/machines.md). The only file that includes toml++.
//
// Note [machine errors]: every error names the file, the line (and column for syntax errors),
// the entity and key, and what to do. Keys are checked where they are read (type, unit, sign,
// references); what spans entities is checked by validate_machine() with each entity's line.

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <span>
#include <sstream>

#include "machine_detail.hpp"
#include "strata/core/error.hpp"
#include "strata/machine/machine.hpp"

namespace strata {

namespace {

using Line = std::uint32_t;

struct Unit {
  std::string_view suffix;
  double scale;
};

// Sizes: binary (kib...) and decimal (kb...) units; "bytes" must be an integer.
constexpr Unit kSizeUnits[] = {{"gib", 1073741824.0}, {"tib", 1099511627776.0},
                               {"mib", 1048576.0},    {"kib", 1024.0},
                               {"gb", 1e9},           {"tb", 1e12},
                               {"mb", 1e6},           {"kb", 1e3},
                               {"bytes", 1.0}};
constexpr Unit kRateUnits[] = {{"gb_per_s", 1e9}, {"mb_per_s", 1e6}, {"bytes_per_s", 1.0}};
constexpr Unit kTimeUnits[] = {{"us", 1e3}, {"ns", 1.0}, {"ms", 1e6}};
constexpr Unit kFlopUnits[] = {{"tflops", 1e12}, {"gflops", 1e9}};
constexpr Unit kClockUnits[] = {{"ghz", 1e9}, {"mhz", 1e6}};

enum class Bound { positive, non_negative };

std::string join_key(std::string_view base, std::string_view suffix) {
  return base.empty() ? std::string(suffix) : fmt::format("{}_{}", base, suffix);
}

std::string family_hint(std::string_view base, std::span<const Unit> units) {
  std::string s = join_key(base, "<");
  for (std::size_t i = 0; i < units.size(); ++i)
    s += fmt::format("{}{}", i ? "|" : "", units[i].suffix);
  return s + ">";
}

std::string_view type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
  }
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (std::size_t pos = s.find(from); pos != std::string::npos;
       pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
  return s;
}

/// Reads one TOML table: typed getters that remember which keys were asked for, so finish() can
/// reject the rest. Every failure names the file, line, entity and key.
class Reader {
 public:
  Reader(const toml::table& table, const std::string& source, std::string what)
      : table_(table), source_(source), what_(std::move(what)) {}

  const std::string& source() const { return source_; }
  const std::string& what() const { return what_; }
  void set_what(std::string what) { what_ = std::move(what); }
  Line line() const { return std::max<Line>(table_.source().begin.line, 1); }

  [[noreturn]] void fail(const toml::node* at, std::string_view problem,
                         std::string_view fix) const {
    const Line line =
        at != nullptr && at->source().begin.line > 0 ? at->source().begin.line : this->line();
    throw InvalidInput(fmt::format("{}:{}: {}: {}; {}", source_, line, what_, problem, fix));
  }

  /// The node under `key`, or null; marks the key as known.
  const toml::node* get(std::string_view key, std::string hint = {}) {
    known_.insert(std::string(key));
    hints_.push_back(hint.empty() ? std::string(key) : std::move(hint));
    return table_.get(key);
  }

  std::optional<std::string> opt_string(std::string_view key) {
    const toml::node* n = get(key);
    if (n == nullptr) return std::nullopt;
    if (!n->is_string())
      fail(n, fmt::format("{} is {}, expected a string", key, type_name(*n)),
           fmt::format("write {} = \"...\"", key));
    return n->as_string()->get();
  }

  std::string req_string(std::string_view key, std::string_view fix) {
    auto s = opt_string(key);
    if (!s) missing({std::string(key)}, fmt::format("missing required key '{}'", key), fix);
    return *s;
  }

  bool opt_bool(std::string_view key, bool fallback) {
    const toml::node* n = get(key);
    if (n == nullptr) return fallback;
    if (!n->is_boolean())
      fail(n, fmt::format("{} is {}, expected true or false", key, type_name(*n)),
           fmt::format("write {} = true or {} = false", key, key));
    return n->as_boolean()->get();
  }

  /// An integer in [min, max]; max keeps counts sane (a typo of 1e6 GPUs is an error, not an
  /// allocation).
  std::optional<std::int64_t> opt_integer(std::string_view key, std::int64_t min,
                                          std::int64_t max = 1 << 20) {
    const toml::node* n = get(key);
    if (n == nullptr) return std::nullopt;
    if (!n->is_integer())
      fail(n, fmt::format("{} is {}, expected an integer", key, type_name(*n)),
           fmt::format("write {} as a whole number >= {}", key, min));
    const std::int64_t v = n->as_integer()->get();
    if (v < min || v > max)
      fail(n, fmt::format("{} = {} is outside [{}, {}]", key, v, min, max),
           fmt::format("give {} between {} and {}", key, min, max));
    return v;
  }

  /// A plain number (integer or float), finite and inside [lo, hi] (lo excluded if open_lo).
  std::optional<double> opt_number(std::string_view key, double lo, bool open_lo, double hi) {
    const toml::node* n = get(key);
    if (n == nullptr) return std::nullopt;
    const double v = number_of(n, key);
    if (!std::isfinite(v) || (open_lo ? v <= lo : v < lo) || v > hi)
      fail(n, fmt::format("{} = {} is outside {}{:g}, {:g}]", key, v, open_lo ? "(" : "[", lo, hi),
           fmt::format("give {} in that range", key));
    return v;
  }

  /// A quantity given in one of several units: `<base>_<unit>` for each unit. Returns the value
  /// in base units (bytes, B/s, ns, FLOP/s, Hz), or nullopt when no variant is present.
  std::optional<double> quantity(std::string_view base, std::span<const Unit> units, Bound bound,
                                 std::string_view meaning) {
    const std::string hint = family_hint(base, units);
    const toml::node* found = nullptr;
    std::string found_key;
    double scale = 0;
    for (const Unit& u : units) {
      const std::string key = join_key(base, u.suffix);
      known_.insert(key);
      const toml::node* n = table_.get(key);
      if (n == nullptr) continue;
      if (found != nullptr)
        fail(n, fmt::format("both {} and {} are given", found_key, key),
             fmt::format("give {} in one unit only", meaning));
      found = n;
      found_key = key;
      scale = u.scale;
    }
    hints_.push_back(hint);
    if (found == nullptr) return std::nullopt;
    if (found_key.ends_with("bytes") && !found->is_integer())
      fail(found, fmt::format("{} is {}, expected an integer", found_key, type_name(*found)),
           fmt::format("give {} as a whole number of bytes, or use another unit", meaning));
    const double v = number_of(found, found_key);
    const bool ok = std::isfinite(v) && (bound == Bound::positive ? v > 0 : v >= 0);
    if (!ok)
      fail(found,
           fmt::format("{} = {} is not {}", found_key, v,
                       bound == Bound::positive ? "positive" : "zero or more"),
           fmt::format("give {} as a {} number", meaning,
                       bound == Bound::positive ? "positive" : "non-negative"));
    return v * scale;
  }

  double req_quantity(std::string_view base, std::span<const Unit> units, Bound bound,
                      std::string_view meaning) {
    auto v = quantity(base, units, bound, meaning);
    if (!v) {
      std::vector<std::string> wanted;
      for (const Unit& u : units) wanted.push_back(join_key(base, u.suffix));
      missing(wanted, fmt::format("missing required key {}", family_hint(base, units)),
              fmt::format("give {}, e.g. {} = ...", meaning, wanted.front()));
    }
    return *v;
  }

  /// A required key is absent: if the table holds an unknown key that looks like a misspelling
  /// of one of `wanted`, report that key at its line; otherwise report the absence.
  [[noreturn]] void missing(const std::vector<std::string>& wanted, std::string_view problem,
                            std::string_view fix) const {
    for (auto&& [key, node] : table_) {
      if (known_.count(std::string(key.str())) != 0) continue;
      for (const std::string& w : wanted)
        if (edit_distance(key.str(), w) <= std::max<std::size_t>(2, w.size() / 3)) {
          const Line line = key.source().begin.line > 0 ? key.source().begin.line : this->line();
          throw InvalidInput(fmt::format("{}:{}: {}: unknown key '{}'; did you mean '{}'? ({})",
                                         source_, line, what_, key.str(), w, problem));
        }
    }
    fail(nullptr, problem, fix);
  }

  /// Rejects every key that no getter asked for, suggesting the nearest known one.
  void finish() const {
    for (auto&& [key, node] : table_) {
      if (known_.count(std::string(key.str())) != 0) continue;
      std::string best;
      std::size_t best_d = std::max<std::size_t>(2, key.str().size() / 2) + 1;
      for (const std::string& k : known_) {
        const std::size_t d = edit_distance(key.str(), k);
        if (d < best_d) best_d = d, best = k;
      }
      std::string keys;
      std::set<std::string_view> listed;
      for (const std::string& h : hints_)
        if (listed.insert(h).second) keys += (keys.empty() ? "" : ", ") + h;
      const Line line = key.source().begin.line > 0 ? key.source().begin.line
                                                    : std::max<Line>(node.source().begin.line, 1);
      throw InvalidInput(fmt::format(
          "{}:{}: {}: unknown key '{}'; {}the keys allowed here are: {} (see docs/machines.md)",
          source_, line, what_, key.str(),
          best.empty() ? "" : fmt::format("did you mean '{}'? ", best), keys));
    }
  }

 private:
  double number_of(const toml::node* n, std::string_view key) const {
    if (n->is_integer()) return static_cast<double>(n->as_integer()->get());
    if (n->is_floating_point()) return n->as_floating_point()->get();
    fail(n, fmt::format("{} is {}, expected a number", key, type_name(*n)),
         fmt::format("write {} = <number> without quotes", key));
  }

  const toml::table& table_;
  const std::string& source_;
  std::string what_;
  std::set<std::string> known_;
  std::vector<std::string> hints_;
};

/// The tables of an array of tables (`[[key]]`), with a clear error for anything else.
std::vector<const toml::table*> tables_of(Reader& r, std::string_view key, bool required) {
  const toml::node* n = r.get(key, fmt::format("[[{}]]", key));
  std::vector<const toml::table*> out;
  if (n == nullptr) {
    if (required)
      r.fail(nullptr, fmt::format("no [[{}]] table", key),
             fmt::format("add at least one [[{}]] table", key));
    return out;
  }
  const toml::array* a = n->as_array();
  if (a == nullptr)
    r.fail(n, fmt::format("{} is {}, expected an array of tables", key, type_name(*n)),
           fmt::format("write each entry under its own [[{}]] header", key));
  for (const toml::node& e : *a) {
    if (!e.is_table())
      r.fail(&e, fmt::format("an entry of {} is {}, expected a table", key, type_name(e)),
             fmt::format("write each entry under its own [[{}]] header", key));
    out.push_back(e.as_table());
  }
  return out;
}

/// A tier as read from TOML, before it is named after its GPU.
struct TierSpec {
  Tier tier;
  Line line = 0;
};

/// Reads the body of a tier: [[tier]] tables and a [[gpu]]'s inline memory table.
TierSpec read_tier(Reader& r, std::optional<TierKind> fixed_kind, std::string default_name) {
  TierSpec spec;
  spec.line = r.line();
  Tier& t = spec.tier;
  if (default_name.empty()) {
    t.name = r.req_string("name", "give the tier a name, e.g. name = \"host\"");
    r.set_what(fmt::format("tier '{}'", t.name));
  } else {
    t.name = r.opt_string("name").value_or(default_name);
  }
  if (fixed_kind) {
    t.kind = *fixed_kind;
  } else {
    const std::string kind =
        r.req_string("kind", "give kind = \"device\", \"host\", \"ssd\" or \"pmem\"");
    try {
      t.kind = parse_tier_kind(kind);
    } catch (const InvalidInput&) {
      r.fail(r.get("kind"), fmt::format("kind = \"{}\" is not a tier kind", kind),
             "use \"device\", \"host\", \"ssd\" or \"pmem\"");
    }
  }
  const auto drives = static_cast<std::uint32_t>(r.opt_integer("drives", 1, 4096).value_or(1));
  t.drives = drives;
  const std::string_view per = drives > 1 ? " of one drive" : "";

  const double capacity =
      r.req_quantity("capacity", kSizeUnits, Bound::positive, fmt::format("the capacity{}", per));
  if (capacity * drives >= 9.2e18)
    r.fail(nullptr, "capacity is too large", "give a capacity below 8 EiB");
  t.capacity_bytes = static_cast<std::uint64_t>(std::llround(capacity)) * drives;

  const auto both = r.quantity("", kRateUnits, Bound::positive, "the bandwidth");
  const auto read = r.quantity("read", kRateUnits, Bound::positive, "the read bandwidth");
  const auto write = r.quantity("write", kRateUnits, Bound::positive, "the write bandwidth");
  if (both && (read || write))
    r.fail(nullptr, "both gb_per_s and read_/write_gb_per_s are given",
           "give either gb_per_s (same both ways) or read_gb_per_s and write_gb_per_s");
  if (!both && !(read && write))
    r.missing({"read_gb_per_s", "write_gb_per_s", "gb_per_s"},
              fmt::format("missing required key {}", !read ? "read_gb_per_s" : "write_gb_per_s"),
              fmt::format("give read_gb_per_s and write_gb_per_s{} (GB/s = 1e9 B/s), or gb_per_s "
                          "when they are equal",
                          per));
  t.read_bytes_per_s = (both ? *both : *read) * drives;
  t.write_bytes_per_s = (both ? *both : *write) * drives;

  const auto lat = r.quantity("latency", kTimeUnits, Bound::non_negative, "the latency");
  const auto rlat = r.quantity("read_latency", kTimeUnits, Bound::non_negative, "the read latency");
  const auto wlat =
      r.quantity("write_latency", kTimeUnits, Bound::non_negative, "the write latency");
  if (lat && (rlat || wlat))
    r.fail(nullptr, "both latency_* and read_/write_latency_* are given",
           "give either latency_us (same both ways) or read_latency_us and write_latency_us");
  t.read_latency_ns = std::llround(rlat.value_or(lat.value_or(0)));
  t.write_latency_ns = std::llround(wlat.value_or(lat.value_or(0)));
  return spec;
}

/// A link as read from TOML; strings may hold {gpu} and {switch} inside a [[gpu]].
struct LinkSpec {
  std::optional<std::string> name;
  std::string from, to;
  const toml::node* from_node = nullptr;
  const toml::node* to_node = nullptr;
  double bytes_per_s = 0;
  std::int64_t latency_ns = 0;
  std::vector<std::pair<std::string, const toml::node*>> buses;
  bool direct_access = false;
  Line line = 0;
  std::string what;
};

LinkSpec read_link(Reader& r, bool in_gpu) {
  LinkSpec s;
  s.line = r.line();
  s.what = r.what();
  s.name = r.opt_string("name");
  if (!in_gpu) {
    s.from = r.req_string("from", "give from = \"<the faster tier's name>\"");
    s.from_node = r.get("from");
  }
  s.to = r.req_string("to", "give to = \"<tier name>\"");
  s.to_node = r.get("to");
  s.bytes_per_s = r.req_quantity("", kRateUnits, Bound::positive,
                                 "the link's bandwidth per direction (gb_per_s, 1e9 B/s)");
  s.latency_ns = std::llround(
      r.quantity("latency", kTimeUnits, Bound::non_negative, "the latency").value_or(0));
  s.direct_access = r.opt_bool("direct_access", false);
  if (const toml::node* n = r.get("buses")) {
    const toml::array* a = n->as_array();
    if (a == nullptr)
      r.fail(n, fmt::format("buses is {}, expected an array of bus names", type_name(*n)),
             "write buses = [\"name\", ...]");
    for (const toml::node& e : *a) {
      if (!e.is_string())
        r.fail(&e, fmt::format("an entry of buses is {}, expected a string", type_name(e)),
               "write buses = [\"name\", ...]");
      s.buses.emplace_back(e.as_string()->get(), &e);
    }
  }
  r.finish();
  return s;
}

/// One [[gpu]] table: its compute device, memory and links, repeated `count` times.
struct GpuSpec {
  Line line = 0;
  std::vector<std::string> names;
  Gpu gpu;                                 // name and memory filled per instance
  std::optional<std::string> memory_tier;  // memory = "<tier>"
  const toml::node* memory_node = nullptr;
  std::optional<TierSpec> memory_inline;  // memory = { ... }; name may hold {gpu}
  std::vector<std::pair<std::string, const toml::node*>> switches;  // per instance
  std::optional<double> pcie_bytes_per_s;
  const toml::node* pcie_node = nullptr;
  std::vector<LinkSpec> links;
  std::string what;
};

class Builder {
 public:
  Builder(const toml::table& root, const std::string& source) : root_(root), source_(source) {
    lines_.source = source;
    lines_.root_line = 1;
  }

  Machine build() {
    Reader r(root_, source_, "top level");
    m_.name = r.req_string("name", "give the machine a name, e.g. name = \"g10-a100\"");
    m_.description = r.opt_string("description").value_or("");
    read_fault(r);
    for (const toml::table* t : tables_of(r, "bus", false)) read_bus(*t);
    for (const toml::table* t : tables_of(r, "tier", false)) read_tier_table(*t);
    std::vector<GpuSpec> gpus;
    for (const toml::table* t : tables_of(r, "gpu", true)) gpus.push_back(read_gpu(*t));
    std::vector<LinkSpec> links;
    for (const toml::table* t : tables_of(r, "link", false)) {
      Reader lr(*t, source_, fmt::format("[[link]] #{}", links.size() + 1));
      links.push_back(read_link(lr, false));
    }
    r.finish();

    for (const GpuSpec& g : gpus) instantiate_gpu(g);
    for (std::size_t i = 0; i < gpus.size(); ++i) instantiate_gpu_links(gpus[i]);
    for (const LinkSpec& l : links) add_link(l, l.from, l.from_node, {});
    detail::validate_machine(m_, &lines_);
    return std::move(m_);
  }

 private:
  [[noreturn]] void fail(Line line, std::string_view what, std::string_view problem,
                         std::string_view fix) const {
    throw InvalidInput(
        fmt::format("{}:{}: {}: {}; {}", source_, std::max<Line>(line, 1), what, problem, fix));
  }
  [[noreturn]] void fail(const toml::node* at, Line fallback, std::string_view what,
                         std::string_view problem, std::string_view fix) const {
    fail(at != nullptr && at->source().begin.line > 0 ? at->source().begin.line : fallback, what,
         problem, fix);
  }

  template <class T>
  std::string names_of(const std::vector<T>& items) const {
    std::string s;
    for (const T& t : items) s += (s.empty() ? "" : ", ") + t.name;
    return s.empty() ? "(none)" : s;
  }

  void read_fault(Reader& root) {
    const toml::node* n = root.get("fault", "[fault]");
    if (n == nullptr)
      root.missing({"fault"}, "no [fault] table",
                   "add [fault] with page_bytes, batch_pages and batch_latency_us");
    if (!n->is_table())
      root.fail(n, fmt::format("fault is {}, expected a table", type_name(*n)),
                "write the fault model under a [fault] header");
    Reader r(*n->as_table(), source_, "[fault]");
    lines_.fault_line = r.line();
    const double page = r.req_quantity("page", kSizeUnits, Bound::positive, "the page size");
    const auto page_bytes = static_cast<std::uint64_t>(std::llround(page));
    if ((page_bytes & (page_bytes - 1)) != 0)
      r.fail(nullptr, fmt::format("page size {} B is not a power of two", page_bytes),
             "give page_bytes = 4096 (or page_kib = 64, ...)");
    m_.fault.page_bytes = page_bytes;
    const auto batch = r.opt_integer("batch_pages", 1);
    if (!batch)
      r.missing({"batch_pages"}, "missing required key 'batch_pages'",
                "give the number of pages serviced per fault batch, e.g. batch_pages = 1");
    m_.fault.batch_pages = static_cast<std::uint32_t>(*batch);
    m_.fault.batch_latency_ns = std::llround(r.req_quantity(
        "batch_latency", kTimeUnits, Bound::non_negative, "the handling latency of one batch"));
    const std::optional<double> touch =
        r.quantity("first_touch_batch_latency", kTimeUnits, Bound::non_negative,
                   "the handling latency of one batch of first-touch faults");
    m_.fault.first_touch_batch_latency_ns =
        touch ? std::llround(*touch) : m_.fault.batch_latency_ns;
    m_.fault.far_fault_latency_ns =
        std::llround(r.quantity("far_fault_latency", kTimeUnits, Bound::non_negative,
                                "the CPU far-fault handling latency (scales SSD fault bandwidth)")
                         .value_or(0.0));
    m_.fault.ssd_fault_latency_ns =
        std::llround(r.quantity("ssd_fault_latency", kTimeUnits, Bound::non_negative,
                                "the SSD latency of a fault (scales SSD fault bandwidth)")
                         .value_or(0.0));
    r.finish();
  }

  void read_bus(const toml::table& t) {
    Reader r(t, source_, fmt::format("[[bus]] #{}", m_.buses.size() + 1));
    const auto count = r.opt_integer("count", 1, 4096);
    std::string name = r.req_string(
        "name", count
                    ? "give the name prefix, e.g. name = \"pcie-switch\" (names pcie-switch0, ...)"
                    : "give the bus a name, e.g. name = \"host-memory\"");
    r.set_what(fmt::format("bus '{}'", name));
    const double rate = r.req_quantity("", kRateUnits, Bound::positive,
                                       "the bus bandwidth (per direction when full duplex)");
    const bool duplex = r.opt_bool("full_duplex", true);
    r.finish();
    for (std::int64_t i = 0; i < count.value_or(1); ++i) {
      m_.buses.push_back({count ? fmt::format("{}{}", name, i) : name, rate, duplex});
      lines_.bus.push_back(r.line());
    }
  }

  void read_tier_table(const toml::table& t) {
    Reader r(t, source_, fmt::format("[[tier]] #{}", m_.tiers.size() + 1));
    TierSpec spec = read_tier(r, std::nullopt, "");
    r.finish();
    m_.tiers.push_back(std::move(spec.tier));
    lines_.tier.push_back(spec.line);
  }

  GpuSpec read_gpu(const toml::table& t) {
    GpuSpec g;
    Reader r(t, source_, fmt::format("[[gpu]] #{}", gpu_tables_ + 1));
    ++gpu_tables_;
    g.line = r.line();
    const auto count = r.opt_integer("count", 1, 4096);
    if (count) {
      const std::string prefix = r.opt_string("name").value_or("gpu");
      for (std::int64_t i = 0; i < *count; ++i) g.names.push_back(fmt::format("{}{}", prefix, i));
      r.set_what(fmt::format("gpus '{}'..'{}'", g.names.front(), g.names.back()));
    } else {
      g.names.push_back(r.req_string(
          "name", "give the GPU a name (name = \"gpu0\"), or count = N for gpu0..gpuN-1"));
      r.set_what(fmt::format("gpu '{}'", g.names.front()));
    }
    g.what = r.what();

    ComputeDevice& c = g.gpu.compute;
    c.fp32_flops_per_s = r.req_quantity("fp32", kFlopUnits, Bound::positive, "the dense FP32 rate");
    g.gpu.tf32_flops_per_s =
        r.quantity("tf32", kFlopUnits, Bound::positive, "the dense TF32 tensor-core rate")
            .value_or(0);
    c.fp16_flops_per_s =
        r.quantity("fp16", kFlopUnits, Bound::positive, "the dense FP16 rate").value_or(0);
    c.bf16_flops_per_s =
        r.quantity("bf16", kFlopUnits, Bound::positive, "the dense BF16 rate").value_or(0);
    if (auto math = r.opt_string("fp32_math")) {
      if (*math == "tf32") {
        if (g.gpu.tf32_flops_per_s <= 0)
          r.fail(r.get("fp32_math"), "fp32_math = \"tf32\" but no TF32 rate is given",
                 "give tf32_tflops");
        c.fp32_flops_per_s = g.gpu.tf32_flops_per_s;
      } else if (*math != "fp32") {
        r.fail(r.get("fp32_math"), fmt::format("fp32_math = \"{}\" is not fp32 or tf32", *math),
               "give fp32_math = \"fp32\" (CUDA cores) or \"tf32\" (tensor cores)");
      }
    }
    c.compute_efficiency = r.opt_number("compute_efficiency", 0, true, 1).value_or(1.0);
    c.memory_efficiency = r.opt_number("memory_efficiency", 0, true, 1).value_or(1.0);
    c.kernel_overhead_ns = std::llround(
        r.quantity("kernel_overhead", kTimeUnits, Bound::non_negative, "the launch overhead")
            .value_or(0));
    g.gpu.clock_hz = r.quantity("clock", kClockUnits, Bound::positive, "the clock").value_or(0);

    g.memory_node = r.get("memory");
    if (g.memory_node == nullptr)
      r.fail(nullptr, "missing required key 'memory'",
             "give memory = { capacity_gib = ..., gb_per_s = ... } (its HBM) or "
             "memory = \"<device tier>\" (a CPU socket's DRAM tier)");
    if (g.memory_node->is_string()) {
      if (g.names.size() > 1)
        r.fail(g.memory_node, "count > 1 GPUs cannot share one memory tier",
               "give memory as a table so that each GPU gets its own tier");
      g.memory_tier = g.memory_node->as_string()->get();
    } else if (g.memory_node->is_table()) {
      Reader mr(*g.memory_node->as_table(), source_, g.what + " memory");
      g.memory_inline = read_tier(mr, TierKind::device, "{gpu}-hbm");
      g.memory_inline->line = std::max<Line>(g.memory_node->source().begin.line, g.line);
      mr.finish();
    } else {
      r.fail(
          g.memory_node,
          fmt::format("memory is {}, expected a table or a tier name", type_name(*g.memory_node)),
          "give memory = { capacity_gib = ..., gb_per_s = ... } or memory = \"<device tier>\"");
    }

    if (const toml::node* n = r.get("switch")) {
      if (n->is_string()) {
        for (std::size_t i = 0; i < g.names.size(); ++i)
          g.switches.emplace_back(n->as_string()->get(), n);
      } else if (const toml::array* a = n->as_array()) {
        if (a->size() != g.names.size())
          r.fail(n, fmt::format("switch lists {} buses for {} GPUs", a->size(), g.names.size()),
                 "give one switch bus per GPU, in order");
        for (const toml::node& e : *a) {
          if (!e.is_string())
            r.fail(&e, fmt::format("an entry of switch is {}, expected a bus name", type_name(e)),
                   "write switch = [\"pcie-switch0\", ...]");
          g.switches.emplace_back(e.as_string()->get(), &e);
        }
      } else {
        r.fail(n,
               fmt::format("switch is {}, expected a bus name or an array of them", type_name(*n)),
               "write switch = \"pcie-switch0\" or switch = [\"pcie-switch0\", ...]");
      }
      for (const auto& [bus, node] : g.switches)
        if (!m_.find_bus(bus))
          r.fail(node, fmt::format("switch '{}' is not a bus", bus),
                 fmt::format("define it in a [[bus]] table; buses: {}", names_of(m_.buses)));
    }

    g.pcie_bytes_per_s = r.quantity("pcie", kRateUnits, Bound::positive,
                                    "the GPU's own PCIe port bandwidth per direction");
    g.pcie_node = t.get("pcie_gb_per_s");
    for (const toml::table* lt : tables_of(r, "link", false)) {
      Reader lr(*lt, source_, fmt::format("{} link #{}", g.what, g.links.size() + 1));
      g.links.push_back(read_link(lr, true));
    }
    r.finish();
    return g;
  }

  void instantiate_gpu(const GpuSpec& spec) {
    for (std::size_t i = 0; i < spec.names.size(); ++i) {
      Gpu gpu = spec.gpu;
      gpu.name = spec.names[i];
      if (spec.memory_tier) {
        const auto tier = m_.find_tier(*spec.memory_tier);
        if (!tier)
          fail(spec.memory_node, spec.line, spec.what,
               fmt::format("memory = \"{}\" is not a tier", *spec.memory_tier),
               fmt::format("define it in a [[tier]] table with kind = \"device\"; tiers: {}",
                           names_of(m_.tiers)));
        if (m_.tiers[*tier].kind != TierKind::device)
          fail(spec.memory_node, spec.line, spec.what,
               fmt::format("memory tier '{}' is a {} tier", *spec.memory_tier,
                           to_string(m_.tiers[*tier].kind)),
               "a GPU's memory must have kind = \"device\"");
        gpu.memory = *tier;
      } else {
        Tier t = spec.memory_inline->tier;
        t.name = replace_all(t.name, "{gpu}", gpu.name);
        gpu.memory = static_cast<TierId>(m_.tiers.size());
        m_.tiers.push_back(std::move(t));
        lines_.tier.push_back(spec.memory_inline->line);
      }
      gpu.compute.name = gpu.name;
      gpu.compute.memory_bytes_per_s = m_.tiers[gpu.memory].read_bytes_per_s;
      if (spec.pcie_bytes_per_s) {
        m_.buses.push_back({gpu.name + "-pcie", *spec.pcie_bytes_per_s, true});
        lines_.bus.push_back(spec.pcie_node != nullptr ? spec.pcie_node->source().begin.line
                                                       : spec.line);
      }
      m_.gpus.push_back(std::move(gpu));
      lines_.gpu.push_back(spec.line);
    }
  }

  void instantiate_gpu_links(const GpuSpec& spec) {
    for (std::size_t i = 0; i < spec.names.size(); ++i) {
      const Gpu& gpu = m_.gpus[*m_.find_gpu(spec.names[i])];
      std::map<std::string, std::string> vars{{"{gpu}", gpu.name}};
      if (!spec.switches.empty()) vars["{switch}"] = spec.switches[i].first;
      for (const LinkSpec& l : spec.links) add_link(l, m_.tiers[gpu.memory].name, nullptr, vars);
    }
  }

  std::string expand(const std::string& text, const std::map<std::string, std::string>& vars,
                     const toml::node* at, const LinkSpec& l) const {
    std::string s = text;
    for (const auto& [k, v] : vars) s = replace_all(s, k, v);
    if (s.find('{') != std::string::npos || s.find('}') != std::string::npos) {
      if (text.find("{switch}") != std::string::npos && vars.count("{switch}") == 0)
        fail(at, l.line, l.what,
             fmt::format("'{}' uses {{switch}} but the GPU has no switch", text),
             "give the [[gpu]] switch = \"<bus>\" (or one bus per GPU)");
      fail(at, l.line, l.what, fmt::format("'{}' has an unknown placeholder", text),
           "only {gpu} and {switch} are replaced, and only inside a [[gpu]]'s links");
    }
    return s;
  }

  void add_link(const LinkSpec& l, const std::string& from_name, const toml::node* from_node,
                const std::map<std::string, std::string>& vars) {
    Link link;
    const auto from = m_.find_tier(from_name);
    if (!from)
      fail(from_node, l.line, l.what, fmt::format("from = \"{}\" is not a tier", from_name),
           fmt::format("use one of: {}", names_of(m_.tiers)));
    const std::string to_name = expand(l.to, vars, l.to_node, l);
    const auto to = m_.find_tier(to_name);
    if (!to)
      fail(l.to_node, l.line, l.what, fmt::format("to = \"{}\" is not a tier", to_name),
           fmt::format("use one of: {}", names_of(m_.tiers)));
    link.from = *from;
    link.to = *to;
    link.name =
        l.name ? expand(*l.name, vars, nullptr, l) : fmt::format("{}<->{}", from_name, to_name);
    link.bytes_per_s = l.bytes_per_s;
    link.latency_ns = l.latency_ns;
    link.direct_access = l.direct_access;
    for (const auto& [raw, node] : l.buses) {
      const std::string bus = expand(raw, vars, node, l);
      const auto id = m_.find_bus(bus);
      if (!id)
        fail(node, l.line, l.what,
             fmt::format("bus '{}'{} is not defined", bus,
                         bus == raw ? "" : fmt::format(" (from '{}')", raw)),
             fmt::format("define it in a [[bus]] table (or pcie_gb_per_s in the [[gpu]] for "
                         "<gpu>-pcie); buses: {}",
                         names_of(m_.buses)));
      link.buses.push_back(*id);
    }
    m_.links.push_back(std::move(link));
    lines_.link.push_back(l.line);
  }

  const toml::table& root_;
  const std::string& source_;
  Machine m_;
  detail::MachineSourceLines lines_;
  int gpu_tables_ = 0;
};

}  // namespace

Machine parse_machine_toml(std::string_view text, const std::string& source_name) {
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    throw InvalidInput(fmt::format("{}:{}:{}: TOML syntax error: {}; fix the file there",
                                   source_name, e.source().begin.line, e.source().begin.column,
                                   e.description()));
  }
  return Builder(root, source_name).build();
}

Machine load_machine_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw IoError(
        fmt::format("cannot read machine file '{}'; check the path (presets live in "
                    "configs/machines/)",
                    path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw IoError(fmt::format("error while reading machine file '{}'", path.string()));
  return parse_machine_toml(text.str(), path.string());
}

std::vector<std::string> list_presets(const std::vector<std::filesystem::path>& dirs) {
  std::set<std::string> names;
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
      if (entry.path().extension() == ".toml" && entry.is_regular_file(ec))
        names.insert(entry.path().stem().string());
  }
  return {names.begin(), names.end()};
}

Machine load_machine(std::string_view preset_or_path,
                     const std::vector<std::filesystem::path>& preset_dirs) {
  if (preset_or_path.ends_with(".toml") || preset_or_path.find('/') != std::string_view::npos)
    return load_machine_file(std::filesystem::path(preset_or_path));
  for (const auto& dir : preset_dirs) {
    const auto file = dir / (std::string(preset_or_path) + ".toml");
    std::error_code ec;
    if (std::filesystem::is_regular_file(file, ec)) return load_machine_file(file);
  }
  std::string dirs;
  for (const auto& d : preset_dirs) dirs += (dirs.empty() ? "" : ", ") + d.string();
  std::string presets;
  for (const auto& p : list_presets(preset_dirs)) presets += (presets.empty() ? "" : ", ") + p;
  throw InvalidInput(fmt::format(
      "unknown machine preset '{}'; presets in {}: {}; give one of them, or a path to a .toml file",
      preset_or_path, dirs.empty() ? "(no preset directories)" : dirs,
      presets.empty() ? "(none found)" : presets));
}

}  // namespace strata
