#pragma once
/// @file sweep_plot.hpp
/// @brief `strata sweep --plot`: fraction of ideal against the swept value, one line per policy.

#include <string>

#include "strata/sim/sweep.hpp"

namespace strata {

/// @brief An SVG line chart of `r`: x is the swept value with its unit (a log2 scale when the
/// values span 8x or more), y the fraction of ideal; one polyline per policy through its
/// feasible points (a circle on each), infeasible and skipped points left out of the line and
/// marked with a cross on the x axis; a legend naming every policy.
std::string sweep_plot_svg(const sim::SweepResult& r);

}  // namespace strata
