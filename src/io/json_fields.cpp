#include "json_fields.hpp"

namespace strata::json_io {
namespace {

/// Line and column of a byte offset.
std::string position(std::string_view text, std::size_t byte) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return std::to_string(line) + ":" + std::to_string(column);
}

}  // namespace

json parse_json_document(std::string_view text, std::string_view source) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    throw InvalidInput(std::string(source) + ":" + position(text, e.byte == 0 ? 0 : e.byte - 1) +
                       ": not valid JSON (" + e.what() + ")");
  }
}

}  // namespace strata::json_io
