#pragma once
/// @file text_file.hpp
/// @brief Whole-file reads and writes with errors that name the file.

#include <filesystem>
#include <string>
#include <string_view>

namespace strata {

/// @brief Reads a whole file; throws IoError naming the path and the OS reason.
std::string read_text_file(const std::filesystem::path& path);

/// @brief Writes a whole file through a temporary and a rename, so a failed write leaves no
/// half-written file; throws IoError naming the path and the OS reason.
void write_text_file(const std::filesystem::path& path, std::string_view text);

}  // namespace strata
