#pragma once
// Where tests find the repository, the shared G10 workloads and the CLI.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace strata::test {

inline std::filesystem::path source_dir() { return STRATA_SOURCE_DIR; }
inline std::filesystem::path g10_dir() { return STRATA_G10_DIR; }
inline std::filesystem::path cli_path() { return STRATA_CLI; }

/// The folders of ../shared/g10 (sorted), or empty if it is absent.
inline std::vector<std::filesystem::path> g10_folders() {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(g10_dir(), ec)) return out;
  for (const auto& entry : std::filesystem::directory_iterator(g10_dir()))
    if (entry.is_directory() && std::filesystem::exists(entry.path() / "kernels.config"))
      out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace strata::test

/// Skips the current test with a clear message where ../shared/g10 is absent.
#define STRATA_REQUIRE_G10()                                                           \
  do {                                                                                 \
    if (::strata::test::g10_folders().empty())                                         \
      GTEST_SKIP() << "G10 workloads not found at " << ::strata::test::g10_dir()       \
                   << " (they live in ../shared/g10 beside the repository); skipping"; \
  } while (false)
