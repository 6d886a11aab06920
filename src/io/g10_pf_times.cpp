#include "strata/io/g10_pf_times.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <string>

#include "strata/core/error.hpp"
#include "strata/io/text_file.hpp"

namespace strata {

std::vector<std::int64_t> parse_g10_pf_times(std::string_view text, std::string_view source,
                                             std::size_t kernel_count) {
  std::vector<std::int64_t> out;
  out.reserve(kernel_count);
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty()) continue;
    auto bad = [&](std::string_view why) {
      return InvalidInput(fmt::format("{}:{}: {} (expected '<kernel id> <time> ms', got '{}')",
                                      source, line_no, why, line));
    };
    const std::size_t sp1 = line.find(' ');
    const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.substr(sp2 + 1) != "ms") throw bad("malformed line");
    std::size_t id = 0;
    const std::string_view id_text = line.substr(0, sp1);
    if (std::from_chars(id_text.data(), id_text.data() + id_text.size(), id).ec != std::errc{})
      throw bad("bad kernel id");
    if (id != out.size())
      throw bad(fmt::format("kernel id {} out of order (expected {})", id, out.size()));
    const std::string time_text(line.substr(sp1 + 1, sp2 - sp1 - 1));
    double ms = 0;
    try {
      std::size_t used = 0;
      ms = std::stod(time_text, &used);
      if (used != time_text.size()) throw bad("bad time");
    } catch (const std::logic_error&) {
      throw bad("bad time");
    }
    if (!(ms >= 0) || !std::isfinite(ms)) throw bad("time must be a non-negative number");
    out.push_back(static_cast<std::int64_t>(std::llround(ms * 1e6)));
  }
  if (out.size() != kernel_count)
    throw InvalidInput(fmt::format("{}: {} kernel times but the workload has {} kernels", source,
                                   out.size(), kernel_count));
  return out;
}

std::vector<std::int64_t> load_g10_pf_times(const std::filesystem::path& path,
                                            std::size_t kernel_count) {
  return parse_g10_pf_times(read_text_file(path), path.string(), kernel_count);
}

}  // namespace strata
