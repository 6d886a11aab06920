#pragma once
/// @file g10_pf_times.hpp
/// @brief Reads G10's measured page-fault times: pf_times.txt (every tensor of the kernel in CUDA
/// managed memory, faulted in on demand) and input_pf_times.txt (only its inputs faulted). One
/// line per kernel, `<kernel id> <time> ms`, ids 0, 1, 2, ... in order
/// (../shared/g10/README.md).

#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

namespace strata {

/// @brief Parses the text of a pf_times file into nanoseconds per kernel (rounded to the
/// nearest ns). Throws InvalidInput "<source>:<line>: ..." for a malformed line, an id out of
/// order, a negative time, or a count different from `kernel_count`.
std::vector<std::int64_t> parse_g10_pf_times(std::string_view text, std::string_view source,
                                             std::size_t kernel_count);

/// @brief Reads and parses a pf_times file; IoError if it cannot be read.
std::vector<std::int64_t> load_g10_pf_times(const std::filesystem::path& path,
                                            std::size_t kernel_count);

}  // namespace strata
