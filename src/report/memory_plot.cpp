// The memory plot of `strata inspect --memory-plot`: live bytes over the iteration, by kind.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "strata/core/units.hpp"
#include "strata/report/inspect.hpp"
#include "svg_text.hpp"

namespace strata {
namespace {

constexpr double kWidth = 1000, kHeight = 460;
constexpr double kLeft = 78, kRight = 180, kTop = 46, kBottom = 52;
constexpr double kPlotW = kWidth - kLeft - kRight, kPlotH = kHeight - kTop - kBottom;
constexpr int kColumns = 900;  // at most one sample per horizontal pixel

// Drawing order, bottom to top: what is always there first, what comes and goes on top.
constexpr std::array<TensorKind, kTensorKindCount> kStack = {
    TensorKind::weight,     TensorKind::optimizer_state, TensorKind::input,
    TensorKind::activation, TensorKind::gradient,        TensorKind::workspace};
constexpr std::array<const char*, kTensorKindCount> kColour = {"#4e79a7", "#9c755f", "#bab0ac",
                                                               "#f28e2b", "#e15759", "#76b7b2"};
constexpr std::array<const char*, 3> kPhaseColour = {"#f4f8fb", "#fbf6f0", "#f3f3f3"};

/// A "nice" tick step (1, 2 or 5 times a power of ten) giving about `target` ticks over `span`.
double nice_step(double span, int target) {
  const double raw = span / target;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * power >= raw) return m * power;
  return 10 * power;
}

}  // namespace

std::string memory_plot_svg(const Workload& w, const Vitality& v,
                            std::optional<std::uint64_t> capacity_bytes,
                            std::string capacity_label) {
  const std::size_t n = w.kernels.size();
  const double total_ns = static_cast<double>(std::max<std::int64_t>(v.ideal_ns, 1));
  const bool by_time = v.ideal_ns > 0;
  // x position of the start of kernel k (by ideal time, or by index when no kernel has a time).
  auto x_of = [&](std::size_t k) {
    const double f = by_time ? (k < n ? static_cast<double>(v.start_ns[k]) : total_ns) / total_ns
                             : static_cast<double>(k) / static_cast<double>(n);
    return kLeft + f * kPlotW;
  };
  const double y_max_bytes =
      static_cast<double>(std::max<std::uint64_t>(
          {v.peak_live_bytes, capacity_bytes.value_or(0), std::uint64_t{1}})) *
      1.08;
  auto y_of = [&](double bytes) { return kTop + kPlotH - bytes / y_max_bytes * kPlotH; };

  // One sample per column: the kernel with the most live bytes among those starting in it, so
  // peaks survive downsampling.
  struct Sample {
    double x0, x1;
    std::size_t kernel;
  };
  std::vector<Sample> samples;
  for (std::size_t k = 0; k < n; ++k) {
    const double x0 = x_of(k), x1 = x_of(k + 1);
    const int column = static_cast<int>((x0 - kLeft) / kPlotW * kColumns);
    if (!samples.empty() &&
        static_cast<int>((samples.back().x0 - kLeft) / kPlotW * kColumns) == column) {
      Sample& s = samples.back();
      s.x1 = x1;
      if (v.live_bytes[k] > v.live_bytes[s.kernel]) s.kernel = k;
    } else {
      samples.push_back({x0, x1, k});
    }
  }

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} "
      "{1}\" "
      "font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{2}\" y=\"24\" font-size=\"16\" font-weight=\"bold\">{3}: live memory over one "
      "iteration</text>\n",
      kWidth, kHeight, kLeft, svg_escape(w.name));

  // Phase bands: forward up to the last forward kernel, backward up to the last backward kernel,
  // then the optimizer's tail. Traces that apply each gradient as soon as it is ready (G10's) have
  // their optimizer steps inside the backward band, and it says so.
  std::array<std::size_t, 3> last{};
  std::array<bool, 3> present{};
  for (std::size_t k = 0; k < n; ++k) {
    const auto p = static_cast<std::size_t>(w.kernels[k].phase);
    last[p] = k + 1;
    present[p] = true;
  }
  const std::size_t forward_end = present[0] ? last[0] : 0;
  const std::size_t backward_end = std::max(forward_end, present[1] ? last[1] : 0);
  const bool interleaved =
      present[2] && backward_end > 0 &&
      std::any_of(w.kernels.begin() + static_cast<std::ptrdiff_t>(forward_end),
                  w.kernels.begin() + static_cast<std::ptrdiff_t>(backward_end),
                  [](const Kernel& k) { return k.phase == Phase::optimizer; });
  const std::array<std::pair<std::size_t, std::size_t>, 3> bands = {
      std::pair{std::size_t{0}, forward_end}, std::pair{forward_end, backward_end},
      std::pair{backward_end, n}};
  const std::array<const char*, 3> band_names = {
      "forward", interleaved ? "backward + optimizer" : "backward", "optimizer"};
  for (std::size_t b = 0; b < bands.size(); ++b) {
    const auto [from, to] = bands[b];
    if (from >= to) continue;
    svg += fmt::format("<rect x=\"{:.2f}\" y=\"{}\" width=\"{:.2f}\" height=\"{}\" fill=\"{}\"/>\n",
                       x_of(from), kTop, std::max(0.0, x_of(to) - x_of(from)), kPlotH,
                       kPhaseColour[b]);
    if (x_of(to) - x_of(from) > 60)
      svg += fmt::format(
          "<text x=\"{:.2f}\" y=\"{}\" fill=\"#888\" text-anchor=\"middle\">{}</text>\n",
          (x_of(from) + x_of(to)) / 2, kTop - 5, band_names[b]);
  }

  // Grid and y axis (GiB).
  const double gib = 1024.0 * 1024 * 1024;
  const double step = nice_step(y_max_bytes / gib, 6);
  for (double g = 0; g * gib <= y_max_bytes; g += step) {
    const double y = y_of(g * gib);
    svg += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{:.2f}\" y2=\"{:.2f}\" stroke=\"#ddd\"/>\n",
                       kLeft, kLeft + kPlotW, y, y);
    svg += fmt::format("<text x=\"{}\" y=\"{:.2f}\" text-anchor=\"end\">{:g} GiB</text>\n",
                       kLeft - 6, y + 4, g);
  }
  // x axis (time).
  const double t_unit = total_ns >= 1e9 ? 1e9 : 1e6;
  const char* t_name = total_ns >= 1e9 ? "s" : "ms";
  const double t_step = nice_step(total_ns / t_unit, 8);
  for (double t = 0; t * t_unit <= total_ns * 1.0001 && by_time; t += t_step) {
    const double x = kLeft + t * t_unit / total_ns * kPlotW;
    svg += fmt::format("<text x=\"{:.2f}\" y=\"{}\" text-anchor=\"middle\">{:g}</text>\n", x,
                       kTop + kPlotH + 16, t);
  }
  svg += fmt::format(
      "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", kLeft + kPlotW / 2,
      kTop + kPlotH + 38,
      by_time ? fmt::format("ideal time ({}) — {} kernels", t_name, n) : std::string("kernel"));

  // Stacked areas, one polygon per kind.
  std::vector<double> below(samples.size(), 0.0);
  for (std::size_t layer = 0; layer < kStack.size(); ++layer) {
    const auto kind = static_cast<std::size_t>(kStack[layer]);
    std::string top_edge, bottom_edge;
    std::vector<double> above(samples.size());
    bool any = false;
    for (std::size_t i = 0; i < samples.size(); ++i) {
      const double bytes = static_cast<double>(v.live_bytes_by_kind[samples[i].kernel][kind]);
      any = any || bytes > 0;
      above[i] = below[i] + bytes;
      top_edge += fmt::format("{:.2f},{:.2f} {:.2f},{:.2f} ", samples[i].x0, y_of(above[i]),
                              samples[i].x1, y_of(above[i]));
    }
    for (std::size_t i = samples.size(); i-- > 0;)
      bottom_edge += fmt::format("{:.2f},{:.2f} {:.2f},{:.2f} ", samples[i].x1, y_of(below[i]),
                                 samples[i].x0, y_of(below[i]));
    if (any)
      svg += fmt::format(
          "<polygon points=\"{}{}\" fill=\"{}\" fill-opacity=\"0.9\"><title>{}</title></polygon>\n",
          top_edge, bottom_edge, kColour[kind], to_string(kStack[layer]));
    below = std::move(above);
  }

  // Peak marker, capacity line, frame.
  const double peak_y = y_of(static_cast<double>(v.peak_live_bytes));
  const double peak_x = (x_of(v.peak_kernel) + x_of(v.peak_kernel + 1)) / 2;
  svg +=
      fmt::format("<circle cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"4\" fill=\"black\"/>\n", peak_x, peak_y);
  const bool label_left = peak_x > kLeft + kPlotW * 0.6;
  svg += fmt::format(
      "<text x=\"{:.2f}\" y=\"{:.2f}\" text-anchor=\"{}\">peak {} at kernel {} ({})</text>\n",
      peak_x + (label_left ? -8 : 8), peak_y - 6, label_left ? "end" : "start",
      format_bytes(v.peak_live_bytes), v.peak_kernel, svg_escape(w.kernels[v.peak_kernel].name));
  if (capacity_bytes) {
    const double y = y_of(static_cast<double>(*capacity_bytes));
    svg += fmt::format(
        "<line x1=\"{}\" x2=\"{}\" y1=\"{:.2f}\" y2=\"{:.2f}\" stroke=\"black\" "
        "stroke-dasharray=\"6 4\"/>\n",
        kLeft, kLeft + kPlotW, y, y);
    svg += fmt::format("<text x=\"{}\" y=\"{:.2f}\" text-anchor=\"end\">{} {}</text>\n",
                       kLeft + kPlotW - 4, y - 5,
                       svg_escape(capacity_label.empty() ? "capacity" : capacity_label),
                       format_bytes(*capacity_bytes));
  }
  svg += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#444\"/>\n", kLeft,
      kTop, kPlotW, kPlotH);

  // Legend, top kind first to match the stack.
  double ly = kTop + 8;
  for (std::size_t layer = kStack.size(); layer-- > 0;) {
    const auto kind = static_cast<std::size_t>(kStack[layer]);
    svg += fmt::format("<rect x=\"{}\" y=\"{:.1f}\" width=\"14\" height=\"14\" fill=\"{}\"/>\n",
                       kLeft + kPlotW + 16, ly, kColour[kind]);
    svg += fmt::format("<text x=\"{}\" y=\"{:.1f}\">{}</text>\n", kLeft + kPlotW + 36, ly + 11,
                       to_string(kStack[layer]));
    ly += 22;
  }
  svg += fmt::format("<text x=\"{}\" y=\"{:.1f}\" fill=\"#555\">persistent: {}</text>\n",
                     kLeft + kPlotW + 16, ly + 16, format_bytes(v.persistent_bytes));
  svg += "</svg>\n";
  return svg;
}

}  // namespace strata
