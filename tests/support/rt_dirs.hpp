#pragma once
// Where the runtime's tests put byte-store files: the first of /tmp, /var/tmp, /work whose file
// system takes O_DIRECT writes (a 4 KiB probe), or none (the tests then skip, saying why).
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>

#include "strata/rt/file_byte_store.hpp"

namespace strata::test {

struct DirectIoDir {
  std::optional<std::filesystem::path> dir;
  std::string why_none;
};

inline DirectIoDir find_direct_io_dir() {
  DirectIoDir out;
  for (const char* candidate : {"/tmp", "/var/tmp", "/work"}) {
    std::error_code ec;
    if (!std::filesystem::is_directory(candidate, ec)) continue;
    const auto why = rt::direct_io_unsupported_reason(candidate);
    if (!why) {
      out.dir = candidate;
      return out;
    }
    out.why_none += std::string(candidate) + ": " + *why + "; ";
  }
  return out;
}

}  // namespace strata::test

/// Declares `var` (a std::filesystem::path) or skips the test with the probe's reasons.
#define STRATA_REQUIRE_DIRECT_IO_DIR(var)                                              \
  const auto var##_probe = ::strata::test::find_direct_io_dir();                       \
  if (!var##_probe.dir)                                                                \
    GTEST_SKIP() << "no directory supports O_DIRECT (" << var##_probe.why_none << ")"; \
  const std::filesystem::path var = *var##_probe.dir
