#pragma once
// Shared by the SVG writers in src/report/ (memory plot, sweep plot): text made safe for SVG.
#include <string>
#include <string_view>

namespace strata {

/// @brief `s` with &, <, > and " replaced by their XML entities, for SVG text and attributes.
std::string svg_escape(std::string_view s);

}  // namespace strata
