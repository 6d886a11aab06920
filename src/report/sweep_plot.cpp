// The plot of `strata sweep --plot`: fraction of ideal over the swept value, one line per policy.
#include "strata/report/sweep_plot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "svg_text.hpp"

namespace strata {
namespace {

constexpr double kWidth = 900, kHeight = 480;
constexpr double kLeft = 70, kRight = 200, kTop = 46, kBottom = 60;
constexpr double kPlotW = kWidth - kLeft - kRight, kPlotH = kHeight - kTop - kBottom;
constexpr std::array<const char*, 10> kColour = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2",
                                                 "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                                                 "#9c755f", "#bab0ac"};

// Dash patterns cycle too, so lines that coincide (two policies with the same result) stay
// distinguishable.
constexpr std::array<const char*, 4> kDash = {"none", "8 4", "2 3", "10 3 2 3"};

/// The value in the unit the axis label names (GiB, GB/s, or the count itself).
double in_axis_unit(sim::SweepAxis axis, double value) {
  switch (axis) {
    case sim::SweepAxis::gpu_memory:
    case sim::SweepAxis::host_memory: return value / (1024.0 * 1024 * 1024);
    case sim::SweepAxis::ssd_bandwidth: return value / 1e9;
    case sim::SweepAxis::batch:
    case sim::SweepAxis::gpus: return value;
  }
  return value;
}

}  // namespace

std::string sweep_plot_svg(const sim::SweepResult& r) {
  double lo = r.values.empty() ? 0 : r.values.front().value, hi = lo;
  for (const sim::SweepValue& v : r.values) {
    lo = std::min(lo, v.value);
    hi = std::max(hi, v.value);
  }
  const bool log_x = lo > 0 && hi / lo >= 8;
  auto pos = [&](double v) { return log_x ? std::log2(v) : v; };
  const double x0 = pos(lo), x1 = pos(hi);
  auto x_of = [&](double v) {
    return x1 > x0 ? kLeft + (pos(v) - x0) / (x1 - x0) * kPlotW : kLeft + kPlotW / 2;
  };
  double y_top = 1.0;
  for (const auto& row : r.cells)
    for (const sim::SweepCell& c : row)
      if (c.report.feasible) y_top = std::max(y_top, c.report.fraction_of_ideal);
  y_top = std::ceil(y_top * 10 + 0.5) / 10;  // headroom above the best point
  auto y_of = [&](double f) { return kTop + kPlotH - f / y_top * kPlotH; };

  const std::string axis(sim::to_string(r.axis));
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} "
      "{1}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{2}\" y=\"24\" font-size=\"16\" font-weight=\"bold\">{3} on {4}: fraction of "
      "ideal by {5}</text>\n",
      kWidth, kHeight, kLeft, svg_escape(r.workload), svg_escape(r.machine), svg_escape(axis));

  // y grid and labels: fraction of ideal.
  for (double f = 0; f <= y_top + 1e-9; f += 0.1) {
    const double y = y_of(f);
    const bool major = std::abs(f * 5 - std::round(f * 5)) < 1e-6;  // every 0.2
    svg += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{:.2f}\" y2=\"{:.2f}\" stroke=\"{}\"/>\n",
                       kLeft, kLeft + kPlotW, y, y,
                       std::abs(f - 1) < 1e-6 ? "#999" : (major ? "#ddd" : "#f0f0f0"));
    if (major)
      svg += fmt::format("<text x=\"{}\" y=\"{:.2f}\" text-anchor=\"end\">{:.1f}</text>\n",
                         kLeft - 6, y + 4, f);
  }
  svg += fmt::format(
      "<text transform=\"translate({},{:.2f}) rotate(-90)\" text-anchor=\"middle\">fraction of "
      "ideal (ideal time / iteration time)</text>\n",
      kLeft - 44, kTop + kPlotH / 2);
  // x ticks: one per swept value, labelled in the axis unit.
  for (const sim::SweepValue& v : r.values) {
    const double x = x_of(v.value);
    svg +=
        fmt::format("<line x1=\"{0:.2f}\" x2=\"{0:.2f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#444\"/>\n",
                    x, kTop + kPlotH, kTop + kPlotH + 4);
    if (r.values.size() <= 24)
      svg += fmt::format("<text x=\"{:.2f}\" y=\"{}\" text-anchor=\"middle\">{:g}</text>\n", x,
                         kTop + kPlotH + 18, in_axis_unit(r.axis, v.value));
  }
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}{}</text>\n",
                     kLeft + kPlotW / 2, kTop + kPlotH + 42, svg_escape(sim::axis_label(r.axis)),
                     log_x ? ", log scale" : "");

  // One line per policy; infeasible points marked with a cross on the x axis.
  bool any_infeasible = false;
  for (std::size_t p = 0; p < r.policies.size(); ++p) {
    const char* colour = kColour[p % kColour.size()];
    std::string points, marks;
    for (std::size_t i = 0; i < r.values.size(); ++i) {
      const sim::SweepCell& c = r.cells[i][p];
      const double x = x_of(r.values[i].value);
      if (c.report.feasible) {
        const double y = y_of(c.report.fraction_of_ideal);
        points += fmt::format("{:.2f},{:.2f} ", x, y);
        marks += fmt::format(
            "<circle cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"3.5\" fill=\"{}\"><title>{} at {}={}: "
            "{:.4f}</title></circle>\n",
            x, y, colour, svg_escape(r.policies[p]), svg_escape(axis),
            svg_escape(r.values[i].label), c.report.fraction_of_ideal);
      } else {
        any_infeasible = true;
        const double y = kTop + kPlotH - 6.0 - 5.0 * static_cast<double>(p % 4);
        marks += fmt::format(
            "<path class=\"infeasible\" d=\"M{0:.2f},{1:.2f}l6,6m0,-6l-6,6\" "
            "transform=\"translate(-3,-3)\" "
            "stroke=\"{2}\" stroke-width=\"2\"><title>{3} at {4}={5}: {6}</title></path>\n",
            x, y, colour, svg_escape(r.policies[p]), svg_escape(axis),
            svg_escape(r.values[i].label), svg_escape(c.report.infeasible_reason));
      }
    }
    svg += fmt::format(
        "<polyline class=\"policy\" points=\"{}\" fill=\"none\" stroke=\"{}\" "
        "stroke-width=\"2\" stroke-dasharray=\"{}\"><title>{}</title></polyline>\n",
        points, colour, kDash[p % kDash.size()], svg_escape(r.policies[p]));
    svg += marks;
  }
  svg += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#444\"/>\n", kLeft,
      kTop, kPlotW, kPlotH);

  // Legend.
  double ly = kTop + 8;
  svg += "<g class=\"legend\">\n";
  for (std::size_t p = 0; p < r.policies.size(); ++p) {
    svg += fmt::format(
        "<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\" "
        "stroke-width=\"2\" stroke-dasharray=\"{4}\"/>\n",
        kLeft + kPlotW + 16, kLeft + kPlotW + 36, ly + 7, kColour[p % kColour.size()],
        kDash[p % kDash.size()]);
    svg += fmt::format("<text x=\"{}\" y=\"{:.1f}\">{}</text>\n", kLeft + kPlotW + 42, ly + 11,
                       svg_escape(r.policies[p]));
    ly += 20;
  }
  if (any_infeasible)
    svg += fmt::format(
        "<path d=\"M{0},{1:.1f}l6,6m0,-6l-6,6\" stroke=\"#444\" stroke-width=\"2\"/>\n"
        "<text x=\"{2}\" y=\"{3:.1f}\">infeasible / skipped</text>\n",
        kLeft + kPlotW + 23, ly + 4, kLeft + kPlotW + 42, ly + 11);
  svg += "</g>\n</svg>\n";
  return svg;
}

}  // namespace strata
